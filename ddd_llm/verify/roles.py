"""Roles, scopes and units: a claim's value must sit in the claimed role, on lines its service
owns, in the claimed unit. A mention is not evidence.

- **Scope.** A deployment file's lines belong to the service whose block holds them (a compose
  service, a Kubernetes workload, a systemd unit: each `Service` cites its block). A claim
  about service A citing lines of service B's block is contradicted, naming B.
- **Role.** The same number in another role is not agreement: a default is not a max, a
  request is not a limit, a host port is not the container's port.
- **Ranges.** A min or max is evidence only on a line that bounds something (a comparison,
  a validator, an option table's min/max column, a documented range), not on any line that
  happens to hold the number.
- **Units.** Quantities compare after conversion: `500m` CPU is `0.5`, `512Mi` is not `512M`,
  `30s` is not `30000`.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from ddd_llm.models import (
    Check,
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    HealthCheck,
    ResourceRequirement,
    Service,
)

DEPLOY_KINDS = ("compose", "k8s", "kubernetes", "systemd", "helm", "nomad", "ansible")
"""Service kinds whose citations are blocks of a deployment file."""


class ValueEquality(Protocol):
    def __call__(self, a: object, b: object, name: str = "") -> bool: ...


class ValueInText(Protocol):
    def __call__(self, value: object, text: str, name: str = "") -> bool: ...


# ------------------------------------------------------------------ scope


@dataclass
class LineOwners:
    """Which service's block of a deployment file holds a line; which service a code or
    config file belongs to (the one service every static fact read from it belongs to)."""

    blocks: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    files: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, services: Iterable[Service], facts: Iterable[FactBase] = ()) -> LineOwners:
        owners = cls()
        for service in services:
            if not any(k in service.kind.lower() for k in DEPLOY_KINDS):
                continue
            for c in service.citations:
                if c.end_line > c.start_line:  # a block, not a one-line mention
                    owners.blocks.setdefault(c.path, []).append(
                        (service.name.lower(), c.start_line, c.end_line)
                    )
        for fact in facts:
            for c in fact.citations:
                if c.path not in owners.blocks:
                    owners.files.setdefault(c.path, set()).add((fact.service or "").lower())
        return owners

    def owners(self, citation: Citation) -> set[str]:
        """Services whose block holds every cited line, or the one service of a file
        (empty: nothing says)."""
        if citation.path in self.blocks:
            return {
                name
                for name, start, end in self.blocks[citation.path]
                if start <= citation.start_line and citation.end_line <= end
            }
        found = self.files.get(citation.path, set())
        return found if len(found) == 1 and "" not in found else set()


def ownership_check(claim: FactBase, owners: LineOwners) -> Check | None:
    """A claim's service must own the deployment lines it cites."""
    if not claim.service:
        return None
    said = claim.service.lower()
    judged = False
    for c in claim.citations:
        who = owners.owners(c)
        if not who:
            continue
        judged = True
        if said not in who:
            return Check(
                name="service_owns_lines",
                passed=False,
                detail=f"{c} is in the block of {', '.join(sorted(who))}, not of {claim.service}",
            )
    if not judged:
        return None
    return Check(
        name="service_owns_lines", passed=True, detail=f"the cited lines are {claim.service}'s"
    )


# ------------------------------------------------------------------ role

ROLE_FIELDS: dict[type[FactBase], tuple[str, ...]] = {
    ConfigParameter: ("default", "min", "max"),
    ResourceRequirement: ("request", "limit"),
}


def role_confusions(claim: FactBase, fact: FactBase, equal: ValueEquality) -> list[str]:
    """Values the claim puts in a role that static evidence gives another value of it:
    `max=10` where 10 is the parameter's default and its max is unknown or different."""
    fields = ROLE_FIELDS.get(type(fact), ())
    out: list[str] = []
    for name in fields:
        said = getattr(claim, name, None)
        if said is None:
            continue
        mine = getattr(fact, name, None)
        if mine is not None and equal(said, mine, name):
            continue
        for other in fields:
            theirs = getattr(fact, other, None)
            if other != name and theirs is not None and equal(said, theirs, other):
                out.append(
                    f"{said!r} is the {other} ({fact.citations[0]}), "
                    f"not the {name} the model claims ({claim.citations[0]})"
                )
                break
    return out


