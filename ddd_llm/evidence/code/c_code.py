"""C and C++ analyzer: getenv reads, getopt options, option tables, health paths and ports.

Read with tree-sitter (`queries/c-*.scm`, `queries/cpp-*.scm`); the option tables a C server
declares all its settings in are decoded by `_option_tables` from their shape alone."""

from __future__ import annotations

import re

import tree_sitter as ts

from ddd_llm.evidence.base import AnalyzerResult, SourceFile, register
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._c_arms import (
    Arm,
    arm_body,
    bounds_of,
    callee,
    converter_type,
    guard_bounds,
    passed_on,
    read_arm,
    rejected_comparisons,
    scale,
    unit_suffixes,
    with_suffix,
)
from ddd_llm.evidence.code._c_join import Pending, PendingBounds, Project, Undocumented
from ddd_llm.evidence.code._c_limits import file_limits
from ddd_llm.evidence.code._c_subopts import sub_options
from ddd_llm.evidence.code._c_usage import usage_entries
from ddd_llm.evidence.code._c_values import (
    defines,
    evaluate,
    is_reference,
    preprocessor_arm,
    references,
)
from ddd_llm.evidence.code._option_tables import (
    C_SYNTAX,
    cell_of,
    find_option_tables,
    number_of,
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
from ddd_llm.models import Citation, ConfigParameter, Number, ResourceRequirement, ValueType

NAME = "c_code"
SUBOPTION = "sub-option"

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
    """A default as written: a string's value, a literal number as written (`0700`, `0x10`),
    a constant expression or `#define`d name as its value (`64 * 1024` → 65536), true/false or
    a char's character; else None."""
    if node is None:
        return None
    cell = cell_of(node, constants)
    if cell.kind == "string":
        return cell.value
    if cell.kind == "bool":
        return cell.text
    if cell.kind == "char":
        return cell.value if cell.value and len(cell.value) == 1 else None
    if cell.kind == "number":
        if number_of(cell.text) is not None or cell.number is None:
            return cell.text
        return _number_text(cell.number)
    return None


def _number_text(number: int | float) -> str:
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return str(int(number))
    return str(number)


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
        self.computed: dict[int, Number] = {}
        """Starting values computed from other settings, by the expression node's id."""
        self.alternatives: dict[str, list[str]] = {}
        """Values another build gives a setting (the `#ifdef` arm not taken by default)."""
        self.scales: dict[str, int] = {}
        """Options whose number the code multiplies before storing it (`-m 64` → bytes)."""
        self.waiting: list[tuple[str, str, int, bool]] = []
        """Options whose default waits for other files: (name, target, factor, switch_on)."""
        self.suffixes: dict[str, dict[str, int]] = {}
        """Size options by name: the suffixes each takes (`k` → 1024), for its default."""
        self.stored: list[tuple[Param, str]] = []
        """Options whose number is stored as given, with where (for checks after parsing)."""
        self.option_calls: list[ts.Node] = []
        self.checks: list[tuple[str, list[tuple[str, str, tuple[int, int]]]]] = []
        """Checks after parsing whose bound another file defines: (option, [(op, bound as
        written, lines of the check)])."""

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
            converter = _CONVERSIONS.get(callee(parent.parent))
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
                    if sub.type == "call_expression" and _FATAL.match(callee(sub)):
                        param.required = True
                        return
            if sibling.type == "if_statement" and self._tests_present(sibling, variable):
                if self._copied_from(sibling, variable, param):
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

    def _copied_from(self, if_statement: ts.Node, variable: str, param: Param) -> bool:
        """`if (p != NULL) { n = atoi(p); }`: the variable converted into a setting whose
        initial value is the default."""
        consequence = if_statement.child_by_field_name("consequence")
        for sub in _ts.walk(consequence) if consequence is not None else iter(()):
            if sub.type != "assignment_expression":
                continue
            left, right = sub.child_by_field_name("left"), sub.child_by_field_name("right")
            if left is None or right is None or _ts.text(left) == variable:
                continue
            while right.type in _WRAPPERS and right.named_children:
                right = right.named_children[-1]
            converted = converter_type(callee(right)) if right.type == "call_expression" else None
            arguments = right.child_by_field_name("arguments") if converted else None
            first = arguments.named_children[0] if arguments and arguments.named_children else None
            if converted is None or first is None or _ts.text(first) != variable:
                continue
            param.value_type = converted
            initial = self.initial_of(_ts.text(left))
            default = self.value_text(initial) if initial is not None else None
            if initial is not None and default is not None:
                param.default = default
                param.lines.append((_ts.line(initial), _ts.end_line(initial)))
            return True
        return False

    @staticmethod
    def _tests_present(if_statement: ts.Node, variable: str) -> bool:
        condition = if_statement.child_by_field_name("condition")
        text = re.sub(r"\s+", "", _ts.text(condition)).strip("()")
        v = re.escape(variable)
        return bool(re.fullmatch(rf"{v}|{v}!=(NULL|0|nullptr)|(NULL|nullptr)!={v}", text))

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
        every_case: dict[str, list[ts.Node]] = {}
        optstrings: list[tuple[ts.Node, ts.Node]] = []
        for match in _ts.matches(self.grammar, "flags", self.root):
            table, char, case = match.node("table"), match.node("char"), match.node("case")
            if table is not None:
                tables.append(table)
            if char is not None and case is not None:
                every_case.setdefault(_ts.text(char).strip("'"), []).append(case)
            call, optstring = match.node("call"), match.node("optstring")
            if call is not None and optstring is not None:
                optstrings.append((call, optstring))
                self.option_calls.append(call)
            self._gflag(match)
        cases = _option_cases(every_case)
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
        if short and _prints_and_exits(cases.get(short)):
            long_for[short] = name
            return  # `--license`, `--version`: print and exit, configure nothing
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
            if _prints_and_exits(case):
                continue
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
        for sub in (n for top in arm_body(case) for n in [top, *_ts.walk(top)]):
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
                    _CONVERSIONS[callee(c)]
                    for c in _ts.walk(right)
                    if c.type == "call_expression" and callee(c) in _CONVERSIONS
                ]
                param.value_type = converters[0] if converters else param.value_type or "string"
            if param.value_type == "bool":
                # the flag flips a variable: its initial value is not the flag's default
                param.note = (param.note + f" (sets {target})")[:120]
                return True
            suffixes: dict[str, int] = {}
            if uses_optarg and not re.search(r"\.|->", target):
                # `buf = strdup(optarg); n = atoi(buf); conf.size = n;`: the setting is conf.size
                settled, converted, holders = passed_on(arm_body(case), target)
                if settled != target:
                    target, param.value_type = settled, converted or param.value_type
                    suffixes = unit_suffixes(arm_body(case), holders)
                    if suffixes:
                        param.value_type = "size"
                        said = f" ({'/'.join(sorted(suffixes))} suffixes)"
                        param.note = (param.note + said)[:120]
                        self.suffixes[param.name] = suffixes
            initial = self.initial_of(target)
            default = self.value_text(initial) if initial is not None else None
            factor = scale(right, "optarg", self.constants)
            if factor != 1:
                self.scales[param.name] = factor
            if default is not None and initial is not None and factor != 1:
                # `maxbytes = atoi(optarg) * 1024 * 1024`: the flag is in the scaled unit
                number = self.value_number(initial)
                default = _per(number, factor) if number is not None else None
            elif default is not None and initial is not None and suffixes:
                number = self.value_number(initial)
                default = with_suffix(number, suffixes) if number is not None else default
            if default is not None and initial is not None:
                param.default = default
                param.lines.append((_ts.line(initial), _ts.end_line(initial)))
                self._other_builds(param, target)
            else:
                self._wait(param, target, factor, switch_on=False)
            param.note = (param.note + f" (stored in {target})")[:120]
            if factor == 1:  # guards test the stored number, in the flag's unit
                param.low, param.high = guard_bounds(
                    arm_body(case), target, param.value_type, self.constants
                )
                if param.low is not None or param.high is not None:
                    param.range_source = "declared"
                self.stored.append((param, target))
            return True
        arm = read_arm(arm_body(case), "optarg", self.constants)
        if arm.choices:
            self._choose(arm, param)
            return True
        return False

    def _choose(self, arm: Arm, param: Param) -> None:
        """A `strcmp` chain: the literals it accepts, and as default the one whose branch
        stores what the variable starts with."""
        param.value_type = "enum"
        param.allowed = list(dict.fromkeys(literal for literal, _, _ in arm.choices))
        for literal, target, stored in arm.choices:
            initial = self.initial_of(target)
            if initial is not None and _ts.text(initial) == stored:
                param.default = literal
                param.lines.append((_ts.line(initial), _ts.end_line(initial)))
                other = self.alternatives.get(target, [])
                built = [c for c, _, s in arm.choices if s in other]
                if built:
                    param.note = (param.note + f" (another build: {', '.join(built)})")[:120]
                return

    def initial_of(self, target: str) -> ts.Node | None:
        """The initial value of `target`; a field set through another pointer in an init
        function (`s->size = 512` for `settings.size`) by its last member name, if unique."""
        return _by_member(self.initials(), target) if target else None

    # --- checks after the option loop -----------------------------------------------

    def after_parsing(self) -> None:
        """Bounds from the checks right after the option loop, for options whose arm gave
        none: `if (conf.size < MIN_SIZE) { fprintf(stderr, …); exit(1); }` bounds the option
        stored in `conf.size`. A check that only warns, or compares with another setting,
        bounds nothing; a bound `#define`d in another file waits for it (`finish`)."""
        following = _after_loops(self.option_calls)
        if not following:
            return
        for param, target in self.stored:
            if param.low is not None or param.high is not None:
                continue
            compared = [
                (op, bound, (_ts.line(check), _ts.end_line(check)))
                for op, bound in rejected_comparisons(following, target)
                if (check := _if_above(bound)) is not None
            ]
            if not compared:
                continue
            numbers = [
                (op, cell_of(bound, self.constants).number, at) for op, bound, at in compared
            ]
            if any(number is None for _, number, _ in numbers):
                written = [(op, _ts.text(bound), at) for op, bound, at in compared]
                self.checks.append((param.name, written))
                continue
            low, high = bounds_of(
                ((op, n) for op, n, _ in numbers if n is not None), param.value_type
            )
            if low is not None or high is not None:
                param.low, param.high, param.range_source = low, high, "declared"
                param.lines.extend(sorted({at for _, _, at in numbers}))

    # --- getsubopt -------------------------------------------------------------------

    def subopts(self) -> None:
        """`-o name=value` sub-options: every token of a getsubopt table, typed, defaulted
        and bounded from the arm that handles it."""
        for call, options in sub_options(self.grammar, self.root, self.constants):
            owner = _ts.line(call)
            if not options:
                self.out.candidate(owner, owner, "getsubopt with a token table not declared here")
                continue
            case = _case_above(call)
            what = f"{SUBOPTION} of -{case}" if case else SUBOPTION
            for option in options:
                param = Param(option.name, what, option.start, option.end)
                param.lines.append((owner, owner))
                arm = option.arm
                if arm is not None:
                    self._sub_arm(arm, param)
                self.out.param(param)

    def _sub_arm(self, arm: Arm, param: Param) -> None:
        param.lines.extend(arm.lines[:1])
        if arm.choices:
            self._choose(arm, param)
            return
        param.value_type = arm.value_type
        param.low, param.high = arm.low, arm.high
        if arm.low is not None or arm.high is not None:
            param.range_source = "declared"
        if arm.target is None:
            return
        verb = "sets" if arm.value_type == "bool" else "stored in"
        param.note = f" ({verb} {arm.target})"[:120]
        if arm.factor == 1 and arm.value_type in ("int", "float"):
            self.stored.append((param, arm.target))
        initial = self.initial_of(arm.target)
        switch_on = arm.value_type == "bool" and arm.constant in ("true", "TRUE", "1")
        if initial is not None and _within(initial, arm.lines):
            return  # a scratch variable of the arm (`int v = 0;`) says nothing of the default
        default = self.value_text(initial) if initial is not None else None
        if default is None or initial is None:
            if arm.value_type != "bool" or switch_on:
                self._wait(param, arm.target, arm.factor, switch_on=switch_on)
            return
        if arm.value_type == "bool":
            # a switch that turns something on: off (or on) unless it is given
            if arm.constant not in ("true", "TRUE", "1") or default not in ("true", "false"):
                return
        elif arm.factor != 1:
            number = self.value_number(initial)
            default = _per(number, arm.factor) if number is not None else None
        if default is not None:
            param.default = default
            param.lines.append((_ts.line(initial), _ts.end_line(initial)))
            self._other_builds(param, arm.target)

    def _other_builds(self, param: Param, target: str) -> None:
        """Notes what another build starts the setting with (the `#ifdef` arm not taken)."""
        other = self.alternatives.get(target)
        if other:
            param.note = (param.note + f" (another build: {', '.join(other)})")[:120]

    def _wait(self, param: Param, target: str, factor: int, *, switch_on: bool) -> None:
        """A setting (a struct field) initialised in another file: resolved once every file
        was read (`CCodeAnalyzer.finish`)."""
        if re.search(r"\.|->", target) and not any(name == param.name for name, *_ in self.waiting):
            self.waiting.append((param.name, target, factor, switch_on))

    def shared_initials(self) -> list[tuple[str, str, int]]:
        """What this file tells other files: the values of its file-scope variables and
        those its init functions give fields (name, value as written or computed, line)."""
        out: list[tuple[str, str, int]] = []
        for name, node in self.initials().items():
            top = node.parent
            while top is not None and top.type not in ("function_definition", "translation_unit"):
                top = top.parent
            if (
                top is None
                or top.type == "translation_unit"
                or (node.parent is not None and _in_init_function(node.parent))
            ):
                computed = self.computed.get(node.id)
                text = _ts.text(node) if computed is None else _number_text(computed)
                out.append((name, text, _ts.line(node)))
        return out

    def initials(self) -> dict[str, ts.Node]:
        """The value each variable or field starts with outside the option switch:
        `int port = 8080;`, `settings.port = 11211;` in an init function; of an `#ifdef`
        whose arms differ, the arm a default build compiles (`_c_values`); a copy of another
        setting (`cf->size = settings.size`) the value copied; an expression over settings
        set before (`settings.half = settings.page / 2`) its number (`value_text`)."""
        if self._initials is not None:
            return self._initials
        found: dict[str, ts.Node] = {}
        branches: dict[str, list[tuple[ts.Node, str]]] = {}
        defined = defines(self.root).__contains__

        def keep(name: str, value: ts.Node, node: ts.Node) -> None:
            found.setdefault(name, value)
            arm = preprocessor_arm(node, defined)
            if arm is not None:
                branches.setdefault(name, []).append((value, arm))

        for node in _ts.walk(self.root):
            if node.type == "init_declarator":
                declarator, value = (
                    node.child_by_field_name("declarator"),
                    node.child_by_field_name("value"),
                )
                while declarator is not None and declarator.type not in ("identifier",):
                    declarator = declarator.child_by_field_name("declarator")
                if declarator is not None and value is not None:
                    keep(_ts.text(declarator), value, node)
            elif node.type == "assignment_expression" and _in_init_function(node):
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if (
                    left is not None
                    and right is not None
                    and _ts.text(node.child_by_field_name("operator")) == "="
                    and (
                        _literal(right, self.constants)
                        or is_reference(right)
                        or (right.type in _COMPUTED and references(right))
                    )
                ):
                    keep(_ts.text(left), right, node)
        for name, arms in branches.items():
            if len({_ts.text(v) for v, _ in arms}) < 2:
                continue
            chosen = {_ts.text(v): v for v, arm in arms if arm == "default"}
            if len(chosen) != 1:  # no one arm a default build takes: no one default
                found.pop(name, None)
                continue
            found[name] = next(iter(chosen.values()))
            self.alternatives[name] = sorted({_ts.text(v) for v, arm in arms if arm == "other"})
        self._initials = found
        self._settle(found)
        return found

    def _settle(self, found: dict[str, ts.Node]) -> None:
        """Copies resolved to what they copy, expressions over settings to their number;
        a copy or expression that resolves to nothing is no initial value."""
        for name in list(found):
            node = found[name]
            if node.type == "field_expression" or (
                node.type == "identifier" and _literal(node, self.constants) is None
            ):
                copied = self._followed(found, node, {name})
                if copied is not None:
                    found[name] = copied
                elif node.type == "field_expression":
                    del found[name]
            elif node.type in _COMPUTED and _literal(node, self.constants) is None:
                number = self._number(found, node, {name})
                if number is None:
                    del found[name]
                else:
                    self.computed[node.id] = number

    def _followed(self, found: dict[str, ts.Node], node: ts.Node, seen: set[str]) -> ts.Node | None:
        """The literal (or computable expression) a chain of copies ends at, or None."""
        current = node
        for _ in range(6):
            if not is_reference(current) or _literal(current, self.constants) is not None:
                break
            name = _ts.text(current)
            nxt = _by_member(found, name)
            if nxt is None or name in seen:
                return None
            seen.add(name)
            current = nxt
        if _literal(current, self.constants) is not None:
            return current
        if current.type in _COMPUTED and self._number(found, current, seen) is not None:
            return current
        return None

    def _number(self, found: dict[str, ts.Node], node: ts.Node, seen: set[str]) -> Number | None:
        def lookup(name: str) -> Number | None:
            target = _by_member(found, name)
            if target is None or name in seen or len(seen) > 8:
                return None
            return self._number(found, target, {*seen, name})

        if node.id in self.computed:
            return self.computed[node.id]
        return evaluate(node, self.constants, lookup)

    def value_text(self, node: ts.Node) -> str | None:
        """A starting value as a default: the literal, or the number it computes to."""
        text = _literal(node, self.constants)
        if text is None and node.id in self.computed:
            return _number_text(self.computed[node.id])
        return text

    def value_number(self, node: ts.Node) -> Number | None:
        number = cell_of(node, self.constants).number
        return self.computed.get(node.id) if number is None else number

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
                if not _NOT_ROUTES.search(callee(call)):
                    self.out.route(value, call)

    def ports(self) -> None:
        for match in _ts.matches(self.grammar, "ports", self.root):
            call, port = match.node("call"), match.node("port")
            if call is not None and port is not None:
                self.out.port(_ts.text(port), "htons", call)

    def _holding(self, spans: list[tuple[int, int]], value: str) -> list[tuple[int, int]]:
        """The spans whose lines write `value` (all of them when none does)."""
        lines = self.out.source.lines
        held = [
            (a, b)
            for a, b in spans
            if re.search(rf"(?<![\w.]){re.escape(value)}(?![\w.])", "\n".join(lines[a - 1 : b]))
        ]
        return held or spans

    def option_resources(self) -> None:
        """What an option's default sets aside: the port a `--port` option listens on unless
        told otherwise, the memory a `--memory-limit` / `maxmemory` option caps by default."""
        for param in list(self.out.params.values()):
            if not param.what.startswith((FLAG, SUBOPTION)) or param.default is None:
                continue
            name = param.name.lstrip("-")
            number = number_of(param.default)
            if not isinstance(number, int) or number <= 0:
                continue
            # The requirement is its value: cited where the value is written, not where the
            # option is declared (that is the parameter's own fact).
            spans = self._holding(param.lines or [(param.start, param.end)], param.default)
            if "port" in words(name) and number < 65536 and param.default.isdigit():
                ports = self.out.ports.setdefault(param.default, (f"default of {param.name}", []))
                ports[1].extend(spans)
            elif _MEMORY_OPTION.match(name):
                unit = _UNITS.get(self.scales.get(param.name, 0), "")
                self.out.result.facts.append(
                    ResourceRequirement(
                        summary=f"memory capped at {param.default}{unit} by default "
                        f"({param.what} {param.name})",
                        citations=[self.out.source.cite(a, b) for a, b in sorted(set(spans))[:4]],
                        resource="memory",
                        limit=param.default,
                    )
                )


