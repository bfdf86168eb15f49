"""Verify stage: every fact checked against its cited lines and the static evidence.

Statuses (FACTS.md): `verified` facts may become steps, `unverified` ones only with a
visible marker and the reason, `contradicted` ones never. The rules:

- A static fact (read by a deterministic analyzer) is verified when each citation
  resolves inside the repository and mentions the fact's key, and every other check
  passes; two artifacts disagreeing on one of its values makes it contradicted (a
  deployment value over a code default is layering, not disagreement).
- A model's claim is checked the same way, and then against the evidence:
  * a citation outside the repository, past the end of a file, or to lines that do not
    hold the key makes it contradicted (the model's own evidence refutes it);
  * when static evidence describes the same thing (same id, or the same parameter,
    endpoint, port or dependency under another spelling), every value must agree.
    Disagreement rejects the claim as contradicted, naming both sources; agreement
    corroborates the static fact (origin `both`), and values the static fact lacks are
    added only when the claim's cited code lines hold them;
  * otherwise it is verified only with evidence of its own: cited lines that are code
    or configuration (not documentation or comments, which is where prompt injection
    lives), every stated value present in them, and the kind's check passing (a
    dependency's target is a known service, a health check's target exists as a route,
    probe, port or command, a validation command exists).
- Claims not used (contradicted by static evidence, or adding values no code line
  holds) are returned as `rejected`, with their checks, for the audit trail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ddd_llm.evidence.base import duration_seconds
from ddd_llm.merge.merger import Conflict
from ddd_llm.merge.resolve import PLACEHOLDER
from ddd_llm.models import (
    Check,
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    Gap,
    HealthCheck,
    ResourceRequirement,
    Service,
    Status,
    ValidationMethod,
    Verification,
)
from ddd_llm.scan.repotext import RepoText, key_path, normalise
from ddd_llm.verify.consistency import cross_artifact_checks
from ddd_llm.verify.docs_dependency import CHECK as DOCS_STATE_IT
from ddd_llm.verify.docs_dependency import docs_dependency_check
from ddd_llm.verify.documented import chart_reads_check, documented_procedure_check
from ddd_llm.verify.published_port import published_port_keys
from ddd_llm.verify.roles import (
    LineOwners,
    bound_numbers,
    bounds_a_value,
    computed_numbers,
    connection_check,
    host_port_confusion,
    other_parameter_on_lines,
    ownership_check,
    path_join_of,
    quantities_equal,
    range_order_check,
    role_confusions,
    set_value_line,
    units_agree,
)

COMPARED: dict[type[FactBase], tuple[str, ...]] = {
    ConfigParameter: ("default", "min", "max"),
    HealthCheck: ("port", "interval_s", "timeout_s", "failure_threshold"),
    ResourceRequirement: ("request", "limit"),
    Dependency: (),
    ValidationMethod: (),
}
"""Values a claim must agree on with static evidence of the same thing."""
_DURATIONS = ("interval_s", "timeout_s")
_QUANTITIES = ("request", "limit")
_CITATION_CHECKS = ("citation_resolves", "cites_key")
_REFUTING = (
    *_CITATION_CHECKS,
    "values_agree",
    "service_owns_lines",
    "range_order",
    "connects_services",
    DOCS_STATE_IT,
)
"""Checks whose failure contradicts a claim: its own evidence, or evidence of the same role
and scope, says otherwise (other failed checks leave it unverified)."""


@dataclass
class VerifyResult:
    facts: list[FactBase] = field(default_factory=list)
    """One per id, each with its verification filled in."""
    rejected: list[FactBase] = field(default_factory=list)
    """Model claims not used, with the checks that say why."""
    gaps: list[Gap] = field(default_factory=list)
    """Cross-artifact inconsistencies and contradictions, for the gap report."""


# ---------------------------------------------------------------- citations and keys


def key_terms(fact: FactBase) -> list[str]:
    """Words at least one of which the cited lines must contain for the citation to hold."""
    if isinstance(fact, ConfigParameter):
        name = fact.name.lstrip("-")
        pieces = re.split(r"([-_.:/])", name)
        parts, seps = pieces[::2], ["", *pieces[1::2]]
        # A settings field `max_connections` is read as env var `API_MAX_CONNECTIONS` (the
        # name without its prefix); a structured file writes a dotted path's last key alone
        # (`newTag:` of `images[app].newTag`). But the lone last word of a longer name is no
        # key: `interval:` of a health check does not hold WORKER_POLL_INTERVAL.
        suffixes = [
            "_".join(parts[i:])
            for i in range(len(parts))
            if len("".join(parts[i:])) >= 4 and (i <= 1 or len(parts) - i >= 2 or seps[i] in ".:/")
        ]
        return [t for t in (name, *suffixes) if t.strip()]
    if isinstance(fact, HealthCheck):
        # A resolved placeholder cites both the line using `{{ port }}` and its definition.
        terms = [fact.target, url_path(fact.target) or "", str(url_port(fact.target) or "")]
        if fact.check_type == "exec":
            terms.append(fact.target.split()[0] if fact.target.split() else fact.target)
        if fact.port is not None:
            terms.append(str(fact.port))
        # Conventions of docs/evidence.md: a watchdog's target is its unit, the standard
        # gRPC health service is registered rather than named.
        if fact.mechanism == "systemd-watchdog":
            terms.append("WatchdogSec")
        if fact.check_type == "grpc" and "grpc.health" in fact.target:
            terms.append("health")
        return [t for t in terms if t]
    if isinstance(fact, ResourceRequirement):
        terms = [v for v in (fact.value, fact.request, fact.limit) if v]
        if fact.value and ":" in fact.value:
            terms.extend(p for p in fact.value.split(":") if p)
        if fact.value and fact.value.startswith("become_user:"):
            terms.append("become")  # `become: true` with the default user
        return [t for t in terms if t.strip()] or [
            fact.resource,
            *_RESOURCE_WORDS.get(fact.resource, ()),
        ]
    if isinstance(fact, Dependency):
        return [fact.target] if fact.target.strip() else []
    if isinstance(fact, ValidationMethod):
        words = [w for w in fact.method.split() if w not in ("sudo", "-u", "env", "exec")]
        urls = [url_path(fact.method) or "", str(url_port(fact.method) or "")]
        terms = [fact.method, *(w for w in words[:4] if len(w) >= 3), *(u for u in urls if u)]
        return [t for t in terms if t.strip()]
    return []


_RESOURCE_WORDS: dict[str, tuple[str, ...]] = {
    "file_descriptors": ("RLIMIT_NOFILE", "LimitNOFILE", "nofile", "ulimit -n"),
}
"""How files spell a resource that a requirement without a value stands for."""


_STRUCTURED = (".yml", ".yaml", ".json", ".toml", ".ini", ".cfg", ".conf", ".tf", ".tfvars")


def nested_key(fact: FactBase, files: RepoText, citation: Citation) -> str | None:
    """A dotted (`spring.datasource.url`) or colon (`Logging:LogLevel`) parameter name that a
    structured file writes as nested keys: the cited line's key path spells it."""
    if not isinstance(fact, ConfigParameter) or not citation.path.endswith(_STRUCTURED):
        return None
    name = fact.name.strip("-").replace(":", ".").replace("__", ".")
    if "." not in name:
        return None
    wanted = normalise(name)
    lines = files.lines(citation.path) or []
    for number in range(citation.start_line, citation.end_line + 1):
        path = key_path(lines, number)
        flat = normalise(".".join(path))
        if len(path) >= 2 and (flat == wanted or flat.endswith("_" + wanted)):
            return ".".join(path)
    return None


