"""Scoring extracted facts against a fixture's hand-checked gold.json, per fact kind."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from ddd_llm.models import FACT_KINDS, Fact, FactBase, FactKind
from ddd_llm.scan.repotext import RepoText
from ddd_llm.verify.verifier import check_citation, key_terms, mentions

STATIC_KINDS: tuple[FactKind, ...] = (
    "config_parameter",
    "health_check",
    "resource_requirement",
    "dependency",
)


def normalise_id(fact_id: str) -> str:
    """Ids compare with runs of whitespace collapsed; case stays (`PORT` and `port` differ)."""
    return re.sub(r"\s+", " ", fact_id.strip())


WHERE = ("deploy", "config", "code", "docs")
"""Where a gold fact's evidence lives (gold's `where`); every one of them is read statically."""

GOLD_EXTRAS = frozenset({"evidence", "where", "note"})
"""Gold-only fields, dropped before a gold fact is validated as a fact of models.py."""


@dataclass(frozen=True)
class GoldFact:
    fact: FactBase
    evidence: str
    """`static` (a deterministic reader can see it) or `prose` (legacy gold without `where`:
    only docs or comments say it)."""
    where: str | None = None
    """`deploy`, `config`, `code` or `docs`: where the line that states it lives."""


def _where(entry: dict[str, Any], index: int, path: Path) -> str | None:
    where = entry.get("where")
    if where is not None and where not in WHERE:
        raise ValueError(
            f"{path}: fact {index + 1} has where={where!r}; use one of {', '.join(WHERE)}"
        )
    return None if where is None else str(where)


def load_gold(path: Path) -> list[GoldFact]:
    """A fixture's or real repository's gold. A fact with `where` counts as statically
    readable evidence (deploy, config, code and docs are all read without a model); a legacy
    fact without it keeps its `evidence` (`static` when absent)."""
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    entries = raw.get("facts", [])
    facts = TypeAdapter(list[Fact]).validate_python(
        [{k: v for k, v in e.items() if k not in GOLD_EXTRAS} for e in entries]
    )
    out: list[GoldFact] = []
    for i, (f, e) in enumerate(zip(facts, entries, strict=True)):
        where = _where(e, i, path)
        evidence = "static" if where is not None else str(e.get("evidence", "static"))
        out.append(GoldFact(f, evidence, where))
    return out


@dataclass
class KindScore:
    """`correct` predictions match any gold fact of the kind; `found` are expected ones matched."""

    kind: str
    predicted: int = 0
    correct: int = 0
    expected: int = 0
    found: int = 0
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score_kind(
    kind: str, predicted: Iterable[str], gold_all: Iterable[str], gold_expected: Iterable[str]
) -> KindScore:
    """Precision over everything gold knows; recall over what this run was expected to find."""
    pred = {normalise_id(i) for i in predicted}
    known = {normalise_id(i) for i in gold_all}
    expected = {normalise_id(i) for i in gold_expected}
    return KindScore(
        kind=kind,
        predicted=len(pred),
        correct=len(pred & known),
        expected=len(expected),
        found=len(pred & expected),
        missed=sorted(expected - pred),
        extra=sorted(pred - known),
    )


def score_facts(
    predicted: Sequence[FactBase],
    gold: Sequence[GoldFact],
    kinds: Sequence[str] = FACT_KINDS,
    evidence: set[str] | None = None,
) -> dict[str, KindScore]:
    """Per kind. Recall counts gold facts whose evidence is in `evidence` (all when None), so a
    static run is not asked for what only prose reveals; precision counts a prediction right
    when gold has its id at all."""
    out: dict[str, KindScore] = {}
    for kind in kinds:
        gold_kind = [g for g in gold if g.fact.fact_kind == kind]
        out[kind] = score_kind(
            kind,
            [f.id for f in predicted if f.fact_kind == kind],
            [g.fact.id for g in gold_kind],
            [g.fact.id for g in gold_kind if evidence is None or g.evidence in evidence],
        )
    return out


VALUE_FIELDS: dict[str, tuple[str, ...]] = {
    "config_parameter": ("default", "min", "max"),
    "health_check": ("port", "interval_s", "timeout_s", "failure_threshold"),
    "resource_requirement": ("request", "limit", "value"),
    "dependency": ("dependency_type", "condition"),
    "validation_method": (),
}
"""The fields whose value an operator acts on, compared for facts whose ids match gold.

