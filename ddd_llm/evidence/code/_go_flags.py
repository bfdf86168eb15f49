"""Go command-line flags: the flag package, pflag/cobra, kingpin and urfave/cli."""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter as ts

from ddd_llm.evidence.base import AnalyzerResult
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._go_read import GoFile, Param, Span, args, cite, flat, unparen
from ddd_llm.models import ValueType

FLAG_TYPES: dict[str, ValueType] = {
    "Int": "int",
    "Int8": "int",
    "Int16": "int",
    "Int32": "int",
    "Int64": "int",
    "Uint": "int",
    "Uint8": "int",
    "Uint16": "int",
    "Uint32": "int",
    "Uint64": "int",
    "Count": "int",
    "Float32": "float",
    "Float64": "float",
    "Bool": "bool",
    "String": "string",
    "Duration": "duration",
    "IP": "string",
    "IPMask": "string",
    "IPNet": "string",
    "BytesHex": "string",
    "BytesBase64": "string",
    "StringSlice": "list",
    "StringArray": "list",
    "IntSlice": "list",
    "Int32Slice": "list",
    "Int64Slice": "list",
    "UintSlice": "list",
    "Float32Slice": "list",
    "Float64Slice": "list",
    "BoolSlice": "list",
    "DurationSlice": "list",
    "IPSlice": "list",
    "StringToString": "list",
    "StringToInt": "list",
    "StringToInt64": "list",
}
_STD_TYPES = frozenset({"Int", "Int64", "Uint", "Uint64", "Float64", "Bool", "String", "Duration"})
_PFLAG_METHODS = frozenset(
    {
        "Flags",
        "PersistentFlags",
        "LocalFlags",
        "InheritedFlags",
        "LocalNonPersistentFlags",
        "NonInheritedFlags",
    }
)
_FLAG_NAME = re.compile(r"[\w][\w.\-:]*")


@dataclass(frozen=True)
class _FlagFn:
    value_type: ValueType
    ptr: bool  # first argument is the destination pointer (…Var)
    short: bool  # pflag …P form: a shorthand follows the name
    has_default: bool
    pflag_only: bool

    def layout(self, fn: str) -> list[str]:
        if fn in ("Func", "BoolFunc"):
            return ["name", "usage", "fn"]
        layout = (["ptr"] if self.ptr else []) + ["name"]
        layout += ["short"] if self.short else []
        layout += ["default"] if self.has_default else []
        return [*layout, "usage"]


def _flag_functions() -> dict[str, _FlagFn]:
    table: dict[str, _FlagFn] = {}
    for base, vt in FLAG_TYPES.items():
        has_default = base != "Count"
        std = base in _STD_TYPES
        for var in (False, True):
            for short in (False, True):
                fn = base + ("Var" if var else "") + ("P" if short else "")
                table[fn] = _FlagFn(vt, var, short, has_default, not std or short)
    table["Var"] = _FlagFn("string", True, False, False, False)
    table["VarP"] = _FlagFn("string", True, True, False, True)
    table["TextVar"] = _FlagFn("string", True, False, True, False)
    table["Func"] = _FlagFn("string", False, False, False, False)
    table["BoolFunc"] = _FlagFn("bool", False, False, False, False)
    return table


_FLAG_FNS = _flag_functions()


class _Styles:
    """Which receivers are flag sets, and whether of the flag (`-x`) or pflag (`--x`) kind."""

    def __init__(self, f: GoFile, found: list[_ts.Match]) -> None:
        self.std = f.aliases(["flag"])
        self.pflag = f.aliases(suffix="spf13/pflag")
        if "flag" not in f.imports:
            self.std.add("flag")
        if "pflag" not in f.imports:
            self.pflag.add("pflag")
        self.bound: dict[str, str] = {}
        for m in found:
            var = m.node("set.var")
            if var is None:
                continue
            if (pkg := m.node("set.pkg")) is not None:
                kind = self.package(_ts.text(pkg))
            else:
                kind = self._value_kind(m.node("set.value"))
            if kind:
                self.bound[_ts.text(var)] = kind

    def package(self, alias: str) -> str | None:
        return "std" if alias in self.std else "pflag" if alias in self.pflag else None

    def _value_kind(self, value: ts.Node | None) -> str | None:
        """`flag.NewFlagSet(…)`, `pflag.CommandLine`, `&flag.FlagSet{}` or `cmd.Flags()`."""
        if value is None:
            return None
        value = unparen(value)
        if value.type == "unary_expression":
            value = value.child_by_field_name("operand") or value
        if value.type == "composite_literal":
            type_node = value.child_by_field_name("type")
            if type_node is not None and type_node.type == "qualified_type":
                name = _ts.text(type_node.child_by_field_name("name"))
                pkg = _ts.text(type_node.child_by_field_name("package"))
                return self.package(pkg) if name == "FlagSet" else None
            return None
        target = value.child_by_field_name("function") if value.type == "call_expression" else value
        if target is None or target.type != "selector_expression":
            return None
        operand = target.child_by_field_name("operand")
        fld = _ts.text(target.child_by_field_name("field"))
        if value.type == "call_expression" and fld in _PFLAG_METHODS:
            return "pflag"
        if operand is not None and operand.type == "identifier":
            if (value.type == "call_expression" and fld == "NewFlagSet") or fld == "CommandLine":
                return self.package(_ts.text(operand))
        return None

    def of(self, recv: ts.Node) -> str | None:
        recv = unparen(recv)
        if recv.type == "identifier":
            name = _ts.text(recv)
            return self.package(name) or self.bound.get(name)
        if recv.type == "call_expression":
            function = recv.child_by_field_name("function")
            if function is not None and function.type == "selector_expression":
                if _ts.text(function.child_by_field_name("field")) in _PFLAG_METHODS:
                    return "pflag"
            return None
        if recv.type == "selector_expression":
            operand = recv.child_by_field_name("operand")
            if _ts.text(recv.child_by_field_name("field")) == "CommandLine" and operand is not None:
                return self.package(_ts.text(operand))
        return None


