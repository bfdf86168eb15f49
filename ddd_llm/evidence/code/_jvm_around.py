"""What the code around a read says about it: the default it falls back to, the type it is
converted to, and whether a missing value is an error (`Optional.ofNullable(..).orElse(d)`,
`x != null ? x : d`, Kotlin `?: d`, `Integer.parseInt(..)`, `requireNonNull(..)`)."""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from ddd_llm.evidence.code import _ts
from ddd_llm.models import ValueType

_PASS_THROUGH = frozenset(
    {
        "argument_list",
        "value_argument",
        "value_arguments",
        "parenthesized_expression",
        "cast_expression",
        "navigation_suffix",
    }
)
# Integer.parseInt(x), Boolean.valueOf(x), Duration.parse(x), Kotlin x.toInt()
_CONVERTERS: dict[str, ValueType] = {
    "Integer.parseInt": "int",
    "Integer.valueOf": "int",
    "Long.parseLong": "int",
    "Long.valueOf": "int",
    "Short.parseShort": "int",
    "Double.parseDouble": "float",
    "Double.valueOf": "float",
    "Float.parseFloat": "float",
    "Float.valueOf": "float",
    "Boolean.parseBoolean": "bool",
    "Boolean.valueOf": "bool",
    "Duration.parse": "duration",
    "DataSize.parse": "size",
    "toInt": "int",
    "toIntOrNull": "int",
    "toLong": "int",
    "toLongOrNull": "int",
    "toShort": "int",
    "toDouble": "float",
    "toDoubleOrNull": "float",
    "toFloat": "float",
    "toBoolean": "bool",
    "toBooleanStrict": "bool",
    "toBooleanStrictOrNull": "bool",
    "split": "list",
}
# fallback(read, default): Objects.requireNonNullElse, StringUtils.defaultIfBlank, ...
_FALLBACKS = frozenset(
    {
        "requireNonNullElse",
        "defaultIfBlank",
        "defaultIfEmpty",
        "defaultString",
        "firstNonNull",
        "firstNonBlank",
        "getOrDefault",
        "ifBlank",
        "ifEmpty",
    }
)
_REQUIRE = frozenset({"requireNonNull", "checkNotNull", "requireNotNull", "notNull", "hasText"})
_CHAIN_KEEP = frozenset(
    {
        "map",
        "filter",
        "trim",
        "strip",
        "toLowerCase",
        "toUpperCase",
        "lowercase",
        "uppercase",
        "ofNullable",
        "of",
        "let",
        "takeIf",
        "takeUnless",
    }
)
_MAX_CLIMB = 10


@dataclass
class Around:
    default: ts.Node | None = None
    default_text: str | None = None
    value_type: ValueType | None = None
    required: bool = False


def _contains(outer: ts.Node | None, inner: ts.Node) -> bool:
    if outer is None:
        return False
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def _callee(call: ts.Node) -> str:
    """The written name of a call: `Integer.parseInt`, `requireNonNull`, `toInt`."""
    if call.type == "method_invocation":
        name = _ts.text(call.child_by_field_name("name"))
        owner = call.child_by_field_name("object")
        return f"{_ts.text(owner)}.{name}" if owner is not None else name
    head = call.named_children[0] if call.named_children else None
    if head is None:
        return ""
    if head.type == "navigation_expression" and head.named_children:
        return _ts.text(head.named_children[-1])
    return _ts.text(head)


def _args(call: ts.Node) -> list[ts.Node]:
    for child in call.named_children:
        if child.type in ("argument_list", "value_arguments"):
            out = []
            for arg in child.named_children:
                if arg.type == "value_argument" and arg.named_children:
                    out.append(arg.named_children[-1])
                elif arg.type != "comment":
                    out.append(arg)
            return out
    return []


def _operator(node: ts.Node) -> str:
    for child in node.children:
        if not child.is_named:
            return _ts.text(child)
    return ""


def _converter(name: str) -> ValueType | None:
    if name in _CONVERTERS:
        return _CONVERTERS[name]
    short = name.rsplit(".", 1)[-1]
    return _CONVERTERS.get(short) if short.startswith("to") else None


def around(read: ts.Node) -> Around:
    """Climb from `read` through the calls that wrap it, up to the first that decides."""
    found = Around()
    node = read
    for _ in range(_MAX_CLIMB):
        parent = node.parent
        if parent is None:
            break
        kind = parent.type
        if kind in _PASS_THROUGH:
            node = parent
            continue
        if kind in ("method_invocation", "call_expression"):
            if not _step_call(parent, node, read, found):
                break
            node = parent
            continue
        if kind == "navigation_expression":  # Kotlin x.toInt(): the call is one level up
            member = _ts.text(parent.named_children[-1]) if parent.named_children else ""
            converted = _converter(member)
            if converted is not None:
                found.value_type = found.value_type or converted
            elif member == "orEmpty":
                found.default_text = ""
            node = parent
            continue
        if kind == "ternary_expression":
            _step_ternary(parent, read, found)
            break
        if kind == "binary_expression" and _operator(parent) == "?:":
            right = parent.child_by_field_name("right")
            if _contains(parent.child_by_field_name("left"), read) and right is not None:
                _fallback(right, found)
            break
        if kind == "postfix_expression" and _ts.text(parent).endswith("!!"):
            found.required = True
            break
        break
    return found


def _fallback(node: ts.Node, found: Around) -> None:
    text = _ts.text(node)
    if node.type == "jump_expression" or text.startswith(("throw ", "error(", "throw(")):
        found.required = True
    else:
        found.default = node


