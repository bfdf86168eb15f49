"""Tests for the Python analyzer: settings classes, env reads, CLI flags and health routes."""

from __future__ import annotations

import textwrap
import time

import pytest

from ddd_llm.evidence import load_analyzers
from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.evidence.code.python.python_code import MAX_CHARS, PythonCodeAnalyzer, documented_range
from ddd_llm.models import ConfigParameter, FactBase, HealthCheck

ANALYZER = PythonCodeAnalyzer()


def run(code: str, path: str = "app/main.py") -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(code))
    assert ANALYZER.accepts(source)
    result = ANALYZER.analyze(source)
    for fact in result.facts:
        assert fact.service is None
        assert "\n" not in fact.summary
    return result


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    out: dict[str, ConfigParameter] = {}
    for fact in result.facts:
        if isinstance(fact, ConfigParameter):
            assert fact.name not in out, f"{fact.name} emitted twice"
            out[fact.name] = fact
    return out


def health(result: AnalyzerResult) -> dict[str, HealthCheck]:
    return {f.target: f for f in result.facts if isinstance(f, HealthCheck)}


def lines(fact: FactBase) -> tuple[int, int]:
    (citation,) = fact.citations
    assert citation.path == "app/main.py"
    return citation.start_line, citation.end_line


# --- accepts / malformed input --------------------------------------------------------


def test_registered_and_accepts_python_files_only() -> None:
    assert "python" in load_analyzers()
    assert ANALYZER.accepts(SourceFile("svc/app.py", "x = 1\n"))
    assert not ANALYZER.accepts(SourceFile("svc/app.pyi", "x: int\n"))
    assert not ANALYZER.accepts(SourceFile("svc/app.txt", "x = 1\n"))
    assert not ANALYZER.accepts(SourceFile("tests/test_app.py", "x = 1\n"))
    assert not ANALYZER.accepts(SourceFile("svc/conftest.py", "x = 1\n"))
    assert not ANALYZER.accepts(SourceFile("setup.py", "x = 1\n"))


def test_syntax_error_is_one_warning_with_its_line() -> None:
    source = SourceFile("app/legacy.py", 'import os\n\nprint "hello"\nx = os.getenv("A")\n')
    result = ANALYZER.analyze(source)
    assert result.facts == []
    (warning,) = result.warnings
    assert warning.path == "app/legacy.py"
    assert warning.line == 3
    assert warning.source == "python"
    assert "syntax" in warning.message.lower()


def test_null_bytes_do_not_raise() -> None:
    result = ANALYZER.analyze(SourceFile("app/bin.py", "x = 1\x00\n"))
    assert result.facts == []
    assert len(result.warnings) == 1