@dataclass(frozen=True)
class _Registered:
    """A flag a library function registers: its name, type, and its default (a literal, or
    the call's argument at `from_arg`)."""

    name: str
    value_type: ValueType
    default: str | None = None
    from_arg: int | None = None


REGISTRARS: dict[tuple[str, str], tuple[_Registered, ...]] = {
    # prometheus/exporter-toolkit: the web listener of every Prometheus exporter
    ("/exporter-toolkit/web/kingpinflag", "AddFlags"): (
        _Registered("--web.listen-address", "list", from_arg=1),
        _Registered("--web.config.file", "string", ""),
        _Registered("--web.systemd-socket", "bool", "false"),
    ),
    # prometheus/common: the log flags (promslog, and promlog before it)
    ("/common/promslog/flag", "AddFlags"): (
        _Registered("--log.level", "enum", "info"),
        _Registered("--log.format", "enum", "logfmt"),
    ),
    ("/common/promlog/flag", "AddFlags"): (
        _Registered("--log.level", "enum", "info"),
        _Registered("--log.format", "enum", "logfmt"),
    ),
}
"""(import path suffix, function) → the flags it registers: their names live in another
module, so the call site is the evidence in this repository."""


def registered_params(f: GoFile) -> list[Param]:
    params: list[Param] = []
    for m in f.matches("registrars"):
        pkg, fn, call = m.node("registrar.pkg"), m.node("registrar.fn"), m.node("registrar")
        if pkg is None or fn is None or call is None:
            continue
        path = f.imports.get(_ts.text(pkg), "")
        flags = next(
            (
                v
                for (suffix, name), v in REGISTRARS.items()
                if name == _ts.text(fn) and path.endswith(suffix)
            ),
            (),
        )
        passed = args(m.node("registrar.args"))
        for flag in flags:
            default = flag.default
            if flag.from_arg is not None and flag.from_arg < len(passed):
                default = f.string(passed[flag.from_arg])
            params.append(
                Param(
                    name=flag.name,
                    kind="flag",
                    lines=[cite(call)],
                    value_type=flag.value_type,
                    default=default,
                    usage=f"registered by {path}",
                )
            )
    return params


def flag_params(f: GoFile, result: AnalyzerResult) -> list[Param]:
    found = list(f.matches("flags"))
    styles = _Styles(f, found)
    kingpin = f.aliases(contains="kingpin")
    urfave = f.aliases(contains="urfave/cli")
    params: list[Param] = []
    for m in found:
        if (call := m.node("flag")) is not None:
            params.extend(_std_flag(f, m, call, styles, result))
        if kingpin and (call := m.node("kingpin")) is not None:
            params.extend(_kingpin(f, m, call))
        if (lit := m.node("urfave")) is not None and _ts.text(m.node("urfave.pkg")) in urfave:
            params.extend(_urfave(f, m, lit))
    params.extend(registered_params(f))
    return params


def _std_flag(
    f: GoFile, m: _ts.Match, call: ts.Node, styles: _Styles, result: AnalyzerResult
) -> list[Param]:
    fn = _ts.text(m.node("flag.fn"))
    spec = _FLAG_FNS.get(fn)
    recv = m.node("flag.recv")
    if spec is None or recv is None:
        return []
    style = styles.of(recv)
    if style is None or (style == "std" and spec.pflag_only):
        return []
    layout = spec.layout(fn)
    passed = args(m.node("flag.args"))
    if len(passed) != len(layout):
        return []
    where = dict(zip(layout, passed, strict=True))
    name = f.key(where["name"])
    named: list[tuple[str, list[Span]]] = [(name, [])] if name else []
    if not name:
        named, unresolved = _helper_names(f, where["name"])
        for site in unresolved or ([] if named else [call]):
            result.candidate(
                f.source,
                *cite(site),
                "config_parameter",
                f"flag {fn}() with a name computed at run time ({flat(where['name'])[:60]}): "
                "a helper or a loop registers it",
            )
    lines = [cite(call)]
    default = None
    if "default" in where:
        default, const_line = f.value(where["default"], as_written=True)
        if const_line:
            lines.append((const_line, const_line))
    return [
        Param(
            name=("-" if style == "std" else "--") + flag_name,
            kind="flag",
            lines=[*lines, *extra],
            value_type=spec.value_type,
            default=default or None,
            usage=f.string(where["usage"]),
        )
        for flag_name, extra in named
        if _FLAG_NAME.fullmatch(flag_name)
    ]


