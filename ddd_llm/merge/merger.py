"""Merge facts that share an id: one fact, every citation, conflicts kept for the verifier."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ddd_llm.models import Citation, Dependency, FactBase, Origin

_STRENGTH = {"start_order": 3, "runtime": 2, "optional": 1}
_IGNORED = {"id", "citations", "origin", "verification", "summary", "kind", "service"}


@dataclass(frozen=True)
class Conflict:
    fact_id: str
    field: str
    kept: Any
    other: Any
    kept_citation: Citation
    other_citation: Citation

    def describe(self) -> str:
        return (
            f"{self.field}: {self.kept!r} at {self.kept_citation} "
            f"but {self.other!r} at {self.other_citation}"
        )


@dataclass
class MergeResult:
    facts: list[FactBase] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def _origin(a: Origin, b: Origin) -> Origin:
    return a if a == b else "both"


def _union(a: list[Citation], b: list[Citation]) -> list[Citation]:
    seen = {(c.path, c.start_line, c.end_line) for c in a}
    out = list(a)
    for c in b:
        if (c.path, c.start_line, c.end_line) not in seen:
            seen.add((c.path, c.start_line, c.end_line))
            out.append(c)
    return out


def merge_pair(base: FactBase, other: FactBase, conflicts: list[Conflict]) -> FactBase:
    """`base` completed by `other`: nulls filled, citations joined, disagreements recorded."""
    update: dict[str, Any] = {
        "citations": _union(base.citations, other.citations),
        "origin": _origin(base.origin, other.origin),
    }
    if isinstance(base, Dependency) and isinstance(other, Dependency):
        if _STRENGTH[other.dependency_type] > _STRENGTH[base.dependency_type]:
            update["dependency_type"] = other.dependency_type
            update["condition"] = other.condition or base.condition
            update["summary"] = other.summary
    for name in type(base).model_fields:
        if name in _IGNORED or name in update:
            continue
        mine, theirs = getattr(base, name), getattr(other, name)
        if theirs is None or theirs == mine:
            continue
        if mine is None or (name in ("required", "secret") and theirs is True):
            update[name] = theirs
        elif name not in ("value_type", "range_source", "required", "secret", "dependency_type"):
            conflicts.append(
                Conflict(base.id, name, mine, theirs, base.citations[0], other.citations[0])
            )
    return base.model_copy(update=update)


def merge_facts(facts: list[FactBase]) -> MergeResult:
    """Facts in first-seen order, one per id."""
    result = MergeResult()
    by_id: dict[str, int] = {}
    for fact in facts:
        index = by_id.get(fact.id)
        if index is None:
            by_id[fact.id] = len(result.facts)
            result.facts.append(fact)
        else:
            result.facts[index] = merge_pair(result.facts[index], fact, result.conflicts)
    return result