_IDENT = re.compile(r"[A-Za-z0-9_.$-]+")


def names_parameter(text: str, fact: ConfigParameter) -> bool:
    """The lines name the parameter: its whole name, or a suffix of it standing alone (a
    settings field `max_connections` read as `API_MAX_CONNECTIONS`) — not a suffix inside
    another name (`users` inside `admin_users` is not `stats_users`)."""
    terms = key_terms(fact)
    if not terms or not mentions(text, terms):
        return False
    if mentions(text, terms[:1]):
        return True
    suffixes = {normalise(t).strip("_") for t in terms[1:]}
    for token in _IDENT.findall(text):
        flat = normalise(token).strip("_")
        if flat in suffixes:
            return True
        for suffix in suffixes:
            if flat.endswith("_" + suffix) and normalise(terms[0]).strip("_").endswith(flat):
                return True
    return False


def mentions(text: str, terms: Iterable[str]) -> bool:
    haystack = normalise(text)
    return any(t and normalise(t) in haystack for t in terms)


def check_citation(files: RepoText, citation: Citation) -> tuple[Check, list[str]]:
    """Whether the cited file is inside the repository and holds the cited lines."""
    name = "citation_resolves"
    if files.resolve(citation.path) is None:
        return Check(
            name=name, passed=False, detail=f"{citation.path} is outside the repository"
        ), []
    lines = files.lines(citation.path)
    if lines is None:
        return Check(name=name, passed=False, detail=f"{citation.path} does not exist"), []
    if citation.end_line > len(lines):
        detail = f"{citation} is past the end of the file ({len(lines)} lines)"
        return Check(name=name, passed=False, detail=detail), []
    cited = lines[citation.start_line - 1 : citation.end_line]
    return Check(name=name, passed=True, detail=f"{citation} exists"), cited


