"""A dry run (and so a model run: the same plan) embeds only the chunks retrieval ranks;
the rest stay pending and the first `ask` embeds them (issue #18)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ddd_llm.index.store as store
from ddd_llm.config import ExtractOptions
from ddd_llm.index.store import ChunkIndex, load_embedding_function, persistent_client
from ddd_llm.pipeline import dry_run, prepare


def many_files(root: Path, n: int = 40) -> Path:
    root.mkdir(parents=True)
    for i in range(n):
        (root / f"page{i}.py").write_text(
            f"def page_{i}(title):\n    return '<h{i % 6}>' + title  # report page {i}\n",
            encoding="utf-8",
        )
    (root / "docker-compose.yml").write_text(
        "services:\n  api:\n    image: shop/api\n    healthcheck:\n"
        "      test: ['CMD', 'curl', '-f', 'http://localhost:8080/health']\n"
        "      interval: 10s\n",
        encoding="utf-8",
    )
    return root


def test_a_dry_run_embeds_the_shortlists_and_leaves_the_rest_pending(
    tmp_path: Path, onnx_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "SHORTLIST", 2)
    repo = many_files(tmp_path / "repo")
    options = ExtractOptions(
        out_dir=tmp_path / "out",
        index_dir=tmp_path / "index",
        llm="none",
        kinds=("health_check",),
        embed_model="fp32",
    )
    said: list[str] = []
    plan, _model = dry_run(repo, options, notify=said.append)
    chunks = prepare(repo, ExtractOptions(out_dir=tmp_path / "o2", index=False)).chunks
    index = ChunkIndex(persistent_client(tmp_path / "index"), "chunks", load_embedding_function())
    held = index.coverage(chunks)
    # Two queries of health_check, two chunks each: at most 4 of the 41 chunks embedded.
    assert 1 <= held <= 4 < len(chunks)
    assert any(f"index: {len(chunks)} chunks left to embed" in line for line in said)
    # The chunk the health-check queries need is among those embedded.
    assert any(c.path == "docker-compose.yml" for c in chunks)
    assert {c.id for c in chunks if c.path == "docker-compose.yml"} <= index.existing_ids()
    assert plan.prompt_versions  # a plan was made
    # The first ask (index_chunks → sync) embeds exactly what is still pending.
    assert index.sync(chunks).embedded == len(chunks) - held


def test_without_a_shortlist_the_dry_run_embeds_everything(
    tmp_path: Path, onnx_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "SHORTLIST", None)
    repo = many_files(tmp_path / "repo")
    options = ExtractOptions(
        out_dir=tmp_path / "out",
        index_dir=tmp_path / "index",
        llm="none",
        kinds=("health_check",),
        embed_model="fp32",
    )
    plan, _model = dry_run(repo, options)
    chunks = prepare(repo, ExtractOptions(out_dir=tmp_path / "o2", index=False)).chunks
    index = ChunkIndex(persistent_client(tmp_path / "index"), "chunks", load_embedding_function())
    assert index.coverage(chunks) == len(chunks)
    assert plan.prompt_versions


def test_the_first_ask_embeds_the_repository_and_finds_tests_by_their_words(
    tmp_path: Path, onnx_dir: Path
) -> None:
    import json

    from typer.testing import CliRunner

    from ddd_llm.cli.app import app
    from tests.e2e.test_index_lazy import small_repo

    repo, out = small_repo(tmp_path / "repo"), tmp_path / "out"
    (repo / "tests").mkdir()
    (repo / "tests" / "test_restore.py").write_text(
        "def test_restore_from_snapshot_zebra():\n"
        "    assert restore('nightly-zebra-snapshot.tar') == 'restored'\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    done = runner.invoke(app, ["extract", str(repo), "--out", str(out), "--llm", "none"])
    assert done.exit_code == 0, done.output
    total = json.loads((out / "facts.json").read_text(encoding="utf-8"))["run"]["index"]["chunks"]
    question = "How is the zebra snapshot restored?"
    asked = runner.invoke(
        app, ["ask", str(repo), question, "--out", str(out), "--llm", "none", "--json"]
    )
    assert asked.exit_code == 0, asked.output
    # Everything but the test file is embedded; ask says how much it sees by meaning.
    assert f"index: {total - 1} chunks embedded, 0 removed; 1 test and fixture" in asked.stderr
    assert f"by their words and {total - 1} of {total} by meaning" in asked.stderr
    # ... and the test file is still reached, by its words.
    answer = json.loads(asked.stdout)
    cited = {c["path"] for s in answer["sources"] for c in s["citations"]}
    assert "tests/test_restore.py" in cited
