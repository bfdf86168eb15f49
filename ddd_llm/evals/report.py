"""Eval outputs: the JSON document, the JUnit XML file and the self-contained HTML report."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2.sandbox import SandboxedEnvironment
from junitparser import Failure, JUnitXml, TestCase, TestSuite

from ddd_llm.atomic import atomic_write
from ddd_llm.evals.facts_score import VALUE_FIELDS, first_by_id, normalise_id
from ddd_llm.evals.harness import (
    METRICS,
    CaseResult,
    Comparison,
    EvalReport,
    Problem,
)
from ddd_llm.fact_fields import own_fields
from ddd_llm.models import Citation, FactBase
from ddd_llm.resources import data_dir
from ddd_llm.scan.repotext import RepoText
from ddd_llm.templating import sandboxed_environment

HTML_TEMPLATE = "eval-report.html.j2"
SNIPPET_CONTEXT = 2
SNIPPET_MAX_LINES = 30


def report_json(
    report: EvalReport, comparison: Comparison | None, found: Sequence[Problem]
) -> dict[str, Any]:
    """Everything the terminal table shows, as data (`ddd-llm eval --json`)."""
    cost = report.cost
    out: dict[str, Any] = {
        "suite": report.suite.name,
        "llm": {"provider": report.provider, "model": report.model},
        "prompt_versions": report.prompt_versions,
        "repeat": report.repeat,
        "temperature": report.temperature,
        "scores": report.scores(),
        "cases": {
            c.name: {
                "spread": {k: c.spread(k) for k in report.kinds} if report.repeat > 1 else None,
                "cost": vars(c.cost),
                "failures": [f.model_dump() for r in c.runs for f in r.document.run.failures],
                "missed": {k: c.runs[0].kinds[k].facts.missed for k in report.kinds},
                "extra": {k: c.runs[0].kinds[k].facts.extra for k in report.kinds},
                "qa_note": c.qa_note,
                "qa_info": c.qa_info or None,
            }
            for c in report.cases
        },
        "cost": vars(cost),
        "wall_s": report.wall_s,
        "problems": [vars(p) for p in found],
        "passed": not found,
    }
    if comparison is not None:
        out["comparison"] = {
            "baseline": comparison.baseline.model_dump(exclude={"scores"}),
            "comparable": comparison.comparable,
            "reasons": comparison.reasons,
            "tolerance": comparison.tolerance,
            "rows": [
                {**vars(r), "delta": r.delta, "regression": r.regressed(comparison.tolerance)}
                for r in comparison.rows
            ],
        }
    return out


def _metrics_text(scores: dict[str, float | None]) -> str:
    return " ".join(f"{m}={'n/a' if v is None else f'{v:.4f}'}" for m, v in scores.items())


def junit_xml(report: EvalReport, found: Sequence[Problem]) -> JUnitXml:
    """One <testsuite> per eval case with one <testcase> per kind (and QA); a suite-wide
    <testsuite> for the per-kind totals and the baseline's comparability."""
    root = JUnitXml(f"ddd-llm eval {report.suite.name}")
    groups: list[tuple[str | None, str, list[tuple[str, dict[str, float | None]]], float]] = []
    for case in report.cases:
        cases = [(k, case.scores(k)) for k in report.kinds]
        qa = case.qa_scores()
        if qa is not None:
            cases.append(("qa", qa))
        groups.append((case.name, case.name, cases, case.cost.wall_s))
    totals = [(k, report.kind_scores(k)) for k in report.kinds]
    groups.append((None, "all cases", [*totals, ("baseline", {})], 0.0))
    n_tests = n_failures = 0
    for case_name, title, testcases, wall in groups:
        suite = TestSuite(f"{report.suite.name}/{title}")
        suite.add_property("llm", f"{report.provider}/{report.model}")
        for kind, scores in testcases:
            case_el = TestCase(kind, classname=f"ddd-llm.eval.{title}", time=0)
            mine = [
                p
                for p in found
                if p.case == case_name
                and (p.kind == kind or (kind == "baseline" and p.kind is None))
            ]
            if mine:
                failure = Failure(mine[0].message, ",".join(sorted({p.check for p in mine})))
                failure.text = "\n".join(p.message for p in mine)
                case_el.result = [failure]
            if scores:
                case_el.system_out = _metrics_text(scores)
            suite.add_testcase(case_el)  # counts tests and failures
        suite.time = round(wall, 3)
        root.add_testsuite(suite)
        n_tests += suite.tests
        n_failures += suite.failures
    root.tests = n_tests
    root.failures = n_failures
    root.errors = 0
    root.time = round(report.wall_s, 3)
    return root


