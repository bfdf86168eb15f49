"""Ask stage: answer an operator's question from the index and the verified facts, citing lines.

    retrieve (verified facts + index hits + lexical match, within a token budget)
      → with a model: prompts/ask.j2 → AskAnswer → citations checked against the sources shown
        → one re-ask naming the bad citations → still bad: removed, with a warning
      → without one (passages.py): the passages — documentation blocks and sections, config
        lines with their comments, verified facts — that hold most of the question's
        specific terms, its rarest known one, the thing it asks for and the service it
        names, quoted with citations (evidence.py: a container by its lines, a reference
        row by the declaration it copies, one procedure of a section by its commands); a
        safe-range question naming a parameter answers from that parameter's fact
        (named_answer); refused when an operations concept asked about is never mentioned,
        a word of the phrase asked for is missing, or a named setting's lines hold nothing
        else asked
      → nothing relevant: "The repository does not document this." plus the matching gap

An answer never keeps a step or a citation that points outside what the model was shown,
and an answer left with no citation at all is reported as not found: a junior operator
must be able to check every line of it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from ddd_llm.apps.ask.evidence import (
    absent_concepts,
    asked_phrases,
    asked_words,
    cited_range,
    holding_passage,
    lacks_phrase,
    phrase_lines,
    procedure_ranges,
    quoted_phrases,
    row_name,
)
from ddd_llm.apps.ask.passages import (
    SOFT,
    Match,
    Passage,
    PassageIndex,
    asked_for,
    best_matches,
    clauses,
    joined_words,
    passages,
    question_terms,
    wording,
)
from ddd_llm.chunk.chunker import Chunk
from ddd_llm.chunk.tokens import count_tokens
from ddd_llm.config import build_cache, build_provider, output_dir
from ddd_llm.errors import IndexUnavailable
from ddd_llm.fact_fields import own_fields
from ddd_llm.fingerprint import up_to_date
from ddd_llm.index.lexical import LexicalIndex, fuse, stem, stems, tokenize
from ddd_llm.index.store import ChunkIndex, persistent_client
from ddd_llm.llm import LlmRequest, Provider, capabilities
from ddd_llm.llm.cache import ResponseCache
from ddd_llm.llm.prompting import numbered, prompt_version, render_messages, render_text
from ddd_llm.llm.replay import write_cassette
from ddd_llm.llm.runner import Runner
from ddd_llm.llm.schemas import AnswerCitation, AskAnswer, Confidence
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Diagnostic,
    FactBase,
    FactsDocument,
    Gap,
    LlmInfo,
    ResourceRequirement,
    Strict,
    Usage,
)
from ddd_llm.pipeline import (
    CHUNKS_FILE,
    FACTS_FILE,
    ExtractOptions,
    extract_unlocked,
    index_chunks,
    prepare,
    read_chunks,
    read_facts,
    run_locks,
    utc_now,
)
from ddd_llm.scan.scanner import require_readable

PROMPT = "ask"
NOT_DOCUMENTED = "The repository does not document this."
DEFAULT_TOP_K = 6
DEFAULT_CONTEXT_TOKENS = 2500
MAX_FACTS = 8
MAX_EXCERPTS = 4
MAX_FACT_LINES = 6
"""Lines of evidence quoted under each citation of a fact in the prompt."""
MAX_STEPS = 8
Notify = Callable[[str], None]
Clock = Callable[[], float]

# ---------------------------------------------------------------------------------------
# What the command returns (also its --json output)


class GapRef(Strict):
    id: str
    priority: str
    message: str


class Step(Strict):
    text: str
    citation: Citation


class SourceRef(Strict):
    """One source given to the model (or to the static answer), in retrieval order."""

    ref: str
    kind: Literal["fact", "excerpt"]
    citations: list[Citation]
    """Where the source may be cited: the excerpt's lines, or the fact's own citations."""
    fact_id: str | None = None
    score: float


class AskResult(Strict):
    question: str
    answer: str
    steps: list[Step] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    confidence: Confidence = "low"
    not_found: bool = False
    gap: GapRef | None = None
    mode: Literal["llm", "static"] = "static"
    """`llm`: the model answered; `static`: built from facts and documentation alone."""
    llm: LlmInfo | None = None
    prompt_version: str | None = None
    reasked: bool = False
    removed_citations: list[Citation] = Field(default_factory=list)
    model_failed: bool = False
    sources: list[SourceRef] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0

    def cited(self) -> list[Citation]:
        """Every location the answer cites (citations, then steps), without repeats."""
        seen: dict[str, Citation] = {}
        for c in [*self.citations, *(s.citation for s in self.steps)]:
            seen.setdefault(str(c), c)
        return list(seen.values())


# ---------------------------------------------------------------------------------------
# What the answers are drawn from


@dataclass(frozen=True)
class AskSettings:
    top_k: int = DEFAULT_TOP_K
    """Index hits per question."""
    context_tokens: int = DEFAULT_CONTEXT_TOKENS
    """Token budget of all sources in one prompt."""
    max_retries: int = 1
    """Re-asks inside the provider when an answer does not parse (not the citation re-ask)."""


@dataclass
class Knowledge:
    """One repository's chunks, index and facts.json, loaded once for many questions."""

    root: Path
    out_dir: Path
    document: FactsDocument
    chunks: list[Chunk]
    index: ChunkIndex | None
    notes: list[str] = field(default_factory=list)

    @cached_property
    def facts(self) -> list[FactBase]:
        """Verified facts only: an unverified claim is no ground for an answer."""
        return [f for f in self.document.facts if f.verification.status == "verified"]

    @cached_property
    def lines(self) -> dict[str, dict[int, str]]:
        """Redacted repository lines by path and number (the chunks cover every non-blank line)."""
        out: dict[str, dict[int, str]] = {}
        for chunk in self.chunks:
            per = out.setdefault(chunk.path, {})
            for i, line in enumerate(chunk.text.split("\n")):
                per.setdefault(chunk.start_line + i, line)
        return out

    @cached_property
    def chunk_lexical(self) -> LexicalIndex:
        """BM25 over the chunks (bm25s, Snowball stems), built on first use."""
        return LexicalIndex([c.text for c in self.chunks])

    @cached_property
    def fact_lexical(self) -> LexicalIndex:
        """BM25 over the facts' text, in the order of `facts`."""
        return LexicalIndex([fact_text(f) for f in self.facts])

    @cached_property
    def passage_index(self) -> PassageIndex:
        """The repository cut into citable passages, with the verified facts (no-model answers)."""
        return PassageIndex(passages(self.lines, self.facts))

    @cached_property
    def services(self) -> list[str]:
        return [s.name for s in self.document.services]


