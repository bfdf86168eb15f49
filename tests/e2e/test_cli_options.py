"""Provider settings are checked before any scan: a bad one fails at once, naming the flag."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ddd_llm.cli.app import app
from tests.conftest import FIXTURES

runner = CliRunner()


@pytest.mark.parametrize("command", [["extract"], ["check"], ["ask"]])
def test_openai_without_key_or_base_url_fails_before_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    repo = tmp_path / "compose-shop"
    shutil.copytree(FIXTURES / "compose-shop", repo, ignore=shutil.ignore_patterns(".ddd"))
    extra = ["what runs first?"] if command == ["ask"] else []
    result = runner.invoke(app, [*command, str(repo), *extra, "--llm", "openai"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "--llm openai" in lines[0] and "--base-url" in lines[0]
    assert not (repo / ".ddd").exists()  # nothing was scanned or written
