"""Unit tests for the Dockerfile analyzer."""

from __future__ import annotations

import textwrap

import pytest

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile, duration_seconds
from ddd_llm.evidence.deploy.dockerfile import DockerfileAnalyzer, parse_env
from ddd_llm.models import ConfigParameter, FactBase, HealthCheck, ResourceRequirement

ANALYZER = DockerfileAnalyzer()


def run(text: str, path: str = "Dockerfile") -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(text).lstrip("\n"))
    assert ANALYZER.accepts(source)
    return ANALYZER.analyze(source)


def facts(result: AnalyzerResult) -> dict[str, FactBase]:
    out = {fact.id: fact for fact in result.facts}
    assert len(out) == len(result.facts), "one fact per id"
    return out


def lines(fact: FactBase) -> list[tuple[int, int]]:
    return [(c.start_line, c.end_line) for c in fact.citations]


def test_registered_under_its_name() -> None:
    assert isinstance(REGISTRY["dockerfile"], DockerfileAnalyzer)


@pytest.mark.parametrize(
    "path",
    [
        "Dockerfile",
        "api/Dockerfile",
        "Dockerfile.dev",
        "docker/Dockerfile.prod",
        "worker.Dockerfile",
        "Containerfile",
        "dockerfile",
        "Dockerfile-alpine",
    ],
)
def test_accepts_dockerfile_names(path: str) -> None:
    assert ANALYZER.accepts(SourceFile(path, "FROM scratch\n"))


@pytest.mark.parametrize(
    "path", ["Dockerfile.md", "docs/dockerfile.rst", "dockerfile.go", "build.sh", "Makefile"]
)
def test_rejects_other_files(path: str) -> None:
    assert not ANALYZER.accepts(SourceFile(path, "FROM scratch\n"))


MULTI_STAGE = """
# syntax=docker/dockerfile:1
FROM golang:1.22 AS build
ENV CGO_ENABLED=0
USER root
EXPOSE 6060
WORKDIR /src
RUN go build -o /app ./cmd/server

FROM gcr.io/distroless/static
COPY --from=build /app /app
ENV PORT=8080 \\
    LOG_LEVEL="info level" \\
    API_TOKEN=changeme
EXPOSE 8080 9090/udp
USER 65532:65532
VOLUME ["/data", "/var/log/app"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=1m --retries=3 \\
  CMD ["/app", "healthcheck"]
ENTRYPOINT ["/app"]
"""


def test_only_the_final_stage_describes_the_running_image() -> None:
    result = run(MULTI_STAGE)
    got = facts(result)
    assert sorted(got) == [
        "config_parameter:-:API_TOKEN",
        "config_parameter:-:LOG_LEVEL",
        "config_parameter:-:PORT",
        "health_check:-:dockerfile-healthcheck:/app healthcheck",
        "resource_requirement:-:permission:user:65532:65532",
        "resource_requirement:-:port:8080",
        "resource_requirement:-:port:9090/udp",
        "resource_requirement:-:volume:/data",
        "resource_requirement:-:volume:/var/log/app",
    ]
    assert result.warnings == []


def test_final_stage_facts_and_citations() -> None:
    got = facts(run(MULTI_STAGE))
    port = got["config_parameter:-:PORT"]
    assert isinstance(port, ConfigParameter)
    assert (port.default, port.value_type, port.service) == ("8080", "int", None)
    assert lines(port) == [(11, 13)]
    level = got["config_parameter:-:LOG_LEVEL"]
    assert isinstance(level, ConfigParameter)
    assert level.default == "info level"
    token = got["config_parameter:-:API_TOKEN"]
    assert isinstance(token, ConfigParameter)
    assert (token.secret, token.default) == (True, None)
    assert "changeme" not in token.summary

    assert lines(got["resource_requirement:-:port:8080"]) == [(14, 14)]
    user = got["resource_requirement:-:permission:user:65532:65532"]
    assert isinstance(user, ResourceRequirement)
    assert (user.resource, user.value, lines(user)) == (
        "permission",
        "user:65532:65532",
        [(15, 15)],
    )
    assert lines(got["resource_requirement:-:volume:/data"]) == [(16, 16)]

    check = got["health_check:-:dockerfile-healthcheck:/app healthcheck"]
    assert isinstance(check, HealthCheck)
    assert (check.check_type, check.mechanism) == ("exec", "dockerfile-healthcheck")
    assert (check.interval_s, check.timeout_s, check.failure_threshold) == (30, 3, 3)
    assert lines(check) == [(17, 18)]
    assert "start period 60s" in check.summary