def host_port_confusion(
    claim: HealthCheck, port_facts: Iterable[ResourceRequirement]
) -> str | None:
    """A health check's port is the one the container listens on, not a published host port."""
    if claim.port is None:
        return None
    for fact in port_facts:
        if fact.service != claim.service or not fact.value:
            continue
        parts = [p.split("/")[0] for p in fact.value.split(":")]
        if len(parts) >= 2 and parts[-1].isdigit() and parts[-2].isdigit():
            host, container = int(parts[-2]), int(parts[-1])
            if claim.port == host and host != container:
                return (
                    f"{host} is the host port published at {fact.citations[0]}; "
                    f"the container listens on {container}"
                )
    return None


def range_order_check(claim: FactBase) -> Check | None:
    if not isinstance(claim, ConfigParameter) or claim.min is None or claim.max is None:
        return None
    if claim.min > claim.max:
        return Check(
            name="range_order",
            passed=False,
            detail=f"min={claim.min!r} is above max={claim.max!r}",
        )
    return None


_BOUND = re.compile(
    r"(<=?|>=?|\bmin|\bmax|minimum|maximum|clamp|\brange\b|between|\bge\s*=|\ble\s*=|\bgt\s*=|"
    r"\blt\s*=|@Min|@Max|@Range|@Positive|\.\.=?|\bto\b|[-–—]\s*\d|validat|bound|limit|at least|"
    r"at most|no more than|up to|must be|allowed|safe)",
    re.IGNORECASE,
)


def bounds_a_value(code: str, value: object, found: ValueInText) -> bool:
    """Whether a cited line holding `value` bounds something (not just mentions the number)."""
    for line in code.splitlines():
        if found(value, line, "") and _BOUND.search(line):
            return True
    return False


# ------------------------------------------------------------------ units

_QUANTITY = re.compile(
    r"^\s*(?P<n>\d+(?:\.\d+)?|\.\d+)\s*(?P<u>[a-zA-Z]*)\s*$",
)
_FACTORS: dict[str, float] = {
    "": 1.0,
    "m": 1e-3,  # Kubernetes millicores (and milli-anything)
    "k": 1e3,
    "kb": 1e3,
    "ki": 2.0**10,
    "kib": 2.0**10,
    "m_": 1e6,
    "mb": 1e6,
    "mi": 2.0**20,
    "mib": 2.0**20,
    "g": 1e9,
    "gb": 1e9,
    "gi": 2.0**30,
    "gib": 2.0**30,
    "t": 1e12,
    "tb": 1e12,
    "ti": 2.0**40,
    "tib": 2.0**40,
    "b": 1.0,
    "cpu": 1.0,
    "cpus": 1.0,
    "core": 1.0,
    "cores": 1.0,
}