def load_knowledge(
    repo: Path,
    options: ExtractOptions,
    *,
    notify: Notify | None = None,
    embedding_loader: Callable[[], Any] | None = None,
    client_factory: Callable[[Path], Any] = persistent_client,
    embed_progress: Callable[[int, int], None] | None = None,
) -> Knowledge:
    """Read OUT/facts.json and the run's chunks, reading the repository only when it changed.

    An up-to-date run (its fingerprint is that of the files and options now) is reused as
    it is: its chunks come from OUT/chunks.jsonl and its index is opened, not synced. A
    stale run's facts are kept, the repository is scanned and chunked and the index synced.
    A missing facts.json is built with static evidence only (`--llm none`): fast, and the
    same on every machine. Run `ddd-llm extract --llm …` first for model-extracted facts.

    Chunks the run left unembedded (`extract --llm none` embeds nothing) are embedded here,
    once, with `embed_progress(done, total)`; `notify` says how many chunks a question is
    searched over.
    """
    say = notify or (lambda _msg: None)
    root = Path(repo)
    out_dir = output_dir(root, options)
    facts_path = out_dir / FACTS_FILE
    notes: list[str] = []
    static = replace(options, llm="none")
    loaders: dict[str, Any] = {
        "embedding_loader": embedding_loader,
        "client_factory": client_factory,
    }
    embedding: dict[str, Any] = {"embed_progress": embed_progress}
    with run_locks(root, options):
        knowledge: Knowledge | None = None
        if not facts_path.is_file():
            require_readable(root, max_bytes=options.max_file_bytes)  # before anything is said
            say(f"no {facts_path}: extracting static facts first")
            notes.append(
                f"facts come from static evidence only ({facts_path} was missing); run "
                "`ddd-llm extract` with a model for facts drawn from documentation too"
            )
            done = extract_unlocked(root, static, notify=notify, **loaders)
            knowledge = _reuse(root, options, done.document, notes, notify, loaders | embedding)
        else:
            # The static run ask extracts itself counts as up to date for any --llm.
            document = up_to_date(root, options, also=[static])
            if document is not None:
                say(f"reusing the up-to-date run in {out_dir}")
                knowledge = _reuse(root, options, document, notes, notify, loaders | embedding)
            else:
                require_readable(root, max_bytes=options.max_file_bytes)
                say(f"the run in {out_dir} is out of date: reading the repository again")
        if knowledge is None:
            prepared = prepare(
                root, options, notify=notify, require_files=True, **loaders, **embedding
            )
            notes.extend(str(w) for w in prepared.warnings if w.source == "index")
            knowledge = Knowledge(
                root, out_dir, read_facts(facts_path), prepared.chunks, prepared.index, notes
            )
    say(searched_note(knowledge))
    return knowledge


def searched_note(knowledge: Knowledge) -> str:
    """How much of the repository a question is searched over: every chunk by its words,
    and those with a vector by meaning."""
    total = len(knowledge.chunks)
    if knowledge.index is None:
        return f"searching {total} chunks by their words (no vector index)"
    try:
        seen = knowledge.index.coverage(knowledge.chunks)
    except IndexUnavailable as exc:
        return f"searching {total} chunks by their words (vector index unreadable: {exc})"
    return f"searching {total} chunks by their words and {seen} of {total} by meaning"


def _reuse(
    root: Path,
    options: ExtractOptions,
    document: FactsDocument,
    notes: list[str],
    notify: Notify | None,
    loaders: dict[str, Any],
) -> Knowledge | None:
    """A finished run's knowledge: its saved chunks and its index (None: no usable chunks)."""
    out_dir = output_dir(root, options)
    chunks = read_chunks(out_dir / CHUNKS_FILE, document.run.fingerprint)
    if chunks is None:
        return None
    warnings: list[Diagnostic] = []
    index, _stats = index_chunks(
        chunks,
        options,
        root,
        out_dir,
        warnings,
        now=utc_now().isoformat(),
        notify=notify,
        reuse=True,
        **loaders,
    )
    notes.extend(str(w) for w in warnings if w.source == "index")
    return Knowledge(root, out_dir, document, chunks, index, notes)


# ---------------------------------------------------------------------------------------
# Retrieval

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]*")
_IDENT = re.compile(
    r"^(--?[a-z0-9][\w.-]*|[a-z0-9]+(?:[_.][a-z0-9]+)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)$"
)
"""--flag, snake_case or dotted.key, UPPER_CASE with an underscore (not acronyms like API)."""
QUESTION_WORDS = stems(
    "how do does did doing what which who whom when where why can could should must would may "
    "might need want know tell me please repo repository have has had much many i we you my our "
    "your get got make"
)
"""Words of asking, not of the topic: left out of a question's terms (the index's own
stop words, bm25s' English list, are left out of both sides)."""

INTENTS: dict[str, frozenset[str]] = {
    # Question words that point at one fact kind (or gap category), as Snowball stems.
    "health_check": stems("health healthy probe liveness readiness alive heartbeat"),
    "dependency": stems("before first depends dependency requires running wait"),
    "config_parameter": stems(
        "safe value range default setting config configuration maximum minimum tune tuning "
        "parameter variable flag max min set change"
    ),
    "resource_requirement": stems(
        "memory cpu disk limit request port volume resource resources space user"
    ),
    "validation_method": stems("verify confirm validate validation success worked check"),
}
GAP_INTENTS: dict[str, frozenset[str]] = {
    "health_check": INTENTS["health_check"],
    "resource_threshold": stems("memory cpu limit resource threshold"),
    "validation_method": stems("verify confirm validate validation success"),
    "backup": stems("backup back restore dump"),
    "safe_range": stems("safe range maximum minimum max min value"),
    "start_order": INTENTS["dependency"],
    "dependency": INTENTS["dependency"],
}
PROCEDURAL = stems("how steps procedure")
WANTS_RANGE = stems("safe range maximum minimum")


def terms(text: str) -> list[str]:
    """Content words as the lexical index sees them (ddd_llm.index.lexical.tokenize)."""
    return tokenize(text)


_CODE_SPAN = re.compile(r"`(-{0,2}[A-Za-z0-9][\w.\-]*)`")


def identifiers(question: str) -> set[str]:
    """Names an operator writes as they are (MAX_CONNECTIONS, --workers, server.port), and
    any word they write as code (`port`)."""
    found = {_norm_name(m.group(1).rstrip(".-")) for m in _CODE_SPAN.finditer(question)}
    for raw in re.findall(r"-{0,2}[A-Za-z0-9][\w.\-]*", question):
        word = raw.rstrip(".-")
        if _IDENT.match(word):
            found.add(_norm_name(word))
    return found


def _norm_name(name: str) -> str:
    return name.lower().lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Query:
    """A question, analysed once."""

    text: str
    terms: frozenset[str]
    stems: frozenset[str]
    """Every word's stem, stop words included (for intents)."""
    names: frozenset[str]
    services: frozenset[str]
    intents: frozenset[str]
    topic: frozenset[str]
    """The terms left once the services' names are taken out: what is asked about them."""

    @property
    def procedural(self) -> bool:
        return bool(self.stems & PROCEDURAL)

    @property
    def wants_range(self) -> bool:
        """A question after a safe value or range ("what is a safe value for X")."""
        return bool(self.stems & WANTS_RANGE)


