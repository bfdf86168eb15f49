"""C and C++ analyzer: getenv reads, getopt options, option tables, health paths and ports.

Read with tree-sitter (`queries/c-*.scm`, `queries/cpp-*.scm`); the option tables a C server
declares all its settings in are decoded by `_option_tables` from their shape alone."""

from __future__ import annotations

import re

import tree_sitter as ts

from ddd_llm.evidence.base import register
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._option_tables import (
    C_SYNTAX,
    cell_of,
    find_option_tables,
    row_of,
    words,
)
from ddd_llm.evidence.code._param_facts import (
    ENV,
    FLAG,
    Collector,
    Param,
    TreeSitterAnalyzer,
)
from ddd_llm.models import ValueType

NAME = "c_code"

_CONVERSIONS: dict[str, ValueType] = {
    "atoi": "int",
    "atol": "int",
    "atoll": "int",
    "strtol": "int",
    "strtoul": "int",
    "strtoll": "int",
    "strtoull": "int",
    "strtoimax": "int",
    "strtoumax": "int",
    "stoi": "int",
    "stol": "int",
    "stoul": "int",
    "stoll": "int",
    "stoull": "int",
    "atof": "float",
    "strtod": "float",
    "strtof": "float",
    "stod": "float",
    "stof": "float",
}
_WRAPPERS = frozenset({"parenthesized_expression", "cast_expression"})
_FATAL = re.compile(r"^(exit|_exit|abort|die|fatal|err|errx|panic|fatal_error|log_fatal)$")
_NOT_ROUTES = re.compile(
    r"(?i)(^|_)(f?open|stat|lstat|access|unlink|mkdir|rmdir|chdir|opendir|realpath|"
    r"[sfv]*n?printf|puts|fputs|log\w*|syslog|perror|strcpy|strcat|strlcpy|strlcat|memcpy)$"
)
_GFLAG_TYPES: dict[str, ValueType] = {"bool": "bool", "double": "float", "string": "string"}
_HAS_ARG = {"no_argument": "no", "required_argument": "required", "optional_argument": "optional"}


def _unwrap_up(node: ts.Node) -> ts.Node:
    """The outermost node that is `node` in parentheses or a cast."""
    current = node
    while current.parent is not None and current.parent.type in _WRAPPERS:
        current = current.parent
    return current


def _literal(node: ts.Node | None, constants: dict[str, str]) -> str | None:
    """A default as written: a string's value, a number, true/false or a char; else None."""
    if node is None:
        return None
    cell = cell_of(node, constants)
    if cell.kind == "string":
        return cell.value
    if cell.kind in ("number", "bool"):
        return cell.text
    return None


def _callee_name(call: ts.Node) -> str:
    function = call.child_by_field_name("function")
    if function is None:
        return ""
    name = function.child_by_field_name("name") or function.child_by_field_name("field")
    return _ts.text(name if name is not None else function)


