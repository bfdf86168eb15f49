"""Defaults a C program keeps in another file: the option is parsed in `main.c`, its setting
initialised in `tls.c`'s `tls_init_settings()` or to a constant `#define`d in a header.

Each file leaves its `#define`s and the initial values it gives file-scope variables and (in
an init function) fields; an option whose stored-in field has no value in its own file is
reported without a default, and completed once every file was read, by the field's name (or,
if unique, its last member name). A name given different values in different files resolves
to nothing."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import tree_sitter as ts

from ddd_llm.evidence.base import SourceFile
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._c_usage import Usage
from ddd_llm.evidence.code._c_values import evaluate
from ddd_llm.evidence.code._option_cells import cell_of
from ddd_llm.evidence.code._param_facts import Param
from ddd_llm.models import ConfigParameter

_CONFLICT = ""
"""Marks a name two files give different values."""


@dataclass
class Pending:
    """An option parsed in `source` whose default lives elsewhere."""

    source: SourceFile
    param: Param
    fact: ConfigParameter
    """The fact already reported for it, completed in place."""
    target: str
    factor: int = 1
    switch_on: bool = False
    """A switch that stores true: its default is the target's initial true/false."""
    suffixes: dict[str, int] = field(default_factory=dict)
    """A size option's suffixes (`k` → 1024): its default is written with them."""


@dataclass
class PendingBounds:
    """An option parsed in `source` that checks after parsing bound with a constant another
    file defines (`if (conf.size > MAX_SIZE) exit(1);`, MAX_SIZE in a header)."""

    source: SourceFile
    param: Param
    fact: ConfigParameter
    compared: list[tuple[str, str, tuple[int, int]]]
    """(operator, bound as written, lines of the check), the option on the left."""


@dataclass
class Undocumented:
    """An option the code leaves without a default or a range: the usage text may say."""

    source: SourceFile
    param: Param
    fact: ConfigParameter


@dataclass(frozen=True)
class Initial:
    text: str
    path: str
    line: int


class Project:
    """What every C file of one run said, for the options that wait for it."""

    def __init__(self) -> None:
        self.constants: dict[str, str] = {}
        self.initials: dict[str, Initial | None] = {}
        self.pending: list[Pending] = []
        self.bounds: list[PendingBounds] = []
        self.usage: dict[str, tuple[Usage, str] | None] = {}
        self.undocumented: list[Undocumented] = []

    def add_constants(self, constants: Mapping[str, str]) -> None:
        for name, text in constants.items():
            known = self.constants.setdefault(name, text)
            if known != text:
                self.constants[name] = _CONFLICT

    def add_initials(self, path: str, found: Iterable[tuple[str, str, int]]) -> None:
        """(name, value as written, line) of each setting a file starts with a value."""
        for name, text, line in found:
            initial = Initial(text, path, line)
            known = self.initials.setdefault(name, initial)
            if known is not None and known.text != initial.text:
                self.initials[name] = None

    def add_usage(self, path: str, entries: Iterable[Usage]) -> None:
        """The usage text's entries by option name; a name two entries say differently of
        resolves to nothing."""
        for entry in entries:
            for name in entry.names:
                known = self.usage.setdefault(name, (entry, path))
                if known is not None and known[0] != entry:
                    self.usage[name] = None

    def lookup(self, target: str) -> Initial | None:
        if target in self.initials:
            return self.initials[target]
        member = re.split(r"\.|->", target)[-1]
        if member == target:
            return None
        same = [
            initial
            for name, initial in self.initials.items()
            if name != member and re.split(r"\.|->", name)[-1] == member
        ]
        return same[0] if len(same) == 1 else None

    def value(
        self, initial: Initial, evaluate: Callable[[ts.Node, dict[str, str]], str | None]
    ) -> tuple[str | None, ts.Node | None]:
        """The initial value's text evaluated with every file's constants."""
        constants = {k: v for k, v in self.constants.items() if v != _CONFLICT}
        node = _expression(initial.text)
        if node is None:
            return None, None
        return evaluate(node, constants), node

    def number(self, node: ts.Node) -> int | float | None:
        constants = {k: v for k, v in self.constants.items() if v != _CONFLICT}
        return cell_of(node, constants).number

    def number_of(self, text: str, depth: int = 0) -> int | float | None:
        """A bound as written (`MAX_SIZE`, `(64 * KB)`) evaluated with every file's constants,
        a constant's own body too (`#define MAX_SIZE 1024 * 1024 * 1024`)."""
        node = _expression(text)
        if node is None or depth > 6:
            return None

        def constant(name: str) -> int | float | None:
            body = self.constants.get(name)
            return self.number_of(body, depth + 1) if body else None

        return evaluate(node, {}, constant)

    def clear(self) -> None:
        self.constants.clear()
        self.initials.clear()
        self.pending.clear()
        self.bounds.clear()
        self.usage.clear()
        self.undocumented.clear()


def _expression(text: str) -> ts.Node | None:
    """A C expression's syntax node, parsed as an initialiser (`int __value = TEXT;`)."""
    tree = _ts.parse("c", f"int __value = {text};")
    return next(
        (
            n.child_by_field_name("value")
            for n in _ts.walk(tree.root_node)
            if n.type == "init_declarator"
        ),
        None,
    )
