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
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from pydantic import ValidationError

from ddd_llm import __version__
from ddd_llm.config import FACTS_FILE, ExtractOptions, output_dir
from ddd_llm.llm import capabilities
from ddd_llm.models import FactsDocument
from ddd_llm.resources import data_dir
from ddd_llm.scan.known import recall
from ddd_llm.scan.scanner import input_digests

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
    known = recall(output_dir(repo, options), Path(repo))
    return input_digests(
        Path(repo), max_bytes=options.max_file_bytes, include=options.include, known=known
    )


def current_fingerprint(repo: Path, options: ExtractOptions) -> str:
    """The fingerprint a run would get now: hashes the files, embeds and asks nothing."""
    return run_fingerprint(repo, options, current_inputs(repo, options), git_commit(Path(repo)))


def reusable_run(
    out_dir: Path, expected: str, artifacts: Iterable[str] = ()
) -> FactsDocument | None:
    """The run in `out_dir` when its fingerprint is `expected` and every artifact exists."""
    path = out_dir / FACTS_FILE
    try:
        doc = FactsDocument.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError):
        return None  # missing, unreadable or from an incompatible version: run again
    if doc.run.fingerprint != expected:
        return None
    if any(not (out_dir / name).is_file() for name in artifacts):
        return None
    return doc


def up_to_date(
    repo: Path, options: ExtractOptions, *, also: Sequence[ExtractOptions] = ()
) -> FactsDocument | None:
    """The previous run's document when nothing that decides its output has changed.

    `also`: other options the run may have been made with (the files are hashed once);
    `ask` accepts the static run it extracts itself when facts.json is missing.
    """
    out_dir = output_dir(repo, options)
    if not (out_dir / FACTS_FILE).is_file() or not Path(repo).is_dir():
        return None
    inputs = current_inputs(repo, options)
    commit = git_commit(Path(repo))
    for candidate in (options, *also):
        doc = reusable_run(
            out_dir, run_fingerprint(repo, candidate, inputs, commit), ARTIFACT_FILES
        )
        if doc is not None:
            return doc
    return None
