"""escalation.md's flowcharts parse with Mermaid's own parser (Node.js + jsdom, tests/mermaid/)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from ddd_llm.models import Service
from ddd_llm.render.renderer import flowchart, render_texts
from tests.artifact_runs import ARTIFACT_FIXTURES, static_run
from tests.conftest import TESTS

MERMAID_DIR = TESTS / "mermaid"
BLOCK = re.compile(r"```mermaid\n(.*?)\n```", re.DOTALL)


HOSTILE = Service(name='api"];\nclick n0 "javascript:alert(1)"', kind="compose-service")
BROKEN = "flowchart TD\n  a[[[ -->"


def _parse(diagrams: list[str]) -> list[dict[str, object]]:
    """Mermaid's verdict on each diagram; skips only when Node.js is absent."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the Mermaid flowcharts cannot be parsed")
    if not (MERMAID_DIR / "node_modules" / "mermaid").is_dir():
        npm = shutil.which("npm")
        assert npm, "Node.js is installed but npm is not: install npm, then `make mermaid`"
        subprocess.run(
            [npm, "ci", "--prefix", str(MERMAID_DIR), "--no-audit", "--no-fund"],
            check=True,
            capture_output=True,
            timeout=600,
        )
    done = subprocess.run(
        [node, str(MERMAID_DIR / "parse.mjs")],
        input=json.dumps(diagrams),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, object]] = json.loads(done.stdout)
    return results


@pytest.fixture(scope="module")
def parsed(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, list[tuple[str, dict[str, object]]]]:
    """Every diagram, parsed in one Node process (starting Mermaid takes seconds)."""
    groups: dict[str, list[str]] = {}
    for name in ARTIFACT_FIXTURES:
        result = static_run(name, tmp_path_factory.mktemp(name))
        text = (result.out_dir / "escalation.md").read_text(encoding="utf-8")
        found = BLOCK.findall(text)
        # One flowchart per long-running service (jobs and test-only services are not escalated).
        running = [s for s in result.document.services if s.role == "long-running"]
        assert len(found) == len(running), name
        groups[name] = found
    groups["hostile"] = [
        flowchart(HOSTILE, True, 15, ['db"} --> x[<b>'], lambda n: f'@team "{n}" #1')
    ]
    groups["broken"] = [BROKEN]
    flat = [(g, d) for g, ds in groups.items() for d in ds]
    results = _parse([d for _, d in flat])
    out: dict[str, list[tuple[str, dict[str, object]]]] = {}
    for (group, diagram), outcome in zip(flat, results, strict=True):
        out.setdefault(group, []).append((diagram, outcome))
    return out


@pytest.mark.parametrize("fixture", ARTIFACT_FIXTURES)
def test_every_escalation_flowchart_is_well_formed(
    fixture: str, parsed: dict[str, list[tuple[str, dict[str, object]]]]
) -> None:
    for diagram, outcome in parsed[fixture]:
        assert outcome["ok"], f"{outcome.get('error')}\n{diagram}"
        assert outcome["type"] == "flowchart-v2"


def test_labels_from_repository_text_cannot_break_a_flowchart(
    parsed: dict[str, list[tuple[str, dict[str, object]]]],
) -> None:
    [(chart, outcome)] = parsed["hostile"]
    assert outcome["ok"], f"{outcome.get('error')}\n{chart}"
    assert not any(line.strip().startswith("click") for line in chart.splitlines())


def test_a_broken_diagram_is_reported(
    parsed: dict[str, list[tuple[str, dict[str, object]]]],
) -> None:
    """The parser can fail: the tests above are not vacuous."""
    [(_, outcome)] = parsed["broken"]
    assert not outcome["ok"]


def test_render_texts_uses_the_same_flowcharts() -> None:
    # Pure rendering, no Node: each service gets one flowchart that ends at its owner.
    from ddd_llm.models import FactsDocument, RepoInfo, RunInfo, ToolInfo

    doc = FactsDocument(
        tool=ToolInfo(version="0"),
        repo=RepoInfo(root="repo"),
        run=RunInfo(started_at="t", finished_at="t"),
        services=[Service(name="solo", kind="systemd-unit")],
    )
    text = render_texts(doc)["escalation.md"]
    assert text.count("```mermaid") == 1
    assert "Escalate solo to owner unknown" in text