def _step_call(call: ts.Node, node: ts.Node, read: ts.Node, found: Around) -> bool:
    """Read one wrapping call; True to keep climbing."""
    name = _callee(call)
    short = name.rsplit(".", 1)[-1]
    owner = call.child_by_field_name("object") if call.type == "method_invocation" else None
    chained = (
        _contains(owner, read) if call.type == "method_invocation" else not _in_args(call, read)
    )
    if not chained:
        args = _args(call)
        converted = _converter(name)
        if converted is not None:
            found.value_type = found.value_type or converted
            return True
        if short in _FALLBACKS and len(args) >= 2 and _contains(args[0], read):
            _fallback(args[1], found)
            return False
        if short in _REQUIRE:
            found.required = True
            return False
        return short in ("ofNullable", "of", "valueOf", "toString", "trim")
    if call.type == "call_expression" and node.type != "navigation_expression":
        return False
    args = _args(call)
    if short in ("orElse", "or") and args:
        _fallback(args[0], found)
        return False
    if short.startswith("orElseThrow") or short in ("get", "orThrow"):
        found.required = found.required or short != "get"
        return False
    if short in _FALLBACKS and args:  # Kotlin x.ifBlank { "d" }
        return False
    parses = False
    for arg in args:
        ref = _ts.text(arg)
        for converter, value_type in _CONVERTERS.items():
            if "." in converter and (converter.replace(".", "::") in ref or converter in ref):
                found.value_type = found.value_type or value_type
                parses = True
    if short in ("map", "let") and not parses and any(_is_lambda(arg) for arg in args):
        return False  # `.map(key -> "https").orElse("http")`: the fallback is no default
    return short in _CHAIN_KEEP or _converter(short) is not None


def _is_lambda(node: ts.Node) -> bool:
    return node.type in ("lambda_expression", "lambda_literal", "annotated_lambda")


def _in_args(call: ts.Node, read: ts.Node) -> bool:
    return any(_contains(arg, read) for arg in _args(call))


def _step_ternary(ternary: ts.Node, read: ts.Node, found: Around) -> None:
    """`x != null ? x : "d"` and `x == null ? "d" : x`: the branch without the read."""
    condition = ternary.child_by_field_name("condition")
    consequence = ternary.child_by_field_name("consequence")
    alternative = ternary.child_by_field_name("alternative")
    if condition is None or consequence is None or alternative is None:
        return
    if "null" not in _ts.text(condition) and "isEmpty" not in _ts.text(condition):
        return
    for branch in (alternative, consequence):
        if not _contains(branch, read) and branch.type != "method_invocation":
            found.default = branch
            return


# --- a read kept in a variable, or made inside a helper ----------------------------------

_SCOPES = frozenset(
    {
        "block",
        "constructor_body",
        "function_body",
        "statements",
        "class_body",
        "declaration_list",
        "program",
        "source_file",
        "compilation_unit",
    }
)
_FUNCTIONS = frozenset(
    {
        "method_declaration",
        "function_declaration",
        "constructor_declaration",
        "local_function_statement",
    }
)
_IDENTIFIERS = frozenset({"identifier", "simple_identifier"})
MAX_USES = 12


def assigned_name(read: ts.Node) -> str | None:
    """`String port = System.getenv("PORT");` (Java, C#) or `val port = ...` (Kotlin) → port."""
    parent = read.parent
    if parent is not None and parent.type == "equals_value_clause":
        parent = parent.parent
    if parent is None:
        return None
    if parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        return _ts.text(name) if name is not None and name != read else None
    if parent.type == "property_declaration":
        for child in parent.named_children:
            if child.type == "variable_declaration" and child.named_children:
                return _ts.text(child.named_children[0])
    return None


def later_uses(read: ts.Node, name: str) -> list[ts.Node]:
    """Where the variable a read was stored in is used next, in the same scope."""
    scope = read.parent
    while scope is not None and scope.type not in _SCOPES:
        scope = scope.parent
    if scope is None:
        return []
    uses: list[ts.Node] = []
    for node in _ts.walk(scope):
        if node.start_byte < read.end_byte or node.type not in _IDENTIFIERS:
            continue
        if _ts.text(node) == name:
            uses.append(node)
            if len(uses) >= MAX_USES:
                break
    return uses


def enclosing_function(node: ts.Node) -> ts.Node | None:
    current = node.parent
    while current is not None and current.type not in _FUNCTIONS:
        current = current.parent
    return current


def parameter_names(function: ts.Node) -> list[str]:
    params = function.child_by_field_name("parameters")
    if params is None:
        params = next(
            (c for c in function.named_children if c.type == "function_value_parameters"), None
        )
    names: list[str] = []
    for param in params.named_children if params is not None else []:
        if param.type not in ("formal_parameter", "parameter"):
            continue
        name = param.child_by_field_name("name")
        if name is None:
            name = next((c for c in param.named_children if c.type in _IDENTIFIERS), None)
        names.append(_ts.text(name))
    return names


def calls_to(root: ts.Node, name: str) -> list[tuple[ts.Node, list[ts.Node]]]:
    """Each call of a function or method called `name` in the file, with its arguments."""
    found: list[tuple[ts.Node, list[ts.Node]]] = []
    for node in _ts.walk(root):
        if node.type == "method_invocation":
            called = _ts.text(node.child_by_field_name("name"))
        elif node.type == "call_expression":
            called = _callee(node)
        elif node.type == "invocation_expression":
            called = _ts.text(node.child_by_field_name("function")).rsplit(".", 1)[-1]
        else:
            continue
        if called == name:
            args = [a.named_children[-1] if a.type == "argument" else a for a in _args(node)]
            found.append((node, [a for a in args if a is not None]))
    return found
