"""Scoring a static run against a real repository's gold (evals/real/README.md).

Real gold differs from fixture gold in two ways: a gold fact's `service` may be null, meaning
"whatever service the tool gave it" (ownership is often ambiguous in a real repository), and
each gold fact says `where` its evidence lives. Facts therefore match by kind and key, and
by service only where gold names one; recall is also reported per `where`, and "reachable"
recall adds the gold facts a model would be shown (their evidence line lies inside an
excerpt the dry-run plan asks about for that kind).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ddd_llm.evals.facts_score import (
    VALUE_FIELDS,
    WHERE,
    GoldFact,
    KindScore,
    Rate,
    ValueMismatch,
    ValueScore,
    normalise_id,
    same_value,
)
from ddd_llm.models import FACT_KINDS, FactBase


def match_key(fact: FactBase) -> tuple[str, str]:
    """(kind, key) with runs of whitespace collapsed; case kept (`PORT` is not `port`)."""
    return fact.fact_kind, normalise_id(fact.key())


def _service(fact: FactBase) -> str | None:
    return fact.service.lower() if fact.service else None


def matches(gold: FactBase, predicted: FactBase) -> bool:
    """Same kind and key, and the same service unless gold's is null ("any service")."""
    if match_key(gold) != match_key(predicted):
        return False
    return gold.service is None or _service(gold) == _service(predicted)


def is_variant(fact: FactBase) -> bool:
    """A fact whose id carries a variant suffix after its key (`kind:svc:key@profile`)."""
    return not normalise_id(fact.id).endswith(":" + normalise_id(fact.key()))


@dataclass
class Matching:
    """Gold facts paired with a prediction each (the first one that matches), and the
    predictions no gold fact accounts for."""

    pairs: list[tuple[GoldFact, FactBase]] = field(default_factory=list)
    missed: list[GoldFact] = field(default_factory=list)
    extra: list[FactBase] = field(default_factory=list)
    correct: list[FactBase] = field(default_factory=list)


def unique_predictions(predicted: Iterable[FactBase]) -> list[FactBase]:
    """One fact per id (facts.json has one per id; a duplicated id counts once)."""
    seen: dict[str, FactBase] = {}
    for f in predicted:
        seen.setdefault(normalise_id(f.id), f)
    return list(seen.values())


def match_facts(predicted: Sequence[FactBase], gold: Sequence[GoldFact]) -> Matching:
    """Each gold fact paired with a matching prediction; every prediction (a variant too) is
    correct when some gold fact matches it."""
    preds = unique_predictions(predicted)
    by_key: dict[tuple[str, str], list[FactBase]] = {}
    for p in preds:
        by_key.setdefault(match_key(p), []).append(p)
    out = Matching()
    gold_by_key: dict[tuple[str, str], list[GoldFact]] = {}
    for g in gold:
        gold_by_key.setdefault(match_key(g.fact), []).append(g)
        candidates = [p for p in by_key.get(match_key(g.fact), []) if matches(g.fact, p)]
        if candidates:
            # A variant (`server.port@prod`: a profile's or environment file's value) matches
            # its key too, but the base value is the one paired for "values exact".
            out.pairs.append((g, min(candidates, key=is_variant)))
        else:
            out.missed.append(g)
    for p in preds:
        if any(matches(g.fact, p) for g in gold_by_key.get(match_key(p), [])):
            out.correct.append(p)
        else:
            out.extra.append(p)
    return out


def kind_scores(
    matching: Matching,
    gold: Sequence[GoldFact],
    predicted: Sequence[FactBase],
    kinds: Sequence[str] = FACT_KINDS,
) -> dict[str, KindScore]:
    """Per kind: precision over the predictions, recall over every gold fact."""
    preds = unique_predictions(predicted)
    out: dict[str, KindScore] = {}
    for kind in kinds:
        out[kind] = KindScore(
            kind=kind,
            predicted=sum(p.fact_kind == kind for p in preds),
            correct=sum(p.fact_kind == kind for p in matching.correct),
            expected=sum(g.fact.fact_kind == kind for g in gold),
            found=sum(g.fact.fact_kind == kind for g, _ in matching.pairs),
            missed=sorted(g.fact.id for g in matching.missed if g.fact.fact_kind == kind),
            extra=sorted(p.id for p in matching.extra if p.fact_kind == kind),
        )
    return out


def verified_scores(matching: Matching, kinds: Sequence[str] = FACT_KINDS) -> dict[str, Rate]:
    """Per kind: of the facts the run marked verified, how many a gold fact matches (by key,
    gold's null service matching any: `score_verification` is the `id` scoring's)."""
    out = {kind: Rate() for kind in kinds}
    correct = {id(p) for p in matching.correct}
    for fact in (*matching.correct, *matching.extra):
        if fact.fact_kind in out and fact.verification.status == "verified":
            out[fact.fact_kind].total += 1
            out[fact.fact_kind].good += id(fact) in correct
    return out


