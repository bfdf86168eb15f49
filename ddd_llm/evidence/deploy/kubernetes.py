"""Kubernetes manifests: workloads, probes, resources, env, init-container waits, Service ports."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ddd_llm.evidence.base import (
    SERVICE_REF_SUFFIX,
    AnalyzerResult,
    SourceFile,
    infer_value_type,
    looks_secret,
    parse_number,
    register,
    scalar_text,
    yaml_docs_or_warn,
)
from ddd_llm.evidence.deploy._command import Word, flag_facts, words_of
from ddd_llm.evidence.deploy._interpolate import interpolate, is_number, reference_params
from ddd_llm.evidence.yamlpos import YamlList, YamlMap, YamlParseError
from ddd_llm.models import (
    CheckType,
    Citation,
    ConfigParameter,
    Dependency,
    DependencyType,
    FactBase,
    HealthCheck,
    Mechanism,
    Number,
    Resource,
    ResourceRequirement,
    Service,
)

HELM_MESSAGE = "Helm template, not rendered; run helm template first"

# Where each workload kind keeps its pod spec.
_POD_SPEC_PATH: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    # Common CRDs that embed a plain pod template (Argo Rollouts, OpenShift).
    "Rollout": ("spec", "template", "spec"),
    "DeploymentConfig": ("spec", "template", "spec"),
}
_KNATIVE_PATH: tuple[str, ...] = ("spec", "template", "spec")

_PROBES: tuple[tuple[str, Mechanism, str], ...] = (
    ("livenessProbe", "k8s-liveness", "liveness"),
    ("readinessProbe", "k8s-readiness", "readiness"),
    ("startupProbe", "k8s-startup", "startup"),
)

# Selector labels that usually carry the workload's name, most specific first.
_NAME_LABELS = ("app", "app.kubernetes.io/name", "k8s-app", "name")
# Suffixes that name a Service flavour rather than a different workload.
_SERVICE_SUFFIXES = {
    "external", "internal", "public", "private", "svc", "service", "headless", "lb",
    "loadbalancer", "nodeport", "clusterip", "metrics", "http", "https", "grpc", "api", "web",
    "ui", "np", "ext", "int",
}  # fmt: skip

# Helm actions (as opposed to `{{ $labels.x }}` in alert rules or Grafana legends).
_HELM_ACTION = re.compile(
    r"\{\{[^}]*\.(?:Values|Release|Chart|Capabilities|Files)\b|"
    r"\{\{-?\s*(?:include|toYaml|tpl|required)\b"
)

_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_HOST_PORT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9.-]*):(\d{1,5})$")
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://([^/\s?#'\"]+)")
_DEV_TCP = re.compile(r"/dev/(?:tcp|udp)/([A-Za-z0-9.-]+)/")
_STATEFUL_POD = re.compile(r"^(.+)-\d+$")
_VAR = re.compile(
    r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|"
    r"\$([A-Za-z_][A-Za-z0-9_]*)"
)
_TOKEN = re.compile(r"[^\s;|&()`'\"]+|[;|&()]")
_KEY_PREFIX = re.compile(r"^(\s*(?:-\s+)*)")
_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")

# Second labels that make `x.y` an internet name rather than `service.namespace`.
_TLDS = {
    "com", "net", "org", "io", "dev", "app", "ai", "co", "cloud", "info", "biz", "me", "us",
    "uk", "de", "fr", "eu", "jp", "cn", "ru", "in", "br", "au", "ca", "nl", "se", "ch", "it",
    "es", "pl", "xyz", "tech", "sh", "gg", "tv", "ly", "to", "site", "online", "edu", "gov",
    "mil", "int", "local", "localdomain", "internal", "example", "test", "invalid", "localhost",
}  # fmt: skip
_NOT_HOSTS = {
    "localhost", "true", "false", "yes", "no", "on", "off", "none", "null", "nil", "default",
    "enabled", "disabled", "auto", "local", "memory", "inmemory", "stdout", "stderr", "file",
    "http", "https", "tcp", "udp", "grpc", "host", "hostname", "unix", "any", "all", "noop",
    "kubernetes",
}  # fmt: skip

_NC = {"nc", "ncat", "netcat", "telnet"}
_NC_VALUED = {"-w", "-i", "-q", "-s", "-p", "-W", "-x", "-X", "-e", "-c", "-I", "-O"}
_LOOKUP = {"nslookup", "host", "dig", "getent", "ping", "ping6"}
_LOOKUP_VALUED = {"-c", "-W", "-w", "-i", "-t", "-p", "-q", "-type", "-timeout", "-retry"}
_CLIENTS = {
    "pg_isready", "psql", "mysqladmin", "mysql", "mariadb-admin", "redis-cli", "mongo",
    "mongosh", "cqlsh", "clickhouse-client", "kafka-topics", "kafka-topics.sh", "rabbitmqctl",
}  # fmt: skip
_WAITERS = {
    "wait-for-it", "wait-for-it.sh", "wait-for", "wait-for.sh", "wait4x", "waitforit",
    "dockerize", "wait-for-port", "wait-on",
}  # fmt: skip
_SEPARATORS = {";", "|", "&", "(", ")", "do", "then", "done", "fi", "&&", "||"}
_DEP_RANK: dict[DependencyType, int] = {"start_order": 0, "runtime": 1, "optional": 2}


# --- YAML positions ---------------------------------------------------------------


def _key_cite(source: SourceFile, mapping: YamlMap, key: str) -> Citation:
    span = mapping.line_of(key)
    return source.cite(span.start, span.end)


def _item_cite(source: SourceFile, seq: YamlList, index: int) -> Citation:
    span = seq.line_of(index)
    return source.cite(span.start, span.end)


def _map_cite(source: SourceFile, mapping: YamlMap) -> Citation:
    start, end = mapping.span.start, mapping.span.end
    while end > start and end <= len(source.lines):
        stripped = source.lines[end - 1].strip()
        if stripped and not stripped.startswith("#") and stripped not in ("---", "..."):
            break
        end -= 1
    return source.cite(start, end)


def _key_line(mapping: YamlMap, key: str) -> int:
    return mapping.line_of(key).start


# --- small value helpers ----------------------------------------------------------


def _num(value: object) -> Number | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip()
        # No sign, no exponent, ASCII digits (`\d` takes `٣`), short enough for int().
        if len(text) <= 30 and re.fullmatch(r"[0-9]+|[0-9]*\.[0-9]+", text):
            return parse_number(text)
    return None


def _int(value: object) -> int | None:
    number = _num(value)
    return number if isinstance(number, int) else None


def _dig(mapping: Any, path: tuple[str, ...]) -> Any:
    """The value at `path` of nested mappings, or None."""
    current = mapping
    for step in path:
        if not isinstance(current, YamlMap) or step not in current:
            return None
        current = current[step]
    return current


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _words(value: object) -> list[str]:
    """A command or args field as a list of strings (string form allowed)."""
    if isinstance(value, list):
        return [str(scalar_text(v)) for v in value if v is not None]
    if isinstance(value, str | int | float):
        return [str(value)]
    return []


# --- in-cluster host names --------------------------------------------------------


def cluster_target(host: str) -> str | None:
    """The service an in-cluster host name points at, or None for external/loopback/IP."""
    host = host.strip().rstrip(".").lower()
    if not host or _IPV4.match(host) or host.startswith("["):
        return None
    labels = host.split(".")
    if not all(_DNS_LABEL.match(label) for label in labels):
        return None
    first = labels[0]
    if first.isdigit() or first in _NOT_HOSTS or host in ("0.0.0.0", "127.0.0.1"):
        return None
    in_cluster = (
        len(labels) == 1
        or (len(labels) == 2 and labels[1] not in _TLDS)
        or "svc" in labels[2:]
        or host.endswith(".cluster.local")
    )
    if not in_cluster:
        return None
    stateful = _STATEFUL_POD.match(first)
    if stateful and len(labels) > 1:
        # `kafka-0.kafka-headless` is pod 0 of the StatefulSet `kafka`.
        return stateful.group(1)
    return first


def _hosts_in_value(value: str, name_refers: bool) -> list[str]:
    """Host names in an env value: URLs, host:port pairs, or a bare host when the name says so."""
    hosts: list[str] = []
    for part in re.split(r"[\s,;]+", value.strip()):
        if not part:
            continue
        url = _URL.search(part)
        if url:
            authority = url.group(1).rsplit("@", 1)[-1]
            for entry in authority.split(","):
                hosts.append(entry.rsplit(":", 1)[0] if entry.count(":") == 1 else entry)
            continue
        pair = _HOST_PORT.match(part)
        if pair and (name_refers or _plausible_host(pair.group(1))):
            hosts.append(pair.group(1))
        elif name_refers and part == part.lower() and re.fullmatch(r"[a-z0-9.-]+", part):
            hosts.append(part)
    return hosts


def _plausible_host(host: str) -> bool:
    """`redis:6379` yes; `12:30` or `a:1` (a time, a label pair) no."""
    return len(host) >= 2 and any(ch.isalpha() for ch in host)


def _expand(text: str, env: dict[str, str]) -> str:
    """Substitute `$(VAR)`, `${VAR}`, `${VAR:-x}` and `$VAR` from the container's env."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        if name in env:
            return env[name]
        if match.group(3) is not None:
            return match.group(3)
        return match.group(0)

    return _VAR.sub(repl, text)


