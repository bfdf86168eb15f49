"""Batch runs over many repositories: targets, skipping unchanged ones, executors, the summary.

Each repository is one `pipeline.extract` into `OUT/<name>/`. What makes a batch
resumable and incremental is kept per repository, never per batch: the chunk index
and the response cache are already incremental, facts.json is written atomically, and
the inputs' fingerprint is recorded beside it last. A run killed at any point is
started again and finds finished repositories fresh (skipped), finished model calls
cached and embedded chunks stored.

Executors: `local` runs repositories in a pool of worker processes (`--jobs N`; in
this process when N is 1); `ray` runs each as a Ray task on a Ray cluster, which
extracts into a scratch folder and returns facts.json and the artifacts (their links
made relative to `OUT/<name>/`) for the driver to write there.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from hashlib import sha256
from pathlib import Path
from queue import Empty
from typing import Any, Literal

from ddd_llm.apps.summary import BatchSummary, RepoRun, build_summary, write_summary
from ddd_llm.atomic import atomic_write
from ddd_llm.config import CHUNKS_FILE, Executor, ExtractOptions
from ddd_llm.errors import DddError, InputError
from ddd_llm.extract import prose
from ddd_llm.fingerprint import up_to_date
from ddd_llm.index.store import EMBED_THREADS_ENV, http_client
from ddd_llm.lock import hold
from ddd_llm.models import FactsDocument
from ddd_llm.pipeline import extract
from ddd_llm.render.renderer import ARTIFACTS, link_base, render_texts

EXECUTORS = tuple(e.value for e in Executor)
DEFAULT_OUT = Path("ddd-out")
"""Where a batch writes when --out is not given: ./ddd-out/<repository>/."""
QUIET_LOGGERS = ("instructor", "httpx", "openai", "chromadb")
EventKind = Literal["start", "step", "calls", "done"]


@dataclass(frozen=True)
class Target:
    name: str
    """Unique within the batch: the folder's name, plus a short hash when two share one."""
    path: Path


@dataclass(frozen=True)
class Event:
    """Progress of one repository, sent from wherever it runs to the driver's display."""

    repo: str
    kind: EventKind
    message: str = ""
    done: int = 0
    total: int = 0


OnEvent = Callable[[Event], None]
Job = tuple[Target, ExtractOptions]


@dataclass
class BatchOptions:
    out: Path = DEFAULT_OUT
    jobs: int = 1
    executor: str = "local"
    ray_address: str | None = None
    ray_cpus: int | None = None
    """CPUs of a Ray instance this run starts itself (no --ray-address); None: all."""
    force: bool = False
    """Extract every repository, fresh or not."""


@dataclass(frozen=True)
class RepoResult:
    """What a worker sends back; a Ray task's outputs travel in `facts` and `artifacts`."""

    name: str
    ok: bool
    error: str | None = None
    seconds: float = 0.0
    facts: bytes | None = None
    artifacts: dict[str, str] | None = None


@dataclass
class BatchReport:
    summary: BatchSummary
    written: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return self.summary.totals.failed


def read_manifest(path: Path) -> list[Path]:
    """One repository path per line; blank lines and `#` comments ignored; relative paths
    are relative to the manifest's folder."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read the manifest {path}: {exc}",
            path=str(path),
            hint="pass --manifest a text file with one repository path per line",
        ) from None
    out: list[Path] = []
    for line in lines:
        text = line.split(" #", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        entry = Path(text).expanduser()
        out.append(entry if entry.is_absolute() else path.parent / entry)
    return out


def collect_targets(
    paths: Sequence[Path] = (),
    repos_dir: Path | None = None,
    manifest: Path | None = None,
    exclude: Path | None = None,
) -> list[Target]:
    """The repositories of a batch, in the order given, each once, with unique names."""
    found: list[Path] = list(paths)
    if manifest is not None:
        found.extend(read_manifest(manifest))
    if repos_dir is not None:
        if not repos_dir.is_dir():
            raise InputError(
                f"--repos-dir {repos_dir} is not a folder",
                path=str(repos_dir),
                hint="pass the folder that holds one repository per subfolder",
            )
        skip = exclude.absolute() if exclude is not None else None
        found.extend(
            p
            for p in sorted(repos_dir.iterdir())
            if p.is_dir() and not p.name.startswith(".") and p.absolute() != skip
        )
    unique: dict[Path, None] = {}
    for p in found:
        unique.setdefault(p.absolute(), None)
    if not unique:
        raise InputError(
            "no repositories to read", hint="pass PATH..., --repos-dir DIR or --manifest FILE"
        )
    counts: dict[str, int] = {}
    for p in unique:
        counts[p.name] = counts.get(p.name, 0) + 1
    targets: list[Target] = []
    for p in unique:
        name = p.name or "repo"
        if counts[p.name] > 1:
            name = f"{name}-{sha256(str(p).encode()).hexdigest()[:8]}"
        targets.append(Target(name, p))
    return targets


def repo_options(options: ExtractOptions, target: Target, batch: BatchOptions) -> ExtractOptions:
    """One repository's options: its own output folder (and index folder), its name."""
    out_dir = batch.out.absolute() / target.name
    index_dir = options.index_dir / target.name if options.index_dir else None
    if batch.executor == "ray" and options.index and not options.chroma_url and not index_dir:
        # A Ray task writes its outputs in a scratch folder; the index must outlive it.
        index_dir = out_dir / "index"
    return replace(options, out_dir=out_dir, index_dir=index_dir, repo_name=target.name)


