"""A parsed JavaScript/TypeScript file: its constants and how its values read as text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import tree_sitter as ts

from ddd_llm.evidence.base import SourceFile
from ddd_llm.evidence.code import _ts
from ddd_llm.models import ValueType

Span = tuple[int, int]
"""A 1-based (first line, last line) range."""

_WRAPPERS = frozenset(
    {
        "parenthesized_expression",
        "non_null_expression",
        "as_expression",
        "satisfies_expression",
        "type_assertion",
    }
)
_ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "**"})


@dataclass
class Param:
    """One configuration parameter (env var or command-line option) read in the file."""

    name: str
    kind: str = "env"  # "env" or "flag"
    lines: list[Span] = field(default_factory=list)
    value_type: ValueType | None = None
    default: str | None = None
    required: bool = False
    allowed: list[str] | None = None
    usage: str | None = None

    def absorb(self, other: Param) -> None:
        self.lines.extend(other.lines)
        if self.default is None:
            self.default = other.default
        if self.value_type in (None, "string") and other.value_type not in (None, "string"):
            self.value_type = other.value_type
        self.required = self.required or other.required
        self.allowed = self.allowed or other.allowed
        self.usage = self.usage or other.usage


Operand = tuple[str | None, list[Span]]
"""A literal's value (None for null/undefined) and the lines of constants it came through."""


def cite(node: ts.Node, end: ts.Node | None = None) -> Span:
    return _ts.line(node), _ts.end_line(end if end is not None else node)


def args(node: ts.Node | None) -> list[ts.Node]:
    """Arguments of a call (or elements of an array/object), comments left out."""
    if node is None:
        return []
    return [c for c in node.named_children if c.type != "comment"]


def bare(node: ts.Node) -> ts.Node:
    """The expression inside parentheses, `x!`, `x as T` and `x satisfies T`."""
    while node.type in _WRAPPERS and node.named_child_count:
        node = node.named_children[0]
    return node


def outer(node: ts.Node) -> ts.Node:
    """The outermost of the wrappers around `node` (its parentheses, `!`, `as T`)."""
    while node.parent is not None and node.parent.type in _WRAPPERS:
        node = node.parent
    return node


def field_text(node: ts.Node, name: str) -> str:
    return _ts.text(node.child_by_field_name(name))


class JsFile:
    """Per-file state: the tree and its `const NAME = …` declarations."""

    def __init__(self, source: SourceFile, language: str) -> None:
        self.source = source
        self.language = language
        self.tree = _ts.parse(language, source.text)
        self.root = self.tree.root_node
        self.decls: dict[str, ts.Node] = {}
        twice: set[str] = set()
        for m in self.matches("env"):
            name, value = m.node("decl.name"), m.node("decl.value")
            if name is None or value is None:
                continue
            key = _ts.text(name)
            if key in self.decls:
                twice.add(key)
            self.decls[key] = value
        for key in twice:
            self.decls.pop(key, None)

    def matches(self, family: str, node: ts.Node | None = None) -> Iterator[_ts.Match]:
        return _ts.matches(self.language, family, node if node is not None else self.root)

    def string(self, node: ts.Node | None) -> str | None:
        """A string literal or a template without substitutions."""
        if node is None:
            return None
        node = bare(node)
        if node.type == "string":
            return _ts.string_value(node)
        if node.type == "template_string" and not any(
            c.type == "template_substitution" for c in node.named_children
        ):
            return _ts.string_value(node)
        return None

    def strings(self, node: ts.Node | None) -> list[str]:
        """String literal values of a literal or of an array of literals."""
        if node is None:
            return []
        one = self.string(node)
        if one is not None:
            return [one]
        node = bare(node)
        if node.type == "array":
            return [v for v in (self.string(e) for e in args(node)) if v is not None]
        return []

    def _number(self, node: ts.Node) -> bool:
        node = bare(node)
        if node.type == "number":
            return True
        if node.type == "unary_expression" and field_text(node, "operator") in ("-", "+"):
            operand = node.child_by_field_name("argument")
            return operand is not None and self._number(operand)
        if node.type == "binary_expression" and field_text(node, "operator") in _ARITHMETIC:
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            return (
                left is not None
                and right is not None
                and self._number(left)
                and self._number(right)
            )
        return False

    def operand(self, node: ts.Node | None, depth: int = 0) -> Operand | None:
        """The literal (or literal constant) `node` is: its value and extra citations."""
        if node is None or depth > 3:
            return None
        node = bare(node)
        text = self.string(node)
        if text is not None:
            return text, []
        if self._number(node):
            return " ".join(_ts.text(node).split()), []
        if node.type in ("true", "false"):
            return node.type, []
        if node.type in ("null", "undefined"):
            return None, []
        if node.type == "identifier":
            if _ts.text(node) == "undefined":
                return None, []
            decl = self.decls.get(_ts.text(node))
            if decl is None:
                return None
            got = self.operand(decl, depth + 1)
            if got is None:
                return None
            line = _ts.line(decl)
            return got[0], [(line, line), *got[1]]
        return None
