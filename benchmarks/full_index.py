"""The full index `ask` needs on one repository: what the index path costs now against what
embedding every chunk with chromadb's own function cost when issue #18 was filed, in one run.

Embedding the whole of a large repository takes minutes, so both sides are measured on
random samples of their own chunks, interleaved (load from elsewhere falls on both), and
scaled by their chunk counts:

- before: every chunk of every file scan reads (vendored `deps/`, tests and all), each
  embedded by chromadb's ONNXMiniLM_L6_V2 (padded to 256 tokens), as issue #18 measured;
- now: the chunks of the files shown (junk excluded), through `ChunkIndex.sync` (ddd-llm's
  own session, texts of similar length batched, repeats once, large chroma writes);
- now, tests on demand: the same without test and fixture chunks.

    python -m benchmarks.full_index /tmp/redis --sample 384                    # the default model
    python -m benchmarks.full_index /tmp/redis --sample 384 --embed-model fp32
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from benchmarks.index_throughput import chromadb_function
from ddd_llm.chunk.chunker import Chunk, chunk_files
from ddd_llm.config import ExtractOptions
from ddd_llm.index.embed import embed_threads
from ddd_llm.index.store import EMBED_MODELS, ChunkIndex, load_embedder, persistent_client
from ddd_llm.scan.scanner import scan


def chunk_sets(repo: Path) -> dict[str, list[Chunk]]:
    scanned = scan(repo)
    every = chunk_files([(f.path, f.text) for f in scanned.files])
    shown = chunk_files([(f.path, f.text) for f in scanned.files if scanned.shown(f.path)])
    own = [c for c in shown if not scanned.verdict(c.path).last]
    return {"before: every chunk": every, "now: shown": shown, "now: tests on demand": own}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--sample", type=int, default=384, help="chunks sampled per side")
    parser.add_argument("--slice", type=int, default=64, help="chunks per interleaved step")
    parser.add_argument(
        "--embed-model",
        choices=EMBED_MODELS,
        default=ExtractOptions().embed_model,
        help="the model the 'now' side embeds with (default: the index's default)",
    )
    args = parser.parse_args()
    sets = chunk_sets(args.repo)
    rng = random.Random(18)
    before = rng.sample(
        sets["before: every chunk"], min(args.sample, len(sets["before: every chunk"]))
    )
    now = rng.sample(sets["now: shown"], min(args.sample, len(sets["now: shown"])))
    chroma_ef = chromadb_function(embed_threads())
    embedder = load_embedder(args.embed_model)
    tmp = tempfile.TemporaryDirectory()
    client = persistent_client(Path(tmp.name))
    wall = {"before": 0.0, "now": 0.0}
    cpu = {"before": 0.0, "now": 0.0}
    for n, start in enumerate(range(0, args.sample, args.slice)):
        old_part = [c.text for c in before[start : start + args.slice]]
        new_part = now[start : start + args.slice]
        index = ChunkIndex(client, f"sample-{n}", embedder)
        for name in ("before", "now") if n % 2 == 0 else ("now", "before"):
            w, c = time.perf_counter(), time.process_time()
            if name == "before":
                chroma_ef(old_part)
            else:
                index.sync(new_part)
            wall[name] += time.perf_counter() - w
            cpu[name] += time.process_time() - c
    per_chunk = {k: wall[k] / len(before if k == "before" else now) for k in wall}
    per_cpu = {k: cpu[k] / len(before if k == "before" else now) for k in cpu}
    print(
        f"{args.repo}: {embed_threads()} threads, samples of {args.sample} chunks, "
        f"now: {args.embed_model}"
    )
    estimates = {}
    for label, chunks in sets.items():
        side = "before" if label.startswith("before") else "now"
        estimates[label] = len(chunks) * per_chunk[side]
        print(
            f"  {label:24} {len(chunks):6d} chunks × {1000 * per_chunk[side]:6.1f} ms "
            f"({1000 * per_cpu[side]:6.1f} CPU ms) = {estimates[label]:7.0f} s wall "
            f"({len(chunks) * per_cpu[side]:7.0f} CPU s)"
        )
    base = estimates["before: every chunk"]
    for label, value in estimates.items():
        if not label.startswith("before"):
            print(f"  {label} / before = {value / base:.2f} (target < 0.40)")
    tmp.cleanup()


if __name__ == "__main__":
    main()
