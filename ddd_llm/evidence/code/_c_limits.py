"""The open-file limit a C program raises for itself: `rlim.rlim_cur = settings.maxconns;
setrlimit(RLIMIT_NOFILE, &rlim)` needs as many descriptors as connections, and a start that
fails when the process may not raise its limit (query: queries/c-limits.scm)."""

from __future__ import annotations

import re

import tree_sitter as ts

from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._param_facts import Collector
from ddd_llm.models import ResourceRequirement

_SOFT = re.compile(r"\.\s*rlim_(?:cur|max)$|->\s*rlim_(?:cur|max)$")


def _function(node: ts.Node) -> ts.Node | None:
    """The function around `node`; where the parser lost it (an `#ifdef` inside a long
    `main` leaves an ERROR node), the outermost statement around it that did parse."""
    top: ts.Node | None = None
    while node.parent is not None and node.type != "function_definition":
        if node.parent.type in ("ERROR", "translation_unit"):
            top = node
            break
        node = node.parent
    return node if node.type == "function_definition" else top


def _limit_set(call: ts.Node) -> tuple[str, int, int] | None:
    """The value the last `x.rlim_cur = value;` (or `rlim_max`) before the call sets, and
    the lines of the run of such assignments it ends."""
    body = _function(call)
    if body is None:
        return None
    found: dict[int, str] = {}
    stack = [body]
    while stack:
        node = stack.pop()
        if node.start_byte > call.start_byte:
            continue
        if node.type == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None and _SOFT.search(_ts.text(left)):
                found[_ts.line(node)] = _ts.text(right)
        stack.extend(node.children)
    if not found:
        return None
    last = max(found)
    first = last
    while first - 1 in found and found[first - 1] == found[last]:
        first -= 1
    return found[last], first, last


def file_limits(grammar: str, root: ts.Node, out: Collector) -> None:
    """One file_descriptors requirement per file that raises RLIMIT_NOFILE, citing the call
    and the line that sets the new limit; a literal limit is the requirement's limit, an
    option's variable is named with the option that sets it."""
    for match in _ts.matches(grammar, "limits", root):
        call = match.node("call")
        if call is None:
            continue
        lines = [(_ts.line(call), _ts.end_line(call))]
        limit: str | None = None
        said = ""
        setting = _limit_set(call)
        if setting is not None:
            value, first, _last = setting
            lines = [(first, lines[0][1])]  # one span: the new limit, then the call
            if value.isdigit():
                limit = value
            said = f" to {value}"
            option = next(
                (p.name for p in out.params.values() if f"(stored in {value})" in p.note), None
            )
            if option:
                said += f" (option {option})"
        out.result.facts.append(
            ResourceRequirement(
                resource="file_descriptors",
                limit=limit,
                summary=f"raises its open-file limit (RLIMIT_NOFILE){said} at start",
                citations=[out.source.cite(a, b) for a, b in lines],
            )
        )
        return
