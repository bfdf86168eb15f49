"""Planted model errors: the verifier flags them, and leaves correct claims uncontradicted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ddd_llm.models import FactBase, FactsDocument
from ddd_llm.pipeline import extract
from tests.conftest import REPO
from tests.planted import Plant, plant_cassettes, replay_options

ROOT = REPO
FIXTURES = ("compose-shop", "k8s-payments", "vm-telemetry")


def matching(facts: list[FactBase], kind: str, key: str) -> list[FactBase]:
    return [f for f in facts if f.fact_kind == kind and f.key() == key]


def verified(facts: list[FactBase]) -> list[FactBase]:
    return [f for f in facts if f.verification.status == "verified"]


def flagged(plant: Plant, doc: FactsDocument) -> tuple[bool, str]:
    """Whether no verified fact carries the planted error and the error is on record."""
    facts: list[FactBase] = list(doc.facts)
    rejected: list[FactBase] = list(doc.rejected)
    ours = matching(facts, plant.kind, plant.key)
    theirs = matching(rejected, plant.kind, plant.key)
    failed_here = any(f.location == plant.label for f in doc.run.failures)

    def carries(f: FactBase) -> bool:
        if plant.type in ("wrong_min", "wrong_port") and plant.field != "value":
            return bool(getattr(f, str(plant.field)) == plant.value)
        if plant.type == "wrong_line":
            cited = {(c.path, c.start_line, c.end_line) for c in f.citations}
            assert plant.citation is not None
            return (
                plant.citation["path"],
                plant.citation["start_line"],
                plant.citation["end_line"],
            ) in cited
        return True

    bad = [f for f in verified(ours) if carries(f)]
    on_record = [f for f in [*ours, *theirs] if carries(f) and f.verification.status != "verified"]
    if bad:
        return False, f"verified: {bad[0].id} {bad[0].verification.checks}"
    if not (on_record or failed_here):
        return False, "the error left no trace (no unverified fact, rejection or failure)"
    how = on_record[0].verification.status if on_record else "failed validation"
    return True, how


@pytest.mark.slow
def test_planted_errors_are_flagged_and_correct_claims_are_not_contradicted(tmp_path: Path) -> None:
    rows: list[tuple[str, Plant, bool, str]] = []
    correct = contradicted = lost = 0
    for name in FIXTURES:
        work = tmp_path / name
        cassettes = work / "cassettes"
        planted = plant_cassettes(
            ROOT / "fixtures" / name, ROOT / "evals" / "gold" / f"{name}.json", cassettes, work
        )
        doc = extract(ROOT / "fixtures" / name, replay_options(cassettes, work)).document
        planted_keys = {(p.kind, p.key) for p in planted.plants}
        for plant in planted.plants:
            ok, how = flagged(plant, doc)
            rows.append((name, plant, ok, how))
        seen: set[tuple[str, str]] = set()
        for claim in planted.correct:
            pair = (claim["kind"], claim["key"])
            if pair in planted_keys or pair in seen:
                continue
            seen.add(pair)
            correct += 1
            found = matching(list(doc.facts), *pair) + matching(list(doc.rejected), *pair)
            if not found:
                lost += 1
            if any(f.verification.status == "contradicted" for f in found):
                contradicted += 1
                print(
                    "false alarm:",
                    pair,
                    [c.detail for f in found for c in f.verification.checks if not c.passed],
                )
    by_type: dict[str, list[bool]] = {}
    for name, plant, ok, how in rows:
        by_type.setdefault(plant.type, []).append(ok)
        if not ok:
            print(f"MISSED {name} {plant.type} {plant.kind}:{plant.key}: {how}")
    detected = sum(ok for *_, ok, _ in rows) / len(rows)
    not_contradicted = 1 - contradicted / correct
    print(f"\nplanted errors: {len(rows)}; detection rate {detected:.3f}")
    for kind, oks in sorted(by_type.items()):
        print(f"  {kind:22} {sum(oks)}/{len(oks)}")
    print(
        f"correct claims: {correct}; not contradicted {not_contradicted:.3f}"
        f" ({lost} lost to failures)"
    )
    summary: dict[str, Any] = {"how": sorted({how for *_, how in rows})}
    print(summary)
    assert len(rows) >= 20 and len(by_type) == 6, by_type
    assert detected >= 0.95
    assert not_contradicted >= 0.95
