"""systemd unit files (and their templates and drop-ins): dependencies, restart policy, limits,
the flags `ExecStart=` passes and the variables it reads, and the environment files
(`EnvironmentFile=`) the repository ships for them (a package's `x.sysconfig`, `x.default`)."""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ddd_llm.evidence.base import (
    AnalyzerResult,
    SourceFile,
    infer_value_type,
    looks_secret,
    register,
)
from ddd_llm.evidence.config_files.dotenv import (
    Assignment,
    looks_like_credential,
    read_assignments,
)
from ddd_llm.evidence.deploy._command import Word, flag_facts
from ddd_llm.evidence.deploy._interpolate import interpolate, reference_params
from ddd_llm.models import (
    ConfigParameter,
    Dependency,
    DependencyType,
    FactBase,
    HealthCheck,
    Number,
    ResourceRequirement,
    Service,
)

# Templating layers that wrap a unit file without changing its syntax.
_TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".in", ".tmpl", ".tpl", ".template", ".erb")
_SECTION_LINE = re.compile(r"(?m)^\s*\[(Unit|Service|Install)\]\s*$")
_SECTION = re.compile(r"^\[([^\]\[]+)\]$")
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
# Whole-line template directives: `{% if %}`, `{# note #}`, `{{ extra }}`, ERB `<% %>`.
_TEMPLATE_LINE = re.compile(r"^(\{%.*%\}|\{#.*#\}|\{\{.*\}\}|<%.*%>)$")

_JINJA_EXPR = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")

_START_ORDER_KEYS = ("After", "Requires", "BindsTo", "Requisite")
_OPTIONAL_KEYS = ("Wants",)
_DEP_RANK: dict[DependencyType, int] = {"start_order": 2, "runtime": 1, "optional": 0}
_NON_SERVICE_SUFFIXES = (
    ".target",
    ".socket",
    ".mount",
    ".automount",
    ".swap",
    ".path",
    ".timer",
    ".slice",
    ".scope",
    ".device",
)
RESTART_VALUES = [
    "no",
    "on-success",
    "on-failure",
    "on-abnormal",
    "on-watchdog",
    "on-abort",
    "always",
]
_DURATION_KEYS = ("RestartSec", "TimeoutSec", "TimeoutStartSec", "TimeoutStopSec")
_TIMER_KEYS = (
    "OnCalendar",
    "OnBootSec",
    "OnStartupSec",
    "OnActiveSec",
    "OnUnitActiveSec",
    "OnUnitInactiveSec",
    "RandomizedDelaySec",
    "Persistent",
)

_TIME_UNITS: dict[str, float] = {}
for _names, _seconds in (
    (("usec", "us", "µs"), 1e-6),
    (("msec", "ms"), 1e-3),
    (("seconds", "second", "sec", "s", ""), 1.0),
    (("minutes", "minute", "min", "m"), 60.0),
    (("hours", "hour", "hr", "h"), 3600.0),
    (("days", "day", "d"), 86400.0),
    (("weeks", "week", "w"), 604800.0),
    (("months", "month", "M"), 2629800.0),
    (("years", "year", "y"), 31557600.0),
):
    for _name in _names:
        _TIME_UNITS[_name] = _seconds
_TIME_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-zµ]*)")

