"""Planted model errors that a capable model really makes (tests/plants.py), drawn anew every
run: each must end contradicted or rejected, and the correct claims beside them must end
`verified` — "not verified" is not caught, and "not contradicted" is not kept.

A verifier that marks everything unverified fails the first assertion; one that contradicts
everything fails the second. The fixtures run here; `benchmarks/planted_errors.py` runs the
same on every evals/real/ repository too. The seed is printed (`DDD_LLM_PLANT_SEED` replays).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path

import pytest

from ddd_llm.pipeline import extract
from tests.conftest import REPO
from tests.plants import CATEGORIES, judge, kept, options, plant_cassettes

FIXTURES = ("compose-shop", "k8s-payments", "vm-telemetry")
CAUGHT = ("caught", "refused")
"""`refused`: the response schema refused the answer (min above max), recorded as a failure."""


@pytest.mark.slow
def test_planted_errors_are_refuted_and_correct_claims_stay_verified(tmp_path: Path) -> None:
    fixed = os.environ.get("DDD_LLM_PLANT_SEED")
    seed = int(fixed) if fixed else random.SystemRandom().randrange(1 << 30)
    outcomes: dict[str, Counter[str]] = {c: Counter() for c in CATEGORIES}
    correct = stayed = 0
    misses: list[str] = []
    for name in FIXTURES:
        repo = REPO / "fixtures" / name
        work = tmp_path / name
        planted = plant_cassettes(
            repo, REPO / "evals" / "gold" / f"{name}.json", work / "cassettes", work, seed
        )
        doc = extract(repo, options(work / "cassettes", work)).document
        facts, rejected = list(doc.facts), list(doc.rejected)
        failed = {f.location for f in doc.run.failures}
        for plant in planted.plants:
            verdict = judge(plant, facts, rejected, failed)  # type: ignore[arg-type]
            outcomes[plant.category][verdict] += 1
            if verdict not in CAUGHT:
                misses.append(f"{name} {plant.category} {plant.kind}:{plant.key} -> {verdict}")
        for claim in planted.correct:
            if claim.location in failed:
                continue
            correct += 1
            if kept(claim, facts):  # type: ignore[arg-type]
                stayed += 1
            else:
                misses.append(f"{name} correct {claim.kind}:{claim.service}:{claim.key}")
    print(f"\nseed {seed}")
    for category, counts in outcomes.items():
        print(f"  {category:20} {dict(counts)}")
    print(f"correct claims {correct}: {stayed} stayed verified")
    print("\n".join(misses))

    planted_total = sum(sum(c.values()) for c in outcomes.values())
    assert planted_total >= 40 and sum(1 for c in outcomes.values() if c) >= 6
    for category, counts in outcomes.items():
        total = sum(counts.values())
        if total:
            rate = sum(counts[v] for v in CAUGHT) / total
            assert rate >= 0.95, f"seed {seed}: {category} caught {rate:.2f}"
            assert counts["verified"] == 0, f"seed {seed}: a planted {category} was verified"
    assert correct >= 60
    assert stayed / correct >= 0.93, f"seed {seed}: {stayed}/{correct} correct claims verified"
