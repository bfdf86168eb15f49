"""Backing services a JavaScript/TypeScript service connects to, from its client libraries'
connect and transport calls (`nodemailer.createTransport`, `mongoose.connect`, `new Pool`).

The captures are `queries/javascript-clients.scm`; `LIBRARIES` says which module's export
creates a connection to which kind of backing service (`BY_OPTION`: for libraries that speak
to several databases, the option or URL that names it). Only a call counts: a `require` or
`import` alone is no dependency. A dependency is `optional` when the service checks the
connection and every outcome of that check only reaches a log line (nodemailer's
`transport.verify().then(log).catch(log)`): the service runs on without it. Otherwise it is
`runtime`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter as ts

from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._js_read import JsFile, Span, args, bare, cite
from ddd_llm.models import DependencyType

DEFAULT = "default"
"""The module itself called or constructed (`new Redis()` after `require('ioredis')`)."""

LIBRARIES: dict[str, tuple[str, frozenset[str]]] = {
    "nodemailer": ("smtp", frozenset({"createTransport"})),
    "mongoose": ("mongodb", frozenset({"connect", "createConnection"})),
    "mongodb": ("mongodb", frozenset({"MongoClient"})),
    "redis": ("redis", frozenset({"createClient", "createCluster"})),
    "ioredis": ("redis", frozenset({DEFAULT, "Redis", "Cluster"})),
    "pg": ("postgresql", frozenset({"Pool", "Client"})),
    "postgres": ("postgresql", frozenset({DEFAULT})),
    "mysql": ("mysql", frozenset({"createConnection", "createPool", "createPoolCluster"})),
    "mysql2": ("mysql", frozenset({"createConnection", "createPool", "createPoolCluster"})),
    "mysql2/promise": ("mysql", frozenset({"createConnection", "createPool"})),
    "amqplib": ("rabbitmq", frozenset({"connect"})),
    "amqplib/callback_api": ("rabbitmq", frozenset({"connect"})),
    "amqp-connection-manager": ("rabbitmq", frozenset({"connect"})),
    "kafkajs": ("kafka", frozenset({"Kafka"})),
    "@elastic/elasticsearch": ("elasticsearch", frozenset({"Client"})),
    "cassandra-driver": ("cassandra", frozenset({"Client"})),
    "nats": ("nats", frozenset({"connect"})),
    "mssql": ("mssql", frozenset({"connect", "ConnectionPool"})),
    "bull": ("redis", frozenset({DEFAULT})),
    "bullmq": ("redis", frozenset({"Queue", "Worker"})),
    "mqtt": ("mqtt", frozenset({"connect"})),
    "memcached": ("memcached", frozenset({DEFAULT})),
    "connect-mongo": ("mongodb", frozenset({"create"})),
}
"""module → (backing service kind, the exports whose call or `new` connects to it).
A member call on a named export counts as that export (`MongoClient.connect(url)`)."""

BY_OPTION: dict[str, tuple[frozenset[str], str]] = {
    "knex": (frozenset({DEFAULT, "knex"}), "client"),
    "sequelize": (frozenset({"Sequelize"}), "dialect"),
    "typeorm": (frozenset({"DataSource", "createConnection"}), "type"),
}
"""Libraries that speak to several databases: module → (connecting exports, the option that
names the database: `knex({ client: 'pg' })`); a URL argument's scheme names it too."""

DATABASES: dict[str, str] = {
    "pg": "postgresql",
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "cockroachdb": "postgresql",
    "mysql": "mysql",
    "mysql2": "mysql",
    "mariadb": "mariadb",
    "mssql": "mssql",
    "tedious": "mssql",
    "oracledb": "oracle",
    "oracle": "oracle",
    "mongodb": "mongodb",
}
"""A driver, dialect or URL scheme → the database server it needs (sqlite is a file: none)."""

_CHECKS = frozenset({"verify", "connect", "ping", "authenticate", "$connect"})
"""Methods of a client that test or open its connection (`transport.verify()`)."""
_PROMISE = frozenset({"then", "catch", "finally"})
_FUNCTIONS = frozenset({"arrow_function", "function_expression", "function"})
_LOG_OBJECT = re.compile(r"(?i)(^|_)(log|logger|logging|console|winston|pino|bunyan|debug)$")
_LOG_FUNCTION = frozenset({"log", "debug", "info", "warn", "warning", "error", "trace"})


