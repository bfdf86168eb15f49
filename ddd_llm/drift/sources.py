"""Live sources → records: each format parsed by its own ecosystem's rules, values redacted.

A source is one file an operator captured from a running system:

- `compose`: `docker compose config` (YAML or `--format json`), read by the compose analyzer;
- `kubernetes`: `kubectl get deploy,sts,cm,pod -o yaml|json` (a `List` or one object), read by
  the Kubernetes analyzer;
- `env`: `env`, `printenv`, `docker exec … env` (NAME=value lines);
- `environ`: `/proc/<pid>/environ` (NUL-separated entries);
- `dotenv`: a `.env` file, read by python-dotenv;
- `systemd`: `systemctl show UNIT…` (Property=value, units separated by a blank line), the
  `ExecStart` argv through the command-line flag reader;
- `config`: the service's own config file (`*.conf` directives, INI, TOML, properties,
  appsettings JSON), read by the config-file analyzers; other YAML/JSON flattened to dotted keys.

Every value passes `scrub` before it leaves this module: a secret-named key, a value the
redaction rules mask, or a URL with a password becomes `value=None, secret=True`.
"""

from __future__ import annotations

import io
import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from dotenv import dotenv_values

from ddd_llm.errors import InputError
from ddd_llm.evidence import load_analyzers
from ddd_llm.evidence.base import SourceFile, looks_secret
from ddd_llm.evidence.deploy._command import Word, flag_facts
from ddd_llm.evidence.deploy.systemd import unit_seconds
from ddd_llm.evidence.yamlpos import YamlList, YamlMap, YamlParseError, load_documents
from ddd_llm.models import Citation, ConfigParameter, FactBase, HealthCheck, Number
from ddd_llm.models import ResourceRequirement as Requirement
from ddd_llm.scan.redact import MASK, mark_redacted, redact, secret_name
from ddd_llm.scan.text import split_lines

Format = Literal["compose", "kubernetes", "env", "environ", "dotenv", "systemd", "config"]
FORMATS: tuple[Format, ...] = (
    "compose",
    "kubernetes",
    "env",
    "environ",
    "dotenv",
    "systemd",
    "config",
)
Namespace = Literal["env", "flag", "key", "systemd", "setting"]
"""What kind of name a live key is: an environment variable, a command-line flag, a config
file key, a systemd property, or a deployment setting (`replicas`)."""
Units = Literal["decimal", "binary"]
"""How a source reads `512M`: Kubernetes as 512·10^6, Docker and systemd as 512·2^20."""

CONFIG_ANALYZERS = ("appsettings", "directives", "ini", "properties", "toml_config")
CONFIG_SUFFIXES = frozenset(
    ".conf .cnf .ini .cfg .toml .properties .json .yaml .yml .xml .hcl".split()
)
_ENV_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)=(.*)$", re.DOTALL)
_SYSTEMD_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9]*)=(.*)$")
_SYSTEMD_MARKERS = ("LoadState=", "ActiveState=", "MainPID=", "ExecMainPID=", "UnitFileState=")
_ARGV = re.compile(r"argv\[\]=(.*?) ; ")
_ENV_SHAPED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SYSTEMD_MEMORY = {"MemoryMax": "limit", "MemoryLimit": "limit", "MemoryHigh": "request"}
_UNSET = frozenset({"infinity", "", "[not set]"})
HINT = (
    "give one of: `docker compose config` output, `kubectl get … -o yaml|json`, `env` output, "
    "/proc/PID/environ, a .env file, `systemctl show UNIT` output, or the service's config file "
    "(see docs/drift.md)"
)


@dataclass(frozen=True)
class Where:
    """The live file and the line (or NUL-separated entry) a value was read from."""

    path: str
    line: int | None = None
    unit: str = "line"

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        return f"{self.path}:{self.line}" if self.unit == "line" else f"{self.path}#{self.line}"


@dataclass(frozen=True)
class LiveParam:
    service: str | None
    name: str
    value: str | None
    """None for a secret (never kept) or a value given by reference (`valueFrom`)."""
    namespace: Namespace
    where: Where
    secret: bool = False


@dataclass(frozen=True)
class LiveProbe:
    service: str
    mechanism: str
    check_type: str
    target: str
    interval_s: Number | None
    timeout_s: Number | None
    failure_threshold: Number | None
    where: Where


@dataclass(frozen=True)
class LiveResource:
    service: str
    resource: str
    request: str | None
    limit: str | None
    units: Units
    where: Where


