"""Nightly batch runs on the synthetic organisation: the unchanged second run against the first,
and `--jobs 4` against `--jobs 1`, each a ratio of wall times measured in this one run.

Every run is a real `ddd-llm extract --repos-dir` process (interpreter start included, as
cron would start it), with the replay provider and the chunk index on.

Run (with DDD_LLM_ONNX_DIR set as the Makefile does):
`.venv/bin/python -m benchmarks.nightly_runs [N]` (N repositories, default 50)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.synth_org import generate, record_cassettes
from ddd_llm.config import ExtractOptions


def nightly(org: Path, out: Path, cassettes: Path, cache: Path, jobs: int) -> float:
    """Wall seconds of one batch run; fails loudly if any repository failed."""
    command = [
        sys.executable, "-c", "from ddd_llm.cli.app import main; main()", "extract",
        "--repos-dir", str(org), "--out", str(out), "--llm", "replay",
        "--cassettes", str(cassettes), "--cache-dir", str(cache), "--jobs", str(jobs), "-q",
        "--no-prose",  # the synthetic cassettes answer extraction requests only
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"batch run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    print(f"    {done.stdout.strip()}")
    return seconds


def statuses(out: Path) -> dict[str, int]:
    totals: dict[str, int] = json.loads((out / "summary.json").read_text())["totals"]
    return totals


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repos = generate(root / "org", n)
        cassettes = root / "cassettes"
        # Recorded with the options the runs use (index on), so every request has its answer.
        recorded = record_cassettes(repos, cassettes, ExtractOptions(index=True))
        print(f"synthetic organisation: {n} repositories, {recorded} recorded answers")

        print("jobs 1, first night:")
        first = nightly(root / "org", root / "out1", cassettes, root / "cache1", jobs=1)
        print("jobs 1, second night (nothing changed):")
        second = nightly(root / "org", root / "out1", cassettes, root / "cache1", jobs=1)
        assert statuses(root / "out1")["unchanged"] == n
        print("jobs 4, first night:")
        parallel = nightly(root / "org", root / "out4", cassettes, root / "cache4", jobs=4)
        assert statuses(root / "out4")["extracted"] == n

    print()
    print(f"first run --jobs 1:        {first:7.2f} s")
    print(f"second run, unchanged:     {second:7.2f} s")
    print(f"first run --jobs 4:        {parallel:7.2f} s")
    print(f"second / first:            {second / first:7.1%}   (target < 5%)")
    print(f"--jobs 4 / --jobs 1:       {parallel / first:7.2f}   (speed-up {first / parallel:.2f})")


if __name__ == "__main__":
    main()
