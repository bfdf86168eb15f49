"""What every part of the Python analyzer shares: the vocabulary, the AST helpers, and
the reader's plumbing (one pass over the tree, constants, imports, settings classes)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ddd_llm.evidence.base import (
    NUMBER,
    RangePhrases,
    SourceFile,
    infer_value_type,
    looks_secret,
)
from ddd_llm.models import ConfigParameter, HealthCheck, Number, RangeSource, ValueType

_VALUE_TYPES: tuple[ValueType, ...] = (
    "int",
    "float",
    "bool",
    "string",
    "duration",
    "size",
    "enum",
    "list",
)

# Variables the platform sets for every process; reading them is not an operator setting.
_PLATFORM_ENV = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "USERNAME",
        "LOGNAME",
        "SHELL",
        "TERM",
        "PWD",
        "OLDPWD",
        "LANG",
        "LANGUAGE",
        "LC_ALL",
        "LC_CTYPE",
        "TMPDIR",
        "TEMP",
        "TMP",
        "PYTEST_CURRENT_TEST",
        "PYTHONPATH",
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "CI",
        "GITHUB_ACTIONS",
        "COLUMNS",
        "LINES",
        "SYSTEMROOT",
        "APPDATA",
        "LOCALAPPDATA",
        "USERPROFILE",
        "COMSPEC",
        "DISPLAY",
        "LD_LIBRARY_PATH",
        "LD_PRELOAD",
    }
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_UPPER_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")

_SCALAR_TYPES: dict[str, ValueType] = {
    "int": "int",
    "PositiveInt": "int",
    "NegativeInt": "int",
    "NonNegativeInt": "int",
    "NonPositiveInt": "int",
    "StrictInt": "int",
    "conint": "int",
    "INT": "int",
    "float": "float",
    "PositiveFloat": "float",
    "NegativeFloat": "float",
    "NonNegativeFloat": "float",
    "NonPositiveFloat": "float",
    "StrictFloat": "float",
    "FiniteFloat": "float",
    "confloat": "float",
    "Decimal": "float",
    "condecimal": "float",
    "FLOAT": "float",
    "bool": "bool",
    "StrictBool": "bool",
    "BOOL": "bool",
    "strtobool": "bool",
    "str2bool": "bool",
    "str_to_bool": "bool",
    "to_bool": "bool",
    "as_bool": "bool",
    "parse_bool": "bool",
    "asbool": "bool",
    "timedelta": "duration",
    "ByteSize": "size",
    "list": "list",
    "List": "list",
    "set": "list",
    "Set": "list",
    "tuple": "list",
    "Tuple": "list",
    "frozenset": "list",
    "FrozenSet": "list",
    "Sequence": "list",
    "MutableSequence": "list",
    "Iterable": "list",
    "Collection": "list",
    "conlist": "list",
    "conset": "list",
    "Csv": "list",
    "CommaSeparatedStrings": "list",
}
# pydantic's constrained number types: (min, max) as the bound they state.
_TYPE_BOUNDS: dict[str, tuple[Number | None, Number | None]] = {
    "PositiveInt": (0, None),
    "NonNegativeInt": (0, None),
    "NegativeInt": (None, 0),
    "NonPositiveInt": (None, 0),
    "PositiveFloat": (0, None),
    "NonNegativeFloat": (0, None),
    "NegativeFloat": (None, 0),
    "NonPositiveFloat": (None, 0),
}
_LIST_SUBSCRIPTS = frozenset(
    {
        "list",
        "List",
        "set",
        "Set",
        "tuple",
        "Tuple",
        "frozenset",
        "FrozenSet",
        "Sequence",
        "MutableSequence",
        "Iterable",
        "Collection",
    }
)
_SECRET_TYPES = frozenset({"SecretStr", "SecretBytes", "Secret"})
_ENUM_BASES = frozenset({"Enum", "StrEnum", "IntEnum", "Flag", "IntFlag"})
_BOOL_WORDS = frozenset({"1", "0", "true", "false", "yes", "no", "on", "off", "y", "n", "t", "f"})
_STRING_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "casefold", "title"})

# django-environ and environs readers: method -> value type.
_ENV_METHODS: dict[str, ValueType] = {
    "str": "string",
    "bool": "bool",
    "int": "int",
    "float": "float",
    "decimal": "float",
    "json": "string",
    "list": "list",
    "tuple": "list",
    "dict": "string",
    "url": "string",
    "db_url": "string",
    "db": "string",
    "cache_url": "string",
    "cache": "string",
    "email_url": "string",
    "email": "string",
    "search_url": "string",
    "path": "string",
    "bytes": "string",
    "datetime": "string",
    "date": "string",
    "time": "string",
    "timedelta": "duration",
    "uuid": "string",
    "log_level": "string",
    "enum": "enum",
    "dj_db_url": "string",
    "dj_cache_url": "string",
    "dj_email_url": "string",
}
# A helper named `envbool`, `env_int`, `get_list_from_env` converts to this type.
_HELPER_WORDS: dict[str, ValueType] = {
    "bool": "bool",
    "flag": "bool",
    "int": "int",
    "float": "float",
    "list": "list",
    "csv": "list",
}
_CAST_NAMES = frozenset(
    {
        "int",
        "float",
        "bool",
        "str",
        "list",
        "tuple",
        "dict",
        "Csv",
        "Choices",
        "CommaSeparatedStrings",
        "Secret",
        "URL",
        "Path",
        "Decimal",
        "loads",
    }
)

_HEALTH_HANDLER = re.compile(
    r"^(?:get_|api_|check_)?(?:health(?:z|_?check)?|liveness|readiness|livez|readyz)"
    r"(?:_(?:check|probe|endpoint|route|view))?$"
)
_ROUTE_DECORATORS = frozenset({"get", "head", "route", "api_route"})
_ROUTE_CALLS = frozenset(
    {
        "Route",
        "APIRoute",
        "add_url_rule",
        "add_api_route",
        "add_route",
        "add_get",
        "add_head",
        "add_resource",
    }
)
_DJANGO_ROUTES = frozenset({"path", "re_path", "url"})

_NUM = f"({NUMBER})"
documented_range = RangePhrases(
    both=(
        re.compile(
            r"[(\[]\s*(?:range\s*[:=]?\s*|valid\s*[:=]?\s*)?" + _NUM + r"\s*(?:-|–|—|\.\.\.?|to)\s*"
            r"" + _NUM + r"\s*(?:[a-z%]+\s*)?[)\]]",
            re.IGNORECASE,
        ),
        re.compile(r"\bbetween\s+" + _NUM + r"\s+and\s+" + _NUM, re.IGNORECASE),
        re.compile(r"\bfrom\s+" + _NUM + r"\s+(?:to|through)\s+" + _NUM, re.IGNORECASE),
        re.compile(
            r"\brange\s*(?:of|is|:|=)?\s*[\[(]?\s*" + _NUM + r"\s*(?:-|–|\.\.|,|to)\s*" + _NUM,
            re.IGNORECASE,
        ),
    ),
    at_least=re.compile(
        r"(?:\b(?:min(?:imum)?|at least|no less than|not less than)\b|>=|≥)"
        r"\s*(?:of|is)?\s*[:=]?\s*" + _NUM + r"(?![\d.])",
        re.IGNORECASE,
    ),
    at_most=re.compile(
        r"(?:\b(?:max(?:imum)?|at most|up to|no more than|not more than)\b|<=|≤)"
        r"\s*(?:of|is)?\s*[:=]?\s*" + _NUM + r"(?![\d.])",
        re.IGNORECASE,
    ),
    keep_inverted=True,
)
"""A min and max stated in help text: `(1-100)`, `between 1 and 100`, `max 500`, `>= 1`."""
_OPTION = re.compile(r"^--?[A-Za-z0-9]")
_NUMERIC = frozenset({"int", "float", "duration", "size"})
_CONSTANT_NAME = re.compile(r"^_?[A-Z][A-Z0-9_]*$")


def _last_name(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {kw.arg: kw.value for kw in call.keywords if kw.arg is not None}


def _is_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _is_ellipsis(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _one_line(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _value_type(text: str) -> ValueType:
    for value_type in _VALUE_TYPES:
        if value_type == text:
            return value_type
    return "string"


def _literal_type(node: ast.AST | None) -> ValueType | None:
    """The type a literal default implies, or None when nothing can be said."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        node = node.operand
    if not isinstance(node, ast.Constant):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return "list"
        return None
    value = node.value
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return _value_type(infer_value_type(value)) if value else None
    return None


