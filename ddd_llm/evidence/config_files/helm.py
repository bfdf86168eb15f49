"""Helm charts: `values.yaml` keys are the chart's settings (`--set a.b=…`), with their
defaults and the comment above (or a bitnami `## @param a.b …` line) as description; probes
and `resources:` written in values or templates; `Chart.yaml` dependencies.

Analyzers see one file at a time, so every values key counts (a chart's values file is its
operator interface), not only the keys a template references. Templates are Go templates,
not YAML: they are read as text with `{{ … }}` actions blanked out, never parsed.
`values-<env>.yaml` overrides are per-environment facts of the same parameters (`a.b@prod`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

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
    allowed_values,
    comment_above,
    health_fact,
    parameters,
    port_fact,
    unique,
)
from ddd_llm.evidence.yamlpos import YamlList, YamlMap
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    HealthCheck,
    Mechanism,
    ResourceRequirement,
)

_VALUES = re.compile(r"^values(?:[.-]([\w.-]+?))?\.ya?ml$", re.IGNORECASE)
_PARAM = re.compile(r"^\s*##?\s*@param\s+(\S+)\s+(?:\[[^\]]*\]\s*)*(.*)$")
_ACTION = re.compile(r"\{\{-?.*?-?\}\}", re.DOTALL)
_PROBES: dict[str, Mechanism] = {
    "livenessProbe": "k8s-liveness",
    "readinessProbe": "k8s-readiness",
    "startupProbe": "k8s-startup",
}
_VALUES_READ = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_MAX_READS = 5000
_SECRET_NAME_FIELD = re.compile(r"^\s*(?:-\s+)?secretName:")
_SECRET_REF = re.compile(r"^\s*(?:-\s+)?(?:secretKeyRef|secretRef):\s*$")
_CI_DIRS = re.compile(r"(^|/)(ci|tests?|examples?)/")


def neutralise(text: str) -> str:
    """Template actions blanked with spaces (newlines kept, so lines stay where they were)."""
    return _ACTION.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


class HelmAnalyzer:
    """values*.yaml, Chart.yaml / requirements.yaml and templates/*.yaml of a Helm chart.

    A value the templates read (`.Values.nameOverride` in `_helpers.tpl`) that the chart's
    values.yaml does not set is a parameter too, with no default: `finish()` reports those
    once every values file and template of the chart was read."""

    name = "helm"

    def __init__(self) -> None:
        self.declared: dict[str, set[str]] = {}
        """chart folder → every key values.yaml sets (maps included)."""
        self.read: dict[str, dict[str, tuple[str, int]]] = {}
        """chart folder → value the templates read → (template, line) first read."""
        self.secret_names: dict[str, set[str]] = {}
        """chart folder → values the templates use as the name of a Secret object."""
        self.hidden: dict[str, dict[str, tuple[ConfigParameter, str | None]]] = {}
        """chart folder → values taken for secrets → (their fact, the value written)."""

    def accepts(self, source: SourceFile) -> bool:
        if TEST_DIRS.search(source.path) or _CI_DIRS.search(source.path):
            return False
        if source.name in ("Chart.yaml", "requirements.yaml"):
            return True
        if _VALUES.match(source.name):
            return True
        return (
            "templates" in source.parts[:-1]
            and source.suffix in (".yaml", ".yml", ".tpl")
            and "{{" in source.text
            and not source.name.startswith("_")
        )

    def finish(self) -> AnalyzerResult:
        result = AnalyzerResult()
        for chart, reads in self.read.items():
            declared = self.declared.get(chart)
            if not declared:
                continue  # no values.yaml read: nothing says what is set
            for name, (path, line) in reads.items():
                if name in declared or any(name.startswith(d + ".") for d in declared):
                    continue  # set, or inside a map or list values.yaml sets
                if any(d.startswith(name + ".") for d in declared):
                    continue  # a map whose keys values.yaml sets
                result.facts.append(
                    ConfigParameter(
                        summary=f"Helm value {name}, read by {path.rsplit('/', 1)[-1]} "
                        "and not set in values.yaml (no default)",
                        citations=[Citation(path=path, start_line=line, end_line=line)],
                        name=name,
                        value_type="string",
                    )
                )
        for chart, names in self.secret_names.items():
            for name in names:
                fact, written = self.hidden.get(chart, {}).get(name, (None, None))
                if fact is not None:
                    # `secretName: {{ .Values.x }}`: x names a Secret object, it holds none
                    fact.secret = False
                    fact.default = written
                    if written is not None:
                        fact.summary = fact.summary.replace(name, f"{name} default {written}", 1)
        self.declared.clear()
        self.read.clear()
        self.secret_names.clear()
        self.hidden.clear()
        return result

    def record_reads(self, source: SourceFile) -> None:
        """The values a template reads, and those it names a Secret object with."""
        parts = source.parts
        chart = "/".join(parts[: parts.index("templates")]) if "templates" in parts else ""
        reads = self.read.setdefault(chart, {})
        lines = source.lines
        for index, text in enumerate(lines):
            before = lines[index - 1] if index else ""
            if _SECRET_NAME_FIELD.search(text) or (
                _SECRET_REF.search(before) and re.search(r"^\s*name:", text)
            ):
                names = self.secret_names.setdefault(chart, set())
                names.update(m.group(1)[1:] for m in _VALUES_READ.finditer(text))
        for match in _VALUES_READ.finditer(source.text):
            if len(reads) < _MAX_READS:
                at = source.line_of_offset(match.start())
                reads.setdefault(match.group(1)[1:], (source.path, at))

    def _record_hidden(self, source: SourceFile, facts: list[FactBase]) -> None:
        """The facts taken for secrets, with the value written, in case a template shows the
        value is the name of a Secret object (`credentialsSecret: ""`)."""
        chart = "/".join(source.parts[:-1])
        hidden = self.hidden.setdefault(chart, {})
        for fact in facts:
            if isinstance(fact, ConfigParameter) and fact.secret and fact.citations:
                line = source.lines[fact.citations[0].start_line - 1]
                written = line.split(":", 1)[1].split(" #", 1)[0].strip() if ":" in line else ""
                hidden[fact.name] = (fact, _unquote(written) if written else None)

    def _record_declared(self, source: SourceFile, facts: list[FactBase]) -> None:
        chart = "/".join(source.parts[:-1])
        names = self.declared.setdefault(chart, set())
        for fact in facts:
            if isinstance(fact, ConfigParameter):
                parts = fact.name.split(".")
                names.update(".".join(parts[: i + 1]) for i in range(len(parts)))

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        if "templates" in source.parts[:-1] and not _VALUES.match(source.name):
            self.record_reads(source)
        if source.name in ("Chart.yaml", "requirements.yaml"):
            result.facts.extend(self._dependencies(source, result))
        elif _VALUES.match(source.name) and "templates" not in source.parts[:-1]:
            result.facts.extend(unique(self._values(source, result)))
            if source.name.lower() in ("values.yaml", "values.yml"):
                self._record_declared(source, result.facts)
                self._record_hidden(source, result.facts)
        else:
            rendered = _skeleton_facts(source, result)
            facts = rendered if rendered is not None else self._template(source)
            facts += _optional_containers(source)
            result.facts.extend(unique(facts))
        return result

    # --- Chart.yaml ---------------------------------------------------------------

    def _dependencies(self, source: SourceFile, result: AnalyzerResult) -> list[FactBase]:
        facts: list[FactBase] = []
        for doc in yaml_docs_or_warn(source, result, self.name):
            deps = doc.data.get("dependencies") if isinstance(doc.data, YamlMap) else None
            if not isinstance(deps, YamlList):
                continue
            for index, dep in enumerate(deps):
                if not isinstance(dep, YamlMap) or not isinstance(dep.get("name"), str):
                    continue
                name = dep["name"]
                tags = dep.get("tags") if isinstance(dep.get("tags"), list) else []
                if name == "common" or any("common" in str(t) for t in tags or []):
                    continue  # a library chart of template helpers, not a running service
                condition = dep.get("condition")
                span = deps.line_of(index)
                switch = f" (enabled by {condition})" if isinstance(condition, str) else ""
                facts.append(
                    Dependency(
                        summary=f"chart depends on the {name} chart{switch}",
                        citations=[source.cite(span.start, span.end)],
                        target=str(dep.get("alias") or name),
                        dependency_type="optional" if condition or tags else "runtime",
                    )
                )
        return facts

    # --- values.yaml ----------------------------------------------------------------

    def _values(self, source: SourceFile, result: AnalyzerResult) -> list[FactBase]:
        match = _VALUES.match(source.name)
        profile = match.group(1) if match else None
        annotations = _param_annotations(source.lines)
        facts: list[FactBase] = []
        for doc in yaml_docs_or_warn(source, result, self.name):
            if not isinstance(doc.data, YamlMap):
                continue
            for name, value, start, end in _leaves(doc.data, ""):
                description = annotations.get(name) or _plain_comment(source.lines, start - 1)
                setting = Setting(
                    name=name,
                    value=value,
                    start=start,
                    end=end,
                    description=description,
                    profile=profile,
                    allowed=allowed_values(description, value),
                )
                facts.extend(parameters(source, setting, "Helm value"))
            facts.extend(_probes_and_resources(source, doc.data, ""))
        facts.extend(_backing_services(facts))
        live = {f.name for f in facts if isinstance(f, ConfigParameter)}
        for name, value, line in _commented_keys(source.lines):
            if name in live:
                continue
            setting = Setting(
                name=name,
                value=value,
                start=line,
                end=line,
                description=_plain_comment(source.lines, line - 1),
                commented=True,
                profile=profile,
            )
            facts.extend(parameters(source, setting, "Helm value"))
            live.add(name)
        return facts

    # --- templates ------------------------------------------------------------------

    def _template(self, source: SourceFile) -> list[FactBase]:
        lines = neutralise(source.text).split("\n")
        facts: list[FactBase] = []
        for index, line in enumerate(lines):
            key = re.match(r"^(\s*)(?:-\s+)?(livenessProbe|readinessProbe|startupProbe):\s*$", line)
            if key is not None:
                facts.extend(self._template_probe(source, lines, index, key.group(2)))
            port = re.match(r"^\s*(?:-\s+)?containerPort:\s*[\"']?(\d{1,5})[\"']?\s*$", line)
            if port is not None and 0 < int(port.group(1)) < 65536:
                facts.append(
                    port_fact(source, int(port.group(1)), index + 1, index + 1, "containerPort")
                )
        return facts

    def _template_probe(
        self, source: SourceFile, lines: list[str], index: int, probe: str
    ) -> list[FactBase]:
        indent = len(lines[index]) - len(lines[index].lstrip(" -"))
        path: str | None = None
        port: int | None = None
        end = index
        for at in range(index + 1, len(lines)):
            text = lines[at]
            if not text.strip():
                continue
            if len(text) - len(text.lstrip(" -")) <= indent:
                break
            end = at
            found = re.match(r"^\s*path:\s*[\"']?(/[^\s\"']*)", text)
            if found:
                path = found.group(1)
            number = re.match(r"^\s*port:\s*[\"']?(\d{1,5})[\"']?\s*$", text)
            if number:
                port = int(number.group(1))
        if path is None:
            return []
        return [
            health_fact(
                source,
                path,
                index + 1,
                end + 1,
                f"template {probe}",
                port=port,
                mechanism=_PROBES[probe],
            )
        ]


_VALUE_REF = re.compile(r"^\{\{-?\s*\.Values\.([\w.]+)\s*(?:\|\s*quote\s*)?-?\}\}$")
_NAME_INCLUDE = re.compile(r'^\{\{-?\s*(?:include|template)\s+"[\w.-]*(?:fullname|name)"')
_INLINE_ACTION = re.compile(r"\{\{-?.*?-?\}\}")


def skeleton(source: SourceFile) -> str:
    """The template as YAML a Kubernetes reader can parse, lines where they were: control
    actions (`{{- if … }}`, `{{ toYaml … }}`) on a line of their own are blanked; a value
    written as `{{ .Values.a.b }}` becomes the string `{{ .Values.a.b }}` (merge/resolve.py
    fills it from values.yaml); the chart's name helpers become the chart's folder name;
    any other inline action becomes an empty string. Both branches of an `if` are kept."""
    chart = (
        source.parts[source.parts.index("templates") - 1] if "templates" in source.parts[1:] else ""
    )
    out: list[str] = []
    for line in neutralise_blocks(source.text).split("\n"):
        out.append(_INLINE_ACTION.sub(lambda m: _inline(m.group(0), chart), line))
    return "\n".join(out)


def neutralise_blocks(text: str) -> str:
    """Multi-line actions and actions alone on their line blanked (newlines kept)."""

    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    text = re.sub(r"\{\{-?(?:(?!\}\}).)*\n(?:(?!\}\}).)*-?\}\}", blank, text, flags=re.DOTALL)
    return re.sub(r"(?m)^[ \t]*\{\{-?.*?-?\}\}[ \t]*$", blank, text)


def _inline(action: str, chart: str) -> str:
    ref = _VALUE_REF.match(action)
    if ref is not None:
        return "{{ .Values." + ref.group(1) + " }}"
    if _NAME_INCLUDE.match(action) or re.match(r"^\{\{-?\s*\.Chart\.Name\b", action):
        return chart or "chart"
    return ""


def _skeleton_facts(source: SourceFile, out: AnalyzerResult) -> list[FactBase] | None:
    """A workload template read by the Kubernetes analyzer over its skeleton (probes with
    their timings, ports, volumes, permissions, sidecars); None when the skeleton is not
    YAML of a Kubernetes object (the line reader takes over)."""
    from ddd_llm.evidence.deploy.kubernetes import KubernetesAnalyzer

    text = _quote_refs(skeleton(source))
    rendered = SourceFile(source.path.replace("/templates/", "/rendered/"), text)
    analyzer = KubernetesAnalyzer()
    if not analyzer.accepts(rendered):
        return None
    result = analyzer.analyze_objects(rendered)
    if any("YAML" in w.message for w in result.warnings):
        return None

    def here(cites: list[Citation]) -> list[Citation]:
        return [c.model_copy(update={"path": source.path}) for c in cites]

    out.services.extend(
        svc.model_copy(update={"citations": here(svc.citations)}) for svc in result.services
    )
    lines = text.split("\n")
    facts: list[FactBase] = []
    for fact in result.facts:
        if isinstance(fact, ConfigParameter):
            continue  # a template's env wiring: the chart's settings are its values keys
        update: dict[str, Any] = {
            "citations": [c.model_copy(update={"path": source.path}) for c in fact.citations]
        }
        if isinstance(fact, HealthCheck) and fact.port is None:
            cite = fact.citations[0]
            for line in lines[cite.start_line - 1 : cite.end_line]:
                ref = _PORT_REF.match(line)
                if ref is not None:
                    # merge/resolve.py reads the port off the summary once the value is known
                    update["summary"] = f"{fact.summary} on port {ref.group(1)}"
        facts.append(fact.model_copy(update=update))
    for index, line in enumerate(lines):
        ref = _CONTAINER_PORT_REF.match(line)
        if ref is not None:
            facts.append(
                ResourceRequirement(
                    summary=f"container port {ref.group(1)}",
                    citations=[source.cite(index + 1, index + 1)],
                    resource="port",
                    value=ref.group(1),
                )
            )
    return facts


_PORT_REF = re.compile(r'^\s*port:\s*"(\{\{ \.Values\.[\w.]+ \}\})"\s*$')
_CONTAINER_PORT_REF = re.compile(
    r'^\s*(?:-\s+)?containerPort:\s*"(\{\{ \.Values\.[\w.]+ \}\})"\s*$'
)


def _quote_refs(text: str) -> str:
    """`port: {{ .Values.x }}` → `port: "{{ .Values.x }}"` (a YAML flow mapping otherwise)."""
    return re.sub(r"(?m)((?::|^[ \t]*-)[ \t]+)(\{\{ \.Values\.[\w.]+ \}\})[ \t]*$", r'\1"\2"', text)


_BACKING = re.compile(
    r"^(mysql|mariadb|postgres(ql)?|redis|memcached|mongodb|rabbitmq|kafka|elasticsearch|"
    r"opensearch|cassandra|clickhouse|nats|zookeeper|etcd|minio)$",
    re.IGNORECASE,
)
"""Servers a chart's workload connects to when a values section named after one says where."""


def _backing_services(facts: list[FactBase]) -> list[FactBase]:
    """`mysql: {host: …, port: …}` in values: the workload connects to that server."""
    found: list[FactBase] = []
    for fact in facts:
        if not isinstance(fact, ConfigParameter) or "@" in fact.id:
            continue
        head, _, leaf = fact.name.partition(".")
        if leaf in ("host", "hostname", "address", "uri", "url") and _BACKING.match(head):
            found.append(
                Dependency(
                    summary=f"connects to {head} at the values' {fact.name}"
                    + (f" ({fact.default})" if fact.default else ""),
                    citations=list(fact.citations),
                    target=head.lower(),
                    dependency_type="runtime",
                )
            )
    return found


_SIDECAR = re.compile(r"^\s*\{\{-?\s*if\s+\.Values\.([\w.]+?)\.enabled\s*-?\}\}\s*$")
_CONTAINER_NAME = re.compile(r"^\s*-\s+name:\s*([\w-]+)\s*$")


def _optional_containers(source: SourceFile) -> list[FactBase]:
    """`{{- if .Values.cloudsqlproxy.enabled }}` right before a container (`- name: x` with
    an `image:`): a sidecar the pod runs when that value is on."""
    facts: list[FactBase] = []
    lines = source.lines
    for index, line in enumerate(lines):
        switch = _SIDECAR.match(line)
        if switch is None or index + 2 >= len(lines):
            continue
        name = _CONTAINER_NAME.match(lines[index + 1])
        if name is None or not any("image:" in t for t in lines[index + 2 : index + 4]):
            continue
        facts.append(
            Dependency(
                summary=f"runs the {name.group(1)} sidecar when {switch.group(1)}.enabled is set",
                citations=[source.cite(index + 1, index + 3)],
                target=name.group(1),
                dependency_type="optional",
            )
        )
    return facts


_LIVE_KEY = re.compile(r"^( *)([\w./-]+):(?:\s|$)")
_COMMENTED_KEY = re.compile(r"^( *)#\s?([a-z][\w-]*):(?:\s+(\S.*?))?\s*$")


def _commented_keys(lines: list[str]) -> Iterator[tuple[str, str | None, int]]:
    """`# scrapeTimeout: 10s` under `serviceMonitor:`: a key the chart documents as settable
    but leaves unset, with its example value; (dotted name, value, line). The `#` column
    places it: its parent is the nearest key above indented less."""
    stack: list[tuple[int, str, bool]] = []
    for number, line in enumerate(lines, 1):
        live = _LIVE_KEY.match(line)
        if live is not None:
            indent = len(live.group(1))
            inline = bool(line[live.end() :].split("#", 1)[0].strip())
            stack = [e for e in stack if e[0] < indent] + [(indent, live.group(2), inline)]
            continue
        commented = _COMMENTED_KEY.match(line)
        if commented is None:
            continue
        value = commented.group(3)
        if value and len(value.split()) > 2 and value[:1] not in "\"'[{":
            continue  # prose: `# note: this is how it works`
        indent = len(commented.group(1))
        above = [e for e in stack if e[0] < indent]
        if above and above[-1][2]:
            continue  # under `resources: {}`: an example of that one setting's content
        parents = [k for _, k, _ in above]
        yield ".".join([*parents, commented.group(2)]), _unquote(value), number


def _unquote(value: str | None) -> str | None:
    if value and len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _param_annotations(lines: list[str]) -> dict[str, str]:
    """bitnami's readme-generator comments: `## @param image.tag Image tag (immutable tags …)`."""
    out: dict[str, str] = {}
    for line in lines:
        match = _PARAM.match(line)
        if match:
            out.setdefault(match.group(1), match.group(2).strip())
    return out


def _plain_comment(lines: list[str], index: int) -> str:
    text = comment_above(lines, index)
    return "" if "@param" in text or "@section" in text else text


def _leaves(node: YamlMap, prefix: str) -> Iterator[tuple[str, str | None, int, int]]:
    """(name as `--set` writes it, default, lines) for every leaf; an empty map or list is a
    setting too (`podAnnotations: {}` is filled by the operator)."""
    for key, value in node.items():
        span = node.line_of(key)
        name = f"{prefix}{key}"
        if isinstance(value, YamlMap) and value:
            yield from _leaves(value, f"{name}.")
        elif isinstance(value, YamlList) and value:
            if all(not isinstance(v, (dict, list)) for v in value):
                yield name, ",".join(scalar_text(v) or "" for v in value), span.start, span.end
            else:
                # `ingress.hosts: [{host, paths}]` is one setting, as chart docs list it.
                yield name, None, span.start, span.end
        elif isinstance(value, (dict, list)):
            yield name, None, span.start, span.end
        else:
            yield name, scalar_text(value), span.start, span.end


def _probes_and_resources(source: SourceFile, node: Any, prefix: str) -> Iterator[FactBase]:
    if not isinstance(node, YamlMap):
        return
    for key, value in node.items():
        name = f"{prefix}{key}"
        span = node.line_of(key)
        if key in _PROBES and isinstance(value, YamlMap):
            probe = _probe(source, str(key), name, value, span.start, span.end)
            if probe is not None:
                yield probe
        elif key == "resources" and isinstance(value, YamlMap):
            yield from _resources(source, name, value, span.start, span.end)
        elif isinstance(value, YamlMap):
            yield from _probes_and_resources(source, value, f"{name}.")


def _probe(
    source: SourceFile, key: str, name: str, probe: YamlMap, start: int, end: int
) -> FactBase | None:
    get = probe.get("httpGet")
    if not isinstance(get, YamlMap) or not isinstance(get.get("path"), str):
        return None
    if probe.get("enabled") is False:
        return None
    port = get.get("port")
    fact = health_fact(
        source,
        get["path"],
        start,
        end,
        f"values {name}",
        port=port if isinstance(port, int) else None,
        mechanism=_PROBES[key],
    )
    numbers = {
        "interval_s": probe.get("periodSeconds"),
        "timeout_s": probe.get("timeoutSeconds"),
        "failure_threshold": probe.get("failureThreshold"),
    }
    update = {k: v for k, v in numbers.items() if isinstance(v, (int, float))}
    return fact.model_copy(update=update) if update else fact


def _resources(
    source: SourceFile, name: str, node: YamlMap, start: int, end: int
) -> Iterator[FactBase]:
    """`resources.limits.memory: 256Mi` (and requests, cpu) as resource requirements."""
    kinds: tuple[Literal["cpu"], Literal["memory"]] = ("cpu", "memory")
    for kind in kinds:
        request = _amount(node.get("requests"), kind)
        limit = _amount(node.get("limits"), kind)
        if request is None and limit is None:
            continue
        written = ", ".join(
            f"{label} {amount}"
            for label, amount in (("request", request), ("limit", limit))
            if amount
        )
        yield ResourceRequirement(
            summary=f"{kind} {written} (Helm value {name}.* in {source.name})",
            citations=[source.cite(start, end)],
            resource=kind,
            request=request,
            limit=limit,
        )


def _amount(node: Any, kind: str) -> str | None:
    if isinstance(node, dict):
        return scalar_text(node.get(kind)) or None
    return None


class HelmHelpersAnalyzer:
    """A chart's `templates/_*.tpl` helpers: they define names, not resources, but the values
    they read (`.Values.nameOverride`) are the chart's parameters too."""

    name = "helm_helpers"

    def __init__(self, helm: HelmAnalyzer) -> None:
        self.helm = helm

    def accepts(self, source: SourceFile) -> bool:
        return (
            "templates" in source.parts[:-1]
            and source.name.startswith("_")
            and source.suffix == ".tpl"
            and ".Values" in source.text
            and not (TEST_DIRS.search(source.path) or _CI_DIRS.search(source.path))
        )

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        self.helm.record_reads(source)
        return AnalyzerResult()

    def finish(self) -> AnalyzerResult:
        """Nothing of its own: having a `finish` keeps it in the process of the Helm analyzer."""
        return AnalyzerResult()


_HELM = HelmAnalyzer()
register(_HELM)
register(HelmHelpersAnalyzer(_HELM))
