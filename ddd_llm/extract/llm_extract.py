"""Extract stage: retrieve chunks per fact kind, ask the model, turn its answers into facts.

What the model is shown, per fact kind (`plan`):

1. retrieval: the index's closest chunks for the kind's queries (top-k each);
2. static: the chunks holding a fact the analyzers found;
3. candidate: every region an analyzer marked as a candidate for the kind (lines it saw
   but could not fully decode), with a little context, merged per file into excerpts that
   fit the budget.

Never a line of a junk file (vendored, generated, lock, minified, license: scan's verdicts),
and tests and fixtures after every other retrieval hit. `plan_document` is the plan as
OUT/plan.json (docs/plan-json.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from ddd_llm.chunk.chunker import Chunk
from ddd_llm.chunk.tokens import count_tokens
from ddd_llm.errors import IndexUnavailable
from ddd_llm.evidence.base import Candidate
from ddd_llm.evidence.services import ServiceResolver, normalise, with_service
from ddd_llm.index.store import ChunkIndex
from ddd_llm.llm import LlmRequest
from ddd_llm.llm.prompting import numbered, prompt_version, render_messages, retrieval_queries
from ddd_llm.llm.replay import is_replay_miss, write_cassette, write_failure_cassette
from ddd_llm.llm.runner import Failure, Outcome, Runner
from ddd_llm.llm.schemas import RESPONSE_MODELS
from ddd_llm.models import (
    FACT_KINDS,
    FACT_MODELS,
    Citation,
    Diagnostic,
    FactBase,
    FactKind,
    Skipped,
)
from ddd_llm.scan.linguist import NORMAL, Verdict
from ddd_llm.scan.text import split_lines

PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    # USD per million (prompt, completion) tokens, list prices; unknown models show no cost.
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
}
EXPECTED_COMPLETION_TOKENS = 200
"""A planning guess for --dry-run: most answers are a short JSON list."""
CANDIDATE_CONTEXT = 3
"""Lines shown before and after a candidate region: the statement or block it sits in."""
PLAN_FORMAT = 1
"""Version of OUT/plan.json (docs/plan-json.md): bumped when a field changes meaning."""

Source = Literal["retrieval", "static", "candidate"]


@dataclass(frozen=True)
class Planned:
    kind: FactKind
    chunk: Chunk
    request: LlmRequest
    source: Source = "retrieval"
    """Why the excerpt is asked about: an index hit, a chunk holding a static fact, or
    analyzer candidate regions."""

    @property
    def prompt_tokens(self) -> int:
        return count_tokens("\n".join(m["content"] for m in self.request.messages))


@dataclass
class CandidateStats:
    """What became of one kind's candidate regions (distinct path and line ranges)."""

    regions: int = 0
    planned: int = 0
    """Inside a candidate excerpt the model is asked about."""
    covered: int = 0
    """Already inside a retrieval or static excerpt of the same kind."""
    unfit: int = 0
    """Not asked about: a line longer than the budget, past --max-chunks, or a file not shown."""


@dataclass
class ExtractPlan:
    calls: list[Planned] = field(default_factory=list)
    prompt_versions: dict[str, str] = field(default_factory=dict)
    candidates: dict[str, CandidateStats] = field(default_factory=dict)
    excluded: list[Skipped] = field(default_factory=list)
    """The files never shown to the model, with why (scan's `exclusions`)."""
    written: Path | None = None
    """Where the plan was written as JSON (OUT/plan.json), once it is."""

    def prompt_tokens(self) -> int:
        return sum(p.prompt_tokens for p in self.calls)

    def candidate_totals(self) -> CandidateStats:
        total = CandidateStats()
        for stats in self.candidates.values():
            total.regions += stats.regions
            total.planned += stats.planned
            total.covered += stats.covered
            total.unfit += stats.unfit
        return total

    def estimated_cost(self, model: str) -> float | None:
        price = PRICES_PER_MTOK.get(model)
        if price is None:
            return None
        completion = EXPECTED_COMPLETION_TOKENS * len(self.calls)
        return (self.prompt_tokens() * price[0] + completion * price[1]) / 1_000_000


def _overlaps(chunk: Chunk, citation: Citation) -> bool:
    return (
        chunk.path == citation.path
        and chunk.start_line <= citation.end_line
        and citation.start_line <= chunk.end_line
    )


