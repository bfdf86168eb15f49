"""`ddd-llm check`: a readiness gate for CI that reuses an up-to-date run or extracts anew.

It fails (exit 1) when the overall score is below `--min-score`, or when a CRITICAL
gap exists and `--allow-critical` is not given; the reasons say which. With `--docs DIR`
it also runs the stale-runbook gate (`docs_gate.py`) on the same facts: exit 1 when the
runbooks committed in DIR no longer match the code, unless `--update` rewrites them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ddd_llm.apps import docs_gate
from ddd_llm.apps.docs_gate import GateResult
from ddd_llm.assess.assessor import PRIORITY_RANK, sort_gaps
from ddd_llm.config import ExtractOptions, ReportFormat, output_dir
from ddd_llm.errors import InputError
from ddd_llm.fingerprint import up_to_date
from ddd_llm.models import FactsDocument
from ddd_llm.pipeline import ExtractResult, Notify, extract
from ddd_llm.render.sarif import to_sarif
from ddd_llm.scan.scanner import require_readable

Format = Literal["text", "json", "sarif"]
FORMATS: tuple[str, ...] = tuple(f.value for f in ReportFormat)


@dataclass
class CheckResult:
    document: FactsDocument
    out_dir: Path
    reused: bool
    """True when facts.json was up to date and no extraction ran."""
    min_score: float
    allow_critical: bool
    reasons: list[str] = field(default_factory=list)
    gate: GateResult | None = None
    """The stale-runbook gate's result when --docs was given."""

    @property
    def passed(self) -> bool:
        return not self.reasons

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


def judge(doc: FactsDocument, min_score: float, allow_critical: bool) -> list[str]:
    """Why the run fails the gate (empty when it passes)."""
    reasons: list[str] = []
    if doc.scores.overall < min_score:
        reasons.append(
            f"overall readiness {doc.scores.overall} is below --min-score {min_score:g} "
            f"(daily {doc.scores.daily}, weekly {doc.scores.weekly}, "
            f"monthly {doc.scores.monthly})"
        )
    if not allow_critical:
        for gap in sort_gaps(g for g in doc.gaps if g.priority == "CRITICAL"):
            where = f" ({gap.citations[0]})" if gap.citations else ""
            reasons.append(f"CRITICAL gap: {gap.message}{where}")
    return reasons


def run_check(
    repo: Path,
    options: ExtractOptions,
    min_score: float,
    allow_critical: bool = False,
    *,
    notify: Notify | None = None,
    run: Callable[..., ExtractResult] = extract,
    docs: Path | None = None,
    update: bool = False,
) -> CheckResult:
    """Judge the run in the output folder, extracting first unless it is up to date; with
    `docs`, also compare the runbooks committed there with these facts."""
    say = notify or (lambda _msg: None)
    old: FactsDocument | None = None
    if docs is not None:
        old, options = docs_gate.open_docs(Path(repo), docs, options, update=update)
    elif update:
        raise InputError("--update rewrites the runbooks of --docs DIR", hint="add --docs DIR")
    out_dir = output_dir(repo, options)
    doc = up_to_date(Path(repo), options)
    reused = doc is not None
    if doc is None:
        # An empty folder fails here, on one line, before anything is said or extracted.
        require_readable(Path(repo), max_bytes=options.max_file_bytes)
        say("no up-to-date run in the output folder: extracting")
        doc = run(Path(repo), options, notify=notify).document
    else:
        say(f"reusing the up-to-date run in {out_dir}")
    result = CheckResult(
        doc, out_dir, reused, min_score, allow_critical, judge(doc, min_score, allow_critical)
    )
    if docs is not None:
        result.gate = docs_gate.run_gate(Path(repo), docs, doc, old=old, update=update)
        result.reasons += result.gate.reasons()
    return result


def gap_counts(doc: FactsDocument) -> dict[str, int]:
    counts = dict.fromkeys(PRIORITY_RANK, 0)
    for g in doc.gaps:
        counts[g.priority] = counts.get(g.priority, 0) + 1
    return counts


def as_json(result: CheckResult) -> dict[str, Any]:
    doc = result.document
    return {
        "passed": result.passed,
        "exit_code": result.exit_code,
        "reused": result.reused,
        "min_score": result.min_score,
        "allow_critical": result.allow_critical,
        "scores": doc.scores.model_dump(),
        "gap_counts": gap_counts(doc),
        "reasons": result.reasons,
        "out_dir": str(result.out_dir),
        "gaps": [g.model_dump(mode="json") for g in sort_gaps(doc.gaps)],
        "docs": docs_gate.as_json(result.gate) if result.gate is not None else None,
    }


def as_text(result: CheckResult) -> str:
    doc = result.document
    sc = doc.scores
    counts = gap_counts(doc)
    lines = [
        f"{'PASS' if result.passed else 'FAIL'} {doc.repo.root}: overall {sc.overall} "
        f"(min {result.min_score:g}) · daily {sc.daily} · weekly {sc.weekly} · "
        f"monthly {sc.monthly}",
        "gaps: " + " · ".join(f"{n} {p}" for p, n in counts.items()),
    ]
    lines += [f"  - {reason}" for reason in result.reasons]
    lines.append(f"details: {result.out_dir / 'README.md'}")
    if result.gate is not None:
        lines.append(docs_gate.as_text(result.gate))
    return "\n".join(lines)


def render(result: CheckResult, fmt: str) -> str:
    """The check's report in `fmt` (text for people, json for scripts, sarif for CI)."""
    if fmt == "json":
        return json.dumps(as_json(result), indent=2)
    if fmt == "sarif":
        log = to_sarif(result.document)
        if result.gate is not None:
            log = docs_gate.merge_into_sarif(log, result.gate, Path(result.document.repo.root))
        return json.dumps(log, indent=2)
    return as_text(result)
