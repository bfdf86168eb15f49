"""How the C# grammar spells what the .NET analyzer reads: literals (regular, verbatim, raw,
`nameof`), constants, attribute arguments, and the code around a read (`?? "default"`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter as ts

from ddd_llm.evidence.base import parse_number
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._jvm_facts import scalar_type
from ddd_llm.evidence.code._jvm_syntax import Args, literal_text
from ddd_llm.models import Number, ValueType

_MAX_DEPTH = 8
_PASS_THROUGH = frozenset(
    {
        "argument",
        "argument_list",
        "parenthesized_expression",
        "cast_expression",
        "postfix_unary_expression",  # configuration["X"]!
    }
)
_NUMBER_SUFFIX = re.compile(r"(?i)(ul|lu|u|l|m|f|d)$")
_CONVERTERS: dict[str, ValueType] = {
    "int.Parse": "int",
    "int.TryParse": "int",
    "long.Parse": "int",
    "Int32.Parse": "int",
    "Int64.Parse": "int",
    "Convert.ToInt32": "int",
    "Convert.ToInt64": "int",
    "Convert.ToInt16": "int",
    "double.Parse": "float",
    "decimal.Parse": "float",
    "float.Parse": "float",
    "Convert.ToDouble": "float",
    "Convert.ToDecimal": "float",
    "bool.Parse": "bool",
    "bool.TryParse": "bool",
    "Boolean.Parse": "bool",
    "Convert.ToBoolean": "bool",
    "TimeSpan.Parse": "duration",
}
_TIMESPAN = re.compile(r"^TimeSpan\.From(Milliseconds|Seconds|Minutes|Hours|Days)$")
_TIMESPAN_SECONDS = {
    "Milliseconds": 0.001,
    "Seconds": 1,
    "Minutes": 60,
    "Hours": 3600,
    "Days": 86400,
}


@dataclass
class Around:
    default: ts.Node | None = None
    value_type: ValueType | None = None
    required: bool = False


class CSharp:
    """Literals, constants and attributes of one C# file."""

    def __init__(self, root: ts.Node) -> None:
        self.root = root
        self.constants: dict[str, ts.Node] = {}
        for node in _ts.walk(root):
            if node.type in ("field_declaration", "local_declaration_statement") and _is_constant(
                node
            ):
                for declarator in _declarators(node):
                    value = _declarator_value(declarator)
                    name = _ts.text(declarator.child_by_field_name("name"))
                    if value is not None:
                        self.constants.setdefault(name, value)

    def string(self, node: ts.Node | None, depth: int = 0) -> str | None:
        if node is None or depth > _MAX_DEPTH:
            return None
        kind = node.type
        if (
            kind in ("argument", "attribute_argument", "parenthesized_expression")
            and node.named_children
        ):
            return self.string(node.named_children[-1], depth + 1)
        if kind == "string_literal":
            return literal_text(node)
        if kind == "verbatim_string_literal":
            raw = _ts.text(node)
            return (
                raw[2:-1].replace('""', '"') if raw.startswith('@"') and raw.endswith('"') else None
            )
        if kind == "raw_string_literal":
            parts = [c for c in node.named_children if c.type == "raw_string_content"]
            return _ts.text(parts[0]) if len(parts) == 1 else ""
        if kind == "interpolated_string_expression":
            if any(child.type == "interpolation" for child in node.named_children):
                return None
            return "".join(_ts.text(c) for c in node.named_children if c.type == "string_content")
        if kind == "binary_expression" and _operator(node) == "+":
            left = self.string(node.child_by_field_name("left"), depth + 1)
            right = self.string(node.child_by_field_name("right"), depth + 1)
            return None if left is None or right is None else left + right
        if (
            kind == "invocation_expression"
            and _ts.text(node.child_by_field_name("function")) == "nameof"
        ):
            args = node.child_by_field_name("arguments")
            inner = args.named_children[0] if args is not None and args.named_children else None
            return _ts.text(inner).rsplit(".", 1)[-1] if inner is not None else None
        constant = self.constant(node)
        return self.string(constant, depth + 1) if constant is not None else None

    def constant(self, node: ts.Node) -> ts.Node | None:
        if node.type in ("identifier", "member_access_expression"):
            return self.constants.get(_ts.text(node).rsplit(".", 1)[-1])
        return None

    def number(self, node: ts.Node | None, depth: int = 0) -> Number | None:
        if node is None or depth > _MAX_DEPTH:
            return None
        kind = node.type
        if (
            kind in ("argument", "attribute_argument", "parenthesized_expression")
            and node.named_children
        ):
            return self.number(node.named_children[-1], depth + 1)
        if kind == "prefix_unary_expression" and node.named_children:
            value = self.number(node.named_children[-1], depth + 1)
            if value is None:
                return None
            return -value if _ts.text(node).lstrip().startswith("-") else value
        if kind in ("integer_literal", "real_literal"):
            raw = _ts.text(node).replace("_", "")
            if raw.lower().startswith("0x"):
                try:
                    return int(_NUMBER_SUFFIX.sub("", raw[2:]), 16)
                except ValueError:
                    return None
            return parse_number(_NUMBER_SUFFIX.sub("", raw))
        if kind in ("string_literal", "verbatim_string_literal"):
            text = self.string(node)
            return parse_number(text) if text is not None else None
        constant = self.constant(node)
        return self.number(constant, depth + 1) if constant is not None else None

    def literal(self, node: ts.Node | None) -> str | None:
        """A default as written in appsettings: strings unquoted, numbers, `true`, an enum
        member by name, `TimeSpan.FromSeconds(30)` as `00:00:30`; None when computed."""
        if node is None:
            return None
        if (
            node.type in ("argument", "attribute_argument", "equals_value_clause")
            and node.named_children
        ):
            node = node.named_children[-1]
        text = self.string(node)
        if text is not None:
            return text
        number = self.number(node)
        if number is not None:
            return str(number)
        raw = _ts.text(node)
        if node.type == "boolean_literal":
            return raw
        if node.type == "member_access_expression" and re.match(r"^[A-Z]\w*\.[A-Z]\w*$", raw):
            return raw.rsplit(".", 1)[-1]
        if node.type == "invocation_expression":
            return self._timespan(node)
        return None

    def _timespan(self, call: ts.Node) -> str | None:
        match = _TIMESPAN.match(_ts.text(call.child_by_field_name("function")))
        args = call.child_by_field_name("arguments")
        if not match or args is None or len(args.named_children) != 1:
            return None
        amount = self.number(args.named_children[0])
        if amount is None:
            return None
        seconds = amount * _TIMESPAN_SECONDS[match.group(1)]
        whole = int(seconds)
        days, rest = divmod(whole, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
        if seconds != whole:
            text += f".{round((seconds - whole) * 1000):03d}"
        return f"{days}.{text}" if days else text

    def attribute_args(self, attribute: ts.Node) -> Args:
        args = Args()
        for child in attribute.named_children:
            if child.type != "attribute_argument_list":
                continue
            for arg in child.named_children:
                if arg.type != "attribute_argument" or not arg.named_children:
                    continue
                name = arg.child_by_field_name("name")
                value = arg.named_children[-1]
                if name is not None:
                    args.named[_ts.text(name)] = value
                elif (
                    len(arg.named_children) == 2
                    and arg.named_children[0].type == "identifier"
                    and ":" in _ts.text(arg)
                ):
                    args.named[_ts.text(arg.named_children[0])] = value
                else:
                    args.positional.append(value)
        return args

    def call_args(self, arguments: ts.Node | None) -> Args:
        args = Args()
        for arg in arguments.named_children if arguments is not None else []:
            if arg.type != "argument" or not arg.named_children:
                continue
            name = arg.child_by_field_name("name")
            value = arg.named_children[-1]
            if name is not None and name is not value:
                args.named[_ts.text(name)] = value
            else:
                args.positional.append(value)
        return args

    def strings(self, node: ts.Node | None) -> list[str]:
        if node is None:
            return []
        if node.type in (
            "array_creation_expression",
            "implicit_array_creation_expression",
            "collection_expression",
            "initializer_expression",
        ):
            return [
                s
                for s in (
                    self.string(child)
                    for child in _ts.walk(node)
                    if child.type.endswith("string_literal")
                )
                if s
            ]
        text = self.string(node)
        return [text] if text else []


def attribute_name(attribute: ts.Node) -> str:
    name = _ts.text(attribute.child_by_field_name("name")).rsplit(".", 1)[-1]
    return name[: -len("Attribute")] if name.endswith("Attribute") and name != "Attribute" else name


def attributes_of(decl: ts.Node) -> list[ts.Node]:
    return [
        attribute
        for child in decl.named_children
        if child.type == "attribute_list"
        for attribute in child.named_children
        if attribute.type == "attribute"
    ]


def around(read: ts.Node) -> Around:
    """`x ?? "d"`, `x ?? throw ...`, `int.Parse(x)`, `string.IsNullOrEmpty(x) ? "d" : x`."""
    found = Around()
    node = read
    for _ in range(8):
        parent = node.parent
        if parent is None:
            break
        if parent.type in _PASS_THROUGH:
            if parent.type == "cast_expression":
                found.value_type = found.value_type or _cast_type(parent)
            node = parent
            continue
        if parent.type == "invocation_expression":
            name = _ts.text(parent.child_by_field_name("function"))
            converted = _CONVERTERS.get(name)
            if converted is None:
                break
            found.value_type = found.value_type or converted
            node = parent
            continue
        if parent.type == "binary_expression" and _operator(parent) == "??":
            right = parent.child_by_field_name("right")
            if right is not None and right.type == "throw_expression":
                found.required = True
            elif right is not None and right.start_byte >= node.end_byte:
                found.default = right
            break
        if parent.type == "conditional_expression":
            condition = parent.child_by_field_name("condition")
            if condition is not None and re.search(r"IsNullOr|null", _ts.text(condition)):
                for branch in (
                    parent.child_by_field_name("alternative"),
                    parent.child_by_field_name("consequence"),
                ):
                    if branch is not None and not (
                        branch.start_byte <= read.start_byte < branch.end_byte
                    ):
                        found.default = branch
                        break
            break
        break
    return found


def _cast_type(cast: ts.Node) -> ValueType | None:
    return scalar_type(_ts.text(cast.child_by_field_name("type")))


def _operator(node: ts.Node) -> str:
    operator = node.child_by_field_name("operator")
    if operator is not None:
        return _ts.text(operator)
    for child in node.children:
        if not child.is_named:
            return _ts.text(child)
    return ""


def _is_constant(field: ts.Node) -> bool:
    modifiers = {_ts.text(c) for c in field.named_children if c.type == "modifier"}
    return "const" in modifiers or {"static", "readonly"} <= modifiers


def _declarators(field: ts.Node) -> list[ts.Node]:
    return [
        declarator
        for child in field.named_children
        if child.type == "variable_declaration"
        for declarator in child.named_children
        if declarator.type == "variable_declarator"
    ]


def _declarator_value(declarator: ts.Node) -> ts.Node | None:
    named = [c for c in declarator.named_children if c != declarator.child_by_field_name("name")]
    if not named:
        return None
    value = named[-1]
    if value.type == "equals_value_clause" and value.named_children:
        value = value.named_children[-1]
    return value