def test_huge_file_is_skipped_quickly() -> None:
    text = 'import os\nA = os.getenv("A")\n' + "x = 1\n" * (MAX_CHARS // 6 + 10)
    source = SourceFile("app/generated.py", text)
    started = time.monotonic()
    assert not ANALYZER.accepts(source)
    result = ANALYZER.analyze(source)
    assert time.monotonic() - started < 1.0
    assert result.facts == []
    assert len(result.warnings) == 1


def test_weird_calls_give_no_fact_and_no_crash() -> None:
    result = run(
        """\
        import os
        name = "DYNAMIC"
        a = os.getenv(name)
        b = os.getenv(f"{name}_HOST")
        c = os.getenv()
        d = os.environ.get(*names)
        e = os.environ[key]
        os.environ["WRITTEN"] = "1"
        del os.environ["GONE"]
        f = os.getenv("HOME")
        g = os.getenv("has space")
        parser.add_argument(*flags, **kwargs)
        parser.add_argument()
        parser.add_argument("--")
        """
    )
    assert result.facts == []
    assert result.warnings == []


# --- pydantic settings ----------------------------------------------------------------

SETTINGS = """\
from datetime import timedelta
from enum import Enum
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, Field, SecretStr, conint
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORT = 8000


class LogLevel(str, Enum):
    DEBUG = "debug"
    INFO = "info"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="app_", env_file=".env")

    port: int = DEFAULT_PORT
    max_connections: int = Field(10, ge=1, le=100, description="pool size")
    workers: conint(ge=1, lt=64) = 4
    retries: Annotated[int, Field(ge=0)] = 3
    log_level: LogLevel = LogLevel.INFO
    mode: Literal["dev", "prod"] = "dev"
    db_password: SecretStr
    api_token: str = "changeme"
    timeout: timedelta = timedelta(seconds=30)
    hosts: list[str] = Field(default_factory=list)
    redis: str = Field("redis://localhost:6379", alias="REDIS_URL")
    ratio: float = Field(default=0.5, gt=0, lt=1)
    name: Optional[str] = None
    batch: int = 50  # max 500
    debug: bool = False
    _private: int = 1


class WorkerSettings(Settings):
    concurrency: int = Field(..., description="between 1 and 16")


class Request(BaseModel):
    limit: int = Field(10, ge=1)
"""


def test_settings_fields_named_as_env_vars_with_prefix() -> None:
    found = params(run(SETTINGS))
    assert set(found) == {
        "APP_PORT",
        "APP_MAX_CONNECTIONS",
        "APP_WORKERS",
        "APP_RETRIES",
        "APP_LOG_LEVEL",
        "APP_MODE",
        "APP_DB_PASSWORD",
        "APP_API_TOKEN",
        "APP_TIMEOUT",
        "APP_HOSTS",
        "REDIS_URL",
        "APP_RATIO",
        "APP_NAME",
        "APP_BATCH",
        "APP_DEBUG",
        "APP_CONCURRENCY",
    }
    port = found["APP_PORT"]
    assert port.id == "config_parameter:-:APP_PORT"
    assert (port.value_type, port.default, port.required) == ("int", "8000", False)
    assert lines(port) == (19, 19)
    assert lines(found["APP_CONCURRENCY"]) == (38, 38)


def test_settings_types_defaults_and_declared_ranges() -> None:
    found = params(run(SETTINGS))
    conn = found["APP_MAX_CONNECTIONS"]
    assert (conn.min, conn.max, conn.range_source, conn.default) == (1, 100, "declared", "10")
    workers = found["APP_WORKERS"]
    assert (workers.value_type, workers.min, workers.max) == ("int", 1, 64)
    retries = found["APP_RETRIES"]
    assert (retries.min, retries.max, retries.range_source) == (0, None, "declared")
    ratio = found["APP_RATIO"]
    assert (ratio.value_type, ratio.default, ratio.min, ratio.max) == ("float", "0.5", 0, 1)
    level = found["APP_LOG_LEVEL"]
    assert (level.value_type, level.allowed_values, level.default) == (
        "enum",
        ["debug", "info"],
        "info",
    )
    mode = found["APP_MODE"]
    assert (mode.value_type, mode.allowed_values, mode.default) == ("enum", ["dev", "prod"], "dev")
    assert found["APP_TIMEOUT"].value_type == "duration"
    assert found["APP_TIMEOUT"].default == "timedelta(seconds=30)"
    hosts = found["APP_HOSTS"]
    assert (hosts.value_type, hosts.default, hosts.required) == ("list", None, False)
    assert found["REDIS_URL"].default == "redis://localhost:6379"
    name = found["APP_NAME"]
    assert (name.default, name.required) == (None, False)
    debug = found["APP_DEBUG"]
    assert (debug.value_type, debug.default) == ("bool", "False")
    batch = found["APP_BATCH"]
    assert (batch.max, batch.range_source) == (500, "documented")
    concurrency = found["APP_CONCURRENCY"]
    assert concurrency.required
    assert (concurrency.min, concurrency.max, concurrency.range_source) == (1, 16, "documented")


def test_settings_secrets_never_keep_a_default() -> None:
    found = params(run(SETTINGS))
    password = found["APP_DB_PASSWORD"]
    assert password.secret and password.required and password.default is None
    token = found["APP_API_TOKEN"]
    assert token.secret and token.default is None


def test_request_schema_is_not_an_operator_parameter() -> None:
    found = params(run(SETTINGS))
    assert not any("LIMIT" in name for name in found)


def test_pydantic_v1_config_class_and_env_alias() -> None:
    found = params(
        run(
            """\
            from pydantic import BaseSettings, Field


            class Config(BaseSettings):
                token: str = Field(..., env="SERVICE_TOKEN")
                hosts: list = Field(["a"], env=["HOSTS", "ALLOWED_HOSTS"])
                verbose = False

                class Config:
                    env_prefix = "svc_"
            """
        )
    )
    assert set(found) == {"SERVICE_TOKEN", "HOSTS", "ALLOWED_HOSTS", "SVC_VERBOSE"}
    assert found["SERVICE_TOKEN"].required and found["SERVICE_TOKEN"].secret
    assert found["SVC_VERBOSE"].value_type == "bool"
    assert lines(found["HOSTS"]) == (6, 6)


def test_case_sensitive_nested_and_validation_alias() -> None:
    found = params(
        run(
            """\
            import pydantic_settings
            from pydantic import AliasChoices, BaseModel, Field


            class Database(BaseModel):
                host: str = "localhost"
                port: int = Field(5432, ge=1, le=65535)


            class Settings(pydantic_settings.BaseSettings):
                model_config = pydantic_settings.SettingsConfigDict(
                    env_prefix="App_", case_sensitive=True, env_nested_delimiter="__"
                )
                db: Database = Database()
                url: str = Field("x", validation_alias=AliasChoices("SERVICE_URL", "URL"))
            """
        )
    )
    assert set(found) == {"App_db__host", "App_db__port", "SERVICE_URL", "URL"}
    port = found["App_db__port"]
    assert (port.value_type, port.default, port.min, port.max) == ("int", "5432", 1, 65535)
    assert lines(port) == (7, 7)


# --- environment reads ----------------------------------------------------------------


ENV = """\
import os
from os import environ, getenv

PORT = int(os.environ.get("PORT", 8080))
DEBUG = os.getenv("DEBUG", "false").lower() in ("1", "true", "yes")
HOSTS = os.getenv("ALLOWED_HOSTS", "").split(",")
DATABASE_URL = os.environ["DATABASE_URL"]
TIMEOUT = float(environ.get("TIMEOUT") or 2.5)
MODE = getenv("MODE", None)
RETRIES = os.environ.get(
    "RETRIES",
    "3",
)
if "OPTIONAL" in os.environ:
    OPTIONAL = os.environ["OPTIONAL"]
try:
    MAYBE = os.environ["MAYBE"]
except KeyError:
    MAYBE = None
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-secret")
VERBOSE = os.getenv("VERBOSE") == "1"
"""


def test_env_reads_types_defaults_and_required() -> None:
    found = params(run(ENV))
    assert set(found) == {
        "PORT",
        "DEBUG",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "TIMEOUT",
        "MODE",
        "RETRIES",
        "OPTIONAL",
        "MAYBE",
        "SECRET_KEY",
        "VERBOSE",
    }
    expected = {
        "PORT": ("int", "8080", False),
        "DEBUG": ("bool", "false", False),
        "ALLOWED_HOSTS": ("list", "", False),
        "DATABASE_URL": ("string", None, True),
        "TIMEOUT": ("float", "2.5", False),
        "MODE": ("string", None, False),
        "RETRIES": ("int", "3", False),
        "OPTIONAL": ("string", None, False),
        "MAYBE": ("string", None, False),
        "VERBOSE": ("bool", None, False),
    }
    for name, (value_type, default, required) in expected.items():
        fact = found[name]
        assert (fact.value_type, fact.default, fact.required) == (value_type, default, required), (
            name
        )
    assert found["SECRET_KEY"].secret and found["SECRET_KEY"].default is None
    assert lines(found["PORT"]) == (4, 4)
    assert lines(found["RETRIES"]) == (10, 13)
    assert lines(found["DATABASE_URL"]) == (7, 7)


def test_same_variable_read_twice_gives_two_facts() -> None:
    result = run(
        """\
        import os as _os

        def a():
            return _os.getenv("REGION", "eu")

        def b():
            return _os.environ["REGION"]
        """
    )
    facts = [f for f in result.facts if isinstance(f, ConfigParameter)]
    assert [f.id for f in facts] == ["config_parameter:-:REGION"] * 2
    assert [lines(f) for f in facts] == [(4, 4), (7, 7)]
    assert not facts[1].required  # the file reads it elsewhere with a fallback


def test_module_constant_names_are_resolved() -> None:
    found = params(
        run(
            """\
            import os
            ENV_PORT = "SERVICE_PORT"
            DEFAULT = 9000
            port = int(os.getenv(ENV_PORT, DEFAULT))
            """
        )
    )
    assert (found["SERVICE_PORT"].value_type, found["SERVICE_PORT"].default) == ("int", "9000")


def test_django_environ_and_decouple() -> None:
    result = run(
        """\
        import environ
        from decouple import Csv, config

        env = environ.Env(DEBUG=(bool, False))
        DEBUG = env("DEBUG")
        SECRET_KEY = env("DJANGO_SECRET_KEY")
        CACHE_TTL = env.int("CACHE_TTL", default=300)
        ALLOWED = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost"])
        env.read_env(".env")
        EMAIL_PORT = config("EMAIL_PORT", default=25, cast=int)
        ADMINS = config("ADMINS", cast=Csv())
        USE_TLS = config("USE_TLS", default=False, cast=bool)
        """
    )
    by_line = {(f.name, lines(f)): f for f in result.facts if isinstance(f, ConfigParameter)}
    assert set(by_line) == {
        ("DEBUG", (4, 4)),
        ("DEBUG", (5, 5)),
        ("DJANGO_SECRET_KEY", (6, 6)),
        ("CACHE_TTL", (7, 7)),
        ("DJANGO_ALLOWED_HOSTS", (8, 8)),
        ("EMAIL_PORT", (10, 10)),
        ("ADMINS", (11, 11)),
        ("USE_TLS", (12, 12)),
    }
    debug = by_line[("DEBUG", (5, 5))]
    assert (debug.value_type, debug.default, debug.required) == ("bool", "False", False)
    secret = by_line[("DJANGO_SECRET_KEY", (6, 6))]
    assert secret.required and secret.secret
    assert by_line[("CACHE_TTL", (7, 7))].value_type == "int"
    assert by_line[("DJANGO_ALLOWED_HOSTS", (8, 8))].value_type == "list"
    email = by_line[("EMAIL_PORT", (10, 10))]
    assert (email.value_type, email.default, email.required) == ("int", "25", False)
    admins = by_line[("ADMINS", (11, 11))]
    assert (admins.value_type, admins.required) == ("list", True)
    assert by_line[("USE_TLS", (12, 12))].value_type == "bool"


def test_config_named_function_without_decouple_is_ignored() -> None:
    assert run('from .settings import config\nX = config("X", default=1)\n').facts == []


# --- command-line flags ---------------------------------------------------------------


ARGPARSE = """\
import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("input", help="file to read")
parser.add_argument("-m", "--max-conn", type=int, default=10, help="connections (1-100)")
parser.add_argument("-v", "--verbose", action="store_true")
parser.add_argument("--mode", choices=["fast", "safe"], default="safe", required=True)
parser.add_argument("--level", type=int, choices=range(1, 6))
parser.add_argument(
    "--rate",
    type=float,
    default=os.environ.get("RATE", "5"),
    help="requests per second, between 1 and 10",
)
group = parser.add_argument_group("auth")
group.add_argument("--api-key", default="abc123")
sub = parser.add_subparsers().add_parser("serve")
sub.add_argument("--workers", "-w", type=int, help="max 64")
sub.add_argument("--tag", action="append", help="at most 3")
parser.add_argument("--version", action="version", version="1.0")
"""


def test_argparse_flags() -> None:
    found = params(run(ARGPARSE))
    assert set(found) == {
        "--max-conn",
        "--verbose",
        "--mode",
        "--level",
        "--rate",
        "RATE",
        "--api-key",
        "--workers",
        "--tag",
    }
    conn = found["--max-conn"]
    assert conn.id == "config_parameter:-:--max-conn"
    assert (conn.value_type, conn.default, conn.min, conn.max) == ("int", "10", 1, 100)
    assert conn.range_source == "documented"
    assert lines(conn) == (6, 6)
    verbose = found["--verbose"]
    assert (verbose.value_type, verbose.default) == ("bool", None)
    mode = found["--mode"]
    assert (mode.value_type, mode.allowed_values, mode.required) == ("enum", ["fast", "safe"], True)
    level = found["--level"]
    assert (level.value_type, level.min, level.max, level.range_source) == ("int", 1, 5, "declared")
    rate = found["--rate"]
    assert (rate.value_type, rate.default, rate.min, rate.max) == ("float", "5", 1, 10)
    assert lines(rate) == (10, 15)
    env_rate = found["RATE"]
    assert (env_rate.value_type, env_rate.default) == ("float", "5")
    assert lines(env_rate) == (13, 13)
    assert found["--api-key"].secret
    workers = found["--workers"]
    assert (workers.max, workers.min, workers.range_source) == (64, None, "documented")
    tag = found["--tag"]
    assert (tag.value_type, tag.range_source) == ("list", None)


def test_click_options() -> None:
    found = params(
        run(
            """\
            import click
            from click import option


            @click.command()
            @option("-w", "--workers", type=click.IntRange(1, 32), default=4, envvar="WORKERS")
            @click.option("--color", type=click.Choice(["red", "blue"]), default="red")
            @click.option("--shout/--no-shout", default=False)
            @click.option(
                "--ratio",
                type=click.FloatRange(min=0.0, max=1.0),
                envvar=["RATIO", "APP_RATIO"],
            )
            @click.argument("path", envvar="DATA_PATH")
            def cli(workers, color, shout, ratio, path):
                pass
            """
        )
    )
    assert set(found) == {
        "--workers",
        "WORKERS",
        "--color",
        "--shout",
        "--ratio",
        "RATIO",
        "APP_RATIO",
        "DATA_PATH",
    }
    for name in ("--workers", "WORKERS"):
        fact = found[name]
        assert (fact.value_type, fact.default, fact.min, fact.max) == ("int", "4", 1, 32)
        assert fact.range_source == "declared"
        assert lines(fact) == (6, 6)
    color = found["--color"]
    assert (color.value_type, color.allowed_values) == ("enum", ["red", "blue"])
    assert found["--shout"].value_type == "bool"
    ratio = found["--ratio"]
    assert (ratio.value_type, ratio.min, ratio.max) == ("float", 0.0, 1.0)
    assert lines(found["APP_RATIO"]) == (9, 13)


def test_typer_options() -> None:
    found = params(
        run(
            """\
            from typing import Annotated

            import typer

            app = typer.Typer()


            @app.command()
            def main(
                count: int = typer.Option(4, "--count", "-c", min=1, max=32, envvar="COUNT"),
                name: str = typer.Option(..., help="your name"),
                size: Annotated[float, typer.Option("--size", max=9.5)] = 1.0,
                dry_run: bool = typer.Option(False),
                path: str = typer.Argument(...),
            ):
                pass
            """
        )
    )
    assert set(found) == {"--count", "COUNT", "--name", "--size", "--dry-run"}
    count = found["--count"]
    assert (count.value_type, count.default, count.min, count.max) == ("int", "4", 1, 32)
    assert lines(count) == (10, 10)
    assert found["--name"].required
    size = found["--size"]
    assert (size.value_type, size.default, size.max, size.required) == ("float", "1.0", 9.5, False)
    assert found["--dry-run"].value_type == "bool"


def test_documented_range_phrases() -> None:
    assert documented_range("pool size (1-100)") == (1, 100)
    assert documented_range("between 0.5 and 2.5 seconds") == (0.5, 2.5)
    assert documented_range("max 500 items") == (None, 500)
    assert documented_range("at least 2, at most 8") == (2, 8)
    assert documented_range("must be >= 1") == (1, None)
    assert documented_range("number of minutes to wait") == (None, None)
    assert documented_range("maximum number of connections") == (None, None)
    assert documented_range(None) == (None, None)


# --- health routes --------------------------------------------------------------------


ROUTES = """\
from django.urls import path, re_path
from fastapi import APIRouter, FastAPI
from flask import Blueprint
from starlette.routing import Route

app = FastAPI()
router = APIRouter(prefix="/api/v1")
bp = Blueprint("ops", __name__, url_prefix="/ops")


@app.get("/healthz")
async def healthz():
    return {"ok": True}


@router.get("/health", include_in_schema=False)
@cache(ttl=5)
def health():
    return "ok"


@bp.route("/ping")
def ping():
    return "pong"


@app.get("/users")
def users():
    return []


@app.api_route("/-/ready", methods=["GET", "HEAD"])
def ready():
    return ""


urlpatterns = [
    path("healthz/", views.health),
    re_path(r"^live/?$", views.live),
    path("admin/", admin.site.urls),
]
routes = [Route("/readyz", endpoint=readyz)]
response = requests.get("http://localhost/health")
client.get("/health")
"""


def test_health_routes() -> None:
    found = health(run(ROUTES))
    assert set(found) == {
        "/healthz",
        "/api/v1/health",
        "/ops/ping",
        "/-/ready",
        "/healthz/",
        "/live",
        "/readyz",
    }
    healthz = found["/healthz"]
    assert healthz.id == "health_check:-:code-endpoint:/healthz"
    assert (healthz.check_type, healthz.mechanism, healthz.port) == ("http", "code-endpoint", None)
    assert lines(healthz) == (11, 12)
    assert lines(found["/api/v1/health"]) == (16, 18)
    assert lines(found["/-/ready"]) == (32, 33)
    assert lines(found["/healthz/"]) == (38, 38)
    assert lines(found["/live"]) == (39, 39)
    assert lines(found["/readyz"]) == (42, 42)


def test_health_route_by_handler_name_and_flask_rule() -> None:
    found = health(
        run(
            """\
            from flask import Flask

            app = Flask(__name__)


            @app.route("/status")
            def health_check():
                return "ok"


            app.add_url_rule("/livez", "livez", livez)
            """
        )
    )
    assert set(found) == {"/status", "/livez"}
    assert lines(found["/status"]) == (6, 7)
    assert lines(found["/livez"]) == (11, 11)


@pytest.mark.parametrize(
    "path",
    ["/health", "/api/v1/health", "/-/healthy", "/readiness", "/livez", "/__heartbeat__"],
)
def test_health_path_spellings(path: str) -> None:
    found = health(run(f'@app.get("{path}")\ndef view():\n    pass\n'))
    assert set(found) == {path}


@pytest.mark.parametrize("path", ["/", "/status", "/healthcare/plans", "/users/{id}"])
def test_other_paths_are_not_health(path: str) -> None:
    assert run(f'@app.get("{path}")\ndef view():\n    pass\n').facts == []


# Adapted from healthchecks/healthchecks hc/api/urls.py: the product's ping API (one check per
# uuid or slug) and a /status list, none of which is the service's own health endpoint.
HC_URLS = """\
from django.urls import include, path, re_path

from hc.api import views

urlpatterns = [
    path("ping/<uuid:code>", views.ping),
    path("ping/<uuid:code>/", include(uuid_urls)),
    path("ping/<slug:ping_key>/<slug:slug>", views.ping_by_slug),
    re_path(r"^ping/(?P<code>[0-9a-f-]+)/fail/?$", views.ping),
    path("api/v1/checks/<uuid:code>/pings/", views.pings),
    path("healthz/", views.health),
]
"""


def test_routes_with_path_parameters_are_never_health_checks() -> None:
    found = health(run(HC_URLS, path="hc/api/urls.py"))
    assert set(found) == {"/healthz/"}  # the real health route stays
    assert not any("<" in target or "(" in target for target in found)


@pytest.mark.parametrize(
    "decorated",
    [
        '@app.get("/ping/{check_id}")\ndef ping(check_id):\n    pass\n',  # FastAPI
        '@bp.route("/health/<int:node>")\ndef health(node):\n    pass\n',  # Flask
        '@app.get("/status/{name}")\ndef health_check(name):\n    pass\n',  # by handler name
        '@app.route("/ready/:id")\ndef ready(id):\n    pass\n',
    ],
)
def test_a_health_word_with_a_path_parameter_is_not_a_health_route(decorated: str) -> None:
    assert health(run(decorated)) == {}


def test_tornado_regex_group_route_is_not_health_but_plain_ping_is() -> None:
    found = health(
        run(
            """\
            app = tornado.web.Application([
                (r"/ping/([^/]+)", PingHandler),
                (r"/ping", PingHandler),
            ])
            """
        )
    )
    assert set(found) == {"/ping"}


# --- project helpers that wrap os.getenv (real settings modules do this) -----------------


def test_env_helper_functions_are_reads_of_the_variable_they_name() -> None:
    result = run(
        """
        import os

        def env_flag(name: str, default: str) -> bool:
            value = os.getenv(name, default=default)
            return value.lower() in ("1", "true")

        def intenv(key, fallback):
            return int(os.environ.get(key, fallback))

        def csv_from_env(name, default=""):
            return os.getenv(name, default).split(",")

        def must(name):
            return os.environ[name]

        VERBOSE = env_flag("APP_VERBOSE", "false")
        WORKERS = intenv("APP_WORKERS", fallback="8")
        ORIGINS = csv_from_env("APP_ORIGINS")
        API_TOKEN = must("APP_API_TOKEN")
        """,
        path="site/settings.py",
    )
    found = params(result)
    assert found["APP_VERBOSE"].value_type == "bool"
    assert found["APP_VERBOSE"].default == "false"
    assert found["APP_WORKERS"].value_type == "int"
    assert found["APP_WORKERS"].default == "8"
    assert found["APP_ORIGINS"].value_type == "list"
    assert found["APP_ORIGINS"].default is None
    assert found["APP_API_TOKEN"].required and found["APP_API_TOKEN"].secret
    # the helper's own `os.getenv(name, …)` names no variable
    assert set(found) == {"APP_VERBOSE", "APP_WORKERS", "APP_ORIGINS", "APP_API_TOKEN"}
    assert found["APP_WORKERS"].citations[0].start_line == 18


def test_a_function_that_does_not_read_env_by_its_argument_is_no_helper() -> None:
    result = run(
        """
        import os

        def label(name):
            return os.getenv("APP_LABEL_PREFIX", "") + name

        TITLE = label("APP_TITLE")
        """
    )
    assert set(params(result)) == {"APP_LABEL_PREFIX"}


def test_defaults_that_are_code_are_not_values() -> None:
    result = run(
        """
        import os
        from pathlib import Path

        BASE = Path(__file__).parent
        SITE_NAME = "Acme"
        TIMEOUT = 60 * 5

        DB_PATH = os.getenv("APP_DB_PATH", BASE / "app.sqlite")
        LABEL = os.getenv("APP_LABEL", SITE_NAME)
        PING_URL = os.getenv("APP_PING_URL", SITE_ROOT + "/ping/")
        WAIT = int(os.getenv("APP_WAIT", TIMEOUT))
        NAME = os.environ.get("APP_NAME") or compute_name()
        """
    )
    found = params(result)
    assert found["APP_DB_PATH"].default is None
    assert found["APP_LABEL"].default == "Acme"
    assert found["APP_PING_URL"].default is None
    assert found["APP_WAIT"].default == "60 * 5"
    assert found["APP_NAME"].default is None