def analyse(question: str, services: Sequence[str]) -> Query:
    words = [stem(w) for w in re.findall(r"[A-Za-z0-9]+", question)]
    stems = frozenset(words)
    lowered = question.lower()
    mentioned = set()
    parts: dict[str, list[str]] = {}
    for name in services:
        for part in re.split(r"[-_.]", name.lower()):
            parts.setdefault(part, []).append(name)
    for name in services:
        if re.search(rf"(?<![\w-]){re.escape(name.lower())}(?![\w-])", lowered):
            mentioned.add(name)
    for part, owners in parts.items():
        # A part of a name counts when only one service has it (telemetry → telemetry-collector).
        if len(owners) == 1 and len(part) >= 4 and re.search(rf"\b{re.escape(part)}\b", lowered):
            mentioned.add(owners[0])
    intents = frozenset(k for k, words_ in INTENTS.items() if stems & words_)
    found = frozenset(t for t in terms(question) if t not in QUESTION_WORDS)
    generic = set().union(*(terms(name) for name in mentioned))
    return Query(
        question,
        found,
        stems,
        frozenset(identifiers(question)),
        frozenset(mentioned),
        intents,
        frozenset(t for t in found if t not in generic),
    )


@dataclass(frozen=True)
class Source:
    """One fact or excerpt as shown to the model: a fenced body and where it may be cited."""

    ref: str
    kind: Literal["fact", "excerpt"]
    title: str
    body: str
    ranges: tuple[Citation, ...]
    score: float
    lexical: float
    exact: bool
    tokens: int
    topical: float = 0.0
    """Share of the question's topic terms (Query.topic) that the source holds."""
    fact: FactBase | None = None
    chunk: Chunk | None = None

    def ref_model(self) -> SourceRef:
        return SourceRef(
            ref=self.ref,
            kind=self.kind,
            citations=list(self.ranges),
            fact_id=self.fact.id if self.fact else None,
            score=round(self.score, 3),
        )

    def prompt_view(self) -> dict[str, str]:
        return {"ref": self.ref, "title": self.title, "body": self.body}


def fact_text(fact: FactBase) -> str:
    fields = own_fields(fact)
    return " ".join([fact.summary, fact.service or "", *(str(v) for v in fields.values())])


def _fact_names(fact: FactBase) -> set[str]:
    if isinstance(fact, ConfigParameter):
        return {_norm_name(fact.name)}
    return set()


def fact_body(fact: FactBase, knowledge: Knowledge) -> str:
    fields = own_fields(fact)
    detail = " · ".join(f"{k}: {v}" for k, v in fields.items() if v not in ([], ""))
    out = [fact.summary]
    if fact.service:
        out.append(f"service: {fact.service}")
    if detail:
        out.append(detail)
    for c in fact.citations:
        per = knowledge.lines.get(c.path, {})
        shown = [n for n in range(c.start_line, c.end_line + 1) if n in per][:MAX_FACT_LINES]
        out.append(f"{c.path} lines {c.start_line}-{c.end_line}:")
        if shown:
            width = len(str(shown[-1]))
            out.extend(f"{n:>{width}} | {per[n]}" for n in shown)
    return "\n".join(out)


def _index_hits(
    knowledge: Knowledge, question: str, top_k: int, warnings: list[str]
) -> dict[str, float]:
    """Similarity (1 - cosine distance, two decimals so ties break the same everywhere)."""
    if knowledge.index is None:
        return {}
    try:
        hits = knowledge.index.query(question, n_results=top_k)
    except IndexUnavailable as exc:
        warnings.append(f"index not used: {exc}")
        return {}
    by_place = {(c.path, c.start_line, c.end_line): c.id for c in knowledge.chunks}
    out: dict[str, float] = {}
    for hit in hits:
        cid = by_place.get((hit.path, hit.start_line, hit.end_line))
        if cid is not None:
            out[cid] = round(max(0.0, 1.0 - hit.distance), 2)
    return out


FACT_MIN = 0.35
FACT_LEXICAL_MIN = 0.25
"""A fact the question neither names nor asks about by service and kind must share this much."""
EXCERPT_MIN = 0.3


