"""Turn facts into the steps an operator runs: command, expected result, citation, safety, time.

Safety and duration are a rule of the step's action (docs/artifacts.md):

    action          safety           minutes  why
    check           safe             1        one read-only command, one expected result
    inspect         safe             5        read-only review of output, metrics or config
    backup          caution          10       reads live data and writes a copy; adds load
    restart         caution          5        interrupts the service briefly
    rollback        needs approval   10       changes what runs
    config-change   needs approval   10       changes behaviour; may need a restart
    update          needs approval   15       changes what runs; may not be reversible
    migrate         needs approval   30       changes stored data
    restore         needs approval   30       overwrites data

A step that waits for a health check to pass takes at least the check's own window
(interval × failure threshold + timeout), rounded up to whole minutes. A step built
from a fact that is not verified carries a marker with the reason; contradicted facts
never reach this module (render.steppable filters them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ddd_llm.models import (
    Citation,
    ConfigParameter,
    FactBase,
    HealthCheck,
    ResourceRequirement,
    Service,
    ValidationMethod,
)
from ddd_llm.verify.verifier import status_reason

Safety = Literal["safe", "caution", "needs approval"]
Action = Literal[
    "check",
    "inspect",
    "backup",
    "restart",
    "rollback",
    "config-change",
    "update",
    "migrate",
    "restore",
]
Platform = Literal["compose", "kubernetes", "systemd", "host"]

RULES: dict[Action, tuple[Safety, int]] = {
    "check": ("safe", 1),
    "inspect": ("safe", 5),
    "backup": ("caution", 10),
    "restart": ("caution", 5),
    "rollback": ("needs approval", 10),
    "config-change": ("needs approval", 10),
    "update": ("needs approval", 15),
    "migrate": ("needs approval", 30),
    "restore": ("needs approval", 30),
}
"""Safety label and estimated minutes per action; the table in the module docstring."""

WARN_SHARE = 0.80
"""Resource use above this share of a declared limit is a warning (daily and monthly)."""
ESCALATE_SHARE = 0.95
"""Resource use above this share of a declared limit, or an OOM kill, is escalated."""
ERROR_PATTERN = "error|fatal|panic|traceback|exception"
ROLLBACK_WORDS = ("rollback", "roll back", "rollout undo", "downgrade", "revert")


@dataclass(frozen=True)
class Step:
    title: str
    command: str | None
    expected: str
    citations: list[Citation]
    action: Action = "check"
    safety: Safety = "safe"
    minutes: int = 1
    marker: str | None = None
    """Set for unverified facts: the reason an operator should double-check the step."""
    note: str | None = None
    """One more line for the operator (a placeholder to fill in, a precondition)."""
    fact_ids: tuple[str, ...] = field(default=())

    @property
    def cite(self) -> str:
        return ", ".join(str(c) for c in self.citations)


def make_step(
    action: Action,
    title: str,
    command: str | None,
    expected: str,
    citations: Sequence[Citation],
    facts: Sequence[FactBase] = (),
    *,
    minutes: int | None = None,
    note: str | None = None,
) -> Step:
    """A step whose safety and duration follow RULES, marked when a fact is not verified."""
    safety, base = RULES[action]
    unique: list[Citation] = []
    for c in citations:
        if c not in unique:
            unique.append(c)
    return Step(
        title=title,
        command=command,
        expected=expected,
        citations=unique,
        action=action,
        safety=safety,
        minutes=max(base, minutes or 0),
        marker=marker(facts),
        note=note,
        fact_ids=tuple(f.id for f in facts),
    )


def marker(facts: Sequence[FactBase]) -> str | None:
    """`unverified: <reason>` for the first fact that is not verified, else None."""
    for fact in facts:
        if fact.verification.status != "verified":
            return f"unverified: {status_reason(fact)}"
    return None


def platform_of(service: Service | None) -> Platform:
    """compose, kubernetes, systemd or host: how an operator reaches the service."""
    if service is None:
        return "host"
    if service.kind.startswith("compose"):
        return "compose"
    if service.kind.startswith("k8s"):
        return "kubernetes"
    if service.kind.startswith("systemd"):
        return "systemd"
    return "host"


def workload(service: Service | None, name: str) -> str:
    """`deployment/NAME`, `statefulset/NAME`…: how kubectl names the service's workload."""
    kind = service.kind.removeprefix("k8s-") if service and service.kind.startswith("k8s-") else ""
    return f"{kind or 'deployment'}/{name}"


