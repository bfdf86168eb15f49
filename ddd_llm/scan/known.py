"""What a run already knows about its inputs and outputs, keyed by stat, so that an
unchanged re-run reads no file (git's index does the same), or nothing at all.

`extract` writes it next to facts.json after a run (`remember`):

- `files`: each kept file's digest by its stat; `fingerprint.up_to_date` hands them to
  `input_digests` (`recall`), which re-reads a file only when its stat differs;
- `run`: the run's fingerprint, commit, tool digest and summary; each output file's stat
  and digest (an edited or missing artifact makes the run stale: `outputs_intact`); and,
  when every input was old enough to trust, a `snapshot`: the listing of every folder the
  scan entered and the stat of every file it could have read (`inputs_unchanged`). With
  it, and the command lines (`invocations`) that led to this run,
  `fingerprint.fast_unchanged` tells an unchanged re-run from listings and stats alone:
  no file read, no pydantic, no typer.

A stat is trusted only for a file whose inode change time (which no program can set back)
is older than the scan's start by a margin: one changed while the scan read it, or in the
same clock tick, is read again next time, never taken for unchanged. Stdlib only: the
fast path imports this module and little else.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ddd_llm.atomic import atomic_write

KNOWN_FILE = ".ddd-llm-inputs.json"
"""In the output folder, beside facts.json (hidden: not an artifact)."""
VERSION = 1
RUN_VERSION = 1
"""Of the `run` part (added to version 1 files: older readers ignore it)."""
MARGIN_NS = 2_000_000_000
"""Two seconds: wider than any file system's timestamp granularity (FAT: 2 s)."""
MAX_INVOCATIONS = 16
IGNORED = "ignored by .gitignore"
"""The scan's reason for a path its ignore rules leave out (ddd_llm.scan.scanner._walk; a
unit test checks): such a file's stat cannot change what a run reads, only its name can."""

StatKey = tuple[int, int, int, int, int]
"""(size, mtime_ns, ctime_ns, inode, device)."""
Known = Mapping[str, tuple[StatKey, str]]
"""Relative path → (its stat when it was hashed, sha256 of its bytes)."""


def stat_key(st: os.stat_result) -> StatKey:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def now_ns() -> int:
    """The wall clock, as file systems stamp inode changes."""
    return time.time_ns()


@dataclass(frozen=True)
class RunRecord:
    """What `extract` tells `remember` about the run beside its input digests."""

    fingerprint: str
    commit: str | None
    tool: str
    """fingerprint.tool_digest() of the run."""
    skipped: Sequence[tuple[str, str]]
    """(path, reason) of everything the scan left out; folders end in `/`."""
    outputs: Sequence[Path]
    """The files the run wrote (facts.json, the artifacts)."""
    summary: Mapping[str, Any] = field(default_factory=dict)
    """What an unchanged re-run prints (fingerprint.run_summary)."""


def remember(
    out_dir: Path,
    root: Path,
    digests: Iterable[tuple[str, str]],
    scan_started_ns: int,
    run: RunRecord | None = None,
) -> int:
    """Write the digests of the files unchanged since before the scan started (and, with
    `run`, the run's record); the count of digests written. Best effort: a folder that
    cannot be written only costs the next run a read."""
    entries: dict[str, list[object]] = {}
    unstable = False
    for rel, sha in digests:
        try:
            st = os.stat(root / rel, follow_symlinks=False)
        except OSError:
            unstable = True
            continue
        if st.st_ctime_ns >= scan_started_ns - MARGIN_NS:
            unstable = True
            continue  # changed during the scan or too close to it to tell
        entries[rel] = [*stat_key(st), sha]
    payload: dict[str, object] = {"version": VERSION, "root": str(root.resolve()), "files": entries}
    if run is not None:
        record = _run_part(out_dir, root, run, scan_started_ns)
        if unstable:
            record["snapshot"] = None  # some kept file cannot be vouched for by its stat
        payload["run"] = record
    try:
        atomic_write(out_dir / KNOWN_FILE, json.dumps(payload, separators=(",", ":")))
    except OSError:
        return 0
    return len(entries)


