"""getsubopt(3) option tables: `-o name=value,other` sub-options of a C program.

    char *const tokens[] = { [CACHE_SIZE] = "cache_size", [NO_CACHE] = "no_cache", NULL };
    switch (getsubopt(&opts, tokens, &value)) {
    case CACHE_SIZE:
        conf.cache_size = atoi(value);
        if (conf.cache_size < 1) { fprintf(stderr, "…"); return 1; }
        break;
    case NO_CACHE:
        conf.cache = false;
        break;
    }

An array of string literals (designated `[K] = "x"` or positional, then resolved through the
enum that numbers the arms) is an option table only when it is the token list handed to
getsubopt; each string is one option, and the switch arm for its token says where the value
goes, its type and the bounds its rejecting guards give. The caller supplies the default
from the target's initialisation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import tree_sitter as ts

from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._c_arms import Arm, arm_body, read_arm, statements_of


@dataclass
class SubOption:
    name: str
    start: int
    end: int
    arm: Arm | None


def sub_options(
    grammar: str, root: ts.Node, constants: Mapping[str, str]
) -> list[tuple[ts.Node, list[SubOption]]]:
    """Per getsubopt call of the file: the call and the options of its token table (none
    when the table is not a literal array of this file)."""
    found: list[tuple[ts.Node, list[SubOption]]] = []
    declared: dict[str, ts.Node] | None = None
    enums: dict[str, int] | None = None
    for match in _ts.matches(grammar, "subopts", root):
        call, tokens, value = match.node("call"), match.node("tokens"), match.node("value")
        if call is None or tokens is None or value is None:
            continue
        if declared is None:
            declared, enums = _arrays(root), _enum_values(root)
        table = declared.get(_ts.text(tokens))
        strings = _table_strings(table) if table is not None else []
        if not strings:
            found.append((call, []))  # the table is declared elsewhere or built at run time
            continue
        variable = _ts.text(value).lstrip("&* ")
        arms = _arms(call)
        options: list[SubOption] = []
        for index, (key, node) in enumerate(strings):
            name = _ts.string_value(node) or ""
            body = _arm_for(key, index, arms, enums or {})
            arm = read_arm(body, variable, constants) if body is not None else None
            options.append(SubOption(name, _ts.line(node), _ts.end_line(node), arm))
        found.append((call, options))
    return found


def _arrays(root: ts.Node) -> dict[str, ts.Node]:
    """Array declarations with an initialiser list: `char *const x[] = { … }` by name."""
    out: dict[str, ts.Node] = {}
    for node in _ts.walk(root):
        if node.type != "init_declarator":
            continue
        value = node.child_by_field_name("value")
        declarator = node.child_by_field_name("declarator")
        if value is None or value.type != "initializer_list":
            continue
        is_array = False
        while declarator is not None and declarator.type != "identifier":
            is_array = is_array or declarator.type == "array_declarator"
            declarator = declarator.child_by_field_name("declarator")
        if declarator is not None and is_array:
            out.setdefault(_ts.text(declarator), value)
    return out


def _table_strings(table: ts.Node) -> list[tuple[str | None, ts.Node]]:
    """The table's strings with their designator (`[KEY] = "x"` → KEY), None when positional.
    Preprocessor lines inside the list leave ERROR nodes and `COND [KEY] = "x"` shapes: the
    key is still the last identifier in the brackets. Anything that is not a string, a
    designated string or NULL makes the array no token table."""
    out: list[tuple[str | None, ts.Node]] = []
    for node in _ts.walk(table):
        if node.type != "string_literal":
            continue
        parent = node.parent
        if parent is None:
            continue
        if parent.type == "initializer_pair":
            designator = parent.child_by_field_name("designator")
            if designator is None:
                designator = next(
                    (c for c in parent.named_children if c.type == "subscript_designator"), None
                )
            key = _last_identifier(designator)
            out.append((key, node))
        elif parent.type == "assignment_expression" and parent.child_by_field_name("right") == node:
            left = parent.child_by_field_name("left")
            index = left.child_by_field_name("index") if left is not None else None
            out.append((_last_identifier(index), node))
        elif parent == table or parent.type in ("ERROR", "preproc_ifdef", "preproc_if"):
            out.append((None, node))
    for node in table.named_children:
        if node.type in ("initializer_list", "call_expression", "number_literal"):
            return []  # rows of records or numbers: not a list of tokens
    return out


def _last_identifier(node: ts.Node | None) -> str | None:
    if node is None:
        return None
    names = [
        _ts.text(n) for n in [node, *_ts.walk(node)] if n.type in ("identifier", "number_literal")
    ]
    return names[-1] if names else None


def _enum_values(root: ts.Node) -> dict[str, int]:
    """Every enumerator of the file with its value (implicit ones counted on)."""
    out: dict[str, int] = {}
    for node in _ts.walk(root):
        if node.type != "enumerator_list":
            continue
        counter = 0
        for enumerator in _ts.walk(node):
            if enumerator.type != "enumerator":
                continue
            name = enumerator.child_by_field_name("name")
            value = enumerator.child_by_field_name("value")
            if value is not None:
                try:
                    counter = int(_ts.text(value), 0)
                except ValueError:
                    break
            if name is not None:
                out.setdefault(_ts.text(name), counter)
            counter += 1
    return out


def _arms(call: ts.Node) -> list[tuple[str, list[ts.Node]]]:
    """The arms of the switch on getsubopt's result: (case label, statements), an empty arm
    taking the statements of the one it falls through to."""
    switch = _switch_of(call)
    if switch is None:
        return []
    body = switch.child_by_field_name("body")
    if body is None:
        return []
    cases = [n for n in statements_of(body) if n.type == "case_statement"]
    arms: list[tuple[str, list[ts.Node]]] = []
    pending: list[str] = []
    for case in cases:
        value = case.child_by_field_name("value")
        label = _ts.text(value) if value is not None else "default"
        statements = arm_body(case)
        pending.append(label)
        if not statements:
            continue
        for name in pending:
            arms.append((name, statements))
        pending = []
    for name in pending:
        arms.append((name, []))
    return arms


def _switch_of(call: ts.Node) -> ts.Node | None:
    """`switch (getsubopt(…))`, or `int opt = getsubopt(…); switch (opt)` in the same block."""
    current = call.parent
    while current is not None and current.type in (
        "parenthesized_expression",
        "condition_clause",
        "cast_expression",
    ):
        current = current.parent
    if current is not None and current.type == "switch_statement":
        return current
    variable: str | None = None
    if current is not None and current.type == "init_declarator":
        declarator = current.child_by_field_name("declarator")
        variable = _ts.text(declarator) if declarator is not None else None
    elif current is not None and current.type == "assignment_expression":
        variable = _ts.text(current.child_by_field_name("left"))
    if not variable:
        return None
    statement = current
    while (
        statement is not None
        and statement.parent is not None
        and (statement.parent.type != "compound_statement")
    ):
        statement = statement.parent
    sibling = statement.next_named_sibling if statement is not None else None
    for _ in range(4):
        if sibling is None:
            return None
        if sibling.type == "switch_statement":
            condition = sibling.child_by_field_name("condition")
            return sibling if _ts.text(condition).strip("() ") == variable else None
        sibling = sibling.next_named_sibling
    return None


def _arm_for(
    key: str | None, index: int, arms: list[tuple[str, list[ts.Node]]], enums: Mapping[str, int]
) -> list[ts.Node] | None:
    for label, body in arms:
        if key is not None and label == key:
            return body
        if key is None and (enums.get(label) == index or (label.isdigit() and int(label) == index)):
            return body
    return None
