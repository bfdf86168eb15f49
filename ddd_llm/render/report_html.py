"""The browsable report: OUT/report.html, one self-contained page per run.

Services with their readiness scores and gap counts, the facts in a filterable table with
their verification checks and cited lines shown in place, the dependency graph and the
escalation flowcharts as inline SVG, the gaps and the claims to confirm. It reads the
facts document and the repository text as scanned (already redacted), never the raw files,
and every value goes through the template's autoescape: repository text is hostile. No
network, no framework: one inline script (allowed by its hash in the page's Content
Security Policy) filters the table. Same facts and text, same bytes.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ddd_llm.assess.assessor import PRIORITY_RANK, item_scores, scores
from ddd_llm.assess.order import start_order
from ddd_llm.atomic import atomic_write
from ddd_llm.fact_fields import own_fields
from ddd_llm.models import (
    FACT_KINDS,
    NO_SERVICE,
    Citation,
    Dependency,
    FactBase,
    FactsDocument,
    Gap,
    Scores,
    Service,
)
from ddd_llm.render.renderer import View, claims_context, escalation_context, gap_counts
from ddd_llm.render.svg import Edge, Node, Picture, flowchart_picture, layout
from ddd_llm.resources import data_dir
from ddd_llm.scan.repotext import RepoText
from ddd_llm.templating import sandboxed_environment
from ddd_llm.verify.verifier import needs_confirmation, status_reason

REPORT_FILE = "report.html"
TEMPLATE = "report.html.j2"
CONTEXT_LINES = 2
"""Lines shown around the cited ones in the evidence section."""
MAX_CITED_LINES = 40
"""Cited lines shown per citation; a longer span says how many more it has."""
MAX_LINE_CHARS = 240
OPERATED_ROLES = ("long-running", "job")
"""Services the dependency graph draws (test-only and dev-only stacks are not operated)."""
FLOW_CSS = {"Escalate": "escalate", "Resolved": "resolved"}
STRENGTH = {"optional": 0, "runtime": 1, "start_order": 2}
"""Of two dependencies between the same services, the arrow drawn is the stronger one's."""


# ------------------------------------------------------------------ evidence lines


@dataclass(frozen=True)
class EvidenceLine:
    number: int
    text: str
    cited: bool


@dataclass(frozen=True)
class Evidence:
    """The lines of one citation, as scanned (redacted), under an anchor the page links to."""

    anchor: str
    label: str
    lines: tuple[EvidenceLine, ...]
    more: int
    """Cited lines beyond MAX_CITED_LINES, not shown."""
    found: bool
    ends_at: int | None = None
    """The file's last line, when the citation runs past it."""

    @property
    def cited(self) -> list[EvidenceLine]:
        return [line for line in self.lines if line.cited]


def _clip(text: str) -> str:
    text = text.replace("\t", "    ")
    return text if len(text) <= MAX_LINE_CHARS else text[: MAX_LINE_CHARS - 1] + "…"


@dataclass
class EvidenceBook:
    """Every cited span of the report once, numbered in order of first citation."""

    files: RepoText
    entries: dict[tuple[str, int, int], Evidence] = field(default_factory=dict)

    def get(self, c: Citation) -> Evidence:
        key = (c.path, c.start_line, c.end_line)
        if key not in self.entries:
            self.entries[key] = self._read(c, f"ev-{len(self.entries) + 1}")
        return self.entries[key]

    def all(self, citations: Iterable[Citation]) -> list[Evidence]:
        return [self.get(c) for c in citations]

    def _read(self, c: Citation, anchor: str) -> Evidence:
        lines = self.files.lines(c.path)
        if lines is None or c.start_line > len(lines):
            return Evidence(anchor, str(c), (), 0, False)
        last_cited = min(c.end_line, len(lines), c.start_line + MAX_CITED_LINES - 1)
        more = min(c.end_line, len(lines)) - last_cited
        first = max(1, c.start_line - CONTEXT_LINES)
        last = min(len(lines), last_cited + (CONTEXT_LINES if more == 0 else 0))
        shown = tuple(
            EvidenceLine(n, _clip(lines[n - 1]), c.start_line <= n <= last_cited)
            for n in range(first, last + 1)
        )
        return Evidence(
            anchor, str(c), shown, more, True, len(lines) if c.end_line > len(lines) else None
        )