def retrieve(
    knowledge: Knowledge,
    question: str,
    settings: AskSettings = AskSettings(),
    warnings: list[str] | None = None,
    *,
    excerpt_budget: int | None = None,
) -> list[Source]:
    """The facts and excerpts to answer from, best first, within settings.context_tokens.

    Candidates: facts and chunks that hold enough of the question's words (coverage weighted
    by BM25's idf), that the question names (MAX_CONNECTIONS, --workers), or, for facts, of
    the service and kind asked about. Their order is the reciprocal rank fusion of four
    rankings: BM25 over the facts, BM25 over the chunks (bm25s), the vector index's
    similarity, and a rule score (a named fact first; a lift for the question's service
    and kind). A fact that a question names outranks everything else.
    """
    notes = warnings if warnings is not None else []
    query = analyse(question, knowledge.services)
    wanted = sorted(query.terms)
    candidates: dict[str, Source] = {}
    rule: list[tuple[float, int, str, int, str]] = []
    named: list[str] = []
    fact_lex = knowledge.fact_lexical
    fact_bm25 = fact_lex.scores(wanted)
    for i, fact in enumerate(knowledge.facts):
        held = fact_lex.held[i]
        lexical = fact_lex.coverage(query.terms, held)
        exact = bool(query.names & _fact_names(fact))
        score = (
            lexical
            + (1.0 if exact else 0.0)
            + (0.25 if fact.service in query.services else 0.0)
            + (0.25 if fact.fact_kind in query.intents else 0.0)
        )
        if query.services and fact.service not in query.services and not exact:
            score /= 2  # the question names another service
        asked = fact.service in query.services and fact.fact_kind in query.intents
        if score < FACT_MIN or not (exact or asked or lexical >= FACT_LEXICAL_MIN):
            continue
        body = fact_body(fact, knowledge)
        key = f"fact:{fact.id}"
        candidates[key] = Source(
            "",
            "fact",
            f"verified fact {fact.id}",
            body,
            tuple(fact.citations),
            score,
            lexical,
            exact,
            count_tokens(body),
            fact_lex.coverage(query.topic, held),
            fact=fact,
        )
        rule.append((-round(score, 3), 0, fact.id, 0, key))
        if exact:
            named.append(key)
    similar = _index_hits(knowledge, question, settings.top_k, notes)
    chunk_lex = knowledge.chunk_lexical
    chunk_bm25 = chunk_lex.scores(wanted)
    for i, chunk in enumerate(knowledge.chunks):
        if excerpt_budget is not None and chunk.tokens > excerpt_budget:
            continue
        held = chunk_lex.held[i]
        lexical = chunk_lex.coverage(query.terms, held)
        lowered = chunk.text.lower()
        exact = any(re.search(rf"(?<![\w-]){re.escape(n)}(?!\w)", lowered) for n in query.names)
        score = 0.6 * lexical + 0.6 * similar.get(chunk.id, 0.0) + (0.5 if exact else 0.0)
        if score < EXCERPT_MIN:
            continue
        body = numbered(chunk.text, chunk.start_line)
        key = f"chunk:{chunk.id}"
        candidates[key] = Source(
            "",
            "excerpt",
            f"excerpt {chunk.path} lines {chunk.start_line}-{chunk.end_line}",
            body,
            (Citation(path=chunk.path, start_line=chunk.start_line, end_line=chunk.end_line),),
            score,
            lexical,
            exact,
            count_tokens(body),
            chunk_lex.coverage(query.topic, held),
            chunk=chunk,
        )
        rule.append((-round(score, 3), 1, chunk.path, chunk.start_line, key))
    rule.sort()
    by_rule = [r[-1] for r in rule]
    position = {key: n for n, key in enumerate(by_rule)}

    def ranking(scored: list[tuple[float, str]]) -> list[str]:
        return [k for s, k in sorted(scored, key=lambda p: (-p[0], position[p[1]])) if s > 0]

    facts_by_bm25 = ranking(
        [
            (fact_bm25[i], f"fact:{f.id}")
            for i, f in enumerate(knowledge.facts)
            if f"fact:{f.id}" in candidates
        ]
    )
    chunks_by_bm25 = ranking(
        [
            (chunk_bm25[i], f"chunk:{c.id}")
            for i, c in enumerate(knowledge.chunks)
            if f"chunk:{c.id}" in candidates
        ]
    )
    chunks_by_vector = ranking(
        [(sim, f"chunk:{cid}") for cid, sim in similar.items() if f"chunk:{cid}" in candidates]
    )
    fused = [key for key, _ in fuse([by_rule, facts_by_bm25, chunks_by_bm25, chunks_by_vector])]
    order = named + [key for key in fused if key not in named]
    picked: list[Source] = []
    used = 0
    counts = {"fact": 0, "excerpt": 0}
    limits = {"fact": MAX_FACTS, "excerpt": MAX_EXCERPTS}
    for key in order:
        src = candidates[key]
        if counts[src.kind] >= limits[src.kind] or used + src.tokens > settings.context_tokens:
            continue
        counts[src.kind] += 1
        used += src.tokens
        prefix = "F" if src.kind == "fact" else "E"
        picked.append(replace(src, ref=f"{prefix}{counts[src.kind]}"))
    return picked


# ---------------------------------------------------------------------------------------
# Gaps and refusals


def find_gap(knowledge: Knowledge, question: str) -> Gap | None:
    """The gap the question runs into: its category asked about, for its service or parameter."""
    query = analyse(question, knowledge.services)
    best: tuple[int, int, Gap] | None = None
    rank = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}
    for gap in knowledge.document.gaps:
        score = 0
        if query.stems & GAP_INTENTS.get(gap.category, frozenset()):
            score += 1
        if gap.service and gap.service in query.services:
            score += 1
        key = gap.id.split(":", 3)[3] if gap.id.count(":") >= 3 else ""
        if key and _norm_name(key) in query.names:
            score += 2
        if score >= 2 and (best is None or (score, -rank[gap.priority]) > best[:2]):
            best = (score, -rank[gap.priority], gap)
    return best[2] if best else None


def _gap_sentence(gap: Gap | None) -> str:
    if gap is None:
        return ""
    return f" Known gap ({gap.priority}): {gap.message} ({gap.id})."


def refusal(knowledge: Knowledge, question: str, explanation: str = "", **fields: Any) -> AskResult:
    gap = find_gap(knowledge, question)
    text = NOT_DOCUMENTED + _gap_sentence(gap)
    if explanation and explanation.strip() != NOT_DOCUMENTED:
        text += "\n\n" + explanation.strip()
    values: dict[str, Any] = {"confidence": "low", **fields}
    return AskResult(
        question=question,
        answer=text,
        not_found=True,
        gap=GapRef(id=gap.id, priority=gap.priority, message=gap.message) if gap else None,
        **values,
    )


# ---------------------------------------------------------------------------------------
# Without a model

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")


def _section_title(chunk: Chunk) -> str:
    for line in chunk.text.split("\n"):
        m = _HEADING.match(line)
        if m:
            return m.group(1).strip()
    return f"{chunk.path}:{chunk.start_line}-{chunk.end_line}"


SHELL_BLOCKS = frozenset(
    "sh bash shell console zsh fish ksh powershell pwsh ps1 cmd bat batch shellsession "
    "shell-session terminal text".split()
)
"""Fenced blocks whose lines are commands to run; a block tagged with another language
(```javascript, ```yaml) is code or configuration to read, not steps (untagged: commands)."""


def _commands(chunk: Chunk) -> list[Step]:
    """The command lines of a documentation section's code blocks, each citing its own line."""
    steps: list[Step] = []
    fenced = commands = False
    for i, line in enumerate(chunk.text.split("\n")):
        if fence := _FENCE.match(line):
            fenced = not fenced
            tag = line.strip()[len(fence.group(1)) :].strip().strip("{}").split(" ")[0].lower()
            commands = fenced and (not tag or tag.lstrip(".") in SHELL_BLOCKS)
            continue
        text = line.strip()
        indented = line.startswith("    ") and not fenced and text and not text.startswith("-")
        if ((fenced and commands) or indented) and text and not text.startswith("#"):
            n = chunk.start_line + i
            steps.append(
                Step(text=text, citation=Citation(path=chunk.path, start_line=n, end_line=n))
            )
    return steps[:MAX_STEPS]


def _describe(fact: FactBase) -> str:
    text = fact.summary
    if isinstance(fact, ConfigParameter):
        if (fact.min is not None or fact.max is not None) and "range" not in text:
            lo = "" if fact.min is None else f"{fact.min:g}"
            hi = "" if fact.max is None else f"{fact.max:g}"
            text += f"; range {lo}–{hi} ({fact.range_source or 'declared'})"
        if fact.allowed_values and "allowed" not in text:
            text += f"; allowed values {', '.join(fact.allowed_values)}"
    cites = ", ".join(str(c) for c in fact.citations)
    return f"{text} ({cites})"


DOC_MIN = 0.5
STATIC_FACT_MIN = 0.5
BY_SERVICE = frozenset({"dependency", "health_check", "validation_method"})
"""Kinds a question asks about per service ("what must run before the worker")."""


