"""Per fixture: facts per kind, precision/recall against gold, first vs second run time and embeds.

Run (with DDD_LLM_ONNX_DIR set as the Makefile does): `.venv/bin/python -m benchmarks.extract_runs`
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from ddd_llm.config import ExtractOptions
from ddd_llm.evals.facts_score import STATIC_KINDS, load_gold, score_facts
from ddd_llm.index.store import load_embedding_function
from ddd_llm.pipeline import extract

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
GOLD = ROOT / "evals" / "gold"


def main() -> None:
    load_embedding_function()  # model load is a one-off per process, not part of a run
    for gold in sorted(GOLD.glob("*.json")):
        fixture = FIXTURES / gold.stem
        with tempfile.TemporaryDirectory() as tmp:
            repo = Path(tmp) / fixture.name
            shutil.copytree(fixture, repo)
            out = Path(tmp) / "out"
            t0 = time.perf_counter()
            first = extract(repo, ExtractOptions(out_dir=out)).document
            t1 = time.perf_counter()
            second = extract(repo, ExtractOptions(out_dir=out)).document
            t2 = time.perf_counter()
        kinds = Counter(f.kind for f in first.facts)
        scores = score_facts(list(first.facts), load_gold(gold), STATIC_KINDS, {"static"})
        print(f"## {fixture.name}")
        print("facts per kind: " + ", ".join(f"{k}={kinds[k]}" for k in sorted(kinds)))
        for kind, s in scores.items():
            print(
                f"  {kind:22s} P={s.precision:.3f} R={s.recall:.3f} "
                f"(predicted {s.predicted}, gold-static {s.expected})"
            )
        print(
            f"first run {t1 - t0:.2f}s embedded {first.run.index.embedded}/{first.run.index.chunks}"
            f" · second run {t2 - t1:.2f}s embedded {second.run.index.embedded}"
            f" · ratio {(t2 - t1) / (t1 - t0):.2f}"
        )


if __name__ == "__main__":
    main()
