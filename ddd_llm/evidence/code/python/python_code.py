"""Python analyzer: settings classes, env reads, CLI flags and health routes, read with `ast`.

The reader is put together from one part per concern (see the `_`-modules of this package)."""

from __future__ import annotations

import ast

from ddd_llm.evidence.base import AnalyzerResult, SourceFile, register
from ddd_llm.evidence.code.python._cli import CliReader
from ddd_llm.evidence.code.python._common import documented_range
from ddd_llm.evidence.code.python._routes import RouteReader

__all__ = ["MAX_CHARS", "PythonCodeAnalyzer", "documented_range"]

MAX_CHARS = 2_000_000
"""Larger files are generated or vendored code, never an operator's knobs; parsing them is slow."""

# Paths whose code configures tests, builds or docs, not the running system.
_SKIP_DIRS = frozenset({"tests", "test", "testing", "__tests__", "site-packages", "node_modules"})
_SKIP_NAMES = frozenset({"conftest.py", "setup.py", "noxfile.py"})


def _is_test_path(source: SourceFile) -> bool:
    if source.name in _SKIP_NAMES:
        return True
    if source.name.startswith("test_") or source.name.endswith("_test.py"):
        return True
    directories = [part.lower() for part in source.parts[:-1]]
    if any(part in _SKIP_DIRS for part in directories):
        return True
    return source.name == "conf.py" and bool(directories) and directories[-1] in ("docs", "doc")


class _Reader(CliReader, RouteReader):
    """Everything one parsed file says; built once per file."""

    def __init__(self, source: SourceFile, tree: ast.Module) -> None:
        super().__init__(source, tree)
        self.env_helpers = self._env_helpers()


class PythonCodeAnalyzer:
    """Reads `*.py` files with `ast`: what an operator sets and how the app reports health."""

    name = "python"

    def accepts(self, source: SourceFile) -> bool:
        return (
            source.suffix == ".py" and len(source.text) <= MAX_CHARS and not _is_test_path(source)
        )

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        if len(source.text) > MAX_CHARS:
            result.warn(source, f"skipped: larger than {MAX_CHARS} characters", None, self.name)
            return result
        try:
            tree = ast.parse(source.text, filename=source.path)
        except SyntaxError as exc:
            result.warn(source, f"Python syntax error: {exc.msg}", exc.lineno, self.name)
            return result
        except (ValueError, RecursionError, MemoryError) as exc:
            result.warn(source, f"Python source could not be parsed: {exc}"[:200], None, self.name)
            return result
        reader = _Reader(source, tree)
        try:
            reader.read_settings()
            reader.read_cli()
            reader.read_env()
            reader.read_routes()
        except RecursionError:
            result.warn(source, "Python source nested too deeply to read", None, self.name)
        result.facts.extend(reader.facts())
        return result


register(PythonCodeAnalyzer())
