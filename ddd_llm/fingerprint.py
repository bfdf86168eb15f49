"""Run fingerprints: one hash of everything that decides a run's output, to skip unchanged work.

A run's output (facts.json and the artifacts) is a function of: the bytes of the files
scan keeps, the options and environment that choose the model and what it is asked, the
repository's path and commit, and the tool itself (its version, shipped prompts and
templates). `fingerprint()` hashes exactly that; `extract` stores it in
`run.fingerprint`, and a later command compares:

    doc = up_to_date(repo, options)        # hashes the files scan would read, compares
    if doc is None:
        doc = extract(repo, options).document

Comparing reads and hashes the files but neither decodes nor redacts them, nor chunks,
embeds or asks anything. `up_to_date` is the one call `check`, `ask` and batch runs use;
`run_fingerprint` is what `extract` stores; `reusable_run` compares a known fingerprint
with a facts.json.

Faster still, `fast_unchanged` decides an unchanged re-run of a command line without
resolving its options at all: `extract` records, beside the run (ddd_llm/scan/known.py),
a salted hash of each command line that led to it (`invocation_key`: its arguments, the
current folder, the environment, the pyproject tables options are read from); the same
key, the same tool, commit and outputs, and the same folder listings and file stats mean
the same fingerprint. This module imports only the standard library at its top, so that
the `ddd-llm` entry point can ask it before loading typer, pydantic or anything else.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ddd_llm import __version__
from ddd_llm.resources import data_dir
from ddd_llm.scan import known

if TYPE_CHECKING:
    from ddd_llm.config import ExtractOptions
    from ddd_llm.models import FactsDocument

FINGERPRINT_VERSION = 3
"""Bumped when the recipe below changes, so old fingerprints never match by accident."""
ARTIFACT_FILES = (
    "runbook-daily.md",
    "runbook-weekly.md",
    "runbook-monthly.md",
    "preflight-checklist.md",
    "validation-procedures.md",
    "escalation.md",
    "compliance-report.md",
    "gaps.md",
    "claims-to-confirm.md",
    "README.md",
)
"""The files every extract writes: ddd_llm.render.renderer.ARTIFACTS' names (equal: a unit
test checks). Not imported from there: the renderer loads the assessor, the verifier and
Jinja, which an unchanged re-run, which only compares hashes, must not wait for."""
MODEL_ENVIRONMENT = ("DDD_LLM_MODEL", "OPENAI_BASE_URL")
"""Environment variables that choose the model when options do not (openai provider)."""
FACTS_FILE = "facts.json"
"""ddd_llm.config.FACTS_FILE (equal: a unit test checks), not imported: config loads pydantic."""
OUT_DIRNAME = ".ddd"
"""ddd_llm.config.OUT_DIRNAME, likewise."""
REPORT_FILE = "report.html"
"""ddd_llm.render.report_html.REPORT_FILE, likewise (that module loads Jinja)."""
VOLATILE_ENVIRONMENT = frozenset(
    "_ OLDPWD PWD SHLVL COLUMNS LINES TERM COLORTERM TERM_PROGRAM TERM_PROGRAM_VERSION "
    "TERM_SESSION_ID WINDOWID DISPLAY XAUTHORITY SSH_AUTH_SOCK SSH_AGENT_PID SSH_CLIENT "
    "SSH_CONNECTION SSH_TTY TMUX TMUX_PANE STY WINDOW PS1 PS2 PROMPT_COMMAND HISTFILE "
    "LS_COLORS GPG_TTY DBUS_SESSION_BUS_ADDRESS SECURITYSESSIONID PYTEST_CURRENT_TEST "
    "INVOCATION_ID JOURNAL_STREAM".split()
)
"""Environment variables a shell or terminal changes between two identical commands, and
that choose no option: left out of `invocation_key` (every other variable is in it)."""


class Invocation(NamedTuple):
    """A command line as the `ddd-llm` entry point was started with it."""

    argv: list[str]
    environ: dict[str, str]
    cwd: str

    @classmethod
    def now(cls, argv: Sequence[str]) -> Invocation:
        return cls(list(argv), dict(os.environ), os.getcwd())


ENTRY: Invocation | None = None
"""How the `ddd-llm` entry point was started (ddd_llm.cli.__main__), for `extract` to
record: taken before the run, which may set environment variables of its own. None in a
library call or a test's CliRunner."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_DIGESTS: dict[tuple[str, tuple[tuple[str, int, int], ...]], str] = {}
"""Folder digests by (folder, every file's name, size and mtime): a batch of many
repositories hashes the same prompts, templates and cassettes once, not once per repository."""