def manifest_of(service: Service | None) -> str | None:
    """The file that defines the service (its first citation), if known."""
    return service.citations[0].path if service and service.citations else None


def check_window_s(fact: HealthCheck) -> float | None:
    """How long the platform takes to call the service unhealthy: interval × failures + timeout."""
    if fact.interval_s is None:
        return None
    return float(fact.interval_s) * float(fact.failure_threshold or 1) + float(fact.timeout_s or 0)


def _minutes(seconds: float | None) -> int:
    return max(1, math.ceil(seconds / 60)) if seconds else 1


# ------------------------------------------------------------------ where a service listens


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    citations: list[Citation]


def endpoint(facts: Sequence[FactBase], platform: Platform) -> Endpoint | None:
    """Where the operator reaches the service: a published or container port, else a port setting.

    Compose: the published host port (`127.0.0.1:8000:8000` → 127.0.0.1:8000). Elsewhere:
    the container port, or the default of the one parameter named like a listen port.
    """
    published: list[Endpoint] = []
    container: list[Endpoint] = []
    for f in facts:
        if isinstance(f, ResourceRequirement) and f.resource == "port" and f.value:
            parts = f.value.split("/")[0].split(":")
            numbers = [p for p in parts if p.isdigit()]
            if not numbers:
                continue
            if len(parts) >= 2 and platform == "compose":
                host = parts[0] if len(parts) == 3 and not parts[0].isdigit() else "localhost"
                published.append(Endpoint(host, int(parts[-2]), f.citations))
            else:
                container.append(Endpoint("localhost", int(numbers[-1]), f.citations))
    if published:
        return published[0]
    if container and platform != "compose":
        return container[0]
    ports: dict[int, list[Citation]] = {}
    for f in facts:
        if (
            isinstance(f, ConfigParameter)
            and re.search(r"(^|[-_.])port$", f.name.lower())
            and f.default
            and f.default.isdigit()
        ):
            ports.setdefault(int(f.default), []).extend(f.citations[:1])
    if len(ports) == 1:
        port, cites = next(iter(ports.items()))
        return Endpoint("localhost", port, cites[:1])
    return None


# ------------------------------------------------------------------ daily


def _port_forward(ref: str, port: int, then: str) -> str:
    return f"kubectl port-forward {ref} {port}:{port} & sleep 2; {then}; kill %1"


