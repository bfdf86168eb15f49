"""The extract pipeline: scan → chunk → index → evidence → verify → assess → render."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from ddd_llm import __version__
from ddd_llm.assess import find_gaps, item_scores, scores
from ddd_llm.chunk import Chunk, chunk_file
from ddd_llm.errors import IndexUnavailable, InputError
from ddd_llm.evidence import SourceFile, analyze_files
from ddd_llm.index import ChunkIndex, load_embedding_function, persistent_client
from ddd_llm.llm import Provider, ProviderSettings, get_provider
from ddd_llm.llm.cache import ResponseCache
from ddd_llm.llm.runner import Runner
from ddd_llm.llm_extract import ExtractPlan, plan, run_plan
from ddd_llm.merge import merge_facts
from ddd_llm.models import (
    FACT_KINDS,
    Diagnostic,
    FactBase,
    FactKind,
    FactsDocument,
    IndexStats,
    LlmFailure,
    RepoInfo,
    RunInfo,
    Service,
    ToolInfo,
    Usage,
)
from ddd_llm.order import StartOrder, start_order
from ddd_llm.redact import redact
from ddd_llm.render import render_all
from ddd_llm.resolve import resolve_placeholders
from ddd_llm.scan import MAX_FILE_BYTES, ScanResult, scan
from ddd_llm.services import ServiceResolver, merge_services
from ddd_llm.verify import verify

FACTS_FILE = "facts.json"
Clock = Callable[[], datetime]
Notify = Callable[[str], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ExtractOptions:
    out_dir: Path | None = None
    index_dir: Path | None = None
    llm: str = "none"
    provider_settings: ProviderSettings = field(default_factory=ProviderSettings)
    max_file_bytes: int = MAX_FILE_BYTES
    index: bool = True
    kinds: tuple[FactKind, ...] = FACT_KINDS
    top_k: int = 4
    budget: int = 1500
    max_retries: int = 2
    concurrency: int = 8
    timeout: float = 60.0
    cache_dir: Path | None = None
    no_cache: bool = False
    record_dir: Path | None = None
    max_chunks_per_kind: int | None = None
    transient_attempts: int = 4
    backoff: float = 1.0
    """Overrides the provider's own default (the local model asks about 3 per kind)."""


@dataclass
class ExtractResult:
    document: FactsDocument
    out_dir: Path
    artifacts: list[Path] = field(default_factory=list)
    order: StartOrder = field(default_factory=StartOrder)


def git_commit(root: Path) -> str | None:
    if not (root / ".git").exists():
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and len(sha) == 40 else None


def _directories(paths: list[str]) -> set[str]:
    out: set[str] = set()
    for p in paths:
        out.update(str(parent) for parent in PurePosixPath(p).parents if str(parent) != ".")
    return out


def build_index(
    chunks: list[Chunk],
    index_dir: Path,
    warnings: list[Diagnostic],
    *,
    embedding_loader: Callable[[], Any] = load_embedding_function,
    client_factory: Callable[[Path], Any] = persistent_client,
    collection: str = "chunks",
) -> tuple[ChunkIndex | None, IndexStats]:
    """Sync the chunks into the index; an unusable index is a warning, never the end of the run."""
    try:
        index = ChunkIndex(client_factory(index_dir), collection, embedding_loader())
        stats = index.sync(chunks)
    except IndexUnavailable as exc:
        warnings.append(
            Diagnostic(path=str(index_dir), message=f"index skipped: {exc}", source="index")
        )
        return None, IndexStats(chunks=len(chunks), available=False, location=str(index_dir))
    return index, stats.model_copy(update={"location": str(index_dir)})


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


def prepare(
    repo: Path,
    options: ExtractOptions,
    *,
    clock: Clock = utc_now,
    notify: Notify | None = None,
    embedding_loader: Callable[[], Any] = load_embedding_function,
    client_factory: Callable[[Path], Any] = persistent_client,
) -> Prepared:
    """scan → chunk → index → evidence, with services named and static facts owned."""
    say = notify or (lambda _msg: None)
    started = clock()
    root = Path(repo)
    scanned = scan(root, max_bytes=options.max_file_bytes)
    say(f"scanned {len(scanned.files)} files, skipped {len(scanned.skipped)}")
    out_dir = options.out_dir or root / ".ddd"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create output folder {out_dir}: {exc.strerror or exc}",
            path=str(out_dir),
            hint="pass --out to a writable folder",
        ) from None
    warnings = list(scanned.warnings)

    chunks = [c for f in scanned.files for c in chunk_file(f.path, redact(f.text))]
    say(f"chunked into {len(chunks)} chunks")
    index: ChunkIndex | None = None
    index_stats = IndexStats(chunks=len(chunks), available=False)
    if options.index:
        index, index_stats = build_index(
            chunks,
            options.index_dir or out_dir / "index",
            warnings,
            embedding_loader=embedding_loader,
            client_factory=client_factory,
        )
        say(f"index: {index_stats.embedded} chunks embedded, {index_stats.removed} removed")

    evidence = analyze_files(SourceFile(f.path, f.text) for f in scanned.files)
    warnings.extend(evidence.warnings)
    services = merge_services(evidence.services)
    resolver = ServiceResolver(
        services, evidence.owners, _directories([f.path for f in scanned.files])
    )
    owned, packages = resolver.resolve(evidence.facts)
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
    )


