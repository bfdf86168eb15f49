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

STATIC_KINDS: tuple[FactKind, ...] = (
    "config_parameter",
    "health_check",
    "resource_requirement",
    "dependency",
)


def normalise_id(fact_id: str) -> str:
    """Ids compare with runs of whitespace collapsed; case stays (`PORT` and `port` differ)."""
    return re.sub(r"\s+", " ", fact_id.strip())


@dataclass(frozen=True)
class GoldFact:
    fact: FactBase
    evidence: str
    """`static` (a deterministic analyzer can see it) or `prose` (only docs/comments say it)."""


def load_gold(path: Path) -> list[GoldFact]:
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    entries = raw.get("facts", [])
    facts = TypeAdapter(list[Fact]).validate_python(
        [{k: v for k, v in e.items() if k != "evidence"} for e in entries]
    )
    return [
        GoldFact(f, str(e.get("evidence", "static"))) for f, e in zip(facts, entries, strict=True)
    ]


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