class _Reader:
    """One C or C++ file: its constants, macros and what each query finds."""

    def __init__(self, grammar: str, root: ts.Node, out: Collector) -> None:
        self.grammar = grammar
        self.root = root
        self.out = out
        self.constants: dict[str, str] = {}
        self.macros: dict[str, list[str]] = {}
        for match in _ts.matches(grammar, "tables", root):
            const, value = match.node("const"), match.node("value")
            if const is not None and value is not None:
                self.constants.setdefault(_ts.text(const), _ts.text(value).strip())
            macro, params = match.node("macro"), match.node("params")
            if macro is not None and params is not None:
                self.macros[_ts.text(macro)] = [
                    _ts.text(p) for p in params.named_children if p.type == "identifier"
                ]
        self._initials: dict[str, ts.Node] | None = None

    # --- environment ------------------------------------------------------------------

    def env(self) -> None:
        for match in _ts.matches(self.grammar, "env", self.root):
            call, name_node = match.node("call"), match.node("name")
            if call is None or name_node is None:
                continue
            cell = cell_of(name_node, self.constants)
            if cell.kind != "string" or not cell.value:
                self.out.candidate(
                    _ts.line(call), _ts.end_line(call), "environment read with a computed name"
                )
                continue
            param = self.out.at(cell.value, ENV, call)
            self._env_use(call, param)
            self.out.param(param)

    def _env_use(self, call: ts.Node, param: Param) -> None:
        node = _unwrap_up(call)
        parent = node.parent
        if parent is not None and parent.type == "argument_list" and parent.parent is not None:
            converter = _CONVERSIONS.get(_callee_name(parent.parent))
            if converter is not None:
                param.value_type = converter
                node = _unwrap_up(parent.parent)
                parent = node.parent
        if parent is None:
            return
        if parent.type == "conditional_expression":
            alternative = parent.child_by_field_name("alternative")
            if alternative is not None and alternative != node:
                param.default = _literal(alternative, self.constants)
            return
        variable = self._bound_variable(node, parent)
        if variable is not None:
            self._fallback(parent, variable, param)

    @staticmethod
    def _bound_variable(node: ts.Node, parent: ts.Node) -> str | None:
        if parent.type == "init_declarator" and parent.child_by_field_name("value") == node:
            declarator = parent.child_by_field_name("declarator")
            while declarator is not None and declarator.type != "identifier":
                declarator = declarator.child_by_field_name("declarator")
            return _ts.text(declarator) if declarator is not None else None
        if parent.type == "assignment_expression" and parent.child_by_field_name("right") == node:
            left = parent.child_by_field_name("left")
            return _ts.text(left) if left is not None else None
        return None

    def _fallback(self, anchor: ts.Node, variable: str, param: Param) -> None:
        """`if (!p) p = "d";`, `if (p == NULL) { fprintf(…); exit(1); }`, `p ? atoi(p) : 8080`
        in the statements that follow the read."""
        statement = anchor
        while (
            statement.parent is not None
            and not statement.type.endswith("statement")
            and (statement.type != "declaration")
        ):
            statement = statement.parent
        sibling = statement.next_named_sibling
        for _ in range(6):
            if sibling is None:
                return
            if sibling.type == "if_statement" and self._tests_missing(sibling, variable):
                consequence = sibling.child_by_field_name("consequence")
                for sub in _ts.walk(consequence) if consequence is not None else iter(()):
                    if sub.type == "assignment_expression":
                        left = sub.child_by_field_name("left")
                        if _ts.text(left) == variable:
                            param.default = _literal(
                                sub.child_by_field_name("right"), self.constants
                            )
                            return
                    if sub.type == "call_expression" and _FATAL.match(_callee_name(sub)):
                        param.required = True
                        return
            for sub in _ts.walk(sibling):
                if sub.type == "conditional_expression":
                    condition = sub.child_by_field_name("condition")
                    if condition is not None and _ts.text(condition).strip("() ") == variable:
                        param.default = _literal(
                            sub.child_by_field_name("alternative"), self.constants
                        )
                        return
            sibling = sibling.next_named_sibling

    @staticmethod
    def _tests_missing(if_statement: ts.Node, variable: str) -> bool:
        condition = if_statement.child_by_field_name("condition")
        text = re.sub(r"\s+", "", _ts.text(condition))
        v = re.escape(variable)
        return bool(
            re.search(rf"!{v}(?![\w.\->\[])|{v}==(NULL|0|nullptr)|(NULL|nullptr)=={v}", text)
        )

    # --- getopt -----------------------------------------------------------------------

    def getopt(self) -> list[ts.Node]:
        """Long options from `struct option` tables, short ones from optstrings; returns the
        tables read, so the generic table reader skips them."""
        tables: list[ts.Node] = []
        cases: dict[str, ts.Node] = {}
        optstrings: list[tuple[ts.Node, ts.Node]] = []
        for match in _ts.matches(self.grammar, "flags", self.root):
            table, char, case = match.node("table"), match.node("char"), match.node("case")
            if table is not None:
                tables.append(table)
            if char is not None and case is not None:
                cases.setdefault(_ts.text(char).strip("'"), case)
            call, optstring = match.node("call"), match.node("optstring")
            if call is not None and optstring is not None:
                optstrings.append((call, optstring))
            self._gflag(match)
        long_for: dict[str, str] = {}
        for table in tables:
            for row_node in table.named_children:
                self._long_option(row_node, cases, long_for)
        for call, optstring in optstrings:
            self._short_options(call, optstring, cases, long_for)
        return tables

    def _gflag(self, match: _ts.Match) -> None:
        """gflags' DEFINE_int32(port, 8080, "help"); Abseil's ABSL_FLAG as a candidate."""
        absl = match.node("absl")
        if absl is not None:
            self.out.candidate(_ts.line(absl), _ts.line(absl), "Abseil flag ABSL_FLAG(...)")
            return
        call, name = match.node("gflags"), match.node("flag_name")
        if call is None or name is None:
            return
        param = self.out.at(f"--{_ts.text(name)}", FLAG, call)
        kind = _ts.text(match.node("gflag")).split("_", 1)[1]
        param.value_type = _GFLAG_TYPES.get(kind, "int")
        param.default = _literal(match.node("flag_default"), self.constants)
        help_node = match.node("flag_help")
        param.help = cell_of(help_node, self.constants).value if help_node is not None else None
        self.out.param(param)

    def _long_option(
        self, row_node: ts.Node, cases: dict[str, ts.Node], long_for: dict[str, str]
    ) -> None:
        row = row_of(row_node, C_SYNTAX, self.constants)
        if row is None or not row.cells or row.cells[0].kind != "string":
            return
        name = row.cells[0].value or ""
        has_arg = _HAS_ARG.get(row.cells[1].text, "") if len(row.cells) > 1 else ""
        if has_arg == "" and len(row.cells) > 1 and row.cells[1].text in ("0", "1", "2"):
            has_arg = ("no", "required", "optional")[int(row.cells[1].text)]
        short = row.cells[3].value if len(row.cells) > 3 and row.cells[3].kind == "char" else None
        param = self.out.at(f"--{name}", FLAG, row_node)
        if has_arg == "no":
            param.value_type = "bool"
        if short:
            long_for[short] = name
            param.note = f" (short -{short})"
            self._case_value(cases.get(short), param)
        self.out.param(param)

    def _short_options(
        self, call: ts.Node, optstring: ts.Node, cases: dict[str, ts.Node], long_for: dict[str, str]
    ) -> None:
        text = self._string_or_variable(optstring)
        if text is None:
            self.out.candidate(
                _ts.line(call), _ts.end_line(call), "getopt with a computed optstring"
            )
            return
        letters = re.findall(r"([A-Za-z0-9?])(:{0,2})", text.lstrip("+-:"))
        undecoded: list[str] = []
        for letter, colons in letters:
            if letter in long_for or letter in "?hV":
                continue
            case = cases.get(letter)
            param = self.out.at(f"-{letter}", FLAG, case if case is not None else call)
            param.value_type = None if colons else "bool"
            if case is None or not self._case_value(case, param):
                undecoded.append(letter)
                continue
            self.out.param(param)
        if undecoded:
            self.out.candidate(
                _ts.line(call),
                _ts.end_line(call),
                "getopt short options " + " ".join(f"-{c}" for c in undecoded),
            )

    def _string_or_variable(self, node: ts.Node) -> str | None:
        cell = cell_of(node, self.constants)
        if cell.kind == "string":
            return cell.value
        if node.type == "identifier":
            initial = self.initials().get(_ts.text(node))
            if initial is not None:
                value = cell_of(initial, self.constants)
                return value.value if value.kind == "string" else None
        return None

    def _case_value(self, case: ts.Node | None, param: Param) -> bool:
        """The variable a `case 'p':` stores `optarg` (or a constant) in, and its literal
        initial value elsewhere in the file as the default."""
        if case is None:
            return False
        for sub in _ts.walk(case):
            if sub.type != "assignment_expression":
                continue
            left, right = sub.child_by_field_name("left"), sub.child_by_field_name("right")
            if left is None or right is None:
                continue
            target = _ts.text(left)
            uses_optarg = "optarg" in _ts.text(right)
            if not uses_optarg and param.value_type != "bool":
                continue
            if uses_optarg:
                converters = [
                    _CONVERSIONS[_callee_name(c)]
                    for c in _ts.walk(right)
                    if c.type == "call_expression" and _callee_name(c) in _CONVERSIONS
                ]
                param.value_type = converters[0] if converters else param.value_type or "string"
            if param.value_type == "bool":
                # the flag flips a variable: its initial value is not the flag's default
                param.note = (param.note + f" (sets {target})")[:120]
                return True
            initial = self.initials().get(target)
            default = _literal(initial, self.constants) if initial is not None else None
            factor = self._scale(right)
            if default is not None and initial is not None and factor != 1:
                # `maxbytes = atoi(optarg) * 1024 * 1024`: the flag is in the scaled unit
                number = cell_of(initial, self.constants).number
                default = _per(number, factor) if number is not None else None
            if default is not None and initial is not None:
                param.default = default
                param.lines.append((_ts.line(initial), _ts.end_line(initial)))
            param.note = (param.note + f" (stored in {target})")[:120]
            return True
        return False

    def _scale(self, node: ts.Node) -> int:
        """The constant factor `optarg`'s number is multiplied by (`atoi(optarg) * 1024`)."""
        current = node
        factor = 1
        for _ in range(8):
            while current.type in _WRAPPERS and current.named_children:
                current = current.named_children[-1]
            if (
                current.type != "binary_expression"
                or _ts.text(current.child_by_field_name("operator")) != "*"
            ):
                return factor
            left, right = current.child_by_field_name("left"), current.child_by_field_name("right")
            if left is None or right is None:
                return factor
            inner, other = (left, right) if "optarg" in _ts.text(left) else (right, left)
            number = cell_of(other, self.constants).number
            if not isinstance(number, int) or number <= 0:
                return 1
            factor *= number
            current = inner
        return factor

    def initials(self) -> dict[str, ts.Node]:
        """The first literal each variable or field is given outside the option switch:
        `int port = 8080;`, `settings.port = 11211;` in an init function."""
        if self._initials is not None:
            return self._initials
        found: dict[str, ts.Node] = {}
        for node in _ts.walk(self.root):
            if node.type == "init_declarator":
                declarator, value = (
                    node.child_by_field_name("declarator"),
                    node.child_by_field_name("value"),
                )
                while declarator is not None and declarator.type not in ("identifier",):
                    declarator = declarator.child_by_field_name("declarator")
                if declarator is not None and value is not None:
                    found.setdefault(_ts.text(declarator), value)
            elif node.type == "assignment_expression" and _in_init_function(node):
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is not None and right is not None and _literal(right, self.constants):
                    found.setdefault(_ts.text(left), right)
        self._initials = found
        return found

    # --- tables, health, ports ----------------------------------------------------------

    def tables(self, skip: list[ts.Node]) -> None:
        self.out.tables(
            find_option_tables(
                self.root, C_SYNTAX, constants=self.constants, macro_params=self.macros, skip=skip
            )
        )

    def health(self) -> None:
        for match in _ts.matches(self.grammar, "health", self.root):
            call, path = match.node("call"), match.node("path")
            if call is None or path is None:
                continue
            value = _ts.string_value(path)
            if value and value.startswith("/") and " " not in value:
                if not _NOT_ROUTES.search(_callee_name(call)):
                    self.out.route(value, call)

    def ports(self) -> None:
        for match in _ts.matches(self.grammar, "ports", self.root):
            call, port = match.node("call"), match.node("port")
            if call is not None and port is not None:
                self.out.port(_ts.text(port), "htons", call)