def health_step(fact: HealthCheck, service: Service | None, where: Endpoint | None = None) -> Step:
    """How to run one health check by hand, on the platform the service is deployed on."""
    name = fact.service or (service.name if service else "the service")
    platform = platform_of(service)
    ref = workload(service, name)
    port = fact.port or (where.port if where else None)
    host = where.host if where and not fact.port else "localhost"
    cites = list(fact.citations)
    note: str | None = None
    command: str | None
    expected: str
    if fact.mechanism == "compose-healthcheck" or (
        fact.mechanism == "dockerfile-healthcheck" and platform == "compose"
    ):
        command = f"docker compose ps {name}"
        expected = f"STATUS shows (healthy); the check runs `{fact.target}`"
    elif fact.mechanism == "dockerfile-healthcheck" and platform == "kubernetes":
        # Kubernetes ignores an image's HEALTHCHECK: run the same command inside the pod.
        command = f"kubectl exec {ref} -- {fact.target}"
        expected = "exit status 0"
    elif fact.mechanism == "dockerfile-healthcheck":
        command = "docker inspect --format '{{.State.Health.Status}}' CONTAINER"
        expected = f"healthy (the image's HEALTHCHECK runs `{fact.target}`)"
        note = "replace CONTAINER with the container's name or id"
    elif fact.mechanism == "systemd-watchdog":
        command = f"systemctl status {name} --no-pager"
        expected = "Active: active (running), and no watchdog timeout in the journal"
    elif platform == "kubernetes" and fact.check_type == "exec":
        command = f"kubectl exec {ref} -- {fact.target}"
        expected = "exit status 0"
    elif platform == "kubernetes" and port and fact.check_type in ("http", "tcp", "grpc"):
        if fact.check_type == "http":
            probe = f"curl -fsS http://127.0.0.1:{port}{fact.target}"
            expected = "HTTP 2xx"
        elif fact.check_type == "tcp":
            probe = f"nc -z 127.0.0.1 {port}"
            expected = "the port accepts connections (exit status 0)"
        else:
            probe = _grpc_probe(f"127.0.0.1:{port}", fact.target)
            expected = "status: SERVING"
        command = _port_forward(ref, port, probe)
    elif platform == "kubernetes":
        command = f"kubectl get {ref}"
        expected = "READY shows every replica ready"
    elif fact.check_type == "http":
        base = f"http://{host}:{port}" if port else "http://HOST:PORT"
        command = f"curl -fsS {base}{fact.target}"
        expected = "HTTP 2xx"
        if not port:
            note = f"replace HOST:PORT with where {name} listens (no port was found)"
    elif fact.check_type == "tcp":
        command = f"nc -z {host} {port or fact.target}"
        expected = "the port accepts connections (exit status 0)"
    elif fact.check_type == "grpc":
        command = _grpc_probe(f"{host}:{port}" if port else "HOST:PORT", fact.target)
        expected = "status: SERVING"
        if not port:
            note = f"replace HOST:PORT with where {name} listens (no port was found)"
    elif platform == "compose":
        command = f"docker compose exec -T {name} {fact.target}"
        expected = "exit status 0"
    else:
        command = fact.target
        expected = "exit status 0"
    if where and not fact.port and command and str(where.port) in command:
        cites.extend(where.citations)
    return make_step(
        "check",
        f"Check {name} health ({fact.mechanism}, {fact.check_type} {fact.target})",
        command,
        expected,
        cites,
        [fact],
        note=note,
    )


def _grpc_probe(address: str, target: str) -> str:
    service = "" if target in ("grpc.health.v1.Health", "") else f" -service={target}"
    return f"grpc_health_probe -addr={address}{service}"


USAGE_COMMANDS: dict[Platform, dict[str, str]] = {
    "compose": {"*": "docker stats --no-stream $(docker compose ps -q {name})"},
    "kubernetes": {"*": "kubectl top pod | grep {name}"},
    "systemd": {
        "memory": "systemctl show {name} -p MemoryCurrent -p MemoryPeak -p MemoryMax",
        "cpu": "systemctl show {name} -p CPUUsageNSec -p CPUQuotaPerSecUSec",
        "file_descriptors": "sudo ls /proc/$(systemctl show -p MainPID --value {name})/fd | wc -l",
        "*": "systemctl status {name} --no-pager",
    },
    "host": {},
}


def usage_command(resource: str, service: Service | None, name: str) -> str | None:
    table = USAGE_COMMANDS[platform_of(service)]
    template = table.get(resource) or table.get("*")
    return template.format(name=name) if template else None


def bounds(fact: ResourceRequirement) -> str:
    parts = [
        f"request {fact.request}" if fact.request else "",
        f"limit {fact.limit}" if fact.limit else "",
    ]
    return ", ".join(p for p in parts if p)


def threshold_step(fact: ResourceRequirement, service: Service | None) -> Step:
    name = fact.service or "the service"
    if fact.limit:
        oom = " or after an out-of-memory kill" if fact.resource == "memory" else ""
        expected = (
            f"{fact.resource} use below {WARN_SHARE:.0%} of the limit {fact.limit}; "
            f"escalate above {ESCALATE_SHARE:.0%}{oom}"
        )
    else:
        expected = f"{fact.resource} use near the request {fact.request}; no limit is declared"
    return make_step(
        "check",
        f"Compare {name} {fact.resource} use with its declared {bounds(fact)}",
        usage_command(fact.resource, service, name),
        expected,
        fact.citations,
        [fact],
    )