def citation_checks(
    fact: FactBase, files: RepoText, ports: Sequence[ResourceRequirement] = ()
) -> list[Check]:
    """Each citation resolves and holds a key of the fact; `ports` (the static port facts)
    let a dependency reached at a published port be held without naming its target."""
    checks: list[Check] = []
    terms = key_terms(fact)
    cited_texts: list[tuple[Citation, str]] = []
    for citation in fact.citations:
        check, cited = check_citation(files, citation)
        checks.append(check)
        if check.passed:
            cited_texts.append((citation, "\n".join(cited)))
    variables = [
        {m.group(1) or m.group(2) for m in PLACEHOLDER.finditer(t)} for _, t in cited_texts
    ]
    if not terms:
        # Nothing to look for (a claim with blank key fields): the citation cannot hold it.
        return [
            *checks,
            *(
                Check(name="cites_key", passed=False, detail=f"{c} holds no key of this claim")
                for c, _ in cited_texts
            ),
        ]
    for i, (citation, text) in enumerate(cited_texts):
        ok = (
            names_parameter(text, fact)
            if isinstance(fact, ConfigParameter)
            else mentions(text, terms)
        )
        detail = f"{citation} {'mentions' if ok else 'does not mention'} {terms[0]!r}"
        nested = nested_key(fact, files, citation) if not ok else None
        if nested:
            ok = True
            detail = f"{citation} holds {nested}, nested under its parents"
        if not ok and len(cited_texts) > 1:
            # A value filled from a placeholder: one line uses `{{ var }}`, another defines it.
            for var in sorted(set().union(*variables)):
                elsewhere = (t for j, (_, t) in enumerate(cited_texts) if j != i)
                if mentions(text, [var]) and any(mentions(t, [var]) for t in elsewhere):
                    ok = True
                    detail = f"{citation} holds {var!r}, which another cited line uses or defines"
                    break
        checks.append(Check(name="cites_key", passed=ok, detail=detail))
    if isinstance(fact, Dependency) and ports:
        return published_port_keys(fact, checks, files, ports)
    return checks


# ---------------------------------------------------------------- values


def url_path(target: str) -> str | None:
    """`/healthz` from `/healthz`, `http://127.0.0.1:8000/healthz` or a curl command."""
    match = re.search(r"https?://[^/\s'\"]+(/[^\s'\"|;&]*)?", target)
    if match:
        return (match.group(1) or "/").split("?")[0]
    if target.startswith("/"):
        return target.split()[0].split("?")[0]
    return None


def url_port(target: str) -> int | None:
    match = re.search(r"https?://[^/\s:'\"]+:(\d{1,5})", target)
    return int(match.group(1)) if match else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip().strip("\"'").replace("_", "")
        try:
            return float(text)
        except ValueError:
            return None
    return None


def values_equal(a: Any, b: Any, name: str = "") -> bool:
    """Equal as an operator would read them: 10 == "10" == 10.0, "30s" == 30 for durations."""
    if a == b:
        return True
    if name in _DURATIONS:
        sa = _number(a) if _number(a) is not None else duration_seconds(str(a))
        sb = _number(b) if _number(b) is not None else duration_seconds(str(b))
        return sa is not None and sb is not None and float(sa) == float(sb)
    if name in _QUANTITIES:
        same = quantities_equal(a, b)
        if same is not None:
            return same  # `0.5` == `500m`, `512Mi` != `512M`
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na == nb
    return str(a).strip().strip("\"'").lower() == str(b).strip().strip("\"'").lower()


_NUMBER_TOKEN = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e\d+)?(?:ms|s|m|h)?(?![\w.])|\d+")


def value_in_text(value: Any, text: str, name: str = "") -> bool:
    """Whether the lines state `value` (numbers token by token, so 10 is not found in 100)."""
    number = _number(value)
    if number is not None or name in _DURATIONS:
        for token in _NUMBER_TOKEN.findall(text.replace("_", "")):
            if values_equal(value, token, name):
                return True
        # Computed by simple arithmetic on the line: `60 * 60 * 24`.
        return number is not None and any(v == number for v in computed_numbers(text))
    if name in _QUANTITIES and quantities_equal(value, value):
        for token in re.findall(r"\d+(?:\.\d+)?\s*[a-zA-Z]*", text):
            if quantities_equal(value, token):
                return True
    return normalise(str(value).strip("\"'")) in normalise(text)


def _fmt(fact: FactBase, name: str) -> str:
    return f"{name}={getattr(fact, name)!r}"


# ---------------------------------------------------------------- claims vs static


def _port_parts(value: str | None) -> set[str]:
    """Ports named by a resource value: `127.0.0.1:8000:8000/tcp` → {8000}."""
    if not value:
        return set()
    return {
        p.split("/")[0]
        for p in value.split(":")
        if p.split("/")[0].isascii() and p.split("/")[0].isdigit()
    }


