"""JS/TS configuration reads: process.env and its kin, env schemas and command-line options."""

from __future__ import annotations

import re

import tree_sitter as ts

from ddd_llm.evidence.base import AnalyzerResult, infer_value_type
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._js_read import JsFile, Param, args, bare, cite, field_text, outer
from ddd_llm.models import ValueType

_NAME = re.compile(r"[A-Za-z_][\w.]*")
_UPPER = re.compile(r"[A-Z][A-Z0-9_]*")
_ENV_MODULE = re.compile(
    r"^[.~@#][^:]*/(env|environment|environments)(\.[mc]?[jt]s)?$|^\.{1,2}/env$"
)
"""The project's own env module (`./utils/environment`, `~/env`, `../config/env`): its
UPPER_CASE properties are environment variables."""
_WRAPPER_TYPES: dict[str, ValueType | None] = {
    "Number.parseInt": "int",
    "parseInt": "int",
    "Number.parseFloat": "float",
    "parseFloat": "float",
    "Number": None,
    "Boolean": "bool",
    "JSON.parse": None,
    "String": "string",
}
_CONVERTER_NAME = re.compile(
    r"(?i)^(?:to|as|parse|get|read)_?(?:optional_?)?"
    r"(?P<t>number|int|integer|float|bool|boolean|array|list)$"
)
"""A project's own converter (`this.toOptionalNumber(env.X)`, `toBoolean(…)`, `asInt(…)`)."""
_CONVERTED: dict[str, ValueType] = {
    "number": "int",
    "int": "int",
    "integer": "int",
    "float": "float",
    "bool": "bool",
    "boolean": "bool",
    "array": "list",
    "list": "list",
}
_BOOL_WORDS = frozenset({"true", "false", "1", "0", "yes", "no", "on", "off"})
_STRING_METHODS = frozenset({"toLowerCase", "toUpperCase", "trim", "toString"})
_FALLBACK = frozenset({"||", "??"})
_EQUALITY = frozenset({"===", "==", "!==", "!="})
_CONVICT_FORMATS: dict[str, ValueType] = {
    "port": "int",
    "int": "int",
    "nat": "int",
    "Number": "float",
    "Boolean": "bool",
    "Array": "list",
    "String": "string",
    "url": "string",
    "email": "string",
    "ipaddress": "string",
    "duration": "duration",
    "timestamp": "string",
}
_SCHEMA_TYPES: dict[str, ValueType] = {
    "port": "int",
    "num": "float",
    "number": "int",
    "int": "int",
    "integer": "int",
    "bool": "bool",
    "boolean": "bool",
    "str": "string",
    "string": "string",
    "url": "string",
    "host": "string",
    "email": "string",
    "json": "string",
    "array": "list",
    "enum": "enum",
    "nativeEnum": "enum",
}


def _number_type(default: str | None) -> ValueType:
    return "float" if default and "." in default else "int"


# --- process.env.X ---------------------------------------------------------------------


def env_params(f: JsFile, result: AnalyzerResult) -> list[Param]:
    found = list(f.matches("env"))
    aliases = {_ts.text(m.node("alias.name")) for m in found if m.node("alias.name") is not None}
    modules = {
        _ts.text(m.node("env_import.name"))
        for m in found
        if _ENV_MODULE.search(f.string(m.node("env_import.source")) or "")
    }
    roots = {"process.env", "Bun.env", "import.meta.env", *aliases}
    params: list[Param] = []
    for m in found:
        read = m.node("read")
        if read is None and (alias_read := m.node("alias_read")) is not None:
            root = _ts.text(m.node("alias_read.root"))
            if root in aliases or (
                root in modules and _UPPER.fullmatch(_ts.text(m.node("read.name")))
            ):
                read = alias_read
        if read is not None:
            param = _read(f, m, read, result)
            if param is not None:
                params.append(param)
        elif (pattern := m.node("destructure.pattern")) is not None:
            value = m.node("destructure.value")
            if value is not None and _ts.text(bare(value)).replace(" ", "") in roots:
                params.extend(_destructured(f, pattern))
    params.extend(schema_params(f))
    params.extend(option_params(f))
    return params


