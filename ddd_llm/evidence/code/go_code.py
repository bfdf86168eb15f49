"""Go source analyzer: flags, environment reads, health routes, gRPC health and listen ports.

The rules are the query files `queries/go-*.scm` (symbols, env, fatal, config, flags, health,
ports); `_go_env.py` and `_go_flags.py` turn their captures into parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter as ts

from ddd_llm.evidence.base import (
    NUMBER,
    AnalyzerResult,
    RangePhrases,
    SourceFile,
    infer_value_type,
    is_health_path,
    looks_secret,
    register,
)
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._go_bounds import enforced_bounds
from ddd_llm.evidence.code._go_env import env_params
from ddd_llm.evidence.code._go_flags import flag_params
from ddd_llm.evidence.code._go_packages import Packages, reference
from ddd_llm.evidence.code._go_read import GoFile, Param, Span, args, cite, flat
from ddd_llm.evidence.config_files._common import is_listen_name
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    HealthCheck,
    RangeSource,
    ResourceRequirement,
)

NAME = "go_code"

_NUM = NUMBER
documented_range = RangePhrases(
    both=(
        re.compile(rf"(?i)\bbetween\s+({_NUM})\s+and\s+({_NUM})"),
        re.compile(rf"(?<![\w.\-/:])({_NUM})\s*(?:-|–|\.\.\.?|\bto\b)\s*({_NUM})(?![\w.\-/:])"),
    ),
    at_least=re.compile(
        rf"(?i)(?:\bmin(?:imum)?\b|\bat least\b|>=?)\s*(?:of\s+|is\s+|value\s+)?[:=]?\s*({_NUM})\b"
    ),
    at_most=re.compile(
        rf"(?i)(?:\bmax(?:imum)?\b|\bat most\b|\bup to\b|<=?)\s*(?:of\s+|is\s+|value\s+)?"
        rf"[:=]?\s*({_NUM})\b"
    ),
)
"""A (min, max) stated in a flag's usage text: `1-100`, `between 1 and 10`, `max 500`."""

_URL_FLAG = re.compile(r"(?:^-{1,2}|[.\-_])([A-Za-z][A-Za-z0-9]+)[.\-_]url$")
"""`--alertmanager.url`, `--collector.supervisord.url`: the URL of the program it names."""
_NOT_A_SERVICE = frozenset(
    {
        "web", "external", "http", "https", "grpc", "base", "public", "api", "server",
        "service", "remote", "callback", "redirect", "root", "site", "self", "endpoint",
        "proxy", "listen", "advertise", "internal", "metrics", "push", "upstream", "target",
        "source", "dest", "destination", "download", "upload", "repo", "git", "image",
        "webhook", "hook", "auth", "login", "logout", "oauth", "oidc", "issuer", "token",
        "home", "docs", "help", "status", "health", "ui", "app", "frontend", "backend",
    }
)  # fmt: skip
"""Words before `url` that name a role, not a program to depend on (`--web.external-url`)."""
_MAX_PENDING = 5000
"""Parameters waiting for another package's constant: more are reported as written."""
_GENERATED = re.compile(r"(?m)^// Code generated .* DO NOT EDIT\.?$")
_ADDRESS = re.compile(r"^(?:[\w.\-]*|\[[0-9A-Fa-f:.]*\]):(\d{1,5})$")
_CLIENT_RECV = re.compile(r"(?i)client|resty|\.R\(\)$")
_PATH_PARAM = re.compile(r"[{}*]|/:")
"""A route with a parameter (`/ping/{id}`, `/users/:id`, `/static/*`) is not a health check."""
_GRPC_HEALTH_IMPORT = "google.golang.org/grpc/health"
_RELEVANT = re.compile(
    r"Getenv|LookupEnv|[Ff]lag|[Ee]nv|Listen|Serve|Run\(|Start\(|[Hh]ealth|Handle|viper"
)
"""A file that mentions none of these has no facts a syntax error could hide: no warning."""


def _merge_lines(ranges: Iterable[Span]) -> list[Span]:
    merged: list[list[int]] = []
    for start, end in sorted(set(ranges)):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


# --- health and ports ------------------------------------------------------------------


