"""What one arm of a C option switch does with the option's value (`case 'c':` of a getopt
loop, `case TOKEN:` of a getsubopt loop): where the value is stored, as what type, the
bounds its rejecting guards give, and the choices of a `strcmp` chain.

    case 'c':
        settings.maxconns = atoi(optarg);             /* stored in settings.maxconns, int */
        if (settings.maxconns <= 0) { …; return 1; }  /* rejected below 1: min 1 */

A guard is a bound only when its branch rejects the value (returns, jumps to an error label,
exits or prints the usage); a branch that only warns bounds nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import tree_sitter as ts

from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._option_cells import cell_of
from ddd_llm.models import Number, ValueType

_INT_CONVERTER = re.compile(
    r"(?:^|_)(?:ato(?:i|l|ll)|strto(?:u?l{1,2}|u?imax|[iu]\d*)|sto(?:i|u?ll?))$"
)
_FLOAT_CONVERTER = re.compile(r"(?:^|_)(?:atof|strto(?:d|f|ld)|sto(?:d|f|ld))$")
_COPY = re.compile(r"^(?:strdup|strndup|g_strdup|xstrdup|estrdup|sdsnew)$")
_COMPARE = re.compile(r"^(?:str(?:n)?(?:case)?cmp|_?stri?cmp|g_strcmp0|g_ascii_strcasecmp)$")
_FATAL = re.compile(r"^(?:exit|_exit|abort|die|fatal|errx?|panic|fatal_error|log_fatal|\w*usage)$")
_BOOL_CONSTANTS = {"true": "true", "false": "false", "TRUE": "true", "FALSE": "false"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass
class Arm:
    """What an option's arm does: the variable or field it stores the value in and how."""

    target: str | None = None
    value_type: ValueType | None = None
    factor: int = 1
    constant: str | None = None
    """A switch without a value: the constant it stores (`true`, `0`)."""
    low: Number | None = None
    high: Number | None = None
    choices: list[tuple[str, str, str]] = field(default_factory=list)
    """`strcmp(value, "auto") == 0` → `proto = negotiating_prot`:
    ("auto", "proto", "negotiating_prot")."""
    lines: list[tuple[int, int]] = field(default_factory=list)


def converter_type(name: str) -> ValueType | None:
    """`atoi`, `strtoul`, a project's `safe_strtoul` → int; `atof`, `strtod` → float."""
    if _INT_CONVERTER.search(name):
        return "int"
    if _FLOAT_CONVERTER.search(name):
        return "float"
    return None


def callee(call: ts.Node) -> str:
    function = call.child_by_field_name("function")
    if function is None:
        return ""
    name = function.child_by_field_name("name") or function.child_by_field_name("field")
    return _ts.text(name if name is not None else function)


def statements_of(node: ts.Node) -> Iterator[ts.Node]:
    """Every node below `node`, not descending into nested switches (their arms are other
    options' business)."""
    stack = list(reversed(node.children))
    while stack:
        current = stack.pop()
        yield current
        if current.type != "switch_statement":
            stack.extend(reversed(current.children))


def arm_body(case: ts.Node) -> list[ts.Node]:
    """The statements of `case X:`: its own, and the siblings up to the next case that the
    grammar leaves outside it (a `#ifdef` right after the label)."""
    value = case.child_by_field_name("value")
    body = [
        c for c in case.named_children if c != value and c.type not in ("comment", "case_statement")
    ]
    sibling = case.next_named_sibling
    while sibling is not None and sibling.type != "case_statement":
        if any(sub.type == "case_statement" for sub in _ts.walk(sibling)):
            break
        if sibling.type != "comment":
            body.append(sibling)
        sibling = sibling.next_named_sibling
    return body


def _uses(node: ts.Node, variable: str) -> bool:
    return any(
        sub.type == "identifier" and _ts.text(sub) == variable for sub in _ts.walk(node)
    ) or (node.type == "identifier" and _ts.text(node) == variable)


def _is_only(node: ts.Node, variable: str) -> bool:
    """`value`, `(char *)value`, `strdup(value)`: the value itself, a string."""
    current = node
    while (
        current.type in ("parenthesized_expression", "cast_expression") and current.named_children
    ):
        current = current.named_children[-1]
    if current.type == "identifier":
        return _ts.text(current) == variable
    if current.type == "call_expression" and _COPY.match(callee(current)):
        args = current.child_by_field_name("arguments")
        inner = args.named_children if args is not None else []
        return len(inner) >= 1 and _is_only(inner[0], variable)
    return False