# Executables that run someone else's code: their basename names no package of the repo.
_GENERIC_EXECUTABLES = frozenset(
    "sh bash dash zsh env python python2 python3 node nodejs npm npx yarn pnpm deno bun java "
    "ruby perl php dotnet docker podman docker-compose kubectl systemctl sleep true false echo "
    "test nice ionice chrt taskset su sudo runuser setpriv exec uv poetry pipenv pip pipx "
    "gunicorn uvicorn hypercorn daphne celery flask django-admin nginx caddy httpd apache2 "
    "supervisord start run main app server bin".split()
)
_PY_SERVERS = frozenset({"gunicorn", "uvicorn", "hypercorn", "daphne", "celery", "waitress-serve"})
_PYTHON_EXE = re.compile(r"^python(\d+(\.\d+)?)?$")
_APP_SPEC = re.compile(r"^([A-Za-z_]\w*)(\.\w+)*:[A-Za-z_][\w.]*(\(.*\))?$")
_MODULE = re.compile(r"^([A-Za-z_]\w*)(\.\w+)*$")
_UNIT_WORD = re.compile(r"^[a-z0-9][a-z0-9:_.\\@%-]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_PACKAGE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

_BARE_WORD = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")
# A systemd specifier (`%i`, the instance name) in a value: filled in when the unit starts.
_SPECIFIER = re.compile(r"(?<!%)%[A-Za-z]")
_SPECIFIER_MEANING = {"%i": "the instance name", "%I": "the instance name", "%H": "the host name"}

# Environment files as packages ship them: `/etc/sysconfig/acme` ← `acme.sysconfig`,
# `/etc/default/acme` ← `debian/acme.default`, `sysconfig/acme`, `acme.env`.
_ENV_SUFFIXES = ("sysconfig", "default", "defaults", "env", "environment", "conf", "cfg")
_ENV_DIRS = frozenset(
    {"sysconfig", "default", "defaults", "env", "environment", "environment.d", "conf.d"}
)


def unit_seconds(text: str) -> Number | None:
    """A systemd time span (`30`, `5min`, `1h 30min`, `500ms`) in seconds; None if not one."""
    value = text.strip()
    if not value or value.lower() == "infinity":
        return None
    pos = 0
    total = 0.0
    while pos < len(value):
        if value[pos].isspace():
            pos += 1
            continue
        match = _TIME_PART.match(value, pos)
        if match is None or match.end() == pos:
            return None
        unit = match.group(2)
        factor = _TIME_UNITS.get(unit)
        if factor is None:
            factor = _TIME_UNITS.get(unit.lower())
        if factor is None:
            return None
        total += float(match.group(1)) * factor
        pos = match.end()
    if not math.isfinite(total):
        return None  # a number too long for a float
    rounded = round(total, 6)
    return int(rounded) if rounded == int(rounded) else rounded


@dataclass
class Directive:
    """One `Key=Value` assignment with the lines it spans (continuations included)."""

    section: str
    key: str
    value: str
    start: int
    end: int


@dataclass
class _Dep:
    target: str
    dependency_type: DependencyType
    keys: list[str] = field(default_factory=list)
    lines: list[tuple[int, int]] = field(default_factory=list)


def unit_name_of(path: str) -> str | None:
    """The unit a file defines or overrides: `acme.service(.j2)` or `acme.service.d/x.conf`."""
    pure = PurePosixPath(path)
    name = pure.name.lower()
    for suffix in _TEMPLATE_SUFFIXES:
        if name.endswith(".service" + suffix):
            name = name[: -len(suffix)]
            break
    if name.endswith(".service") and len(name) > len(".service"):
        return name[: -len(".service")]
    parent = pure.parent.name.lower()
    if name.endswith(".conf") and parent.endswith(".service.d") and len(parent) > 10:
        return parent[: -len(".service.d")]
    return None


def socket_name_of(path: str) -> str | None:
    """The socket unit a file defines: `acme.socket` (or a template of it) → `acme`."""
    name = PurePosixPath(path).name.lower()
    for suffix in _TEMPLATE_SUFFIXES:
        if name.endswith(".socket" + suffix):
            name = name[: -len(suffix)]
            break
    if name.endswith(".socket") and len(name) > len(".socket"):
        return name[: -len(".socket")]
    return None


# `ListenStream=9100`, `0.0.0.0:9100`, `[::]:9100`; a path (`/run/x.sock`) is no port.
_LISTEN_PORT = re.compile(r"^(?:(?:\[[^\]]*\]|[^\s:/\[\]]*):)?(\d{1,5})$")
_LISTEN_KEYS = ("ListenStream", "ListenDatagram", "ListenSequentialPacket")


def parse_unit(source: SourceFile, result: AnalyzerResult, analyzer: str) -> list[Directive]:
    """Every directive of the file in order; lines that are not unit syntax become warnings."""
    directives: list[Directive] = []
    section = ""
    lines = source.lines
    index = 0
    while index < len(lines):
        start = index + 1
        raw = lines[index].strip()
        index += 1
        if not raw or raw[0] in "#;" or _TEMPLATE_LINE.match(raw):
            continue
        # A trailing backslash joins the next line; comment lines inside are dropped (systemd).
        while raw.endswith("\\") and index < len(lines):
            nxt = lines[index].strip()
            index += 1
            if nxt[:1] in ("#", ";"):
                continue
            raw = raw[:-1].rstrip() + " " + nxt
        end = index
        if raw.endswith("\\"):
            raw = raw[:-1].rstrip()
        if raw.startswith("["):
            header = _SECTION.match(raw)
            if header is None:
                result.warn(source, f"malformed section header {raw[:60]!r}", start, analyzer)
                section = ""
            else:
                section = header.group(1).strip()
            continue
        key, sep, value = raw.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            result.warn(source, f"not a unit directive: {raw[:60]!r}", start, analyzer)
            continue
        if not section:
            result.warn(source, f"directive {key}= outside any [section]", start, analyzer)
            continue
        directives.append(Directive(section, key, value.strip(), start, end))
    return directives


def _split_words(value: str) -> list[str] | None:
    """Shell-like words; a template expression (`{{ a b }}`) stays inside one word."""
    saved: list[str] = []

    def hide(match: re.Match[str]) -> str:
        saved.append(match.group(0))
        return f"\x00{len(saved) - 1}\x00"

    try:
        words = shlex.split(_JINJA_EXPR.sub(hide, value), comments=False, posix=True)
    except ValueError:
        return None
    return [re.sub(r"\x00(\d+)\x00", lambda m: saved[int(m.group(1))], w) for w in words]


def _dependency_target(word: str) -> str | None:
    lower = word.lower()
    if not _UNIT_WORD.match(lower) or lower.endswith(_NON_SERVICE_SUFFIXES):
        return None  # template placeholders (`{{ x }}`, `@VAR@`, `$X`) name no unit yet
    if lower.endswith(".service"):
        lower = lower[: -len(".service")]
    elif "." in lower.rsplit("@", 1)[0].rsplit("/", 1)[-1]:
        # Any other suffix (`.busname`, `.network`) is not a service unit.
        return None
    return lower or None


def _exec_owner(command: str) -> str | None:
    """The repo directory an `ExecStart=` runs: `python -m pkg.x` → pkg, `/opt/bin/x` → x."""
    words = _split_words(command.lstrip("-@:+!"))
    if not words:
        return None
    # `sh -c "python -m app"`: the real command is the quoted string.
    first = PurePosixPath(words[0]).name
    if first in ("sh", "bash", "dash", "zsh"):
        # `-c`, `-lc`, `-ec`: the command is the next word.
        flag = next((i for i, w in enumerate(words) if re.match(r"^-[a-z]*c$", w)), None)
        if flag is not None and flag + 1 < len(words):
            return _exec_owner(words[flag + 1])
        return None
    for at, word in enumerate(words):
        base = PurePosixPath(word).name
        if _PYTHON_EXE.match(base):
            rest = words[at + 1 :]
            if "-m" in rest:
                at_m = rest.index("-m")
                if at_m + 1 < len(rest) and _MODULE.match(rest[at_m + 1]):
                    return rest[at_m + 1].split(".")[0]
            scripts = [w for w in rest if not w.startswith("-")]
            if scripts and scripts[0].endswith(".py"):
                parent = PurePosixPath(scripts[0]).parent.name
                return parent if parent and _PACKAGE_NAME.match(parent) else None
            return None
        if base in _PY_SERVERS:
            rest = words[at + 1 :]
            for prev, arg in zip([base, *rest], rest, strict=False):
                if prev in ("-A", "--app") and _MODULE.match(arg):
                    return arg.split(".")[0]
                if _APP_SPEC.match(arg):
                    return arg.split(".")[0].split(":")[0]
            return None
    base = PurePosixPath(words[0]).name
    if "/" not in words[0] or not _PACKAGE_NAME.match(base) or base.lower() in _GENERIC_EXECUTABLES:
        return None
    if "$" in base or "%" in base or "@" in base:
        return None
    return base


def last_assignment_wins(facts: list[FactBase]) -> list[FactBase]:
    """One fact per id: a later assignment overrides an earlier one, both lines stay cited."""
    by_id: dict[str, FactBase] = {}
    for fact in facts:
        earlier = by_id.pop(fact.id, None)
        if earlier is not None:
            merged = [c for c in earlier.citations if c not in fact.citations] + fact.citations
            fact.citations = sorted(merged, key=lambda c: (c.start_line, c.end_line))
        by_id[fact.id] = fact
    return list(by_id.values())


@dataclass
class _UnitState:
    """What the `[Service]` directives of one unit file said, gathered while reading them."""

    memory: dict[str, Directive] = field(default_factory=dict)
    environment: dict[str, ConfigParameter] = field(default_factory=dict)
    """`Environment=` assignments by name (the last one)."""
    files: list[Directive] = field(default_factory=list)
    """`EnvironmentFile=` directives in order."""
    reads: dict[str, ConfigParameter] = field(default_factory=dict)
    """Variables `ExecStart=` reads (`${PORT}`, `$OPTIONS`), first read first."""

    def read(self, fact: ConfigParameter) -> None:
        known = self.reads.get(fact.name)
        if known is None:
            self.reads[fact.name] = fact
        else:
            known.citations.extend(c for c in fact.citations if c not in known.citations)


@dataclass
class _EnvUser:
    """A unit with `EnvironmentFile=`: the variables it reads wait for the files to be seen."""

    unit: str
    path: str
    files: list[Directive]
    reads: dict[str, ConfigParameter]


def _template_stripped(name: str) -> str:
    for suffix in _TEMPLATE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def env_file_candidate(path: str) -> bool:
    """A file a package may install as a unit's environment file: `acme.sysconfig`,
    `acme.default`, `acme.env`, `sysconfig/acme`, `default/acme` (or a template of one)."""
    pure = PurePosixPath(path)
    name = _template_stripped(pure.name.lower())
    if pure.parent.name.lower() in _ENV_DIRS:
        return True
    return name == ".env" or name.rpartition(".")[2] in _ENV_SUFFIXES and "." in name


def _env_file_rank(written: str, path: str) -> int | None:
    """How surely repository file `path` is what `EnvironmentFile=written` names (lower is
    surer): the same folder and name (`sysconfig/acme`), the same name with a suffix
    (`acme.env`), the name plus the folder's suffix (`acme.sysconfig` for
    `/etc/sysconfig/acme`), the name plus another environment suffix; None: not it."""
    ref = PurePosixPath(written)
    base, folder = ref.name.lower(), ref.parent.name.lower()
    pure = PurePosixPath(path)
    name, parent = _template_stripped(pure.name.lower()), pure.parent.name.lower()
    if not base:
        return None
    if name == base:
        if folder and parent == folder:
            return 0
        if "." in base or parent in _ENV_DIRS:
            return 1
        return None
    stem, dot, suffix = name.rpartition(".")
    if dot and stem == base and suffix in _ENV_SUFFIXES:
        return 2 if suffix == folder or (suffix + "s") == folder else 3
    return None


def _shared_prefix(a: str, b: str) -> int:
    count = 0
    for x, y in zip(PurePosixPath(a).parent.parts, PurePosixPath(b).parent.parts, strict=False):
        if x != y:
            break
        count += 1
    return count


def _specifiers_filled_in(facts: list[FactBase]) -> list[FactBase]:
    """A flag value with a systemd specifier (`-p %i`) is no literal value: systemd fills in
    the instance name (or the host, the unit…) when the unit starts."""
    out: list[FactBase] = []
    for fact in facts:
        found = _SPECIFIER.findall(fact.default or "") if isinstance(fact, ConfigParameter) else []
        if not found or not isinstance(fact, ConfigParameter):
            out.append(fact)
            continue
        what = ", ".join(f"{s} ({_SPECIFIER_MEANING.get(s, 'a systemd specifier')})" for s in found)
        out.append(
            fact.model_copy(
                update={
                    "default": None,
                    "value_type": "string",
                    "summary": f"{fact.summary}; systemd fills in {what} when the unit starts",
                }
            )
        )
    return out


class SystemdAnalyzer:
    """Reads `*.service` units, their `.j2`/`.in` templates and `*.service.d/*.conf` drop-ins,
    and the environment files the repository ships for their `EnvironmentFile=` (joined in
    `finish` once every file was seen)."""

    name = "systemd"

    def __init__(self) -> None:
        self._users: list[_EnvUser] = []
        self._env_sources: dict[str, SourceFile] = {}

    def accepts(self, source: SourceFile) -> bool:
        lower = source.name.lower()
        if lower.endswith(".timer"):
            return bool(re.search(r"(?m)^\s*\[Timer\]\s*$", source.text))
        if socket_name_of(source.path) is not None:
            return bool(re.search(r"(?m)^\s*\[Socket\]\s*$", source.text))
        if unit_name_of(source.path) is None:
            return False
        if lower.endswith(".service"):
            return True
        return bool(_SECTION_LINE.search(source.text))

    def keep_env_file(self, source: SourceFile) -> None:
        """A file a unit's `EnvironmentFile=` may name: read in finish() if one does."""
        self._env_sources[source.path] = source

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        if source.name.lower().endswith(".timer"):
            self._timer(source, result)
            return result
        if socket_name_of(source.path) is not None:
            self._socket(source, result)
            return result
        unit = unit_name_of(source.path)
        if unit is None:
            return result
        directives = parse_unit(source, result, self.name)
        if not directives:
            result.warn(source, "no unit directives found", None, self.name)
        result.services.append(
            Service(name=unit, kind="systemd-unit", citations=[source.cite(1, len(source.lines))])
        )
        self._dependencies(source, unit, directives, result)
        state = _UnitState()
        for item in directives:
            if item.section == "Service":
                self._service_directive(source, unit, item, result, state)
        self._memory(source, unit, state.memory, result)
        result.facts = last_assignment_wins(result.facts)
        pending: dict[str, ConfigParameter] = {}
        for name, read in state.reads.items():
            known = state.environment.get(name)
            if known is not None:
                # `Environment=PORT=8080` then `--port ${PORT}`: the unit's value, both cited.
                known.citations.extend(c for c in read.citations if c not in known.citations)
            elif state.files:
                pending[name] = read  # an environment file may set it: decided in finish()
            else:
                result.facts.append(read)
        if state.files:
            self._users.append(_EnvUser(unit, source.path, state.files, pending))
        return result

    def finish(self) -> AnalyzerResult:
        """The variables the command line of every unit with `EnvironmentFile=` reads, with
        the values the repository's environment file gives them, each citing its line in
        that file and the `ExecStart=` lines that read it. (The file's other variables reach
        the process too, but only the code says whether it reads them.)"""
        result = AnalyzerResult()
        parsed: dict[str, list[Assignment] | None] = {}
        try:
            for user in self._users:
                self._unit_environment(user, parsed, result)
        finally:
            self._users.clear()
            self._env_sources.clear()
        return result

    def _unit_environment(
        self,
        user: _EnvUser,
        parsed: dict[str, list[Assignment] | None],
        result: AnalyzerResult,
    ) -> None:
        defined: dict[str, ConfigParameter] = {}
        for item in user.files:
            written = item.value.lstrip("-").strip()
            source = self._env_file(written, user.path)
            if source is None:
                continue
            if source.path not in parsed:
                parsed[source.path] = self._assignments(source, result)
            for assignment in parsed[source.path] or []:
                # A later assignment (or a later file) overrides an earlier one, as in systemd.
                defined[assignment.name] = self._env_fact(user.unit, written, source, assignment)
        for name, read in user.reads.items():
            fact = defined.get(name)
            if fact is None:
                result.facts.append(read)
            else:
                fact.citations.extend(c for c in read.citations if c not in fact.citations)
                result.facts.append(fact)

    def _env_file(self, written: str, unit_path: str) -> SourceFile | None:
        """The repository file `EnvironmentFile=written` installs, if one is shipped."""
        if not written.startswith("/") or _SPECIFIER.search(written) or "$" in written:
            return None  # relative (systemd refuses it), per instance, or templated
        ranked = [
            (rank, -_shared_prefix(path, unit_path), path)
            for path in self._env_sources
            if (rank := _env_file_rank(written, path)) is not None
        ]
        return self._env_sources[min(ranked)[2]] if ranked else None

    def _assignments(self, source: SourceFile, result: AnalyzerResult) -> list[Assignment] | None:
        """The file's `KEY=value` lines; None when it is not such a file (a `.conf` of
        `-m 64` lines) or sets nothing."""
        seen = AnalyzerResult()
        assignments = read_assignments(source, seen, self.name)
        if not assignments or len(seen.warnings) > len(assignments):
            return None
        result.warnings.extend(seen.warnings)
        return assignments

    def _env_fact(
        self, unit: str, written: str, source: SourceFile, item: Assignment
    ) -> ConfigParameter:
        default = item.text if item.text is not None else None
        secret = looks_secret(item.name, default) or bool(
            default and looks_like_credential(default)
        )
        shown = "" if secret or default is None else f" = {default!r}"
        about = " ".join(item.description) or item.comment
        about = f": {about[:200]}" if about else ""
        return ConfigParameter(
            service=unit,
            summary=f"{unit} environment variable {item.name}{shown} from "
            f"EnvironmentFile={written} ({source.path}){about}",
            citations=[source.cite(item.start, item.end)],
            name=item.name,
            value_type=infer_value_type(default) if default else "string",
            default=default,
            secret=secret,
        )

    def _timer(self, source: SourceFile, result: AnalyzerResult) -> None:
        """A timer's schedule is a setting of the unit it activates (`Unit=`, else the unit
        of the same name): when the job runs, how late it may start, whether missed runs
        catch up."""
        directives = parse_unit(source, result, self.name)
        stem = PurePosixPath(source.name).name
        for suffix in _TEMPLATE_SUFFIXES:
            stem = stem.removesuffix(suffix)
        unit = stem.removesuffix(".timer")
        for item in directives:
            if item.section == "Timer" and item.key == "Unit" and item.value:
                unit = item.value.removesuffix(".service")
        for item in directives:
            if item.section != "Timer" or item.key not in _TIMER_KEYS or not item.value:
                continue
            result.facts.append(
                ConfigParameter(
                    service=unit,
                    summary=f"{unit} timer schedule {item.key}={item.value} ({source.name})",
                    citations=[source.cite(item.start, item.end)],
                    name=item.key,
                    value_type="bool" if item.key == "Persistent" else "string",
                    default=item.value,
                )
            )

    def _socket(self, source: SourceFile, result: AnalyzerResult) -> None:
        """Ports a socket unit listens on belong to the service it activates."""
        directives = parse_unit(source, result, self.name)
        socket = socket_name_of(source.path) or ""
        service = socket
        for item in directives:
            if item.section == "Socket" and item.key == "Service" and item.value:
                named = unit_name_of(item.value.strip())
                service = named or service
        # `acme@.socket` activates one `acme@<instance>.service` per connection
        service = service.removesuffix("@")
        for item in directives:
            if item.section != "Socket" or item.key not in _LISTEN_KEYS:
                continue
            match = _LISTEN_PORT.match(item.value.strip())
            if match is None or not 0 < int(match.group(1)) < 65536:
                continue
            protocol = "udp" if item.key == "ListenDatagram" else "tcp"
            result.facts.append(
                ResourceRequirement(
                    service=service,
                    summary=f"{service} listens on {protocol} {item.value} "
                    f"through socket activation ({socket}.socket)",
                    citations=[source.cite(item.start, item.end)],
                    resource="port",
                    value=match.group(1),
                )
            )

    def _dependencies(
        self, source: SourceFile, unit: str, directives: list[Directive], result: AnalyzerResult
    ) -> None:
        per_key: dict[str, list[tuple[str, Directive]]] = {}
        for item in directives:
            if item.section != "Unit" or item.key not in (*_START_ORDER_KEYS, *_OPTIONAL_KEYS):
                continue
            if not item.value:
                per_key[item.key] = []  # an empty assignment resets the list (drop-in idiom)
                continue
            words = _split_words(item.value)
            if words is None:
                result.warn(source, f"unbalanced quotes in {item.key}=", item.start, self.name)
                words = item.value.split()
            for word in words:
                target = _dependency_target(word)
                if target is not None and target != unit:
                    per_key.setdefault(item.key, []).append((target, item))
        deps: dict[str, _Dep] = {}
        for key in (*_START_ORDER_KEYS, *_OPTIONAL_KEYS):
            kind: DependencyType = "optional" if key in _OPTIONAL_KEYS else "start_order"
            for target, item in per_key.get(key, []):
                dep = deps.setdefault(target, _Dep(target, kind))
                if _DEP_RANK[kind] > _DEP_RANK[dep.dependency_type]:
                    dep.dependency_type = kind
                if key not in dep.keys:
                    dep.keys.append(key)
                if (item.start, item.end) not in dep.lines:
                    dep.lines.append((item.start, item.end))
        for dep in deps.values():
            how = "starts after" if dep.dependency_type == "start_order" else "optionally wants"
            keys = ", ".join(f"{k}=" for k in dep.keys)
            result.facts.append(
                Dependency(
                    service=unit,
                    summary=f"{unit} {how} {dep.target} ({keys})",
                    citations=[source.cite(s, e) for s, e in sorted(dep.lines)],
                    target=dep.target,
                    dependency_type=dep.dependency_type,
                )
            )

    def _service_directive(
        self,
        source: SourceFile,
        unit: str,
        item: Directive,
        result: AnalyzerResult,
        state: _UnitState,
    ) -> None:
        cite = [source.cite(item.start, item.end)]
        key, value = item.key, item.value
        fact: FactBase | None = None
        if not value:
            return
        if key == "Restart":
            fact = ConfigParameter(
                service=unit,
                summary=f"{unit} restart policy Restart={value}",
                citations=cite,
                name="Restart",
                value_type="enum",
                default=value,
                allowed_values=list(RESTART_VALUES),
                range_source="declared",
            )
        elif key in _DURATION_KEYS:
            fact = ConfigParameter(
                service=unit,
                summary=f"{unit} {key}={value}",
                citations=cite,
                name=key,
                value_type="duration",
                default=value,
            )
        elif key == "WatchdogSec":
            fact = self._watchdog(source, unit, item, result)
        elif key == "LimitNOFILE":
            fact = ResourceRequirement(
                service=unit,
                summary=f"{unit} may open up to {value} file descriptors (LimitNOFILE)",
                citations=cite,
                resource="file_descriptors",
                limit=value,
            )
        elif key in ("MemoryMax", "MemoryLimit", "MemoryHigh", "MemoryLow"):
            state.memory[key] = item
        elif key == "CPUQuota":
            fact = ResourceRequirement(
                service=unit,
                summary=f"{unit} CPU quota {value}",
                citations=cite,
                resource="cpu",
                limit=value,
            )
        elif key in ("User", "Group"):
            fact = ResourceRequirement(
                service=unit,
                summary=f"{unit} runs as {key.lower()} {value}",
                citations=cite,
                resource="permission",
                value=f"{key.lower()}:{value}",
            )
        elif key == "Environment":
            self._environment(source, unit, item, result, state.environment)
        elif key == "EnvironmentFile":
            state.files.append(item)
        elif key == "ExecStart":
            owner = _exec_owner(value)
            if owner is not None:
                result.owners[owner] = unit
            words = _split_words(value.lstrip("-@:+!|"))
            if words is None:
                result.warn(
                    source,
                    "ExecStart= has unbalanced quotes; its flags were not read",
                    item.start,
                    self.name,
                )
            else:
                # `$VAR` as a word of its own is `${VAR}` split at whitespace (systemd.service)
                braced = [_BARE_WORD.sub(r"${\1}", w) for w in words]
                flags = flag_facts(
                    [Word(w, cite[0]) for w in braced], unit, source.path, references=False
                )
                result.facts.extend(_specifiers_filled_in(flags))
                for word in words:
                    for read in reference_params(interpolate(word), unit, cite[0], "ExecStart="):
                        state.read(read)
        if fact is not None:
            result.facts.append(fact)

    def _watchdog(
        self, source: SourceFile, unit: str, item: Directive, result: AnalyzerResult
    ) -> HealthCheck | None:
        seconds = unit_seconds(item.value)
        if seconds is None:
            # `infinity` disables it; a template placeholder is filled in at deploy time.
            if item.value.lower() != "infinity" and not _JINJA_EXPR.search(item.value):
                result.warn(source, f"unreadable WatchdogSec={item.value}", item.start, self.name)
            return None
        if seconds == 0:
            return None  # 0 switches the watchdog off
        return HealthCheck(
            service=unit,
            summary=f"systemd restarts {unit} when it stops pinging the watchdog for {item.value}",
            citations=[source.cite(item.start, item.end)],
            check_type="exec",
            target=f"{unit}.service",
            timeout_s=seconds,
            mechanism="systemd-watchdog",
        )

    def _memory(
        self, source: SourceFile, unit: str, memory: dict[str, Directive], result: AnalyzerResult
    ) -> None:
        limit = memory.get("MemoryMax") or memory.get("MemoryLimit")
        request = memory.get("MemoryHigh") or memory.get("MemoryLow")
        used = sorted((d for d in (limit, request) if d is not None), key=lambda d: d.start)
        if not used:
            return
        parts = [f"{d.key}={d.value}" for d in used]
        result.facts.append(
            ResourceRequirement(
                service=unit,
                summary=f"{unit} memory {' '.join(parts)}",
                citations=[
                    source.cite(d.start, d.end) for d in sorted(used, key=lambda d: d.start)
                ],
                resource="memory",
                limit=limit.value if limit else None,
                request=request.value if request else None,
            )
        )

    def _environment(
        self,
        source: SourceFile,
        unit: str,
        item: Directive,
        result: AnalyzerResult,
        environment: dict[str, ConfigParameter],
    ) -> None:
        words = _split_words(item.value)
        if words is None:
            result.warn(source, "unbalanced quotes in Environment=", item.start, self.name)
            return
        for word in words:
            name, sep, value = word.partition("=")
            if not sep or not _ENV_NAME.match(name):
                result.warn(
                    source, f"not a NAME=value assignment: {word[:40]!r}", item.start, self.name
                )
                continue
            secret = looks_secret(name, value)
            default = value if value else None
            value_type = infer_value_type(default)
            shown = "" if secret or default is None else f" = {default}"
            fact = ConfigParameter(
                service=unit,
                summary=f"{unit} environment variable {name}{shown}",
                citations=[source.cite(item.start, item.end)],
                name=name,
                value_type=value_type,
                default=default,
                secret=secret,
            )
            environment[name] = fact
            result.facts.append(fact)


class EnvironmentFileAnalyzer:
    """Hands the files a package may install as environment files (`acme.sysconfig`,
    `debian/acme.default`, `sysconfig/acme`) to the unit analyzer, which reads one only when
    a unit's `EnvironmentFile=` names it."""

    name = "systemd-environment"

    def __init__(self, units: SystemdAnalyzer) -> None:
        self.units = units

    def accepts(self, source: SourceFile) -> bool:
        return unit_name_of(source.path) is None and env_file_candidate(source.path)

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        self.units.keep_env_file(source)
        return AnalyzerResult()

    def finish(self) -> AnalyzerResult:
        """Nothing of its own: having a `finish` keeps it in the process of the unit reader."""
        return AnalyzerResult()


_UNITS = SystemdAnalyzer()
register(_UNITS)
register(EnvironmentFileAnalyzer(_UNITS))
