"""Java `.properties` and Spring Boot `application*.yml`: one config parameter per key.

Spring profiles (`application-prod.properties`, a YAML document with
`spring.config.activate.on-profile: prod`) are separate facts of the same parameter: same
name and service, id key `server.port@prod` (see `_common.fact_id`). `${ENV:default}` in a
value also yields a parameter for the environment variable, citing the same line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from ddd_llm.evidence.base import (
    AnalyzerResult,
    SourceFile,
    register,
    scalar_text,
    yaml_docs_or_warn,
)
from ddd_llm.evidence.config_files._common import (
    TEST_DIRS,
    Setting,
    comment_above,
    effective,
    health_fact,
    overlay_of,
    parameters,
    port_fact,
    port_number,
    unique,
)
from ddd_llm.evidence.yamlpos import YamlList, YamlMap
from ddd_llm.models import Dependency, FactBase

_SPRING_NAME = re.compile(r"^(application|bootstrap)(?:-([\w.-]+))?\.(properties|ya?ml)$", re.I)
_NOT_SETTINGS = re.compile(
    r"(?i)^(gradle|gradle-wrapper|maven-wrapper|local|sonar-project|git|build|version|release|"
    r"project|[\w-]*log4j2?[\w-]*|logging|simplelogger|commons-logging|jndi|"
    r"(messages|validationmessages|strings|labels|bundle|i18n)([_-][\w-]+)?)\.properties$"
)
"""Build, IDE, logging-framework and translation bundles: not what an operator sets."""
_LOCALE = re.compile(r"_[a-z]{2}(?:_[A-Z]{2})?\.properties$")
_SPRING_TOP = re.compile(r"(?m)^(spring|server|management):")
_SELECTORS = frozenset({"spring.config.activate.on-profile", "spring.profiles", "---"})
_PORT_KEYS = ("server.port", "management.server.port", "grpc.server.port")
_LOAD_BALANCED = re.compile(r"^lb://([A-Za-z0-9][\w.-]*)")
"""Spring Cloud LoadBalancer's `lb://service-name` (gateway routes, WebClient base URLs): a
call to that service, resolved through discovery at run time."""


@dataclass
class Entry:
    """One logical `.properties` line: key, raw value and the physical lines it spans."""

    key: str
    value: str
    start: int
    end: int


@dataclass
class Comment:
    """A `#` / `!` comment line (text without the marker), or a blank line (empty text)."""

    text: str
    line: int
    tight: bool = False  # no blank after the marker: `#listeners=PLAINTEXT://:9092`


def properties_lines(lines: list[str]) -> Iterator[Entry | Comment]:
    """java.util.Properties' grammar: `\\` joins lines, the key ends at the first unescaped
    `=`, `:` or blank; yields a Entry per entry and a Comment per comment or blank line."""
    index = 0
    while index < len(lines):
        raw = lines[index].lstrip()
        start = index + 1
        if not raw or raw[0] in "#!":
            yield Comment(raw[1:].strip() if raw else "", start, raw[1:2] not in ("", " ", "\t"))
            index += 1
            continue
        logical = raw
        while _continues(logical) and index + 1 < len(lines):
            index += 1
            logical = logical[:-1] + lines[index].lstrip()
        if _continues(logical):
            logical = logical[:-1]
        key, value = _split(logical)
        index += 1
        yield Entry(_unescape(key), _unescape(value), start, index)


def _continues(text: str) -> bool:
    trailing = len(text) - len(text.rstrip("\\"))
    return trailing % 2 == 1


def _split(text: str) -> tuple[str, str]:
    at = 0
    while at < len(text):
        char = text[at]
        if char == "\\":
            at += 2
            continue
        if char in "=: \t\f":
            break
        at += 1
    key = text[:at]
    rest = text[at:].lstrip(" \t\f")
    if rest[:1] in ("=", ":") and (at >= len(text) or text[at] in " \t\f=:"):
        rest = rest[1:].lstrip(" \t\f")
    return key, rest


def _unescape(text: str) -> str:
    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", _escape, text)


def _escape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code.startswith("u") and len(code) == 5:
        return chr(int(code[1:], 16))
    return {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(code, code)


_COMMENTED = re.compile(r"^([a-z][\w-]*(?:\.[\w-]+)+)\s*[=:]\s*(\S.*)?$")
"""`# log.retention.bytes=1073741824`: a sample file's commented-out default (dotted key)."""
_COMMENTED_TIGHT = re.compile(r"^([A-Za-z][\w.-]*)[=:](\S.*)?$")
"""Right after the marker (`#listeners=PLAINTEXT://:9092`) any key name reads as a setting."""


def _commented_default(comment: Comment, live: set[str]) -> tuple[str, str] | None:
    pattern = _COMMENTED_TIGHT if comment.tight else _COMMENTED
    match = pattern.match(comment.text)
    if match is None or match.group(1) in live:
        return None
    value = (match.group(2) or "").strip()
    if len(value.split()) > 3:
        return None  # a sentence that happens to start with a dotted word
    return match.group(1), value