def read_arm(body: list[ts.Node], variable: str, constants: Mapping[str, str]) -> Arm:
    """The arm whose statements are `body`, reading the option's value from `variable`
    (`optarg`, the value pointer getsubopt fills)."""
    arm = Arm()
    constant_store: tuple[str, str] | None = None
    for node in body:
        arm.lines.append((_ts.line(node), _ts.end_line(node)))
        for sub in [node, *statements_of(node)]:
            if arm.target is not None:
                break
            if sub.type == "assignment_expression" and _ts.text(
                sub.child_by_field_name("operator")
            ) in ("=", ""):
                left, right = sub.child_by_field_name("left"), sub.child_by_field_name("right")
                if left is None or right is None:
                    continue
                if _uses(right, variable):
                    arm.target = _ts.text(left)
                    arm.value_type = _type_of(right, variable)
                    arm.factor = scale(right, variable, constants)
                elif constant_store is None and _ts.text(right) in (
                    *_BOOL_CONSTANTS,
                    "0",
                    "1",
                ):
                    constant_store = (_ts.text(left), _ts.text(right))
            elif sub.type == "call_expression":
                stored = _stored_by_call(sub, variable)
                if stored is not None:
                    arm.target = stored
                    arm.value_type = converter_type(callee(sub)) or _named_type(callee(sub))
    if arm.target is None:
        arm.choices = _choices(body, variable)
        if arm.choices:
            arm.value_type = "enum"
        elif constant_store is not None and not any(_uses(n, variable) for n in body):
            arm.target, arm.constant = constant_store
            arm.value_type = "bool"
        elif not any(_uses(n, variable) for n in body):
            arm.value_type = "bool"
        return arm
    _follow(arm, body, constants)
    arm.low, arm.high = guard_bounds(body, arm.target, arm.value_type, constants)
    return arm


def _type_of(right: ts.Node, variable: str) -> ValueType | None:
    for sub in [right, *_ts.walk(right)]:
        if sub.type == "call_expression":
            found = converter_type(callee(sub))
            if found is not None:
                return found
    if _is_only(right, variable):
        return "string"
    return None


_NAMED_INT = re.compile(r"(?i)(?:^|_|[a-z])(?:u?int\d*|u?long|size|num(?:ber)?|count)(?:_|$)")
_NAMED_FLOAT = re.compile(r"(?i)(?:^|_|[a-z])(?:double|float|real)(?:_|$)")
_NAMED_BOOL = re.compile(r"(?i)(?:^|_|[a-z])bool(?:ean)?(?:_|$)")


def _named_type(name: str) -> ValueType | None:
    """`parse_uint`, `conf_get_double`, `str_to_bool`: a project's own converter, typed by
    its name; None when the name does not say."""
    if _NAMED_INT.search(name):
        return "int"
    if _NAMED_FLOAT.search(name):
        return "float"
    if _NAMED_BOOL.search(name):
        return "bool"
    return None


def _stored_by_call(call: ts.Node, variable: str) -> str | None:
    """`safe_strtoul(value, &settings.size)`, `parse_uint(value, &n)`: the value goes in,
    the call writes what it makes of it to `&target`."""
    args = call.child_by_field_name("arguments")
    if args is None:
        return None
    inner = args.named_children
    if not any(_is_only(a, variable) for a in inner):
        return None
    for arg in inner:
        if arg.type == "pointer_expression" and _ts.text(arg).startswith("&"):
            target = arg.child_by_field_name("argument")
            if target is not None:
                return _ts.text(target)
    return None


def _follow(arm: Arm, body: list[ts.Node], constants: Mapping[str, str]) -> None:
    """After the store: `x *= 1024` (the value is in a unit) and `field = x` (a local that
    is copied to where the setting lives)."""
    target = arm.target or ""
    for node in body:
        for sub in [node, *statements_of(node)]:
            if sub.type != "assignment_expression":
                continue
            left, right = sub.child_by_field_name("left"), sub.child_by_field_name("right")
            operator = _ts.text(sub.child_by_field_name("operator"))
            if left is None or right is None:
                continue
            if operator == "*=" and _ts.text(left) == target:
                number = cell_of(right, constants).number
                if isinstance(number, int) and number > 0:
                    arm.factor *= number
            elif operator == "=" and _ts.text(right) == target and _ts.text(left) != target:
                arm.target = _ts.text(left)
                return


