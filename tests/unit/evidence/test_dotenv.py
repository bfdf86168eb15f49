"""The env-template analyzer: names, defaults, documented ranges, secrets, bad lines."""

from __future__ import annotations

from typing import Any

import pytest

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.config_files.dotenv import (
    DotenvAnalyzer,
    documented_range,
    looks_like_credential,
)
from ddd_llm.models import ConfigParameter

EXAMPLE = """\
# Acme settings — copy to .env

# HTTP port
PORT=8080
export LOG_LEVEL=info  # debug, info, warning
# Worker count, 1-100
WORKERS=4
# Request timeout, between 5 and 60 seconds
TIMEOUT_S="30"
# max 500
MAX_CONNECTIONS=
DATABASE_URL=postgres://app:hunter2@db:5432/app
API_TOKEN=replace-me
OPENAI_KEY_ID=sk-abcdefghijklmnopqrstuvwxyz0123456789
SESSION_SALT=Zx9Qw3Er7Ty1Ui5Op2As8Df4Gh6Jk
GREETING='hello # not a comment'
EMPTY_QUOTED=""
CACHE_TTL=60 # at least 10
"""

PATH = "services/api/.env.example"


def analyze(text: str, path: str = PATH) -> AnalyzerResult:
    return DotenvAnalyzer().analyze(SourceFile(path, text))


def by_name(text: str, path: str = PATH) -> dict[str, ConfigParameter]:
    result = analyze(text, path)
    out: dict[str, ConfigParameter] = {}
    for fact in result.facts:
        assert isinstance(fact, ConfigParameter)
        assert fact.name not in out
        out[fact.name] = fact
    return out


def lines(fact: Any) -> list[tuple[int, int]]:
    return [(c.start_line, c.end_line) for c in fact.citations]


@pytest.mark.parametrize(
    "name",
    [
        ".env.example",
        ".env.sample",
        ".env.template",
        ".env.dist",
        "env.example",
        "example.env",
        "prod.env.example",
        ".env.local.example",
        "docker.example.env",
    ],
)
def test_accepts_templates(name: str) -> None:
    assert REGISTRY["dotenv"].accepts(SourceFile(f"x/{name}", "A=1\n"))


@pytest.mark.parametrize(
    "name", [".env", ".env.local", ".env.production", "prod.env", "environment.example", "a.txt"]
)
def test_rejects_live_env_files(name: str) -> None:
    assert not DotenvAnalyzer().accepts(SourceFile(f"x/{name}", "A=1\n"))


def test_ids_defaults_and_citations() -> None:
    facts = by_name(EXAMPLE)
    port = facts["PORT"]
    assert port.id == "config_parameter:-:PORT"
    assert port.service is None
    assert (port.default, port.value_type, lines(port)) == ("8080", "int", [(4, 4)])
    assert (port.min, port.max, port.range_source) == (None, None, None)
    assert not port.secret and not port.required
    level = facts["LOG_LEVEL"]
    assert (level.default, level.value_type, lines(level)) == ("info", "string", [(5, 5)])
    greeting = facts["GREETING"]
    assert greeting.default == "hello # not a comment"
    assert facts["EMPTY_QUOTED"].default is None
    assert list(facts) == [
        "PORT",
        "LOG_LEVEL",
        "WORKERS",
        "TIMEOUT_S",
        "MAX_CONNECTIONS",
        "DATABASE_URL",
        "API_TOKEN",
        "OPENAI_KEY_ID",
        "SESSION_SALT",
        "GREETING",
        "EMPTY_QUOTED",
        "CACHE_TTL",
    ]


def test_documented_ranges() -> None:
    facts = by_name(EXAMPLE)
    workers = facts["WORKERS"]
    assert (workers.min, workers.max, workers.range_source) == (1, 100, "documented")
    timeout = facts["TIMEOUT_S"]
    assert (timeout.default, timeout.min, timeout.max) == ("30", 5, 60)
    assert lines(timeout) == [(9, 9)]
    max_conn = facts["MAX_CONNECTIONS"]
    assert (max_conn.default, max_conn.min, max_conn.max) == (None, None, 500)
    assert max_conn.value_type == "int"  # an empty value with a numeric range
    ttl = facts["CACHE_TTL"]  # an inline comment states the range
    assert (ttl.default, ttl.min, ttl.max, ttl.range_source) == ("60", 10, None, "documented")
    # A blank line breaks the link between a comment and the next variable.
    assert facts["PORT"].range_source is None


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("1-100", (1, 100)),
        ("between 5 and 60 seconds", (5, 60)),
        ("max 500", (None, 500)),
        ("Maximum: 20", (None, 20)),
        ("at least 2", (2, None)),
        ("must be <= 5", (None, 5)),
        ("range 0.1..0.9", (0.1, 0.9)),
        ("min 10, max 120", (10, 120)),
        ("released 2024-01-15", (None, None)),
        ("see http://host:8000-9000/x", (None, None)),
        ("version v1.2-3", (None, None)),
        ("every 5 min", (None, None)),
        ("between 60 and 5", (None, None)),
        ("plain words", (None, None)),
    ],
)
def test_range_phrases(comment: str, expected: tuple[float | None, float | None]) -> None:
    assert documented_range(comment) == expected


