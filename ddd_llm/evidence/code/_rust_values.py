"""Rust values as an operator would write them: literals, constants, `String::from("x")`, a
default function that returns a literal, `Duration::from_secs(30)`; and attribute arguments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter as ts

from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._option_cells import number_of
from ddd_llm.models import Number, ValueType

_PASS_THROUGH_METHODS = frozenset(
    {"to_string", "to_owned", "into", "unwrap", "to_vec", "clone", "as_str", "expect", "parse"}
)
_WRAPPING_CALLS = frozenset({"from", "new", "Some", "Ok", "parse", "from_str", "try_from"})
_DURATION_UNITS = {
    "from_secs": "s",
    "from_millis": "ms",
    "from_micros": "us",
    "from_nanos": "ns",
    "from_mins": "m",
    "from_hours": "h",
    "from_secs_f64": "s",
    "from_secs_f32": "s",
}
_INT_TYPES = re.compile(r"^(?:u|i)(?:8|16|32|64|128|size)$|^NonZero(?:U|I)?(?:8|16|32|64|size)?")
_WRAPPER_TYPE = re.compile(r"^(?:Option|Box|Arc|Rc)\s*<\s*(?P<inner>.+)>$")


@dataclass
class RustFile:
    """The file's constants and functions, to resolve names and default functions through."""

    consts: dict[str, ts.Node] = field(default_factory=dict)
    functions: dict[str, ts.Node] = field(default_factory=dict)
    defaults: dict[str, dict[str, ts.Node]] = field(default_factory=dict)
    """Struct name → field → the value its `impl Default` gives it."""
    enum_defaults: dict[str, str] = field(default_factory=dict)
    """Enum name → its `#[default]` variant as the config spells it (serde `rename_all`)."""

    @classmethod
    def read(cls, root: ts.Node) -> RustFile:
        found = cls()
        for match in _ts.matches("rust", "tables", root):
            const, value = match.node("const"), match.node("value")
            if const is not None and value is not None:
                found.consts.setdefault(_ts.text(const), value)
            function, body = match.node("function"), match.node("body")
            if function is not None and body is not None:
                found.functions.setdefault(_ts.text(function), body)
            impl_type, default_body = match.node("impl_type"), match.node("default_body")
            if impl_type is not None and default_body is not None:
                found.defaults[_ts.text(impl_type)] = _struct_fields(_tail(default_body))
        found.enum_defaults = _enum_defaults(root)
        return found

    def literal(self, node: ts.Node | None, depth: int = 0) -> str | None:
        """A default as written, resolved through constants and literal-returning functions."""
        if node is None or depth > 8:
            return None
        kind = node.type
        if kind in ("string_literal", "raw_string_literal"):
            return _ts.string_value(node)
        if kind in ("integer_literal", "float_literal", "boolean_literal", "char_literal"):
            raw = _ts.text(node)
            number = number_of(raw)
            return str(number) if number is not None and kind != "char_literal" else raw.strip("'")
        if kind in ("negative_literal", "unary_expression"):
            inner = (
                self.literal(node.named_children[-1], depth + 1) if node.named_children else None
            )
            return f"-{inner}" if inner is not None and _ts.text(node).startswith("-") else None
        if kind in ("identifier", "scoped_identifier"):
            value = self.consts.get(_ts.text(node).split("::")[-1])
            return self.literal(value, depth + 1)
        if kind in ("parenthesized_expression", "reference_expression", "block"):
            return self.literal(_tail(node), depth + 1)
        if kind == "return_expression":
            return self.literal(_tail(node), depth + 1)
        if kind == "call_expression":
            return self._call(node, depth)
        if kind == "macro_invocation":
            macro = node.child_by_field_name("macro")
            tree = next((c for c in node.named_children if c.type == "token_tree"), None)
            if _ts.text(macro) == "format" and tree is not None and tree.named_child_count == 1:
                return self.literal(tree.named_children[0], depth + 1)
        if kind == "closure_expression":
            return self.literal(node.child_by_field_name("body"), depth + 1)
        return None

    def _call(self, node: ts.Node, depth: int) -> str | None:
        function = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        arg_nodes = list(args.named_children) if args is not None else []
        if function is None:
            return None
        if function.type == "field_expression":
            method = _ts.text(function.child_by_field_name("field"))
            if method in _PASS_THROUGH_METHODS:
                return self.literal(function.child_by_field_name("value"), depth + 1)
            return None
        if function.type == "generic_function":
            inner = function.child_by_field_name("function")
            if inner is not None and inner.type == "field_expression":
                return self.literal(inner.child_by_field_name("value"), depth + 1)
            return None
        name = _ts.text(function).split("::")[-1]
        if name in _DURATION_UNITS and len(arg_nodes) == 1:
            amount = self.literal(arg_nodes[0], depth + 1)
            return f"{amount}{_DURATION_UNITS[name]}" if amount is not None else None
        if name in _WRAPPING_CALLS and len(arg_nodes) == 1:
            return self.literal(arg_nodes[0], depth + 1)
        if not arg_nodes and name in self.functions:
            return self.literal(self.functions[name], depth + 1)
        return None

    def literal_source(self, code: str) -> str | None:
        """A default written as Rust source inside a string (`#[builder(default = "3890")]`)."""
        tree = _ts.parse("rust", f"const X: T = {code};")
        item = tree.root_node.named_children[0] if tree.root_node.named_children else None
        value = item.child_by_field_name("value") if item is not None else None
        if value is None or tree.root_node.has_error:
            return None
        if value.type in ("identifier", "scoped_identifier"):
            return None  # an enum variant or a constant of another file
        return self.literal(value)