def scale(node: ts.Node, variable: str, constants: Mapping[str, str]) -> int:
    """The constant `value`'s number is multiplied by (`atoi(value) * 1024 * 1024`)."""
    current = node
    factor = 1
    for _ in range(8):
        while current.type in ("parenthesized_expression", "cast_expression") and (
            current.named_children
        ):
            current = current.named_children[-1]
        if (
            current.type != "binary_expression"
            or _ts.text(current.child_by_field_name("operator")) != "*"
        ):
            return factor
        left, right = current.child_by_field_name("left"), current.child_by_field_name("right")
        if left is None or right is None:
            return factor
        inner, other = (left, right) if _uses(left, variable) else (right, left)
        number = cell_of(other, constants).number
        if not isinstance(number, int) or number <= 0:
            return 1
        factor *= number
        current = inner
    return factor


def _choices(body: list[ts.Node], variable: str) -> list[tuple[str, str, str]]:
    """`if (strcmp(value, "auto") == 0) x = A; else if (strcmp(value, "ascii") == 0) x = B;`."""
    found: list[tuple[str, str, str]] = []
    for condition, consequence in _ifs(body):
        literal = _compared_literal(condition, variable)
        if literal is None:
            continue
        stored = next(
            (
                (
                    _ts.text(a.child_by_field_name("left")),
                    _ts.text(a.child_by_field_name("right")),
                )
                for a in [consequence, *_ts.walk(consequence)]
                if a.type == "assignment_expression"
            ),
            ("", ""),
        )
        found.append((literal, *stored))
    return found


def _ifs(body: list[ts.Node]) -> Iterator[tuple[ts.Node, ts.Node]]:
    """(condition, consequence) of every `if` among the arm's statements, nested ones too."""
    for node in body:
        for sub in [node, *statements_of(node)]:
            if sub.type != "if_statement":
                continue
            condition = sub.child_by_field_name("condition")
            consequence = sub.child_by_field_name("consequence")
            if condition is not None and consequence is not None:
                yield condition, consequence


def _compared_literal(condition: ts.Node, variable: str) -> str | None:
    for sub in _ts.walk(condition):
        if sub.type != "call_expression" or not _COMPARE.match(callee(sub)):
            continue
        args = sub.child_by_field_name("arguments")
        inner = args.named_children if args is not None else []
        if len(inner) >= 2 and any(_is_only(a, variable) for a in inner[:2]):
            for arg in inner[:2]:
                value = _ts.string_value(arg) if arg.type == "string_literal" else None
                if value:
                    return value
    return None


# --- guards ----------------------------------------------------------------------------------


def rejects(branch: ts.Node) -> bool:
    """A branch that refuses the value: returns, jumps to an error label, exits or prints the
    usage. One that only warns (`fprintf(stderr, "WARNING …")`) refuses nothing."""
    for sub in [branch, *_ts.walk(branch)]:
        if sub.type in ("return_statement", "goto_statement", "throw_statement"):
            return True
        if sub.type == "call_expression" and _FATAL.match(callee(sub)):
            return True
    return False


def guard_bounds(
    body: list[ts.Node], target: str, value_type: ValueType | None, constants: Mapping[str, str]
) -> tuple[Number | None, Number | None]:
    """The (min, max) that the arm's rejecting guards on `target` leave: `if (x <= 0)` with
    an integer gives min 1, with a float min 0 (strict: the bound itself is refused);
    `if (x < 1 || x >= 80)` gives 1..79."""
    numbers: list[tuple[str, Number]] = []
    for op, node in rejected_comparisons(body, target):
        number = cell_of(node, constants).number
        if number is not None:
            numbers.append((op, number))
    return bounds_of(numbers, value_type)


def rejected_comparisons(body: list[ts.Node], target: str) -> list[tuple[str, ts.Node]]:
    """What the rejecting guards among `body` compare `target` with, the target on the
    left: `if (x < 1 || 80 <= x) { …; return 1; }` → [("<", 1), (">=", 80)]."""
    found: list[tuple[str, ts.Node]] = []
    for condition, consequence in _ifs(body):
        if rejects(consequence):
            found.extend(_comparisons(condition, target))
    return found


def bounds_of(
    comparisons: Iterable[tuple[str, Number]], value_type: ValueType | None
) -> tuple[Number | None, Number | None]:
    """The (min, max) that refusing every comparison leaves (none when they contradict)."""
    low: Number | None = None
    high: Number | None = None
    for op, number in comparisons:
        integral = value_type != "float" and isinstance(number, int)
        if op in ("<", "<="):
            bound = number + 1 if op == "<=" and integral else number
            low = bound if low is None else max(low, bound)
        else:
            bound = number - 1 if op == ">=" and integral else number
            high = bound if high is None else min(high, bound)
    if low is not None and high is not None and low > high:
        return None, None
    return low, high


