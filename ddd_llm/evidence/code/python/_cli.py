"""Python analyzer, part: command-line flags (argparse, absl, click, typer)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import replace

from ddd_llm.evidence.code.python._common import (
    _OPTION,
    _SCALAR_TYPES,
    _dotted,
    _is_ellipsis,
    _is_true,
    _keywords,
    _last_name,
    _Param,
    _str,
    documented_range,
)
from ddd_llm.evidence.code.python._env import EnvReader
from ddd_llm.evidence.code.python._settings import SettingsReader
from ddd_llm.models import ValueType


class CliReader(SettingsReader, EnvReader):
    """The reader's part for command-line flags (a flag's default may read an env var, a typer
    parameter's type is an annotation)."""

    # --- command-line flags ------------------------------------------------------------

    def read_cli(self) -> None:
        for call in self.calls:
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in ("add_argument", "add_option"):
                self._argparse(call)
            elif (
                isinstance(func, ast.Attribute)
                and func.attr.startswith("DEFINE_")
                and _dotted(func.value) in ("flags", "absl.flags")
            ):
                self._absl(call)
        for function in self.functions:
            for decorator in function.decorator_list:
                if isinstance(decorator, ast.Call) and _last_name(decorator.func) in (
                    "option",
                    "argument",
                ):
                    self._click(decorator)
            self._typer(function)

    def _flag_name(self, decls: Iterable[str]) -> str | None:
        options: list[str] = []
        for decl in decls:
            # click's `--shout/--no-shout`: the first spelling names the option
            for part in decl.split("/"):
                part = part.strip()
                if _OPTION.match(part):
                    options.append(part)
                    break
        long = [o for o in options if o.startswith("--")]
        pool = long or options
        return max(pool, key=len) if pool else None

    def _env_default(
        self, param: _Param, node: ast.expr | None, value_type: ValueType | None
    ) -> ast.expr | None:
        """A flag's `default=os.environ.get("X", "5")`: its default is the env var's."""
        if not isinstance(node, ast.Call):
            return node
        inner = node
        if _last_name(node.func) in ("int", "float", "bool", "str") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Call):
                inner = first
        read = self._env_read(inner)
        if read is None:
            return node
        if value_type is not None:
            self.cli_types[inner] = value_type
        param.note = f", default from env var {read.name}"
        return read.default

    def _argparse(self, call: ast.Call) -> None:
        decls = [text for text in (_str(arg) for arg in call.args) if text]
        name = self._flag_name(d for d in decls if d.startswith("-"))
        if name is None:
            return  # a positional argument is not a setting
        keywords = _keywords(call)
        action = keywords.get("action")
        action_name = _str(action) or _last_name(action) or ""
        if action_name in ("help", "version"):
            return
        param = _Param(name=name, required=_is_true(keywords.get("required")))
        type_name = _last_name(keywords.get("type")) or _str(keywords.get("type")) or ""
        value_type: ValueType | None = None
        if action_name in ("store_true", "store_false", "BooleanOptionalAction", "store_const"):
            value_type = "bool"
        elif action_name == "count":
            value_type = "int"
        elif action_name in ("append", "extend", "append_const"):
            value_type = "list"
        elif type_name in _SCALAR_TYPES or type_name in ("str", "string"):
            value_type = _SCALAR_TYPES.get(type_name, "string")
        nargs = keywords.get("nargs")
        if _str(nargs) in ("+", "*") or (self.number(nargs) or 0) > 1:
            value_type = "list"
        self._choices(param, keywords.get("choices"))
        default = self._env_default(param, keywords.get("default"), value_type)
        if default is not None and _dotted(default) in ("argparse.SUPPRESS", "SUPPRESS"):
            default = None
        param.default = self.text(default)
        if param.value_type != "enum":
            param.value_type = value_type or self.literal_type(default) or "string"
        if type_name in self.enums and param.value_type != "enum":
            param.value_type = "enum"
            param.allowed = list(self.enums[type_name].values()) or None
        self._help_range(param, keywords.get("help"))
        self.param(param, call, "Command-line flag")

    def _absl(self, call: ast.Call) -> None:
        assert isinstance(call.func, ast.Attribute)
        kind = call.func.attr[len("DEFINE_") :]
        flag = self.name_of(call.args[0]) if call.args else None
        if not flag:
            return
        keywords = _keywords(call)
        default = keywords.get("default", call.args[1] if len(call.args) > 1 else None)
        help_node = keywords.get("help", call.args[2] if len(call.args) > 2 else None)
        types: dict[str, ValueType] = {
            "integer": "int",
            "float": "float",
            "boolean": "bool",
            "bool": "bool",
            "list": "list",
            "spaceseplist": "list",
            "multi_string": "list",
            "multi_integer": "list",
            "enum": "enum",
            "string": "string",
        }
        param = _Param(name=f"--{flag}", value_type=types.get(kind, "string"))
        param.default = self.text(default)
        param.set_range(
            self.number(keywords.get("lower_bound")),
            self.number(keywords.get("upper_bound")),
            "declared",
        )
        if kind == "enum":
            self._choices(
                param, keywords.get("enum_values", call.args[2] if len(call.args) > 2 else None)
            )
            help_node = keywords.get("help", call.args[3] if len(call.args) > 3 else None)
            if not param.allowed:
                param.value_type = "string"
        self._help_range(param, help_node)
        self.param(param, call, "Command-line flag")

    def _choices(self, param: _Param, node: ast.expr | None) -> None:
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            values = [self.text(elt) for elt in node.elts]
            if values and all(value is not None for value in values):
                param.value_type = "enum"
                param.allowed = [value for value in values if value is not None]
        elif isinstance(node, ast.Call) and _last_name(node.func) == "range" and node.args:
            bounds = [self.number(arg) for arg in node.args[:2]]
            if len(bounds) == 1:
                bounds = [0, bounds[0]]
            low, high = bounds
            if isinstance(low, int) and isinstance(high, int) and len(node.args) <= 2:
                param.value_type = "int"
                param.set_range(low, high - 1, "declared")

    def _help_range(self, param: _Param, node: ast.expr | None) -> None:
        if param.range_source is not None:
            return
        low, high = documented_range(self._help_text(node))
        param.set_range(low, high, "documented")

    def _help_text(self, node: ast.expr | None) -> str | None:
        if node is None:
            return None
        if isinstance(node, ast.JoinedStr):
            return "".join(_str(v) or " " for v in node.values)
        if isinstance(node, ast.BinOp):
            return self._help_text(node.left)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            return self._help_text(node.func.value)  # "…".format(…)
        return _str(node)

    def _click(self, decorator: ast.Call) -> None:
        keywords = _keywords(decorator)
        is_argument = _last_name(decorator.func) == "argument"
        decls = [text for text in (_str(arg) for arg in decorator.args) if text]
        name = None if is_argument else self._flag_name(decls)
        envvars = self._string_list(keywords.get("envvar"))
        if name is None and not envvars:
            return
        param = _Param(name=name or "", required=_is_true(keywords.get("required")))
        value_type: ValueType | None = None
        type_node = keywords.get("type")
        type_name = _last_name(type_node.func if isinstance(type_node, ast.Call) else type_node)
        if isinstance(type_node, ast.Call) and type_name in ("IntRange", "FloatRange"):
            value_type = "int" if type_name == "IntRange" else "float"
            type_keywords = _keywords(type_node)
            low = type_keywords.get("min", type_node.args[0] if type_node.args else None)
            high = type_keywords.get("max", type_node.args[1] if len(type_node.args) > 1 else None)
            param.set_range(self.number(low), self.number(high), "declared")
        elif isinstance(type_node, ast.Call) and type_name == "Choice" and type_node.args:
            self._choices(param, type_node.args[0])
        elif type_name in ("Tuple",):
            value_type = "list"
        elif type_name in self.enums:
            param.value_type = "enum"
            param.allowed = list(self.enums[type_name].values()) or None
        elif type_name:
            value_type = _SCALAR_TYPES.get(type_name) or _SCALAR_TYPES.get(type_name.lower())
        if _is_true(keywords.get("is_flag")) or any("/" in decl for decl in decls):
            value_type = "bool"
        if _is_true(keywords.get("count")):
            value_type = "int"
        if _is_true(keywords.get("multiple")) or (self.number(keywords.get("nargs")) or 0) > 1:
            value_type = "list"
        default = keywords.get("default")
        if isinstance(default, ast.Lambda):
            default = None
        default = self._env_default(param, default, value_type)
        param.default = self.text(default)
        if param.value_type != "enum":
            param.value_type = value_type or self.literal_type(default) or "string"
        self._help_range(param, keywords.get("help"))
        if name is not None:
            self.param(param, decorator, "Command-line flag")
        for envvar in envvars:
            note = f", sets {name}" if name else ""
            self.param(replace(param, name=envvar, note=note), decorator, "Environment variable")

    def _is_typer(self, call: ast.AST) -> str | None:
        if not isinstance(call, ast.Call):
            return None
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("Option", "Argument")
            and isinstance(func.value, ast.Name)
            and func.value.id == "typer"
        ):
            return func.attr
        if isinstance(func, ast.Name) and self.typer_option.get(func.id):
            return func.id
        return None

    def _typer(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        arguments = function.args
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
        defaults += list(arguments.defaults)
        pairs = list(zip(positional, defaults, strict=True))
        pairs += list(zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True))
        for arg, default in pairs:
            option: ast.Call | None = None
            annotated = False
            if default is not None and self._is_typer(default):
                assert isinstance(default, ast.Call)
                option = default
            elif (
                isinstance(arg.annotation, ast.Subscript)
                and _last_name(arg.annotation.value) == "Annotated"
            ):
                meta = arg.annotation.slice
                for item in meta.elts[1:] if isinstance(meta, ast.Tuple) else []:
                    if self._is_typer(item):
                        assert isinstance(item, ast.Call)
                        option, annotated = item, True
            if option is None:
                continue
            self._typer_param(arg, default, option, annotated)

    def _typer_param(
        self, arg: ast.arg, default: ast.expr | None, option: ast.Call, annotated: bool
    ) -> None:
        keywords = _keywords(option)
        kind = self._is_typer(option)
        args = list(option.args)
        value: ast.expr | None = default if annotated else None
        if not annotated and args and not (_str(args[0]) or "").startswith("-"):
            value = args.pop(0)
        value = keywords.get("default", value)
        decls = [text for text in (_str(a) for a in args) if text]
        name = None
        if kind == "Option":
            name = self._flag_name(decls) or "--" + arg.arg.replace("_", "-")
        envvars = self._string_list(keywords.get("envvar"))
        if name is None and not envvars:
            return
        info = self.annotation(arg.annotation)
        required = value is None or _is_ellipsis(value)
        if annotated and default is None:
            required = True
        param = _Param(
            name=name or "",
            value_type=info.value_type,
            required=required,
            allowed=info.allowed,
            secret=info.secret,
        )
        if info.value_type == "string" and arg.annotation is None:
            param.value_type = self.literal_type(value) or "string"
        if isinstance(value, ast.Lambda):
            value = None
        param.default = self.text(self._env_default(param, value, param.value_type))
        param.set_range(
            self.number(keywords.get("min")), self.number(keywords.get("max")), "declared"
        )
        self._help_range(param, keywords.get("help"))
        end = default if default is not None else arg
        if name is not None:
            self.param(param, arg, "Command-line flag", end)
        for envvar in envvars:
            note = f", sets {name}" if name else ""
            self.param(replace(param, name=envvar, note=note), arg, "Environment variable", end)
