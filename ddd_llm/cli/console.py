"""Terminal rendering for the CLI (the only module besides cli.py that uses rich)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ddd_llm.models import FACT_KINDS, FactsDocument, Skipped
from ddd_llm.scan.linguist import NOT_SHOWN

if TYPE_CHECKING:
    from ddd_llm.apps.ask import AskResult
    from ddd_llm.apps.batch import Event
    from ddd_llm.apps.secrets_scan import SecretsReport
    from ddd_llm.apps.summary import BatchSummary
    from ddd_llm.evals.harness import Comparison, EvalReport, Problem
    from ddd_llm.extract.llm_extract import ExtractPlan

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
    unread = [s for s in run.skipped if not s.reason.startswith(NOT_SHOWN)]
    out.print(
        f"files scanned: {run.files_scanned} · skipped: {len(unread)} · "
        f"warnings: {len(run.warnings)} · chunks: {run.index.chunks} "
        f"(embedded now: {run.index.embedded}"
        + (f", left for the first ask: {run.index.pending}" if run.index.pending else "")
        + (
            ""
            if run.index.available
            else (", index unavailable" if run.index.location else ", index off")
        )
        + ")"
    )
    reasons = Counter(s.reason.split(" (")[0] for s in unread)
    if reasons:
        out.print("skipped: " + "; ".join(f"{n} {r}" for r, n in reasons.most_common()))
    print_exclusions([s for s in run.skipped if s.reason.startswith(NOT_SHOWN)])
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


def print_exclusions(hidden: Sequence[Skipped], verbose: bool = False) -> None:
    """Files read but never shown to the model, counted per category (each with -v)."""
    if not hidden:
        return
    kinds = Counter(s.reason.split(": ", 1)[-1].split(" (")[0] for s in hidden)
    out.print(
        f"{NOT_SHOWN}: " + "; ".join(f"{n} {k}" for k, n in kinds.most_common()),
        markup=False,
        highlight=False,
    )
    if verbose:
        for s in hidden:
            out.print(f"  {s.path}: {s.reason}", markup=False, highlight=False)


def _bars(label: str) -> Progress:
    """Transient bars on stderr: label, bar, done/total, time elapsed, time remaining."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


@contextmanager
def progress_bar(
    enabled: bool = True, label: str = "model calls"
) -> Iterator[Callable[[int, int], None]]:
    """A bar over model calls (or what `label` names), shown on stderr from the first
    update on (a run that makes no call, or fails first, prints nothing)."""
    if not enabled:
        yield lambda _done, _total: None
        return
    progress: Progress | None = None
    task: TaskID | None = None

    def update(done: int, total: int) -> None:
        nonlocal progress, task
        if progress is None:
            progress = _bars(label)
            progress.start()
            task = progress.add_task("calls", total=total)
        assert task is not None
        progress.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if progress is not None:
            progress.stop()


