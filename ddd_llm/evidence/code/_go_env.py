"""Go environment reads: os.Getenv with its fallbacks, env helpers, struct tags and viper."""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter as ts

from ddd_llm.evidence.base import AnalyzerResult, infer_value_type
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._go_read import (
    Func,
    GoFile,
    Param,
    Span,
    args,
    cite,
    flat,
    go_type,
    unparen,
)
from ddd_llm.models import ValueType

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_ENVISH_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
# Getter-shaped names only: `getEnv`, `mustGetEnv`, `envOrDefault`, `GetEnvAsInt`, `envInt`;
# not `newEnvironment("PROD")` or `setupEnv(…)`.
_ENV_HELPER_NAME = re.compile(
    r"(?i)^(?:(?:get|must|lookup|read|require|fetch|parse)_?)+(?:os_?)?env"
    r"|^env_?(?:var_?)?(?:or|default|get|must|str|int|uint|bool|dur|float|list|slice|as|val|$)"
)
_ENV_PACKAGE_GETTER = re.compile(
    r"(?i)^(?:get|must|lookup|require|str|int|uint|bool|dur|float|list|slice)"
)
_MUST = re.compile(r"(?i)must|require")
_CONVERTERS: dict[str, ValueType] = {
    "strconv.Atoi": "int",
    "strconv.ParseInt": "int",
    "strconv.ParseUint": "int",
    "strconv.ParseFloat": "float",
    "strconv.ParseBool": "bool",
    "time.ParseDuration": "duration",
}
_BOOL_WORDS = frozenset({"true", "false", "1", "0", "yes", "no", "on", "off"})
_TYPE_WORDS: tuple[tuple[str, ValueType], ...] = (
    ("duration", "duration"),
    ("bool", "bool"),
    ("float", "float"),
    ("int", "int"),
    ("uint", "int"),
    ("slice", "list"),
    ("list", "list"),
)
_ASSIGNS = ("short_var_declaration", "assignment_statement")
_LOOK_BACK_LINES = 20
_TAG_PAIR = re.compile(r'(?P<k>[\w.-]+):"(?P<v>(?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Helper:
    """A function that reads the environment through one of its parameters."""

    key_index: int
    default_index: int | None
    value_type: ValueType | None
    required: bool


def _type_from_name(fn: str) -> ValueType | None:
    lower = fn.lower().replace("env", "").replace("interval", "")
    for word, vt in _TYPE_WORDS:
        if word in lower:
            return vt
    return None


def _call_name(call: ts.Node) -> str:
    """`strconv.Atoi` for `strconv.Atoi(x)`, `panic` for `panic(x)`."""
    return flat(call.child_by_field_name("function")).replace(" ", "")


# --- os.Getenv and its surroundings ----------------------------------------------------


def env_params(f: GoFile, result: AnalyzerResult) -> list[Param]:
    helpers = find_helpers(f)
    params: list[Param] = []
    seen: set[int] = set()
    for m in f.matches("env"):
        read = m.node("read")
        if read is not None:
            params.extend(_os_read(f, m, read, helpers, result))
            continue
        call = m.node("call")
        if call is not None and call.id not in seen:
            seen.add(call.id)
            params.extend(_helper_call(f, m, call, helpers, result))
    params.extend(struct_tags(f))
    params.extend(viper(f))
    return params


def _is_helper_param(f: GoFile, node: ts.Node, helpers: dict[str, Helper]) -> bool:
    """`os.Getenv(key)` inside a helper whose `key` is its parameter is read at its call sites."""
    func = f.enclosing_func(node)
    if func is None or node.type != "identifier":
        return False
    return func.name in helpers and _ts.text(node) in {p for p, _t in func.params}


def _os_read(
    f: GoFile, m: _ts.Match, call: ts.Node, helpers: dict[str, Helper], result: AnalyzerResult
) -> list[Param]:
    key = m.node("read.key")
    name, key_lines = f.key_at(key)
    if not name:
        if key is not None and not _is_helper_param(f, key, helpers):
            result.candidate(
                f.source,
                *cite(call),
                "config_parameter",
                f"os.{_ts.text(m.node('read.fn'))} with a computed name ({flat(key)[:60]})",
            )
        return []
    if not ENV_NAME.match(name):
        return []
    param = Param(name=name, kind="env", lines=[cite(call), *key_lines])
    _EnvContext(f, param).read(call)
    return [param]


class _EnvContext:
    """Fills default, required and type of one env read from the code around it."""

    def __init__(self, f: GoFile, param: Param) -> None:
        self.f = f
        self.param = param

    def apply(self, value: str | None, lines: list[Span]) -> None:
        if value is not None and self.param.default is None:
            self.param.default = value
            self.param.lines.extend(lines)

    def read(self, call: ts.Node) -> None:
        parent = call.parent
        if parent is None:
            return
        if parent.type == "argument_list" and parent.parent is not None:
            converter = _CONVERTERS.get(_call_name(parent.parent))
            if converter:
                self.param.value_type = converter
        if parent.type == "binary_expression":
            self._compared(parent, call)
        if parent.type == "expression_list":
            statement = parent.parent
            if statement is None:
                return
            if statement.type in (*_ASSIGNS, "var_spec"):
                self._assigned(statement, parent)
        elif parent.type == "binary_expression":
            holder = parent.parent
            if holder is not None and holder.type == "if_statement":
                if holder.child_by_field_name("condition") == parent:
                    self._direct(holder, parent)

    def _compared(self, binary: ts.Node, call: ts.Node) -> None:
        if _ts.text(binary.child_by_field_name("operator")) not in ("==", "!="):
            return
        left, right = binary.child_by_field_name("left"), binary.child_by_field_name("right")
        other = right if left == call else left
        value = self.f.string(other)
        if value is not None and value.lower() in _BOOL_WORDS:
            self.param.value_type = "bool"

    def _direct(self, if_node: ts.Node, cond: ts.Node) -> None:
        """`if os.Getenv("X") != "" { port = os.Getenv("X") }`."""
        other = cond.child_by_field_name("right")
        if self.f.string(other) != "":
            other = cond.child_by_field_name("left")
            if self.f.string(other) != "":
                return
        operator = _ts.text(cond.child_by_field_name("operator"))
        polarity = "empty" if operator == "==" else "set"
        self._fallback(polarity, if_node, None)

    def _assigned(self, statement: ts.Node, right: ts.Node) -> None:
        """`port := os.Getenv("PORT")` then `if port == "" {…}`, or `if v := …; v != "" {…}`."""
        if statement.type == "var_spec":
            names = [_ts.text(n) for n in statement.children_by_field_name("name")]
            values = statement.child_by_field_name("value")
        else:
            names = [_ts.text(n) for n in args(statement.child_by_field_name("left"))]
            values = statement.child_by_field_name("right")
        if not names or values != right:
            return  # the read is on the left (`x[os.Getenv("K")] = …`), not assigned
        var = names[0].lstrip("*")
        ok = names[1] if len(names) > 1 else None
        holder = statement.parent
        if holder is not None and holder.type == "if_statement":
            if holder.child_by_field_name("initializer") == statement:
                polarity = _polarity(holder.child_by_field_name("condition"), var, ok)
                self._fallback(polarity, holder, None if polarity == "set" else var)
            return
        anchor = holder if statement.type == "var_spec" and holder is not None else statement
        following = anchor.next_named_sibling
        while following is not None and following.type == "comment":
            following = following.next_named_sibling
        if following is not None and following.type == "if_statement":
            if following.child_by_field_name("initializer") is None:
                polarity = _polarity(following.child_by_field_name("condition"), var, ok)
                self._fallback(polarity, following, var)
        if self.param.value_type in (None, "string"):
            self._converted_later(anchor, var)

    def _converted_later(self, statement: ts.Node, var: str) -> None:
        """`n, err := strconv.Atoi(port)` a few statements after `port := os.Getenv(…)`."""
        last_line = _ts.end_line(statement) + 15
        node = statement.next_named_sibling
        while node is not None and _ts.line(node) <= last_line:
            for sub in _ts.walk(node):
                if sub.type != "call_expression":
                    continue
                converter = _CONVERTERS.get(_call_name(sub))
                first = args(sub.child_by_field_name("arguments"))[:1]
                if converter and first and _ts.text(first[0]) == var:
                    self.param.value_type = converter
                    return
            node = node.next_named_sibling

    def _fallback(self, polarity: str | None, if_node: ts.Node, var: str | None) -> None:
        then = if_node.child_by_field_name("consequence")
        if then is None or polarity is None:
            return
        if polarity == "empty":
            if self.f.is_fatal(then):
                self.param.required = True
            elif var:
                self.apply(*self._assigned_default(then, var))
            return
        target = var
        first = self._first_assignment(then, None)
        if first is not None:
            target = _ts.text(args(first.child_by_field_name("left"))[0]).lstrip("*")
        other = if_node.child_by_field_name("alternative")
        if other is not None and other.type == "block":
            if self.f.is_fatal(other):
                self.param.required = True
            elif target:
                self.apply(*self._assigned_default(other, target))
        elif other is None and target:
            self.apply(*self._look_back_default(if_node, target))

    @staticmethod
    def _first_assignment(block: ts.Node, var: str | None) -> ts.Node | None:
        for node in _ts.walk(block):
            if node.type not in _ASSIGNS:
                continue
            targets = args(node.child_by_field_name("left"))
            if targets and (var is None or _ts.text(targets[0]).lstrip("*") == var):
                return node
        return None

    def _assigned_default(self, block: ts.Node, var: str) -> tuple[str | None, list[Span]]:
        """A literal assigned to `var` inside a block."""
        assign = self._first_assignment(block, var)
        if assign is None:
            return None, []
        values = args(assign.child_by_field_name("right"))
        value, const_line = self.f.value(values[0] if values else None)
        if value is None:
            return None, []
        lines = [cite(assign)]
        if const_line:
            lines.append((const_line, const_line))
        return value, lines

    def _look_back_default(self, if_node: ts.Node, var: str) -> tuple[str | None, list[Span]]:
        """The value a variable was given just before an env override (`port := "8080"`)."""
        first_line = _ts.line(if_node) - _LOOK_BACK_LINES
        node = if_node.prev_named_sibling
        while node is not None and _ts.end_line(node) >= first_line:
            found = self._declares(node, var)
            if found is not None:
                value, const_line = self.f.value(found)
                if value is None:
                    return None, []
                lines = [(_ts.line(node), _ts.line(node))]
                if const_line:
                    lines.append((const_line, const_line))
                return value, lines
            node = node.prev_named_sibling
        return None, []

    @staticmethod
    def _declares(node: ts.Node, var: str) -> ts.Node | None:
        """The value `node` gives `var`, if it is `var := x`, `var = x` or `var var = x`."""
        if node.type in _ASSIGNS:
            targets = args(node.child_by_field_name("left"))
            values = args(node.child_by_field_name("right"))
            if targets and values and _ts.text(targets[0]) == var:
                return values[0]
        if node.type == "var_declaration":
            for spec in node.named_children:
                names = [_ts.text(n) for n in spec.children_by_field_name("name")]
                values = args(spec.child_by_field_name("value"))
                if names[:1] == [var] and values:
                    return values[0]
        return None


def _polarity(cond: ts.Node | None, var: str | None, ok: str | None) -> str | None:
    """`empty` when the condition holds for an unset variable, `set` when for a set one."""
    if cond is None:
        return None
    cond = unparen(cond)
    text = _ts.text(cond)
    if cond.type == "identifier":
        return "set" if ok and text == ok else None
    if cond.type == "unary_expression":
        operand = cond.child_by_field_name("operand")
        if ok and _ts.text(cond.child_by_field_name("operator")) == "!" and _ts.text(operand) == ok:
            return "empty"
        return None
    if cond.type != "binary_expression":
        return None
    operator = _ts.text(cond.child_by_field_name("operator"))
    left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
    if operator in ("&&", "||"):
        inner = _polarity(left, var, ok)
        ok_form = left is not None and _ts.text(unparen(left)).lstrip("!") == ok
        if (
            inner == "set"
            and operator == "&&"
            or inner == "empty"
            and (operator == "||" or ok_form)
        ):
            return inner
        return None
    if var is None or left is None or right is None:
        return None
    sides = {_ts.text(left).replace(" ", ""), _ts.text(right).replace(" ", "")}
    if sides == {var, '""'}:
        return {"==": "empty", "!=": "set"}.get(operator)
    if sides == {f"len({var})", "0"}:
        return {"==": "empty", "!=": "set", ">": "set"}.get(operator)
    return None


# --- helpers: getEnv("PORT", "8080") ----------------------------------------------------


def find_helpers(f: GoFile) -> dict[str, Helper]:
    """Functions that read the environment through one of their parameters."""
    helpers: dict[str, Helper] = {}
    for _ in range(3):
        for func in f.funcs:
            if func.name in helpers:
                continue
            key_index = _key_param(f, func, helpers)
            if key_index is None:
                continue
            default_index = next(
                (
                    i
                    for i, (_p, ptype) in enumerate(func.params)
                    if i != key_index and not ptype.startswith(("*", "func", "..."))
                ),
                None,
            )
            value_type = (
                go_type(func.params[default_index][1]) if default_index is not None else None
            )
            if value_type in (None, "string"):
                value_type = _type_from_name(func.name) or go_type(func.result)
            required = default_index is None and bool(
                _MUST.search(func.name) or f.is_fatal(func.body)
            )
            helpers[func.name] = Helper(key_index, default_index, value_type, required)
    return helpers


def _key_param(f: GoFile, func: Func, helpers: dict[str, Helper]) -> int | None:
    names = [p for p, _t in func.params]
    for m in f.matches("env", func.body):
        if (key := m.node("read.key")) is not None:
            if key.type == "identifier" and _ts.text(key) in names:
                return names.index(_ts.text(key))
            continue
        called = helpers.get(_ts.text(m.node("call.fn")))
        if called is None or m.node("call.pkg") is not None:
            continue
        passed = args(m.node("call.args"))
        if called.key_index < len(passed):
            key = passed[called.key_index]
            if key.type == "identifier" and _ts.text(key) in names:
                return names.index(_ts.text(key))
    return None


def _helper_call(
    f: GoFile, m: _ts.Match, call: ts.Node, helpers: dict[str, Helper], result: AnalyzerResult
) -> list[Param]:
    fn = _ts.text(m.node("call.fn"))
    pkg_node = m.node("call.pkg")
    pkg = _ts.text(pkg_node) if pkg_node is not None else None
    helper = helpers.get(fn) if pkg is None or pkg not in f.imports else None
    generic = helper is None
    if helper is None:
        envish = bool(_ENV_HELPER_NAME.match(fn)) or (
            pkg is not None and "env" in pkg.lower() and bool(_ENV_PACKAGE_GETTER.match(fn))
        )
        if not envish:
            return []
        helper = Helper(0, 1, _type_from_name(fn), bool(_MUST.search(fn)))
    passed = args(m.node("call.args"))
    if helper.key_index >= len(passed):
        return []
    key = passed[helper.key_index]
    name, key_lines = f.key_at(key)
    if not name:
        if not generic and not _is_helper_param(f, key, helpers):
            result.candidate(
                f.source,
                *cite(call),
                "config_parameter",
                f"env helper {fn}() called with a computed name ({flat(key)[:60]})",
            )
        return []
    if (generic and not _ENVISH_NAME.match(name)) or not ENV_NAME.match(name):
        return []
    lines = [cite(call), *key_lines]
    default = None
    if helper.default_index is not None and helper.default_index < len(passed):
        default, const_line = f.value(passed[helper.default_index], as_written=True)
        if default is not None and const_line is None and "(" in default:
            default = None  # a computed fallback (`defaultGOPATH()`) tells an operator nothing
        if const_line:
            lines.append((const_line, const_line))
    value_type = helper.value_type
    if value_type in (None, "string") and default is not None:
        value_type = infer_value_type(default)
    return [
        Param(
            name=name,
            kind="env",
            lines=lines,
            value_type=value_type,
            default=default,
            required=helper.required and default is None,
        )
    ]


# --- struct tags and viper --------------------------------------------------------------


def struct_tags(f: GoFile) -> list[Param]:
    """`env:"PORT" envDefault:"8080"` (caarlos0/env, sethvargo) and `envconfig:"PORT"` tags."""
    prefix = ""
    tags: list[tuple[ts.Node, ts.Node]] = []
    for m in f.matches("config"):
        if (pre := m.node("envconfig.prefix")) is not None:
            value = f.string(pre)
            prefix = (value.upper() + "_") if value else prefix
        tag, type_node = m.node("tag.text"), m.node("tag.type")
        if tag is not None and type_node is not None:
            tags.append((tag, type_node))
    params: list[Param] = []
    for tag, type_node in tags:
        param = _tag_param(_ts.string_value(tag) or "", prefix)
        if param is None:
            continue
        if param.value_type is None:
            param.value_type = go_type(flat(type_node))
        if param.value_type in (None, "string") and param.default is not None:
            param.value_type = infer_value_type(param.default)
        param.lines = [(_ts.line(tag), _ts.line(tag))]
        params.append(param)
    return params


def _tag_param(tag: str, prefix: str) -> Param | None:
    if "env" not in tag:
        return None
    pairs = {m.group("k"): m.group("v") for m in _TAG_PAIR.finditer(tag)}
    default = None
    required = False
    if "env" in pairs:
        options = [o.strip() for o in pairs["env"].split(",")]
        name = options[0]
        for option in options[1:]:
            if option.startswith("default="):
                default = option[len("default=") :]
            elif option in ("required", "notEmpty"):
                required = True
        default = pairs.get("envDefault", default)
    elif "envconfig" in pairs:
        name = prefix + pairs["envconfig"].split(",")[0].strip()
        default = pairs.get("default")
        required = pairs.get("required") == "true"
    else:
        return None
    if not name or name == "-" or not ENV_NAME.match(name):
        return None
    return Param(name=name, kind="env", default=default, required=required and default is None)


def viper(f: GoFile) -> list[Param]:
    """`viper.SetDefault("server.port", 8080)` and `viper.BindEnv("port", "PORT")`."""
    vipers = f.aliases(suffix="spf13/viper")
    if not vipers:
        return []
    found = list(f.matches("config"))
    for m in found:
        if _ts.text(m.node("viper_new.pkg")) in vipers:
            vipers.add(_ts.text(m.node("viper_new.var")))
    params: list[Param] = []
    for m in found:
        call = m.node("viper")
        if call is None or _ts.text(m.node("viper.recv")) not in vipers:
            continue
        passed = args(m.node("viper.args"))
        if len(passed) < 2:
            continue
        lines = [cite(call)]
        if _ts.text(m.node("viper.fn")) == "SetDefault":
            key = f.key(passed[0])
            if not key:
                continue
            default, const_line = f.value(passed[1], as_written=True)
            if const_line:
                lines.append((const_line, const_line))
            value_type = infer_value_type(default) if default else None
            params.append(Param(key, "key", lines, value_type=value_type, default=default))
            continue
        for arg in passed[1:]:
            env = f.key(arg)
            if env and ENV_NAME.match(env):
                params.append(Param(name=env, kind="env", lines=list(lines)))
    return params