def _run_part(out_dir: Path, root: Path, run: RunRecord, started_ns: int) -> dict[str, Any]:
    previous = _load(out_dir, root)
    kept: list[str] = []
    old = previous.get("run") if previous else None
    if isinstance(old, dict) and old.get("fingerprint") == run.fingerprint:
        # The same options and inputs made this run: the command lines that led to the
        # last one still mean this one (a --force run, a run with --site).
        kept = [k for k in old.get("invocations", []) if isinstance(k, str)]
        salt = old.get("salt") if isinstance(old.get("salt"), str) else secrets.token_hex(16)
    else:
        salt = secrets.token_hex(16)
    return {
        "version": RUN_VERSION,
        "fingerprint": run.fingerprint,
        "commit": run.commit,
        "tool": run.tool,
        "out": str(out_dir.resolve()),
        "outputs": _outputs(out_dir, run.outputs),
        "summary": dict(run.summary),
        "salt": salt,
        "invocations": kept[-MAX_INVOCATIONS:],
        "snapshot": snapshot(root, run.skipped, started_ns),
    }


def _sha_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _outputs(out_dir: Path, written: Sequence[Path]) -> dict[str, list[object]]:
    """Name (relative to out_dir) → [*stat, sha256] of each output file in out_dir."""
    outputs: dict[str, list[object]] = {}
    base = out_dir.resolve()
    for path in written:
        try:
            rel = path.resolve().relative_to(base).as_posix()
            outputs[rel] = [*stat_key(os.stat(path)), _sha_file(path)]
        except (OSError, ValueError):
            continue  # outside the output folder, or already gone: not vouched for
    return outputs


def snapshot(
    root: Path, skipped: Iterable[tuple[str, str]], started_ns: int
) -> dict[str, dict[str, Any]] | None:
    """The listing of every folder the scan entered, the stat of every file in them whose
    stat could change what it reads (all but the ignored ones), and the stat of the files
    that decide what it lists (ignore rules, virtualenv markers); None when one of them is
    too recent to trust or cannot be read.

    The scan's `skipped` tells which folders it did not enter; it enters every other one
    (but version-control metadata and ddd-llm's own output, and symlinks). A folder's
    listing is compared, not its stat: the run itself creates its output folder, and an
    entry added during the scan is a new inode, too recent to trust."""
    from ddd_llm.scan.scanner import ALWAYS_SKIP_DIRS, VENDORED_DIRS

    not_entered: set[str] = set()
    ignored: set[str] = set()
    for path, reason in skipped:
        if path.endswith("/"):
            not_entered.add(path[:-1])
        elif reason == IGNORED:
            ignored.add(path)
    limit = started_ns - MARGIN_NS
    dirs: dict[str, str] = {}
    stats: dict[str, list[int]] = {}
    probes: dict[str, list[int] | None] = {}

    def probe(rel: str) -> bool:
        """The stat (symlinks followed, as the scan reads it) or absence of root/rel."""
        try:
            st = os.stat(root / rel)
        except FileNotFoundError:
            probes[rel] = None
            return True
        except OSError:
            return False
        probes[rel] = list(stat_key(st))
        return st.st_ctime_ns < limit

    if not probe(".git/info/exclude"):
        return None
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            dirs[rel_dir], entries = _listing(root / rel_dir if rel_dir else root)
            if not probe(f"{rel_dir}/.gitignore" if rel_dir else ".gitignore"):
                return None
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if not utf8_name(entry.name) or entry.is_symlink():
                    continue  # skipped by its name or type: the folder's listing tells
                if entry.is_dir(follow_symlinks=False):
                    if entry.name in ALWAYS_SKIP_DIRS:
                        continue
                    if rel in not_entered:
                        # Ignored, vendored by name, or a virtualenv by its marker file.
                        if entry.name not in VENDORED_DIRS and not probe(f"{rel}/pyvenv.cfg"):
                            return None
                        continue
                    stack.append(rel)
                    continue
                if rel in ignored:
                    continue
                st = entry.stat(follow_symlinks=False)
                if st.st_ctime_ns >= limit:
                    return None
                stats[rel] = list(stat_key(st))
        except OSError:
            return None
    return {"dirs": dirs, "stats": stats, "probes": probes}