def _static_fact(fact: FactBase, source: Source, query: Query) -> bool:
    """Whether a fact answers the question without a model to judge it.

    Named by the question; or of the kind asked about, of the service asked about (if
    any), and holding half the question's topic words (for the per-service kinds, being
    that service's is enough).
    """
    if source.exact:
        return True
    if fact.fact_kind not in query.intents:
        return False
    if query.services and fact.service not in query.services:
        return False
    if isinstance(fact, ResourceRequirement):
        asked = {r for r in RESOURCES if stem(r) in query.stems}
        if asked and fact.resource not in asked:
            return False  # "how much memory": not the cpu fact
    if fact.fact_kind in BY_SERVICE and fact.service in query.services:
        return True
    return source.topical >= STATIC_FACT_MIN


RESOURCES = ("cpu", "memory", "disk", "gpu", "port", "volume")
_COMMENT = re.compile(r"^\s*(#|//|--|;)\s?(.*)$")


def comment_above(fact: FactBase, knowledge: Knowledge) -> list[Citation]:
    """The comment lines right above where a fact is stated (a knob's own documentation)."""
    found: list[Citation] = []
    for c in fact.citations:
        per = knowledge.lines.get(c.path, {})
        first = c.start_line
        while first - 1 in per and _COMMENT.match(per[first - 1]) and c.start_line - first < 5:
            first -= 1
        if first < c.start_line:
            found.append(Citation(path=c.path, start_line=first, end_line=c.start_line - 1))
    return found


def _quote(knowledge: Knowledge, c: Citation) -> str:
    per = knowledge.lines.get(c.path, {})
    parts = []
    for n in range(c.start_line, c.end_line + 1):
        m = _COMMENT.match(per.get(n, ""))
        parts.append(m.group(2).strip() if m else per.get(n, "").strip())
    return " ".join(p for p in parts if p)


def _has_range(fact: FactBase) -> bool:
    return isinstance(fact, ConfigParameter) and (
        fact.min is not None or fact.max is not None or bool(fact.allowed_values)
    )


ANSWER_MIN = 0.6
"""Share of a question's weighted terms the best passage must hold to answer without a model."""
BODY_MIN = 0.15
"""…of which the passage's own lines (not only its headings or file) must hold this much."""
NEAR = 0.05
"""Further passages are quoted when they score this close to the best one."""
MAX_PASSAGES = 3
QUOTE_LINES = 4


def static_answer(
    knowledge: Knowledge, question: str, found: Sequence[Source], **fields: Any
) -> AskResult:
    """Without a model: a safe-range question that names a parameter is answered from its
    fact (named_answer, which refuses a range the repository does not state); any other
    from the passages that hold most of it (passage_answer), a named parameter's facts
    first."""
    named = [s.fact for s in found if s.exact and s.fact is not None]
    if named and analyse(question, knowledge.services).wants_range:
        return named_answer(knowledge, question, found, **fields)
    return passage_answer(knowledge, question, named=named, **fields)


def _overlap(a: Passage, b: Passage) -> bool:
    return _at(a, [(b.path, b.start, b.end)])


def _at(p: Passage, places: Iterable[tuple[str, int, int]]) -> bool:
    """Whether the passage overlaps any of the places (path, first line, last line)."""
    return any(p.path == path and p.start <= end and start <= p.end for path, start, end in places)


FOCUS_FREE = 0.85
"""A passage this complete answers even without the question's heaviest term."""
STATIC_BY_SERVICE = {
    # Question words that ask, per service, for one fact kind (no-model answers only).
    "dependency": stems("before first depend depends dependency requires wait"),
    "health_check": INTENTS["health_check"],
}


def _service_facts(knowledge: Knowledge, query: Query) -> list[FactBase]:
    """Facts of the kind a question asks about for the service it names (what must run
    before the worker: the worker's dependencies)."""
    kinds = {k for k, words in STATIC_BY_SERVICE.items() if query.stems & words}
    if not kinds or not query.services:
        return []
    return [f for f in knowledge.facts if f.fact_kind in kinds and f.service in query.services]


def _answers(
    query: Query, m: Match, focus: str | None, heads: Sequence[str] = (), least: float = ANSWER_MIN
) -> bool:
    """Whether one passage answers: it holds `least` of the question (BODY_MIN in its own
    lines), the thing asked about (the question's heaviest known term) unless it holds
    nearly all of it, and the service the question names."""
    if m.coverage < least or m.body < BODY_MIN:
        return False
    if focus is not None and focus in m.missing and m.coverage < FOCUS_FREE:
        return False
    if heads and all(h in m.missing for h in heads):
        return False  # "which versions": a passage without any version does not answer
    p = m.passage
    for name in query.services:
        if p.service == name:
            continue
        parts = [t for t in terms(name) if "_" not in t] or terms(name)
        if p.service is not None or not all(p.holds([t]) for t in parts):
            return False
    return True


CLAUSE_MIN = 0.75
"""One clause of a question with several ("what is X, and how do I Y?") answers alone when
a passage holds this much of it."""
CLAUSE_TERMS = 2
"""…and the clause names at least this many things (not "where is it configured")."""
CLAUSE_WHOLE_MIN = 0.3
"""…and the passage holds this much of the whole question."""
NAMED_ALONE_MIN = 0.5
"""A parameter the question names answers alone (no passage answers) when its fact, or a
line where it is set, holds this much of the question: "how do I rotate SECRET_KEY without
logging everyone out" is not answered by where SECRET_KEY is set."""


def _phrase_facts(knowledge: Knowledge, query: Query, wanted: Sequence[str]) -> list[FactBase]:
    """Verified facts of the kind a question asks for that hold the whole noun phrase it
    asks for, when that phrase names the kind and what of it ("which health check
    endpoints …": the health endpoints found; "which settings …" names nothing)."""
    phrases = [
        kept for part in asked_phrases(query.text) if (kept := [t for t in part if t in wanted])
    ]
    index = knowledge.passage_index
    found: list[FactBase] = []
    for p in index.passages:
        fact = p.fact
        if fact is None or fact.fact_kind not in query.intents or fact in found:
            continue
        if query.services and fact.service not in query.services:
            continue
        for part in phrases:
            kind = set(part) & INTENTS[fact.fact_kind]
            if not kind or not set(part) - kind - SOFT:
                continue  # the phrase must name the kind and what of it ("settings": no)
            if not index.score(part, p).missing:
                found.append(fact)
                break
    return found


def _declarations(knowledge: Knowledge) -> dict[str, FactBase]:
    """Verified settings by name (lower case), when only one fact declares the name."""
    by_name: dict[str, list[FactBase]] = {}
    for f in knowledge.facts:
        if isinstance(f, ConfigParameter):
            by_name.setdefault(f.name.lower(), []).append(f)
    return {name: found[0] for name, found in by_name.items() if len(found) == 1}


def _fact_citations(facts: Sequence[FactBase]) -> list[Citation]:
    seen: dict[str, Citation] = {}
    for f in facts:
        for c in f.citations:
            seen.setdefault(str(c), c)
    return list(seen.values())


