"""Assess stage: the negative space (gaps with priorities) and maintenance-readiness scores.

Scoring rules (also in docs/scores.md). Each cadence has the four maintenance items
of the vision; an item's score is the share of its subjects that verified facts let a
person perform; items with no subjects are left out of the mean; a cadence is the mean
of its items times 100; overall weighs daily/weekly/monthly 25/35/40.

daily
  health      services with a verified health check
  resources   services with a verified cpu or memory limit (a monitoring threshold)
  logs        services with a verified log-level / log-location parameter
  drift       config parameters with a written default (a baseline to compare against)
weekly
  updates     services with a verified health check and a place in an acyclic start order
  backups     stateful services (with a volume or disk) that have a backup/restore validation
  changes     services with a validation method for deploy, restart, upgrade or config-change
  runbooks    facts that are verified (what the runbooks can state without a marker)
monthly
  capacity    services with both a request and a limit for cpu or memory
  tuning      numeric/enum parameters (not secret) with a safe range or allowed values
  compliance  services that declare the user or permissions they run with
  lifecycle   services with an upgrade or restart validation method
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    Gap,
    HealthCheck,
    Priority,
    ResourceRequirement,
    Scores,
    Service,
    ValidationMethod,
)
from ddd_llm.order import StartOrder

WEIGHTS = {"daily": 0.25, "weekly": 0.35, "monthly": 0.40}
EXTERNAL_KINDS = {"compose-service", "systemd-unit"}
LOG_WORDS = ("log_level", "loglevel", "log-level", "log_file", "log_dir", "log_format", "logging")


@dataclass(frozen=True)
class ItemScore:
    cadence: str
    item: str
    done: int
    total: int

    @property
    def share(self) -> float | None:
        return None if self.total == 0 else self.done / self.total


def _verified(facts: Iterable[FactBase]) -> list[FactBase]:
    return [f for f in facts if f.verification.status == "verified"]


def _by_service(facts: Iterable[FactBase], kind: type[FactBase]) -> dict[str, list[FactBase]]:
    out: dict[str, list[FactBase]] = {}
    for f in facts:
        if isinstance(f, kind) and f.service:
            out.setdefault(f.service, []).append(f)
    return out


def _share(cadence: str, item: str, subjects: list[str], ok: Callable[[str], bool]) -> ItemScore:
    return ItemScore(cadence, item, sum(1 for s in subjects if ok(s)), len(subjects))


def _is_log_param(f: FactBase) -> bool:
    return isinstance(f, ConfigParameter) and any(w in f.name.lower() for w in LOG_WORDS)


def _stateful(service: str, facts: list[FactBase]) -> bool:
    return any(
        isinstance(f, ResourceRequirement)
        and f.service == service
        and f.resource in ("volume", "disk")
        for f in facts
    )


def _has_validation(service: str, facts: list[FactBase], operations: set[str]) -> bool:
    return any(
        isinstance(f, ValidationMethod)
        and f.service == service
        and f.operation in operations
        and f.verification.status != "contradicted"
        for f in facts
    )


def item_scores(
    services: list[Service], facts: list[FactBase], order: StartOrder
) -> list[ItemScore]:
    names = [s.name for s in services]
    ok_facts = _verified(facts)
    health = _by_service(ok_facts, HealthCheck)
    resources = _by_service(ok_facts, ResourceRequirement)
    in_cycle = {n for cycle in order.cycles for n in cycle}

    def limited(svc: str) -> bool:
        return any(
            isinstance(f, ResourceRequirement) and f.resource in ("cpu", "memory") and f.limit
            for f in resources.get(svc, [])
        )

    def planned(svc: str) -> bool:
        return any(
            isinstance(f, ResourceRequirement)
            and f.resource in ("cpu", "memory")
            and f.limit
            and f.request
            for f in resources.get(svc, [])
        )

    def permission(svc: str) -> bool:
        return any(
            isinstance(f, ResourceRequirement) and f.resource == "permission"
            for f in resources.get(svc, [])
        )

    params = [f for f in facts if isinstance(f, ConfigParameter)]
    tunable = [
        f
        for f in params
        if not f.secret and f.value_type in ("int", "float", "duration", "size", "enum")
    ]
    stateful = [n for n in names if _stateful(n, facts)]
    return [
        _share("daily", "health", names, lambda s: s in health),
        _share("daily", "resources", names, limited),
        _share(
            "daily",
            "logs",
            names,
            lambda s: any(_is_log_param(f) and f.service == s for f in ok_facts),
        ),
        ItemScore("daily", "drift", sum(1 for f in params if f.default is not None), len(params)),
        _share("weekly", "updates", names, lambda s: s in health and s not in in_cycle),
        _share(
            "weekly",
            "backups",
            stateful,
            lambda s: _has_validation(s, facts, {"backup", "restore"}),
        ),
        _share(
            "weekly",
            "changes",
            names,
            lambda s: _has_validation(s, facts, {"deploy", "restart", "upgrade", "config-change"}),
        ),
        ItemScore("weekly", "runbooks", len(ok_facts), len(facts)),
        _share("monthly", "capacity", names, planned),
        ItemScore(
            "monthly",
            "tuning",
            sum(1 for f in tunable if f.min is not None or f.max is not None or f.allowed_values),
            len(tunable),
        ),
        _share("monthly", "compliance", names, permission),
        _share(
            "monthly",
            "lifecycle",
            names,
            lambda s: _has_validation(s, facts, {"upgrade", "restart"}),
        ),
    ]


def scores(items: list[ItemScore]) -> Scores:
    cadence: dict[str, float] = {}
    for name in WEIGHTS:
        shares = [i.share for i in items if i.cadence == name and i.share is not None]
        cadence[name] = round(100 * sum(shares) / len(shares), 1) if shares else 0.0
    overall = round(sum(cadence[n] * w for n, w in WEIGHTS.items()), 1)
    return Scores(
        daily=cadence["daily"],
        weekly=cadence["weekly"],
        monthly=cadence["monthly"],
        overall=overall,
    )


def _gap(
    category: str,
    service: str | None,
    priority: Priority,
    message: str,
    citations: list[Citation],
    key: str | None = None,
) -> Gap:
    blocks = {"CRITICAL": "daily", "HIGH": "weekly", "MEDIUM": "monthly"}.get(priority)
    suffix = f":{key}" if key else ""
    return Gap(
        id=f"gap:{category}:{service or '-'}{suffix}",
        category=category,
        service=service,
        priority=priority,
        message=message,
        blocks=blocks,  # type: ignore[arg-type]
        citations=citations[:3],
    )


def find_gaps(services: list[Service], facts: list[FactBase], order: StartOrder) -> list[Gap]:
    """What is missing that blocks routine operations, most urgent first."""
    gaps: list[Gap] = []
    names = {s.name for s in services}
    health = _by_service(_verified(facts), HealthCheck)
    resources = _by_service(_verified(facts), ResourceRequirement)
    for svc in services:
        if svc.name not in health:
            gaps.append(
                _gap(
                    "health_check",
                    svc.name,
                    "CRITICAL",
                    f"{svc.name} has no health check procedure",
                    svc.citations,
                )
            )
        if not any(
            isinstance(f, ResourceRequirement) and f.resource in ("cpu", "memory") and f.limit
            for f in resources.get(svc.name, [])
        ):
            gaps.append(
                _gap(
                    "resource_threshold",
                    svc.name,
                    "CRITICAL",
                    f"{svc.name} has no resource monitoring threshold (no cpu or memory limit)",
                    svc.citations,
                )
            )
        if not _has_validation(svc.name, facts, {"deploy", "restart", "upgrade", "config-change"}):
            gaps.append(
                _gap(
                    "validation_method",
                    svc.name,
                    "CRITICAL",
                    f"{svc.name} has no validation method to confirm a deploy or restart succeeded",
                    svc.citations,
                )
            )
        if _stateful(svc.name, facts) and not _has_validation(
            svc.name, facts, {"backup", "restore"}
        ):
            gaps.append(
                _gap(
                    "backup",
                    svc.name,
                    "HIGH",
                    f"{svc.name} keeps state but has no backup and restore validation",
                    svc.citations,
                )
            )
    for cycle in order.cycles:
        gaps.append(
            _gap(
                "start_order",
                None,
                "HIGH",
                "start-order cycle: " + " -> ".join(cycle),
                [],
                key="-".join(cycle),
            )
        )
    for f in facts:
        if isinstance(f, Dependency) and f.target not in names and names:
            gaps.append(
                _gap(
                    "dependency",
                    f.service,
                    "HIGH",
                    f"{f.service or 'the repository'} depends on {f.target}, "
                    "which no deployment artifact defines",
                    f.citations,
                    key=f.target,
                )
            )
        if (
            isinstance(f, ConfigParameter)
            and not f.secret
            and f.value_type in ("int", "float", "duration", "size")
            and f.min is None
            and f.max is None
        ):
            gaps.append(
                _gap(
                    "safe_range",
                    f.service,
                    "MEDIUM",
                    f"configuration parameter {f.name} lacks a safe value range",
                    f.citations,
                    key=f.name,
                )
            )
    rank = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}
    unique = {g.id: g for g in gaps}
    return sorted(unique.values(), key=lambda g: (rank[g.priority], g.category, g.id))