@dataclass
class Connection:
    """One backing service this file connects to: where, and how the service treats it."""

    target: str
    module: str
    call: str
    lines: list[Span] = field(default_factory=list)
    dependency_type: DependencyType = "runtime"


@dataclass(frozen=True)
class _Binding:
    module: str
    export: str
    """`*` for the whole module (`const pg = require('pg')`), else the export's name."""


def _bindings(f: JsFile) -> dict[str, _Binding]:
    out: dict[str, _Binding] = {}
    for m in f.matches("clients"):
        module = f.string(m.node("bind.module") or m.node("import.module"))
        if module is None:
            continue
        if (name := m.node("bind.name")) is not None:
            out[_ts.text(name)] = _Binding(module, "*")
        elif (pattern := m.node("bind.pattern")) is not None:
            for entry in pattern.named_children:
                if entry.type == "shorthand_property_identifier_pattern":
                    out[_ts.text(entry)] = _Binding(module, _ts.text(entry))
                elif entry.type == "pair_pattern":
                    key, value = (
                        entry.child_by_field_name("key"),
                        entry.child_by_field_name("value"),
                    )
                    if key is not None and value is not None and value.type == "identifier":
                        out[_ts.text(value)] = _Binding(module, _ts.text(key))
        elif (clause := m.node("import.clause")) is not None:
            _import_clause(clause, module, out)
    return out


def _import_clause(clause: ts.Node, module: str, out: dict[str, _Binding]) -> None:
    for part in clause.named_children:
        if part.type == "identifier":  # import Redis from 'ioredis'
            out[_ts.text(part)] = _Binding(module, DEFAULT)
        elif part.type == "namespace_import":  # import * as redis from 'redis'
            for ident in part.named_children:
                out[_ts.text(ident)] = _Binding(module, "*")
        elif part.type == "named_imports":  # import { createClient as connect } from 'redis'
            for spec in part.named_children:
                name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
                if name is not None:
                    out[_ts.text(alias or name)] = _Binding(module, _ts.text(name))


def _export_called(
    f: JsFile, m: _ts.Match, bindings: dict[str, _Binding]
) -> tuple[str, str] | None:
    """(module, export) the matched call or `new` reaches, if it is one of a library's."""
    name = _ts.text(m.node("call.name"))
    inline = f.string(m.node("inline.module"))
    if inline is not None:
        return inline, name or DEFAULT
    obj = m.node("call.object")
    if obj is None:
        bound = bindings.get(name)
        if bound is None or bound.export == "*":
            # A `*` binding called directly is the module's default (CommonJS `postgres(url)`).
            return (bound.module, DEFAULT) if bound is not None else None
        return bound.module, bound.export
    bound = bindings.get(_ts.text(obj))
    if bound is None:
        return None
    return (bound.module, name) if bound.export in ("*", DEFAULT) else (bound.module, bound.export)


def connections(f: JsFile) -> list[Connection]:
    """The backing services the file's code connects to, one per kind (first call cited)."""
    bindings = _bindings(f)
    found: dict[str, Connection] = {}
    for m in f.matches("clients"):
        call = m.node("call")
        if call is None:
            continue
        reached = _export_called(f, m, bindings)
        if reached is None:
            continue
        module, export = reached
        target = _target(f, module, export, call)
        if target is None or target in found:
            continue
        conn = Connection(target, module, export, [cite(_statement(call))])
        _outcome(f, call, conn)
        found[target] = conn
    return list(found.values())


def _target(f: JsFile, module: str, export: str, call: ts.Node) -> str | None:
    library = LIBRARIES.get(module)
    if library is not None:
        return library[0] if export in library[1] else None
    by_option = BY_OPTION.get(module)
    if by_option is None or export not in by_option[0]:
        return None
    for arg in args(call.child_by_field_name("arguments")):
        arg = bare(arg)
        if arg.type == "object":
            for pair in arg.named_children:
                key = pair.child_by_field_name("key") if pair.type == "pair" else None
                if key is not None and _ts.text(key).strip("'\"") == by_option[1]:
                    name = f.string(pair.child_by_field_name("value"))
                    return DATABASES.get((name or "").lower())
        scheme = (f.string(arg) or "").partition("://")
        if scheme[1]:
            return DATABASES.get(scheme[0].lower().split("+")[0])
    return None


def _statement(node: ts.Node) -> ts.Node:
    """The statement holding an expression (its declaration or expression statement)."""
    current = node
    while current.parent is not None and current.parent.type not in (
        "program",
        "statement_block",
        "class_body",
    ):
        current = current.parent
    return current


