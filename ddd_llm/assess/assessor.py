"""Assess stage: the negative space (gaps with priorities), readiness scores, audit controls.

Scoring rules (also in docs/scores.md). Each cadence has the four maintenance items
of the vision; an item's score is the share of its subjects that verified facts let a
person perform; items with no subjects are left out of the mean; a cadence is the mean
of its items times 100; overall weighs daily/weekly/monthly 25/35/40. Contradicted
facts are never subjects; unverified ones are subjects that are not yet done.
The rule of each item is the `rule` text in ITEMS below, shown in the output README.

Gap priorities follow the vision: CRITICAL blocks daily operations, HIGH weekly
maintenance, MEDIUM monthly operations, LOW is an improvement; the table is GAP_RULES.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ddd_llm.assess.order import StartOrder
from ddd_llm.evidence.base import url_credentials
from ddd_llm.evidence.owners import owner_of
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    Gap,
    HealthCheck,
    Owner,
    Priority,
    ResourceRequirement,
    Scores,
    Service,
    ValidationMethod,
)
from ddd_llm.render.procedures import is_rollback, platform_of

WEIGHTS = {"daily": 0.25, "weekly": 0.35, "monthly": 0.40}
LOG_WORDS = ("log_level", "loglevel", "log-level", "log_file", "log_dir", "log_format", "logging")
CHANGE_OPERATIONS = frozenset({"deploy", "restart", "upgrade", "config-change"})
BACKUP_OPERATIONS = frozenset({"backup", "restore"})
ROLLING_KINDS = frozenset({"k8s-deployment", "k8s-statefulset", "k8s-daemonset"})
"""Kubernetes workloads that keep previous revisions: `kubectl rollout undo` is their rollback."""
TOGGLES = frozenset({"PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PYTHONFAULTHANDLER"})
"""Runtime on/off switches written as numbers: not tuning parameters, no range to declare."""
NUMERIC = ("int", "float", "duration", "size")
EXAMPLE_FILE = re.compile(r"(\.|^|/)(example|sample|template|dist)(\.|$)|\.example\b", re.I)
_REFERENCE = re.compile(r"\$\{[^}]*\}|\$\([^)]*\)|\{\{.*?\}\}|%\([^)]*\)s|\$[A-Z_][A-Z0-9_]*")


@dataclass(frozen=True)
class ItemScore:
    cadence: str
    item: str
    done: int
    total: int
    rule: str = ""

    @property
    def share(self) -> float | None:
        return None if self.total == 0 else self.done / self.total


ITEMS: dict[tuple[str, str], str] = {
    ("daily", "health"): "services with a verified health check",
    ("daily", "resources"): "services with a verified cpu or memory limit (a monitoring threshold)",
    ("daily", "logs"): "services with a verified log-level or log-location parameter",
    (
        "daily",
        "drift",
    ): "parameters (not secret) with a verified written default to compare against",
    ("weekly", "updates"): (
        "services with a verified health check and a place in an acyclic start order"
    ),
    ("weekly", "backups"): (
        "stateful services (a writable volume or disk) with a verified backup or restore validation"
    ),
    ("weekly", "changes"): (
        "services with a verified validation method for deploy, restart, upgrade or config-change"
    ),
    ("weekly", "runbooks"): "facts that are verified (what runbooks state without a marker)",
    ("monthly", "capacity"): "services with a verified request and limit for cpu or memory",
    ("monthly", "tuning"): (
        "numeric or enum parameters (not secret, not ports or runtime toggles) with a verified "
        "safe range or allowed values"
    ),
    ("monthly", "compliance"): "services with a verified user or permission they run with",
    ("monthly", "lifecycle"): (
        "services with a verified upgrade validation or a rollback path (a documented "
        "rollback, or a Kubernetes workload that keeps revisions)"
    ),
}
"""The rule of each maintenance item, in the vision's order (what counts as done)."""


@dataclass(frozen=True)
class GapRule:
    priority: Priority
    when: str
    summary: str
    """The negative-space sentence; `{n}` is the count (vision style)."""


