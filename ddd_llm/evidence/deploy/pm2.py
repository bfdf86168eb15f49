"""PM2 process files (`ecosystem.config.js`/`.cjs`/`.json`, `pm2.json`, `process.json`/`.yml`):
how each app runs (instances, exec mode, restarts, watch, logs, memory limit) and the
environment its `env` / `env_<name>` blocks give it.

A setting is named by its key in the app entry (`instances`, `autorestart`), as the operator
edits it. A file with one app describes the repository's application, whatever else names
it (a compose service), so its facts carry no service and take the owner of the folder; a
file with several apps (an API and a worker) makes each app a service named by its `name`.
`env` values layer over the code's defaults as a compose `environment:` does; an
`env_production` block (applied by `pm2 start … --env production`) is the `@production`
variant of the parameter, as a Spring profile's value is.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

import tree_sitter as ts

from ddd_llm.evidence.base import (
    AnalyzerResult,
    SourceFile,
    infer_value_type,
    looks_secret,
    register,
    yaml_docs_or_warn,
)
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.config_files._common import fact_id
from ddd_llm.evidence.deploy._command import Word, flag_facts, split_shell
from ddd_llm.evidence.yamlpos import YamlList, YamlMap
from ddd_llm.models import ConfigParameter, FactBase, ResourceRequirement, Service, ValueType

NAME = "pm2"

_FILE_NAME = re.compile(
    r"(?i)^(?:ecosystem|pm2|process)(?:[._-][\w.-]*)?\.(?:json|ya?ml|c?js|mjs)$"
    r"|^[\w.-]*[._-](?:ecosystem|pm2)(?:[._-][\w.-]*)?\.(?:json|ya?ml|c?js|mjs)$"
)
"""PM2's documented process-file names (`pm2 init` writes ecosystem.config.js; `pm2 start`
also takes process.json / process.yml), and names that say pm2 or ecosystem."""
_APPS = re.compile(r"""(?m)(?:^|[\s{,"'])apps["']?\s*:""")
_TOP_ARRAY = re.compile(r"^\s*\[")
_SCRIPT = re.compile(r"""["']?script["']?\s*:""")

SETTINGS: dict[str, str] = {
    "instances": "number of processes PM2 starts (`max` or 0: one per CPU; -1: CPUs minus one)",
    "exec_mode": "fork or cluster (cluster load-balances one port over the instances)",
    "autorestart": "restart the app when it exits or crashes",
    "watch": "restart the app when files change",
    "ignore_watch": "paths the file watcher ignores",
    "watch_delay": "milliseconds between a file change and the restart",
    "max_memory_restart": "restart the app when its memory exceeds this",
    "min_uptime": "uptime below which a start counts as unstable",
    "max_restarts": "unstable restarts before PM2 stops restarting",
    "restart_delay": "milliseconds to wait before restarting a crashed app",
    "exp_backoff_restart_delay": "first delay of the exponential restart back-off",
    "cron_restart": "cron pattern that restarts the app",
    "listen_timeout": "milliseconds before a reload gives up waiting for listen/ready",
    "kill_timeout": "milliseconds between SIGINT and SIGKILL on stop",
    "wait_ready": "wait for process.send('ready') instead of the listen event",
    "shutdown_with_message": "shut down with a process message instead of a signal",
    "stop_exit_codes": "exit codes after which the app is not restarted",
    "time": "prefix log lines with a timestamp",
    "log_date_format": "timestamp format of log lines",
    "log_type": "log line format (json)",
    "merge_logs": "one log file for all instances",
    "combine_logs": "one log file for all instances",
    "error_file": "file the app's stderr goes to",
    "out_file": "file the app's stdout goes to",
    "log_file": "file both streams go to",
    "pid_file": "file holding the process id",
    "disable_logs": "discard the app's logs",
    "interpreter": "program that runs the script",
    "interpreter_args": "options passed to the interpreter",
    "node_args": "options passed to node",
    "instance_var": "environment variable holding the instance number",
    "increment_var": "environment variable incremented per instance",
    "source_map_support": "source-map support for stack traces",
    "namespace": "PM2 namespace of the app",
    "treekill": "kill the app's child processes too",
    "vizion": "version-control metadata",
}
"""The app attributes of PM2's documentation that change how the app runs; `name` and
`script` (and `cwd`) say which app it is and where, `args` are read as its command line."""

_ALLOWED: dict[str, list[str]] = {"exec_mode": ["fork", "cluster", "fork_mode", "cluster_mode"]}
_ENV = re.compile(r"^env(?:_(?P<stage>[\w-]+))?$")


@dataclass
class Entry:
    """One key of an app entry: its value as written (a dict for an env block, a list for a
    list, None for null or a value computed in code) and the lines that hold it."""

    value: Any
    start: int
    end: int
    computed: bool = False


@dataclass
class App:
    entries: dict[str, Entry] = field(default_factory=dict)
    start: int = 1
    end: int = 1


# --- reading the file ---------------------------------------------------------------------


def _text_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(t for t in (_text_of(v) for v in value) if t is not None)
    return str(value)


class _JsReader:
    """A JSON or JavaScript process file through the JavaScript grammar (JSON is an
    expression: wrapped in parentheses on its own lines it parses with exact lines)."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.json = source.suffix == ".json"
        text = f"({source.text}\n)" if self.json else source.text
        self.root = _ts.parse("javascript", text).root_node

    def apps(self) -> list[App]:
        lists: list[ts.Node] = []
        for node in _ts.walk(self.root):
            if node.type == "pair" and self._key(node) == "apps":
                value = node.child_by_field_name("value")
                if value is not None and value.type == "array":
                    lists.append(value)
        if not lists and self.json:
            top = next((n for n in _ts.walk(self.root) if n.type == "array"), None)
            if top is not None:
                lists.append(top)
        return [
            self._app(element)
            for array in lists[:1]
            for element in array.named_children
            if element.type == "object"
        ]

    @staticmethod
    def _key(pair: ts.Node) -> str | None:
        key = pair.child_by_field_name("key")
        if key is None:
            return None
        if key.type == "string":
            return _ts.string_value(key)
        if key.type in ("property_identifier", "number"):
            return _ts.text(key)
        return None

    def _app(self, obj: ts.Node) -> App:
        app = App(start=_ts.line(obj), end=_ts.end_line(obj))
        app.entries = self._object(obj)
        return app

    def _object(self, obj: ts.Node) -> dict[str, Entry]:
        out: dict[str, Entry] = {}
        for pair in obj.named_children:
            if pair.type != "pair":
                continue
            key = self._key(pair)
            value = pair.child_by_field_name("value")
            if key is None or value is None:
                continue
            if value.type == "object":
                out[key] = Entry(self._object(value), _ts.line(pair), _ts.end_line(pair))
                continue
            literal, ok = self._literal(value)
            out[key] = Entry(literal, _ts.line(pair), _ts.end_line(pair), computed=not ok)
        return out

    def _literal(self, node: ts.Node) -> tuple[Any, bool]:
        if node.type == "string" or (
            node.type == "template_string"
            and not any(c.type == "template_substitution" for c in node.named_children)
        ):
            return _ts.string_value(node), True
        if node.type == "number":
            return _ts.text(node), True
        if node.type == "unary_expression" and _ts.text(node).lstrip("-").strip().isdigit():
            return _ts.text(node).replace(" ", ""), True
        if node.type in ("true", "false"):
            return node.type == "true", True
        if node.type in ("null", "undefined"):
            return None, True
        if node.type == "array":
            items = [self._literal(c) for c in node.named_children if c.type != "comment"]
            if all(ok for _, ok in items):
                return [v for v, _ in items], True
        return None, False


def _yaml_apps(source: SourceFile, result: AnalyzerResult) -> list[App]:
    out: list[App] = []
    for doc in yaml_docs_or_warn(source, result, NAME):
        data = doc.data
        apps = data.get("apps") if isinstance(data, YamlMap) else data
        if not isinstance(apps, YamlList):
            continue
        for index, item in enumerate(apps):
            if isinstance(item, YamlMap):
                span = apps.line_of(index)
                out.append(App(_yaml_entries(item), span.start, span.end))
    return out


def _yaml_entries(mapping: YamlMap) -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    for key, value in mapping.items():
        span = mapping.line_of(key)
        if isinstance(value, YamlMap):
            out[str(key)] = Entry(_yaml_entries(value), span.start, span.end)
        elif isinstance(value, YamlList):
            out[str(key)] = Entry(
                [v for v in value if not isinstance(v, YamlMap | YamlList)], span.start, span.end
            )
        else:
            out[str(key)] = Entry(value, span.start, span.end)
    return out


def _owned_folders(source: SourceFile, apps: list[App]) -> dict[str, str]:
    """Repo folder → app, for apps whose script (or `cwd`) lies in a folder of its own
    (`cwd: './apps/api'`, `script: 'worker/index.js'`): code there belongs to that app."""
    here = posixpath.dirname(source.path)
    found: dict[str, list[str]] = {}
    for app in apps:
        name = _text_of(app.entries["name"].value) if "name" in app.entries else None
        script = app.entries["script"]
        cwd = app.entries.get("cwd")
        if not name or script.computed or (cwd is not None and cwd.computed):
            continue
        base = _text_of(cwd.value) if cwd is not None else ""
        folder = posixpath.dirname(_text_of(script.value) or "")
        path = posixpath.normpath(posixpath.join(here, base or "", folder))
        if path in (".", "") or path.startswith(("..", "/")) or "node_modules" in path:
            continue
        found.setdefault(path, []).append(name.lower())
    return {path: names[0] for path, names in found.items() if len(names) == 1}


# --- facts ------------------------------------------------------------------------------


class Pm2Analyzer:
    """Reads PM2 process files: app settings, memory limit, env blocks, script arguments."""

    name = NAME

    def accepts(self, source: SourceFile) -> bool:
        if not _FILE_NAME.match(source.name) or not _SCRIPT.search(source.text):
            return False
        if source.suffix == ".json" and _TOP_ARRAY.match(source.text):
            return True
        return bool(_APPS.search(source.text))

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        if source.is_yaml:
            apps = _yaml_apps(source, result)
        else:
            reader = _JsReader(source)
            if reader.root.has_error:
                result.warn(
                    source,
                    "not valid JSON/JavaScript: some PM2 settings may be missing",
                    None,
                    NAME,
                )
            apps = reader.apps()
        apps = [a for a in apps if "script" in a.entries]
        several = len(apps) > 1
        if several:
            result.owners.update(_owned_folders(source, apps))
        for number, app in enumerate(apps, 1):
            name = _text_of(app.entries["name"].value) if "name" in app.entries else None
            label = name or f"app {number}"
            service = name.lower() if several and name else None
            if service is not None:
                result.services.append(
                    Service(
                        name=service,
                        kind="pm2-app",
                        citations=[source.cite(app.start, app.end)],
                    )
                )
            result.facts.extend(self._app(source, result, app, label, service))
        return result

    def _app(
        self, source: SourceFile, result: AnalyzerResult, app: App, label: str, service: str | None
    ) -> list[FactBase]:
        facts: list[FactBase] = []
        for key, entry in app.entries.items():
            env = _ENV.match(key)
            if env is not None and isinstance(entry.value, dict):
                facts.extend(self._env(source, result, entry.value, label, service, env["stage"]))
            elif key in SETTINGS:
                if entry.computed:
                    result.candidate(
                        source,
                        entry.start,
                        entry.end,
                        "config_parameter",
                        f"PM2 setting {key} with a value computed in code",
                    )
                    continue
                facts.extend(self._setting(source, key, entry, label, service))
            elif key == "args" and not entry.computed:
                facts.extend(self._args(source, app, entry, service))
        return facts

    @staticmethod
    def _setting(
        source: SourceFile, key: str, entry: Entry, label: str, service: str | None
    ) -> list[FactBase]:
        value = _text_of(entry.value)
        if key.endswith("_args") and isinstance(entry.value, list):
            value = " ".join(t for t in (_text_of(v) for v in entry.value) if t)  # a command line
        listed = isinstance(entry.value, list) and not key.endswith("_args")
        value_type: ValueType = "list" if listed else infer_value_type(value)
        if key == "exec_mode":
            value_type = "enum"
        if key == "max_memory_restart" and value is not None and value_type == "string":
            value_type = "size"
        cite = source.cite(entry.start, entry.end)
        facts: list[FactBase] = [
            ConfigParameter(
                service=service,
                name=key,
                value_type=value_type,
                default=value,
                allowed_values=_ALLOWED.get(key),
                summary=f"PM2 runs {label} with {key}={value}: {SETTINGS[key]}",
                citations=[cite],
            )
        ]
        if key == "max_memory_restart" and value:
            facts.append(
                ResourceRequirement(
                    service=service,
                    resource="memory",
                    limit=value,
                    summary=f"PM2 restarts {label} when its memory exceeds {value}",
                    citations=[cite],
                )
            )
        return facts

    @staticmethod
    def _env(
        source: SourceFile,
        result: AnalyzerResult,
        block: dict[str, Entry],
        label: str,
        service: str | None,
        stage: str | None,
    ) -> list[FactBase]:
        facts: list[FactBase] = []
        when = f" with --env {stage}" if stage else ""
        for var, entry in block.items():
            if isinstance(entry.value, dict | list):
                continue
            if entry.computed:
                result.candidate(
                    source,
                    entry.start,
                    entry.end,
                    "config_parameter",
                    f"PM2 env {var} with a value computed in code",
                )
                continue
            value = _text_of(entry.value)
            secret = looks_secret(var, value)
            shown = " (secret, value withheld)" if secret else f"={value}"
            facts.append(
                ConfigParameter(
                    id=fact_id(var, service, stage),
                    service=service,
                    name=var,
                    value_type=infer_value_type(value),
                    default=value,
                    secret=secret,
                    summary=f"PM2 starts {label}{when} with environment variable {var}{shown}",
                    citations=[source.cite(entry.start, entry.end)],
                )
            )
        return facts

    @staticmethod
    def _args(source: SourceFile, app: App, entry: Entry, service: str | None) -> list[FactBase]:
        """`args` is the script's command line: its flags are the deployment's values."""
        cite = source.cite(entry.start, entry.end)
        value = entry.value
        parts = [_text_of(v) or "" for v in value] if isinstance(value, list) else None
        if parts is None and isinstance(value, str):
            parts = split_shell(value)
        script = _text_of(app.entries["script"].value) or "script"
        if not parts:
            return []
        words = [Word(script, cite), *(Word(p, cite) for p in parts)]
        return flag_facts(words, service, source.path)


register(Pm2Analyzer())