def _client_name(call: ts.Node) -> str | None:
    """The variable or property the connection is kept in (`const transport = …`)."""
    node = call
    while node.parent is not None and node.parent.type in (
        "await_expression",
        "parenthesized_expression",
        "as_expression",
    ):
        node = node.parent
    parent = node.parent
    if parent is None:
        return None
    if parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        return _ts.text(name) if name is not None and name.type == "identifier" else None
    if parent.type == "assignment_expression":
        return _ts.text(parent.child_by_field_name("left")) or None
    return None


def _chain_handlers(call: ts.Node) -> tuple[list[ts.Node], bool]:
    """The callbacks of `.then/.catch/.finally` chained on `call`, and whether a failure is
    handled (a `.catch`, or a `.then` with a second callback)."""
    handlers: list[ts.Node] = []
    caught = False
    node = call
    while True:
        member = node.parent
        if member is None or member.type != "member_expression":
            break
        if member.child_by_field_name("object") != node:
            break
        method = _ts.text(member.child_by_field_name("property"))
        outer_call = member.parent
        if method not in _PROMISE or outer_call is None or outer_call.type != "call_expression":
            break
        passed = args(outer_call.child_by_field_name("arguments"))
        handlers.extend(passed)
        caught = caught or method == "catch" or (method == "then" and len(passed) > 1)
        node = outer_call
    return handlers, caught


def _checks(f: JsFile, client: str) -> list[ts.Node]:
    """Calls `client.verify()`, `client.connect()`, … in the file."""
    out: list[ts.Node] = []
    for node in _ts.walk(f.root):
        if node.type != "call_expression":
            continue
        fn = node.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            continue
        if _ts.text(fn.child_by_field_name("property")) not in _CHECKS:
            continue
        if _ts.text(fn.child_by_field_name("object")).replace(" ", "") == client:
            out.append(node)
    return out


def _outcome(f: JsFile, call: ts.Node, conn: Connection) -> None:
    """Cite the connection checks; `optional` when every outcome of them is only logged."""
    chains = [call]
    client = _client_name(call)
    if client is not None:
        chains.extend(_checks(f, client))
    handled: list[ts.Node] = []
    caught = False
    for start in chains:
        handlers, failure = _chain_handlers(start)
        if start is not call:
            conn.lines.append(cite(_statement(start)))
            # `transport.verify((error) => …)`: a callback is told the outcome, error included.
            callbacks = [
                a
                for a in args(start.child_by_field_name("arguments"))
                if bare(a).type in _FUNCTIONS
            ]
            handlers, failure = handlers + callbacks, failure or bool(callbacks)
        if failure:
            caught = True
            handled.extend(handlers)
    if caught and handled and all(_only_logs(h) for h in handled):
        conn.dependency_type = "optional"


def _only_logs(handler: ts.Node) -> bool:
    """A callback whose body is nothing but log calls (`() => logger.warn('…')`), branches of
    an `if` included (`(err) => { if (err) log.warn(err); else log.info('ok'); }`)."""
    handler = bare(handler)
    if handler.type not in _FUNCTIONS:
        return False
    body = handler.child_by_field_name("body")
    if body is None:
        return False
    if body.type != "statement_block":
        return _is_log_call(body)
    return _logs_only(body)


def _logs_only(node: ts.Node) -> bool:
    if node.type == "expression_statement":
        return node.named_child_count > 0 and _is_log_call(node.named_children[0])
    if node.type == "statement_block":
        statements = [s for s in node.named_children if s.type != "comment"]
        return bool(statements) and all(_logs_only(s) for s in statements)
    if node.type == "if_statement":
        branches = [
            node.child_by_field_name("consequence"),
            node.child_by_field_name("alternative"),
        ]
        return all(b is None or _logs_only(b) for b in branches)
    if node.type == "else_clause":
        return all(_logs_only(c) for c in node.named_children)
    return False


def _is_log_call(node: ts.Node) -> bool:
    node = bare(node)
    if node.type != "call_expression":
        return False
    fn = node.child_by_field_name("function")
    if fn is None:
        return False
    if fn.type == "identifier":
        return _ts.text(fn).lower() in _LOG_FUNCTION
    if fn.type != "member_expression":
        return False
    obj = _ts.text(fn.child_by_field_name("object")).split(".")[-1]
    return bool(_LOG_OBJECT.search(obj))
