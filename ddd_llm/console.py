"""Terminal rendering for the CLI (the only module besides cli.py that uses rich)."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

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