def port_facts(facts: Iterable[FactBase]) -> list[ResourceRequirement]:
    """The port requirements among facts (what a service listens on or publishes)."""
    return [f for f in facts if isinstance(f, ResourceRequirement) and f.resource == "port"]


@dataclass
class StaticView:
    """Static facts indexed for finding the one a claim talks about."""

    by_id: dict[str, FactBase]
    conflicts: dict[str, list[Conflict]]
    services: set[str]
    owners: LineOwners = field(default_factory=LineOwners)

    def ports(self) -> list[ResourceRequirement]:
        return port_facts(self.by_id.values())

    def accepted(self, fact: FactBase, name: str) -> list[Any]:
        """Values static evidence gives for a field (layered defaults count, all of them)."""
        values = [getattr(fact, name)]
        values += [c.other for c in self.conflicts.get(fact.id, []) if c.field == name]
        return [v for v in values if v is not None]

    def counterpart(self, claim: FactBase) -> FactBase | None:
        if claim.id in self.by_id:
            return self.by_id[claim.id]
        candidates = [
            f
            for f in self.by_id.values()
            if type(f) is type(claim) and (claim.service is None or f.service == claim.service)
        ]
        matches = [f for f in candidates if _same_thing(claim, f)]
        return matches[0] if len(matches) == 1 else None


def _same_thing(claim: FactBase, fact: FactBase) -> bool:
    if isinstance(claim, ConfigParameter) and isinstance(fact, ConfigParameter):
        a, b = normalise(claim.name).strip("_"), normalise(fact.name).strip("_")
        return (
            a == b or (len(a) >= 4 and b.endswith("_" + a)) or (len(b) >= 4 and a.endswith("_" + b))
        )
    if isinstance(claim, HealthCheck) and isinstance(fact, HealthCheck):
        pa, pb = url_path(claim.target), url_path(fact.target)
        if pa and pb:
            return pa.rstrip("/") == pb.rstrip("/") and claim.mechanism in ("other", fact.mechanism)
        return normalise(claim.target) == normalise(fact.target) and claim.mechanism in (
            "other",
            fact.mechanism,
        )
    if isinstance(claim, ResourceRequirement) and isinstance(fact, ResourceRequirement):
        if claim.resource != fact.resource:
            return False
        if claim.resource == "port":
            return bool(_port_parts(claim.value) & _port_parts(fact.value))
        return claim.value is not None and normalise(claim.value) == normalise(fact.value or "")
    if isinstance(claim, Dependency) and isinstance(fact, Dependency):
        return normalise(claim.target) == normalise(fact.target)
    return False


def disagreements(claim: FactBase, fact: FactBase, view: StaticView) -> list[str]:
    out: list[str] = role_confusions(claim, fact, values_equal)
    if isinstance(claim, ConfigParameter) and isinstance(fact, ConfigParameter):
        if not units_agree(claim.unit, fact.unit):
            out.append(
                f"the model says the unit is {claim.unit!r} ({claim.citations[0]}) but static "
                f"evidence says {fact.unit!r} ({fact.citations[0]})"
            )
    if isinstance(claim, HealthCheck):
        confused = host_port_confusion(claim, view.ports())
        if confused:
            out.append(confused)
    if out:
        return out
    for name in COMPARED[type(fact)]:
        said = getattr(claim, name)
        accepted = view.accepted(fact, name)
        if said is None or not accepted:
            continue
        if not any(values_equal(said, v, name) for v in accepted):
            shown = " or ".join(repr(v) for v in accepted)
            out.append(
                f"the model says {name}={said!r} ({claim.citations[0]}) but static evidence "
                f"says {shown} ({fact.citations[0]})"
            )
    return out


def cited_code(claim: FactBase, files: RepoText) -> str:
    return "\n".join(
        line
        for c in claim.citations
        if files.resolve(c.path) is not None
        for line in files.code_lines(c.path, c.start_line, c.end_line)
    )


# ---------------------------------------------------------------- evidence for model-only claims


def code_evidence_check(claim: FactBase, files: RepoText) -> Check:
    code = [c for c in claim.citations if files.code_lines(c.path, c.start_line, c.end_line)]
    if code:
        return Check(
            name="code_evidence", passed=True, detail=f"{code[0]} is code or configuration"
        )
    cited = ", ".join(str(c) for c in claim.citations)
    return Check(
        name="code_evidence",
        passed=False,
        detail=f"cited only from documentation or comments ({cited}); "
        "prose is a claim about the system, not evidence of it",
    )