def _flag_value(tokens: list[str], index: int, short: str, long: str) -> str | None:
    tok = tokens[index]
    if tok in (short, long) and index + 1 < len(tokens):
        return tokens[index + 1]
    if tok.startswith(long + "="):
        return tok[len(long) + 1 :]
    if tok.startswith(short) and len(tok) > len(short) and not tok.startswith("--"):
        return tok[len(short) :]
    return None


def _first_operand(tokens: list[str], start: int, valued: set[str]) -> str | None:
    index = start
    while index < len(tokens) and tokens[index] not in _SEPARATORS:
        tok = tokens[index]
        if tok.startswith("-"):
            index += 2 if tok in valued else 1
            continue
        if tok.startswith("@") or tok in ("hosts", "ahosts", "ahostsv4"):
            index += 1
            continue
        return tok
    return None


def waited_hosts(script: str) -> list[str]:
    """Hosts a shell command waits for: nc/telnet, DNS lookups, DB clients, wait-for-it, URLs."""
    hosts: list[str] = [m.group(1) for m in _URL.finditer(script)]
    hosts.extend(m.group(1) for m in _DEV_TCP.finditer(script))
    tokens = _TOKEN.findall(script)
    for index, tok in enumerate(tokens):
        tool = tok.rsplit("/", 1)[-1]
        if tool in _NC:
            found = _first_operand(tokens, index + 1, _NC_VALUED)
            if found:
                hosts.append(found.split(":")[0])
        elif tool in _LOOKUP:
            found = _first_operand(tokens, index + 1, _LOOKUP_VALUED)
            if found:
                hosts.append(found)
        elif tool in _CLIENTS or tool in _WAITERS:
            for later in range(index + 1, len(tokens)):
                if tokens[later] in _SEPARATORS:
                    break
                value = _flag_value(tokens, later, "-h", "--host")
                if value:
                    hosts.append(value)
                    break
                if tool in _WAITERS:
                    pair = _HOST_PORT.match(tokens[later])
                    if pair:
                        hosts.append(pair.group(1))
    # Hosts inside URLs carry credentials and ports, and `svc.$(cat …/namespace)` a shell
    # suffix; keep only the name.
    names = [h.rsplit("@", 1)[-1].split(":")[0].split("$")[0].strip(".") for h in hosts]
    return [name for name in names if name]


