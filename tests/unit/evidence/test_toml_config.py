"""TOML app configs: dotted names, exact lines, ports and health paths, manifests skipped."""

from __future__ import annotations

import pytest

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.config_files.toml_config import TomlConfigAnalyzer
from ddd_llm.models import ConfigParameter, HealthCheck, ResourceRequirement

# Adapted from a fly.io `fly.toml` (superfly/flyctl docs) and a generic app config.
CONFIG = """\
app = "demo"

[server]
# Listen port, 1-65535
port = 8080
host = "0.0.0.0"
origins = [
  "https://a.example",
  "https://b.example",
]
db = { user = "app", password = "hunter2" }

[http_service]
internal_port = 3000

[[http_service.checks]]
path = "/healthz"
interval = "15s"

[[http_service.checks]]
path = "/ready"
"""


def analyze(text: str, path: str = "fly.toml") -> AnalyzerResult:
    return TomlConfigAnalyzer().analyze(SourceFile(path, text))


def by_id(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.id.split(":", 2)[2]: f for f in result.facts if isinstance(f, ConfigParameter)}


def lines(fact: ConfigParameter | HealthCheck) -> tuple[int, int]:
    return fact.citations[0].start_line, fact.citations[0].end_line


def test_names_defaults_and_lines() -> None:
    found = by_id(analyze(CONFIG))
    port = found["server.port"]
    assert (port.default, port.value_type, lines(port)) == ("8080", "int", (5, 5))
    assert (port.min, port.max, port.range_source) == (1, 65535, "documented")
    assert lines(found["server.origins"]) == (7, 10)
    assert found["server.origins"].default == "https://a.example,https://b.example"
    assert lines(found["server.db.user"]) == (11, 11)  # an inline table cites its line
    assert found["server.db.password"].secret and found["server.db.password"].default is None
    assert lines(found["http_service.checks[0].path"]) == (17, 17)
    assert lines(found["http_service.checks[1].path"]) == (21, 21)
    assert found["app"].default == "demo"


def test_ports_and_health() -> None:
    result = analyze(CONFIG)
    ports = sorted(f.value or "" for f in result.facts if isinstance(f, ResourceRequirement))
    assert ports == ["3000", "8080"]
    health = [(h.target, lines(h)) for h in result.facts if isinstance(h, HealthCheck)]
    assert health == [("/healthz", (17, 17)), ("/ready", (21, 21))]


def test_invalid_toml_warns_with_line() -> None:
    result = analyze("a = 1\nb = [\nc = 2\n")
    assert [(w.line, w.source) for w in result.warnings] == [(3, "toml_config")]
    assert not result.facts


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        ("config.toml", True),
        ("deploy/settings.toml", True),
        ("pyproject.toml", False),
        ("Cargo.toml", False),
        ("ruff.toml", False),
        (".cargo/config.toml", False),
        ("tests/config.toml", False),
    ],
)
def test_accepts(path: str, accepted: bool) -> None:
    assert REGISTRY["toml_config"].accepts(SourceFile(path, "a = 1\n")) is accepted


# Adapted from meilisearch/meilisearch config.toml
MEILI = """\
# Configures the instance's environment. Value must be either `production` or `development`.
env = "development"

# The address on which the HTTP server will listen.
http_addr = "localhost:7700"

# Sets the instance's master key, automatically protecting all routes except GET /health.
# master_key = "YOUR_MASTER_KEY_VALUE"

# Meilisearch currently supports six log levels, listed in order of increasing verbosity:
# `OFF`, `ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE`
log_level = "INFO"

# Sets the maximum number of threads Meilisearch can use during indexation.
# max_indexing_threads = 4

ssl_require_auth = false
# See the docs: https://www.meilisearch.com/docs = more
"""


def test_commented_defaults_choices_and_listen_address() -> None:
    result = analyze(MEILI, "config.toml")
    found = by_id(result)
    assert found["env"].allowed_values == ["production", "development"]
    assert found["log_level"].allowed_values == ["OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"]
    threads = found["max_indexing_threads"]
    assert (threads.default, threads.citations[0].start_line) == ("4", 15)
    assert "commented default" in threads.summary and "threads" in threads.summary
    master = found["master_key"]
    assert master.secret and master.default is None
    assert found["ssl_require_auth"].default == "false" and not found["ssl_require_auth"].secret
    assert set(found) == {
        "env",
        "http_addr",
        "master_key",
        "log_level",
        "max_indexing_threads",
        "ssl_require_auth",
    }
    ports = [
        (f.value, f.citations[0].start_line)
        for f in result.facts
        if isinstance(f, ResourceRequirement)
    ]
    assert ports == [("7700", 5)]