def _option_cases(every_case: dict[str, list[ts.Node]]) -> dict[str, ts.Node]:
    """Per letter, the `case 'x':` of the option switch: when a file has several switches
    on characters, the one that reads `optarg` most is the getopt loop's."""
    reads: dict[int, int] = {}
    for cases in every_case.values():
        for case in cases:
            switch = _switch_above(case)
            if switch is not None and switch.id not in reads:
                reads[switch.id] = _ts.text(switch).count("optarg")

    def score(case: ts.Node) -> int:
        switch = _switch_above(case)
        return reads.get(switch.id, 0) if switch is not None else 0

    return {letter: max(cases, key=score) for letter, cases in every_case.items()}


def _within(node: ts.Node, spans: list[tuple[int, int]]) -> bool:
    line = _ts.line(node)
    return any(start <= line <= end for start, end in spans)


def _prints_and_exits(case: ts.Node | None) -> bool:
    """An arm that stores nothing and ends the program successfully (`usage_license();
    exit(EXIT_SUCCESS);`): an informational flag."""
    if case is None:
        return False
    body = arm_body(case)
    if any(n.type == "assignment_expression" for top in body for n in [top, *_ts.walk(top)]):
        return False
    for top in body:
        call = (
            top.named_children[0]
            if top.type == "expression_statement" and top.named_children
            else None
        )
        if call is not None and call.type == "call_expression" and callee(call) == "exit":
            arguments = call.child_by_field_name("arguments")
            text = _ts.text(arguments).strip("() ") if arguments is not None else ""
            return text in ("0", "EXIT_SUCCESS")
    return False


