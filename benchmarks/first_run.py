"""First and unchanged runs of `ddd-llm extract --llm none` on one large repository.

Runs, each in a child process whose wall time and peak resident set size (`wait4`) are
measured, in one go so the ratios compare like with like on a shared machine:

1. the default (a process pool from 500 files, every usable CPU): the first run;
2. the same command again, --reruns times (default 3): unchanged re-runs (the last run's
   facts.json is kept; since issue #18 the entry point answers them from stats alone,
   ddd_llm/cli/__main__.py);
3. `--workers 1`: scan, chunking and analyzers in one process (unless --skip-serial);
4. with `--index-too`: 1 and 2 again with the index on (embedding as the index decides).

Also the chunks the index would hold with and without the exclusions (vendored,
generated, lock, minified, license), and how many files each category excluded.

    python -m benchmarks.first_run REPO [--index-too] [--skip-serial] [--reruns K]
    python -m benchmarks.first_run --synthetic 20000        # benchmarks.large_repo_rss's repo
    python -m benchmarks.first_run --chunks-only evals/real/*/repo /tmp/redis
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ddd_llm.chunk.chunker import chunk_files
from ddd_llm.scan.scanner import scan

GIB = 1024**3


@dataclass
class Run:
    label: str
    wall: float
    peak: int
    """Bytes: the largest resident set of the extract process (wait4's ru_maxrss)."""
    chunks: int | None
    lines: list[str]


def extract(repo: Path, out: Path, label: str, *extra: str) -> Run:
    command = [sys.executable, "-m", "ddd_llm.cli.app", "extract", str(repo), "--out", str(out)]
    command += ["--llm", "none", *extra]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as stderr:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        said = stderr.read().decode("utf-8", "replace")
    if child.returncode != 0:
        print(said[-3000:])
        raise SystemExit(f"{label}: extract failed with exit code {child.returncode}")
    facts = out / "facts.json"
    chunks = None
    if facts.is_file():
        chunks = json.loads(facts.read_text(encoding="utf-8"))["run"]["index"]["chunks"]
    keep = ("scanned", "chunked", "index:", "inputs unchanged", "files not shown")
    lines = [line.strip() for line in said.splitlines() if line.strip().startswith(keep)]
    return Run(label, wall, usage.ru_maxrss * 1024, chunks, lines)


def chunk_counts(repo: Path) -> tuple[int, int, int, Counter[str]]:
    """(files scanned, chunks of every one, chunks of the files shown, excluded by category)."""
    scanned = scan(repo)
    every = [(f.path, f.text) for f in scanned.files]
    shown = [(f.path, f.text) for f in scanned.files if scanned.shown(f.path)]
    excluded = Counter(
        scanned.verdict(f.path).category.value for f in scanned.files if not scanned.shown(f.path)
    )
    return len(every), len(chunk_files(every)), len(chunk_files(shown)), excluded


def print_counts(repos: list[Path]) -> None:
    print(f"{'repository':32} {'files':>6} {'chunks (all)':>13} {'chunks (shown)':>15}  excluded")
    for repo in repos:
        files, all_chunks, shown, excluded = chunk_counts(repo)
        name = repo.parent.name if repo.name == "repo" else repo.name
        cut = 100 * (all_chunks - shown) / all_chunks if all_chunks else 0.0
        what = ", ".join(f"{n} {c}" for c, n in excluded.most_common()) or "-"
        print(f"{name:32} {files:6} {all_chunks:13} {shown:15}  -{cut:.0f}%: {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="*", type=Path)
    parser.add_argument("--synthetic", type=int, metavar="FILES", help="generate the repository")
    parser.add_argument("--keep", type=Path, help="--synthetic: generate it here and keep it")
    parser.add_argument("--index-too", action="store_true", help="also run with the index on")
    parser.add_argument("--chunks-only", action="store_true", help="only count chunks")
    parser.add_argument("--skip-serial", action="store_true", help="no --workers 1 run")
    parser.add_argument(
        "--reruns", type=int, default=3, metavar="K", help="unchanged re-runs measured (3)"
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ddd-llm-first-run-"))
    try:
        repos = list(args.repos)
        if args.synthetic:
            from benchmarks.large_repo_rss import generate

            repo = args.keep or tmp / "synthetic"
            if not repo.exists():
                generate(repo, args.synthetic)
            repos.append(repo)
        if not repos:
            parser.error("name a repository or pass --synthetic N")
        print_counts(repos)
        if args.chunks_only:
            return
        for repo in repos:
            measure(repo, tmp, args.index_too, serial=not args.skip_serial, reruns=args.reruns)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure(
    repo: Path, tmp: Path, index_too: bool, *, serial: bool = True, reruns: int = 3
) -> None:
    print(f"\n{repo} ({os.cpu_count()} CPUs; --llm none)")
    variants = [("--no-index", ["--no-index"])]
    if index_too:
        variants.append(("index on", []))
    for name, flags in variants:
        out = tmp / f"out-{name.replace(' ', '-')}"
        first = extract(repo, out, "first run", *flags)
        agains = [extract(repo, out, "unchanged re-run", *flags) for _ in range(max(1, reruns))]
        again = sorted(agains, key=lambda r: r.wall)[len(agains) // 2]  # the median
        one = first
        if serial:
            one = extract(repo, tmp / f"serial-{name.replace(' ', '-')}", "one process",
                          "--workers", "1", *flags)  # fmt: skip
        for run in (one, first, *agains) if serial else (first, *agains):
            print(
                f"  {name:10} {run.label:17} wall {run.wall:7.2f} s  peak RSS "
                f"{run.peak / 1024**2:6.0f} MiB  chunks {run.chunks}"
            )
            for line in run.lines:
                print(f"      {line}")
        worst = max(r.wall for r in agains)
        print(
            f"  {name}: first run / one process = {first.wall / one.wall:.2f}; "
            f"re-run / first run = {again.wall / first.wall:.3f} (median of {len(agains)}; "
            f"slowest {worst / first.wall:.3f}; target < 0.05); "
            f"peak RSS {'under' if max(one.peak, first.peak) < GIB else 'OVER'} 1 GiB"
        )


if __name__ == "__main__":
    main()