def _named_alone(
    knowledge: Knowledge, named: Sequence[FactBase], wanted: Sequence[str], question: str
) -> str | None:
    """None when a named parameter's own evidence holds enough of the question to answer
    it; else what the repository does say about the parameter (for the refusal)."""
    index = knowledge.passage_index
    joined = joined_words(question)
    places = {(c.path, c.start_line, c.end_line) for f in named for c in f.citations}
    ids = {id(f) for f in named}
    best = 0.0
    for p in index.passages:
        own = p.fact is not None and id(p.fact) in ids
        at = p.fact is None and _at(p, places)
        if own or at:
            best = max(best, index.score(wanted, p, joined).coverage)
    if best >= NAMED_ALONE_MIN:
        return None
    return " ".join(f"It is set: {_describe(f)}." for f in named)


def _answering(
    knowledge: Knowledge, query: Query, wanted: list[str], least: float, procedure: bool
) -> list[Match]:
    """The passages that answer (_answers), best first; whole sections only for procedures."""
    index = knowledge.passage_index
    focus = index.focus(wanted)
    heads = [h for h in asked_for(query.text) if h in wanted]
    phrases = [
        kept for part in asked_phrases(query.text) if (kept := [t for t in part if t in wanted])
    ]
    return [
        m
        for m in best_matches(index, wanted, query.text)
        if _answers(query, m, focus, heads, least)
        and not lacks_phrase(m, phrases)
        and (procedure or not m.passage.section)
    ]


AGREE_MIN = 0.5
"""A passage holding this much of the question (less than ANSWER_MIN) answers when…"""
AGREE_K = 3
"""…it lies in one of the chunks the vector index ranks closest to the question in meaning."""


def _agreeing(
    knowledge: Knowledge, question: str, query: Query, wanted: list[str], procedure: bool
) -> list[Match]:
    """Passages holding less of the question's words (AGREE_MIN) that the vector index
    also ranks among the closest to the question in meaning (AGREE_K chunks): two
    independent signals agreeing on one place ("how long does a login stay valid": the
    words of the answer's sentence are not all the question's, its meaning is). Nothing
    without a readable index."""
    if knowledge.index is None:
        return []
    try:
        hits = knowledge.index.query(question, n_results=AGREE_K)
    except IndexUnavailable:
        return []
    near = [(h.path, h.start_line, h.end_line) for h in hits]
    return [
        m
        for m in _answering(knowledge, query, wanted, AGREE_MIN, procedure)
        if _at(m.passage, near)
    ]


_PROCEDURE = re.compile(
    r"\bhow\s+(?:do|can|could|should|would|must)\s+(?:i|we|you|one)\b|\bhow\s+to\b"
    r"|\bsteps?\b|\bprocedure\b",
    re.I,
)


def asks_procedure(question: str) -> bool:
    """ "How do I …", "how to …": the answer is a section's steps ("how long" is not)."""
    return bool(_PROCEDURE.search(question))


MAX_QUOTED_HITS = 3
"""A pasted message found in more places than this is too common to say where it comes from."""


def _quoted_matches(knowledge: Knowledge, question: str, wanted: Sequence[str]) -> list[Match]:
    """The passages holding a message the question quotes, word for word (an operator
    pastes the error they see): each cited by the lines around the message."""
    index = knowledge.passage_index
    out: list[Match] = []
    for phrase in quoted_phrases(question):
        hits = phrase_lines(knowledge.lines, phrase)
        if not hits or len(hits) > MAX_QUOTED_HITS:
            continue
        for path, line in hits:
            p = holding_passage(index, path, line)
            if p is None or any(m.passage is p for m in out):
                continue
            m = index.score(wanted, p, joined_words(question))
            span = (max(p.start, line - 1), min(p.end, line + 1)) if p.container else None
            out.append(replace(m, span=span))
    return out


def passage_answer(
    knowledge: Knowledge, question: str, named: Sequence[FactBase] = (), **fields: Any
) -> AskResult:
    """The passages holding the most of the question's specific terms, quoted with their
    lines; "not documented" when none answers (_answers): a question about something the
    repository never names covers little of itself anywhere."""
    query = analyse(question, knowledge.services)
    procedure = asks_procedure(question)
    index = knowledge.passage_index
    wanted = question_terms(question, QUESTION_WORDS, index.known)
    absent = absent_concepts(wanted, index)
    if absent:
        # Asked about a capability the repository never mentions in any of its words.
        said = ", ".join(asked_words(question, absent))
        return refusal(knowledge, question, f"The repository never mentions: {said}.", **fields)
    by_service = [*named, *(f for f in _service_facts(knowledge, query) if f not in named)]
    good = _answering(knowledge, query, wanted, ANSWER_MIN, procedure)
    parts = clauses(question)
    if not good and len(parts) > 1:
        # One of several questions asked at once, answered fully, is an answer too, when
        # the passage is about the question as a whole too (not two words of one clause).
        whole = wanted
        joined = joined_words(question)
        for part in parts:
            part_terms = question_terms(part, QUESTION_WORDS, index.known)
            if sum(index.weight(t) >= 1.0 for t in part_terms) >= CLAUSE_TERMS:
                good = [
                    m
                    for m in _answering(knowledge, query, part_terms, CLAUSE_MIN, procedure)
                    if index.score(whole, m.passage, joined).coverage >= CLAUSE_WHOLE_MIN
                ]
                if good:
                    wanted = part_terms
                    break
    if not good:
        good = _quoted_matches(knowledge, question, wanted)
    if not good:
        # As worded, nothing answers: what the question names may still be answered whole
        # in other words ("let the container receive pings sent by email": the setting
        # that starts the email listener).
        worded = wording(question)
        named_only = [t for t in wanted if t not in worded]
        if named_only and len(named_only) < len(wanted):
            # Part of the question, answered alone: the bar of one clause of several.
            good = _answering(knowledge, query, named_only, CLAUSE_MIN, procedure)
            wanted = named_only if good else wanted
    if not good and not named:
        good = _agreeing(knowledge, question, query, wanted, procedure)
    if not good and named and not _service_facts(knowledge, query):
        alone = _named_alone(knowledge, named, wanted, question)
        if alone is not None:
            return refusal(knowledge, question, alone, citations=_fact_citations(named), **fields)
    if not good and not by_service:
        by_service = _phrase_facts(knowledge, query, wanted)
    if not good and not by_service:
        return refusal(knowledge, question, **fields)
    chosen: list[Match] = []
    if good and (named or not by_service):
        best = good[0]
        if procedure and best.passage.kind == "doc":
            # A procedure is its whole section: the section holding the best block.
            sections = [
                m
                for m in good
                if m.passage.kind == "doc"
                and best.passage.within(m.passage)
                and m.score >= best.score - NEAR
            ]
            best = max(sections, key=lambda m: m.passage.end - m.passage.start, default=best)
        chosen.append(best)
        held = set(wanted) - set(best.missing)
        for m in good:
            if len(chosen) >= MAX_PASSAGES or m.score < best.score - NEAR:
                break
            adds = set(wanted) - set(m.missing) - held
            if not adds or not m.key or any(_overlap(m.passage, c.passage) for c in chosen):
                continue  # adds nothing, or holds the question only in passing
            chosen.append(m)
            held |= adds
    lines: list[str] = []
    citations: dict[str, Citation] = {}
    steps: list[Step] = []
    shown = {id(m.passage.fact) for m in chosen if m.passage.fact is not None}
    for fact in by_service[:MAX_FACTS]:
        if id(fact) not in shown:
            lines.append(f"- {_describe(fact)}")
            for c in fact.citations:
                citations.setdefault(str(c), c)
    declared = _declarations(knowledge)
    for m in chosen:
        p = m.passage
        name = row_name(p)
        copied = declared.get(name.lower()) if name else None
        if copied is not None:
            # A reference table's row copies a setting's declaration: cite the declaration.
            if id(copied) not in shown:
                shown.add(id(copied))
                lines.append(f"- {_describe(copied)}")
                for c in copied.citations:
                    citations.setdefault(str(c), c)
            continue
        if p.fact is not None:
            cite = Citation(path=p.path, start_line=p.start, end_line=p.end)
            citations.setdefault(str(cite), cite)
            lines.append(f"- {_describe(p.fact)}")
            for c in p.fact.citations:  # every place the fact is stated, as its text says
                citations.setdefault(str(c), c)
            continue
        ranges = [cited_range(m)]
        if procedure and p.section:
            ranges = procedure_ranges(index, p, wanted, question) or ranges
        first = not steps
        for start, end in ranges:
            cite = Citation(path=p.path, start_line=start, end_line=end)
            citations.setdefault(str(cite), cite)
            per = knowledge.lines.get(p.path, {})
            every = [per[n].strip() for n in range(start, end + 1) if per.get(n, "").strip()]
            more = " …" if len(every) > QUOTE_LINES else ""
            where = f'"{p.title}", ' if p.kind == "doc" and p.title != p.path else ""
            lines.append(f"- {where}{cite}: " + " / ".join(every[:QUOTE_LINES]) + more)
            if p.kind == "doc" and procedure and first:
                steps.extend(_command_lines(knowledge, p.path, start, end))
        steps = steps[:MAX_STEPS]
    head = "From the repository (quoted; no model was used):"
    return AskResult(
        question=question,
        answer="\n".join([head, *lines]),
        steps=steps,
        citations=list(citations.values()),
        confidence="low",
        not_found=False,
        **fields,
    )


