"""Terminal rendering for the CLI (the only module besides cli.py that uses rich)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ddd_llm.llm_extract import ExtractPlan
from ddd_llm.models import FACT_KINDS, FactsDocument

SHORT = {
    "config_parameter": "config",
    "health_check": "health",
    "resource_requirement": "resrc",
    "dependency": "deps",
    "validation_method": "valid",
}
err = Console(stderr=True)
out = Console()


def summary_table(doc: FactsDocument) -> Table:
    """Services, facts per kind, gaps and skipped files of one run."""
    table = Table(title=f"ddd-llm extract — {doc.repo.root}", show_header=True)
    table.add_column("service", no_wrap=True)
    table.add_column("from", no_wrap=True)
    for kind in FACT_KINDS:
        table.add_column(SHORT[kind], justify="right")
    table.add_column("gaps", justify="right")
    per: Counter[tuple[str, str]] = Counter((f.service or "-", f.kind) for f in doc.facts)
    gaps: Counter[str] = Counter(g.service or "-" for g in doc.gaps)
    names = [s.name for s in doc.services]
    if any(f.service is None for f in doc.facts) or any(g.service is None for g in doc.gaps):
        names.append("-")
    kinds = {s.name: s.kind.split("-")[0] for s in doc.services}
    for name in names:
        table.add_row(
            name,
            kinds.get(name, "repo"),
            *(str(per[(name, k)]) for k in FACT_KINDS),
            str(gaps[name]),
        )
    totals: Counter[str] = Counter(f.kind for f in doc.facts)
    table.add_row(
        "[bold]total[/bold]",
        f"{len(doc.services)} svc",
        *(f"[bold]{totals[k]}[/bold]" for k in FACT_KINDS),
        f"[bold]{len(doc.gaps)}[/bold]",
    )
    return table


def print_report(doc: FactsDocument, verbose: bool = False) -> None:
    out.print(summary_table(doc))
    run = doc.run
    out.print(
        f"files scanned: {run.files_scanned} · skipped: {len(run.skipped)} · "
        f"warnings: {len(run.warnings)} · chunks: {run.index.chunks} "
        f"(embedded now: {run.index.embedded}"
        + (
            ""
            if run.index.available
            else (", index unavailable" if run.index.location else ", index off")
        )
        + ")"
    )
    reasons = Counter(s.reason.split(" (")[0] for s in run.skipped)
    if reasons:
        out.print("skipped: " + "; ".join(f"{n} {r}" for r, n in reasons.most_common()))
    for f in run.failures:
        err.print(
            f"model call failed ({f.prompt} on {f.location}, {f.attempts} attempts): {f.error}",
            markup=False,
            highlight=False,
            style="yellow",
        )
    if run.llm is not None:
        u = run.usage
        out.print(
            f"model {run.llm.provider}/{run.llm.model}: {u.llm_calls} calls, "
            f"{u.cache_hits} cache hits, {u.prompt_tokens} prompt + "
            f"{u.completion_tokens} completion tokens, {len(run.failures)} failed"
        )
    if verbose:
        for s in run.skipped:
            out.print(f"  skipped {s.path}: {s.reason}", markup=False, highlight=False)
    for w in run.warnings[: None if verbose else 10]:
        err.print(f"warning: {w}", markup=False, highlight=False, style="yellow")
    if not verbose and len(run.warnings) > 10:
        err.print(f"… {len(run.warnings) - 10} more warnings (see facts.json run.warnings or -v)")
    sc = doc.scores
    out.print(
        f"scores: daily {sc.daily} · weekly {sc.weekly} · monthly {sc.monthly} · "
        f"overall {sc.overall}"
    )


@contextmanager
def progress_bar() -> Iterator[Callable[[int, int], None]]:
    """A bar over model calls, shown on stderr once the first call finishes."""
    with Progress(
        TextColumn("model calls"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task: TaskID | None = None

        def update(done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = progress.add_task("calls", total=total)
            progress.update(task, completed=done, total=total)

        yield update


def print_plan(plan: ExtractPlan, provider: str, model: str) -> None:
    """What --dry-run would ask, per kind, with tokens and an estimated cost."""
    table = Table(title=f"dry run — {provider} ({model or 'no model'})")
    table.add_column("kind")
    table.add_column("calls", justify="right")
    table.add_column("prompt version")
    per_kind: Counter[str] = Counter(p.kind for p in plan.calls)
    for kind, version in plan.prompt_versions.items():
        table.add_row(kind, str(per_kind[kind]), version)
    out.print(table)
    tokens = plan.prompt_tokens()
    cost = plan.estimated_cost(model)
    out.print(
        f"{len(plan.calls)} calls · ~{tokens} prompt tokens · "
        + (
            f"estimated cost ${cost:.4f} for {model}"
            if cost is not None
            else f"no price for {model!r}"
        )
    )
    for p in plan.calls:
        out.print(f"  {p.kind:22s} {p.chunk.location}", markup=False, highlight=False)
