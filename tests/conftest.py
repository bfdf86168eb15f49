"""Shared test set-up: the offline embedding model, fixture paths, temp-dir isolation."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURES = REPO / "fixtures"
SHARED = Path(os.environ.get("DDD_LLM_SHARED", REPO.parent / "shared"))
ONNX_DIR = SHARED / "models" / "all-MiniLM-L6-v2" / "onnx"
GOLD = REPO / "evals" / "gold"
FIXTURE_NAMES = sorted(p.stem for p in GOLD.glob("*.json") if (FIXTURES / p.stem).is_dir())
"""Fixtures with hand-checked gold; gold lives outside the fixture so no run can read it."""


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test writes to the real home folder; the model comes from ../shared."""
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    if "DDD_LLM_ONNX_DIR" not in os.environ and ONNX_DIR.is_dir():
        monkeypatch.setenv("DDD_LLM_ONNX_DIR", str(ONNX_DIR))


@pytest.fixture
def onnx_dir() -> Path:
    if not ONNX_DIR.is_dir():
        pytest.skip(f"embedding model not found at {ONNX_DIR} (../shared missing)")
    return ONNX_DIR


def free_port() -> int:
    """A loopback port nothing listens on now, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
