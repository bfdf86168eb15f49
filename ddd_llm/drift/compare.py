"""Live records against the facts: out-of-range values, changed defaults, unknown keys, and
probes and limits the repository declares that the live system lacks.

| finding | level |
|---|---|
| a value outside a range or choice the code validates (`range_source: declared`) | CRITICAL |
| outside a documented or inferred range or choice; not a value of the parameter's type | HIGH |
| a declared probe or limit missing live; a live limit below the declared request | HIGH |
| a request declared in the repository, missing live | MEDIUM |
| a key no fact names, where the service's keys of that kind are known (a typo) | MEDIUM |
| a value, probe timing or amount that differs from the repository's | INFO |

A live key is "unknown" only when the facts list the service's keys of the same kind from its
own code (the env vars it reads, the flags its parser defines, the config keys it binds);
otherwise it is counted as not judged, never reported as a typo. Well-known process and OS
variables (`ignored_env.yaml`) are ignored and counted.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml

from ddd_llm.drift.sources import LiveParam, LiveResource, LiveSource, Namespace, Units, Where
from ddd_llm.evidence.base import duration_seconds, parse_number
from ddd_llm.evidence.deploy.systemd import unit_seconds
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    FactsDocument,
    HealthCheck,
    Number,
    ResourceRequirement,
)
from ddd_llm.scan.redact import CODE_SUFFIXES, MASK
from ddd_llm.verify.roles import quantity

Level = Literal["CRITICAL", "HIGH", "MEDIUM", "INFO"]
LEVELS: tuple[Level, ...] = ("CRITICAL", "HIGH", "MEDIUM", "INFO")
LEVEL_RANK = {level: i for i, level in enumerate(LEVELS)}
IGNORE_FILE = Path(__file__).with_name("ignored_env.yaml")
_TRUE = {"true", "yes", "on", "1", "y"}
_FALSE = {"false", "no", "off", "0", "n"}
_BINARY = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtKMGT]?)(?:i?[bB])?\s*$")
_REFERENCE_IN = re.compile(r"\$\{?[A-Za-z_]")
_UNIT_SECONDS = {"ms": 1e-3, "s": 1.0, "sec": 1.0, "seconds": 1.0, "m": 60.0, "min": 60.0}


@dataclass(frozen=True)
class DriftFinding:
    level: Level
    rule: str
    """out_of_range, not_allowed, bad_value, differs, unknown_parameter, probe_missing,
    probe_differs, limit_missing, request_missing, limit_below_request, resource_differs"""
    service: str | None
    key: str
    message: str
    where: Where
    live: str | None = None
    """The live value as shown (`[REDACTED]` for a secret)."""
    repo: str | None = None
    citation: Citation | None = None
    """The repository line that declares what the live value is compared with."""
    suggestion: str | None = None


@dataclass
class DriftResult:
    findings: list[DriftFinding] = field(default_factory=list)
    sources: list[LiveSource] = field(default_factory=list)
    compared: int = 0
    """Live keys, probes and amounts matched to a fact and judged."""
    ignored: Counter[str] = field(default_factory=Counter)
    """Live keys left out on purpose, by reason (OS variables, systemd's own properties)."""
    unjudged: Counter[str] = field(default_factory=Counter)
    """Live keys no fact names and whose service's keys of that kind are not known."""
    secrets: int = 0
    """Secret values read live: present, never compared or shown."""
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        found = Counter(f.level for f in self.findings)
        return {level: found.get(level, 0) for level in LEVELS}

    def failing(self, fail_on: Level | None) -> list[DriftFinding]:
        if fail_on is None:
            return []
        return [f for f in self.findings if LEVEL_RANK[f.level] <= LEVEL_RANK[fail_on]]


# --------------------------------------------------------------------------- ignore rules


@dataclass(frozen=True)
class _IgnoreRule:
    reason: str
    names: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]
    value: re.Pattern[str] | None


@cache
def _ignore_rules() -> tuple[_IgnoreRule, ...]:
    data = yaml.safe_load(IGNORE_FILE.read_text(encoding="utf-8"))
    return tuple(
        _IgnoreRule(
            rule["reason"],
            frozenset(rule.get("names", ())),
            tuple(re.compile(p) for p in rule.get("patterns", ())),
            re.compile(rule["value"]) if rule.get("value") else None,
        )
        for rule in data
    )