def _comparisons(condition: ts.Node, target: str) -> list[tuple[str, ts.Node]]:
    """`(x < 1 || x >= 80)` → [("<", 1), (">=", 80)]; anything joined by `&&` → []."""
    node = condition
    while node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    if node.type != "binary_expression":
        return []
    op = _ts.text(node.child_by_field_name("operator"))
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if left is None or right is None:
        return []
    if op == "||":
        return _comparisons(left, target) + _comparisons(right, target)
    if op not in _FLIP:
        return []
    if _bare(left) == target:
        return [(op, right)]
    if _bare(right) == target:
        return [(_FLIP[op], left)]
    return []


def _bare(node: ts.Node) -> str:
    current = node
    while (
        current.type in ("parenthesized_expression", "cast_expression") and current.named_children
    ):
        current = current.named_children[-1]
    return _ts.text(current)


# --- values passed on ------------------------------------------------------------------------


def passed_on(body: list[ts.Node], start: str) -> tuple[str, ValueType | None, set[str]]:
    """Where the value ends up when the arm first keeps it in a scratch variable: `buf =
    strdup(optarg); n = atoi(buf); conf.size = n;` → ("conf.size", "int", {buf, n,
    conf.size}). Only copies and conversions pass it on (`c = buf[0]` does not)."""
    holders = {start}
    target, value_type = start, None
    for node in body:
        for sub in [node, *statements_of(node)]:
            if sub.type != "assignment_expression" or _ts.text(
                sub.child_by_field_name("operator")
            ) not in ("=", ""):
                continue
            left, right = sub.child_by_field_name("left"), sub.child_by_field_name("right")
            if left is None or right is None or _ts.text(left) in holders:
                continue
            converted = _converted(right, holders)
            if converted is None and not any(_is_only(right, h) for h in holders):
                continue
            holders.add(_ts.text(left))
            target = _ts.text(left)
            value_type = converted or value_type
    return target, value_type, holders


def _converted(node: ts.Node, holders: set[str]) -> ValueType | None:
    """`atoi(buf)`, `(int)strtol(buf, NULL, 10)`: the type a converter makes of a holder."""
    current = node
    while current.type in ("parenthesized_expression", "cast_expression") and (
        current.named_children
    ):
        current = current.named_children[-1]
    if current.type != "call_expression":
        return None
    found = converter_type(callee(current))
    args = current.child_by_field_name("arguments")
    first = args.named_children[0] if args is not None and args.named_children else None
    if found is None or first is None or not any(_is_only(first, h) for h in holders):
        return None
    return found


_UNIT_LETTERS = frozenset("kmgtKMGT")


def unit_suffixes(body: list[ts.Node], holders: set[str]) -> dict[str, int]:
    """The size suffixes an arm accepts: `if (unit == 'k' || unit == 'K') n *= 1024;` →
    {"k": 1024}; each letter (lower-cased) with what the `if` right around the
    multiplication multiplies the number by."""
    found: dict[str, int] = {}
    for node in body:
        for sub in [node, *statements_of(node)]:
            if (
                sub.type != "assignment_expression"
                or _ts.text(sub.child_by_field_name("operator")) != "*="
                or _ts.text(sub.child_by_field_name("left")) not in holders
            ):
                continue
            right = sub.child_by_field_name("right")
            number = cell_of(right, {}).number if right is not None else None
            guard = _if_around(sub)
            if not isinstance(number, int) or number <= 1 or guard is None:
                continue
            condition = guard.child_by_field_name("condition")
            if condition is None or "==" not in _ts.text(condition):
                continue
            for char in _ts.walk(condition):
                letter = _ts.text(char).strip("'")
                if char.type == "char_literal" and letter in _UNIT_LETTERS:
                    found.setdefault(letter.lower(), number)
    return found


def _if_around(node: ts.Node) -> ts.Node | None:
    """The `if` whose consequence `node` is (directly, or in its block)."""
    current = node.parent
    while current is not None and current.type in (
        "expression_statement",
        "compound_statement",
    ):
        current = current.parent
    if current is None or current.type != "if_statement":
        return None
    consequence = current.child_by_field_name("consequence")
    inside = consequence is not None and consequence.start_byte <= node.start_byte
    return (
        current
        if inside and node.end_byte <= (consequence.end_byte if consequence else 0)
        else None
    )


def with_suffix(number: int | float, suffixes: Mapping[str, int]) -> str:
    """A size as the option is given it: the largest accepted suffix that divides it
    (1048576 with k and m → `1m`), else the plain number."""
    if isinstance(number, int):
        for letter, factor in sorted(suffixes.items(), key=lambda item: -item[1]):
            if number >= factor and number % factor == 0:
                return f"{number // factor}{letter}"
    return str(number)
