"""Command-line interface: parse arguments, call one library function, render the result."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ddd_llm import __version__
from ddd_llm.errors import DddError

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


@app.command()
def extract(
    path: Annotated[Path, typer.Argument(help="repository to read")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="output folder (default PATH/.ddd)")
    ] = None,
    llm: Annotated[
        str, typer.Option("--llm", help="LLM provider: none (static evidence only)")
    ] = "none",
    index_dir: Annotated[
        Path | None, typer.Option("--index-dir", help="chroma index folder (default OUT/index)")
    ] = None,
    no_index: Annotated[
        bool, typer.Option("--no-index", help="skip chunk embedding and the vector index")
    ] = False,
    max_file_bytes: Annotated[
        int, typer.Option("--max-file-bytes", help="skip files larger than this")
    ] = 1_000_000,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="list every skipped file")
    ] = False,
) -> None:
    """Extract operational facts and write facts.json and the runbooks."""
    from ddd_llm.console import err, print_report
    from ddd_llm.llm import get_provider
    from ddd_llm.pipeline import ExtractOptions
    from ddd_llm.pipeline import extract as run_extract

    try:
        get_provider(llm)
        result = run_extract(
            path,
            ExtractOptions(
                out_dir=out,
                index_dir=index_dir,
                llm=llm,
                max_file_bytes=max_file_bytes,
                index=not no_index,
            ),
            notify=lambda msg: err.print(f"[dim]{msg}[/dim]"),
        )
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
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