def _read(f: JsFile, m: _ts.Match, read: ts.Node, result: AnalyzerResult) -> Param | None:
    if (name_node := m.node("read.name")) is not None:
        name: str | None = _ts.text(name_node)
    else:
        key = m.node("read.key")
        name = f.string(key)
        if name is None:
            if key is not None and _ts.text(key) and not _in_loop_over_keys(read):
                result.candidate(
                    f.source,
                    *cite(read),
                    "config_parameter",
                    f"environment read with a computed name ({_ts.text(key)[:60]})",
                )
            return None
    if not name or not _NAME.fullmatch(name):
        return None
    return _EnvUse(f, Param(name=name)).read(read)


def _in_loop_over_keys(node: ts.Node) -> bool:
    """`for (const k of Object.keys(process.env)) … process.env[k]` copies, it reads no one."""
    parent = node.parent
    while parent is not None:
        if parent.type in ("for_in_statement", "for_statement") and "env" in _ts.text(
            parent.child_by_field_name("right") or parent.child_by_field_name("condition")
        ):
            return True
        parent = parent.parent
    return False


class _EnvUse:
    """Default, type and requiredness of one env read, from the expression around it."""

    def __init__(self, f: JsFile, param: Param) -> None:
        self.f = f
        self.param = param
        self.last: ts.Node | None = None

    def _take(self, node: ts.Node | None) -> bool:
        """Use `node` as the default when it is a literal; True if it was one."""
        got = self.f.operand(node)
        if got is None or node is None:
            return False
        self.param.default = got[0]
        self.param.lines.extend(got[1])
        self._reach(node)
        return True

    def _reach(self, node: ts.Node) -> None:
        if self.last is None or node.end_byte > self.last.end_byte:
            self.last = node

    def read(self, read: ts.Node) -> Param | None:
        expr = outer(read)
        parent = expr.parent
        if parent is not None:
            if parent.type == "unary_expression" and field_text(parent, "operator") == "delete":
                return None
            if (
                parent.type == "assignment_expression"
                and parent.child_by_field_name("left") == expr
            ):
                return None
            if parent.type == "augmented_assignment_expression":
                if parent.child_by_field_name("left") == expr:
                    if field_text(parent, "operator") not in ("||=", "??="):
                        return None
                    self._take(parent.child_by_field_name("right"))
                    self.param.lines.insert(0, cite(read, self.last))
                    return self.param
        self._context(expr)
        if self.param.value_type is None and self.param.default is not None:
            self.param.value_type = infer_value_type(self.param.default)
        self.param.lines.insert(0, cite(read, self.last))
        return self.param

    def _context(self, expr: ts.Node) -> None:
        parent = expr.parent
        whole = expr
        if parent is not None and parent.type == "binary_expression":
            if (
                field_text(parent, "operator") in _FALLBACK
                and parent.child_by_field_name("left") == expr
            ):
                self._take(parent.child_by_field_name("right"))
                whole = outer(parent)
        elif parent is not None and parent.type == "ternary_expression":
            if parent.child_by_field_name("condition") == expr:
                self._take(parent.child_by_field_name("alternative"))
        self._wrapped(whole)
        self._compared(expr)
        for node in (expr, whole):
            holder = node.parent
            if holder is not None and holder.type == "member_expression":
                if field_text(holder, "property") == "split":
                    self.param.value_type = "list"
        self._required(expr)

    def _wrapped(self, whole: ts.Node) -> None:
        """`parseInt(process.env.X, 10) || 5`, `Number(…)`, `+process.env.X`, `!!process.env.X`."""
        holder = whole.parent
        if holder is not None and holder.type == "arguments" and args(holder)[:1] == [whole]:
            call = holder.parent
            kind = field_text(call, "function").replace(" ", "") if call is not None else ""
            named = _CONVERTER_NAME.match(kind.rsplit(".", 1)[-1])
            if call is not None and (kind in _WRAPPER_TYPES or named):
                self._reach(call)
                wrapped = outer(call)
                after = wrapped.parent
                if (
                    after is not None
                    and after.type == "binary_expression"
                    and field_text(after, "operator") in _FALLBACK
                    and after.child_by_field_name("left") == wrapped
                    and self.param.default is None
                ):
                    self._take(after.child_by_field_name("right"))
                wrapper_type = (
                    _WRAPPER_TYPES[kind] if named is None else _CONVERTED[named.group("t").lower()]
                )
                if kind == "Number":
                    wrapper_type = _number_type(self.param.default)
                if wrapper_type:
                    self.param.value_type = wrapper_type
                return
        if holder is not None and holder.type == "unary_expression":
            operator = field_text(holder, "operator")
            if operator == "+":
                self.param.value_type = _number_type(self.param.default)
            elif operator == "!" and holder.parent is not None:
                parent = holder.parent
                if parent.type == "unary_expression" and field_text(parent, "operator") == "!":
                    self.param.value_type = "bool"

    def _compared(self, expr: ts.Node) -> None:
        """`process.env.DEBUG === 'true'`, `process.env.X?.toLowerCase() === 'yes'`."""
        node = expr
        while True:
            holder = node.parent
            if holder is None or holder.type != "member_expression":
                break
            call = holder.parent
            if field_text(holder, "property") not in _STRING_METHODS or call is None:
                break
            if call.type != "call_expression":
                break
            node = outer(call)
        holder = node.parent
        if holder is None or holder.type != "binary_expression":
            return
        if field_text(holder, "operator") not in _EQUALITY:
            return
        left, right = holder.child_by_field_name("left"), holder.child_by_field_name("right")
        other = right if left == node else left
        value = self.f.string(other)
        if value is not None and value.lower() in _BOOL_WORDS and other is not None:
            self.param.value_type = "bool"
            self._reach(other)

    def _required(self, expr: ts.Node) -> None:
        """`if (!process.env.X) throw new Error(…)` or `… process.exit(1)`."""
        holder = expr.parent
        if (
            holder is None
            or holder.type != "unary_expression"
            or field_text(holder, "operator") != "!"
        ):
            return
        cond = outer(holder)
        statement = cond.parent
        if statement is None or statement.type != "if_statement":
            return
        then = statement.child_by_field_name("consequence")
        if then is not None and then.type == "statement_block":
            then = then.named_children[0] if then.named_child_count else None
        if then is None:
            return
        if then.type == "throw_statement" or "process.exit(" in _ts.text(then).replace(" ", ""):
            self.param.required = True