# --- the analyzer -----------------------------------------------------------------


@dataclass
class _Workload:
    name: str
    kind: str
    doc: YamlMap
    pod: YamlMap | None
    labels: dict[str, str]
    named_ports: dict[str, int] = field(default_factory=dict)


class _FileFacts:
    """Facts of one file, one per id: repeats add citations, start_order outranks runtime."""

    def __init__(self) -> None:
        self.by_id: dict[str, FactBase] = {}

    def add(self, fact: FactBase) -> None:
        existing = self.by_id.get(fact.id)
        if existing is None:
            self.by_id[fact.id] = fact
            return
        if isinstance(existing, Dependency) and isinstance(fact, Dependency):
            if _DEP_RANK[fact.dependency_type] < _DEP_RANK[existing.dependency_type]:
                existing.dependency_type = fact.dependency_type
                existing.condition = fact.condition
                existing.summary = fact.summary
        elif _comparable(existing) != _comparable(fact):
            # A sidecar's different value for the same id: the main container's wins.
            return
        for citation in fact.citations:
            if citation not in existing.citations:
                existing.citations.append(citation)
        existing.citations.sort(key=_cite_order)


def _cite_order(citation: Citation) -> tuple[str, int, int]:
    return citation.path, citation.start_line, citation.end_line


def _comparable(fact: FactBase) -> dict[str, Any]:
    return fact.model_dump(exclude={"id", "summary", "citations", "verification"})


