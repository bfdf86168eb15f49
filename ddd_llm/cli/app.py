"""Command-line interface: parse arguments, call one library function, render the result.

The extraction options are declared once, in ddd_llm.config.Settings; `extraction_options`
(ddd_llm/cli/options.py) adds them to each command. A DddError becomes its exit code in
one place: `Command.invoke`.
"""

from __future__ import annotations

if __name__ == "__main__":  # `python -m ddd_llm.cli.app`: an unchanged re-run ends here
    from ddd_llm.cli.__main__ import exit_if_unchanged

    exit_if_unchanged()

import json
import os
from collections.abc import Callable
from dataclasses import replace
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ddd_llm import __version__
from ddd_llm.cli.console import (
    batch_progress,
    err,
    print_answer,
    print_batch_summary,
    print_eval,
    print_one_line,
    print_plan,
    print_report,
    print_secrets_report,
    progress_bar,
    prompt_loop,
)
from ddd_llm.cli.options import (
    Command,
    GivenOptions,
    choice_parser,
    choices,
    extraction_options,
    resolve,
)
from ddd_llm.config import (
    Executor,
    ExtractOptions,
    ReportFormat,
    Settings,
    build_provider,
)
from ddd_llm.errors import ConfigError
from ddd_llm.llm import capabilities
from ddd_llm.scan.scanner import MAX_FILE_BYTES

