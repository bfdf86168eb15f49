"""The extract pipeline: scan → chunk → index → evidence → verify → assess → render."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from ddd_llm import __version__
from ddd_llm.assess.assessor import find_gaps, item_scores, plain_secrets, scores
from ddd_llm.assess.order import StartOrder, start_order
from ddd_llm.atomic import atomic_write
from ddd_llm.chunk.chunker import Chunk, chunk_files
from ddd_llm.chunk.tokens import count_tokens
from ddd_llm.config import (
    CHUNKS_FILE,
    FACTS_FILE,
    ExtractOptions,
    build_cache,
    build_provider,
    build_runner,
    output_dir,
)
from ddd_llm.errors import ConfigError, IndexUnavailable, InputError, LlmError
from ddd_llm.evidence import SourceFile, analyze_files
from ddd_llm.evidence.base import Candidate
from ddd_llm.evidence.deploy._command import name_short_flags
from ddd_llm.evidence.deploy._run_as import run_as_users
from ddd_llm.evidence.docs._attach import attach_documented
from ddd_llm.evidence.owners import find_owners
from ddd_llm.evidence.roles import assign_roles
from ddd_llm.evidence.services import ServiceResolver, merge_services
from ddd_llm.extract import prose
from ddd_llm.extract.llm_extract import (
    ExtractPlan,
    default_share,
    plan,
    plan_document,
    prompt_budget,
    run_plan,
)
from ddd_llm.extract.prose import ModelIntros
from ddd_llm.fingerprint import git_commit, run_fingerprint, run_record
from ddd_llm.index.store import (
    ChunkIndex,
    LazyEmbedder,
    collection_for,
    http_client,
    load_embedder,
    model_label,
    open_shared,
    persistent_client,
)
from ddd_llm.llm import Provider, capabilities
from ddd_llm.llm.batch_api import run_batch
from ddd_llm.llm.cache import ResponseCache
from ddd_llm.lock import hold_all
from ddd_llm.merge.merger import merge_facts
from ddd_llm.merge.resolve import resolve_placeholders
from ddd_llm.models import (
    FACT_KINDS,
    Diagnostic,
    FactBase,
    FactsDocument,
    IndexStats,
    LlmFailure,
    RepoInfo,
    RunInfo,
    Service,
    ToolInfo,
    Usage,
)
from ddd_llm.render.renderer import render_all
from ddd_llm.render.report_html import write_report
from ddd_llm.render.site import write_site
from ddd_llm.scan.known import remember
from ddd_llm.scan.redact import mark_redacted
from ddd_llm.scan.repotext import RepoText
from ddd_llm.scan.scanner import ScanResult, nothing_to_read, scan
from ddd_llm.verify.verifier import needs_confirmation, verify

__all__ = ["CHUNKS_FILE", "FACTS_FILE", "ExtractOptions", "ExtractResult", "extract", "git_commit"]
PLAN_FILE = "plan.json"
"""Every model request a run plans (docs/plan-json.md), written by --dry-run and extract."""
Clock = Callable[[], datetime]
Notify = Callable[[str], None]
Progress = Callable[[int, int], None]
EmbeddingLoader = Callable[[], Any]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ExtractResult:
    document: FactsDocument
    out_dir: Path
    artifacts: list[Path] = field(default_factory=list)
    order: StartOrder = field(default_factory=StartOrder)


def _directories(paths: list[str]) -> set[str]:
    out: set[str] = set()
    for p in paths:
        out.update(str(parent) for parent in PurePosixPath(p).parents if str(parent) != ".")
    return out


def _lazy(loader: EmbeddingLoader | None, model: str) -> LazyEmbedder:
    """The embedding function, loaded only when something is embedded or searched."""
    return LazyEmbedder(loader or (lambda: load_embedder(model)), model_label(model))


def build_index(
    chunks: list[Chunk],
    index_dir: Path,
    warnings: list[Diagnostic],
    *,
    embedding_loader: EmbeddingLoader | None = None,
    client_factory: Callable[[Path], Any] = persistent_client,
    collection: str = "chunks",
    reuse: bool = False,
    model: str = "fp32",
    defer: bool = False,
    progress: Progress | None = None,
    on_demand: Callable[[str], bool] | None = None,
) -> tuple[ChunkIndex | None, IndexStats]:
    """Sync the chunks into the index; an unusable index is a warning, never the end of the run.

    `reuse`: the chunks are a finished run's; an index already holding exactly them is
    opened as it is, without a sync. `defer`: nothing is embedded (ChunkIndex.defer).
    `model` (fp32, int8) picks the embedding model and, for int8, its own collection.
    """
    try:
        index = ChunkIndex(
            client_factory(index_dir),
            collection_for(model, collection),
            _lazy(embedding_loader, model),
        )
        stats = _sync(index, chunks, reuse, defer=defer, progress=progress, on_demand=on_demand)
    except IndexUnavailable as exc:
        warnings.append(
            Diagnostic(path=str(index_dir), message=f"index skipped: {exc}", source="index")
        )
        return None, IndexStats(chunks=len(chunks), available=False, location=str(index_dir))
    return index, stats.model_copy(update={"location": str(index_dir)})


def build_shared_index(
    chunks: list[Chunk],
    url: str,
    repo: str,
    commit: str | None,
    warnings: list[Diagnostic],
    *,
    embedding_loader: EmbeddingLoader | None = None,
    now: str = "",
    reuse: bool = False,
    model: str = "fp32",
    defer: bool = False,
    progress: Progress | None = None,
    on_demand: Callable[[str], bool] | None = None,
) -> tuple[ChunkIndex | None, IndexStats]:
    """As build_index, on a shared chroma server: one collection per repository, commit
    and embedding model."""
    try:
        index, seed = open_shared(
            http_client(url), repo, commit, _lazy(embedding_loader, model), now, model
        )
        stats = _sync(
            index, chunks, reuse, seed, defer=defer, progress=progress, on_demand=on_demand
        )
    except IndexUnavailable as exc:
        warnings.append(Diagnostic(path=url, message=f"index skipped: {exc}", source="index"))
        return None, IndexStats(chunks=len(chunks), available=False, location=url)
    return index, stats.model_copy(update={"location": f"{url}#{index.name}"})


def _sync(
    index: ChunkIndex,
    chunks: list[Chunk],
    reuse: bool,
    seed: ChunkIndex | None = None,
    *,
    defer: bool = False,
    progress: Progress | None = None,
    on_demand: Callable[[str], bool] | None = None,
) -> IndexStats:
    if reuse and index.holds(chunks):
        return IndexStats(chunks=len(chunks), model=index.model)
    if defer:
        return index.defer(chunks, seed)
    return index.sync(chunks, progress=progress, seed=seed, on_demand=on_demand)


def tests_on_demand(options: ExtractOptions) -> Callable[[str], bool]:
    """Whether a path is a test or fixture (scan's classes, by path and the run's --include/
    --exclude): its chunks are embedded on demand, not by the first `ask` (issue #18)."""
    from ddd_llm.scan.linguist import Classifier

    classifier = Classifier(include=options.include, exclude=options.exclude)
    seen: dict[str, bool] = {}

    def later(path: str) -> bool:
        if path not in seen:
            seen[path] = classifier.classify(path).last
        return seen[path]

    return later


def index_chunks(
    chunks: list[Chunk],
    options: ExtractOptions,
    root: Path,
    out_dir: Path,
    warnings: list[Diagnostic],
    *,
    now: str,
    notify: Notify | None = None,
    embedding_loader: EmbeddingLoader | None = None,
    client_factory: Callable[[Path], Any] = persistent_client,
    reuse: bool = False,
    defer: bool = False,
    embed_progress: Progress | None = None,
) -> tuple[ChunkIndex | None, IndexStats]:
    """The index the options name (none, a folder, or a shared server), holding `chunks`.

    `defer`: chunks not yet embedded are left for later (`extract --llm none`: the first
    `ask` embeds them); the model is not even loaded. `embed_progress(done, total)`: while
    chunks are embedded. Tests and fixtures are embedded on demand (`tests_on_demand`):
    never here, only when a model run's retrieval shortlists them; `ask` finds them by words.
    """
    say = notify or (lambda _msg: None)
    if not options.index:
        return None, IndexStats(chunks=len(chunks), available=False)
    later = tests_on_demand(options)
    if options.chroma_url:
        index, stats = build_shared_index(
            chunks,
            options.chroma_url,
            options.repo_name or root.resolve().name,
            git_commit(root),
            warnings,
            embedding_loader=embedding_loader,
            now=now,
            reuse=reuse,
            model=options.embed_model,
            defer=defer,
            progress=embed_progress,
            on_demand=later,
        )
    else:
        index, stats = build_index(
            chunks,
            options.index_dir or out_dir / "index",
            warnings,
            embedding_loader=embedding_loader,
            client_factory=client_factory,
            reuse=reuse,
            model=options.embed_model,
            defer=defer,
            progress=embed_progress,
            on_demand=later,
        )
    if reuse and index is not None and not (stats.embedded or stats.removed):
        say(f"index: reused as it is ({stats.chunks} chunks)")
    elif defer and index is not None:
        say(
            f"index: {stats.pending} chunks left to embed on the first `ask`, "
            f"{stats.removed} removed"
        )
    else:
        tests = (
            f"; {stats.pending} test and fixture chunks are found by their words (a model "
            "run's retrieval embeds those it needs)"
            if stats.pending
            else ""
        )
        say(f"index: {stats.embedded} chunks embedded, {stats.removed} removed{tests}")
    return index, stats


@dataclass
class Prepared:
    """Everything before the model is asked: scanned files, chunks, index, static facts."""

    root: Path
    out_dir: Path
    started: datetime
    scanned: ScanResult
    chunks: list[Chunk]
    index: ChunkIndex | None
    index_stats: IndexStats
    warnings: list[Diagnostic]
    services: list[Service]
    resolver: ServiceResolver
    static_facts: list[FactBase]
    candidates: list[Candidate] = field(default_factory=list)
    """Regions the analyzers marked for the model (in files the model may be shown)."""

    def shown_texts(self) -> dict[str, str]:
        """The text of every file the model may be shown, by path."""
        return {f.path: f.text for f in self.scanned.files if self.scanned.shown(f.path)}


def prepare(
    repo: Path,
    options: ExtractOptions,
    *,
    clock: Clock = utc_now,
    notify: Notify | None = None,
    embedding_loader: EmbeddingLoader | None = None,
    client_factory: Callable[[Path], Any] = persistent_client,
    require_files: bool = False,
    defer_index: bool = False,
    embed_progress: Progress | None = None,
) -> Prepared:
    """scan → chunk → index → evidence, with services named and static facts owned.

    `require_files`: a folder without one readable file is an InputError (exit 2), raised
    before anything is written; otherwise it is a scan warning. `defer_index`: embed
    nothing now (index_chunks `defer`).
    """
    say = notify or (lambda _msg: None)
    started = clock()
    root = Path(repo)
    scanned = scan(
        root,
        max_bytes=options.max_file_bytes,
        include=options.include,
        exclude=options.exclude,
        workers=options.workers,
    )
    if require_files and not scanned.files:
        raise nothing_to_read(root, len(scanned.skipped))
    say(
        f"scanned {len(scanned.files)} files, skipped {len(scanned.skipped)}, "
        f"redacted {len(scanned.redactions)} secrets "
        f"in {len({r.path for r in scanned.redactions})} files"
    )
    hidden = scanned.exclusions()
    if hidden:
        say(f"{len(hidden)} files not shown to the model ({_categories(scanned)})")
    out_dir = output_dir(root, options)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create output folder {out_dir}: {exc.strerror or exc}",
            path=str(out_dir),
            hint="pass --out to a writable folder",
        ) from None
    warnings = list(scanned.warnings)

    # scan already redacted every file: chunks, index, analyzers and prompts never see a secret.
    # Junk (vendored, generated, lock, minified, license) is neither chunked nor indexed, so
    # neither the model nor `ask` is ever shown a line of it.
    # Tests and fixtures are chunked (and so indexed) after the repository's own files.
    chunks = chunk_files(
        [(f.path, f.text) for f in scanned.files if scanned.shown(f.path)],
        last=lambda path: scanned.verdict(path).last,
        workers=options.workers,
    )
    say(f"chunked into {len(chunks)} chunks")
    index, index_stats = index_chunks(
        chunks,
        options,
        root,
        out_dir,
        warnings,
        now=started.isoformat(),
        notify=notify,
        embedding_loader=embedding_loader,
        client_factory=client_factory,
        defer=defer_index,
        embed_progress=embed_progress,
    )

    # Vendored, generated and minified files are not analyzed either: their env reads, flags
    # and routes are a library's or a generator's, not this repository's. Tests, fixtures,
    # docs, lock files and licenses still are (analyzers decide what they carry).
    evidence = analyze_files(
        (SourceFile(f.path, f.text) for f in scanned.files if scanned.analyzed(f.path)),
        workers=options.workers,
    )
    warnings.extend(evidence.warnings)
    services = merge_services(evidence.services)
    services = assign_roles(services, {f.path: f.text for f in scanned.files})
    resolver = ServiceResolver(
        services, evidence.owners, _directories([f.path for f in scanned.files])
    )
    # A command line's `-p 11211` is the code's `--port` when the code declares that short form.
    owned, packages = resolver.resolve(name_short_flags(evidence.facts))
    owned = attach_documented(owned)  # "Safe range: 5–20" in docs joins its parameter
    services = merge_services([*services, *packages])
    resolver.add_known(packages)
    say(f"{len(owned)} static findings")
    return Prepared(
        root,
        out_dir,
        started,
        scanned,
        chunks,
        index,
        index_stats,
        warnings,
        services,
        resolver,
        owned,
        _candidates(evidence.candidates, scanned, warnings),
    )


