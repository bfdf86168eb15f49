"""Start order: services sorted so that every start_order dependency comes up first."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from ddd_llm.models import Dependency, FactBase


@dataclass
class StartOrder:
    startup: list[str] = field(default_factory=list)
    cycles: list[list[str]] = field(default_factory=list)

    @property
    def shutdown(self) -> list[str]:
        return list(reversed(self.startup))


def _find_cycle(graph: dict[str, set[str]], nodes: set[str]) -> list[str]:
    """One cycle among `nodes` (all of which sit on or behind a cycle), as a closed path."""
    start = min(nodes)
    path: list[str] = []
    seen: dict[str, int] = {}
    node = start
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = min(n for n in graph[node] if n in nodes)
    return [*path[seen[node] :], node]


def start_order(services: list[str], facts: list[FactBase]) -> StartOrder:
    """Kahn's algorithm, ties broken alphabetically; verified-or-not start_order edges count.

    Services caught in a cycle are appended in name order after the others, and each
    cycle is reported (it becomes a HIGH gap).
    """
    names = {s.lower() for s in services}
    needs: dict[str, set[str]] = {n: set() for n in names}
    for fact in facts:
        if (
            isinstance(fact, Dependency)
            and fact.dependency_type == "start_order"
            and fact.service in names
            and fact.target in names
            and fact.verification.status != "contradicted"
            and fact.service != fact.target
        ):
            needs[fact.service].add(fact.target)
    dependants: dict[str, set[str]] = {n: set() for n in names}
    for svc, targets in needs.items():
        for t in targets:
            dependants[t].add(svc)
    waiting = {n: len(t) for n, t in needs.items()}
    ready = [n for n, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for d in sorted(dependants[node]):
            waiting[d] -= 1
            if waiting[d] == 0:
                heapq.heappush(ready, d)
    result = StartOrder(startup=order)
    remaining = names - set(order)
    while remaining:
        cycle = _find_cycle(needs, remaining)
        result.cycles.append(cycle)
        remaining -= set(cycle)
        # Nodes that only wait on a cycle are not themselves in one.
        while True:
            kept = {n for n in remaining if any(t in remaining for t in needs[n])}
            if kept == remaining:
                break
            remaining = kept
    result.startup.extend(sorted(names - set(order)))
    return result