def ignored_reason(name: str, value: str | None) -> str | None:
    """Why a live env var no fact names is not one of the service's parameters, if it is not."""
    for rule in _ignore_rules():
        if name in rule.names and rule.value is None:
            return rule.reason
        if any(p.fullmatch(name) for p in rule.patterns):
            if rule.value is None or (value is not None and rule.value.fullmatch(value)):
                return rule.reason
    return None


# --------------------------------------------------------------------------- fact index


def namespace_of(name: str) -> Namespace:
    """What kind of name a fact's parameter is, by how operators write it."""
    if name.startswith("-"):
        return "flag"
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
        return "env"
    return "key"


def _flag_key(name: str) -> str:
    return name.lstrip("-")


def _in_code(param: ConfigParameter) -> bool:
    return any(PurePosixPath(c.path).suffix.lower() in CODE_SUFFIXES for c in param.citations)


def _lookup_key(name: str, namespace: Namespace) -> str:
    return _flag_key(name) if namespace == "flag" else name


class _Facts:
    """The document's facts indexed for matching live keys."""

    def __init__(self, doc: FactsDocument) -> None:
        usable = [f for f in doc.facts if f.verification.status != "contradicted"]
        self.params: dict[tuple[str | None, str], list[ConfigParameter]] = {}
        self.known: set[tuple[str, Namespace]] = set()
        """(service, namespace): the service's keys of that kind are read in its code."""
        self.names: dict[tuple[str, Namespace], set[str]] = {}
        for f in usable:
            if isinstance(f, ConfigParameter):
                ns = namespace_of(f.name)
                key = (f.service, _lookup_key(f.name, ns))
                self.params.setdefault(key, []).append(f)
                if f.service:
                    self.names.setdefault((f.service, ns), set()).add(f.name)
                    if _in_code(f):
                        self.known.add((f.service, ns))
        self.probes = [f for f in usable if isinstance(f, HealthCheck) and f.service]
        self.resources = [
            f
            for f in usable
            if isinstance(f, ResourceRequirement)
            and f.service
            and f.resource in ("cpu", "memory", "file_descriptors")
        ]
        self.services = {s.name for s in doc.services} | {f.service for f in usable if f.service}

    def find(self, service: str | None, name: str, ns: Namespace) -> list[ConfigParameter]:
        names = [name]
        if ns == "systemd" and name.endswith("USec"):
            names.insert(0, name[: -len("USec")] + "Sec")  # RestartUSec is RestartSec
        for candidate in names:
            key = _lookup_key(candidate, namespace_of(candidate) if ns == "systemd" else ns)
            found = [
                *(self.params.get((service, key), []) if service is not None else []),
                *self.params.get((None, key), []),
            ]
            if found:
                return found
            if service is None:
                owners = [v for (s, k), v in self.params.items() if k == key and s]
                if len(owners) == 1:
                    return owners[0]
        return []

    def service_of(self, live: str | None) -> str | None:
        """The repository's name for a live service (a Pod `api-7d9c8b6f4-x2x8k` is `api`)."""
        if live is None or live in self.services:
            return live
        for pattern in (r"-[a-z0-9]{8,10}-[a-z0-9]{5}$", r"-[a-z0-9]{5}$", r"-\d+$"):
            base = re.sub(pattern, "", live)
            if base in self.services:
                return base
        return live


# --------------------------------------------------------------------------- values


def _bool(text: str) -> bool | None:
    low = text.strip().strip("\"'").lower()
    return True if low in _TRUE else False if low in _FALSE else None


def _seconds(text: str) -> float | None:
    for parse in (parse_number, duration_seconds, unit_seconds):
        value = parse(text.strip().strip("\"'"))
        if value is not None:
            return float(value)
    return None


def _number_in_unit(param: ConfigParameter, text: str) -> Number | None:
    """The live value as a number in the parameter's unit (a duration converted)."""
    plain = parse_number(text.strip().strip("\"'"))
    if plain is not None:
        return plain
    if param.value_type == "duration":
        seconds = _seconds(text)
        if seconds is None:
            return None
        return seconds / _UNIT_SECONDS.get((param.unit or "s").lower(), 1.0)
    return None


