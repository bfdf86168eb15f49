"""The stale-runbook gate as a library: runbooks of an earlier static run against today's code.

Each test copies compose-shop into a fresh git repository, writes its runbooks to DOCS (an
`extract --out DOCS`), plants one change, commits it and compares. Both directions: the
unchanged repository yields no finding, and each planted change is found, named with its
step and commit, while facts it did not touch are left out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ddd_llm.apps.docs_gate import Git, compare, load_docs, value_diff
from ddd_llm.config import ExtractOptions
from ddd_llm.errors import InputError
from ddd_llm.models import ConfigParameter, FactsDocument
from ddd_llm.pipeline import extract
from ddd_llm.render.fact_steps import step_refs, steps_for
from tests.conftest import FIXTURES

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}
POLL = "config_parameter:worker:WORKER_POLL_INTERVAL"
REDIS_HEALTH = "health_check:redis:compose-healthcheck:redis-cli ping"
POSTGRES_HEALTH = "health_check:postgres:compose-healthcheck:pg_isready -U shop -d shop"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout.strip()


def static(repo: Path, out: Path) -> FactsDocument:
    return extract(repo, ExtractOptions(llm="none", index=False, out_dir=out)).document


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """compose-shop in a git repository with its runbooks in DOCS, made from the first commit."""
    root = tmp_path_factory.mktemp("gate")
    repo = root / "shop"
    shutil.copytree(FIXTURES / "compose-shop", repo, ignore=shutil.ignore_patterns(".ddd"))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    static(repo, root / "docs")
    return root


@pytest.fixture
def shop(base: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the base: repository (with its history) and DOCS."""
    shutil.copytree(base / "shop", tmp_path / "shop")
    shutil.copytree(base / "docs", tmp_path / "docs")
    return tmp_path / "shop", tmp_path / "docs"


def plant(repo: Path, path: str, edit: str, old: str = "", new: str = "") -> str:
    """Edit one file (`replace`, `delete` lines old..new, or `insert` text above line old)."""
    file = repo / path
    lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
    if edit == "replace":
        text = "".join(lines)
        assert text.count(old) == 1, old
        file.write_text(text.replace(old, new), encoding="utf-8")
    elif edit == "delete":
        del lines[int(old) - 1 : int(new)]
        file.write_text("".join(lines), encoding="utf-8")
    else:
        lines[int(old) - 1 : int(old) - 1] = [new]
        file.write_text("".join(lines), encoding="utf-8")
    git(repo, "commit", "-qam", f"plant: {edit} in {path}")
    return git(repo, "rev-parse", "--short", "HEAD")


def gate(repo: Path, docs: Path, tmp: Path):  # type: ignore[no-untyped-def]
    return compare(load_docs(docs, repo), static(repo, tmp / "now"), repo, docs)


def test_an_unchanged_repository_is_up_to_date(shop: tuple[Path, Path], tmp_path: Path) -> None:
    repo, docs = shop
    result = gate(repo, docs, tmp_path)
    assert result.findings == []
    assert not result.stale
    assert result.reasons() == []


