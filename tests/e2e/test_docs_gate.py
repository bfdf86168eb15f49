"""`ddd-llm check PATH --docs DIR` (the stale-runbook gate) as a user runs it: the CLI, the
pre-commit hooks of `.pre-commit-hooks.yaml` and the example GitHub Actions workflow, each run
by executing the commands those files contain on a git copy of vm-telemetry whose runbooks
are committed in docs/ops. Both directions: unchanged → exit 0, planted change → exit 1
naming the stale step.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from ddd_llm.cli.app import app
from tests.conftest import FIXTURES, REPO, TESTS

runner = CliRunner()
SCHEMA = json.loads((TESTS / "data" / "sarif-schema-2.1.0.json").read_text())
STATIC = ["--llm", "none", "--no-index"]
GATE = ["--allow-critical", "--docs", "docs/ops"]
"""The gate alone: readiness (CRITICAL gaps) is test_check.py's business."""
DOCS = "docs/ops"
HOOKS = REPO / ".pre-commit-hooks.yaml"
WORKFLOW = REPO / "examples" / "github-actions" / "ddd-llm.yml"
VENV_BIN = Path(sys.executable).parent
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}
DEFAULTS = "deploy/ansible/roles/telemetry_collector/defaults/main.yml"
WORKERS = "config_parameter:telemetry-collector:collector_workers"
HEALTH = "health_check:telemetry-collector:code-endpoint:/health"
HEALTH_STEP = "Check telemetry-collector health (code-endpoint, http /health)"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """vm-telemetry in git, its runbooks written by `extract . --out docs/ops` and committed."""
    repo = tmp_path_factory.mktemp("gate") / "vm-telemetry"
    shutil.copytree(FIXTURES / "vm-telemetry", repo, ignore=shutil.ignore_patterns(".ddd"))
    git(repo, "init", "-q")
    (repo / ".git" / "info" / "exclude").write_text(".ddd/\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    cwd = Path.cwd()
    os.chdir(repo)
    try:
        done = runner.invoke(app, ["extract", ".", "--out", DOCS, *STATIC])
    finally:
        os.chdir(cwd)
    assert done.exit_code == 0, done.output
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "runbooks")
    return repo


