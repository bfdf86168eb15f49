"""JavaScript/TypeScript analyzer: process.env reads, health routes and literal listen ports."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ddd_llm.evidence.base import (
    AnalyzerResult,
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

NAME = "javascript"

_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx", ".jsx"})
_SKIP_DIRS = frozenset(
    {
        "node_modules",
        "dist",
        "build",
        "bower_components",
        "coverage",
        ".next",
        ".nuxt",
        ".output",
        "vendor",
        "__tests__",
        "__mocks__",
    }
)
_MINIFIED_AVG_LINE = 300
_MAX_LINE = 5000

# String interiors are replaced by this character so that regexes over the masked text
# never match inside a literal, while offsets still line up with the original text.
_FILL = "\x00"
_SPECIAL = re.compile(r"[/\"'`{}]")
_NOT_NEWLINE = re.compile(r"[^\n]")
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "'": "'",
    "`": "`",
    "\\": "\\",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "0": "\0",
    "\n": "",
}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_REGEX_AFTER_WORDS = frozenset(
    {
        "return",
        "typeof",
        "instanceof",
        "in",
        "of",
        "new",
        "delete",
        "void",
        "throw",
        "case",
        "do",
        "else",
        "yield",
        "await",
    }
)


@dataclass(frozen=True)
class _Lit:
    start: int
    end: int
    value: str


def _unescape(body: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch in "_$"


class _Code(MaskedCode):
    """A JS/TS file with comments blanked and literal interiors masked; offsets match the text.

    Template literals keep their `${…}` expressions as code; regex literals are masked, so a
    quote or `//` inside one does not derail the scan.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.lits: dict[int, _Lit] = {}
        self.unterminated: list[tuple[str, int]] = []
        self._out = list(text)
        self._stack: list[int] = []
        self._depth = 0
        self._mask()
        self.masked = "".join(self._out)
        del self._out
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def _fill(self, start: int, end: int, char: str) -> None:
        self._out[start:end] = _NOT_NEWLINE.sub(char, self.text[start:end])

    def _mask(self) -> None:
        text = self.text
        n = len(text)
        i = 0
        while i < n:
            found = _SPECIAL.search(text, i)
            if found is None:
                return
            i = found.start()
            ch = text[i]
            if ch == "{":
                self._depth += 1
                i += 1
            elif ch == "}":
                if self._stack and self._depth == self._stack[-1]:
                    self._stack.pop()
                    i = self._template(i + 1, None)
                else:
                    self._depth = max(0, self._depth - 1)
                    i += 1
            elif ch == "`":
                i = self._template(i + 1, i)
            elif ch in "'\"":
                i = self._string(i)
            else:
                i = self._slash(i)

    def _string(self, i: int) -> int:
        text = self.text
        n = len(text)
        quote = text[i]
        j = i + 1
        while j < n:
            c = text[j]
            if c == "\\":
                j += 2
                continue
            if c == quote or c == "\n":
                break
            j += 1
        j = min(j, n)
        closed = j < n and text[j] == quote
        if closed:
            self.lits[i] = _Lit(i, j + 1, _unescape(text[i + 1 : j]))
        self._fill(i + 1, j, _FILL)
        return j + 1 if closed else j

    def _template(self, i: int, start: int | None) -> int:
        """Scan template text from `i`; `start` is the opening backquote for a fresh literal."""
        text = self.text
        n = len(text)
        j = i
        while j < n:
            c = text[j]
            if c == "\\":
                j += 2
                continue
            if c == "`":
                self._fill(i, j, _FILL)
                if start is not None:
                    self.lits[start] = _Lit(start, j + 1, _unescape(text[i:j]))
                return j + 1
            if c == "$" and text[j + 1 : j + 2] == "{":
                self._fill(i, j, _FILL)
                self._stack.append(self._depth)
                return j + 2
            j += 1
        self.unterminated.append(("template literal", i - 1))
        self._fill(i, n, _FILL)
        return n

    def _slash(self, i: int) -> int:
        text = self.text
        n = len(text)
        nxt = text[i + 1 : i + 2]
        if nxt == "/":
            end = text.find("\n", i)
            end = n if end < 0 else end
            self._fill(i, end, " ")
            return end
        if nxt == "*":
            end = text.find("*/", i + 2)
            if end < 0:
                self.unterminated.append(("comment", i))
            end = n if end < 0 else end + 2
            self._fill(i, end, " ")
            return end
        if not self._regex_allowed(i):
            return i + 1
        j = i + 1
        in_class = False
        while j < n:
            c = text[j]
            if c == "\\":
                j += 2
                continue
            if c == "\n":
                return i + 1
            if c == "[":
                in_class = True
            elif c == "]":
                in_class = False
            elif c == "/" and not in_class:
                self._fill(i + 1, j, _FILL)
                return j + 1
            j += 1
        return i + 1

    def _regex_allowed(self, i: int) -> bool:
        out = self._out
        j = i - 1
        while j >= 0 and out[j] in " \t\r\n":
            j -= 1
        if j < 0:
            return True
        c = out[j]
        if c in ")]}\"'`" or c == _FILL:
            return False
        if _is_word(c):
            k = j
            while k >= 0 and _is_word(out[k]):
                k -= 1
            return "".join(out[k + 1 : j + 1]) in _REGEX_AFTER_WORDS
        return True

    # reading ---------------------------------------------------------------------------

    def lit(self, span: Span) -> str | None:
        s, e = self.trim(span)
        found = self.lits.get(s)
        return found.value if found is not None and found.end == e else None

    def enclosing(self, pos: int) -> int | None:
        """Offset of the `{` of the object literal that contains `pos`, if it is one."""
        depth = 0
        masked = self.masked
        for i in range(pos - 1, max(-1, pos - MAX_CALL), -1):
            ch = masked[i]
            if ch in ")]}":
                depth += 1
            elif ch in "([{":
                if depth == 0:
                    return i if ch == "{" else None
                depth -= 1
        return None

    def skip_space(self, pos: int) -> int:
        m = re.compile(r"\s*").match(self.masked, pos)
        return m.end() if m else pos


