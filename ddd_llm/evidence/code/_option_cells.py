"""The cells of an option-table row in any tree-sitter grammar: which literal each element is
(a string, even wrapped as `ngx_string("x")`; a number, even `64 * 1024` or `LONG_MAX`; a
constant; an expression), its value as written, and a macro's token tree split into cells."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import tree_sitter as ts

from ddd_llm.evidence.base import parse_number
from ddd_llm.evidence.code import _ts
from ddd_llm.models import Number

CellKind = Literal["string", "number", "char", "bool", "null", "ident", "expr"]

STRING_TYPES = frozenset(
    {
        "string_literal",
        "raw_string_literal",
        "interpreted_string_literal",
        "string",
        "encapsed_string",
    }
)
NUMBER_TYPES = frozenset(
    {"number_literal", "integer_literal", "float_literal", "integer", "float", "int_literal"}
)
BOOL_TYPES = frozenset({"true", "false", "boolean_literal", "boolean"})
NULL_TYPES = frozenset({"null", "nil", "nullptr", "none"})
CHAR_TYPES = frozenset({"char_literal", "rune_literal", "character"})
IDENT_TYPES = frozenset(
    {
        "identifier",
        "constant",
        "scoped_identifier",
        "field_expression",
        "qualified_identifier",
        "name",
        "type_identifier",
    }
)
_NULL_WORDS = frozenset({"NULL", "nil", "None", "nullptr", "null", "NIL"})
_SPLIT_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_NUMBER_TEXT = re.compile(
    r"^(?P<sign>-?)\s*(?P<body>0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?\d+)?)"
    r"(?:[uUlLfFzZ]+|_?(?:[iu](?:8|16|32|64|128|size)|f32|f64))?$"
)

# The limits C and Rust write as bounds (`1, LONG_MAX`, `0, u16::MAX`).
_LIMITS: dict[str, Number] = {
    "CHAR_MAX": 127,
    "SCHAR_MAX": 127,
    "UCHAR_MAX": 255,
    "SHRT_MAX": 32767,
    "USHRT_MAX": 65535,
    "INT_MAX": 2**31 - 1,
    "INT_MIN": -(2**31),
    "UINT_MAX": 2**32 - 1,
    "LONG_MAX": 2**63 - 1,
    "LONG_MIN": -(2**63),
    "ULONG_MAX": 2**64 - 1,
    "LLONG_MAX": 2**63 - 1,
    "LLONG_MIN": -(2**63),
    "ULLONG_MAX": 2**64 - 1,
    "SIZE_MAX": 2**64 - 1,
    "SSIZE_MAX": 2**63 - 1,
    "INT8_MAX": 127,
    "INT16_MAX": 32767,
    "INT32_MAX": 2**31 - 1,
    "INT32_MIN": -(2**31),
    "INT64_MAX": 2**63 - 1,
    "INT64_MIN": -(2**63),
    "UINT8_MAX": 255,
    "UINT16_MAX": 65535,
    "UINT32_MAX": 2**32 - 1,
    "UINT64_MAX": 2**64 - 1,
    "LONG_LONG_MAX": 2**63 - 1,
    "u8::MAX": 255,
    "u16::MAX": 65535,
    "u32::MAX": 2**32 - 1,
    "u64::MAX": 2**64 - 1,
    "usize::MAX": 2**64 - 1,
    "i8::MAX": 127,
    "i16::MAX": 32767,
    "i32::MAX": 2**31 - 1,
    "i64::MAX": 2**63 - 1,
    "isize::MAX": 2**63 - 1,
    "i32::MIN": -(2**31),
    "i64::MIN": -(2**63),
}


@dataclass(frozen=True)
class Cell:
    """One element of a row: what kind of literal it is, as written and as a value."""

    kind: CellKind
    text: str
    line: int
    value: str | None = None
    number: Number | None = None
    label: str | None = None
    idents: tuple[str, ...] = ()


def words(text: str) -> list[str]:
    """`createIntConfig` → create, int, config; `CF_TIME_USEC` → cf, time, usec."""
    return [w.lower() for w in _SPLIT_WORDS.findall(text)]


def number_of(text: str) -> Number | None:
    """A numeric literal as C, Rust, Go, Ruby or PHP write it (`1024UL`, `0x10`, `8_080u16`)."""
    match = _NUMBER_TEXT.match(text.strip())
    if not match:
        return None
    body = match.group("body").replace("_", "")
    sign = -1 if match.group("sign") else 1
    try:
        if body.lower().startswith("0x"):
            return sign * int(body, 16)
        if len(body) > 1 and body.startswith("0") and body.isdigit():
            return sign * int(body, 8)
    except ValueError:
        return None
    number = parse_number(body)
    return None if number is None else sign * number


def one_line(text: str) -> str:
    return " ".join(text.split())


def _identifiers(node: ts.Node) -> tuple[str, ...]:
    found: list[str] = []
    for sub in _ts.walk(node):
        if sub.type in ("identifier", "field_identifier", "constant", "name", "type_identifier"):
            found.append(_ts.text(sub))
        if len(found) > 24:
            break
    return tuple(found)


def _string_of(node: ts.Node) -> str | None:
    if node.type == "concatenated_string":
        parts = [_string_of(c) for c in node.named_children if c.type != "comment"]
        if parts and all(p is not None for p in parts):
            return "".join(p for p in parts if p is not None)
        return None
    if node.type not in STRING_TYPES:
        return None
    if node.type in ("string", "encapsed_string") and any(
        child.type in ("interpolation", "variable_name", "template_substitution")
        for child in node.named_children
    ):
        return None
    return _ts.string_value(node)


def _evaluate(node: ts.Node, constants: Mapping[str, str], depth: int = 0) -> Number | None:
    """A constant arithmetic expression (`64 * 1024 * 1024`, `(size_t)1 << 20`, `LONG_MAX`)."""
    if depth > 12:
        return None
    kind = node.type
    raw = _ts.text(node).strip()
    if kind in NUMBER_TYPES:
        return number_of(raw)
    if kind in ("identifier", "scoped_identifier", "constant", "name"):
        if raw in _LIMITS:
            return _LIMITS[raw]
        if raw in constants:
            return _constant_number(constants[raw], constants, depth + 1)
        return None
    if kind in ("parenthesized_expression", "cast_expression") and node.named_children:
        return _evaluate(node.named_children[-1], constants, depth + 1)
    if kind in ("unary_expression", "negative_literal") and node.named_children:
        inner = _evaluate(node.named_children[-1], constants, depth + 1)
        if inner is not None and raw.startswith("-"):
            return -inner
        return inner if raw.startswith("+") else None
    if kind == "binary_expression" and len(node.named_children) == 2:
        left = _evaluate(node.named_children[0], constants, depth + 1)
        right = _evaluate(node.named_children[1], constants, depth + 1)
        operator = node.child_by_field_name("operator")
        op = _ts.text(operator) if operator is not None else ""
        return arith(left, op, right)
    return None


def arith(left: Number | None, op: str, right: Number | None) -> Number | None:
    """`left op right` for C's arithmetic operators (None: unknown operand or operator)."""
    if left is None or right is None:
        return None
    try:
        if op == "*":
            return left * right
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "/" and right:
            return (
                left // right if isinstance(left, int) and isinstance(right, int) else left / right
            )
        if op == "<<" and isinstance(left, int) and isinstance(right, int) and 0 <= right < 64:
            return left << right
    except (ArithmeticError, ValueError):
        return None
    return None


