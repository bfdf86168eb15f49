"""INI files: `section.key` parameters, commented defaults, choices, tool configs skipped."""

from __future__ import annotations

import pytest

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.config_files.ini import IniAnalyzer
from ddd_llm.models import ConfigParameter, ResourceRequirement

# Adapted from pgbouncer/pgbouncer etc/pgbouncer.ini
PGBOUNCER = """\
;;; PgBouncer configuration file

[databases]
;foodb =

[pgbouncer]

;; IP address or * which means all IPs
listen_addr = localhost
listen_port = 6432

;; disable, allow, require, verify-ca, verify-full
;client_tls_sslmode = disable

;; any, trust, plain, md5, cert, hba, ldap, pam
auth_type = md5

;;; Notify client that they are queued after this many seconds
;;; Disabled when set to 0
;query_wait_notify = 5

;; Query to use to fetch password from database.
;auth_query = SELECT rolname, CASE WHEN rolvaliduntil < now() THEN NULL END FROM pg_authid

;; How many server connections to allow per user/database pair, 1-1000
;default_pool_size = 20

;; Comma-separated list of users, such as: ign1, ign2
; this is prose in a comment
"""

# Adapted from a supervisord.conf
SUPERVISOR = """\
[program:web]
command = gunicorn app:wsgi
  --workers 4
autorestart = true
"""


def analyze(text: str, path: str = "etc/pgbouncer.ini") -> AnalyzerResult:
    return IniAnalyzer().analyze(SourceFile(path, text))


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def test_pgbouncer_sections_and_commented_defaults() -> None:
    result = analyze(PGBOUNCER)
    found = params(result)
    assert found["listen_port"].default == "6432"
    assert found["listen_port"].citations[0].start_line == 10
    assert "IP address" in found["listen_addr"].summary
    mode = found["client_tls_sslmode"]
    assert (mode.default, mode.value_type) == ("disable", "enum")
    assert mode.allowed_values == ["disable", "allow", "require", "verify-ca", "verify-full"]
    assert "commented default" in mode.summary
    assert found["auth_type"].allowed_values is not None
    assert found["query_wait_notify"].default == "5"
    assert found["auth_query"].default.startswith("SELECT rolname")  # type: ignore[union-attr]
    pool = found["default_pool_size"]
    assert (pool.min, pool.max, pool.range_source) == (1, 1000, "documented")
    assert "databases.foodb" in found and found["databases.foodb"].default == ""
    assert not [n for n in found if "prose" in n or "this" in n]
    # The program's own section is written bare; other sections qualify their keys.
    assert "pgbouncer.listen_port" not in found
    ports = [f.value for f in result.facts if isinstance(f, ResourceRequirement)]
    assert ports == ["6432"]
    assert not result.warnings


def test_continuation_lines_join_the_value() -> None:
    found = params(analyze(SUPERVISOR, "deploy/supervisord.conf"))
    command = found["program:web.command"]
    assert command.default == "gunicorn app:wsgi\n--workers 4"
    assert (command.citations[0].start_line, command.citations[0].end_line) == (2, 3)
    assert found["program:web.autorestart"].value_type == "bool"


def test_keys_before_a_section_are_global() -> None:
    result = analyze("memory_limit = 128M\n[Session]\nsession.name = SID\n", "php.ini")
    found = params(result)
    assert set(found) == {"memory_limit", "Session.session.name"}
    assert not result.warnings


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        ("etc/pgbouncer.ini", True),
        ("deploy/uwsgi.ini", True),
        ("my.cnf", True),
        ("supervisord.conf", True),
        ("setup.cfg", False),
        ("tox.ini", False),
        ("pytest.ini", False),
        ("mypy.ini", False),
        (".flake8", False),
        ("alembic.ini", False),
        ("test/test.ini", False),
        ("etc/systemd/system/app.service.d/override.conf", False),
    ],
)
def test_accepts(path: str, accepted: bool) -> None:
    assert REGISTRY["ini"].accepts(SourceFile(path, "[s]\na = 1\n")) is accepted


def test_no_sections_is_not_ini() -> None:
    assert not IniAnalyzer().accepts(SourceFile("redis.conf", "port 6379\n"))


@pytest.mark.parametrize(
    "path",
    ["deploy/ansible/inventory.example.ini", "inventories/prod/hosts", "ansible/hosts.ini"],
)
def test_ansible_inventories_are_not_settings(path: str) -> None:
    text = "[telemetry_collectors]\ntelemetry-01.example.internal\n"
    assert not IniAnalyzer().accepts(SourceFile(path, text))


def test_other_sections_qualify_their_keys() -> None:
    text = "[server]\nport = 8080\n[database]\nhost = db\n"
    found = params(analyze(text, "deploy/app.ini"))
    assert set(found) == {"server.port", "database.host"}


# Adapted from healthchecks/healthchecks docker/uwsgi.ini
UWSGI = """\
[uwsgi]
strict
master
if-not-env = LISTEN_IPV6
http-socket = :8000
endif =
if-env = LISTEN_IPV6
http-socket = [::]:8000
endif =
if-not-env = UWSGI_PROCESSES
processes = 4
endif =
# workaround for https://github.com/unbit/uwsgi/issues/2299
max-fd = 10000
"""


def test_uwsgi_env_blocks_sockets_and_fd_limit() -> None:
    result = analyze(UWSGI, "docker/uwsgi.ini")
    found = params(result)
    processes = found["UWSGI_PROCESSES"]
    assert (processes.default, processes.citations[0].start_line) == ("4", 10)
    assert processes.citations[0].end_line == 12
    assert found["LISTEN_IPV6"].default is None
    assert found["processes"].default == "4"
    assert not [n for n in found if n.startswith(("if-", "endif"))]
    ports = {
        f.value for f in result.facts if isinstance(f, ResourceRequirement) and f.resource == "port"
    }
    assert ports == {"8000"}
    fds = [
        f
        for f in result.facts
        if isinstance(f, ResourceRequirement) and f.resource == "file_descriptors"
    ]
    assert [(f.limit, f.citations[0].start_line) for f in fds] == [("10000", 14)]
