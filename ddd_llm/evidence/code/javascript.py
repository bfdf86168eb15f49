"""JavaScript/TypeScript analyzer: env reads, env schemas, options, health routes, listen ports,
backing services connected to.

The rules are the query files `queries/javascript-*.scm` (env, schema, flags, health, ports,
clients; TypeScript and TSX use them too, see `_ts.SHARED_QUERIES`); `_js_env.py` turns the
configuration captures into parameters, `_js_clients.py` the client-library calls into
dependencies.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

import tree_sitter as ts

from ddd_llm.evidence.base import (
    AnalyzerResult,
    SourceFile,
    infer_value_type,
    is_health_path,
    looks_secret,
    register,
)
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._js_clients import connections
from ddd_llm.evidence.code._js_env import env_params
from ddd_llm.evidence.code._js_read import JsFile, Param, Span, args, bare, cite, field_text
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    HealthCheck,
    ResourceRequirement,
)

NAME = "javascript"

_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx", ".jsx"})
_SKIP_DIRS = frozenset(
    {
        "node_modules",
        "dist",
        "build",
        "bower_components",
        "coverage",
        ".next",
        ".nuxt",
        ".output",
        "vendor",
        "__tests__",
        "__mocks__",
    }
)
_MINIFIED_AVG_LINE = 300
_MAX_LINE = 5000

_CLIENTS = frozenset(
    {
        "axios",
        "http",
        "https",
        "request",
        "superagent",
        "got",
        "ky",
        "fetch",
        "client",
        "httpclient",
        "$http",
        "$",
        "jquery",
        "instance",
        "agent",
        "supertest",
        "cy",
        "map",
        "cache",
        "params",
        "searchparams",
        "headers",
        "config",
        "store",
        "redis",
    }
)

_NEXT_API = re.compile(r"(?:^|/)pages/api/(?P<r>.+)\.(?:js|ts|mjs|cjs|jsx|tsx)$")
_NEXT_APP = re.compile(r"(?:^|/)app/(?P<r>(?:.+/)?)route\.(?:js|ts|mjs)$")
_PATH_PARAM = re.compile(r"/:|[{}*]")
"""A route with a parameter (`/ping/:id`, `/health/{x}`, `/status/*`) is not a health check."""
_ADDRESS_PORT = re.compile(r":(\d{1,5})$")
_RELEVANT = re.compile(
    r"(?i)\benv\b|listen\s*\(|serve\s*\(|bind(async)?\s*\(|health|ready|alive|live[nz]|heartbeat"
    r"|['\"/]ping\b|\.option\s*\("
)
"""A file that mentions none of these has no facts a syntax error could hide: no warning."""
_TEST_DIRS = frozenset({"test", "tests", "spec", "specs", "e2e", "cypress", "fixtures", "mocks"})
"""Folders whose connections are a test set-up's, not the service's dependencies."""


def _merge_lines(ranges: Iterable[Span]) -> list[Span]:
    merged: list[list[int]] = []
    for start, end in sorted(set(ranges)):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _health_path(path: str) -> bool:
    return path.startswith("/") and not _PATH_PARAM.search(path) and is_health_path(path)


def _join(*parts: str) -> str:
    return "/" + "/".join(p.strip("/") for p in parts if p.strip("/"))


# --- health routes ---------------------------------------------------------------------


def _routes(f: JsFile) -> tuple[list[tuple[str, Span]], Span | None]:
    """(path, lines) of every health route, and the lines registering gRPC health."""
    found: list[tuple[str, Span]] = []
    grpc: Span | None = None
    controllers: list[tuple[int, str]] = []
    nest: list[_ts.Match] = []
    exports: list[ts.Node] = []
    for m in f.matches("health"):
        if (call := m.node("route")) is not None:
            found.extend(_call_route(f, m, call))
        elif (pair := m.node("object")) is not None:
            found.extend(
                _object_route(f, pair, m.node("object.path"), _ts.text(m.node("object.key")))
            )
        elif (checks := m.node("terminus.checks")) is not None:
            for entry in args(checks):
                key = entry.child_by_field_name("key") if entry.type == "pair" else None
                path = f.string(key) if key is not None and key.type == "string" else None
                if path is not None and path.startswith("/") and key is not None:
                    found.append((path, cite(key)))
        elif (decorator := m.node("nest.controller")) is not None:
            passed = args(m.node("nest.args"))
            controllers.append((decorator.start_byte, _controller_prefix(f, passed)))
        elif m.node("nest.route") is not None:
            nest.append(m)
        elif (export := m.node("next.export")) is not None:
            exports.append(export)
        elif (call := m.node("grpc")) is not None and grpc is None:
            grpc = cite(call, m.node("grpc.service") or call)
    controllers.sort()
    for m in nest:
        found.extend(_nest_route(f, m, controllers))
    found.extend(_file_route(f, exports))
    return found, grpc


def _call_route(f: JsFile, m: _ts.Match, call: ts.Node) -> list[tuple[str, Span]]:
    recv = _ts.text(m.node("route.recv")).replace(" ", "").split(".")[-1].lower()
    if recv in _CLIENTS or recv.endswith("client"):
        return []
    passed = args(m.node("route.args"))
    first = m.node("route.path")
    if first is None or (_ts.text(m.node("route.method")) != "route" and len(passed) < 2):
        return []
    start = m.node("route.method") or call
    return [(p, cite(start, first)) for p in f.strings(first) if _health_path(p)]


def _object_route(
    f: JsFile, pair: ts.Node, value: ts.Node | None, key: str
) -> list[tuple[str, Span]]:
    """`{ method: 'GET', url: '/readyz', handler }` (fastify, hapi); not `{ path, component }`."""
    path = f.string(value)
    obj = pair.parent
    if (
        path is None
        or value is None
        or obj is None
        or obj.type != "object"
        or not _health_path(path)
    ):
        return []
    keys = {
        field_text(e, "key") if e.type in ("pair", "method_definition") else _ts.text(e)
        for e in args(obj)
    }
    keys |= {field_text(e, "name") for e in args(obj) if e.type == "method_definition"}
    if "method" in keys or (key == "path" and "handler" in keys):
        return [(path, cite(pair, value))]
    return []


def _controller_prefix(f: JsFile, passed: list[ts.Node]) -> str:
    """`@Controller('health')` or `@Controller({ path: 'api' })`."""
    if not passed:
        return ""
    paths = f.strings(passed[0])
    if paths:
        return paths[0]
    first = bare(passed[0])
    if first.type == "object":
        for entry in args(first):
            if entry.type == "pair" and field_text(entry, "key") == "path":
                found = f.strings(entry.child_by_field_name("value"))
                return found[0] if found else ""
    return ""


def _method_of(decorator: ts.Node) -> tuple[ts.Node | None, list[ts.Node]]:
    """The method a decorator sits on, and all of that method's decorators."""
    parent = decorator.parent
    if parent is not None and parent.type == "method_definition":
        return parent, [c for c in parent.children if c.type == "decorator"]
    node: ts.Node | None = decorator
    while node is not None and node.type == "decorator":
        node = node.next_named_sibling
    if node is None or node.type != "method_definition":
        return None, []
    decorators: list[ts.Node] = []
    prev = node.prev_named_sibling
    while prev is not None and prev.type == "decorator":
        decorators.append(prev)
        prev = prev.prev_named_sibling
    return node, decorators


