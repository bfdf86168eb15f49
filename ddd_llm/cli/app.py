"""Command-line interface: parse arguments, call one library function, render the result."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ddd_llm import __version__
from ddd_llm.errors import DddError

if TYPE_CHECKING:
    from ddd_llm.pipeline import ExtractOptions

app = typer.Typer(
    name="ddd-llm",
    help="Turn a repository into maintenance documentation a junior operator can follow safely.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)

EXIT_CODES = """Exit codes: 0 success · 1 check failed · 2 bad input or configuration ·
3 a run failure (index, model) · 4 another run holds the lock."""


def _fail(error: DddError) -> typer.Exit:
    from ddd_llm.cli.console import err

    if os.environ.get("DDD_LLM_DEBUG") == "1":
        import traceback

        traceback.print_exception(error, file=sys.stderr)
    err.print(f"error: {error}", markup=False, highlight=False, style="red", soft_wrap=True)
    return typer.Exit(error.exit_code)


LlmOpt = Annotated[
    str | None,
    typer.Option(
        "--llm",
        help="LLM provider: openai, local, replay or none. Default: openai when OPENAI_API_KEY "
        "is set, else local when installed, else none.",
    ),
]
# The extraction options, shared by every command that runs or reuses an extraction.
OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="output folder (default PATH/.ddd)")
]
ModelOpt = Annotated[str | None, typer.Option("--model", help="model name")]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible server (or OPENAI_BASE_URL)"),
]
ModeOpt = Annotated[str, typer.Option("--mode", help="instructor mode: tools, json_schema or json")]
ModelPathOpt = Annotated[
    Path | None, typer.Option("--model-path", help="GGUF file for --llm local")
]
CassettesOpt = Annotated[
    Path | None, typer.Option("--cassettes", help="recorded responses for --llm replay")
]
RecordOpt = Annotated[
    Path | None, typer.Option("--record", help="write cassettes of every answer here")
]
ConcurrencyOpt = Annotated[int, typer.Option("--concurrency", min=1, max=256)]
MaxTokensOpt = Annotated[
    int | None,
    typer.Option(
        "--max-tokens",
        min=16,
        help="cap on each model answer's length (default 2048; 256 for the local model)",
        show_default=False,
    ),
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="seconds per model call")]
TopKOpt = Annotated[int, typer.Option("--top-k", min=1, help="index hits per query")]
BudgetOpt = Annotated[int, typer.Option("--budget", help="max prompt tokens per excerpt")]
MaxChunksOpt = Annotated[
    int | None,
    typer.Option(
        "--max-chunks",
        min=0,
        help="excerpts asked about per kind (default: all; 2 for the local model)",
    ),
]
KindsOpt = Annotated[
    str | None, typer.Option("--kinds", help="comma-separated fact kinds to ask the model for")
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="do not use the response cache")]
CacheDirOpt = Annotated[Path | None, typer.Option("--cache-dir", help="response cache folder")]
IndexDirOpt = Annotated[
    Path | None, typer.Option("--index-dir", help="chroma index folder (default OUT/index)")
]
NoIndexOpt = Annotated[
    bool, typer.Option("--no-index", help="skip chunk embedding and the vector index")
]
MaxFileBytesOpt = Annotated[
    int, typer.Option("--max-file-bytes", help="skip files larger than this")
]


def extract_options(
    *,
    out: Path | None = None,
    llm: str | None = None,
    model: str | None = None,
    base_url: str | None = None,
    mode: str = "tools",
    model_path: Path | None = None,
    cassettes: Path | None = None,
    record: Path | None = None,
    concurrency: int = 8,
    max_tokens: int | None = None,
    timeout: float = 60.0,
    top_k: int = 4,
    budget: int = 1500,
    max_chunks: int | None = None,
    kinds: str | None = None,
    no_cache: bool = False,
    cache_dir: Path | None = None,
    index_dir: Path | None = None,
    no_index: bool = False,
    max_file_bytes: int = 1_000_000,
) -> ExtractOptions:
    """ExtractOptions from the shared command-line options; exits 2 on a bad value."""
    from ddd_llm.cli.console import err
    from ddd_llm.llm import ProviderSettings, choose_provider_name
    from ddd_llm.models import FACT_KINDS
    from ddd_llm.pipeline import ExtractOptions

    provider = llm
    if provider is None:
        provider, notice = choose_provider_name()
        if notice:
            err.print(f"note: {notice}", markup=False, highlight=False)
    chosen = tuple(k.strip() for k in kinds.split(",")) if kinds else FACT_KINDS
    unknown = [k for k in chosen if k not in FACT_KINDS]
    if unknown:
        err.print(f"error: unknown fact kind(s) {unknown}; choose from {', '.join(FACT_KINDS)}")
        raise typer.Exit(2)
    return ExtractOptions(
        out_dir=out,
        index_dir=index_dir,
        llm=provider,
        provider_settings=ProviderSettings(
            model=model,
            base_url=base_url,
            mode=mode,
            model_path=str(model_path) if model_path else None,
            cassettes=str(cassettes) if cassettes else None,
            max_tokens=max_tokens,
        ),
        max_file_bytes=max_file_bytes,
        index=not no_index,
        kinds=chosen,  # type: ignore[arg-type]
        top_k=top_k,
        budget=budget,
        concurrency=concurrency,
        timeout=timeout,
        cache_dir=cache_dir,
        no_cache=no_cache,
        record_dir=record,
        max_chunks_per_kind=max_chunks,
    )


@app.command()
def extract(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="repository to read; several make a batch run", show_default=False),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="output folder (default PATH/.ddd; a batch: ./ddd-out)"),
    ] = None,
    llm: LlmOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    mode: ModeOpt = "tools",
    model_path: ModelPathOpt = None,
    cassettes: CassettesOpt = None,
    record: RecordOpt = None,
    concurrency: ConcurrencyOpt = 8,
    max_tokens: MaxTokensOpt = None,
    timeout: TimeoutOpt = 60.0,
    top_k: TopKOpt = 4,
    budget: BudgetOpt = 1500,
    max_chunks: MaxChunksOpt = None,
    kinds: KindsOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the calls and cost estimate; call nothing")
    ] = False,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    index_dir: IndexDirOpt = None,
    no_index: NoIndexOpt = False,
    max_file_bytes: MaxFileBytesOpt = 1_000_000,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="list every skipped file")
    ] = False,
    repos_dir: Annotated[
        Path | None,
        typer.Option("--repos-dir", help="batch: every subfolder of DIR is a repository"),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option("--manifest", help="batch: a file with one repository path per line (#)"),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="batch: repositories run in parallel")
    ] = 1,
    executor: Annotated[
        str, typer.Option("--executor", help="batch: local (worker processes) or ray")
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Ray cluster to join (default: start one locally)"),
    ] = None,
    chroma_url: Annotated[
        str | None,
        typer.Option("--chroma-url", help="shared chroma server http://HOST:PORT as the index"),
    ] = None,
    batch_api: Annotated[
        bool,
        typer.Option(
            "--batch-api", help="ask the model through the OpenAI Batch API (--llm openai)"
        ),
    ] = False,
    batch_poll: Annotated[
        float, typer.Option("--batch-poll", min=0.0, help="seconds between first batch polls")
    ] = 30.0,
    force: Annotated[
        bool, typer.Option("--force", help="batch: redo repositories whose inputs are unchanged")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="no progress bars; one summary line (cron)")
    ] = False,
    prose: Annotated[
        bool,
        typer.Option(
            "--prose/--no-prose",
            help="let the model write each runbook section's introduction (never its steps)",
        ),
    ] = True,
) -> None:
    """Extract operational facts and write facts.json and the runbooks.

    One PATH writes to PATH/.ddd (or --out). Several PATHs, --repos-dir or --manifest make
    a batch: each repository in OUT/<name>/ (OUT defaults to ./ddd-out), repositories whose
    inputs are unchanged skipped, and OUT/summary.md and OUT/summary.json over all of them.
    """
    from dataclasses import replace

    from ddd_llm.cli.console import err, print_plan, print_report, progress_bar
    from ddd_llm.pipeline import dry_run as plan_only
    from ddd_llm.pipeline import extract as run_extract

    options = extract_options(
        out=out,
        llm=llm,
        model=model,
        base_url=base_url,
        mode=mode,
        model_path=model_path,
        cassettes=cassettes,
        record=record,
        concurrency=concurrency,
        max_tokens=max_tokens,
        timeout=timeout,
        top_k=top_k,
        budget=budget,
        max_chunks=max_chunks,
        kinds=kinds,
        no_cache=no_cache,
        cache_dir=cache_dir,
        index_dir=index_dir,
        no_index=no_index,
        max_file_bytes=max_file_bytes,
    )
    options = replace(
        options, chroma_url=chroma_url, batch_api=batch_api, batch_poll=batch_poll, prose=prose
    )
    provider = options.llm
    given = paths or []
    if len(given) > 1 or repos_dir or manifest or executor != "local":
        if dry_run:
            err.print("error: --dry-run takes one PATH, not a batch")
            raise typer.Exit(2)
        _extract_batch(
            given, options, out, repos_dir, manifest, jobs, executor, ray_address, force, quiet
        )
        return
    if not given:
        err.print("error: pass a repository PATH (or several, --repos-dir or --manifest)")
        raise typer.Exit(2)
    path = given[0]

    def notify(msg: str) -> None:
        if not quiet:
            err.print(f"[dim]{msg}[/dim]", highlight=False)

    try:
        if dry_run:
            plan, model_name = plan_only(path, options, notify=notify)
            print_plan(plan, provider, model_name)
            return
        with progress_bar(enabled=not quiet) as update:
            result = run_extract(path, options, notify=notify, progress=update)
    except DddError as error:
        raise _fail(error) from None
    if quiet:
        from ddd_llm.cli.console import print_one_line

        print_one_line(result.document, result.out_dir)
        return
    print_report(result.document, verbose=verbose)
    for artifact in result.artifacts:
        err.print(f"wrote {artifact}", markup=False, highlight=False)


def _extract_batch(
    paths: list[Path],
    options: ExtractOptions,
    out: Path | None,
    repos_dir: Path | None,
    manifest: Path | None,
    jobs: int,
    executor: str,
    ray_address: str | None,
    force: bool,
    quiet: bool,
) -> None:
    """`extract` over many repositories; exits 3 when any of them failed."""
    from ddd_llm.apps.batch import DEFAULT_OUT, BatchOptions, collect_targets, run_batch
    from ddd_llm.cli.console import batch_progress, print_batch_summary

    root = out or DEFAULT_OUT
    try:
        targets = collect_targets(paths, repos_dir, manifest, exclude=root)
        batch = BatchOptions(
            out=root, jobs=jobs, executor=executor, ray_address=ray_address, force=force
        )
        with batch_progress([t.name for t in targets], enabled=not quiet) as on_event:
            report = run_batch(targets, options, batch, on_event)
    except DddError as error:
        raise _fail(error) from None
    print_batch_summary(report.summary, root.absolute(), quiet=quiet)
    if report.failed:
        raise typer.Exit(3)


@app.command("eval")
def eval_(
    suite: Annotated[Path, typer.Argument(help="suite file")] = Path("evals/suite.yaml"),
    llm: LlmOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    mode: ModeOpt = "tools",
    model_path: ModelPathOpt = None,
    concurrency: ConcurrencyOpt = 8,
    max_tokens: MaxTokensOpt = None,
    timeout: TimeoutOpt = 60.0,
    max_chunks: MaxChunksOpt = None,
    kinds: KindsOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    no_index: NoIndexOpt = False,
    case: Annotated[
        list[str] | None, typer.Option("--case", help="run only this case (repeatable)")
    ] = None,
    repeat: Annotated[
        int, typer.Option("--repeat", min=1, help="run each case K times and report the spread")
    ] = 1,
    temperature: Annotated[
        float | None,
        typer.Option(
            "--temperature", min=0.0, help="sampling temperature (default 0.7 with --repeat)"
        ),
    ] = None,
    compare: Annotated[
        bool,
        typer.Option("--compare", help="compare with the baseline; exit 1 on a regression"),
    ] = False,
    bless: Annotated[
        bool, typer.Option("--bless", help="write these scores as the new baseline")
    ] = False,
    record: Annotated[
        bool,
        typer.Option("--record", help="re-record every case's cassettes from the live model"),
    ] = False,
    no_qa: Annotated[
        bool, typer.Option("--no-qa", help="score extraction only, not the QA questions")
    ] = False,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="baseline file (default: the suite's)")
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="print the results as JSON instead of tables")
    ] = False,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="write JUnit XML (a test per case and kind)")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="write a self-contained HTML report")
    ] = None,
    work_dir: Annotated[
        Path | None,
        typer.Option("--work-dir", help="extraction outputs and indexes (default: in the cache)"),
    ] = None,
) -> None:
    """Score extraction (and QA) on an eval suite against gold; compare with the baseline."""
    from ddd_llm.cli.console import err, print_eval
    from ddd_llm.evals.harness import (
        compare as compare_scores,
    )
    from ddd_llm.evals.harness import (
        load_baseline,
        load_suite,
        make_baseline,
        problems,
        run_suite,
        write_baseline,
    )
    from ddd_llm.evals.report import report_json, write_html, write_junit

    options = extract_options(
        llm=llm,
        model=model,
        base_url=base_url,
        mode=mode,
        model_path=model_path,
        concurrency=concurrency,
        max_tokens=max_tokens,
        timeout=timeout,
        kinds=kinds,
        no_cache=no_cache,
        cache_dir=cache_dir,
        no_index=no_index,
    )

    def notify(msg: str) -> None:
        err.print(f"[dim]{msg}[/dim]", highlight=False)

    try:
        loaded = load_suite(suite)
        report = run_suite(
            loaded,
            options,
            work_dir=work_dir,
            cases=case,
            kinds=options.kinds if kinds else None,
            max_chunks=max_chunks,
            repeat=repeat,
            temperature=temperature,
            record=record,
            qa=not no_qa,
            notify=notify,
        )
        baseline_path = baseline or loaded.baseline_path
        comparison = None
        if compare:
            blessed = load_baseline(baseline_path)
            comparison = compare_scores(report, blessed) if blessed is not None else None
    except DddError as error:
        raise _fail(error) from None
    found = problems(report, comparison, compare_requested=compare, baseline_path=baseline_path)
    if json_out:
        typer.echo(json.dumps(report_json(report, comparison, found), indent=2))
    else:
        print_eval(report, comparison, found)
    if junit is not None:
        write_junit(report, found, junit)
        err.print(f"wrote {junit}", markup=False, highlight=False)
    if html is not None:
        write_html(report, comparison, found, html)
        err.print(f"wrote {html}", markup=False, highlight=False)
    if bless:
        if any(c.misses for c in report.cases):
            err.print("not blessed: some requests had no cassette (see above)", style="red")
            raise typer.Exit(1)
        write_baseline(make_baseline(report), baseline_path)
        err.print(f"blessed: wrote {baseline_path}", markup=False, highlight=False)
        # The new baseline replaces the old one: only the suite's own minimums still apply.
        found = problems(report)
    if found:
        raise typer.Exit(1)


@app.command()
def ask(
    path: Annotated[Path, typer.Argument(help="repository to ask about")],
    question: Annotated[
        str | None,
        typer.Argument(help="the question; leave it out for an interactive prompt"),
    ] = None,
    out: OutOpt = None,
    llm: LlmOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    mode: ModeOpt = "tools",
    model_path: ModelPathOpt = None,
    cassettes: CassettesOpt = None,
    record: RecordOpt = None,
    max_tokens: MaxTokensOpt = None,
    timeout: TimeoutOpt = 60.0,
    top_k: TopKOpt = 6,
    context_tokens: Annotated[
        int,
        typer.Option("--context-tokens", min=200, help="token budget of the sources per answer"),
    ] = 2500,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    index_dir: IndexDirOpt = None,
    no_index: NoIndexOpt = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="print the answer (and its sources) as JSON")
    ] = False,
) -> None:
    """Answer a maintenance question from the repository, citing its lines.

    Uses OUT/facts.json and the index (a static extract builds them when missing). Says so
    plainly when the repository does not document the answer, naming the gap if one is known.
    """
    from ddd_llm.apps.ask import AskSettings, open_session
    from ddd_llm.cli.console import err, print_answer, prompt_loop

    options = extract_options(
        out=out,
        llm=llm,
        model=model,
        base_url=base_url,
        mode=mode,
        model_path=model_path,
        cassettes=cassettes,
        record=record,
        max_tokens=max_tokens,
        timeout=timeout,
        top_k=top_k,
        no_cache=no_cache,
        cache_dir=cache_dir,
        index_dir=index_dir,
        no_index=no_index,
    )

    def notify(msg: str) -> None:
        err.print(f"[dim]{msg}[/dim]", highlight=False)

    try:
        session = open_session(
            path, options, AskSettings(top_k=top_k, context_tokens=context_tokens), notify=notify
        )
        for note in session.knowledge.notes:
            err.print(f"note: {note}", markup=False, highlight=False)
        if question is not None:
            print_answer(session.ask(question), json_out=json_out)
            return
        history = session.knowledge.out_dir / "ask_history"
        prompt_loop(session.ask, history, json_out=json_out)
    except DddError as error:
        raise _fail(error) from None


@app.command()
def check(
    path: Annotated[Path, typer.Argument(help="repository to check")],
    min_score: Annotated[
        float,
        typer.Option("--min-score", min=0, max=100, help="fail when overall readiness is below"),
    ] = 0.0,
    allow_critical: Annotated[
        bool, typer.Option("--allow-critical", help="do not fail on CRITICAL gaps")
    ] = False,
    fmt: Annotated[
        str, typer.Option("--format", help="text, json (for scripts) or sarif (for CI)")
    ] = "text",
    report: Annotated[
        Path | None, typer.Option("--report", help="write the json/sarif report to FILE")
    ] = None,
    out: OutOpt = None,
    llm: LlmOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    mode: ModeOpt = "tools",
    model_path: ModelPathOpt = None,
    cassettes: CassettesOpt = None,
    record: RecordOpt = None,
    concurrency: ConcurrencyOpt = 8,
    max_tokens: MaxTokensOpt = None,
    timeout: TimeoutOpt = 60.0,
    top_k: TopKOpt = 4,
    budget: BudgetOpt = 1500,
    max_chunks: MaxChunksOpt = None,
    kinds: KindsOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    index_dir: IndexDirOpt = None,
    no_index: NoIndexOpt = False,
    max_file_bytes: MaxFileBytesOpt = 1_000_000,
) -> None:
    """Gate on maintenance readiness: exit 1 below --min-score or on a CRITICAL gap.

    Reuses OUT/facts.json when its inputs are unchanged, else extracts first.
    """
    from ddd_llm.apps.check import FORMATS, render, run_check
    from ddd_llm.cli.console import err

    if fmt not in FORMATS:
        err.print(f"error: unknown --format {fmt!r}; choose from {', '.join(FORMATS)}")
        raise typer.Exit(2)
    options = extract_options(
        out=out,
        llm=llm,
        model=model,
        base_url=base_url,
        mode=mode,
        model_path=model_path,
        cassettes=cassettes,
        record=record,
        concurrency=concurrency,
        max_tokens=max_tokens,
        timeout=timeout,
        top_k=top_k,
        budget=budget,
        max_chunks=max_chunks,
        kinds=kinds,
        no_cache=no_cache,
        cache_dir=cache_dir,
        index_dir=index_dir,
        no_index=no_index,
        max_file_bytes=max_file_bytes,
    )

    def notify(msg: str) -> None:
        err.print(f"[dim]{msg}[/dim]", highlight=False)

    try:
        result = run_check(path, options, min_score, allow_critical, notify=notify)
    except DddError as error:
        raise _fail(error) from None
    text = render(result, fmt)
    if report is not None:
        report.write_text(text + "\n", encoding="utf-8")
        err.print(f"wrote {report}", markup=False, highlight=False)
    else:
        typer.echo(text)
    if fmt != "text":
        for reason in result.reasons:
            err.print(f"fail: {reason}", markup=False, highlight=False)
    raise typer.Exit(result.exit_code)


@app.command("scan-secrets")
def scan_secrets(
    path: Annotated[Path, typer.Argument(help="repository to scan")],
    json_out: Annotated[
        bool, typer.Option("--json", help="print the findings as JSON instead of a table")
    ] = False,
    max_file_bytes: MaxFileBytesOpt = 1_000_000,
) -> None:
    """List what extract would redact (path, line, detector; never the value) for review.

    Exit 0 whether or not secrets were found; 2 when PATH is not a readable folder.
    """
    from ddd_llm.apps.secrets_scan import scan_secrets as run_scan
    from ddd_llm.cli.console import print_secrets_report

    try:
        report = run_scan(path, max_bytes=max_file_bytes)
    except DddError as error:
        raise _fail(error) from None
    if json_out:
        typer.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print_secrets_report(report)


@app.command()
def schema() -> None:
    """Print the JSON Schema of facts.json."""
    from ddd_llm.models import FactsDocument

    typer.echo(json.dumps(FactsDocument.model_json_schema(), indent=2))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"ddd-llm {__version__}")


def main() -> None:
    import logging

    # SDKs log every failed attempt; ddd-llm reports failures itself, once, in the run report.
    if os.environ.get("DDD_LLM_DEBUG") != "1":
        for name in ("instructor", "httpx", "openai", "chromadb"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
