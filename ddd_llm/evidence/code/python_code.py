"""Python analyzer: settings classes, env reads, CLI flags and health routes, read with `ast`."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from ddd_llm.evidence.base import (
    AnalyzerResult,
    SourceFile,
    infer_value_type,
    is_health_path,
    looks_secret,
    register,
)
from ddd_llm.models import ConfigParameter, HealthCheck, Number, RangeSource, ValueType

MAX_CHARS = 2_000_000
"""Larger files are generated or vendored code, never an operator's knobs; parsing them is slow."""

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

# Paths whose code configures tests, builds or docs, not the running system.
_SKIP_DIRS = frozenset({"tests", "test", "testing", "__tests__", "site-packages", "node_modules"})
_SKIP_NAMES = frozenset({"conftest.py", "setup.py", "noxfile.py"})

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

_NUM = r"(-?\d+(?:\.\d+)?)"
_RANGE_BOTH = (
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
)
_RANGE_MAX = re.compile(
    r"(?:\b(?:max(?:imum)?|at most|up to|no more than|not more than)\b|<=|≤)"
    r"\s*(?:of|is)?\s*[:=]?\s*" + _NUM + r"(?![\d.])",
    re.IGNORECASE,
)
_RANGE_MIN = re.compile(
    r"(?:\b(?:min(?:imum)?|at least|no less than|not less than)\b|>=|≥)"
    r"\s*(?:of|is)?\s*[:=]?\s*" + _NUM + r"(?![\d.])",
    re.IGNORECASE,
)
_OPTION = re.compile(r"^--?[A-Za-z0-9]")
_NUMERIC = frozenset({"int", "float", "duration", "size"})
_CONSTANT_NAME = re.compile(r"^_?[A-Z][A-Z0-9_]*$")


def _number(text: str) -> Number:
    value = float(text)
    return int(value) if "." not in text and value.is_integer() else value


def documented_range(text: str | None) -> tuple[Number | None, Number | None]:
    """A min and max stated in help text: `(1-100)`, `between 1 and 100`, `max 500`, `>= 1`."""
    if not text:
        return None, None
    for pattern in _RANGE_BOTH:
        match = pattern.search(text)
        if match:
            low, high = _number(match.group(1)), _number(match.group(2))
            if low <= high:
                return low, high
    low_match = _RANGE_MIN.search(text)
    high_match = _RANGE_MAX.search(text)
    return (
        _number(low_match.group(1)) if low_match else None,
        _number(high_match.group(1)) if high_match else None,
    )


def _is_test_path(source: SourceFile) -> bool:
    if source.name in _SKIP_NAMES:
        return True
    if source.name.startswith("test_") or source.name.endswith("_test.py"):
        return True
    directories = [part.lower() for part in source.parts[:-1]]
    if any(part in _SKIP_DIRS for part in directories):
        return True
    return source.name == "conf.py" and bool(directories) and directories[-1] in ("docs", "doc")


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


