"""An unchanged re-run of `ddd-llm extract` is answered by the entry point's fast path
(ddd_llm/cli/__main__.py) without resolving options or hashing a file, and every kind of
change still makes a real run (issue #18: the unchanged re-run under 5% of the first run).

The CLI runs in this process through its entry point (`main`, as the `ddd-llm` script),
with the stat margin at zero so that files the test just wrote are trusted (a real
repository's are seconds old); the last test runs it as a user does, in a fresh
interpreter, with the margin as shipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import ddd_llm.fingerprint as fp
import ddd_llm.pipeline as pipeline
from ddd_llm.cli.__main__ import main
from ddd_llm.scan import known

ARGS = ("--llm", "none", "--no-index", "--workers", "1")


@dataclass
class Ran:
    code: int
    path: str
    """fast (the entry point's answer), checked (the full CLI found it unchanged), run."""
    out: str
    err: str


def make_repo(root: Path) -> Path:
    """A small repository with each thing the scan decides by: ignore rules, an ignored
    folder and file, a vendored folder, a virtualenv, a file over the size limit."""
    root.mkdir(parents=True)
    (root / ".gitignore").write_text("build/\n*.log\n", encoding="utf-8")
    (root / "docker-compose.yml").write_text(
        "services:\n  api:\n    image: shop/api\n    ports: ['8080:8080']\n"
        "    environment:\n      DB_POOL_SIZE: '10'\n  postgres:\n    image: postgres:16\n",
        encoding="utf-8",
    )
    (root / "app").mkdir()
    (root / "app" / "settings.py").write_text(
        'import os\nPOOL = int(os.getenv("DB_POOL_SIZE", "10"))\n', encoding="utf-8"
    )
    (root / "README.md").write_text("# Shop\n\nThe api answers GET /health.\n", encoding="utf-8")
    (root / "build").mkdir()
    (root / "build" / "out.txt").write_text("generated\n", encoding="utf-8")
    (root / "debug.log").write_text("started\n", encoding="utf-8")
    (root / "node_modules" / "left").mkdir(parents=True)
    (root / "node_modules" / "left" / "index.js").write_text("module.exports = 1\n")
    (root / "env2").mkdir()
    (root / "env2" / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    (root / "env2" / "tool.py").write_text('PORT = os.getenv("TOOL_PORT", "9")\n')
    (root / "big.txt").write_text("x" * 5000 + "\n", encoding="utf-8")
    (root / ".git" / "info").mkdir(parents=True)  # no repository: git tells no commit
    return root


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(known, "MARGIN_NS", 0)
    monkeypatch.chdir(tmp_path)
    yield make_repo(tmp_path / "shop")


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    """`ddd-llm ARGS` through the entry point, and which way it went."""
    taken: list[str] = []
    real_check, real_run = fp.up_to_date, pipeline.extract

    def check(*a: object, **k: object) -> object:
        found = real_check(*a, **k)  # type: ignore[arg-type]
        taken.append("checked" if found is not None else "stale")
        return found

    def run(*a: object, **k: object) -> object:
        taken.append("run")
        return real_run(*a, **k)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(fp, "up_to_date", check)
        m.setattr(pipeline, "extract", run)
        m.setattr(sys, "argv", ["ddd-llm", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    said = capsys.readouterr()
    path = "run" if "run" in taken else "checked" if "checked" in taken else "fast"
    return Ran(code, path, said.out, said.err)


def extract(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    repo: Path,
    *extra: str,
) -> Ran:
    return cli(monkeypatch, capsys, "extract", str(repo), "--out", "out", *ARGS, *extra)


def outputs(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in out.iterdir() if not p.name.startswith(".")}


def test_an_unchanged_rerun_takes_the_fast_path_and_keeps_every_output(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = extract(monkeypatch, capsys, repo)
    assert (first.code, first.path) == (0, "run"), first.err
    out = Path("out")
    before = outputs(out)
    assert {"facts.json", "runbook-daily.md", "gaps.md", "report.html"} <= set(before)
    facts = json.loads((out / "facts.json").read_text(encoding="utf-8"))

    again = extract(monkeypatch, capsys, repo)
    assert (again.code, again.path) == (0, "fast"), again.err
    assert f"inputs unchanged since the last run: {out / 'facts.json'} kept" in again.err
    assert f"ddd-llm extract — {repo}: unchanged since the run that finished at" in again.out
    assert f"facts: {len(facts['facts'])} · gaps: {len(facts['gaps'])}" in again.out
    assert f"overall {facts['scores']['overall']}" in again.out
    assert f"kept in {out}: facts.json, runbook-daily.md" in again.out
    assert outputs(out) == before  # nothing rewritten

    quiet = extract(monkeypatch, capsys, repo, "--quiet")
    # Another command line: the full CLI decides once, and records it for the next time.
    assert (quiet.code, quiet.path) == (0, "checked")
    quiet = extract(monkeypatch, capsys, repo, "--quiet")
    assert (quiet.code, quiet.path, quiet.err) == (0, "fast", "")
    assert quiet.out == (
        f"ddd-llm: {repo} · {len(facts['facts'])} facts · {len(facts['gaps'])} gaps · "
        f"overall {facts['scores']['overall']} · 0 failed calls · {out}\n"
    )
    # What is outside the inputs changes nothing: ignored, vendored, the virtualenv.
    (repo / "debug.log").write_text("started twice, a longer log line\n", encoding="utf-8")
    (repo / "build" / "more.txt").write_text("generated too\n", encoding="utf-8")
    (repo / "node_modules" / "left" / "index.js").write_text("module.exports = 22\n")
    (repo / "env2" / "tool.py").write_text('PORT = os.getenv("TOOL_PORT", "99")\n')
    assert extract(monkeypatch, capsys, repo).path == "fast"
    assert outputs(out) == before


def test_force_and_a_plain_cli_call_are_never_answered_by_the_fast_path(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert extract(monkeypatch, capsys, repo).path == "run"
    assert extract(monkeypatch, capsys, repo, "--force").path == "run"
    assert extract(monkeypatch, capsys, repo).path == "fast"  # a --force run keeps its lines
    assert extract(monkeypatch, capsys, repo, "-v").path == "checked"
    # The provider chosen by what is installed, not named: never recorded (installing the
    # local model would change it).
    monkeypatch.setattr("ddd_llm.llm.local_available", lambda: False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    line = ("extract", str(repo), "--out", "out", "--no-index", "--workers", "1")
    assert cli(monkeypatch, capsys, *line).path == "checked"
    assert cli(monkeypatch, capsys, *line).path == "checked"


def _same_size_and_mtime(path: Path, text: str) -> None:
    kept = path.stat()
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    assert path.stat().st_size == kept.st_size


def _edit(repo: Path) -> None:
    _same_size_and_mtime(
        repo / "app" / "settings.py", 'import os\nPOOL = int(os.getenv("DB_POOL_SIZE", "20"))\n'
    )


CHANGES: dict[str, Callable[[Path], object]] = {
    "edited in place, same size and time": _edit,
    "added": lambda r: (r / "app" / "worker.py").write_text('W = os.getenv("WORKERS", "4")\n'),
    "removed": lambda r: (r / "README.md").unlink(),
    "new folder": lambda r: shutil.copytree(r / "app", r / "ops"),
    "renamed": lambda r: (r / "README.md").rename(r / "READ.md"),
    "shrunk under the size limit": lambda r: (r / "big.txt").write_text("small\n"),
    "virtualenv marker removed": lambda r: (r / "env2" / "pyvenv.cfg").unlink(),
    "ignore rule added outside the tree": lambda r: (r / ".git/info/exclude").write_text("*.md\n"),
    "ignore rule removed": lambda r: (r / ".gitignore").write_text("build/\n"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_change_of_the_inputs_runs_again(
    change: str, repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    limit = ("--max-file-bytes", "1000")  # big.txt is over it
    assert extract(monkeypatch, capsys, repo, *limit).path == "run"
    assert extract(monkeypatch, capsys, repo, *limit).path == "fast"
    before = json.loads(Path("out/facts.json").read_text(encoding="utf-8"))["run"]["fingerprint"]
    CHANGES[change](repo)
    again = extract(monkeypatch, capsys, repo, *limit)
    assert (again.code, again.path) == (0, "run"), again.err
    after = json.loads(Path("out/facts.json").read_text(encoding="utf-8"))["run"]["fingerprint"]
    assert after != before


def test_changed_options_environment_config_or_tool_are_not_taken_for_unchanged(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert extract(monkeypatch, capsys, repo).path == "run"
    assert extract(monkeypatch, capsys, repo).path == "fast"
    # An option that changes the inputs.
    assert extract(monkeypatch, capsys, repo, "--exclude", "app/**").path == "run"
    assert extract(monkeypatch, capsys, repo).path == "run"  # back: the other run is stale
    assert extract(monkeypatch, capsys, repo).path == "fast"
    # The environment.
    monkeypatch.setenv("DDD_LLM_MAX_FILE_BYTES", "100")
    assert extract(monkeypatch, capsys, repo).path == "run"
    monkeypatch.delenv("DDD_LLM_MAX_FILE_BYTES")
    assert extract(monkeypatch, capsys, repo).path == "run"
    assert extract(monkeypatch, capsys, repo).path == "fast"
    # The current folder's pyproject table.
    Path("pyproject.toml").write_text("[tool.ddd-llm]\nmax-file-bytes = 100\n", encoding="utf-8")
    assert extract(monkeypatch, capsys, repo).path == "run"
    Path("pyproject.toml").unlink()
    assert extract(monkeypatch, capsys, repo).path == "run"
    assert extract(monkeypatch, capsys, repo).path == "fast"
    # Another version of the tool.
    monkeypatch.setattr(fp, "__version__", "99.0.0")
    assert extract(monkeypatch, capsys, repo).path == "run"
    assert extract(monkeypatch, capsys, repo).path == "fast"


def test_a_record_that_no_longer_vouches_is_renewed_by_the_full_check(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Touched but unchanged files, or a record from before the fast path: the full CLI
    hashes, finds the run unchanged and remembers it again; the next re-run is fast."""
    assert extract(monkeypatch, capsys, repo).path == "run"
    os.utime(repo / "app" / "settings.py")  # `git checkout` of the same bytes does this
    assert extract(monkeypatch, capsys, repo).path == "checked"
    assert extract(monkeypatch, capsys, repo).path == "fast"
    record = Path("out") / known.KNOWN_FILE
    older = json.loads(record.read_text(encoding="utf-8"))
    del older["run"]
    record.write_text(json.dumps(older), encoding="utf-8")
    assert extract(monkeypatch, capsys, repo).path == "checked"
    assert extract(monkeypatch, capsys, repo).path == "fast"
    # And what it renewed still tells a change.
    _edit(repo)
    assert extract(monkeypatch, capsys, repo).path == "run"


@pytest.mark.parametrize("damage", ["removed", "edited", "facts edited", "touched"])
def test_a_missing_or_edited_output_is_written_again(
    damage: str, repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert extract(monkeypatch, capsys, repo).path == "run"
    out = Path("out")
    daily = (out / "runbook-daily.md").read_text(encoding="utf-8")
    facts = (out / "facts.json").read_text(encoding="utf-8")
    if damage == "removed":
        (out / "runbook-daily.md").unlink()
    elif damage == "edited":
        (out / "runbook-daily.md").write_text(daily + "\nmy own note\n", encoding="utf-8")
    elif damage == "facts edited":
        (out / "facts.json").write_text(facts.replace('"gaps": [', '"gaps": [ '), "utf-8")
    else:
        os.utime(out / "runbook-daily.md")  # same bytes, another time: still intact
    again = extract(monkeypatch, capsys, repo)
    assert again.code == 0
    assert again.path == ("checked" if damage == "touched" else "run")
    assert (out / "runbook-daily.md").read_text(encoding="utf-8") == daily


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_a_new_commit_runs_again(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "one")
    assert extract(monkeypatch, capsys, repo).path == "run"
    assert extract(monkeypatch, capsys, repo).path == "fast"
    git("commit", "-q", "--allow-empty", "-m", "two")
    assert extract(monkeypatch, capsys, repo).path == "run"


PROBE = """
import json, sys
sys.argv = ["ddd-llm", *sys.argv[1:]]
from ddd_llm.cli.__main__ import main
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = ("typer", "pydantic", "rich", "ddd_llm.config", "ddd_llm.models", "ddd_llm.pipeline")
print(json.dumps({"code": code, "loaded": [m for m in heavy if m in sys.modules]}))
"""


def test_a_fresh_interpreter_answers_an_unchanged_rerun_without_typer_or_pydantic(
    tmp_path: Path,
) -> None:
    """As a user runs it: the margin as shipped, so the repository is made old first."""
    repo = make_repo(tmp_path / "shop")
    time.sleep(known.MARGIN_NS / 1e9 + 0.1)  # files this new are never trusted (known.py)
    line = ["extract", str(repo), "--out", str(tmp_path / "out"), *ARGS]

    def probe() -> tuple[int, list[str], str]:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, *line], capture_output=True, text=True, check=False
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        return int(result["code"] or 0), result["loaded"], done.stderr

    code, loaded, said = probe()
    assert code == 0 and "pydantic" in loaded, said
    code, loaded, said = probe()
    assert (code, loaded) == (0, []), said
    assert "inputs unchanged since the last run" in said

    def benchmark_command() -> str:
        """`python -m ddd_llm.cli.app`, as benchmarks/first_run.py runs it: stderr."""
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "ddd_llm.cli.app", *line],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    said = benchmark_command()
    assert "inputs unchanged since the last run" in said
    assert re.search(r"\| +typer$", said, re.M) is None  # typer is never imported
    (repo / "app" / "settings.py").write_text('POOL = "20"\n', encoding="utf-8")
    code, loaded, said = probe()
    assert code == 0 and "ddd_llm.pipeline" in loaded, said
    assert "inputs unchanged" not in said
    # Unchanged since: answered fast, or (when the edit was too new to vouch for by its stat
    # at the run) by the full CLI, which hashes it and renews the record.
    assert "inputs unchanged since the last run" in benchmark_command()