def _command_lines(knowledge: Knowledge, path: str, start: int, end: int) -> list[Step]:
    per = knowledge.lines.get(path, {})
    text = "\n".join(per.get(n, "") for n in range(start, end + 1))
    chunk = Chunk(path, start, end, text, "markdown", 0)
    return _commands(chunk)


def named_answer(
    knowledge: Knowledge, question: str, found: Sequence[Source], **fields: Any
) -> AskResult:
    """The best matching verified facts and documentation section, quoted with citations.

    Without a model nothing is paraphrased: fact summaries, a section's title and its own
    command lines. A fact counts when the question names it, or asks about its kind for
    its service (see _static_fact); a Markdown section when it holds half the question's
    topic words or names what the question names. A named parameter whose verified fact
    carries its range answers a range question alone; without a range or a section that
    states one, the answer is "not documented" (with the gap, and the default it has).
    """
    query = analyse(question, knowledge.services)
    facts = [s for s in found if s.fact is not None and _static_fact(s.fact, s, query)]
    if any(s.exact for s in facts):
        facts = [s for s in facts if s.exact]
    docs = [
        s
        for s in found
        if s.chunk is not None and s.chunk.kind == "markdown" and (s.topical >= DOC_MIN or s.exact)
    ]
    docs.sort(key=lambda s: -s.topical)
    docs = docs[:1]
    named = [s.fact for s in facts if s.exact and s.fact is not None]
    comments = [c for f in named for c in comment_above(f, knowledge)]
    if named and all(_has_range(f) for f in named):
        docs = []  # the code's declared range is the answer; prose cannot widen it
    elif query.wants_range and named and not docs and not comments:
        cites = [c for f in named for c in f.citations]
        known = " ".join(f"It is set: {_describe(f)}." for f in named)
        return refusal(knowledge, question, known, citations=cites, **fields)
    if not facts and not docs:
        return refusal(knowledge, question, **fields)
    lines: list[str] = []
    if facts:
        lines.append("From the verified facts:")
        lines.extend(f"- {_describe(s.fact)}" for s in facts[:4] if s.fact is not None)
    for c in comments:
        lines.append(f'The code comments on it: "{_quote(knowledge, c)}" ({c}).')
    for doc in docs:
        if doc.chunk is not None:
            title = _section_title(doc.chunk)
            lines.append(
                f'The repository\'s documentation covers it in "{title}" ({doc.ranges[0]}).'
            )
    steps = _commands(docs[0].chunk) if docs and docs[0].chunk and query.procedural else []
    citations: dict[str, Citation] = {}
    for s in [*facts[:4], *docs]:
        for c in s.fact.citations if s.fact is not None else s.ranges:
            citations.setdefault(str(c), c)
    for c in comments:
        citations.setdefault(str(c), c)
    return AskResult(
        question=question,
        answer="\n".join(lines),
        steps=steps,
        citations=list(citations.values()),
        confidence="medium" if named else "low",
        not_found=False,
        **fields,
    )


# ---------------------------------------------------------------------------------------
# With a model


def build_request(
    question: str, sources: Sequence[Source], settings: AskSettings = AskSettings()
) -> LlmRequest:
    messages = render_messages(
        PROMPT, question=question, sources=[s.prompt_view() for s in sources]
    )
    return LlmRequest(
        prompt=PROMPT,
        prompt_version=prompt_version(PROMPT),
        messages=messages,
        response_model=AskAnswer,
        max_retries=settings.max_retries,
        label=f"ask: {question[:60]}",
    )


def _inside(c: AnswerCitation, ranges: Sequence[Citation]) -> bool:
    path = c.path.removeprefix("./")
    return c.start_line <= c.end_line and any(
        r.path == path and r.start_line <= c.start_line and c.end_line <= r.end_line for r in ranges
    )


def invalid_citations(answer: AskAnswer, sources: Sequence[Source]) -> list[AnswerCitation]:
    """Citations (of the answer and its steps) that lie in no source the model was shown."""
    ranges = [r for s in sources for r in s.ranges]
    every = [*answer.citations, *(s.citation for s in answer.steps)]
    return [c for c in every if not _inside(c, ranges)]


def _label(c: AnswerCitation) -> str:
    return f"{c.path}:{c.start_line}-{c.end_line}"