def same_value(param: ConfigParameter, live: str, default: str) -> bool:
    """Equal as the parameter's type reads them (`10` == `10.0`, `yes` == `true`, `5s` == `5`)."""
    a, b = live.strip().strip("\"'"), default.strip().strip("\"'")
    if a == b:
        return True
    if param.value_type == "bool":
        return _bool(a) is not None and _bool(a) == _bool(b)
    if param.value_type == "duration":
        sa, sb = _seconds(a), _seconds(b)
        return sa is not None and sa == sb
    na, nb = parse_number(a), parse_number(b)
    if na is not None and nb is not None:
        return float(na) == float(nb)
    return a.lower() == b.lower() if param.value_type in ("enum", "bool") else False


def _range_level(param: ConfigParameter) -> Level:
    return "CRITICAL" if param.range_source == "declared" else "HIGH"


def _bounds(param: ConfigParameter) -> str:
    low = "" if param.min is None else f"{param.min:g}"
    high = "" if param.max is None else f"{param.max:g}"
    unit = f" {param.unit}" if param.unit else ""
    source = f", {param.range_source}" if param.range_source else ""
    return f"{low}–{high}{unit}{source}"


def judge_value(param: ConfigParameter, value: str) -> tuple[Level, str, str] | None:
    """(level, rule, message) for one live value of a parameter, or None when it matches."""
    if param.value_type in ("int", "float"):
        number = parse_number(value.strip().strip("\"'"))
        if number is None:
            return "HIGH", "bad_value", f"live value is not a number ({param.value_type})"
    if param.min is not None or param.max is not None:
        number = _number_in_unit(param, value)
        if number is not None and (
            (param.min is not None and number < param.min)
            or (param.max is not None and number > param.max)
        ):
            return (
                _range_level(param),
                "out_of_range",
                f"outside the safe range {_bounds(param)}",
            )
    if param.allowed_values:
        allowed = {v.strip().lower() for v in param.allowed_values}
        if value.strip().strip("\"'").lower() not in allowed:
            return (
                _range_level(param),
                "not_allowed",
                f"not one of {', '.join(param.allowed_values)}",
            )
    if (
        param.default is not None
        and not _REFERENCE_IN.search(param.default)  # `$DB_NAME`: set elsewhere, unknown here
        and not same_value(param, value, param.default)
    ):
        return "INFO", "differs", "differs from the default"
    return None


def amount(text: str | None, units: Units, resource: str) -> float | None:
    """An amount in base units; `512M` is 512·2^20 for Docker and systemd, 512·10^6 for
    Kubernetes (which writes 2^20 as `Mi`)."""
    if text is None:
        return None
    if resource == "memory" and units == "binary":
        match = _SIZE.match(text)
        if match:
            return float(match.group(1)) * _BINARY[match.group(2).lower()]
    return quantity(text)


def units_of(citation: Citation | None) -> Units:
    """How the file a repository amount was read from reads `512M`."""
    if citation is None:
        return "decimal"
    name = PurePosixPath(citation.path).name.lower()
    if "compose" in name or name.endswith((".service", ".slice", ".scope")):
        return "binary"
    return "decimal"


# --------------------------------------------------------------------------- compare


@dataclass
class _Run:
    facts: _Facts
    result: DriftResult

    def add(self, finding: DriftFinding) -> None:
        self.result.findings.append(finding)


_REFERENCE = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")


def _expanded(run: _Run, sources: list[LiveSource]) -> dict[int, list[LiveParam]]:
    """Each source's records with `--flag ${VAR}` given VAR's live value from any source of
    the same service (systemd expands it from the unit's environment at exec). A reference
    no source sets is counted as not judged."""
    env: dict[tuple[str | None, str], LiveParam] = {}
    for source in sources:
        for p in source.params:
            if p.namespace == "env":
                env[(run.facts.service_of(p.service) or p.service, p.name)] = p
    out: dict[int, list[LiveParam]] = {}
    for index, source in enumerate(sources):
        params = []
        for p in source.params:
            match = _REFERENCE.match(p.value or "") if p.namespace == "flag" else None
            if match is None:
                params.append(p)
                continue
            var = env.get((run.facts.service_of(p.service) or p.service, match.group(1)))
            if var is None:
                run.result.unjudged["flag values from variables no live source sets"] += 1
                continue
            params.append(replace(p, value=var.value, secret=var.secret, where=var.where))
        out[index] = params
    return out


