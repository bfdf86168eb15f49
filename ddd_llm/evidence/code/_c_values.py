"""The value a C setting starts with, when it is not one literal: the arm of an `#ifdef` a
default build compiles, an expression over settings set before it, a copy of another setting.

    #ifdef WITH_FAST_PATH                       /* a feature the build turns on: not the   */
    static int mode = MODE_FAST;                /* default; the `#else` arm is, and the    */
    #else                                       /* `#ifdef` arm is noted as an alternative */
    static int mode = MODE_SAFE;
    #endif
    conf.page = 4 * 1024;  conf.half = conf.page / 2;   /* half: 2048 */
    store->page = conf.page;                            /* page: whatever conf.page is */

A preprocessor arm is the default one only when its condition is a single macro tested with
`#ifdef`, `#ifndef`, `#if [!]defined(X)` or `#if [!]X`: an undefined macro (the build did not
ask for the feature) takes the `#else` arm of a positive test, the first arm of a negative one;
a macro the file itself `#define`s flips that. Any other condition decides nothing."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Literal

import tree_sitter as ts

from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._option_cells import arith, cell_of
from ddd_llm.models import Number

ArmChoice = Literal["default", "other", "unknown"]

_CONDITIONALS = frozenset({"preproc_if", "preproc_ifdef"})
_ARMS = frozenset(
    {"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef"}
)
_DEFINED = re.compile(
    r"^(?P<not>!?)\s*(?:defined\s*\(\s*(?P<a>\w+)\s*\)|defined\s+(?P<b>\w+)|(?P<c>\w+))$"
)


def preprocessor_arm(node: ts.Node, defined: Callable[[str], bool]) -> ArmChoice | None:
    """Whether the innermost `#if`/`#ifdef` arm around `node` is the one a default build
    compiles (`defined(name)` says whether the file defines the macro); None when `node`
    is not inside one (within its function or at file scope)."""
    current = node.parent
    while current is not None and current.type not in ("function_definition", "translation_unit"):
        if current.type in _ARMS:
            return _choice(current, defined)
        current = current.parent
    return None


def _choice(arm: ts.Node, defined: Callable[[str], bool]) -> ArmChoice:
    if arm.type in ("preproc_elif", "preproc_elifdef"):
        return "unknown"
    conditional = arm.parent if arm.type == "preproc_else" else arm
    if conditional is None or conditional.type not in _CONDITIONALS:
        return "unknown"
    if any(c.type in ("preproc_elif", "preproc_elifdef") for c in conditional.named_children):
        return "unknown"
    test = _test(conditional)
    if test is None:
        return "unknown"
    negative, macro = test
    compiled_first = defined(macro) != negative
    taken = not compiled_first if arm.type == "preproc_else" else compiled_first
    return "default" if taken else "other"


def _test(conditional: ts.Node) -> tuple[bool, str] | None:
    """(negative, macro) of `#ifdef X` / `#ifndef X` / `#if [!]defined(X)` / `#if [!]X`."""
    if conditional.type == "preproc_ifdef":
        name = conditional.child_by_field_name("name")
        directive = _ts.text(conditional.children[0]) if conditional.children else ""
        if name is None:
            return None
        return directive.replace(" ", "") == "#ifndef", _ts.text(name)
    condition = conditional.child_by_field_name("condition")
    match = _DEFINED.match(" ".join(_ts.text(condition).split())) if condition else None
    if match is None:
        return None
    macro = match.group("a") or match.group("b") or match.group("c") or ""
    if macro.isdigit():
        return None
    return bool(match.group("not")), macro


def defines(root: ts.Node) -> frozenset[str]:
    """The macros a file `#define`s at all (with or without a value)."""
    return frozenset(
        _ts.text(n.child_by_field_name("name"))
        for n in _ts.walk(root)
        if n.type == "preproc_def" and n.child_by_field_name("name") is not None
    )


def evaluate(
    node: ts.Node, constants: Mapping[str, str], lookup: Callable[[str], Number | None]
) -> Number | None:
    """An arithmetic expression over literals, constants and other settings (`lookup` gives
    a setting's starting number): `conf.page / 2`, `(base + 1) * 1024`."""
    return _evaluate(node, constants, lookup, 0)


def _evaluate(
    node: ts.Node,
    constants: Mapping[str, str],
    lookup: Callable[[str], Number | None],
    depth: int,
) -> Number | None:
    if depth > 12:
        return None
    if node.type in ("parenthesized_expression", "cast_expression") and node.named_children:
        return _evaluate(node.named_children[-1], constants, lookup, depth + 1)
    if node.type in ("identifier", "field_expression"):
        number = cell_of(node, constants).number
        return number if number is not None else lookup(_ts.text(node))
    if node.type == "binary_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return None
        a = _evaluate(left, constants, lookup, depth + 1)
        b = _evaluate(right, constants, lookup, depth + 1)
        if a is None or b is None:
            return None
        return arith(a, _ts.text(node.child_by_field_name("operator")), b)
    return cell_of(node, constants).number


def is_reference(node: ts.Node) -> bool:
    """A variable or a field (`page_size`, `conf.page`, `cf->io.threads`)."""
    return node.type in ("identifier", "field_expression")


def references(node: ts.Node) -> bool:
    """Whether an expression reads another variable or field (not only literals)."""
    return any(is_reference(n) for n in [node, *_ts.walk(node)])
