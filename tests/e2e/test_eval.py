"""`ddd-llm eval` end to end: the replayed fixtures suite against the committed baseline (the CI
step), record → replay → bless → compare, regressions, prompt edits, JUnit and HTML outputs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ddd_llm.cli.app import app
from ddd_llm.config import ExtractOptions
from ddd_llm.evals.harness import (
    Baseline,
    EvalReport,
    Problem,
    compare,
    load_baseline,
    load_suite,
    make_baseline,
    problems,
    run_suite,
)
from ddd_llm.llm import ProviderSettings, prompting
from tests.conftest import ONNX_DIR, REPO
from tests.e2e.test_llm_faults import answer
from tests.fake_openai import FakeOpenAI, Reply, tool_call_body, tool_name, user_text

runner = CliRunner()
SUITE = REPO / "evals" / "suite.yaml"
BASELINE = REPO / "evals" / "baseline.json"
CASSETTES = REPO / "evals" / "cassettes" / "extract"


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Module-wide folders, and the environment conftest gives each test (module fixtures run
    before it): the shared embedding model decides which excerpts a replay asks about."""
    root = tmp_path_factory.mktemp("eval")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HOME", str(root / "home"))
        if ONNX_DIR.is_dir():
            env.setenv("DDD_LLM_ONNX_DIR", str(ONNX_DIR))
        yield {"work": root / "work", "cache": root / "cache", "out": root / "out"}


def replay_args(dirs: dict[str, Path], *extra: str) -> list[str]:
    return [
        "eval",
        str(SUITE),
        "--llm",
        "replay",
        "--work-dir",
        str(dirs["work"]),
        "--cache-dir",
        str(dirs["cache"]),
        *extra,
    ]


@pytest.fixture(scope="module")
def ci_run(dirs: dict[str, Path]) -> tuple[int, dict[str, Any]]:
    """What CI runs: `ddd-llm eval --llm replay --compare`, here with every output asked for."""
    if not ONNX_DIR.is_dir():
        # Replay needs the recorded requests, and retrieval chooses them through the index.
        pytest.skip(f"embedding model not found at {ONNX_DIR} (../shared missing)")
    out = dirs["out"]
    result = runner.invoke(
        app,
        replay_args(
            dirs,
            "--compare",
            "--json",
            "--junit",
            str(out / "junit.xml"),
            "--html",
            str(out / "report.html"),
        ),
    )
    assert result.stdout.lstrip().startswith("{"), result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture(scope="module")
def report(dirs: dict[str, Path], ci_run: tuple[int, dict[str, Any]]) -> EvalReport:
    """The same suite again through the library (extraction only), answered from the cache."""
    return run_suite(
        load_suite(SUITE),
        ExtractOptions(llm="replay", cache_dir=dirs["cache"]),
        work_dir=dirs["work"],
        qa=False,
    )


@pytest.mark.slow
def test_replayed_suite_passes_compare_against_the_committed_baseline(
    ci_run: tuple[int, dict[str, Any]],
) -> None:
    code, data = ci_run
    assert code == 0, data["problems"]
    assert data["passed"] and data["comparison"]["comparable"]
    assert not [r for r in data["comparison"]["rows"] if r["regression"]]


@pytest.mark.slow
def test_replay_reproduces_the_committed_baseline_exactly(
    ci_run: tuple[int, dict[str, Any]], report: EvalReport
) -> None:
    baseline = load_baseline(BASELINE)
    assert baseline is not None
    _, data = ci_run
    assert data["scores"] == baseline.scores
    fresh = make_baseline(report)
    assert fresh.scores["kinds"] == baseline.scores["kinds"]
    for name, case in fresh.scores["cases"].items():
        assert case["kinds"] == baseline.scores["cases"][name]["kinds"]
    assert fresh.llm == baseline.llm
    assert fresh.prompt_versions.items() <= baseline.prompt_versions.items()
    assert baseline.llm.provider == "replay" and baseline.llm.model  # the recorded model


@pytest.mark.slow
def test_model_failures_recorded_with_the_cassettes_are_counted(
    ci_run: tuple[int, dict[str, Any]],
) -> None:
    _, data = ci_run
    for name, case in data["cases"].items():
        recorded = [
            p
            for p in (CASSETTES / name).glob("*.json")
            if "error" in json.loads(p.read_text(encoding="utf-8"))
        ]
        assert case["cost"]["failures"] == len(recorded), name
        assert all("(recorded)" in f["error"] for f in case["failures"]), case["failures"]


@pytest.mark.slow
def test_an_unchanged_suite_is_answered_from_the_cache(report: EvalReport) -> None:
    requests = sum(len(list((CASSETTES / c.name).glob("*.json"))) for c in report.cases)
    assert report.cost.calls == 0
    assert report.cost.cache_hits == requests


