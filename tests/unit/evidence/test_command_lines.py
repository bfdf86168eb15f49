"""Command lines in deployment files set flag values (issue #15): compose `command:` /
`entrypoint:`, Kubernetes `command:` / `args:`, systemd `ExecStart=`, Dockerfile `CMD` /
`ENTRYPOINT`, each flag a ConfigParameter named as the code names it, layered over the code's
default by the merge."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ddd_llm.config import ExtractOptions
from ddd_llm.evidence.base import SourceFile
from ddd_llm.evidence.deploy._command import Word, command_flags
from ddd_llm.evidence.deploy.compose import ComposeAnalyzer
from ddd_llm.evidence.deploy.dockerfile import DockerfileAnalyzer
from ddd_llm.evidence.deploy.kubernetes import KubernetesAnalyzer
from ddd_llm.evidence.deploy.systemd import SystemdAnalyzer
from ddd_llm.models import Citation, ConfigParameter, FactBase
from ddd_llm.pipeline import extract
from tests.conftest import REPO

CITE = Citation(path="x", start_line=1, end_line=1)


def flags(*words: str) -> dict[str, str | None]:
    return {f.name: f.value for f in command_flags([Word(w, CITE) for w in words])}


def params(facts: list[FactBase]) -> dict[str, ConfigParameter]:
    return {f.id: f for f in facts if isinstance(f, ConfigParameter)}


# --- parsing ---------------------------------------------------------------------------


def test_flag_spellings() -> None:
    got = flags("app", "--port", "8080", "--mode=fast", "-c", "4", "-v", "--once", "serve")
    assert got == {"--port": "8080", "--mode": "fast", "-c": "4", "-v": None, "--once": "serve"}


def test_go_single_dash_flags_and_negative_values() -> None:
    # getsentry/self-hosted seaweedfs: `weed mini -dir=/data -metricsPort=9091`
    got = flags("weed", "mini", "-dir=/data", "-metricsPort=9091", "-offset", "-1")
    assert got == {"-dir": "/data", "-metricsPort": "9091", "-offset": "-1"}


def test_double_dash_ends_the_flags() -> None:
    assert flags("app", "--port", "1", "--", "--not-a-flag", "2") == {"--port": "1"}


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["python", "-m", "worker", "--concurrency", "4"], {"--concurrency": "4"}),
        (["python3", "-u", "-X", "dev", "app.py", "--port", "80"], {"--port": "80"}),
        (["node", "--max-old-space-size=4096", "server.js", "--port", "3000"], {"--port": "3000"}),
        (
            ["java", "-Xmx1g", "-cp", "lib/*", "-jar", "app.jar", "--server.port=8080"],
            {"--server.port": "8080"},
        ),
        (["python", "-c", "import app; app.run()"], {}),
        (["tini", "--", "gunicorn", "-w", "4", "app:app"], {"-w": "4"}),
        (
            ["gosu", "app", "celery", "-A", "proj", "worker", "--concurrency", "8"],
            {"-A": "proj", "--concurrency": "8"},
        ),
        (["env", "A=1", "app", "--x", "y"], {"--x": "y"}),
        (["--concurrency", "4"], {"--concurrency": "4"}),  # only arguments to the ENTRYPOINT
    ],
)
def test_wrappers_and_interpreters_are_taken_off(
    words: list[str], expected: dict[str, str | None]
) -> None:
    assert flags(*words) == expected


def test_settings_passed_as_key_value_are_named_by_their_key() -> None:
    # The common compose idiom for the postgres image (`command: postgres -c name=value …`).
    text = (
        "services:\n  db:\n    image: postgres:16\n"
        "    command: postgres -c max_connections=200 -c shared_buffers=256MB\n"
    )
    got = params(ComposeAnalyzer().analyze(SourceFile("docker-compose.yml", text)).facts)
    assert got["config_parameter:db:max_connections"].default == "200"
    assert got["config_parameter:db:shared_buffers"].value_type == "size"
    assert "config_parameter:db:-c" not in got


def test_sh_c_scripts_are_parsed_as_shell() -> None:
    # healthchecks/healthchecks docker/docker-compose.yml: wait for the database, then uwsgi.
    script = "while !</dev/tcp/db/5432; do sleep 1; done; uwsgi /opt/healthchecks/docker/uwsgi.ini"
    assert flags("bash", "-c", script) == {}
    got = flags(
        "sh", "-c", "python manage.py migrate && exec gunicorn -w 4 --bind 0.0.0.0:8000 app"
    )
    assert got == {"-w": "4", "--bind": "0.0.0.0:8000"}


# --- each artifact ---------------------------------------------------------------------


def test_compose_string_and_list_commands() -> None:
    # getsentry/self-hosted docker-compose.yml, snuba consumers (trimmed).
    text = textwrap.dedent(
        """\
        services:
          snuba-errors-consumer:
            image: snuba
            command: >-
              rust-consumer --storage errors --max-batch-time-ms 750 --no-strict-offset-reset
              --max-poll-interval-ms ${SENTRY_KAFKA_MAX_POLL_INTERVAL_MS:-300000}
          worker:
            build: ./worker
            entrypoint: ["python", "-m", "worker"]
            command:
              - --concurrency
              - "4"
              - --password
              - hunter2
        """
    )
    got = params(ComposeAnalyzer().analyze(SourceFile("docker-compose.yml", text)).facts)
    consumer = "config_parameter:snuba-errors-consumer:"
    assert got[consumer + "--storage"].default == "errors"
    assert got[consumer + "--max-batch-time-ms"].value_type == "int"
    assert got[consumer + "--no-strict-offset-reset"].value_type == "bool"
    poll = got[consumer + "--max-poll-interval-ms"]
    assert poll.default == "300000" and "SENTRY_KAFKA_MAX_POLL_INTERVAL_MS" in poll.summary
    assert got[consumer + "SENTRY_KAFKA_MAX_POLL_INTERVAL_MS"].default == "300000"
    concurrency = got["config_parameter:worker:--concurrency"]
    assert concurrency.default == "4"
    assert [(c.start_line, c.end_line) for c in concurrency.citations] == [(11, 12)]
    password = got["config_parameter:worker:--password"]
    assert password.secret and password.default is None and "hunter2" not in password.summary
    assert "config_parameter:worker:-m" not in got


def test_kubernetes_args_of_the_main_container_only() -> None:
    text = textwrap.dedent(
        """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: gateway
        spec:
          template:
            spec:
              initContainers:
                - name: wait
                  image: busybox
                  command: ["sh", "-c", "until nc -z redis 6379 -w 1; do sleep 2; done"]
              containers:
                - name: gateway
                  image: gateway
                  args: ["-port=8080", "--request-timeout", "5s"]
                - name: proxy
                  image: envoy
                  args: ["--log-level", "debug"]
        """
    )
    got = params(KubernetesAnalyzer().analyze(SourceFile("k8s/gateway.yaml", text)).facts)
    flag_ids = {i for i in got if ":-" in i}
    assert flag_ids == {
        "config_parameter:gateway:-port",
        "config_parameter:gateway:--request-timeout",
    }
    assert got["config_parameter:gateway:--request-timeout"].value_type == "duration"


def test_dockerfile_exec_and_shell_forms() -> None:
    exec_form = 'FROM python:3.12\nENTRYPOINT ["uvicorn"]\nCMD ["app.main:app", "--port", "8000"]\n'
    got = params(DockerfileAnalyzer().analyze(SourceFile("svc/Dockerfile", exec_form)).facts)
    assert got["config_parameter:-:--port"].default == "8000"
    assert [c.start_line for c in got["config_parameter:-:--port"].citations] == [3]
    shell_form = "FROM python:3.12\nCMD gunicorn -w ${WORKERS:-4} app:app\n"
    got = params(DockerfileAnalyzer().analyze(SourceFile("svc/Dockerfile", shell_form)).facts)
    assert got["config_parameter:-:-w"].default == "4"
    assert got["config_parameter:-:WORKERS"].default == "4"
    # A shell-form ENTRYPOINT ignores CMD.
    ignored = 'FROM x\nENTRYPOINT exec app --a 1\nCMD ["--b", "2"]\n'
    got = params(DockerfileAnalyzer().analyze(SourceFile("Dockerfile", ignored)).facts)
    assert set(got) == {"config_parameter:-:--a"}


def test_systemd_exec_start_with_continuations() -> None:
    unit = (
        "[Service]\nExecStart=/usr/bin/python3 -m collector \\\n"
        "  --workers 4 \\\n  --listen-port ${PORT}\n"
    )
    got = params(SystemdAnalyzer().analyze(SourceFile("deploy/collector.service", unit)).facts)
    workers = got["config_parameter:collector:--workers"]
    assert workers.default == "4" and workers.citations[0].start_line == 2
    assert got["config_parameter:collector:--listen-port"].default == "${PORT}"
    assert got["config_parameter:collector:PORT"].default is None


def test_unbalanced_quotes_are_a_warning_with_the_line() -> None:
    text = 'services:\n  web:\n    image: x\n    command: app --name "unterminated\n'
    result = ComposeAnalyzer().analyze(SourceFile("docker-compose.yml", text))
    assert [(w.line, "quotes" in w.message) for w in result.warnings] == [(4, True)]


# --- layering over the code's default (the whole static pipeline) ------------------------


def test_compose_shop_worker_runs_with_the_deployments_concurrency(tmp_path: Path) -> None:
    options = ExtractOptions(llm="none", index=False, out_dir=tmp_path / "out", prose=False)
    doc = extract(REPO / "fixtures" / "compose-shop", options).document
    facts = {f.id: f for f in doc.facts}
    concurrency = facts["config_parameter:worker:--concurrency"]
    assert isinstance(concurrency, ConfigParameter)
    assert concurrency.default == "4"  # compose runs it with 4; the code's default is 2
    assert (concurrency.min, concurrency.max) == (1, 16)  # the code's declared range stays
    paths = [c.path for c in concurrency.citations]
    assert paths[:2] == ["docker-compose.yml", "worker/worker/__main__.py"]
    assert concurrency.verification.status == "verified"
    layered = [c for c in concurrency.verification.checks if c.name == "values_agree"]
    assert layered and all(c.passed for c in layered)
    assert "'2'" in layered[0].detail


def test_a_script_runners_arguments_are_not_the_applications_flags() -> None:
    # `yarn watch -L` hands -L to whatever the `watch` script runs (a file watcher).
    assert flags("yarn", "watch", "-L") == {}
    assert flags("npm", "run", "serve", "--", "--verbose") == {}
    assert flags("sh", "-c", "make seed && exec ./server --workers 3") == {"--workers": "3"}
    assert flags("node", "dist/main.js", "--workers", "3") == {"--workers": "3"}
