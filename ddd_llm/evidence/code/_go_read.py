"""A parsed Go file: its imports, constants and functions, and how its values read as text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

import tree_sitter as ts

from ddd_llm.evidence.base import SourceFile
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._go_duration import as_string_call
from ddd_llm.models import Number, ValueType

Span = tuple[int, int]
"""A 1-based (first line, last line) range."""

MAX_DEFAULT = 80
"""A default written as an expression longer than this tells an operator nothing."""

_TIME_UNITS = frozenset({"Nanosecond", "Microsecond", "Millisecond", "Second", "Minute", "Hour"})
_GO_INT = re.compile(r"u?int(8|16|32|64)?")


@dataclass
class Param:
    """One configuration parameter as read at one or more places in the file."""

    name: str
    kind: str  # "flag", "env" or "key"
    lines: list[Span] = field(default_factory=list)
    value_type: ValueType | None = None
    default: str | None = None
    required: bool = False
    usage: str | None = None
    allowed: list[str] | None = None
    low: Number | None = None
    high: Number | None = None
    """Bounds the code enforces (a check that stops the program outside them)."""

    def absorb(self, other: Param) -> None:
        self.lines.extend(other.lines)
        if self.default is None:
            self.default = other.default
        if self.value_type in (None, "string") and other.value_type not in (None, "string"):
            self.value_type = other.value_type
        self.required = self.required or other.required
        self.usage = self.usage or other.usage
        self.allowed = self.allowed or other.allowed


@dataclass(frozen=True)
class Func:
    """A function or method declaration: its parameters as (name, type text) and its body."""

    name: str
    node: ts.Node
    params: list[tuple[str, str]]
    body: ts.Node
    result: str


def cite(node: ts.Node, end: ts.Node | None = None) -> Span:
    return _ts.line(node), _ts.end_line(end if end is not None else node)


def args(node: ts.Node | None) -> list[ts.Node]:
    """The arguments of an argument list (or elements of a literal), comments left out."""
    if node is None:
        return []
    return [c for c in node.named_children if c.type != "comment"]


def unparen(node: ts.Node) -> ts.Node:
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        inner = node.named_children[0]
        node = inner
    return node


def string_call_operand(node: ts.Node) -> ts.Node | None:
    """`X.String()` → the node of X; None for any other expression."""
    if node.type != "call_expression":
        return None
    function = node.child_by_field_name("function")
    arguments = node.child_by_field_name("arguments")
    if function is None or function.type != "selector_expression":
        return None
    if arguments is None or arguments.named_child_count:
        return None
    if _ts.text(function.child_by_field_name("field")) != "String":
        return None
    return function.child_by_field_name("operand")


def flat(node: ts.Node | None) -> str:
    """A node's source on one line (whitespace runs become one space)."""
    return " ".join(_ts.text(node).split())


def default_alias(path: str) -> str:
    parts = path.split("/")
    last = parts[-1]
    if re.fullmatch(r"v\d+", last) and len(parts) > 1:
        last = parts[-2]
    last = re.sub(r"\.v\d+$", "", last)
    if last.startswith("go-"):
        last = last[3:]
    return last.replace("-", "_").replace(".", "_")


def go_type(type_text: str) -> ValueType | None:
    t = type_text.strip().lstrip("*")
    if t.startswith("[]"):
        return "list"
    if t in ("time.Duration", "Duration"):
        return "duration"
    if t == "bool":
        return "bool"
    if t.startswith("float"):
        return "float"
    if _GO_INT.fullmatch(t):
        return "int"
    if t == "string":
        return "string"
    return None