@pytest.mark.slow
def test_junit_file_is_junit_xml_with_a_test_per_case_and_kind(
    dirs: dict[str, Path], ci_run: tuple[int, dict[str, Any]]
) -> None:
    from junitparser import JUnitXml, TestSuite

    xml = JUnitXml.fromfile(str(dirs["out"] / "junit.xml"))
    suites = {s.name: s for s in xml if isinstance(s, TestSuite)}
    kinds = ci_run[1]["scores"]["kinds"]
    for case in ci_run[1]["cases"]:
        cases = {tc.name: tc for tc in suites[f"fixtures/{case}"]}
        assert set(kinds) <= set(cases)
        assert all(tc.is_passed for tc in cases.values())
        assert "precision=" in (cases["config_parameter"].system_out or "")
    assert {tc.name for tc in suites["fixtures/all cases"]} == {*kinds, "baseline"}
    assert xml.failures == 0


@pytest.mark.slow
def test_html_report_opens_in_headless_chromium_without_console_errors(
    dirs: dict[str, Path], ci_run: tuple[int, dict[str, Any]]
) -> None:
    page = dirs["out"] / "report.html"
    html = page.read_text(encoding="utf-8")
    # Self-contained: no stylesheet, script, image or link that leaves the page.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", html)
    assert "<link" not in html and "<script" not in html and "url(" not in html
    assert html.count('<div class="miss">') > 0 and 'href="#src-' in html
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    assert "<h2>Per kind (all cases)</h2>" in done.stdout  # the page rendered


