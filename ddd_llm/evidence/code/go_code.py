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
from ddd_llm.evidence.code._go_env import env_params
from ddd_llm.evidence.code._go_flags import flag_params
from ddd_llm.evidence.code._go_read import GoFile, Param, Span, args, cite, flat
from ddd_llm.models import Citation, ConfigParameter, FactBase, HealthCheck, ResourceRequirement

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


def _route_path(f: GoFile, passed: list[ts.Node], grouped: bool) -> tuple[str, ts.Node] | None:
    for node in passed[:2]:
        value = f.key(node)
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
    """Reads Go sources (not tests, not vendored code, not generated code)."""

    name = NAME

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
        facts: list[FactBase] = [self._param(source, p) for p in merged.values()]
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
        result.facts.extend(facts)

    @staticmethod
    def _cites(source: SourceFile, lines: list[Span]) -> list[Citation]:
        return [source.cite(a, b) for a, b in _merge_lines(lines)]

    def _param(self, source: SourceFile, p: Param) -> ConfigParameter:
        lo: int | float | None = None
        hi: int | float | None = None
        if p.usage and p.value_type in ("int", "float"):
            lo, hi = documented_range(p.usage)
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
            range_source="documented" if lo is not None or hi is not None else None,
        )


register(GoCodeAnalyzer())
