"""Ansible roles and playbooks: managed units, wait_for/uri checks, role defaults, become_user."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import yaml

from ddd_llm.evidence.base import (
    AnalyzerResult,
    SourceFile,
    infer_value_type,
    looks_secret,
    parse_number,
    register,
    scalar_text,
    yaml_docs_or_warn,
)
from ddd_llm.evidence.yamlpos import Span, YamlList, YamlMap
from ddd_llm.models import (
    ConfigParameter,
    FactBase,
    HealthCheck,
    Number,
    Operation,
    ResourceRequirement,
    ValidationMethod,
    ValueType,
)

_ROLE_TASK_DIRS = frozenset({"tasks", "handlers"})
_ROLE_VAR_DIRS = frozenset({"defaults", "vars"})
_ROLE_DIRS = _ROLE_TASK_DIRS | _ROLE_VAR_DIRS
_PLAYBOOK_HOSTS = re.compile(r"(?m)^\s*-?\s*hosts\s*:")
_PLAYBOOK_BODY = re.compile(r"(?m)^\s*-?\s*(tasks|roles|pre_tasks|post_tasks|handlers)\s*:")
_TASK_ITEM = re.compile(
    r"(?m)^\s*-\s+(name|block|include_tasks|import_tasks|include_role|import_role|"
    r"[a-z_]+\.[a-z_]+\.[a-z_]+)\s*:"
)

# Keys of a task that are not the module it runs (Ansible's task keywords).
TASK_KEYWORDS = frozenset(
    "name action local_action args async become become_exe become_flags become_method "
    "become_user changed_when check_mode collections connection debugger delay delegate_facts "
    "delegate_to diff environment failed_when ignore_errors ignore_unreachable listen loop "
    "loop_control module_defaults no_log notify poll port register remote_user retries "
    "run_once tags throttle timeout until vars when block rescue always any_errors_fatal".split()
)
_SERVICE_MODULES = frozenset({"service", "systemd", "systemd_service", "sysvinit"})
_SHELL_MODULES = frozenset({"command", "shell", "raw"})
_FILE_MODULES = frozenset({"template", "copy"})
_STOPPED = frozenset({"stopped", "absent"})
_SYSTEMCTL = re.compile(
    r"\bsystemctl\s+(?:-{1,2}[\w-]+\s+)*"
    r"(?:start|restart|enable|reload|reload-or-restart|try-restart)\s+(?:--now\s+)?"
    r"([A-Za-z0-9_.@:-]+)"
)
_SERVICE_CMD = re.compile(r"\bservice\s+([A-Za-z0-9_.@-]+)\s+(?:start|restart|reload)\b")
_NON_SERVICE_UNITS = (".target", ".socket", ".timer", ".mount", ".path", ".slice", ".device")
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_KV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]", ""})
_HEALTH_PATH = re.compile(r"(?i)health|ready|readiness|live|alive|status|ping|heartbeat|version")
# A templated host named after another component: the task waits for a dependency.
_OTHER_COMPONENT = re.compile(
    r"(?i)(db|database|postgres|pg|mysql|maria|redis|mongo|rabbit|amqp|kafka|zookeeper|"
    r"elastic|memcache|broker|etcd|consul|vault|ldap)\w*_?(host|addr|address|server|ip)"
)
_SSH_PORT = "22"
_HTTP_PROBE = re.compile(r"\b(?:curl|wget)\b[^|;&]*?['\"]?(https?://(?:\{\{.*?\}\}|[^\s'\"{])+)")
_IP = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_TRUE = frozenset({"true", "yes", "on", "1", "y"})
_FALSE = frozenset({"false", "no", "off", "0", "n"})


@dataclass(frozen=True)
class Become:
    """The privilege escalation in force at a play, block or task."""

    enabled: bool | None = None
    user: str | None = None


@dataclass
class Task:
    """One task as read: its module (short name), arguments and position."""

    module: str
    args: dict[str, Any]
    raw: str
    node: YamlMap
    span: Span
    handler: bool


@dataclass
class _Walk:
    source: SourceFile
    result: AnalyzerResult
    analyzer: str
    strict: bool
    tasks: list[Task] = field(default_factory=list)
    # (value, citation spans) of each node that sets become/become_user.
    permissions: list[tuple[str, list[Span]]] = field(default_factory=list)


def truthy(value: object) -> bool | None:
    """An Ansible boolean (`yes`, `true`, `1`, …); None for templated or unknown values."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        lower = value.strip().lower()
        if lower in _TRUE:
            return True
        if lower in _FALSE:
            return False
    return None