class _Reader:
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
        self.env_helpers = self._env_helpers()
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

    # --- pydantic settings ----------------------------------------------------------

    def _settings_config(self, cls: ast.ClassDef, depth: int = 0) -> _SettingsConfig:
        config = _SettingsConfig()
        for base in cls.bases:
            name = _last_name(base)
            if name in self.settings and name != cls.name and depth < 10:
                config = self._settings_config(self.settings[name], depth + 1)
                break
        options: dict[str, ast.expr] = {}
        for kw in cls.keywords:
            if kw.arg is not None:
                options[kw.arg] = kw.value
        for stmt in cls.body:
            if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
                for inner in stmt.body:
                    if (
                        isinstance(inner, ast.Assign)
                        and len(inner.targets) == 1
                        and isinstance(inner.targets[0], ast.Name)
                    ):
                        options[inner.targets[0].id] = inner.value
            value: ast.expr | None = None
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets
            ):
                value = stmt.value
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == "model_config"
            ):
                value = stmt.value
            if isinstance(value, ast.Call):
                options.update(_keywords(value))
            elif isinstance(value, ast.Dict):
                for key, item in zip(value.keys, value.values, strict=True):
                    key_text = _str(key)
                    if key_text is not None:
                        options[key_text] = item
        if "env_prefix" in options:
            config.prefix = self.name_of(options["env_prefix"]) or ""
        if "case_sensitive" in options:
            config.case_sensitive = _is_true(options["case_sensitive"])
        if "env_nested_delimiter" in options:
            config.delimiter = self.name_of(options["env_nested_delimiter"]) or None
        return config

    def annotation(self, node: ast.AST | None, info: _TypeInfo | None = None) -> _TypeInfo:
        info = info or _TypeInfo()
        if node is not None:
            try:
                self._annotation(node, info, 0)
            except RecursionError:
                pass
            info.secret = info.secret or any(
                _last_name(part) in _SECRET_TYPES for part in ast.walk(node)
            )
        return info

    def _annotation(self, node: ast.AST, info: _TypeInfo, depth: int) -> None:
        if depth > 12:
            return
        text = _str(node)
        if text is not None:
            try:
                parsed = ast.parse(text, mode="eval").body
            except (SyntaxError, ValueError):
                return
            self._annotation(parsed, info, depth + 1)
            return
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            parts = [part for part in (node.left, node.right) if not _is_none(part)]
            if parts:
                self._annotation(parts[0], info, depth + 1)
            return
        if isinstance(node, ast.Subscript):
            base = _last_name(node.value) or ""
            args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
            if base in ("Optional", "Final", "Required", "NotRequired"):
                self._annotation(args[0], info, depth + 1)
            elif base == "ClassVar":
                info.class_var = True
            elif base == "Union":
                parts = [part for part in args if not _is_none(part)]
                if parts:
                    self._annotation(parts[0], info, depth + 1)
            elif base == "Annotated":
                self._annotation(args[0], info, depth + 1)
                for meta in args[1:]:
                    self._constraint(meta, info)
            elif base == "Literal":
                info.value_type = "enum"
                info.allowed = [
                    value for value in (self.text(arg) for arg in _flatten(args)) if value
                ]
            elif base in _LIST_SUBSCRIPTS:
                info.value_type = "list"
            elif base in _SECRET_TYPES:
                info.secret = True
            return
        if isinstance(node, ast.Call):
            info.value_type = _SCALAR_TYPES.get(_last_name(node.func) or "", "string")
            self._bounds(_keywords(node), info)
            return
        name = _last_name(node)
        if name is None:
            return
        if name in _SCALAR_TYPES:
            info.value_type = _SCALAR_TYPES[name]
            low, high = _TYPE_BOUNDS.get(name, (None, None))
            info.low = low if info.low is None else info.low
            info.high = high if info.high is None else info.high
        elif name in self.enums:
            info.value_type = "enum"
            info.allowed = list(self.enums[name].values()) or None
        elif name in self.classes:
            info.nested = name

    def _constraint(self, meta: ast.expr, info: _TypeInfo) -> None:
        if not isinstance(meta, ast.Call):
            return
        name = _last_name(meta.func)
        keywords = _keywords(meta)
        if name == "Field":
            info.fields.append(meta)
            self._bounds(keywords, info)
        elif name in ("Ge", "Gt") and meta.args:
            info.low = self.number(meta.args[0])
        elif name in ("Le", "Lt") and meta.args:
            info.high = self.number(meta.args[0])
        elif name == "Interval":
            self._bounds(keywords, info)

    def _bounds(self, keywords: dict[str, ast.expr], info: _TypeInfo) -> None:
        for key in ("ge", "gt"):
            if key in keywords and self.number(keywords[key]) is not None:
                info.low = self.number(keywords[key])
        for key in ("le", "lt"):
            if key in keywords and self.number(keywords[key]) is not None:
                info.high = self.number(keywords[key])

    def read_settings(self) -> None:
        for cls in self.settings.values():
            config = self._settings_config(cls)
            for stmt in cls.body:
                self._settings_field(cls, stmt, config, "", 0, set())

    def _settings_field(
        self,
        cls: ast.ClassDef,
        stmt: ast.stmt,
        config: _SettingsConfig,
        outer: str,
        depth: int,
        seen: set[str],
    ) -> None:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name, annotation, value = stmt.target.id, stmt.annotation, stmt.value
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Constant)
            and not outer
        ):
            # pydantic v1 takes un-annotated class attributes with a default as fields
            name, annotation, value = stmt.targets[0].id, None, stmt.value
        else:
            return
        if name.startswith("_") or name in ("model_config", "Config"):
            return
        info = self.annotation(annotation)
        if info.class_var:
            return
        field_call = (
            value if isinstance(value, ast.Call) and _last_name(value.func) == "Field" else None
        )
        calls = [*info.fields, *([field_call] if field_call is not None else [])]
        keywords: dict[str, ast.expr] = {}
        for call in calls:
            keywords.update(_keywords(call))
            self._bounds(_keywords(call), info)
        default: ast.expr | None = value
        has_default = value is not None
        if field_call is not None:
            default = keywords.get("default", field_call.args[0] if field_call.args else None)
            has_default = (default is not None and not _is_ellipsis(default)) or (
                "default_factory" in keywords
            )
        if _is_ellipsis(default):
            default, has_default = None, False
        aliases = self._aliases(keywords) if not outer else []
        nested = info.nested
        if nested is not None and nested in self.settings:
            return  # a settings class of its own: its fields are read with its own prefix
        names = aliases or [f"{outer}{config.prefix if not outer else ''}{name}"]
        if not config.case_sensitive:
            names = list(dict.fromkeys(alias.upper() for alias in names))
        nested_cls = self.classes.get(nested) if nested else None
        if nested_cls is not None and config.delimiter and depth < 3 and nested not in seen:
            for inner in nested_cls.body:
                self._settings_field(
                    nested_cls,
                    inner,
                    config,
                    names[0] + config.delimiter,
                    depth + 1,
                    {*seen, nested_cls.name},
                )
            return
        if info.value_type == "string" and annotation is None:
            info.value_type = self.literal_type(default) or "string"
        default_text = None
        if default is not None and not (
            isinstance(default, ast.Call) and _last_name(default.func) == "Field"
        ):
            default_text = self.text(default)
        for env_name in names:
            param = _Param(
                name=env_name,
                value_type=info.value_type,
                default=default_text,
                required=not has_default,
                allowed=info.allowed,
                secret=info.secret,
            )
            param.set_range(info.low, info.high, "declared")
            if param.range_source is None:
                low, high = documented_range(
                    _str(keywords.get("description")) or self._trailing_comment(stmt)
                )
                param.set_range(low, high, "documented")
            self.param(param, stmt, f"Settings field {cls.name}.{name} from env var")

    def _aliases(self, keywords: dict[str, ast.expr]) -> list[str]:
        for key in ("env", "validation_alias", "alias"):
            node = keywords.get(key)
            if node is None:
                continue
            text = self.name_of(node)
            if text:
                return [text]
            if isinstance(node, ast.List | ast.Tuple | ast.Set):
                names = [value for value in (self.name_of(elt) for elt in node.elts) if value]
            elif isinstance(node, ast.Call) and _last_name(node.func) == "AliasChoices":
                names = [value for value in (self.name_of(arg) for arg in node.args) if value]
            else:
                names = []
            if names:
                return names
        return []

    def _trailing_comment(self, stmt: ast.stmt) -> str | None:
        end = stmt.end_lineno
        end_col = stmt.end_col_offset
        if end is None or end_col is None or end > len(self._lines):
            return None
        rest = self._lines[end - 1].encode()[end_col:].decode(errors="replace").strip()
        return rest[1:] if rest.startswith("#") else None

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
        # a name defined twice (or shadowed by an import) is not known to be the helper
        defined = [f.name for f in self.functions]
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

    def _string_list(self, node: ast.expr | None) -> list[str]:
        text = self.name_of(node)
        if text:
            return [text]
        if isinstance(node, ast.List | ast.Tuple):
            return [value for value in (self.name_of(elt) for elt in node.elts) if value]
        return []

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

    # --- health routes -----------------------------------------------------------------

    def read_routes(self) -> None:
        for function in self.functions:
            self._route_decorators(function)
        for cls in self.classes.values():
            self._route_decorators(cls)
        for call in self.calls:
            self._route_call(call)

    def _route_decorators(
        self, owner: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ) -> None:
        for decorator in owner.decorator_list:
            if not isinstance(decorator, ast.Call):
                continue
            func = decorator.func
            method = _last_name(func)
            if method not in _ROUTE_DECORATORS:
                continue
            keywords = _keywords(decorator)
            path_node = decorator.args[0] if decorator.args else None
            for key in ("path", "rule", "url", "uri"):
                path_node = path_node or keywords.get(key)
            paths = self._string_list(path_node)
            receiver = _dotted(func.value) if isinstance(func, ast.Attribute) else None
            prefix = self.route_prefixes.get(receiver or "", "")
            for path in paths:
                if not path.startswith("/") and not (path == "" and prefix):
                    continue
                full = (prefix + path) or "/"
                if not (is_health_path(full) or _HEALTH_HANDLER.match(owner.name.lower())):
                    continue
                verb = "GET" if method in ("route", "api_route", "get") else method.upper()
                self._health(full, decorator.lineno, owner.lineno, f"{verb} {full} ({owner.name})")

    def _route_call(self, call: ast.Call) -> None:
        func = call.func
        name = _last_name(func) or ""
        args = call.args
        if name.endswith("Application"):
            self._tornado(call)
            return
        if isinstance(func, ast.Name) and name in _DJANGO_ROUTES:
            if len(args) < 2 and "view" not in _keywords(call):
                return
            path = _str(args[0]) if args else None
            if path is None:
                return
            target = _django_target(path, regex=name != "path")
            view = self.segment(args[1]) if len(args) > 1 else None
        elif name in _ROUTE_CALLS or (
            isinstance(func, ast.Attribute)
            and _dotted(func.value) == "web"
            and name in ("get", "head", "route")
        ):
            strings = [text for text in (_str(arg) for arg in args) if text is not None]
            paths = [text for text in strings if text.startswith("/")]
            if not paths:
                return
            target = paths[0]
            if isinstance(func, ast.Attribute):
                prefix = self.route_prefixes.get(_dotted(func.value) or "", "")
                target = prefix + target
            rest = [arg for arg in args if _str(arg) is None]
            keywords = _keywords(call)
            handler = (
                keywords.get("endpoint") or keywords.get("view_func") or keywords.get("handler")
            )
            handler = rest[0] if rest else handler
            view = self.segment(handler) if handler is not None else None
        else:
            return
        if not is_health_path(target):
            return
        where = f" ({_one_line(view, 40)})" if view else ""
        self._health(target, call.lineno, call.end_lineno or call.lineno, f"GET {target}{where}")

    def _tornado(self, call: ast.Call) -> None:
        """Tornado's `Application([(r"/health", HealthHandler), ...])`."""
        handlers = call.args[0] if call.args else _keywords(call).get("handlers")
        if not isinstance(handlers, ast.List | ast.Tuple):
            return
        for item in handlers.elts:
            if not isinstance(item, ast.Tuple) or len(item.elts) < 2:
                continue
            path = _str(item.elts[0])
            if path is None or not is_health_path(path):
                continue
            target = _django_target(path, regex=True)
            view = self.segment(item.elts[1]) or ""
            end = item.end_lineno or item.lineno
            self._health(target, item.lineno, end, f"GET {target} ({_one_line(view, 40)})")

    def _health(self, target: str, start: int, end: int, what: str) -> None:
        fact = HealthCheck(
            service=None,
            summary=f"HTTP health endpoint {what}",
            citations=[self.source.cite(start, end)],
            check_type="http",
            target=target,
            port=None,
            mechanism="code-endpoint",
        )
        self.emit(fact, start, end)


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