@pytest.fixture
def repo(base: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "vm-telemetry"
    shutil.copytree(base, copy, ignore=shutil.ignore_patterns(".ddd"))
    return copy


def plant(repo: Path) -> str:
    """A changed default (shown in tables) and a moved health check (a step), committed."""
    defaults = repo / DEFAULTS
    defaults.write_text(
        defaults.read_text().replace("collector_workers: 4", "collector_workers: 8")
    )
    server = repo / "collector" / "server.py"
    server.write_text("# moved by a test\n\n" + server.read_text())
    git(repo, "commit", "-qam", "plant")
    return git(repo, "rev-parse", "--short", "HEAD")


def check(repo: Path, *args: str) -> tuple[int, str, str]:
    cwd = Path.cwd()
    os.chdir(repo)
    try:
        done = runner.invoke(app, ["check", ".", *STATIC, *args])
    finally:
        os.chdir(cwd)
    return done.exit_code, done.stdout, done.stderr


def test_the_gate_passes_unchanged_fails_planted_and_update_fixes_it(repo: Path) -> None:
    code, out, _ = check(repo, *GATE)
    assert code == 0, out
    assert f"docs gate: {DOCS} is up to date with the code" in out
    code, out, _ = check(repo, *GATE, "--format", "json")
    assert code == 0 and json.loads(out)["docs"]["findings"] == []

    sha = plant(repo)
    code, out, _ = check(repo, *GATE)
    assert code == 1, out
    assert f"runbooks in {DOCS} are stale" in out
    assert f"@@ ~ changed: {WORKERS} changed value @@" in out
    assert "- default: 4" in out and "+ default: 8" in out
    assert f"@@ > moved: {HEALTH}: its cited lines moved @@" in out
    assert any(
        line.startswith("  step: runbook-daily.md › 1. Health verification")
        and f'· step 1 "{HEALTH_STEP}"' in line
        for line in out.splitlines()
    ), out
    assert f"..HEAD touching collector/server.py: {sha}" in out
    # Facts whose files were not touched are not named.
    assert "collector_listen_port" not in out

    (repo / DOCS / "NOTES.md").write_text("kept\n")
    code, out, _ = check(repo, *GATE, "--update")
    assert code == 0, out
    assert f"rewrote 11 files in {DOCS}" in out or "rewrote" in out
    assert (repo / DOCS / "NOTES.md").read_text() == "kept\n"
    assert "`8`" in (repo / DOCS / "preflight-checklist.md").read_text()
    code, out, _ = check(repo, *GATE)
    assert code == 0, out


def test_sarif_names_the_stale_step_at_its_line_and_validates(repo: Path) -> None:
    plant(repo)
    code, _, err = check(repo, *GATE, "--format", "sarif", "--report", "ddd.sarif")
    assert code == 1
    assert f"fail: runbooks in {DOCS} are stale" in err
    log = json.loads((repo / "ddd.sarif").read_text())
    jsonschema.validate(log, SCHEMA)
    [run] = log["runs"]
    stale = [r for r in run["results"] if r["ruleId"].startswith("stale-docs/")]
    by_id = {r["properties"]["factId"]: r for r in stale}
    assert set(by_id) >= {WORKERS, HEALTH}
    moved = by_id[HEALTH]
    assert moved["ruleId"] == "stale-docs/moved"
    where = moved["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == f"{DOCS}/runbook-daily.md"
    line = (
        (repo / DOCS / "runbook-daily.md")
        .read_text()
        .splitlines()[where["region"]["startLine"] - 1]
    )
    assert HEALTH_STEP in line
    related = moved["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert related == "collector/server.py"
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])


def test_usage_errors_exit_2_saying_how_to_fix(repo: Path) -> None:
    code, _, err = check(repo, "--docs", "nowhere")
    assert code == 2
    assert "run `ddd-llm extract . --out nowhere` first" in err
    code, _, err = check(repo, "--update")
    assert code == 2 and "add --docs DIR" in err
    assert not (repo / ".ddd").exists()  # nothing was extracted


# ------------------------------------------------------------------ the files that run it


def tool_env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def hook_command(hook: dict[str, Any], files: list[str]) -> list[str]:
    """What pre-commit runs: the entry split as a shell would, the args, then the file names
    (unless `pass_filenames: false`)."""
    cmd = [*shlex.split(hook["entry"]), *hook.get("args", [])]
    return cmd + (files if hook.get("pass_filenames", True) else [])


def test_pre_commit_hooks_run_as_pre_commit_would(repo: Path) -> None:
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text())}
    assert set(hooks) == {"ddd-llm-check", "ddd-llm-docs-gate"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["entry"].startswith("ddd-llm check")
        assert hook["pass_filenames"] is False
    files = git(repo, "ls-files").splitlines()

    def run(hook_id: str, *extra: str) -> subprocess.CompletedProcess[str]:
        cmd = hook_command(hooks[hook_id], files) + list(extra)
        return subprocess.run(
            cmd, cwd=repo, env=tool_env(), capture_output=True, text=True, check=False
        )

    done = run("ddd-llm-check")
    facts = json.loads((repo / ".ddd" / "facts.json").read_text())
    critical = [g for g in facts["gaps"] if g["priority"] == "CRITICAL"]
    assert done.returncode == (1 if critical else 0), done.stdout + done.stderr
    assert all(f"CRITICAL gap: {g['message']}" in done.stdout for g in critical)
    assert run("ddd-llm-check", "--allow-critical").returncode == 0
    assert run("ddd-llm-check", "--allow-critical", "--min-score", "100").returncode == 1
    done = run("ddd-llm-docs-gate")
    assert done.returncode == 0, done.stdout + done.stderr
    plant(repo)
    done = run("ddd-llm-docs-gate")
    assert done.returncode == 1
    assert HEALTH_STEP in done.stdout and WORKERS in done.stdout


def workflow_steps() -> tuple[dict[str, str], list[dict[str, Any]]]:
    flow = yaml.safe_load(WORKFLOW.read_text())
    assert "on" in flow or True in flow  # YAML 1.1 reads the key `on` as true
    [job] = flow["jobs"].values()
    return {k: str(v) for k, v in job.get("env", {}).items()}, job["steps"]


def run_workflow(repo: Path) -> tuple[dict[str, str], str]:
    """Each `run:` step through bash as GitHub runs it (`bash -eo pipefail`), honouring the
    `if:` conditions the workflow uses; `uses:` steps are GitHub's own and are not run."""
    env, steps = workflow_steps()
    outcomes: dict[str, str] = {}
    failed = False
    log = []
    for i, step in enumerate(steps):
        sid = step.get("id", f"step{i}")
        cond = step.get("if", "success()")
        if "run" not in step:
            continue
        if step.get("id") == "install":
            assert "pip install ddd-llm" in step["run"]
            outcomes[sid] = "skipped: the project's venv is on PATH"
            continue
        wanted = {
            "success()": not failed,
            "failure() && steps.gate.outcome == 'failure'": outcomes.get("gate") == "failure",
        }[cond]
        if not wanted:
            outcomes[sid] = "skipped"
            continue
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=repo,
            env={**tool_env(), **env},
            capture_output=True,
            text=True,
            check=False,
        )
        log.append(done.stdout + done.stderr)
        outcomes[sid] = "success" if done.returncode == 0 else "failure"
        failed = failed or done.returncode != 0
    return outcomes, "\n".join(log)


def test_the_github_workflow_runs_its_commands(repo: Path) -> None:
    env, steps = workflow_steps()
    assert env["DDD_DOCS"] == DOCS
    checkout = next(s for s in steps if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    upload = next(s for s in steps if "upload-sarif" in str(s.get("uses", "")))
    sarif = repo / upload["with"]["sarif_file"]

    outcomes, log = run_workflow(repo)
    assert outcomes["gate"] == "success", log
    jsonschema.validate(json.loads(sarif.read_text()), SCHEMA)
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert not [r for r in results if r["ruleId"].startswith("stale-docs/")]

    plant(repo)
    outcomes, log = run_workflow(repo)
    assert outcomes["gate"] == "failure"
    assert HEALTH_STEP in log  # the explain step printed the diff-style report
    log_json = json.loads(sarif.read_text())
    jsonschema.validate(log_json, SCHEMA)
    stale = {
        r["properties"]["factId"]
        for r in log_json["runs"][0]["results"]
        if r["ruleId"].startswith("stale-docs/")
    }
    assert {WORKERS, HEALTH} <= stale
