"""Shared by the config-file analyzers: one written setting → config parameter facts."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from ddd_llm.evidence.base import (
    NUMBER,
    RangePhrases,
    SourceFile,
    infer_value_type,
    is_health_path,
    looks_secret,
)
from ddd_llm.evidence.code._param_facts import stated_default
from ddd_llm.models import (
    ConfigParameter,
    FactBase,
    HealthCheck,
    Mechanism,
    RangeSource,
    ResourceRequirement,
    ValueType,
    make_fact_id,
)

_NUM = f"({NUMBER})"
_SEP = r"\s*(?:-|–|\.\.\.?|\bto\b)\s*"
_AT_MOST = r"(?:\b(?:max(?:imum)?|at\s+most|up\s+to|no\s+more\s+than)\b|<=?|≤)"
_AT_LEAST = r"(?:\b(?:min(?:imum)?|at\s+least|no\s+less\s+than)\b|>=?|≥)"
_LINK = r"\s*(?:of\s+|is\s+|=\s*|:\s*)?"
RANGE = RangePhrases(
    both=(
        re.compile(rf"(?i)\bbetween\s+{_NUM}\s*\w*\s+and\s+{_NUM}"),
        re.compile(rf"(?i)\bfrom\s+{_NUM}\s*\w*\s+to\s+{_NUM}"),
        # A bare `1-100`, but not a date, a version or part of a host name or path.
        re.compile(rf"(?<![\w.:/-]){_NUM}{_SEP}{_NUM}(?![\w.:/-]*\w)"),
    ),
    at_least=re.compile(rf"(?i){_AT_LEAST}{_LINK}{_NUM}"),
    at_most=re.compile(rf"(?i){_AT_MOST}{_LINK}{_NUM}"),
)
"""`1-100`, `between 5 and 60 seconds`, `max 500`, `at least 2` in a comment → (min, max)."""

# Credentials with a recognisable shape, whatever the setting is called.
_CREDENTIAL_VALUE = re.compile(
    r"^(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}$"  # OpenAI / Stripe style
    r"|^(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}$"
    r"|^(?:AKIA|ASIA)[0-9A-Z]{16}$"  # AWS access key id
    r"|^gh[pousr]_[A-Za-z0-9]{30,}$"  # GitHub tokens
    r"|^github_pat_[A-Za-z0-9_]{30,}$"
    r"|^xox[abposr]-[A-Za-z0-9-]{10,}$"  # Slack
    r"|^glpat-[A-Za-z0-9_-]{16,}$"  # GitLab
    r"|^AIza[0-9A-Za-z_-]{35}$"  # Google API key
    r"|^eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*$"  # JWT
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)
_OPAQUE = re.compile(r"^[A-Za-z0-9+/=_-]{24,}$")
_HEX = re.compile(r"^[0-9a-fA-F]{32,}$")


def looks_like_credential(value: str) -> bool:
    """A value shaped like a real key or token: a known prefix, or a long random string."""
    text = value.strip()
    if _CREDENTIAL_VALUE.search(text) or _HEX.match(text):
        return True
    if not _OPAQUE.match(text) or not re.search(r"\d", text) or not re.search(r"[A-Za-z]", text):
        return False
    counts = Counter(text)
    entropy = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    return entropy >= 4.0


# --- interpolation ------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\$\{\??([^${}\s:?-]+)(?:(:?[-=]|:)([^${}]*))?\}")
"""`${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:=default}` (shell, compose), Spring's
`${VAR:default}` (a reference to another property, `${a.b:x}`, has dots) and HOCON's `${?VAR}`."""
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_NESTING = 5


@dataclass(frozen=True)
class Reference:
    """A `${NAME...}` in a value: the variable it reads and the fallback written with it."""

    name: str
    default: str | None


def references(value: str | None) -> list[Reference]:
    """Every placeholder, innermost first: `${PORT:${SERVER_PORT:8080}}` reads SERVER_PORT
    (fallback 8080), then PORT (fallback whatever SERVER_PORT gave, 8080)."""
    if not value or "${" not in value:
        return []
    found: dict[str, Reference] = {}
    text = value
    for _ in range(_MAX_NESTING):
        matches = list(PLACEHOLDER.finditer(text))
        if not matches:
            break
        for match in matches:
            found.setdefault(match.group(1), Reference(match.group(1), match.group(3)))
        # An unresolved inner placeholder leaves its outer one without a fallback.
        text = PLACEHOLDER.sub(lambda m: m.group(3) or "", text)
    return list(found.values())


