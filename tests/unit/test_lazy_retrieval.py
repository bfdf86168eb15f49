"""A model run embeds only what retrieval ranks (issue #18): ChunkIndex.nearest embeds each
query's BM25 shortlist, ranks it by vector, and leaves every other chunk pending."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddd_llm.chunk.chunker import Chunk
from ddd_llm.errors import IndexUnavailable
from ddd_llm.extract.llm_extract import select_chunks
from ddd_llm.index.store import ChunkIndex, LazyEmbedder, load_embedder, persistent_client
from ddd_llm.llm.prompting import retrieval_queries
from ddd_llm.models import Diagnostic

HEALTH = [
    "healthcheck:\n  test: ['CMD', 'curl', '-f', 'http://localhost:8080/health']\n"
    "  interval: 10s\n  timeout: 5s\n  retries: 3",
    "livenessProbe:\n  httpGet:\n    path: /healthz\n    port: 8080\n"
    "readinessProbe:\n  httpGet:\n    path: /ready\n    port: 8080",
]
OTHER = [
    f"def render_page_{i}(title):\n    return '<h1>' + title + '</h1>'  # page {i} of the report"
    for i in range(40)
]


def corpus() -> list[Chunk]:
    texts = [*OTHER[:20], *HEALTH, *OTHER[20:]]
    return [Chunk(f"src/f{i}.py", 1, 3, t, "text", 30) for i, t in enumerate(texts)]


@pytest.fixture
def index(tmp_path: Path, onnx_dir: Path) -> ChunkIndex:
    return ChunkIndex(
        persistent_client(tmp_path / "index"),
        "chunks",
        LazyEmbedder(lambda: load_embedder("fp32"), "all-MiniLM-L6-v2/fp32"),
    )


def test_select_chunks_embeds_the_shortlist_only_and_still_finds_the_health_checks(
    index: ChunkIndex,
) -> None:
    chunks = corpus()
    assert index.defer(chunks).pending == len(chunks)
    index.shortlist = 4
    warnings: list[Diagnostic] = []
    picked = select_chunks("health_check", chunks, index, [], 2, 1500, warnings)
    assert warnings == []
    # The right thing kept: the two health-check chunks are the closest retrieval hits.
    retrieved = [c.text for c, source in picked if source == "retrieval"]
    assert set(retrieved[:2]) == set(HEALTH)
    # Only the queries' shortlists were embedded: at most 4 per query, the rest pending.
    queries = len(retrieval_queries()["health_check"])
    stored = index.existing_ids()
    assert 2 <= len(stored) <= 4 * queries < len(chunks)
    assert index.embedded == len(stored)
    assert {c.id for c in chunks if c.text in HEALTH} <= stored
    # ... and the wrong thing left out: most page renderers were never embedded.
    assert sum(c.id in stored for c in chunks if c.text in OTHER) <= 4 * queries - 2
    # The first ask embeds what is still pending, and nothing twice.
    assert index.sync(chunks).embedded == len(chunks) - len(stored)


def test_a_repository_within_the_shortlist_ranks_as_the_whole_index(index: ChunkIndex) -> None:
    chunks = corpus()
    queries = [q for qs in retrieval_queries().values() for q in qs]
    index.shortlist = len(chunks)
    short = index.nearest(queries, chunks, 3)
    assert index.embedded == len(chunks)
    index.shortlist = None  # chroma's search over everything, as runs did before
    whole = index.nearest(queries, chunks, 3)
    assert [[h.path for h in hits] for hits in short] == [[h.path for h in hits] for hits in whole]
    for a, b in zip(short, whole, strict=True):
        assert [h.distance for h in a] == pytest.approx([h.distance for h in b], abs=1e-4)
    # A shortlist that leaves chunks out ranks fewer candidates, never another repository's.
    index.shortlist = 3
    narrow = index.nearest(queries, chunks, 3)
    assert all(len(hits) <= 3 for hits in narrow)
    assert {h.path for hits in narrow for h in hits} <= {c.path for c in chunks}


def test_an_unusable_model_is_a_warning_and_static_chunks_remain(tmp_path: Path) -> None:
    def broken() -> LazyEmbedder:
        raise IndexUnavailable("no model here")

    index = ChunkIndex(persistent_client(tmp_path / "index"), "chunks", LazyEmbedder(broken, "x"))
    chunks = corpus()
    index.defer(chunks)
    warnings: list[Diagnostic] = []
    picked = select_chunks("health_check", chunks, index, [], 2, 1500, warnings)
    assert picked == [] and index.existing_ids() == set()
    assert len(warnings) == 1 and "no model here" in warnings[0].message