def _nest_route(
    f: JsFile, m: _ts.Match, controllers: list[tuple[int, str]]
) -> list[tuple[str, Span]]:
    decorator = m.node("nest.route")
    if decorator is None:
        return []
    method, decorators = _method_of(decorator)
    starts = [c[0] for c in controllers]
    index = bisect.bisect_right(starts, decorator.start_byte) - 1
    prefix = controllers[index][1] if index >= 0 else ""
    passed = args(m.node("nest.args"))
    paths = (f.strings(passed[0]) if passed else []) or [""]
    marked = any("HealthCheck" in _ts.text(d) for d in decorators)
    name = method.child_by_field_name("name") if method is not None else None
    lines = cite(decorator, name)
    found: list[tuple[str, Span]] = []
    for path in paths:
        full = _join(prefix, path)
        if not _PATH_PARAM.search(full) and (marked or is_health_path(full)):
            found.append((full, lines))
    return found


def _file_route(f: JsFile, exports: list[ts.Node]) -> list[tuple[str, Span]]:
    """Next.js API routes, whose URL is their file path."""
    path = f.source.path
    api = _NEXT_API.search(path)
    app = _NEXT_APP.search(path)
    route: str | None = None
    export: ts.Node | None = None
    if api:
        route = _join("api", re.sub(r"(^|/)index$", "", api.group("r")))
        export = next((e for e in exports if any(c.type == "default" for c in e.children)), None)
    elif app:
        segments = [s for s in app.group("r").split("/") if s and not s.startswith("(")]
        route = _join(*segments)
        export = next(
            (e for e in exports if e.child_by_field_name("declaration") is not None), None
        )
    if route is None or export is None or not is_health_path(route):
        return []
    return [(route, (_ts.line(export), _ts.line(export)))]


