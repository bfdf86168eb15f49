"""Go source analyzer: flags, environment reads, health routes, gRPC health and listen ports."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ddd_llm.evidence.base import (
    NUMBER,
    AnalyzerResult,
    RangePhrases,
    SourceFile,
    infer_value_type,
    is_health_path,
    looks_secret,
    register,
)
from ddd_llm.evidence.code._masked import MAX_CALL, MaskedCode, Span
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    FactBase,
    HealthCheck,
    ResourceRequirement,
    ValueType,
)

NAME = "go_code"

# String interiors are replaced by this character so that regexes over the masked text
# never match inside a literal, while offsets still line up with the original text.
_FILL = "\x00"
_SPECIAL = re.compile(r"[/\"'`]")
_NOT_NEWLINE = re.compile(r"[^\n]")
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_MAX_DEFAULT = 80


@dataclass(frozen=True)
class _Lit:
    start: int
    end: int
    value: str


def _unescape(body: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), body)


class _Code(MaskedCode):
    """A Go file with comments blanked and literal interiors masked; offsets match the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lits: dict[int, _Lit] = {}
        self.unterminated: list[tuple[str, int]] = []
        self.masked = self._mask(text)
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def _mask(self, text: str) -> str:
        out = list(text)
        n = len(text)
        i = 0
        while True:
            found = _SPECIAL.search(text, i)
            if found is None:
                break
            i = found.start()
            ch = text[i]
            if ch == "/":
                nxt = text[i + 1 : i + 2]
                if nxt == "/":
                    end = text.find("\n", i)
                    end = n if end < 0 else end
                    out[i:end] = " " * (end - i)
                    i = end
                elif nxt == "*":
                    end = text.find("*/", i + 2)
                    if end < 0:
                        self.unterminated.append(("comment", i))
                    end = n if end < 0 else end + 2
                    out[i:end] = _NOT_NEWLINE.sub(" ", text[i:end])
                    i = end
                else:
                    i += 1
            elif ch == "`":
                end = text.find("`", i + 1)
                if end < 0:
                    self.unterminated.append(("raw string", i))
                    end = n
                self.lits[i] = _Lit(i, min(end + 1, n), text[i + 1 : end])
                out[i + 1 : end] = _NOT_NEWLINE.sub(_FILL, text[i + 1 : end])
                i = end + 1
            else:
                j = i + 1
                while j < n:
                    c = text[j]
                    if c == "\\":
                        j += 2
                        continue
                    if c == ch or c == "\n":
                        break
                    j += 1
                j = min(j, n)
                closed = j < n and text[j] == ch
                if ch == '"' and closed:
                    self.lits[i] = _Lit(i, j + 1, _unescape(text[i + 1 : j]))
                out[i + 1 : j] = _NOT_NEWLINE.sub(_FILL, text[i + 1 : j])
                i = j + 1 if closed else j
        return "".join(out)

    def src(self, span: Span) -> str:
        return " ".join(self.text[span[0] : span[1]].split())

    def string(self, span: Span) -> str | None:
        """The value of a literal (or `"a" + "b"` of literals) spanning exactly `span`."""
        s, e = self.trim(span)
        if s >= e:
            return None
        parts: list[str] = []
        for piece in re.finditer(r"[^+]+", self.masked[s:e]):
            ps, pe = self.trim((s + piece.start(), s + piece.end()))
            lit = self.lits.get(ps)
            if lit is None or lit.end != pe:
                return None
            parts.append(lit.value)
        return "".join(parts) if parts else None


# --- vocabulary ------------------------------------------------------------------------