_CONST_ARITH = re.compile(r"^\(?\s*(\w+)\s*(?:([*+<-]{1,2})\s*(\w+)\s*)?\)?$")


def _constant_number(text: str, constants: Mapping[str, str], depth: int) -> Number | None:
    """A `#define` body: `4096`, `(1024 * 1024)`, `1 << 20`, another constant."""
    if depth > 6:
        return None
    match = _CONST_ARITH.match(text.strip())
    if not match:
        return None
    left = _word_number(match.group(1), constants, depth)
    if match.group(2) is None:
        return left
    op = match.group(2)
    return arith(left, op, _word_number(match.group(3), constants, depth))


def _word_number(word: str, constants: Mapping[str, str], depth: int) -> Number | None:
    number = number_of(word)
    if number is not None:
        return number
    if word in _LIMITS:
        return _LIMITS[word]
    if word in constants:
        return _constant_number(constants[word], constants, depth + 1)
    return None


def _constant_string(text: str) -> str | None:
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"' and '"' not in stripped[1:-1]:
        return stripped[1:-1]
    return None


def cell_of(
    node: ts.Node, constants: Mapping[str, str] | None = None, label: str | None = None
) -> Cell:
    """Classify one element node of a row (any grammar)."""
    consts = constants or {}
    raw = one_line(_ts.text(node))
    line = _ts.line(node)
    idents = _identifiers(node)
    string = _string_of(node)
    if string is not None:
        return Cell("string", raw, line, value=string, label=label, idents=idents)
    if node.type in NUMBER_TYPES or node.type in ("unary_expression", "negative_literal"):
        number = _evaluate(node, consts)
        if number is not None:
            return Cell("number", raw, line, value=raw, number=number, label=label)
    if node.type in BOOL_TYPES or raw in ("true", "false"):
        return Cell("bool", raw, line, value=raw, label=label)
    if node.type in NULL_TYPES or raw in _NULL_WORDS:
        return Cell("null", raw, line, label=label)
    if node.type in CHAR_TYPES:
        return Cell("char", raw, line, value=raw.strip("'"), label=label)
    wrapped = _wrapped_string(node)
    if wrapped is not None:
        return Cell("string", raw, line, value=wrapped, label=label, idents=idents)
    number = _evaluate(node, consts)
    if number is not None:
        return Cell("number", raw, line, value=raw, number=number, label=label, idents=idents)
    if node.type in IDENT_TYPES:
        if raw in consts:
            text = _constant_string(consts[raw])
            if text is not None:
                return Cell("string", raw, line, value=text, label=label, idents=idents)
        return Cell("ident", raw, line, value=raw, label=label, idents=idents)
    return Cell("expr", raw, line, label=label, idents=idents)