def _django_target(path: str, regex: bool) -> str:
    text = path
    if regex:
        text = text.removeprefix("^").removesuffix("$").removesuffix("\\Z")
        text = text.removesuffix("/?")
    return text if text.startswith("/") else "/" + text


class PythonCodeAnalyzer:
    """Reads `*.py` files with `ast`: what an operator sets and how the app reports health."""

    name = "python"

    def accepts(self, source: SourceFile) -> bool:
        return (
            source.suffix == ".py" and len(source.text) <= MAX_CHARS and not _is_test_path(source)
        )

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        if len(source.text) > MAX_CHARS:
            result.warn(source, f"skipped: larger than {MAX_CHARS} characters", None, self.name)
            return result
        try:
            tree = ast.parse(source.text, filename=source.path)
        except SyntaxError as exc:
            result.warn(source, f"Python syntax error: {exc.msg}", exc.lineno, self.name)
            return result
        except (ValueError, RecursionError, MemoryError) as exc:
            result.warn(source, f"Python source could not be parsed: {exc}"[:200], None, self.name)
            return result
        reader = _Reader(source, tree)
        try:
            reader.read_settings()
            reader.read_cli()
            reader.read_env()
            reader.read_routes()
        except RecursionError:
            result.warn(source, "Python source nested too deeply to read", None, self.name)
        result.facts.extend(reader.facts())
        return result


register(PythonCodeAnalyzer())