class KubernetesAnalyzer:
    name = "kubernetes"

    def accepts(self, source: SourceFile) -> bool:
        if "templates" in source.parts[:-1] and "{{" in source.text:
            return False  # a Helm chart's template: config_files/helm.py reads it
        return source.is_yaml and "apiVersion:" in source.text and "kind:" in source.text

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        template_line = _template_line(source)
        if template_line is not None:
            result.warn(source, HELM_MESSAGE, template_line, self.name)
            return result
        return self.analyze_objects(source, result)

    def analyze_objects(
        self, source: SourceFile, result: AnalyzerResult | None = None
    ) -> AnalyzerResult:
        """The objects of a manifest whose `{{ }}` placeholders are known to be values (a
        Helm template's skeleton, config_files/helm.py): read without the template check."""
        result = result if result is not None else AnalyzerResult()
        objects = [
            obj
            for doc in yaml_docs_or_warn(source, result, self.name)
            for obj in _objects(doc.data)
        ]
        facts = _FileFacts()
        workloads: list[_Workload] = []
        for obj in objects:
            workload = self._workload(source, obj, result)
            if workload is not None:
                workloads.append(workload)
                result.services.append(
                    Service(
                        name=workload.name,
                        kind=f"k8s-{workload.kind.lower()}",
                        citations=[_map_cite(source, obj)],
                    )
                )
                _Pod(source, workload, result, facts, self.name).run()
        for obj in objects:
            if obj.get("kind") == "Service" and not _is_knative(obj):
                self._service_ports(source, obj, workloads, facts, result)
        result.facts.extend(facts.by_id.values())
        return result

    def _workload(
        self, source: SourceFile, obj: YamlMap, result: AnalyzerResult
    ) -> _Workload | None:
        kind = obj.get("kind")
        if not isinstance(kind, str):
            return None
        if _is_knative(obj):
            path = _KNATIVE_PATH
            kind = "knative-service"
        elif kind in _POD_SPEC_PATH:
            path = _POD_SPEC_PATH[kind]
        else:
            return None
        metadata = obj.get("metadata")
        name = metadata.get("name") if isinstance(metadata, YamlMap) else None
        if name is None and isinstance(metadata, YamlMap):
            generated = metadata.get("generateName")
            name = generated.rstrip("-") if isinstance(generated, str) else None
        if not isinstance(name, str | int) or isinstance(name, bool) or not str(name).strip():
            line = _key_line(obj, "metadata") if "metadata" in obj else _key_line(obj, "kind")
            result.warn(source, f"{kind} without metadata.name; skipped", line, self.name)
            return None
        if re.search(r"[${}<>%]", str(name)):
            where = _key_line(metadata, "name") if isinstance(metadata, YamlMap) else None
            result.warn(source, f"{kind} name {name!r} is a template placeholder", where, self.name)
            return None
        pod = self._pod_spec(source, obj, path, result)
        labels: dict[str, str] = {}
        label_path = ("metadata", "labels") if kind == "Pod" else path[:-1] + ("metadata", "labels")
        found = _dig(obj, label_path)
        if isinstance(found, YamlMap):
            labels = {str(k): str(scalar_text(v)) for k, v in found.items()}
        return _Workload(str(name).strip().lower(), kind, obj, pod, labels)

    def _pod_spec(
        self,
        source: SourceFile,
        obj: YamlMap,
        path: tuple[str, ...],
        result: AnalyzerResult,
    ) -> YamlMap | None:
        current: Any = obj
        for step in path:
            if not isinstance(current, YamlMap) or step not in current:
                # Kustomize patches often carry only part of a workload.
                return None
            value = current[step]
            if value is None:
                return None
            if not isinstance(value, YamlMap):
                result.warn(
                    source,
                    f"{obj.get('kind')} {step} is not a mapping; skipped",
                    _key_line(current, step),
                    self.name,
                )
                return None
            current = value
        return current if isinstance(current, YamlMap) else None

    def _service_ports(
        self,
        source: SourceFile,
        obj: YamlMap,
        workloads: list[_Workload],
        facts: _FileFacts,
        result: AnalyzerResult,
    ) -> None:
        metadata = obj.get("metadata")
        own = metadata.get("name") if isinstance(metadata, YamlMap) else None
        spec = obj.get("spec")
        if spec is None:
            return
        if not isinstance(spec, YamlMap):
            result.warn(source, "Service spec is not a mapping", _key_line(obj, "spec"), self.name)
            return
        if spec.get("type") == "ExternalName":
            return  # points outside the cluster: no workload listens on its ports
        selector = spec.get("selector")
        selector = selector if isinstance(selector, YamlMap) else YamlMap()
        wanted = {str(k): str(scalar_text(v)) for k, v in selector.items()}
        matched = next(
            (
                w
                for w in workloads
                if wanted and all(w.labels.get(k) == v for k, v in wanted.items())
            ),
            None,
        )
        target = matched.name if matched else _selected_name(wanted, own)
        if target is None:
            return
        ports = spec.get("ports")
        if ports is None:
            return
        if not isinstance(ports, YamlList):
            result.warn(source, "Service ports is not a list", _key_line(spec, "ports"), self.name)
            return
        for index, item in enumerate(ports):
            if not isinstance(item, YamlMap):
                result.warn(
                    source,
                    "Service port entry is not a mapping",
                    ports.line_of(index).start,
                    self.name,
                )
                continue
            port, target_port = item.get("port"), item.get("targetPort")
            number = _int(target_port)
            if number is None and isinstance(target_port, str) and matched is not None:
                number = matched.named_ports.get(target_port)
            if number is None:
                number = _int(port)
            if number is None:
                result.warn(
                    source,
                    "Service port has no numeric port",
                    ports.line_of(index).start,
                    self.name,
                )
                continue
            shown = f"{port} -> {target_port}" if target_port not in (None, port) else f"{port}"
            facts.add(
                ResourceRequirement(
                    service=target,
                    summary=f"{target} is exposed by Service {own or target} on port {shown}",
                    citations=[_item_cite(source, ports, index)],
                    resource="port",
                    value=str(number),
                )
            )


def _is_knative(obj: YamlMap) -> bool:
    api = obj.get("apiVersion")
    return (
        obj.get("kind") == "Service" and isinstance(api, str) and api.startswith("serving.knative")
    )


def _selected_name(selector: dict[str, str], own: object) -> str | None:
    own_name = str(own).strip().lower() if isinstance(own, str | int) and str(own).strip() else None
    label = next((selector[k] for k in _NAME_LABELS if selector.get(k)), None)
    if label is None:
        return own_name
    label = label.strip().lower()
    if own_name and own_name.startswith(label + "-"):
        rest = own_name[len(label) + 1 :]
        if rest not in _SERVICE_SUFFIXES:
            # `prometheus-k8s` selecting `name: prometheus` is the workload `prometheus-k8s`.
            return own_name
    return label


def _objects(data: Any) -> Iterator[YamlMap]:
    """Kubernetes objects in a document: the mapping itself, or the items of a `*List`."""
    if not isinstance(data, YamlMap):
        return
    kind = data.get("kind")
    if not isinstance(kind, str):
        return
    items = data.get("items")
    if kind.endswith("List") and isinstance(items, YamlList):
        for item in items:
            yield from _objects(item)
        return
    yield data