def select_chunks(
    kind: FactKind,
    chunks: Sequence[Chunk],
    index: ChunkIndex | None,
    static_facts: Sequence[FactBase],
    top_k: int,
    budget: int,
    warnings: list[Diagnostic],
    last: Callable[[str], bool] = lambda _path: False,
) -> list[tuple[Chunk, Source]]:
    """Chunks worth asking about for `kind`, best first: index hits for its queries (closest
    first, files `last` names after the others), then the chunks holding what the static
    analyzers found; each within budget. Only `chunks` can be picked (an index hit on a chunk
    not among them, e.g. a junk file's, is dropped)."""
    by_place = {(c.path, c.start_line, c.end_line): c for c in chunks}
    by_path: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_path.setdefault(c.path, []).append(c)
    ranked: dict[str, tuple[float, Chunk]] = {}
    if index is not None:
        for query in retrieval_queries().get(kind, []):
            try:
                hits = index.query(query, n_results=top_k)
            except IndexUnavailable as exc:
                warnings.append(Diagnostic(path="index", message=str(exc), source="extract"))
                break
            for hit in hits:
                chunk = by_place.get((hit.path, hit.start_line, hit.end_line))
                if chunk is not None and hit.distance < ranked.get(chunk.id, (9.0, chunk))[0]:
                    ranked[chunk.id] = (hit.distance, chunk)
    order = sorted(ranked.values(), key=lambda dc: (last(dc[1].path), dc[0], dc[1].path))
    picked: dict[str, tuple[Chunk, Source]] = {c.id: (c, "retrieval") for _d, c in order}
    for fact in static_facts:
        if fact.fact_kind != kind:
            continue
        for citation in fact.citations:
            for chunk in by_path.get(citation.path, []):
                if _overlaps(chunk, citation):
                    picked.setdefault(chunk.id, (chunk, "static"))
    return [(c, source) for c, source in picked.values() if c.tokens <= budget]


@dataclass
class _Lines:
    """One shown file's lines and their token costs (counted once, on first use)."""

    lines: list[str]
    _costs: list[int] | None = None

    def cost(self, start: int, end: int) -> int:
        if self._costs is None:
            self._costs = [count_tokens(line + "\n") for line in self.lines]
        return sum(self._costs[start - 1 : end])

    def text(self, start: int, end: int) -> str:
        return "\n".join(self.lines[start - 1 : end])


@dataclass
class _Window:
    start: int
    end: int
    regions: int


def _windows(
    regions: Sequence[tuple[int, int]], lines: _Lines, budget: int, stats: CandidateStats
) -> list[_Window]:
    """Regions (sorted) as excerpts within `budget`: each with CANDIDATE_CONTEXT lines
    around it, merged with the previous excerpt while the lines from its start still fit."""
    n = len(lines.lines)
    out: list[_Window] = []
    for start, end in regions:
        start, end = max(1, min(start, n)), max(1, min(end, n))
        lo, hi = max(1, start - CANDIDATE_CONTEXT), min(n, end + CANDIDATE_CONTEXT)
        if out and lines.cost(out[-1].start, max(out[-1].end, hi)) <= budget:
            out[-1].end = max(out[-1].end, hi)
            out[-1].regions += 1
            continue
        if lines.cost(lo, hi) > budget:
            lo, hi = start, end  # no room for context
        if lines.cost(lo, hi) <= budget:
            out.append(_Window(lo, hi, 1))
            continue
        # A region longer than the budget (a big option table): consecutive runs that fit.
        run_start, fitted = lo, True
        for line in range(lo, hi + 1):
            if lines.cost(line, line) > budget:
                fitted = False
                if run_start < line:
                    out.append(_Window(run_start, line - 1, 0))
                run_start = line + 1
            elif lines.cost(run_start, line) > budget:
                out.append(_Window(run_start, line - 1, 0))
                run_start = line
        if run_start <= hi:
            out.append(_Window(run_start, hi, 0))
        if fitted:
            out[-1].regions += 1
        else:
            stats.unfit += 1
    return out