def effective(value: str | None) -> str | None:
    """The value with every placeholder that has a fallback replaced by it (`${PORT:8080}` →
    `8080`); a placeholder without one stays as written."""
    if not value or "${" not in value:
        return value
    text = value
    for _ in range(_MAX_NESTING):
        replaced = _substitute(text)
        if replaced == text:
            break
        text = replaced
    return text


def _substitute(text: str) -> str:
    return PLACEHOLDER.sub(lambda m: m.group(3) if m.group(3) is not None else m.group(0), text)


# --- one setting → facts -------------------------------------------------------------


@dataclass
class Setting:
    """One key as a config file writes it, with the lines that hold it.

    `commented` marks a commented-out line (`# maxclients 10000`), the way sample configs
    document a default; `profile` a Spring profile or .NET environment overriding the base.
    """

    name: str
    value: str | None
    start: int
    end: int
    description: str = ""
    commented: bool = False
    profile: str | None = None
    service: str | None = None
    secret: bool = False
    required: bool = False
    value_type: ValueType | None = None
    allowed: list[str] | None = None
    low: int | float | None = None
    high: int | float | None = None
    range_source: RangeSource | None = None


SECRET_REFERENCE = re.compile(
    r"(?i)existing\w*secret|secret_?name$|secret_?ref$|secret\.(name|key)$"
)
"""Names that hold which Secret object to read (`existingSecret`, `tls.secretName`,
`mysql.existingPasswordSecret.key`), not a secret value."""


def fact_id(name: str, service: str | None, profile: str | None) -> str:
    """Profiles keep the base parameter's name and service; the id key gets `@profile`
    (`config_parameter:-:server.port@prod`), so a per-profile value is its own fact and the
    base value is not overwritten when the two are merged by id."""
    key = f"{name}@{profile}" if profile else name
    return make_fact_id("config_parameter", service, key)


def parameters(source: SourceFile, setting: Setting, what: str) -> list[ConfigParameter]:
    """The setting as a parameter, plus one parameter per `${ENV_VAR:default}` it reads."""
    written = setting.value
    refs = references(written)
    whole = _one_placeholder(written)
    # `${PORT:8080}` defaults to its fallback; inside a longer value
    # (`optional:configserver:${URL:http://localhost:8888/}`) the value stays as written:
    # the environment variable is its own parameter, linked below.
    default = effective(written) if whole or not refs else written
    if default is not None and not default.strip():
        default = ""  # `default = ""`, `key: ""`: written empty, which is not "no default"
    if default is None and setting.description and not setting.required:
        default = stated_default(setting.description)  # `Defaults to `ROTATE``
    flag = (default or "").strip().lower() in ("true", "false")
    secret = setting.secret or (
        not flag  # `ssl_require_auth = false` is a switch about a secret, not one
        and not SECRET_REFERENCE.search(setting.name)
        and (
            looks_secret(_secret_form(setting.name), written)
            or bool(default and "${" not in default and looks_like_credential(default))
        )
    )
    low, high, range_source = setting.low, setting.high, setting.range_source
    if range_source is None and setting.description:
        low, high = RANGE(setting.description)
        range_source = "documented" if (low, high) != (None, None) else None
    value_type = setting.value_type or _value_type(effective(default), low, high, setting.allowed)
    required = setting.required or (whole and refs[0].default is None)
    if whole and refs[0].default is None:
        default = None  # `${DB_PASSWORD}`: no value until the environment gives one
    cites = [source.cite(setting.start, setting.end)]
    facts = [
        ConfigParameter(
            id=fact_id(setting.name, setting.service, setting.profile),
            service=setting.service,
            summary=_summary(setting, default, secret, refs, low, high, what),
            citations=cites,
            name=setting.name,
            value_type=value_type,
            default=default,
            min=low,
            max=high,
            allowed_values=setting.allowed,
            required=required and default is None,
            secret=secret,
            range_source=range_source,
        )
    ]
    for ref in refs:
        if not ENV_NAME.match(ref.name):
            continue  # `${other.property}` names another key of the same file set
        env_secret = secret or looks_secret(ref.name, ref.default)
        facts.append(
            ConfigParameter(
                service=setting.service,
                summary=f"environment variable {ref.name} sets {setting.name} in {source.name}"
                + ("" if ref.default is None or env_secret else f" (default {ref.default})"),
                citations=[source.cite(setting.start, setting.end)],
                name=ref.name,
                value_type=infer_value_type(ref.default) if ref.default else "string",
                default=ref.default or None,
                required=ref.default is None,
                secret=env_secret,
            )
        )
    return facts


