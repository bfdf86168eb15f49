"""Model runs embed only what retrieval ranks (issue #18): the BM25 shortlist against the
whole index, side by side in one run.

1. Real repositories (evals/real/*, the dry run `benchmarks.real_repos` makes): per
   shortlist size (None = embed and search every chunk, as runs did before), the chunks
   embedded, the dry run's wall time, and per kind the gold facts whose evidence line lies
   in a planned excerpt ("in excerpts") and reachable recall (that, or found statically).
2. `--agreement REPO --index DIR`: a large repository whose index already holds every chunk
   (after its first `ask`): per retrieval query, how many of the whole index's top-k the
   shortlist's top-k keeps, and how many chunks the shortlists embed in all.

    export DDD_LLM_ONNX_DIR=/work/shared/models/all-MiniLM-L6-v2/onnx
    python -m benchmarks.lazy_retrieval alertmanager meilisearch --sizes none,100,25
    python -m benchmarks.lazy_retrieval --agreement /tmp/redis --index /tmp/redis/.ddd/index
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import ddd_llm.index.store as store
from ddd_llm.chunk.chunker import chunk_files
from ddd_llm.config import ExtractOptions
from ddd_llm.evals.facts_score import load_gold
from ddd_llm.evals.harness import plan_excerpts
from ddd_llm.evals.real_score import match_facts, reachable_recall
from ddd_llm.index.store import ChunkIndex, LazyEmbedder, load_embedder, persistent_client
from ddd_llm.llm.prompting import retrieval_queries
from ddd_llm.pipeline import extract
from ddd_llm.scan.scanner import scan

REAL = Path(__file__).resolve().parent.parent / "evals" / "real"
DEFAULT = store.SHORTLIST
KINDS = ("config_parameter", "health_check", "resource_requirement", "dependency")


def _size(text: str) -> int | None:
    return None if text.lower() == "none" else int(text)


def _rate(found: int, expected: int) -> str:
    return f"{100 * found / expected:5.1f}% {found}/{expected}" if expected else "    n/a"


def real_repo(name: str, sizes: list[int | None], max_chunks: int) -> None:
    case = REAL / name
    repo = case / "repo"
    gold = [g for g in load_gold(case / "gold.json") if g.fact.fact_kind in KINDS]
    with tempfile.TemporaryDirectory() as tmp:
        static = extract(
            repo, ExtractOptions(out_dir=Path(tmp) / "static", llm="none", index=False)
        )
        matching = match_facts(list(static.document.facts), gold)
        nothing = match_facts([], gold)
        print(f"\n## {name} ({len(gold)} gold facts of {', '.join(KINDS)})")
        for size in sizes:
            store.SHORTLIST = size
            out = Path(tmp) / f"plan-{size}"
            started = time.perf_counter()
            plan = plan_excerpts(
                repo,
                ExtractOptions(
                    out_dir=out,
                    index_dir=out / "index",
                    llm="none",
                    kinds=KINDS,  # type: ignore[arg-type]
                    max_chunks_per_kind=max_chunks,
                    prose=False,
                ),
            )
            wall = time.perf_counter() - started
            index = ChunkIndex(persistent_client(out / "index"), "chunks", None)
            embedded = len(index.existing_ids())
            shown = reachable_recall(nothing, gold, plan, KINDS)
            reach = reachable_recall(matching, gold, plan, KINDS)
            assert shown is not None and reach is not None, "the dry run failed"
            print(
                f"  shortlist {size!s:>4}: {embedded:5d} chunks embedded, dry run {wall:5.1f} s, "
                f"{len(plan or [])} excerpts"
            )
            for kind in KINDS:
                s, r = shown[kind], reach[kind]
                print(
                    f"    {kind:22} in excerpts {_rate(s.found, s.expected):>13}  "
                    f"reachable {_rate(r.found, r.expected):>13}"
                )
    store.SHORTLIST = DEFAULT


def agreement(repo: Path, index_dir: Path, sizes: list[int], top_k: int) -> None:
    """How much of the whole index's top-k the shortlist keeps, per query."""
    scanned = scan(repo)
    chunks = chunk_files(
        [(f.path, f.text) for f in scanned.files if scanned.shown(f.path)],
        last=lambda path: scanned.verdict(path).last,
    )
    index = ChunkIndex(
        persistent_client(index_dir), "chunks", LazyEmbedder(lambda: load_embedder(), "fp32")
    )
    held = index.coverage(chunks)
    print(f"\n{repo}: {len(chunks)} chunks, {held} held by {index_dir}")
    if held < len(chunks):
        print("  the index must hold every chunk (run `ddd-llm ask` once first)")
        return
    queries = [q for kind in retrieval_queries().values() for q in kind]
    index.shortlist = None
    full = index.nearest(queries, chunks, top_k)
    for size in sizes:
        index.shortlist = size
        lexical = index._lexicon(chunks)
        shortlisted = {i for q in queries for i, _s in lexical.rank(q, limit=size)}
        short = index.nearest(queries, chunks, top_k)
        kept = [
            len({(h.path, h.start_line) for h in s} & {(h.path, h.start_line) for h in f})
            for s, f in zip(short, full, strict=True)
        ]
        total = sum(len(f) for f in full)
        print(
            f"  shortlist {size:4}: {len(shortlisted):5d} chunks to embed for "
            f"{len(queries)} queries ({100 * len(shortlisted) / len(chunks):.1f}%); "
            f"top-{top_k} kept {sum(kept)}/{total} ({100 * sum(kept) / total:.1f}%), "
            f"per query {kept}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["alertmanager", "meilisearch"])
    parser.add_argument("--sizes", default="none,100,25", help="shortlist sizes (none: all)")
    parser.add_argument("--max-chunks", type=int, default=4)
    parser.add_argument("--agreement", type=Path, metavar="REPO")
    parser.add_argument("--index", type=Path, metavar="DIR")
    parser.add_argument("--top-k", type=int, default=ExtractOptions().top_k)
    args = parser.parse_args()
    sizes = [_size(s) for s in args.sizes.split(",")]
    if args.agreement:
        if args.index is None:
            parser.error("--agreement needs --index DIR")
        agreement(args.agreement, args.index, [s for s in sizes if s is not None], args.top_k)
        return
    for name in args.names:
        real_repo(name, sizes, args.max_chunks)


if __name__ == "__main__":
    main()
