"""Fill `{{ var }}` / `${VAR}` placeholders in facts from the parameters that define them.

Deployment code names values through variables (an Ansible task waits for
`{{ collector_listen_port }}`, a unit runs as `${APP_USER}`); the variable itself is a
config_parameter fact with a default, often in another file (role defaults). An operator
needs the value, so a placeholder whose variable has exactly one non-secret default in
the same service (or repo-wide) is replaced, and the definition is cited too.
"""

from __future__ import annotations

import re
from typing import Any

from ddd_llm.evidence.base import infer_value_type
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    HealthCheck,
    ResourceRequirement,
    ValidationMethod,
    id_key,
    make_fact_id,
)

PLACEHOLDER = re.compile(
    r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}"
    r"|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}"
    r"|\{\{\s*\.Values\.([A-Za-z_][\w.]*)\s*\}\}"
)
"""`{{ var }}` (Jinja/Ansible), `${VAR}` / `${VAR:-fallback}` (shell/compose) and a Helm
template's `{{ .Values.a.b }}` (the chart's values key `a.b`)."""
ANY_SERVICE = "\0any"
"""The key of a definition made in one service that another may use (see `_definitions`)."""
_PORT_SUMMARY = re.compile(r"on port (\d{1,5})$")


def _name(match: re.Match[str]) -> str:
    return match.group(1) or match.group(2) or match.group(4)


FIELDS: dict[type[FactBase], tuple[str, ...]] = {
    HealthCheck: ("target",),
    ResourceRequirement: ("value", "request", "limit"),
    Dependency: ("target",),
    ValidationMethod: ("method", "expected"),
    ConfigParameter: ("default",),
}


def _definitions(facts: list[FactBase]) -> dict[tuple[str | None, str], ConfigParameter]:
    """(service, name) → the parameter that defines it, when its default is unambiguous."""
    candidates: dict[tuple[str | None, str], list[ConfigParameter]] = {}
    for fact in facts:
        if (
            isinstance(fact, ConfigParameter)
            and fact.default is not None
            and not fact.secret
            and not PLACEHOLDER.search(fact.default)
        ):
            candidates.setdefault((fact.service, fact.name), []).append(fact)
    defs = {
        key: found[0] for key, found in candidates.items() if len({f.default for f in found}) == 1
    }
    # A variable one service defines may serve another (two units reading the same file a
    # role renders): kept under ANY_SERVICE when it has one value repo-wide.
    anywhere: dict[str, list[ConfigParameter]] = {}
    for (_service, name), fact in defs.items():
        anywhere.setdefault(name, []).append(fact)
    for name, found in anywhere.items():
        if (ANY_SERVICE, name) not in defs and len({f.default for f in found}) == 1:
            defs[(ANY_SERVICE, name)] = found[0]
    return defs


def resolve_placeholders(facts: list[FactBase]) -> list[FactBase]:
    defs = _definitions(facts)
    secrets = {f.name: True for f in facts if isinstance(f, ConfigParameter) and f.secret}
    out: list[FactBase] = []
    for fact in facts:
        fields = FIELDS.get(type(fact), ())
        update: dict[str, Any] = {}
        cited: list[Citation] = []

        def substitute(
            match: re.Match[str], service: str | None = fact.service, cited: list[Citation] = cited
        ) -> str:
            name = _name(match)
            definition = defs.get((service, name)) or defs.get((None, name))
            if definition is None and match.group(1):
                # An Ansible variable is the play's, whichever service's role defines it
                # (`${VAR}` is not: compose reads it from the shell, not another service).
                definition = defs.get((ANY_SERVICE, name))
            if definition is None or definition.default is None:
                fallback = match.group(3)
                # `${VAR:-5}` with VAR defined nowhere runs with its fallback.
                return fallback if fallback and not secrets.get(name) else match.group(0)
            if definition.citations[0] not in cited:
                cited.append(definition.citations[0])
            return definition.default

        for name in (*fields, "summary"):
            value = getattr(fact, name)
            if isinstance(value, str) and PLACEHOLDER.search(value):
                resolved = PLACEHOLDER.sub(substitute, value)
                if resolved != value:
                    update[name] = resolved
        if isinstance(fact, ConfigParameter) and not fact.secret:
            refs = {_name(m) for m in PLACEHOLDER.finditer(fact.default or "")}
            if any(secrets.get(r) for r in refs):
                # A value built from a secret is a secret: keep neither.
                update = {"secret": True, "default": None}
            elif "default" in update and fact.value_type == "string":
                update["value_type"] = infer_value_type(update["default"])
        if not update:
            out.append(fact)
            continue
        if isinstance(fact, HealthCheck) and fact.port is None:
            target = update.get("target", fact.target)
            if fact.check_type == "tcp" and str(target).isascii() and str(target).isdigit():
                update["port"] = int(target)
            # a Helm probe's `port: {{ .Values.service.port }}`, noted in its summary
            stated = _PORT_SUMMARY.search(str(update.get("summary", "")))
            if stated is not None and "port" not in update:
                update["port"] = int(stated.group(1))
        citations = list(fact.citations)
        citations += [c for c in cited if c not in citations]
        update["citations"] = citations
        changed = fact.model_copy(update=update)
        changed = changed.model_copy(
            update={"id": make_fact_id(changed.fact_kind, changed.service, id_key(changed))}
        )
        out.append(changed)
    return out