GAP_RULES: dict[str, GapRule] = {
    "health_check": GapRule(
        "CRITICAL",
        "a service has no verified health check",
        "{n} services missing health check procedures",
    ),
    "resource_threshold": GapRule(
        "CRITICAL",
        "a service has no verified cpu or memory limit",
        "{n} services without resource monitoring thresholds",
    ),
    "validation_method": GapRule(
        "CRITICAL",
        "a service has no verified way to confirm a deploy, restart, upgrade or config change",
        "{n} services with undefined validation methods",
    ),
    "rollback": GapRule(
        "HIGH",
        "a service has no rollback procedure (documented, or Kubernetes revisions)",
        "No rollback procedures for {n} update operations",
    ),
    "backup": GapRule(
        "HIGH",
        "a service with a writable volume or disk has no verified backup/restore validation",
        "{n} stateful services without backup and restore validation",
    ),
    "start_order": GapRule(
        "HIGH", "start-order dependencies form a cycle", "{n} start-order cycles"
    ),
    "dependency": GapRule(
        "HIGH",
        "a dependency targets a service no deployment artifact defines",
        "{n} dependencies on services no deployment artifact defines",
    ),
    "owners": GapRule(
        "HIGH",
        "no CODEOWNERS / MAINTAINERS / OWNERS rule names who owns a service",
        "{n} services without a named owner to tell or escalate to",
    ),
    "inconsistency": GapRule(
        "HIGH",
        "two artifacts disagree (from the verify stage)",
        "{n} cross-artifact inconsistencies",
    ),
    "contradiction": GapRule(
        "HIGH",
        "sources disagree about a fact's value (from the verify stage)",
        "{n} contradictions",
    ),
    "safe_range": GapRule(
        "MEDIUM",
        "a numeric parameter (not secret, not a port or toggle) has no min or max",
        "{n} configuration parameters lack safe value ranges",
    ),
    "capacity": GapRule(
        "MEDIUM",
        "a service does not declare both a request and a limit for cpu or memory",
        "Capacity planning metrics undefined for {n} services",
    ),
    "compliance": GapRule(
        "MEDIUM",
        "a service does not declare the user or permissions it runs with",
        "{n} services without a declared run-as user",
    ),
    "plain_secret": GapRule(
        "MEDIUM",
        "a secret's value is written literally in a configuration file (not an example file)",
        "{n} secrets written in plain configuration",
    ),
    "log_config": GapRule(
        "LOW",
        "a service has no log-level or log-location parameter",
        "{n} services without a documented log level or location",
    ),
}
"""Gap categories: priority, when one is raised, and the negative-space sentence."""

PRIORITY_RANK: dict[str, int] = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}


def _verified(facts: Iterable[FactBase]) -> list[FactBase]:
    return [f for f in facts if f.verification.status == "verified"]


def _live(facts: Iterable[FactBase]) -> list[FactBase]:
    return [f for f in facts if f.verification.status != "contradicted"]


def _by_service(facts: Iterable[FactBase], kind: type[FactBase]) -> dict[str, list[FactBase]]:
    out: dict[str, list[FactBase]] = {}
    for f in facts:
        if isinstance(f, kind) and f.service:
            out.setdefault(f.service, []).append(f)
    return out


def _share(
    cadence: str, item: str, subjects: Sequence[str], ok: Callable[[str], bool]
) -> ItemScore:
    return ItemScore(
        cadence, item, sum(1 for s in subjects if ok(s)), len(subjects), ITEMS[(cadence, item)]
    )


def is_log_param(f: FactBase) -> bool:
    return isinstance(f, ConfigParameter) and any(w in f.name.lower() for w in LOG_WORDS)


def writable_volume(f: FactBase) -> bool:
    """A volume or disk that holds state: not a read-only mount, not a bind-mounted file."""
    if not isinstance(f, ResourceRequirement) or f.resource not in ("volume", "disk"):
        return False
    value = f.value or ""
    parts = value.split(":")
    if len(parts) >= 3 and "ro" in parts[-1].split(","):
        return False
    source = parts[0]
    # A bind-mounted file (./proxy/nginx.conf) is configuration, not state.
    return not (source.startswith((".", "/")) and "." in source.rsplit("/", 1)[-1])


def stateful(service: str, facts: Iterable[FactBase]) -> bool:
    return any(writable_volume(f) and f.service == service for f in _live(facts))


def _concerns(fact: ValidationMethod, service: str) -> bool:
    """The service's own validation, or a repository-wide one whose command names the service
    (`pg_dump -h db …` documented for the whole repository is db's backup)."""
    if fact.service is not None:
        return fact.service == service
    return re.search(rf"(?<![\w.-]){re.escape(service)}(?![\w-])", fact.method, re.I) is not None