def extract_one(target: Target, options: ExtractOptions, emit: OnEvent) -> RepoResult:
    """One repository; any failure is its result, never the end of the batch."""
    started = time.perf_counter()
    emit(Event(target.name, "start"))
    try:
        extract(
            target.path,
            options,
            notify=lambda msg: emit(Event(target.name, "step", msg)),
            progress=lambda done, total: emit(Event(target.name, "calls", "", done, total)),
        )
    except DddError as exc:
        return RepoResult(target.name, False, str(exc), time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - one repository's bug must not stop the others
        error = f"internal error: {type(exc).__name__}: {str(exc)[:300]}"
        return RepoResult(target.name, False, error, time.perf_counter() - started)
    return RepoResult(target.name, True, None, time.perf_counter() - started)


def run_batch(
    targets: Sequence[Target],
    options: ExtractOptions,
    batch: BatchOptions,
    on_event: OnEvent | None = None,
) -> BatchReport:
    """Extract every target not already fresh, then write summary.json and summary.md."""
    emit = on_event or (lambda _e: None)
    if batch.executor not in EXECUTORS:
        raise InputError(
            f"unknown executor {batch.executor!r}", hint=f"choose {' or '.join(EXECUTORS)}"
        )
    out = batch.out.absolute()
    with hold(out, "batch output folder"):
        if options.index and options.chroma_url:
            http_client(options.chroma_url)  # an unreachable shared index stops the run here
        runs: dict[str, RepoRun] = {}
        todo: list[Job] = []
        for target in targets:
            opts = repo_options(options, target, batch)
            assert opts.out_dir is not None
            # facts.json carries its inputs' fingerprint and is written last: a repository
            # killed mid-way has none that matches, so it is done again.
            if not batch.force and _fresh(target, opts):
                runs[target.name] = RepoRun(
                    target.name, str(target.path), opts.out_dir, "unchanged"
                )
                emit(Event(target.name, "done", "unchanged"))
                continue
            todo.append((target, opts))

        run = _ray if batch.executor == "ray" else _local
        by_name = {t.name: (t, o) for t, o in todo}
        for result in run(todo, batch, emit):
            target, opts = by_name[result.name]
            assert opts.out_dir is not None
            if result.ok and result.facts is not None:
                result = _publish(opts.out_dir, result)
            runs[target.name] = RepoRun(
                target.name,
                str(target.path),
                opts.out_dir,
                "extracted" if result.ok else "failed",
                result.error,
                result.seconds,
            )
            emit(Event(target.name, "done", "extracted" if result.ok else "failed"))
        summary = build_summary([runs[t.name] for t in targets], out)
        written = write_summary(summary, out)
    return BatchReport(summary, written)


def _fresh(target: Target, options: ExtractOptions) -> bool:
    try:
        return up_to_date(target.path, options) is not None
    except DddError:
        return False  # unreadable now: the extraction says why


def _publish(out_dir: Path, result: RepoResult) -> RepoResult:
    """A Ray task's outputs into `out_dir`, each file replaced atomically and facts.json
    last, as `extract` writes them (facts.json's fingerprint marks the run finished)."""
    assert result.facts is not None
    files: dict[str, str | bytes] = {**(result.artifacts or {}), "facts.json": result.facts}
    try:
        with hold(out_dir):
            for name, data in files.items():  # facts.json is the last key
                atomic_write(out_dir / name, data)
    except (OSError, DddError) as exc:
        return replace(result, ok=False, error=f"writing the outputs failed: {exc}")
    return replace(result, facts=None, artifacts=None)


# ---------------------------------------------------------------- local: worker processes

_QUEUE: Any = None


def _quiet_logs() -> None:
    if os.environ.get("DDD_LLM_DEBUG") != "1":
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)


