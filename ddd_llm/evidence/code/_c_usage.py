"""What a C program's usage text says of each option: the default and the values it accepts,
as the help printed by `usage()` writes them.

    printf("  -w, --workers=<n>   worker threads (default: 4)\n"
           "   - log_format:      text or json (default: text)\n"
           "                      valid values are 0(off), 1(on) or 2(auto)\n");

An entry opens with an option (`-w, --workers`, `--workers`, `- log_format:`) and runs on
over the lines that open no other option; its default is the literal after `default:`,
`default is` or `defaults to` (a `%d` the code fills in is no literal: the code's value is read
where the setting is initialised), its range the smallest and largest number of a list after
`valid values are` or `one of`. The text is what the program tells its operator, so it only
fills in what the code leaves open (a default set to a library's constant, a value checked by
a function of another file)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter as ts

from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._c_arms import callee
from ddd_llm.models import Number

_PRINTS = re.compile(r"^(?:f?printf|puts|fputs|f?print_usage|usage_line)$")
_HEADER = re.compile(
    r"^\s*(?:-(?P<short>[A-Za-z0-9])\b(?:,?\s*--(?P<long>[A-Za-z0-9][\w-]*))?"
    r"|--(?P<only>[A-Za-z0-9][\w-]*)"
    r"|-\s+(?P<sub>[A-Za-z][\w-]*):)"
)
_DEFAULT = re.compile(
    r"(?i)\bdefault(?:s\s+to|\s+is|:)\s+\"?(?P<value>[^\s,;()\"]+?)\"?(?=[).;,(]|\s*$)"
)
"""`(default: PEM)`, `default is 0(None).`: one word or number that ends the phrase (`default:
1 percent of …` is a sentence, not a value)."""
_MACRO = re.compile(r"^[A-Z][A-Z0-9]*_[A-Z0-9_]+$")
"""`INADDR_ANY`: a C constant's name, not a value an operator writes."""
_VALUES = re.compile(
    r"(?i)\b(?:valid values (?:are|:)|one of|accepted values (?:are|:))\s*"
    r"(?P<list>-?\d+(?:\s*\([^)]*\))?(?:\s*,?\s*(?:or\s+|and\s+)?-?\d+(?:\s*\([^)]*\))?)+)"
)
_NUMBER = re.compile(r"(?:^|[\s,])(?:or\s+|and\s+)?(-?\d+)")


@dataclass(frozen=True)
class Usage:
    """One option's entry of the usage text."""

    names: tuple[str, ...]
    """`--workers` and `-w`, or a sub-option's `log_format`."""
    default: str | None
    low: Number | None
    high: Number | None
    line: int
    end_line: int


def usage_entries(root: ts.Node) -> list[Usage]:
    """Every option entry of the text the file's print calls write, per function. Text
    split by `#ifdef` is read whole (whether a library defines the macro is not known here):
    of several value lists, the range spans them all."""
    out: list[Usage] = []
    for lines in _printed_lines(root):
        out.extend(_entries(lines))
    return out


def _printed_lines(root: ts.Node) -> list[list[tuple[str, int]]]:
    """Per function, the lines its print calls write (string literals only, in order), each
    with the source line its text starts on."""
    texts: dict[int, list[tuple[str, int]]] = {}
    for node in _ts.walk(root):
        if node.type != "call_expression" or not _PRINTS.match(callee(node)):
            continue
        function = node.parent
        while function is not None and function.type not in (
            "function_definition",
            "translation_unit",
        ):
            function = function.parent
        key = function.id if function is not None else 0
        args = node.child_by_field_name("arguments")
        for sub in _ts.walk(args) if args is not None else iter(()):
            if sub.type == "string_literal":
                value = _ts.string_value(sub)
                if value:
                    texts.setdefault(key, []).append((value, _ts.line(sub)))
    out: list[list[tuple[str, int]]] = []
    for pieces in texts.values():
        lines: list[tuple[str, int]] = []
        current, start = "", 0
        for text, line in pieces:
            parts = text.split("\n")
            if not current:
                start = line
            current += parts[0]
            for part in parts[1:]:
                lines.append((current, start))
                current, start = part, line
        if current:
            lines.append((current, start))
        out.append(lines)
    return out


def _entries(lines: list[tuple[str, int]]) -> list[Usage]:
    out: list[Usage] = []
    names: tuple[str, ...] = ()
    text: list[str] = []
    first = last = 0

    def close() -> None:
        if names:
            out.append(_entry(names, " ".join(text), first, last))

    for line, at in lines:
        header = _HEADER.match(line)
        if header is not None:
            close()
            short, long = header.group("short"), header.group("long") or header.group("only")
            sub = header.group("sub")
            names = tuple(
                n for n in (f"--{long}" if long else None, f"-{short}" if short else None, sub) if n
            )
            text, first, last = [line[header.end() :]], at, at
        elif names and line.strip():
            text.append(line)
            last = at
        else:
            close()
            names, text = (), []
    close()
    return out


def _entry(names: tuple[str, ...], text: str, first: int, last: int) -> Usage:
    flat = " ".join(text.split())
    found = _DEFAULT.search(flat)
    default = found.group("value").rstrip(".:") if found else None
    if default is not None and (
        "%" in default or not default or _MACRO.match(default) or default in names
    ):
        default = None
    low = high = None
    for values in _VALUES.finditer(flat):
        listed = re.sub(r"\([^)]*\)", "", values.group("list"))
        numbers = [int(n) for n in _NUMBER.findall(" " + listed)]
        if len(numbers) >= 2:
            low = min(numbers) if low is None else min(low, *numbers)
            high = max(numbers) if high is None else max(high, *numbers)
    return Usage(names, default, low, high, first, last)
