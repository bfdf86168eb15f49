"""PHP analyzer: getenv / $_ENV / $_SERVER reads and Laravel's env('X', default) (with the config
key a `config/*.php` array gives it), and health routes, read with tree-sitter
(`queries/php-*.scm`). Symfony's `%env(X)%` lives in YAML and is the config files' business."""

from __future__ import annotations

import tree_sitter as ts

from ddd_llm.evidence.base import register
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._option_cells import cell_of
from ddd_llm.evidence.code._param_facts import ENV, Collector, Param, TreeSitterAnalyzer
from ddd_llm.models import ValueType

NAME = "php_code"

_CASTS: dict[str, ValueType] = {
    "int": "int",
    "integer": "int",
    "float": "float",
    "double": "float",
    "bool": "bool",
    "boolean": "bool",
    "string": "string",
    "array": "list",
}
_CONVERTERS: dict[str, ValueType] = {
    "intval": "int",
    "floatval": "float",
    "boolval": "bool",
    "explode": "list",
    "filter_var": "bool",
}
# $_SERVER also holds the request (REQUEST_URI, HTTP_HOST …): those are no operator's settings.
_REQUEST_KEYS = ("REQUEST_", "HTTP_", "SERVER_", "REMOTE_", "SCRIPT_", "PHP_", "QUERY_", "PATH_")


def _literal(node: ts.Node | None) -> str | None:
    if node is None:
        return None
    cell = cell_of(node)
    if cell.kind == "string":
        return cell.value
    if cell.kind in ("number", "bool"):
        return cell.text
    if cell.kind == "null":
        return None
    return None


def _read_env(out: Collector, root: ts.Node, config_file: str | None) -> None:
    for match in _ts.matches("php", "env", root):
        node = match.node("call") or match.node("read")
        name_node = match.node("name")
        if node is None or name_node is None:
            continue
        name = _literal(name_node)
        if not name:
            out.candidate(
                _ts.line(node), _ts.end_line(node), "environment read with a computed name"
            )
            continue
        if match.node("read") is not None and name.startswith(_REQUEST_KEYS):
            continue
        param = out.at(name, ENV, node)
        fn = _ts.text(match.node("fn"))
        default = match.node("default")
        if default is not None:
            param.default = _literal(default)
            param.value_type = _value_type(default)
        _use(node, param)
        if fn.lower() == "env" and config_file:
            key = _config_key(node, config_file)
            if key:
                param.note = f" (config key {key})"
        out.param(param)


def _value_type(node: ts.Node) -> ValueType | None:
    cell = cell_of(node)
    if cell.kind == "bool":
        return "bool"
    if cell.kind == "number":
        return "float" if "." in cell.text else "int"
    return None


def _use(node: ts.Node, param: Param) -> None:
    """`getenv('X') ?: 8080`, `$_ENV['X'] ?? 'd'`, `(int) env(…)`, `intval(getenv(…))`."""
    current = node
    for _ in range(5):
        parent = current.parent
        if parent is None:
            return
        if parent.type == "binary_expression":
            operator = _ts.text(parent.child_by_field_name("operator"))
            right = parent.child_by_field_name("right")
            if operator in ("??", "?:", "||") and right is not None and right != current:
                param.default = param.default or _literal(right)
                param.value_type = param.value_type or _value_type(right)
        elif parent.type == "conditional_expression":
            alternative = parent.child_by_field_name("alternative")
            if alternative is not None and alternative != current:
                param.default = param.default or _literal(alternative)
                param.value_type = param.value_type or _value_type(alternative)
        elif parent.type == "cast_expression":
            cast = _ts.text(parent.child_by_field_name("type")).strip("() ").lower()
            param.value_type = _CASTS.get(cast, param.value_type)
        elif parent.type == "function_call_expression":
            fn = _ts.text(parent.child_by_field_name("function")).lower()
            param.value_type = _CONVERTERS.get(fn, param.value_type)
        elif parent.type not in ("argument", "arguments", "parenthesized_expression"):
            return
        current = parent


def _config_key(node: ts.Node, config_file: str) -> str | None:
    """`database.connections.mysql.port` for `'port' => env('DB_PORT')` in config/database.php."""
    keys: list[str] = []
    current: ts.Node | None = node
    while current is not None:
        if current.type == "array_element_initializer" and current.named_child_count == 2:
            key = _literal(current.named_children[0])
            if key is None:
                return None
            keys.append(key)
        current = current.parent
    if not keys:
        return None
    return ".".join([config_file, *reversed(keys)])


def _read_routes(out: Collector, root: ts.Node) -> None:
    for match in _ts.matches("php", "health", root):
        call, path = match.node("call"), match.node("path")
        value = _literal(path)
        if call is None or not value or " " in value or "://" in value:
            continue
        out.route(value, call, health=_ts.text(match.node("label")) == "health")


class PhpCodeAnalyzer(TreeSitterAnalyzer):
    """Reads `*.php` files (not tests, not vendor/)."""

    name = NAME
    grammars = {".php": "php"}

    def read(self, grammar: str, root: ts.Node, out: Collector) -> None:  # noqa: ARG002
        parts = out.source.parts
        config_file = None
        if len(parts) >= 2 and parts[-2] == "config":
            config_file = out.source.name.rsplit(".", 1)[0]
        _read_env(out, root, config_file)
        _read_routes(out, root)


register(PhpCodeAnalyzer())
