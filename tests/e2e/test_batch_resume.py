"""A batch killed with SIGKILL mid-way, started again, ends as an uninterrupted run would.

The model is a loopback OpenAI-compatible server answering slowly, so the kill lands
while the second repository is being asked about (its chunks already embedded).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from benchmarks.synth_org import answer_chat, generate
from ddd_llm.cli.app import app
from tests.fake_openai import FakeOpenAI

VOLATILE_RUN = ("started_at", "finished_at", "usage", "index")


def normalised(out: Path, name: str) -> dict[str, Any]:
    """facts.json without what differs between any two runs (times, usage, cache and index
    counters) and the runbook as written."""
    facts: dict[str, Any] = json.loads((out / name / "facts.json").read_text())
    for key in VOLATILE_RUN:
        facts["run"].pop(key)
    facts["runbook"] = (out / name / "runbook-daily.md").read_text()
    return facts


def args(repos: list[Path], out: Path, cache: Path, base_url: str) -> list[str]:
    return [
        "extract", *map(str, repos), "--out", str(out), "--cache-dir", str(cache),
        "--llm", "openai", "--base-url", base_url, "--concurrency", "1",
        "--kinds", "config_parameter", "--max-chunks", "3",
    ]  # fmt: skip


@pytest.mark.slow
def test_sigkill_mid_batch_then_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    repos = generate(tmp_path / "org", 3)
    names = [r.name for r in repos]
    env = {**os.environ, "OPENAI_API_KEY": "sk-test", "DDD_LLM_DEBUG": "0"}

    with FakeOpenAI(answer=answer_chat, latency=0.2) as server:
        # The reference: one uninterrupted run, its own output and cache.
        reference = CliRunner().invoke(
            app, args(repos, tmp_path / "ref", tmp_path / "ref-cache", server.base_url), env=env
        )
        assert reference.exit_code == 0, reference.output
        calls_uninterrupted = len(server.requests)
        per_repo = calls_uninterrupted // 3
        assert per_repo >= 3

        # The same run, killed once the first repository is done and the second is being
        # asked about.
        out, cache = tmp_path / "out", tmp_path / "cache"
        before = len(server.requests)
        proc = subprocess.Popen(
            [sys.executable, "-c", "from ddd_llm.cli.app import main; main()",
             *args(repos, out, cache, server.base_url)[0:], "-q"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            first_done = (out / names[0] / "facts.json").exists()
            if first_done and len(server.requests) - before > per_repo + 1:
                break
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        calls_killed = len(server.requests) - before
        assert not (out / "summary.json").exists()
        assert not (out / names[1] / "facts.json").exists()

        resumed = CliRunner().invoke(app, [*args(repos, out, cache, server.base_url)], env=env)
        assert resumed.exit_code == 0, resumed.output
        calls_resumed = len(server.requests) - before - calls_killed

    status = {e["name"]: e["status"] for e in json.loads((out / "summary.json").read_text())[
        "repositories"]}  # fmt: skip
    assert status == {names[0]: "unchanged", names[1]: "extracted", names[2]: "extracted"}
    # No model call done twice (one may have been in flight when the kill came) ...
    assert calls_killed + calls_resumed <= calls_uninterrupted + 1
    assert calls_resumed < calls_uninterrupted - per_repo
    # ... no chunk of the interrupted repository embedded twice ...
    second = json.loads((out / names[1] / "facts.json").read_text())["run"]["index"]
    assert second["embedded"] == 0 and second["chunks"] > 0
    # ... and the same outputs as the uninterrupted run.
    for name in names:
        assert normalised(out, name) == normalised(tmp_path / "ref", name)
    ref_summary = json.loads((tmp_path / "ref" / "summary.json").read_text())
    new_summary = json.loads((out / "summary.json").read_text())
    for entries in (ref_summary["repositories"], new_summary["repositories"]):
        for e in entries:
            del e["status"], e["seconds"]
    assert ref_summary["repositories"] == new_summary["repositories"]