def print_plan(plan: ExtractPlan, provider: str, model: str) -> None:
    """What --dry-run would ask, per kind (calls, of which candidate excerpts, candidate
    regions planned and not fitting), with tokens, an estimated cost and what is never shown."""
    table = Table(title=f"dry run — {provider} ({model or 'no model'})")
    table.add_column("kind")
    table.add_column("calls", justify="right")
    table.add_column("cand.", justify="right")  # calls on candidate excerpts
    table.add_column("regions", justify="right")  # candidate regions asked about / all
    table.add_column("unfit", justify="right")  # candidate regions that could not fit
    table.add_column("prompt version")
    per_kind: Counter[str] = Counter(p.kind for p in plan.calls)
    per_candidate: Counter[str] = Counter(p.kind for p in plan.calls if p.source == "candidate")
    for kind, version in plan.prompt_versions.items():
        stats = plan.candidates.get(kind)
        planned = f"{stats.planned + stats.covered}/{stats.regions}" if stats else "0/0"
        table.add_row(
            kind,
            str(per_kind[kind]),
            str(per_candidate[kind]),
            planned,
            str(stats.unfit if stats else 0),
            version,
        )
    out.print(table)
    total = plan.candidate_totals()
    out.print(
        f"candidate regions: {total.regions} · in a candidate excerpt {total.planned} · "
        f"already in a retrieved excerpt {total.covered} · could not fit {total.unfit}",
        highlight=False,
    )
    if plan.dropped or plan.prompt_budget is not None:
        reasons = Counter(d.reason for d in plan.dropped)
        budget = "none" if plan.prompt_budget is None else f"{plan.prompt_budget} tokens"
        out.print(
            f"not sent: {reasons['decoded']} excerpts whose facts were decoded statically · "
            f"{reasons['budget']} over the prompt budget ({budget}, --prompt-share) · "
            f"{reasons['max_chunks']} past --max-chunks (each listed in plan.json `dropped`)",
            highlight=False,
        )
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
        out.print(f"  {p.kind:22s} {p.source:9s} {p.chunk.location}", markup=False, highlight=False)
    print_exclusions(plan.excluded)
    if plan.written is not None:
        err.print(f"wrote {plan.written}", markup=False, highlight=False)


EVAL_HEADERS = {
    "precision": "prec",
    "recall": "recall",
    "f1": "f1",
    "values": "values",
    "citations": "cites",
    "verified": "verif",
    "citation_precision": "cite prec",
    "citation_recall": "cite recall",
    "refusal_accuracy": "refusals",
    "answer_rate": "answered",
    "gap_accuracy": "gaps",
}
"""Short column names, so the tables fit 80 columns (evals/README.md says what each means)."""


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _eval_cell(
    comparison: Comparison | None, case: str | None, kind: str, metric: str, now: float | None
) -> str:
    """`now`; when comparing, `now =` if unchanged, else `base→now Δ` (a regression red)."""
    if comparison is None:
        return _score(now)
    row = comparison.row(case, kind, metric)
    if row is None or row.base is None or row.delta is None:
        return _score(now)
    if row.delta == 0:
        return f"{_score(now)} [dim]=[/dim]"
    style = "red" if row.regressed(comparison.tolerance) else ("green" if row.delta > 0 else "")
    text = f"{_score(row.base)}→{_score(now)} {row.delta:+.3f}"
    return f"[{style}]{text}[/{style}]" if style else text


def eval_tables(report: EvalReport, comparison: Comparison | None) -> list[Table]:
    """Per kind over the suite, per case and kind, and QA per case: baseline beside now."""
    from ddd_llm.evals.harness import METRICS

    comparing = comparison is not None and comparison.comparable
    suffix = " (baseline → now)" if comparing else ""
    title = f"ddd-llm eval — {report.suite.name} — {report.provider}/{report.model or 'none'}"
    kinds = Table(title=title + suffix)
    kinds.add_column("kind")
    for m in METRICS:
        kinds.add_column(EVAL_HEADERS.get(m, m), justify="right", overflow="fold")
    for k in report.kinds:
        scores = report.kind_scores(k)
        kinds.add_row(k, *(_eval_cell(comparison, None, k, m, scores[m]) for m in METRICS))
    cases = Table(title="per case" + suffix)
    cases.add_column("case", overflow="fold")
    cases.add_column("kind")
    for m in METRICS:
        cases.add_column(EVAL_HEADERS.get(m, m), justify="right", overflow="fold")
    for c in report.cases:
        for i, k in enumerate(report.kinds):
            scores = c.scores(k)
            spread = c.spread(k) if report.repeat > 1 else {}
            cells = []
            for m in METRICS:
                cell = _eval_cell(comparison, c.name, k, m, scores[m])
                if m in spread and spread[m][0] != spread[m][1]:
                    cell += f" [dim]({spread[m][0]:.2f}–{spread[m][1]:.2f})[/dim]"
                cells.append(cell)
            last = i == len(report.kinds) - 1
            cases.add_row(c.name if i == 0 else "", SHORT.get(k, k), *cells, end_section=last)
    tables = [kinds, cases]
    qa = {c.name: s for c in report.cases if (s := c.qa_scores())}
    if qa:
        names = list(dict.fromkeys(m for s in qa.values() for m in s))
        table = Table(title="QA per case" + suffix)
        table.add_column("case")
        for m in names:
            table.add_column(EVAL_HEADERS.get(m, m), justify="right", overflow="fold")
        for case, s in qa.items():
            table.add_row(case, *(_eval_cell(comparison, case, "qa", m, s.get(m)) for m in names))
        tables.append(table)
    return tables