def split_free_form(text: str) -> tuple[dict[str, str], str]:
    """`name=x state=started` → ({name: x, state: started}, ""); other words stay free-form."""
    saved: list[str] = []

    def hide(match: re.Match[str]) -> str:
        saved.append(match.group(0))
        return f"\x00{len(saved) - 1}\x00"

    hidden = _JINJA.sub(hide, text)
    try:
        words = shlex.split(hidden, posix=True)
    except ValueError:
        words = hidden.split()

    def restore(word: str) -> str:
        return re.sub(r"\x00(\d+)\x00", lambda m: saved[int(m.group(1))], word)

    params: dict[str, str] = {}
    free: list[str] = []
    for word in words:
        key, sep, value = word.partition("=")
        if sep and _KV_KEY.match(key):
            params[key] = restore(value)
        else:
            free.append(restore(word))
    return params, " ".join(free)


def _short_module(name: str) -> str:
    # `ansible.builtin.service`, `ansible.legacy.systemd`, `community.general.x` → last part.
    return name.rsplit(".", 1)[-1]


def read_task(node: YamlMap, span: Span, handler: bool) -> Task | None:
    """The module a task runs and its arguments, in either the map or `k=v` style."""
    module: str | None = None
    value: Any = None
    for key in node:
        if not isinstance(key, str) or key in TASK_KEYWORDS or key.startswith("with_"):
            continue
        module, value = key, node[key]
        break
    if module is None:
        action = node.get("action", node.get("local_action"))
        if isinstance(action, str):
            first, _, rest = action.strip().partition(" ")
            module, value = first, rest
        elif isinstance(action, dict) and isinstance(action.get("module"), str):
            module = action["module"]
            value = {k: v for k, v in action.items() if k != "module"}
    if module is None:
        return None
    args: dict[str, Any] = {}
    raw = ""
    if isinstance(value, dict):
        args.update({str(k): v for k, v in value.items()})
        for key in ("cmd", "_raw_params"):
            if isinstance(value.get(key), str):
                raw = value[key]
        if isinstance(value.get("argv"), list):
            raw = " ".join(str(v) for v in value["argv"])
    elif isinstance(value, str):
        params, raw = split_free_form(value)
        args.update(params)
        if _short_module(module) in _SHELL_MODULES:
            raw = value.strip()  # a command line is kept as written, `a=b` words and all
    extra = node.get("args")
    if isinstance(extra, dict):
        args.update({str(k): v for k, v in extra.items()})
    return Task(_short_module(module), args, raw, node, span, handler)