def _one_placeholder(value: str | None) -> bool:
    """`${PORT:8080}` or `${PORT:${SERVER_PORT:8080}}`: the whole value is one placeholder."""
    text = (value or "").strip()
    if not text.startswith("${") or not text.endswith("}"):
        return False
    depth = 0
    for index, char in enumerate(text[1:], 1):
        depth += char == "{"
        depth -= char == "}"
        if depth == 0:
            return index == len(text) - 1
    return False


def _secret_form(name: str) -> str:
    # .NET `Jwt:Key`, Spring `spring.datasource.password`, TOML `db.password` alike.
    return re.sub(r"[:\s]+", ".", name)


def _value_type(
    default: str | None,
    low: int | float | None,
    high: int | float | None,
    allowed: list[str] | None,
) -> ValueType:
    if allowed:
        return "enum"
    if default is None and (low is not None or high is not None):
        return "float" if any(isinstance(n, float) for n in (low, high)) else "int"
    return infer_value_type(default)


def _summary(
    setting: Setting,
    default: str | None,
    secret: bool,
    refs: list[Reference],
    low: int | float | None,
    high: int | float | None,
    what: str,
) -> str:
    parts = [f"{what} {setting.name}"]
    if setting.profile:
        parts.append(f"(profile {setting.profile})")
    if default is not None and not secret:
        shown = default if len(default) <= 60 else default[:57] + "..."
        parts.append(f"{'commented default' if setting.commented else 'default'} {shown}")
    env = [r.name for r in refs if ENV_NAME.match(r.name)]
    if env:
        parts.append(f"from environment {', '.join(env)}")
    if low is not None or high is not None:
        parts.append(f"range {'' if low is None else low}..{'' if high is None else high}")
    if setting.description:
        first = setting.description.split(". ")[0].strip()
        if first:
            parts.append(f"— {first[:80]}")
    return " ".join(parts)


# --- ports and health ----------------------------------------------------------------

_PORT_NAME = re.compile(r"(?i)^((listen|http|https|tls|server)[_-])?port$")
"""The port a server itself listens on (`port`, `listen_port`, `Port`), not the port of something
it talks to (`replica-announce-port`, `db_port` say so by another word)."""


def port_number(value: str | None) -> int | None:
    """A TCP port written alone or after a host (`8080`, `0.0.0.0:8080`, `*:80`, `[::]:443`)."""
    if value is None:
        return None
    text = value.strip().strip("\"'")
    match = re.fullmatch(r"(?:.*:)?(\d{1,5})", text)
    if match is None:
        return None
    number = int(match.group(1))
    return number if 0 < number < 65536 else None


_LISTEN_NAME = re.compile(
    r"(?i)^((http|https|grpc|listen|bind|server)[_-]?)?(addr|address|listen|bind)$"
    r"|^(listen|bind)[_-](addr|address)$"
)
"""A key holding the `host:port` the server binds (`http_addr`, `listen_address`, `bind`)."""


def is_listen_name(name: str) -> bool:
    return bool(_LISTEN_NAME.match(name))


def is_port_name(name: str) -> bool:
    """Whether a bare key (no section or dotted prefix) names the server's own listening port."""
    return bool(_PORT_NAME.match(name))


def port_fact(
    source: SourceFile,
    port: int,
    start: int,
    end: int,
    why: str,
    service: str | None = None,
) -> ResourceRequirement:
    return ResourceRequirement(
        service=service,
        summary=f"listens on port {port} ({why} in {source.name})",
        citations=[source.cite(start, end)],
        resource="port",
        value=str(port),
    )


def health_fact(
    source: SourceFile,
    path: str,
    start: int,
    end: int,
    why: str,
    *,
    port: int | None = None,
    mechanism: Mechanism = "other",
    service: str | None = None,
) -> HealthCheck:
    return HealthCheck(
        service=service,
        summary=f"HTTP health endpoint {path}{'' if port is None else f' on port {port}'}"
        f" ({why} in {source.name})",
        citations=[source.cite(start, end)],
        check_type="http",
        target=path,
        port=port,
        mechanism=mechanism,
    )