def _listing(folder: Path | str) -> tuple[str, list[os.DirEntry[str]]]:
    """A digest of a folder's names and their types (folder, symlink, other), and its entries."""
    with os.scandir(folder) as found:
        entries = sorted(found, key=lambda e: e.name)
    digest = hashlib.sha256()
    for entry in entries:
        kind = "l" if entry.is_symlink() else "d" if entry.is_dir(follow_symlinks=False) else "f"
        digest.update(f"{kind}{entry.name}\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest(), entries


def utf8_name(name: str) -> bool:
    """Whether a file name is valid UTF-8 (scan skips any other, so does this record)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _load(out_dir: Path, root: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((out_dir / KNOWN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None
    if data.get("root") != str(root.resolve()) or not isinstance(data.get("files"), dict):
        return None
    return data


def recall(out_dir: Path, root: Path) -> dict[str, tuple[StatKey, str]]:
    """The digests `remember` wrote for `root` in `out_dir` (none when missing, unreadable,
    from another version or for another folder)."""
    data = _load(out_dir, root)
    if data is None:
        return {}
    known: dict[str, tuple[StatKey, str]] = {}
    for rel, entry in data["files"].items():
        if (
            isinstance(entry, list)
            and len(entry) == 6
            and all(isinstance(n, int) for n in entry[:5])
            and isinstance(entry[5], str)
        ):
            size, mtime, ctime, ino, dev = entry[:5]
            known[rel] = ((size, mtime, ctime, ino, dev), entry[5])
    return known


def recall_run(out_dir: Path, root: Path) -> dict[str, Any] | None:
    """The `run` record `remember` wrote for `root` in `out_dir`, or None."""
    data = _load(out_dir, root)
    run = data.get("run") if data else None
    if not isinstance(run, dict) or run.get("version") != RUN_VERSION:
        return None
    if run.get("out") != str(out_dir.resolve()):
        return None  # a copied or moved output folder vouches for nothing
    return run


def _same(path: str, recorded: object, *, follow: bool = False) -> bool:
    try:
        st = os.stat(path, follow_symlinks=follow)
    except FileNotFoundError:
        return recorded is None
    except OSError:
        return False
    return isinstance(recorded, list) and list(stat_key(st)) == recorded


def inputs_unchanged(root: Path, run: Mapping[str, Any]) -> bool:
    """Whether every folder of the run's snapshot lists the same names and every stat in it
    is the same (False without one): then the scan would read the same bytes."""
    snap = run.get("snapshot")
    if not isinstance(snap, dict):
        return False
    base = str(root) + os.sep
    try:
        for rel, recorded in snap["probes"].items():
            if not _same(base + rel, recorded, follow=True):
                return False
        for rel, recorded in snap["stats"].items():
            if not _same(base + rel, recorded):
                return False
        for rel, recorded in snap["dirs"].items():
            if _listing(base + rel if rel else str(root))[0] != recorded:
                return False
    except (OSError, KeyError, AttributeError, TypeError):
        return False
    return True


def outputs_unchanged(out_dir: Path, run: Mapping[str, Any]) -> bool:
    """Whether every output file has the stat the run left it with (False when none is
    recorded)."""
    outputs = run.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        return False
    base = str(out_dir) + os.sep
    return all(
        isinstance(entry, list) and _same(base + rel, entry[:5], follow=True)
        for rel, entry in outputs.items()
    )


def outputs_intact(out_dir: Path, run: Mapping[str, Any]) -> bool:
    """Whether every output file the run wrote is there with the bytes it wrote (a file
    whose stat changed is hashed: touched is intact, edited is not)."""
    outputs = run.get("outputs")
    if not isinstance(outputs, dict):
        return False
    for rel, entry in outputs.items():
        if not isinstance(entry, list) or len(entry) != 6:
            return False
        path = out_dir / rel
        if _same(str(path), entry[:5], follow=True):
            continue
        try:
            if _sha_file(path) != entry[5]:
                return False
        except OSError:
            return False
    return True


def add_invocation(out_dir: Path, root: Path, fingerprint: str, key: str) -> bool:
    """Note that the command line `key` (fingerprint.invocation_key) led to the run in
    `out_dir` whose fingerprint is `fingerprint`; False when that is not the run recorded
    there (another run replaced it) or the file cannot be written."""
    data = _load(out_dir, root)
    run = data.get("run") if data else None
    if data is None or not isinstance(run, dict) or run.get("fingerprint") != fingerprint:
        return False
    keys = [k for k in run.get("invocations", []) if isinstance(k, str) and k != key]
    run["invocations"] = [*keys, key][-MAX_INVOCATIONS:]
    try:
        atomic_write(out_dir / KNOWN_FILE, json.dumps(data, separators=(",", ":")))
    except OSError:
        return False
    return True