Fields that make up the id (a health check's target, a parameter's name) match by
construction; free text (`summary`, `expected`) is not judged."""


def same_value(gold: object, predicted: object) -> bool:
    """Numbers compare as numbers (`1` equals `1.0`); strings with runs of whitespace collapsed,
    case kept (`256Mi` and `256mi` differ); `True` is not `1`."""
    if isinstance(gold, bool) or isinstance(predicted, bool):
        return gold is predicted
    if isinstance(gold, int | float) and isinstance(predicted, int | float):
        return float(gold) == float(predicted)
    if isinstance(gold, str) and isinstance(predicted, str):
        return normalise_id(gold) == normalise_id(predicted)
    return gold == predicted


@dataclass(frozen=True)
class ValueMismatch:
    fact_id: str
    field: str
    gold: object
    predicted: object


@dataclass
class Rate:
    """`good` of `total`; the rate is None when there was nothing to judge."""

    total: int = 0
    good: int = 0

    @property
    def rate(self) -> float | None:
        return self.good / self.total if self.total else None

    def add(self, other: Rate) -> Rate:
        return Rate(self.total + other.total, self.good + other.good)


@dataclass
class ValueScore(Rate):
    mismatches: list[ValueMismatch] = field(default_factory=list)


def first_by_id(facts: Iterable[FactBase]) -> dict[str, FactBase]:
    """One fact per normalised id, the first one seen (facts.json has one fact per id)."""
    out: dict[str, FactBase] = {}
    for f in facts:
        out.setdefault(normalise_id(f.id), f)
    return out


def score_values(
    predicted: Sequence[FactBase], gold: Sequence[GoldFact], kinds: Sequence[str] = FACT_KINDS
) -> dict[str, ValueScore]:
    """Per kind, over facts whose id matches gold: how many VALUE_FIELDS are exactly gold's."""
    pred = first_by_id(predicted)
    gold_by_id = first_by_id(g.fact for g in gold)
    out = {kind: ValueScore() for kind in kinds}
    for key, g in gold_by_id.items():
        p = pred.get(key)
        if p is None or g.fact_kind not in out:
            continue
        score = out[g.fact_kind]
        for name in VALUE_FIELDS[g.fact_kind]:
            want, got = getattr(g, name, None), getattr(p, name, None)
            score.total += 1
            if same_value(want, got):
                score.good += 1
            else:
                score.mismatches.append(ValueMismatch(g.id, name, want, got))
    return out


@dataclass
class CitationScore(Rate):
    invalid: list[tuple[str, str]] = field(default_factory=list)
    """(fact id, why) for each citation that does not hold."""


def score_citations(
    predicted: Sequence[FactBase], root: Path, kinds: Sequence[str] = FACT_KINDS
) -> dict[str, CitationScore]:
    """Per kind, over every citation of every predicted fact: the cited lines exist inside the
    repository and mention the fact's key (the verify stage's own checks)."""
    files = RepoText(root)
    out = {kind: CitationScore() for kind in kinds}
    for fact in first_by_id(predicted).values():
        score = out.get(fact.fact_kind)
        if score is None:
            continue
        terms = key_terms(fact)
        for citation in fact.citations:
            score.total += 1
            check, cited = check_citation(files, citation)
            if not check.passed:
                score.invalid.append((fact.id, check.detail))
            elif terms and not mentions("\n".join(cited), terms):
                score.invalid.append((fact.id, f"{citation} does not mention {terms[0]!r}"))
            else:
                score.good += 1
    return out


def score_verification(
    predicted: Sequence[FactBase], gold: Sequence[GoldFact], kinds: Sequence[str] = FACT_KINDS
) -> dict[str, Rate]:
    """Per kind: of the facts the run marked verified, how many gold confirms."""
    known = {normalise_id(g.fact.id) for g in gold}
    out = {kind: Rate() for kind in kinds}
    for key, fact in first_by_id(predicted).items():
        if fact.fact_kind in out and fact.verification.status == "verified":
            out[fact.fact_kind].total += 1
            out[fact.fact_kind].good += key in known
    return out