def _case_above(node: ts.Node) -> str | None:
    """The letter of the `case 'o':` a node sits in (the option whose value it parses)."""
    current = node.parent
    while current is not None and current.type != "function_definition":
        if current.type == "case_statement":
            value = current.child_by_field_name("value")
            if value is not None and value.type == "char_literal":
                return _ts.text(value).strip("'") or None
        current = current.parent
    return None


def _switch_above(node: ts.Node) -> ts.Node | None:
    current = node.parent
    while current is not None and current.type != "switch_statement":
        current = current.parent
    return current


def _per(number: int | float, factor: int) -> str | None:
    value = number / factor
    if value != int(value):
        return None
    return str(int(value))


_MEMORY_OPTION = re.compile(
    r"(?i)^(?:max[-_]?mem(?:ory)?|mem(?:ory)?[-_]?(?:limit|max)|max[-_]?memory[-_]?size)$"
)
_UNITS = {1024: " KiB", 1024 * 1024: " MiB", 1024**3: " GiB"}
_INIT_WORDS = frozenset({"init", "default", "defaults", "reset", "setup", "initialize"})


_LOOPS = frozenset({"while_statement", "for_statement", "do_statement"})
_COMPUTED = frozenset({"binary_expression", "parenthesized_expression", "cast_expression"})
"""Starting values that are expressions: over other settings, they compute to a number."""