def _wrapped_string(node: ts.Node) -> str | None:
    """`ngx_string("x")`, `_("x")`, `String::from("x")`, `Some("x")`: one literal in a call."""
    if node.type not in ("call_expression", "macro_invocation", "call", "function_call_expression"):
        return None
    args = node.child_by_field_name("arguments")
    if args is None:
        args = next((c for c in node.named_children if c.type == "token_tree"), None)
    if args is None:
        return None
    inner = [c for c in args.named_children if c.type not in ("comment", "line_comment")]
    if len(inner) != 1:
        return None
    return _string_of(inner[0])


def cells_of_tokens(tree: ts.Node, constants: Mapping[str, str] | None = None) -> list[Cell]:
    """A macro's token tree split at its top-level commas, each part one cell."""
    parts: list[list[ts.Node]] = [[]]
    children = tree.children
    for child in children[1:-1] if len(children) >= 2 else children:
        if not child.is_named and _ts.text(child) == ",":
            parts.append([])
        elif child.type not in ("line_comment", "block_comment"):
            parts[-1].append(child)
    cells: list[Cell] = []
    for part in parts:
        if not part:
            continue
        if len(part) == 1:
            cells.append(cell_of(part[0], constants))
            continue
        raw = one_line(" ".join(_ts.text(n) for n in part))
        first, second = part[0], part[1]
        if len(part) == 2 and _ts.text(first) == "-":
            number = _evaluate(second, constants or {})
            if number is not None:
                cells.append(Cell("number", raw.replace(" ", ""), _ts.line(first), raw, -number))
                continue
        if len(part) == 2 and second.type == "token_tree" and _ts.text(first) == "Some":
            inner = cells_of_tokens(second, constants)
            if len(inner) == 1:
                cells.append(inner[0])
                continue
        idents = tuple(_ts.text(n) for n in part if n.type == "identifier")
        cells.append(Cell("expr", raw, _ts.line(first), idents=idents))
    return cells