def _candidates(
    found: list[Candidate], scanned: ScanResult, warnings: list[Diagnostic]
) -> list[Candidate]:
    """The analyzers' candidate regions the model may be asked about; one of an unknown fact
    kind is a warning (an analyzer's mistake), never dropped unsaid."""
    kept: list[Candidate] = []
    for c in found:
        if c.kind not in FACT_KINDS:
            warnings.append(
                Diagnostic(
                    path=c.path,
                    line=c.start_line,
                    message=f"candidate region of unknown fact kind {c.kind!r} ({c.reason}) "
                    f"not asked about; kinds: {', '.join(FACT_KINDS)}",
                    source="extract",
                )
            )
        elif scanned.shown(c.path):
            kept.append(c)
    return kept


def _categories(scanned: ScanResult) -> str:
    counts: dict[str, int] = {}
    for f in scanned.files:
        verdict = scanned.verdict(f.path)
        if verdict.junk:
            counts[verdict.category.value] = counts.get(verdict.category.value, 0) + 1
    return ", ".join(f"{n} {c}" for c, n in sorted(counts.items(), key=lambda cn: -cn[1]))


def plan_llm(prepared: Prepared, options: ExtractOptions, provider: Provider) -> ExtractPlan:
    """The model requests for a prepared repository: retrieval, static and candidate excerpts
    of the files the model may be shown."""
    return plan(
        prepared.chunks,
        prepared.index,
        prepared.static_facts,
        [s.name for s in prepared.services],
        kinds=options.kinds,
        top_k=options.top_k,
        budget=options.budget,
        max_retries=options.max_retries,
        max_chunks=(
            options.max_chunks_per_kind
            if options.max_chunks_per_kind is not None
            else provider.max_chunks_per_kind
        ),
        warnings=prepared.warnings,
        candidates=prepared.candidates,
        texts=prepared.shown_texts(),
        verdicts=prepared.scanned.verdicts,
        total_budget=prompt_budget(
            sum(count_tokens(f.text) for f in prepared.scanned.files),
            default_share(provider.name) if options.prompt_share is None else options.prompt_share,
        ),
    )