def _stated_in(claim: FactBase, name: str, code: str) -> bool:
    value = getattr(claim, name)
    if name in ("min", "max"):
        # A bound is evidence only on a line that bounds something, not wherever the number is.
        return bounds_a_value(code, value, value_in_text)
    if value_in_text(value, code, name):
        return True
    return isinstance(value, str) and path_join_of(value, code)


def values_in_source_check(claim: FactBase, files: RepoText) -> Check | None:
    stated = [n for n in COMPARED[type(claim)] if getattr(claim, n) is not None]
    if isinstance(claim, ResourceRequirement) and claim.value:
        stated.append("value")
    if not stated:
        return None
    code = cited_code(claim, files)
    missing = [n for n in stated if not _stated_in(claim, n, code)]
    if missing:
        return Check(
            name="values_in_source",
            passed=False,
            detail=f"{', '.join(_fmt(claim, n) for n in missing)} not in the cited code lines"
            + (" as a bound" if {"min", "max"} & set(missing) else ""),
        )
    return Check(
        name="values_in_source",
        passed=True,
        detail=f"{', '.join(_fmt(claim, n) for n in stated)} read in the cited lines",
    )


def target_known_check(claim: Dependency, view: StaticView) -> Check:
    target = normalise(claim.target)
    known = {normalise(s) for s in view.services}
    known |= {normalise(f.target) for f in view.by_id.values() if isinstance(f, Dependency)}
    if target in known:
        return Check(name="target_known", passed=True, detail=f"{claim.target!r} is a service")
    return Check(
        name="target_known",
        passed=False,
        detail=f"{claim.target!r} is not a service this repository defines or depends on",
    )


def target_exists_check(claim: HealthCheck, files: RepoText, view: StaticView) -> Check:
    health = [f for f in view.by_id.values() if isinstance(f, HealthCheck)]
    path = url_path(claim.target)
    port = claim.port or url_port(claim.target)
    target = claim.target.strip()
    if claim.check_type == "tcp" and port is None and target.isascii() and target.isdigit():
        port = int(claim.target.strip())
    if path:
        for fact in health:
            if (url_path(fact.target) or "").rstrip("/") == path.rstrip("/"):
                return Check(
                    name="target_exists",
                    passed=True,
                    detail=f"{path} is checked at {fact.citations[0]}",
                )
        found = files.find_in_code([path]) if path != "/" else None
        if found:
            return Check(
                name="target_exists", passed=True, detail=f"{path} appears at {found[0]}:{found[1]}"
            )
        return Check(
            name="target_exists", passed=False, detail=f"no route, probe or code line serves {path}"
        )
    if port is not None:
        for known in view.by_id.values():
            ports = (
                _port_parts(known.value) if isinstance(known, ResourceRequirement) else set()
            ) | ({str(known.port)} if isinstance(known, HealthCheck) and known.port else set())
            if str(port) in ports:
                return Check(
                    name="target_exists",
                    passed=True,
                    detail=f"port {port} is declared at {known.citations[0]}",
                )
        return Check(
            name="target_exists", passed=False, detail=f"port {port} is not declared anywhere"
        )
    program = claim.target.split()[0] if claim.target.split() else claim.target
    found = files.find_in_code([program])
    if found:
        return Check(
            name="target_exists",
            passed=True,
            detail=f"{program!r} appears at {found[0]}:{found[1]}",
        )
    return Check(
        name="target_exists", passed=False, detail=f"{program!r} appears in no code or config"
    )


_SCRIPT = re.compile(r"(?:\./)?([\w./-]+\.(?:sh|py|rb|pl|js|ts|bash|ps1))\b")
_MAKE = re.compile(r"\bmake\s+([\w.-]+)")


def command_exists_check(claim: ValidationMethod, files: RepoText) -> Check | None:
    """A validation step's script, make target or endpoint exists in the repository."""
    method = claim.method
    for script in _SCRIPT.findall(method):
        exists = files.exists(script) or any(p.endswith("/" + script) for p in files.texts)
        word = "exists" if exists else "does not exist in the repository"
        return Check(name="command_exists", passed=exists, detail=f"{script} {word}")
    for target in _MAKE.findall(method):
        makefile = "\n".join(files.lines("Makefile") or [])
        ok = re.search(rf"^{re.escape(target)}\s*:", makefile, re.M) is not None
        word = "is a Makefile target" if ok else "is not a target of the Makefile"
        return Check(name="command_exists", passed=ok, detail=f"make {target} {word}")
    path = url_path(method)
    if path and path != "/":
        found = files.find_in_code([path])
        detail = f"{path} appears at {found[0]}:{found[1]}" if found else f"nothing serves {path}"
        return Check(name="command_exists", passed=found is not None, detail=detail)
    return None


# ---------------------------------------------------------------- statuses


