"""Index throughput: the raw embedder against the project's index path, fp32 and int8, in one run.

    export DDD_LLM_ONNX_DIR=../shared/models/all-MiniLM-L6-v2/onnx
    .venv/bin/python -m benchmarks.index_throughput                 # throughput and quality
    .venv/bin/python -m benchmarks.index_throughput --no-quality    # throughput only

Corpus: the chunks `extract` would index from evals/real/*/repo and fixtures/* (what the
model may be shown). Every variant uses the same threads (DDD_LLM_EMBED_THREADS, default:
the usable cores) and the same batch size (ddd_llm/index/embed.py EMBED_BATCH), except that
the index embeds with int8 one text per pass (ddd_llm/index/quantize.py INT8_BATCH):

- chromadb EF: chromadb's own ONNXMiniLM_L6_V2 (every text padded to 256 tokens), the
  function the index used before, for reference;
- raw fp32 / raw int8: the embedder alone (`Embedder.raw`: tokenise each batch, run the
  session, pool), texts in corpus order, nothing stored;
- index fp32 / index int8: `ChunkIndex.sync` into a fresh chroma folder (texts of similar
  length batched together, int8 one at a time, repeats embedded once, vectors written 512
  chunks at a time);
- re-run: `sync` again on the unchanged index (nothing to embed).

Variants run interleaved on slices of `--slice` chunks (who goes first rotates), so load from
elsewhere on the machine falls on all of them alike; wall-clock rates over the whole corpus,
and rates per CPU second of this process (work done, whatever else runs) beside them.

Quality (fp32 vs int8): QA citation recall of `ask --llm none` over the fixtures' and real
repositories' question files, and the real repositories' reachable recall
(benchmarks/real_repos.py's dry run, --max-chunks 4).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ddd_llm.chunk.chunker import Chunk, chunk_file
from ddd_llm.index.embed import EMBED_BATCH, Embedder, embed_threads
from ddd_llm.index.quantize import INT8_BATCH
from ddd_llm.index.store import ChunkIndex, find_onnx_dir, load_embedder, persistent_client
from ddd_llm.scan.scanner import scan

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "evals" / "real"


def corpus() -> list[Chunk]:
    repos = sorted(REAL.glob("*/repo")) + sorted(p for p in (ROOT / "fixtures").iterdir())
    chunks: list[Chunk] = []
    for repo in repos:
        if not repo.is_dir():
            continue
        scanned = scan(repo)
        for f in scanned.files:
            if scanned.shown(f.path):
                chunks.extend(chunk_file(f"{repo.parent.name}/{repo.name}/{f.path}", f.text))
    return chunks


def chromadb_function(threads: int) -> Callable[[list[str]], Any]:
    """chromadb's ONNXMiniLM_L6_V2 on the same model folder, capped at `threads`."""
    from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

    found = find_onnx_dir()
    assert found is not None
    home = found.parent

    class Local(ONNXMiniLM_L6_V2):
        DOWNLOAD_PATH = home

    function = Local(preferred_providers=["CPUExecutionProvider"])
    ort = function.ort

    class Capped:
        def __getattr__(self, name: str) -> Any:
            return getattr(ort, name)

        def SessionOptions(self) -> Any:  # noqa: N802 - onnxruntime's name
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            return options

    function.ort = Capped()  # type: ignore[assignment]
    function(["warm-up"])
    return function


class Synced:
    """The index path: each call syncs its chunks into a new collection of one chroma folder."""

    def __init__(self, embedder: Embedder, folder: Path) -> None:
        self._embedder = embedder
        self._client = persistent_client(folder)
        self._n = 0

    def __call__(self, chunks: list[Chunk]) -> None:
        self._n += 1
        ChunkIndex(self._client, f"bench-{self._n}", self._embedder).sync(chunks)