@dataclass
class _Param:
    """A config parameter before it becomes a fact."""

    name: str
    value_type: ValueType = "string"
    default: str | None = None
    required: bool = False
    low: Number | None = None
    high: Number | None = None
    range_source: RangeSource | None = None
    allowed: list[str] | None = None
    secret: bool = False
    note: str = ""

    def set_range(self, low: Number | None, high: Number | None, source: RangeSource) -> None:
        if low is None and high is None:
            return
        if source == "documented" and self.value_type not in _NUMERIC:
            return  # "max 5" in a flag's help is about something else when the flag is no number
        self.low, self.high, self.range_source = low, high, source

    def describe(self) -> str:
        bits: list[str] = [self.value_type]
        if self.allowed:
            shown = ", ".join(_one_line(value, 20) for value in self.allowed[:6])
            bits.append(f"one of {shown}{', …' if len(self.allowed) > 6 else ''}")
        if self.default is not None and not self.secret:
            bits.append(f"default {_one_line(self.default) or repr(self.default)}")
        if self.low is not None and self.high is not None:
            bits.append(f"range {self.low}..{self.high}")
        elif self.low is not None:
            bits.append(f"min {self.low}")
        elif self.high is not None:
            bits.append(f"max {self.high}")
        if self.required:
            bits.append("required")
        if self.secret:
            bits.append("secret")
        return ", ".join(bits)