def _template_line(source: SourceFile) -> int | None:
    """The line of the first `{{` when the file is an unrendered Helm (or Go/Jinja) template."""
    offset = source.text.find("{{")
    if offset < 0:
        return None
    line = source.line_of_offset(offset)
    if "templates" in source.parts[:-1] or _HELM_ACTION.search(source.text):
        return line
    try:
        docs = source.yaml_documents()
    except YamlParseError:
        return line
    # `{{` inside a workload or Service is a template placeholder; inside a ConfigMap,
    # PrometheusRule or dashboard it is data.
    for doc in docs:
        for obj in _objects(doc.data):
            if obj.get("kind") in _POD_SPEC_PATH or obj.get("kind") == "Service":
                span = obj.span
                body = "\n".join(source.lines[span.start - 1 : span.end])
                if "{{" in body:
                    return span.start + body[: body.find("{{")].count("\n")
    return None


class _Pod:
    """Facts of one workload's pod spec."""

    def __init__(
        self,
        source: SourceFile,
        workload: _Workload,
        result: AnalyzerResult,
        facts: _FileFacts,
        analyzer: str,
    ) -> None:
        self.source = source
        self.workload = workload
        self.svc = workload.name
        self.result = result
        self.facts = facts
        self.analyzer = analyzer
        self.several = False

    def warn(self, message: str, line: int | None) -> None:
        self.result.warn(self.source, f"{self.svc}: {message}", line, self.analyzer)

    def run(self) -> None:
        pod = self.workload.pod
        if pod is not None:
            containers = self._containers(pod, "containers")
            # The container named like the workload (else the first) is the main one; its
            # values win when a sidecar states the same fact id.
            containers.sort(key=lambda entry: entry[2].get("name") != self.svc)
            self.several = len(containers) > 1
            for _, _, container in containers:
                self._collect_ports(container)
            for _, _, container in containers:
                self._container(container)
            if containers:
                self._flags(containers[0][2])
            for _seq, _index, container in self._containers(pod, "initContainers"):
                self._init_container(container)
        if self.workload.kind == "StatefulSet":
            self._claims()
        self._replicas()

    def _replicas(self) -> None:
        """`spec.replicas` of a Deployment/StatefulSet/ReplicaSet: how many pods run."""
        spec = self.workload.doc.get("spec")
        if not isinstance(spec, YamlMap) or "replicas" not in spec:
            return
        count = _int(spec.get("replicas"))
        if count is None:
            return
        self.facts.add(
            ConfigParameter(
                service=self.svc,
                summary=f"{self.svc} runs {count} replica(s) ({self.workload.kind} spec.replicas)",
                citations=[_key_cite(self.source, spec, "replicas")],
                name="replicas",
                value_type="int",
                default=str(count),
            )
        )

    def _containers(self, pod: YamlMap, key: str) -> list[tuple[YamlList, int, YamlMap]]:
        value = pod.get(key)
        if value is None:
            return []
        if not isinstance(value, YamlList):
            self.warn(f"{key} is not a list", _key_line(pod, key))
            return []
        out: list[tuple[YamlList, int, YamlMap]] = []
        for index, item in enumerate(value):
            if isinstance(item, YamlMap):
                out.append((value, index, item))
            else:
                self.warn(f"{key} entry is not a mapping", value.line_of(index).start)
        return out

    def _label(self, container: YamlMap) -> str:
        name = container.get("name")
        if not self.several or not isinstance(name, str) or name == self.svc:
            return ""
        return f" (container {name})"

    # -- ports ---------------------------------------------------------------------

    def _collect_ports(self, container: YamlMap) -> None:
        for name, number in self._named_ports(container).items():
            self.workload.named_ports.setdefault(name, number)

    def _named_ports(self, container: YamlMap) -> dict[str, int]:
        out: dict[str, int] = {}
        ports = container.get("ports")
        if isinstance(ports, YamlList):
            for item in ports:
                if isinstance(item, YamlMap) and isinstance(item.get("name"), str):
                    number = _int(item.get("containerPort"))
                    if number is not None:
                        out.setdefault(item["name"], number)
        return out

    def _ports(self, container: YamlMap) -> None:
        ports = container.get("ports")
        if ports is None:
            return
        if not isinstance(ports, YamlList):
            self.warn("ports is not a list", _key_line(container, "ports"))
            return
        for index, item in enumerate(ports):
            if not isinstance(item, YamlMap):
                self.warn("port entry is not a mapping", ports.line_of(index).start)
                continue
            number: int | str | None = _int(item.get("containerPort"))
            raw = item.get("containerPort")
            note = ""
            if number is None and isinstance(raw, str) and "$" in raw:
                # An envsubst'd manifest: `containerPort: ${PORT:-8080}` runs with 8080.
                written = interpolate(raw.strip())
                cite = _item_cite(self.source, ports, index)
                for param in reference_params(written, self.svc, cite, "containerPort"):
                    self.facts.add(param)
                number = int(written.text) if is_number(written.text) else written.text
                note = written.note()
            if number is None:
                self.warn("containerPort is not a number", ports.line_of(index).start)
                continue
            named = f" ({item['name']})" if isinstance(item.get("name"), str) else ""
            self.facts.add(
                ResourceRequirement(
                    service=self.svc,
                    summary=f"{self.svc} listens on container port {number}{named}"
                    f"{self._label(container)}{note}",
                    citations=[_item_cite(self.source, ports, index)],
                    resource="port",
                    value=str(number),
                )
            )

    # -- one container -------------------------------------------------------------

    def _container(self, container: YamlMap) -> None:
        self._ports(container)
        named = self._named_ports(container)
        for key, mechanism, word in _PROBES:
            if key in container:
                self._probe(container, key, mechanism, word, named)
        self._resources(container)
        self._security(container)
        self._mounts(container)
        self._env(container)
        self._cite_references(container)

    def _security(self, container: YamlMap) -> None:
        """`runAsUser` (container over pod) and `privileged: true` are permissions the pod needs."""
        pod = self.workload.pod
        contexts: list[tuple[YamlMap, YamlMap]] = []
        for owner in (container, pod):
            if not isinstance(owner, YamlMap):
                continue
            context = owner.get("securityContext")
            if isinstance(context, YamlMap):
                contexts.append((owner, context))
        for owner, context in contexts:
            uid = _int(context.get("runAsUser"))
            if uid is not None:
                where = "container" if owner is container else "pod"
                self.facts.add(
                    ResourceRequirement(
                        service=self.svc,
                        summary=f"{self.svc} runs as user id {uid} ({where} securityContext)"
                        f"{self._label(container)}",
                        citations=[_key_cite(self.source, context, "runAsUser")],
                        resource="permission",
                        value=f"user:{uid}",
                    )
                )
                break
        for owner, context in contexts:
            if owner is container and context.get("privileged") is True:
                self.facts.add(
                    ResourceRequirement(
                        service=self.svc,
                        summary=f"{self.svc} runs a privileged container{self._label(container)}",
                        citations=[_key_cite(self.source, context, "privileged")],
                        resource="permission",
                        value="privileged",
                    )
                )

    def _probe(
        self,
        container: YamlMap,
        key: str,
        mechanism: Mechanism,
        word: str,
        named: dict[str, int],
    ) -> None:
        probe = container[key]
        line = _key_line(container, key)
        if not isinstance(probe, YamlMap):
            self.warn(f"{key} is not a mapping", line)
            return
        check_type: CheckType
        port: int | None = None
        handler = next((h for h in ("httpGet", "tcpSocket", "exec", "grpc") if h in probe), None)
        body = probe.get(handler) if handler else None
        if handler is None:
            return  # a patch that only tunes timings
        if not isinstance(body, YamlMap):
            self.warn(f"{key}.{handler} is not a mapping", _key_line(probe, handler))
            return

        def resolve(value: object) -> int | None:
            number = _int(value)
            if number is None and isinstance(value, str):
                number = named.get(value)
            return number

        if handler == "httpGet":
            check_type, port = "http", resolve(body.get("port"))
            path = scalar_text(body.get("path")) or "/"
            target = path
            what = f"GET {path}" + (f" on port {port}" if port is not None else "")
        elif handler == "tcpSocket":
            written = scalar_text(body.get("port"))
            if written is None:
                self.warn(f"{key}.tcpSocket has no port", _key_line(probe, handler))
                return
            check_type, port, target = "tcp", resolve(body.get("port")), written
            what = f"TCP connect to port {written}"
        elif handler == "exec":
            command = _words(body.get("command"))
            if not command:
                self.warn(f"{key}.exec has no command", _key_line(probe, handler))
                return
            # Multi-line scripts would put newlines into the fact id.
            check_type, target = "exec", " ".join(" ".join(command).split())
            what = f"runs `{_short(target)}`"
        else:
            check_type, port = "grpc", resolve(body.get("port"))
            target = scalar_text(body.get("service")) or "grpc.health.v1.Health"
            what = f"gRPC {target}" + (f" on port {port}" if port is not None else "")
        interval = _num(probe.get("periodSeconds"))
        every = f" every {interval}s" if interval is not None else ""
        self.facts.add(
            HealthCheck(
                service=self.svc,
                summary=f"{self.svc} {word} probe {what}{every}{self._label(container)}",
                citations=[_key_cite(self.source, container, key)],
                check_type=check_type,
                target=target,
                port=port,
                interval_s=interval,
                timeout_s=_num(probe.get("timeoutSeconds")),
                failure_threshold=_num(probe.get("failureThreshold")),
                mechanism=mechanism,
            )
        )

    # -- resources -----------------------------------------------------------------

    def _resources(self, container: YamlMap) -> None:
        resources = container.get("resources")
        if resources is None:
            return
        if not isinstance(resources, YamlMap):
            self.warn("resources is not a mapping", _key_line(container, "resources"))
            return
        found: dict[str, dict[str, tuple[str, Citation]]] = {}
        for side in ("requests", "limits"):
            block = resources.get(side)
            if block is None:
                continue
            if not isinstance(block, YamlMap):
                self.warn(f"resources.{side} is not a mapping", _key_line(resources, side))
                continue
            for name, value in block.items():
                written = scalar_text(value)
                if written is None:
                    continue
                cite = _key_cite(self.source, block, name)
                found.setdefault(str(name), {})[side] = (written, cite)
        for name, sides in found.items():
            resource, value = _resource_kind(name)
            request = sides.get("requests", (None, None))[0]
            limit = sides.get("limits", (None, None))[0]
            parts = [f"request {request}"] if request else []
            parts += [f"limit {limit}"] if limit else []
            citations = sorted((c for _, c in sides.values()), key=lambda c: c.start_line)
            self.facts.add(
                ResourceRequirement(
                    service=self.svc,
                    summary=f"{self.svc} {name} {', '.join(parts)}{self._label(container)}",
                    citations=citations,
                    resource=resource,
                    request=request,
                    limit=limit,
                    value=value,
                )
            )

    def _mounts(self, container: YamlMap) -> None:
        mounts = container.get("volumeMounts")
        if mounts is None:
            return
        if not isinstance(mounts, YamlList):
            self.warn("volumeMounts is not a list", _key_line(container, "volumeMounts"))
            return
        for index, item in enumerate(mounts):
            if not isinstance(item, YamlMap) or item.get("mountPath") is None:
                self.warn("volumeMount without mountPath", mounts.line_of(index).start)
                continue
            value = f"{scalar_text(item.get('name')) or ''}:{scalar_text(item['mountPath'])}"
            mode = " read-only" if item.get("readOnly") is True else ""
            self.facts.add(
                ResourceRequirement(
                    service=self.svc,
                    summary=f"{self.svc} mounts volume {item.get('name')} at "
                    f"{item['mountPath']}{mode}{self._label(container)}",
                    citations=[_item_cite(self.source, mounts, index)],
                    resource="volume",
                    value=value,
                )
            )

    def _claims(self) -> None:
        spec = self.workload.doc.get("spec")
        claims = spec.get("volumeClaimTemplates") if isinstance(spec, YamlMap) else None
        if claims is None or not isinstance(spec, YamlMap):
            return
        if not isinstance(claims, YamlList):
            self.warn("volumeClaimTemplates is not a list", _key_line(spec, "volumeClaimTemplates"))
            return
        for index, claim in enumerate(claims):
            name = _dig(claim, ("metadata", "name"))
            storage = _dig(claim, ("spec", "resources", "requests", "storage"))
            if not isinstance(name, str):
                self.warn("volumeClaimTemplate without metadata.name", claims.line_of(index).start)
                continue
            request = scalar_text(storage)
            cite = _item_cite(self.source, claims, index)
            mounts = [
                fact
                for fact in self.facts.by_id.values()
                if isinstance(fact, ResourceRequirement)
                and fact.service == self.svc
                and fact.resource == "volume"
                and (fact.value or "").startswith(f"{name}:")
            ]
            if mounts:
                # The claim sizes the volume a container mounts: one fact, both places.
                for mount in mounts:
                    mount.request = request
                    if cite not in mount.citations:
                        mount.citations = sorted([*mount.citations, cite], key=_cite_order)
                    if request:
                        mount.summary += f", a {request} persistent volume claim per pod"
                continue
            sized = f" requesting {request}" if request else ""
            self.facts.add(
                ResourceRequirement(
                    service=self.svc,
                    summary=f"{self.svc} claims persistent volume {name}{sized}",
                    citations=[cite],
                    resource="disk",
                    request=request,
                    value=name,
                )
            )

    # -- env -----------------------------------------------------------------------

    def _env(self, container: YamlMap) -> None:
        env = container.get("env")
        if env is None:
            return
        if not isinstance(env, YamlList):
            self.warn("env is not a list", _key_line(container, "env"))
            return
        known: dict[str, str] = {}
        secrets: set[str] = set()
        for index, item in enumerate(env):
            if not isinstance(item, YamlMap) or not isinstance(item.get("name"), str):
                self.warn("env entry without a name", env.line_of(index).start)
                continue
            name: str = item["name"]
            cite = _item_cite(self.source, env, index)
            value = scalar_text(item.get("value")) if "value" in item else None
            secret = looks_secret(name, value, userless=True)
            # A value built from a secret variable (`redis://:$(REDIS_PASSWORD)@redis`) is one.
            secret = secret or any(ref in secrets for ref in _REFERENCE.findall(value or ""))
            source_note, required = "", False
            ref = item.get("valueFrom")
            if isinstance(ref, YamlMap):
                source_note, from_secret, required = _value_from(ref)
                secret = secret or from_secret
            if secret:
                secrets.add(name)
            self.facts.add(
                ConfigParameter(
                    service=self.svc,
                    summary=_env_summary(self.svc, name, value, secret, source_note)
                    + self._label(container),
                    citations=[cite],
                    name=name,
                    value_type=infer_value_type(None if secret else value),
                    default=None if secret else value,
                    secret=secret,
                    required=required,
                )
            )
            if value is None:
                continue
            expanded = _expand(value, known)
            known[name] = expanded
            name_refers = bool(SERVICE_REF_SUFFIX.search(name))
            for host in _hosts_in_value(expanded, name_refers):
                target = cluster_target(host)
                if target and not self._is_self(target):
                    self.facts.add(
                        Dependency(
                            service=self.svc,
                            summary=f"{self.svc} talks to {target} at run time ({name})",
                            citations=[cite],
                            target=target,
                            dependency_type="runtime",
                        )
                    )

    def _flags(self, container: YamlMap) -> None:
        """The main container's `command:` + `args:` flags: the workload's value of each flag."""
        words: list[Word] = []
        for key in ("command", "args"):
            value = container.get(key)
            if value is None:
                continue
            whole = _key_cite(self.source, container, key)

            def cite(index: int | None, value: Any = value, whole: Citation = whole) -> Citation:
                if index is None or not isinstance(value, YamlList):
                    return whole
                return _item_cite(self.source, value, index)

            found = words_of(value, cite)
            if found is None:
                self.warn(f"{key} is not a list of words", whole.start_line)
                continue
            words.extend(found)
        for fact in flag_facts(words, self.svc, self.source.path):
            self.facts.add(fact)

    def _cite_references(self, container: YamlMap) -> None:
        """`args: [--requirepass, $(REDIS_PASSWORD)]` is where the env var takes effect."""
        for key in ("command", "args"):
            names = _REFERENCE.findall(" ".join(_words(container.get(key))))
            for name in names:
                fact = self.facts.by_id.get(f"config_parameter:{self.svc}:{name}")
                if fact is None:
                    continue
                cite = _key_cite(self.source, container, key)
                if cite not in fact.citations:
                    fact.citations = sorted([*fact.citations, cite], key=_cite_order)

    def _is_self(self, target: str) -> bool:
        return target == self.svc

    # -- init containers -----------------------------------------------------------

    def _init_container(self, container: YamlMap) -> None:
        env: dict[str, str] = {}
        env_list = container.get("env")
        if isinstance(env_list, YamlList):
            for item in env_list:
                if isinstance(item, YamlMap) and isinstance(item.get("name"), str):
                    written = scalar_text(item.get("value"))
                    if written is not None:
                        env[item["name"]] = _expand(written, env)
        image = str(container.get("image") or "")
        init_name = scalar_text(container.get("name")) or "init"
        for key in ("command", "args"):
            if key not in container:
                continue
            words = _words(container[key])
            if not isinstance(container[key], list | str | None):
                self.warn(f"initContainer {key} is not a list or string", _key_line(container, key))
                continue
            hosts = waited_hosts(_expand(" ".join(words), env))
            if "k8s-wait-for" in image and key == "args":
                hosts.extend(_wait_for_targets(words))
            for host in hosts:
                target = cluster_target(host)
                if target and not self._is_self(target):
                    self.facts.add(
                        Dependency(
                            service=self.svc,
                            summary=f"{self.svc} waits for {target} before starting "
                            f"(init container {init_name})",
                            citations=[_key_cite(self.source, container, key)],
                            target=target,
                            dependency_type="start_order",
                        )
                    )