def compare(doc: FactsDocument, sources: list[LiveSource]) -> DriftResult:
    """Every finding of every live source against the document's facts."""
    run = _Run(_Facts(doc), DriftResult(sources=list(sources)))
    expanded = _expanded(run, sources)
    for index, source in enumerate(sources):
        service = _infer_service(run, source)
        for param in expanded[index]:
            _param(run, param, service)
        _probes(run, source)
        _resources(run, source)
    run.result.findings.sort(
        key=lambda f: (LEVEL_RANK[f.level], f.service or "", f.key, str(f.where))
    )
    return run.result


def _infer_service(run: _Run, source: LiveSource) -> str | None:
    """The service of an env dump or config file that does not name it: the one whose
    parameters match most of its keys (at least two, and more than any other)."""
    if source.given_service or all(p.service for p in source.params):
        return None
    hits: Counter[str] = Counter()
    for param in source.params:
        for (svc, _ns), names in run.facts.names.items():
            if param.name in names:
                hits[svc] += 1
    best = hits.most_common(2)
    if best and best[0][1] >= 2 and (len(best) == 1 or best[0][1] > best[1][1]):
        run.result.notes.append(
            f"{source.path}: no service given; its keys match {best[0][0]} "
            f"({best[0][1]} keys) — pass --live SERVICE=FILE to say so"
        )
        return best[0][0]
    run.result.notes.append(
        f"{source.path}: no service given and none matches its keys; unknown keys are not "
        "judged — pass --live SERVICE=FILE"
    )
    return None


def _informative(param: ConfigParameter) -> int:
    """Which of several facts for one key to judge by: a range or choice, else a default
    (a unit's `COLLECTOR_WORKERS` without a value, the .env template's with one)."""
    if param.min is not None or param.max is not None or param.allowed_values:
        return 0
    return 1 if param.default is not None else 2


def _shown(param: LiveParam) -> str | None:
    return MASK if param.secret else param.value


def _param(run: _Run, param: LiveParam, inferred: str | None) -> None:
    service = run.facts.service_of(param.service) or inferred
    matches = run.facts.find(service, param.name, param.namespace)
    if param.secret:
        run.result.secrets += 1
    if matches:
        run.result.compared += 1
        if param.secret or param.value is None:
            return
        if any(m.secret for m in matches):
            return
        # A variant file (`appsettings.Docker.json`) is judged by the facts read from it.
        live_name = PurePosixPath(param.where.path).name
        fact = min(
            matches,
            key=lambda m: (
                all(PurePosixPath(c.path).name != live_name for c in m.citations),
                _informative(m),
                m.service != service,
            ),
        )
        verdict = judge_value(fact, param.value)
        if verdict is not None:
            level, rule, why = verdict
            run.add(
                DriftFinding(
                    level,
                    rule,
                    service or fact.service,
                    param.name,
                    f"{param.name}={param.value}: {why}"
                    + (f" {fact.default}" if rule == "differs" else ""),
                    param.where,
                    live=param.value,
                    repo=fact.default,
                    citation=fact.citations[0],
                )
            )
        return
    _unknown(run, param, service)


def _unknown(run: _Run, param: LiveParam, service: str | None) -> None:
    if param.namespace == "systemd":
        run.result.ignored["systemd property no fact names (systemctl show prints all)"] += 1
        return
    if param.namespace == "setting":
        run.result.unjudged["deployment setting no fact names"] += 1
        return
    if param.namespace == "env":
        reason = ignored_reason(param.name, param.value)
        if reason is not None:
            run.result.ignored[reason] += 1
            return
    if service is None or (service, param.namespace) not in run.facts.known:
        what = {"env": "env vars", "flag": "flags", "key": "config keys"}[param.namespace]
        whom = service or "an unnamed service"
        run.result.unjudged[f"{what} of {whom}: the keys its code reads are not known"] += 1
        return
    names = sorted(run.facts.names.get((service, param.namespace), set()))
    close = difflib.get_close_matches(param.name, names, n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]}?" if close else ""
    noun = {"flag": "flag", "key": "key"}.get(param.namespace, "variable")
    run.add(
        DriftFinding(
            "MEDIUM",
            "unknown_parameter",
            service,
            param.name,
            f"{param.name} is set live but {service} reads no such {noun} "
            f"(a typo or a removed option){hint}",
            param.where,
            live=_shown(param),
            suggestion=close[0] if close else None,
        )
    )


