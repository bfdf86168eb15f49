"""Unit tests of the steps an operator runs (render/procedures.py), built from facts in memory.

The table of docs/artifacts.md (safety and minutes per action), the command or URL and the
expected result per platform, citations, the health-check window, and the policy that
contradicted facts never become steps while unverified ones carry a marker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ddd_llm.models import (
    Check,
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    FactsDocument,
    HealthCheck,
    Mechanism,
    Operation,
    RepoInfo,
    ResourceRequirement,
    RunInfo,
    Service,
    Status,
    ToolInfo,
    ValidationMethod,
    Verification,
)
from ddd_llm.models import CheckType as ProbeType
from ddd_llm.render.procedures import (
    RULES,
    SAMPLES,
    Action,
    Endpoint,
    as_command,
    capacity_step,
    certificate_step,
    changing_action,
    check_window_s,
    drift_step,
    endpoint,
    health_step,
    is_rollback,
    job_steps,
    log_step,
    make_step,
    marker,
    permission_step,
    platform_of,
    quote_substitutions,
    read_command,
    rollback_step,
    safe_range,
    scoped,
    threshold_step,
    tuning_step,
    update_step,
    validation_step,
    version_step,
    wait_for_health,
    workload,
)
from ddd_llm.render.renderer import (
    View,
    daily_context,
    read_scopes,
    render_texts,
    steppable,
    weekly_context,
)

COMPOSE = "docker-compose.yml"
C = "docker compose -f docker-compose.yml -p app"
"""compose commands name the file and the project (the folder name; `app` by default)."""
K = 'kubectl --context "$KUBE_CONTEXT" -n default'
"""kubectl commands name the context variable and the namespace (`default` when none)."""


def cite(path: str = COMPOSE, line: int = 1) -> Citation:
    return Citation(path=path, start_line=line, end_line=line)


def svc(name: str = "api", kind: str = "compose-service", path: str = COMPOSE) -> Service:
    return Service(name=name, kind=kind, citations=[cite(path, 2)])


COMPOSE_API = svc()
K8S_API = svc(kind="k8s-deployment", path="k8s/api.yaml")
SYSTEMD_API = svc(kind="systemd-unit", path="deploy/api.service")
HOST_API = svc(kind="code-package", path="app/main.py")


def verification(status: Status, detail: str | None = None) -> Verification:
    checks = [Check(name="citation_exists", passed=False, detail=detail)] if detail else []
    return Verification(status=status, checks=checks)


def probe(
    check_type: ProbeType = "http",
    target: str = "/healthz",
    mechanism: Mechanism = "other",
    *,
    port: int | None = None,
    interval: float | None = None,
    timeout: float | None = None,
    failures: float | None = None,
    status: Status = "verified",
    detail: str | None = None,
) -> HealthCheck:
    return HealthCheck(
        service="api",
        summary="api health",
        citations=[cite(COMPOSE, 5)],
        check_type=check_type,
        target=target,
        port=port,
        interval_s=interval,
        timeout_s=timeout,
        failure_threshold=failures,
        mechanism=mechanism,
        verification=verification(status, detail),
    )


def resource(
    kind: str,
    *,
    request: str | None = None,
    limit: str | None = None,
    value: str | None = None,
    status: Status = "verified",
) -> ResourceRequirement:
    return ResourceRequirement(
        service="api",
        summary=f"api {kind}",
        citations=[cite(COMPOSE, 9)],
        resource=kind,  # type: ignore[arg-type]
        request=request,
        limit=limit,
        value=value,
        verification=verification(status),
    )


def param(
    name: str,
    *,
    default: str | None = None,
    status: Status = "verified",
    path: str = "app/settings.py",
    **fields: object,
) -> ConfigParameter:
    return ConfigParameter(
        service="api",
        summary=f"setting {name}",
        citations=[cite(path, 3)],
        name=name,
        default=default,
        verification=verification(status),
        **fields,  # type: ignore[arg-type]
    )


def validation(
    operation: Operation = "deploy",
    method: str = "GET http://localhost:8000/healthz",
    *,
    expected: str | None = "HTTP 200",
    summary: str = "the health endpoint answers",
    status: Status = "verified",
) -> ValidationMethod:
    return ValidationMethod(
        service="api",
        summary=summary,
        citations=[cite("README.md", 30)],
        operation=operation,
        method=method,
        expected=expected,
        verification=verification(status),
    )


def document(services: list[Service], facts: Sequence[FactBase]) -> FactsDocument:
    return FactsDocument(
        tool=ToolInfo(version="0"),
        repo=RepoInfo(root="."),
        run=RunInfo(started_at="t0", finished_at="t1"),
        services=services,
        facts=list(facts),  # type: ignore[arg-type]
    )


# ------------------------------------------------------------------ safety and time


@pytest.mark.parametrize(
    ("action", "safety", "minutes"),
    [
        ("check", "safe", 1),
        ("inspect", "safe", 5),
        ("backup", "caution", 10),
        ("restart", "caution", 5),
        ("rollback", "needs approval", 10),
        ("config-change", "needs approval", 10),
        ("run-job", "needs approval", 10),
        ("update", "needs approval", 15),
        ("migrate", "needs approval", 30),
        ("restore", "needs approval", 30),
    ],
)
def test_safety_label_and_minutes_are_a_rule_of_the_action(
    action: Action, safety: str, minutes: int
) -> None:
    assert RULES[action] == (safety, minutes)
    step = make_step(action, "t", "cmd", "ok", [cite()])
    assert (step.action, step.safety, step.minutes) == (action, safety, minutes)


def test_a_longer_estimate_wins_over_the_actions_minimum_never_a_shorter_one() -> None:
    assert make_step("check", "t", None, "ok", [], minutes=3).minutes == 3
    assert make_step("update", "t", None, "ok", [], minutes=2).minutes == 15


def test_citations_are_kept_in_order_without_duplicates() -> None:
    step = make_step("check", "t", None, "ok", [cite("a", 1), cite("b", 2), cite("a", 1)])
    assert step.citations == [cite("a", 1), cite("b", 2)]
    assert step.cite == "a:1, b:2"


def test_step_records_the_ids_of_its_facts() -> None:
    fact = probe()
    assert make_step("check", "t", None, "ok", [], [fact]).fact_ids == (fact.id,)


# ------------------------------------------------------------------ markers


def test_verified_facts_carry_no_marker() -> None:
    assert health_step(probe(), COMPOSE_API).marker is None


@pytest.mark.parametrize(
    ("fact", "reason"),
    [
        (probe(status="unverified", detail="line 5 no longer mentions /healthz"), "line 5"),
        (probe(status="unverified"), "not every check could be run"),
        (
            probe(status="unverified").model_copy(update={"origin": "llm"}),
            "a model's claim that no static evidence corroborates",
        ),
    ],
    ids=["failed-check", "static", "llm"],
)
def test_unverified_facts_are_marked_with_the_reason(fact: HealthCheck, reason: str) -> None:
    step = health_step(fact, COMPOSE_API)
    assert step.marker is not None
    assert step.marker.startswith("unverified: ")
    assert reason in step.marker


def test_marker_names_the_first_fact_that_is_not_verified() -> None:
    ok, weak = probe(), probe(status="unverified", detail="the port is not declared")
    assert marker([ok]) is None
    assert marker([ok, weak]) == "unverified: the port is not declared"


def test_contradicted_facts_never_become_steps() -> None:
    good = probe("http", "/healthz", "compose-healthcheck")
    bad = probe("http", "/live", "k8s-liveness", status="contradicted")
    unsure = probe("tcp", "8000", "other", status="unverified")
    assert steppable([good, bad, unsure]) == [good, unsure]
    view = View(document([COMPOSE_API], [good, bad, unsure]))
    steps = view.health_steps(COMPOSE_API)
    assert [s.fact_ids for s in steps] == [(good.id,), (unsure.id,)]
    assert [s.marker is None for s in steps] == [True, False]
    daily = daily_context(view)
    shown = {i for st in daily["sections"]["daily.health"] for i in st.fact_ids}
    assert bad.id not in shown


def test_only_unverified_facts_are_listed_to_confirm_weekly() -> None:
    facts = [
        probe(),
        resource("cpu", limit="1", status="unverified"),
        validation(status="contradicted"),
    ]
    confirm = weekly_context(View(document([COMPOSE_API], facts)))["confirm"]
    assert [s.fact_ids for s in confirm] == [(facts[1].id,)]
    assert confirm[0].marker is not None and confirm[0].safety == "safe"


# ------------------------------------------------------------------ health checks


def test_compose_healthcheck_is_read_from_docker_compose_ps() -> None:
    step = health_step(probe("exec", "pg_isready", "compose-healthcheck"), COMPOSE_API)
    assert step.command == f"{C} ps api"
    assert step.expected == "STATUS shows (healthy); the check runs `pg_isready`"
    assert (step.action, step.safety, step.minutes) == ("check", "safe", 1)
    assert step.citations == [cite(COMPOSE, 5)]


def test_http_check_uses_the_published_port_and_cites_it() -> None:
    port = resource("port", value="127.0.0.1:8080:8000")
    where = endpoint([port], "compose")
    assert where == Endpoint("127.0.0.1", 8080, [cite(COMPOSE, 9)])
    step = health_step(probe("http", "/healthz"), COMPOSE_API, where)
    assert step.command == "curl -fsS http://127.0.0.1:8080/healthz"
    assert step.expected == "HTTP 2xx"
    assert step.citations == [cite(COMPOSE, 5), cite(COMPOSE, 9)]


def test_http_check_without_a_port_leaves_a_placeholder_and_says_so() -> None:
    step = health_step(probe("http", "/healthz"), HOST_API)
    assert step.command == "curl -fsS http://HOST:PORT/healthz"
    assert step.note == "replace HOST:PORT with where api listens (no port was found)"


@pytest.mark.parametrize(
    ("fact", "service", "command", "expected"),
    [
        (probe("tcp", "db", port=5432), HOST_API, "nc -z localhost 5432", "exit status 0"),
        (
            probe("grpc", "grpc.health.v1.Health", port=50051),
            HOST_API,
            "grpc_health_probe -addr=localhost:50051",
            "status: SERVING",
        ),
        (
            probe("exec", "/bin/check", "k8s-liveness"),
            K8S_API,
            f"{K} exec deployment/api -- /bin/check",
            "exit status 0",
        ),
        (
            probe("http", "/healthz", "k8s-readiness", port=8000),
            K8S_API,
            f"{K} port-forward deployment/api 8000:8000 & sleep 2; "
            "curl -fsS http://127.0.0.1:8000/healthz; kill %1",
            "HTTP 2xx",
        ),
        (
            probe("http", "/healthz", "k8s-readiness"),
            K8S_API,
            f"{K} get deployment/api",
            "READY shows every replica ready",
        ),
        (
            probe("exec", "curl -f localhost/healthz", "dockerfile-healthcheck"),
            K8S_API,
            f"{K} exec deployment/api -- curl -f localhost/healthz",
            "exit status 0",
        ),
        (
            probe("exec", "x", "systemd-watchdog"),
            SYSTEMD_API,
            "systemctl status api --no-pager",
            "no watchdog timeout",
        ),
        (
            probe("exec", "/bin/check"),
            COMPOSE_API,
            f"{C} exec -T api /bin/check",
            "exit status 0",
        ),
    ],
    ids=[
        "tcp",
        "grpc",
        "k8s-exec",
        "k8s-http",
        "k8s-no-port",
        "image-check-on-k8s",
        "systemd",
        "compose-exec",
    ],
)
def test_health_step_is_written_for_the_platform(
    fact: HealthCheck, service: Service, command: str, expected: str
) -> None:
    step = health_step(fact, service)
    assert step.command == command
    assert expected in step.expected
    assert step.safety == "safe"


def test_waiting_for_a_health_check_takes_its_window() -> None:
    fact = probe(interval=30, timeout=10, failures=3)
    assert check_window_s(fact) == 100.0
    step = wait_for_health(health_step(fact, COMPOSE_API), fact)
    assert step.minutes == 2  # 100 s rounded up to whole minutes
    assert step.expected.endswith("within 100 s (interval × failures + timeout)")
    quick = probe(interval=5)
    assert wait_for_health(health_step(quick, COMPOSE_API), quick).minutes == 1
    untimed = probe()
    assert check_window_s(untimed) is None
    assert wait_for_health(health_step(untimed, COMPOSE_API), untimed).minutes == 1


# ------------------------------------------------------------------ resources and logs


def test_threshold_step_warns_at_80_and_escalates_at_95_percent_of_the_limit() -> None:
    step = threshold_step(resource("memory", request="256M", limit="512M"), COMPOSE_API)
    assert step.command == (
        f"{C} ps -q api | xargs -r docker stats --no-stream --format "
        "'{{.Name}} cpu {{.CPUPerc}} memory {{.MemUsage}} ({{.MemPerc}})'"
    )
    assert step.expected == (
        "memory use now below 80% of the limit 512M; escalate above 95% or after an "
        "out-of-memory kill"
    )
    assert step.title == "Compare api memory use now with its declared request 256M, limit 512M"
    assert (step.safety, step.minutes) == ("safe", 1)
    cpu = threshold_step(resource("cpu", limit="1"), K8S_API)
    assert cpu.command == f"{K} top pod --no-headers | grep '^api-'"
    assert "out-of-memory" not in cpu.expected
    request_only = threshold_step(resource("cpu", request="0.5"), COMPOSE_API)
    assert request_only.expected == "cpu use now near the request 0.5; no limit is declared"


@pytest.mark.parametrize(
    ("service", "command"),
    [
        (COMPOSE_API, f"{C} logs --since 24h api 2>&1 | grep -iE "),
        (K8S_API, f"{K} logs deployment/api --since=24h --all-containers 2>&1 | grep -iE "),
        (SYSTEMD_API, "journalctl -u api --since yesterday -p warning --no-pager"),
    ],
)
def test_log_step_reads_the_last_day_where_the_platform_keeps_output(
    service: Service, command: str
) -> None:
    step = log_step(service, [])
    assert step.command is not None and step.command.startswith(command)
    assert (step.safety, step.minutes) == ("safe", 2)
    assert step.citations == service.citations[:1]


def test_log_step_names_the_configured_level_and_cites_it() -> None:
    level = param("LOG_LEVEL", default="info", status="unverified")
    step = log_step(HOST_API, [level])
    assert step.command is None  # no known log location on a bare host
    assert step.note == "configured log level: LOG_LEVEL=info"
    assert step.citations == [cite("app/settings.py", 3), cite("app/main.py", 2)]
    assert step.marker is not None


def test_drift_step_per_platform() -> None:
    compose = drift_step(COMPOSE_API)
    assert compose is not None and f"{C} config --hash api" in (compose.command or "")
    k8s = drift_step(K8S_API)
    assert k8s is not None and k8s.command == f"{K} diff -f k8s/api.yaml"
    systemd = drift_step(SYSTEMD_API)
    assert systemd is not None and systemd.command == "systemctl cat api --no-pager"
    assert (k8s.safety, k8s.minutes) == ("safe", 3)
    assert drift_step(HOST_API) is None


# ------------------------------------------------------------------ changes


def test_update_step_needs_approval_and_waits_for_dependencies() -> None:
    step = update_step(COMPOSE_API, ["db"], [])
    assert step.command == (f"{C} pull --ignore-buildable api && {C} up -d --build --no-deps api")
    assert (step.action, step.safety, step.minutes) == ("update", "needs approval", 15)
    assert step.note == "only after the checks of db above have passed"
    k8s = update_step(K8S_API, [], [])
    assert k8s.command == (
        f"{K} apply -f k8s/api.yaml && {K} rollout status deployment/api --timeout=180s"
    )
    assert k8s.note is None
    assert update_step(HOST_API, [], []).command is None


@pytest.mark.parametrize(
    ("method", "command"),
    [
        ("GET http://localhost:8000/healthz", "curl -fsS http://localhost:8000/healthz"),
        ("HEAD https://example.org/", "curl -fsSI https://example.org/"),
        ("make smoke", "make smoke"),
    ],
)
def test_validation_method_becomes_a_command_to_type(method: str, command: str) -> None:
    assert as_command(method) == command


def test_validation_step_states_command_expected_result_and_citation() -> None:
    step = validation_step(validation())
    assert step.command == "curl -fsS http://localhost:8000/healthz"
    assert step.expected == "HTTP 200"
    assert step.citations == [cite("README.md", 30)]
    assert (step.safety, step.minutes) == ("safe", 2)
    vague = validation_step(validation(expected=None))
    assert vague.expected == "as the cited evidence describes"


@pytest.mark.parametrize(
    ("operation", "action", "safety", "minutes"),
    [("backup", "backup", "caution", 10), ("restore", "restore", "needs approval", 30)],
)
def test_backup_and_restore_validations_carry_their_actions_label(
    operation: Operation, action: Action, safety: str, minutes: int
) -> None:
    step = validation_step(validation(operation, "pg_dump app > app.sql"), action)
    assert (step.safety, step.minutes) == (safety, minutes)


def test_stateful_service_backup_steps_are_labelled_caution_and_restore_needs_approval() -> None:
    facts = [
        resource("volume", value="pgdata:/var/lib/postgresql/data"),
        validation("backup", "pg_dump app > app.sql", summary="dump"),
        validation("restore", "psql app < app.sql", summary="load"),
    ]
    [block] = weekly_context(View(document([COMPOSE_API], facts)))["backups"]
    assert [(s.action, s.safety) for s in block.steps] == [
        ("backup", "caution"),
        ("restore", "needs approval"),
    ]


@pytest.mark.parametrize(
    ("method", "summary", "rollback"),
    [
        ("helm rollback api", "undo", True),
        ("kubectl rollout undo deployment/api", "undo", True),
        ("git checkout v1", "Revert to the previous release", True),
        ("docker compose up -d", "Roll back to the previous image", True),
        ("docker compose up -d", "Deploy the new image", False),
    ],
)
def test_is_rollback_by_its_words(method: str, summary: str, rollback: bool) -> None:
    fact = validation("other", method, summary=summary)
    assert is_rollback(fact) is rollback


def test_documented_rollback_step_needs_approval() -> None:
    fact = validation("other", "helm rollback api 1", expected=None, summary="roll back")
    step = rollback_step(COMPOSE_API, [fact])
    assert step is not None
    assert step.command == "helm rollback api 1"
    assert step.expected == "the previous version runs and passes its checks"
    assert (step.action, step.safety, step.minutes) == ("rollback", "needs approval", 10)
    assert step.citations == [cite("README.md", 30)]


def test_kubernetes_rollback_uses_the_kept_revision_and_others_have_none() -> None:
    step = rollback_step(svc(kind="k8s-statefulset", path="k8s/db.yaml"), [])
    assert step is not None
    assert step.command == (
        f"{K} rollout undo statefulset/api && {K} rollout status statefulset/api --timeout=180s"
    )
    assert step.safety == "needs approval"
    assert step.note == "a rollback restores the pod template, not data in volumes"
    assert rollback_step(COMPOSE_API, []) is None
    assert rollback_step(svc(kind="k8s-job", path="k8s/job.yaml"), []) is None


# ------------------------------------------------------------------ monthly


def test_capacity_review_is_an_inspection() -> None:
    step = capacity_step(resource("memory", request="256M", limit="512M"), COMPOSE_API)
    assert (step.action, step.safety, step.minutes) == ("inspect", "safe", 5)
    assert "below 80% of the limit 512M" in step.expected
    named = capacity_step(resource("volume", value="pgdata:/var/lib/db"), COMPOSE_API)
    assert named.command == "docker system df -v | awk '$1 == \"app_pgdata\"'"
    assert "no size limit is declared" in named.expected
    mounted = capacity_step(resource("disk", value="data:/var/lib/db", request="10Gi"), K8S_API)
    assert mounted.command == f"{K} exec deployment/api -- df -h /var/lib/db"
    assert mounted.expected.startswith("use below 80% of 10Gi")


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"min": 5, "max": 20, "unit": "connections"}, "5–20 connections"),
        ({"min": 1}, "≥ 1"),
        ({"max": 64}, "≤ 64"),
        ({"allowed_values": ["debug", "info"]}, "one of debug, info"),
        ({}, None),
    ],
)
def test_safe_range_text(fields: dict[str, Any], text: str | None) -> None:
    assert safe_range(param("X", **fields)) == text


def test_tuning_step_reads_the_running_value_of_an_env_parameter() -> None:
    p = param("POOL_SIZE", default="10", min=5, max=20, value_type="int")
    step = tuning_step(p, COMPOSE_API)
    assert step.title == "Review POOL_SIZE (default 10): safe range 5–20"
    assert step.command == f"{C} exec -T api printenv POOL_SIZE"
    assert step.expected == "the running value lies in 5–20"
    assert (step.safety, step.minutes, step.note) == ("safe", 2, None)
    nowhere = tuning_step(p, HOST_API)
    assert nowhere.command is None
    assert nowhere.note == "read the value where it is set (app/settings.py:3)"


def test_read_command_never_reads_a_secret() -> None:
    assert read_command(param("DB_PASSWORD", secret=True), COMPOSE_API) is None
    assert (
        read_command(param("--workers"), SYSTEMD_API) == "systemctl show api -p ExecStart --value"
    )
    directive = param("MemoryMax", path="deploy/api.service")
    assert read_command(directive, SYSTEMD_API) == "systemctl show api -p MemoryMax --value"


def test_permission_step_confirms_the_user_and_ignores_other_permissions() -> None:
    step = permission_step(resource("permission", value="user:app"), COMPOSE_API)
    assert step is not None
    assert step.command == f"{C} exec -T api id -un"
    assert step.expected == "app"
    assert step.safety == "safe"
    systemd = permission_step(resource("permission", value="user:app"), SYSTEMD_API)
    assert systemd is not None and systemd.command == "systemctl show api -p User --value"
    assert permission_step(resource("permission", value="cap:NET_ADMIN"), COMPOSE_API) is None


def test_certificate_and_version_steps() -> None:
    cert = certificate_step(param("TLS_CERT", default="/etc/ssl/api.pem", value_type="string"))
    assert cert.command == "openssl x509 -enddate -noout -in /etc/ssl/api.pem"
    assert cert.expected == "notAfter is more than 30 days away"
    assert cert.note is None
    unnamed = certificate_step(param("TLS_CERT", value_type="string"))
    assert unnamed.command == "openssl x509 -enddate -noout -in CERT_FILE"
    assert unnamed.note == "replace CERT_FILE with the file the parameter names"
    version = version_step(param("APP_VERSION", default="1.4.2", value_type="string"), K8S_API)
    assert version.expected == "the release you intend to run (written default: 1.4.2)"
    assert version.command == f"{K} set env deployment/api --list | grep '^APP_VERSION='"


# ------------------------------------------------------------------ where a service listens


def test_platform_and_workload_names() -> None:
    assert [platform_of(s) for s in (COMPOSE_API, K8S_API, SYSTEMD_API, HOST_API, None)] == [
        "compose",
        "kubernetes",
        "systemd",
        "host",
        "host",
    ]
    assert workload(svc(kind="k8s-daemonset"), "agent") == "daemonset/agent"
    assert workload(COMPOSE_API, "api") == "deployment/api"


def test_endpoint_prefers_a_published_port_then_a_container_port_then_a_port_setting() -> None:
    published = resource("port", value="8080:8000")
    assert endpoint([published], "compose") == Endpoint("localhost", 8080, published.citations)
    container = resource("port", value="8000")
    assert endpoint([container], "kubernetes") == Endpoint("localhost", 8000, container.citations)
    assert endpoint([container], "compose") is None  # not published: unreachable from the host
    setting = param("HTTP_PORT", default="9000")
    assert endpoint([setting], "host") == Endpoint("localhost", 9000, setting.citations[:1])
    other = param("ADMIN_PORT", default="9001")
    assert endpoint([setting, other], "host") is None  # two candidates: no guess


# ------------------------------------------------------------------ commands that work as written

# Adapted from a typical public stack (compose `name:`, a named and an external volume).
STACK = """\
name: Shop-Prod
services:
  db:
    image: postgres:16
    restart: unless-stopped
    volumes:
      - pgdata:/var/lib/postgresql/data
      - backups:/backups
  seed:
    build: ./seed
    command: ["python", "seed.py"]
    depends_on: [db]
  api:
    image: shop/api
    restart: always
