"""Extract stage: retrieve chunks per fact kind, ask the model, turn its answers into facts.

What the model is shown, per fact kind (`plan`):

1. retrieval: the index's closest chunks for the kind's queries (top-k each);
2. static: the chunks holding a fact the analyzers found;
3. candidate: every region an analyzer marked as a candidate for the kind (lines it saw
   but could not fully decode), with a little context, merged per file into excerpts that
   fit the budget.

Under a total prompt budget (a share of the repository's tokens, `prompt_budget`; the CLI's
default) the requests are fitted by priority: candidate excerpts first, then retrieval hits
holding no fact of the kind the analyzers decoded (likely places), then the excerpts that
hold one (the model would mostly repeat what is known: they are sent only if room is left).
Every excerpt not sent is listed with why (`ExtractPlan.dropped`, OUT/plan.json `dropped`).

Never a line of a junk file (vendored, generated, lock, minified, license: scan's verdicts),
and tests and fixtures after every other retrieval hit. `plan_document` is the plan as
OUT/plan.json (docs/plan-json.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
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
MERGE_GAP = 200
"""Tokens of unrelated lines worth showing to put two candidate regions in one request under
a total budget: about the fixed part of a request (system prompt and instructions)."""
PLAN_FORMAT = 1
"""Version of OUT/plan.json (docs/plan-json.md): bumped when a field changes meaning."""
PROMPT_SHARE = 0.3
"""A paid provider's default total prompt budget: this share of the repository's tokens
(issue #15's target), unless `--prompt-share` says otherwise."""
PROVIDER_SHARES: dict[str, float] = {"openai": PROMPT_SHARE}
"""`--prompt-share`'s default per provider. The others default to no total budget: the local
model is free and asks about 2 excerpts per kind, and a replay must plan every recorded
request (a recording made under a budget replays with the same `--prompt-share`)."""
MIN_PROMPT_BUDGET = 1500
"""The total budget of a small repository is never below this (about four requests)."""

Source = Literal["retrieval", "static", "candidate"]
DropReason = Literal["max_chunks", "decoded", "budget"]


@dataclass(frozen=True)
class Planned:
    kind: FactKind
    chunk: Chunk
    request: LlmRequest
    source: Source = "retrieval"
    """Why the excerpt is asked about: an index hit, a chunk holding a static fact, or
    analyzer candidate regions."""

    @cached_property
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
    """Not asked about: a line longer than the budget, past --max-chunks, over the total
    prompt budget, or a file not shown."""


@dataclass(frozen=True)
class Dropped:
    """An excerpt the plan chose and then did not send, with why: past `--max-chunks`
    (`max_chunks`), or over the total prompt budget — `decoded` when it holds a fact of the
    kind the analyzers decoded (those go last), else `budget`."""

    kind: FactKind
    chunk: Chunk
    source: Source
    reason: DropReason
    prompt_tokens: int
    """What the request would have cost (0 for `max_chunks`: never rendered)."""


def default_share(provider: str) -> float:
    """`--prompt-share` when none is given: PROVIDER_SHARES, else 0 (no total budget)."""
    return PROVIDER_SHARES.get(provider, 0.0)


def prompt_budget(repository_tokens: int, share: float | None) -> int | None:
    """The total prompt tokens a plan may spend: `share` of the repository's tokens, at least
    MIN_PROMPT_BUDGET; None (no total cap) when `share` is None or 0."""
    if not share:
        return None
    return max(MIN_PROMPT_BUDGET, int(share * repository_tokens))


@dataclass
class ExtractPlan:
    calls: list[Planned] = field(default_factory=list)
    prompt_versions: dict[str, str] = field(default_factory=dict)
    candidates: dict[str, CandidateStats] = field(default_factory=dict)
    dropped: list[Dropped] = field(default_factory=list)
    """Excerpts not sent, with why (nothing is left out unsaid)."""
    prompt_budget: int | None = None
    """The total prompt tokens the requests had to fit in (None: no total cap)."""
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
    not among them, e.g. a junk file's, is dropped).

    Retrieval embeds only what it ranks (`ChunkIndex.nearest`): per query, the chunks BM25
    ranks highest; every other chunk stays pending for the first `ask`."""
    by_place = {(c.path, c.start_line, c.end_line): c for c in chunks}
    by_path: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_path.setdefault(c.path, []).append(c)
    ranked: dict[str, tuple[float, Chunk]] = {}
    if index is not None:
        queries = retrieval_queries().get(kind, [])
        try:
            if isinstance(index, ChunkIndex):
                found = index.nearest(queries, chunks, top_k)
            else:  # any other index (a stand-in) is searched whole, query by query
                found = [index.query(q, n_results=top_k) for q in queries]
        except IndexUnavailable as exc:
            warnings.append(Diagnostic(path="index", message=str(exc), source="extract"))
            found = []
        for hits in found:
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
    regions: Sequence[tuple[int, int]],
    lines: _Lines,
    budget: int,
    stats: CandidateStats,
    max_gap: int | None = None,
) -> list[_Window]:
    """Regions (sorted) as excerpts within `budget`: each with CANDIDATE_CONTEXT lines
    around it, merged with the previous excerpt while the lines from its start still fit
    (and, with `max_gap`, while the lines between the two cost at most that many tokens)."""
    n = len(lines.lines)
    out: list[_Window] = []
    for start, end in regions:
        start, end = max(1, min(start, n)), max(1, min(end, n))
        lo, hi = max(1, start - CANDIDATE_CONTEXT), min(n, end + CANDIDATE_CONTEXT)
        if (
            out
            and lines.cost(out[-1].start, max(out[-1].end, hi)) <= budget
            and (max_gap is None or lines.cost(out[-1].end + 1, lo - 1) <= max_gap)
        ):
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
    max_gap: int | None = None,
) -> list[tuple[Chunk, int]]:
    """One kind's candidate regions as excerpts (chunks of kind "candidate", each with the
    number of regions it holds), grouped per file within `budget` (`max_gap`: see _windows);
    regions already inside a `taken` chunk are not asked about twice."""
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
        windows.extend((path, w, lines) for w in _windows(fresh, lines, budget, stats, max_gap))
    if max_excerpts is not None and len(windows) > max_excerpts:
        ranked = sorted(windows, key=lambda pwl: -pwl[1].regions)
        for _path, window, _lines in ranked[max_excerpts:]:
            stats.unfit += window.regions
        kept = {id(w) for _p, w, _l in ranked[:max_excerpts]}
        windows = [pwl for pwl in windows if id(pwl[1]) in kept]
    out: list[tuple[Chunk, int]] = []
    for path, window, lines in windows:
        stats.planned += window.regions
        body = lines.text(window.start, window.end)
        chunk = Chunk(path, window.start, window.end, body, "candidate", count_tokens(body))
        out.append((chunk, window.regions))
    return out


def _holds(chunk: Chunk, candidates: Sequence[Candidate]) -> int:
    """The distinct candidate regions wholly inside `chunk` (as candidate_excerpts counts
    them `covered`): asked about with it, so it goes first under a total budget."""
    return len(
        {
            (c.start_line, c.end_line)
            for c in candidates
            if c.path == chunk.path
            and chunk.start_line <= c.start_line
            and min(c.end_line, c.start_line + 10_000) <= chunk.end_line
        }
    )


def _inside(chunk: Chunk, excerpts: Sequence[tuple[Chunk, int]]) -> bool:
    return any(
        e.path == chunk.path and e.start_line <= chunk.start_line and chunk.end_line <= e.end_line
        for e, _regions in excerpts
    )


def _decoded(chunk: Chunk, cited: Mapping[str, Sequence[Citation]]) -> bool:
    """Whether the chunk holds a fact of the kind the analyzers decoded: what they could not
    decode in it they marked as candidate regions, asked about on their own."""
    return any(_overlaps(chunk, c) for c in cited.get(chunk.path, ()))


def _request(
    kind: FactKind, version: str, chunk: Chunk, services: Sequence[str], max_retries: int
) -> LlmRequest:
    messages = render_messages(
        kind,
        path=chunk.path,
        start_line=chunk.start_line,
        end_line=chunk.end_line,
        numbered=numbered(chunk.text, chunk.start_line),
        services=list(services),
    )
    return LlmRequest(
        prompt=kind,
        prompt_version=version,
        messages=messages,
        response_model=RESPONSE_MODELS[kind],
        max_retries=max_retries,
        context={"start_line": chunk.start_line, "end_line": chunk.end_line},
        label=chunk.location,
    )


Tier = Literal[0, 1, 2]
"""Priority within the total budget: 0 candidate excerpts (what the analyzers could not
decode, or a retrieval hit holding such a region), 1 retrieval hits holding no decoded fact
of the kind (likely places), 2 excerpts holding a fact of the kind the analyzers decoded (a
second reading of what is known)."""


def _within_budget(
    asked: Sequence[Sequence[tuple[Planned, Tier]]], budget: int | None
) -> tuple[set[int], list[tuple[Planned, Tier]]]:
    """Which requests fit the total `budget` (ids of the Planned kept) and which do not.

    `asked`: per kind, its requests best first, each with its tier. Tier by tier, the kinds
    take turns (every kind's best, then every kind's second, …); a request that does not fit
    is left out and a smaller one after it may still fit."""
    everything = [p for per_kind in asked for p, _tier in per_kind]
    if budget is None:
        return {id(p) for p in everything}, []
    order: list[tuple[Planned, Tier]] = []
    for tier in (0, 1, 2):
        queues = [[pt for pt in per_kind if pt[1] == tier] for per_kind in asked]
        for rank in range(max((len(q) for q in queues), default=0)):
            order.extend(q[rank] for q in queues if rank < len(q))
    kept: set[int] = set()
    over: list[tuple[Planned, Tier]] = []
    spent = 0
    for p, tier in order:
        cost = p.prompt_tokens
        if spent + cost <= budget:
            spent += cost
            kept.add(id(p))
        else:
            over.append((p, tier))
    return kept, over


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
    total_budget: int | None = None,
) -> ExtractPlan:
    """One request per (kind, excerpt): a changed file re-asks only about its own excerpts.

    `candidates`: analyzer regions, each asked about for its kind (`texts`: the shown files'
    text by path, where their lines come from); `verdicts`: scan's class of each file — junk
    is never shown, tests and fixtures rank last. `max_chunks` caps the retrieval and static
    excerpts of a kind, and separately its candidate excerpts.

    `total_budget` caps the prompt tokens of all requests together (`prompt_budget`): the
    candidate excerpts go first (two regions share one only across a gap cheaper than a
    request, MERGE_GAP; a retrieval hit holding a region counts as one), then the retrieval
    hits holding no fact of the kind the analyzers decoded, then the excerpts that do (the
    model would mostly repeat what is known). Without it (None) every excerpt is sent, as
    planned before there was a budget. Every excerpt not sent is in `dropped`, with why.
    """
    out = ExtractPlan(prompt_budget=total_budget)
    notes = warnings if warnings is not None else []
    classes = verdicts or {}

    def verdict(path: str) -> Verdict:
        return classes.get(path, NORMAL)

    shown_chunks = [c for c in chunks if not verdict(c.path).junk]
    shown_texts = {p: t for p, t in (texts or {}).items() if not verdict(p).junk}
    asked: list[list[tuple[Planned, Tier]]] = []
    regions_of: dict[int, int] = {}
    """Candidate regions in each candidate excerpt (by id of its Planned)."""
    covered_by: dict[int, int] = {}
    """Candidate regions inside each retrieval excerpt, asked about with it."""
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
            out.dropped.extend(
                Dropped(kind, chunk, source, "max_chunks", 0)
                for chunk, source in selected[max_chunks:]
            )
            selected = selected[:max_chunks]
        cited: dict[str, list[Citation]] = {}
        for fact in static_facts:
            if fact.fact_kind == kind:
                for citation in fact.citations:
                    cited.setdefault(citation.path, []).append(citation)
        stats = out.candidates.setdefault(kind, CandidateStats())
        kind_candidates = [c for c in candidates if c.kind == kind]
        decoded = {c.id for c, _source in selected if _decoded(c, cited)}
        extra = candidate_excerpts(
            kind_candidates,
            shown_texts,
            # Under a total budget a decoded excerpt goes last and may be left out: no
            # region relies on one to be asked about.
            [c for c, _s in selected if total_budget is None or c.id not in decoded],
            budget,
            max_chunks,
            stats,
            # Under a total budget two regions share an excerpt only when the lines between
            # them cost less than a request of their own would.
            None if total_budget is None else MERGE_GAP,
        )
        per_kind: list[tuple[Planned, Tier]] = []
        for chunk, source in selected:
            request = _request(kind, version, chunk, services, max_retries)
            if chunk.id in decoded and total_budget is not None and _inside(chunk, extra):
                # Its lines are all in a candidate excerpt of the kind: asked about there.
                tokens = Planned(kind, chunk, request, source).prompt_tokens
                out.dropped.append(Dropped(kind, chunk, source, "decoded", tokens))
                continue
            holds = _holds(chunk, kind_candidates) if chunk.id not in decoded else 0
            tier: Tier = 2 if chunk.id in decoded else 0 if holds else 1
            per_kind.append((Planned(kind, chunk, request, source), tier))
            covered_by[id(per_kind[-1][0])] = holds
        for chunk, regions in extra:
            request = _request(kind, version, chunk, services, max_retries)
            per_kind.append((Planned(kind, chunk, request, "candidate"), 0))
            regions_of[id(per_kind[-1][0])] = regions
        asked.append(per_kind)
    fits, over = _within_budget(asked, total_budget)
    for p, tier in over:
        reason: DropReason = "decoded" if tier == 2 else "budget"
        out.dropped.append(Dropped(p.kind, p.chunk, p.source, reason, p.prompt_tokens))
        stats = out.candidates[p.kind]
        stats.planned -= regions_of.get(id(p), 0)
        stats.covered -= covered_by.get(id(p), 0)
        stats.unfit += regions_of.get(id(p), 0) + covered_by.get(id(p), 0)
    for per_kind in asked:
        out.calls.extend(p for p, _tier in per_kind if id(p) in fits)
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
        "prompt_budget": extract_plan.prompt_budget,
        "requests": requests,
        "dropped": [
            {
                "kind": d.kind,
                "file": d.chunk.path,
                "lines": f"{d.chunk.start_line}-{d.chunk.end_line}",
                "source": d.source,
                "reason": d.reason,
                "prompt_tokens": d.prompt_tokens,
            }
            for d in extract_plan.dropped
        ],
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
