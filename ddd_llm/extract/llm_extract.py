"""Extract stage: retrieve chunks per fact kind, ask the model, turn its answers into facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ddd_llm.chunk.chunker import Chunk
from ddd_llm.chunk.tokens import count_tokens
from ddd_llm.errors import IndexUnavailable
from ddd_llm.evidence.services import ServiceResolver, normalise, with_service
from ddd_llm.index.store import ChunkIndex
from ddd_llm.llm import LlmRequest
from ddd_llm.llm.prompting import numbered, prompt_version, render_messages, retrieval_queries
from ddd_llm.llm.replay import is_replay_miss, write_cassette, write_failure_cassette
from ddd_llm.llm.runner import Failure, Outcome, Runner
from ddd_llm.llm.schemas import RESPONSE_MODELS
from ddd_llm.models import FACT_KINDS, FACT_MODELS, Citation, Diagnostic, FactBase, FactKind

PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    # USD per million (prompt, completion) tokens, list prices; unknown models show no cost.
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
}
EXPECTED_COMPLETION_TOKENS = 200
"""A planning guess for --dry-run: most answers are a short JSON list."""


@dataclass(frozen=True)
class Planned:
    kind: FactKind
    chunk: Chunk
    request: LlmRequest


@dataclass
class ExtractPlan:
    calls: list[Planned] = field(default_factory=list)
    prompt_versions: dict[str, str] = field(default_factory=dict)

    def prompt_tokens(self) -> int:
        return sum(
            count_tokens("\n".join(m["content"] for m in p.request.messages)) for p in self.calls
        )

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
) -> list[Chunk]:
    """Chunks worth asking about for `kind`, best first: index hits for its queries (closest
    first), then the chunks holding what the static analyzers found; each within budget."""
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
    picked = {
        cid: c
        for _d, c in sorted(ranked.values(), key=lambda dc: (dc[0], dc[1].path))
        for cid in [c.id]
    }
    for fact in static_facts:
        if fact.fact_kind != kind:
            continue
        for citation in fact.citations:
            for chunk in by_path.get(citation.path, []):
                if _overlaps(chunk, citation):
                    picked.setdefault(chunk.id, chunk)
    return [c for c in picked.values() if c.tokens <= budget]


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
) -> ExtractPlan:
    """One request per (kind, chunk): a changed file re-asks only about its own chunks."""
    out = ExtractPlan()
    notes = warnings if warnings is not None else []
    for kind in kinds:
        version = prompt_version(kind)
        out.prompt_versions[kind] = version
        selected = select_chunks(kind, chunks, index, static_facts, top_k, budget, notes)
        if max_chunks is not None and len(selected) > max_chunks:
            selected = selected[:max_chunks]
        for chunk in selected:
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
            out.calls.append(Planned(kind, chunk, request))
    return out


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
