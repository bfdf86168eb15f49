"""Static evidence: run every registered analyzer over the scanned files."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from ddd_llm.evidence.base import REGISTRY, Analyzer, AnalyzerResult, SourceFile

_INFRA = {"base", "yamlpos"}


def load_analyzers() -> dict[str, Analyzer]:
    """Import every module of this package once; each registers its analyzer(s)."""
    for info in pkgutil.iter_modules(__path__):
        if info.name not in _INFRA and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return REGISTRY


def analyze_files(sources: Iterable[SourceFile]) -> AnalyzerResult:
    """All analyzers over all files; an analyzer that raises becomes a warning naming the file."""
    analyzers = list(load_analyzers().values())
    total = AnalyzerResult()
    for source in sources:
        for analyzer in analyzers:
            try:
                if not analyzer.accepts(source):
                    continue
                total.extend(analyzer.analyze(source))
            except Exception as exc:  # noqa: BLE001 - one bad file must never end the run
                total.warn(
                    source,
                    f"{analyzer.name} analyzer failed: {type(exc).__name__}: {exc}"[:300],
                    None,
                    analyzer.name,
                )
    return total


__all__ = ["Analyzer", "AnalyzerResult", "SourceFile", "analyze_files", "load_analyzers"]
