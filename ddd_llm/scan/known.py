"""Digests a run already computed, keyed by each file's stat, so that an unchanged re-run
reads no file (git's index does the same).

`extract` writes them next to facts.json after a run (`remember`); `fingerprint.up_to_date`
hands them to `input_digests` (`recall`), which re-reads a file only when its stat differs.
A digest is remembered only for a file whose inode change time (which no program can set
back) is older than the scan's start by a margin: a file changed while the scan read it,
or in the same clock tick, is read again next time, never taken for unchanged.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from ddd_llm.atomic import atomic_write

KNOWN_FILE = ".ddd-llm-inputs.json"
"""In the output folder, beside facts.json (hidden: not an artifact)."""
VERSION = 1
MARGIN_NS = 2_000_000_000
"""Two seconds: wider than any file system's timestamp granularity (FAT: 2 s)."""

StatKey = tuple[int, int, int, int, int]
"""(size, mtime_ns, ctime_ns, inode, device)."""
Known = Mapping[str, tuple[StatKey, str]]
"""Relative path → (its stat when it was hashed, sha256 of its bytes)."""


def stat_key(st: os.stat_result) -> StatKey:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def now_ns() -> int:
    """The wall clock, as file systems stamp inode changes."""
    return time.time_ns()


def remember(
    out_dir: Path, root: Path, digests: Iterable[tuple[str, str]], scan_started_ns: int
) -> int:
    """Write the digests of the files unchanged since before the scan started; the count
    written. Best effort: a folder that cannot be written only costs the next run a read."""
    entries: dict[str, list[object]] = {}
    for rel, sha in digests:
        try:
            st = os.stat(root / rel, follow_symlinks=False)
        except OSError:
            continue
        if st.st_ctime_ns >= scan_started_ns - MARGIN_NS:
            continue  # changed during the scan or too close to it to tell
        entries[rel] = [*stat_key(st), sha]
    payload = {"version": VERSION, "root": str(root.resolve()), "files": entries}
    try:
        atomic_write(out_dir / KNOWN_FILE, json.dumps(payload, separators=(",", ":")))
    except OSError:
        return 0
    return len(entries)


def recall(out_dir: Path, root: Path) -> dict[str, tuple[StatKey, str]]:
    """The digests `remember` wrote for `root` in `out_dir` (none when missing, unreadable,
    from another version or for another folder)."""
    try:
        data = json.loads((out_dir / KNOWN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return {}
    if data.get("root") != str(root.resolve()) or not isinstance(data.get("files"), dict):
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