def static_status(checks: list[Check]) -> Status:
    if any(not c.passed for c in checks if c.name == "values_agree"):
        return "contradicted"
    return "verified" if all(c.passed for c in checks) else "unverified"


def claim_status(claim: FactBase, checks: list[Check]) -> Status:
    if any(not c.passed for c in checks if c.name in _REFUTING):
        return "contradicted"
    if all(c.passed for c in checks):
        return "verified"
    documented_command = isinstance(claim, ValidationMethod) and any(
        c.name in ("command_exists", "documented_procedure") and c.passed for c in checks
    )
    if documented_command and all(
        c.passed for c in checks if c.name not in ("code_evidence", "documented_procedure")
    ):
        # A documented procedure whose script, target or endpoint exists is evidence enough.
        return "verified"
    return "unverified"


def _with(fact: FactBase, status: Status, checks: list[Check], **update: Any) -> FactBase:
    return fact.model_copy(
        update={"verification": Verification(status=status, checks=checks)} | update
    )


def verify_static(
    fact: FactBase,
    files: RepoText,
    conflicts: list[Conflict],
    extra: list[Check],
    ports: Sequence[ResourceRequirement] = (),
) -> FactBase:
    checks = citation_checks(fact, files, ports)
    update: dict[str, Any] = {}
    for conflict in conflicts:
        # A deployment file setting a value other than the code's default is normal layering
        # between static artifacts; anything else that disagrees is a contradiction.
        layered = conflict.field == "default"
        detail = conflict.describe() + (" (deployment value over a default)" if layered else "")
        if lists_some_of(conflict):
            layered = True
            detail = conflict.describe() + " (one source lists only some of the other's values)"
            if len(conflict.other) > len(conflict.kept):
                update["allowed_values"] = conflict.other  # every value any source accepts
        checks.append(Check(name="values_agree", passed=layered, detail=detail))
    checks.extend(extra)
    return _with(fact, static_status(checks), checks, **update)


def lists_some_of(conflict: Conflict) -> bool:
    """Allowed values where one source (a sample config's comment, a doc) lists a subset of
    another's (the code's table): incomplete documentation, not a contradiction."""
    if conflict.field != "allowed_values":
        return False
    if not isinstance(conflict.kept, list) or not isinstance(conflict.other, list):
        return False
    kept = {str(v).lower() for v in conflict.kept}
    other = {str(v).lower() for v in conflict.other}
    return bool(kept and other) and (kept <= other or other <= kept)


_QUANTITY = re.compile(
    r"^\d+(\.\d+)?\s*(m|k|ki|mi|gi|ti|kb|mb|gb|tb|b|g|M|%|cpus?|cores?)?$", re.IGNORECASE
)
"""A resource amount as deployment files write it: `500m`, `0.5`, `512Mi`, `1G`, `2 cpus`."""


def plausible_check(claim: FactBase) -> Check | None:
    """Values of the right shape: a resource request is an amount, not a word."""
    if not isinstance(claim, ResourceRequirement) or claim.resource not in (
        "cpu",
        "memory",
        "disk",
    ):
        return None
    odd = [
        f"{n}={getattr(claim, n)!r}"
        for n in ("request", "limit")
        if getattr(claim, n) is not None and not _QUANTITY.match(str(getattr(claim, n)).strip())
    ]
    if not odd and claim.request is None and claim.limit is None:
        odd = ["no request or limit"]
    if odd:
        return Check(
            name="plausible_values", passed=False, detail=f"{', '.join(odd)} is not an amount"
        )
    return Check(name="plausible_values", passed=True, detail="amounts have the shape of amounts")


def service_known_check(claim: FactBase, view: StaticView) -> Check | None:
    """Health checks, resources and dependencies belong to a service an operator can find."""
    if isinstance(claim, (ConfigParameter, ValidationMethod)):
        return None
    if claim.service and claim.service in view.services:
        return Check(name="service_known", passed=True, detail=f"{claim.service!r} is a service")
    if claim.service is None and not view.services:
        return Check(
            name="service_known",
            passed=True,
            detail="the repository names no services: the fact is the repository's own",
        )
    return Check(
        name="service_known",
        passed=False,
        detail=f"owned by {claim.service or 'no service'!r}, not a service of this repository",
    )


def without_blanks(claim: FactBase) -> FactBase:
    """Empty strings a model fills optional fields with are absent values, not values."""
    blanks = {
        n: None
        for n, info in type(claim).model_fields.items()
        if getattr(claim, n) == "" and not info.is_required()
    }
    return claim.model_copy(update=blanks) if blanks else claim