def _helper_names(f: GoFile, name: ts.Node) -> tuple[list[tuple[str, list[Span]]], list[ts.Node]]:
    """`fs.String(prefix+"addr", …)` inside `func registerFlags(fs *flag.FlagSet, prefix string)`:
    one name per call of the helper in this file that passes `prefix` as a literal, with the
    call's lines; and the calls that pass something else."""
    func = f.enclosing_func(name)
    if func is None:
        return [], []
    named: list[tuple[str, list[Span]]] = []
    unresolved: list[ts.Node] = []
    for bound, call_args in f.call_sites(func, name):
        call = call_args.parent or call_args
        value = f.string(name, bound=bound) if bound is not None else None
        if value:
            named.append((value, [cite(call)]))
        else:
            unresolved.append(call)
    return named, unresolved


def _kingpin_type(method: str) -> ValueType:
    base = method[:-3] if method.endswith("Var") else method
    if base in ("Enum", "Enums"):
        return "enum" if base == "Enum" else "list"
    if base == "Bytes":
        return "size"
    if base == "Counter":
        return "int"
    if base.endswith(("s", "List", "Map")):
        return "list"
    return FLAG_TYPES.get(base, "string")


def _kingpin(f: GoFile, m: _ts.Match, call: ts.Node) -> list[Param]:
    """`app.Flag("name", "help").Default("5").Envar("X").Required().Int()`."""
    passed = args(m.node("kingpin.args"))
    if len(passed) != 2:
        return []
    name = f.key(passed[0])
    if not name:
        return []
    usage = f.string(passed[1])
    default: str | None = None
    required = False
    envars: list[str] = []
    allowed: list[str] | None = None
    value_type: ValueType = "string"
    end = call
    link = call
    while True:
        selector = link.parent
        outer = selector.parent if selector is not None else None
        if selector is None or selector.type != "selector_expression" or outer is None:
            break
        if outer.type != "call_expression" or outer.child_by_field_name("function") != selector:
            break
        method = _ts.text(selector.child_by_field_name("field"))
        largs = args(outer.child_by_field_name("arguments"))
        end = link = outer
        if method == "Default" and largs:
            default = ",".join(f.value(a, as_written=True)[0] or "" for a in largs)
        elif method in ("Envar", "OverrideDefaultFromEnvar") and largs:
            env = f.key(largs[0])
            if env:
                envars.append(env)
        elif method == "Required":
            required = True
        elif method not in ("Short", "Help", "Hidden", "PlaceHolder", "NoEnvar", "Action"):
            value_type = _kingpin_type(method)
            if method in ("Enum", "Enums", "EnumVar", "EnumsVar"):
                allowed = [v for v in (f.string(a) for a in largs) if v is not None]
            break
    lines = [cite(call, end)]
    return [
        Param(
            name=pname,
            kind="flag" if pname.startswith("--") else "env",
            lines=list(lines),
            value_type=value_type,
            default=default,
            required=required,
            usage=usage,
            allowed=allowed,
        )
        for pname in ["--" + name, *envars]
    ]


def _urfave(f: GoFile, m: _ts.Match, lit: ts.Node) -> list[Param]:
    """`&cli.IntFlag{Name: "workers", Value: 4, Usage: "…", EnvVars: []string{"WORKERS"}}`."""
    values: dict[str, ts.Node] = {}
    for element in args(m.node("urfave.body")):
        if element.type != "keyed_element":
            continue
        key, value = element.child_by_field_name("key"), element.child_by_field_name("value")
        if key is not None and value is not None:
            inner = value.named_children[0] if value.named_child_count else value
            values[_ts.text(key)] = inner
    raw_name = f.key(values.get("Name"))
    if not raw_name:
        return []
    name = raw_name.split(",")[0].strip()
    kind = _ts.text(m.node("urfave.type"))[: -len("Flag")]
    value_type: ValueType = "bool" if kind in ("Bool", "BoolT") else FLAG_TYPES.get(kind, "string")
    default = f.value(values.get("Value"), as_written=True)[0] if "Value" in values else None
    if kind == "BoolT" and default is None:
        default = "true"
    required = flat(values.get("Required")) == "true"
    usage = f.string(values.get("Usage"))
    envars: list[str] = []
    for field_name in ("EnvVars", "EnvVar", "Sources"):
        if field_name in values:
            for node in _ts.walk(values[field_name]):
                env = f.string(node) if node.type == "interpreted_string_literal" else None
                if env:
                    envars.extend(v.strip() for v in env.split(",") if v.strip())
    lines = [cite(lit)]
    return [
        Param(
            name=pname,
            kind="flag" if pname.startswith("--") else "env",
            lines=list(lines),
            value_type=value_type,
            default=default,
            required=required,
            usage=usage,
        )
        for pname in ["--" + name, *envars]
    ]