def _struct_fields(node: ts.Node | None) -> dict[str, ts.Node]:
    """`Self { port: 8080, host: "x".into() }` → {"port": 8080, "host": "x".into()}."""
    if node is None or node.type != "struct_expression":
        return {}
    body = node.child_by_field_name("body")
    fields: dict[str, ts.Node] = {}
    for child in body.named_children if body is not None else []:
        if child.type == "field_initializer":
            name, value = child.child_by_field_name("field"), child.child_by_field_name("value")
            if name is not None and value is not None:
                fields[_ts.text(name)] = value
    return fields


def _tail(node: ts.Node) -> ts.Node | None:
    """The value a block or a parenthesised expression ends with."""
    children = [c for c in node.named_children if c.type not in ("line_comment", "block_comment")]
    if not children:
        return None
    last = children[-1]
    if last.type == "expression_statement" and last.named_children:
        inner = last.named_children[0]
        return inner if inner.type == "return_expression" else None
    return last


def type_of(type_text: str) -> tuple[ValueType | None, bool]:
    """(value type, optional) of a field's Rust type: `Option<u16>` → (int, True)."""
    text = re.sub(r"\s+", "", type_text)
    optional = False
    while True:
        match = _WRAPPER_TYPE.match(text)
        if not match:
            break
        optional = optional or text.startswith("Option")
        text = match.group("inner")
    if re.match(r"^(?:\w+::)*(?:Vec|HashSet|BTreeSet|VecDeque|IndexSet)<|^\[", text):
        return "list", optional
    base = text.split("::")[-1]
    if _INT_TYPES.match(base):
        return "int", optional
    if base in ("f32", "f64"):
        return "float", optional
    if base == "bool":
        return "bool", optional
    if base in ("String", "&str", "&'staticstr", "str", "PathBuf", "Url", "SocketAddr", "IpAddr"):
        return "string", optional
    if base == "Duration":
        return "duration", optional
    if base in ("Byte", "ByteSize", "HumanByteSize"):
        return "size", optional  # byte-unit's `Byte`, bytesize's `ByteSize`: a size in bytes
    return None, optional


@dataclass(frozen=True)
class AttrArg:
    """One argument of an attribute: `long`, `env = "X"`, `default_value_t = f()`."""

    key: str
    tokens: tuple[ts.Node, ...]


def attr_args(tree: ts.Node) -> list[AttrArg]:
    """An attribute's token tree split at top-level commas into key (= value) arguments."""
    parts: list[list[ts.Node]] = [[]]
    children = tree.children
    for child in children[1:-1] if len(children) >= 2 else children:
        if not child.is_named and _ts.text(child) == ",":
            parts.append([])
        else:
            parts[-1].append(child)
    found: list[AttrArg] = []
    for part in parts:
        if not part:
            continue
        key = _ts.text(part[0])
        if len(part) >= 2 and _ts.text(part[1]) == "=":
            found.append(AttrArg(key, tuple(part[2:])))
        else:
            found.append(AttrArg(key, tuple(part[1:])))
    return found


def tokens_text(tokens: tuple[ts.Node, ...]) -> str:
    return "".join(_ts.text(t) for t in tokens)


def range_of(tokens: tuple[ts.Node, ...]) -> tuple[Number | None, Number | None]:
    """`value_parser!(u16).range(1..=100)` → (1, 100); `.range(1..)` → (1, None)."""
    text = tokens_text(tokens)
    match = re.search(r"\.range\((-?[\d_.]+)?\.\.(=)?(-?[\d_.]+)?\)", text)
    if not match:
        return None, None
    low = number_of(match.group(1)) if match.group(1) else None
    high = number_of(match.group(3)) if match.group(3) else None
    if high is not None and not match.group(2) and isinstance(high, int):
        high -= 1
    return low, high


def kebab(name: str) -> str:
    return name.strip("_").replace("_", "-")


def screaming(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper().strip("_")


def renamed(name: str, rule: str | None) -> str:
    """serde's `rename_all` applied to a field name."""
    if rule is None:
        return name
    words = name.split("_")
    if rule == "kebab-case":
        return "-".join(words)
    if rule == "camelCase":
        return words[0] + "".join(w.title() for w in words[1:])
    if rule == "PascalCase":
        return "".join(w.title() for w in words)
    if rule in ("SCREAMING_SNAKE_CASE", "UPPERCASE"):
        return name.upper()
    if rule == "SCREAMING-KEBAB-CASE":
        return "-".join(words).upper()
    return name


def _enum_defaults(root: ts.Node) -> dict[str, str]:
    """`#[derive(Default)] enum LogLevel { …, #[default] Info, … }` → {"LogLevel": "Info"},
    renamed as the enum's `#[serde(rename_all = "UPPERCASE")]` says (`INFO`)."""
    found: dict[str, str] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type != "enum_item":
            stack.extend(c for c in node.named_children if c.type != "function_item")
            continue
        name, body = node.child_by_field_name("name"), node.child_by_field_name("body")
        if name is None or body is None:
            continue
        marked = False
        for child in body.named_children:
            if child.type == "attribute_item":
                marked = _ts.text(child).replace(" ", "") == "#[default]"
            elif child.type == "enum_variant":
                variant = child.child_by_field_name("name")
                if marked and variant is not None:
                    found[_ts.text(name)] = renamed(_ts.text(variant), _rename_all(node))
                    break
                marked = False
    return found


def _rename_all(enum: ts.Node) -> str | None:
    """The `rename_all` rule of the serde attribute right above an item."""
    sibling = enum.prev_named_sibling
    while sibling is not None and sibling.type == "attribute_item":
        rule = re.search(r'rename_all\s*=\s*"([^"]+)"', _ts.text(sibling))
        if rule and "serde" in _ts.text(sibling):
            return rule.group(1)
        sibling = sibling.prev_named_sibling
    return None