def _destructured(f: JsFile, pattern: ts.Node) -> list[Param]:
    """`const { PORT = 3000, REDIS_PORT: redisPort = 6379, HOST } = process.env`."""
    params: list[Param] = []
    for entry in args(pattern):
        name_node: ts.Node | None
        default: ts.Node | None
        if entry.type == "shorthand_property_identifier_pattern":
            name_node, default = entry, None
        elif entry.type == "object_assignment_pattern":
            name_node, default = (
                entry.child_by_field_name("left"),
                entry.child_by_field_name("right"),
            )
        elif entry.type == "pair_pattern":
            name_node = entry.child_by_field_name("key")
            value = entry.child_by_field_name("value")
            is_default = value is not None and value.type == "assignment_pattern"
            default = value.child_by_field_name("right") if is_default and value else None
        else:
            continue
        if name_node is None:
            continue
        param = Param(name=_ts.text(name_node))
        got = f.operand(default) if default is not None else None
        if got is not None:
            param.default = got[0]
            param.lines.extend(got[1])
        if param.default is not None:
            param.value_type = infer_value_type(param.default)
        last = default if got is not None and default is not None else name_node
        param.lines.insert(0, cite(entry, last))
        params.append(param)
    return params


# --- schemas: convict, envalid, zod, joi ------------------------------------------------


