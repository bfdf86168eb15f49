"""Bounds a Go program enforces on a flag: `if *ratio <= 0.0 || *ratio > 1.0 { log…Error(…);
return 1 }` rejects every value outside (0, 1], so the flag's safe range is 0…1.

Only a check whose every part compares the flag's variable with a number, and whose block
stops the program (a fatal call, a returned error, or an error logged then a return), counts.
"""

from __future__ import annotations

import re

import tree_sitter as ts

from ddd_llm.evidence.base import parse_number
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._go_read import GoFile, Param, args, unparen
from ddd_llm.models import Number

_ERROR_CALL = re.compile(r"^(Error|Errorf|Errorw|Fatal\w*|Exit)$")
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def flag_variables(f: GoFile, params: list[Param]) -> dict[str, Param]:
    """The variable each flag is stored in: `ratio = kingpin.Flag(…)…Float64()`,
    `n := flag.Int(…)`, `flag.IntVar(&n, …)`; by the line the flag's declaration starts."""
    by_line = {p.lines[0][0]: p for p in params if p.kind == "flag" and p.lines}
    found: dict[str, Param] = {}
    for node in _ts.walk(f.root):
        if node.type in ("var_spec", "short_var_declaration", "assignment_statement"):
            names = node.children_by_field_name("name") or _children(
                node.child_by_field_name("left")
            )
            values = node.children_by_field_name("value") or _children(
                node.child_by_field_name("right")
            )
            exprs = [e for v in values for e in _children(v)]
            if len(names) == len(exprs):
                for name, expr in zip(names, exprs, strict=True):
                    param = by_line.get(_ts.line(expr))
                    if param is not None and name.type == "identifier":
                        found.setdefault(_ts.text(name), param)
        elif node.type == "call_expression":
            param = by_line.get(_ts.line(node))
            passed = args(node.child_by_field_name("arguments"))
            if param is not None and passed and passed[0].type == "unary_expression":
                if _ts.text(passed[0].child_by_field_name("operator")) == "&":
                    target = passed[0].child_by_field_name("operand")
                    if target is not None and target.type == "identifier":
                        found.setdefault(_ts.text(target), param)
    return found


def _children(node: ts.Node | None) -> list[ts.Node]:
    if node is None:
        return []
    return args(node) if node.type == "expression_list" else [node]


def enforced_bounds(
    f: GoFile, params: list[Param]
) -> dict[str, tuple[Number | None, Number | None]]:
    """Flag name → (min, max) that a rejecting check on its variable enforces."""
    variables = flag_variables(f, params)
    bounds: dict[str, tuple[Number | None, Number | None]] = {}
    if not variables:
        return bounds
    for node in _ts.walk(f.root):
        if node.type != "if_statement":
            continue
        condition, block = (
            node.child_by_field_name("condition"),
            node.child_by_field_name("consequence"),
        )
        if condition is None or block is None or not _rejects(f, block):
            continue
        parts = _disjuncts(condition)
        read = [_comparison(p, variables) for p in parts]
        if not read or any(r is None for r in read):
            continue
        for item in read:
            assert item is not None
            param, op, number = item
            low, high = bounds.get(param.name, (None, None))
            integral = param.value_type == "int" and isinstance(number, int)
            # the check rejects `x op number`: what is left allowed
            if op in ("<", "<="):
                low = number + 1 if op == "<=" and integral else number
            else:
                high = number - 1 if op == ">=" and integral else number
            bounds[param.name] = (low, high)
    return bounds


def _disjuncts(node: ts.Node) -> list[ts.Node]:
    node = unparen(node)
    if node.type == "binary_expression" and _ts.text(node.child_by_field_name("operator")) == "||":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None:
            return [*_disjuncts(left), *_disjuncts(right)]
    return [node]


def _comparison(node: ts.Node, variables: dict[str, Param]) -> tuple[Param, str, Number] | None:
    """`*x <= 0.0` or `100 < x` on a flag's variable → (param, operator with x on the left,
    number)."""
    if node.type != "binary_expression":
        return None
    op = _ts.text(node.child_by_field_name("operator"))
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if op not in _FLIP or left is None or right is None:
        return None
    param = _variable(left, variables)
    number = _number(right)
    if param is None:
        param, number, op = _variable(right, variables), _number(left), _FLIP[op]
    if param is None or number is None:
        return None
    return param, op, number


def _variable(node: ts.Node, variables: dict[str, Param]) -> Param | None:
    node = unparen(node)
    if node.type == "unary_expression" and _ts.text(node.child_by_field_name("operator")) == "*":
        node = node.child_by_field_name("operand") or node
    return variables.get(_ts.text(node)) if node.type == "identifier" else None


def _number(node: ts.Node) -> Number | None:
    node = unparen(node)
    if node.type in ("int_literal", "float_literal"):
        return parse_number(_ts.text(node))
    if node.type == "unary_expression" and _ts.text(node.child_by_field_name("operator")) == "-":
        operand = node.child_by_field_name("operand")
        value = _number(operand) if operand is not None else None
        return -value if value is not None else None
    return None


def _rejects(f: GoFile, block: ts.Node) -> bool:
    """The block stops the program: a fatal call or returned error, or an error logged and
    then a return (`logger.Error(…); return 1`)."""
    if f.is_fatal(block):
        return True
    inner = block.named_children
    if len(inner) == 1 and inner[0].type == "statement_list":
        inner = inner[0].named_children  # newer grammars wrap a block's statements
    statements = [c for c in inner if c.type != "comment"]
    if not statements or statements[-1].type != "return_statement":
        return False
    for node in _ts.walk(block):
        if node.type == "call_expression":
            function = node.child_by_field_name("function")
            if function is not None and function.type == "selector_expression":
                if _ERROR_CALL.match(_ts.text(function.child_by_field_name("field"))):
                    return True
    return False