def throughput(chunks: list[Chunk], slice_size: int, models: list[str]) -> dict[str, float]:
    """Every variant on each slice of the corpus in turn (rotating who goes first), so load
    from elsewhere on the machine falls on all of them alike; rates over the whole corpus."""
    texts = [c.text for c in chunks]
    threads = embed_threads()
    embedders = {m: load_embedder(m) for m in models}
    tmp = tempfile.TemporaryDirectory()
    chroma_ef = chromadb_function(threads)
    variants: dict[str, Callable[[list[Chunk]], Any]] = {
        "chromadb EF fp32": lambda cs: chroma_ef([c.text for c in cs])
    }
    for m, e in embedders.items():
        variants[f"raw {m}"] = _raw(e)
        variants[f"index {m}"] = Synced(e, Path(tmp.name) / m)
    wall = dict.fromkeys(variants, 0.0)
    cpu = dict.fromkeys(variants, 0.0)
    names = list(variants)
    slices = [chunks[i : i + slice_size] for i in range(0, len(chunks), slice_size)]
    for n, part in enumerate(slices):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            started, started_cpu = time.perf_counter(), time.process_time()
            variants[name](part)
            wall[name] += time.perf_counter() - started
            cpu[name] += time.process_time() - started_cpu
    # The unchanged re-run: every chunk already in the index.
    index = ChunkIndex(persistent_client(Path(tmp.name) / "rerun"), "chunks", embedders["fp32"])
    started = time.perf_counter()
    index.sync(chunks)
    first = time.perf_counter() - started
    started = time.perf_counter()
    assert index.sync(chunks).embedded == 0
    rerun = time.perf_counter() - started
    tmp.cleanup()
    rates = {name: len(texts) / seconds for name, seconds in wall.items()}
    cpu_rates = {name: len(texts) / seconds for name, seconds in cpu.items()}
    print(
        f"\n{len(texts)} chunks ({len(set(texts))} distinct) in {len(slices)} slices, "
        f"threads {threads}, batch {EMBED_BATCH} (index int8: {INT8_BATCH}), "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )
    print(f"  {'variant':18} {'chunks/s':>9} {'(CPU s)':>9} {'wall s':>8} {'CPU s':>8}")
    for name in names:
        print(
            f"  {name:18} {rates[name]:9.1f} {cpu_rates[name]:9.1f} "
            f"{wall[name]:8.1f} {cpu[name]:8.1f}"
        )
    print("ratios (one run; wall clock, and per CPU second in brackets):")

    def ratio(label: str, a: str, b: str, target: str = "") -> None:
        print(
            f"  {label:32} {rates[a] / rates[b]:5.2f} ({cpu_rates[a] / cpu_rates[b]:5.2f})"
            f"{'  target ' + target if target else ''}"
        )

    ratio("index fp32 / raw fp32", "index fp32", "raw fp32", ">= 0.9")
    if "index int8" in rates:
        ratio("raw int8 / raw fp32", "raw int8", "raw fp32")
        ratio("index int8 / raw fp32", "index int8", "raw fp32", ">= 1.8")
        ratio("index int8 / raw int8", "index int8", "raw int8")
    ratio("raw fp32 / chromadb EF", "raw fp32", "chromadb EF fp32")
    print(
        f"  {'unchanged re-run / first sync':32} {rerun / first:5.3f}  "
        f"({rerun:.3f}s vs {first:.2f}s; target < 0.05)"
    )
    return rates


def _raw(embedder: Embedder) -> Callable[[list[Chunk]], Any]:
    return lambda cs: embedder.raw([c.text for c in cs], EMBED_BATCH)