def plan_llm(prepared: Prepared, options: ExtractOptions, provider: Provider) -> ExtractPlan:
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
    )


def dry_run(repo: Path, options: ExtractOptions, **kwargs: Any) -> tuple[ExtractPlan, str]:
    """The calls an extract would make (and the model it would use), calling nothing."""
    prepared = prepare(repo, options, **kwargs)
    provider = get_provider(options.llm, options.provider_settings)
    return plan_llm(prepared, options, provider), provider.model


def extract(
    repo: Path,
    options: ExtractOptions | None = None,
    *,
    clock: Clock = utc_now,
    notify: Notify | None = None,
    progress: Callable[[int, int], None] | None = None,
    embedding_loader: Callable[[], Any] = load_embedding_function,
    client_factory: Callable[[Path], Any] = persistent_client,
) -> ExtractResult:
    """Run the whole pipeline on one repository and write facts.json and the artifacts."""
    options = options or ExtractOptions()
    say = notify or (lambda _msg: None)
    provider = get_provider(options.llm, options.provider_settings)
    prepared = prepare(
        repo,
        options,
        clock=clock,
        notify=notify,
        embedding_loader=embedding_loader,
        client_factory=client_factory,
    )
    warnings = prepared.warnings
    llm_facts: list[FactBase] = []
    usage = Usage()
    failures: list[LlmFailure] = []
    prompt_versions: dict[str, str] = {}
    if options.llm != "none":
        extract_plan = plan_llm(prepared, options, provider)
        say(f"asking {provider.name} ({provider.model}): {len(extract_plan.calls)} requests")
        runner = Runner(
            provider,
            cache=None if options.no_cache else ResponseCache(options.cache_dir),
            concurrency=options.concurrency,
            timeout=options.timeout,
            transient_attempts=options.transient_attempts,
            backoff=options.backoff,
            progress=progress,
        )
        result = run_plan(extract_plan, runner, prepared.resolver, warnings, options.record_dir)
        llm_facts = result.facts
        usage = runner.stats.usage
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
    resolved = resolve_placeholders([*prepared.static_facts, *llm_facts])
    merged = merge_facts([f for f in resolved if f.origin != "llm"])
    verified = verify(
        root,
        merged.facts,
        merged.conflicts,
        [f for f in resolved if f.origin == "llm"],
        services=[s.name for s in services],
        texts={f.path: f.text for f in prepared.scanned.files},
    )
    facts = sorted(verified.facts, key=lambda f: (f.service or "", f.fact_kind, f.id))

    order = start_order([s.name for s in services], facts)
    gaps = [*find_gaps(services, facts, order), *verified.gaps]
    document = FactsDocument(
        tool=ToolInfo(version=__version__),
        repo=RepoInfo(root=str(repo), commit=git_commit(root)),
        run=RunInfo(
            started_at=prepared.started.isoformat(),
            finished_at=clock().isoformat(),
            llm=provider.info(),
            prompt_versions=prompt_versions,
            usage=usage,
            files_scanned=len(prepared.scanned.files),
            skipped=prepared.scanned.skipped,
            warnings=warnings,
            index=prepared.index_stats,
            failures=failures,
        ),
        services=services,
        facts=facts,  # type: ignore[arg-type]
        gaps=gaps,
        scores=scores(item_scores(services, facts, order)),
        rejected=verified.rejected,  # type: ignore[arg-type]
    )
    out_dir = prepared.out_dir
    write_facts(document, out_dir / FACTS_FILE)
    artifacts = render_all(document, out_dir)
    return ExtractResult(document, out_dir, [out_dir / FACTS_FILE, *artifacts], order)


def write_facts(document: FactsDocument, path: Path) -> None:
    """Atomic write: a killed run never leaves a half-written facts.json."""
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(
        json.dumps(document.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    os.replace(tmp, path)


def read_facts(path: Path) -> FactsDocument:
    try:
        return FactsDocument.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{path} does not exist", path=str(path), hint="run `ddd-llm extract` first"
        ) from None