def _after_loops(calls: list[ts.Node], limit: int = 30) -> list[ts.Node]:
    """The statements right after each loop that calls getopt (up to `limit` of each)."""
    out: list[ts.Node] = []
    seen: set[int] = set()
    for call in calls:
        loop = call.parent
        while loop is not None and loop.type not in _LOOPS and loop.type != "function_definition":
            loop = loop.parent
        if loop is None or loop.type not in _LOOPS or loop.id in seen:
            continue
        seen.add(loop.id)
        sibling = loop.next_named_sibling
        for _ in range(limit):
            if sibling is None:
                break
            if sibling.type == "if_statement":
                out.append(sibling)
            sibling = sibling.next_named_sibling
    return out


def _if_above(node: ts.Node) -> ts.Node | None:
    current = node.parent
    while current is not None and current.type != "if_statement":
        current = current.parent
    return current


def _by_member(found: dict[str, ts.Node], target: str) -> ts.Node | None:
    """`found[target]`, or the one entry with the same last member name (`s->size` for
    `settings.size`)."""
    node = found.get(target)
    if node is not None:
        return node
    member = re.split(r"\.|->", target)[-1]
    if member == target:
        return None
    same = [
        n for name, n in found.items() if re.split(r"\.|->", name)[-1] == member and name != member
    ]
    return same[0] if len(same) == 1 else None


