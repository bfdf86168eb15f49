"""The persistent LLM response cache: SQLite, keyed by provider, model, prompt and request."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from ddd_llm.errors import ConfigError
from ddd_llm.llm import Completion, LlmRequest

CACHE_VERSION = "v1"
MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_responses",
        """CREATE TABLE responses (
            key TEXT PRIMARY KEY,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            data TEXT NOT NULL,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )""",
    ),
    ("0002_responses_prompt_index", "CREATE INDEX responses_prompt ON responses (prompt)"),
    (
        "0003_failures",
        """CREATE TABLE failures (
            key TEXT PRIMARY KEY,
            error TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            created_at TEXT NOT NULL
        )""",
    ),
]
"""Ordered, named schema changes; applied ones are recorded in `_migrations`."""


def default_cache_dir() -> Path:
    configured = os.environ.get("DDD_LLM_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ddd-llm"


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations not yet applied, in order; returns their names.

    In one write transaction: processes opening a new cache at once (`--jobs N`) migrate
    one after the other, and the later ones find nothing left to do.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
        applied: list[str] = []
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            db.execute(sql)
            db.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat()),
            )
            applied.append(name)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return applied


class ResponseCache:
    """Validated answers by request; every put is committed, so a killed run keeps its answers."""

    def __init__(self, directory: Path | None = None) -> None:
        folder = (directory or default_cache_dir()) / CACHE_VERSION
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.path = folder / "responses.sqlite"
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            migrate(self._db)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot open the response cache in {folder}: {exc}",
                hint="set DDD_LLM_CACHE_DIR to a writable folder, or pass --no-cache",
            ) from None

    def get(self, key: str) -> Completion | None:
        row = self._db.execute(
            "SELECT data, prompt_tokens, completion_tokens, model FROM responses WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        return Completion(
            data=json.loads(row[0]), prompt_tokens=row[1], completion_tokens=row[2], model=row[3]
        )

    def put(self, key: str, provider: str, request: LlmRequest, completion: Completion) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    provider,
                    completion.model,
                    request.prompt,
                    request.prompt_version,
                    json.dumps(completion.data, sort_keys=True),
                    completion.prompt_tokens,
                    completion.completion_tokens,
                    datetime.now(UTC).isoformat(),
                ),
            )

    def get_failure(self, key: str) -> tuple[str, int] | None:
        """A request the model answered invalidly every time (not a transient error)."""
        row = self._db.execute(
            "SELECT error, attempts FROM failures WHERE key = ?", (key,)
        ).fetchone()
        return (str(row[0]), int(row[1])) if row else None

    def put_failure(self, key: str, error: str, attempts: int) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?)",
                (key, error, attempts, datetime.now(UTC).isoformat()),
            )

    def close(self) -> None:
        self._db.close()
