"""The user a deployed command line tells the program to run as: `ExecStart=/usr/bin/memcached
-u ${USER}` with `USER="nobody"` in the unit's environment file is a process that drops to
`nobody`. This reads the flag facts the deploy analyzers made (after `name_short_flags` gave a
one-letter flag the long name the code declares), so it only trusts a flag by its long name:
`-u` alone means "unbuffered" to Python and "user" to memcached."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from ddd_llm.models import ConfigParameter, FactBase, ResourceRequirement
from ddd_llm.scan.redact import CODE_SUFFIXES

USER_FLAGS = frozenset({"--user", "--username", "--uid", "--run-as", "--run-as-user", "--runas"})
"""Long options that name the account a daemon switches to."""
_ACCOUNT = re.compile(r"^(?:[a-z_][a-z0-9_-]{0,31}\$?|\d{1,10})(?::(?:[a-z_][a-z0-9_-]*|\d+))?$")
"""A user name or uid, optionally `:group` (`nobody`, `www-data`, `1000:1000`)."""


def _in_code(fact: FactBase) -> bool:
    return any(PurePosixPath(c.path).suffix.lower() in CODE_SUFFIXES for c in fact.citations)


def run_as_users(facts: Sequence[FactBase]) -> list[FactBase]:
    """`facts` plus one permission requirement per deployed `--user NAME` flag (the command
    line's value, not the code's default: a default is no account anyone runs as)."""
    out = list(facts)
    ids = {f.id for f in facts}
    for fact in facts:
        if (
            not isinstance(fact, ConfigParameter)
            or fact.origin != "static"
            or fact.name not in USER_FLAGS
            or fact.secret
        ):
            continue
        value = (fact.default or "").strip()
        if not _ACCOUNT.match(value) or _in_code(fact):
            continue
        user = value.split(":", 1)[0]
        need = ResourceRequirement(
            service=fact.service,
            resource="permission",
            value=f"user:{user}",
            summary=f"{fact.service + ' ' if fact.service else ''}runs as user {user} "
            f"(command-line flag {fact.name})",
            citations=list(fact.citations),
        )
        if need.id not in ids:
            ids.add(need.id)
            out.append(need)
    return out