LOG_COMMANDS: dict[Platform, str | None] = {
    "compose": "docker compose logs --since 24h {name} 2>&1 | grep -iE '{pattern}'",
    "kubernetes": "kubectl logs {ref} --since=24h --all-containers | grep -iE '{pattern}'",
    "systemd": "journalctl -u {name} --since yesterday -p warning --no-pager",
    "host": None,
}
LOG_PLACES: dict[Platform, str] = {
    "compose": "the container's output (`docker compose logs`)",
    "kubernetes": "the pod's output (`kubectl logs`)",
    "systemd": "the systemd journal (`journalctl -u`)",
    "host": "no log location is known",
}


def log_step(service: Service, level_params: Sequence[ConfigParameter]) -> Step:
    """Read the last day's errors where the platform keeps the service's output."""
    platform = platform_of(service)
    template = LOG_COMMANDS[platform]
    command = (
        template.format(
            name=service.name, ref=workload(service, service.name), pattern=ERROR_PATTERN
        )
        if template
        else None
    )
    levels = ", ".join(f"{p.name}={p.default}" for p in level_params if p.default)
    expected = (
        "no entries at warning or above, or only ones you can explain"
        if platform == "systemd"
        else "no matching lines, or only ones you can explain"
    )
    return make_step(
        "check",
        f"Check {service.name} logs of the last 24 hours in {LOG_PLACES[platform]}",
        command,
        expected,
        [*(c for p in level_params for c in p.citations), *service.citations[:1]],
        list(level_params),
        minutes=2,
        note=f"configured log level: {levels}" if levels else None,
    )


def drift_step(service: Service) -> Step | None:
    """Compare what runs with what the repository declares, for one service."""
    name = service.name
    path = manifest_of(service)
    platform = platform_of(service)
    if platform == "compose":
        command = (
            f"docker compose config --hash {name}; docker inspect --format "
            "'{{index .Config.Labels \"com.docker.compose.config-hash\"}}' "
            f"$(docker compose ps -q {name})"
        )
        expected = (
            "the two hashes are equal: the running container was created from the current "
            "compose file"
        )
    elif platform == "kubernetes" and path:
        command = f"kubectl diff -f {path}"
        expected = "no output and exit status 0 (exit status 1 lists the drifted fields)"
    elif platform == "systemd":
        command = f"systemctl cat {name} --no-pager"
        expected = f"the same directives as {path}, and no drop-in you cannot explain"
    else:
        return None
    return make_step(
        "check",
        f"Compare the running {name} with its declared configuration",
        command,
        expected,
        service.citations[:1],
        minutes=3,
    )


# ------------------------------------------------------------------ weekly


UPDATE_COMMANDS: dict[Platform, str | None] = {
    "compose": (
        "docker compose pull --ignore-buildable {name} && "
        "docker compose up -d --build --no-deps {name}"
    ),
    "kubernetes": "kubectl apply -f {path} && kubectl rollout status {ref} --timeout=180s",
    "systemd": "sudo systemctl daemon-reload && sudo systemctl restart {name}",
    "host": None,
}
UPDATE_EXPECTED: dict[Platform, str] = {
    "compose": "the container is recreated and `docker compose ps {name}` shows it running",
    "kubernetes": "rollout status prints that {ref} successfully rolled out",
    "systemd": "`systemctl is-active {name}` prints active",
    "host": "the new version runs",
}


def update_step(service: Service, after: Sequence[str], dependencies: Sequence[FactBase]) -> Step:
    platform = platform_of(service)
    name = service.name
    ref = workload(service, name)
    template = UPDATE_COMMANDS[platform]
    command = template.format(name=name, ref=ref, path=manifest_of(service)) if template else None
    note = f"only after the checks of {', '.join(after)} above have passed" if after else None
    if platform == "systemd":
        note = "install the new release first; " + (note or "")
    return make_step(
        "update",
        f"Update {name}",
        command,
        UPDATE_EXPECTED[platform].format(name=name, ref=ref),
        [*service.citations[:1], *(c for d in dependencies for c in d.citations[:1])],
        dependencies,
        note=note.strip("; ") if note else None,
    )


_HTTP_METHOD = re.compile(r"^(GET|HEAD)\s+(https?://\S+)$")