def validations(
    service: str, facts: Iterable[FactBase], operations: Iterable[str]
) -> list[ValidationMethod]:
    """The service's non-contradicted validation methods for `operations`."""
    ops = set(operations)
    return [
        f
        for f in _live(facts)
        if isinstance(f, ValidationMethod) and f.operation in ops and _concerns(f, service)
    ]


def _has_verified(facts: Iterable[FactBase]) -> bool:
    return any(f.verification.status == "verified" for f in facts)


def rollbacks(service: str, facts: Iterable[FactBase]) -> list[ValidationMethod]:
    return [
        f
        for f in _live(facts)
        if isinstance(f, ValidationMethod) and _concerns(f, service) and is_rollback(f)
    ]


NOT_CHECKED = "not checked without a model (only commands under documentation headings were read)"
"""Procedures live in prose and scripts a static run reads only in part: without a model, a
missing one is unknown, not absent."""


def model_used(facts: Iterable[FactBase]) -> bool:
    """Whether a model took part, judged from the facts (for a caller that does not say)."""
    return any(f.origin != "static" for f in facts)


def can_roll_back(service: Service, facts: Iterable[FactBase]) -> bool:
    return service.kind in ROLLING_KINDS or _has_verified(rollbacks(service.name, facts))


def is_tunable(f: FactBase) -> bool:
    return (
        isinstance(f, ConfigParameter)
        and not f.secret
        and f.value_type in (*NUMERIC, "enum")
        and f.name.upper() not in TOGGLES
        and not re.search(r"(^|[-_.])port$", f.name.lower())
    )


def has_range(p: ConfigParameter) -> bool:
    return p.min is not None or p.max is not None or bool(p.allowed_values)


def _limited(facts: Iterable[FactBase]) -> bool:
    return any(
        isinstance(f, ResourceRequirement) and f.resource in ("cpu", "memory") and f.limit
        for f in facts
    )


def _planned(facts: Iterable[FactBase]) -> bool:
    return any(
        isinstance(f, ResourceRequirement)
        and f.resource in ("cpu", "memory")
        and f.limit
        and f.request
        for f in facts
    )


def _permission(facts: Iterable[FactBase]) -> bool:
    return any(isinstance(f, ResourceRequirement) and f.resource == "permission" for f in facts)


