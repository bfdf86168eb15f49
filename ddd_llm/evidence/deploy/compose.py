"""docker-compose analyzer: services, dependencies, health checks, ports, volumes, limits, env."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any, cast

import yaml

from ddd_llm.evidence.base import (
    SERVICE_REF_SUFFIX,
    AnalyzerResult,
    SourceFile,
    duration_seconds,
    infer_value_type,
    looks_secret,
    register,
    scalar_text,
    yaml_docs_or_warn,
)
from ddd_llm.evidence.deploy._command import Word, flag_facts, words_of
from ddd_llm.evidence.deploy._interpolate import (
    Interpolated,
    interpolate,
    is_number,
    reference_params,
)
from ddd_llm.evidence.deploy._reach import url_endpoints
from ddd_llm.evidence.yamlpos import Span, YamlList, YamlMap
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    DependencyType,
    FactBase,
    HealthCheck,
    Resource,
    ResourceRequirement,
    Service,
    ValueType,
)

_COMPOSE_NAME = re.compile(r"(?i)^(?:docker-)?compose[^/]*\.ya?ml$")
_TOP_SERVICES = re.compile(r"(?m)^services[ \t]*:")
_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=?+])([^}]*))?\}")
_HOST_PORT = re.compile(r"^\[?([A-Za-z0-9_][A-Za-z0-9_.-]*)\]?(?::\d+)?(?:/.*)?$")
_HOSTISH_NAME = re.compile(
    r"(?i)(^|_)(HOSTS?|HOSTNAME|ADDR|ADDRESS|SERVERS?|BROKERS?|ENDPOINTS?|URLS?|URI|DSN|NODES)$"
)
_LIST_ITEM = re.compile(r"^\s*-\s+(.*)$")
_MAP_VALUE = re.compile(r"^\s*(?:-\s+)?[^\s#][^#]*?:\s+(.*)$")
_DEP_RANK = {"start_order": 0, "runtime": 1, "optional": 2}


_DEV_FOLDERS = frozenset({".devcontainer"})
"""Folders of development environments (VS Code / GitHub Codespaces dev containers)."""


class _Facts:
    """Facts of one file, one per id: a repeated id adds its citations to the first fact."""

    def __init__(self) -> None:
        self.by_id: dict[str, FactBase] = {}

    def add(self, fact: FactBase) -> None:
        existing = self.by_id.get(fact.id)
        if existing is None:
            self.by_id[fact.id] = fact
            return
        if (
            isinstance(existing, Dependency)
            and isinstance(fact, Dependency)
            and _DEP_RANK[fact.dependency_type] < _DEP_RANK[existing.dependency_type]
        ):
            fact.citations = _merge_citations(fact.citations, existing.citations)
            self.by_id[fact.id] = fact
            return
        existing.citations = _merge_citations(existing.citations, fact.citations)

    def __iter__(self) -> Iterator[FactBase]:
        return iter(self.by_id.values())


def _merge_citations(first: list[Citation], second: list[Citation]) -> list[Citation]:
    out = list(first)
    for citation in second:
        if citation not in out:
            out.append(citation)
    return out


class _File:
    """Line-exact helpers over one compose file."""

    def __init__(self, source: SourceFile, result: AnalyzerResult, analyzer: str) -> None:
        self.source = source
        self.result = result
        self.analyzer = analyzer

    def warn(self, message: str, line: int | None) -> None:
        self.result.warn(self.source, message, line, self.analyzer)

    def _indent(self, line_no: int) -> tuple[int, str]:
        text = self.source.lines[line_no - 1]
        content = text.lstrip()
        return len(text) - len(content), content

    def key_cite(self, mapping: YamlMap, key: Any) -> Citation:
        span = mapping.line_of(key)
        return self.source.cite(span.start, span.end)

    def item_cite(self, seq: YamlList, index: int) -> Citation:
        span = seq.line_of(index)
        return self.source.cite(span.start, span.end)

    def raw(self, span: Span, pattern: re.Pattern[str], value: object) -> str | None:
        """The scalar as typed on its line, when it reads back as the parsed value.

        YAML 1.1 turns `22:22` into the base-60 integer 1342 and `0.50` into 0.5;
        the operator wrote neither.
        """
        if span.start != span.end or not 1 <= span.start <= len(self.source.lines):
            return None
        match = pattern.match(self.source.lines[span.start - 1])
        if not match:
            return None
        text = re.sub(r"\s+#.*$", "", match.group(1)).strip()
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError:
            return None
        if type(parsed) is not type(value) or parsed != value:
            return None
        return text

    def item_text(self, seq: YamlList, index: int) -> str:
        value = seq[index]
        if isinstance(value, (int, float, bool)):
            raw = self.raw(seq.line_of(index), _LIST_ITEM, value)
            if raw is not None:
                return raw
        return scalar_text(value) or ""

    def value_text(self, mapping: YamlMap, key: Any) -> str | None:
        value = mapping.get(key)
        if isinstance(value, (int, float, bool)):
            raw = self.raw(mapping.line_of(key), _MAP_VALUE, value)
            if raw is not None:
                return raw
        return scalar_text(value)


def _resolve_defaults(text: str) -> str:
    """`${VAR:-db}` → `db`; a bare `${VAR}` names nothing we can know."""

    def repl(match: re.Match[str]) -> str:
        if match.group(2) in (":-", "-", ":=", "="):
            return match.group(3) or ""
        return ""

    return _INTERPOLATION.sub(repl, text)


def _interpolation_type(value: str) -> tuple[str, bool]:
    """The value type of `${VAR:-default}` from its default, and whether `${VAR:?}` requires it."""
    match = _INTERPOLATION.fullmatch(value.strip())
    if not match:
        return infer_value_type(value), False
    operator, default = match.group(2), match.group(3)
    if operator in (":?", "?"):
        return "string", True
    if operator in (":-", "-", ":=", "=") and default:
        return infer_value_type(default), False
    return "string", False


def _hosts(name: str, value: str) -> list[str]:
    """Hosts an env value points at: URLs, `host:port`, or a bare host for *_HOST-like names."""
    hosts: list[str] = []
    for part in re.split(r"[,;\s]+", _resolve_defaults(value)):
        if not part:
            continue
        if "://" in part:
            hosts.extend(endpoint.host for endpoint in url_endpoints(part))
            continue
        match = _HOST_PORT.match(part)
        if not match:
            continue
        if (
            ":" in part
            or "/" in part
            or SERVICE_REF_SUFFIX.search(name)
            or _HOSTISH_NAME.search(name)
        ):
            hosts.append(match.group(1).lower())
    return hosts


def _is_compose(data: YamlMap) -> bool:
    """A `services` mapping plus something only a compose file has."""
    services = data.get("services")
    if not isinstance(services, YamlMap):
        return False
    if isinstance(data.get("version"), (str, int, float)) and not isinstance(
        data.get("version"), bool
    ):
        return True
    if isinstance(data.get("volumes"), YamlMap) or isinstance(data.get("networks"), YamlMap):
        return True
    for spec in services.values():
        if isinstance(spec, YamlMap) and (
            isinstance(spec.get("image"), str) or isinstance(spec.get("build"), (str, YamlMap))
        ):
            return True
    return False


def _legacy_services(data: YamlMap) -> bool:
    """Compose file format v1: services at the top level, no `services` or `version` key."""
    if "services" in data or "version" in data:
        return False
    return any(
        isinstance(spec, YamlMap) and ("image" in spec or "build" in spec) for spec in data.values()
    )


def _seconds_text(value: int | float) -> str:
    return f"{value}s"


def _variables(
    facts: _Facts, value: Interpolated, service: str, citation: Citation, role: str
) -> None:
    for param in reference_params(value, service, citation, role):
        facts.add(param)


class ComposeAnalyzer:
    """Reads docker-compose / Compose Spec files, one Service per service key."""

    name = "compose"

    def accepts(self, source: SourceFile) -> bool:
        if _COMPOSE_NAME.match(source.name):
            return True
        return source.is_yaml and bool(_TOP_SERVICES.search(source.text))

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        by_name = bool(_COMPOSE_NAME.match(source.name))
        # A YAML file picked by content alone stays silent unless it proves to be compose.
        parse = AnalyzerResult()
        try:
            docs = yaml_docs_or_warn(source, parse if not by_name else result, self.name)
        except yaml.YAMLError as exc:
            # The YAML reader rejects control characters before parsing starts.
            if by_name:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                result.warn(source, f"not a YAML text: {reason}"[:200], None, self.name)
            return result
        facts = _Facts()
        found = False
        for doc in docs:
            data = doc.data
            if not isinstance(data, YamlMap):
                continue
            if _is_compose(data) or (by_name and isinstance(data.get("services"), YamlMap)):
                found = True
                self._services(source, result, facts, data["services"])
            elif by_name and _legacy_services(data):
                found = True
                legacy = YamlMap({k: v for k, v in data.items() if isinstance(v, YamlMap)})
                legacy.span = data.span
                legacy.key_span = data.key_span
                self._services(source, result, facts, legacy)
            elif by_name and "services" in data:
                found = True
                result.warn(
                    source,
                    "compose `services` is not a mapping of service names",
                    data.line_of("services").start,
                    self.name,
                )
        if by_name and not found and not result.warnings:
            if any(isinstance(doc.data, YamlMap) for doc in docs):
                message = "compose file has no `services` mapping"
            elif docs and any(doc.data is not None for doc in docs):
                message = "compose file is not a YAML mapping"
            else:
                message = "compose file is empty"
            result.warn(source, message, None, self.name)
        if found and not by_name:
            result.warnings.extend(parse.warnings)
        result.facts.extend(facts)
        return result

    def _services(
        self, source: SourceFile, result: AnalyzerResult, facts: _Facts, services: YamlMap
    ) -> None:
        f = _File(source, result, self.name)
        names = [str(key).lower() for key in services if not str(key).startswith("x-")]
        aliases = self._aliases(services)
        for key, spec in services.items():
            name = str(key).lower()
            if name.startswith("x-"):
                continue
            if not isinstance(spec, YamlMap):
                f.warn(f"compose service {key!r} is not a mapping", services.line_of(key).start)
                continue
            result.services.append(
                Service(name=name, kind="compose-service", citations=[f.key_cite(services, key)])
            )
            self._owners(source, result, spec, name)
            self._dependencies(f, facts, spec, name)
            self._healthcheck(f, facts, spec, name)
            self._ports(f, facts, spec, name)
            self._volumes(f, facts, spec, name)
            self._resources(f, facts, spec, name)
            self._permissions(f, facts, spec, name)
            self._environment(f, facts, spec, name, aliases, names)
            self._command(f, facts, spec, name)
            self._image(f, facts, spec, name)

    @staticmethod
    def _aliases(services: YamlMap) -> dict[str, str]:
        """Every host name that reaches a service: its key, container_name, hostname, aliases."""
        aliases: dict[str, str] = {}
        for key, spec in services.items():
            name = str(key).lower()
            aliases[name] = name
            if not isinstance(spec, YamlMap):
                continue
            for field in ("container_name", "hostname"):
                if isinstance(spec.get(field), str):
                    aliases.setdefault(spec[field].lower(), name)
            networks = spec.get("networks")
            if isinstance(networks, YamlMap):
                for net in networks.values():
                    if isinstance(net, YamlMap) and isinstance(net.get("aliases"), list):
                        for alias in net["aliases"]:
                            if isinstance(alias, str):
                                aliases.setdefault(alias.lower(), name)
        return aliases

    @staticmethod
    def _owners(source: SourceFile, result: AnalyzerResult, spec: YamlMap, name: str) -> None:
        build = spec.get("build")
        if isinstance(build, str):
            context, dockerfile = build, None
        elif isinstance(build, YamlMap):
            context = build.get("context", ".")
            dockerfile = build.get("dockerfile")
            if not isinstance(context, str):
                return
        else:
            return
        base = posixpath.dirname(source.path)

        def repo_dir(path: str) -> str | None:
            path = _resolve_defaults(path).strip()
            if not path or "://" in path or path.startswith(("git@", "/", "~", "$")):
                return None
            joined = posixpath.normpath(posixpath.join(base, path))
            if joined == ".":
                return ""
            if joined.startswith("../") or joined == "..":
                return None
            return joined

        context_dir = repo_dir(context)
        if context_dir is None:
            return
        # A development container (`.devcontainer/`) builds from the whole repository to edit
        # it, not to run it: it owns only its own folder, never the code it mounts.
        parts = source.path.split("/")[:-1]
        dev = next(
            ("/".join(parts[: i + 1]) for i, p in enumerate(parts) if p in _DEV_FOLDERS), None
        )
        if dev is not None and not (context_dir + "/").startswith(dev + "/"):
            context_dir = None
        # Two services built from one context: the first keeps it, so the result is stable.
        if context_dir is not None:
            result.owners.setdefault(context_dir, name)
        if isinstance(dockerfile, str) and "/" in dockerfile.strip("./"):
            dockerfile_dir = repo_dir(posixpath.join(context, posixpath.dirname(dockerfile)))
            if dockerfile_dir is not None and dockerfile_dir != context_dir:
                result.owners.setdefault(dockerfile_dir, name)

    def _dependencies(self, f: _File, facts: _Facts, spec: YamlMap, name: str) -> None:
        depends = spec.get("depends_on")
        if isinstance(depends, str):
            depends = YamlList([depends])
            depends.span = spec.line_of("depends_on")
            depends.item_span = [depends.span]
        if isinstance(depends, YamlList):
            for index, target in enumerate(depends):
                if not isinstance(target, str):
                    f.warn("depends_on entry is not a service name", depends.line_of(index).start)
                    continue
                facts.add(
                    Dependency(
                        service=name,
                        target=target.lower(),
                        dependency_type="start_order",
                        summary=f"{name} starts after {target}",
                        citations=[f.item_cite(depends, index)],
                    )
                )
        elif isinstance(depends, YamlMap):
            for target, options in depends.items():
                condition: str | None = None
                dep_type: DependencyType = "start_order"
                if isinstance(options, YamlMap):
                    condition = scalar_text(options.get("condition"))
                    if options.get("required") is False:
                        dep_type = "optional"
                elif options is not None:
                    f.warn(
                        f"depends_on {target!r} options are not a mapping",
                        depends.line_of(target).start,
                    )
                summary = f"{name} starts after {target}"
                if condition:
                    summary += f" is {condition.removeprefix('service_').replace('_', ' ')}"
                if dep_type == "optional":
                    summary += " (optional)"
                facts.add(
                    Dependency(
                        service=name,
                        target=str(target).lower(),
                        dependency_type=dep_type,
                        condition=condition,
                        summary=summary,
                        citations=[f.key_cite(depends, target)],
                    )
                )
        elif depends is not None:
            f.warn("depends_on is neither a list nor a mapping", spec.line_of("depends_on").start)

        links = spec.get("links")
        if isinstance(links, YamlList):
            for index, link in enumerate(links):
                if isinstance(link, str) and link.strip():
                    target = link.split(":", 1)[0].strip().lower()
                    facts.add(
                        Dependency(
                            service=name,
                            target=target,
                            dependency_type="start_order",
                            summary=f"{name} links to {target} and starts after it",
                            citations=[f.item_cite(links, index)],
                        )
                    )
        volumes_from = spec.get("volumes_from")
        if isinstance(volumes_from, YamlList):
            for index, item in enumerate(volumes_from):
                if isinstance(item, str) and not item.startswith("container:"):
                    target = item.split(":", 1)[0].strip().lower()
                    facts.add(
                        Dependency(
                            service=name,
                            target=target,
                            dependency_type="start_order",
                            summary=f"{name} mounts the volumes of {target} and starts after it",
                            citations=[f.item_cite(volumes_from, index)],
                        )
                    )
        network_mode = spec.get("network_mode")
        if isinstance(network_mode, str) and network_mode.startswith("service:"):
            target = network_mode.split(":", 1)[1].strip().lower()
            if target:
                facts.add(
                    Dependency(
                        service=name,
                        target=target,
                        dependency_type="start_order",
                        summary=f"{name} shares the network of {target} and starts after it",
                        citations=[f.key_cite(spec, "network_mode")],
                    )
                )

    def _healthcheck(self, f: _File, facts: _Facts, spec: YamlMap, name: str) -> None:
        if "healthcheck" not in spec:
            return
        check = spec["healthcheck"]
        line = spec.line_of("healthcheck").start
        if not isinstance(check, YamlMap):
            f.warn(f"{name} healthcheck is not a mapping", line)
            return
        if check.get("disable") is True:
            return
        test = check.get("test")
        command: str | None
        if test is None:
            # Only timings: the image's own HEALTHCHECK command stays in force.
            return
        if isinstance(test, YamlList):
            words = [str(word) for word in test if word is not None]
            if not words or words[0].upper() == "NONE":
                return
            if words[0].upper() in ("CMD", "CMD-SHELL"):
                words = words[1:]
            command = " ".join(words)
        elif isinstance(test, str):
            command = test
        else:
            f.warn(f"{name} healthcheck test is neither a list nor a string", line)
            return
        command = " ".join(part.strip() for part in command.splitlines() if part.strip())
        if not command:
            f.warn(f"{name} healthcheck has an empty test", line)
            return

        def seconds(key: str) -> int | float | None:
            value = check.get(key)
            if value is None:
                return None
            written = interpolate(str(value))
            _variables(facts, written, name, f.key_cite(check, key), f"healthcheck {key}")
            if written.references and not written.resolved:
                return None
            text = written.text
            parsed = duration_seconds(text) if isinstance(value, str) else None
            if parsed is None:
                f.warn(
                    f"{name} healthcheck {key} {text!r} is not a duration like 30s or 1m30s",
                    check.line_of(key).start,
                )
            return parsed

        interval = seconds("interval")
        timeout = seconds("timeout")
        start_period = seconds("start_period")
        retries_raw = check.get("retries")
        retries: int | None = None
        if isinstance(retries_raw, int) and not isinstance(retries_raw, bool):
            retries = retries_raw
        elif isinstance(retries_raw, str):
            written = interpolate(retries_raw.strip())
            cite = f.key_cite(check, "retries")
            _variables(facts, written, name, cite, "healthcheck retries")
            if is_number(written.text):
                retries = int(written.text)
            elif not written.references:
                shown = retries_raw if len(retries_raw) <= 40 else retries_raw[:37] + "..."
                f.warn(f"{name} healthcheck retries {shown!r} is not a number", cite.start_line)
        elif retries_raw is not None:
            f.warn(
                f"{name} healthcheck retries {retries_raw!r} is not a number",
                check.line_of("retries").start,
            )

        summary = f"{name} compose healthcheck runs `{command}`"
        if interval is not None:
            summary += f" every {_seconds_text(interval)}"
        details = []
        if timeout is not None:
            details.append(f"timeout {_seconds_text(timeout)}")
        if retries is not None:
            details.append(f"{retries} retries")
        if start_period is not None:
            details.append(f"start period {_seconds_text(start_period)}")
        if details:
            summary += f" ({', '.join(details)})"
        facts.add(
            HealthCheck(
                service=name,
                check_type="exec",
                target=command,
                interval_s=interval,
                timeout_s=timeout,
                failure_threshold=retries,
                mechanism="compose-healthcheck",
                summary=summary,
                citations=[f.key_cite(spec, "healthcheck")],
            )
        )

    def _ports(self, f: _File, facts: _Facts, spec: YamlMap, name: str) -> None:
        for field, verb in (("ports", "publishes"), ("expose", "exposes")):
            ports = spec.get(field)
            if ports is None:
                continue
            if isinstance(ports, (str, int)):
                ports = YamlList([ports])
                ports.span = spec.line_of(field)
                ports.item_span = [ports.span]
            if not isinstance(ports, YamlList):
                f.warn(f"{name} {field} is not a list", spec.line_of(field).start)
                continue
            for index, item in enumerate(ports):
                value: str | None
                if isinstance(item, YamlMap):
                    target = scalar_text(item.get("target"))
                    if target is None:
                        f.warn(f"{name} {field} entry has no target", ports.line_of(index).start)
                        continue
                    published = scalar_text(item.get("published"))
                    value = f"{published}:{target}" if published else target
                    protocol = scalar_text(item.get("protocol"))
                    if protocol and protocol.lower() != "tcp":
                        value += f"/{protocol}"
                elif isinstance(item, (str, int)) and not isinstance(item, bool):
                    value = f.item_text(ports, index).strip()
                else:
                    f.warn(f"{name} {field} entry is not a port", ports.line_of(index).start)
                    continue
                if not value:
                    continue
                cite = f.item_cite(ports, index)
                written = interpolate(value)
                _variables(facts, written, name, cite, f"{field} entry")
                suffix = " to other services" if field == "expose" else ""
                facts.add(
                    ResourceRequirement(
                        service=name,
                        resource="port",
                        value=written.shown,
                        summary=f"{name} {verb} port {written.shown}{suffix}{written.note()}",
                        citations=[cite],
                    )
                )

    def _volumes(self, f: _File, facts: _Facts, spec: YamlMap, name: str) -> None:
        volumes = spec.get("volumes")
        if volumes is None:
            return
        if not isinstance(volumes, YamlList):
            f.warn(f"{name} volumes is not a list", spec.line_of("volumes").start)
            return
        for index, item in enumerate(volumes):
            if isinstance(item, str):
                value = item.strip()
            elif isinstance(item, YamlMap):
                target = scalar_text(item.get("target"))
                if not target:
                    f.warn(f"{name} volume entry has no target", volumes.line_of(index).start)
                    continue
                source_path = scalar_text(item.get("source"))
                value = f"{source_path}:{target}" if source_path else target
                if item.get("read_only") is True:
                    value += ":ro"
            else:
                f.warn(f"{name} volume entry is not a volume", volumes.line_of(index).start)
                continue
            if value:
                facts.add(
                    ResourceRequirement(
                        service=name,
                        resource="volume",
                        value=value,
                        summary=f"{name} mounts {value}",
                        citations=[f.item_cite(volumes, index)],
                    )
                )

    def _resources(self, f: _File, facts: _Facts, spec: YamlMap, name: str) -> None:
        found: dict[Resource, dict[str, tuple[str, Citation]]] = {"cpu": {}, "memory": {}}
        deploy = spec.get("deploy")
        resources = deploy.get("resources") if isinstance(deploy, YamlMap) else None
        if isinstance(resources, YamlMap):
            for section, slot in (("limits", "limit"), ("reservations", "request")):
                block = resources.get(section)
                if block is None:
                    continue
                if not isinstance(block, YamlMap):
                    f.warn(
                        f"{name} deploy.resources.{section} is not a mapping",
                        resources.line_of(section).start,
                    )
                    continue
                keys: tuple[tuple[str, Resource], ...] = (("cpus", "cpu"), ("memory", "memory"))
                for key, resource in keys:
                    text = f.value_text(block, key)
                    if text is not None:
                        cite = f.key_cite(block, key)
                        found[resource][slot] = (self._read(facts, text, name, cite, key), cite)
                if section == "reservations":
                    self._gpu(f, facts, block, name)
        legacy: tuple[tuple[str, Resource, str], ...] = (
            ("mem_limit", "memory", "limit"),
            ("mem_reservation", "memory", "request"),
            ("cpus", "cpu", "limit"),
        )
        for key, resource, slot in legacy:
            text = f.value_text(spec, key)
            if text is not None and slot not in found[resource]:
                cite = f.key_cite(spec, key)
                found[resource][slot] = (self._read(facts, text, name, cite, key), cite)
        for resource, slots in found.items():
            if not slots:
                continue
            limit = slots["limit"][0] if "limit" in slots else None
            request = slots["request"][0] if "request" in slots else None
            parts = []
            if limit is not None:
                parts.append(f"limit {limit}")
            if request is not None:
                parts.append(f"reservation {request}")
            facts.add(
                ResourceRequirement(
                    service=name,
                    resource=resource,
                    limit=limit,
                    request=request,
                    summary=f"{name} {resource} {', '.join(parts)}",
                    citations=[cite for _, cite in slots.values()],
                )
            )
        ulimits = spec.get("ulimits")
        nofile = ulimits.get("nofile") if isinstance(ulimits, YamlMap) else None
        if nofile is not None and isinstance(ulimits, YamlMap):
            soft: str | None
            hard: str | None
            if isinstance(nofile, YamlMap):
                soft, hard = scalar_text(nofile.get("soft")), scalar_text(nofile.get("hard"))
            else:
                soft, hard = None, scalar_text(nofile)
            facts.add(
                ResourceRequirement(
                    service=name,
                    resource="file_descriptors",
                    request=soft,
                    limit=hard,
                    summary=f"{name} open file limit {hard or soft}",
                    citations=[f.key_cite(ulimits, "nofile")],
                )
            )

    def _image(self, f: _File, facts: _Facts, spec: YamlMap, name: str) -> None:
        """`image: ${DOCKER_REGISTRY-}web`: the variables the image reference reads."""
        image = spec.get("image")
        if isinstance(image, str) and "$" in image:
            self._read(facts, image, name, f.key_cite(spec, "image"), "image")

    @staticmethod
    def _read(facts: _Facts, text: str, name: str, cite: Citation, key: str) -> str:
        """A value as it runs: `${CPUS:-0.5}` → `0.5` (the variable becomes a parameter)."""
        written = interpolate(text)
        _variables(facts, written, name, cite, key)
        return written.shown

    @staticmethod
    def _gpu(f: _File, facts: _Facts, reservations: YamlMap, name: str) -> None:
        devices = reservations.get("devices")
        if not isinstance(devices, YamlList):
            return
        for index, device in enumerate(devices):
            if not isinstance(device, YamlMap):
                continue
            capabilities = device.get("capabilities")
            if not (isinstance(capabilities, list) and "gpu" in capabilities):
                continue
            count = scalar_text(device.get("count"))
            ids = device.get("device_ids")
            if count is None and isinstance(ids, list):
                count = ",".join(str(i) for i in ids)
            facts.add(
                ResourceRequirement(
                    service=name,
                    resource="gpu",
                    request=count,
                    summary=f"{name} reserves GPU {count or 'devices'}",
                    citations=[f.item_cite(devices, index)],
                )
            )

    @staticmethod
    def _permissions(f: _File, facts: _Facts, spec: YamlMap, name: str) -> None:
        user = f.value_text(spec, "user")
        if user:
            facts.add(
                ResourceRequirement(
                    service=name,
                    resource="permission",
                    value=f"user:{user}",
                    summary=f"{name} runs as user {user}",
                    citations=[f.key_cite(spec, "user")],
                )
            )
        if spec.get("privileged") is True:
            facts.add(
                ResourceRequirement(
                    service=name,
                    resource="permission",
                    value="privileged",
                    summary=f"{name} runs privileged",
                    citations=[f.key_cite(spec, "privileged")],
                )
            )

    @staticmethod
    def _command(f: _File, facts: _Facts, spec: YamlMap, name: str) -> None:
        """Flags of `entrypoint:` + `command:` (a string or a list), as the container runs them."""
        words: list[Word] = []
        for key in ("entrypoint", "command"):
            value = spec.get(key)
            if value is None:
                continue
            whole = f.key_cite(spec, key)

            def cite(index: int | None, value: Any = value, whole: Citation = whole) -> Citation:
                if index is None or not isinstance(value, YamlList):
                    return whole
                return f.item_cite(value, index)

            found = words_of(value, cite)
            if found is None:
                f.warn(
                    f"{name} {key} is neither a command string nor a list of words "
                    "(or has unbalanced quotes)",
                    whole.start_line,
                )
                continue
            words.extend(found)
        if not words:
            return
        for fact in flag_facts(words, name, f.source.path):
            facts.add(fact)

    def _environment(
        self,
        f: _File,
        facts: _Facts,
        spec: YamlMap,
        name: str,
        aliases: dict[str, str],
        names: list[str],
    ) -> None:
        env = spec.get("environment")
        entries: list[tuple[str, str | None, Citation]] = []
        if isinstance(env, YamlList):
            for index, item in enumerate(env):
                if not isinstance(item, str):
                    f.warn(f"{name} environment entry is not KEY=value", env.line_of(index).start)
                    continue
                key, sep, written = item.partition("=")
                key = key.strip()
                if not key:
                    f.warn(f"{name} environment entry has no name", env.line_of(index).start)
                    continue
                entries.append((key, written if sep else None, f.item_cite(env, index)))
        elif isinstance(env, YamlMap):
            for key, raw_value in env.items():
                if isinstance(raw_value, (YamlMap, YamlList)):
                    f.warn(f"{name} environment {key!r} is not a scalar", env.line_of(key).start)
                    continue
                entries.append((str(key), f.value_text(env, key), f.key_cite(env, key)))
        elif env is not None:
            f.warn(
                f"{name} environment is neither a list nor a mapping",
                spec.line_of("environment").start,
            )

        for key, value, citation in entries:
            secret = looks_secret(key, value)
            value_type, required = (
                _interpolation_type(value) if value is not None else ("string", False)
            )
            if secret:
                shown = " (secret, value withheld)"
            elif value is None:
                shown = " (passed through from the host environment)"
            else:
                shown = f"={value}"
            facts.add(
                ConfigParameter(
                    service=name,
                    name=key,
                    value_type=cast(ValueType, value_type),
                    default=value,
                    required=required,
                    secret=secret,
                    summary=f"{name} sets environment variable {key}{shown}",
                    citations=[citation],
                )
            )
            if value is None:
                continue
            for host in _hosts(key, value):
                target = aliases.get(host)
                if target is None or target == name or target not in names:
                    continue
                facts.add(
                    Dependency(
                        service=name,
                        target=target,
                        dependency_type="runtime",
                        summary=f"{name} uses {target} at run time ({key})",
                        citations=[citation],
                    )
                )


register(ComposeAnalyzer())
