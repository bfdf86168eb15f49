"""Static evidence: run every registered analyzer over the scanned files."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator

from ddd_llm.evidence.base import REGISTRY, Analyzer, AnalyzerResult, SourceFile
from ddd_llm.models import Diagnostic
from ddd_llm.scan.pool import pool_map, pool_size

_INFRA = {"base", "yamlpos", "owners", "services"}
"""Modules of this package that are helpers, not analyzers."""


def load_analyzers() -> dict[str, Analyzer]:
    """Import every analyzer module below this package (deploy/, config_files/, code/) once;
    each registers its analyzer(s). Imported in order of module name, whatever the folder."""
    modules = [
        info.name
        for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}.")
        if not info.ispkg
    ]
    for name in sorted(modules, key=lambda n: n.rsplit(".", 1)[-1]):
        leaf = name.rsplit(".", 1)[-1]
        if leaf not in _INFRA and not leaf.startswith("_"):
            importlib.import_module(name)
    _LOADED.append(True)
    return REGISTRY


_LOADED: list[bool] = []
"""Not empty once load_analyzers ran in this process (a forked worker inherits it)."""


def _analyze(analyzer: Analyzer, source: SourceFile) -> AnalyzerResult | None:
    """One analyzer over one file; one that raises gives a warning naming the file."""
    try:
        if not analyzer.accepts(source):
            return None
        return analyzer.analyze(source)
    except Exception as exc:  # noqa: BLE001 - one bad file must never end the run
        failed = AnalyzerResult()
        failed.warn(
            source,
            f"{analyzer.name} analyzer failed: {type(exc).__name__}: {exc}"[:300],
            None,
            analyzer.name,
        )
        return failed


def _joins_files(analyzer: Analyzer) -> bool:
    """An analyzer that keeps what each file said until `finish` (runs in this process)."""
    return callable(getattr(analyzer, "finish", None))


def _per_file(item: tuple[str, str]) -> list[tuple[int, AnalyzerResult]]:
    """A pool worker's unit: every analyzer that reads files alone, over one file, as
    (the analyzer's place in the registry, what it found)."""
    source = SourceFile(*item)
    out: list[tuple[int, AnalyzerResult]] = []
    registry = REGISTRY if _LOADED else load_analyzers()  # walking the package is slow
    for n, analyzer in enumerate(registry.values()):
        if not _joins_files(analyzer):
            found = _analyze(analyzer, source)
            if found is not None and _holds_anything(found):
                out.append((n, found))  # an empty one would change nothing: not sent back
    return out


def _holds_anything(result: AnalyzerResult) -> bool:
    return bool(
        result.facts or result.services or result.warnings or result.owners or result.candidates
    )


def analyze_files(sources: Iterable[SourceFile], *, workers: int | None = None) -> AnalyzerResult:
    """All analyzers over all files; an analyzer that raises becomes a warning naming the file.

    `workers`: processes reading files (default 1: on the 20,000-file benchmark on 2 busy
    CPUs, a pool of 2 was no faster; scan and chunking gained 1.5x). The analyzers that
    join files (`finish`) read every file in this process, in order; the result is the
    same whatever the number of workers."""
    analyzers = list(load_analyzers().values())
    total = AnalyzerResult()
    listed = list(sources)
    size = pool_size(len(listed), workers or 1)
    alone: Iterator[list[tuple[int, AnalyzerResult]]] = iter(())
    if size > 1:
        alone = pool_map(_per_file, [(s.path, s.text) for s in listed], size)
    for source in listed:
        found: list[tuple[int, AnalyzerResult]] = next(alone) if size > 1 else []
        for n, analyzer in enumerate(analyzers):
            if size > 1 and not _joins_files(analyzer):
                continue
            result = _analyze(analyzer, source)
            if result is not None:
                found.append((n, result))
        for _, result in sorted(found, key=lambda nr: nr[0]):
            total.extend(result)
    # Analyzers that join facts across files (an options class bound in one file and
    # declared in another) report them once every file has been read.
    for analyzer in analyzers:
        finish = getattr(analyzer, "finish", None)
        if not callable(finish):
            continue
        try:
            total.extend(finish())
        except Exception as exc:  # noqa: BLE001 - the join must never end the run
            total.warnings.append(
                Diagnostic(
                    path="",
                    line=None,
                    message=f"{analyzer.name} analyzer failed joining files: "
                    f"{type(exc).__name__}: {exc}"[:300],
                    source=analyzer.name,
                )
            )
    return total


__all__ = ["Analyzer", "AnalyzerResult", "SourceFile", "analyze_files", "load_analyzers"]