def _wait_for_targets(words: list[str]) -> list[str]:
    """`groundnuty/k8s-wait-for` args: `service db`, `job migrate`, `pod -lapp=db`."""
    if len(words) < 2 or words[0] not in ("service", "svc", "pod", "job", "job-wr"):
        return []
    target = words[1]
    if target.startswith("-l"):
        labels = dict(part.split("=", 1) for part in target[2:].split(",") if part.count("=") == 1)
        found = next((labels[k] for k in _NAME_LABELS if k in labels), None)
        return [found] if found else []
    return [target]


def _value_from(ref: YamlMap) -> tuple[str, bool, bool]:
    """Where a `valueFrom` value comes from, whether it is a secret, and whether it is required.

    A key reference without `optional: true` keeps the pod from starting when the key is
    missing, so the parameter is required.
    """
    for key, label in (
        ("secretKeyRef", "Secret"),
        ("configMapKeyRef", "ConfigMap"),
    ):
        body = ref.get(key)
        if isinstance(body, YamlMap):
            where = f"{label} {body.get('name')} key {body.get('key')}"
            return f"from {where}", key == "secretKeyRef", body.get("optional") is not True
    for key in ("fieldRef", "resourceFieldRef"):
        body = ref.get(key)
        if isinstance(body, YamlMap):
            what = body.get("fieldPath") or body.get("resource")
            return f"from {what}", False, False
    return "", "secretKeyRef" in ref, False


def _env_summary(svc: str, name: str, value: str | None, secret: bool, note: str) -> str:
    if secret:
        return f"{svc} env {name} (secret{', ' + note if note else ''})"
    if value is not None:
        return f"{svc} env {name} = {_short(value, 60)}"
    return f"{svc} env {name}" + (f" ({note})" if note else "")


def _resource_kind(name: str) -> tuple[Resource, str | None]:
    lowered = name.lower()
    if lowered == "cpu":
        return "cpu", None
    if lowered == "memory":
        return "memory", None
    if lowered == "ephemeral-storage":
        return "disk", None
    if "gpu" in lowered:
        return "gpu", None
    return "other", name


register(KubernetesAnalyzer())
