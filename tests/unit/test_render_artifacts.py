"""The artifacts an operator opens: golden files per fixture, live citation links, step policy.

Snapshots live in tests/snapshots/<fixture>/<artifact>. After an intended change to the
output, regenerate them with

    DDD_LLM_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_render_artifacts.py

and review the diff before committing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ddd_llm.config import ExtractOptions
from ddd_llm.models import Check, Dependency, FactsDocument, HealthCheck, Verification
from ddd_llm.render.renderer import ARTIFACTS, STEP_LINE, render_texts
from tests.artifact_runs import (
    ARTIFACT_FIXTURES,
    SNAPSHOTS,
    UPDATE_ENV,
    normalise,
    static_run,
)

LINK = re.compile(r"\[([^\]]+)\]\(([^)#\s]+)#L(\d+)(?:-L(\d+))?\)")
SAFETY = re.compile(
    r"^    - Safety: `(safe|caution|needs approval)` · about (\d+) min · evidence: (.+)$"
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[FactsDocument, Path, Path]]:
    out = {}
    for name in ARTIFACT_FIXTURES:
        result = static_run(name, tmp_path_factory.mktemp(name))
        out[name] = (result.document, result.out_dir, result.out_dir.parent)
    return out


CASES = [(f, a) for f in ARTIFACT_FIXTURES for a in ARTIFACTS]


@pytest.mark.parametrize(("fixture", "artifact"), CASES)
def test_artifact_matches_its_snapshot(
    fixture: str, artifact: str, runs: dict[str, tuple[FactsDocument, Path, Path]]
) -> None:
    _, out_dir, repo = runs[fixture]
    text = normalise((out_dir / artifact).read_text(encoding="utf-8"), repo, fixture)
    snapshot = SNAPSHOTS / fixture / artifact
    if os.environ.get(UPDATE_ENV) == "1":
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(text, encoding="utf-8")
    assert snapshot.is_file(), f"no snapshot {snapshot}: run with {UPDATE_ENV}=1 to create it"
    expected = snapshot.read_text(encoding="utf-8")
    assert text == expected, (
        f"{fixture}/{artifact} differs from its snapshot; if the change is intended, "
        f"regenerate with {UPDATE_ENV}=1 and review the diff"
    )


@pytest.mark.parametrize("fixture", ARTIFACT_FIXTURES)
def test_every_citation_link_points_to_an_existing_line(
    fixture: str, runs: dict[str, tuple[FactsDocument, Path, Path]]
) -> None:
    _, out_dir, repo = runs[fixture]
    checked = 0
    for artifact in ARTIFACTS:
        text = (out_dir / artifact).read_text(encoding="utf-8")
        for label, href, start, end in LINK.findall(text):
            target = (out_dir / href).resolve()
            assert target.is_file(), f"{artifact}: {href} does not exist"
            assert repo.resolve() in target.parents, f"{artifact}: {href} leaves the repository"
            length = len(target.read_text(encoding="utf-8").splitlines())
            first, last = int(start), int(end or start)
            assert 1 <= first <= last <= length, f"{artifact}: {href}#L{start} past {length} lines"
            rel = target.relative_to(repo.resolve()).as_posix()
            shown = f"{rel}:{first}" + (f"-{last}" if last != first else "")
            assert label == shown, f"{artifact}: link text {label!r} is not {shown!r}"
            checked += 1
    assert checked > 50, f"only {checked} citation links in {fixture}'s artifacts"


@pytest.mark.parametrize("fixture", ARTIFACT_FIXTURES)
def test_every_step_has_safety_duration_evidence_and_expected_result(
    fixture: str, runs: dict[str, tuple[FactsDocument, Path, Path]]
) -> None:
    _, out_dir, _ = runs[fixture]
    total = 0
    for artifact in ARTIFACTS:
        lines = (out_dir / artifact).read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if not line.startswith(STEP_LINE):
                continue
            total += 1
            match = SAFETY.match(line)
            assert match, f"{artifact}:{i + 1}: {line}"
            assert int(match.group(2)) >= 1
            assert LINK.search(match.group(3)), f"{artifact}:{i + 1}: no citation link"
            block = []
            for following in lines[i + 1 :]:
                if not following.startswith("    - "):
                    break
                block.append(following)
            assert any(b.startswith("    - Expect: ") for b in block), f"{artifact}:{i + 1}"
    assert total >= 40, f"{fixture}: only {total} steps"


def test_the_artifacts_cover_each_cadence_and_operation(
    runs: dict[str, tuple[FactsDocument, Path, Path]],
) -> None:
    _, out_dir, _ = runs["compose-shop"]
    weekly = (out_dir / "runbook-weekly.md").read_text(encoding="utf-8")
    # The update sequence follows the start order: postgres and redis before api before proxy.
    order = [weekly.index(f"### {n}. {s}") for n, s in enumerate(["postgres", "redis", "api"], 1)]
    assert order == sorted(order)
    assert "postgres → redis → api → proxy → worker" in weekly
    assert "`needs approval`" in weekly
    validation = (out_dir / "validation-procedures.md").read_text(encoding="utf-8")
    for title in ("Deploy or upgrade", "Restart", "Configuration change", "Migration", "Backup"):
        assert f". {title}" in validation
    gaps = (out_dir / "gaps.md").read_text(encoding="utf-8")
    assert "1 service missing a health check procedure" in gaps
    assert "No rollback procedures for 5 update operations" in gaps
    k8s = (runs["k8s-payments"][1] / "runbook-weekly.md").read_text(encoding="utf-8")
    assert 'kubectl --context "$KUBE_CONTEXT" -n payments rollout undo deployment/ledger' in k8s
    # Commands name their project and resolve names as the platform does (issue 17).
    monthly = (out_dir / "runbook-monthly.md").read_text(encoding="utf-8")
    assert "docker system df -v | awk '$1 == \"shop_pgdata\"'" in monthly
    assert "grep -w pgdata" not in monthly
    assert "docker compose -f docker-compose.yml -p shop ps postgres" in weekly


def _with_status(doc: FactsDocument, fact_id: str, status: str, detail: str) -> FactsDocument:
    facts = []
    for f in doc.facts:
        if f.id == fact_id:
            check = Check(name="cites_key", passed=False, detail=detail)
            f = f.model_copy(update={"verification": Verification(status=status, checks=[check])})  # type: ignore[arg-type]
        facts.append(f)
    return doc.model_copy(update={"facts": facts})


def test_unverified_facts_are_marked_and_contradicted_or_rejected_never_become_steps(
    runs: dict[str, tuple[FactsDocument, Path, Path]],
) -> None:
    doc, _, _ = runs["compose-shop"]
    redis = next(f for f in doc.facts if isinstance(f, HealthCheck) and f.service == "redis")
    proxy = next(f for f in doc.facts if isinstance(f, HealthCheck) and f.service == "proxy")
    doc = _with_status(doc, redis.id, "unverified", "the cited lines do not mention it")
    doc = _with_status(doc, proxy.id, "contradicted", "two files disagree about it")
    claim = HealthCheck(
        service="worker",
        summary="worker health endpoint /made-up",
        check_type="http",
        target="/made-up",
        citations=[{"path": "docker-compose.yml", "start_line": 43, "end_line": 44}],  # type: ignore[list-item]
        origin="llm",
        verification=Verification(status="contradicted"),
    )
    obeyed = Dependency(
        service="api",
        summary="Run `rm -rf /var/lib/postgresql/data` first; api depends on mongo",
        target="mongo",
        citations=[{"path": "README.md", "start_line": 1, "end_line": 1}],  # type: ignore[list-item]
        origin="llm",
        verification=Verification(status="unverified"),
    )
    doc = doc.model_copy(update={"rejected": [claim], "facts": [*doc.facts, obeyed]})
    texts = render_texts(doc)
    daily = texts["runbook-daily.md"]
    marked = f"**Check redis health ({redis.mechanism}, {redis.check_type} {redis.target})** ⚠️"
    assert marked in daily
    assert "*unverified: the cited lines do not mention it*" in daily
    for name, text in texts.items():
        steps = [ln for ln in text.splitlines() if ln.startswith(("1. **", "2. **", "- [ ] **"))]
        assert not any(proxy.target in s for s in steps), f"contradicted fact is a step in {name}"
        if name != "claims-to-confirm.md":
            assert "/made-up" not in text, f"rejected claim appears in {name}"
            assert "mongo" not in text and "rm -rf" not in text, f"model claim in {name}"
    report = texts["compliance-report.md"]
    assert "| rejected model claims | 1 |" in report
    assert "two files disagree about it" in report
    assert "2 claims of a model" in report
    appendix = texts["claims-to-confirm.md"]
    quoted = [ln for ln in appendix.splitlines() if "mongo" in ln or "made\\-up" in ln]
    prefixes = ("> ", "Not verified because: ", "Refuted: ")
    assert len(quoted) >= 2 and all(ln.lstrip().startswith(prefixes) for ln in quoted), quoted
    # Shown as words, never as code: every backtick escaped, so no code span can open.
    assert not any(re.search(r"(?<!\\)`", ln) for ln in quoted) and "rm \\-rf" in appendix


def test_markdown_injection_in_repository_text_stays_inert() -> None:
    from ddd_llm.render.renderer import md_cell, md_code, md_escape

    assert md_escape("<script>x</script>\nnext") == "&lt;script&gt;x&lt;/script&gt; next"
    assert md_cell("a|b") == "a\\|b"
    assert md_code("echo `id`") == "`` echo `id` ``"
    assert md_code("curl -fsS http://x || exit 1") == "`curl -fsS http://x || exit 1`"


def test_owners_come_from_codeowners_and_fill_who_to_tell(tmp_path: Path) -> None:
    import shutil

    from ddd_llm.pipeline import extract
    from tests.conftest import FIXTURES

    repo = tmp_path / "shop"
    shutil.copytree(FIXTURES / "compose-shop", repo)
    (repo / ".github").mkdir()
    (repo / ".github" / "CODEOWNERS").write_text(
        "# owners\n* @shop/ops\ndocker-compose.yml @shop/platform  # the stack\n"
    )
    result = extract(repo, ExtractOptions(llm="none", index=False))
    doc = result.document
    assert [o.owners for o in doc.repo.owners] == [["@shop/ops"], ["@shop/platform"]]
    assert not [g for g in doc.gaps if g.category == "owners"]
    preflight = (result.out_dir / "preflight-checklist.md").read_text(encoding="utf-8")
    assert "| worker | @shop/platform | `docker-compose.yml` [.github/CODEOWNERS:3]" in preflight
    escalation = (result.out_dir / "escalation.md").read_text(encoding="utf-8")
    assert "Escalate api to @shop/platform" in escalation


def test_without_owner_metadata_each_service_has_an_owners_gap(
    runs: dict[str, tuple[FactsDocument, Path, Path]],
) -> None:
    doc, out_dir, _ = runs["vm-telemetry"]
    owners = [g for g in doc.gaps if g.category == "owners"]
    assert {g.service for g in owners} == {s.name for s in doc.services}
    assert all(g.fix_in == [".github/CODEOWNERS"] for g in owners)
    assert "The repository names no owner" in (out_dir / "preflight-checklist.md").read_text()


def test_maintainers_files_name_repository_wide_owners(tmp_path: Path) -> None:
    from ddd_llm.evidence.owners import find_owners, owner_of

    (tmp_path / "MAINTAINERS.md").write_text("# Maintainers\n\n- Ada <ada@example.org>\n- @bob\n")
    [rule] = find_owners(tmp_path)
    assert rule.pattern == "*" and rule.owners == ["ada@example.org", "@bob"]
    assert str(rule.citation) == "MAINTAINERS.md:3-4"
    assert owner_of(["any/file.py"], [rule]) == rule
