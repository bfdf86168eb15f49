"""Documented ranges onto the parameters the code or a deployment file defines.

The Markdown analyzer reads one file, so it cannot know which service `API_DB_POOL_SIZE` in
the README belongs to; after services are resolved, a documented parameter becomes one
fact per service that defines a parameter of that exact name (same id, so the merge fills
the range in and cites the document), and is dropped when nothing defines it: a document
alone is a claim about the system, not evidence that the setting exists.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from ddd_llm.models import ConfigParameter, FactBase, make_fact_id

DOC_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd", ".rst", ".adoc", ".txt"})


def documented_only(fact: FactBase) -> bool:
    """Every citation of the fact is in a documentation file."""
    return all(PurePosixPath(c.path).suffix.lower() in DOC_SUFFIXES for c in fact.citations)


def attach_documented(facts: list[FactBase]) -> list[FactBase]:
    """Facts with each docs-only parameter moved onto the service(s) defining that name; the
    moved facts come last, so the code's or deployment's fact stays the base of the merge."""
    documented = [f for f in facts if isinstance(f, ConfigParameter) and documented_only(f)]
    if not documented:
        return facts
    moved = {id(f) for f in documented}
    kept = [f for f in facts if id(f) not in moved]
    services: dict[str, set[str | None]] = {}
    for fact in kept:
        if isinstance(fact, ConfigParameter):
            services.setdefault(fact.name, set()).add(fact.service)
    out = list(kept)
    for doc in documented:
        assert isinstance(doc, ConfigParameter)
        for service in sorted(services.get(doc.name, set()), key=lambda s: s or ""):
            out.append(
                doc.model_copy(
                    update={
                        "service": service,
                        "id": make_fact_id(doc.fact_kind, service, doc.key()),
                    }
                )
            )
    return out