def test_a_changed_default_names_its_step_and_commit(
    shop: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, docs = shop
    sha = plant(
        repo, "docker-compose.yml", "replace", "WORKER_POLL_INTERVAL=2", "WORKER_POLL_INTERVAL=3"
    )
    result = gate(repo, docs, tmp_path)
    assert [(f.kind, f.subject) for f in result.findings] == [("changed", POLL)]
    finding = result.findings[0]
    assert ("-", "default: 2") in finding.diff and ("+", "default: 3") in finding.diff
    [step] = [s for s in finding.steps if s.file == "runbook-monthly.md"]
    assert step.title.startswith("Review WORKER_POLL_INTERVAL (default 2)")
    assert step.section == "2. Performance tuning" and step.number is not None
    text = (docs / "runbook-monthly.md").read_text().splitlines()
    assert step.line is not None and "WORKER_POLL_INTERVAL" in text[step.line - 1]
    assert finding.history is not None and finding.history.commits == (sha,)
    assert finding.history.range is not None and finding.history.range.endswith("..HEAD")
    assert result.reasons() and "--update" in result.reasons()[0]


def test_a_deleted_health_check_is_named_with_the_new_critical_gap(
    shop: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, docs = shop
    lines = (repo / "docker-compose.yml").read_text().splitlines()
    start = lines.index("    healthcheck:", lines.index("  redis:")) + 1
    plant(repo, "docker-compose.yml", "delete", str(start), str(start + 4))
    result = gate(repo, docs, tmp_path)
    by_id = {f.subject: f for f in result.findings}
    assert by_id[REDIS_HEALTH].kind == "removed"
    files = {s.file for s in by_id[REDIS_HEALTH].steps}
    assert {"runbook-daily.md", "escalation.md", "validation-procedures.md"} <= files
    gaps = [f for f in result.findings if f.kind == "critical-gap"]
    assert [g.subject for g in gaps] == ["gap:health_check:redis"]
    # The rest of the file above the deleted lines did not move: nothing else is named.
    assert set(by_id) == {REDIS_HEALTH, "gap:health_check:redis"}


def test_lines_inserted_above_a_citation_move_it_with_the_same_text(
    shop: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, docs = shop
    plant(repo, "docker-compose.yml", "insert", "1", "# added\n# by a test\n")
    result = gate(repo, docs, tmp_path)
    kinds = {f.kind for f in result.findings}
    assert kinds == {"moved"}, [(f.kind, f.subject) for f in result.findings]
    by_id = {f.subject: f for f in result.findings}
    moved = by_id[POSTGRES_HEALTH]
    assert any("moved, same text" in text for sign, text in moved.diff if sign == "+")
    assert any(s.file == "runbook-daily.md" for s in moved.steps)
    # Exactly the facts citing docker-compose.yml are named; the others are kept out.
    cited = {
        f.id
        for f in load_docs(docs, repo).facts
        if any(c.path == "docker-compose.yml" for c in f.citations)
    }
    assert set(by_id) == cited


def test_without_git_the_move_is_found_and_the_range_is_said_to_be_missing(
    shop: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, docs = shop
    shutil.rmtree(repo / ".git")
    text = (repo / "docker-compose.yml").read_text()
    (repo / "docker-compose.yml").write_text("# one more line\n" + text)
    result = compare(load_docs(docs, repo), static(repo, tmp_path / "now"), repo, docs)
    assert POSTGRES_HEALTH in {f.subject for f in result.findings if f.kind == "moved"}
    assert any("not in a git checkout" in n for n in result.notes)
    assert all(f.history is None or f.history.range is None for f in result.findings)


def test_git_outside_a_checkout_answers_nothing(tmp_path: Path) -> None:
    g = Git(tmp_path)
    assert not g.available
    assert g.head() is None
    assert not g.has_commit("0" * 40)


def test_a_docs_folder_without_facts_json_says_to_run_extract(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_docs(tmp_path / "docs", tmp_path / "repo")
    assert caught.value.exit_code == 2
    assert f"run `ddd-llm extract {tmp_path / 'repo'} --out {tmp_path / 'docs'}` first" in str(
        caught.value
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "facts.json").write_text("{not json")
    with pytest.raises(InputError, match="is not a facts.json"):
        load_docs(tmp_path / "docs", tmp_path / "repo")


def test_a_secret_default_is_never_shown() -> None:
    cite = {"path": ".env", "start_line": 1, "end_line": 1}
    base = {"id": "config_parameter:-:TOKEN", "summary": "token", "citations": [cite]}
    was = ConfigParameter.model_validate(
        {**base, "name": "TOKEN", "default": "abc", "secret": True}
    )
    now = was.model_copy(update={"default": "xyz"})
    diff = value_diff(was, now)
    assert diff and all("abc" not in t and "xyz" not in t for _, t in diff)
    plain = was.model_copy(update={"secret": False})
    assert ("+", "default: xyz") in value_diff(plain, plain.model_copy(update={"default": "xyz"}))


def test_every_step_of_the_runbooks_is_located_in_its_file(shop: tuple[Path, Path]) -> None:
    repo, docs = shop
    doc = load_docs(docs, repo)
    texts = {p.name: p.read_text() for p in docs.glob("*.md")}
    refs = step_refs(doc, texts)
    assert refs and all(r.line is not None for r in refs)
    for ref in refs:
        assert ref.title.split(" ")[0] in texts[ref.file].splitlines()[ref.line - 1]  # type: ignore[operator]
    # Every health check is some step's fact.
    mapped = steps_for(refs)
    assert all(f.id in mapped for f in doc.facts if f.kind == "health_check")