def _unit_name(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    name = value.strip().lower()
    if not name or _JINJA.search(name) or "{" in name or " " in name:
        return None  # a templated unit is resolved by the role's owners, not here
    if name.endswith(_NON_SERVICE_UNITS):
        return None
    return name[: -len(".service")] if name.endswith(".service") else name


def managed_unit(task: Task) -> str | None:
    """The systemd/SysV unit a task starts, restarts, enables or installs, if it names one."""
    if task.module in _SERVICE_MODULES:
        state = task.args.get("state")
        enabled = truthy(task.args.get("enabled"))
        if isinstance(state, str) and state.strip().lower() in _STOPPED and not enabled:
            return None
        if state is None and enabled is not True and not task.handler:
            return None  # only `daemon_reload`, `masked`, … : no unit brought up
        return _unit_name(task.args.get("name", task.args.get("service", task.args.get("unit"))))
    if task.module in _SHELL_MODULES:
        match = _SYSTEMCTL.search(task.raw) or _SERVICE_CMD.search(task.raw)
        return _unit_name(match.group(1)) if match else None
    if task.module in _FILE_MODULES:
        dest = task.args.get("dest")
        if isinstance(dest, str) and dest.strip().endswith(".service"):
            return _unit_name(PurePosixPath(dest.strip()).name)
    return None


def _number(value: object) -> Number | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        return parse_number(value)
    return None


def _split_url(url: str) -> tuple[str, str, int | None, str]:
    """(scheme, host, explicit port, path) of a URL that may hold Jinja expressions."""
    saved: list[str] = []

    def hide(match: re.Match[str]) -> str:
        saved.append(match.group(0))
        return f"\x00{len(saved) - 1}\x00"

    hidden = _JINJA.sub(hide, url.strip())
    scheme, sep, rest = hidden.partition("://")
    if not sep:
        scheme, rest = "", hidden
    authority, slash, path = rest.partition("/")
    path = ("/" + path) if slash else "/"
    path = path.split("?", 1)[0].split("#", 1)[0] or "/"
    host, port = authority.rsplit("@", 1)[-1], None
    port_match = re.match(r"^(.*):([0-9]{1,5})$", host)
    if port_match:
        host, port = port_match.group(1), int(port_match.group(2))

    def restore(text: str) -> str:
        return re.sub(r"\x00(\d+)\x00", lambda m: saved[int(m.group(1))], text)

    return scheme.lower(), restore(host), port, restore(path)


def _is_remote_literal(host: str) -> bool:
    """A literal host that is not this machine (a Jinja host may well be the target itself)."""
    lower = host.strip().lower()
    return bool(lower) and "{" not in lower and lower not in _LOCAL_HOSTS


def _expected_status(value: object) -> str:
    if isinstance(value, list) and value:
        return "HTTP " + " or ".join(str(v) for v in value)
    if value is None:
        return "HTTP 200"
    return f"HTTP {scalar_text(value)}"


def _value_type(value: object) -> ValueType:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "string"
    return infer_value_type(scalar_text(value))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


@dataclass(frozen=True)
class RolePlace:
    """Where a file sits in a role: the role directory ("" when the repo is one role)."""

    directory: str
    part: str
    in_roles_tree: bool


def role_place(parts: tuple[str, ...]) -> RolePlace | None:
    """`…/roles/<role>/<part>/…`, or a bare `<part>/` of a role repo or playbook directory."""
    for at in range(len(parts) - 3, -1, -1):
        if parts[at] == "roles" and parts[at + 2] in _ROLE_DIRS:
            return RolePlace("/".join(parts[: at + 2]), parts[at + 2], True)
    for at in range(len(parts) - 2, -1, -1):
        if parts[at] in _ROLE_DIRS:
            return RolePlace("/".join(parts[:at]), parts[at], False)
    return None


class AnsibleAnalyzer:
    """Reads role task/handler/variable files and playbooks."""

    name = "ansible"

    def accepts(self, source: SourceFile) -> bool:
        if not source.is_yaml or source.text.lstrip().startswith("$ANSIBLE_VAULT"):
            return False
        place = role_place(source.parts)
        if place is not None and place.in_roles_tree:
            return True
        if place is not None and place.part in _ROLE_TASK_DIRS:
            return bool(_TASK_ITEM.search(source.text))
        if place is not None and place.part in _ROLE_VAR_DIRS:
            # Outside `roles/` only a role's own layout counts: defaults/main.yml, vars/main/*.
            at = len(place.directory.split("/")) if place.directory else 0
            return PurePosixPath(source.name).stem == "main" or source.parts[at + 1] == "main"
        return bool(_PLAYBOOK_HOSTS.search(source.text) and _PLAYBOOK_BODY.search(source.text))

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        place = role_place(source.parts)
        walk = _Walk(source, result, self.name, strict=place is not None)
        try:
            docs = yaml_docs_or_warn(source, result, self.name)
        except yaml.YAMLError as exc:
            # yamlpos lets the reader's complaint about control characters through.
            at = getattr(exc, "position", None)
            line = source.line_of_offset(at) if isinstance(at, int) else None
            result.warn(source, f"invalid YAML: {exc}"[:200], line, self.name)
            docs = []
        for doc in docs:
            data = doc.data
            if place is not None and place.part in _ROLE_VAR_DIRS:
                if isinstance(data, YamlMap):
                    self._variables(source, data, place.directory, result)
                elif data is not None:
                    line = doc.span.start
                    result.warn(source, "variables file is not a mapping", line, self.name)
            elif isinstance(data, YamlList):
                is_playbook = any(
                    isinstance(item, dict) and ("hosts" in item or "import_playbook" in item)
                    for item in data
                )
                if is_playbook:
                    walk.strict = True
                    self._plays(walk, data)
                else:
                    handlers = place is not None and place.part == "handlers"
                    self._tasks(walk, data, Become(), handlers)
            elif data is not None and walk.strict:
                result.warn(source, "expected a list of tasks or plays", doc.span.start, self.name)
        self._facts(walk, place.directory if place is not None else None)
        return result

    # --- walking -----------------------------------------------------------------

    def _plays(self, walk: _Walk, plays: YamlList) -> None:
        for index, play in enumerate(plays):
            if not isinstance(play, YamlMap):
                self._not_a_map(walk, plays, index, "play")
                continue
            become = self._become(walk, play, Become())
            for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                tasks = play.get(key)
                if isinstance(tasks, YamlList):
                    self._tasks(walk, tasks, become, key == "handlers")

    def _tasks(self, walk: _Walk, tasks: YamlList, inherited: Become, handlers: bool) -> None:
        for index, node in enumerate(tasks):
            if not isinstance(node, YamlMap):
                self._not_a_map(walk, tasks, index, "task")
                continue
            become = self._become(walk, node, inherited)
            nested = False
            for key in ("block", "rescue", "always"):
                inner = node.get(key)
                if isinstance(inner, YamlList):
                    nested = True
                    self._tasks(walk, inner, become, handlers)
            if nested:
                continue
            span = tasks.line_of(index)
            start, end = span.start, span.end
            task = read_task(node, Span(start, end), handlers)
            if task is not None:
                walk.tasks.append(task)

    def _not_a_map(self, walk: _Walk, items: YamlList, index: int, what: str) -> None:
        if walk.strict:
            line = items.line_of(index).start
            walk.result.warn(walk.source, f"{what} is not a mapping", line, walk.analyzer)

    def _become(self, walk: _Walk, node: YamlMap, inherited: Become) -> Become:
        """The escalation in force below `node`; records a permission where `node` sets one."""
        enabled = truthy(node["become"]) if "become" in node else inherited.enabled
        user = inherited.user
        if isinstance(node.get("become_user"), (str, int)):
            user = str(node["become_user"]).strip() or None
        current = Become(enabled, user)
        sets = [k for k in ("become", "become_user") if k in node]
        if sets and enabled and current != inherited:
            walk.permissions.append(
                (
                    f"become_user:{user or 'root'}",
                    [node.line_of(k) for k in sets],
                )
            )
        return current

    # --- facts -------------------------------------------------------------------

    def _facts(self, walk: _Walk, role: str | None) -> None:
        units: list[str] = []
        for task in walk.tasks:
            unit = managed_unit(task)
            if unit is not None and unit not in units:
                units.append(unit)
        service = units[0] if len(units) == 1 else None
        if service is not None and role is not None:
            walk.result.owners[role] = service
        facts: list[FactBase] = []
        for task in walk.tasks:
            if task.module == "wait_for":
                facts.extend(self._wait_for(walk.source, task, service))
            elif task.module == "uri":
                facts.extend(self._uri(walk.source, task, service))
            elif task.module in _SHELL_MODULES:
                facts.extend(self._polled_command(walk.source, task, service))
        for value, spans in walk.permissions:
            facts.append(
                ResourceRequirement(
                    service=service,
                    summary=f"tasks run with privilege escalation as {value.split(':', 1)[1]}",
                    citations=[walk.source.cite(s.start, s.end) for s in spans],
                    resource="permission",
                    value=value,
                )
            )
        walk.result.facts.extend(_merge(facts))

    def _wait_for(self, source: SourceFile, task: Task, service: str | None) -> list[FactBase]:
        args = task.args
        port = args.get("port")
        state = str(args.get("state", "started")).strip().lower()
        host = scalar_text(args.get("host")) or ""
        if port is None or isinstance(port, (dict, list)) or state not in ("started", "present"):
            return []
        if _is_remote_literal(host) or _OTHER_COMPONENT.search(host):
            return []  # waiting for another machine is not this service's own health
        target = scalar_text(port) or ""
        if target == _SSH_PORT:
            return []  # waiting for SSH after a reboot checks the machine, not a service
        port_number = _number(port)
        timeout = _number(args.get("timeout"))
        where = f" on {host}" if host else ""
        cite = [source.cite(task.span.start, task.span.end)]
        facts: list[FactBase] = [
            HealthCheck(
                service=service,
                summary=f"wait for TCP port {target}{where}"
                + (f" (timeout {timeout}s)" if timeout is not None else ""),
                citations=cite,
                check_type="tcp",
                target=target,
                port=int(port_number) if isinstance(port_number, int) else None,
                interval_s=_number(args.get("sleep")),
                timeout_s=timeout,
                mechanism="other",
            )
        ]
        if task.handler:
            facts.append(
                ValidationMethod(
                    service=service,
                    summary=f"after a restart, TCP port {target}{where} accepts connections",
                    citations=cite,
                    operation="restart",
                    method=f"wait for TCP port {target}{where}",
                    expected=f"port {target} accepts connections",
                )
            )
        return facts

    def _uri(self, source: SourceFile, task: Task, service: str | None) -> list[FactBase]:
        args = task.args
        url = args.get("url")
        method = str(args.get("method", "GET")).strip().upper()
        if not isinstance(url, str) or method not in ("GET", "HEAD") or "body" in args:
            return []  # an API call that changes something is not a check
        scheme, host, port, path = _split_url(url)
        if scheme not in ("http", "https", ""):
            return []
        literal_host = _is_remote_literal(host)
        if literal_host and not _IP.match(host) and not _HEALTH_PATH.search(path):
            return []  # fetching a release list or an external API, not a health check
        expected = _expected_status(args.get("status_code"))
        node = task.node
        retries = _number(node.get("retries")) if "until" in node or "retries" in node else None
        delay = _number(node.get("delay")) if retries is not None else None
        cite = [source.cite(task.span.start, task.span.end)]
        operation: Operation = "restart" if task.handler else "deploy"
        return [
            HealthCheck(
                service=service,
                summary=f"{method} {url} answers {expected}",
                citations=cite,
                check_type="http",
                target=path,
                port=port,
                interval_s=delay,
                timeout_s=_number(args.get("timeout")),
                failure_threshold=retries,
                mechanism="other",
            ),
            ValidationMethod(
                service=service,
                summary=f"after {operation}, {method} {url} answers {expected}",
                citations=cite,
                operation=operation,
                method=f"{method} {url}",
                expected=expected,
            ),
        ]

    def _polled_command(
        self, source: SourceFile, task: Task, service: str | None
    ) -> list[FactBase]:
        """`curl`/`wget` of a URL retried `until` it answers: a readiness check by hand."""
        node = task.node
        match = _HTTP_PROBE.search(task.raw)
        if match is None or "until" not in node:
            return []
        url = match.group(1)
        _, host, port, path = _split_url(url)
        if _is_remote_literal(host) and not _IP.match(host) and not _HEALTH_PATH.search(path):
            return []
        until = node.get("until")
        expected = f"until {until}" if isinstance(until, str) else "the command succeeds"
        retries = _number(node.get("retries"))
        cite = [source.cite(task.span.start, task.span.end)]
        operation: Operation = "restart" if task.handler else "deploy"
        command = " ".join(task.raw.split())
        return [
            HealthCheck(
                service=service,
                summary=f"poll {url} until it answers",
                citations=cite,
                check_type="http",
                target=path,
                port=port,
                interval_s=_number(node.get("delay")) if retries is not None else None,
                failure_threshold=retries,
                mechanism="other",
            ),
            ValidationMethod(
                service=service,
                summary=f"after {operation}, poll {url} until it answers",
                citations=cite,
                operation=operation,
                method=command,
                expected=expected,
            ),
        ]

    def _variables(
        self, source: SourceFile, data: YamlMap, role: str | None, result: AnalyzerResult
    ) -> None:
        owner = PurePosixPath(role).name if role else "the"
        for key, value in data.items():
            if not isinstance(key, str) or "{" in key:
                continue  # a templated name is no variable an operator can set
            span = data.line_of(key)
            start, end = span.start, span.end
            default = None if isinstance(value, (dict, list)) else scalar_text(value)
            secret = looks_secret(key, default) or bool(
                default and default.lstrip().startswith("$ANSIBLE_VAULT")
            )
            shown = "" if secret or default is None else f" = {default or chr(34) * 2}"
            result.facts.append(
                ConfigParameter(
                    summary=f"{owner} role variable {key}{shown}",
                    citations=[source.cite(start, end)],
                    name=key,
                    value_type=_value_type(value),
                    default=default,
                    secret=secret,
                )
            )


def _merge(facts: list[FactBase]) -> list[FactBase]:
    """One fact per id; a repeated one (the same check in two tasks) keeps every citation."""
    by_id: dict[str, FactBase] = {}
    for fact in facts:
        first = by_id.setdefault(fact.id, fact)
        if first is not fact:
            first.citations.extend(c for c in fact.citations if c not in first.citations)
    return list(by_id.values())


register(AnsibleAnalyzer())