def _join(prefix: str, path: str) -> str:
    if not path:
        return prefix or "/"
    return prefix.rstrip("/") + "/" + path.lstrip("/")


_JOINS = frozenset({"path.Join", "url.JoinPath"})


def _under_prefix(f: GoFile, node: ts.Node) -> str | None:
    """The literal end of a path built on a route prefix: `path.Join(prefix, "/-/healthy")`,
    `prefix + "/healthz"` (served at that path when the prefix is the default root)."""
    last: ts.Node | None = None
    if node.type == "call_expression" and flat(node.child_by_field_name("function")) in _JOINS:
        parts = args(node.child_by_field_name("arguments"))
        last = parts[-1] if len(parts) >= 2 else None
    elif node.type == "binary_expression" and _ts.text(node.child_by_field_name("operator")) == "+":
        last = node.child_by_field_name("right")
    tail = f.key(last)
    if not tail:
        return None
    return "/" + tail.lstrip("/")


def _route_path(f: GoFile, passed: list[ts.Node], grouped: bool) -> tuple[str, ts.Node] | None:
    for node in passed[:2]:
        value = f.key(node)
        if value is None:
            value = _under_prefix(f, node)
        if value is None:
            continue
        value = re.sub(r"^[A-Z]+\s+", "", value.strip())  # Go 1.22 "GET /livez"
        if value.startswith("/") or (grouped and value == ""):
            return value, node
    return None


def _health(f: GoFile) -> list[tuple[str, str, Span]]:
    """(check_type, target, lines) for every health route and the gRPC health service."""
    found = list(f.matches("health"))
    groups: dict[str, str] = {}
    for m in found:
        if (var := m.node("group.var")) is not None:
            prefix = _ts.string_value(m.node("group.prefix")) or ""
            groups[_ts.text(var)] = _join(groups.get(_ts.text(m.node("group.parent")), ""), prefix)
    routes: list[tuple[str, str, Span]] = []
    registers: list[ts.Node] = []
    servers: list[ts.Node] = []
    grpc_imported = any(p.startswith(_GRPC_HEALTH_IMPORT) for p in f.imports.values())
    for m in found:
        if (call := m.node("route")) is not None:
            route = _route(f, m, call, groups)
            if route is not None:
                routes.append(route)
        elif (call := m.node("grpc.register")) is not None:
            registers.append(call)
        elif (call := m.node("grpc.new")) is not None and grpc_imported:
            if not args(m.node("grpc.args")):
                servers.append(call)
    anchors = registers or servers
    if anchors:
        routes.append(("grpc", "grpc.health.v1.Health", cite(anchors[0])))
    return routes


def _route(
    f: GoFile, m: _ts.Match, call: ts.Node, groups: dict[str, str]
) -> tuple[str, str, Span] | None:
    fn = _ts.text(m.node("route.fn"))
    recv = flat(m.node("route.recv")).replace(" ", "")
    passed = args(m.node("route.args"))
    # A router method takes the path and a handler; `client.Get(url)` takes one argument.
    if len(passed) < 2 and fn not in ("Path", "PathPrefix"):
        return None
    if _CLIENT_RECV.search(recv):
        return None
    hit = _route_path(f, passed, recv in groups)
    if hit is None:
        return None
    prefix = groups.get(recv, "")
    path = _join(prefix, hit[0]) if prefix else hit[0]
    if not path.startswith("/") or _PATH_PARAM.search(path) or not is_health_path(path):
        return None
    return "http", path, cite(call, hit[1])


def _ports(f: GoFile) -> list[tuple[str, str, Span]]:
    """(port, how, lines) for listen calls and `Addr:` fields with a literal address."""
    found: list[tuple[str, str, Span]] = []
    for m in f.matches("ports"):
        if (call := m.node("listen")) is not None:
            fn = _ts.text(m.node("listen.fn"))
            passed = args(m.node("listen.args"))
            for node in passed[:2] if fn == "Listen" else passed[:1]:
                value = f.key(node)
                port = _ADDRESS.match(value) if value else None
                if port:
                    found.append((port.group(1), fn, cite(call)))
                    break
        elif (addr := m.node("server.addr")) is not None:
            port = _ADDRESS.match(_ts.string_value(addr) or "")
            if port:
                found.append((port.group(1), "Addr", cite(m.node("server.field") or addr)))
    return [p for p in found if 0 < int(p[0]) < 65536]


