"""A batch with an empty repository: that repository fails with the reason, the others finish."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from ddd_llm.cli.app import app
from tests.conftest import FIXTURES

runner = CliRunner()


def test_an_empty_repository_in_a_batch_is_its_failure_not_the_batch_end(tmp_path: Path) -> None:
    empty = tmp_path / "org" / "empty"
    empty.mkdir(parents=True)
    shutil.copytree(FIXTURES / "compose-shop", tmp_path / "org" / "shop")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["extract", "--repos-dir", str(tmp_path / "org"), "--out", str(out), "--llm", "none",
         "--no-index", "-q"],
    )  # fmt: skip
    assert result.exit_code == 3, result.output  # one repository failed
    entries = {e["name"]: e for e in json.loads((out / "summary.json").read_text())["repositories"]}
    assert entries["empty"]["status"] == "failed"
    assert entries["empty"]["error"] == (
        f"nothing to read in {empty}: no readable text file (0 skipped) — "
        "point ddd-llm at a repository"
    )
    assert not (out / "empty" / "facts.json").exists()
    assert entries["shop"]["status"] == "extracted"
    assert (out / "shop" / "facts.json").is_file()