def schema_params(f: JsFile) -> list[Param]:
    found = list(f.matches("schema"))
    params: list[Param] = []
    validated = {
        _root_name(m.node("validate.schema"))
        for m in found
        if _ts.text(m.node("validate.source")).replace(" ", "") in ("process.env", "Bun.env")
    }
    for m in found:
        if (pair := m.node("convict")) is not None:
            param = _convict(f, pair, m.node("convict.env"))
            if param is not None:
                params.append(param)
        elif (spec := m.node("envalid.spec")) is not None:
            params.extend(_schema_entries(f, spec))
        elif (spec := m.node("schema.spec")) is not None and _validated(
            m.node("schema"), validated
        ):
            params.extend(_schema_entries(f, spec))
    return params


def _root_name(node: ts.Node | None) -> str:
    """`envVarsSchema` for `envVarsSchema.prefs({…})`: the variable a call chain starts from."""
    while node is not None and node.type in ("call_expression", "member_expression"):
        node = node.child_by_field_name("function" if node.type == "call_expression" else "object")
    return _ts.text(node) if node is not None and node.type == "identifier" else ""


def _validated(schema: ts.Node | None, validated: set[str]) -> bool:
    """A zod/joi object schema that the file checks process.env against."""
    node = schema
    while node is not None:
        parent = node.parent
        if parent is None:
            return False
        if parent.type == "variable_declarator":
            return _ts.text(parent.child_by_field_name("name")) in validated
        if parent.type == "member_expression" and field_text(parent, "property") in (
            "parse",
            "safeParse",
            "validate",
            "parseAsync",
        ):
            call = parent.parent
            arguments = call.child_by_field_name("arguments") if call is not None else None
            first = args(arguments)[:1]
            return bool(first) and _ts.text(first[0]).replace(" ", "") == "process.env"
        if parent.type not in ("member_expression", "call_expression", "arguments"):
            return False
        node = parent
    return False


def _schema_entries(f: JsFile, spec: ts.Node) -> list[Param]:
    """`{ PORT: port({ default: 3000 }), DB_URL: z.string().url(), LOG: Joi.string().valid(…) }`."""
    params: list[Param] = []
    for pair in args(spec):
        if pair.type != "pair":
            continue
        key = pair.child_by_field_name("key")
        value = pair.child_by_field_name("value")
        name = f.string(key) if key is not None and key.type == "string" else _ts.text(key)
        if not name or not _UPPER.fullmatch(name) or value is None:
            continue
        params.append(_schema_entry(f, name, pair, value))
    return params