def candidate_excerpts(
    candidates: Sequence[Candidate],
    texts: Mapping[str, str],
    taken: Sequence[Chunk],
    budget: int,
    max_excerpts: int | None,
    stats: CandidateStats,
) -> list[Chunk]:
    """One kind's candidate regions as excerpts (chunks of kind "candidate"), grouped per file
    within `budget`; regions already inside a `taken` chunk are not asked about twice."""
    per_path: dict[str, set[tuple[int, int]]] = {}
    for c in candidates:
        per_path.setdefault(c.path, set()).add(
            (c.start_line, min(c.end_line, c.start_line + 10_000))
        )
    windows: list[tuple[str, _Window, _Lines]] = []
    for path in sorted(per_path):
        regions = sorted(per_path[path])
        stats.regions += len(regions)
        text = texts.get(path)
        if text is None:
            stats.unfit += len(regions)  # a junk file's, or one scan did not keep
            continue
        fresh = []
        for start, end in regions:
            if any(
                ch.path == path and ch.start_line <= start and end <= ch.end_line for ch in taken
            ):
                stats.covered += 1
            else:
                fresh.append((start, end))
        lines = _Lines(split_lines(text))
        if not lines.lines:
            stats.unfit += len(fresh)  # an empty file: nothing to show
            continue
        windows.extend((path, w, lines) for w in _windows(fresh, lines, budget, stats))
    if max_excerpts is not None and len(windows) > max_excerpts:
        ranked = sorted(windows, key=lambda pwl: -pwl[1].regions)
        for _path, window, _lines in ranked[max_excerpts:]:
            stats.unfit += window.regions
        kept = {id(w) for _p, w, _l in ranked[:max_excerpts]}
        windows = [pwl for pwl in windows if id(pwl[1]) in kept]
    out: list[Chunk] = []
    for path, window, lines in windows:
        stats.planned += window.regions
        body = lines.text(window.start, window.end)
        out.append(Chunk(path, window.start, window.end, body, "candidate", count_tokens(body)))
    return out


def plan(
    chunks: Sequence[Chunk],
    index: ChunkIndex | None,
    static_facts: Sequence[FactBase],
    services: Sequence[str],
    *,
    kinds: Sequence[FactKind] = FACT_KINDS,
    top_k: int = 4,
    budget: int = 1500,
    max_retries: int = 2,
    max_chunks: int | None = None,
    warnings: list[Diagnostic] | None = None,
    candidates: Sequence[Candidate] = (),
    texts: Mapping[str, str] | None = None,
    verdicts: Mapping[str, Verdict] | None = None,
) -> ExtractPlan:
    """One request per (kind, excerpt): a changed file re-asks only about its own excerpts.

    `candidates`: analyzer regions, each asked about for its kind (`texts`: the shown files'
    text by path, where their lines come from); `verdicts`: scan's class of each file — junk
    is never shown, tests and fixtures rank last. `max_chunks` caps the retrieval and static
    excerpts of a kind, and separately its candidate excerpts.
    """
    out = ExtractPlan()
    notes = warnings if warnings is not None else []
    classes = verdicts or {}

    def verdict(path: str) -> Verdict:
        return classes.get(path, NORMAL)

    shown_chunks = [c for c in chunks if not verdict(c.path).junk]
    shown_texts = {p: t for p, t in (texts or {}).items() if not verdict(p).junk}
    for kind in kinds:
        version = prompt_version(kind)
        out.prompt_versions[kind] = version
        selected = select_chunks(
            kind,
            shown_chunks,
            index,
            static_facts,
            top_k,
            budget,
            notes,
            last=lambda path: verdict(path).last,
        )
        if max_chunks is not None and len(selected) > max_chunks:
            selected = selected[:max_chunks]
        stats = out.candidates.setdefault(kind, CandidateStats())
        extra = candidate_excerpts(
            [c for c in candidates if c.kind == kind],
            shown_texts,
            [c for c, _source in selected],
            budget,
            max_chunks,
            stats,
        )
        asked: list[tuple[Chunk, Source]] = [*selected, *((c, "candidate") for c in extra)]
        for chunk, source in asked:
            messages = render_messages(
                kind,
                path=chunk.path,
                start_line=chunk.start_line,
                end_line=chunk.end_line,
                numbered=numbered(chunk.text, chunk.start_line),
                services=list(services),
            )
            request = LlmRequest(
                prompt=kind,
                prompt_version=version,
                messages=messages,
                response_model=RESPONSE_MODELS[kind],
                max_retries=max_retries,
                context={"start_line": chunk.start_line, "end_line": chunk.end_line},
                label=chunk.location,
            )
            out.calls.append(Planned(kind, chunk, request, source))
    return out


