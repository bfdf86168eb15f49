"""TOML application configs (config.toml, settings.toml, fly.toml, wrangler.toml …): one
parameter per leaf key, named by its dotted path (`server.port`, `servers[0].host`).

tomllib decides what is valid and holds the values; the table headers and `key =` lines of
the text give each leaf its line. Tool manifests (pyproject.toml, Cargo.toml, ruff.toml …)
configure builds and linters, not the running service: skipped.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

from ddd_llm.evidence.base import AnalyzerResult, SourceFile, is_health_path, register
from ddd_llm.evidence.config_files._common import (
    TEST_DIRS,
    Setting,
    allowed_values,
    comment_above,
    health_fact,
    is_listen_name,
    is_port_name,
    parameters,
    port_fact,
    port_number,
    unique,
)
from ddd_llm.models import FactBase

TOOL_MANIFESTS = frozenset(
    {
        "pyproject.toml",
        "cargo.toml",
        "rust-toolchain.toml",
        "rustfmt.toml",
        ".rustfmt.toml",
        "clippy.toml",
        ".clippy.toml",
        "deny.toml",
        "taplo.toml",
        ".taplo.toml",
        "ruff.toml",
        ".ruff.toml",
        "typos.toml",
        "_typos.toml",
        ".typos.toml",
        "cliff.toml",
        "stylua.toml",
        ".stylua.toml",
        "book.toml",
        "makefile.toml",
        "cross.toml",
        "nextest.toml",
        "release.toml",
        "dist-workspace.toml",
        "towncrier.toml",
        ".bumpversion.toml",
        "committed.toml",
        "mise.toml",
        ".mise.toml",
        "pixi.toml",
        "uv.toml",
        "rye.toml",
        "hatch.toml",
        "poetry.toml",
        "pdm.toml",
        "black.toml",
        "mypy.toml",
        "pyrightconfig.toml",
        "codespell.toml",
        ".codespellrc.toml",
        "lychee.toml",
        "dprint.toml",
        "biome.toml",
        "netlify.toml",
        "samconfig.toml",
        "buf.toml",
        "gitleaks.toml",
        ".gitleaks.toml",
        "renovate.toml",
    }
)
"""Build, packaging, lint and docs manifests: never the service's own settings."""
_TOOL_DIRS = re.compile(r"(^|/)(\.cargo|\.config|\.github|\.devcontainer)/")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_LINE_IN_ERROR = re.compile(r"\(at line (\d+)")


def _key_parts(text: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


class TomlConfigAnalyzer:
    """An application's TOML settings file; ports and health paths where its keys say so."""

    name = "toml_config"

    def accepts(self, source: SourceFile) -> bool:
        return (
            source.suffix == ".toml"
            and source.name.lower() not in TOOL_MANIFESTS
            and not TEST_DIRS.search(source.path)
            and not _TOOL_DIRS.search(source.path)
        )

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        try:
            data = tomllib.loads(source.text)
        except tomllib.TOMLDecodeError as exc:
            match = _LINE_IN_ERROR.search(str(exc))
            result.warn(
                source,
                f"invalid TOML: {exc}; fix the line or exclude the file",
                int(match.group(1)) if match else None,
                self.name,
            )
            return result
        except (RecursionError, ValueError) as exc:
            result.warn(source, f"unreadable TOML: {type(exc).__name__}", None, self.name)
            return result
        spans = _key_lines(source.lines)
        facts: list[FactBase] = []
        written: set[str] = set()
        for name, value in _leaves(data, ""):
            start, end = _span_of(spans, name)
            written.add(_unindexed(name))
            facts.extend(_setting(source, name, value, start, end, commented=False))
        for name, value, line in _commented(source.lines):
            if name not in written:
                written.add(name)
                facts.extend(_setting(source, name, value, line, line, commented=True))
        result.facts.extend(unique(facts))
        return result


def _setting(
    source: SourceFile, name: str, value: str | None, start: int, end: int, *, commented: bool
) -> list[FactBase]:
    description = comment_above(source.lines, start - 1, sep="\n")
    setting = Setting(
        name=name,
        value=value,
        start=start,
        end=end,
        description=description.replace("\n", " "),
        commented=commented,
        allowed=allowed_values(description, value),
    )
    what = "commented-out TOML setting" if commented else "TOML setting"
    return [*parameters(source, setting, what), *_runtime(source, name, value, start, end)]


def _commented(lines: list[str]) -> Iterator[tuple[str, str | None, int]]:
    """`# max_indexing_threads = 4` under its table: a commented-out setting whose line
    tomllib reads as exactly one scalar key (prose never parses)."""
    table: list[str] = []
    for index, line in enumerate(lines):
        header = _HEADER.match(line)
        if header is not None:
            table = _key_parts(header.group(2))
            continue
        stripped = line.strip()
        if not stripped.startswith("#") or "=" not in stripped:
            continue
        body = stripped.lstrip("#").strip()
        try:
            parsed = tomllib.loads(body)
        except (tomllib.TOMLDecodeError, ValueError, RecursionError):
            continue
        leaves = list(_leaves(parsed, ""))
        if len(leaves) == 1 and _KEY.match(body):
            name, value = leaves[0]
            yield ".".join([*table, name]), value, index + 1


def _runtime(
    source: SourceFile, name: str, value: str | None, start: int, end: int
) -> list[FactBase]:
    leaf = name.rsplit(".", 1)[-1]
    if is_port_name(leaf) or is_listen_name(leaf) or leaf == "internal_port":
        port = port_number(value)
        if port is not None:
            return [port_fact(source, port, start, end, name)]
    if value and value.startswith("/") and ("health" in name.lower() or leaf == "path"):
        if is_health_path(value):
            return [health_fact(source, value, start, end, name)]
    return []


def _span_of(spans: dict[str, tuple[int, int]], name: str) -> tuple[int, int]:
    """The key's own lines, else its nearest written parent's (an inline table's keys)."""
    for candidate in (name, _unindexed(name)):
        parts = candidate.split(".")
        while parts:
            found = spans.get(".".join(parts))
            if found is not None:
                return found
            parts.pop()
    return 1, 1


def _unindexed(name: str) -> str:
    return re.sub(r"\[\d+\]", "", name)


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str, date, datetime, time)):
        return str(value)
    return None