def _in_init_function(node: ts.Node) -> bool:
    """A statement of its own in the body of a function named for setting defaults
    (`settings_init`, `set_defaults`), not one under a condition or in a loop there."""
    statement = node.parent
    if statement is None or statement.type != "expression_statement":
        return False
    current = statement.parent
    while current is not None and current.type in ("preproc_if", "preproc_ifdef", "preproc_else"):
        current = current.parent
    if current is None or current.type != "compound_statement":
        return False
    current = current.parent
    if current is None or current.type != "function_definition":
        return False
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

    def __init__(self) -> None:
        self.project = Project()
        self._waiting: list[tuple[Param, str, int, bool]] = []
        self._suffixes: dict[str, dict[str, int]] = {}
        self._checks: list[tuple[Param, list[tuple[str, str, tuple[int, int]]]]] = []
        self._open: list[Param] = []

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        """The file's facts; an option whose default another file gives is reported now,
        without it, and completed by `finish`."""
        self._waiting = []
        result = super().analyze(source)
        by_name = {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}
        for param, target, factor, switch_on in self._waiting:
            fact = by_name.get(param.name)
            if fact is not None:
                self.project.pending.append(
                    Pending(
                        source,
                        param,
                        fact,
                        target,
                        factor,
                        switch_on=switch_on,
                        suffixes=self._suffixes.get(param.name, {}),
                    )
                )
        for param, compared in self._checks:
            fact = by_name.get(param.name)
            if fact is not None:
                self.project.bounds.append(PendingBounds(source, param, fact, compared))
        for param in self._open:
            fact = by_name.get(param.name)
            if fact is not None:
                self.project.undocumented.append(Undocumented(source, param, fact))
        self._waiting = []
        self._checks = []
        self._open = []
        return result

    def read(self, grammar: str, root: ts.Node, out: Collector) -> None:
        reader = _Reader(grammar, root, out)
        reader.env()
        skip = reader.getopt()
        reader.subopts()
        reader.after_parsing()
        reader.tables(skip)
        reader.health()
        reader.ports()
        reader.option_resources()
        file_limits(grammar, root, out)
        self.project.add_constants(reader.constants)
        self.project.add_initials(out.source.path, reader.shared_initials())
        self._suffixes = reader.suffixes
        for name, target, factor, switch_on in reader.waiting:
            param = out.params.get(name)
            if param is not None:
                self._waiting.append((param, target, factor, switch_on))
        for name, compared in reader.checks:
            param = out.params.get(name)
            if param is not None:
                self._checks.append((param, compared))
        self.project.add_usage(out.source.path, usage_entries(root))
        self._open = [
            p
            for p in out.params.values()
            if p.what.startswith((FLAG, SUBOPTION))
            and p.value_type != "bool"
            and (p.default is None or (p.low is None and p.high is None))
        ]

    def finish(self) -> AnalyzerResult:
        """Completes the options whose default or bounds another file gives (an init
        function in `tls.c`, a constant in a header), now that every file was read: their
        facts, already reported, get the value and a citation of where it is set."""
        try:
            for bounds in self.project.bounds:
                numbers = [
                    (op, n, at)
                    for op, text, at in bounds.compared
                    if (n := self.project.number_of(text)) is not None
                ]
                low, high = bounds_of(((op, n) for op, n, _ in numbers), bounds.param.value_type)
                if low is None and high is None:
                    continue
                bounds.param.low, bounds.param.high = low, high
                bounds.param.range_source = "declared"
                cited = [bounds.source.cite(a, b) for a, b in sorted({at for *_, at in numbers})]
                self._refresh(bounds.source, bounds.param, bounds.fact, cited)
            for pending in self.project.pending:
                citation = self._resolve(pending)
                if citation is not None:
                    self._refresh(pending.source, pending.param, pending.fact, [citation])
            for open_ in self.project.undocumented:
                self._document(open_)
        finally:
            self.project.clear()
        return AnalyzerResult()

    def _document(self, open_: Undocumented) -> None:
        """What the usage text says of an option the code left open: the default it
        states, the range of values it lists (documented)."""
        param = open_.param
        found = self.project.usage.get(param.name)
        if found is None:
            return
        entry, path = found
        said = False
        if param.default is None and entry.default is not None:
            param.default, said = entry.default, True
        if (
            param.low is None
            and param.high is None
            and (entry.low is not None or entry.high is not None)
        ):
            param.low, param.high, param.range_source = entry.low, entry.high, "documented"
            said = True
        if said:
            param.note = (param.note + " (per the usage text)")[:120]
            cited = Citation(path=path, start_line=entry.line, end_line=entry.end_line)
            self._refresh(open_.source, param, open_.fact, [cited])

    @staticmethod
    def _refresh(
        source: SourceFile, param: Param, fact: ConfigParameter, cited: list[Citation]
    ) -> None:
        """The reported fact brought up to date with what its parameter now knows."""
        out = Collector(source, NAME)
        out.param(param)
        fresh = next(f for f in out.finish().facts if isinstance(f, ConfigParameter))
        fact.default, fact.summary, fact.required = fresh.default, fresh.summary, fresh.required
        fact.min, fact.max, fact.range_source = fresh.min, fresh.max, fresh.range_source
        for citation in cited:
            if citation not in fact.citations:
                fact.citations.append(citation)

    def _resolve(self, pending: Pending) -> Citation | None:
        initial = self.project.lookup(pending.target)
        if initial is None:
            return None
        default, node = self.project.value(initial, _literal)
        if default is None or node is None:
            return None
        if pending.param.value_type == "bool":
            if not pending.switch_on or default not in ("true", "false"):
                return None
        elif pending.factor != 1:
            number = self.project.number(node)
            default = _per(number, pending.factor) if number is not None else None
            if default is None:
                return None
        elif pending.suffixes:
            number = self.project.number(node)
            default = with_suffix(number, pending.suffixes) if number is not None else default
        pending.param.default = default
        return Citation(path=initial.path, start_line=initial.line, end_line=initial.line)


register(CCodeAnalyzer())
