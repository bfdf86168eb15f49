"""`ddd-llm check`: exit codes around the threshold, CRITICAL gaps, reuse, SARIF and JSON."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from ddd_llm.cli.app import app
from ddd_llm.config import ExtractOptions
from ddd_llm.fingerprint import current_fingerprint, fingerprint, up_to_date
from ddd_llm.models import FactsDocument
from tests.conftest import FIXTURES, TESTS

runner = CliRunner()
SCHEMA = TESTS / "data" / "sarif-schema-2.1.0.json"
STATIC = ["--llm", "none", "--no-index"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of compose-shop, checked once so later tests reuse the run."""
    root = tmp_path_factory.mktemp("check") / "compose-shop"
    shutil.copytree(FIXTURES / "compose-shop", root)
    return root


def check(repo: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["check", str(repo), *STATIC, *args])
    return result.exit_code, result.stdout, result.stderr


def overall(repo: Path) -> float:
    doc = FactsDocument.model_validate_json((repo / ".ddd" / "facts.json").read_text())
    return doc.scores.overall


def test_passes_at_or_below_the_score_and_fails_above_it(repo: Path) -> None:
    code, out, _ = check(repo, "--min-score", "0", "--allow-critical")
    assert code == 0, out
    assert out.startswith("PASS")
    score = overall(repo)
    code, out, _ = check(repo, "--min-score", str(score), "--allow-critical")
    assert code == 0, out
    code, out, _ = check(repo, "--min-score", str(score + 0.1), "--allow-critical")
    assert code == 1
    assert out.startswith("FAIL")
    assert f"overall readiness {score} is below --min-score" in out


def test_a_critical_gap_fails_unless_allowed(repo: Path) -> None:
    code, out, _ = check(repo, "--min-score", "0")
    assert code == 1
    assert "CRITICAL gap: worker has no health check procedure (docker-compose.yml:" in out
    code, _, _ = check(repo, "--min-score", "0", "--allow-critical")
    assert code == 0


def test_an_up_to_date_run_is_reused_and_a_changed_file_is_extracted_again(repo: Path) -> None:
    check(repo, "--allow-critical")
    facts = repo / ".ddd" / "facts.json"
    before = facts.stat().st_mtime_ns
    code, out, err = check(repo, "--allow-critical", "--format", "json")
    assert code == 0
    assert json.loads(out)["reused"] is True
    assert "reusing the up-to-date run" in err
    assert facts.stat().st_mtime_ns == before
    compose = repo / "docker-compose.yml"
    compose.write_text(compose.read_text() + "\n# a comment changes the inputs\n")
    code, out, _ = check(repo, "--allow-critical", "--format", "json")
    assert json.loads(out)["reused"] is False
    assert facts.stat().st_mtime_ns != before
    # Edited right after the run, to the same size and modification time: still seen.
    kept = compose.stat()
    compose.write_text(compose.read_text().replace("# a comment", "# b comment"))
    os.utime(compose, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    code, out, _ = check(repo, "--allow-critical", "--format", "json")
    assert json.loads(out)["reused"] is False


def test_json_report_for_scripts(repo: Path) -> None:
    code, out, err = check(repo, "--min-score", "99", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["passed"] is False and report["exit_code"] == 1
    assert set(report["scores"]) == {"daily", "weekly", "monthly", "overall"}
    assert report["gap_counts"]["CRITICAL"] == len(
        [g for g in report["gaps"] if g["priority"] == "CRITICAL"]
    )
    assert any("below --min-score 99" in r for r in report["reasons"])
    assert "fail: overall readiness" in err


def test_sarif_validates_against_the_2_1_0_schema_and_points_at_cited_lines(
    repo: Path, tmp_path: Path
) -> None:
    path = tmp_path / "gaps.sarif"
    code, _, _ = check(repo, "--allow-critical", "--format", "sarif", "--report", str(path))
    assert code == 0
    sarif = json.loads(path.read_text())
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
    doc = FactsDocument.model_validate_json((repo / ".ddd" / "facts.json").read_text())
    [run] = sarif["runs"]
    assert len(run["results"]) == len(doc.gaps)
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    for result in run["results"]:
        assert result["ruleId"] in rules
        assert result["level"] in ("error", "warning", "note")
        location = result["locations"][0]["physicalLocation"]
        target = repo / location["artifactLocation"]["uri"]
        assert target.is_file(), location
        lines = len(target.read_text().splitlines())
        assert 1 <= location["region"]["startLine"] <= location["region"]["endLine"] <= lines
    critical = [r for r in run["results"] if r["properties"]["priority"] == "CRITICAL"]
    assert critical and all(r["level"] == "error" for r in critical)


def test_sarif_paths_are_relative_to_the_enclosing_checkout(repo: Path, tmp_path: Path) -> None:
    from ddd_llm.render.sarif import to_sarif

    checkout = tmp_path / "mono"
    (checkout / ".git").mkdir(parents=True)
    nested = checkout / "services" / "shop"
    shutil.copytree(repo, nested)
    doc = FactsDocument.model_validate_json((nested / ".ddd" / "facts.json").read_text())
    sarif = to_sarif(doc, nested)
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    ]
    assert uris and all(u.startswith("services/shop/") for u in uris)
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))


def test_bad_input_exits_2(tmp_path: Path) -> None:
    code, _, err = check(tmp_path / "missing")
    assert code == 2
    assert "does not exist" in err
    code, _, err = check(tmp_path, "--format", "xml")
    assert code == 2
    assert "unknown --format" in err


def test_fingerprint_follows_content_and_the_options_that_matter(tmp_path: Path) -> None:
    assert fingerprint([("a", "1")], {"x": 1}) == fingerprint([("a", "1")], {"x": 1})
    assert fingerprint([("a", "1")], {}) != fingerprint([("a", "2")], {})
    assert fingerprint([("a", "1")], {}) != fingerprint([("b", "1")], {})
    assert fingerprint([("a", "1")], {"x": 1}) != fingerprint([("a", "1")], {"x": 2})
    root = tmp_path / "r"
    root.mkdir()
    (root / "app.py").write_text("PORT = 1\n")
    none = ExtractOptions(llm="none", index=False)
    # A model setting does not matter to a run that asks no model; the model does otherwise.
    from dataclasses import replace

    from ddd_llm.llm import ProviderSettings

    other_model = replace(none, provider_settings=ProviderSettings(model="m2"))
    assert current_fingerprint(root, none) == current_fingerprint(root, other_model)
    asked = replace(none, llm="openai", provider_settings=ProviderSettings(model="m1"))
    asked2 = replace(none, llm="openai", provider_settings=ProviderSettings(model="m2"))
    assert current_fingerprint(root, asked) != current_fingerprint(root, asked2)
    assert up_to_date(root, none) is None  # nothing extracted yet