def scope_checks(claim: FactBase, files: RepoText, view: StaticView) -> list[Check]:
    """Same role and scope: the cited lines are not another parameter's, and a claimed bound
    is among the bounds the cited code states (when it states any)."""
    if not isinstance(claim, ConfigParameter):
        return []
    out: list[Check] = []
    cited = "\n".join(
        "\n".join((files.lines(c.path) or [])[c.start_line - 1 : c.end_line])
        for c in claim.citations
        if files.resolve(c.path) is not None
    )
    named = mentions(cited, [claim.name.lstrip("-")]) or any(
        nested_key(claim, files, c) for c in claim.citations if files.resolve(c.path)
    )
    other = other_parameter_on_lines(claim, claim.citations, view.by_id.values(), named)
    if other:
        out.append(Check(name="values_agree", passed=False, detail=other))
    code = cited_code(claim, files)
    bounds = bound_numbers(code)
    for name in ("min", "max"):
        said = getattr(claim, name)
        if said is None:
            continue
        if not bounds:
            setting = set_value_line(code, said)
            if setting is not None:
                out.append(
                    Check(
                        name="values_agree",
                        passed=False,
                        detail=f"{said!r} is the value `{setting}` sets, not a {name}",
                    )
                )
            continue
        if not any(values_equal(said, b) for b in bounds):
            out.append(
                Check(
                    name="values_agree",
                    passed=False,
                    detail=f"the cited code bounds it by {', '.join(sorted(set(bounds)))}, "
                    f"not {name}={said!r}",
                )
            )
    return out


def verify_claim(claim: FactBase, files: RepoText, view: StaticView) -> list[Check]:
    checks = citation_checks(claim, files, view.ports())
    checks.extend(scope_checks(claim, files, view))
    evidence = code_evidence_check(claim, files)
    if not evidence.passed and isinstance(claim, ConfigParameter):
        evidence = chart_reads_check(claim, files) or evidence
    checks.append(evidence)
    values = values_in_source_check(claim, files)
    for extra in (
        values,
        plausible_check(claim),
        service_known_check(claim, view),
        ownership_check(claim, view.owners),
        range_order_check(claim),
    ):
        if extra is not None:
            checks.append(extra)
    if isinstance(claim, Dependency):
        checks.append(target_known_check(claim, view))
        if cited_code(claim, files).strip():
            checks.append(connection_check(claim, cited_code(claim, files)))
        documented = docs_dependency_check(claim, files, view.services)
        if documented is not None:
            checks.append(documented)
    elif isinstance(claim, HealthCheck):
        checks.append(target_exists_check(claim, files, view))
    elif isinstance(claim, ValidationMethod):
        command = command_exists_check(claim, files)
        if command is not None:
            checks.append(command)
        if not any(c.passed for c in checks if c.name == "code_evidence"):
            documented = documented_procedure_check(claim, files, view.services)
            if documented is not None:
                checks.append(documented)
    return checks


def _contradiction_gap(fact: FactBase) -> Gap:
    details = [c.detail for c in fact.verification.checks if not c.passed]
    return Gap(
        id=f"contradiction:{fact.id}",
        category="contradiction",
        service=fact.service,
        priority="HIGH",
        message=f"Sources disagree about {fact.summary.rstrip('.')}: {'; '.join(details)}",
        blocks="weekly",
        citations=fact.citations[:3],
    )


def verify(
    root: Path,
    static_facts: list[FactBase],
    conflicts: list[Conflict],
    claims: Iterable[FactBase] = (),
    *,
    services: Iterable[str | Service] = (),
    texts: Mapping[str, str] | None = None,
) -> VerifyResult:
    """Verify static facts (merged, with their conflicts) and the model's claims against them."""
    files = RepoText(root, texts or {})
    by_conflict: dict[str, list[Conflict]] = {}
    for conflict in conflicts:
        by_conflict.setdefault(conflict.fact_id, []).append(conflict)
    consistency, gaps = cross_artifact_checks(static_facts)
    result = VerifyResult(gaps=gaps)
    checked: dict[str, FactBase] = {}
    ports = port_facts(static_facts)
    for fact in static_facts:
        checked[fact.id] = verify_static(
            fact, files, by_conflict.get(fact.id, []), consistency.get(fact.id, []), ports
        )
    known = list(services)
    view = StaticView(
        checked,
        by_conflict,
        {(s if isinstance(s, str) else s.name).lower() for s in known},
        LineOwners.of((s for s in known if isinstance(s, Service)), static_facts),
    )
    claimed: dict[str, FactBase] = {}
    # Each claim is judged on its own: the model right in one excerpt and wrong in another
    # yields one verified fact and one rejected claim, not one muddled fact.
    for claim in map(without_blanks, claims):
        checks = verify_claim(claim, files, view)
        counterpart = view.counterpart(claim)
        if counterpart is None:
            judged = _with(claim, claim_status(claim, checks), checks)
            kept, dropped = _better(claimed.get(claim.id), judged)
            claimed[claim.id] = kept
            if dropped is not None:
                result.rejected.append(dropped)
            continue
        fact = checked[counterpart.id]
        said = disagreements(claim, fact, view)
        checks += [Check(name="values_agree", passed=False, detail=d) for d in said]
        refuted = any(not c.passed for c in checks if c.name in _REFUTING)
        if said or refuted:
            result.rejected.append(_with(claim, "contradicted", checks))
            continue
        checked[fact.id] = corroborate(fact, claim, files, checks, result.rejected)
    result.facts = [*checked.values(), *(c for i, c in claimed.items() if i not in checked)]
    result.gaps.extend(
        _contradiction_gap(f) for f in result.facts if f.verification.status == "contradicted"
    )
    return result