# ------------------------------------------------------------------ rows


@dataclass(frozen=True)
class FactRow:
    id: str
    kind: str
    service: str
    summary: str
    status: str
    origin: str
    reason: str
    fields: dict[str, Any]
    checks: list[tuple[str, bool, str]]
    evidence: list[Evidence]


@dataclass(frozen=True)
class ServiceRow:
    name: str
    kind: str
    role: str
    scores: Scores
    gaps: dict[str, int]
    facts: int


@dataclass(frozen=True)
class GapRow:
    gap: Gap
    evidence: list[Evidence]


@dataclass(frozen=True)
class ClaimRow:
    kind: str
    service: str
    summary: str
    reason: str
    evidence: list[Evidence]


@dataclass(frozen=True)
class Flowchart:
    service: str
    owner: str
    dependencies: list[str]
    picture: Picture


def _field_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def fact_row(fact: FactBase, book: EvidenceBook) -> FactRow:
    return FactRow(
        id=fact.id,
        kind=fact.fact_kind,
        service=fact.service or NO_SERVICE,
        summary=fact.summary,
        status=fact.verification.status,
        origin=fact.origin,
        reason=status_reason(fact),
        fields={k: _field_text(v) for k, v in own_fields(fact, mode="json").items()},
        checks=[(c.name, c.passed, c.detail) for c in fact.verification.checks],
        evidence=book.all(fact.citations),
    )


def service_rows(
    doc: FactsDocument, trusted: Sequence[FactBase], gaps: Sequence[Gap]
) -> list[ServiceRow]:
    """Each service's readiness by the rules of the overall scores (docs/scores.md), counted
    over that service and its own facts alone; its gaps (those gaps.md lists) by priority."""
    order = start_order([s.name for s in doc.services], list(trusted))
    rows = []
    for s in doc.services:
        own = [f for f in trusted if f.service == s.name]
        rows.append(
            ServiceRow(
                s.name,
                s.kind,
                s.role,
                scores(item_scores([s], own, order)),
                gap_counts(g for g in gaps if g.service == s.name),
                len(own),
            )
        )
    return rows


# ------------------------------------------------------------------ pictures


def drawn_dependencies(services: Sequence[Service], facts: Sequence[FactBase]) -> list[Dependency]:
    """The dependencies of operated services (not contradicted, not on a test or dev stack)."""
    operated = {s.name for s in services if s.role in OPERATED_ROLES}
    hidden = {s.name for s in services} - operated
    return [
        f
        for f in facts
        if isinstance(f, Dependency)
        and f.verification.status != "contradicted"
        and f.service in operated
        and f.target not in hidden
        and f.target != f.service
    ]


def dependency_picture(services: Sequence[Service], facts: Sequence[FactBase]) -> Picture | None:
    """The operated services (and what they name outside the repository) in start order, top
    to bottom: what a service needs, to start or while running, sits above it."""
    operated = [s.name for s in services if s.role in OPERATED_ROLES]
    deps = drawn_dependencies(services, facts)
    if not operated:
        return None
    external = sorted({d.target for d in deps} - set(operated))
    as_start = [
        d.model_copy(update={"dependency_type": "start_order"})
        if d.dependency_type == "runtime"
        else d
        for d in deps
    ]
    order = start_order([*operated, *external], list(as_start))
    nodes = [
        Node(
            name,
            name if name in operated else f"{name} (not in this repository)",
            "box",
            "service" if name in operated else "external",
        )
        for name in order.startup
    ]
    edges: dict[tuple[str, str], Edge] = {}
    strength: dict[tuple[str, str], int] = {}
    for d in sorted(deps, key=lambda d: (d.target, d.service or "", d.dependency_type)):
        key = (d.target, d.service or "")
        css = d.dependency_type.replace("_", "-")
        if d.condition and "healthy" in d.condition:
            css += " healthy"
        if d.verification.status != "verified":
            css += " unverified"
        tip = ", ".join(x for x in (d.dependency_type, d.condition, d.verification.status) if x)
        if key not in strength or strength[key] < STRENGTH[d.dependency_type]:
            strength[key] = STRENGTH[d.dependency_type]
            edges[key] = Edge(d.target, d.service or "", "", css, tip)
    return layout("graph", nodes, list(edges.values()))