app = typer.Typer(
    name="ddd-llm",
    help="Turn a repository into maintenance documentation a junior operator can follow safely.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)

EXIT_CODES = """Exit codes: 0 success · 1 check failed · 2 bad input or configuration ·
3 a run failure (index, model) · 4 another run holds the lock."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ddd-llm {__version__}")
        raise typer.Exit()


@app.callback(epilog=EXIT_CODES)
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, metavar="", help="print the version"
        ),
    ] = False,
) -> None:
    """Turn a repository into maintenance documentation a junior operator can follow safely."""


def notify(msg: str) -> None:
    err.print(f"[dim]{msg}[/dim]", highlight=False)


def note(msg: str) -> None:
    err.print(f"note: {msg}", markup=False, highlight=False)


def options_for(
    opts: GivenOptions, repo: Path | None, *, recorded_per_case: bool = False
) -> tuple[ExtractOptions, Settings]:
    """The run's options from every source, the provider's settings checked before any scan
    (not a replay whose cassettes each eval case names itself)."""
    options, settings = resolve(opts, repo, notify=note)
    can = capabilities(options.llm)
    if can.answers_questions and not (recorded_per_case and can.replays):
        try:
            build_provider(options)
        except ConfigError as exc:
            raise ConfigError(f"--llm {options.llm}: {exc.message}", hint=exc.hint) from None
    return options, settings


def flag(help_text: str, *names: str) -> Any:
    """A boolean flag: no `<bool>` placeholder, no default shown."""
    return typer.Option(*names, help=help_text, metavar="", show_default=False)


def choice(enum: type[Enum], name: str, help_text: str) -> Any:
    return typer.Option(
        name, help=help_text, parser=choice_parser(enum, name), metavar=choices(enum)
    )


EXTRACT_ONLY = {"chroma_url", "batch_api", "batch_poll", "prose"}
ASK_TOP_K = 6
ASK_CONTEXT_TOKENS = 2500
"""ask's defaults, ddd_llm.apps.ask's DEFAULT_TOP_K and DEFAULT_CONTEXT_TOKENS (equal: a unit
test checks). Not imported from there: ask loads the index, numpy and the lexical ranker,
which `extract` (an unchanged re-run above all) and `--help` must not wait for."""

RepoUrl = Annotated[
    str | None,
    typer.Option(
        "--repo-url",
        metavar="URL",
        help="the site's citations link here: https://github.com/OWNER/REPO (or GitLab's, or "
        "a template for another host: docs/site.md); default: the git remote origin",
        show_default=False,
    ),
]
"""`--repo-url` of `extract --site` and `site`, declared once."""


@app.command(cls=Command, epilog=EXIT_CODES)
@extraction_options(helps={"out": "output folder (default PATH/.ddd; a batch: ./ddd-out)"})
def extract(
    opts: GivenOptions,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="repository to read; several make a batch run", show_default=False, metavar="PATH"
        ),
    ] = None,
    dry_run: Annotated[
        bool, flag("print the calls and cost estimate; call nothing", "--dry-run")
    ] = False,
    verbose: Annotated[bool, flag("list every skipped file", "--verbose", "-v")] = False,
    repos_dir: Annotated[
        Path | None,
        typer.Option(
            "--repos-dir", metavar="DIR", help="batch: every subfolder of DIR is a repository"
        ),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest", metavar="FILE", help="batch: a file with one repository path per line (#)"
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", min=1, metavar="N", help="batch: repositories run in parallel"
        ),
    ] = 1,
    executor: Annotated[
        Executor,
        choice(Executor, "--executor", "batch: local (worker processes) or ray"),
    ] = Executor.local,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            metavar="ADDRESS",
            help="Ray cluster to join (default: start one locally)",
        ),
    ] = None,
    force: Annotated[
        bool, flag("run again even when the inputs are unchanged since the last run", "--force")
    ] = False,
    quiet: Annotated[
        bool, flag("no progress bars; one summary line (cron)", "--quiet", "-q")
    ] = False,
    site: Annotated[
        bool, flag("also write the docs site (mkdocs.yml, docs/) into OUT/site", "--site")
    ] = False,
    repo_url: RepoUrl = None,
) -> None:
    """Extract operational facts and write facts.json and the runbooks.

    One PATH writes to PATH/.ddd (or --out). Several PATHs, --repos-dir or --manifest make
    a batch: each repository in OUT/<name>/ (OUT defaults to ./ddd-out), repositories whose
    inputs are unchanged skipped, and OUT/summary.md and OUT/summary.json over all of them.
    """
    # Each import where it is needed: an unchanged re-run loads neither the pipeline nor
    # the renderer (it costs the files' hashes and the CLI's own imports).
    given = paths or []
    options, settings = options_for(opts, given[0] if len(given) == 1 else None)
    # A command line whose provider is named and asks nothing is recorded for the fast path
    # (ddd_llm/cli/__main__.py): its options follow from the line, environment and pyprojects.
    fast = settings.llm is not None and not capabilities(options.llm).answers_questions
    if repo_url is not None:
        from ddd_llm.render.site import parse_repo_url

        parse_repo_url(repo_url)  # a bad address stops here, before the scan
    options = replace(options, site=site or repo_url is not None, repo_url=repo_url)
    if len(given) > 1 or repos_dir or manifest or executor != Executor.local:
        if repo_url is not None:
            err.print("error: --repo-url names one repository, not a batch")
            raise typer.Exit(2)
        if dry_run:
            err.print("error: --dry-run takes one PATH, not a batch")
            raise typer.Exit(2)
        _extract_batch(
            given, options, repos_dir, manifest, jobs, executor.value, ray_address, force, quiet
        )
        return
    if not given:
        err.print("error: pass a repository PATH (or several, --repos-dir or --manifest)")
        raise typer.Exit(2)
    path = given[0]

    def say(msg: str) -> None:
        if not quiet:
            notify(msg)

    if dry_run:
        from ddd_llm.pipeline import dry_run as plan_only

        plan, model_name = plan_only(path, options, notify=say)
        print_plan(plan, options.llm, model_name)
        return
    if not force and not options.site and _unchanged(path, options, verbose, quiet, say, fast):
        return
    from ddd_llm.cli.__main__ import record_invocation
    from ddd_llm.pipeline import extract as run_extract

    with progress_bar(enabled=not quiet) as update:
        result = run_extract(path, options, notify=say, progress=update)
    if fast:
        record_invocation(path, result.out_dir, result.document.run.fingerprint)
    if quiet:
        print_one_line(result.document, result.out_dir)
        return
    print_report(result.document, verbose=verbose)
    for artifact in result.artifacts:
        err.print(f"wrote {artifact}", markup=False, highlight=False)


def _unchanged(
    path: Path,
    options: ExtractOptions,
    verbose: bool,
    quiet: bool,
    say: Callable[[str], None],
    fast: bool = False,
) -> bool:
    """Report the last run and say so when nothing that decides its output changed (the
    files scan keeps, the options, the tool): hashing the files is all it costs. `fast`:
    record the command line, so that the next identical one is answered without a hash."""
    from ddd_llm.cli.__main__ import UNCHANGED, print_unchanged, record_invocation
    from ddd_llm.config import FACTS_FILE, output_dir
    from ddd_llm.fingerprint import run_summary, up_to_date

    previous = up_to_date(path, options)
    if previous is None:
        return False
    out = output_dir(path, options)
    say(UNCHANGED.format(facts=out / FACTS_FILE))
    if verbose:
        print_report(previous, verbose=verbose)
    else:
        print_unchanged(run_summary(previous), out, quiet=quiet)
    if fast:
        record_invocation(path, out, previous.run.fingerprint)
    return True


def _extract_batch(
    paths: list[Path],
    options: ExtractOptions,
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

    root = options.out_dir or DEFAULT_OUT
    targets = collect_targets(paths, repos_dir, manifest, exclude=root)
    batch = BatchOptions(
        out=root, jobs=jobs, executor=executor, ray_address=ray_address, force=force
    )
    with batch_progress([t.name for t in targets], enabled=not quiet) as on_event:
        report = run_batch(targets, options, batch, on_event)
    print_batch_summary(report.summary, root.absolute(), quiet=quiet)
    if report.failed:
        raise typer.Exit(3)


@app.command("eval", cls=Command, epilog=EXIT_CODES)
@extraction_options(
    exclude={"out", "cassettes", "record", "top_k", "budget", "index_dir", "max_file_bytes"}
    | EXTRACT_ONLY
)
def eval_(
    opts: GivenOptions,
    suite: Annotated[Path, typer.Argument(help="suite file", metavar="SUITE")] = Path(
        "evals/suite.yaml"
    ),
    case: Annotated[
        list[str] | None,
        typer.Option("--case", metavar="NAME", help="run only this case (repeatable)"),
    ] = None,
    repeat: Annotated[
        int,
        typer.Option(
            "--repeat", min=1, metavar="K", help="run each case K times and report the spread"
        ),
    ] = 1,
    temperature: Annotated[
        float | None,
        typer.Option(
            "--temperature",
            min=0.0,
            metavar="T",
            help="sampling temperature (default 0.7 with --repeat)",
        ),
    ] = None,
    compare: Annotated[
        bool, flag("compare with the baseline; exit 1 on a regression", "--compare")
    ] = False,
    bless: Annotated[bool, flag("write these scores as the new baseline", "--bless")] = False,
    record: Annotated[
        bool, flag("re-record every case's cassettes from the live model", "--record")
    ] = False,
    no_qa: Annotated[bool, flag("score extraction only, not the QA questions", "--no-qa")] = False,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", metavar="FILE", help="baseline file (default: the suite's)"),
    ] = None,
    json_out: Annotated[
        bool, flag("print the results as JSON instead of tables", "--json")
    ] = False,
    junit: Annotated[
        Path | None,
        typer.Option("--junit", metavar="FILE", help="write JUnit XML (a test per case and kind)"),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", help="write a self-contained HTML report"),
    ] = None,
    work_dir: Annotated[
        Path | None,
        typer.Option(
            "--work-dir",
            metavar="DIR",
            help="extraction outputs and indexes (default: in the cache)",
        ),
    ] = None,
) -> None:
    """Score extraction (and QA) on an eval suite against gold; compare with the baseline."""
    from ddd_llm.evals.harness import compare as compare_scores
    from ddd_llm.evals.harness import (
        load_baseline,
        load_suite,
        make_baseline,
        problems,
        run_suite,
        write_baseline,
    )
    from ddd_llm.evals.report import report_json, write_html, write_junit

    options, settings = options_for(opts, None, recorded_per_case=True)
    loaded = load_suite(suite)
    report = run_suite(
        loaded,
        options,
        work_dir=work_dir,
        cases=case,
        kinds=settings.kinds,
        max_chunks=settings.max_chunks,
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


@app.command(cls=Command, epilog=EXIT_CODES)
@extraction_options(
    exclude={"concurrency", "budget", "max_chunks", "prompt_share", "kinds", "max_file_bytes"}
    | EXTRACT_ONLY,
    defaults={"top_k": ASK_TOP_K},
)
def ask(
    opts: GivenOptions,
    path: Annotated[Path, typer.Argument(help="repository to ask about", metavar="PATH")],
    question: Annotated[
        str | None,
        typer.Argument(
            help="the question; leave it out for an interactive prompt", metavar="QUESTION"
        ),
    ] = None,
    context_tokens: Annotated[
        int,
        typer.Option(
            "--context-tokens",
            min=200,
            metavar="N",
            help="token budget of the sources per answer",
        ),
    ] = ASK_CONTEXT_TOKENS,
    json_out: Annotated[bool, flag("print the answer (and its sources) as JSON", "--json")] = False,
) -> None:
    """Answer a maintenance question from the repository, citing its lines.

    Uses OUT/facts.json and the index (a static extract builds them when missing). Says so
    plainly when the repository does not document the answer, naming the gap if one is known.
    """
    from ddd_llm.apps.ask import AskSettings, open_session

    options, _ = options_for(opts, path)
    with progress_bar(label="embedding chunks") as embedded:
        session = open_session(
            path,
            options,
            AskSettings(top_k=options.top_k, context_tokens=context_tokens),
            notify=notify,
            embed_progress=embedded,
        )
    for text in session.knowledge.notes:
        note(text)
    if question is not None:
        print_answer(session.ask(question), json_out=json_out)
        return
    history = session.knowledge.out_dir / "ask_history"
    prompt_loop(session.ask, history, json_out=json_out)


@app.command(cls=Command, epilog=EXIT_CODES)
@extraction_options()
def check(
    opts: GivenOptions,
    path: Annotated[Path, typer.Argument(help="repository to check", metavar="PATH")],
    min_score: Annotated[
        float,
        typer.Option(
            "--min-score",
            min=0,
            max=100,
            metavar="SCORE",
            help="fail when overall readiness is below",
        ),
    ] = 0.0,
    allow_critical: Annotated[
        bool, flag("do not fail on CRITICAL gaps", "--allow-critical")
    ] = False,
    fmt: Annotated[
        ReportFormat,
        choice(ReportFormat, "--format", "text, json (for scripts) or sarif (for CI)"),
    ] = ReportFormat.text,
    report: Annotated[
        Path | None,
        typer.Option("--report", metavar="FILE", help="write the json/sarif report to FILE"),
    ] = None,
    docs: Annotated[
        Path | None,
        typer.Option(
            "--docs",
            metavar="DIR",
            help="runbooks an earlier extract wrote (DIR/facts.json): exit 1 when stale",
        ),
    ] = None,
    update: Annotated[
        bool, flag("rewrite the stale runbooks in --docs DIR (static, like extract)", "--update")
    ] = False,
) -> None:
    """Gate on maintenance readiness: exit 1 below --min-score or on a CRITICAL gap.

    Reuses OUT/facts.json when its inputs are unchanged, else extracts first. With --docs
    DIR, also exit 1 when DIR's runbooks no longer match the code (--update rewrites them).
    """
    from ddd_llm.apps.check import render, run_check

    options, _ = options_for(opts, path)
    result = run_check(
        path, options, min_score, allow_critical, notify=notify, docs=docs, update=update
    )
    text = render(result, fmt.value)
    if report is not None:
        report.write_text(text + "\n", encoding="utf-8")
        err.print(f"wrote {report}", markup=False, highlight=False)
    else:
        typer.echo(text)
    if fmt != ReportFormat.text:
        for reason in result.reasons:
            err.print(f"fail: {reason}", markup=False, highlight=False)
    raise typer.Exit(result.exit_code)


@app.command("scan-secrets", cls=Command, epilog=EXIT_CODES)
def scan_secrets(
    path: Annotated[Path, typer.Argument(help="repository to scan", metavar="PATH")],
    json_out: Annotated[
        bool, flag("print the findings as JSON instead of a table", "--json")
    ] = False,
    max_file_bytes: Annotated[
        int,
        typer.Option(
            "--max-file-bytes",
            min=1,
            metavar="BYTES",
            help=Settings.model_fields["max_file_bytes"].description,
        ),
    ] = MAX_FILE_BYTES,
) -> None:
    """List what extract would redact (path, line, detector; never the value) for review.

    Exit 0 whether or not secrets were found; 2 when PATH is not a readable folder.
    """
    from ddd_llm.apps.secrets_scan import scan_secrets as run_scan

    report = run_scan(path, max_bytes=max_file_bytes)
    if json_out:
        typer.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print_secrets_report(report)


class FailOn(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    never = "never"


DRIFT_KEEPS = {"out", "llm", "model", "max_file_bytes", "include", "exclude"}


@app.command(cls=Command, epilog=EXIT_CODES)
@extraction_options(
    exclude=set(Settings.model_fields) - DRIFT_KEEPS,
    helps={
        "out": "where an up-to-date facts.json is looked for (default PATH/.ddd)",
        "llm": "the provider the last extract used, so its facts.json is reused "
        "(drift itself never calls a model)",
    },
)
def drift(
    opts: GivenOptions,
    path: Annotated[Path, typer.Argument(help="repository whose facts to compare", metavar="PATH")],
    live: Annotated[
        list[str],
        typer.Option(
            "--live",
            metavar="[SERVICE=][FORMAT:]FILE",
            help="a live dump: `docker compose config`, `kubectl get … -o yaml|json`, `env`, "
            "/proc/PID/environ, .env, `systemctl show`, or the service's config file "
            "(repeatable)",
            show_default=False,
        ),
    ],
    facts: Annotated[
        Path | None,
        typer.Option("--facts", metavar="FILE", help="facts.json to compare with"),
    ] = None,
    fail_on: Annotated[
        FailOn,
        choice(FailOn, "--fail-on", "exit 1 on findings at or above this level"),
    ] = FailOn.high,
    fmt: Annotated[
        ReportFormat,
        choice(ReportFormat, "--format", "text, json (for scripts) or sarif (for CI)"),
    ] = ReportFormat.text,
    json_out: Annotated[bool, flag("same as --format json", "--json")] = False,
    report: Annotated[
        Path | None,
        typer.Option("--report", metavar="FILE", help="write the report to FILE"),
    ] = None,
) -> None:
    """Compare live configuration with the facts: out-of-range values, unknown keys, missing
    probes and limits. Secrets in live sources are redacted before anything is printed.

    Exit 1 on CRITICAL/HIGH findings (see --fail-on), 2 on an unreadable source.
    """
    from ddd_llm.apps.drift import FAIL_ON, fail_reasons, parse_live, run_drift
    from ddd_llm.drift.report import render

    options, _ = resolve(opts, path, notify=note)
    level = FAIL_ON[fail_on.value]
    done = run_drift(path, [parse_live(s) for s in live], options, facts, notify=notify)
    form = ReportFormat.json.value if json_out else fmt.value
    text = render(done.result, form, path, level)
    if report is not None:
        report.write_text(text + "\n", encoding="utf-8")
        err.print(f"wrote {report}", markup=False, highlight=False)
    else:
        typer.echo(text)
    reasons = fail_reasons(done.result, level)
    for reason in reasons:
        err.print(f"fail: {reason}", markup=False, highlight=False)
    raise typer.Exit(1 if reasons else 0)


@app.command(cls=Command, epilog=EXIT_CODES)
def site(
    out: Annotated[
        Path,
        typer.Argument(help="the folder `extract` wrote (holds facts.json)", metavar="OUT"),
    ],
    site_dir: Annotated[
        Path | None,
        typer.Option(
            "--site-dir",
            metavar="DIR",
            help="where mkdocs.yml, docs/ and catalog-info.yaml go (default OUT/site)",
        ),
    ] = None,
    repo_url: RepoUrl = None,
) -> None:
    """Write an mkdocs site (Material theme) and a Backstage catalog-info.yaml from OUT.

    Nav by cadence and service, Mermaid charts, a page per service. The citations link
    to the repository's web pages at the run's commit (the --repo-url, else the git remote
    origin on GitHub or GitLab), or show as plain path:line when neither is known. Build
    it with: mkdocs build --strict -f DIR/mkdocs.yml
    """
    from ddd_llm.render.site import write_site

    result = write_site(out, site_dir, repo_url)
    for text in result.notes:
        note(text)
    where = result.web.home or result.web.base if result.web else None
    err.print(
        f"wrote {result.site_dir / 'mkdocs.yml'}: {len(result.pages)} pages; citations "
        + (f"link to {where}" if where else "shown as text"),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@app.command(cls=Command)
def schema() -> None:
    """Print the JSON Schema of facts.json."""
    from ddd_llm.models import FactsDocument

    typer.echo(json.dumps(FactsDocument.model_json_schema(), indent=2))


@app.command(cls=Command)
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