_RANK: dict[Status, int] = {"verified": 0, "unverified": 1, "contradicted": 2}


def _better(prev: FactBase | None, new: FactBase) -> tuple[FactBase, FactBase | None]:
    """Of two claims with one id, the better-proven one, and the other unless it adds nothing.

    Equal standing and equal values: one fact citing both. Otherwise the weaker claim is
    rejected, keeping its own checks.
    """
    if prev is None:
        return new, None
    best, other = sorted((prev, new), key=lambda f: _RANK[f.verification.status])
    same = best.verification.status == other.verification.status and all(
        values_equal(getattr(best, n), getattr(other, n), n)
        for n in COMPARED[type(best)]
        if getattr(best, n) is not None or getattr(other, n) is not None
    )
    if same:
        citations = [*best.citations, *(c for c in other.citations if c not in best.citations)]
        return best.model_copy(update={"citations": citations}), None
    return best, other


def corroborate(
    fact: FactBase,
    claim: FactBase,
    files: RepoText,
    checks: list[Check],
    rejected: list[FactBase],
) -> FactBase:
    """`fact` backed by an agreeing claim; the claim's extra values only where code holds them."""
    code = cited_code(claim, files)
    added: dict[str, Any] = {}
    unsupported: list[str] = []
    for name in COMPARED[type(fact)]:
        value = getattr(claim, name)
        if value is None or getattr(fact, name) is not None:
            continue
        if _stated_in(claim, name, code):
            added[name] = value
        else:
            unsupported.append(_fmt(claim, name))
    if isinstance(fact, ConfigParameter) and isinstance(claim, ConfigParameter):
        low = added.get("min", fact.min)
        high = added.get("max", fact.max)
        if low is not None and high is not None and low > high:
            # Widening or crossing a verified bound: the claim is refuted, the fact untouched.
            refute = Check(
                name="values_agree",
                passed=False,
                detail=f"the claimed bounds cross the verified ones: min={low!r} > max={high!r}",
            )
            rejected.append(_with(claim, "contradicted", [*checks, refute]))
            return fact
        if ("min" in added or "max" in added) and fact.range_source is None:
            added["range_source"] = claim.range_source or "inferred"
    if unsupported:
        note = Check(
            name="values_in_source",
            passed=False,
            detail=f"{', '.join(unsupported)} not in any cited code line; not used",
        )
        rejected.append(_with(claim, "unverified", [*checks, note]))
    agree = Check(
        name="model_agrees",
        passed=True,
        detail=f"the model read the same at {claim.citations[0]}"
        + (f" and added {', '.join(f'{k}={v!r}' for k, v in added.items())}" if added else ""),
    )
    # Only the claim's code citations join the fact: prose never becomes a verified source.
    citations = list(fact.citations)
    for c in claim.citations:
        if c not in citations and files.code_lines(c.path, c.start_line, c.end_line):
            citations.append(c)
    verification = fact.verification.model_copy(
        update={"checks": [*fact.verification.checks, agree]}
    )
    update: dict[str, Any] = {
        "citations": citations,
        "origin": "both",
        "verification": verification,
    }
    return fact.model_copy(update=update | added)


def needs_confirmation(fact: FactBase) -> bool:
    """A model's claim that no evidence verified: data for a person to confirm, never an
    instruction. Its text may come from a README addressed to "AI assistants", so it becomes
    no step, command, checklist item, escalation target or diagram node in any artifact; it
    is listed, quoted and escaped, in the "claims to confirm" appendix only."""
    return fact.origin == "llm" and fact.verification.status != "verified"


def status_reason(fact: FactBase) -> str:
    """One line saying why a fact is not verified (empty for verified facts), for artifacts."""
    if fact.verification.status == "verified":
        return ""
    failed = [c.detail for c in fact.verification.checks if not c.passed]
    if failed:
        return "; ".join(failed)
    if fact.origin == "llm":
        return "a model's claim that no static evidence corroborates"
    return "not every check could be run"
