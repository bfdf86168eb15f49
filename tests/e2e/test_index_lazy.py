"""Lazy embedding: `extract --llm none` embeds nothing, the first `ask` embeds and says what it
searches; an index built by chromadb's own embedding function stays valid; int8 has its own
collection and a cached model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ddd_llm.cli.app import app
from ddd_llm.config import ExtractOptions
from ddd_llm.index import store
from ddd_llm.index.store import ChunkIndex, load_embedding_function, persistent_client
from ddd_llm.pipeline import dry_run, prepare

runner = CliRunner()
QUESTION = "How do I back up the postgres database?"


def small_repo(root: Path) -> Path:
    """Three short files: a few chunks, so embedding them twice stays quick."""
    root.mkdir(parents=True)
    (root / "README.md").write_text(
        "# Shop\n\n## Backups\n\nRun `pg_dump -U shop shop > backup.sql` nightly.\n\n"
        "## Health\n\nThe api answers GET /health on port 8080.\n",
        encoding="utf-8",
    )
    (root / "docker-compose.yml").write_text(
        "services:\n  api:\n    image: shop/api\n    ports: ['8080:8080']\n"
        "  postgres:\n    image: postgres:16\n",
        encoding="utf-8",
    )
    (root / "settings.py").write_text(
        'import os\nPOOL = int(os.getenv("DB_POOL_SIZE", "10"))\n', encoding="utf-8"
    )
    return root


def index_of(facts: Path) -> dict[str, object]:
    run: dict[str, dict[str, object]] = json.loads(facts.read_text(encoding="utf-8"))["run"]
    return run["index"]


def test_extract_without_a_model_embeds_nothing_and_the_first_ask_does(
    tmp_path: Path, onnx_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, out = small_repo(tmp_path / "repo"), tmp_path / "out"
    # No model anywhere: a run that embeds nothing never looks for it.
    monkeypatch.setenv("DDD_LLM_ONNX_DIR", str(tmp_path / "no-model-here"))
    done = runner.invoke(app, ["extract", str(repo), "--out", str(out), "--llm", "none"])
    assert done.exit_code == 0, done.output
    stats = index_of(out / "facts.json")
    assert stats["available"] and stats["embedded"] == 0
    assert stats["pending"] == stats["chunks"] and isinstance(stats["chunks"], int)
    assert stats["chunks"] > 0 and stats["model"] == "all-MiniLM-L6-v2/int8"  # the default
    assert "index skipped" not in done.output and "left to embed" in done.output

    # Without the model, ask still answers, by words only, and says so.
    blind = runner.invoke(app, ["ask", str(repo), QUESTION, "--out", str(out), "--llm", "none"])
    assert blind.exit_code == 0, blind.output
    assert f"searching {stats['chunks']} chunks by their words (no vector index)" in blind.stderr

    monkeypatch.setenv("DDD_LLM_ONNX_DIR", str(onnx_dir))
    asked = ["ask", str(repo), QUESTION, "--out", str(out), "--llm", "none", "--json"]
    first = runner.invoke(app, asked)
    assert first.exit_code == 0, first.output
    n = stats["chunks"]
    assert f"index: {n} chunks embedded" in first.stderr
    assert f"searching {n} chunks by their words and {n} of {n} by meaning" in first.stderr
    answer = json.loads(first.stdout)
    assert answer["sources"] and answer["sources"][0]["citations"][0]["path"] == "README.md"

    again = runner.invoke(app, asked)
    assert "reused as it is" in again.stderr and "chunks embedded" not in again.stderr
    assert json.loads(again.stdout)["sources"] == answer["sources"]


def test_an_index_chromadb_embedded_itself_is_still_valid(tmp_path: Path, onnx_dir: Path) -> None:
    """Indexes written before (chromadb's ONNXMiniLM_L6_V2 embedding the documents) are
    reused without embedding again, and searched with the same vectors."""
    from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

    class Local(ONNXMiniLM_L6_V2):
        DOWNLOAD_PATH = onnx_dir.parent

    options = ExtractOptions(out_dir=tmp_path / "out", index=False)
    chunks = prepare(small_repo(tmp_path / "repo"), options).chunks
    assert len(chunks) >= 3
    old = persistent_client(tmp_path / "index").get_or_create_collection(
        "chunks", embedding_function=Local(), metadata={"hnsw:space": "cosine"}
    )
    old.add(
        ids=[c.id for c in chunks],
        documents=[c.text for c in chunks],
        metadatas=[{"path": c.path, "start_line": c.start_line, "end_line": c.end_line}
                   for c in chunks],
    )  # fmt: skip
    expected = old.query(query_texts=[QUESTION], n_results=3)["ids"][0]

    index = ChunkIndex(persistent_client(tmp_path / "index"), "chunks", load_embedding_function())
    assert index.sync(chunks).embedded == 0
    by_place = {(c.path, c.start_line, c.end_line): c.id for c in chunks}
    hits = index.query(QUESTION, n_results=3)
    assert [by_place[h.path, h.start_line, h.end_line] for h in hits] == expected


def test_int8_vectors_go_to_their_own_collection(
    tmp_path: Path, onnx_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "models"
    monkeypatch.setenv("DDD_LLM_MODEL_CACHE", str(cache))
    monkeypatch.setattr(store, "_LOADED", {})  # an int8 session an earlier test loaded
    repo = small_repo(tmp_path / "repo")
    out, index_dir = tmp_path / "out", tmp_path / "index"
    fp32 = ExtractOptions(out_dir=out, index_dir=index_dir, embed_model="fp32")
    int8 = ExtractOptions(out_dir=out, index_dir=index_dir, embed_model="int8")
    dry_run(repo, fp32)
    made = prepare(repo, int8)
    assert made.index_stats.model == "all-MiniLM-L6-v2/int8"
    assert made.index_stats.embedded == made.index_stats.chunks > 0  # nothing of fp32 reused
    (copy,) = cache.glob("all-MiniLM-L6-v2-*/*/model-int8.onnx")
    # int8 weights; the word embeddings (Gather) stay fp32: about 2/3 of the size
    assert copy.stat().st_size < (onnx_dir / "model.onnx").stat().st_size * 0.7

    client = persistent_client(index_dir)
    names = sorted(c.name for c in client.list_collections())
    assert names == ["chunks", "chunks-int8"]
    counts = {n: client.get_collection(n).count() for n in names}
    assert counts["chunks"] == counts["chunks-int8"] == made.index_stats.chunks

    stamp = copy.stat().st_mtime_ns
    again = prepare(repo, int8)
    assert again.index_stats.embedded == 0 and copy.stat().st_mtime_ns == stamp  # cached
    assert again.index is not None
    assert "pg_dump" in again.index.query(QUESTION, 1)[0].text