volumes:
  pgdata:
  backups:
    name: shop-backups
  shared:
    external: true
"""


def stack_doc(root: Path, compose: str = STACK, facts: Sequence[FactBase] = ()) -> FactsDocument:
    (root / "deploy").mkdir(parents=True, exist_ok=True)
    (root / "deploy" / "docker-compose.yml").write_text(compose, encoding="utf-8")
    (root / "tests").mkdir(exist_ok=True)
    (root / "tests" / "docker-compose.test.yml").write_text(
        "services:\n  sut:\n    build: .\n    command: ./run_tests.sh\n", encoding="utf-8"
    )
    at = "deploy/docker-compose.yml"
    services = [
        Service(name="api", kind="compose-service", citations=[cite(at, 14)]),
        Service(name="db", kind="compose-service", citations=[cite(at, 3)]),
        Service(
            name="seed",
            kind="compose-service",
            citations=[cite(at, 9)],
            role="job",
            role_reason=f"no restart policy and it runs `seed` then exits ({at}:11)",
        ),
        Service(
            name="sut",
            kind="compose-service",
            citations=[cite("tests/docker-compose.test.yml", 2)],
            role="test-only",
            role_reason="defined only in test or CI files (tests/docker-compose.test.yml:2)",
        ),
    ]
    return FactsDocument(
        tool=ToolInfo(version="0"),
        repo=RepoInfo(root=str(root)),
        run=RunInfo(started_at="t0", finished_at="t1"),
        services=services,
        facts=list(facts),  # type: ignore[arg-type]
    )


def stack_facts() -> list[FactBase]:
    at = "deploy/docker-compose.yml"

    def owned(fact: FactBase, service: str) -> FactBase:
        return fact.model_copy(update={"service": service})

    return [
        owned(probe("exec", "pg_isready", "compose-healthcheck"), "db"),
        owned(probe("exec", "sut-check", "compose-healthcheck"), "sut"),
        owned(probe("exec", "seed-check", "compose-healthcheck"), "seed"),
        owned(resource("volume", value="pgdata:/var/lib/postgresql/data"), "db"),
        owned(resource("memory", limit="1G"), "sut"),
        owned(resource("memory", limit="1G"), "seed"),
        Dependency(
            service="seed",
            summary="seed writes to db",
            citations=[cite(at, 12)],
            target="db",
            dependency_type="start_order",
        ),
        Dependency(
            service="api",
            summary="api waits for seed",
            citations=[cite(at, 14)],
            target="seed",
            dependency_type="start_order",
        ),
        owned(
            validation(
                "backup",
                "docker compose exec -T db pg_dump -U shop -Fc > backups/shop-$(date +%F).dump",
                summary="dump the database",
            ),
            "db",
        ),
        owned(
            validation("restart", "docker compose restart db", summary="restart the database"),
            "db",
        ),
    ]


def test_compose_scope_names_files_project_and_resolved_volume_names(tmp_path: Path) -> None:
    doc = stack_doc(tmp_path)
    scope = read_scopes(doc)["db"]
    assert scope.files == ("deploy/docker-compose.yml",)
    assert scope.project == "shop-prod"  # `name:`, normalised as Docker does
    assert scope.compose == "docker compose -f deploy/docker-compose.yml -p shop-prod"
    assert scope.volume("pgdata") == "shop-prod_pgdata"
    assert scope.volume("backups") == "shop-backups"  # `name:` wins over the prefix
    assert scope.volume("shared") == "shared"  # external volumes keep their name


def test_compose_project_defaults_to_the_folder_of_the_file(tmp_path: Path) -> None:
    doc = stack_doc(tmp_path, STACK.replace("name: Shop-Prod\n", ""))
    assert read_scopes(doc)["db"].project == "deploy"


def test_kubernetes_namespace_from_the_manifest_then_the_kustomization_else_default(
    tmp_path: Path,
) -> None:
    (tmp_path / "k8s" / "base").mkdir(parents=True)
    (tmp_path / "k8s" / "base" / "api.yaml").write_text(
        "kind: Deployment\nmetadata:\n  name: api\n", encoding="utf-8"
    )
    (tmp_path / "k8s" / "db.yaml").write_text(
        "kind: StatefulSet\nmetadata:\n  name: db\n  namespace: data\n", encoding="utf-8"
    )
    (tmp_path / "k8s" / "base" / "kustomization.yaml").write_text(
        "namespace: shop\nresources:\n  - api.yaml\n", encoding="utf-8"
    )
    (tmp_path / "k8s" / "lone.yaml").write_text(
        "kind: Deployment\nmetadata:\n  name: lone\n", encoding="utf-8"
    )
    doc = document(
        [
            svc("api", "k8s-deployment", "k8s/base/api.yaml"),
            svc("db", "k8s-statefulset", "k8s/db.yaml"),
            svc("lone", "k8s-deployment", "k8s/lone.yaml"),
        ],
        [],
    ).model_copy(update={"repo": RepoInfo(root=str(tmp_path))})
    scopes = read_scopes(doc)
    assert (scopes["api"].namespace, scopes["api"].kustomize) == ("shop", "k8s/base")
    assert (scopes["db"].namespace, scopes["db"].kustomize) == ("data", None)
    assert (scopes["lone"].namespace, scopes["lone"].kustomize) == ("default", None)
    assert (
        drift_step(
            scopes_service := svc("api", "k8s-deployment", "k8s/base/api.yaml"), scopes["api"]
        )
        is not None
    )
    step = drift_step(scopes_service, scopes["api"])
    assert step is not None
    assert step.command == 'kubectl --context "$KUBE_CONTEXT" -n shop diff -k k8s/base'


def test_a_peak_is_measured_over_a_window_never_one_snapshot() -> None:
    for service in (COMPOSE_API, K8S_API):
        step = capacity_step(resource("cpu", limit="1"), service)
        assert step.command is not None
        assert f"for _ in $(seq {SAMPLES})" in step.command and "sleep 60" in step.command
        assert "sort -n | tail -n 1" in step.command
        assert f"the highest of {SAMPLES} one-minute samples" in step.expected
    memory = capacity_step(resource("memory", limit="512M"), SYSTEMD_API)
    assert "MemoryPeak" in (memory.command or "")
    assert "peak memory since it last started" in memory.expected
    # The daily check is one reading, and says so: "now", never "peak".
    daily = threshold_step(resource("cpu", limit="1"), COMPOSE_API)
    assert "now" in daily.expected and "peak" not in daily.expected


def test_documented_commands_get_the_scope_and_quoted_substitutions(tmp_path: Path) -> None:
    scope = read_scopes(stack_doc(tmp_path))["db"]
    assert scoped("docker compose exec -T db pg_dump > backups/db-$(date +%F).dump", scope) == (
        "docker compose -f deploy/docker-compose.yml -p shop-prod exec -T db pg_dump "
        '> "backups/db-$(date +%F).dump"'
    )
    # Already scoped, already quoted, assignments and for-lists stay as written.
    kept = 'docker compose -f x.yml ps; echo "$(date)"; x=$(date); for i in $(seq 2); do :; done'
    assert quote_substitutions(kept) == kept
    k8s = read_scopes(document([K8S_API], []))["api"]
    assert scoped("kubectl -n pay cp redis-0:/data/d.rdb ./d.rdb", k8s) == (
        'kubectl --context "$KUBE_CONTEXT" -n pay cp redis-0:/data/d.rdb ./d.rdb'
    )


@pytest.mark.parametrize(
    ("command", "action"),
    [
        ("docker compose restart db", "restart"),
        ("sudo systemctl stop api", "restart"),
        ("pg_restore -d shop backups/x.dump", "restore"),
        ("python manage.py migrate", "migrate"),
        ("docker compose up -d api", "update"),
        ("kubectl delete pod api-0", "update"),
        ("helm upgrade shop ./chart", "update"),
        ("pg_restore --list backups/x.dump", None),
        ("docker compose ps", None),
        ("curl -fsS http://localhost:8000/healthz", None),
        ("kubectl rollout status deployment/api", None),
    ],
)
def test_documented_commands_that_change_things_are_recognised(
    command: str, action: str | None
) -> None:
    assert changing_action(command) == action


def test_a_documented_check_that_restarts_is_gated_with_backup_and_rollback() -> None:
    gated = validation_step(validation("restart", "docker compose restart db"))
    assert gated.safety == "needs approval"
    assert gated.before and gated.rollback
    plain = validation_step(validation("deploy", "GET http://localhost:8000/healthz"))
    assert (plain.safety, plain.before, plain.rollback) == ("safe", None, None)


RUNBOOKS = (
    "runbook-daily.md",
    "runbook-weekly.md",
    "runbook-monthly.md",
    "preflight-checklist.md",
    "validation-procedures.md",
    "escalation.md",
)


def _sections(text: str) -> list[tuple[str, str]]:
    """(`## ` heading, body) pairs."""
    parts = text.split("\n## ")
    return [(p.split("\n", 1)[0], p) for p in parts[1:]]


def test_jobs_only_appear_in_their_own_section_and_test_services_nowhere(tmp_path: Path) -> None:
    texts = render_texts(stack_doc(tmp_path, facts=stack_facts()))
    for name in RUNBOOKS:
        assert "sut" not in texts[name].replace("sut-check", ""), name
        for heading, body in _sections(texts[name]):
            if heading != "5. One-shot jobs":
                assert "### seed" not in body and " seed " not in body, (name, heading)
                assert "-p shop-prod run" not in body
    weekly = texts["runbook-weekly.md"]
    jobs = dict(_sections(weekly))["5. One-shot jobs"]
    assert "### seed (job)" in jobs
    assert "`docker compose -f deploy/docker-compose.yml -p shop-prod run --rm seed`" in jobs
    runs = [line for line in jobs.splitlines() if line.startswith("    - Run from ")]
    assert len(runs) == 2  # how the last run ended, and the deliberate run
    assert not any("up -d" in line or " restart " in line for line in runs)
    assert "It changes the data of db." in jobs
    run = jobs[jobs.index("Run seed once") :]
    assert "`needs approval`" in run.split("\n\n")[0] + run
    assert "- First: confirm a fresh, restorable backup of the data of db" in run
    assert "- Rollback: restore that backup" in run
    # The long-running services are still operated.
    assert "-p shop-prod ps db" in texts["runbook-daily.md"]
    assert "### 1. db" in weekly or "db (keeps state" in weekly


def test_every_gated_step_has_a_backup_check_and_a_rollback_and_daily_has_none(
    tmp_path: Path,
) -> None:
    texts = render_texts(stack_doc(tmp_path, facts=stack_facts()))
    gated = 0
    for name, text in texts.items():
        for item in re.split(r"\n(?=\d+\. \*\*|- \[ \] \*\*)", text):
            if "Safety: `needs approval`" not in item:
                continue
            gated += 1
            assert "    - First: " in item and "    - Rollback: " in item, (name, item)
            assert item.index("- First:") < item.index("- Run from"), (name, item)
    assert gated >= 3
    daily = texts["runbook-daily.md"]
    assert "`needs approval`" not in daily and "`caution`" not in daily
    assert "restart" not in daily.lower()
    # The documented restart and the backup are where they belong, the restart gated.
    validation_text = texts["validation-procedures.md"]
    restart = validation_text[validation_text.index("restart the database") :]
    assert "`needs approval`" in restart.split("- Expect")[0]
    assert "-p shop-prod restart db" in restart


def test_jobs_are_run_deliberately_on_every_platform_never_updated() -> None:
    cron = svc("report", "k8s-cronjob", "k8s/report.yaml").model_copy(update={"role": "job"})
    job = svc("migrate", "k8s-job", "k8s/migrate.yaml").model_copy(update={"role": "job"})
    unit = svc("prune", "systemd-unit", "deploy/prune.service").model_copy(update={"role": "job"})
    seed = svc("seed").model_copy(update={"role": "job"})
    runs = {s.name: job_steps(s, "the data of db", [])[1] for s in (cron, job, unit, seed)}
    assert runs["report"].command == (
        f'{K} create job --from=cronjob/report "report-manual-$(date +%s)"'
    )
    assert runs["migrate"].command == (
        f"{K} delete job migrate --ignore-not-found && {K} apply -f k8s/migrate.yaml && "
        f"{K} wait --for=condition=complete job/migrate --timeout=600s"
    )
    assert runs["prune"].command == "sudo systemctl start prune.service"
    assert runs["seed"].command == f"{C} run --rm seed"
    for step in runs.values():
        assert (step.action, step.safety) == ("run-job", "needs approval")
        assert step.before == "confirm a fresh, restorable backup of the data of db"
        assert step.rollback and "restore that backup" in step.rollback
        assert "up -d" not in (step.command or "") and "restart" not in (step.command or "")
    status = job_steps(cron, "x", [])[0]
    assert (status.safety, status.command) == ("safe", f"{K} get cronjob report")
    assert "LAST SCHEDULE" in status.expected


def test_restarting_a_stateful_service_needs_approval_a_stateless_one_caution() -> None:
    stateful = make_step("restart", "Restart db", "x", "ok", [cite()], stateful=True)
    assert stateful.safety == "needs approval"
    assert stateful.before and stateful.rollback
    stateless = make_step("restart", "Restart api", "x", "ok", [cite()])
    assert (stateless.safety, stateless.before, stateless.rollback) == ("caution", None, None)
    # Every gated action gets a backup check first and a way back, whatever the caller gave.
    for action in ("rollback", "config-change", "run-job", "update", "migrate", "restore"):
        step = make_step(action, "t", "x", "ok", [cite()])
        assert step.safety == "needs approval" and step.before and step.rollback, action