def as_command(method: str) -> str:
    """A validation method as a command to type: `GET http://…` becomes `curl -fsS http://…`."""
    match = _HTTP_METHOD.match(method.strip())
    if match:
        return f"curl -fsS{'I' if match.group(1) == 'HEAD' else ''} {match.group(2)}"
    return method


def validation_step(fact: ValidationMethod, action: Action = "check") -> Step:
    who = fact.service or "the system"
    return make_step(
        action,
        f"Confirm the {fact.operation} of {who}: {fact.summary}",
        as_command(fact.method),
        fact.expected or "as the cited evidence describes",
        fact.citations,
        [fact],
        minutes=2,
    )


def wait_for_health(step: Step, fact: HealthCheck) -> Step:
    """A health step after a change: allow the platform's own window before judging."""
    window = check_window_s(fact)
    if window is None:
        return step
    return Step(
        title=step.title,
        command=step.command,
        expected=f"{step.expected}, within {window:g} s (interval × failures + timeout)",
        citations=step.citations,
        action=step.action,
        safety=step.safety,
        minutes=max(step.minutes, _minutes(window)),
        marker=step.marker,
        note=step.note,
        fact_ids=step.fact_ids,
    )


def is_rollback(fact: ValidationMethod) -> bool:
    text = f"{fact.method} {fact.summary}".lower()
    return any(w in text for w in ROLLBACK_WORDS)


def rollback_step(service: Service, documented: Sequence[ValidationMethod]) -> Step | None:
    """A documented rollback, else the platform's own (Kubernetes keeps previous revisions)."""
    if documented:
        fact = documented[0]
        return make_step(
            "rollback",
            f"Roll back {service.name}: {fact.summary}",
            fact.method,
            fact.expected or "the previous version runs and passes its checks",
            fact.citations,
            [fact],
        )
    if platform_of(service) == "kubernetes" and service.kind in (
        "k8s-deployment",
        "k8s-statefulset",
        "k8s-daemonset",
    ):
        ref = workload(service, service.name)
        return make_step(
            "rollback",
            f"If {service.name} fails its checks: roll back to the previous revision",
            f"kubectl rollout undo {ref} && kubectl rollout status {ref} --timeout=180s",
            "the previous revision rolled out; then repeat the checks above",
            service.citations[:1],
            note="a rollback restores the pod template, not data in volumes",
        )
    return None


# ------------------------------------------------------------------ monthly


def capacity_step(fact: ResourceRequirement, service: Service | None) -> Step:
    name = fact.service or "the service"
    if fact.resource in ("volume", "disk"):
        platform = platform_of(service)
        volume = (fact.value or "").split(":")[0]
        mount = (fact.value or "").split(":")[1] if ":" in (fact.value or "") else None
        if platform == "compose" and volume and not volume.startswith((".", "/")):
            command: str | None = f"docker system df -v | grep -w {volume}"
        elif platform == "kubernetes" and mount:
            command = f"kubectl exec {workload(service, name)} -- df -h {mount}"
        elif mount:
            command = f"df -h {mount}"
        else:
            command = None
        size = fact.request or fact.limit
        expected = (
            f"use below {WARN_SHARE:.0%} of {size}; plan growth before it gets there"
            if size
            else "record the size and compare with last month; no size limit is declared"
        )
        title = f"Review {name} storage {fact.value or fact.resource}"
    else:
        command = usage_command(fact.resource, service, name)
        expected = (
            f"the month's peak {fact.resource} use below {WARN_SHARE:.0%} of the limit "
            f"{fact.limit}; sustained use near it means the limit needs a change (needs approval)"
            if fact.limit
            else f"the month's typical use near the request {fact.request}"
        )
        title = f"Review {name} {fact.resource} capacity against its {bounds(fact)}"
    return make_step("inspect", title, command, expected, fact.citations, [fact])


def param_form(p: ConfigParameter) -> str:
    """flag, env, directive (systemd) or setting: decides how to read its running value."""
    if p.name.startswith("-"):
        return "flag"
    if any(c.path.endswith((".service", ".timer", ".socket")) for c in p.citations):
        return "directive"
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", p.name):
        return "env"
    return "setting"