# --- vocabulary ------------------------------------------------------------------------

_ENV_ROOTS = r"process\s*\.\s*env|Bun\s*\.\s*env"
_NUMBER = re.compile(
    r"-?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"(?:\s*[*+/-]\s*(?:\d[\d_]*(?:\.\d*)?|\.\d+))*"
)
_IDENT = re.compile(r"[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*")
_OPERAND_END = re.compile(r"\s*(?:$|[,;)\]}:?]|\|\||&&|\?\?|\n|as\b)")
_WRAPPER = re.compile(
    r"(?P<w>Number\s*\.\s*parseInt|Number\s*\.\s*parseFloat|parseInt|parseFloat|Number|Boolean|"
    r"JSON\s*\.\s*parse|String)\s*\(\s*$"
)
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
_BOOL_WORDS = frozenset({"true", "false", "1", "0", "yes", "no", "on", "off"})
_ROUTE = re.compile(
    r"(?<![\w$.])(?P<recv>[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)\s*\.\s*"
    r"(?P<m>get|head|all|use|route|options)\s*\("
)
_CLIENTS = frozenset(
    {
        "axios",
        "http",
        "https",
        "request",
        "superagent",
        "got",
        "ky",
        "fetch",
        "client",
        "httpclient",
        "$http",
        "$",
        "jquery",
        "instance",
        "agent",
        "supertest",
        "cy",
        "map",
        "cache",
        "params",
        "searchparams",
        "headers",
        "config",
        "store",
        "redis",
    }
)
_NEST_CONTROLLER = re.compile(r"@Controller\s*\(")
_NEST_ROUTE = re.compile(r"@(?:Get|Head|All)\s*\(")
_DECORATOR = re.compile(r"\s*@[A-Za-z_$][\w$.]*\s*")
_METHOD_NAME = re.compile(
    r"\s*(?:(?:public|private|protected|static|async|readonly)\s+)*(?P<n>[A-Za-z_$][\w$]*)\s*[(<]"
)
_OBJECT_PATH = re.compile(r"(?<![\w$])(?P<k>path|url)\s*:\s*(?=['\"`])")
_LISTEN = re.compile(r"(?<![\w$])listen\s*\(")
_SERVE_PORT = re.compile(r"(?<![\w$])serve\s*\(\s*(?=\{)")
_BIND = re.compile(r"(?<![\w$])(?:bind|bindAsync)\s*\(")
_GRPC_HEALTH = re.compile(
    r"(?<![\w$])addService\s*\(\s*[\w$.]*?[Hh]ealth[\w$.]*\.service\b"
    r"|(?<![\w$.])new\s+(?:[\w$]+\s*\.\s*)?HealthImplementation\s*\("
)
_DECL = re.compile(
    r"(?<![\w$.])(?:const|let|var)\s+(?P<name>[A-Za-z_$][\w$]*)\s*(?::\s*[^=;\n]+?)?\s*=(?![=>])\s*"
)
_EXPR_STOP = re.compile(r"[()\[\]{};,\n]")
_NEXT_API = re.compile(r"(?:^|/)pages/api/(?P<r>.+)\.(?:js|ts|mjs|cjs|jsx|tsx)$")
_NEXT_APP = re.compile(r"(?:^|/)app/(?P<r>(?:.+/)?)route\.(?:js|ts|mjs)$")


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
    name: str
    lines: list[Span] = field(default_factory=list)
    value_type: ValueType | None = None
    default: str | None = None
    required: bool = False
    allowed: list[str] | None = None

    def absorb(self, other: _Param) -> None:
        self.lines.extend(other.lines)
        if self.default is None:
            self.default = other.default
        if self.value_type in (None, "string") and other.value_type not in (None, "string"):
            self.value_type = other.value_type
        self.required = self.required or other.required
        self.allowed = self.allowed or other.allowed


