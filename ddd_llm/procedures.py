"""Turn verified facts into the steps an operator runs: command, expected result, citation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ddd_llm.models import Citation, FactBase, HealthCheck, ResourceRequirement, Service

Safety = Literal["safe", "caution", "needs approval"]


@dataclass(frozen=True)
class Step:
    title: str
    command: str | None
    expected: str
    citations: list[Citation]
    safety: Safety = "safe"
    minutes: int = 1
    marker: str | None = None
    """Set for unverified facts: the reason an operator should double-check the step."""

    @property
    def cite(self) -> str:
        return ", ".join(str(c) for c in self.citations)


def platform_of(service: Service | None) -> str:
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


def _marker(fact: FactBase) -> str | None:
    if fact.verification.status == "verified":
        return None
    failed = [c.detail for c in fact.verification.checks if not c.passed]
    return "unverified: " + ("; ".join(failed) if failed else "not confirmed by static evidence")


def health_step(fact: HealthCheck, service: Service | None) -> Step:
    """How to run one health check by hand, on the platform the service is deployed on."""
    name = fact.service or "the service"
    platform = platform_of(service)
    port = fact.port
    command: str | None
    expected: str
    if fact.mechanism == "compose-healthcheck":
        command = f"docker compose ps {name}"
        expected = f"STATUS shows (healthy); the check runs `{fact.target}`"
    elif fact.mechanism == "dockerfile-healthcheck":
        command = (
            f"docker compose ps {name}"
            if platform == "compose"
            else "docker inspect --format '{{.State.Health.Status}}' CONTAINER"
        )
        expected = f"healthy (the image's HEALTHCHECK runs `{fact.target}`)"
    elif fact.mechanism.startswith("k8s-"):
        probe = fact.mechanism.removeprefix("k8s-")
        if fact.check_type == "http" and port:
            command = (
                f"kubectl port-forward deploy/{name} {port}:{port} & "
                f"curl -fsS http://127.0.0.1:{port}{fact.target}"
            )
            expected = f"HTTP 2xx from the {probe} endpoint"
        elif fact.check_type == "exec":
            command = f"kubectl exec deploy/{name} -- {fact.target}"
            expected = "exit status 0"
        else:
            command = f"kubectl get pods -l app={name}"
            expected = f"every pod READY with no restarts from failed {probe} probes"
    elif fact.mechanism == "systemd-watchdog":
        command = f"systemctl status {name}"
        expected = "active (running), no watchdog timeout in the journal"
    elif fact.check_type == "http":
        host = f"http://localhost:{port}" if port else "http://HOST:PORT"
        command = f"curl -fsS {host}{fact.target}"
        expected = "HTTP 2xx"
    elif fact.check_type == "tcp":
        command = f"nc -z localhost {fact.target}"
        expected = "the port accepts connections (exit status 0)"
    elif fact.check_type == "grpc":
        where = f"localhost:{port}" if port else "HOST:PORT"
        command = f"grpc_health_probe -addr={where}"
        expected = "status: SERVING"
    else:
        command = fact.target
        expected = "exit status 0"
    return Step(
        title=f"Check {name} health ({fact.mechanism}, {fact.check_type} {fact.target})",
        command=command,
        expected=expected,
        citations=fact.citations,
        marker=_marker(fact),
    )


USAGE_COMMANDS = {
    "compose": "docker stats --no-stream $(docker compose ps -q {name})",
    "kubernetes": "kubectl top pod -l app={name}",
    "systemd": "systemctl status {name} --no-pager",
    "host": None,
}


def threshold_step(fact: ResourceRequirement, service: Service | None) -> Step:
    name = fact.service or "the service"
    bounds = ", ".join(
        part
        for part in (
            f"request {fact.request}" if fact.request else "",
            f"limit {fact.limit}" if fact.limit else "",
        )
        if part
    )
    template = USAGE_COMMANDS[platform_of(service)]
    return Step(
        title=f"Compare {name} {fact.resource} use with its declared {bounds}",
        command=template.format(name=name) if template else None,
        expected=(
            f"{fact.resource} use below 80% of the limit {fact.limit}"
            if fact.limit
            else f"{fact.resource} use near the request {fact.request}"
        ),
        citations=fact.citations,
        marker=_marker(fact),
    )