@dataclass
class LiveSource:
    """What one live file holds, and what it can show at all (a compose file shows probes and
    limits of its services; an env dump shows neither)."""

    path: str
    format: Format
    params: list[LiveParam] = field(default_factory=list)
    probes: list[LiveProbe] = field(default_factory=list)
    resources: list[LiveResource] = field(default_factory=list)
    services: set[str] = field(default_factory=set)
    """Services this source shows whole: a probe or limit missing here is missing live."""
    shows_probes: frozenset[str] = frozenset()
    shows_resources: frozenset[str] = frozenset()
    given_service: str | None = None
    notes: list[str] = field(default_factory=list)


def scrub(name: str, value: str | None) -> tuple[str | None, bool]:
    """(value, secret): a secret's value is dropped here, before anything can print it."""
    if value is None:
        return None, secret_name(name)
    if secret_name(name) or looks_secret(name, value, userless=True) or MASK in value:
        return None, True
    if redact(f"{name}={value}\n", ".env") != f"{name}={value}\n":
        return None, True
    return value, False


def read_source(path: Path, service: str | None = None, fmt: Format | None = None) -> LiveSource:
    """Parse one live file (its format detected unless `fmt` is given)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read live source {path}: {exc.strerror or exc}",
            path=str(path),
            hint="pass --live FILE for a file that exists (SERVICE=FILE to name its service)",
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path}:{line}: live source is not UTF-8 text", path=str(path), hint=HINT
        ) from None
    return parse_source(str(path), text, service, fmt)


def parse_source(
    label: str, text: str, service: str | None = None, fmt: Format | None = None
) -> LiveSource:
    """Parse the text of a live source named `label` (used in every `Where`)."""
    kind = fmt or detect(label, text)
    source = LiveSource(label, kind, given_service=service.lower() if service else None)
    if kind == "compose":
        _analyzed(source, text, "compose", "binary")
        source.shows_probes = frozenset({"compose-healthcheck"})
        source.shows_resources = frozenset({"cpu", "memory"})
    elif kind == "kubernetes":
        _analyzed(source, text, "kubernetes", "decimal")
        _configmaps(source, text)
        source.shows_probes = frozenset({"k8s-liveness", "k8s-readiness", "k8s-startup"})
        source.shows_resources = frozenset({"cpu", "memory"})
    elif kind == "env":
        _env_lines(source, text)
    elif kind == "environ":
        _environ(source, text)
    elif kind == "dotenv":
        _dotenv(source, text)
    elif kind == "systemd":
        _systemd(source, text)
        source.shows_probes = frozenset({"systemd-watchdog"})
        source.shows_resources = frozenset({"memory", "file_descriptors"})
    else:
        _config(source, text)
    if source.given_service:
        _assign(source, source.given_service)
    return source


# --------------------------------------------------------------------------- detection


def _yaml_data(label: str, text: str) -> list[Any]:
    try:
        return [d.data for d in load_documents(text)]
    except YamlParseError as exc:
        where = f"{label}:{exc.line}" if exc.line else label
        raise InputError(
            f"{where}: not valid YAML/JSON: {exc.message}", path=label, hint=HINT
        ) from None


def detect(label: str, text: str) -> Format:
    """The format of a live source, from its content (and its name for `.env` files)."""
    name = PurePosixPath(label).name
    suffix = PurePosixPath(label).suffix.lower()
    if "\0" in text:
        return "environ"
    if name == ".env" or name.endswith(".env"):
        return "dotenv"
    lines = [line for line in split_lines(text) if line.strip()]
    if not lines:
        raise InputError(f"{label}: live source is empty", path=label, hint=HINT)
    if any(line.startswith("Id=") for line in lines) and any(
        line.startswith(_SYSTEMD_MARKERS) for line in lines
    ):
        return "systemd"
    structured = suffix in (".yaml", ".yml", ".json") or (
        suffix not in CONFIG_SUFFIXES
        and (
            lines[0].lstrip().startswith("{")
            or re.match(r"^(apiVersion|kind|name|services|items):", lines[0]) is not None
        )
    )
    if structured:
        for data in _yaml_data(label, text):
            if isinstance(data, dict) and "apiVersion" in data and "kind" in data:
                return "kubernetes"
            if isinstance(data, dict) and isinstance(data.get("services"), dict):
                return "compose"
        return "config"
    if suffix not in CONFIG_SUFFIXES and _ENV_LINE.match(lines[0]) and " = " not in lines[0]:
        return "env"
    return "config"


# --------------------------------------------------------------------------- analyzers


def _namespace(name: str, fmt: Format) -> Namespace:
    if name.startswith("-"):
        return "flag"
    if fmt == "config":
        return "key"
    if fmt == "systemd":
        return "systemd"
    return "env" if _ENV_SHAPED.match(name) and name != "replicas" else "setting"


def _commented(text_lines: list[str], line: int) -> bool:
    if not 1 <= line <= len(text_lines):
        return False
    return text_lines[line - 1].lstrip().startswith(("#", ";", "//"))


def _facts_of(source: LiveSource, text: str, analyzers: Iterable[str]) -> list[FactBase]:
    """Run the project's analyzers on the (redacted) live text, as extract does on a repo."""
    redacted = redact(text, source.path)
    # The file's own name only: analyzers skip files under test/fixture folders by path.
    file = SourceFile(PurePosixPath(source.path).name, redacted)
    registry = load_analyzers()
    facts: list[FactBase] = []
    for name in analyzers:
        analyzer = registry[name]
        if name == "compose" or name == "kubernetes" or analyzer.accepts(file):
            result = analyzer.analyze(file)
            facts.extend(result.facts)
            source.notes.extend(
                f"{source.path}:{w.line}: {w.message}" if w.line else f"{source.path}: {w.message}"
                for w in result.warnings
            )
    return mark_redacted(facts)