def _folder_digest(folder: Path) -> str:
    """Content hash of every file under `folder` (names and bytes), in a stable order."""
    files: list[tuple[str, Path]] = []
    signature: list[tuple[str, int, int]] = []
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(folder).as_posix()
            files.append((rel, path))
            try:
                stat = path.stat()
                signature.append((rel, stat.st_size, stat.st_mtime_ns))
            except OSError:
                signature.append((rel, -1, -1))
    key = (str(folder.resolve()), tuple(signature))
    if key in _DIGESTS:
        return _DIGESTS[key]
    digest = hashlib.sha256()
    for rel, path in files:
        try:
            digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
        except OSError:
            digest.update(rel.encode() + b"\0unreadable\0")
    _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def tool_digest() -> str:
    """The tool's own part: version, shipped prompts and templates."""
    parts = [
        __version__,
        _folder_digest(data_dir("prompts")),
        _folder_digest(data_dir("templates")),
    ]
    return _sha("\0".join(parts).encode())


def fingerprint(files: Iterable[tuple[str, str]], settings: Mapping[str, object]) -> str:
    """sha256 of (path, content) pairs, in path order, and of the JSON-able settings.

    A run passes each kept file's path and the sha256 of its bytes (`ScannedFile.sha256`).
    """
    digest = hashlib.sha256(f"ddd-llm-fingerprint-v{FINGERPRINT_VERSION}\0".encode())
    for path, text in sorted(files):
        digest.update(path.encode() + b"\0" + _sha(text.encode("utf-8", "replace")).encode())
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def run_settings(repo: Path, options: ExtractOptions, commit: str | None) -> dict[str, object]:
    """The options, environment and repository facts that decide a run's output."""
    from ddd_llm.llm import capabilities

    settings: dict[str, object] = {
        "tool": tool_digest(),
        "repo": str(repo),
        "commit": commit,
        "llm": options.llm,
        "max_file_bytes": options.max_file_bytes,
        "include": list(options.include),
        "exclude": list(options.exclude),
    }
    if capabilities(options.llm).answers_questions:
        # Only a run that asks a model depends on which model, how, and about what.
        ps = options.provider_settings
        settings.update(
            model=ps.model,
            base_url=ps.base_url,
            mode=ps.mode,
            model_path=_file_identity(ps.model_path),
            cassettes=_folder_digest(Path(ps.cassettes)) if ps.cassettes else None,
            max_tokens=ps.max_tokens,
            temperature=ps.temperature,
            seed=ps.seed,
            n_ctx=ps.n_ctx,
            kinds=list(options.kinds),
            index=options.index,
            top_k=options.top_k,
            budget=options.budget,
            max_retries=options.max_retries,
            max_chunks=options.max_chunks_per_kind,
            environment={k: os.environ.get(k) for k in MODEL_ENVIRONMENT},
        )
        if options.embed_model != "fp32":  # fp32 runs keep the fingerprints they had
            settings["embed_model"] = options.embed_model
        if options.prompt_share != 0.0:  # None: the provider's default (its name is above)
            settings["prompt_share"] = options.prompt_share
    return settings


def _file_identity(path: str | None) -> str | None:
    if not path:
        return None
    try:
        stat = Path(path).stat()
    except OSError:
        return path
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


def run_git(folder: Path, args: Sequence[str]) -> str | None:
    """`git -C folder ARGS`'s output, or None when git is missing or the command fails."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and out else None


def git_commit(root: Path) -> str | None:
    """The repository's HEAD commit, or None outside git (or when git is missing)."""
    if not (root / ".git").exists():
        return None
    sha = run_git(root, ["rev-parse", "HEAD"])
    return sha if sha is not None and len(sha) == 40 else None