def print_eval(
    report: EvalReport, comparison: Comparison | None, problems: Sequence[Problem]
) -> None:
    for table in eval_tables(report, comparison):
        out.print(table)
    for c in report.cases:
        cost = c.cost
        out.print(
            f"{c.name}: {cost.calls} calls · {cost.cache_hits} cache hits · "
            f"{cost.prompt_tokens}+{cost.completion_tokens} tokens · {cost.failures} failed "
            f"requests · {cost.wall_s:.1f} s",
            highlight=False,
        )
        if c.qa_info:
            q = c.qa_info
            out.print(
                f"  qa: {q['questions']:g} questions · {q['model_failures']:g} model failures · "
                f"median {q['median_latency_s']:.2f} s",
                highlight=False,
            )
        if c.qa_note:
            out.print(f"  {c.qa_note}", markup=False, highlight=False, style="dim")
    total = report.cost
    out.print(
        f"total: {total.calls} calls · {total.cache_hits} cache hits · {total.prompt_tokens}+"
        f"{total.completion_tokens} tokens · {total.failures} failed requests · "
        f"{report.wall_s:.1f} s",
        highlight=False,
    )
    if comparison is not None:
        b = comparison.baseline
        out.print(
            f"baseline: {b.llm.provider}/{b.llm.model or 'none'}, blessed {b.blessed_at}"
            + ("" if comparison.comparable else " — not comparable"),
            markup=False,
            highlight=False,
        )
    for p in problems:
        err.print(f"FAIL {p.message}", markup=False, highlight=False, style="red", soft_wrap=True)
    if problems:
        err.print(f"eval failed: {len(problems)} check(s)", style="red", highlight=False)
    else:
        out.print("eval passed", style="green", highlight=False)


@contextmanager
def batch_progress(names: list[str], enabled: bool = True) -> Iterator[Callable[[Event], None]]:
    """An overall bar over repositories and one bar per repository while it runs."""
    if not enabled:
        yield lambda _event: None
        return
    with _bars("{task.description}") as progress:
        overall = progress.add_task("[bold]repositories[/bold]", total=len(names))
        running: dict[str, TaskID] = {}
        finished: set[str] = set()
        width = min(30, max((len(n) for n in names), default=10))

        def on_event(event: Event) -> None:
            name = event.repo
            if name in finished:
                return  # a late step message from a worker, after its result
            if event.kind == "done":
                finished.add(name)
                task = running.pop(name, None)
                if task is not None:
                    progress.remove_task(task)
                progress.advance(overall)
                return
            task = running.get(name)
            if task is None:
                task = progress.add_task(f"  {name[:width]:<{width}}", total=None)
                running[name] = task
            if event.kind == "calls":
                progress.update(task, completed=event.done, total=event.total)
            elif event.kind == "step":
                step = escape(event.message[:40])
                progress.update(task, description=f"  {name[:width]:<{width}} [dim]{step}[/dim]")

        yield on_event


