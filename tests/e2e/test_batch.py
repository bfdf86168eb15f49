"""Batch runs: many repositories, a folder each, a summary worst first, unchanged ones skipped."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from benchmarks.synth_org import generate, make_repo, record_cassettes
from ddd_llm.apps.batch import collect_targets, read_manifest
from ddd_llm.cli.app import app

runner = CliRunner()


def cli(*args: str | Path) -> Result:
    return runner.invoke(app, ["extract", *map(str, args)])


def summary(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return data


def test_targets_from_paths_manifest_and_repos_dir(tmp_path: Path) -> None:
    org = tmp_path / "org"
    for name in ("a", "b", ".hidden", "out"):
        (org / name).mkdir(parents=True)
    other = tmp_path / "elsewhere" / "a"
    other.mkdir(parents=True)
    manifest = tmp_path / "repos.txt"
    manifest.write_text("# nightly set\n\norg/b   # again: listed once\nelsewhere/a\n")
    assert read_manifest(manifest) == [tmp_path / "org/b", tmp_path / "elsewhere/a"]

    targets = collect_targets([org / "a"], repos_dir=org, manifest=manifest, exclude=org / "out")
    paths = [t.path for t in targets]
    assert paths == [org / "a", org / "b", other]  # given order, each once; no hidden, no out
    names = [t.name for t in targets]
    assert len(set(names)) == 3 and "b" in names
    assert all(n.startswith("a-") for n in names if n != "b")  # two folders called `a`


def test_batch_writes_each_repository_and_a_summary_worst_first(tmp_path: Path) -> None:
    repos = generate(tmp_path / "org", 3)
    manifest = tmp_path / "manifest.txt"
    manifest.write_text("\n".join([*map(str, repos), "# retired:", "gone-repo"]) + "\n")
    out = tmp_path / "out"
    result = cli("--manifest", manifest, "--out", out, "--llm", "none", "--no-index", "-q")
    assert result.exit_code == 3, result.output  # one repository failed
    assert "3 extracted" in result.output and "1 failed" in result.output

    data = summary(out)
    entries = data["repositories"]
    assert [e["name"] for e in entries][0] == "gone-repo"
    assert entries[0]["status"] == "failed" and "does not exist" in entries[0]["error"]
    assert data["failures"] == [
        {"name": "gone-repo", "path": str(tmp_path / "gone-repo"), "error": entries[0]["error"]}
    ]
    done = entries[1:]
    overall = [e["scores"]["overall"] for e in done]
    assert overall == sorted(overall)
    for e in done:
        facts = json.loads((out / e["name"] / "facts.json").read_text())
        assert e["facts"] == len(facts["facts"]) > 0
        for priority in ("CRITICAL", "HIGH", "MEDIUM", "LOW"):
            assert e["gaps"][priority] == sum(g["priority"] == priority for g in facts["gaps"])
        assert e["scores"] == facts["scores"]
        assert (out / e["name"] / "runbook-daily.md").is_file()
    text = (out / "summary.md").read_text()
    for e in entries:
        assert e["name"] in text
    assert "does not exist" in text


def test_second_run_skips_unchanged_and_redoes_only_the_changed_one(tmp_path: Path) -> None:
    repos = generate(tmp_path / "org", 2)
    out = tmp_path / "out"
    args = ["--repos-dir", tmp_path / "org", "--out", out, "--llm", "none", "--no-index", "-q"]
    assert cli(*args).exit_code == 0
    facts = {r.name: out / r.name / "facts.json" for r in repos}
    before = {name: path.stat().st_mtime_ns for name, path in facts.items()}

    started = time.perf_counter()
    again = cli(*args)
    assert again.exit_code == 0, again.output
    assert time.perf_counter() - started < 10
    assert [e["status"] for e in summary(out)["repositories"]] == ["unchanged", "unchanged"]
    assert {name: path.stat().st_mtime_ns for name, path in facts.items()} == before

    changed, same = repos
    settings = changed / "api/app/settings.py"
    settings.write_text(settings.read_text() + 'api_extra = os.getenv("API_EXTRA", "7")\n')
    third = cli(*args)
    assert third.exit_code == 0, third.output
    status = {e["name"]: e["status"] for e in summary(out)["repositories"]}
    assert status == {changed.name: "extracted", same.name: "unchanged"}
    assert facts[same.name].stat().st_mtime_ns == before[same.name]


def test_one_path_keeps_its_output_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo", 1)
    monkeypatch.chdir(tmp_path)
    result = cli(repo, "--llm", "none", "--no-index")
    assert result.exit_code == 0, result.output
    assert (repo / ".ddd" / "facts.json").is_file()
    assert not (tmp_path / "ddd-out").exists() and not (repo / ".ddd" / "summary.json").exists()


@pytest.mark.slow
def test_synthetic_organisation_of_50_with_replay(tmp_path: Path) -> None:
    repos = generate(tmp_path / "org", 50)
    cassettes = tmp_path / "cassettes"
    assert record_cassettes(repos, cassettes) > 50
    out = tmp_path / "out"
    result = cli(
        "--repos-dir", tmp_path / "org", "--out", out, "--llm", "replay", "--cassettes",
        cassettes, "--no-index", "--jobs", "2", "--quiet", "--cache-dir", tmp_path / "cache",
        "--no-prose",  # the synthetic cassettes answer extraction requests only
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "50 repositories · 50 extracted" in result.output
    data = summary(out)
    assert sorted(e["name"] for e in data["repositories"]) == sorted(r.name for r in repos)
    assert data["totals"] == {"repositories": 50, "extracted": 50, "unchanged": 0, "failed": 0}
    for e in data["repositories"]:
        facts = json.loads((out / e["name"] / "facts.json").read_text())
        assert facts["run"]["failures"] == []  # every request had its recording
        assert any(f["origin"] in ("llm", "both") for f in facts["facts"])