class PropertiesAnalyzer:
    """Spring Boot and plain Java properties; profiles and `${ENV:default}` links included."""

    name = "properties"

    def accepts(self, source: SourceFile) -> bool:
        if TEST_DIRS.search(source.path):
            return False
        if "templates" in source.parts[:-1] and "{{" in source.text:
            return False  # a Helm chart's `templates/application.yaml` is a Go template
        if _SPRING_NAME.match(source.name):
            return True
        if source.suffix == ".properties":
            return not (_NOT_SETTINGS.match(source.name) or _LOCALE.search(source.name))
        # A Spring Cloud Config server's native repo: `shared/<application>-<profile>.yml`.
        return (
            source.is_yaml
            and "src/main/resources/" in source.path
            and bool(_SPRING_TOP.search(source.text))
        )

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        profile, service = _file_profile(source)
        settings: list[Setting] = []
        calls: list[tuple[str, int, int]] = []
        if source.suffix == ".properties":
            settings = list(self._properties(source, profile, service))
            calls = [(s.value, s.start, s.end) for s in settings if s.value and not s.commented]
        else:
            settings = list(self._yaml(source, result, profile, service))
            for doc in yaml_docs_or_warn(source, AnalyzerResult(), self.name):
                calls.extend(_scalars(doc.data))
        facts: list[FactBase] = []
        for setting in settings:
            facts.extend(
                parameters(source, setting, "Spring property" if _spring(source) else "property")
            )
        facts.extend(_runtime_facts(source, settings))
        facts.extend(_load_balanced(source, calls, service))
        result.facts.extend(unique(facts))
        result.owners.update(_module_owner(source, settings))
        return result

    def _properties(
        self, source: SourceFile, profile: str | None, service: str | None
    ) -> Iterator[Setting]:
        comments: list[str] = []
        live = {i.key for i in properties_lines(source.lines) if isinstance(i, Entry)}
        for item in properties_lines(source.lines):
            if isinstance(item, Comment):
                commented = _commented_default(item, live)
                if commented is None:
                    comments = [*comments, item.text] if item.text else []
                    continue
                yield Setting(
                    name=commented[0],
                    value=commented[1],
                    start=item.line,
                    end=item.line,
                    description=" ".join(c for c in comments if c),
                    commented=True,
                    profile=profile,
                    service=service,
                )
                live.add(commented[0])
                comments = []
                continue
            if not item.key:
                comments = []
                continue
            yield Setting(
                name=item.key,
                value=item.value,
                start=item.start,
                end=item.end,
                description=" ".join(c for c in comments if c),
                profile=profile,
                service=service,
            )
            comments = []

    def _yaml(
        self,
        source: SourceFile,
        result: AnalyzerResult,
        profile: str | None,
        service: str | None,
    ) -> Iterator[Setting]:
        for doc in yaml_docs_or_warn(source, result, self.name):
            if not isinstance(doc.data, YamlMap):
                continue
            doc_profile = _document_profile(doc.data) or profile
            for name, value, start, end in _flatten(doc.data, ""):
                if name in _SELECTORS:
                    continue  # says which profile the document is for, not a setting
                yield Setting(
                    name=name,
                    value=value,
                    start=start,
                    end=end,
                    description=comment_above(source.lines, start - 1),
                    profile=doc_profile,
                    service=service,
                )


def _module_owner(source: SourceFile, settings: list[Setting]) -> dict[str, str]:
    """A module of a multi-module build (`orders/src/main/resources/application.yml`) is the
    service its `spring.application.name` names: the module folder is owned by it, so its code
    facts join its config facts. A repository-root module is left to the deployment files."""
    marker = "/src/main/resources/"
    if marker not in f"/{source.path}" or not _SPRING_NAME.match(source.name):
        return {}
    module = f"/{source.path}".split(marker, 1)[0].strip("/")
    names = [
        s.value.strip()
        for s in settings
        if s.name == "spring.application.name" and s.profile is None and s.value and not s.commented
    ]
    if not module or not names or not re.fullmatch(r"[\w.-]+", names[0]):
        return {}
    return {module: names[0].lower()}


def _spring(source: SourceFile) -> bool:
    return bool(_SPRING_NAME.match(source.name)) or "src/main/resources/" in source.path


def _file_profile(source: SourceFile) -> tuple[str | None, str | None]:
    """(profile, service) from the file name: `application-prod.yml` → ("prod", None); a config
    server's `shared/account-service.yml` configures the application it is named after."""
    match = _SPRING_NAME.match(source.name)
    if match:
        # `overlays/prod/application.properties` (kustomize) layers over the base like a profile.
        return match.group(2) or overlay_of(source.path), None
    inside = f"/{source.path}".split("/src/main/resources/", 1)
    if source.suffix == ".properties" or len(inside) < 2 or "/" not in inside[1]:
        return None, None
    # Spring Cloud Config native files (`resources/shared/orders.yml`) are named after the
    # application they configure; a file right in resources/ is imported by the app itself.
    return None, PurePosixPath(source.name).stem.lower()


