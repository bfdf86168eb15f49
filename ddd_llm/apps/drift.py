"""`ddd-llm drift`: compare live configuration with the facts of a repository.

Facts come from `--facts FILE`, else from an up-to-date run in the output folder (as `check`
reuses one), else from a static run (`--llm none`) into a temporary folder that is removed.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ddd_llm.config import ExtractOptions
from ddd_llm.drift.compare import DriftResult, Level, compare
from ddd_llm.drift.sources import FORMATS, Format, LiveSource, read_source
from ddd_llm.errors import InputError
from ddd_llm.fingerprint import up_to_date
from ddd_llm.models import FactsDocument
from ddd_llm.pipeline import ExtractResult, Notify, extract, read_facts
from ddd_llm.scan.scanner import require_readable

FAIL_ON: dict[str, Level | None] = {
    "critical": "CRITICAL",
    "high": "HIGH",
    "medium": "MEDIUM",
    "never": None,
}
"""--fail-on's choices: exit 1 on findings at or above the level (`never`: report only)."""

_SERVICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class LiveSpec:
    """One `--live` argument: `FILE`, `SERVICE=FILE` or `SERVICE=FORMAT:FILE`."""

    path: Path
    service: str | None = None
    fmt: Format | None = None


def parse_live(text: str) -> LiveSpec:
    service: str | None = None
    rest = text
    head, sep, tail = text.partition("=")
    if sep and _SERVICE.match(head) and not Path(text).exists():
        service, rest = head, tail
    fmt: Format | None = None
    kind, sep, tail = rest.partition(":")
    if sep and kind in FORMATS and not Path(rest).exists():
        fmt, rest = kind, tail
    if not rest:
        raise InputError(
            f"--live {text!r} names no file",
            hint="pass --live FILE, --live SERVICE=FILE or --live SERVICE=FORMAT:FILE",
        )
    return LiveSpec(Path(rest), service, fmt)


@dataclass
class DriftRun:
    document: FactsDocument
    result: DriftResult
    facts_from: str


def facts_for(
    repo: Path,
    options: ExtractOptions,
    facts_file: Path | None = None,
    *,
    notify: Notify | None = None,
    run: Callable[..., ExtractResult] = extract,
) -> tuple[FactsDocument, str]:
    """The facts to compare with, and where they came from."""
    say = notify or (lambda _msg: None)
    if facts_file is not None:
        return read_facts(facts_file), str(facts_file)
    static = replace(options, llm="none")
    doc = up_to_date(repo, options, also=[static])
    if doc is not None:
        say("reusing the up-to-date facts in the output folder")
        return doc, "up-to-date run"
    require_readable(repo, max_bytes=options.max_file_bytes)
    say("no up-to-date facts.json: reading the repository (static evidence, no model)")
    with tempfile.TemporaryDirectory(prefix="ddd-drift-") as tmp:
        temp = replace(static, out_dir=Path(tmp), index=False, prose=False, index_dir=None)
        return run(repo, temp).document, "static run (--llm none)"


def run_drift(
    repo: Path,
    live: list[LiveSpec],
    options: ExtractOptions,
    facts_file: Path | None = None,
    *,
    notify: Notify | None = None,
) -> DriftRun:
    if not live:
        raise InputError(
            "no live source given",
            hint="pass --live FILE (repeatable): `docker compose config`, `kubectl get … -o "
            "yaml`, `env`, /proc/PID/environ, .env, `systemctl show UNIT` or a config file",
        )
    sources: list[LiveSource] = [read_source(s.path, s.service, s.fmt) for s in live]
    doc, origin = facts_for(repo, options, facts_file, notify=notify)
    return DriftRun(doc, compare(doc, sources), origin)


def fail_reasons(result: DriftResult, fail_on: Level | None) -> list[str]:
    failing = result.failing(fail_on)
    if not failing:
        return []
    counts: dict[str, int] = {}
    for f in failing:
        counts[f.level] = counts.get(f.level, 0) + 1
    what = ", ".join(f"{n} {level}" for level, n in counts.items())
    return [
        f"{what} drift finding(s) — fix the live values, or pass --fail-on critical "
        "(fail only on CRITICAL) or --fail-on never (report only)"
    ]
