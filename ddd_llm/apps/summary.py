"""The organisation-wide summary of a batch run: summary.json and summary.md, worst first."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from ddd_llm.atomic import atomic_write
from ddd_llm.errors import DddError
from ddd_llm.models import FACT_KINDS, FactsDocument, Priority, Scores

SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"
PRIORITIES: tuple[str, ...] = get_args(Priority)
Status = Literal["extracted", "unchanged", "failed"]


class RepoSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    path: str
    out: str
    """The repository's output folder, relative to the summary."""
    status: Status
    error: str | None = None
    seconds: float = 0.0
    commit: str | None = None
    scores: Scores | None = None
    gaps: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(PRIORITIES, 0))
    facts: int = 0
    facts_per_kind: dict[str, int] = Field(default_factory=dict)
    verified_facts: int = 0
    services: int = 0
    llm_failures: int = 0


class Failure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    path: str
    error: str


class Totals(BaseModel):
    model_config = ConfigDict(extra="forbid")

    repositories: int = 0
    extracted: int = 0
    unchanged: int = 0
    failed: int = 0


class BatchSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
    generated_at: str
    totals: Totals
    repositories: list[RepoSummary]
    """Every repository, worst first: failures, then lowest overall score, most CRITICAL gaps."""
    failures: list[Failure]


@dataclass(frozen=True)
class RepoRun:
    """What the batch knows of one repository after the run."""

    name: str
    path: str
    out_dir: Path
    status: Status
    error: str | None = None
    seconds: float = 0.0


def repo_summary(run: RepoRun, doc: FactsDocument | None, root: Path) -> RepoSummary:
    try:
        out = str(run.out_dir.relative_to(root))
    except ValueError:
        out = str(run.out_dir)
    base = RepoSummary(
        name=run.name,
        path=run.path,
        out=out,
        status=run.status,
        error=run.error,
        seconds=round(run.seconds, 2),
    )
    if doc is None:
        return base
    gaps: Counter[str] = Counter(g.priority for g in doc.gaps)
    kinds = Counter(f.kind for f in doc.facts)
    return base.model_copy(
        update={
            "commit": doc.repo.commit,
            "scores": doc.scores,
            "gaps": {p: gaps[p] for p in PRIORITIES},
            "facts": len(doc.facts),
            "facts_per_kind": {k: kinds[k] for k in FACT_KINDS},
            "verified_facts": sum(1 for f in doc.facts if f.verification.status == "verified"),
            "services": len(doc.services),
            "llm_failures": len(doc.run.failures),
        }
    )


def _worst_first(r: RepoSummary) -> tuple[int, float, tuple[int, ...], str]:
    overall = r.scores.overall if r.scores is not None else -1.0
    return (
        0 if r.status == "failed" else 1,
        overall,
        tuple(-r.gaps[p] for p in PRIORITIES),
        r.name,
    )


def build_summary(runs: Sequence[RepoRun], root: Path, now: datetime | None = None) -> BatchSummary:
    """One entry per repository, its facts.json read back (a failed one has none)."""
    from ddd_llm.pipeline import FACTS_FILE, read_facts

    entries: list[RepoSummary] = []
    for run in runs:
        doc: FactsDocument | None = None
        if run.status != "failed":
            try:
                doc = read_facts(run.out_dir / FACTS_FILE)
            except (DddError, ValueError) as exc:
                run = RepoRun(run.name, run.path, run.out_dir, "failed", f"facts.json: {exc}")
        entries.append(repo_summary(run, doc, root))
    entries.sort(key=_worst_first)
    counts = Counter(e.status for e in entries)
    return BatchSummary(
        generated_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        totals=Totals(
            repositories=len(entries),
            extracted=counts["extracted"],
            unchanged=counts["unchanged"],
            failed=counts["failed"],
        ),
        repositories=entries,
        failures=[
            Failure(name=e.name, path=e.path, error=e.error or "unknown error")
            for e in entries
            if e.status == "failed"
        ],
    )


def write_summary(summary: BatchSummary, root: Path) -> list[Path]:
    """summary.json and summary.md in `root`, each written atomically."""
    from ddd_llm.render.renderer import environment

    root.mkdir(parents=True, exist_ok=True)
    as_json = root / SUMMARY_JSON
    atomic_write(as_json, json.dumps(summary.model_dump(mode="json"), indent=2) + "\n")
    as_md = root / SUMMARY_MD
    atomic_write(as_md, environment().get_template("summary.md.j2").render(s=summary))
    return [as_json, as_md]


def one_line(summary: BatchSummary, root: Path) -> str:
    """The cron line: counts, the worst repository, where the summary is."""
    t = summary.totals
    ok = [r for r in summary.repositories if r.scores is not None]
    worst = f" · worst {ok[0].name} {ok[0].scores.overall}" if ok and ok[0].scores else ""
    return (
        f"ddd-llm: {t.repositories} repositories · {t.extracted} extracted · "
        f"{t.unchanged} unchanged · {t.failed} failed{worst} · {root / SUMMARY_MD}"
    )