# --- ports -----------------------------------------------------------------------------


def _port_of(f: JsFile, node: ts.Node | None, depth: int = 0) -> tuple[str, list[Span]] | None:
    """A port number stated by an expression: a literal, a literal fallback, or a constant."""
    if node is None or depth > 3:
        return None
    node = bare(node)
    if node.type == "object":
        for entry in args(node):
            if entry.type == "pair" and field_text(entry, "key") == "port":
                return _port_of(f, entry.child_by_field_name("value"), depth)
            if entry.type == "shorthand_property_identifier" and _ts.text(entry) == "port":
                decl = f.decls.get("port")
                inner = _port_of(f, decl, depth + 1)
                if inner and decl is not None:
                    return inner[0], [(_ts.line(decl), _ts.line(decl)), *inner[1]]
        return None
    got = f.operand(node)
    if got is not None:
        return (got[0], got[1]) if got[0] and got[0].isdigit() else None
    if node.type == "identifier":
        decl = f.decls.get(_ts.text(node))
        inner = _port_of(f, decl, depth + 1)
        if inner and decl is not None:
            return inner[0], [(_ts.line(decl), _ts.line(decl)), *inner[1]]
        return None
    if node.type == "call_expression":
        setting = _setting(f, node, depth)
        if setting is not None:
            return setting
    for sub in _ts.walk(node):
        if sub.type == "binary_expression" and field_text(sub, "operator") in ("||", "??"):
            fallback = f.operand(sub.child_by_field_name("right"))
            if fallback and fallback[0] and fallback[0].isdigit():
                return fallback[0], fallback[1]
    return None


def _setting(f: JsFile, call: ts.Node, depth: int) -> tuple[str, list[Span]] | None:
    """`app.get('port')` after `app.set('port', process.env.PORT || 3000)`."""
    fn = call.child_by_field_name("function")
    passed = args(call.child_by_field_name("arguments"))
    if fn is None or fn.type != "member_expression" or field_text(fn, "property") != "get":
        return None
    if len(passed) != 1 or f.string(passed[0]) != "port":
        return None
    for m in f.matches("ports"):
        if f.string(m.node("setting.key")) == "port" and (setter := m.node("setting")) is not None:
            inner = _port_of(f, m.node("setting.value"), depth + 1)
            if inner:
                return inner[0], [(_ts.line(setter), _ts.line(setter)), *inner[1]]
    return None


def _address_port(f: JsFile, node: ts.Node) -> tuple[str, list[Span]] | None:
    """The port of a `host:port` address: `'0.0.0.0:50051'`, `` `[::]:${PORT}` ``, `'…:' + PORT`."""
    node = bare(node)
    value = f.string(node)
    if value is not None:
        port = _ADDRESS_PORT.search(value)
        return (port.group(1), []) if port else None
    last: ts.Node | None = None
    if node.type == "template_string":
        parts = [c for c in node.named_children if c.type != "string_fragment" or _ts.text(c)]
        if parts and parts[-1].type == "template_substitution" and len(parts) >= 2:
            before = _ts.text(parts[-2])
            if parts[-2].type == "string_fragment" and before.endswith(":"):
                last = parts[-1].named_children[0] if parts[-1].named_child_count else None
    elif node.type == "binary_expression" and field_text(node, "operator") == "+":
        left = f.string(node.child_by_field_name("left"))
        if left is not None and left.endswith(":"):
            last = node.child_by_field_name("right")
    if last is None or last.type != "identifier":
        return None
    return _port_of(f, last)


def _ports(f: JsFile) -> list[tuple[str, Span, list[Span]]]:
    found: list[tuple[str, Span, list[Span]]] = []
    for m in f.matches("ports"):
        if (address := m.node("bind.address")) is not None:
            port = _address_port(f, address)
            fn = m.node("bind.fn")
        elif (arg := m.node("listen.port")) is not None:
            port = _port_of(f, arg)
            fn, address = m.node("listen.fn"), arg
        else:
            continue
        if port and fn is not None and 0 < int(port[0]) < 65536:
            found.append((port[0], cite(fn, address), port[1]))
    return found


# --- the analyzer ----------------------------------------------------------------------


def _syntax_error(root: ts.Node) -> ts.Node | None:
    """The first node tree-sitter could not parse, if any."""
    if not root.has_error:
        return None
    for node in _ts.walk(root):
        if node.is_error or node.is_missing:
            return node
    return None


