"""Planted-error benchmark: realistic wrong claims (tests/plants.py) through the real pipeline.

Per repository (the fixtures and every evals/real/ repository with gold), a scripted model
answers each request with the gold facts of its excerpt, a few of them replaced by planted
errors drawn with a new seed each run. Prints, per category: planted / caught (contradicted
or rejected) / left unverified / wrongly verified / lost; and correct claims kept verified.

    .venv/bin/python benchmarks/planted_errors.py [--seed N] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ddd_llm.pipeline import extract  # noqa: E402
from tests.plants import CATEGORIES, judge, kept, options, plant_cassettes  # noqa: E402


def cases() -> list[tuple[str, Path, Path]]:
    out = [
        (name, ROOT / "fixtures" / name, ROOT / "evals" / "gold" / f"{name}.json")
        for name in ("compose-shop", "k8s-payments", "vm-telemetry")
    ]
    for gold in sorted((ROOT / "evals" / "real").glob("*/gold.json")):
        out.append((gold.parent.name, gold.parent / "repo", gold))
    return out


def run(
    seed: int, only: set[str] | None = None
) -> tuple[dict[str, Counter[str]], int, int, list[str]]:
    outcomes: dict[str, Counter[str]] = {c: Counter() for c in CATEGORIES}
    correct = stayed = 0
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, repo, gold in cases():
            if only and name not in only:
                continue
            work = Path(tmp) / name
            planted = plant_cassettes(repo, gold, work / "cassettes", work, seed)
            doc = extract(repo, options(work / "cassettes", work)).document
            facts, rejected = list(doc.facts), list(doc.rejected)
            failed = {f.location for f in doc.run.failures}
            for plant in planted.plants:
                verdict = judge(plant, facts, rejected, failed)  # type: ignore[arg-type]
                outcomes[plant.category][verdict] += 1
                if verdict != "caught":
                    where = f"{plant.kind}:{plant.service}:{plant.key}"
                    notes.append(f"{name}: {plant.category} {where} -> {verdict}")
            for c in planted.correct:
                if c.location in failed:
                    continue  # its request was refused whole because of a plant beside it
                correct += 1
                if kept(c, facts):  # type: ignore[arg-type]
                    stayed += 1
                else:
                    notes.append(f"{name}: correct {c.kind}:{c.service}:{c.key} not verified")
    return outcomes, correct, stayed, notes


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--notes", action="store_true", help="list every miss")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    outcomes, correct, stayed, notes = run(seed, set(args.only) if args.only else None)
    print(f"seed {seed}")
    print(f"{'category':22} planted caught refused unverified verified lost")
    for cat, counts in outcomes.items():
        total = sum(counts.values())
        print(
            f"{cat:22} {total:7} {counts['caught']:6} {counts['refused']:7} "
            f"{counts['unverified']:10} {counts['verified']:8} {counts['lost']:4}"
        )
    print(f"correct claims {correct}, kept verified {stayed} ({stayed / max(correct, 1):.3f})")
    if args.notes:
        print("\n".join(notes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
