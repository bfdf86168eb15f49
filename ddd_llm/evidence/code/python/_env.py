"""Python analyzer, part: environment reads (os.environ, os.getenv, env helpers, django-environ)."""

from __future__ import annotations

import ast
import re

from ddd_llm.evidence.code.python._common import (
    _BOOL_WORDS,
    _CAST_NAMES,
    _ENV_METHODS,
    _ENV_NAME,
    _HELPER_WORDS,
    _LIST_SUBSCRIPTS,
    _PLATFORM_ENV,
    _SCALAR_TYPES,
    _STRING_METHODS,
    _UPPER_ENV_NAME,
    ReaderBase,
    _dotted,
    _EnvHelper,
    _EnvRead,
    _flatten,
    _is_none,
    _keywords,
    _last_name,
    _Param,
    _str,
)
from ddd_llm.models import ValueType


class EnvReader(ReaderBase):
    """The reader's part for environment reads."""

    env_helpers: dict[str, _EnvHelper]
    """Set by the assembled reader once the file-wide tables are read."""

    # --- environment reads -----------------------------------------------------------

    def _is_environ(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.environ_names
        dotted = _dotted(node) if isinstance(node, ast.Attribute) else None
        return dotted is not None and dotted in self.environ_dotted

    def _env_helpers(self) -> dict[str, _EnvHelper]:
        """Functions whose parameter is the name passed to `os.getenv`/`os.environ`.

        Settings modules wrap the read to convert it (`def envint(name, default)`); each
        call of such a function with a literal name is then a read of that variable.
        """
        helpers: dict[str, _EnvHelper] = {}
        for function in self.functions:
            params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
            if not params or len(function.body) > 25:
                continue
            found: tuple[str, str | None, bool] | None = None
            read_node: ast.expr | None = None
            for node in ast.walk(function):
                inner = self._helper_read(node, params)
                if inner is not None and isinstance(node, ast.expr):
                    found, read_node = inner, node
                    break
            if found is None or read_node is None:
                continue
            name_param, default_param, required = found
            helpers[function.name] = _EnvHelper(
                name_index=params.index(name_param),
                name_param=name_param,
                default_index=params.index(default_param) if default_param else None,
                default_param=default_param,
                # the return type or name says it; else what the body converts the read to
                value_type=self._helper_type(function) or self._wrapper(read_node)[0],
                required=required,
            )
        # a name defined twice (or shadowed by an import) is not known to be the helper;
        # `@overload` stubs only type the one definition
        defined = [f.name for f in self.functions if not _is_overload(f)]
        return {k: v for k, v in helpers.items() if defined.count(k) == 1}

    def _helper_read(self, node: ast.AST, params: list[str]) -> tuple[str, str | None, bool] | None:
        """(name parameter, default parameter, required) when `node` reads env by a parameter."""
        if isinstance(node, ast.Subscript) and self._is_environ(node.value):
            if isinstance(node.slice, ast.Name) and node.slice.id in params:
                return node.slice.id, None, True
            return None
        if not isinstance(node, ast.Call) or not node.args:
            return None
        func = node.func
        is_getenv = (
            isinstance(func, ast.Attribute)
            and func.attr == "getenv"
            and isinstance(func.value, ast.Name)
            and func.value.id in self.os_modules
        ) or (isinstance(func, ast.Name) and func.id in self.getenv_names)
        is_get = (
            isinstance(func, ast.Attribute) and func.attr == "get" and self._is_environ(func.value)
        )
        first = node.args[0]
        if not (is_getenv or is_get) or not isinstance(first, ast.Name) or first.id not in params:
            return None
        default = node.args[1] if len(node.args) > 1 else _keywords(node).get("default")
        if isinstance(default, ast.Name) and default.id in params:
            return first.id, default.id, False
        return first.id, None, False

    def _helper_type(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> ValueType | None:
        returns = function.returns
        if isinstance(returns, ast.BinOp):  # `int | None`
            sides = [returns.left, returns.right]
            returns = next((n for n in sides if not _is_none(n)), None)
        if isinstance(returns, ast.Subscript):
            head = _last_name(returns.value)
            if head in ("Optional",):
                returns = returns.slice
            elif head in _LIST_SUBSCRIPTS:
                return "list"
        named = _last_name(returns) if returns is not None else None
        if named in _SCALAR_TYPES and named != "str":
            return _SCALAR_TYPES[named]
        words = {w.lower() for w in re.split(r"[_\W]+|(?<=[a-z])(?=[A-Z])", function.name)}
        # `envbool` / `intenv` glue the type to "env" without a separator
        words |= {w.removeprefix("env").removesuffix("env") for w in words}
        for word, value_type in _HELPER_WORDS.items():
            if word in words:
                return value_type
        return None

    def _helper_call(self, call: ast.Call) -> _EnvRead | None:
        if not isinstance(call.func, ast.Name) or call.func.id not in self.env_helpers:
            return None
        helper = self.env_helpers[call.func.id]
        keywords = _keywords(call)

        def argument(index: int | None, param: str | None) -> ast.expr | None:
            if index is not None and index < len(call.args):
                return call.args[index]
            return keywords.get(param) if param else None

        name = self.name_of(argument(helper.name_index, helper.name_param))
        if name is None:
            return None
        default = argument(helper.default_index, helper.default_param)
        required = helper.required and default is None
        return _EnvRead(name, call, default, required, helper.value_type, how="os.getenv")

    def _env_read(self, call: ast.Call) -> _EnvRead | None:
        func = call.func
        args = call.args
        keywords = _keywords(call)
        if not args:
            return None
        helper = self._helper_call(call)
        if helper is not None:
            return helper
        name = self.name_of(args[0])
        if name is None:
            return None
        # os.getenv / getenv / os.environ.get
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "getenv"
            and isinstance(func.value, ast.Name)
            and func.value.id in self.os_modules
        ) or (isinstance(func, ast.Name) and func.id in self.getenv_names):
            default = args[1] if len(args) > 1 else keywords.get("default")
            return _EnvRead(name, call, default, False, how="os.getenv")
        if isinstance(func, ast.Attribute) and func.attr == "get" and self._is_environ(func.value):
            default = args[1] if len(args) > 1 else keywords.get("default")
            return _EnvRead(name, call, default, False)
        # django-environ / environs
        receiver = func.value if isinstance(func, ast.Attribute) else func
        if isinstance(receiver, ast.Name) and (
            receiver.id in self.env_objects
            or (receiver.id == "env" and _UPPER_ENV_NAME.match(name))
        ):
            if receiver.id in self.environ_names:
                return None
            if isinstance(func, ast.Attribute):
                if func.attr not in _ENV_METHODS:
                    return None
                value_type: ValueType | None = _ENV_METHODS[func.attr]
                default = keywords.get("default", args[1] if len(args) > 1 else None)
                read = _EnvRead(name, call, default, default is None, value_type, how="env")
                if func.attr == "enum":
                    enum_name = _last_name(keywords.get("type") or keywords.get("enum"))
                    read.allowed = list(self.enums.get(enum_name or "", {}).values()) or None
                return read
            cast, default = self._cast_and_default(args[1:], keywords, cast_first=True)
            read = _EnvRead(name, call, default, default is None, how="env")
            self._apply_cast(read, cast)
            return read
        # python-decouple / starlette Config
        if (isinstance(func, ast.Name) and func.id in self.config_objects) or (
            isinstance(func, ast.Attribute)
            and func.attr == "config"
            and isinstance(func.value, ast.Name)
            and func.value.id == "decouple"
        ):
            cast, default = self._cast_and_default(args[1:], keywords, cast_first=False)
            read = _EnvRead(name, call, default, default is None, how="config")
            self._apply_cast(read, cast)
            return read
        return None

    def _cast_and_default(
        self, rest: list[ast.expr], keywords: dict[str, ast.expr], cast_first: bool
    ) -> tuple[ast.expr | None, ast.expr | None]:
        cast = keywords.get("cast")
        default = keywords.get("default")
        for arg in rest:
            looks_cast = _last_name(arg.func if isinstance(arg, ast.Call) else arg) in _CAST_NAMES
            if looks_cast and cast is None and (cast_first or not isinstance(arg, ast.Constant)):
                cast = arg
            elif default is None and not looks_cast:
                default = arg
        return cast, default

    def _apply_cast(self, read: _EnvRead, cast: ast.expr | None) -> None:
        if cast is None:
            return
        if isinstance(cast, ast.Lambda):
            if any(isinstance(n, ast.Attribute) and n.attr == "split" for n in ast.walk(cast)):
                read.value_type = "list"
            return
        if isinstance(cast, ast.List | ast.Tuple) and cast.elts:
            read.value_type = "list"
            return
        head = cast.func if isinstance(cast, ast.Call) else cast
        name = _last_name(head) or ""
        if name == "Secret":
            read.secret = True
        elif name == "Choices" and isinstance(cast, ast.Call) and cast.args:
            read.value_type = "enum"
            read.allowed = [v for v in (self.text(e) for e in _flatten(cast.args[:1])) if v]
        elif name in self.enums:
            read.value_type = "enum"
            read.allowed = list(self.enums[name].values()) or None
        elif name in _SCALAR_TYPES:
            read.value_type = _SCALAR_TYPES[name]

    def _django_scheme(self, call: ast.Call) -> None:
        """`environ.Env(DEBUG=(bool, False))` declares a variable's cast and default."""
        func = call.func
        dotted = _dotted(func) or ""
        if _last_name(func) != "Env" or not (
            dotted.split(".")[0] in ("environ", "environs") or dotted == "Env"
        ):
            return
        for kw in call.keywords:
            if kw.arg is None or not _ENV_NAME.match(kw.arg):
                continue
            value = kw.value
            cast: ast.expr | None = value
            default: ast.expr | None = None
            has_default = False
            if isinstance(value, ast.Tuple) and value.elts:
                cast = value.elts[0]
                if len(value.elts) > 1:
                    default, has_default = value.elts[1], True
            read = _EnvRead(kw.arg, value, default, not has_default, how="env")
            self._apply_cast(read, cast)
            self.scheme_defaults[kw.arg] = (default, read.value_type)
            self._emit_env(read, kw)

    def read_env(self) -> None:
        for call in self.calls:
            self._django_scheme(call)
        optional = self._optional_names()
        for call in self.calls:
            read = self._env_read(call)
            if read is None:
                continue
            if read.how == "env" and read.default is None and read.name in self.scheme_defaults:
                scheme_default, scheme_type = self.scheme_defaults[read.name]
                read.default, read.required = scheme_default, False
                read.value_type = read.value_type or scheme_type
            read.name = self._prefixed(call, read.name)
            self._emit_env(read, call)
        for sub in self.subscripts:
            if not isinstance(sub.ctx, ast.Load) or not self._is_environ(sub.value):
                continue
            name = self.name_of(sub.slice)
            if name is None:
                continue
            required = name not in optional and not self._guarded(sub)
            self._emit_env(_EnvRead(name, sub, None, required), sub)

    def _optional_names(self) -> set[str]:
        """Variables tested with `in` or read with a fallback elsewhere in the file."""
        names: set[str] = set()
        for compare in self.compares:
            if len(compare.ops) == 1 and isinstance(compare.ops[0], ast.In | ast.NotIn):
                if self._is_environ(compare.comparators[0]):
                    name = self.name_of(compare.left)
                    if name:
                        names.add(name)
        for call in self.calls:
            read = self._env_read(call)
            if read is not None and read.how in ("os.environ", "os.getenv"):
                names.add(read.name)
        return names

    def _guarded(self, node: ast.AST) -> bool:
        child = node
        parent = self.parents.get(node)
        while parent is not None:
            if isinstance(parent, ast.Try) and child in parent.body:
                for handler in parent.handlers:
                    caught = handler.type
                    names = (
                        [_last_name(e) for e in caught.elts]
                        if isinstance(caught, ast.Tuple)
                        else [_last_name(caught)]
                    )
                    if caught is None or {"KeyError", "LookupError", "Exception"} & {
                        n for n in names if n
                    }:
                        return True
            if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                return False
            child, parent = parent, self.parents.get(parent)
        return False

    def _prefixed(self, call: ast.Call, name: str) -> str:
        """environs' `with env.prefixed("APP_"):` prepends to every read inside."""
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else call.func
        if not isinstance(receiver, ast.Name) or receiver.id not in self.env_objects:
            return name
        prefix = ""
        parent = self.parents.get(call)
        while parent is not None:
            if isinstance(parent, ast.With):
                for item in parent.items:
                    ctx = item.context_expr
                    if (
                        isinstance(ctx, ast.Call)
                        and isinstance(ctx.func, ast.Attribute)
                        and ctx.func.attr == "prefixed"
                        and _dotted(ctx.func.value) == receiver.id
                        and ctx.args
                    ):
                        prefix = (self.name_of(ctx.args[0]) or "") + prefix
            parent = self.parents.get(parent)
        return prefix + name

    def _wrapper(self, node: ast.expr) -> tuple[ValueType | None, ast.expr | None]:
        """The type the code converts a read value to, and a fallback written after `or`."""
        fallback: ast.expr | None = None
        current: ast.AST = node
        for _ in range(8):
            parent = self.parents.get(current)
            if isinstance(parent, ast.BoolOp) and isinstance(parent.op, ast.Or):
                if parent.values[0] is current and len(parent.values) > 1:
                    fallback = fallback or parent.values[1]
                current = parent
                continue
            if isinstance(parent, ast.Attribute):
                call = self.parents.get(parent)
                if isinstance(call, ast.Call) and call.func is parent:
                    if parent.attr in _STRING_METHODS:
                        current = call
                        continue
                    if parent.attr == "split":
                        return "list", fallback
                return None, fallback
            if isinstance(parent, ast.Call) and current in parent.args:
                name = _last_name(parent.func) or ""
                if name == "str":
                    current = parent
                    continue
                if name in ("int", "float", "bool", "Decimal") or name in _SCALAR_TYPES:
                    return _SCALAR_TYPES.get(name), fallback
                if name == "loads":
                    return "string", fallback
                return None, fallback
            if isinstance(parent, ast.Compare) and len(parent.ops) == 1:
                other = parent.comparators[0] if parent.left is current else parent.left
                values = _flatten([other])
                texts = [_str(v) for v in values]
                if texts and all(t is not None and t.lower() in _BOOL_WORDS for t in texts):
                    return "bool", fallback
                return None, fallback
            return None, fallback
        return None, fallback

    def _emit_env(self, read: _EnvRead, cite: ast.AST) -> None:
        if read.name in _PLATFORM_ENV or not _ENV_NAME.match(read.name):
            return
        wrapped, fallback = self._wrapper(read.node)
        default = read.default if read.default is not None else fallback
        if default is not None and not self._literal(default):
            # `os.getenv("NAME", BASE_DIR / "db.sqlite")`: code, not a value an operator sets
            default = None
        value_type = (
            read.value_type
            or wrapped
            or self.cli_types.get(read.node)
            or self.literal_type(default)
            or "string"
        )
        param = _Param(
            name=read.name,
            value_type=value_type,
            default=self.text(default),
            required=read.required and default is None,
            allowed=read.allowed,
            secret=read.secret,
        )
        if value_type == "enum" and not param.allowed:
            param.value_type = "string"
        self.param(param, cite, "Environment variable")


def _is_overload(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        (isinstance(d, ast.Name) and d.id == "overload")
        or (isinstance(d, ast.Attribute) and d.attr == "overload")
        for d in function.decorator_list
    )