def _where(source: LiveSource, citations: list[Citation]) -> Where:
    return Where(source.path, citations[0].start_line if citations else None)


def _records(source: LiveSource, facts: list[FactBase], units: Units, lines: list[str]) -> None:
    for fact in facts:
        where = _where(source, fact.citations)
        if isinstance(fact, ConfigParameter):
            if where.line is not None and _commented(lines, where.line):
                continue  # a commented-out default is not a live setting
            value, secret = scrub(fact.name, None if fact.secret else fact.default)
            source.params.append(
                LiveParam(
                    fact.service,
                    fact.name,
                    value,
                    _namespace(fact.name, source.format),
                    where,
                    secret or fact.secret,
                )
            )
        elif isinstance(fact, HealthCheck) and fact.service:
            source.probes.append(
                LiveProbe(
                    fact.service,
                    fact.mechanism,
                    fact.check_type,
                    fact.target,
                    fact.interval_s,
                    fact.timeout_s,
                    fact.failure_threshold,
                    where,
                )
            )
        elif (
            isinstance(fact, Requirement)
            and fact.service
            and fact.resource in ("cpu", "memory", "file_descriptors")
        ):
            source.resources.append(
                LiveResource(fact.service, fact.resource, fact.request, fact.limit, units, where)
            )


def _analyzed(source: LiveSource, text: str, analyzer: str, units: Units) -> None:
    _yaml_data(source.path, text)  # a broken dump is an error naming its line, not a warning
    facts = _facts_of(source, text, [analyzer])
    _records(source, facts, units, split_lines(text))
    source.services = {f.service for f in facts if f.service} | _workloads(source.path, text)


def _workloads(label: str, text: str) -> set[str]:
    """Every compose service / Kubernetes workload the dump holds, even one without facts."""
    names: set[str] = set()
    for data in _yaml_data(label, text):
        if not isinstance(data, dict):
            continue
        services = data.get("services")
        if isinstance(services, dict) and "apiVersion" not in data:
            names.update(str(s).lower() for s in services)
            continue
        listed = data.get("items")
        items: list[Any] = listed if isinstance(listed, list) else [data]
        for item in items:
            if isinstance(item, dict) and item.get("kind") in _WORKLOAD_KINDS:
                meta = item.get("metadata")
                if isinstance(meta, dict) and meta.get("name"):
                    names.add(str(meta["name"]).lower())
    return names


_WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Pod", "ReplicaSet"})


def _objects(data: object) -> Iterator[YamlMap]:
    if isinstance(data, YamlMap):
        items = data.get("items")
        if isinstance(items, YamlList) and str(data.get("kind", "")).endswith("List"):
            for item in items:
                yield from _objects(item)
        else:
            yield data


