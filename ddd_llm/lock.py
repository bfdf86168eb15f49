"""Exclusive run locks on output and index folders, released by the OS when the holder dies."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ddd_llm.errors import InputError, LockHeld

LOCK_FILE = ".ddd-llm.lock"
"""Kept after the run: an flock on a file that is never deleted cannot race with its removal."""


def holder_text(path: Path) -> str:
    """Who holds the lock at `path`, as one line (pid, host, since when, command)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        raw = {}
    if not isinstance(raw, dict) or "pid" not in raw:
        return "an unknown process"
    command = str(raw.get("command", ""))[:200]
    return f"pid {raw.get('pid')} on {raw.get('host', '?')} since {raw.get('since', '?')}" + (
        f" ({command})" if command else ""
    )


@contextmanager
def hold(folder: Path, what: str = "output folder") -> Iterator[Path]:
    """Hold `folder`'s lock for the block, or raise LockHeld naming the holder at once.

    flock, not a pid file: a run killed with SIGKILL leaves nothing stale behind, and a
    second lock of the same folder in the same process is refused like any other.
    """
    path = folder / LOCK_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise InputError(
            f"cannot create the lock file {path}: {exc.strerror or exc}",
            path=str(path),
            hint="pass --out (or --index-dir) to a writable folder",
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        holder = holder_text(path)
        raise LockHeld(
            f"{what} {folder} is in use by another ddd-llm run: {holder}",
            path=str(path),
            holder=holder,
            hint="wait for that run to finish or stop it; the lock frees itself when it exits",
        ) from None
    try:
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(
                Path(sys.argv[0]).name if i == 0 else a for i, a in enumerate(sys.argv)
            ),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        yield path
    finally:
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the last descriptor releases the flock


@contextmanager
def hold_all(folders: Sequence[tuple[Path, str]]) -> Iterator[None]:
    """Hold several folders' locks (each folder once, in a fixed order so runs cannot deadlock)."""
    seen: dict[Path, str] = {}
    for folder, what in folders:
        seen.setdefault(folder.resolve(), what)
    with ExitStack() as stack:
        for folder in sorted(seen):
            stack.enter_context(hold(folder, seen[folder]))
        yield
