"""Scan stage: walk a repository, honouring .gitignore, and keep the text files worth reading.

Every file's text is redacted here, as it is read: no later stage (chunks, index, analyzers,
prompts, artifacts) ever holds a secret's value. `redactions` says what was masked where.
Every kept file is classified (ddd_llm/scan/linguist.py): `shown` says whether the model may
see it, `analyzed` whether the analyzers read it, and `exclusions` lists the others, with why.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from ddd_llm.errors import InputError
from ddd_llm.models import Diagnostic, Skipped
from ddd_llm.scan.known import Known, now_ns, stat_key, utf8_name
from ddd_llm.scan.linguist import NORMAL, Verdict, classify_files
from ddd_llm.scan.pool import pool_map, pool_size

VENDORED_DIRS = frozenset(
    {
        "node_modules",
        "vendor",
        "third_party",
        "bower_components",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "site-packages",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".terraform",
        ".gradle",
        ".idea",
        ".vscode",
    }
)
"""Directories holding other people's code or tool caches: counted as skipped, never read.
(Any other folder holding a `pyvenv.cfg` is a virtualenv and skipped too: `env/` is often a
folder of per-environment configuration, so the name alone does not decide.)"""

ALWAYS_SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".ddd"})
"""Version-control metadata and ddd-llm's own output: not part of the repository's content."""

BINARY_SUFFIXES = frozenset(
    ".png .jpg .jpeg .gif .bmp .ico .webp .pdf .zip .gz .tgz .bz2 .xz .7z .tar .jar .war .class "
    ".so .dylib .dll .exe .o .a .pyc .pyo .whl .gguf .onnx .bin .woff .woff2 .ttf .otf .eot .mp3 "
    ".mp4 .mov .avi .wav .sqlite .db .parquet .pkl .npy .npz .pt .h5".split()
)
MAX_FILE_BYTES = 1_000_000

SECRET_FILE_SUFFIXES = frozenset({".pem", ".key", ".p12", ".pfx", ".jks", ".keystore"})
SECRET_FILE_NAMES = frozenset({"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".netrc", ".pgpass"})
TEMPLATE_ENV_SUFFIXES = (".example", ".sample", ".template", ".dist", ".tmpl", ".defaults")


def holds_live_secrets(name: str) -> bool:
    """`.env`, `.env.production`, private keys: files whose values are live credentials."""
    lower = name.lower()
    if lower in SECRET_FILE_NAMES or Path(lower).suffix in SECRET_FILE_SUFFIXES:
        return True
    if lower == ".env" or lower.startswith(".env.") or lower.endswith(".env"):
        return not lower.endswith(TEMPLATE_ENV_SUFFIXES) and "example" not in lower
    return False


@dataclass(frozen=True)
class ScannedFile:
    path: str
    """Repo-relative, forward slashes."""
    text: str
    """Decoded and redacted: secrets are `[REDACTED]`, the lines are those of the file."""
    sha256: str
    """Of the bytes on disk."""
    size: int


@dataclass(frozen=True)
class Redaction:
    """A secret masked in a scanned file: where, and which detector found it (never the value)."""

    path: str
    line: int
    kind: str
    end_line: int


@dataclass
class ScanResult:
    root: Path
    files: list[ScannedFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    redactions: list[Redaction] = field(default_factory=list)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    """Each kept file's category (vendored, generated, lock, …), by path."""
    started_ns: int = 0
    """When `scan` began walking (wall clock, ns): `known.remember` trusts older files only."""

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append(Skipped(path=path, reason=reason))

    def verdict(self, path: str) -> Verdict:
        return self.verdicts.get(path, NORMAL)

    def shown(self, path: str) -> bool:
        """Whether the model may be shown (and the index may hold) this file's lines."""
        return not self.verdict(path).junk

    def analyzed(self, path: str) -> bool:
        """Whether the static analyzers read this file."""
        return self.verdict(path).analyzed

    def exclusions(self) -> list[Skipped]:
        """The kept files the model is never shown, each with its category and rule."""
        return [
            Skipped(path=f.path, reason=self.verdict(f.path).report)
            for f in self.files
            if not self.shown(f.path)
        ]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_ignore(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


@dataclass
class _IgnoreRules:
    """The .gitignore files met on the way down, each applied relative to its own directory."""

    specs: list[tuple[str, pathspec.PathSpec[Any], re.Pattern[str] | None]] = field(
        default_factory=list
    )

    def with_dir(self, rel_dir: str, directory: Path) -> _IgnoreRules:
        lines = _read_ignore(directory / ".gitignore")
        if rel_dir == "":
            lines += _read_ignore(directory / ".git" / "info" / "exclude")
        if not lines:
            return self
        spec = pathspec.PathSpec.from_lines("gitwildmatch", lines)
        return _IgnoreRules([*self.specs, (rel_dir, spec, _any_pattern(spec))])

    def ignored(self, rel_path: str, is_dir: bool) -> bool:
        result = False
        for base, spec, anyone in self.specs:
            if base and not rel_path.startswith(base + "/"):
                continue
            sub = rel_path[len(base) + 1 :] if base else rel_path
            if is_dir:
                sub += "/"
            if anyone is not None and anyone.search(sub) is None:
                continue  # no pattern of this file matches: it has no say
            # Later (deeper) files override earlier ones, as git does.
            verdict = spec.check_file(sub).include
            if verdict is not None:
                result = verdict
        return result


def _any_pattern(spec: pathspec.PathSpec[Any]) -> re.Pattern[str] | None:
    """One regular expression matching where any pattern of `spec` does (None: cannot build
    it). Most paths match no pattern; one search tells so, where `check_file` runs them all."""
    sources: list[str] = []
    for pattern in spec.patterns:
        if getattr(pattern, "include", None) is None:
            continue  # a comment or blank line
        regex = getattr(pattern, "regex", None)
        if not isinstance(regex, re.Pattern) or not isinstance(regex.pattern, str):
            return None
        # Group names repeat across patterns; only whether something matches counts here.
        sources.append(re.sub(r"\(\?P<\w+>", "(?:", regex.pattern))
    if not sources:
        return None
    try:
        return re.compile("|".join(f"(?:{s})" for s in sources))
    except re.error:
        return None


def _is_virtualenv(directory: Path) -> bool:
    try:
        return (directory / "pyvenv.cfg").is_file()
    except OSError:
        return False


def _decode(data: bytes, rel: str, result: ScanResult) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        result.warnings.append(
            Diagnostic(
                path=rel,
                line=line,
                message="not valid UTF-8; undecodable bytes replaced with U+FFFD",
                source="scan",
            )
        )
        return data.decode("utf-8", errors="replace")


_CONTROL = bytes(b for b in range(32) if b < 9 or 13 < b)
"""The control bytes (but tab, line feed, vertical tab, form feed and carriage return)."""


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    if not head:
        return False
    control = len(head) - len(head.translate(None, _CONTROL))
    return control / len(head) > 0.10


def _shown(rel: str) -> str:
    """A path with undecodable bytes (surrogate escapes) shown as U+FFFD."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def included_folders(include: Sequence[str]) -> Callable[[str], bool]:
    """Whether an --include glob names a path inside a folder scan would not walk
    (`vendor/acme/**` reaches into `vendor/`; `*.js` or `**/x` reach into none)."""
    prefixes = []
    for glob in include:
        literal = re.split(r"[*?\[]", glob.strip().lstrip("/"), maxsplit=1)[0]
        if "/" in literal:
            prefixes.append(literal)

    def reaches(rel_dir: str) -> bool:
        folder = rel_dir + "/"
        return any(p.startswith(folder) or folder.startswith(p) for p in prefixes)

    return reaches


def _walk(
    root: Path, result: ScanResult, reaches: Callable[[str], bool] = lambda _rel: False
) -> Iterator[tuple[str, Path]]:
    stack: list[tuple[str, Path, _IgnoreRules]] = [("", root, _IgnoreRules().with_dir("", root))]
    while stack:
        rel_dir, directory, rules = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            result.skip(rel_dir or ".", f"directory not readable: {exc.strerror or exc}")
            continue
        subdirs: list[tuple[str, Path, _IgnoreRules]] = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if not utf8_name(entry.name):
                # Such a name cannot go into facts.json, a citation or the index as it is.
                result.skip(_shown(rel), "file name is not valid UTF-8 (rename it to read it)")
                continue
            try:
                if entry.is_symlink():
                    # Never followed: it may point outside the repository, nowhere, or in a loop.
                    result.skip(rel, "symlink (not followed)")
                    continue
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError as exc:
                result.skip(rel, f"not readable: {exc.strerror or exc}")
                continue
            if is_dir:
                if entry.name in ALWAYS_SKIP_DIRS:
                    continue
                if rules.ignored(rel, is_dir=True):
                    result.skip(rel + "/", "ignored by .gitignore")
                    continue
                path = Path(entry.path)
                vendored = entry.name in VENDORED_DIRS or _is_virtualenv(path)
                if vendored and not reaches(rel):
                    result.skip(rel + "/", "vendored or generated directory")
                    continue
                subdirs.append((rel, path, rules.with_dir(rel, path)))
                continue
            if rules.ignored(rel, is_dir=False):
                result.skip(rel, "ignored by .gitignore")
                continue
            yield rel, Path(entry.path)
        stack.extend(reversed(subdirs))


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
"""Non-blocking so a file swapped for a FIFO after the stat cannot hang the open; no-follow so
one swapped for a symlink is not followed."""


def _read(path: Path, max_bytes: int) -> bytes | str:
    """The file's bytes, or why they were not read; never more than `max_bytes` + 1 bytes."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return f"not readable: {exc.strerror or exc}"
    try:
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return "not a regular file (FIFO, socket or device)"
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return f"not readable: {exc.strerror or exc}"
    if len(data) > max_bytes:
        return f"larger than {max_bytes} bytes (grew while being read)"
    return data


def _check_root(root: Path) -> None:
    if not root.exists():
        raise InputError(
            f"repository path {root} does not exist", path=str(root), hint="check the path"
        )
    if not root.is_dir():
        raise InputError(
            f"repository path {root} is not a directory",
            path=str(root),
            hint="point ddd-llm at the repository's top folder",
        )


def walk_skips(root: Path, max_bytes: int, include: Sequence[str] = ()) -> ScanResult:
    """What scan would skip under `root` (ignored, vendored, too large…), from a walk that
    stats the files and reads none."""
    walked = ScanResult(root)
    for _ in _kept_stats(root, walked, max_bytes, include):
        pass
    return walked


def _kept_paths(
    root: Path, result: ScanResult, max_bytes: int, include: Sequence[str] = ()
) -> Iterator[tuple[str, Path]]:
    """Every file scan reads, in scan's order; those it does not read are skipped in `result`
    (by their name, type or size: nothing is read here)."""
    for rel, path, _st in _kept_stats(root, result, max_bytes, include):
        yield rel, path


def _kept_stats(
    root: Path, result: ScanResult, max_bytes: int, include: Sequence[str] = ()
) -> Iterator[tuple[str, Path, os.stat_result]]:
    """`_kept_paths` with the stat each was kept by."""
    for rel, path in _walk(root, result, included_folders(include)):
        try:
            st = path.stat()
        except OSError as exc:
            result.skip(rel, f"not readable: {exc.strerror or exc}")
            continue
        if not stat.S_ISREG(st.st_mode):
            # A FIFO, socket or device: reading it could block forever or never end.
            result.skip(rel, "not a regular file (FIFO, socket or device)")
            continue
        if holds_live_secrets(path.name):
            result.skip(rel, "may hold live secrets (not read; use a .env.example for docs)")
            continue
        if path.suffix.lower() in BINARY_SUFFIXES:
            result.skip(rel, "binary file type")
            continue
        if st.st_size > max_bytes:
            result.skip(rel, f"larger than {max_bytes} bytes ({st.st_size})")
            continue
        yield rel, path, st


def _bytes(path: Path, max_bytes: int) -> bytes | str:
    """The bytes of a kept path, or why scan skips it (unreadable, grown, binary content)."""
    data = _read(path, max_bytes)
    if isinstance(data, str):
        return data
    if _looks_binary(data):
        return "binary content"
    return data


def _readable(
    root: Path, result: ScanResult, max_bytes: int, include: Sequence[str] = ()
) -> Iterator[tuple[str, bytes]]:
    """The bytes of every file scan keeps, in scan's order; the others are skipped in `result`."""
    for rel, path in _kept_paths(root, result, max_bytes, include):
        data = _bytes(path, max_bytes)
        if isinstance(data, str):
            result.skip(rel, data)
            continue
        yield rel, data


@dataclass(frozen=True)
class _Loaded:
    """One kept path read in a worker: why it was skipped, or its scanned file."""

    skipped: str | None = None
    file: ScannedFile | None = None
    redactions: tuple[Redaction, ...] = ()
    warning: Diagnostic | None = None


def _load(item: tuple[str, str, int]) -> _Loaded:
    """Read, decode and redact one file (a pool worker's unit of scan)."""
    # Imported here: the redaction rules cost an unchanged re-run (which reads no text) time.
    from ddd_llm.scan.redact import redact_text

    rel, path, max_bytes = item
    data = _bytes(Path(path), max_bytes)
    if isinstance(data, str):
        return _Loaded(skipped=data)
    decoding = ScanResult(Path("."))
    redacted = redact_text(_decode(data, rel, decoding), rel)
    return _Loaded(
        file=ScannedFile(path=rel, text=redacted.text, sha256=content_hash(data), size=len(data)),
        redactions=tuple(
            Redaction(rel, f.line, f.kind, f.end_line or f.line) for f in redacted.findings
        ),
        warning=decoding.warnings[0] if decoding.warnings else None,
    )


def nothing_to_read(root: Path, skipped: int) -> InputError:
    """The error of a folder without one file to read: extract, check and ask exit 2 with it."""
    return InputError(
        f"nothing to read in {root}: no readable text file ({skipped} skipped)",
        path=str(root),
        hint="point ddd-llm at a repository",
    )


def require_readable(root: Path, *, max_bytes: int = MAX_FILE_BYTES) -> None:
    """Raise `nothing_to_read` unless scan would keep a file (reads up to the first one)."""
    _check_root(root)
    result = ScanResult(root)
    if next(_readable(root, result, max_bytes), None) is None:
        raise nothing_to_read(root, len(result.skipped))


def input_digests(
    root: Path,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    include: Sequence[str] = (),
    known: Known | None = None,
) -> list[tuple[str, str]]:
    """(path, sha256 of the bytes on disk) of exactly the files `scan` would keep.

    Neither decodes nor redacts: the cheap half of a scan, enough to tell whether a
    repository changed since a run (`ScannedFile.sha256` holds the same digests).
    `include`: the run's --include globs (they may reach into a vendored folder).
    `known`: digests a run remembered (`known.recall`); a file whose stat is the one
    remembered is not read again.
    """
    _check_root(root)
    result = ScanResult(root)
    digests: list[tuple[str, str]] = []
    for rel, path, st in _kept_stats(root, result, max_bytes, include):
        hit = known.get(rel) if known else None
        if hit is not None and stat_key(st) == hit[0]:
            digests.append((rel, hit[1]))
            continue
        data = _bytes(path, max_bytes)
        if isinstance(data, bytes):
            digests.append((rel, content_hash(data)))
    return digests


def scan(
    root: Path,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    workers: int | None = None,
) -> ScanResult:
    """Every readable text file under `root`, with a reason for each file left out, and each
    kept file classified; `include`/`exclude`: gitwildmatch globs overriding the classes.

    `workers`: processes reading and redacting (default: `pool_size`); the result is the
    same whatever the number."""
    _check_root(root)
    result = ScanResult(root=root, started_ns=now_ns())
    # The walk's skips and the reads' skips interleave as they do in one process: each
    # read's outcome is recorded at its path's place in the walk.
    order: list[str | None] = []
    reads: list[tuple[str, str, int]] = []
    walked = ScanResult(root=root)
    placed = 0
    for rel, path in _kept_paths(root, walked, max_bytes, include):
        order.extend([None] * (len(walked.skipped) - placed))
        placed = len(walked.skipped)
        order.append(rel)
        reads.append((rel, str(path), max_bytes))
    order.extend([None] * (len(walked.skipped) - placed))
    loaded = pool_map(_load, reads, pool_size(len(reads), workers))
    walk_skips = iter(walked.skipped)
    for kept in order:
        if kept is None:
            result.skipped.append(next(walk_skips))
            continue
        done = next(loaded)
        if done.skipped is not None or done.file is None:
            result.skip(kept, done.skipped or "not readable")
            continue
        if done.warning is not None:
            result.warnings.append(done.warning)
        result.redactions.extend(done.redactions)
        result.files.append(done.file)
    result.verdicts = classify_files(
        ((f.path, f.text) for f in result.files), include=include, exclude=exclude
    )
    if not result.files:
        result.warnings.append(
            Diagnostic(
                path=".",
                message=(
                    f"no readable text files in {root} ({len(result.skipped)} skipped): "
                    "nothing to document; check the path, and see the skipped files with -v"
                ),
                source="scan",
            )
        )
    return result