def _die_with_parent() -> None:
    """Linux: a worker is killed when the batch is, so no orphan keeps a repository's lock."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _init_worker(queue: Any, embed_threads: int) -> None:
    global _QUEUE
    _QUEUE = queue
    _die_with_parent()
    _quiet_logs()
    os.environ.setdefault(EMBED_THREADS_ENV, str(embed_threads))


def _pool_extract(target: Target, options: ExtractOptions) -> RepoResult:
    return extract_one(target, options, _QUEUE.put)


def _drain(queue: Any, emit: OnEvent) -> None:
    while True:
        try:
            emit(queue.get_nowait())
        except Empty:
            return


def _local(jobs: Sequence[Job], batch: BatchOptions, emit: OnEvent) -> Iterator[RepoResult]:
    if not jobs:
        return
    if batch.jobs <= 1 or len(jobs) == 1:
        for target, opts in jobs:
            yield extract_one(target, opts, emit)
        return
    # spawn, not fork: the driver has threads (chromadb, onnxruntime) a fork would copy mid-state.
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = min(batch.jobs, len(jobs))
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_init_worker,
        # The cores shared out: N sessions of one thread per core each would oversubscribe.
        initargs=(queue, max(1, (os.cpu_count() or 1) // workers)),
    )
    pending: dict[Future[RepoResult], Target] = {}
    try:
        for target, opts in jobs:
            pending[pool.submit(_pool_extract, target, opts)] = target
        while pending:
            done, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            _drain(queue, emit)
            for future in done:
                target = pending.pop(future)
                try:
                    yield future.result()
                except Exception as exc:  # noqa: BLE001 - a worker that died (OOM, signal)
                    yield RepoResult(target.name, False, f"worker process died: {exc}")
        _drain(queue, emit)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        queue.close()


# ---------------------------------------------------------------- ray: one task per repository


def _ray_task(target: Target, options: ExtractOptions, queue: Any) -> RepoResult:
    """Runs on a Ray worker: extract into a scratch folder, return its files to the driver."""
    _quiet_logs()

    def emit(event: Event) -> None:
        try:
            queue.put_nowait(event)
        except Exception:  # noqa: BLE001 - progress is best effort; the result is what counts
            pass

    assert options.out_dir is not None
    with tempfile.TemporaryDirectory(prefix="ddd-llm-") as scratch:
        out_dir = Path(scratch) / target.name
        result = extract_one(target, replace(options, out_dir=out_dir), emit)
        if not result.ok:
            return result
        facts = (out_dir / "facts.json").read_bytes()
        chunks = out_dir / CHUNKS_FILE  # what `ask` reuses instead of rescanning
        chunk_text = chunks.read_text(encoding="utf-8") if chunks.is_file() else None
        report = out_dir / "report.html"  # self-contained: no links that depend on the folder
        report_text = report.read_text(encoding="utf-8") if report.is_file() else None
    try:
        artifacts = _artifacts_for(facts, options, options.out_dir)
    except Exception as exc:  # noqa: BLE001 - as in extract_one: a result, not a crash
        return replace(result, ok=False, error=f"rendering failed: {type(exc).__name__}: {exc}")
    if chunk_text is not None:
        artifacts[CHUNKS_FILE] = chunk_text
    if report_text is not None:
        artifacts["report.html"] = report_text
    return replace(result, facts=facts, artifacts=artifacts)


def _artifacts_for(facts: bytes, options: ExtractOptions, final_dir: Path) -> dict[str, str]:
    """The artifacts as `extract` renders them, with links relative to `final_dir` (where the
    driver writes them) instead of the task's scratch folder. The model-written section
    intros come from the response cache the extraction just filled."""
    doc = FactsDocument.model_validate_json(facts)
    writer = prose.intro_writer(options, doc.repo.root)
    texts = render_texts(doc, link_base(doc.repo.root, final_dir), writer)
    return {name: texts[name] for name in ARTIFACTS}


def _ray(jobs: Sequence[Job], batch: BatchOptions, emit: OnEvent) -> Iterator[RepoResult]:
    if not jobs:
        return
    if batch.ray_address is None:
        # A Ray instance of our own stays on loopback: Ray otherwise binds to the host's
        # address even for one node. Read when ray is first imported, hence set before.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report sent
    try:
        import ray
        from ray.util.queue import Queue
    except ImportError:
        raise InputError(
            "--executor ray needs Ray", hint="install it: pip install 'ddd-llm[ray]'"
        ) from None
    started_here = not ray.is_initialized()
    if started_here:
        local: dict[str, Any] = {}
        if batch.ray_address is None:
            local = {"num_cpus": batch.ray_cpus, "_node_ip_address": "127.0.0.1"}
        try:
            ray.init(
                address=batch.ray_address,
                include_dashboard=False,
                logging_level=logging.ERROR,
                log_to_driver=False,
                configure_logging=True,
                **local,
            )
        except Exception as exc:  # noqa: BLE001 - ray raises ConnectionError, RuntimeError, …
            raise InputError(
                f"cannot start or reach the Ray cluster {batch.ray_address or '(local)'}: {exc}",
                hint="pass --ray-address HOST:PORT of a running cluster (`ray start --head`)",
            ) from None
    try:
        queue = Queue()
        task = ray.remote(num_cpus=1, max_retries=1)(_ray_task)
        refs = {task.remote(target, opts, queue): target for target, opts in jobs}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1, timeout=0.1)
            _drain_ray(queue, emit)
            for ref in ready:
                target = refs.pop(ref)
                try:
                    yield ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - RayTaskError, WorkerCrashedError, …
                    yield RepoResult(target.name, False, f"Ray task failed: {str(exc)[:300]}")
        _drain_ray(queue, emit)
        queue.shutdown()
    finally:
        if started_here:
            ray.shutdown()


def _drain_ray(queue: Any, emit: OnEvent) -> None:
    size = queue.qsize()
    if size:
        for event in queue.get_nowait_batch(size):
            emit(event)