def plan_document(
    extract_plan: ExtractPlan,
    *,
    provider: str,
    model: str,
    repository_tokens: int,
    shown_tokens: int,
    excluded: Sequence[tuple[str, Verdict]] = (),
) -> dict[str, Any]:
    """The plan as OUT/plan.json: every request (kind, path, lines, prompt tokens) and what
    bounds it; the format is documented in docs/plan-json.md."""
    requests = [
        {
            "kind": p.kind,
            "path": p.chunk.path,
            "start_line": p.chunk.start_line,
            "end_line": p.chunk.end_line,
            "prompt_tokens": p.prompt_tokens,
            "excerpt_tokens": p.chunk.tokens,
            "source": p.source,
        }
        for p in extract_plan.calls
    ]
    return {
        "format": PLAN_FORMAT,
        "provider": provider,
        "model": model,
        "prompt_versions": dict(extract_plan.prompt_versions),
        "repository_tokens": repository_tokens,
        "shown_tokens": shown_tokens,
        "prompt_tokens": sum(r["prompt_tokens"] for r in requests),
        "requests": requests,
        "candidates": {k: asdict(v) for k, v in extract_plan.candidates.items()},
        "excluded": [
            {"file": path, "category": v.category.value, "reason": v.reason} for path, v in excluded
        ],
    }


def facts_from_outcome(
    planned: Planned,
    outcome: Outcome,
    resolver: ServiceResolver,
    warnings: list[Diagnostic],
) -> list[FactBase]:
    """The model's items as facts (origin llm), owned by a known service or the chunk's owner."""
    if outcome.completion is None:
        return []
    model = FACT_MODELS[planned.kind]
    facts: list[FactBase] = []
    for item in outcome.completion.data.get("items", []):
        fields: dict[str, Any] = {
            k: v for k, v in item.items() if k not in ("start_line", "end_line", "service")
        }
        citation = Citation(
            path=planned.chunk.path,
            start_line=int(item.get("start_line", planned.chunk.start_line)),
            end_line=int(item.get("end_line", planned.chunk.end_line)),
        )
        try:
            fact = model(**fields, citations=[citation], origin="llm")
        except ValidationError as exc:
            warnings.append(
                Diagnostic(
                    path=planned.chunk.path,
                    line=citation.start_line,
                    message=f"model answer for {planned.kind} dropped: {exc.errors()[0]['msg']}",
                    source="extract",
                )
            )
            continue
        named = item.get("service")
        service = resolver.known.get(normalise(named)) if isinstance(named, str) else None
        facts.append(with_service(fact, service or resolver.owner(planned.chunk.path)))
    return facts


@dataclass
class LlmRunResult:
    facts: list[FactBase]
    failures: list[Failure]
    prompt_versions: dict[str, str]


def run_plan(
    extract_plan: ExtractPlan,
    runner: Runner,
    resolver: ServiceResolver,
    warnings: list[Diagnostic],
    record_dir: Path | None = None,
) -> LlmRunResult:
    outcomes = runner.run([p.request for p in extract_plan.calls])
    facts: list[FactBase] = []
    for planned, outcome in zip(extract_plan.calls, outcomes, strict=True):
        if record_dir is not None and outcome.completion is not None:
            write_cassette(record_dir, planned.request, outcome.completion, runner.provider.name)
        elif record_dir is not None and outcome.failure is not None:
            # Recorded too, so that a replay reproduces the run instead of missing the request.
            failure = outcome.failure
            if not is_replay_miss(failure.error):
                write_failure_cassette(
                    record_dir,
                    planned.request,
                    failure.error.removeprefix("(cached) "),
                    failure.attempts,
                    runner.provider.name,
                )
        facts.extend(facts_from_outcome(planned, outcome, resolver, warnings))
    return LlmRunResult(facts, list(runner.stats.failures), extract_plan.prompt_versions)
