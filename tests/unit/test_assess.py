"""Unit tests of the assess stage: every scoring rule and gap rule of docs/scores.md, in memory.

Each rule has a case where it is met and one where it is not, asserting the exact share,
score or gap (priority, `blocks`, `fix`, `fix_in`) the document promises.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from ddd_llm.assess.assessor import (
    GAP_RULES,
    ItemScore,
    _gap,
    find_gaps,
    item_scores,
    literal_secret,
    negative_space,
    plain_secrets,
    scores,
    sort_gaps,
    writable_volume,
)
from ddd_llm.assess.order import start_order
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    Gap,
    HealthCheck,
    Operation,
    Owner,
    Resource,
    ResourceRequirement,
    Service,
    Status,
    ValidationMethod,
    ValueType,
    Verification,
)
from ddd_llm.verify.consistency import cross_artifact_checks

COMPOSE = "docker-compose.yml"


def cite(path: str = COMPOSE, line: int = 1) -> Citation:
    return Citation(path=path, start_line=line, end_line=line)


def svc(name: str = "api", kind: str = "compose-service", path: str | None = COMPOSE) -> Service:
    return Service(name=name, kind=kind, citations=[cite(path, 2)] if path else [])


def health(service: str = "api", status: Status = "verified", line: int = 5) -> HealthCheck:
    return HealthCheck(
        service=service,
        summary=f"{service} answers /healthz",
        citations=[cite(COMPOSE, line)],
        check_type="http",
        target="/healthz",
        mechanism="compose-healthcheck",
        verification=Verification(status=status),
    )


def resource(
    resource: Resource,
    service: str = "api",
    status: Status = "verified",
    *,
    request: str | None = None,
    limit: str | None = None,
    value: str | None = None,
    path: str = COMPOSE,
) -> ResourceRequirement:
    return ResourceRequirement(
        service=service,
        summary=f"{service} {resource}",
        citations=[cite(path, 8)],
        resource=resource,
        request=request,
        limit=limit,
        value=value,
        verification=Verification(status=status),
    )


def param(
    name: str,
    service: str | None = "api",
    status: Status = "verified",
    *,
    value_type: ValueType = "int",
    default: str | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    allowed: list[str] | None = None,
    secret: bool = False,
    path: str = "app/settings.py",
) -> ConfigParameter:
    return ConfigParameter(
        service=service,
        summary=f"setting {name}",
        citations=[cite(path, 3)],
        name=name,
        value_type=value_type,
        default=default,
        min=minimum,
        max=maximum,
        allowed_values=allowed,
        secret=secret,
        verification=Verification(status=status),
    )


def validation(
    operation: Operation,
    service: str | None = "api",
    status: Status = "verified",
    *,
    method: str = "curl -fsS http://localhost:8000/healthz",
    summary: str | None = None,
) -> ValidationMethod:
    return ValidationMethod(
        service=service,
        summary=summary or f"confirm the {operation} of {service}",
        citations=[cite("README.md", 20)],
        operation=operation,
        method=method,
        expected="HTTP 200",
        verification=Verification(status=status),
    )


def rollback(service: str = "api", status: Status = "verified") -> ValidationMethod:
    return validation(
        "other",
        service,
        status,
        method=f"docker compose up -d {service}  # with the previous image tag",
        summary=f"Roll back {service} to the previous image",
    )


def dep(
    service: str,
    target: str,
    kind: str = "start_order",
    status: Status = "verified",
    path: str = COMPOSE,
) -> Dependency:
    return Dependency(
        service=service,
        target=target,
        dependency_type=kind,  # type: ignore[arg-type]
        summary=f"{service} needs {target}",
        citations=[cite(path, 12)],
        verification=Verification(status=status),
    )


def complete(service: str = "api") -> list[FactBase]:
    """Facts that close every per-service gap of a Compose service without state."""
    return [
        health(service),
        resource("cpu", service, request="0.5", limit="1"),
        resource("permission", service, value="user:app"),
        param("LOG_LEVEL", service, value_type="enum", default="info", allowed=["debug", "info"]),
        validation("deploy", service),
        rollback(service),
    ]


def items(services: list[Service], facts: Sequence[FactBase]) -> dict[str, ItemScore]:
    listed = list(facts)
    order = start_order([s.name for s in services], listed)
    return {i.item: i for i in item_scores(services, listed, order)}


def done_total(
    item: str, facts: Sequence[FactBase], services: list[Service] | None = None
) -> tuple[int, int]:
    score = items(services if services is not None else [svc()], facts)[item]
    return score.done, score.total


def gaps(
    facts: Sequence[FactBase],
    services: list[Service] | None = None,
    **kwargs: object,
) -> list[Gap]:
    listed = list(facts)
    services = services if services is not None else [svc()]
    order = start_order([s.name for s in services], listed)
    return find_gaps(services, listed, order, **kwargs)  # type: ignore[arg-type]


def of(found: list[Gap], category: str) -> list[Gap]:
    return [g for g in found if g.category == category]


def without(facts: list[FactBase], kind: type[FactBase]) -> list[FactBase]:
    return [f for f in facts if not isinstance(f, kind)]


# ------------------------------------------------------------------ cadence arithmetic


def test_item_share_is_done_over_subjects() -> None:
    assert ItemScore("daily", "health", 1, 4).share == 0.25
    assert ItemScore("daily", "health", 0, 0).share is None


def test_item_without_subjects_is_left_out_of_its_cadence_mean() -> None:
    left_out = scores([ItemScore("daily", "health", 1, 2), ItemScore("daily", "drift", 0, 0)])
    counted = scores([ItemScore("daily", "health", 1, 2), ItemScore("daily", "drift", 0, 1)])
    assert left_out.daily == 50.0
    assert counted.daily == 25.0


def test_cadence_is_the_mean_of_its_item_shares_times_100() -> None:
    result = scores(
        [
            ItemScore("weekly", "updates", 1, 3),
            ItemScore("weekly", "changes", 1, 1),
            ItemScore("weekly", "runbooks", 0, 2),
        ]
    )
    assert result.weekly == pytest.approx(44.4)  # (1/3 + 1 + 0) / 3 × 100, one decimal


@pytest.mark.parametrize(
    ("cadence", "overall"), [("daily", 25.0), ("weekly", 35.0), ("monthly", 40.0)]
)
def test_overall_weighs_daily_weekly_monthly_25_35_40(cadence: str, overall: float) -> None:
    result = scores([ItemScore(cadence, "x", 1, 1)])
    assert getattr(result, cadence) == 100.0
    assert result.overall == overall


def test_overall_of_mixed_cadences() -> None:
    result = scores(
        [
            ItemScore("daily", "health", 1, 1),
            ItemScore("weekly", "changes", 1, 2),
            ItemScore("monthly", "capacity", 0, 1),
        ]
    )
    assert (result.daily, result.weekly, result.monthly) == (100.0, 50.0, 0.0)
    assert result.overall == 42.5


def test_each_cadence_has_the_visions_four_items() -> None:
    scored = item_scores([svc()], [], start_order(["api"], []))
    by_cadence: dict[str, list[str]] = {}
    for i in scored:
        by_cadence.setdefault(i.cadence, []).append(i.item)
        assert i.rule  # shown in the output README
    assert by_cadence == {
        "daily": ["health", "resources", "logs", "drift"],
        "weekly": ["updates", "backups", "changes", "runbooks"],
        "monthly": ["capacity", "tuning", "compliance", "lifecycle"],
    }


def test_complete_service_scores_100_everywhere_and_nothing_scores_low() -> None:
    services = [svc()]
    full = [*complete(), param("WORKERS", default="4", minimum=1, maximum=16)]
    good = scores(list(items(services, full).values()))
    assert good.model_dump() == {
        "daily": 100.0,
        "weekly": 100.0,
        "monthly": 100.0,
        "overall": 100.0,
    }
    bare = scores(list(items(services, []).values()))
    assert bare.model_dump() == {"daily": 0.0, "weekly": 0.0, "monthly": 0.0, "overall": 0.0}


# ------------------------------------------------------------------ contradicted / unverified


def test_contradicted_facts_are_never_subjects_and_unverified_ones_are_not_done() -> None:
    facts = [
        param("A", default="1"),
        param("B", "api", "unverified", default="2"),
        param("C", "api", "contradicted", default="3"),
    ]
    assert done_total("runbooks", facts) == (1, 2)
    assert done_total("drift", facts) == (1, 2)


# ------------------------------------------------------------------ daily


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ([health()], (1, 1)),
        ([health(status="unverified")], (0, 1)),
        ([health(status="contradicted")], (0, 1)),
        ([health("db")], (0, 1)),
        ([], (0, 1)),
    ],
    ids=["verified", "unverified", "contradicted", "other-service", "none"],
)
def test_daily_health_needs_a_verified_health_check(
    facts: list[FactBase], expected: tuple[int, int]
) -> None:
    assert done_total("health", facts) == expected


def test_daily_health_counts_services() -> None:
    assert done_total("health", [health("api")], [svc("api"), svc("db")]) == (1, 2)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ([resource("memory", limit="512M")], (1, 1)),
        ([resource("cpu", limit="1")], (1, 1)),
        ([resource("memory", request="256M")], (0, 1)),
        ([resource("memory", "api", "unverified", limit="512M")], (0, 1)),
        ([resource("disk", limit="10G")], (0, 1)),
    ],
    ids=["memory-limit", "cpu-limit", "request-only", "unverified", "disk-limit"],
)
def test_daily_resources_needs_a_verified_cpu_or_memory_limit(
    facts: list[FactBase], expected: tuple[int, int]
) -> None:
    assert done_total("resources", facts) == expected


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ([param("LOG_LEVEL", value_type="string")], (1, 1)),
        ([param("LOG_DIR", value_type="string")], (1, 1)),
        ([param("LOG_LEVEL", "api", "unverified", value_type="string")], (0, 1)),
        ([param("LOG_LEVEL", "db", value_type="string")], (0, 1)),
        ([param("WORKERS")], (0, 1)),
    ],
    ids=["level", "location", "unverified", "other-service", "not-a-log-param"],
)
def test_daily_logs_needs_a_verified_log_level_or_location_parameter(
    facts: list[FactBase], expected: tuple[int, int]
) -> None:
    assert done_total("logs", facts) == expected


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ([param("WORKERS", default="4")], (1, 1)),
        ([param("WORKERS")], (0, 1)),
        ([param("WORKERS", "api", "unverified", default="4")], (0, 1)),
        ([param("DB_PASSWORD", value_type="string", secret=True)], (0, 0)),
        ([param("WORKERS", None, default="4")], (1, 1)),
    ],
    ids=["verified-default", "no-default", "unverified", "secret-not-subject", "repo-wide"],
)
def test_daily_drift_needs_a_verified_written_default_of_each_non_secret_parameter(
    facts: list[FactBase], expected: tuple[int, int]
) -> None:
    assert done_total("drift", facts) == expected


# ------------------------------------------------------------------ weekly


def test_weekly_updates_needs_a_verified_health_check_and_an_acyclic_start_order() -> None:
    services = [svc("api"), svc("db")]
    healthy = [health("api"), health("db")]
    assert done_total("updates", [*healthy, dep("api", "db")], services) == (2, 2)
    cycle = [*healthy, dep("api", "db"), dep("db", "api")]
    assert done_total("updates", cycle, services) == (0, 2)
    assert done_total("updates", [health("api", status="unverified")], [svc()]) == (0, 1)


@pytest.mark.parametrize(
    ("value", "is_state"),
    [
        ("pgdata:/var/lib/postgresql/data", True),
        ("./data:/data", True),
        ("./conf:/etc/app:ro", False),
        ("pgdata:/var/lib/postgresql/data:ro,z", False),
        ("./proxy/nginx.conf:/etc/nginx/nginx.conf", False),
    ],
)
def test_a_writable_volume_is_neither_read_only_nor_a_bind_mounted_file(
    value: str, is_state: bool
) -> None:
    assert writable_volume(resource("volume", value=value)) is is_state


def test_a_disk_is_state_and_other_resources_are_not() -> None:
    assert writable_volume(resource("disk", request="10Gi"))
    assert not writable_volume(resource("memory", limit="1G"))


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ([validation("backup")], (1, 1)),
        ([validation("restore")], (1, 1)),
        ([validation("backup", status="unverified")], (0, 1)),
        ([validation("deploy")], (0, 1)),
        ([], (0, 1)),
    ],
    ids=["backup", "restore", "unverified", "not-a-backup", "none"],
)
def test_weekly_backups_needs_a_verified_backup_or_restore_validation_of_stateful_services(
    facts: list[FactBase], expected: tuple[int, int]
) -> None:
    volume = resource("volume", value="pgdata:/var/lib/postgresql/data")
    assert done_total("backups", [volume, *facts]) == expected


def test_weekly_backups_has_no_subjects_without_state_and_is_left_out() -> None:
    config_only = [resource("volume", value="./proxy/nginx.conf:/etc/nginx/nginx.conf")]
    assert done_total("backups", config_only) == (0, 0)
    contradicted = [resource("volume", "api", "contradicted", value="pgdata:/data")]
    assert done_total("backups", contradicted) == (0, 0)
    # Updates 0/1, changes 1/1, runbooks 1/1: the backups item does not drag the mean down.
    result = scores(list(items([svc()], [validation("deploy")]).values()))
    assert result.weekly == pytest.approx(66.7)


@pytest.mark.parametrize("operation", ["deploy", "restart", "upgrade", "config-change"])
def test_weekly_changes_done_by_a_verified_change_validation(operation: Operation) -> None:
    assert done_total("changes", [validation(operation)]) == (1, 1)


@pytest.mark.parametrize(
    "fact",
    [validation("migrate"), validation("backup"), validation("deploy", status="unverified")],
    ids=["migrate", "backup", "unverified-deploy"],
)
def test_weekly_changes_not_done_by_other_validations(fact: FactBase) -> None:
    assert done_total("changes", [fact]) == (0, 1)


def test_weekly_runbooks_is_the_share_of_verified_facts() -> None:
    facts = [health(), health("db", "unverified"), resource("cpu", limit="1")]
    assert done_total("runbooks", facts) == (2, 3)
    assert done_total("runbooks", [*facts, health("db", "contradicted", line=9)]) == (2, 3)


# ------------------------------------------------------------------ monthly


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ([resource("cpu", request="0.5", limit="1")], (1, 1)),
        ([resource("memory", request="256M", limit="512M")], (1, 1)),
        ([resource("memory", limit="512M")], (0, 1)),
        ([resource("memory", request="256M")], (0, 1)),
        ([resource("memory", "api", "unverified", request="256M", limit="512M")], (0, 1)),
        ([resource("disk", request="1G", limit="2G")], (0, 1)),
    ],
    ids=["cpu", "memory", "limit-only", "request-only", "unverified", "disk"],
)
def test_monthly_capacity_needs_a_verified_request_and_limit_for_cpu_or_memory(
    facts: list[FactBase], expected: tuple[int, int]
) -> None:
    assert done_total("capacity", facts) == expected


@pytest.mark.parametrize(
    ("fact", "subject"),
    [
        (param("WORKERS"), True),
        (param("TIMEOUT", value_type="duration"), True),
        (param("RATIO", value_type="float"), True),
        (param("MODE", value_type="enum"), True),
        (param("NAME", value_type="string"), False),
        (param("DEBUG", value_type="bool"), False),
        (param("PORT"), False),
        (param("HTTP_PORT"), False),
        (param("PYTHONUNBUFFERED"), False),
        (param("MAX_BYTES", secret=True), False),
        (param("WORKERS", "api", "contradicted"), False),
    ],
    ids=lambda v: v.name if isinstance(v, ConfigParameter) else str(v),
)
def test_monthly_tuning_subjects_are_numeric_or_enum_parameters_not_secret_ports_or_toggles(
    fact: ConfigParameter, subject: bool
) -> None:
    assert done_total("tuning", [fact])[1] == (1 if subject else 0)


@pytest.mark.parametrize(
    ("fact", "done"),
    [
        (param("WORKERS", minimum=1), True),
        (param("WORKERS", maximum=64), True),
        (param("MODE", value_type="enum", allowed=["fast", "safe"]), True),
        (param("WORKERS"), False),
        (param("WORKERS", "api", "unverified", minimum=1, maximum=64), False),
    ],
    ids=["min", "max", "allowed", "no-range", "unverified"],
)
def test_monthly_tuning_needs_a_verified_min_max_or_allowed_values(
    fact: ConfigParameter, done: bool
) -> None:
    assert done_total("tuning", [fact]) == ((1 if done else 0), 1)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ([resource("permission", value="user:app")], (1, 1)),
        ([resource("permission", "api", "unverified", value="user:app")], (0, 1)),
        ([resource("memory", limit="1G")], (0, 1)),
    ],
    ids=["verified", "unverified", "none"],
)
def test_monthly_compliance_needs_a_verified_user_or_permission(
    facts: list[FactBase], expected: tuple[int, int]
) -> None:
    assert done_total("compliance", facts) == expected


@pytest.mark.parametrize(
    ("service", "facts", "expected"),
    [
        (svc(), [validation("upgrade")], (1, 1)),
        (svc(), [rollback()], (1, 1)),
        (svc(kind="k8s-deployment", path="k8s/api.yaml"), [], (1, 1)),
        (svc(kind="k8s-statefulset", path="k8s/api.yaml"), [], (1, 1)),
        (svc(kind="k8s-daemonset", path="k8s/api.yaml"), [], (1, 1)),
        (svc(kind="k8s-cronjob", path="k8s/api.yaml"), [], (0, 1)),
        (svc(), [validation("upgrade", status="unverified")], (0, 1)),
        (svc(), [rollback(status="unverified")], (0, 1)),
        (svc(), [validation("deploy")], (0, 1)),
    ],
    ids=[
        "upgrade",
        "documented-rollback",
        "deployment",
        "statefulset",
        "daemonset",
        "cronjob",
        "unverified-upgrade",
        "unverified-rollback",
        "deploy-only",
    ],
)
def test_monthly_lifecycle_needs_an_upgrade_validation_or_a_rollback_path(
    service: Service, facts: list[FactBase], expected: tuple[int, int]
) -> None:
    assert done_total("lifecycle", facts, [service]) == expected


# ------------------------------------------------------------------ gaps: per service


def test_a_complete_service_has_no_gaps() -> None:
    assert gaps(complete()) == []


def test_gap_shape_priority_blocks_and_id() -> None:
    [gap] = of(gaps(without(complete(), HealthCheck)), "health_check")
    assert gap.id == "gap:health_check:api"
    assert (gap.priority, gap.blocks, gap.service) == ("CRITICAL", "daily", "api")


@pytest.mark.parametrize(
    ("category", "priority", "blocks"),
    [
        ("health_check", "CRITICAL", "daily"),
        ("resource_threshold", "CRITICAL", "daily"),
        ("validation_method", "CRITICAL", "daily"),
        ("rollback", "HIGH", "weekly"),
        ("backup", "HIGH", "weekly"),
        ("start_order", "HIGH", "weekly"),
        ("dependency", "HIGH", "weekly"),
        ("owners", "HIGH", "weekly"),
        ("inconsistency", "HIGH", "weekly"),
        ("contradiction", "HIGH", "weekly"),
        ("safe_range", "MEDIUM", "monthly"),
        ("capacity", "MEDIUM", "monthly"),
        ("compliance", "MEDIUM", "monthly"),
        ("plain_secret", "MEDIUM", "monthly"),
        ("log_config", "LOW", None),
    ],
)
def test_gap_priorities_follow_the_table(category: str, priority: str, blocks: str | None) -> None:
    assert GAP_RULES[category].priority == priority
    # `blocks` is the cadence the priority blocks (CRITICAL daily, HIGH weekly, MEDIUM monthly).
    assert _gap(category, "api", "m", [], fix="f", fix_in=["x"]).blocks == blocks


@pytest.mark.parametrize(
    ("kind", "path", "fix"),
    [
        ("compose-service", COMPOSE, "add a `healthcheck:` to the api service"),
        (
            "k8s-deployment",
            "k8s/api.yaml",
            "add a readinessProbe and a livenessProbe to the api container",
        ),
        ("systemd-unit", "deploy/api.service", "add `WatchdogSec=`"),
        ("code-package", "app/main.py", "add a health endpoint or command to api"),
    ],
)
def test_health_check_gap_fix_belongs_in_the_service_definition(
    kind: str, path: str, fix: str
) -> None:
    [gap] = of(gaps(without(complete(), HealthCheck), [svc(kind=kind, path=path)]), "health_check")
    assert gap.priority == "CRITICAL"
    assert gap.message == "api has no health check procedure"
    assert gap.fix is not None and gap.fix.startswith(fix)
    assert gap.fix_in == [path]


def test_health_check_gap_of_a_service_without_a_file_points_to_the_readme() -> None:
    [gap] = of(gaps(without(complete(), HealthCheck), [svc(path=None)]), "health_check")
    assert gap.fix_in == ["README.md"]


def test_an_unverified_health_check_does_not_close_the_gap_and_says_so() -> None:
    facts = [*without(complete(), HealthCheck), health(status="unverified", line=7)]
    [gap] = of(gaps(facts), "health_check")
    assert gap.message == "api has no health check procedure (only 1 unverified)"
    assert gap.citations == [cite(COMPOSE, 7)]


def test_a_contradicted_health_check_neither_closes_nor_is_counted() -> None:
    facts = [*without(complete(), HealthCheck), health(status="contradicted")]
    [gap] = of(gaps(facts), "health_check")
    assert gap.message == "api has no health check procedure"


@pytest.mark.parametrize(
    "replacement",
    [
        [resource("cpu", request="0.5")],
        [resource("disk", request="1G", limit="2G")],
        [],
    ],
    ids=["request-only", "disk-limit", "none"],
)
def test_resource_threshold_gap_without_a_verified_cpu_or_memory_limit(
    replacement: list[FactBase],
) -> None:
    facts = [*without(complete(), ResourceRequirement), resource("permission", value="user:a")]
    [gap] = of(gaps([*facts, *replacement]), "resource_threshold")
    assert gap.priority == "CRITICAL"
    assert gap.fix == "set `deploy.resources.limits` (cpus, memory) for api"
    assert gap.fix_in == [COMPOSE]


def test_memory_limit_closes_the_resource_threshold_gap() -> None:
    facts = [
        *without(complete(), ResourceRequirement),
        resource("permission", value="user:a"),
        resource("memory", request="256M", limit="512M"),
    ]
    assert gaps(facts) == []


@pytest.mark.xfail(
    strict=True,
    reason="docs/scores.md: for limits too 'the message says \"only N unverified\"'; "
    "assessor.find_gaps builds the resource_threshold message without the count",
)
def test_an_unverified_limit_does_not_close_the_gap_and_says_so() -> None:
    facts = [f for f in complete() if getattr(f, "resource", "") != "cpu"]
    facts.append(resource("cpu", "api", "unverified", request="0.5", limit="1"))
    [gap] = of(gaps(facts), "resource_threshold")
    assert "(only 1 unverified)" in gap.message


def test_validation_method_gap_without_a_verified_change_validation() -> None:
    base = without(complete(), ValidationMethod) + [rollback()]
    [gap] = of(gaps(base, model=True), "validation_method")
    assert gap.priority == "CRITICAL"
    assert gap.message == "api has no validation method to confirm a deploy or restart succeeded"
    assert gap.fix_in == ["README.md"]
    assert gap.fix is not None and "expected output" in gap.fix
    [gap] = of(gaps([*base, validation("migrate")]), "validation_method")
    unverified = of(gaps([*base, validation("restart", status="unverified")]), "validation_method")
    assert [g.message for g in unverified] == [
        "api has no validation method to confirm a deploy or restart succeeded (only 1 unverified)"
    ]
    assert unverified[0].citations == [cite("README.md", 20)]


@pytest.mark.parametrize("operation", ["deploy", "restart", "upgrade", "config-change"])
def test_a_verified_change_validation_closes_the_validation_gap(operation: Operation) -> None:
    facts = [*without(complete(), ValidationMethod), rollback(), validation(operation)]
    assert of(gaps(facts), "validation_method") == []


def test_rollback_gap_without_a_documented_rollback() -> None:
    facts = [f for f in complete() if f.summary != "Roll back api to the previous image"]
    [gap] = of(gaps(facts, model=True), "rollback")
    assert gap.priority == "HIGH"
    assert gap.message == "No rollback procedure for updates of api"
    assert gap.fix_in == ["README.md", COMPOSE]
    unverified = [*facts, rollback(status="unverified")]
    assert len(of(gaps(unverified), "rollback")) == 1


def test_kubernetes_workloads_that_keep_revisions_have_a_rollback() -> None:
    facts = [f for f in complete() if f.summary != "Roll back api to the previous image"]
    deployment = svc(kind="k8s-deployment", path="k8s/api.yaml")
    assert of(gaps(facts, [deployment]), "rollback") == []
    job = svc(kind="k8s-job", path="k8s/api.yaml")
    [gap] = of(gaps(facts, [job]), "rollback")
    assert gap.fix_in == ["README.md", "k8s/api.yaml"]


def test_backup_gap_for_a_writable_volume_without_a_verified_backup_validation() -> None:
    volume = resource("volume", value="pgdata:/var/lib/postgresql/data", path="compose.yml")
    [gap] = of(gaps([*complete(), volume]), "backup")
    assert gap.priority == "HIGH"
    assert "pgdata:/var/lib/postgresql/data" in gap.message
    assert gap.fix_in == ["README.md"]
    assert gap.citations == [cite("compose.yml", 8)]
    unverified = validation("backup", status="unverified")
    assert len(of(gaps([*complete(), volume, unverified]), "backup")) == 1


def test_without_a_model_missing_procedures_are_not_checked_rather_than_not_found() -> None:
    """A static run reads only commands under documentation headings: a procedure it did not
    see may be in prose or a script, so the gap says it was not checked (issue #15)."""
    volume = resource("volume", value="pgdata:/data")
    facts = [*without(complete(), ValidationMethod), volume]
    static = {g.category: g.message for g in gaps(facts, model=False)}
    for category in ("validation_method", "rollback", "backup"):
        assert "not checked without a model" in static[category], category
        assert "no " not in static[category].split(":", 1)[-1].split("(")[0], static[category]
    modelled = {g.category: g.message for g in gaps(facts, model=True)}
    assert (
        modelled["backup"]
        == "api keeps state (pgdata:/data) but has no backup and restore validation"
    )
    # Not said: the model's absence by default is judged from the facts' origins.
    assert "not checked" in of(gaps(facts), "backup")[0].message
    llm = validation("migrate").model_copy(update={"origin": "llm"})
    assert "not checked" not in of(gaps([*facts, llm]), "backup")[0].message
    # Health checks and limits are read statically: their gaps keep saying what is missing.
    assert "not checked" not in " ".join(
        m for c, m in static.items() if c not in ("validation_method", "rollback", "backup")
    )


def test_a_repository_wide_documented_backup_counts_for_the_service_it_names() -> None:
    volume = resource("volume", value="pgdata:/data")
    documented = validation("backup", service=None, method="pg_dump -h api -U app app > backup.sql")
    assert of(gaps([*complete(), volume, documented]), "backup") == []
    elsewhere = validation("backup", service=None, method="pg_dump -h db -U app app > backup.sql")
    assert len(of(gaps([*complete(), volume, elsewhere]), "backup")) == 1


@pytest.mark.parametrize(
    "facts",
    [
        [resource("volume", value="pgdata:/data"), validation("backup")],
        [resource("volume", value="pgdata:/data"), validation("restore")],
        [resource("volume", value="./conf:/etc/app:ro")],
        [resource("volume", value="./proxy/nginx.conf:/etc/nginx/nginx.conf")],
    ],
    ids=["backup", "restore", "read-only", "bind-mounted-file"],
)
def test_no_backup_gap_with_a_verified_backup_or_without_state(facts: list[FactBase]) -> None:
    assert of(gaps([*complete(), *facts]), "backup") == []


def test_capacity_gap_needs_both_request_and_limit() -> None:
    limit_only = [
        *without(complete(), ResourceRequirement),
        resource("permission", value="user:a"),
        resource("memory", limit="512M"),
    ]
    [gap] = of(gaps(limit_only), "capacity")
    assert gap.priority == "MEDIUM"
    assert gap.fix == "set both `deploy.resources.reservations` and `limits` for api"
    assert gap.fix_in == [COMPOSE]
    assert of(gaps(limit_only), "resource_threshold") == []


def test_compliance_gap_without_a_verified_user() -> None:
    facts = [f for f in complete() if not getattr(f, "resource", "") == "permission"]
    [gap] = of(gaps(facts), "compliance")
    assert gap.priority == "MEDIUM"
    assert gap.message == "api does not declare the user it runs as"
    assert gap.fix_in == [COMPOSE]
    k8s = svc(kind="k8s-deployment", path="k8s/api.yaml")
    [gap] = of(gaps(facts, [k8s]), "compliance")
    assert gap.fix == "set `securityContext.runAsNonRoot`/`runAsUser` for api"
    unverified = [*facts, resource("permission", "api", "unverified", value="user:a")]
    assert len(of(gaps(unverified), "compliance")) == 1


def test_log_config_gap_is_low_and_blocks_no_cadence() -> None:
    facts = [f for f in complete() if not isinstance(f, ConfigParameter)]
    [gap] = of(gaps(facts), "log_config")
    assert (gap.priority, gap.blocks) == ("LOW", None)
    assert gap.fix_in == [COMPOSE]
    assert of(gaps([*facts, param("LOG_FILE", value_type="string")]), "log_config") == []


# ------------------------------------------------------------------ gaps: repository-wide


def test_start_order_cycle_is_named_and_fixed_in_the_declaring_files() -> None:
    services = [svc("api"), svc("db")]
    facts = [
        *complete("api"),
        *complete("db"),
        dep("api", "db", path="compose.yml"),
        dep("db", "api", path="db/compose.yml"),
    ]
    [gap] = of(gaps(facts, services), "start_order")
    assert gap.priority == "HIGH" and gap.service is None
    assert gap.message == "start-order cycle: api -> db -> api"
    assert sorted(gap.fix_in) == ["compose.yml", "db/compose.yml"]
    assert gap.id == "gap:start_order:-:api-db-api"
    acyclic = [*complete("api"), *complete("db"), dep("api", "db")]
    assert of(gaps(acyclic, services), "start_order") == []


def test_dependency_gap_for_a_target_no_artifact_defines() -> None:
    facts = [*complete(), dep("api", "redis", "runtime", path="app/cache.py")]
    [gap] = of(gaps(facts), "dependency")
    assert gap.priority == "HIGH"
    assert gap.message == "api depends on redis, which no deployment artifact defines"
    assert gap.fix_in == ["app/cache.py", "README.md"]
    defined = [*complete(), *complete("redis"), dep("api", "redis", "runtime")]
    assert of(gaps(defined, [svc("api"), svc("redis")]), "dependency") == []
    contradicted = [*complete(), dep("api", "redis", "runtime", "contradicted")]
    assert of(gaps(contradicted), "dependency") == []


def test_owner_gap_only_when_ownership_was_looked_up() -> None:
    assert of(gaps(complete(), owners=None), "owners") == []
    [gap] = of(gaps(complete(), owners=[]), "owners")
    assert gap.priority == "HIGH"
    assert gap.fix_in == [".github/CODEOWNERS"]
    assert "no CODEOWNERS, MAINTAINERS or OWNERS file" in gap.message


def test_owner_gap_when_no_rule_names_the_services_files() -> None:
    rule = Owner(pattern="/docs/", owners=["@docs"], citation=cite(".github/CODEOWNERS", 1))
    [gap] = of(gaps(complete(), owners=[rule]), "owners")
    assert gap.message == "no CODEOWNERS rule names an owner of api"
    assert gap.fix_in == [".github/CODEOWNERS"]
    everyone = Owner(pattern="*", owners=["@ops"], citation=cite("CODEOWNERS", 1))
    assert of(gaps(complete(), owners=[everyone]), "owners") == []


@pytest.mark.parametrize(
    ("fact", "raised"),
    [
        (param("WORKERS"), True),
        (param("TIMEOUT", value_type="duration"), True),
        (param("WORKERS", "api", "unverified"), True),
        (param("WORKERS", minimum=1), False),
        (param("WORKERS", maximum=64), False),
        (param("MODE", value_type="enum"), False),
        (param("NAME", value_type="string"), False),
        (param("PORT"), False),
        (param("PYTHONUNBUFFERED"), False),
        (param("MAX_BYTES", secret=True), False),
        (param("WORKERS", "api", "contradicted"), False),
    ],
    ids=[
        "int",
        "duration",
        "unverified",
        "min",
        "max",
        "enum",
        "string",
        "port",
        "toggle",
        "secret",
        "contradicted",
    ],
)
def test_safe_range_gap_for_numeric_parameters_without_min_or_max(
    fact: ConfigParameter, raised: bool
) -> None:
    found = of(gaps([*complete(), fact]), "safe_range")
    assert len(found) == (1 if raised else 0)
    if raised:
        assert found[0].priority == "MEDIUM"
        assert found[0].message == f"configuration parameter {fact.name} lacks a safe value range"
        assert found[0].fix_in == ["app/settings.py"]


SECRET_FILES = {
    COMPOSE: ["services:", "  api:", "    environment:", "      DB_PASSWORD: hunter2"],
    ".env.example": ["DB_PASSWORD=hunter2"],
    "k8s/api.yaml": ["- name: DB_PASSWORD", "  value: ${DB_PASSWORD}"],
}


def test_plain_secret_found_in_configuration_but_not_in_example_files() -> None:
    secret = ConfigParameter(
        service="api",
        summary="database password",
        name="DB_PASSWORD",
        secret=True,
        citations=[cite(COMPOSE, 4), cite(".env.example", 1), cite("k8s/api.yaml", 1)],
    )
    found = plain_secrets([secret], SECRET_FILES.get)
    assert found == [(secret, cite(COMPOSE, 4))]
    [gap] = of(gaps(complete(), secrets_in_plain=found), "plain_secret")
    assert gap.priority == "MEDIUM"
    assert gap.fix_in == [COMPOSE]
    assert gap.citations == [cite(COMPOSE, 4)]
    assert "hunter2" not in gap.model_dump_json()
    assert of(gaps(complete()), "plain_secret") == []


@pytest.mark.parametrize(
    ("line", "literal"),
    [
        ("DB_PASSWORD=hunter2", True),
        ("      DB_PASSWORD: 's3cret'", True),
        ('password = os.getenv("DB_PASSWORD", "hunter2")', True),
        ("DATABASE_URL=postgres://app:hunter2@db:5432/app", True),
        ("DB_PASSWORD=${DB_PASSWORD}", False),
        ("DB_PASSWORD: $DB_PASSWORD", False),
        ('password = os.getenv("DB_PASSWORD")', False),
        ("DB_PASSWORD=", False),
        ("DB_PASSWORD_FILE=/run/secrets/db", False),
    ],
)
def test_literal_secret_tells_values_from_references(line: str, literal: bool) -> None:
    assert literal_secret(line, "DB_PASSWORD") is literal


def test_verify_stage_inconsistencies_are_high_gaps() -> None:
    _, found = cross_artifact_checks(inconsistent_facts())
    [gap] = found
    assert (gap.category, gap.priority, gap.blocks) == ("inconsistency", "HIGH", "weekly")


@pytest.mark.xfail(
    strict=True,
    reason="docs/scores.md: inconsistency/contradiction gaps are fixed in 'the cited files', "
    "but ddd_llm/verify (consistency.report, verifier._contradiction_gap) sets no fix/fix_in",
)
def test_verify_stage_gaps_carry_fix_in_the_cited_files() -> None:
    _, [gap] = cross_artifact_checks(inconsistent_facts())
    assert gap.fix
    assert sorted(gap.fix_in) == sorted({c.path for c in gap.citations})


def inconsistent_facts() -> list[FactBase]:
    """A compose probe asking for /healthz while the code serves /health/live only."""
    probe = HealthCheck(
        service="api",
        summary="compose probe",
        citations=[cite(COMPOSE, 6)],
        check_type="http",
        target="curl -f http://localhost:8000/healthz",
        mechanism="compose-healthcheck",
    )
    route = HealthCheck(
        service="api",
        summary="route",
        citations=[cite("app/main.py", 10)],
        check_type="http",
        target="/health/live",
        mechanism="code-endpoint",
    )
    return [probe, route]


# ------------------------------------------------------------------ order and sentences


def test_gaps_are_sorted_most_urgent_first_and_unique() -> None:
    found = gaps([param("WORKERS"), param("WORKERS")], owners=[])
    ranks = [["CRITICAL", "HIGH", "MEDIUM", "LOW"].index(g.priority) for g in found]
    assert ranks == sorted(ranks)
    assert len({g.id for g in found}) == len(found)
    assert len(of(found, "safe_range")) == 1
    assert sort_gaps(reversed(found)) == found


def test_negative_space_counts_each_category_in_the_visions_words() -> None:
    facts = [param(n) for n in ("A", "B", "C", "D")]
    rows = negative_space(gaps(facts, [svc("api"), svc("db")]))
    by_category = {category: (priority, n, text) for priority, category, n, text in rows}
    assert by_category["safe_range"] == (
        "MEDIUM",
        4,
        "4 configuration parameters lack safe value ranges",
    )
    assert by_category["health_check"] == (
        "CRITICAL",
        2,
        "2 services missing health check procedures",
    )
    assert rows[0][0] == "CRITICAL" and rows[-1][0] == "LOW"


def test_negative_space_singular() -> None:
    rows = negative_space(gaps(without(complete(), HealthCheck)))
    assert rows == [("CRITICAL", "health_check", 1, "1 service missing a health check procedure")]


@pytest.mark.xfail(
    strict=True,
    reason="assessor._singular turns every 'services' into 'service': one dependency gap "
    "reads '1 dependency on service no deployment artifact defines'",
)
def test_negative_space_singular_dependency() -> None:
    rows = negative_space(gaps([*complete(), dep("api", "redis", "runtime")]))
    assert rows == [
        ("HIGH", "dependency", 1, "1 dependency on a service no deployment artifact defines")
    ]