def _per(number: int | float, factor: int) -> str | None:
    value = number / factor
    if value != int(value):
        return None
    return str(int(value))


_INIT_WORDS = frozenset({"init", "default", "defaults", "reset", "setup", "initialize"})


def _in_init_function(node: ts.Node) -> bool:
    """Inside a function named for setting defaults (`settings_init`, `set_defaults`)."""
    current = node.parent
    while current is not None and current.type != "function_definition":
        current = current.parent
    if current is None:
        return False
    declarator = current.child_by_field_name("declarator")
    while declarator is not None and declarator.type not in ("identifier", "field_identifier"):
        declarator = declarator.child_by_field_name("declarator")
    return bool(set(words(_ts.text(declarator))) & _INIT_WORDS) if declarator else False


class CCodeAnalyzer(TreeSitterAnalyzer):
    """Reads C and C++ sources (not tests, not vendored code)."""

    name = NAME
    grammars = {
        ".c": "c",
        ".h": "c",
        ".cc": "cpp",
        ".cpp": "cpp",
        ".cxx": "cpp",
        ".hpp": "cpp",
        ".hh": "cpp",
        ".hxx": "cpp",
    }

    def read(self, grammar: str, root: ts.Node, out: Collector) -> None:
        reader = _Reader(grammar, root, out)
        reader.env()
        skip = reader.getopt()
        reader.tables(skip)
        reader.health()
        reader.ports()


register(CCodeAnalyzer())
