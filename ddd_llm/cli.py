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
    from ddd_llm.console import err

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
    int, typer.Option("--max-tokens", min=16, help="cap on each model answer's length")
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="seconds per model call")]
TopKOpt = Annotated[int, typer.Option("--top-k", min=1, help="index hits per query")]
BudgetOpt = Annotated[int, typer.Option("--budget", help="max prompt tokens per excerpt")]
MaxChunksOpt = Annotated[
    int | None,
    typer.Option(
        "--max-chunks",
        min=0,
        help="excerpts asked about per kind (default: all; 3 for the local model)",
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
    max_tokens: int = 2048,
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
    from ddd_llm.console import err
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
    path: Annotated[Path, typer.Argument(help="repository to read")],
    out: OutOpt = None,
    llm: LlmOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    mode: ModeOpt = "tools",
    model_path: ModelPathOpt = None,
    cassettes: CassettesOpt = None,
    record: RecordOpt = None,
    concurrency: ConcurrencyOpt = 8,
    max_tokens: MaxTokensOpt = 2048,
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
) -> None:
    """Extract operational facts and write facts.json and the runbooks."""
    from ddd_llm.console import err, print_plan, print_report, progress_bar
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
    provider = options.llm

    def notify(msg: str) -> None:
        err.print(f"[dim]{msg}[/dim]", highlight=False)

    try:
        if dry_run:
            plan, model_name = plan_only(path, options, notify=notify)
            print_plan(plan, provider, model_name)
            return
        with progress_bar() as update:
            result = run_extract(path, options, notify=notify, progress=update)
    except DddError as error:
        raise _fail(error) from None
    print_report(result.document, verbose=verbose)
    for artifact in result.artifacts:
        err.print(f"wrote {artifact}", markup=False, highlight=False)


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