def quantity(value: object) -> float | None:
    """An amount as deployment files write it, in base units: `500m` → 0.5, `512Mi` → bytes,
    `1G` → 1e9 (compose and Kubernetes both read a capital `M` as 10^6, `m` as milli)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    m = _QUANTITY.match(str(value).strip().strip("\"'"))
    if not m:
        return None
    unit = m.group("u")
    key = unit.lower()
    if unit == "M":
        key = "m_"
    elif unit == "m":
        key = "m"
    factor = _FACTORS.get(key)
    return None if factor is None else float(m.group("n")) * factor


def quantities_equal(a: object, b: object) -> bool | None:
    """True/False when both are quantities, None when either is not."""
    qa, qb = quantity(a), quantity(b)
    if qa is None or qb is None:
        return None
    return abs(qa - qb) <= 1e-9 * max(1.0, abs(qa), abs(qb))


_UNIT_GROUPS = (
    {"ns", "nanosecond", "nanoseconds"},
    {"us", "µs", "microsecond", "microseconds"},
    {"ms", "millisecond", "milliseconds", "msec"},
    {"s", "sec", "secs", "second", "seconds"},
    {"m", "min", "mins", "minute", "minutes"},
    {"h", "hr", "hrs", "hour", "hours"},
    {"d", "day", "days"},
    {"b", "byte", "bytes"},
    {"kb", "kib", "kilobyte", "kilobytes", "k"},
    {"mb", "mib", "megabyte", "megabytes"},
    {"gb", "gib", "gigabyte", "gigabytes"},
)


def units_agree(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return True
    x, y = a.strip().lower(), b.strip().lower()
    if x == y:
        return True
    return any(x in g and y in g for g in _UNIT_GROUPS)


# ------------------------------------------------------------------ expressions

_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
}
_ARITHMETIC = re.compile(r"\d[\d_.]*(?:\s*(?:\*\*|[-+*]|//)\s*\d[\d_.]*)+")


def _evaluate(node: ast.AST) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if left is None or right is None or (isinstance(node.op, ast.Pow) and right > 64):
            return None
        return float(_OPS[type(node.op)](left, right))
    return None


def computed_numbers(text: str) -> list[float]:
    """Values of simple arithmetic in the lines (`60 * 60 * 24`, `512 * 1024`)."""
    out = []
    for m in _ARITHMETIC.finditer(text):
        try:
            value = _evaluate(ast.parse(m.group(0).replace("_", ""), mode="eval").body)
        except (SyntaxError, ValueError, OverflowError, ZeroDivisionError):
            continue
        if value is not None:
            out.append(value)
    return out


_PATH_JOIN = re.compile(r"(/\s*[\"']|os\.path\.join\(|Path\(|\.joinpath\(|path\.join\()")


def path_join_of(value: str, text: str) -> bool:
    """`BASE_DIR / "hc.sqlite"` computes a path ending in hc.sqlite: the claim's value is
    derived from the cited expression (its last part is there, joined)."""
    tail = value.rstrip("/").rsplit("/", 1)[-1]
    return bool(tail) and "/" in value and tail in text and bool(_PATH_JOIN.search(text))


def bound_numbers(code: str) -> list[str]:
    """Numbers on cited lines that bound something (`if n < 5 or n > 20`, `Field(ge=1)`)."""
    out: list[str] = []
    for line in code.splitlines():
        if _BOUND.search(line):
            out += re.findall(r"(?<![\w])-?\d+(?:\.\d+)?(?![\w])", line)
    return out


def other_parameter_on_lines(
    claim: ConfigParameter, cited: Iterable[Citation], static: Iterable[FactBase], named: bool
) -> str | None:
    """The cited lines declare another parameter (a static fact of another name cites exactly
    them) and the claim's own name is not written there: `WORKER_LOG_LEVEL` claimed on the
    line that declares `API_LOG_LEVEL`."""
    if named:
        return None
    places = {(c.path, n) for c in cited for n in range(c.start_line, c.end_line + 1)}
    mine = claim.name.strip("-").lower()
    for fact in static:
        if not isinstance(fact, ConfigParameter) or fact.name.strip("-").lower() == mine:
            continue
        for c in fact.citations:
            if any((c.path, n) in places for n in range(c.start_line, c.end_line + 1)):
                return f"{c} declares {fact.name}, and {claim.name} is not written there"
    return None


_SELF_NAMING = re.compile(
    r"""(?i)^\s*-?\s*["']?(name|container_name|hostname|app|app\.kubernetes\.io/name|"""
    r"""app\.kubernetes\.io/instance|k8s-app|service|release)["']?\s*[:=]\s*["']?(?P<v>[\w.-]+)["']?\s*$"""
)


def connects(text: str, target: str) -> bool:
    """The lines name `target` as something to reach or wait for (a service name, a host in
    an address, a unit in `After=`), not only as a segment of a file path
    (`/etc/telemetry-collector/collector.env` shares a folder, it does not connect) or as the
    target's own name (`name: fraud` in fraud's own manifest, a compose `fraud:` header)."""
    name = re.escape(target.strip())
    if not name:
        return False
    for line in text.splitlines():
        own = _SELF_NAMING.match(line)
        if own and own.group("v").lower() == target.strip().lower():
            continue
        if re.match(rf"(?i)^\s*{name}\s*:\s*$", line):
            continue  # the target's own block header
        for m in re.finditer(rf"(?i)(?<![\w-]){name}(?![\w-])", line):
            before = line[max(0, m.start() - 2) : m.start()]
            after = line[m.end() : m.end() + 1]
            in_path = (before.endswith("/") and not before.endswith("//")) or after == "/"
            if not in_path:
                return True
    return False


def connection_check(claim: Dependency, code: str) -> Check:
    if connects(code, claim.target):
        return Check(
            name="connects_services",
            passed=True,
            detail=f"the cited lines name {claim.target!r} as something {claim.service} reaches",
        )
    return Check(
        name="connects_services",
        passed=False,
        detail=f"the cited lines do not connect {claim.service or 'the service'} to "
        f"{claim.target!r} (no depends_on, address, unit ordering or client naming it)",
    )


_ASSIGNMENT = re.compile(
    r"""^\s*-?\s*["']?[\w.$-]+["']?\s*(?::|=|:=)\s*["']?(?P<v>-?\d+(?:\.\d+)?)["']?\s*[,;]?\s*(?:#.*)?$"""
)


def set_value_line(code: str, value: object) -> str | None:
    """A cited line that simply sets the parameter to `value` (`port: 8888`, `X=5`): the
    value's role there is the setting, not a bound."""
    for line in code.splitlines():
        m = _ASSIGNMENT.match(line)
        if m is None:
            continue
        try:
            if float(m.group("v")) == float(str(value)):
                return line.strip()
        except ValueError:
            continue
    return None