class _File:
    """Per-file state: the masked code and its simple `const NAME = …` declarations."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.code = _Code(source.text)
        self.decls = self._decls()

    def cite(self, start: int, end: int) -> Span:
        return self.code.line(start), self.code.line(max(start, end - 1))

    def _decls(self) -> dict[str, Span]:
        found: dict[str, Span] = {}
        twice: set[str] = set()
        masked = self.code.masked
        for m in _DECL.finditer(masked):
            end = self.expr_end(m.end())
            name = m.group("name")
            if name in found:
                twice.add(name)
            found[name] = self.code.trim((m.end(), end))
        for name in twice:
            found.pop(name, None)
        return found

    def expr_end(self, pos: int) -> int:
        depth = 0
        masked = self.code.masked
        for m in _EXPR_STOP.finditer(masked, pos, min(len(masked), pos + MAX_CALL)):
            ch = m.group()
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
                if depth < 0:
                    return m.start()
            elif depth == 0 and (ch in ";," or ch == "\n" and self._ends_statement(m.start())):
                return m.start()
        return min(len(masked), pos + MAX_CALL)

    def _ends_statement(self, newline: int) -> bool:
        """A newline ends an expression unless an operator sits on either side of it."""
        masked = self.code.masked
        before = masked[max(0, newline - 200) : newline].rstrip()[-2:]
        after = masked[newline : newline + 200].lstrip()[:2]
        ops = ("||", "??", "&&", "+", "-", "*", "/", "?", ":", "=", ".", "(", ",")
        return not (before.endswith(ops) or after.startswith(("||", "??", "&&", "?", ":", ".")))

    def operand(self, pos: int) -> tuple[str | None, int, list[Span]] | None:
        """The literal (or literal constant) at `pos`: its value, its end, and extra citations."""
        code = self.code
        p = code.skip_space(pos)
        lit = code.lits.get(p)
        value: str | None
        extra: list[Span] = []
        if lit is not None:
            value, end = lit.value, lit.end
        elif m := _NUMBER.match(code.masked, p):
            value, end = " ".join(code.text[p : m.end()].split()), m.end()
        elif m := re.compile(r"(true|false|null|undefined)\b").match(code.masked, p):
            value = None if m.group(1) in ("null", "undefined") else m.group(1)
            end = m.end()
        elif m := _IDENT.match(code.masked, p):
            name = re.sub(r"\s+", "", m.group())
            decl = self.decls.get(name)
            if decl is None:
                return None
            got = self.operand(decl[0])
            if got is None or got[1] != decl[1]:
                return None
            value, end = got[0], m.end()
            line = code.line(decl[0])
            extra = [(line, line), *got[2]]
        else:
            return None
        if not _OPERAND_END.match(code.masked, end):
            return None
        return value, end, extra


# --- environment -----------------------------------------------------------------------


def _env_regex(f: _File) -> re.Pattern[str]:
    roots = [_ENV_ROOTS]
    for m in re.finditer(
        rf"(?<![\w$.])(?:const|let|var)\s+(?P<n>[A-Za-z_$][\w$]*)\s*=\s*(?:{_ENV_ROOTS})\s*[;\n]",
        f.code.masked,
    ):
        roots.append(re.escape(m.group("n")))
    if re.search(r"(?:const|let|var)\s*\{\s*env\s*\}\s*=\s*process\b", f.code.masked):
        roots.append("env")
    return re.compile(
        rf"(?<![\w$.])(?:{'|'.join(roots)})\s*(?:\?\.|\.)\s*(?P<name>[A-Za-z_$][\w$]*)"
        rf"|(?<![\w$.])(?:{'|'.join(roots)})\s*(?:\?\.)?\s*\[\s*(?=['\"`])"
        r"|(?<![\w$.])Deno\s*\.\s*env\s*\.\s*get\s*\(\s*(?=['\"`])"
    )


def _env(f: _File) -> list[_Param]:
    code = f.code
    masked = code.masked
    params: list[_Param] = []
    for m in _env_regex(f).finditer(masked):
        end = m.end()
        if m.group("name"):
            name = m.group("name")
        else:
            lit = code.lits.get(end)
            if lit is None:
                continue
            close = re.compile(r"\s*[\])]").match(masked, lit.end)
            if close is None:
                continue
            name, end = lit.value, close.end()
        if not re.fullmatch(r"[A-Za-z_][\w.]*", name):
            continue
        bang = re.compile(r"!(?!=)").match(masked, end)
        if bang:
            end = bang.end()
        start = m.start()
        before = masked[max(0, start - 80) : start]
        if re.search(r"\bdelete\s*$", before):
            continue
        write = re.compile(r"\s*(?:(?P<op>\|\||\?\?)=|=(?![=>]))").match(masked, end)
        param = _Param(name=name)
        last = end
        if write:
            if not write.group("op"):
                continue
            got = f.operand(write.end())
            if got:
                param.default, last, extra = got[0], got[1], got[2]
                param.lines.extend(extra)
        else:
            last = _env_use(f, param, start, end)
        param.lines.insert(0, f.cite(start, last))
        params.append(param)
    params.extend(_destructured(f))
    params.extend(_convict(f))
    return params


def _env_use(f: _File, param: _Param, start: int, end: int) -> int:
    """Default, type and requiredness from the expression around one read; returns its end."""
    code = f.code
    masked = code.masked
    last = end
    # `process.env.X || 3000`, `?? 3000`, `? process.env.X : 3000`
    fb = re.compile(r"\s*(?:\|\||\?\?)").match(masked, end)
    if fb:
        got = f.operand(fb.end())
        if got:
            param.default, last = got[0], got[1]
            param.lines.extend(got[2])
    else:
        tern = re.compile(r"\s*\?(?![.?])[^:;\n]{1,120}?:").match(masked, end)
        if tern:
            got = f.operand(tern.end())
            if got:
                param.default, last = got[0], got[1]
                param.lines.extend(got[2])

    line_start = masked.rfind("\n", 0, start) + 1
    prefix = masked[line_start:start]
    wrapper = _WRAPPER.search(prefix)
    if wrapper:
        kind = re.sub(r"\s+", "", wrapper.group("w"))
        open_at = line_start + wrapper.end() - 1
        while masked[open_at] != "(":
            open_at -= 1
        got_args = code.args(open_at)
        if got_args:
            close = got_args[1]
            last = max(last, close + 1)
            fb2 = re.compile(r"\s*(?:\|\||\?\?)").match(masked, close + 1)
            if fb2 and param.default is None:
                got = f.operand(fb2.end())
                if got:
                    param.default, last = got[0], got[1]
                    param.lines.extend(got[2])
        wtype = _WRAPPER_TYPES.get(kind)
        if kind == "Number":
            wtype = "float" if param.default and "." in param.default else "int"
        if wtype:
            param.value_type = wtype
    elif re.search(r"(?:^|[=(,:?|&!]|return)\s*\+\s*$", prefix) and not prefix.rstrip().endswith(
        "++"
    ):
        param.value_type = "float" if param.default and "." in param.default else "int"
    elif re.search(r"!\s*!\s*$", prefix):
        param.value_type = "bool"

    tail = re.compile(
        r"(?:\s*\??\.\s*(?:toLowerCase|toUpperCase|trim|toString)\s*\(\s*\))*\s*(?:===?|!==?)\s*"
        r"(?=['\"`])"
    ).match(masked, end)
    if tail:
        lit = code.lits.get(tail.end())
        if lit is not None and lit.value.lower() in _BOOL_WORDS:
            param.value_type = "bool"
            last = max(last, lit.end)
    if re.compile(r"\s*(?:\?\.|\.)\s*split\s*\(").match(masked, last) or re.compile(
        r"\s*(?:\?\.|\.)\s*split\s*\("
    ).match(masked, end):
        param.value_type = "list"
    if param.value_type is None and param.default is not None:
        param.value_type = infer_value_type(param.default)

    # if (!process.env.X) throw new Error(...)
    if re.search(r"\bif\s*\(\s*!\s*$", prefix):
        after = re.compile(r"\s*\)\s*\{?\s*(?:throw\b|process\s*\.\s*exit\s*\()").match(masked, end)
        if after:
            param.required = True
    return last


def _destructured(f: _File) -> list[_Param]:
    """`const { PORT = 3000, HOST } = process.env`."""
    code = f.code
    masked = code.masked
    params: list[_Param] = []
    for m in re.finditer(r"(?<![\w$.])(?:const|let|var)\s*(?=\{)", masked):
        got = code.args(m.end())
        if got is None:
            continue
        entries, close = got
        tail = re.compile(rf"\s*(?::\s*[\w.$<>\[\]|\s]+?)?\s*=\s*(?:{_ENV_ROOTS})\b(?!\s*\.)")
        if not tail.match(masked, close + 1):
            continue
        for s, e in entries:
            em = re.compile(
                r"(?P<name>[A-Za-z_$][\w$]*)\s*(?::\s*[A-Za-z_$][\w$]*)?\s*(?P<eq>=)?"
            ).match(masked, s, e)
            if em is None or masked[s : s + 3] == "...":
                continue
            param = _Param(name=em.group("name"))
            last = em.end()
            if em.group("eq"):
                value = f.operand(em.end())
                if value and value[1] <= e:
                    param.default, last = value[0], value[1]
                    param.lines.extend(value[2])
            if param.default is not None:
                param.value_type = infer_value_type(param.default)
            param.lines.insert(0, f.cite(s, last))
            params.append(param)
    return params


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


def _convict(f: _File) -> list[_Param]:
    """convict schema entries: `{ doc, format: 'port', default: 8080, env: 'PORT' }`."""
    code = f.code
    masked = code.masked
    params: list[_Param] = []
    for m in re.finditer(r"(?<![\w$.])env\s*:\s*(?=['\"`])", masked):
        lit = code.lits.get(m.end())
        if lit is None or not re.fullmatch(r"[A-Z][A-Z0-9_]*", lit.value):
            continue
        brace = code.enclosing(m.start())
        got = code.args(brace) if brace is not None else None
        if got is None:
            continue
        values: dict[str, Span] = {}
        for a, b in got[0]:
            km = re.compile(r"([A-Za-z_$][\w$]*)\s*:\s*").match(masked, a, b)
            if km:
                values[km.group(1)] = (km.end(), b)
        if not {"default", "format", "doc"} & set(values):
            continue
        param = _Param(name=lit.value)
        end = m.end()
        if "default" in values:
            value = f.operand(values["default"][0])
            if value and value[1] == values["default"][1]:
                param.default = value[0]
                param.lines.extend(value[2])
            end = max(end, values["default"][1])
        if "format" in values:
            fmt_span = values["format"]
            fmt = code.lit(fmt_span) or masked[fmt_span[0] : fmt_span[1]].strip()
            if masked[fmt_span[0] : fmt_span[0] + 1] == "[":
                options = _paths(f, fmt_span)
                param.value_type, param.allowed = "enum", options or None
            else:
                param.value_type = _CONVICT_FORMATS.get(fmt)
            end = max(end, fmt_span[1])
        start = min([m.start(), *(s for s, _e in values.values())])
        param.lines.insert(0, f.cite(start, end))
        params.append(param)
    return params


# --- health routes ---------------------------------------------------------------------


def _paths(f: _File, span: Span) -> list[str]:
    """String literal paths of an argument (a literal or an array of literals)."""
    code = f.code
    value = code.lit(span)
    if value is not None:
        return [value]
    s, e = span
    if s < e and code.masked[s] == "[":
        got = code.args(s)
        if got:
            return [v for v in (code.lit(a) for a in got[0]) if v is not None]
    return []


def _join(*parts: str) -> str:
    return "/" + "/".join(p.strip("/") for p in parts if p.strip("/"))


def _routes(f: _File) -> list[tuple[str, Span]]:
    code = f.code
    masked = code.masked
    found: list[tuple[str, Span]] = []
    for m in _ROUTE.finditer(masked):
        recv = re.sub(r"\s+", "", m.group("recv")).split(".")[-1].lower()
        if recv in _CLIENTS or recv.endswith("client"):
            continue
        got = code.args(m.end() - 1)
        if got is None or not got[0]:
            continue
        args = got[0]
        if m.group("m") != "route" and len(args) < 2:
            continue
        for path in _paths(f, args[0]):
            if path.startswith("/") and is_health_path(path):
                found.append((path, f.cite(m.start(), args[0][1])))
    found.extend(_nest_routes(f))
    for m in _OBJECT_PATH.finditer(masked):
        lit = code.lits.get(m.end())
        if lit is None or not lit.value.startswith("/") or not is_health_path(lit.value):
            continue
        obj = code.enclosing(m.start())
        got = code.args(obj) if obj is not None else None
        keys = (
            {
                km.group(1)
                for km in (re.compile(r"([A-Za-z_$][\w$]*)").match(masked, a, b) for a, b in got[0])
                if km
            }
            if got
            else set()
        )
        if "method" in keys or (m.group("k") == "path" and "handler" in keys):
            found.append((lit.value, f.cite(m.start(), lit.end)))
    for m in re.finditer(r"(?<![\w$])healthChecks\s*:\s*(?=\{)", masked):
        got = code.args(m.end())
        if got is None:
            continue
        for s, _e in got[0]:
            lit = code.lits.get(s)
            if lit is not None and lit.value.startswith("/"):
                found.append((lit.value, f.cite(s, lit.end)))
    found.extend(_file_route(f))
    return found


def _nest_routes(f: _File) -> list[tuple[str, Span]]:
    code = f.code
    masked = code.masked
    controllers: list[tuple[int, str]] = []
    for m in _NEST_CONTROLLER.finditer(masked):
        got = code.args(m.end() - 1)
        prefix = ""
        if got and got[0]:
            arg = got[0][0]
            paths = _paths(f, arg)
            if paths:
                prefix = paths[0]
            elif masked[arg[0]] == "{":
                inner = code.args(arg[0])
                for s, e in inner[0] if inner else []:
                    km = re.compile(r"path\s*:\s*").match(masked, s, e)
                    if km:
                        found_paths = _paths(f, (km.end(), e))
                        prefix = found_paths[0] if found_paths else ""
        controllers.append((m.start(), prefix))
    if not controllers:
        return []
    starts = [c[0] for c in controllers]
    found: list[tuple[str, Span]] = []
    for m in _NEST_ROUTE.finditer(masked):
        got = code.args(m.end() - 1)
        if got is None:
            continue
        args, close = got
        idx = bisect.bisect_right(starts, m.start()) - 1
        prefix = controllers[idx][1] if idx >= 0 else ""
        paths = _paths(f, args[0]) if args else [""]
        pos = close + 1
        while dec := _DECORATOR.match(masked, pos):
            pos = dec.end()
            if masked[pos : pos + 1] == "(":
                dargs = code.args(pos)
                if dargs is None:
                    break
                pos = dargs[1] + 1
        name = _METHOD_NAME.match(masked, pos)
        end = name.end("n") if name else close + 1
        region_start = max(masked.rfind(c, 0, m.start()) for c in "{};")
        marked = re.search(r"@HealthCheck\s*\(", masked[region_start + 1 : end]) is not None
        for path in paths or [""]:
            full = _join(prefix, path)
            if marked or is_health_path(full):
                found.append((full, f.cite(m.start(), end)))
    return found


def _file_route(f: _File) -> list[tuple[str, Span]]:
    """Next.js API routes, whose URL is their file path."""
    path = f.source.path
    masked = f.code.masked
    api = _NEXT_API.search(path)
    app = _NEXT_APP.search(path)
    route: str | None = None
    export: re.Match[str] | None = None
    if api:
        route = _join("api", re.sub(r"(^|/)index$", "", api.group("r")))
        export = re.search(r"\bexport\s+default\b", masked)
    elif app:
        segments = [s for s in app.group("r").split("/") if s and not s.startswith("(")]
        route = _join(*segments)
        export = re.search(
            r"\bexport\s+(?:async\s+)?(?:function\s+|const\s+)(?:GET|HEAD)\b", masked
        )
    if route is None or export is None or not is_health_path(route):
        return []
    return [(route, f.cite(export.start(), export.end()))]


# --- ports -----------------------------------------------------------------------------


def _port_of(f: _File, span: Span, depth: int = 0) -> tuple[str, list[Span]] | None:
    """A port number stated by an expression: a literal, a literal fallback, or a constant."""
    code = f.code
    masked = code.masked
    s, e = code.trim(span)
    if s >= e or depth > 3:
        return None
    if masked[s] == "{":
        got = code.args(s)
        for a, b in got[0] if got else []:
            km = re.compile(r"port\s*(?::|$)").match(masked, a, b)
            if km:
                return _port_of(f, (km.end(), b) if masked[km.end() - 1] == ":" else (a, b), depth)
        return None
    got_lit = f.operand(s)
    if got_lit and got_lit[1] == e and got_lit[0]:
        return (got_lit[0], got_lit[2]) if got_lit[0].isdigit() else None
    ident = _IDENT.fullmatch(masked, s, e)
    if ident:
        decl = f.decls.get(re.sub(r"\s+", "", ident.group()))
        if decl:
            inner = _port_of(f, decl, depth + 1)
            if inner:
                line = code.line(decl[0])
                return inner[0], [(line, line), *inner[1]]
        return None
    get = re.compile(r"[A-Za-z_$][\w$]*\s*\.\s*get\s*\(\s*(?=['\"])").match(masked, s, e)
    if get and (key := code.lits.get(get.end())) is not None:
        setter = re.search(r"\.\s*set\s*\(\s*['\"]" + _FILL * len(key.value) + r"['\"]\s*,", masked)
        if setter and key.value == "port":
            setter_args = code.args(masked.rfind("(", 0, setter.end()))
            if setter_args and len(setter_args[0]) == 2:
                inner = _port_of(f, setter_args[0][1], depth + 1)
                if inner:
                    line = code.line(setter.start())
                    return inner[0], [(line, line), *inner[1]]
        return None
    fb = re.compile(r"(?:\|\||\?\?)").search(masked, s, e)
    if fb:
        fallback = f.operand(fb.end())
        if fallback and fallback[0] and fallback[0].isdigit():
            return fallback[0], fallback[2]
    return None


def _address_port(f: _File, span: Span) -> tuple[str, list[Span]] | None:
    """The port of a `host:port` address: `'0.0.0.0:50051'`, `` `[::]:${PORT}` ``, `'…:' + PORT`."""
    code = f.code
    s, e = code.trim(span)
    value = code.lit((s, e))
    if value is not None:
        m = re.search(r":(\d{1,5})$", value)
        return (m.group(1), []) if m else None
    text = code.text[s:e]
    ident = re.fullmatch(r"`[^`]*:\$\{\s*([A-Za-z_$][\w$]*)\s*\}`", text) or re.fullmatch(
        r"(['\"])[^'\"]*:\1\s*\+\s*([A-Za-z_$][\w$]*)", text
    )
    if ident is None:
        return None
    name = ident.group(ident.lastindex or 1)
    start = s + ident.start(ident.lastindex or 1)
    return _port_of(f, (start, start + len(name)))


def _grpc_health(f: _File) -> Span | None:
    """Where the standard gRPC health service is added to a server, if it is."""
    m = _GRPC_HEALTH.search(f.code.masked)
    return f.cite(m.start(), m.end()) if m else None


def _ports(f: _File) -> list[tuple[str, Span, list[Span]]]:
    code = f.code
    found: list[tuple[str, Span, list[Span]]] = []
    for m in _BIND.finditer(code.masked):
        got = code.args(m.end() - 1)
        if got is None or not got[0]:
            continue
        port = _address_port(f, got[0][0])
        if port and 0 < int(port[0]) < 65536:
            found.append((port[0], f.cite(m.start(), got[0][0][1]), port[1]))
    for pattern in (_LISTEN, _SERVE_PORT):
        for m in pattern.finditer(code.masked):
            open_at = code.masked.find("(", m.start())
            got = code.args(open_at)
            if got is None or not got[0]:
                continue
            args, close = got
            port = _port_of(f, args[0])
            if port and 0 < int(port[0]) < 65536:
                found.append((port[0], f.cite(m.start(), args[0][1]), port[1]))
    return found


# --- the analyzer ----------------------------------------------------------------------


def _minified(source: SourceFile) -> bool:
    if ".min." in source.name or source.name.endswith(("-min.js", ".bundle.js")):
        return True
    text = source.text
    if len(text) > 2000 and len(text) / (text.count("\n") + 1) > _MINIFIED_AVG_LINE:
        return True
    return any(len(line) > _MAX_LINE for line in source.lines)


class JavaScriptAnalyzer:
    """Reads JS/TS sources (not dependencies, build output, type declarations or tests)."""

    name = NAME

    def accepts(self, source: SourceFile) -> bool:
        name = source.name
        if source.suffix not in _SUFFIXES or re.search(r"\.d\.[mc]?ts$", name):
            return False
        if re.search(r"\.(test|spec)\.[mc]?[jt]sx?$", name):
            return False
        if any(part in _SKIP_DIRS for part in source.parts[:-1]):
            return False
        return not _minified(source)

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        try:
            self._analyze(source, result)
        except (ValueError, IndexError, KeyError, RecursionError) as exc:
            result.warn(source, f"could not read JS/TS source: {exc}"[:300], None, self.name)
        return result

    def _analyze(self, source: SourceFile, result: AnalyzerResult) -> None:
        f = _File(source)
        f.code.warn_unterminated(source, result, self.name)
        merged: dict[str, _Param] = {}
        for p in _env(f):
            if p.name in merged:
                merged[p.name].absorb(p)
            else:
                merged[p.name] = p
        facts: list[FactBase] = [self._param(source, p) for p in merged.values()]
        routes: dict[str, list[Span]] = {}
        for target, lines in _routes(f):
            routes.setdefault(target, []).append(lines)
        for target, spans in routes.items():
            facts.append(
                HealthCheck(
                    summary=f"HTTP health endpoint GET {target} served by the code",
                    citations=self._cites(source, spans),
                    check_type="http",
                    target=target,
                    mechanism="code-endpoint",
                )
            )
        grpc = _grpc_health(f)
        if grpc is not None:
            facts.append(
                HealthCheck(
                    summary="gRPC health service grpc.health.v1.Health registered by the code",
                    citations=self._cites(source, [grpc]),
                    check_type="grpc",
                    target="grpc.health.v1.Health",
                    mechanism="code-endpoint",
                )
            )
        ports: dict[str, list[Span]] = {}
        for port, lines, extra in _ports(f):
            ports.setdefault(port, []).extend([lines, *extra])
        for port, spans in ports.items():
            facts.append(
                ResourceRequirement(
                    summary=f"listens on port {port}",
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
        # `process.env.X || ''` states no default: the variable is simply optional.
        default = p.default or None
        value_type = p.value_type or infer_value_type(default)
        secret = looks_secret(p.name, default)
        bits: list[str] = [value_type]
        if p.required:
            bits.append("required")
        if default is not None and not secret:
            bits.append(f"default {default}")
        return ConfigParameter(
            summary=f"environment variable {p.name} ({', '.join(bits)})",
            citations=self._cites(source, p.lines),
            name=p.name,
            value_type=value_type,
            default=default,
            allowed_values=p.allowed,
            required=p.required,
            secret=secret,
        )


register(JavaScriptAnalyzer())
