"""The language runtime a project states it runs on: package.json `"engines": {"node":
">=12"}`, pyproject.toml `requires-python = ">=3.10"`. A stated requirement, unlike a
Dockerfile's base image (an image is how one deployment packages the program, and every
image has some base): only the manifest's own field makes the runtime a dependency.
Package managers an `engines` block may also pin (`npm`, `yarn`) are build tools, not
something the running program needs."""

from __future__ import annotations

import json
import re
import tomllib

from ddd_llm.evidence.base import AnalyzerResult, SourceFile, register
from ddd_llm.models import Dependency

NAME = "declared-runtime"
_RUNTIMES = {"node": "Node.js", "bun": "Bun", "deno": "Deno"}
"""`engines` keys that are runtimes the program runs in."""


def _line_of(lines: list[str], pattern: re.Pattern[str], after: int = 0) -> int | None:
    for number, line in enumerate(lines[after:], start=after + 1):
        if pattern.search(line):
            return number
    return None


class DeclaredRuntimeAnalyzer:
    name = NAME

    def accepts(self, source: SourceFile) -> bool:
        parts = source.path.split("/")
        if "node_modules" in parts or "vendor" in parts:
            return False
        return source.name in ("package.json", "pyproject.toml")

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        if source.name == "package.json":
            self._engines(source, result)
        else:
            self._requires_python(source, result)
        return result

    def _engines(self, source: SourceFile, result: AnalyzerResult) -> None:
        try:
            data = json.loads(source.text)
        except ValueError as exc:
            result.warn(source, f"package.json not parsed: {exc}"[:200], None, NAME)
            return
        engines = data.get("engines") if isinstance(data, dict) else None
        if not isinstance(engines, dict):
            return
        block = _line_of(source.lines, re.compile(r'^\s*"engines"\s*:'))
        for key, wanted in engines.items():
            if key not in _RUNTIMES or not isinstance(wanted, str):
                continue
            at = _line_of(source.lines, re.compile(rf'^\s*"{re.escape(key)}"\s*:'), block or 0)
            start = block or at or 1
            end = at if at is not None and at >= start else start
            result.facts.append(
                Dependency(
                    target=key,
                    dependency_type="runtime",
                    summary=f"runs on {_RUNTIMES[key]} {wanted} (package.json engines)",
                    citations=[source.cite(start, end)],
                )
            )

    def _requires_python(self, source: SourceFile, result: AnalyzerResult) -> None:
        try:
            data = tomllib.loads(source.text)
        except tomllib.TOMLDecodeError:
            return  # the TOML config analyzer reports a file it cannot parse
        project = data.get("project")
        wanted = project.get("requires-python") if isinstance(project, dict) else None
        if not isinstance(wanted, str):
            return
        at = _line_of(source.lines, re.compile(r"^\s*requires-python\s*="))
        result.facts.append(
            Dependency(
                target="python",
                dependency_type="runtime",
                summary=f"runs on Python {wanted} (pyproject.toml requires-python)",
                citations=[source.cite(at or 1)],
            )
        )


register(DeclaredRuntimeAnalyzer())