class GoFile:
    """Per-file state: the tree, import aliases, constants and function declarations."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.tree = _ts.parse("go", source.text)
        self.root = self.tree.root_node
        self.imports: dict[str, str] = {}
        self.consts: dict[str, tuple[str, int]] = {}
        self.funcs: list[Func] = []
        self.calls: dict[str, list[ts.Node]] = {}
        """Argument lists of the calls to each name (`f(…)` and `x.f(…)`)."""
        self._read_symbols()

    def matches(self, family: str, node: ts.Node | None = None) -> Iterator[_ts.Match]:
        return _ts.matches("go", family, node if node is not None else self.root)

    def _read_symbols(self) -> None:
        twice: set[str] = set()
        for m in self.matches("symbols"):
            if (path := m.node("import.path")) is not None:
                value = _ts.string_value(path)
                if value:
                    alias = _ts.text(m.node("import.alias")) or default_alias(value)
                    self.imports[alias] = value
            elif (const := m.node("const")) is not None:
                name_node, value_node = m.node("const.name"), m.node("const.value")
                if name_node is None or value_node is None:
                    continue
                if len(const.children_by_field_name("name")) != 1:
                    continue
                value = self.literal(value_node)
                if value is None:
                    continue
                name = _ts.text(name_node)
                if name in self.consts and self.consts[name][0] != value:
                    twice.add(name)
                self.consts[name] = (value, _ts.line(name_node))
            elif (func := m.node("func")) is not None:
                self._read_func(m, func)
            elif (call_args := m.node("call.args")) is not None:
                self.calls.setdefault(_ts.text(m.node("call.fn")), []).append(call_args)
        for name in twice:
            self.consts.pop(name, None)

    def _read_func(self, m: _ts.Match, func: ts.Node) -> None:
        body = m.node("func.body")
        params_node = m.node("func.params")
        if body is None or params_node is None:
            return
        params: list[tuple[str, str]] = []
        for decl in args(params_node):
            type_text = flat(decl.child_by_field_name("type"))
            if decl.type == "variadic_parameter_declaration":
                type_text = "..." + type_text
            for name in decl.children_by_field_name("name"):
                params.append((_ts.text(name), type_text))
        result = flat(m.node("func.result")).strip("()")
        self.funcs.append(Func(_ts.text(m.node("func.name")), func, params, body, result))

    @cached_property
    def funcs_by_name(self) -> dict[str, Func]:
        return {f.name: f for f in self.funcs}

    def enclosing_func(self, node: ts.Node) -> Func | None:
        for func in self.funcs:
            if func.node.start_byte <= node.start_byte and node.end_byte <= func.node.end_byte:
                return func
        return None

    # values -----------------------------------------------------------------------------

    def string(
        self, node: ts.Node | None, *, part: bool = False, bound: dict[str, str] | None = None
    ) -> str | None:
        """The value of a string literal, or of `"a" + "b"` of literals and string constants
        (`flagPrefix + ".enabled"`); a bare constant only as a `part` of such a sum. `bound`
        gives values to names (a helper's parameters, as one call site passes them)."""
        if node is None:
            return None
        node = unparen(node)
        if node.type in ("interpreted_string_literal", "raw_string_literal"):
            return _ts.string_value(node)
        if node.type == "identifier" and bound and _ts.text(node) in bound:
            return bound[_ts.text(node)]
        if part and node.type == "identifier" and _ts.text(node) in self.consts:
            return self.consts[_ts.text(node)][0]
        if (
            node.type == "binary_expression"
            and _ts.text(node.child_by_field_name("operator")) == "+"
        ):
            left = self.string(node.child_by_field_name("left"), part=True, bound=bound)
            right = self.string(node.child_by_field_name("right"), part=True, bound=bound)
            if left is not None and right is not None:
                return left + right
        return None

    def call_sites(self, func: Func, node: ts.Node) -> list[tuple[dict[str, str] | None, ts.Node]]:
        """For each call of `func` in this file: the string values it passes to the parameters
        `node` uses (None when it passes anything but literals), and the call's argument list."""
        used = {_ts.text(n) for n in _ts.walk(node) if n.type == "identifier"}
        positions = [(i, name) for i, (name, _t) in enumerate(func.params) if name in used]
        if not positions:
            return []
        sites: list[tuple[dict[str, str] | None, ts.Node]] = []
        for call_args in self.calls.get(func.name, []):
            if func.node.start_byte <= call_args.start_byte < func.node.end_byte:
                continue  # a recursive call
            passed = args(call_args)
            bound: dict[str, str] = {}
            for i, name in positions:
                value = self.string(passed[i]) if i < len(passed) else None
                if value is None:
                    sites.append((None, call_args))
                    break
                bound[name] = value
            else:
                sites.append((bound, call_args))
        return sites

    def is_literal_expr(self, node: ts.Node) -> bool:
        """A number, a bool, or a duration product like `30 * time.Second`."""
        node = unparen(node)
        kind = node.type
        if kind in ("int_literal", "float_literal", "true", "false"):
            return True
        if kind == "unary_expression" and _ts.text(node.child_by_field_name("operator")) == "-":
            operand = node.child_by_field_name("operand")
            return operand is not None and operand.type in ("int_literal", "float_literal")
        if kind == "selector_expression":
            operand, fld = node.child_by_field_name("operand"), node.child_by_field_name("field")
            return _ts.text(operand) == "time" and _ts.text(fld) in _TIME_UNITS
        if kind == "binary_expression" and _ts.text(node.child_by_field_name("operator")) == "*":
            sides = [node.child_by_field_name("left"), node.child_by_field_name("right")]
            return all(s is not None and self.is_literal_expr(s) for s in sides)
        return False

    def literal(self, node: ts.Node) -> str | None:
        text = self.string(node)
        if text is not None:
            return text
        return flat(node) if self.is_literal_expr(node) else None

    def value(
        self, node: ts.Node | None, *, as_written: bool = False
    ) -> tuple[str | None, int | None]:
        """A default's value: literals unquoted, constants resolved, else (optionally) as written.

        The second item is the line of a resolved constant's definition, for the citation."""
        if node is None:
            return None, None
        lit = self.literal(node)
        if lit is not None:
            return lit, None
        operand = string_call_operand(unparen(node))
        const = self.consts.get(flat(operand)) if operand is not None else None
        printed = as_string_call(const[0]) if const is not None else None
        if const is not None and printed is not None:
            return printed, const[1]  # `DefaultTimeout.String()`: `30s`, as `--help` shows it
        written = flat(node)
        if written in self.consts:
            return self.consts[written]
        if as_written and written and written != "nil" and len(written) <= MAX_DEFAULT:
            return written, None
        return None, None

    def key(self, node: ts.Node | None) -> str | None:
        """A name given as a string literal or a string constant."""
        return self.key_at(node)[0]

    def key_at(self, node: ts.Node | None) -> tuple[str | None, list[Span]]:
        """A name and, when it came from a constant, the constant's line for the citation."""
        if node is None:
            return None, []
        text = self.string(node)
        if text is not None:
            return text, []
        const = self.consts.get(flat(node))
        if const is not None and not re.fullmatch(r"-?[\d.]+|true|false", const[0]):
            if "time." not in const[0]:
                return const[0], [(const[1], const[1])]
        return None, []

    def aliases(
        self, paths: Iterable[str] = (), *, suffix: str = "", contains: str = ""
    ) -> set[str]:
        wanted = set(paths)
        return {
            alias
            for alias, path in self.imports.items()
            if path in wanted
            or (suffix and path.endswith(suffix))
            or (contains and contains in path)
        }

    def is_fatal(self, node: ts.Node) -> bool:
        """Whether a block stops the program (panic, os.Exit, log.Fatal, return errors.New…)."""
        return any(m.node("fatal") is not None for m in self.matches("fatal", node))
