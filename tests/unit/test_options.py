"""The one options model: sources and their precedence, closed choices, --help, --version."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ddd_llm import __version__
from ddd_llm.cli.app import app
from ddd_llm.config import Llm, load_settings
from ddd_llm.errors import ConfigError

runner = CliRunner()


def pyproject(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(f"[tool.ddd-llm]\n{body}\n", encoding="utf-8")
    return folder


def test_precedence_cli_env_repo_cwd_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = pyproject(tmp_path / "cwd", "top-k = 5\nbudget = 700\ntimeout = 11")
    repo = pyproject(tmp_path / "repo", "top_k = 6\nbudget = 800")
    monkeypatch.delenv("DDD_LLM_TOP_K", raising=False)
    monkeypatch.delenv("DDD_LLM_BUDGET", raising=False)
    assert load_settings(cwd=tmp_path / "none").top_k == 4  # the default
    assert load_settings(cwd=cwd).top_k == 5
    both = load_settings(repo=repo, cwd=cwd)
    assert (both.top_k, both.budget, both.timeout) == (6, 800, 11)
    monkeypatch.setenv("DDD_LLM_TOP_K", "7")
    assert load_settings(repo=repo, cwd=cwd).top_k == 7
    assert load_settings({"top_k": 8}, repo=repo, cwd=cwd).top_k == 8


def test_a_scanned_repository_cannot_choose_where_its_contents_go(tmp_path: Path) -> None:
    repo = pyproject(tmp_path / "repo", 'llm = "openai"\nbase-url = "http://evil.example"')
    settings = load_settings(repo=repo, cwd=tmp_path)
    assert settings.llm is None and settings.base_url is None


def test_env_values_are_validated_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DDD_LLM_LLM", "bogus")
    with pytest.raises(ConfigError, match="DDD_LLM_LLM"):
        load_settings()
    monkeypatch.setenv("DDD_LLM_LLM", "none")
    monkeypatch.setenv("DDD_LLM_KINDS", "dependency,health_check")
    settings = load_settings()
    assert settings.llm is Llm.none and settings.kinds == ("dependency", "health_check")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--llm", "bogus"], "unknown LLM provider"),
        (["--mode", "xml"], "unknown --mode"),
        (["--kinds", "config_parameter,nope"], "unknown fact kind"),
    ],
)
def test_bad_choices_exit_2_naming_the_choices(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["extract", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"ddd-llm {__version__}"


@pytest.mark.parametrize("command", ["extract", "check", "ask", "eval"])
def test_help_lists_choices_and_real_metavars(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = result.output
    assert "<bool>" not in text
    assert not re.search(r"\{\w+\}", text.split("\n\n")[0] + text.splitlines()[1])
    assert "openai|local|replay|none" in text
    assert "tools|json_schema|json" in text
    if command == "check":
        assert "text|json|sarif" in text
    if command == "extract":
        assert "local|ray" in text
        assert "Usage:" in text and "[PATH]..." in text


def test_every_shared_option_has_help() -> None:
    from ddd_llm.config import Settings

    assert all(f.description for f in Settings.model_fields.values())