def run_fingerprint(
    repo: Path, options: ExtractOptions, files: Iterable[tuple[str, str]], commit: str | None
) -> str:
    """The fingerprint `extract` stores; `files`: (path, sha256 of its bytes) of each kept file."""
    return fingerprint(files, run_settings(repo, options, commit))


def current_inputs(repo: Path, options: ExtractOptions) -> list[tuple[str, str]]:
    """(path, sha256 of the bytes) of the files a run would read now: no decoding, no redaction;
    a file whose stat the last run in the output folder remembered is not read again."""
    from ddd_llm.config import output_dir
    from ddd_llm.scan.scanner import input_digests

    remembered = known.recall(output_dir(repo, options), Path(repo))
    return input_digests(
        Path(repo), max_bytes=options.max_file_bytes, include=options.include, known=remembered
    )


def current_fingerprint(repo: Path, options: ExtractOptions) -> str:
    """The fingerprint a run would get now: hashes the files, embeds and asks nothing."""
    return run_fingerprint(repo, options, current_inputs(repo, options), git_commit(Path(repo)))


def reusable_run(
    out_dir: Path, expected: str, artifacts: Iterable[str] = (), root: Path | None = None
) -> FactsDocument | None:
    """The run in `out_dir` when its fingerprint is `expected` and every artifact exists;
    with `root`, also every output the run recorded (known.py) has the bytes it wrote."""
    from pydantic import ValidationError

    from ddd_llm.models import FactsDocument

    path = out_dir / FACTS_FILE
    try:
        doc = FactsDocument.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError):
        return None  # missing, unreadable or from an incompatible version: run again
    if doc.run.fingerprint != expected:
        return None
    if any(not (out_dir / name).is_file() for name in artifacts):
        return None
    run = known.recall_run(out_dir, root) if root is not None else None
    if run is not None and run.get("fingerprint") == expected:
        if not known.outputs_intact(out_dir, run):
            return None  # an artifact (or facts.json) edited since: write them again
    return doc


def up_to_date(
    repo: Path, options: ExtractOptions, *, also: Sequence[ExtractOptions] = ()
) -> FactsDocument | None:
    """The previous run's document when nothing that decides its output has changed.

    `also`: other options the run may have been made with (the files are hashed once);
    `ask` accepts the static run it extracts itself when facts.json is missing.
    """
    from ddd_llm.config import output_dir

    out_dir = output_dir(repo, options)
    if not (out_dir / FACTS_FILE).is_file() or not Path(repo).is_dir():
        return None
    started = known.now_ns()
    inputs = current_inputs(repo, options)
    commit = git_commit(Path(repo))
    for candidate in (options, *also):
        doc = reusable_run(
            out_dir, run_fingerprint(repo, candidate, inputs, commit), ARTIFACT_FILES, Path(repo)
        )
        if doc is not None:
            _refresh(Path(repo), out_dir, options, doc, inputs, started)
            return doc
    return None


def _refresh(
    root: Path,
    out_dir: Path,
    options: ExtractOptions,
    doc: FactsDocument,
    inputs: Sequence[tuple[str, str]],
    started_ns: int,
) -> None:
    """Remember the kept run again when its record no longer vouches for it (files touched
    but not changed, files too new to trust at the run, a record from an older version), so
    that the next re-run reads no file and the same command line is answered from stats."""
    from ddd_llm.scan import scanner

    run = known.recall_run(out_dir, root)
    if (
        run is not None
        and run.get("fingerprint") == doc.run.fingerprint
        and known.outputs_unchanged(out_dir, run)
        and known.inputs_unchanged(root, run)
    ):
        return  # it still vouches for everything
    if doc.run.fingerprint is None:
        return
    # The scan's skips (ignored and unentered folders), from a walk that reads no file.
    walked = scanner.walk_skips(root, options.max_file_bytes, options.include)
    names = [FACTS_FILE, *ARTIFACT_FILES, REPORT_FILE]
    if run is not None and run.get("fingerprint") == doc.run.fingerprint:
        names = list(run.get("outputs") or names)
    skipped = [(s.path, s.reason) for s in walked.skipped]
    written = [out_dir / name for name in names if (out_dir / name).is_file()]
    known.remember(out_dir, root, inputs, started_ns, run_record(doc, skipped, written))