@pytest.mark.slow
def test_a_prompt_edit_without_rerecording_fails_compare_naming_the_prompt(
    dirs: dict[str, Path],
    ci_run: tuple[int, dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    edited = tmp_path / "prompts"
    shutil.copytree(prompting.prompts_dir(), edited)
    template = edited / "health_check.j2"
    template.write_text(template.read_text() + "\nPrefer HTTP probes.\n")
    monkeypatch.setattr(prompting, "prompts_dir", lambda: edited)
    result = runner.invoke(app, replay_args(dirs, "--compare", "--case", "compose-shop", "--no-qa"))
    assert result.exit_code == 1
    assert "have no cassette" in result.output
    assert "prompt 'health_check'" in result.output
    assert "not comparable" in result.output and "'health_check' changed" in result.output
    # Only the edited prompt is blamed.
    assert "prompt 'config_parameter'" not in result.output


def checked(report: EvalReport, baseline: Baseline) -> list[Problem]:
    """The comparison's verdict (a missing cassette is the CI-step test's business)."""
    found = problems(report, compare(report, baseline), compare_requested=True)
    return [p for p in found if p.check != "replay-miss"]


@pytest.mark.slow
def test_a_drop_in_one_case_and_kind_is_a_regression_even_when_the_mean_holds(
    report: EvalReport,
) -> None:
    baseline = make_baseline(report)
    assert not checked(report, baseline)
    # Raise one case's score above what the run gets, beyond the tolerance.
    scores = baseline.scores["cases"]
    case, kind, metric = next(
        (c, k, m)
        for c, entry in scores.items()
        for k, ms in entry["kinds"].items()
        for m, v in ms.items()
        if v is not None and v <= 0.9
    )
    scores[case]["kinds"][kind][metric] += 0.1
    found = checked(report, baseline)
    assert [(p.case, p.kind, p.check) for p in found] == [(case, kind, "regression")]
    assert f"{case} {kind}: {metric} fell" in found[0].message


@pytest.mark.slow
def test_a_baseline_of_another_model_is_not_comparable(report: EvalReport) -> None:
    other = make_baseline(report).model_copy(
        update={"llm": make_baseline(report).llm.model_copy(update={"model": "gpt-4o-mini"})}
    )
    comparison = compare(report, other)
    assert not comparison.comparable and not comparison.rows
    found = checked(report, other)
    assert [p.check for p in found] == ["baseline"]
    assert "gpt-4o-mini" in found[0].message


# ---------------------------------------------------------------- record → replay, small suite


def tiny_suite(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir(parents=True)
    (repo / "app.py").write_text(
        'import os\nPOOL = os.getenv("POOL", "5")\nLEVEL = os.getenv("LEVEL", "info")\n'
    )
    (repo / "garbled.py").write_text('import os  # MARK_MALFORMED\nX = os.getenv("X", "1")\n')
    facts = [
        {
            "kind": "config_parameter",
            "name": name,
            "default": default,
            "value_type": "string",
            "summary": name,
            "citations": [{"path": path, "start_line": line, "end_line": line}],
        }
        for name, default, path, line in (
            ("POOL", "5", "app.py", 2),
            ("LEVEL", "info", "app.py", 3),
            ("X", "1", "garbled.py", 2),
            ("MISSING", "1", "app.py", 1),
        )
    ]
    (root / "gold.json").write_text(json.dumps({"facts": facts}))
    suite = {
        "name": "tiny",
        "extract": {"kinds": ["config_parameter"]},
        "thresholds": {"kinds": {"config_parameter": {"precision": 0.5, "recall": 0.5}}},
        "cases": [{"name": "app", "repo": "repo", "gold": "gold.json", "cassettes": "tapes"}],
    }
    path = root / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


def garble(body: dict[str, Any], _n: int) -> Reply | None:
    if "MARK_MALFORMED" in user_text(body):
        return Reply(body=tool_call_body(tool_name(body), '{"items": [{"name": '))
    return None


def test_record_then_replay_bless_and_compare(tmp_path: Path) -> None:
    suite = tiny_suite(tmp_path)
    common = ["--no-index", "--work-dir", str(tmp_path / "w"), "--json"]
    with FakeOpenAI(answer=answer, script=garble) as server:
        live = runner.invoke(
            app,
            [
                "eval",
                str(suite),
                "--llm",
                "openai",
                "--base-url",
                server.base_url,
                "--model",
                "fake-model",
                "--record",
                "--cache-dir",
                str(tmp_path / "c1"),
                *common,
            ],
        )
    assert live.exit_code == 0, live.output
    tapes = sorted((tmp_path / "tapes").glob("*.json"))
    assert len(tapes) == 2
    assert sum("error" in json.loads(t.read_text()) for t in tapes) == 1  # garbled.py
    replay = ["eval", str(suite), "--llm", "replay", "--cache-dir", str(tmp_path / "c2"), *common]
    blessed = runner.invoke(app, [*replay, "--bless"])
    assert blessed.exit_code == 0, blessed.output
    recorded, replayed = json.loads(live.stdout), json.loads(blessed.stdout)
    assert replayed["scores"] == recorded["scores"]
    assert replayed["cost"]["failures"] == recorded["cost"]["failures"] == 1
    kind = replayed["scores"]["kinds"]["config_parameter"]
    assert (kind["precision"], kind["recall"]) == (1.0, 0.75)  # all but MISSING
    baseline = Baseline.model_validate_json((tmp_path / "baseline.json").read_text())
    assert baseline.llm.model == "fake-model" and "config_parameter" in baseline.prompt_versions
    compared = runner.invoke(app, [*replay, "--compare"])
    assert compared.exit_code == 0, compared.output
    assert json.loads(compared.stdout)["comparison"]["comparable"]
    table = runner.invoke(app, [*replay[:-1], "--compare"])  # the terminal tables
    assert table.exit_code == 0, table.output
    assert "(baseline → now)" in table.output and "1.000 =" in table.output
    assert "eval passed" in table.output

    # A live run of the same model and prompts is compared with the replayed baseline: a
    # model that now invents a parameter lowers precision, and --compare says where.
    def invent(body: dict[str, Any]) -> dict[str, Any]:
        found = answer(body)
        line = found["items"][0]["start_line"] if found["items"] else 1
        bogus = {"summary": "made up", "start_line": line, "end_line": line, "name": "BOGUS"}
        return {"items": [*found["items"], bogus]}

    with FakeOpenAI(answer=invent, script=garble) as server:
        worse = runner.invoke(
            app,
            [
                "eval",
                str(suite),
                "--llm",
                "openai",
                "--base-url",
                server.base_url,
                "--model",
                "fake-model",
                "--compare",
                "--cache-dir",
                str(tmp_path / "c3"),
                *common,
            ],
        )
    assert worse.exit_code == 1, worse.output
    data = json.loads(worse.stdout)
    assert data["comparison"]["comparable"]
    assert any(
        p["case"] == "app" and p["kind"] == "config_parameter" and "precision fell" in p["message"]
        for p in data["problems"]
    ), data["problems"]


def test_repeat_reports_the_spread_of_each_metric(tmp_path: Path) -> None:
    suite = tiny_suite(tmp_path)
    with FakeOpenAI(answer=answer, script=garble) as server:
        report = run_suite(
            load_suite(suite),
            ExtractOptions(
                llm="openai",
                index=False,
                cache_dir=tmp_path / "c",
                provider_settings=ProviderSettings(model="fake-model", base_url=server.base_url),
            ),
            work_dir=tmp_path / "w",
            repeat=3,
        )
        requests = len(server.requests)
    case = report.cases[0]
    assert len(case.runs) == 3 and report.temperature == 0.7
    assert requests >= 3 * 2  # each repeat asked the model, none answered from another's cache
    low, high = case.spread("config_parameter")["recall"]
    assert low <= case.scores("config_parameter")["recall"] <= high  # type: ignore[operator]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("cases: [", "cannot read suite file"),
        ("name: x\ncases: []\n", "cases"),
        ("name: x\ncases:\n  - {name: a, repo: nowhere, gold: g.json}\n", "is not a folder"),
        ("name: x\nbogus: 1\ncases:\n  - {name: a, repo: ., gold: g.json}\n", "bogus"),
    ],
)
def test_a_bad_suite_file_exits_2_saying_what_is_wrong(
    tmp_path: Path, content: str, message: str
) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(content)
    result = runner.invoke(app, ["eval", str(suite), "--llm", "none"])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_record_needs_a_live_model(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(tiny_suite(tmp_path)), "--llm", "replay", "--record"])
    assert result.exit_code == 2
    assert "--record needs a live model" in result.output