def embedded_for_plan(prepared: Prepared) -> str:
    """Count what planning embedded (retrieval's shortlists) in the run's index stats; what
    is still pending is left to the first `ask`. The line a run says about it."""
    index, stats = prepared.index, prepared.index_stats
    if index is None:
        return "index: none (retrieval skipped)"
    done = index.embedded
    prepared.index_stats = stats.model_copy(
        update={"embedded": stats.embedded + done, "pending": max(0, stats.pending - done)}
    )
    return (
        f"index: {done} chunks embedded for retrieval, "
        f"{prepared.index_stats.pending} left to embed on the first `ask`"
    )


def write_plan(prepared: Prepared, extract_plan: ExtractPlan, provider: Provider) -> Path:
    """OUT/plan.json (docs/plan-json.md): what the model is asked about, against what the
    repository holds, so a benchmark can compute reachable recall and the share shown."""
    scanned = prepared.scanned
    document = plan_document(
        extract_plan,
        provider=provider.name,
        model=provider.model,
        repository_tokens=sum(count_tokens(f.text) for f in scanned.files),
        shown_tokens=sum(c.tokens for c in prepared.chunks),
        excluded=[
            (f.path, scanned.verdict(f.path)) for f in scanned.files if not scanned.shown(f.path)
        ],
    )
    path = prepared.out_dir / PLAN_FILE
    atomic_write(path, json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    extract_plan.excluded = scanned.exclusions()
    extract_plan.written = path
    return path


def run_locks(repo: Path, options: ExtractOptions) -> AbstractContextManager[None]:
    """Locks on the folders a run writes: its output folder, and an index folder kept elsewhere."""
    if options.out_dir is None and not Path(repo).is_dir():
        return nullcontext()  # prepare() says what is wrong with the path
    folders = [(output_dir(repo, options), "output folder")]
    if options.index and not options.chroma_url and options.index_dir is not None:
        folders.append((options.index_dir, "index folder"))
    return hold_all(folders)


def dry_run(repo: Path, options: ExtractOptions, **kwargs: Any) -> tuple[ExtractPlan, str]:
    """The calls an extract would make (and the model it would use), calling nothing."""
    with run_locks(repo, options):  # the index gets the vectors retrieval needs
        prepared = prepare(repo, options, require_files=True, **{"defer_index": True, **kwargs})
        provider = build_provider(options)
        extract_plan = plan_llm(prepared, options, provider)
        said = embedded_for_plan(prepared)
        if kwargs.get("notify") is not None:
            kwargs["notify"](said)
        write_plan(prepared, extract_plan, provider)
    return extract_plan, provider.model


def extract(repo: Path, options: ExtractOptions | None = None, **kwargs: Any) -> ExtractResult:
    """Run the whole pipeline on one repository and write facts.json and the artifacts.

    Holds the output (and index) folder's lock: a second run on the same folder stops
    with LockHeld naming this one. Keyword arguments: see `extract_unlocked`.
    """
    options = options or ExtractOptions()
    with run_locks(repo, options):
        return extract_unlocked(repo, options, **kwargs)


def extract_unlocked(
    repo: Path,
    options: ExtractOptions | None = None,
    *,
    clock: Clock = utc_now,
    notify: Notify | None = None,
    progress: Callable[[int, int], None] | None = None,
    embedding_loader: EmbeddingLoader | None = None,
    client_factory: Callable[[Path], Any] = persistent_client,
) -> ExtractResult:
    """extract() for a caller that holds the locks itself.

    Without a model nothing is embedded (the chunks are written to OUT/chunks.jsonl and the
    first `ask` embeds them): only model excerpts need the vector index during a run, and
    with a model only the chunks its retrieval ranks are embedded (ChunkIndex.nearest).
    """
    options = options or ExtractOptions()
    say = notify or (lambda _msg: None)
    provider = build_provider(options)
    prepared = prepare(
        repo,
        options,
        clock=clock,
        notify=notify,
        embedding_loader=embedding_loader,
        client_factory=client_factory,
        require_files=True,
        defer_index=True,
    )
    warnings = prepared.warnings
    llm_facts: list[FactBase] = []
    usage = Usage()
    failures: list[LlmFailure] = []
    prompt_versions: dict[str, str] = {}
    asks = capabilities(options.llm).answers_questions
    if asks:
        extract_plan = plan_llm(prepared, options, provider)
        say(embedded_for_plan(prepared))
        write_plan(prepared, extract_plan, provider)
        say(f"asking {provider.name} ({provider.model}): {len(extract_plan.calls)} requests")
        cache = build_cache(options)
        batched = Usage()
        if options.batch_api:
            batched = _through_batch_api(extract_plan, options, cache, prepared, say)
        runner = build_runner(options, provider, cache=cache, progress=progress)
        result = run_plan(extract_plan, runner, prepared.resolver, warnings, options.record_dir)
        llm_facts = result.facts
        usage = runner.stats.usage
        if batched.llm_calls:
            # Answers the batch stored were counted as cache hits by the runner.
            usage = Usage(
                llm_calls=usage.llm_calls + batched.llm_calls,
                cache_hits=max(0, usage.cache_hits - batched.llm_calls),
                prompt_tokens=usage.prompt_tokens + batched.prompt_tokens,
                completion_tokens=usage.completion_tokens + batched.completion_tokens,
            )
        prompt_versions = result.prompt_versions
        failures = [
            LlmFailure(prompt=f.prompt, location=f.label, error=f.error, attempts=f.attempts)
            for f in result.failures
        ]
        say(
            f"{len(llm_facts)} facts from the model; {usage.llm_calls} calls, "
            f"{usage.cache_hits} cached, {len(failures)} failed"
        )

    root = prepared.root
    services = prepared.services
    resolved = resolve_placeholders(mark_redacted([*prepared.static_facts, *llm_facts]))
    # `-u ${USER}` is a user to run as once the placeholder holds the environment file's value
    merged = merge_facts([f for f in run_as_users(resolved) if f.origin != "llm"])
    verified = verify(
        root,
        merged.facts,
        merged.conflicts,
        [f for f in resolved if f.origin == "llm"],
        services=services,
        texts={f.path: f.text for f in prepared.scanned.files},
    )
    facts = sorted(verified.facts, key=lambda f: (f.service or "", f.fact_kind, f.id))
    # A model's claim no evidence verified is data for the claims-to-confirm appendix: it
    # shapes no start order, gap, score or step (its text may obey a hostile README).
    trusted = [f for f in facts if not needs_confirmation(f)]

    order = start_order([s.name for s in services], trusted)
    files = RepoText(root, {f.path: f.text for f in prepared.scanned.files})
    owners = find_owners(root, files)
    found = find_gaps(
        services,
        trusted,
        order,
        owners=owners,
        secrets_in_plain=plain_secrets(facts, files.lines),
        # "Not checked without a model" unless a model answered at least one request.
        model=bool(llm_facts) or usage.llm_calls + usage.cache_hits > len(failures),
    )
    gaps = [*found, *verified.gaps]
    commit = git_commit(root)
    file_digests = [(f.path, f.sha256) for f in prepared.scanned.files]
    intro_writer: ModelIntros | None = None
    if asks and options.prose:
        intro_writer = prose.intro_writer(options, str(repo))
        prompt_versions = {**prompt_versions, prose.PROMPT: prose.prompt_version()}
    document = FactsDocument(
        tool=ToolInfo(version=__version__),
        repo=RepoInfo(root=str(repo), commit=commit, owners=owners),
        run=RunInfo(
            started_at=prepared.started.isoformat(),
            finished_at=clock().isoformat(),
            llm=provider.info(),
            prompt_versions=prompt_versions,
            usage=usage,
            files_scanned=len(prepared.scanned.files),
            skipped=[*prepared.scanned.skipped, *prepared.scanned.exclusions()],
            warnings=warnings,
            index=prepared.index_stats,
            failures=failures,
            fingerprint=run_fingerprint(repo, options, file_digests, commit),
        ),
        services=services,
        facts=facts,  # type: ignore[arg-type]
        gaps=gaps,
        scores=scores(item_scores(services, trusted, order)),
        rejected=verified.rejected,  # type: ignore[arg-type]
    )
    out_dir = prepared.out_dir
    # facts.json last: it carries the run's fingerprint, so a run killed while rendering is
    # never taken for finished (fingerprint.up_to_date) and is done again.
    artifacts = render_all(document, out_dir, intro_writer)
    artifacts.append(write_report(document, out_dir, files.texts))  # the scanned, redacted text
    if intro_writer is not None:
        say(intro_writer.account(document.run))
    write_chunks(prepared.chunks, out_dir / CHUNKS_FILE, document.run.fingerprint)
    write_facts(document, out_dir / FACTS_FILE)
    written = [out_dir / FACTS_FILE, *artifacts]
    # So that an unchanged re-run reads none of these files again (fingerprint.up_to_date),
    # or, with the same command line, nothing at all (fingerprint.fast_unchanged).
    skipped = [(s.path, s.reason) for s in prepared.scanned.skipped]
    record = run_record(document, skipped, written)
    remember(out_dir, root, file_digests, prepared.scanned.started_ns, record)
    if options.site:  # reads the facts.json and artifacts just written
        site = write_site(out_dir, repo_url=options.repo_url, repo_root=root)
        for text in site.notes:
            say(f"site: {text}")
        written.append(site.site_dir / "mkdocs.yml")
    return ExtractResult(document, out_dir, written, order)


def _through_batch_api(
    extract_plan: ExtractPlan,
    options: ExtractOptions,
    cache: ResponseCache | None,
    prepared: Prepared,
    say: Notify,
) -> Usage:
    """Answer the plan through the OpenAI Batch API into the response cache; the runner then
    finds them there and calls the model directly only for what the batch did not answer."""
    if not capabilities(options.llm).batches or cache is None:
        raise ConfigError(
            "--batch-api needs --llm openai and the response cache",
            hint="pass --llm openai and drop --no-cache (use --cache-dir for a fresh cache)",
        )
    try:
        done = run_batch(
            [p.request for p in extract_plan.calls],
            options.provider_settings,
            cache,
            prepared.out_dir,
            poll=options.batch_poll,
            notify=say,
        )
    except LlmError as exc:
        prepared.warnings.append(
            Diagnostic(
                path="batch-api",
                message=f"Batch API unusable, calling the model directly: {exc}",
                source="extract",
            )
        )
        return Usage()
    say(f"batch {done.batch_id}: {done.answered} answered, {done.rejected} left for direct calls")
    return Usage(
        llm_calls=done.answered,
        prompt_tokens=done.prompt_tokens,
        completion_tokens=done.completion_tokens,
    )


def write_facts(document: FactsDocument, path: Path) -> None:
    """Atomic write: a killed run never leaves a half-written facts.json."""
    atomic_write(
        path, json.dumps(document.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    )


def write_chunks(chunks: list[Chunk], path: Path, fingerprint: str | None) -> None:
    """Atomic write, before facts.json: the chunks scan redacted, tagged with the run."""
    lines = [json.dumps({"fingerprint": fingerprint, "chunks": len(chunks)})]
    lines += [json.dumps(asdict(c), ensure_ascii=False) for c in chunks]
    atomic_write(path, "\n".join(lines) + "\n")


def read_chunks(path: Path, fingerprint: str | None) -> list[Chunk] | None:
    """The chunks a run with `fingerprint` wrote; None when missing, damaged or another run's."""
    if fingerprint is None:
        return None
    try:
        header, *rows = path.read_text(encoding="utf-8").splitlines()
        meta = json.loads(header)
        if meta.get("fingerprint") != fingerprint or meta.get("chunks") != len(rows):
            return None
        return [Chunk(**json.loads(row)) for row in rows]
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def read_facts(path: Path) -> FactsDocument:
    try:
        return FactsDocument.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{path} does not exist", path=str(path), hint="run `ddd-llm extract` first"
        ) from None