_FLAG_TYPES: dict[str, ValueType] = {
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


@dataclass(frozen=True)
class _FlagFn:
    value_type: ValueType
    ptr: bool  # first argument is the destination pointer (…Var)
    short: bool  # pflag …P form: a shorthand follows the name
    has_default: bool
    pflag_only: bool


def _flag_functions() -> dict[str, _FlagFn]:
    table: dict[str, _FlagFn] = {}
    for base, vt in _FLAG_TYPES.items():
        has_default = base != "Count"
        std = base in ("Int", "Int64", "Uint", "Uint64", "Float64", "Bool", "String", "Duration")
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
_FLAG_CALL = re.compile(
    r"(?<![\w.])(?P<recv>[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*(?:\s*\(\s*\))?)*)\s*\.\s*(?P<fn>"
    + "|".join(sorted(_FLAG_FNS, key=len, reverse=True))
    + r")\s*\("
)
_PFLAG_METHODS = frozenset(
    {
        "Flags()",
        "PersistentFlags()",
        "LocalFlags()",
        "InheritedFlags()",
        "LocalNonPersistentFlags()",
        "NonInheritedFlags()",
    }
)

_NUM = NUMBER
documented_range = RangePhrases(
    both=(
        re.compile(rf"(?i)\bbetween\s+({_NUM})\s+and\s+({_NUM})"),
        re.compile(rf"(?<![\w.\-/:])({_NUM})\s*(?:-|–|\.\.\.?|\bto\b)\s*({_NUM})(?![\w.\-/:])"),
    ),
    at_least=re.compile(
        rf"(?i)(?:\bmin(?:imum)?\b|\bat least\b|>=?)\s*(?:of\s+|is\s+|value\s+)?[:=]?\s*({_NUM})\b"
    ),
    at_most=re.compile(
        rf"(?i)(?:\bmax(?:imum)?\b|\bat most\b|\bup to\b|<=?)\s*(?:of\s+|is\s+|value\s+)?"
        rf"[:=]?\s*({_NUM})\b"
    ),
)
"""A (min, max) stated in a flag's usage text: `1-100`, `between 1 and 10`, `max 500`."""

_ROUTE_CALL = re.compile(
    r"(?<![\w.])(?P<recv>[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*(?:\s*\(\s*\))?)*)\s*\.\s*(?P<fn>"
    r"HandleFunc|Handle|HandlerFunc|Handler|GET|HEAD|Any|Get|Head|Path|PathPrefix|Method|"
    r"MethodFunc|Add|Match|All|Mount|Route)\s*\("
)
_GROUP_BIND = re.compile(
    r"(?<![\w.])(?P<var>[A-Za-z_]\w*)\s*:?=\s*(?P<parent>[A-Za-z_]\w*)\s*\.\s*"
    r"(?:Group|PathPrefix)\s*\(\s*(?P<lit>\"[^\"\n]*\")"
)
_GRPC_REGISTER = re.compile(r"(?<![\w.])[A-Za-z_]\w*\s*\.\s*RegisterHealthServer\s*\(")
_GRPC_NEW = re.compile(r"(?<![\w.])health\s*\.\s*NewServer\s*\(\s*\)")
_LISTEN = re.compile(
    r"(?<![\w])(?P<fn>ListenAndServeTLS|ListenAndServe|Listen|ListenTLS|Run|RunTLS|Start|StartTLS|"
    r"Serve)\s*\("
)
_ADDR_FIELD = re.compile(r"(?<![\w.])Addr\s*:\s*(?=\")")
_ADDRESS = re.compile(r"^(?:[\w.\-]*|\[[0-9A-Fa-f:.]*\]):(\d{1,5})$")

_ENV_CALL = re.compile(r"(?<![\w.])(?:os|syscall)\s*\.\s*(?P<fn>Getenv|LookupEnv)\s*\(")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_ENVISH_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_GENERIC_ENV_CALL = re.compile(
    r"(?<![\w.])(?:(?P<pkg>[A-Za-z_]\w*)\s*\.\s*)?(?P<fn>[A-Za-z_]\w*)\s*\("
)
# Getter-shaped names only: `getEnv`, `mustGetEnv`, `envOrDefault`, `GetEnvAsInt`, `envInt`;
# not `newEnvironment("PROD")` or `setupEnv(…)`.
_ENV_HELPER_NAME = re.compile(
    r"(?i)^(?:(?:get|must|lookup|read|require|fetch|parse)_?)+(?:os_?)?env"
    r"|^env_?(?:var_?)?(?:or|default|get|must|str|int|uint|bool|dur|float|list|slice|as|val|$)"
)
_ENV_PACKAGE_GETTER = re.compile(
    r"(?i)^(?:get|must|lookup|require|str|int|uint|bool|dur|float|list|slice)"
)
_FATAL = re.compile(
    r"(?<![\w.])(?:panic|os\s*\.\s*Exit|[A-Za-z_]\w*\s*\.\s*(?:Fatal|Fatalf|Fatalln|Panic|Panicf))"
    r"\s*\(|\breturn\b[^\n]*(?:errors\s*\.\s*New|fmt\s*\.\s*Errorf)\s*\("
)
_CONVERTERS: dict[str, ValueType] = {
    "Atoi": "int",
    "ParseInt": "int",
    "ParseUint": "int",
    "ParseFloat": "float",
    "ParseBool": "bool",
    "ParseDuration": "duration",
}
_CONVERT_BEFORE = re.compile(
    r"(?:strconv\s*\.\s*(?P<s>Atoi|ParseInt|ParseUint|ParseFloat|ParseBool)|time\s*\.\s*"
    r"(?P<t>ParseDuration))\s*\(\s*$"
)
_BOOL_WORDS = frozenset({"true", "false", "1", "0", "yes", "no", "on", "off"})
_LITERAL_EXPR = re.compile(
    r"-?\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|"
    r"(?:\d+\s*\*\s*)*time\s*\.\s*(?:Nanosecond|Microsecond|Millisecond|Second|Minute|Hour)"
    r"(?:\s*\*\s*\d+)*"
)
_TYPE_WORDS: tuple[tuple[str, ValueType], ...] = (
    ("duration", "duration"),
    ("bool", "bool"),
    ("float", "float"),
    ("int", "int"),
    ("uint", "int"),
    ("slice", "list"),
    ("list", "list"),
)


def _go_type(type_text: str) -> ValueType | None:
    t = type_text.strip().lstrip("*")
    if t.startswith("[]"):
        return "list"
    if t in ("time.Duration", "Duration"):
        return "duration"
    if t == "bool":
        return "bool"
    if t.startswith("float"):
        return "float"
    if re.fullmatch(r"u?int(8|16|32|64)?", t):
        return "int"
    if t == "string":
        return "string"
    return None


def _type_from_name(fn: str) -> ValueType | None:
    lower = fn.lower()
    for word, vt in _TYPE_WORDS:
        if word in lower.replace("env", "").replace("interval", ""):
            return vt
    return None


def _merge_lines(ranges: Iterable[Span]) -> list[Span]:
    merged: list[list[int]] = []
    for start, end in sorted(set(ranges)):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


@dataclass
class _Param:
    """One configuration parameter as read at one or more places in the file."""

    name: str
    kind: str  # "flag" or "env" or "key"
    lines: list[Span] = field(default_factory=list)
    value_type: ValueType | None = None
    default: str | None = None
    required: bool = False
    usage: str | None = None
    allowed: list[str] | None = None

    def absorb(self, other: _Param) -> None:
        self.lines.extend(other.lines)
        if self.default is None:
            self.default = other.default
        if self.value_type in (None, "string") and other.value_type not in (None, "string"):
            self.value_type = other.value_type
        self.required = self.required or other.required
        self.usage = self.usage or other.usage
        self.allowed = self.allowed or other.allowed


@dataclass(frozen=True)
class _Helper:
    key_index: int
    default_index: int | None
    value_type: ValueType | None
    required: bool


class _File:
    """Per-file state: the masked code, its imports, constants and flag-set bindings."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.code = _Code(source.text)
        self.imports = self._imports()
        self.consts = self._consts()

    # imports and constants ------------------------------------------------------------

    def _imports(self) -> dict[str, str]:
        code = self.code
        aliases: dict[str, str] = {}
        regions: list[Span] = []
        for m in re.finditer(r"(?m)^[ \t]*import\b[ \t]*(\()?", code.masked):
            if m.group(1):
                got = code.args(m.end() - 1)
                if got:
                    regions.append((m.end(), got[1]))
            else:
                end = code.masked.find("\n", m.end())
                regions.append((m.end(), len(code.masked) if end < 0 else end))
        for start, end in regions:
            for m in re.finditer(r"(?:(?P<alias>[\w.]+)\s+)?(?P<q>[\"`])", code.masked[start:end]):
                lit = code.lits.get(start + m.start("q"))
                if lit is None:
                    continue
                alias = m.group("alias") or _default_alias(lit.value)
                aliases[alias] = lit.value
        return aliases

    def _consts(self) -> dict[str, tuple[str, int]]:
        code = self.code
        found: dict[str, tuple[str, int]] = {}
        seen_twice: set[str] = set()
        regions: list[Span] = []
        for m in re.finditer(r"(?m)^[ \t]*(?:const|var)[ \t]*\(", code.masked):
            got = code.args(m.end() - 1)
            if got:
                regions.append((m.end(), got[1]))
        line_re = re.compile(
            r"(?m)^[ \t]*(?P<name>[A-Za-z_]\w*)(?:[ \t]+[\w.*\[\]]+)?[ \t]*=[ \t]*"
            r"(?P<expr>[^\n;=][^\n;]*?)[ \t]*;?[ \t]*$"
        )
        single = re.compile(
            r"(?m)^[ \t]*(?:const|var)[ \t]+(?P<name>[A-Za-z_]\w*)(?:[ \t]+[\w.*\[\]]+)?"
            r"[ \t]*=[ \t]*"
            r"(?P<expr>[^\n;=][^\n;]*?)[ \t]*;?[ \t]*$"
        )
        matches = [m for s, e in regions for m in line_re.finditer(code.masked, s, e)]
        matches.extend(single.finditer(code.masked))
        for m in matches:
            name = m.group("name")
            value = self._literal((m.start("expr"), m.end("expr")))
            if value is None:
                continue
            if name in found and found[name][0] != value:
                seen_twice.add(name)
            found[name] = (value, code.line(m.start("name")))
        for name in seen_twice:
            found.pop(name, None)
        return found

    def _literal(self, span: Span) -> str | None:
        text = self.code.string(span)
        if text is not None:
            return text
        s, e = self.code.trim(span)
        written = self.code.masked[s:e]
        if _LITERAL_EXPR.fullmatch(written):
            return " ".join(self.code.text[s:e].split())
        return None

    def value(self, span: Span, *, as_written: bool = False) -> tuple[str | None, int | None]:
        """A default's value: literals unquoted, constants resolved, else (optionally) as written.

        The second item is the line of a resolved constant's definition, for the citation.
        """
        lit = self._literal(span)
        if lit is not None:
            return lit, None
        s, e = self.code.trim(span)
        written = self.code.masked[s:e]
        if written in self.consts:
            value, line = self.consts[written]
            return value, line
        if as_written and written and written != "nil" and e - s <= _MAX_DEFAULT:
            return self.code.src((s, e)), None
        return None, None

    def key(self, span: Span) -> str | None:
        """A name given as a string literal or a string constant."""
        return self.key_at(span)[0]

    def key_at(self, span: Span) -> tuple[str | None, list[Span]]:
        """A name and, when it came from a constant, the constant's line for the citation."""
        text = self.code.string(span)
        if text is not None:
            return text, []
        s, e = self.code.trim(span)
        const = self.consts.get(self.code.masked[s:e])
        if const is not None and not _LITERAL_EXPR.fullmatch(const[0]):
            return const[0], [(const[1], const[1])]
        return None, []

    def aliases_of(self, predicate: Iterable[str] | None = None, *, suffix: str = "") -> set[str]:
        wanted = set(predicate or ())
        return {
            alias
            for alias, path in self.imports.items()
            if path in wanted or (suffix and path.endswith(suffix))
        }

    def cite(self, start: int, end: int) -> Span:
        return self.code.line(start), self.code.line(max(start, end))


def _default_alias(path: str) -> str:
    parts = path.split("/")
    last = parts[-1]
    if re.fullmatch(r"v\d+", last) and len(parts) > 1:
        last = parts[-2]
    last = re.sub(r"\.v\d+$", "", last)
    if last.startswith("go-"):
        last = last[3:]
    return last.replace("-", "_").replace(".", "_")


# --- flags -----------------------------------------------------------------------------


def _flag_style(recv: str, f: _File, bindings: dict[str, str]) -> str | None:
    parts = re.sub(r"\s+", "", recv).split(".")
    std, pflag = _flag_packages(f)
    if parts[-1] in _PFLAG_METHODS:
        return "pflag"
    head = parts[0]
    if len(parts) == 1:
        if head in std:
            return "std"
        if head in pflag:
            return "pflag"
        return bindings.get(head)
    if len(parts) == 2 and parts[1] == "CommandLine":
        return "std" if head in std else "pflag" if head in pflag else None
    return None


def _flag_packages(f: _File) -> tuple[set[str], set[str]]:
    std = f.aliases_of(["flag"])
    pflag = f.aliases_of(suffix="spf13/pflag")
    if "flag" not in f.imports:
        std.add("flag")
    if "pflag" not in f.imports:
        pflag.add("pflag")
    return std, pflag


def _flagset_bindings(f: _File) -> dict[str, str]:
    std, pflag = _flag_packages(f)
    masked = f.code.masked
    out: dict[str, str] = {}

    def kind(pkg: str) -> str | None:
        return "std" if pkg in std else "pflag" if pkg in pflag else None

    for m in re.finditer(
        r"(?<![\w.])(?P<var>[A-Za-z_]\w*)\s*:?=\s*&?\s*(?P<pkg>[A-Za-z_]\w*)\s*\.\s*"
        r"(?:NewFlagSet\s*\(|CommandLine\b|FlagSet\s*\{)",
        masked,
    ):
        k = kind(m.group("pkg"))
        if k:
            out[m.group("var")] = k
    for m in re.finditer(
        r"(?<![\w.])(?P<var>[A-Za-z_]\w*)\s+\*\s*(?P<pkg>[A-Za-z_]\w*)\s*\.\s*FlagSet\b", masked
    ):
        k = kind(m.group("pkg"))
        if k:
            out[m.group("var")] = k
    for m in re.finditer(
        r"(?<![\w.])(?P<var>[A-Za-z_]\w*)\s*:?=\s*[\w.()\s]*?\.\s*"
        r"(?:Persistent|Local|Inherited|LocalNonPersistent|NonInherited)?Flags\s*\(\s*\)",
        masked,
    ):
        out[m.group("var")] = "pflag"
    return out


def _flags(f: _File) -> list[_Param]:
    code = f.code
    bindings = _flagset_bindings(f)
    params: list[_Param] = []
    for m in _FLAG_CALL.finditer(code.masked):
        spec = _FLAG_FNS[m.group("fn")]
        style = _flag_style(m.group("recv"), f, bindings)
        if style is None or (style == "std" and spec.pflag_only):
            continue
        got = code.args(m.end() - 1)
        if got is None:
            continue
        args, close = got
        fn = m.group("fn")
        if fn in ("Func", "BoolFunc"):
            layout = ["name", "usage", "fn"]
        else:
            layout = (["ptr"] if spec.ptr else []) + ["name"]
            layout += ["short"] if spec.short else []
            layout += ["default"] if spec.has_default else []
            layout += ["usage"]
        if len(args) != len(layout):
            continue
        where = dict(zip(layout, args, strict=True))
        name = f.key(where["name"])
        if not name or not re.fullmatch(r"[\w][\w.\-:]*", name):
            continue
        prefix = "-" if style == "std" else "--"
        lines = [f.cite(m.start(), close)]
        default = None
        if "default" in where:
            default, const_line = f.value(where["default"], as_written=True)
            if const_line:
                lines.append((const_line, const_line))
        if default == "":
            default = None
        usage = f.code.string(where["usage"])
        params.append(
            _Param(
                name=prefix + name,
                kind="flag",
                lines=lines,
                value_type=spec.value_type,
                default=default,
                usage=usage,
            )
        )
    params.extend(_kingpin(f))
    params.extend(_urfave(f))
    return params


_KINGPIN_CHAIN = re.compile(r"\s*\.\s*(?P<m>[A-Za-z_]\w*)\s*\(")


def _kingpin_type(method: str) -> ValueType:
    base = method[:-3] if method.endswith("Var") else method
    if base in ("Enum", "Enums"):
        return "enum" if base == "Enum" else "list"
    if base in ("Bytes",):
        return "size"
    if base in ("Counter",):
        return "int"
    if base.endswith(("s", "List", "Map")):
        return "list"
    return _FLAG_TYPES.get(base, "string")


def _kingpin(f: _File) -> list[_Param]:
    code = f.code
    kingpin = {a for a, p in f.imports.items() if "kingpin" in p}
    if not kingpin:
        return []
    params: list[_Param] = []
    for m in re.finditer(
        r"(?<![\w.])(?P<recv>[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*(?:\s*\(\s*\))?)*)\s*\.\s*Flag\s*\(",
        code.masked,
    ):
        got = code.args(m.end() - 1)
        if got is None or len(got[0]) != 2:
            continue
        args, close = got
        name = f.key(args[0])
        if not name:
            continue
        usage = code.string(args[1])
        default: str | None = None
        required = False
        envars: list[str] = []
        allowed: list[str] | None = None
        value_type: ValueType = "string"
        pos = close + 1
        end = close
        while True:
            link = _KINGPIN_CHAIN.match(code.masked, pos)
            if link is None:
                break
            got = code.args(link.end() - 1)
            if got is None:
                break
            largs, lclose = got
            method = link.group("m")
            if method == "Default" and largs:
                values = [f.value(a, as_written=True)[0] or "" for a in largs]
                default = ",".join(values)
            elif method in ("Envar", "OverrideDefaultFromEnvar") and largs:
                env = f.key(largs[0])
                if env:
                    envars.append(env)
            elif method == "Required":
                required = True
            elif method in ("Short", "Help", "Hidden", "PlaceHolder", "NoEnvar", "Action"):
                pass
            else:
                value_type = _kingpin_type(method)
                if method in ("Enum", "Enums", "EnumVar", "EnumsVar"):
                    allowed = [v for v in (code.string(a) for a in largs) if v is not None]
                end = lclose
                break
            pos = lclose + 1
            end = lclose
        lines = [f.cite(m.start(), end)]
        for pname in ["--" + name, *envars]:
            params.append(
                _Param(
                    name=pname,
                    kind="flag" if pname.startswith("--") else "env",
                    lines=list(lines),
                    value_type=value_type,
                    default=default,
                    required=required,
                    usage=usage,
                    allowed=allowed,
                )
            )
    return params


def _urfave(f: _File) -> list[_Param]:
    code = f.code
    cli = {a for a, p in f.imports.items() if "urfave/cli" in p}
    if not cli:
        return []
    params: list[_Param] = []
    for m in re.finditer(
        r"(?<![\w.])(?P<pkg>[A-Za-z_]\w*)\s*\.\s*(?P<kind>[A-Z]\w*)Flag\s*\{", code.masked
    ):
        if m.group("pkg") not in cli:
            continue
        got = code.args(m.end() - 1)
        if got is None:
            continue
        fields, close = got
        values: dict[str, Span] = {}
        for span in fields:
            fm = re.match(r"(?P<k>[A-Za-z_]\w*)\s*:\s*", code.masked[span[0] : span[1]])
            if fm:
                values[fm.group("k")] = (span[0] + fm.end(), span[1])
        if "Name" not in values:
            continue
        raw_name = f.key(values["Name"])
        if not raw_name:
            continue
        name = raw_name.split(",")[0].strip()
        kind = m.group("kind")
        value_type: ValueType = (
            "bool" if kind in ("Bool", "BoolT") else _FLAG_TYPES.get(kind, "string")
        )
        default = f.value(values["Value"], as_written=True)[0] if "Value" in values else None
        if kind == "BoolT" and default is None:
            default = "true"
        required = "Required" in values and code.src(values["Required"]) == "true"
        usage = code.string(values["Usage"]) if "Usage" in values else None
        envars: list[str] = []
        for key in ("EnvVars", "EnvVar", "Sources"):
            if key not in values:
                continue
            s, e = values[key]
            for lit_at in range(s, e):
                lit = code.lits.get(lit_at)
                if lit is not None and lit.end <= e:
                    envars.extend(v.strip() for v in lit.value.split(",") if v.strip())
        lines = [f.cite(m.start(), close)]
        for pname in ["--" + name, *envars]:
            params.append(
                _Param(
                    name=pname,
                    kind="flag" if pname.startswith("--") else "env",
                    lines=list(lines),
                    value_type=value_type,
                    default=default,
                    required=required,
                    usage=usage,
                )
            )
    return params


# --- environment -----------------------------------------------------------------------


def _block(code: _Code, open_at: int) -> Span | None:
    got = code.args(open_at)
    return (open_at, got[1]) if got else None


def _after_block(code: _Code, close: int, keyword: str) -> int | None:
    m = re.compile(rf"\s*{keyword}\s*\{{").match(code.masked, close + 1)
    return m.end() - 1 if m else None


def _assigned_default(f: _File, block: Span, var: str | None) -> tuple[str | None, list[Span]]:
    """A literal assigned to `var` (or to anything, when None) inside a block."""
    code = f.code
    s, e = block
    target = re.escape(var) if var else r"\*?[A-Za-z_][\w.]*"
    m = re.compile(rf"(?<![\w.])\*?{target}\s*:?=(?!=)\s*").search(code.masked, s + 1, e)
    if m is None:
        return None, []
    stop = code.masked.find("\n", m.end(), e)
    stop = e if stop < 0 else stop
    value, const_line = f.value((m.end(), stop))
    if value is None:
        return None, []
    lines = [(code.line(m.start()), code.line(stop))]
    if const_line:
        lines.append((const_line, const_line))
    return value, lines


def _look_back_default(f: _File, before: int, var: str) -> tuple[str | None, list[Span]]:
    """The value a variable was given just before an env override (`port := "8080"`)."""
    code = f.code
    start = before
    for _ in range(20):
        prev = code.masked.rfind("\n", 0, max(0, start - 1))
        if prev < 0:
            start = 0
            break
        start = prev + 1
    pattern = re.compile(
        rf"(?<![\w.])(?:var\s+)?{re.escape(var)}(?:\s+[\w.*\[\]]+)?\s*:?=(?!=)\s*(?P<e>[^\n;]+)"
    )
    last = None
    for m in pattern.finditer(code.masked, start, before):
        last = m
    if last is None:
        return None, []
    value, const_line = f.value((last.start("e"), last.end("e")))
    if value is None:
        return None, []
    lines = [(code.line(last.start()), code.line(last.start()))]
    if const_line:
        lines.append((const_line, const_line))
    return value, lines


def _polarity(cond: str, var: str | None, ok: str | None) -> str | None:
    """`empty` when the condition holds for an unset variable, `set` when for a set one."""
    c = re.sub(r"\s+", "", cond)
    v = re.escape(var) if var else None
    if ok and re.fullmatch(rf"!{re.escape(ok)}(&&.*)?", c):
        return "empty"
    if ok and re.fullmatch(rf"{re.escape(ok)}(&&.*)?", c):
        return "set"
    if v is None:
        return None
    if re.fullmatch(rf'({v}==""|len\({v}\)==0|""=={v})(\|\|.*)?', c):
        return "empty"
    if re.fullmatch(rf'({v}!=""|len\({v}\)(>|!=)0|""!={v})(&&.*)?', c):
        return "set"
    return None


def _env_context(f: _File, param: _Param, call_start: int, close: int) -> None:
    """Fill default, required and type from the code around one env read."""
    code = f.code
    masked = code.masked
    line_start = masked.rfind("\n", 0, call_start) + 1
    prefix = masked[line_start:call_start]
    after = masked[close + 1 : close + 400]

    conv = _CONVERT_BEFORE.search(prefix)
    if conv:
        param.value_type = _CONVERTERS[conv.group("s") or conv.group("t")]
    cmp = re.match(r"\s*(==|!=)\s*(?=[\"`])", after)
    if cmp:
        lit = code.lits.get(close + 1 + cmp.end())
        if lit is not None and lit.value.lower() in _BOOL_WORDS:
            param.value_type = "bool"

    def apply(value: str | None, lines: list[Span]) -> None:
        if value is not None and param.default is None:
            param.default = value
            param.lines.extend(lines)

    def fallback(polarity: str | None, then: Span, var: str | None, if_start: int) -> None:
        if polarity == "empty":
            if _FATAL.search(masked, then[0], then[1]):
                param.required = True
            elif var:
                apply(*_assigned_default(f, then, var))
        elif polarity == "set":
            other = _after_block(code, then[1], "else")
            target = var
            assign = re.compile(r"(?<![\w.])(?P<t>\*?[A-Za-z_][\w.]*)\s*=(?!=)").search(
                masked, then[0] + 1, then[1]
            )
            if assign:
                target = assign.group("t").lstrip("*")
            if other is not None:
                block = _block(code, other)
                if block and _FATAL.search(masked, block[0], block[1]):
                    param.required = True
                elif block and target:
                    apply(*_assigned_default(f, block, target))
            elif target:
                apply(*_look_back_default(f, if_start, target))

    # if v := os.Getenv("X"); v != "" { … } else { … }
    init = re.search(r"\bif\s+(?P<v>\w+)(?:\s*,\s*(?P<ok>\w+))?\s*:?=\s*$", prefix)
    if init:
        if_start = line_start + init.start()
        m = re.match(r"\s*;\s*(?P<cond>[^{};\n]*)\{", after)
        if m:
            then = _block(code, close + 1 + m.end() - 1)
            pol = _polarity(m.group("cond"), init.group("v"), init.group("ok"))
            if then:
                fallback(pol, then, None if pol == "set" else init.group("v"), if_start)
        return

    # if os.Getenv("X") != "" { port = os.Getenv("X") }
    direct = re.search(r"\bif\s+$", prefix)
    if direct:
        if_start = line_start + direct.start()
        m = re.match(r"\s*(?P<op>==|!=)\s*(?P<q>\")\x00*\"\s*\{", after)
        if m:
            then = _block(code, close + 1 + m.end() - 1)
            if then:
                pol = "empty" if m.group("op") == "==" else "set"
                fallback(pol, then, None, if_start)
        return

    # port := os.Getenv("PORT") \n if port == "" { port = "8080" }
    assign = re.search(r"(?<![\w.])(?P<v>[A-Za-z_][\w.]*)(?:\s*,\s*(?P<ok>\w+))?\s*:?=\s*$", prefix)
    if assign:
        var = assign.group("v")
        m = re.match(r"[ \t]*(?:;|\n)\s*if\s+(?P<cond>[^{};\n]*)\{", after)
        if m:
            if_start = close + 1 + m.start("cond")
            then = _block(code, close + 1 + m.end() - 1)
            pol = _polarity(m.group("cond"), var, assign.group("ok"))
            if then:
                fallback(pol, then, var, if_start)
        if param.value_type in (None, "string"):
            window = masked[close + 1 : close + 600]
            conv2 = re.search(
                rf"(?:strconv\s*\.\s*(?P<s>Atoi|ParseInt|ParseUint|ParseFloat|ParseBool)|time\s*\.\s*"
                rf"(?P<t>ParseDuration))\s*\(\s*{re.escape(var)}\b",
                window,
            )
            if conv2:
                param.value_type = _CONVERTERS[conv2.group("s") or conv2.group("t")]


def _helpers(f: _File) -> dict[str, _Helper]:
    """Functions that read the environment through one of their parameters."""
    code = f.code
    masked = code.masked
    funcs: list[tuple[str, list[tuple[str, str]], Span, str]] = []
    for m in re.finditer(r"\bfunc\s+(?:\([^()]*\)\s*)?(?P<name>[A-Za-z_]\w*)\s*\(", masked):
        got = code.args(m.end() - 1)
        if got is None:
            continue
        spans, close = got
        params: list[tuple[str, str]] = []
        pending: list[str] = []
        for span in spans:
            words = masked[span[0] : span[1]].split(None, 1)
            if len(words) == 1:
                pending.append(words[0])
            elif len(words) == 2:
                for p in pending:
                    params.append((p, words[1]))
                pending = []
                params.append((words[0], words[1]))
        body_open = re.compile(r"\{(?!\s*\})").search(masked, close, close + 300)
        if body_open is None:
            continue
        body_span = _block(code, body_open.start())
        if body_span is None:
            continue
        funcs.append((m.group("name"), params, body_span, masked[close + 1 : body_open.start()]))

    helpers: dict[str, _Helper] = {}
    for _ in range(3):
        names = "|".join(re.escape(n) for n in helpers)
        for name, params, (bs, be), result in funcs:
            if name in helpers:
                continue
            body = masked[bs:be]
            key_index = None
            for i, (pname, _ptype) in enumerate(params):
                p = re.escape(pname)
                reads = rf"(?:os|syscall)\s*\.\s*(?:Getenv|LookupEnv)\s*\(\s*{p}\s*\)"
                chained = (
                    rf"(?<![\w.])(?:{names})\s*\([^()]*?(?<![\w.]){p}\s*[,)]" if names else None
                )
                if re.search(reads, body) or (chained and re.search(chained, body)):
                    key_index = i
                    break
            if key_index is None:
                continue
            default_index = next(
                (
                    i
                    for i, (_p, ptype) in enumerate(params)
                    if i != key_index and not ptype.strip().startswith(("*", "func"))
                ),
                None,
            )
            value_type = None
            if default_index is not None:
                value_type = _go_type(params[default_index][1])
            if value_type in (None, "string"):
                value_type = _type_from_name(name) or _go_type(result.strip().strip("()"))
            required = default_index is None and bool(
                re.search(r"(?i)must|require", name) or _FATAL.search(body)
            )
            helpers[name] = _Helper(key_index, default_index, value_type, required)
    return helpers


def _env(f: _File) -> list[_Param]:
    code = f.code
    params: list[_Param] = []
    handled: set[int] = set()
    for m in _ENV_CALL.finditer(code.masked):
        got = code.args(m.end() - 1)
        if got is None or not got[0]:
            continue
        args, close = got
        name, key_lines = f.key_at(args[0])
        if not name or not _ENV_NAME.match(name):
            continue
        param = _Param(name=name, kind="env", lines=[f.cite(m.start(), close), *key_lines])
        _env_context(f, param, m.start(), close)
        params.append(param)

    helpers = _helpers(f)
    for m in _GENERIC_ENV_CALL.finditer(code.masked):
        fn = m.group("fn")
        pkg = m.group("pkg")
        helper = helpers.get(fn) if pkg is None or pkg not in f.imports else None
        generic = helper is None
        if helper is None:
            envish = bool(_ENV_HELPER_NAME.match(fn)) or (
                pkg is not None and "env" in pkg.lower() and bool(_ENV_PACKAGE_GETTER.match(fn))
            )
            if not envish or pkg in ("os", "syscall"):
                continue
            helper = _Helper(
                key_index=0,
                default_index=1,
                value_type=_type_from_name(fn),
                required=bool(re.search(r"(?i)must|require", fn)),
            )
        before = code.masked[max(0, m.start() - 80) : m.start()]
        if re.search(r"\bfunc\s*(?:\([^()]*\)\s*)?$", before):
            continue
        got = code.args(m.end() - 1)
        if got is None:
            continue
        args, close = got
        if helper.key_index >= len(args) or m.start() in handled:
            continue
        name, key_lines = f.key_at(args[helper.key_index])
        if not name or (generic and not _ENVISH_NAME.match(name)) or not _ENV_NAME.match(name):
            continue
        handled.add(m.start())
        lines = [f.cite(m.start(), close), *key_lines]
        default = None
        if helper.default_index is not None and helper.default_index < len(args):
            default, const_line = f.value(args[helper.default_index], as_written=True)
            if default is not None and const_line is None and "(" in default:
                # A computed fallback (`defaultGOPATH()`) tells an operator nothing.
                default = None
            if const_line:
                lines.append((const_line, const_line))
        value_type = helper.value_type
        if value_type in (None, "string") and default is not None:
            value_type = infer_value_type(default)
        params.append(
            _Param(
                name=name,
                kind="env",
                lines=lines,
                value_type=value_type,
                default=default,
                required=helper.required and default is None,
            )
        )
    params.extend(_struct_tags(f))
    params.extend(_viper(f))
    return params


_TAG_PAIR = re.compile(r'(?P<k>[\w.-]+):"(?P<v>(?:[^"\\]|\\.)*)"')


def _struct_tags(f: _File) -> list[_Param]:
    """`env:"PORT" envDefault:"8080"` (caarlos0/env, sethvargo) and `envconfig:"PORT"` tags."""
    code = f.code
    prefix = ""
    proc = re.search(r"(?<![\w.])envconfig\s*\.\s*(?:Process|MustProcess)\s*\(", code.masked)
    if proc:
        got = code.args(proc.end() - 1)
        if got and got[0]:
            pre = code.string(got[0][0])
            prefix = (pre.upper() + "_") if pre else ""
    params: list[_Param] = []
    for start, lit in code.lits.items():
        if code.text[start] != "`" or "env" not in lit.value:
            continue
        tags = {m.group("k"): m.group("v") for m in _TAG_PAIR.finditer(lit.value)}
        name = None
        default = None
        required = False
        if "env" in tags:
            opts = [o.strip() for o in tags["env"].split(",")]
            name = opts[0]
            for opt in opts[1:]:
                if opt.startswith("default="):
                    default = opt[len("default=") :]
                elif opt in ("required", "notEmpty"):
                    required = True
            default = tags.get("envDefault", default)
        elif "envconfig" in tags:
            name = prefix + tags["envconfig"].split(",")[0].strip()
            default = tags.get("default")
            required = tags.get("required") == "true"
        if not name or name == "-" or not _ENV_NAME.match(name):
            continue
        line_start = code.masked.rfind("\n", 0, start) + 1
        decl = re.match(
            r"\s*(?:[A-Za-z_]\w*\s+)?(?P<t>[\w.*\[\]]+)\s*$", code.masked[line_start:start]
        )
        value_type = _go_type(decl.group("t")) if decl else None
        if value_type in (None, "string") and default is not None:
            value_type = infer_value_type(default)
        line = code.line(start)
        params.append(
            _Param(
                name=name,
                kind="env",
                lines=[(line, line)],
                value_type=value_type,
                default=default,
                required=required and default is None,
            )
        )
    return params


def _viper(f: _File) -> list[_Param]:
    code = f.code
    vipers = {a for a, p in f.imports.items() if p.endswith("spf13/viper")}
    if not vipers:
        return []
    for m in re.finditer(
        r"(?<![\w.])(?P<var>[A-Za-z_]\w*)\s*:?=\s*(?P<pkg>[A-Za-z_]\w*)\s*\.\s*New\s*\(\s*\)",
        code.masked,
    ):
        if m.group("pkg") in vipers:
            vipers.add(m.group("var"))
    params: list[_Param] = []
    for m in re.finditer(
        r"(?<![\w.])(?P<recv>[A-Za-z_]\w*)\s*\.\s*(?P<fn>SetDefault|BindEnv)\s*\(", code.masked
    ):
        if m.group("recv") not in vipers:
            continue
        got = code.args(m.end() - 1)
        if got is None or len(got[0]) < 2:
            continue
        args, close = got
        lines = [f.cite(m.start(), close)]
        if m.group("fn") == "SetDefault":
            key = f.key(args[0])
            if not key:
                continue
            default, const_line = f.value(args[1], as_written=True)
            if const_line:
                lines.append((const_line, const_line))
            params.append(
                _Param(
                    name=key,
                    kind="key",
                    lines=lines,
                    value_type=infer_value_type(default) if default else None,
                    default=default,
                )
            )
        else:
            for arg in args[1:]:
                env = f.key(arg)
                if env and _ENV_NAME.match(env):
                    params.append(_Param(name=env, kind="env", lines=list(lines)))
    return params


# --- health and ports ------------------------------------------------------------------


def _route_path(f: _File, args: list[Span], grouped: bool) -> tuple[str, Span] | None:
    for span in args[:2]:
        value = f.key(span)
        if value is None:
            continue
        value = re.sub(r"^[A-Z]+\s+", "", value.strip())
        if value.startswith("/") or (grouped and value == ""):
            return value, span
    return None


def _join(prefix: str, path: str) -> str:
    if not path:
        return prefix or "/"
    return prefix.rstrip("/") + "/" + path.lstrip("/")


def _health(f: _File) -> list[tuple[str, str, Span]]:
    """(check_type, target, lines) for every health route and the gRPC health service."""
    code = f.code
    groups: dict[str, str] = {}
    for m in _GROUP_BIND.finditer(code.masked):
        lit = code.lits.get(m.start("lit"))
        if lit is not None:
            groups[m.group("var")] = _join(groups.get(m.group("parent"), ""), lit.value)
    found: list[tuple[str, str, Span]] = []
    for m in _ROUTE_CALL.finditer(code.masked):
        recv = re.sub(r"\s+", "", m.group("recv"))
        got = code.args(m.end() - 1)
        if got is None:
            continue
        args, _close = got
        # A router method takes the path and a handler; `client.Get(url)` takes one argument.
        if len(args) < 2 and m.group("fn") not in ("Path", "PathPrefix"):
            continue
        if re.search(r"(?i)client|resty|\.R\(\)$", recv):
            continue
        prefix = groups.get(recv, "")
        hit = _route_path(f, args, recv in groups)
        if hit is None:
            continue
        path = _join(prefix, hit[0]) if prefix else hit[0]
        if not path.startswith("/") or not is_health_path(path):
            continue
        found.append(("http", path, f.cite(m.start(), hit[1][1])))
    register_call = _GRPC_REGISTER.search(code.masked)
    grpc_health = any(p.startswith("google.golang.org/grpc/health") for p in f.imports.values())
    new_call = _GRPC_NEW.search(code.masked) if grpc_health else None
    anchor = register_call or new_call
    if anchor is not None:
        got = code.args(anchor.end() - 1) if register_call else None
        end = got[1] if got else anchor.end()
        found.append(("grpc", "grpc.health.v1.Health", f.cite(anchor.start(), end)))
    return found


def _enclosing_brace(code: _Code, pos: int) -> int | None:
    depth = 0
    for i in range(pos - 1, max(-1, pos - MAX_CALL), -1):
        ch = code.masked[i]
        if ch in ")]}":
            depth += 1
        elif ch in "([{":
            if depth == 0:
                return i if ch == "{" else None
            depth -= 1
    return None


def _ports(f: _File) -> list[tuple[str, str, Span]]:
    """(port, how, lines) for listen calls and `Addr:` fields with a literal address."""
    code = f.code
    found: list[tuple[str, str, Span]] = []
    for m in _LISTEN.finditer(code.masked):
        got = code.args(m.end() - 1)
        if got is None or not got[0]:
            continue
        args, close = got
        candidates = args[:2] if m.group("fn") == "Listen" else args[:1]
        for span in candidates:
            value = f.key(span)
            port = _ADDRESS.match(value) if value else None
            if port:
                found.append((port.group(1), m.group("fn"), f.cite(m.start(), close)))
                break
    for m in _ADDR_FIELD.finditer(code.masked):
        # Only a server's own address: `redis.Options{Addr: "cache:6379"}` is a dependency.
        brace = _enclosing_brace(code, m.start())
        if brace is None or not re.search(r"Server\s*$", code.masked[max(0, brace - 60) : brace]):
            continue
        lit = code.lits.get(m.end())
        port = _ADDRESS.match(lit.value) if lit else None
        if port and lit:
            found.append((port.group(1), "Addr", f.cite(m.start(), lit.end)))
    return [p for p in found if 0 < int(p[0]) < 65536]


# --- the analyzer ----------------------------------------------------------------------


def _summary(p: _Param) -> str:
    what = {"flag": "command-line flag", "env": "environment variable", "key": "config key"}[p.kind]
    bits: list[str] = [p.value_type or infer_value_type(p.default)]
    if p.required:
        bits.append("required")
    if p.default is not None:
        bits.append(f"default {p.default}")
    text = f"{what} {p.name} ({', '.join(bits)})"
    if p.usage:
        text += ": " + " ".join(p.usage.split())[:120]
    return text


class GoCodeAnalyzer:
    """Reads Go sources (not tests, not vendored code, not generated code)."""

    name = NAME

    def accepts(self, source: SourceFile) -> bool:
        if source.suffix != ".go" or source.name.endswith("_test.go"):
            return False
        if source.name.endswith((".pb.go", ".pb.gw.go")):
            return False
        return not any(part in ("vendor", "testdata") for part in source.parts[:-1])

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        if re.search(r"(?m)^// Code generated .* DO NOT EDIT\.?$", source.text[:4000]):
            return result
        try:
            self._analyze(source, result)
        except (ValueError, IndexError, KeyError, RecursionError) as exc:
            result.warn(source, f"could not read Go source: {exc}"[:300], None, self.name)
        return result

    def _analyze(self, source: SourceFile, result: AnalyzerResult) -> None:
        f = _File(source)
        f.code.warn_unterminated(source, result, self.name)
        merged: dict[str, _Param] = {}
        for p in [*_flags(f), *_env(f)]:
            if p.name in merged:
                merged[p.name].absorb(p)
            else:
                merged[p.name] = p
        facts: list[FactBase] = []
        for p in merged.values():
            facts.append(self._param(source, p))
        health: dict[tuple[str, str], list[Span]] = {}
        for check_type, target, lines in _health(f):
            health.setdefault((check_type, target), []).append(lines)
        for (check_type, target), spans in health.items():
            facts.append(
                HealthCheck(
                    summary=(
                        f"HTTP health endpoint GET {target} served by the code"
                        if check_type == "http"
                        else "gRPC health service grpc.health.v1.Health registered by the code"
                    ),
                    citations=self._cites(source, spans),
                    check_type="http" if check_type == "http" else "grpc",
                    target=target,
                    mechanism="code-endpoint",
                )
            )
        ports: dict[str, tuple[str, list[Span]]] = {}
        for port, how, lines in _ports(f):
            ports.setdefault(port, (how, []))[1].append(lines)
        for port, (how, spans) in ports.items():
            facts.append(
                ResourceRequirement(
                    summary=f"listens on port {port} ({how})",
                    citations=self._cites(source, spans),
                    resource="port",
                    value=port,
                )
            )
        result.facts.extend(facts)

    @staticmethod
    def _cites(source: SourceFile, lines: list[Span]) -> list[Citation]:
        return [source.cite(a, b) for a, b in _merge_lines(lines)]

    def _param(self, source: SourceFile, p: _Param) -> ConfigParameter:
        lo: int | float | None = None
        hi: int | float | None = None
        if p.usage and p.value_type in ("int", "float"):
            lo, hi = documented_range(p.usage)
        secret = looks_secret(p.name.lstrip("-"), p.default)
        return ConfigParameter(
            summary=_summary(p)
            if not secret
            else _summary(_Param(p.name, p.kind, [], p.value_type)),
            citations=self._cites(source, p.lines),
            name=p.name,
            value_type=p.value_type or infer_value_type(p.default),
            default=p.default,
            min=lo,
            max=hi,
            allowed_values=p.allowed,
            required=p.required,
            secret=secret,
            range_source="documented" if lo is not None or hi is not None else None,
        )


register(GoCodeAnalyzer())