def read_command(p: ConfigParameter, service: Service | None) -> str | None:
    """A read-only command that shows the running value of a parameter, when one exists."""
    if service is None or p.secret:
        return None
    name = service.name
    ref = workload(service, name)
    platform = platform_of(service)
    form = param_form(p)
    if form == "flag":
        return {
            "compose": f"docker compose ps --no-trunc --format '{{{{.Command}}}}' {name}",
            "kubernetes": (
                f"kubectl get {ref} -o jsonpath='{{.spec.template.spec.containers[*].args}}'"
            ),
            "systemd": f"systemctl show {name} -p ExecStart --value",
        }.get(platform)
    if form == "env":
        return {
            "compose": f"docker compose exec -T {name} printenv {p.name}",
            "kubernetes": f"kubectl set env {ref} --list | grep '^{p.name}='",
            "systemd": (
                f"sudo cat /proc/$(systemctl show -p MainPID --value {name})/environ "
                f"| tr '\\0' '\\n' | grep '^{p.name}='"
            ),
        }.get(platform)
    if form == "directive" and platform == "systemd":
        return f"systemctl show {name} -p {p.name} --value"
    return None


def safe_range(p: ConfigParameter) -> str | None:
    """`5–20 connections`, `one of a, b`, `≥ 1`, or None when nothing is declared."""
    unit = f" {p.unit}" if p.unit else ""
    if p.min is not None and p.max is not None:
        return f"{p.min}–{p.max}{unit}"
    if p.min is not None:
        return f"≥ {p.min}{unit}"
    if p.max is not None:
        return f"≤ {p.max}{unit}"
    if p.allowed_values:
        return "one of " + ", ".join(p.allowed_values)
    return None


def tuning_step(p: ConfigParameter, service: Service | None) -> Step:
    span = safe_range(p) or "no declared range"
    default = f" (default {p.default})" if p.default is not None else ""
    command = read_command(p, service)
    return make_step(
        "check",
        f"Review {p.name}{default}: safe range {span}",
        command,
        f"the running value lies in {span}",
        p.citations,
        [p],
        minutes=2,
        note=None if command else f"read the value where it is set ({p.citations[0]})",
    )


def permission_step(fact: ResourceRequirement, service: Service | None) -> Step | None:
    """Confirm the user a service runs as (only `user:NAME` facts are checkable at run time)."""
    value = fact.value or ""
    if not value.startswith("user:"):
        return None
    user = value.removeprefix("user:")
    name = fact.service or "the service"
    platform = platform_of(service)
    command = {
        "compose": f"docker compose exec -T {name} id -un",
        "kubernetes": (
            f"kubectl get {workload(service, name)} -o jsonpath="
            "'{.spec.template.spec.securityContext}{.spec.template.spec.containers[*].securityContext}'"
        ),
        "systemd": f"systemctl show {name} -p User --value",
    }.get(platform)
    expected = (
        f"runAsNonRoot or runAsUser set, or nothing that overrides the image's USER {user}"
        if platform == "kubernetes"
        else user
    )
    return make_step(
        "check", f"Confirm {name} runs as user {user}", command, expected, fact.citations, [fact]
    )


VERSION_WORDS = re.compile(r"(^|[-_.])(version|release|tag|image|git_sha|sha)($|[-_.])", re.I)
CERT_WORDS = re.compile(r"(^|[-_.])(cert|certificate|tls|ssl|ca_file|cafile|ca)($|[-_.])", re.I)


def version_step(p: ConfigParameter, service: Service | None) -> Step:
    return make_step(
        "check",
        f"Confirm the release {p.name} of {p.service or 'the repository'}",
        read_command(p, service),
        f"the release you intend to run (written default: {p.default})"
        if p.default
        else "the release you intend to run",
        p.citations,
        [p],
        note=None if read_command(p, service) else f"the value is set at {p.citations[0]}",
    )


def certificate_step(p: ConfigParameter) -> Step:
    path = p.default if p.default and "/" in p.default else "CERT_FILE"
    return make_step(
        "check",
        f"Check the expiry of the certificate named by {p.name}",
        f"openssl x509 -enddate -noout -in {path}",
        "notAfter is more than 30 days away",
        p.citations,
        [p],
        note="replace CERT_FILE with the file the parameter names" if path == "CERT_FILE" else None,
    )