def reask_request(
    request: LlmRequest, answer: dict[str, Any], invalid: Sequence[AnswerCitation]
) -> LlmRequest:
    """The same question again, with the first answer and what was wrong with it."""
    import json

    fix = render_text("ask_fix.j2", invalid=[_label(c) for c in invalid], uncited=not invalid)
    messages = (
        *request.messages,
        {"role": "assistant", "content": json.dumps(answer, sort_keys=True)},
        {"role": "user", "content": fix},
    )
    return replace(request, messages=messages, label=f"{request.label} (re-ask)")


def needs_reask(answer: AskAnswer, sources: Sequence[Source]) -> list[AnswerCitation] | None:
    """Invalid citations, [] for an answer that cites nothing, None when it is fine."""
    bad = invalid_citations(answer, sources)
    if bad:
        return bad
    if not answer.not_found and not answer.citations and not answer.steps:
        return []
    return None


def _to_citation(c: AnswerCitation) -> Citation:
    return Citation(path=c.path.removeprefix("./"), start_line=c.start_line, end_line=c.end_line)


@dataclass
class AskSession:
    """Answers questions about one repository with one provider (or none)."""

    knowledge: Knowledge
    provider: Provider | None = None
    settings: AskSettings = AskSettings()
    cache: ResponseCache | None = None
    timeout: float = 60.0
    record_dir: Path | None = None
    excerpt_budget: int | None = None
    clock: Clock = time.perf_counter

    def ask(self, question: str) -> AskResult:
        started = self.clock()
        result = self._ask(question.strip())
        return result.model_copy(update={"latency_s": round(self.clock() - started, 3)})

    def _run(self, request: LlmRequest, usage: Usage) -> tuple[dict[str, Any] | None, str]:
        assert self.provider is not None
        runner = Runner(self.provider, cache=self.cache, concurrency=1, timeout=self.timeout)
        outcome = runner.run([request])[0]
        for name in ("llm_calls", "cache_hits", "prompt_tokens", "completion_tokens"):
            setattr(usage, name, getattr(usage, name) + getattr(runner.stats.usage, name))
        if outcome.completion is None:
            return None, outcome.failure.error if outcome.failure else "no answer"
        if self.record_dir is not None:
            write_cassette(self.record_dir, request, outcome.completion, self.provider.name)
        return outcome.completion.data, ""

    def retrieve(self, question: str, warnings: list[str] | None = None) -> list[Source]:
        return retrieve(
            self.knowledge,
            question.strip(),
            self.settings,
            warnings,
            excerpt_budget=self.excerpt_budget,
        )

    def request(self, question: str, sources: Sequence[Source]) -> LlmRequest:
        """What the model is asked (the authoring tool builds replay cassettes from it)."""
        return build_request(question.strip(), sources, self.settings)

    def _ask(self, question: str) -> AskResult:
        warnings: list[str] = []
        sources = self.retrieve(question, warnings)
        common: dict[str, Any] = {"sources": [s.ref_model() for s in sources]}
        if self.provider is None or self.provider.name == "none":
            return static_answer(self.knowledge, question, sources, warnings=warnings, **common)
        if not sources:
            return refusal(self.knowledge, question, warnings=warnings, **common)
        usage = Usage()
        request = self.request(question, sources)
        common.update(llm=self.provider.info(), prompt_version=request.prompt_version)
        data, error = self._run(request, usage)
        if data is None:
            warnings.append(f"model call failed, answering from facts alone: {error}")
            return static_answer(
                self.knowledge,
                question,
                sources,
                warnings=warnings,
                model_failed=True,
                usage=usage,
                **common,
            )
        answer = AskAnswer.model_validate(data)
        reasked = False
        problem = needs_reask(answer, sources)
        if problem is not None:
            reasked = True
            what = ", ".join(_label(c) for c in problem) or "no citation"
            warnings.append(f"the model's answer cited {what}; asked again")
            again, error = self._run(reask_request(request, data, problem), usage)
            if again is None:
                warnings.append(f"re-ask failed, keeping the first answer: {error}")
            else:
                answer = AskAnswer.model_validate(again)
        return self._finish(question, answer, sources, warnings, reasked, usage, common)

    def _finish(
        self,
        question: str,
        answer: AskAnswer,
        sources: Sequence[Source],
        warnings: list[str],
        reasked: bool,
        usage: Usage,
        common: dict[str, Any],
    ) -> AskResult:
        ranges = [r for s in sources for r in s.ranges]
        removed = [_to_citation(c) for c in invalid_citations(answer, sources)]
        if removed:
            warnings.append(
                "removed citations outside the sources the model was shown: "
                + ", ".join(str(c) for c in removed)
            )
        citations = [_to_citation(c) for c in answer.citations if _inside(c, ranges)]
        steps = [
            Step(text=s.text, citation=_to_citation(s.citation))
            for s in answer.steps
            if _inside(s.citation, ranges)
        ]
        dropped = len(answer.steps) - len(steps)
        if dropped:
            warnings.append(f"dropped {dropped} step(s) whose citation was removed")
        fields: dict[str, Any] = {
            **common,
            "mode": "llm",
            "reasked": reasked,
            "removed_citations": removed,
            "usage": usage,
            "warnings": warnings,
        }
        if answer.not_found:
            if steps:
                warnings.append("dropped the steps of an answer that says it found nothing")
            return refusal(
                self.knowledge,
                question,
                answer.answer,
                citations=citations,
                confidence=answer.confidence,
                **fields,
            )
        if not citations and not steps:
            warnings.append("the model's answer cites nothing it was shown, so it is not given")
            return refusal(self.knowledge, question, **fields)
        return AskResult(
            question=question,
            answer=answer.answer.strip(),
            steps=steps,
            citations=citations,
            confidence=answer.confidence,
            not_found=False,
            **fields,
        )


def open_session(
    repo: Path,
    options: ExtractOptions,
    settings: AskSettings = AskSettings(),
    *,
    notify: Notify | None = None,
    knowledge: Knowledge | None = None,
    provider: Provider | None = None,
    clock: Clock = time.perf_counter,
    embed_progress: Callable[[int, int], None] | None = None,
) -> AskSession:
    """Knowledge (built if missing) and the provider named by options.llm."""
    if provider is None and capabilities(options.llm).answers_questions:
        provider = build_provider(options)  # before any scan: a bad setting fails at once
    knowledge = knowledge or load_knowledge(
        repo, options, notify=notify, embed_progress=embed_progress
    )
    return AskSession(
        knowledge,
        provider,
        settings,
        cache=None if provider is None else build_cache(options),
        timeout=options.timeout,
        record_dir=options.record_dir,
        excerpt_budget=options.budget,
        clock=clock,
    )


def answer_markdown(result: AskResult) -> str:
    """The answer as Markdown for the terminal (templates/answer.md.j2)."""
    from ddd_llm.render.renderer import environment

    return environment().get_template("answer.md.j2").render(r=result)
