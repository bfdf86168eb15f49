"""Ruby analyzer: ENV reads (with their fallbacks and conversions), OptionParser and Thor options,
health routes and literal ports, read with tree-sitter (`queries/ruby-*.scm`)."""

from __future__ import annotations

import re

import tree_sitter as ts

from ddd_llm.evidence.base import SourceFile, register
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._option_cells import cell_of
from ddd_llm.evidence.code._param_facts import ENV, FLAG, Collector, Param, TreeSitterAnalyzer
from ddd_llm.models import ValueType

NAME = "ruby_code"

_CONVERTERS: dict[str, ValueType] = {
    "Integer": "int",
    "Float": "float",
    "to_i": "int",
    "to_f": "float",
    "to_r": "float",
    "Array": "list",
    "split": "list",
}
_CLASS_TYPES: dict[str, ValueType] = {
    "Integer": "int",
    "Numeric": "int",
    "Float": "float",
    "Array": "list",
    "TrueClass": "bool",
    "FalseClass": "bool",
    "String": "string",
    "Symbol": "string",
}
_THOR_TYPES: dict[str, ValueType] = {
    ":numeric": "int",
    ":boolean": "bool",
    ":string": "string",
    ":array": "list",
    ":hash": "list",
}
_BOOL_WORDS = frozenset({"true", "false", "1", "0", "yes", "no", "on", "off"})
_LONG = re.compile(r"^--(?:\[no-\])?(?P<name>[A-Za-z0-9][\w-]*)(?P<arg>[ =]\S+|\s*\[.*\])?")
_SHORT = re.compile(r"^-(?P<name>[A-Za-z0-9])(?P<arg>\s*\S+)?$")


def _literal(node: ts.Node | None) -> str | None:
    if node is None:
        return None
    cell = cell_of(node)
    if cell.kind == "string":
        return cell.value
    if cell.kind in ("number", "bool"):
        return cell.text
    if node.type == "simple_symbol":
        return _ts.text(node).lstrip(":")
    return None


def _block_literal(call: ts.Node) -> str | None:
    """`ENV.fetch("X") { "d" }` / `do "d" end`: the block's only expression, when a literal."""
    block = call.child_by_field_name("block") or next(
        (c for c in call.named_children if c.type in ("block", "do_block")), None
    )
    if block is None:
        return None
    body = next(
        (c for c in block.named_children if c.type in ("block_body", "body_statement")), None
    )
    if body is None or body.named_child_count != 1:
        return None
    return _literal(body.named_children[0])


def _read_env(out: Collector, root: ts.Node) -> None:
    for match in _ts.matches("ruby", "env", root):
        node = match.node("read") or match.node("call")
        name_node = match.node("name")
        if node is None or name_node is None:
            continue
        name = _literal(name_node)
        if not name or name_node.type not in ("string", "simple_symbol"):
            out.candidate(_ts.line(node), _ts.end_line(node), "ENV read with a computed name")
            continue
        param = out.at(name, ENV, node)
        method = _ts.text(match.node("method"))
        if method == "fetch":
            args = node.child_by_field_name("arguments")
            rest = list(args.named_children) if args is not None else []
            if len(rest) >= 2:
                param.default = _literal(rest[1])
            else:
                param.default = _block_literal(node)
                param.required = param.default is None and _block_of(node) is None
        elif method:
            param.value_type = "bool"  # ENV.key?("X") asks whether a switch is set
        _use(node, param)
        out.param(param)


def _block_of(call: ts.Node) -> ts.Node | None:
    return next((c for c in call.named_children if c.type in ("block", "do_block")), None)


def _use(node: ts.Node, param: Param) -> None:
    """`ENV["X"] || 3000`, `Integer(ENV.fetch(…))`, `.to_i`, `== "true"`, `config.x = …`."""
    current = node
    for _ in range(6):
        parent = current.parent
        if parent is None:
            return
        if parent.type == "binary":
            operator = _ts.text(parent.child_by_field_name("operator"))
            right = parent.child_by_field_name("right")
            if operator in ("||", "or") and right is not None and right != current:
                param.default = param.default or _literal(right)
            elif operator in ("==", "!=") and (_literal(right) or "").lower() in _BOOL_WORDS:
                param.value_type = "bool"
        elif parent.type == "call":
            method = _ts.text(parent.child_by_field_name("method"))
            if method in _CONVERTERS:
                param.value_type = _CONVERTERS[method]
            elif method == "present?" or method == "blank?":
                param.value_type = param.value_type or "bool"
        elif parent.type == "assignment":
            left = parent.child_by_field_name("left")
            text = _ts.text(left)
            if text.startswith("config."):
                param.note = f" (sets {text})"
            return
        elif parent.type not in ("argument_list", "parenthesized_statements"):
            return
        current = parent