def quality(models: list[str]) -> None:
    """QA citation recall (ask --llm none) and reachable recall, per embedding model."""
    from benchmarks.real_repos import KINDS as kinds
    from ddd_llm.config import ExtractOptions
    from ddd_llm.evals.facts_score import load_gold
    from ddd_llm.evals.harness import plan_excerpts
    from ddd_llm.evals.qa_score import load_questions, merge_reports, run_questions
    from ddd_llm.evals.real_score import match_facts, reachable_recall
    from ddd_llm.pipeline import extract

    qa_cases: list[tuple[Path, Path]] = [
        (ROOT / "fixtures" / q.stem, q)
        for q in sorted((ROOT / "evals" / "questions").glob("*.yaml"))
        if not q.name.endswith(".answers.yaml") and (ROOT / "fixtures" / q.stem).is_dir()
    ]
    qa_cases += [
        (case / "repo", case / "questions.yaml")
        for case in sorted(REAL.iterdir())
        if (case / "questions.yaml").is_file() and (case / "repo").is_dir()
    ]
    real = sorted(
        c for c in REAL.iterdir() if (c / "gold.json").is_file() and (c / "repo").is_dir()
    )
    print("\nquality (fp32 vs int8):")
    results: dict[str, tuple[float, int, int, float, int, int]] = {}
    answers: dict[str, dict[str, tuple[int, list[str]]]] = {}  # question -> model -> covered
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        statics = {
            case.name: list(
                extract(
                    case / "repo",
                    ExtractOptions(
                        out_dir=work / "static" / case.name, llm="none", index=False, prose=False
                    ),
                ).document.facts
            )
            for case in real
        }
        for m in models:
            reports = []
            for repo, questions in qa_cases:
                options = ExtractOptions(
                    out_dir=work / m / "qa" / repo.parent.name / repo.name, embed_model=m
                )
                report = run_questions(repo, load_questions(questions), options)
                reports.append(report)
                for r in report.results:
                    where = f"{repo.parent.name}/{repo.name} {r.id}"
                    answers.setdefault(where, {})[m] = (sum(r.covered), r.cited)
            totals = merge_reports(reports).totals
            found = expected = 0
            for case in real:
                gold = load_gold(case / "gold.json")
                plan = plan_excerpts(
                    case / "repo",
                    ExtractOptions(
                        out_dir=work / m / "plan" / case.name,
                        llm="none",
                        kinds=kinds,
                        max_chunks_per_kind=4,
                        prose=False,
                        embed_model=m,
                    ),
                )
                reach = reachable_recall(match_facts(statics[case.name], gold), gold, plan, kinds)
                assert reach is not None, f"{case.name}: the dry run failed"
                found += sum(r.found for r in reach.values())
                expected += sum(r.expected for r in reach.values())
            results[m] = (
                totals.citation_recall,
                totals.covered,
                totals.expected,
                found / expected if expected else 0.0,
                found,
                expected,
            )
    print(f"  {'model':6} {'QA citation recall':>24} {'reachable recall':>22}")
    for m, (qa, covered, qa_expected, share, found, expected) in results.items():
        print(
            f"  {m:6} {qa * 100:8.1f}% ({covered:3d}/{qa_expected:3d})      "
            f"{share * 100:8.1f}% ({found:3d}/{expected:3d})"
        )
    if len(results) == 2:
        for where, by_model in answers.items():
            (n32, cited32), (n8, cited8) = by_model["fp32"], by_model["int8"]
            if n32 != n8:
                print(f"  {where}: expected items cited fp32 {n32}, int8 {n8}")
                print(f"    fp32 cited {', '.join(cited32) or '-'}")
                print(f"    int8 cited {', '.join(cited8) or '-'}")
        d_qa = (results["int8"][0] - results["fp32"][0]) * 100
        d_reach = (results["int8"][3] - results["fp32"][3]) * 100
        ok = d_qa >= -1 and d_reach >= -1
        print(
            f"  int8 - fp32: QA {d_qa:+.1f} points, reachable {d_reach:+.1f} points "
            f"({'keeps' if ok else 'loses'} retrieval quality; allowed: -1 point each)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slice", type=int, default=64, help="chunks per interleaved step")
    parser.add_argument(
        "--limit", type=int, default=400, help="chunks of the corpus used (0: all of them)"
    )
    parser.add_argument("--no-int8", action="store_true", help="fp32 only")
    parser.add_argument("--no-quality", action="store_true", help="throughput only")
    parser.add_argument("--no-throughput", action="store_true", help="quality only")
    args = parser.parse_args()
    models = ["fp32"] if args.no_int8 else ["fp32", "int8"]
    if not args.no_throughput:
        chunks = corpus()
        throughput(chunks[: args.limit] if args.limit else chunks, args.slice, models)
    if not args.no_quality:
        quality(models)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