def one_line(summary: Mapping[str, Any], out_dir: Path) -> str:
    """A run in the one line `--quiet` prints (console.print_one_line, the fast re-run)."""
    return (
        f"ddd-llm: {summary['root']} · {summary['facts']} facts · {summary['gaps']} gaps · "
        f"overall {summary['scores'].get('overall')} · {summary['failures']} failed calls · "
        f"{out_dir}"
    )


def run_summary(doc: FactsDocument, outputs: Iterable[str] = ()) -> dict[str, Any]:
    """What an unchanged re-run says about the run it kept (ddd_llm.cli.__main__)."""
    return {
        "root": doc.repo.root,
        "finished_at": doc.run.finished_at,
        "files_scanned": doc.run.files_scanned,
        "services": len(doc.services),
        "facts": len(doc.facts),
        "gaps": len(doc.gaps),
        "failures": len(doc.run.failures),
        "scores": doc.scores.model_dump(mode="json"),
        "outputs": list(outputs) or [FACTS_FILE, *ARTIFACT_FILES, REPORT_FILE],
    }


def run_record(
    doc: FactsDocument, skipped: Iterable[tuple[str, str]], written: Sequence[Path]
) -> known.RunRecord:
    """What `extract` remembers of a finished run beside its input digests (known.remember)."""
    assert doc.run.fingerprint is not None
    return known.RunRecord(
        fingerprint=doc.run.fingerprint,
        commit=doc.repo.commit,
        tool=tool_digest(),
        skipped=list(skipped),
        outputs=list(written),
        summary=run_summary(doc, [p.name for p in written]),
    )


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def invocation_key(
    salt: str,
    argv: Sequence[str],
    repo: Path,
    *,
    cwd: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """A salted hash of everything options are resolved from (ddd_llm.config.load_settings):
    the arguments, the current folder, the environment (but VOLATILE_ENVIRONMENT) and the
    two pyproject.toml files read. Salted: the environment may hold an API key."""
    env = os.environ if environ is None else environ
    here = os.getcwd() if cwd is None else cwd
    digest = hashlib.sha256(f"ddd-llm-invocation-v1\0{salt}\0".encode())
    digest.update(json.dumps([list(argv), here], ensure_ascii=False).encode("utf-8", "replace"))
    for name in sorted(env):
        if name not in VOLATILE_ENVIRONMENT:
            digest.update(f"\0{name}={env[name]}".encode("utf-8", "surrogateescape"))
    for path in (Path(here) / "pyproject.toml", Path(here) / repo / "pyproject.toml"):
        data = _read_or_none(path)
        digest.update(b"\0absent" if data is None else b"\0" + _sha(data).encode())
    return digest.hexdigest()


def remember_invocation(
    repo: Path, out_dir: Path, fingerprint: str, invocation: Invocation
) -> bool:
    """Record that the command line `invocation` led to the run (`fingerprint`) in
    `out_dir`, so that the same command line finds it unchanged by `fast_unchanged`."""
    run = known.recall_run(out_dir, repo)
    if run is None or run.get("fingerprint") != fingerprint:
        return False
    argv, environ, cwd = invocation
    key = invocation_key(str(run.get("salt")), argv, repo, cwd=cwd, environ=environ)
    return known.add_invocation(out_dir, repo, fingerprint, key)


def fast_unchanged(repo: Path, out_dir: Path, argv: Sequence[str]) -> Mapping[str, Any] | None:
    """The summary of the run in `out_dir` when the command line `argv` led to it and
    nothing it depends on changed since: the options' sources (`invocation_key`), the tool,
    its outputs, the folders and files the scan would read, the commit. None when anything
    differs or cannot be told; the full check (`up_to_date`) then decides."""
    run = known.recall_run(out_dir, repo)
    if run is None or not isinstance(run.get("summary"), dict):
        return None
    if invocation_key(str(run.get("salt")), argv, repo) not in run.get("invocations", []):
        return None
    if run.get("tool") != tool_digest() or not known.outputs_unchanged(out_dir, run):
        return None
    if not known.inputs_unchanged(repo, run):
        return None
    if run.get("commit") != git_commit(repo):
        return None
    summary: Mapping[str, Any] = run["summary"]
    return summary