def _schema_entry(f: JsFile, name: str, pair: ts.Node, value: ts.Node) -> Param:
    param = Param(name=name, lines=[cite(pair)])
    optional = False
    has_default = False
    for node in _ts.walk(value):
        if node.type != "call_expression":
            continue
        fn = node.child_by_field_name("function")
        method = (
            field_text(fn, "property")
            if fn is not None and fn.type == "member_expression"
            else _ts.text(fn)
        )
        passed = args(node.child_by_field_name("arguments"))
        if method == "default" and passed:
            has_default = True
            got = f.operand(passed[0])
            if got is not None:
                param.default = got[0]
                param.lines.extend(got[1])
        elif method in ("optional", "nullish"):
            optional = True
        elif method in _SCHEMA_TYPES and param.value_type is None:
            param.value_type = _SCHEMA_TYPES[method]
            if method == "enum" and passed:
                param.allowed = f.strings(passed[0]) or None
            options = passed[0] if passed and bare(passed[0]).type == "object" else None
            for option in args(options):
                if option.type != "pair":
                    continue
                option_key = field_text(option, "key")
                option_value = option.child_by_field_name("value")
                if option_key == "default":
                    has_default = True
                    got = f.operand(option_value)
                    if got is not None:
                        param.default = got[0]
                elif option_key == "choices":
                    param.allowed = f.strings(option_value) or None
                    param.value_type = "enum" if param.allowed else param.value_type
        elif method in ("valid", "oneOf") and passed:
            param.allowed = [v for v in (f.string(a) for a in passed) if v is not None] or None
            if param.allowed:
                param.value_type = "enum"
        elif method == "required":
            param.required = True
        elif method in ("description", "describe") and passed:
            param.usage = f.string(passed[0])
    if param.value_type == "int" and param.default is not None and "." in param.default:
        param.value_type = "float"
    if param.value_type == "float" and param.default is not None and "." not in param.default:
        param.value_type = "int"
    if not optional and not has_default and "Joi" not in _ts.text(value):
        param.required = True  # zod and envalid reject a missing variable without a default
    return param


def _convict(f: JsFile, pair: ts.Node, env: ts.Node | None) -> Param | None:
    """convict schema entries: `{ doc, format: 'port', default: 8080, env: 'PORT' }`."""
    name = f.string(env)
    obj = pair.parent
    if not name or not _UPPER.fullmatch(name) or obj is None or obj.type != "object":
        return None
    values: dict[str, ts.Node] = {}
    for entry in args(obj):
        value = entry.child_by_field_name("value") if entry.type == "pair" else None
        if value is not None:
            values[field_text(entry, "key")] = entry
    if not {"default", "format", "doc"} & set(values):
        return None
    param = Param(name=name)
    ends: list[ts.Node] = [pair]
    if "default" in values:
        got = f.operand(values["default"].child_by_field_name("value"))
        if got is not None:
            param.default = got[0]
            param.lines.extend(got[1])
        ends.append(values["default"])
    if "format" in values:
        fmt = values["format"].child_by_field_name("value")
        if fmt is not None and bare(fmt).type == "array":
            param.value_type, param.allowed = "enum", f.strings(fmt) or None
        elif fmt is not None:
            param.value_type = _CONVICT_FORMATS.get(f.string(fmt) or _ts.text(fmt))
        ends.append(values["format"])
    first = min((e for e in values.values()), key=lambda n: n.start_byte)
    last = max(ends, key=lambda n: n.end_byte)
    param.lines.insert(0, cite(first, last))
    return param


# --- command-line options: commander, yargs ---------------------------------------------

_OPTION_SPEC = re.compile(r"--(?P<name>[A-Za-z0-9][\w.-]*)")
_OPTION_ARG = re.compile(r"[<\[][^>\]]*[>\]]")


def option_params(f: JsFile) -> list[Param]:
    params: list[Param] = []
    for m in f.matches("flags"):
        spec = m.node("option.spec")
        text = f.string(spec) or ""
        if (created := m.node("option_new")) is not None:
            params.extend(_commander_option_object(f, created, text))
            continue
        call = m.node("option")
        if call is None or spec is None:
            continue
        passed = args(call.child_by_field_name("arguments"))
        long = _OPTION_SPEC.search(text)
        if long:
            params.append(_commander_option(f, m, call, text, passed))
        elif (
            re.fullmatch(r"[A-Za-z][\w.-]*", text)
            and len(passed) > 1
            and bare(passed[1]).type == "object"
        ):
            start = m.node("option.fn") or call
            params.append(_yargs_option(f, text, cite(start, call), bare(passed[1])))
    return params