# --- the analyzer ----------------------------------------------------------------------


def _summary(p: Param) -> str:
    what = {"flag": "command-line flag", "env": "environment variable", "key": "config key"}[p.kind]
    bits: list[str] = [p.value_type or infer_value_type(p.default)]
    if p.required:
        bits.append("required")
    if p.default is not None:
        bits.append(f"default {p.default}")
    text = f"{what} {p.name} ({', '.join(bits)})"
    if p.usage:
        text += ": " + " ".join(p.usage.split())[:120]
    return text


def _syntax_error(root: ts.Node) -> ts.Node | None:
    """The first node tree-sitter could not parse, if any."""
    if not root.has_error:
        return None
    for node in _ts.walk(root):
        if node.is_error or node.is_missing:
            return node
    return None


class GoCodeAnalyzer:
    """Reads Go sources (not tests, not vendored code, not generated code), and go.mod for the
    module path.

    A default written as another package's constant (`cluster.DefaultGossipInterval.String()`)
    waits for `finish()`, once every file was read, to be resolved through that package's
    exported constants; every other fact is reported with its file."""

    name = NAME

    def __init__(self) -> None:
        self.packages = Packages()
        self.pending: list[tuple[SourceFile, Param, tuple[str, str, bool]]] = []

    def accepts(self, source: SourceFile) -> bool:
        if source.suffix != ".go" or source.name.endswith("_test.go"):
            return False
        if source.name.endswith((".pb.go", ".pb.gw.go")):
            return False
        return not any(part in ("vendor", "testdata") for part in source.parts[:-1])

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        if _GENERATED.search(source.text[:4000]):
            return result
        try:
            self._analyze(source, result)
        except (ValueError, IndexError, KeyError, RecursionError, _ts.GrammarMissing) as exc:
            result.warn(source, f"could not read Go source: {exc}"[:300], None, self.name)
        return result

    def _analyze(self, source: SourceFile, result: AnalyzerResult) -> None:
        f = GoFile(source)
        error = _syntax_error(f.root)
        if error is not None and _RELEVANT.search(source.text):
            result.warn(
                source,
                "Go syntax error (or a construct the parser does not know) here; facts from "
                "this part of the file may be missing",
                _ts.line(error),
                self.name,
            )
        merged: dict[str, Param] = {}
        for p in [*flag_params(f, result), *env_params(f, result)]:
            if p.name in merged:
                merged[p.name].absorb(p)
            else:
                merged[p.name] = p
        self.packages.add_file(f)
        for name, (low, high) in enforced_bounds(f, list(merged.values())).items():
            merged[name].low, merged[name].high = low, high
        facts: list[FactBase] = []
        for p in merged.values():
            ref = reference(p.default, f.imports)
            if ref is not None and len(self.pending) < _MAX_PENDING:
                self.pending.append((source, p, ref))  # resolved in finish()
                continue
            facts.extend(self._param_facts(source, p))
        health: dict[tuple[str, str], list[Span]] = {}
        for check_type, target, lines in _health(f):
            health.setdefault((check_type, target), []).append(lines)
        for (check_type, target), spans in health.items():
            facts.append(
                HealthCheck(
                    summary=(
                        f"HTTP health endpoint GET {target} served by the code"
                        if check_type == "http"
                        else "gRPC health service grpc.health.v1.Health registered by the code"
                    ),
                    citations=self._cites(source, spans),
                    check_type="http" if check_type == "http" else "grpc",
                    target=target,
                    mechanism="code-endpoint",
                )
            )
        ports: dict[str, tuple[str, list[Span]]] = {}
        for port, how, lines in _ports(f):
            ports.setdefault(port, (how, []))[1].append(lines)
        for port, (how, spans) in ports.items():
            facts.append(
                ResourceRequirement(
                    summary=f"listens on port {port} ({how})",
                    citations=self._cites(source, spans),
                    resource="port",
                    value=port,
                )
            )
        result.facts.extend(_one_per_id(facts))

    def finish(self) -> AnalyzerResult:
        """The parameters whose default is another package's constant, resolved now that
        every package was read (left as written when the package is not in the repository)."""
        result = AnalyzerResult()
        for source, p, (path, name, string_call) in self.pending:
            found = self.packages.resolve(path, name, string_call)
            extra: list[Citation] = []
            if found is not None:
                p.default, (where, line) = found[0], found[1]
                extra.append(Citation(path=where, start_line=line, end_line=line))
            for fact in self._param_facts(source, p):
                fact.citations.extend(c for c in extra if c not in fact.citations)
                result.facts.append(fact)
        result.facts = _one_per_id(result.facts)
        self.pending.clear()
        self.packages.clear()
        return result

    def _param_facts(self, source: SourceFile, p: Param) -> list[FactBase]:
        """The parameter, and the port it listens on when it is a listen address whose
        default is `host:port` (`--web.listen-address=:9100`, `-addr :8080`)."""
        facts: list[FactBase] = [self._param(source, p)]
        target = _URL_FLAG.search(p.name) if p.kind == "flag" else None
        if target is not None and target.group(1).lower() not in _NOT_A_SERVICE:
            facts.append(
                Dependency(
                    summary=f"talks to {target.group(1)} at the URL {p.name} gives",
                    citations=self._cites(source, p.lines),
                    target=target.group(1).lower(),
                    dependency_type="runtime",
                )
            )
        leaf = p.name.lstrip("-").rsplit(".", 1)[-1]
        address = _ADDRESS.match(p.default or "")
        if address and is_listen_name(leaf) and 0 < int(address.group(1)) < 65536:
            port = address.group(1)
            facts.append(
                ResourceRequirement(
                    summary=f"listens on port {port} (default of {p.name})",
                    citations=self._cites(source, p.lines),
                    resource="port",
                    value=port,
                )
            )
        return facts

    @staticmethod
    def _cites(source: SourceFile, lines: list[Span]) -> list[Citation]:
        return [source.cite(a, b) for a, b in _merge_lines(lines)]

    def _param(self, source: SourceFile, p: Param) -> ConfigParameter:
        lo: int | float | None = None
        hi: int | float | None = None
        source_of_range: RangeSource | None = None
        if p.low is not None or p.high is not None:
            lo, hi, source_of_range = p.low, p.high, "declared"
        elif p.usage and p.value_type in ("int", "float"):
            lo, hi = documented_range(p.usage)
            source_of_range = "documented" if lo is not None or hi is not None else None
        secret = looks_secret(p.name.lstrip("-"), p.default)
        shown = p if not secret else Param(p.name, p.kind, [], p.value_type)
        return ConfigParameter(
            summary=_summary(shown),
            citations=self._cites(source, p.lines),
            name=p.name,
            value_type=p.value_type or infer_value_type(p.default),
            default=p.default,
            min=lo,
            max=hi,
            allowed_values=p.allowed,
            required=p.required,
            secret=secret,
            range_source=source_of_range,
        )


def _one_per_id(facts: list[FactBase]) -> list[FactBase]:
    """Facts of one id joined (a flag and its env var both give the listen port)."""
    kept: dict[str, FactBase] = {}
    for fact in facts:
        if fact.id in kept:
            first = kept[fact.id]
            first.citations.extend(c for c in fact.citations if c not in first.citations)
        else:
            kept[fact.id] = fact
    return list(kept.values())


class GoModuleAnalyzer:
    """Reads go.mod for the module path, so an import path names one folder exactly."""

    name = "go_module"

    def __init__(self, code: GoCodeAnalyzer) -> None:
        self.code = code

    def accepts(self, source: SourceFile) -> bool:
        return source.name == "go.mod" and not any(
            part in ("vendor", "testdata") for part in source.parts[:-1]
        )

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        self.code.packages.add_module(source.path, source.text)
        return AnalyzerResult()

    def finish(self) -> AnalyzerResult:
        """Nothing of its own: having a `finish` keeps it in the process of the Go analyzer."""
        return AnalyzerResult()


_CODE = GoCodeAnalyzer()
register(_CODE)
register(GoModuleAnalyzer(_CODE))