def _leaves(node: dict[str, Any], prefix: str) -> Iterator[tuple[str, str | None]]:
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if value:
                yield from _leaves(value, f"{name}.")
            else:
                yield name, None
        elif isinstance(value, list):
            if value and all(isinstance(v, dict) for v in value):
                for index, item in enumerate(value):
                    yield from _leaves(item, f"{name}[{index}].")
            else:
                scalars = [_text(v) for v in value]
                yield name, ",".join(s for s in scalars if s is not None) or None
        else:
            yield name, _text(value)


def _key_lines(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Dotted name (array indexes dropped) → (first line, last line) of its `key = value`;
    the first occurrence wins, as for the first table of an array of tables."""
    spans: dict[str, tuple[int, int]] = {}
    table: list[str] = []
    pending: tuple[str, int] | None = None
    depth = 0
    in_multiline = ""
    arrays: dict[str, int] = {}
    for index, line in enumerate(lines):
        number = index + 1
        if in_multiline:
            if in_multiline in line:
                in_multiline = ""
                _close(spans, pending, number)
                pending = None
            continue
        if depth > 0:
            depth += _brackets(line)
            if depth <= 0:
                depth = 0
                _close(spans, pending, number)
                pending = None
            continue
        header = _HEADER.match(line)
        if header is not None:
            table = _key_parts(header.group(2))
            if header.group(1) == "[[":
                # The n-th `[[a.b]]` table is `a.b[n]`, as `_leaves` names its keys.
                joined = ".".join(table)
                seen = arrays.get(joined, -1) + 1
                arrays[joined] = seen
                table = [*table[:-1], f"{table[-1]}[{seen}]"]
            spans.setdefault(".".join(table), (number, number))
            continue
        key = _KEY.match(line)
        if key is None:
            continue
        name = ".".join([*table, *_key_parts(key.group(1))])
        rest = line[key.end() :]
        spans.setdefault(name, (number, number))
        pending = (name, number)
        for quote in ('"""', "'''"):
            if rest.count(quote) == 1:
                in_multiline = quote
        if not in_multiline:
            depth = max(0, _brackets(rest))
        if not in_multiline and depth == 0:
            pending = None
    return spans


def _close(spans: dict[str, tuple[int, int]], pending: tuple[str, int] | None, end: int) -> None:
    if pending is not None and spans.get(pending[0], (0, 0))[0] == pending[1]:
        spans[pending[0]] = (pending[1], end)


def _brackets(text: str) -> int:
    clean = re.sub(r""""[^"]*"|'[^']*'|#.*$""", "", text)
    return clean.count("[") + clean.count("{") - clean.count("]") - clean.count("}")


register(TomlConfigAnalyzer())
