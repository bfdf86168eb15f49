"""Cross-artifact consistency: one service's ports and health paths as compose, Kubernetes,
the Dockerfile and the code each state them.

Each rule compares only what two artifacts both state, so silence is never a finding:
- a probe (compose/Dockerfile healthcheck, Kubernetes probe) asks for a health path the
  service's code does not serve, when the code declares health routes;
- a probe's port is not among the container ports the service declares;
- two artifacts declare container ports for the same service and share none.
Each finding fails a `consistent_across_artifacts` check on the facts involved (they stay
out of the verified set until someone reconciles them) and becomes a HIGH gap.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import PurePosixPath

from ddd_llm.evidence.base import is_health_path
from ddd_llm.models import Check, FactBase, Gap, HealthCheck, ResourceRequirement

NAME = "consistent_across_artifacts"


def artifact_of(path: str) -> str:
    """Which kind of artifact a cited file is, for naming the two sides of a finding."""
    name = PurePosixPath(path).name.lower()
    if "compose" in name and name.endswith((".yml", ".yaml")):
        return "compose"
    if name.startswith("dockerfile") or name.endswith(".dockerfile") or name == "containerfile":
        return "dockerfile"
    if name.endswith((".yml", ".yaml", ".json")):
        return "manifest"
    return "code"


def _url(target: str) -> tuple[str | None, int | None]:
    match = re.search(r"https?://[^/\s:'\"]+(?::(\d{1,5}))?(/[^\s'\"|;&]*)?", target)
    if match:
        return (match.group(2) or "/").split("?")[0], int(match.group(1)) if match.group(
            1
        ) else None
    if target.startswith("/"):
        return target.split()[0].split("?")[0], None
    return None, None


def _container_ports(fact: ResourceRequirement) -> set[int]:
    """The container side of a port declaration (`127.0.0.1:8080:8000/tcp` → 8000)."""
    if not fact.value:
        return set()
    last = fact.value.split(":")[-1].split("/")[0]
    if "-" in last:  # a range: not compared
        return set()
    return {int(last)} if last.isascii() and last.isdigit() and len(last) <= 5 else set()


def _same_route(probe: str, route: str) -> bool:
    a, b = probe.rstrip("/") or "/", route.rstrip("/") or "/"
    # A router mounted under a prefix serves `/api/healthz` from a route written `/healthz`.
    return a == b or a.endswith(b) or b.endswith(a)


def cross_artifact_checks(
    facts: list[FactBase],
) -> tuple[dict[str, list[Check]], list[Gap]]:
    """Failed consistency checks by fact id, and one gap per finding."""
    checks: dict[str, list[Check]] = defaultdict(list)
    gaps: list[Gap] = []
    by_service: dict[str, list[FactBase]] = defaultdict(list)
    for fact in facts:
        if fact.service:
            by_service[fact.service].append(fact)

    def report(service: str, involved: list[FactBase], message: str) -> None:
        for fact in involved:
            checks[fact.id].append(Check(name=NAME, passed=False, detail=message))
        gaps.append(
            Gap(
                id=f"inconsistency:{service}:{len(gaps) + 1}",
                category="inconsistency",
                service=service,
                priority="HIGH",
                message=f"{service}: {message}",
                blocks="weekly",
                citations=[f.citations[0] for f in involved],
            )
        )

    for service, owned in sorted(by_service.items()):
        health = [f for f in owned if isinstance(f, HealthCheck)]
        routes = [f for f in health if f.mechanism == "code-endpoint" and f.check_type == "http"]
        probes = [f for f in health if f.mechanism != "code-endpoint"]
        for probe in probes:
            path, port = _url(probe.target)
            if probe.check_type == "grpc" or path is None or not is_health_path(path):
                continue
            if routes and not any(_same_route(path, r.target) for r in routes):
                served = ", ".join(f"{r.target} ({r.citations[0]})" for r in routes)
                report(
                    service,
                    [probe, *routes],
                    f"the probe at {probe.citations[0]} requests {path} "
                    f"but the code serves {served}",
                )
        ports_by_artifact: dict[str, tuple[set[int], list[FactBase]]] = {}
        for fact in owned:
            if isinstance(fact, ResourceRequirement) and fact.resource == "port":
                side = artifact_of(fact.citations[0].path)
                ports, sources = ports_by_artifact.setdefault(side, (set(), []))
                ports.update(_container_ports(fact))
                sources.append(fact)
        declared = set().union(*(p for p, _ in ports_by_artifact.values()))
        for probe in probes:
            _, url_port = _url(probe.target)
            port = probe.port or url_port
            if port is None or not declared or port in declared:
                continue
            sources = [f for _, fs in ports_by_artifact.values() for f in fs]
            report(
                service,
                [probe, *sources],
                f"the probe at {probe.citations[0]} uses port {port} but the service declares "
                f"container port(s) {', '.join(str(p) for p in sorted(declared))}",
            )
        sides = sorted((k, v) for k, v in ports_by_artifact.items() if v[0])
        for i, (side_a, (ports_a, facts_a)) in enumerate(sides):
            for side_b, (ports_b, facts_b) in sides[i + 1 :]:
                if ports_a & ports_b:
                    continue
                report(
                    service,
                    [*facts_a, *facts_b],
                    f"{side_a} declares container port(s) {sorted(ports_a)} "
                    f"({facts_a[0].citations[0]}) but {side_b} declares {sorted(ports_b)} "
                    f"({facts_b[0].citations[0]})",
                )
    return dict(checks), gaps