def _minified(source: SourceFile) -> bool:
    if ".min." in source.name or source.name.endswith(("-min.js", ".bundle.js")):
        return True
    text = source.text
    if len(text) > 2000 and len(text) / (text.count("\n") + 1) > _MINIFIED_AVG_LINE:
        return True
    return any(len(line) > _MAX_LINE for line in source.lines)


class JavaScriptAnalyzer:
    """Reads JS/TS sources (not dependencies, build output, type declarations or tests)."""

    name = NAME

    def accepts(self, source: SourceFile) -> bool:
        name = source.name
        if source.suffix not in _SUFFIXES or re.search(r"\.d\.[mc]?ts$", name):
            return False
        if re.search(r"\.(test|spec)\.[mc]?[jt]sx?$", name):
            return False
        if any(part in _SKIP_DIRS for part in source.parts[:-1]):
            return False
        return not _minified(source)

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        try:
            self._analyze(source, result)
        except (ValueError, IndexError, KeyError, RecursionError) as exc:
            result.warn(source, f"could not read JS/TS source: {exc}"[:300], None, self.name)
        return result

    def _analyze(self, source: SourceFile, result: AnalyzerResult) -> None:
        language = _ts.language_of(source.path) or "javascript"
        f = JsFile(source, language)
        error = _syntax_error(f.root)
        if error is not None and _RELEVANT.search(source.text):
            result.warn(
                source,
                f"{language} syntax error (or a construct the parser does not know) here; "
                "facts from this part of the file may be missing",
                _ts.line(error),
                self.name,
            )
        merged: dict[str, Param] = {}
        for p in env_params(f, result):
            if p.name in merged:
                merged[p.name].absorb(p)
            else:
                merged[p.name] = p
        facts: list[FactBase] = [self._param(source, p) for p in merged.values()]
        found, grpc = _routes(f)
        routes: dict[str, list[Span]] = {}
        for target, lines in found:
            routes.setdefault(target, []).append(lines)
        for target, spans in routes.items():
            facts.append(
                HealthCheck(
                    summary=f"HTTP health endpoint GET {target} served by the code",
                    citations=self._cites(source, spans),
                    check_type="http",
                    target=target,
                    mechanism="code-endpoint",
                )
            )
        if grpc is not None:
            facts.append(
                HealthCheck(
                    summary="gRPC health service grpc.health.v1.Health registered by the code",
                    citations=self._cites(source, [grpc]),
                    check_type="grpc",
                    target="grpc.health.v1.Health",
                    mechanism="code-endpoint",
                )
            )
        ports: dict[str, list[Span]] = {}
        for port, lines, extra in _ports(f):
            ports.setdefault(port, []).extend([lines, *extra])
        for port, spans in ports.items():
            facts.append(
                ResourceRequirement(
                    summary=f"listens on port {port}",
                    citations=self._cites(source, spans),
                    resource="port",
                    value=port,
                )
            )
        if not any(part.lower() in _TEST_DIRS for part in source.parts[:-1]):
            for conn in connections(f):
                how = (
                    "checks it at start but only logs the result: runs on without it"
                    if conn.dependency_type == "optional"
                    else "needs it while running"
                )
                facts.append(
                    Dependency(
                        summary=f"connects to {conn.target} ({conn.module} {conn.call}); {how}",
                        citations=self._cites(source, conn.lines),
                        target=conn.target,
                        dependency_type=conn.dependency_type,
                    )
                )
        result.facts.extend(facts)

    @staticmethod
    def _cites(source: SourceFile, lines: list[Span]) -> list[Citation]:
        return [source.cite(a, b) for a, b in _merge_lines(lines)]

    def _param(self, source: SourceFile, p: Param) -> ConfigParameter:
        # `process.env.X || ''` states no default: the variable is simply optional.
        default = p.default or None
        value_type = p.value_type or infer_value_type(default)
        secret = looks_secret(p.name.lstrip("-"), default)
        bits: list[str] = [value_type]
        if p.required:
            bits.append("required")
        if default is not None and not secret:
            bits.append(f"default {default}")
        what = "command-line option" if p.kind == "flag" else "environment variable"
        summary = f"{what} {p.name} ({', '.join(bits)})"
        if p.usage:
            summary += ": " + " ".join(p.usage.split())[:120]
        return ConfigParameter(
            summary=summary,
            citations=self._cites(source, p.lines),
            name=p.name,
            value_type=value_type,
            default=default,
            allowed_values=p.allowed,
            required=p.required,
            secret=secret,
        )


register(JavaScriptAnalyzer())
