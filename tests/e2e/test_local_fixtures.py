"""Every fixture through the bundled local model, as `ddd-llm extract --llm local` runs it.

The 135M model is often wrong or invalid: what must hold is that the run completes (exit 0),
writes facts.json and the artifacts, and records each failed request with its reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ddd_llm.llm import local_available
from tests.conftest import REPO

ROOT = REPO
LIVE_DUMPS = "live"  # recorded live-system dumps for `ddd-llm drift`, not a repository
FIXTURES = sorted(
    p.name for p in (ROOT / "fixtures").iterdir() if p.is_dir() and p.name != LIVE_DUMPS
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not local_available(), reason="the [local] extra is not installed"),
]


@pytest.mark.parametrize("fixture", FIXTURES)
def test_every_fixture_runs_through_the_local_model(fixture: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ddd_llm.cli.app",
            "extract",
            str(ROOT / "fixtures" / fixture),
            "--out",
            str(out),
            "--llm",
            "local",
            "--no-index",
            "--no-prose",
            "--max-chunks",
            "1",
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=ROOT,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "Traceback" not in report
    doc = json.loads((out / "facts.json").read_text())
    assert doc["run"]["llm"]["provider"] == "local"
    assert doc["run"]["usage"]["llm_calls"] >= 1
    for failure in doc["run"]["failures"]:
        assert failure["error"].strip(), failure
    print(
        f"\n{fixture}: {doc['run']['usage']['llm_calls']} calls, "
        f"{len(doc['run']['failures'])} failed: {[f['error'][:80] for f in doc['run']['failures']]}"
    )
    assert (out / "runbook-daily.md").is_file()