@dataclass
class _TypeInfo:
    """What an annotation says about a value."""

    value_type: ValueType = "string"
    allowed: list[str] | None = None
    low: Number | None = None
    high: Number | None = None
    secret: bool = False
    class_var: bool = False
    nested: str | None = None
    fields: list[ast.Call] = field(default_factory=list)


@dataclass
class _SettingsConfig:
    prefix: str = ""
    case_sensitive: bool = False
    delimiter: str | None = None


@dataclass
class _EnvRead:
    """One read of an environment variable through a library that names it."""

    name: str
    node: ast.expr
    default: ast.expr | None
    required: bool
    value_type: ValueType | None = None
    allowed: list[str] | None = None
    secret: bool = False
    how: str = "os.environ"


@dataclass
class _EnvHelper:
    """A project function reading the variable its argument names: `envbool("DEBUG", "False")`."""

    name_index: int
    name_param: str
    default_index: int | None
    default_param: str | None
    value_type: ValueType | None
    required: bool


def _position(node: ast.stmt | ast.expr) -> tuple[int, int]:
    return node.lineno, node.col_offset


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _flatten(nodes: Iterable[ast.expr]) -> Iterator[ast.expr]:
    for node in nodes:
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            yield from _flatten(node.elts)
        else:
            yield node