# --- options --------------------------------------------------------------------------


def _read_options(out: Collector, root: ts.Node) -> None:
    for match in _ts.matches("ruby", "flags", root):
        on, args = match.node("on"), match.node("args")
        if on is not None and args is not None:
            _option_parser(out, on, args)
        thor, name = match.node("thor"), match.node("name")
        if thor is not None and name is not None:
            _thor(out, thor, name)


def _option_parser(out: Collector, call: ts.Node, args: ts.Node) -> None:
    long_name = short = None
    takes_value = False
    value_type: ValueType | None = None
    help_text: list[str] = []
    for arg in args.named_children:
        text = _literal(arg) if arg.type == "string" else None
        if text is None:
            if arg.type == "constant" and _ts.text(arg) in _CLASS_TYPES:
                value_type = _CLASS_TYPES[_ts.text(arg)]
            elif arg.type == "array":
                value_type = "enum"
            continue
        long_match, short_match = _LONG.match(text), _SHORT.match(text)
        if long_match:
            long_name = long_match.group("name")
            takes_value = takes_value or bool(long_match.group("arg"))
        elif short_match:
            short = short_match.group("name")
            takes_value = takes_value or bool(short_match.group("arg"))
        else:
            help_text.append(text)
    name = f"--{long_name}" if long_name else f"-{short}" if short else None
    if name is None:
        return
    param = out.at(name, FLAG, call)
    param.value_type = value_type or ("string" if takes_value else "bool")
    param.help = " ".join(help_text) or None
    out.param(param)


def _thor(out: Collector, call: ts.Node, name: ts.Node) -> None:
    args = call.child_by_field_name("arguments")
    pairs: dict[str, ts.Node] = {}
    for child in args.named_children if args is not None else []:
        if child.type == "pair":
            key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
            if key is not None and value is not None:
                pairs[_ts.text(key).rstrip(":").lstrip(":")] = value
    option = _ts.text(name).lstrip(":").replace("_", "-")
    param = out.at(f"--{option}", FLAG, call)
    param.value_type = _THOR_TYPES.get(_ts.text(pairs.get("type")), None)
    param.default = _literal(pairs.get("default"))
    param.help = _literal(pairs.get("desc")) or _literal(pairs.get("banner"))
    param.required = _ts.text(pairs.get("required")) == "true"
    enum = pairs.get("enum")
    if enum is not None and enum.type == "array":
        values = [_literal(v) for v in enum.named_children]
        if values and all(v is not None for v in values):
            param.allowed = [v for v in values if v is not None]
            param.value_type = "enum"
    out.param(param)


# --- routes and ports -----------------------------------------------------------------


def _read_routes(out: Collector, root: ts.Node) -> None:
    for match in _ts.matches("ruby", "health", root):
        call, path = match.node("call"), match.node("path")
        value = _literal(path)
        if call is None or path is None or not value or " " in value or "://" in value:
            continue
        handler = path.parent.child_by_field_name("value") if path.parent is not None else None
        to = _literal(handler) if path.parent is not None and path.parent.type == "pair" else None
        out.route(value, call, health=bool(to and re.search(r"(?i)health", to)))


def _read_ports(out: Collector, root: ts.Node) -> None:
    for match in _ts.matches("ruby", "ports", root):
        call, port = match.node("call"), match.node("port")
        if call is not None and port is not None:
            out.port(_ts.text(port).replace("_", ""), _ts.text(match.node("method")), call)


class RubyCodeAnalyzer(TreeSitterAnalyzer):
    """Reads Ruby sources (`*.rb`, `*.rake`, Rack's `config.ru`, Puma's config)."""

    name = NAME
    grammars = {".rb": "ruby", ".rake": "ruby", ".ru": "ruby"}

    def accepts(self, source: SourceFile) -> bool:
        return super().accepts(source) and not source.name.endswith("_spec.rb")

    def read(self, grammar: str, root: ts.Node, out: Collector) -> None:  # noqa: ARG002
        _read_env(out, root)
        _read_options(out, root)
        _read_routes(out, root)
        _read_ports(out, root)


register(RubyCodeAnalyzer())