def health_path(text: str) -> str | None:
    """The first URL path in `text` that names a health endpoint (`GET /healthz HTTP/1.1`)."""
    for match in re.finditer(r"(/[\w./-]*)", text):
        if is_health_path(match.group(1)):
            return match.group(1)
    return None


def unique(facts: Iterable[FactBase]) -> list[FactBase]:
    """One fact per id: the first keeps its place and values; later ones add their citations
    and fill the fields it left empty (a patch's memory request, then its limit)."""
    out: dict[str, FactBase] = {}
    for fact in facts:
        known = out.get(fact.id)
        if known is None:
            out[fact.id] = fact
            continue
        update: dict[str, object] = {
            name: getattr(fact, name)
            for name in type(known).model_fields
            if getattr(known, name) is None and getattr(fact, name, None) is not None
        }
        if getattr(known, "secret", False) or getattr(fact, "secret", False):
            # model_copy skips validation: never let a secret's value in through a merge.
            update.update(secret=True, default=None, allowed_values=None)
        extra = [c for c in fact.citations if c not in known.citations]
        if extra:
            update["citations"] = known.citations + extra
        if update:
            out[fact.id] = known.model_copy(update=update)
    return list(out.values())


def comment_above(
    lines: list[str], index: int, markers: tuple[str, ...] = ("#",), sep: str = " "
) -> str:
    """The comment block right above line `index` (0-based), joined by `sep`; a blank line
    ends it."""
    found: list[str] = []
    at = index - 1
    while at >= 0:
        text = lines[at].strip()
        if not text or not text.startswith(markers):
            break
        found.append(text.lstrip("".join(markers)).strip())
        at -= 1
    return sep.join(t for t in reversed(found) if t)


TEST_DIRS = re.compile(r"(^|/)(src/test|src/it|tests?|__tests__|testdata|test-data|fixtures?)/")
"""Configuration under test folders configures the tests, not the deployed service."""


_CHOICES = re.compile(
    r"^\s*(?:one\s+of:?\s*)?([\w.+-]+(?:\s*(?:,|\||/)\s*[\w.+<>-]+){1,15})\s*\.?\s*$"
)


_CHOICES_NAMED = re.compile(
    r"(?i)\b(?:allowed|valid|possible|supported|accepted)\s+values\s*(?:are|is)?\s*:?\s*"
    r"([\w.+-]+(?:\s*(?:,|\||/|\bor\b)\s*[\w.+-]+){1,15})"
)


_EITHER = re.compile(r"(?i)\beither\s+`?([\w.-]+)`?\s+or\s+`?([\w.-]+)`?")
_QUOTED_LIST = re.compile(r"`[^`\s]+`(?:\s*(?:,|\bor\b|,\s*or\b|\|)\s*`[^`\s]+`){2,}")
"""Three or more backquoted choices in a row: `OFF`, `ERROR`, `WARN`, `INFO`."""


def allowed_values(description: str, default: str | None) -> list[str] | None:
    """Choices a comment lists (a line `disable, allow, require, verify-full`, `allowed
    values: none, nano, micro`, `either production or development`, or backquoted
    `OFF`, `ERROR`, `INFO`), when the written default is one of them."""
    if not default:
        return None
    named = _CHOICES_NAMED.search(description)
    if named is not None:
        options = [o for o in re.split(r"\s*(?:,|\||/|\bor\b)\s*", named.group(1)) if o]
        if default.strip().strip("'\"") in options:
            return options
    wanted = default.strip().strip("'\"")
    either = _EITHER.search(description)
    if either is not None and wanted in either.groups():
        return list(either.groups())
    for line in re.split(r"(?<=\.)\s+|\n| {2,}", description):
        quoted = _QUOTED_LIST.search(line)
        if quoted is not None:
            options = re.findall(r"`([^`\s]+)`", quoted.group(0))
            if wanted in options:
                return options
        match = _CHOICES.match(line)
        if match is None:
            continue
        options = [o.strip() for o in re.split(r"\s*(?:,|\||/)\s*", match.group(1)) if o.strip()]
        plain = [o for o in options if not o.startswith("<")]
        if default.strip().strip("'\"") in plain and len(plain) >= 2:
            return plain
    return None


def overlay_of(path: str) -> str | None:
    """`deploy/overlays/prod/kustomization.yaml` → "prod"; a base has none."""
    parts = PurePosixPath(path).parts
    for index, part in enumerate(parts[:-2]):
        if part in ("overlays", "overlay", "environments", "envs"):
            return parts[index + 1]
    return None
