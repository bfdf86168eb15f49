"""Live sources → records: each format, the redaction of secrets, and errors naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddd_llm.drift.compare import ignored_reason, judge_value
from ddd_llm.drift.sources import detect, parse_source, read_source, scrub
from ddd_llm.errors import InputError
from ddd_llm.models import Citation, ConfigParameter
from tests.conftest import FIXTURES

LIVE = FIXTURES / "live"
PASSWORD = "Kp7wQ2rLx9Vz"  # the recorded dumps' database password: must never be kept


def values(source_path: Path) -> list[str]:
    source = read_source(source_path)
    return [p.value or "" for p in source.params]


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("compose-shop/compose.config.yaml", "compose"),
        ("compose-shop/api.env.txt", "env"),
        ("compose-shop/worker.environ", "environ"),
        ("compose-shop/proxy-default.conf", "config"),
        ("k8s-payments/kubectl-get-deploy-sts.yaml", "kubernetes"),
        ("vm-telemetry/systemctl-show-telemetry-collector.txt", "systemd"),
        ("vm-telemetry/collector.env", "dotenv"),
    ],
)
def test_each_recorded_dump_is_detected_and_holds_no_secret(path: str, fmt: str) -> None:
    file = LIVE / path
    assert detect(str(file), file.read_text(encoding="utf-8")) == fmt
    source = read_source(file)
    assert source.format == fmt
    assert source.params, "a recorded dump yields records"
    kept = " ".join(values(file))
    for secret in (PASSWORD, "3q9ZtR1vYh8LmN4cXs7BdKf2Wg6Pj0Ua", "Vt8sQe2LmX4rNw", "tc_live_"):
        assert secret not in kept


def test_compose_config_records_env_flags_probes_and_limits() -> None:
    source = read_source(LIVE / "compose-shop" / "compose.config.yaml")
    params = {(p.service, p.name): p for p in source.params}
    assert params[("api", "API_DB_POOL_SIZE")].value == "10"
    assert params[("api", "API_DB_POOL_SIZE")].where.line == 24
    assert params[("worker", "--concurrency")].namespace == "flag"
    assert (
        params[("api", "API_DATABASE_URL")].secret
        and params[("api", "API_DATABASE_URL")].value is None
    )
    probes = {(p.service, p.mechanism) for p in source.probes}
    assert ("postgres", "compose-healthcheck") in probes
    memory = {r.service: r.limit for r in source.resources if r.resource == "memory"}
    assert memory["api"] == "536870912"
    assert source.services == {"api", "worker", "postgres", "redis", "proxy"}


def test_env_dump_continuation_lines_and_bad_first_line() -> None:
    source = parse_source("env.txt", "A_B=1\nMULTI=first\nsecond\nPATH=/bin\n", "api")
    got = {p.name: p.value for p in source.params}
    assert got == {"A_B": "1", "MULTI": "first\nsecond", "PATH": "/bin"}
    assert all(p.service == "api" for p in source.params)
    with pytest.raises(InputError, match=r"env.txt:1: not a NAME=value"):
        parse_source("env.txt", "just words\nA=1\n", fmt="env")


def test_environ_entries_and_a_bad_entry_named() -> None:
    source = parse_source("environ", "A=1\0B=two words\0")
    assert [(p.name, p.value, str(p.where)) for p in source.params] == [
        ("A", "1", "environ#1"),
        ("B", "two words", "environ#2"),
    ]
    with pytest.raises(InputError, match=r"environ#2: environ entry 2"):
        parse_source("environ", "A=1\0garbage\0")


def test_systemctl_show_maps_properties_to_records() -> None:
    source = read_source(LIVE / "vm-telemetry" / "systemctl-show-telemetry-collector.txt")
    assert source.services == {"telemetry-collector"}
    env = {p.name: p.value for p in source.params if p.namespace == "env"}
    assert env == {"PYTHONUNBUFFERED": "1"}
    # ${VAR} flags stay references: compare substitutes the variable's live value.
    flags = {p.name: p.value for p in source.params if p.namespace == "flag"}
    assert flags["--workers"] == "${COLLECTOR_WORKERS}"
    (memory,) = [r for r in source.resources if r.resource == "memory"]
    assert (memory.request, memory.limit) == ("402653184", "536870912")
    (watchdog,) = source.probes
    assert watchdog.mechanism == "systemd-watchdog" and watchdog.interval_s == 30


def test_systemctl_show_without_id_or_with_a_bad_line() -> None:
    with pytest.raises(InputError, match=r"show.txt:2: not a Property=value"):
        parse_source(
            "show.txt", "Id=a.service\nthis is not a property\nLoadState=loaded\n", fmt="systemd"
        )
    with pytest.raises(InputError, match="without Id="):
        parse_source("show.txt", "LoadState=loaded\nMainPID=1\n", fmt="systemd")


def test_broken_yaml_dump_names_the_line() -> None:
    with pytest.raises(InputError, match=r"live.yaml:4"):
        parse_source("live.yaml", "services:\n  api:\n    environment: [a\n  b: }\n")


def test_scrub_drops_secret_values_whatever_the_name() -> None:
    assert scrub("DB_PASSWORD", "hunter2") == (None, True)
    assert scrub("DATABASE_URL", "postgres://app:hunter2@db/app") == (None, True)
    assert scrub("CACHE_URL", "redis://:pw@cache:6379") == (None, True)
    assert scrub("WORKERS", "4") == ("4", False)


def test_well_known_variables_are_ignored_but_service_links_need_their_shape() -> None:
    assert ignored_reason("PATH", "/bin") == "shell and login session"
    assert ignored_reason("REDIS_PORT", "tcp://10.0.0.3:6379") is not None
    assert ignored_reason("REDIS_PORT", "6379") is None  # a parameter, not a service link
    assert ignored_reason("API_DB_POOL_SZIE", "10") is None


def _param(**kw: object) -> ConfigParameter:
    cite = Citation(path="a.py", start_line=1, end_line=1)
    return ConfigParameter(name="X", summary="x", citations=[cite], **kw)  # type: ignore[arg-type]


def test_judge_value_levels() -> None:
    declared = _param(value_type="int", default="10", min=5, max=20, range_source="declared")
    documented = _param(value_type="int", default="10", min=5, max=20, range_source="documented")
    assert judge_value(declared, "21")[:2] == ("CRITICAL", "out_of_range")  # type: ignore[index]
    assert judge_value(documented, "4")[:2] == ("HIGH", "out_of_range")  # type: ignore[index]
    assert judge_value(documented, "15")[:2] == ("INFO", "differs")  # type: ignore[index]
    assert judge_value(documented, "10.0") is None
    assert judge_value(documented, "ten")[:2] == ("HIGH", "bad_value")  # type: ignore[index]
    enum = _param(value_type="enum", default="info", allowed_values=["debug", "info"])
    assert judge_value(enum, "verbose")[:2] == ("HIGH", "not_allowed")  # type: ignore[index]
    assert judge_value(enum, "INFO") is None
    duration = _param(value_type="duration", default="5s")
    assert judge_value(duration, "5") is None
    assert judge_value(duration, "1min")[:2] == ("INFO", "differs")  # type: ignore[index]


@pytest.mark.parametrize(
    ("label", "text", "expected"),
    [
        (
            "config.toml",
            '[http]\nport = 7700\n# max_workers = 4\nlog_level = "INFO"\n',
            [("http.port", "7700", 2), ("http.log_level", "INFO", 4)],
        ),
        (
            "pgbouncer.ini",
            "[pgbouncer]\npool_mode = transaction\n;max_client_conn = 100\nmax_client_conn = 500\n",
            [("pool_mode", "transaction", 2), ("max_client_conn", "500", 4)],
        ),
        (
            "application.properties",
            "server.port=8081\n#server.shutdown=graceful\nspring.datasource.password=hunter2x\n",
            [("server.port", "8081", 1), ("spring.datasource.password", None, 3)],
        ),
        (
            "settings.yaml",
            "server:\n  port: 8080\n  debug: true\n",
            [("server.port", "8080", 2), ("server.debug", "true", 3)],
        ),
    ],
)
def test_config_files_through_the_analyzers_commented_lines_are_not_live(
    label: str, text: str, expected: list[tuple[str, str | None, int]]
) -> None:
    source = parse_source(label, text)
    assert source.format == "config"
    assert [(p.name, p.value, p.where.line) for p in source.params] == expected
    assert all(p.namespace == "key" for p in source.params)


CONFIGMAP_AND_POD = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: fraud-config}
  data:
    LOG_LEVEL: DEBUG
    app.properties: |
      a=1
      b=2
- apiVersion: v1
  kind: Pod
  metadata: {name: fraud-7d9c8b6f4-x2x8k}
  spec:
    containers:
    - name: fraud
      image: fraud:1
      envFrom:
      - configMapRef: {name: fraud-config}
      env:
      - {name: VELOCITY_LIMIT_PER_HOUR, value: "20"}
"""


def test_kubectl_configmap_keys_belong_to_the_pods_that_take_them() -> None:
    source = parse_source("dump.yaml", CONFIGMAP_AND_POD)
    assert source.format == "kubernetes"
    got = {(p.service, p.name, p.value) for p in source.params}
    assert ("fraud-7d9c8b6f4-x2x8k", "LOG_LEVEL", "DEBUG") in got
    assert ("fraud-7d9c8b6f4-x2x8k", "VELOCITY_LIMIT_PER_HOUR", "20") in got
    assert not [p for p in source.params if p.name == "app.properties"]
    assert any("holds a file" in n for n in source.notes)
