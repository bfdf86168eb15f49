"""Random secrets in 40+ forms never reach a model request, the index, an output file or the
terminal, and scan-secrets lists every one of them while leaving the decoys alone.

The values are drawn anew on every run (`tests/secretgen.py`; the seed is printed and
`DDD_LLM_SECRET_SEED` replays it). A careless scripted model echoes back every value it is
shown, so anything that slipped past redaction would come back as a config default.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ddd_llm.cli.app import app
from tests.e2e.test_planted_secrets import all_bytes, echo
from tests.fake_openai import FakeOpenAI
from tests.secretgen import generate

runner = CliRunner()


@pytest.mark.slow
def test_generated_secrets_never_leave(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = generate(tmp_path / "repo", instances=3)
    print(f"secret seed {repo.seed}: {len(repo.planted)} plants")

    listed = runner.invoke(app, ["scan-secrets", str(repo.root), "--json"])
    assert listed.exit_code == 0, listed.output
    report = json.loads(listed.stdout)
    flagged = {
        (f["path"], n) for f in report["findings"] for n in range(f["line"], f["end_line"] + 1)
    }
    not_read = {s["path"] for s in report["not_read"]}  # `.netrc` and the like: never read
    missed = []
    for planted in repo.planted:
        if planted.path in not_read:
            continue
        lines = (repo.root / planted.path).read_text().splitlines()
        where = {
            (planted.path, i)
            for i, line in enumerate(lines, 1)
            for v in planted.values
            if v in line
        }
        if not where <= flagged:
            missed.append(planted.form)
    decoy_paths = {path for path, _ in repo.decoys}
    false_alarms = sorted({f["path"] for f in report["findings"]} & decoy_paths)
    in_tests = {f["path"] for f in report["findings"] if f["in_tests"]}

    work = tmp_path / "work"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    with FakeOpenAI(answer=echo) as server:
        result = runner.invoke(
            app,
            [
                "extract",
                str(repo.root),
                "--out",
                str(work / "out"),
                "--llm",
                "openai",
                "--base-url",
                server.base_url,
                "--model",
                "fake-model",
                "--cache-dir",
                str(work / "cache"),
                "--concurrency",
                "2",
                "--max-chunks",
                "40",
                # every excerpt is sent (no total prompt budget): the check needs the
                # redacted names to reach the model
                "--prompt-share",
                "0",
            ],
        )
        requests = [json.dumps(body, ensure_ascii=False) for body in server.requests]
    assert result.exit_code == 0, result.output
    assert requests, "the model was never asked: nothing was checked"
    outputs = all_bytes(work)
    assert any("index" in path and path.endswith(".sqlite3") for path, _ in outputs)

    leaked: dict[str, list[str]] = {}
    for planted in repo.planted:
        for value in planted.values:
            where = [f"request {i}" for i, body in enumerate(requests) if value in body]
            where += [path for path, data in outputs if value.encode() in data]
            where += ["terminal output"] if value in result.output else []
            if where:
                leaked.setdefault(f"{planted.form} ({planted.path})", []).extend(where)
    print(f"missed {len(missed)} · leaked {len(leaked)} · decoys flagged {false_alarms}")

    # Both directions: names and decoys did reach the model and the outputs.
    joined = "\n".join(requests)
    assert "POSTGRES_PASSWORD" in joined and "[REDACTED]" in joined
    assert "${POSTGRES_PASSWORD}" in joined or any(b"changeme" in d for _, d in outputs)
    assert not leaked, f"seed {repo.seed}: {leaked}"
    assert not missed, f"seed {repo.seed}: not listed by scan-secrets: {missed}"
    assert not false_alarms
    assert not in_tests  # the decoys under tests/ hold no finding at all
