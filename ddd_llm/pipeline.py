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
from ddd_llm.merge import merge_facts
from ddd_llm.models import (
    Diagnostic,
    FactsDocument,
    IndexStats,
    RepoInfo,
    RunInfo,
    ToolInfo,
)
from ddd_llm.order import StartOrder, start_order
from ddd_llm.render import render_all
from ddd_llm.resolve import resolve_placeholders
from ddd_llm.scan import MAX_FILE_BYTES, scan
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
    max_file_bytes: int = MAX_FILE_BYTES
    index: bool = True


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
) -> IndexStats:
    """Sync the chunks into the index; an unusable index is a warning, never the end of the run."""
    try:
        index = ChunkIndex(client_factory(index_dir), collection, embedding_loader())
        stats = index.sync(chunks)
    except IndexUnavailable as exc:
        warnings.append(
            Diagnostic(path=str(index_dir), message=f"index skipped: {exc}", source="index")
        )
        return IndexStats(chunks=len(chunks), available=False, location=str(index_dir))
    return stats.model_copy(update={"location": str(index_dir)})


def extract(
    repo: Path,
    options: ExtractOptions | None = None,
    *,
    clock: Clock = utc_now,
    notify: Notify | None = None,
    embedding_loader: Callable[[], Any] = load_embedding_function,
    client_factory: Callable[[Path], Any] = persistent_client,
) -> ExtractResult:
    """Run the whole pipeline on one repository and write facts.json and the artifacts."""
    options = options or ExtractOptions()
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

    chunks = [c for f in scanned.files for c in chunk_file(f.path, f.text)]
    say(f"chunked into {len(chunks)} chunks")
    index_stats = IndexStats(chunks=len(chunks), available=False)
    if options.index:
        index_stats = build_index(
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
    merged = merge_facts(resolve_placeholders(owned))
    facts = verify(root, merged.facts, merged.conflicts)
    facts.sort(key=lambda f: (f.service or "", f.fact_kind, f.id))
    say(f"{len(facts)} facts from static evidence")

    order = start_order([s.name for s in services], facts)
    gaps = find_gaps(services, facts, order)
    document = FactsDocument(
        tool=ToolInfo(version=__version__),
        repo=RepoInfo(root=str(repo), commit=git_commit(root)),
        run=RunInfo(
            started_at=started.isoformat(),
            finished_at=clock().isoformat(),
            llm=None,
            files_scanned=len(scanned.files),
            skipped=scanned.skipped,
            warnings=warnings,
            index=index_stats,
        ),
        services=services,
        facts=facts,  # type: ignore[arg-type]
        gaps=gaps,
        scores=scores(item_scores(services, facts, order)),
    )
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