def _covered(run: _Run, source: LiveSource) -> dict[str, str]:
    """Repository service → the live name of each service the source shows whole."""
    return {run.facts.service_of(s) or s: s for s in source.services}


def _probes(run: _Run, source: LiveSource) -> None:
    covered = _covered(run, source)
    live: dict[tuple[str, str], list[Any]] = {}
    for probe in source.probes:
        key = (run.facts.service_of(probe.service) or probe.service, probe.mechanism)
        live.setdefault(key, []).append(probe)
    for fact in run.facts.probes:
        assert fact.service is not None
        if fact.mechanism not in source.shows_probes or fact.service not in covered:
            continue
        found = live.get((fact.service, fact.mechanism))
        if not found:
            run.add(
                DriftFinding(
                    "HIGH",
                    "probe_missing",
                    fact.service,
                    fact.mechanism,
                    f"{fact.mechanism} probe ({fact.target}) declared in the repository is "
                    f"missing live",
                    Where(source.path),
                    repo=fact.target,
                    citation=fact.citations[0],
                )
            )
            continue
        run.result.compared += 1
        probe = found[0]
        changed = [
            f"{label} {theirs:g} (repo {ours:g})"
            for label, ours, theirs in (
                ("interval", fact.interval_s, probe.interval_s),
                ("timeout", fact.timeout_s, probe.timeout_s),
                ("failure threshold", fact.failure_threshold, probe.failure_threshold),
            )
            if ours is not None and theirs is not None and float(ours) != float(theirs)
        ]
        if changed:
            run.add(
                DriftFinding(
                    "INFO",
                    "probe_differs",
                    fact.service,
                    fact.mechanism,
                    f"{fact.mechanism} probe differs: " + ", ".join(changed),
                    probe.where,
                    citation=fact.citations[0],
                )
            )


def _resources(run: _Run, source: LiveSource) -> None:
    covered = _covered(run, source)
    live: dict[tuple[str, str], LiveResource] = {}
    for res in source.resources:
        live[(run.facts.service_of(res.service) or res.service, res.resource)] = res
    for fact in run.facts.resources:
        assert fact.service is not None
        if fact.resource not in source.shows_resources or fact.service not in covered:
            continue
        have = live.get((fact.service, fact.resource))
        ours_units = units_of(fact.citations[0])
        for role in ("limit", "request"):
            declared = getattr(fact, role)
            if declared is None:
                continue
            theirs = getattr(have, role) if have else None
            if theirs is None:
                run.add(
                    DriftFinding(
                        "HIGH" if role == "limit" else "MEDIUM",
                        f"{role}_missing",
                        fact.service,
                        f"{fact.resource} {role}",
                        f"{fact.resource} {role} {declared} declared in the repository is "
                        "missing live",
                        have.where if have else Where(source.path),
                        repo=declared,
                        citation=fact.citations[0],
                    )
                )
                continue
            assert have is not None
            run.result.compared += 1
            a = amount(theirs, have.units, fact.resource)
            b = amount(declared, ours_units, fact.resource)
            if a is None or b is None or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b)):
                continue
            request = amount(fact.request, ours_units, fact.resource)
            if role == "limit" and request is not None and a < request:
                run.add(
                    DriftFinding(
                        "HIGH",
                        "limit_below_request",
                        fact.service,
                        f"{fact.resource} limit",
                        f"live {fact.resource} limit {theirs} is below the {fact.request} "
                        "the repository requests",
                        have.where,
                        live=theirs,
                        repo=declared,
                        citation=fact.citations[0],
                    )
                )
                continue
            run.add(
                DriftFinding(
                    "INFO",
                    "resource_differs",
                    fact.service,
                    f"{fact.resource} {role}",
                    f"{fact.resource} {role} {theirs} differs from the repository's {declared}",
                    have.where,
                    live=theirs,
                    repo=declared,
                    citation=fact.citations[0],
                )
            )
