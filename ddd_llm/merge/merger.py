"""Merge facts that share an id: one fact, every citation, conflicts kept for the verifier."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    Origin,
    make_fact_id,
)
from ddd_llm.scan.redact import CODE_SUFFIXES

_EXAMPLE = re.compile(r"\b(commented default|example value)\b")
"""How config_files/ summaries mark a value shown as an example, not set."""
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
    # An example's value (a sample config's commented-out line, an `.env.example`) gives
    # way to the default the program declares in code; a value a deployment runs with
    # stays (layered over the code's, see verify). The first code declaration decides.
    code_default = (
        _declares_default(other)
        and _EXAMPLE.search(base.summary) is not None
        and not any(_is_code(c) for c in base.citations)
    )
    for name in type(base).model_fields:
        if name in _IGNORED or name in update:
            continue
        mine, theirs = getattr(base, name), getattr(other, name)
        if name == "default" and code_default and mine is not None and theirs != mine:
            # The program's own default (declared in code) is the default; a deploy file,
            # sample config or env template sets a value of its own.
            update[name] = theirs
            conflicts.append(
                Conflict(base.id, name, theirs, mine, other.citations[0], base.citations[0])
            )
            continue
        if theirs is None or theirs == mine:
            continue
        if mine is None or (name in ("required", "secret") and theirs is True):
            update[name] = theirs
        elif name not in ("value_type", "range_source", "required", "secret", "dependency_type"):
            conflicts.append(
                Conflict(base.id, name, mine, theirs, base.citations[0], other.citations[0])
            )
    return base.model_copy(update=update)


def _declares_default(fact: FactBase) -> bool:
    """A parameter read in code with a default there (`envbool("DEBUG", "True")`, an option
    table's `"200"`): every citation is a source file."""
    return (
        isinstance(fact, ConfigParameter)
        and fact.default is not None
        and all(_is_code(c) for c in fact.citations)
    )


def _is_code(citation: Citation) -> bool:
    return PurePosixPath(citation.path).suffix.lower() in CODE_SUFFIXES


def _config_spelling(facts: list[FactBase]) -> list[FactBase]:
    """.NET configuration keys (`Section:Key`) are case-insensitive: a key a C# options class
    binds (`baseUrls:ApiBase`) is the one appsettings.json writes (`baseUrls:apiBase`), and
    takes the config file's spelling, as an operator writes it."""
    written: dict[tuple[str | None, str], str] = {}
    for fact in facts:
        if (
            isinstance(fact, ConfigParameter)
            and ":" in fact.name
            and not any(_is_code(c) for c in fact.citations)
        ):
            written.setdefault((fact.service, fact.name.lower()), fact.name)
    out: list[FactBase] = []
    for fact in facts:
        if isinstance(fact, ConfigParameter) and ":" in fact.name:
            spelling = written.get((fact.service, fact.name.lower()))
            if spelling is not None and spelling != fact.name:
                suffix = fact.id[fact.id.index("@") :] if "@" in fact.id else ""
                fact = fact.model_copy(
                    update={
                        "name": spelling,
                        "id": make_fact_id("config_parameter", fact.service, spelling + suffix),
                    }
                )
        out.append(fact)
    return out


def merge_facts(facts: list[FactBase]) -> MergeResult:
    """Facts in first-seen order, one per id."""
    facts = _config_spelling(facts)
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