def test_a_stage_built_from_an_earlier_stage_inherits_it() -> None:
    got = facts(
        run(
            """
            FROM python:3.12-slim AS base
            ENV PYTHONUNBUFFERED=1
            EXPOSE 8000
            HEALTHCHECK CMD curl -f http://localhost:8000/healthz || exit 1

            FROM base AS builder
            ENV BUILD_ONLY=yes

            FROM base AS runtime
            USER app
            """
        )
    )
    assert sorted(got) == [
        "config_parameter:-:PYTHONUNBUFFERED",
        "health_check:-:dockerfile-healthcheck:curl -f http://localhost:8000/healthz || exit 1",
        "resource_requirement:-:permission:user:app",
        "resource_requirement:-:port:8000",
    ]
    assert lines(got["config_parameter:-:PYTHONUNBUFFERED"]) == [(2, 2)]


def test_healthcheck_none_disables_an_inherited_check_and_last_one_wins() -> None:
    disabled = run(
        """
        FROM base AS a
        HEALTHCHECK CMD true
        FROM a
        HEALTHCHECK NONE
        """
    )
    assert [f for f in disabled.facts if isinstance(f, HealthCheck)] == []
    last = facts(
        run(
            """
            FROM alpine
            HEALTHCHECK CMD first
            HEALTHCHECK --interval=5s CMD second
            """
        )
    )
    assert list(last) == ["health_check:-:dockerfile-healthcheck:second"]


def test_healthcheck_shell_form_with_continuations_and_bad_options() -> None:
    result = run(
        """
        FROM nginx
        HEALTHCHECK --interval=soon --retries=x \\
            CMD wget -qO- http://localhost/ \\
                || exit 1
        """
    )
    got = facts(result)
    check = got["health_check:-:dockerfile-healthcheck:wget -qO- http://localhost/ || exit 1"]
    assert isinstance(check, HealthCheck)
    assert (check.interval_s, check.failure_threshold) == (None, None)
    assert lines(check) == [(2, 4)]
    assert sorted((w.line, w.path) for w in result.warnings) == [
        (2, "Dockerfile"),
        (2, "Dockerfile"),
    ]


def test_healthcheck_without_cmd_warns() -> None:
    result = run("FROM x\nHEALTHCHECK --interval=5s\n")
    assert result.facts == []
    assert [(w.line, w.message) for w in result.warnings] == [(2, "HEALTHCHECK without a CMD")]


def test_env_forms() -> None:
    got = facts(
        run(
            """
            FROM debian
            ENV LEGACY some value here
            ENV QUOTED "quoted legacy"
            ENV A=1 B="two words" C='single' D=escaped\\ space E=
            env lower=case
            ENV PATH=/app/bin:$PATH
            ENV A=override
            """
        )
    )
    defaults = {
        f.name: (f.default, lines(f)) for f in got.values() if isinstance(f, ConfigParameter)
    }
    assert defaults == {
        "LEGACY": ("some value here", [(2, 2)]),
        "QUOTED": ("quoted legacy", [(3, 3)]),
        "B": ("two words", [(4, 4)]),
        "C": ("single", [(4, 4)]),
        "D": ("escaped space", [(4, 4)]),
        "E": ("", [(4, 4)]),
        "lower": ("case", [(5, 5)]),
        "PATH": ("/app/bin:$PATH", [(6, 6)]),
        "A": ("override", [(7, 7)]),
    }


def test_parse_env_directly() -> None:
    assert parse_env('K=V K2="v 2"') == [("K", "V"), ("K2", "v 2")]
    assert parse_env("K V W") == [("K", "V W")]
    assert parse_env("") == []


def test_expose_volume_user_spellings() -> None:
    got = facts(
        run(
            """
            FROM alpine
            EXPOSE 80 443/tcp ${METRICS_PORT}
            VOLUME /a /b
            VOLUME ["/c"]
            USER www-data
            """
        )
    )
    values = sorted(f.value for f in got.values() if isinstance(f, ResourceRequirement))
    assert values == ["${METRICS_PORT}", "/a", "/b", "/c", "443", "80", "user:www-data"]


def test_comments_blank_lines_and_comment_lines_inside_continuations() -> None:
    got = facts(
        run(
            """
            FROM alpine

            # Runtime settings
            ENV A=1 \\
            # explained here
                B=2 \\

                C=3
            EXPOSE 80
            """
        )
    )
    assert lines(got["config_parameter:-:C"]) == [(4, 8)]
    assert lines(got["resource_requirement:-:port:80"]) == [(9, 9)]


def test_escape_directive_backtick() -> None:
    got = facts(
        run(
            """
            # escape=`
            FROM mcr.microsoft.com/windows/servercore
            ENV APP_DIR=C:\\app `
                MODE=prod
            EXPOSE 80
            """
        )
    )
    app_dir = got["config_parameter:-:APP_DIR"]
    assert isinstance(app_dir, ConfigParameter)
    assert app_dir.default == "C:\\app"
    assert lines(app_dir) == [(3, 4)]
    assert "config_parameter:-:MODE" in got


