"""`python -m ddd_llm.cli`: the same as the `ddd-llm` command, which starts here.

Before typer, pydantic or rich are imported, `exit_if_unchanged` looks at the command line:
`ddd-llm extract PATH [options]` repeated after a run that nothing has changed since
(fingerprint.fast_unchanged) prints what the last run found and where its files are, and
exits 0 — in a few stats instead of the imports and the option resolution of the full CLI.
Anything it does not recognise (another command, --force, -v, a batch, an option it does
not know) goes to the full CLI (ddd_llm/cli/app.py) unchanged.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TextIO

VALUE_OPTIONS = frozenset(
    "--out -o --llm --model --base-url --mode --model-path --cassettes --record --concurrency "
    "--max-tokens --timeout --top-k --budget --max-chunks --prompt-share --kinds --cache-dir "
    "--index-dir --embed-model --max-file-bytes --workers --chroma-url --batch-poll "
    "--include --exclude --repos-dir --manifest --jobs -j --executor --ray-address "
    "--repo-url".split()
)
"""`extract`'s options that take a value (a unit test checks them against the command)."""
FLAG_OPTIONS = frozenset(
    "--dry-run --verbose -v --force --quiet -q --site --no-cache --no-index --batch-api "
    "--prose --no-prose --help".split()
)
"""`extract`'s options that take none."""
FULL_RUN = frozenset(
    "--dry-run --verbose -v --force --site --repo-url --repos-dir --manifest --jobs -j "
    "--executor --ray-address --help".split()
)
"""Options the fast path leaves to the full CLI: they run anyway, print more, or make a batch."""
UNCHANGED = "inputs unchanged since the last run: {facts} kept (--force runs again)"


class Extract(NamedTuple):
    """What the fast path needs of an `extract` command line."""

    path: str
    out: str | None
    quiet: bool


def parse_extract(argv: Sequence[str]) -> Extract | None:
    """`extract PATH` with options the fast path may answer; None for anything else."""
    if not argv or argv[0] != "extract":
        return None
    paths: list[str] = []
    out: str | None = None
    quiet = False
    rest = iter(argv[1:])
    for token in rest:
        if token.startswith("--") and "=" in token:
            name, value = token.split("=", 1)
            if name not in VALUE_OPTIONS or name in FULL_RUN:
                return None
            out = value if name == "--out" else out
        elif token in VALUE_OPTIONS:
            given = next(rest, None)
            if given is None or token in FULL_RUN:
                return None
            out = given if token in ("--out", "-o") else out
        elif token in FLAG_OPTIONS:
            if token in FULL_RUN:
                return None
            quiet = quiet or token in ("--quiet", "-q")
        elif token.startswith("-") and token != "-":
            return None  # `--`, `-qo DIR`, `-oDIR`, an unknown option: the full CLI decides
        else:
            paths.append(token)
    if len(paths) != 1 or not paths[0] or out == "":
        return None
    return Extract(paths[0], out, quiet)


def output_folder(parsed: Extract) -> Path:
    """Where the run of `parsed` writes, as ddd_llm.config.output_dir says (when neither the
    environment nor a pyproject table sets --out: those change the command line's key)."""
    from ddd_llm.fingerprint import OUT_DIRNAME

    return Path(parsed.out) if parsed.out is not None else Path(parsed.path) / OUT_DIRNAME


def unchanged_rerun(argv: Sequence[str]) -> int | None:
    """Print what the kept run found and return 0 when `argv` is an `extract` nothing has
    changed for since; None when the full CLI is to decide."""
    parsed = parse_extract(argv)
    if parsed is None:
        return None
    from ddd_llm.fingerprint import FACTS_FILE, fast_unchanged

    out = output_folder(parsed)
    try:
        summary = fast_unchanged(Path(parsed.path), out, argv)
    except Exception:  # noqa: BLE001 - the fast path never fails a run: the full CLI decides
        return None
    if summary is None:
        return None
    if not parsed.quiet:
        sys.stderr.write(UNCHANGED.format(facts=out / FACTS_FILE) + "\n")
    print_unchanged(summary, out, quiet=parsed.quiet)
    return 0


def print_unchanged(
    summary: Mapping[str, Any], out: Path, *, quiet: bool = False, stream: TextIO | None = None
) -> None:
    """What the kept run found (ddd_llm.fingerprint.run_summary) and where its files are;
    with `quiet`, the one line a quiet run prints (console.print_one_line)."""
    from ddd_llm.fingerprint import one_line

    write = (stream or sys.stdout).write
    scores = summary.get("scores", {})
    if quiet:
        write(one_line(summary, out) + "\n")
    else:
        write(
            f"ddd-llm extract — {summary['root']}: unchanged since the run that finished at "
            f"{summary.get('finished_at')}\n"
            f"files scanned: {summary.get('files_scanned')} · "
            f"services: {summary.get('services')} · facts: {summary['facts']} · "
            f"gaps: {summary['gaps']} · failed model calls: {summary['failures']}\n"
            f"scores: daily {scores.get('daily')} · weekly {scores.get('weekly')} · "
            f"monthly {scores.get('monthly')} · overall {scores.get('overall')}\n"
            f"kept in {out}: {', '.join(summary.get('outputs', []))}\n"
        )
    (stream or sys.stdout).flush()


def record_invocation(path: Path, out: Path, fingerprint: str | None) -> bool:
    """After `extract` ran or found its inputs unchanged: note the command line the entry
    point was started with, so that the same command finds the run unchanged by
    `unchanged_rerun`. Only a command line that names this run's PATH and output folder."""
    from ddd_llm import fingerprint as fp

    entry = fp.ENTRY
    parsed = parse_extract(entry.argv) if entry is not None else None
    if entry is None or parsed is None or fingerprint is None:
        return False
    try:
        same = Path(parsed.path) == path and (output_folder(parsed).resolve() == out.resolve())
    except OSError:
        return False
    return same and fp.remember_invocation(path, out, fingerprint, entry)


def exit_if_unchanged(argv: Sequence[str] | None = None) -> None:
    """Exit 0 here when the command line (default: sys.argv) is an unchanged re-run."""
    from ddd_llm import fingerprint

    args = list(sys.argv[1:] if argv is None else argv)
    fingerprint.ENTRY = fingerprint.Invocation.now(args)
    code = unchanged_rerun(args)
    if code is not None:
        raise SystemExit(code)


def main() -> None:
    """The `ddd-llm` command."""
    from ddd_llm import fingerprint

    try:
        exit_if_unchanged()
        from ddd_llm.cli.app import main as full

        full()
    finally:
        fingerprint.ENTRY = None


if __name__ == "__main__":
    main()