def write_junit(report: EvalReport, found: Sequence[Problem], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    junit_xml(report, found).write(str(path), pretty=True)


# ---------------------------------------------------------------- HTML


@dataclass
class Snippet:
    anchor: str
    label: str
    lines: list[tuple[int, str, bool]]
    """(line number, text, cited?)"""


@dataclass
class SnippetBook:
    """Cited lines of one repository, redacted, each under an anchor the report links to."""

    case: str
    root: Path
    snippets: dict[str, Snippet] = field(default_factory=dict)
    files: RepoText = field(init=False)

    def __post_init__(self) -> None:
        self.files = RepoText(self.root)

    def link(self, citation: Citation) -> dict[str, str | None]:
        """{label, anchor}; anchor is None when the cited lines do not exist."""
        key = f"{self.case}:{citation}"
        if key not in self.snippets:
            lines = self.files.lines(citation.path)
            if lines is None or citation.end_line > len(lines):
                return {"label": str(citation), "anchor": None}
            first = max(1, citation.start_line - SNIPPET_CONTEXT)
            last = min(
                len(lines),
                citation.end_line + SNIPPET_CONTEXT,
                first + SNIPPET_MAX_LINES - 1,
            )
            self.snippets[key] = Snippet(
                f"src-{len(self.snippets) + 1}-{self.case}",
                f"{self.case}: {citation}",
                [
                    (n, lines[n - 1], citation.start_line <= n <= citation.end_line)
                    for n in range(first, last + 1)
                ],
            )
        return {"label": str(citation), "anchor": self.snippets[key].anchor}


def _fact_view(
    fact: FactBase | None, book: SnippetBook, *, is_gold: bool = False
) -> dict[str, Any] | None:
    if fact is None:
        return None
    return {
        "id": fact.id,
        "summary": fact.summary,
        "origin": None if is_gold else fact.origin,
        "status": fact.verification.status,
        "fields": own_fields(fact, mode="json"),
        "citations": [book.link(c) for c in fact.citations],
    }


def _closest(target: str, candidates: Sequence[FactBase]) -> FactBase | None:
    """The candidate of the same kind whose `service:key` reads most like `target`'s (a near
    miss: another case, a prefix, the wrong service); None when nothing is close."""

    def tail(fact_id: str) -> str:
        return fact_id.split(":", 1)[-1].lower()

    best: tuple[float, FactBase | None] = (0.75, None)
    for c in candidates:
        ratio = difflib.SequenceMatcher(None, tail(target), tail(c.id)).ratio()
        if ratio > best[0]:
            best = (ratio, c)
    return best[1]


def miss_entries(case: CaseResult, kinds: Sequence[str], book: SnippetBook) -> list[dict[str, Any]]:
    """Each miss of the case's first run: gold beside what was extracted (or came closest)."""
    run = case.runs[0]
    predicted = first_by_id(run.document.facts)
    gold = first_by_id(g.fact for g in case.gold)
    entries: list[dict[str, Any]] = []
    for kind in kinds:
        result = run.kinds[kind]
        extras = [predicted[i] for i in result.facts.extra if i in predicted]
        paired: set[str] = set()
        for missed in result.facts.missed:
            near = _closest(missed, [e for e in extras if e.id not in paired])
            if near is not None:
                paired.add(near.id)
            entries.append(
                {
                    "kind": kind,
                    "what": "missed" if near is None else "missed (closest extracted shown)",
                    "gold": _fact_view(gold.get(missed), book, is_gold=True),
                    "extracted": _fact_view(near, book),
                    "detail": "",
                }
            )
        for extra in extras:
            if extra.id in paired:
                continue
            entries.append(
                {
                    "kind": kind,
                    "what": "not in gold",
                    "gold": None,
                    "extracted": _fact_view(extra, book),
                    "detail": "",
                }
            )
        by_fact: dict[str, list[str]] = {}
        for m in result.values.mismatches:
            by_fact.setdefault(normalise_id(m.fact_id), []).append(
                f"{m.field}: gold {m.gold!r}, extracted {m.predicted!r}"
            )
        for key, details in by_fact.items():
            entries.append(
                {
                    "kind": kind,
                    "what": "wrong value",
                    "gold": _fact_view(gold.get(key), book, is_gold=True),
                    "extracted": _fact_view(predicted.get(key), book),
                    "detail": "; ".join(details),
                }
            )
        for fact_id, why in result.citations.invalid:
            entries.append(
                {
                    "kind": kind,
                    "what": "citation does not hold",
                    "gold": _fact_view(gold.get(normalise_id(fact_id)), book, is_gold=True),
                    "extracted": _fact_view(predicted.get(normalise_id(fact_id)), book),
                    "detail": why,
                }
            )
    return entries


def _environment() -> SandboxedEnvironment:
    return sandboxed_environment(
        data_dir("templates"),
        autoescape=True,  # every value may be repository text or model output
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _cell(
    comparison: Comparison | None, case: str | None, kind: str, metric: str, now: float | None
) -> dict[str, Any]:
    row = comparison.row(case, kind, metric) if comparison is not None else None
    return {
        "now": now,
        "base": row.base if row else None,
        "delta": row.delta if row else None,
        "regressed": bool(row and comparison and row.regressed(comparison.tolerance)),
    }


def html_report(report: EvalReport, comparison: Comparison | None, found: Sequence[Problem]) -> str:
    kinds_table = [
        {
            "kind": k,
            "cells": [_cell(comparison, None, k, m, v) for m, v in report.kind_scores(k).items()],
        }
        for k in report.kinds
    ]
    cases: list[dict[str, Any]] = []
    snippets: list[Snippet] = []
    for case in report.cases:
        book = SnippetBook(case.name, case.case.repo)
        rows = [
            {
                "kind": k,
                "cells": [_cell(comparison, case.name, k, m, v) for m, v in case.scores(k).items()],
                "spread": case.spread(k) if report.repeat > 1 else {},
            }
            for k in report.kinds
        ]
        misses = miss_entries(case, report.kinds, book)
        snippets.extend(book.snippets.values())
        cases.append(
            {
                "name": case.name,
                "repo": str(case.case.repo),
                "rows": rows,
                "qa": case.qa_scores(),
                "qa_note": case.qa_note,
                "cost": case.cost,
                "failures": [f for r in case.runs[:1] for f in r.document.run.failures],
                "misses": misses,
            }
        )
    template = _environment().get_template(HTML_TEMPLATE)
    return template.render(
        report=report,
        metrics=METRICS,
        value_fields=VALUE_FIELDS,
        kinds_table=kinds_table,
        cases=cases,
        snippets=snippets,
        comparison=comparison,
        problems=found,
        cost=report.cost,
    )


def write_html(
    report: EvalReport, comparison: Comparison | None, found: Sequence[Problem], path: Path
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, html_report(report, comparison, found))