def test_heredoc_bodies_are_not_instructions() -> None:
    result = run(
        """
        FROM alpine
        RUN <<EOF
        EXPOSE 9999
        echo hello
        EOF
        EXPOSE 80
        """
    )
    got = facts(result)
    assert list(got) == ["resource_requirement:-:port:80"]
    assert lines(got["resource_requirement:-:port:80"]) == [(6, 6)]
    assert result.warnings == []


def test_onbuild_instructions_do_not_apply_to_this_image() -> None:
    got = facts(run("FROM alpine\nONBUILD EXPOSE 7777\nONBUILD ENV X=1\n"))
    assert got == {}


def test_empty_dockerfile_warns_without_facts() -> None:
    for text in ("", "\n\n", "# just a comment\n"):
        result = ANALYZER.analyze(SourceFile("svc/Dockerfile", text))
        assert result.facts == []
        assert [(w.path, w.message) for w in result.warnings] == [
            ("svc/Dockerfile", "Dockerfile has no instructions")
        ]


def test_garbage_text_warns_naming_file_and_first_line() -> None:
    result = ANALYZER.analyze(
        SourceFile("Dockerfile", "hello world\nthis is not\nFROM alpine\nEXPOSE 80\n")
    )
    assert [(w.path, w.line) for w in result.warnings] == [("Dockerfile", 1)]
    assert "'hello'" in result.warnings[0].message
    assert "1 more" in result.warnings[0].message
    assert "resource_requirement:-:port:80" in facts(result)


def test_binary_content_warns_once() -> None:
    result = ANALYZER.analyze(SourceFile("Dockerfile", "\x00\x01\x02\x03FROM\x00"))
    assert result.facts == []
    assert [(w.path, w.message) for w in result.warnings] == [
        ("Dockerfile", "not a text Dockerfile (binary content)")
    ]


def test_instructions_without_from_warn() -> None:
    result = ANALYZER.analyze(SourceFile("Dockerfile", "EXPOSE 80\n"))
    assert [(w.line, w.message) for w in result.warnings] == [
        (1, "Dockerfile has no FROM instruction")
    ]
    assert "resource_requirement:-:port:80" in facts(result)


def test_continuation_at_end_of_file_does_not_crash() -> None:
    result = ANALYZER.analyze(SourceFile("Dockerfile", "FROM alpine\nENV A=1 \\\n"))
    fact = facts(result)["config_parameter:-:A"]
    assert lines(fact) == [(2, 2)]


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("30s", 30),
        ("1m30s", 90),
        ("500ms", 0.5),
        ("2h", 7200),
        ("1.5m", 90),
        ("0", 0),
        ("30", None),
        ("soon", None),
        ("10s5", None),
        ("", None),
    ],
)
def test_duration_seconds(text: str, seconds: float | None) -> None:
    assert duration_seconds(text) == seconds


def test_env_values_take_build_arguments_and_earlier_env() -> None:
    result = run(
        """
        ARG HTTP_PORT=9000
        FROM alpine AS build
        ENV ONLY_IN_BUILD=1
        FROM alpine
        ARG LICENSE_KEY
        ARG TRACE_ENDPOINT
        ARG FEATURE_X=false
        ARG HTTP_PORT
        ARG RUN_AS=svc
        ENV LICENSE_KEY=${LICENSE_KEY} \\
            TRACE_ENDPOINT=$TRACE_ENDPOINT \\
            FEATURE_X=${FEATURE_X} \\
            PORT=${HTTP_PORT}
        ENV DATA_DIR=/srv/${RUN_AS} PATH=$PATH:/srv/bin MODE=${TRACE_ENDPOINT:-off}
        EXPOSE ${PORT}
        USER ${RUN_AS}
        """
    )
    found = {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}
    assert "ONLY_IN_BUILD" not in found
    assert found["LICENSE_KEY"].secret and found["LICENSE_KEY"].default is None
    assert found["TRACE_ENDPOINT"].default is None  # a build argument with no default
    assert "no default" in found["TRACE_ENDPOINT"].summary
    assert (found["FEATURE_X"].default, found["FEATURE_X"].value_type) == ("false", "bool")
    assert (found["PORT"].default, found["PORT"].value_type) == ("9000", "int")
    assert found["DATA_DIR"].default == "/srv/svc"
    assert found["PATH"].default == "$PATH:/srv/bin"  # from the base image: kept as written
    assert found["MODE"].default == "off"
    ids = facts(result)
    assert "resource_requirement:-:port:9000" in ids
    assert "resource_requirement:-:permission:user:svc" in ids