def flowcharts(view: View) -> list[Flowchart]:
    context = escalation_context(view)
    return [
        Flowchart(
            b.service.name,
            " ".join(b.owner.owners) if b.owner else "",
            b.dependencies,
            flowchart_picture(f"flow-{i}", b.chart, FLOW_CSS),
        )
        for i, b in enumerate(context["blocks"], start=1)
    ]


# ------------------------------------------------------------------ the page


def csp_hash(text: object) -> str:
    """The Content Security Policy source that allows exactly this inline script."""
    digest = hashlib.sha256(str(text).encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def report_context(doc: FactsDocument, files: RepoText) -> dict[str, Any]:
    book = EvidenceBook(files)
    trusted = [f for f in doc.facts if not needs_confirmation(f)]
    rows = [fact_row(f, book) for f in trusted]
    anchors = {r.id: f"fact-{i}" for i, r in enumerate(rows, start=1)}
    view = View(doc)
    claims = claims_context(view)
    gaps = [GapRow(g, book.all(g.citations)) for g in view.gaps]

    def claim(fact: FactBase, why: str) -> ClaimRow:
        return ClaimRow(
            fact.fact_kind, fact.service or NO_SERVICE, fact.summary, why, book.all(fact.citations)
        )

    present = {
        "kind": [k for k in FACT_KINDS if any(r.kind == k for r in rows)],
        "service": sorted({r.service for r in rows} | {s.name for s in doc.services}),
        "status": [
            s
            for s in ("verified", "unverified", "contradicted")
            if any(r.status == s for r in rows)
        ],
        "origin": [o for o in ("static", "llm", "both") if any(r.origin == o for r in rows)],
    }
    return {
        "doc": doc,
        "name": Path(doc.repo.root).name or doc.repo.root,
        "services": service_rows(doc, trusted, view.gaps),
        "gap_counts": gap_counts(view.gaps),
        "priorities": list(PRIORITY_RANK),
        "facts": rows,
        "options": present,
        "graph": dependency_picture(doc.services, trusted),
        "dependencies": [
            (d, anchors[d.id], book.all(d.citations))
            for d in drawn_dependencies(doc.services, trusted)
        ],
        "flowcharts": flowcharts(view),
        "gaps": gaps,
        "open_claims": [claim(f, why) for f, why in claims["open"]],
        "refuted_claims": [claim(f, why) for f, why in claims["refuted"]],
        "evidence": list(book.entries.values()),
        "context_lines": CONTEXT_LINES,
    }


def render_report(doc: FactsDocument, sources: Mapping[str, str] | None = None) -> str:
    """The page's text. `sources`: the scanned (redacted) text by repo-relative path; a cited
    file not in it is read from the repository and redacted before use."""
    env = sandboxed_environment(
        data_dir("templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        filters={"csp_hash": csp_hash},
    )
    files = RepoText(Path(doc.repo.root), sources or {})
    return env.get_template(TEMPLATE).render(**report_context(doc, files))


def write_report(
    doc: FactsDocument, out_dir: Path, sources: Mapping[str, str] | None = None
) -> Path:
    """Write OUT/report.html (atomically) and return its path."""
    path = out_dir / REPORT_FILE
    atomic_write(path, render_report(doc, sources))
    return path