def stated_fields(gold: FactBase) -> list[str]:
    """The VALUE_FIELDS gold states (a null in gold is "gold does not say")."""
    return [n for n in VALUE_FIELDS[gold.fact_kind] if getattr(gold, n, None) is not None]


def value_scores(matching: Matching, kinds: Sequence[str] = FACT_KINDS) -> dict[str, ValueScore]:
    """Per kind: of the matched facts whose gold states a value field, how many have every
    stated field exactly as gold (numbers as numbers, whitespace collapsed)."""
    out = {kind: ValueScore() for kind in kinds}
    for g, p in matching.pairs:
        score = out.get(g.fact.fact_kind)
        names = stated_fields(g.fact)
        if score is None or not names:
            continue
        bad = [
            ValueMismatch(g.fact.id, n, getattr(g.fact, n), getattr(p, n, None))
            for n in names
            if not same_value(getattr(g.fact, n), getattr(p, n, None))
        ]
        score.total += 1
        score.good += not bad
        score.mismatches.extend(bad)
    return out


@dataclass
class Recall:
    expected: int = 0
    found: int = 0

    @property
    def rate(self) -> float | None:
        return self.found / self.expected if self.expected else None


def where_recall(matching: Matching, gold: Sequence[GoldFact]) -> dict[str, Recall]:
    """Recall per `where` of the gold evidence (`unknown` for gold without it)."""
    found = {id(g) for g, _ in matching.pairs}
    out: dict[str, Recall] = {}
    for g in gold:
        r = out.setdefault(g.where or "unknown", Recall())
        r.expected += 1
        r.found += id(g) in found
    return {w: out[w] for w in [*WHERE, "unknown"] if w in out}


# ---------------------------------------------------------------- the extraction plan


@dataclass(frozen=True)
class PlannedExcerpt:
    """One excerpt a model would be asked about for `kind` (from OUT/plan.json)."""

    kind: str
    path: str
    start_line: int
    end_line: int
    prompt_tokens: int = 0


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _excerpt(entry: Mapping[str, Any], kind: str | None) -> PlannedExcerpt | None:
    path, start, end = entry.get("path"), _int(entry.get("start_line")), _int(entry.get("end_line"))
    k = entry.get("kind", kind)
    if not isinstance(path, str) or start is None or end is None or not isinstance(k, str):
        return None
    tokens = _int(entry.get("prompt_tokens")) or _int(entry.get("tokens")) or 0
    return PlannedExcerpt(k, path, start, end, tokens)


def _walk(node: object, kind: str | None, out: list[PlannedExcerpt]) -> None:
    """Every object with kind/path/start_line/end_line, the kind inherited from a parent
    (plan.json's exact nesting is another module's choice: read it defensively)."""
    if isinstance(node, list):
        for item in node:
            _walk(item, kind, out)
        return
    if not isinstance(node, dict):
        return
    own = node.get("kind")
    here = own if isinstance(own, str) and own in FACT_KINDS else kind
    found = _excerpt(node, here)
    if found is not None:
        out.append(found)
    for key, value in node.items():
        if isinstance(value, list | dict):
            _walk(value, key if key in FACT_KINDS else here, out)


def load_plan(out_dir: Path) -> list[PlannedExcerpt] | None:
    """The excerpts of OUT/plan.json (docs/plan-json.md), or None when there is no usable
    plan (absent, unreadable): reachable recall is then n/a. A plan with no requests (a
    provider that asks about nothing) is an empty list."""
    path = out_dir / "plan.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found: list[PlannedExcerpt] = []
    # docs/plan-json.md: {"format": 1, "requests": [{kind, path, start_line, end_line,
    # prompt_tokens, ...}], ...}; any other shape is searched for such objects.
    requests = raw.get("requests") if isinstance(raw, dict) else None
    _walk(requests if isinstance(requests, list) else raw, None, found)
    return found


def reachable_recall(
    matching: Matching,
    gold: Sequence[GoldFact],
    plan: Sequence[PlannedExcerpt] | None,
    kinds: Sequence[str] = FACT_KINDS,
) -> dict[str, Recall] | None:
    """Per kind: gold facts found statically, or whose evidence line (the first line of its first
    citation) lies inside an excerpt planned for that kind. None without a plan."""
    if plan is None:
        return None
    found = {id(g) for g, _ in matching.pairs}
    out = {kind: Recall() for kind in kinds}
    for g in gold:
        r = out.get(g.fact.fact_kind)
        if r is None:
            continue
        r.expected += 1
        cite = g.fact.citations[0]
        shown = any(
            e.kind == g.fact.fact_kind
            and e.path == cite.path
            and e.start_line <= cite.start_line <= e.end_line
            for e in plan
        )
        r.found += id(g) in found or shown
    return out