class ReaderBase:
    """Everything one parsed file says; built once per file."""

    def __init__(self, source: SourceFile, tree: ast.Module) -> None:
        self.source = source
        self.tree = tree
        self._found: list[tuple[int, int, int, ConfigParameter | HealthCheck]] = []
        self._lines = source.lines
        self.parents: dict[ast.AST, ast.AST] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.calls: list[ast.Call] = []
        self.subscripts: list[ast.Subscript] = []
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.compares: list[ast.Compare] = []
        self.imports: list[ast.Import | ast.ImportFrom] = []
        self.assigns: list[ast.Assign] = []
        class_defs: list[ast.ClassDef] = []
        # one pass over the tree: ast.walk plus a parent map would visit every node twice
        stack: list[ast.AST] = [tree]
        while stack:
            node = stack.pop()
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
                stack.append(child)
            if isinstance(node, ast.Call):
                self.calls.append(node)
            elif isinstance(node, ast.Subscript):
                self.subscripts.append(node)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.append(node)
            elif isinstance(node, ast.ClassDef):
                class_defs.append(node)
            elif isinstance(node, ast.Compare):
                self.compares.append(node)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                self.imports.append(node)
            elif isinstance(node, ast.Assign):
                self.assigns.append(node)
        for found in (self.calls, self.subscripts, self.functions, class_defs, self.assigns):
            found.sort(key=_position)
        self.imports.sort(key=_position)
        for cls in class_defs:
            self.classes.setdefault(cls.name, cls)
        self.constants = self._module_constants()
        self.enums = self._enums()
        self._imports()
        self.settings = self._settings_classes()
        self.cli_types: dict[ast.AST, ValueType] = {}
        self.scheme_defaults: dict[str, tuple[ast.expr | None, ValueType | None]] = {}

    # --- plumbing ----------------------------------------------------------------

    def segment(self, node: ast.AST) -> str | None:
        """The node's source text as written (ast offsets are UTF-8 byte columns)."""
        start: int | None = getattr(node, "lineno", None)
        end: int | None = getattr(node, "end_lineno", None)
        col: int | None = getattr(node, "col_offset", None)
        end_col: int | None = getattr(node, "end_col_offset", None)
        if start is None or end is None or col is None or end_col is None:
            return None
        if start < 1 or end > len(self._lines):
            return None
        if start == end:
            raw = self._lines[start - 1].encode()[col:end_col]
            return raw.decode(errors="replace")
        first = self._lines[start - 1].encode()[col:].decode(errors="replace")
        middle = self._lines[start : end - 1]
        last = self._lines[end - 1].encode()[:end_col].decode(errors="replace")
        return "\n".join([first, *middle, last])

    def text(self, node: ast.AST | None) -> str | None:
        """A default as the operator would write it: strings unquoted, None as null."""
        if node is None:
            return None
        if isinstance(node, ast.Constant):
            if node.value is None or node.value is Ellipsis:
                return None
            if isinstance(node.value, str):
                return node.value
            return self.segment(node) or repr(node.value)
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.text(self.constants[node.id])
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            member = self.enums.get(node.value.id, {}).get(node.attr)
            if member is not None:
                return member
        written = self.segment(node)
        if written is None:
            try:
                written = ast.unparse(node)
            except (RecursionError, ValueError):
                return None
        return _one_line(written, 200) if "\n" in written else written

    def number(self, node: ast.AST | None, depth: int = 0) -> Number | None:
        """A numeric bound written as a literal, a simple expression or a module constant."""
        if node is None or depth > 8:
            return None
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            return value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self.number(node.operand, depth + 1)
            if inner is None:
                return None
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.number(self.constants[node.id], depth + 1)
        if isinstance(node, ast.BinOp):
            left = self.number(node.left, depth + 1)
            right = self.number(node.right, depth + 1)
            if left is None or right is None:
                return None
            try:
                if isinstance(node.op, ast.Add):
                    return left + right
                if isinstance(node.op, ast.Sub):
                    return left - right
                if isinstance(node.op, ast.Mult):
                    return left * right
                if isinstance(node.op, ast.FloorDiv):
                    return left // right
                if isinstance(node.op, ast.Div):
                    return left / right
                if isinstance(node.op, ast.Pow) and abs(right) <= 64 and abs(left) <= 1 << 16:
                    result: Number = left**right
                    return result
            except (ArithmeticError, ValueError):
                return None
        return None

    def _literal(self, node: ast.AST, depth: int = 0) -> bool:
        """A value written in the source (a literal, a constant, an enum member, arithmetic)."""
        if depth > 8:
            return False
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.UnaryOp):
            return self._literal(node.operand, depth + 1)
        if isinstance(node, ast.Name):
            return node.id in self.constants and self._literal(self.constants[node.id], depth + 1)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return node.attr in self.enums.get(node.value.id, {})
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return all(self._literal(e, depth + 1) for e in node.elts)
        if isinstance(node, ast.BinOp):
            return self.number(node) is not None
        return False

    def literal_type(self, node: ast.AST | None) -> ValueType | None:
        if isinstance(node, ast.Name) and node.id in self.constants:
            node = self.constants[node.id]
        return _literal_type(node)

    def name_of(self, node: ast.AST | None) -> str | None:
        """An env var name written as a literal or a module-level string constant."""
        if isinstance(node, ast.Name) and node.id in self.constants:
            node = self.constants[node.id]
        return _str(node)

    def emit(self, fact: ConfigParameter | HealthCheck, start: int, end: int) -> None:
        self._found.append((start, end, len(self._found), fact))

    def param(
        self, param: _Param, node: ast.AST, what: str, end_node: ast.AST | None = None
    ) -> None:
        start = getattr(node, "lineno", 1)
        end = getattr(end_node or node, "end_lineno", None) or start
        if not param.name or any(ch.isspace() for ch in param.name):
            return
        secret = param.secret or looks_secret(param.name, param.default)
        param.secret = secret
        fact = ConfigParameter(
            service=None,
            summary=f"{what} {param.name} ({param.describe()}{param.note})",
            citations=[self.source.cite(start, end)],
            name=param.name,
            value_type=param.value_type,
            default=param.default,
            min=param.low,
            max=param.high,
            allowed_values=param.allowed,
            required=param.required,
            secret=secret,
            range_source=param.range_source,
        )
        self.emit(fact, start, end)

    def facts(self) -> list[ConfigParameter | HealthCheck]:
        return [fact for _, _, _, fact in sorted(self._found, key=lambda item: item[:3])]

    # --- file-wide tables ----------------------------------------------------------

    def _module_constants(self) -> dict[str, ast.expr]:
        seen: dict[str, ast.expr] = {}
        reassigned: set[str] = set()
        for stmt in self.tree.body:
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets, value = [stmt.target], stmt.value
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                if target.id in seen:
                    reassigned.add(target.id)
                literal = value
                if isinstance(literal, ast.UnaryOp):
                    literal = literal.operand
                if isinstance(literal, ast.Constant | ast.BinOp) and value is not None:
                    seen[target.id] = value
                else:
                    reassigned.add(target.id)
        # only CONSTANT_CASE names: a lower-case name is a variable a function may shadow
        return {
            name: value
            for name, value in seen.items()
            if name not in reassigned and _CONSTANT_NAME.match(name)
        }

    def _enums(self) -> dict[str, dict[str, str]]:
        enums: dict[str, dict[str, str]] = {}
        for cls in self.classes.values():
            if not any(_last_name(base) in _ENUM_BASES for base in cls.bases):
                continue
            members: dict[str, str] = {}
            for stmt in cls.body:
                if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
                    continue
                target = stmt.targets[0]
                if not isinstance(target, ast.Name) or target.id.startswith("_"):
                    continue
                value = stmt.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str | int | float):
                    members[target.id] = (
                        value.value if isinstance(value.value, str) else self.segment(value) or ""
                    )
                else:
                    members[target.id] = target.id.lower()
            enums[cls.name] = members
        return enums

    def _imports(self) -> None:
        self.os_modules = {"os"}
        self.environ_names: set[str] = set()
        self.getenv_names: set[str] = set()
        self.env_objects: set[str] = set()
        self.config_objects: set[str] = set()
        self.settings_bases = {"BaseSettings"}
        self.typer_option = {"Option": False, "Argument": False}
        self.route_prefixes: dict[str, str] = {}
        env_factories: set[str] = set()
        config_factories: set[str] = set()
        env_modules: set[str] = set()
        config_modules: set[str] = set()
        for node in self.imports:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    if alias.name == "os":
                        self.os_modules.add(local)
                    elif alias.name in ("environ", "environs"):
                        env_modules.add(local)
                    elif alias.name in ("decouple", "starlette.config"):
                        config_modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                for alias in node.names:
                    local = alias.asname or alias.name
                    if module == "os" and alias.name == "environ":
                        self.environ_names.add(local)
                    elif module == "os" and alias.name == "getenv":
                        self.getenv_names.add(local)
                    elif module in ("environ", "environs") and alias.name == "Env":
                        env_factories.add(local)
                    elif module == "decouple" and alias.name == "config":
                        self.config_objects.add(local)
                    elif module in ("decouple", "starlette.config") and alias.name in (
                        "AutoConfig",
                        "Config",
                    ):
                        config_factories.add(local)
                    elif alias.name == "BaseSettings":
                        self.settings_bases.add(local)
                    elif module == "typer" and alias.name in ("Option", "Argument"):
                        self.typer_option[alias.name] = True
                    elif alias.name == "env" and alias.asname is None:
                        # cookiecutter-django style: `from .base import env` (a django-environ Env)
                        self.env_objects.add(local)
        self.environ_dotted = {f"{module}.environ" for module in self.os_modules}
        for assign in self.assigns:
            if len(assign.targets) != 1:
                continue
            target = assign.targets[0]
            if not isinstance(target, ast.Name):
                continue
            value = assign.value
            if isinstance(value, ast.Attribute) and _dotted(value) in self.environ_dotted:
                self.environ_names.add(target.id)
            if not isinstance(value, ast.Call):
                continue
            func = value.func
            dotted = _dotted(func) or ""
            head = dotted.split(".")[0]
            if (isinstance(func, ast.Name) and func.id in env_factories) or (
                head in env_modules and dotted.endswith(".Env")
            ):
                self.env_objects.add(target.id)
            elif (isinstance(func, ast.Name) and func.id in config_factories) or (
                head in config_modules and _last_name(func) in ("AutoConfig", "Config")
            ):
                self.config_objects.add(target.id)
            if _last_name(func) in ("APIRouter", "Blueprint", "Router", "Sanic", "APIBlueprint"):
                keywords = _keywords(value)
                prefix = _str(keywords.get("prefix")) or _str(keywords.get("url_prefix"))
                if prefix:
                    self.route_prefixes[target.id] = prefix.rstrip("/")

    def _settings_classes(self) -> dict[str, ast.ClassDef]:
        found: dict[str, ast.ClassDef] = {}
        changed = True
        while changed:
            changed = False
            for cls in self.classes.values():
                if cls.name in found:
                    continue
                for base in cls.bases:
                    name = _last_name(base) or ""
                    if (
                        name in self.settings_bases
                        or name.endswith("BaseSettings")
                        or (name in found and name != cls.name)
                    ):
                        found[cls.name] = cls
                        changed = True
                        break
        return found

    def _string_list(self, node: ast.expr | None) -> list[str]:
        text = self.name_of(node)
        if text:
            return [text]
        if isinstance(node, ast.List | ast.Tuple):
            return [value for value in (self.name_of(elt) for elt in node.elts) if value]
        return []
