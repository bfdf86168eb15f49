"""ddd_llm.index.embed: chromadb's MiniLM vectors, each distinct text run once, padding-free."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ddd_llm.chunk.chunker import Chunk
from ddd_llm.errors import IndexUnavailable
from ddd_llm.index.embed import MAX_TOKENS, Embedder
from ddd_llm.index.store import (
    ChunkIndex,
    LazyEmbedder,
    collection_for,
    load_embedder,
    persistent_client,
)

TEXTS = [
    "postgres backup with pg_dump",
    "MAX_CONNECTIONS = int(os.getenv('MAX_CONNECTIONS', '20'))",
    "healthcheck:\n  test: ['CMD', 'curl', '-f', 'http://localhost:8080/health']\n  interval: 10s",
    "word " * 400,  # past 256 tokens: truncated as chromadb truncates
    "",
]


@pytest.fixture(scope="module")
def embedder(onnx_dir_module: Path) -> Embedder:
    return Embedder(onnx_dir_module / "model.onnx", onnx_dir_module / "tokenizer.json", "t/fp32")


@pytest.fixture(scope="module")
def onnx_dir_module() -> Path:
    from tests.conftest import ONNX_DIR

    if not ONNX_DIR.is_dir():
        pytest.skip(f"embedding model not found at {ONNX_DIR} (../shared missing)")
    return ONNX_DIR


def chromadb_vectors(onnx_dir: Path, texts: list[str]) -> Any:
    from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

    class Local(ONNXMiniLM_L6_V2):
        DOWNLOAD_PATH = onnx_dir.parent

    return np.array(Local(preferred_providers=["CPUExecutionProvider"])(texts))


def test_fp32_vectors_are_chromadbs(embedder: Embedder, onnx_dir_module: Path) -> None:
    ours = embedder.embed(TEXTS)
    theirs = chromadb_vectors(onnx_dir_module, TEXTS)
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    assert np.abs(ours - theirs).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # The texts are told apart: a vector per text, not one repeated.
    assert (ours @ ours.T)[0, 1] < 0.9
    assert embedder.raw(TEXTS, 2).shape == ours.shape
    assert np.abs(embedder.raw(TEXTS, 2) - theirs).max() < 1e-5


def test_identical_texts_are_embedded_once(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows: list[int] = []
    forward = embedder._forward

    def counting(token_ids: Any) -> Any:
        rows.append(len(token_ids))
        return forward(token_ids)

    monkeypatch.setattr(embedder, "_forward", counting)
    header = "Licensed under the Apache License, Version 2.0"
    vectors = embedder.embed([header, "port: 8080", header, header, "port: 8081"])
    assert sum(rows) == 3  # three distinct texts
    assert np.array_equal(vectors[0], vectors[2]) and np.array_equal(vectors[0], vectors[3])
    assert not np.allclose(vectors[1], vectors[4])  # distinct texts still get their own


def test_a_text_gets_the_same_vector_alone_or_beside_a_longer_one(embedder: Embedder) -> None:
    alone = embedder.embed(["redis: maxmemory 256mb"])[0]
    beside = embedder.embed(["redis: maxmemory 256mb", "long text " * MAX_TOKENS])[0]
    assert np.abs(alone - beside).max() < 1e-5


def chunks(n: int) -> list[Chunk]:
    return [Chunk(f"f{i}.md", 1, 1, f"text number {i}", "markdown", 3) for i in range(n)]


def test_defer_loads_no_model_and_sync_then_embeds(tmp_path: Path, embedder: Embedder) -> None:
    def broken() -> Any:
        raise IndexUnavailable("no model here")

    client = persistent_client(tmp_path)
    lazy = LazyEmbedder(broken, "t/fp32")
    index = ChunkIndex(client, "chunks", lazy)
    stats = index.defer(chunks(5))
    assert (stats.chunks, stats.pending, stats.embedded) == (5, 5, 0)
    assert not lazy.loaded and index.coverage(chunks(5)) == 0
    with pytest.raises(IndexUnavailable, match="no model here"):
        index.sync(chunks(5))

    seen: list[tuple[int, int]] = []
    index = ChunkIndex(client, "chunks", LazyEmbedder(lambda: embedder, "t/fp32"))
    stats = index.sync(chunks(5), progress=lambda done, total: seen.append((done, total)))
    assert (stats.embedded, stats.pending, stats.model) == (5, 0, "t/fp32")
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    # Three chunks gone, nothing new: dropped without loading anything.
    stats = ChunkIndex(client, "chunks", LazyEmbedder(broken, "t/fp32")).defer(chunks(2))
    assert (stats.removed, stats.pending) == (3, 0)
    assert index.query("text number 1", n_results=1)[0].path == "f1.md"


def test_each_model_has_its_own_collection() -> None:
    assert collection_for("fp32") == "chunks"  # as every earlier run named it
    assert collection_for("int8") == "chunks-int8"
    with pytest.raises(IndexUnavailable, match="fp32, int8"):
        load_embedder("int4")