def item_scores(
    services: list[Service], facts: list[FactBase], order: StartOrder
) -> list[ItemScore]:
    names = [s.name for s in services]
    live = _live(facts)
    ok_facts = _verified(facts)
    health = _by_service(ok_facts, HealthCheck)
    resources = _by_service(ok_facts, ResourceRequirement)
    in_cycle = {n for cycle in order.cycles for n in cycle}
    params = [f for f in live if isinstance(f, ConfigParameter) and not f.secret]
    tunable = [f for f in live if is_tunable(f)]
    stateful_names = [n for n in names if stateful(n, facts)]
    by_name = {s.name: s for s in services}

    def verified_validation(ops: Iterable[str]) -> Callable[[str], bool]:
        return lambda s: _has_verified(validations(s, facts, ops))

    return [
        _share("daily", "health", names, lambda s: s in health),
        _share("daily", "resources", names, lambda s: _limited(resources.get(s, []))),
        _share(
            "daily",
            "logs",
            names,
            lambda s: any(is_log_param(f) and f.service == s for f in ok_facts),
        ),
        ItemScore(
            "daily",
            "drift",
            sum(1 for f in params if f.default is not None and f.verification.status == "verified"),
            len(params),
            ITEMS[("daily", "drift")],
        ),
        _share("weekly", "updates", names, lambda s: s in health and s not in in_cycle),
        _share("weekly", "backups", stateful_names, verified_validation(BACKUP_OPERATIONS)),
        _share("weekly", "changes", names, verified_validation(CHANGE_OPERATIONS)),
        ItemScore("weekly", "runbooks", len(ok_facts), len(live), ITEMS[("weekly", "runbooks")]),
        _share("monthly", "capacity", names, lambda s: _planned(resources.get(s, []))),
        ItemScore(
            "monthly",
            "tuning",
            sum(
                1
                for f in tunable
                if isinstance(f, ConfigParameter)
                and has_range(f)
                and f.verification.status == "verified"
            ),
            len(tunable),
            ITEMS[("monthly", "tuning")],
        ),
        _share("monthly", "compliance", names, lambda s: _permission(resources.get(s, []))),
        _share(
            "monthly",
            "lifecycle",
            names,
            lambda s: (
                _has_verified(validations(s, facts, {"upgrade"}))
                or can_roll_back(by_name[s], facts)
            ),
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


# ------------------------------------------------------------------ gaps


def _paths(citations: Iterable[Citation]) -> list[str]:
    out: list[str] = []
    for c in citations:
        if c.path not in out:
            out.append(c.path)
    return out


def _gap(
    category: str,
    service: str | None,
    message: str,
    citations: Sequence[Citation],
    *,
    fix: str,
    fix_in: Sequence[str],
    key: str | None = None,
) -> Gap:
    priority = GAP_RULES[category].priority
    blocks = {"CRITICAL": "daily", "HIGH": "weekly", "MEDIUM": "monthly"}.get(priority)
    suffix = f":{key}" if key else ""
    return Gap(
        id=f"gap:{category}:{service or '-'}{suffix}",
        category=category,
        service=service,
        priority=priority,
        message=message,
        blocks=blocks,  # type: ignore[arg-type]
        citations=list(citations)[:3],
        fix=fix,
        fix_in=list(dict.fromkeys(fix_in)),
    )


FIXES: dict[str, dict[str, str]] = {
    "health_check": {
        "compose": "add a `healthcheck:` to the {name} service",
        "kubernetes": "add a readinessProbe and a livenessProbe to the {name} container",
        "systemd": "add `WatchdogSec=` (the service notifies systemd) or an `ExecStartPost=` check "
        "to the {name} unit",
        "host": "add a health endpoint or command to {name} and document how to run it",
    },
    "resource_threshold": {
        "compose": "set `deploy.resources.limits` (cpus, memory) for {name}",
        "kubernetes": "set `resources.limits` (cpu, memory) on the {name} container",
        "systemd": "set `MemoryMax=` and `CPUQuota=` in the {name} unit",
        "host": "declare the cpu and memory {name} may use where it is deployed",
    },
    "capacity": {
        "compose": "set both `deploy.resources.reservations` and `limits` for {name}",
        "kubernetes": "set both `resources.requests` and `resources.limits` on {name}",
        "systemd": "set `MemoryHigh=`/`MemoryMax=` (and `CPUQuota=`) in the {name} unit",
        "host": "declare the cpu and memory {name} needs and may use",
    },
    "compliance": {
        "compose": "declare the user {name} runs as (`USER` in its Dockerfile or `user:`)",
        "kubernetes": "set `securityContext.runAsNonRoot`/`runAsUser` for {name}",
        "systemd": "set `User=` (and `Group=`) in the {name} unit",
        "host": "declare the user {name} runs as",
    },
}


def _fix(category: str, service: Service) -> str:
    return FIXES[category][platform_of(service)].format(name=service.name)


def _definition(service: Service) -> list[str]:
    return _paths(service.citations[:1]) or ["README.md"]


_NOT_LITERAL = re.compile(r"^(true|false|null|none|~|\*+|[\w.]+\(.*)$", re.I)


def _literal(value: str) -> bool:
    """A value written out, not a reference, a call, an empty string or a boolean."""
    value = value.strip().strip(",;").strip().strip("\"'").strip()
    if not value or "://" in value:
        return False  # URLs are judged by their password part alone
    return not _NOT_LITERAL.match(value)


def literal_secret(line: str, name: str) -> bool:
    """Whether `line` writes the value of secret `name` out (references removed first).

    Forms: a password inside a URL; `NAME: value` / `NAME=value`; a quoted default
    beside the name (`getenv("NAME", "value")`); a Kubernetes `value:` under the name.
    """
    text = _REFERENCE.sub("", line)
    if url_credentials(text) is not None:
        return True
    escaped = re.escape(name)
    assigned = re.search(rf"(?<![\w-]){escaped}[\"']?\s*[:=]\s*(.*)$", text)
    if assigned and _literal(assigned.group(1)):
        return True
    default = re.search(rf"[\"']{escaped}[\"']\s*,\s*[\"']([^\"']*)[\"']", text)
    if default and _literal(default.group(1)):
        return True
    value = re.match(r"^\s*value:\s*(.+)$", text)
    return bool(value and _literal(value.group(1)))


def plain_secrets(
    facts: Iterable[FactBase], lines: Callable[[str], list[str] | None]
) -> list[tuple[ConfigParameter, Citation]]:
    """Secret parameters whose cited lines write a value out (example files excepted).

    Only the place is returned, never the value.
    """
    found: list[tuple[ConfigParameter, Citation]] = []
    for f in facts:
        if not isinstance(f, ConfigParameter) or not f.secret:
            continue
        for c in f.citations:
            if EXAMPLE_FILE.search(c.path):
                continue
            text = lines(c.path)
            if text is None:
                continue
            for number in range(c.start_line, min(c.end_line, len(text)) + 1):
                if literal_secret(text[number - 1], f.name):
                    found.append((f, Citation(path=c.path, start_line=number, end_line=number)))
    return found


def find_gaps(
    services: list[Service],
    facts: list[FactBase],
    order: StartOrder,
    *,
    owners: Sequence[Owner] | None = None,
    secrets_in_plain: Sequence[tuple[ConfigParameter, Citation]] = (),
    model: bool | None = None,
) -> list[Gap]:
    """What is missing that blocks routine operations, most urgent first.

    `owners` None means ownership was not looked up (no owners gap); an empty list
    means the repository names no owner. `model` says whether a model read the
    repository (None: judged from the facts' origins); without one, a procedure that
    only prose or scripts would hold (validation, rollback, backup) is reported as not
    checked rather than missing.
    """
    checked = model if model is not None else model_used(facts)
    gaps: list[Gap] = []
    names = {s.name for s in services}
    live = _live(facts)
    health = _by_service(_verified(facts), HealthCheck)
    resources = _by_service(_verified(facts), ResourceRequirement)
    candidates = _by_service(live, HealthCheck)
    for svc in services:
        name = svc.name
        where = _definition(svc)
        if name not in health:
            unverified = candidates.get(name, [])
            gaps.append(
                _gap(
                    "health_check",
                    name,
                    f"{name} has no health check procedure"
                    + (f" (only {len(unverified)} unverified)" if unverified else ""),
                    [c for f in unverified for c in f.citations[:1]] or svc.citations,
                    fix=_fix("health_check", svc),
                    fix_in=where,
                )
            )
        if not _limited(resources.get(name, [])):
            gaps.append(
                _gap(
                    "resource_threshold",
                    name,
                    f"{name} has no resource monitoring threshold (no cpu or memory limit)",
                    svc.citations,
                    fix=_fix("resource_threshold", svc),
                    fix_in=where,
                )
            )
        changes = validations(name, facts, CHANGE_OPERATIONS)
        if not _has_verified(changes):
            gaps.append(
                _gap(
                    "validation_method",
                    name,
                    f"{name} has no validation method to confirm a deploy or restart succeeded"
                    + (f" (only {len(changes)} unverified)" if changes else "")
                    if checked or changes
                    else f"{name}: a validation method to confirm a deploy or restart was "
                    + NOT_CHECKED,
                    [c for f in changes for c in f.citations[:1]] or svc.citations,
                    fix=f"document the command that confirms a deploy or restart of {name} "
                    "and its expected output",
                    fix_in=["README.md"],
                )
            )
        if not can_roll_back(svc, facts):
            gaps.append(
                _gap(
                    "rollback",
                    name,
                    f"No rollback procedure for updates of {name}"
                    if checked or rollbacks(name, facts)
                    else f"{name}: a rollback procedure for updates was {NOT_CHECKED}",
                    svc.citations,
                    fix=f"document how to return {name} to the previous version (pin the "
                    "previous image tag or release) and how to confirm it",
                    fix_in=["README.md", *where],
                )
            )
        volumes = [
            f
            for f in live
            if isinstance(f, ResourceRequirement) and writable_volume(f) and f.service == name
        ]
        backups = validations(name, facts, BACKUP_OPERATIONS)
        if volumes and not _has_verified(backups):
            held = ", ".join(v.value or v.resource for v in volumes)
            gaps.append(
                _gap(
                    "backup",
                    name,
                    f"{name} keeps state ({held}) but has no backup and restore validation"
                    if checked or backups
                    else f"{name} keeps state ({held}); its backup and restore validation was "
                    + NOT_CHECKED,
                    [c for v in volumes for c in v.citations[:1]],
                    fix=f"document how to back up {name}'s data, how to restore it, and the "
                    "check that proves a restore worked",
                    fix_in=["README.md"],
                )
            )
        if not _planned(resources.get(name, [])):
            gaps.append(
                _gap(
                    "capacity",
                    name,
                    f"{name} has no capacity baseline (no request and limit for cpu or memory)",
                    svc.citations,
                    fix=_fix("capacity", svc),
                    fix_in=where,
                )
            )
        if not _permission(resources.get(name, [])):
            gaps.append(
                _gap(
                    "compliance",
                    name,
                    f"{name} does not declare the user it runs as",
                    svc.citations,
                    fix=_fix("compliance", svc),
                    fix_in=where,
                )
            )
        if not any(is_log_param(f) and f.service == name for f in _verified(facts)):
            gaps.append(
                _gap(
                    "log_config",
                    name,
                    f"{name} has no documented log level or log location",
                    svc.citations,
                    fix=f"make {name}'s log level a setting and document where its logs go",
                    fix_in=where,
                )
            )
    gaps.extend(_owner_gaps(services, owners))
    for cycle in order.cycles:
        involved = [
            f
            for f in live
            if isinstance(f, Dependency)
            and f.dependency_type == "start_order"
            and f.service in cycle
            and f.target in cycle
        ]
        cites = [c for f in involved for c in f.citations[:1]]
        gaps.append(
            _gap(
                "start_order",
                None,
                "start-order cycle: " + " -> ".join(cycle),
                cites,
                fix="remove one of the start-order dependencies so the services can start in order",
                fix_in=_paths(cites),
                key="-".join(cycle),
            )
        )
    for f in live:
        if isinstance(f, Dependency) and f.target not in names and names:
            gaps.append(
                _gap(
                    "dependency",
                    f.service,
                    f"{f.service or 'the repository'} depends on {f.target}, "
                    "which no deployment artifact defines",
                    f.citations,
                    fix=f"define {f.target} in this repository, or document it as external "
                    "with its owner and health check",
                    fix_in=[*_paths(f.citations[:1]), "README.md"],
                    key=f.target,
                )
            )
        if (
            isinstance(f, ConfigParameter)
            and is_tunable(f)
            and f.value_type in NUMERIC
            and f.min is None
            and f.max is None
        ):
            gaps.append(
                _gap(
                    "safe_range",
                    f.service,
                    f"configuration parameter {f.name} lacks a safe value range",
                    f.citations,
                    fix=f"declare the safe minimum and maximum of {f.name} (validated in code, "
                    "or documented beside its default)",
                    fix_in=_paths(f.citations),
                    key=f.name,
                )
            )
    for param, citation in secrets_in_plain:
        gaps.append(
            _gap(
                "plain_secret",
                param.service,
                f"secret {param.name} is written in plain configuration at {citation}",
                [citation],
                fix=f"reference {param.name} from a secret store or an untracked env file "
                "instead of writing its value",
                fix_in=[citation.path],
                key=f"{param.name}:{citation.path}:{citation.start_line}",
            )
        )
    unique = {g.id: g for g in gaps}
    return sort_gaps(unique.values())


def _owner_gaps(services: list[Service], owners: Sequence[Owner] | None) -> list[Gap]:
    """One gap per service nobody is named for (who to tell, who to escalate to)."""
    if owners is None:
        return []
    gaps = []
    for svc in services:
        if owners and owner_of(_paths(svc.citations), owners) is not None:
            continue
        why = (
            f"no CODEOWNERS rule names an owner of {svc.name}"
            if owners
            else f"{svc.name} has no named owner: the repository has no CODEOWNERS, "
            "MAINTAINERS or OWNERS file"
        )
        gaps.append(
            _gap(
                "owners",
                svc.name,
                why,
                svc.citations,
                fix=f"add a CODEOWNERS rule naming the owner of {svc.name}'s files",
                fix_in=[owners[0].citation.path if owners else ".github/CODEOWNERS"],
            )
        )
    return gaps


def sort_gaps(gaps: Iterable[Gap]) -> list[Gap]:
    return sorted(gaps, key=lambda g: (PRIORITY_RANK.get(g.priority, 9), g.category, g.id))


def negative_space(gaps: Iterable[Gap]) -> list[tuple[Priority, str, int, str]]:
    """(priority, category, count, sentence) per category, most urgent first."""
    counts: dict[str, int] = {}
    priorities: dict[str, Priority] = {}
    for g in gaps:
        counts[g.category] = counts.get(g.category, 0) + 1
        priorities.setdefault(g.category, g.priority)
    rows: list[tuple[Priority, str, int, str]] = []
    for category, n in counts.items():
        rule = GAP_RULES.get(category)
        sentence = rule.summary.format(n=n) if rule else f"{n} {category.replace('_', ' ')} gaps"
        if n == 1:
            sentence = _singular(sentence)
        rows.append((priorities[category], category, n, sentence))
    return sorted(rows, key=lambda r: (PRIORITY_RANK.get(r[0], 9), -r[2], r[1]))


def _singular(sentence: str) -> str:
    words = {
        "missing health check procedures": "missing a health check procedure",
        "with undefined validation methods": "with an undefined validation method",
        "without resource monitoring thresholds": "without a resource monitoring threshold",
        "services": "service",
        "parameters": "parameter",
        "dependencies": "dependency",
        "secrets": "secret",
        "cycles": "cycle",
        "inconsistencies": "inconsistency",
        "contradictions": "contradiction",
        "operations": "operation",
        "procedures for 1": "procedure for 1",
        "lack ": "lacks ",
    }
    for plural, one in words.items():
        sentence = sentence.replace(plural, one)
    return sentence


# ------------------------------------------------------------------ compliance controls

ControlStatus = Literal["pass", "partial", "fail", "n/a"]


@dataclass
class Control:
    name: str
    status: ControlStatus
    detail: str
    evidence: list[Citation] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)


def _status(done: int, total: int) -> ControlStatus:
    if total == 0:
        return "n/a"
    if done == total:
        return "pass"
    return "partial" if done else "fail"


def controls(
    services: list[Service], facts: list[FactBase], order: StartOrder, gaps: list[Gap]
) -> list[Control]:
    """The audit controls: health checks defined, limits set, secrets not in plain config,
    backups documented, start order defined; each with its status, evidence and gaps."""
    ok = _verified(facts)
    names = [s.name for s in services]
    health = _by_service(ok, HealthCheck)
    resources = _by_service(ok, ResourceRequirement)

    def gaps_of(*categories: str) -> list[Gap]:
        return [g for g in gaps if g.category in categories]

    out: list[Control] = []
    done = [n for n in names if n in health]
    out.append(
        Control(
            "Health checks defined",
            _status(len(done), len(names)),
            f"{len(done)} of {len(names)} services have a verified health check",
            [health[n][0].citations[0] for n in done],
            gaps_of("health_check"),
        )
    )
    limited = [n for n in names if _limited(resources.get(n, []))]
    out.append(
        Control(
            "Resource limits set",
            _status(len(limited), len(names)),
            f"{len(limited)} of {len(names)} services declare a verified cpu or memory limit",
            [
                c
                for n in limited
                for f in resources[n]
                if isinstance(f, ResourceRequirement)
                and f.resource in ("cpu", "memory")
                and f.limit
                for c in f.citations[:1]
            ],
            gaps_of("resource_threshold"),
        )
    )
    secrets = [f for f in _live(facts) if isinstance(f, ConfigParameter) and f.secret]
    plain = gaps_of("plain_secret")
    out.append(
        Control(
            "Secrets not in plain config",
            "n/a" if not secrets else ("fail" if plain else "pass"),
            f"{len(secrets)} secret parameters, {len(plain)} written in plain configuration "
            "(example files excepted); values are never shown",
            [c for f in secrets for c in f.citations[:1]],
            plain,
        )
    )
    state = [n for n in names if stateful(n, facts)]
    backed = [n for n in state if _has_verified(validations(n, facts, BACKUP_OPERATIONS))]
    out.append(
        Control(
            "Backups documented",
            _status(len(backed), len(state)),
            f"{len(backed)} of {len(state)} stateful services have a verified backup or "
            "restore validation",
            [
                c
                for n in state
                for f in _live(facts)
                if writable_volume(f) and f.service == n
                for c in f.citations[:1]
            ],
            gaps_of("backup"),
        )
    )
    edges = [f for f in ok if isinstance(f, Dependency) and f.dependency_type == "start_order"]
    order_gaps = gaps_of("start_order", "dependency")
    if order.cycles:
        status: ControlStatus = "fail"
    elif not edges:
        status = "n/a" if len(names) <= 1 else "fail"
    else:
        status = "partial" if order_gaps else "pass"
    out.append(
        Control(
            "Start order defined",
            status,
            f"{len(edges)} verified start-order dependencies; start order "
            + (" → ".join(order.startup) if order.startup else "—")
            + (f"; {len(order.cycles)} cycles" if order.cycles else ""),
            [c for f in edges for c in f.citations[:1]],
            order_gaps,
        )
    )
    return out