def test_secrets_never_keep_values() -> None:
    result = analyze(EXAMPLE)
    facts = {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}
    for name in ("DATABASE_URL", "API_TOKEN", "OPENAI_KEY_ID", "SESSION_SALT"):
        assert facts[name].secret, name
        assert facts[name].default is None, name
    rendered = " ".join(f.model_dump_json() for f in result.facts)
    for value in ("hunter2", "replace-me", "sk-abcdef", "Zx9Qw3Er7"):
        assert value not in rendered
    assert not facts["PORT"].secret and not facts["GREETING"].secret


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("sk-abcdefghijklmnopqrstuvwxyz123456", True),
        ("AKIAIOSFODNN7EXAMPLE", True),
        ("ghp_0123456789abcdefghijklmnopqrstuvwxyzAB", True),
        ("a8f5f167f44f4964e6c998dee827110c", True),
        ("changeme", False),
        ("my-application-name-2024-production", False),
        ("redis-0.redis.default.svc.cluster.local", False),
        ("/var/lib/acme/data/cache/objects/2024", False),
    ],
)
def test_credential_values(value: str, secret: bool) -> None:
    assert looks_like_credential(value) is secret


def test_multiline_quoted_value_is_cited_whole() -> None:
    text = 'A=1\nCERT="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"\nB=2\n'
    facts = by_name(text)
    assert lines(facts["CERT"]) == [(2, 4)]
    assert lines(facts["B"]) == [(5, 5)]


def test_repeated_variable_is_one_fact() -> None:
    facts = by_name("# dev\nDEBUG=true\n\n# prod\nDEBUG=false\n")
    debug = facts["DEBUG"]
    assert (debug.default, debug.value_type) == ("true", "bool")
    assert lines(debug) == [(2, 2), (5, 5)]


def test_bare_name_is_declared_without_value() -> None:
    facts = by_name("REQUIRED_SETTING\nexport OTHER\n")
    assert facts["REQUIRED_SETTING"].default is None
    assert lines(facts["OTHER"]) == [(2, 2)]


def test_commented_out_assignment_is_not_documentation() -> None:
    facts = by_name("# OLD_RANGE=1-5\nNEW=3\n")
    assert facts["NEW"].range_source is None
    assert "OLD_RANGE" not in facts


def test_malformed_lines_warn_and_continue() -> None:
    text = (
        "GOOD=1\n"  # 1
        "this line is prose\n"  # 2
        "\ufffd\ufffd=3\n"  # 3: a name made of replacement characters
        'BROKEN="no end\n'  # 4
        "NEXT=ok\ufffd\n"  # 5: a value may hold one
        "1BAD=2\n"  # 6
        "QUOTED='x' trailing\n"  # 7
    )
    result = analyze(text)
    assert [(w.path, w.line, w.source) for w in result.warnings] == [
        (PATH, 2, "dotenv"),
        (PATH, 3, "dotenv"),
        (PATH, 4, "dotenv"),
        (PATH, 6, "dotenv"),
        (PATH, 7, "dotenv"),
    ]
    facts = {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}
    assert set(facts) == {"GOOD", "BROKEN", "NEXT", "QUOTED"}
    assert facts["BROKEN"].default is None
    assert lines(facts["NEXT"]) == [(5, 5)]
    assert facts["NEXT"].default == "ok\ufffd"


def test_empty_and_odd_input_never_raises() -> None:
    for text in ("", "\n", "#\n#\n", "=\n", "\x00\x00", "export\n", "A='\n", "'\n"):
        result = analyze(text)
        assert all(f.name != "export" for f in result.facts if isinstance(f, ConfigParameter))


@pytest.mark.parametrize(
    "name", [".env.defaults", "env.template", ".env-example", "app.env.sample", ".env.tpl"]
)
def test_accepts_more_template_spellings(name: str) -> None:
    assert DotenvAnalyzer().accepts(SourceFile(f"x/{name}", "A=1\n"))


def test_empty_value_is_required_without_default() -> None:
    facts = by_name('NEEDED=\nSET=1\nEMPTY_QUOTED=""\nBARE\n')
    assert facts["NEEDED"].required and facts["NEEDED"].default is None
    assert "required" in facts["NEEDED"].summary
    assert not facts["SET"].required
    assert not facts["EMPTY_QUOTED"].required  # an explicit empty string is a value
    assert facts["BARE"].required


def test_interpolation_reads_other_variables() -> None:
    text = "DB_HOST=db\nDATABASE_URL=postgres://${DB_HOST}:${DB_PORT:-5432}/app\nX=${UNSET}\n"
    facts = by_name(text)
    assert facts["DB_PORT"].default == "5432" and not facts["DB_PORT"].required
    assert lines(facts["DB_PORT"]) == [(2, 2)]
    assert facts["UNSET"].required and facts["UNSET"].default is None
    assert facts["DB_HOST"].default == "db"  # defined in the file: not duplicated
    assert sorted(facts) == ["DATABASE_URL", "DB_HOST", "DB_PORT", "UNSET", "X"]


def test_colon_style_lines_are_assignments_too() -> None:
    # Ruby's dotenv (and tools that follow it) read `KEY: value` as `KEY=value`.
    text = (
        "# Directory server\n"
        "DIRECTORY_URL: ldap://localhost:3890\n"  # 2
        'BASE_DN: "dc=example,dc=org"\n'  # 3
        "BIND_TIMEOUT:\n"  # 4: declared, no value
        "Note: read the manual\n"  # 5: prose, not a variable
        "see https://example.org/setup: it explains\n"  # 6: prose
    )
    result = analyze(text)
    facts = {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}
    assert facts["DIRECTORY_URL"].default == "ldap://localhost:3890"
    assert facts["BASE_DN"].default == "dc=example,dc=org"
    assert lines(facts["BASE_DN"]) == [(3, 3)]
    assert "BIND_TIMEOUT" in facts and facts["BIND_TIMEOUT"].default is None
    assert [w.line for w in result.warnings] == [5, 6]
    assert "Note" not in facts
