"""Index stage: chunks embedded once, by content hash, with the real MiniLM model.

(`extract --llm none` embeds nothing: tests/e2e/test_index_lazy.py. Here the index is
brought up to date by `prepare`, as a run with a model or `ask` does.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ddd_llm.config import ExtractOptions
from ddd_llm.errors import IndexUnavailable
from ddd_llm.index.store import load_embedding_function
from ddd_llm.pipeline import extract, prepare
from tests.conftest import FIXTURES


def test_rerun_embeds_nothing_and_one_file_change_embeds_only_its_chunks(
    tmp_path: Path, onnx_dir: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "compose-shop", repo)
    out = tmp_path / "out"
    first = prepare(repo, ExtractOptions(out_dir=out, embed_model="fp32")).index_stats
    assert first.available and first.embedded == first.chunks > 0
    assert first.model == "all-MiniLM-L6-v2/fp32"

    second = prepare(repo, ExtractOptions(out_dir=out, embed_model="fp32")).index_stats
    assert (second.embedded, second.removed, second.chunks) == (0, 0, first.chunks)

    readme = repo / "README.md"
    readme.write_text(readme.read_text() + "\n## Extra\n\nA new section about log rotation.\n")
    from ddd_llm.chunk.chunker import chunk_file

    before = {c.id for c in chunk_file("README.md", readme.read_text())}
    third = prepare(repo, ExtractOptions(out_dir=out, embed_model="fp32")).index_stats
    assert 1 <= third.embedded <= len(before)
    # Only README chunks changed: everything else stayed embedded.
    assert third.chunks - third.embedded >= first.chunks - len(before)


def test_index_is_searchable(tmp_path: Path, onnx_dir: Path) -> None:
    from ddd_llm.index.store import ChunkIndex, persistent_client

    prepare(FIXTURES / "compose-shop", ExtractOptions(out_dir=tmp_path, embed_model="fp32"))
    index = ChunkIndex(persistent_client(tmp_path / "index"), "chunks", load_embedding_function())
    hits = index.query("postgres backup with pg_dump", n_results=3)
    assert hits and all(h.start_line >= 1 for h in hits)
    assert any("pg_dump" in h.text for h in hits)


def test_missing_model_is_a_warning_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DDD_LLM_ONNX_DIR", str(tmp_path / "no-model-here"))
    with pytest.raises(IndexUnavailable, match="DDD_LLM_ONNX_DIR"):
        load_embedding_function()
    prepared = prepare(FIXTURES / "compose-shop", ExtractOptions(out_dir=tmp_path / "o"))
    assert not prepared.index_stats.available and prepared.index is None
    assert any("index skipped" in w.message for w in prepared.warnings)
    assert prepared.static_facts  # the rest of the run still happened
    # A run without a model embeds nothing, so it never needs the model.
    doc = extract(FIXTURES / "compose-shop", ExtractOptions(out_dir=tmp_path / "o")).document
    assert doc.run.index.available and doc.run.index.pending == doc.run.index.chunks
    assert not any("index skipped" in w.message for w in doc.run.warnings)
