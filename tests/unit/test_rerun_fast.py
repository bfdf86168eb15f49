"""The pieces of the unchanged re-run's fast path (ddd_llm/cli/__main__.py,
fingerprint.fast_unchanged, known.snapshot): what it takes from the command line, what its
key is made of, and the copies it keeps so that it imports nothing heavy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer.main

from ddd_llm import fingerprint as fp
from ddd_llm.cli import __main__ as entry
from ddd_llm.cli.app import app
from ddd_llm.scan import known
from ddd_llm.scan.scanner import scan


def test_the_option_tables_are_extracts_options() -> None:
    """A flag taken for an option with a value (or the reverse) would misread PATH."""
    command = typer.main.get_command(app).commands["extract"]  # type: ignore[attr-defined]
    flags: set[str] = {"--help"}
    values: set[str] = set()
    for param in command.params:
        if param.param_type_name != "option":
            continue
        names = {*param.opts, *param.secondary_opts}
        (flags if param.is_flag else values).update(names)
    assert entry.FLAG_OPTIONS == flags
    assert entry.VALUE_OPTIONS == values
    assert entry.FULL_RUN <= flags | values


@pytest.mark.parametrize(
    ("argv", "parsed"),
    [
        (["extract", "r", "--llm", "none"], entry.Extract("r", None, False)),
        (["extract", "--out=o", "-q", "r", "--exclude", "-x"], entry.Extract("r", "o", True)),
        (["extract", "-o", "a", "r", "--out", "b"], entry.Extract("r", "b", False)),
        (["extract", "r", "--no-index", "--quiet"], entry.Extract("r", None, True)),
        (["extract", "r", "--force"], None),
        (["extract", "r", "-v"], None),
        (["extract", "r", "--site"], None),
        (["extract", "r", "s"], None),  # a batch
        (["extract", "--repos-dir", "d"], None),
        (["extract", "r", "-qv"], None),  # clustered short flags: the full CLI parses those
        (["extract", "r", "-oout"], None),
        (["extract", "r", "--no-index=1"], None),
        (["extract", "r", "--", "x"], None),
        (["extract", "r", "--new-option", "x"], None),
        (["extract", "r", "--out"], None),
        (["check", "r"], None),
        (["--version"], None),
        ([], None),
    ],
)
def test_parse_extract(argv: list[str], parsed: entry.Extract | None) -> None:
    assert entry.parse_extract(argv) == parsed


def test_the_copied_names_are_the_sources() -> None:
    from ddd_llm.config import FACTS_FILE, OUT_DIRNAME
    from ddd_llm.render.report_html import REPORT_FILE

    assert (fp.FACTS_FILE, fp.OUT_DIRNAME, fp.REPORT_FILE) == (
        FACTS_FILE,
        OUT_DIRNAME,
        REPORT_FILE,
    )


def test_the_ignored_reason_is_the_scans(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.log\n")
    (tmp_path / "a.log").write_text("x\n")
    (tmp_path / "b.txt").write_text("x\n")
    assert [s.reason for s in scan(tmp_path).skipped if s.path == "a.log"] == [known.IGNORED]


def test_the_invocation_key_holds_every_source_of_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {"HOME": "/h", "DDD_LLM_TOP_K": "3", "OLDPWD": "/a", "SHLVL": "1"}
    argv = ["extract", "repo", "--llm", "none"]
    monkeypatch.chdir(tmp_path)

    def key(
        argv: list[str] = argv, env: dict[str, str] = env, cwd: str = str(tmp_path), salt: str = "s"
    ) -> str:
        return fp.invocation_key(salt, argv, Path("repo"), cwd=cwd, environ=env)

    base = key()
    assert key(env={**env, "OLDPWD": "/b", "SHLVL": "2", "_": "/x"}) == base  # shell noise
    changed = [
        key(argv=[*argv, "--workers", "1"]),
        key(env={**env, "DDD_LLM_TOP_K": "4"}),
        key(env={**env, "OPENAI_API_KEY": "sk-x"}),
        key(cwd=str(repo)),
        key(salt="t"),
    ]
    (tmp_path / "pyproject.toml").write_text("[tool.ddd-llm]\ntop-k = 2\n")
    changed.append(key())
    (repo / "pyproject.toml").write_text("[tool.ddd-llm]\ntop-k = 2\n")
    changed.append(key())
    assert len({base, *changed}) == len(changed) + 1


def test_no_snapshot_of_files_too_new_to_trust_and_no_secret_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As shipped (a two-second margin) a file written just now is never vouched for by its
    stat; and the record holds a salted hash of the environment, never a value of it."""
    repo, out = tmp_path / "repo", tmp_path / "out"
    repo.mkdir()
    out.mkdir()
    (repo / "a.conf").write_text("port 6379\n")
    (out / "facts.json").write_text("{}\n")
    record = known.RunRecord("f" * 64, None, "t", [], [out / "facts.json"])
    known.remember(out, repo, [("a.conf", "0" * 64)], known.now_ns(), record)
    run = known.recall_run(out, repo)
    assert run is not None and run["snapshot"] is None
    assert not known.inputs_unchanged(repo, run)
    # Started well after the file was written: the snapshot vouches for it.
    known.remember(out, repo, [("a.conf", "0" * 64)], known.now_ns() + 10**10, record)
    run = known.recall_run(out, repo)
    assert run is not None and known.inputs_unchanged(repo, run)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value-1234567890")
    argv = ["extract", str(repo), "--out", str(out), "--llm", "none"]
    assert fp.remember_invocation(repo, out, "f" * 64, fp.Invocation.now(argv))
    text = (out / known.KNOWN_FILE).read_text()
    assert "sk-secret" not in text
    assert len(json.loads(text)["run"]["invocations"]) == 1
    # Another run's fingerprint: not recorded against this one.
    assert not fp.remember_invocation(repo, out, "e" * 64, fp.Invocation.now(argv))
    # A copied output folder vouches for nothing.
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / known.KNOWN_FILE).write_text(text)
    assert known.recall_run(copy, repo) is None