def _commander_option(
    f: JsFile, m: _ts.Match, call: ts.Node, spec: str, passed: list[ts.Node]
) -> Param:
    """`.option('-p, --port <n>', 'help', 3000)` or `.option(…, 'help', parseInt, 3000)`."""
    long = _OPTION_SPEC.search(spec)
    param = Param(name="--" + (long.group("name") if long else spec), kind="flag")
    param.lines = [cite(m.node("option.fn") or call, call)]
    param.usage = f.string(passed[1]) if len(passed) > 1 else None
    parser = passed[2] if len(passed) > 3 and f.operand(passed[2]) is None else None
    got = f.operand(passed[3] if parser is not None else passed[2]) if len(passed) > 2 else None
    if got is not None:
        param.default = got[0]
        param.lines.extend(got[1])
    param.value_type = _option_type(spec, param.default, parser)
    param.required = _ts.text(m.node("option.fn")) == "requiredOption"
    return param


def _option_type(spec: str, default: str | None, parser: ts.Node | None) -> ValueType:
    """A flag without `<value>` is a switch; a parser (`parseInt`) or the default gives the type."""
    if not _OPTION_ARG.search(spec):
        return "bool"
    parsed = _WRAPPER_TYPES.get(_ts.text(parser).replace(" ", "")) if parser is not None else None
    return parsed or infer_value_type(default)


def _commander_option_object(f: JsFile, created: ts.Node, spec: str) -> list[Param]:
    """`new Option('-p, --port <n>', 'help').default(3000).env('PORT').choices([…])`."""
    long = _OPTION_SPEC.search(spec)
    if not long:
        return []
    flag = Param(name="--" + long.group("name"), kind="flag")
    passed = args(created.child_by_field_name("arguments"))
    flag.usage = f.string(passed[1]) if len(passed) > 1 else None
    envs: list[str] = []
    parser: ts.Node | None = None
    end = created
    node = outer(created)
    while (holder := node.parent) is not None and holder.type == "member_expression":
        call = holder.parent
        if call is None or call.type != "call_expression":
            break
        method = field_text(holder, "property")
        chained = args(call.child_by_field_name("arguments"))
        if method == "default" and chained:
            got = f.operand(chained[0])
            if got is not None:
                flag.default = got[0]
                flag.lines.extend(got[1])
        elif method == "env" and chained and (env := f.string(chained[0])):
            envs.append(env)
        elif method == "choices" and chained:
            flag.allowed = f.strings(chained[0]) or None
        elif method == "argParser" and chained:
            parser = chained[0]
        elif method == "makeOptionMandatory":
            flag.required = True
        end = call
        node = outer(call)
    flag.value_type = "enum" if flag.allowed else _option_type(spec, flag.default, parser)
    flag.lines.insert(0, cite(created, end))
    params = [flag]
    for env in envs:
        params.append(
            Param(
                name=env,
                lines=list(flag.lines),
                value_type=flag.value_type,
                default=flag.default,
                allowed=flag.allowed,
                usage=flag.usage,
            )
        )
    return params


def _yargs_option(f: JsFile, name: str, lines: tuple[int, int], options: ts.Node) -> Param:
    """yargs: `.option('port', { alias: 'p', type: 'number', default: 3000, describe: '…' })`."""
    param = Param(name="--" + name, kind="flag", lines=[lines])
    for option in args(options):
        if option.type != "pair":
            continue
        key, value = field_text(option, "key"), option.child_by_field_name("value")
        if key == "default":
            got = f.operand(value)
            if got is not None:
                param.default = got[0]
                param.lines.extend(got[1])
        elif key == "type":
            types: dict[str, ValueType] = {"number": "float", "boolean": "bool", "array": "list"}
            param.value_type = types.get(f.string(value) or "", "string")
        elif key in ("describe", "description", "desc"):
            param.usage = f.string(value)
        elif key == "choices":
            param.allowed = f.strings(value) or None
        elif key in ("demandOption", "required") and _ts.text(value) == "true":
            param.required = True
    if param.value_type == "float" and param.default is not None and "." not in param.default:
        param.value_type = "int"
    return param