def _consumers(objects: list[YamlMap]) -> dict[str, set[str]]:
    """ConfigMap name → the workloads whose containers take it as env (`envFrom`,
    `configMapKeyRef`)."""
    users: dict[str, set[str]] = {}

    def walk(node: object, owner: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("configMapRef", "configMapKeyRef") and isinstance(value, dict):
                    if value.get("name"):
                        users.setdefault(str(value["name"]), set()).add(owner)
                walk(value, owner)
        elif isinstance(node, list):
            for item in node:
                walk(item, owner)

    for obj in objects:
        meta = obj.get("metadata")
        if obj.get("kind") in _WORKLOAD_KINDS and isinstance(meta, dict) and meta.get("name"):
            walk(obj.get("spec"), str(meta["name"]).lower())
    return users


def _configmaps(source: LiveSource, text: str) -> None:
    """ConfigMap `data` keys: env vars of the workloads that take the ConfigMap as env; a
    multi-line value (a whole config file) is left out and noted."""
    objects = [o for d in load_documents(text) for o in _objects(d.data)]
    users = _consumers(objects)
    for obj in objects:
        data = obj.get("data")
        meta = obj.get("metadata")
        if obj.get("kind") != "ConfigMap" or not isinstance(data, YamlMap):
            continue
        name = str(meta.get("name")) if isinstance(meta, dict) else ""
        owners: list[str | None] = [*sorted(users.get(name, set()))] or [None]
        for key, value in data.items():
            text_value = None if value is None else str(value)
            if text_value is not None and "\n" in text_value.strip():
                source.notes.append(
                    f"{source.path}:{data.line_of(key).start}: ConfigMap {name} key {key} "
                    "holds a file; pass that file as its own --live source"
                )
                continue
            kept, secret = scrub(str(key), text_value)
            where = Where(source.path, data.line_of(key).start)
            ns: Namespace = "env" if _ENV_SHAPED.match(str(key)) else "key"
            for owner in owners:
                source.params.append(LiveParam(owner, str(key), kept, ns, where, secret))


# --------------------------------------------------------------------------- env dumps


def _add_env(source: LiveSource, name: str, value: str, where: Where) -> None:
    kept, secret = scrub(name, value)
    source.params.append(LiveParam(None, name, kept, "env", where, secret))


def _env_lines(source: LiveSource, text: str) -> None:
    """`env` output: NAME=value per line; a line without `=` continues a multi-line value."""
    current: tuple[str, list[str], int] | None = None
    for number, line in enumerate(split_lines(text), 1):
        match = _ENV_LINE.match(line)
        if match:
            if current:
                _add_env(source, current[0], "\n".join(current[1]), Where(source.path, current[2]))
            current = (match.group(1), [match.group(2)], number)
        elif current is not None:
            current[1].append(line)
        elif line.strip():
            raise InputError(
                f"{source.path}:{number}: not a NAME=value line of `env` output",
                path=source.path,
                hint=HINT,
            )
    if current:
        _add_env(source, current[0], "\n".join(current[1]), Where(source.path, current[2]))


def _environ(source: LiveSource, text: str) -> None:
    """/proc/PID/environ: NAME=value entries separated by NUL bytes."""
    for number, entry in enumerate(text.split("\0"), 1):
        if not entry:
            continue
        name, sep, value = entry.partition("=")
        if not sep or not name:
            raise InputError(
                f"{source.path}#{number}: environ entry {number} has no NAME=value",
                path=source.path,
                hint="copy /proc/PID/environ as it is (NUL-separated NAME=value entries)",
            )
        _add_env(source, name, value, Where(source.path, number, "entry"))


def _dotenv(source: LiveSource, text: str) -> None:
    lines = split_lines(text)
    for name, value in dotenv_values(stream=io.StringIO(text)).items():
        pattern = re.compile(rf"^\s*(?:export\s+)?{re.escape(name)}\s*=")
        line = next((i for i, text_line in enumerate(lines, 1) if pattern.match(text_line)), None)
        kept, secret = scrub(name, value)
        source.params.append(LiveParam(None, name, kept, "env", Where(source.path, line), secret))


# --------------------------------------------------------------------------- systemd


def _systemd_blocks(source: LiveSource, text: str) -> Iterator[list[tuple[int, str, str]]]:
    block: list[tuple[int, str, str]] = []
    for number, line in enumerate(split_lines(text), 1):
        if not line.strip():
            if block:
                yield block
            block = []
            continue
        match = _SYSTEMD_LINE.match(line)
        if match is None:
            raise InputError(
                f"{source.path}:{number}: not a Property=value line of `systemctl show`",
                path=source.path,
                hint="capture it with `systemctl show UNIT > FILE` (no --value, no -p filter "
                "that drops Id=)",
            )
        block.append((number, match.group(1), match.group(2)))
    if block:
        yield block


def _unit_name(unit_id: str) -> str:
    return unit_id.removesuffix(".service").lower()


def _systemd(source: LiveSource, text: str) -> None:
    for block in _systemd_blocks(source, text):
        unit_id = next((v for _, k, v in block if k == "Id"), None)
        if unit_id is None:
            raise InputError(
                f"{source.path}:{block[0][0]}: a `systemctl show` block without Id=",
                path=source.path,
                hint="capture it with `systemctl show UNIT > FILE` (Id= names the unit)",
            )
        service = _unit_name(unit_id)
        source.services.add(service)
        memory: dict[str, tuple[str, int]] = {}
        for number, key, value in block:
            where = Where(source.path, number)
            if key == "Environment":
                for word in shlex.split(value):
                    name, sep, val = word.partition("=")
                    if sep:
                        kept, secret = scrub(name, val)
                        source.params.append(LiveParam(service, name, kept, "env", where, secret))
            elif key in ("ExecStart",):
                _exec_flags(source, service, value, number)
            elif key in _SYSTEMD_MEMORY and value not in _UNSET:
                memory[_SYSTEMD_MEMORY[key]] = (value, number)
            elif key == "LimitNOFILE" and value not in _UNSET:
                source.resources.append(
                    LiveResource(service, "file_descriptors", None, value, "binary", where)
                )
            elif key == "WatchdogUSec":
                seconds = unit_seconds(value)
                if seconds:
                    source.probes.append(
                        LiveProbe(
                            service,
                            "systemd-watchdog",
                            "exec",
                            unit_id,
                            seconds,
                            None,
                            None,
                            where,
                        )
                    )
            # Every property is a record; compare judges those a fact names (RestartUSec is
            # the RestartSec directive) and counts the rest as properties systemd always prints.
            kept, secret = scrub(key, value)
            source.params.append(LiveParam(service, key, kept, "systemd", where, secret))
        if memory:
            line = min(n for _, n in memory.values())
            source.resources.append(
                LiveResource(
                    service,
                    "memory",
                    memory.get("request", (None, 0))[0],
                    memory.get("limit", (None, 0))[0],
                    "binary",
                    Where(source.path, line),
                )
            )


def _exec_flags(source: LiveSource, service: str, value: str, number: int) -> None:
    match = _ARGV.search(value + " ")
    if match is None:
        return
    try:
        argv = shlex.split(match.group(1))
    except ValueError:
        source.notes.append(f"{source.path}:{number}: ExecStart argv has unbalanced quotes")
        return
    cite = Citation(path=source.path, start_line=number, end_line=number)
    for fact in flag_facts([Word(a, cite) for a in argv], service, "ExecStart"):
        if isinstance(fact, ConfigParameter) and fact.name.startswith("-"):
            raw = None if fact.secret else fact.default
            # `--workers ${COLLECTOR_WORKERS}` stays a reference: compare substitutes the
            # variable's live value from the unit's environment (systemd expands it at exec).
            kept, secret = scrub(fact.name, raw)
            source.params.append(
                LiveParam(service, fact.name, kept, "flag", Where(source.path, number), secret)
            )


# --------------------------------------------------------------------------- config files


def _config(source: LiveSource, text: str) -> None:
    registry = load_analyzers()
    redacted = redact(text, source.path)
    file = SourceFile(PurePosixPath(source.path).name, redacted)
    accepted = [n for n in CONFIG_ANALYZERS if registry[n].accepts(file)]
    lines = split_lines(text)
    if accepted:
        facts = _facts_of(source, text, accepted)
        _records(source, facts, "binary", lines)
        for param in list(source.params):
            if param.namespace != "key":
                source.params.remove(param)
                source.params.append(
                    LiveParam(
                        param.service, param.name, param.value, "key", param.where, param.secret
                    )
                )
        return
    suffix = PurePosixPath(source.path).suffix.lower()
    if suffix in (".yaml", ".yml", ".json") or text.lstrip().startswith("{"):
        for data in _yaml_data(source.path, redacted):
            if isinstance(data, YamlMap):
                for key, value, line in _leaves(data, ""):
                    kept, secret = scrub(key.rsplit(".", 1)[-1], value)
                    source.params.append(
                        LiveParam(None, key, kept, "key", Where(source.path, line), secret)
                    )
        return
    raise InputError(
        f"{source.path}: no config-file reader accepts this file", path=source.path, hint=HINT
    )


def _leaves(node: YamlMap, prefix: str) -> Iterator[tuple[str, str | None, int]]:
    for key, value in node.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, YamlMap):
            yield from _leaves(value, name)
        elif isinstance(value, YamlList):
            items = [str(v) for v in value if not isinstance(v, (YamlMap, YamlList))]
            yield name, ",".join(items), node.line_of(key).start
        else:
            text = (
                None
                if value is None
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
            yield name, text, node.line_of(key).start


# --------------------------------------------------------------------------- services


def _assign(source: LiveSource, service: str) -> None:
    """SERVICE=FILE: the records of a source that does not name its service."""
    source.params = [
        p if p.service else LiveParam(service, p.name, p.value, p.namespace, p.where, p.secret)
        for p in source.params
    ]
