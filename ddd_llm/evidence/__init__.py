"""Static evidence: run every registered analyzer over the scanned files."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from ddd_llm.evidence.base import REGISTRY, Analyzer, AnalyzerResult, SourceFile
from ddd_llm.models import Diagnostic

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