def _document_profile(data: YamlMap) -> str | None:
    """`spring.config.activate.on-profile` (Boot 2.4+) or the older `spring.profiles`."""
    for path in (("spring", "config", "activate", "on-profile"), ("spring", "profiles")):
        node: Any = data
        for part in path:
            node = _get(node, part)
        if isinstance(node, (str, int)) and str(node).strip():
            return str(node).strip()
        flat = data.get(".".join(path)) if isinstance(data, dict) else None
        if isinstance(flat, str) and flat.strip():
            return flat.strip()
    return None


def _get(node: Any, key: str) -> Any:
    return node.get(key) if isinstance(node, dict) else None


def _flatten(node: YamlMap, prefix: str) -> Iterator[tuple[str, str | None, int, int]]:
    """(dotted name, value as written, first line, last line) for every leaf of a mapping."""
    for key, value in node.items():
        span = node.line_of(key)
        name = f"{prefix}{key}"
        if isinstance(value, YamlMap):
            if value:
                yield from _flatten(value, f"{name}.")
            else:
                yield name, None, span.start, span.end
        elif isinstance(value, YamlList):
            if all(not isinstance(v, (dict, list)) for v in value):
                joined = ",".join(scalar_text(v) or "" for v in value)
                yield name, joined or None, span.start, span.end
            else:
                # A list of objects (gateway routes, filters) is one setting, edited as a whole.
                yield name, None, span.start, span.end
        else:
            yield name, scalar_text(value), span.start, span.end


def _scalars(node: Any) -> Iterator[tuple[str, int, int]]:
    """Every string scalar of a YAML tree with its lines (list items and nested maps too)."""
    if isinstance(node, YamlMap):
        for key, value in node.items():
            if isinstance(value, str):
                span = node.line_of(key)
                yield value, span.start, span.end
            else:
                yield from _scalars(value)
    elif isinstance(node, YamlList):
        for index, value in enumerate(node):
            if isinstance(value, str):
                span = node.line_of(index)
                yield value, span.start, span.end
            else:
                yield from _scalars(value)


def _load_balanced(
    source: SourceFile, values: list[tuple[str, int, int]], service: str | None
) -> list[FactBase]:
    """`uri: lb://customers-service`: a runtime dependency on the service it names."""
    facts: list[FactBase] = []
    for value, start, end in values:
        match = _LOAD_BALANCED.match(value.strip())
        if match is None:
            continue
        target = match.group(1).lower()
        facts.append(
            Dependency(
                service=service,
                summary=f"calls {target} through the load balancer ({value.strip()})",
                citations=[source.cite(start, end)],
                target=target,
                dependency_type="runtime",
            )
        )
    return facts


def _runtime_facts(source: SourceFile, settings: list[Setting]) -> list[FactBase]:
    """Ports (`server.port`) and Actuator health endpoints the settings switch on."""
    facts: list[FactBase] = []
    by_name: dict[str, Setting] = {}
    for setting in settings:
        if setting.profile is None:
            by_name.setdefault(setting.name, setting)
        if setting.name in _PORT_KEYS:
            port = port_number(effective(setting.value))
            if port is not None:
                why = setting.name + (f" in profile {setting.profile}" if setting.profile else "")
                facts.append(
                    port_fact(source, port, setting.start, setting.end, why, setting.service)
                )
    facts.extend(_actuator(source, settings, by_name))
    return facts


def _actuator(
    source: SourceFile, settings: list[Setting], by_name: dict[str, Setting]
) -> list[FactBase]:
    """`management.endpoints.web.exposure.include=health` (or `*`) → /actuator/health;
    `management.endpoint.health.probes.enabled=true` → its liveness and readiness groups."""
    exposure = [
        s
        for s in settings
        if s.name in ("management.endpoints.web.exposure.include",)
        and re.search(r"(^|[,\s\[])(health|\*)($|[,\s\]])", effective(s.value) or "")
    ]
    probes = [
        s
        for s in settings
        if s.name
        in ("management.endpoint.health.probes.enabled", "management.health.probes.enabled")
        and (effective(s.value) or "").strip().lower() == "true"
    ]
    if not exposure and not probes:
        return []
    base = (
        effective(by_name["management.endpoints.web.base-path"].value)
        if ("management.endpoints.web.base-path" in by_name)
        else None
    )
    base = "/" + (base or "/actuator").strip().strip("/")
    mapped = by_name.get("management.endpoints.web.path-mapping.health")
    health = f"{base.rstrip('/')}/{(effective(mapped.value) if mapped else None) or 'health'}"
    port_setting = by_name.get("management.server.port") or by_name.get("server.port")
    port = port_number(effective(port_setting.value)) if port_setting else None
    facts: list[FactBase] = []
    for setting in exposure:
        facts.append(
            health_fact(
                source,
                health,
                setting.start,
                setting.end,
                setting.name,
                port=port,
                mechanism="code-endpoint",
                service=setting.service,
            )
        )
    for setting in probes:
        for group in ("liveness", "readiness"):
            facts.append(
                health_fact(
                    source,
                    f"{health}/{group}",
                    setting.start,
                    setting.end,
                    setting.name,
                    port=port,
                    mechanism="code-endpoint",
                    service=setting.service,
                )
            )
    return facts


register(PropertiesAnalyzer())