def print_batch_summary(summary: BatchSummary, root: Path, quiet: bool = False) -> None:
    """The worst repositories as a table (or, quiet, the one line for cron), then failures."""
    from ddd_llm.apps.summary import one_line

    if not quiet:
        table = Table(title=f"ddd-llm batch — {summary.totals.repositories} repositories")
        for column in ("repository", "overall", "daily", "CRIT", "HIGH", "facts", "status"):
            table.add_column(column, justify="left" if column == "repository" else "right")
        for r in summary.repositories[:15]:
            sc = r.scores
            table.add_row(
                escape(r.name),
                f"{sc.overall}" if sc else "—",
                f"{sc.daily}" if sc else "—",
                str(r.gaps.get("CRITICAL", 0)),
                str(r.gaps.get("HIGH", 0)),
                str(r.facts),
                r.status,
            )
        out.print(table)
        if len(summary.repositories) > 15:
            out.print(f"… {len(summary.repositories) - 15} more in {root / 'summary.md'}")
    for f in summary.failures:  # quiet too: cron mails what a job writes to stderr
        err.print(f"failed: {f.name}: {f.error}", markup=False, highlight=False, style="red")
    out.print(one_line(summary, root), markup=False, highlight=False, soft_wrap=True)


def print_one_line(doc: FactsDocument, out_dir: Path) -> None:
    """A single repository's run in one line (--quiet)."""
    from ddd_llm.fingerprint import one_line, run_summary

    out.print(
        one_line(run_summary(doc), out_dir),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def print_answer(result: AskResult, json_out: bool = False, *, one_line: bool = False) -> None:
    """One `ask` answer: Markdown on the terminal (warnings on stderr), or JSON."""
    import sys

    from rich.markdown import Markdown

    from ddd_llm.apps.ask import answer_markdown

    if json_out:
        sys.stdout.write(result.model_dump_json(indent=None if one_line else 2) + "\n")
        sys.stdout.flush()
        return
    out.print(Markdown(answer_markdown(result)))
    for warning in result.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False, style="yellow")


def prompt_loop(ask: Callable[[str], AskResult], history: Path, *, json_out: bool = False) -> None:
    """Questions until `exit`, Ctrl-D or Ctrl-C, with line editing and a history file."""
    readline = _history(history)
    if not json_out:
        out.print("[dim]Ask about this repository; `exit` or Ctrl-D to leave.[/dim]")
    try:
        while True:
            try:
                # A plain prompt: readline must know its width to redraw the line.
                line = out.input("ask> ")
            except EOFError:
                break
            question = line.strip()
            if not question:
                continue
            if question.lower() in ("exit", "quit"):
                break
            print_answer(ask(question), json_out=json_out, one_line=True)
    except KeyboardInterrupt:
        pass
    finally:
        if readline is not None:
            try:
                readline.write_history_file(str(history))
            except OSError:
                pass  # a read-only output folder loses the history, not the answers


def _history(path: Path) -> Any:
    """readline with the history file loaded, or None where readline is missing."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return None
    readline.set_history_length(500)
    try:
        readline.read_history_file(str(path))
    except OSError:
        pass  # no history yet
    return readline


def print_secrets_report(report: SecretsReport) -> None:
    """`scan-secrets`: one row per masked span, then the files never read, then the totals."""
    if report.findings:
        table = Table(title=f"secrets redacted before use — {report.root}")
        table.add_column("path", overflow="fold")
        table.add_column("lines", justify="right")
        table.add_column("found by")
        for f in report.findings:
            lines = str(f.line) if f.end_line == f.line else f"{f.line}-{f.end_line}"
            table.add_row(escape(f.path), lines, escape(f.kind))
        out.print(table)
    for s in report.not_read:
        out.print(f"not read: {s.path} ({s.reason})", markup=False, highlight=False)
    kinds = ", ".join(f"{n} {k}" for k, n in report.by_kind().items())
    found = f"{len(report.findings)} secrets" + (f" ({kinds})" if kinds else "")
    out.print(
        f"{found} in {report.files_with_secrets} of {report.files_scanned} files scanned; "
        f"{len(report.not_read)} files not read because they may hold live secrets",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
