"""`ddd-llm ask` reuses an up-to-date run: no scan, no redaction, no index sync; a changed
file makes the run stale and the repository is read again."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import ddd_llm.pipeline
import ddd_llm.scan.redact
from ddd_llm.cli.app import app
from ddd_llm.index.store import ChunkIndex
from ddd_llm.pipeline import CHUNKS_FILE, read_chunks
from tests.conftest import FIXTURES, ONNX_DIR

runner = CliRunner()
QUESTION = "How do I check that the api is healthy?"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts of scans, redactions and index syncs, through the functions the pipeline calls."""
    counts: Counter[str] = Counter()

    def counting(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(ddd_llm.pipeline, "scan", counting("scan", ddd_llm.pipeline.scan))
    # scanner imports redact_text where it reads a file: patched in its module.
    monkeypatch.setattr(
        ddd_llm.scan.redact, "redact_text", counting("redact", ddd_llm.scan.redact.redact_text)
    )
    monkeypatch.setattr(ChunkIndex, "sync", counting("sync", ChunkIndex.sync))
    return counts


def ask(repo: Path, out: Path) -> tuple[dict[str, Any], str]:
    result = runner.invoke(
        app, ["ask", str(repo), QUESTION, "--llm", "none", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    answer.pop("latency_s")
    return answer, result.stderr


@pytest.mark.skipif(not ONNX_DIR.is_dir(), reason="embedding model not found (../shared missing)")
def test_a_second_ask_reuses_the_run_and_a_changed_file_makes_it_stale(
    tmp_path: Path, calls: Counter[str]
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "compose-shop", repo)
    out = tmp_path / "out"

    first, said = ask(repo, out)
    assert "extracting static facts first" in said
    assert calls["scan"] == 1 and calls["redact"] > 0 and calls["sync"] == 1
    assert first["citations"] and not first["not_found"]
    doc = json.loads((out / "facts.json").read_text(encoding="utf-8"))
    assert read_chunks(out / CHUNKS_FILE, doc["run"]["fingerprint"])

    calls.clear()
    second, said = ask(repo, out)
    assert "reusing the up-to-date run" in said
    assert calls == Counter(), "an up-to-date run was read, redacted or indexed again"
    assert second == first

    # Editing a file makes the run stale: the repository is scanned and the index synced.
    readme = repo / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nOne more line.\n", "utf-8")
    third, said = ask(repo, out)
    assert "out of date" in said
    assert calls["scan"] == 1 and calls["redact"] > 0 and calls["sync"] == 1
    assert third["citations"]


def test_chunks_of_another_run_or_damaged_are_not_reused(tmp_path: Path) -> None:
    path = tmp_path / CHUNKS_FILE
    path.write_text(
        '{"fingerprint": "abc", "chunks": 1}\n'
        '{"path": "a.md", "start_line": 1, "end_line": 1, "text": "x", "kind": "text", '
        '"tokens": 1}\n',
        encoding="utf-8",
    )
    (chunk,) = read_chunks(path, "abc") or []
    assert chunk.location == "a.md:1-1"
    assert read_chunks(path, "other") is None
    assert read_chunks(path, None) is None
    path.write_text('{"fingerprint": "abc", "chunks": 2}\n{"path": "a.md"}\n', encoding="utf-8")
    assert read_chunks(path, "abc") is None
    assert read_chunks(tmp_path / "missing.jsonl", "abc") is None
