"""Run locks: a second run on the same output folder stops with exit 4 and names the holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ddd_llm.cli.app import app
from ddd_llm.errors import LockHeld
from ddd_llm.lock import LOCK_FILE, hold

HOLDER = """
import sys, time
from pathlib import Path
from ddd_llm.lock import hold
with hold(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def hold_in_subprocess(folder: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_hold_in_the_same_process_is_refused(tmp_path: Path) -> None:
    with hold(tmp_path / "out"):
        with pytest.raises(LockHeld) as caught:
            with hold(tmp_path / "out"):
                pass
    assert f"pid {os.getpid()}" in str(caught.value)
    with hold(tmp_path / "out"):  # released on exit
        pass


def test_sigkilled_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    proc = hold_in_subprocess(folder)
    try:
        with pytest.raises(LockHeld) as caught:
            with hold(folder):
                pass
        assert f"pid {proc.pid}" in caught.value.holder
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert (folder / LOCK_FILE).exists()
    with hold(folder):
        pass


def test_cli_exits_4_naming_the_holder(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "main.py").write_text('import os\nPORT = os.getenv("PORT", "8080")\n')
    out = tmp_path / "out"
    proc = hold_in_subprocess(out)
    try:
        started = time.monotonic()
        result = CliRunner().invoke(
            app, ["extract", str(repo), "--out", str(out), "--llm", "none", "--no-index"]
        )
        assert result.exit_code == 4, result.output
        assert f"pid {proc.pid}" in result.output
        assert "in use by another ddd-llm run" in result.output
        assert time.monotonic() - started < 10  # refused at once, not after waiting
        assert not (out / "facts.json").exists()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    result = CliRunner().invoke(
        app, ["extract", str(repo), "--out", str(out), "--llm", "none", "--no-index"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "facts.json").exists()


def test_a_batch_on_a_locked_output_folder_exits_4(tmp_path: Path) -> None:
    repos = [tmp_path / name for name in ("a", "b")]
    for repo in repos:
        repo.mkdir()
        (repo / "main.py").write_text('import os\nPORT = os.getenv("PORT", "80")\n')
    out = tmp_path / "out"
    proc = hold_in_subprocess(out)
    try:
        result = CliRunner().invoke(
            app, ["extract", *map(str, repos), "--out", str(out), "--llm", "none", "--no-index"]
        )
        assert result.exit_code == 4, result.output
        assert "batch output folder" in result.output and f"pid {proc.pid}" in result.output
        assert not (out / "a").exists()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
