"""What the tree-sitter analyzers of Rust, C/C++, Ruby and PHP share: a parameter before it is a
fact, one collector per file that merges what it reads and emits the facts, and the base class
that parses a file and turns any failure into a warning naming the file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter as ts

from ddd_llm.evidence.base import (
    NUMBER,
    AnalyzerResult,
    RangePhrases,
    SourceFile,
    infer_value_type,
    is_health_path,
    looks_secret,
)
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._option_tables import OptionTable
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    FactBase,
    HealthCheck,
    Number,
    RangeSource,
    ResourceRequirement,
    ValueType,
)

ENV = "environment variable"
FLAG = "command-line flag"
KEY = "config key"

# Variables the platform sets for every process; reading them is not an operator's setting.
PLATFORM_ENV = frozenset(
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
        "TZ",
        "CI",
        "COLUMNS",
        "LINES",
        "DISPLAY",
        "LD_LIBRARY_PATH",
        "LD_PRELOAD",
        "CARGO_PKG_VERSION",
        "CARGO_PKG_NAME",
        "CARGO_MANIFEST_DIR",
        "CARGO_PKG_AUTHORS",
        "CARGO_PKG_DESCRIPTION",
        "CARGO_BIN_NAME",
        "CARGO_CRATE_NAME",
        "OUT_DIR",
        "PROFILE",
        "TARGET",
        "HOST",
        # set by systemd for the service it starts (sd_notify, socket activation, watchdog)
        "NOTIFY_SOCKET",
        "LISTEN_FDS",
        "LISTEN_PID",
        "LISTEN_FDNAMES",
        "WATCHDOG_USEC",
        "WATCHDOG_PID",
        "INVOCATION_ID",
        "JOURNAL_STREAM",
    }
)
INFO_FLAGS = frozenset({"--help", "-help", "--version", "-version", "--usage"})
"""Flags that print and exit: they set nothing an operator configures."""
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
FLAG_NAME = re.compile(r"^--?[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_MEASURE = re.compile(
    r"(?i)[_.-](seconds|secs|ms|millis|minutes|duration|size|count|length|limit|max|min|"
    r"retries|enabled|port|host|name|type|mode)$"
)
_NUMERIC: frozenset[ValueType] = frozenset({"int", "float", "duration", "size"})

_NUM = f"({NUMBER})"
help_range = RangePhrases(
    both=(
        re.compile(r"\bbetween\s+" + _NUM + r"\s+and\s+" + _NUM, re.IGNORECASE),
        re.compile(r"[(\[]\s*" + _NUM + r"\s*(?:-|–|\.\.=?|to)\s*" + _NUM + r"\s*[)\]]"),
        re.compile(r"\bfrom\s+" + _NUM + r"\s+to\s+" + _NUM, re.IGNORECASE),
        re.compile(r"\brange\s*(?:of|is|:)?\s*" + _NUM + r"\s*(?:-|–|\.\.=?|to)\s*" + _NUM, re.I),
    ),
    at_least=re.compile(
        r"(?:\b(?:min(?:imum)?|at least|no less than)\b|>=)\s*(?:of|is)?\s*[:=]?\s*"
        + _NUM
        + r"(?![\d.])",
        re.IGNORECASE,
    ),
    at_most=re.compile(
        r"(?:\b(?:max(?:imum)?|at most|up to|no more than)\b|<=)\s*(?:of|is)?\s*[:=]?\s*"
        + _NUM
        + r"(?![\d.])",
        re.IGNORECASE,
    ),
)
"""A (min, max) stated in help text or a doc comment: `(1-100)`, `between 1 and 10`, `max 500`."""

_SIZE = r"(\d+(?:\.\d+)?)\s*([KMGTP]i?B|B|bytes?)(?![A-Za-z])"
_BYTES = {
    "B": 1,
    "byte": 1,
    "bytes": 1,
    **{f"{p}B": 1000 ** (i + 1) for i, p in enumerate("KMGTP")},
    **{f"{p}iB": 1024 ** (i + 1) for i, p in enumerate("KMGTP")},
}
_LESS = r"(?:less|smaller|lower|fewer)"
_MORE = r"(?:more|larger|greater|bigger|higher)"
_SIZE_BOTH = (
    re.compile(rf"(?i)\bbetween\s+{_SIZE}\s+and\s+{_SIZE}"),
    re.compile(rf"(?i)\bfrom\s+{_SIZE}\s+to\s+{_SIZE}"),
    # `must not be less than 10MiB and larger than 8GiB`: the `not` covers both
    re.compile(
        rf"(?i)\bnot\s+(?:be\s+)?{_LESS}\s+than\s+{_SIZE}\s*,?\s+(?:and|or|nor)\s+"
        rf"(?:be\s+)?{_MORE}\s+than\s+{_SIZE}"
    ),
)
_SIZE_LEAST = re.compile(
    rf"(?i)(?:\bat\s+least|\bmin(?:imum)?(?:\s+(?:of|is))?|\bno(?:t\s+(?:be\s+)?)?\s*{_LESS}\s+than)"
    rf"\s*:?\s*{_SIZE}"
)
_SIZE_MOST = re.compile(
    rf"(?i)(?:\bat\s+most|\bup\s+to|\bmax(?:imum)?(?:\s+(?:of|is))?|\bno(?:t\s+(?:be\s+)?)?\s*{_MORE}\s+than)"
    rf"\s*:?\s*{_SIZE}"
)


def _bytes(number: str, unit: str) -> int | None:
    factor = _BYTES.get(unit) or _BYTES.get(unit.lower())
    return int(float(number) * factor) if factor else None


def size_range(text: str | None) -> tuple[Number | None, Number | None]:
    """A (min, max) in bytes that help text states with units: `between 1KiB and 1MiB`,
    `must not be less than 10MiB and larger than 8GiB`, `at most 2GB`."""
    if not text:
        return None, None
    for pattern in _SIZE_BOTH:
        match = pattern.search(text)
        if match:
            low, high = (
                _bytes(match.group(1), match.group(2)),
                _bytes(match.group(3), match.group(4)),
            )
            if low is not None and high is not None and low <= high:
                return low, high
    least, most = _SIZE_LEAST.search(text), _SIZE_MOST.search(text)
    low = _bytes(least.group(1), least.group(2)) if least else None
    high = _bytes(most.group(1), most.group(2)) if most else None
    if low is not None and high is not None and low > high:
        return None, None
    return low, high


NUMBER_ONLY = re.compile(r"^-?\d+(?:\.\d+)?$")
_HELP_DEFAULT = re.compile(
    r"(?i)(?:\(default\s+|\bdefault(?:s to|\s*:|\s*=|\s+is|\s+value\s+is)\s*)"
    r"[\"'`]?(?P<value>[\w./:\-]+?)[\"'`]?(?=[\s),;]|\.?$)"
)
"""A default the help text states: `Default: 3890`, `(default 8080)`, `defaults to "info"`."""


_QUOTED_DEFAULT = re.compile(
    r"(?i)(?:\(default\s+|\bdefault(?:s to|\s*:|\s*=|\s+is|\s+value\s+is)\s*)"
    r"(?P<q>[\"'`])(?P<value>[^\"'`\n]{1,60})(?P=q)"
)
"""A quoted default may hold spaces: ``Defaults to `Managed by Terraform` ``."""
_PHRASE_GOES_ON = re.compile(r"^\s+[A-Za-z(]")
"""After an unquoted word, more words: the word starts a phrase (`Defaults to the Region
set in the provider`, `defaults to on-demand price`), not a value."""


def stated_default(text: str) -> str | None:
    """The default a description states (`Defaults to `ROTATE``, `default is `single-az``),
    or None; the first statement wins. An unquoted word that is only the start of a phrase
    is no value; a number may be followed by its unit (`default is 5 seconds`)."""
    found = _HELP_DEFAULT.search(text)
    quoted = _QUOTED_DEFAULT.search(text)
    if quoted is not None and (found is None or quoted.start() <= found.start()):
        return quoted.group("value").strip()
    if found is None:
        return None
    value = found.group("value").rstrip(".")
    quoted_word = text[found.end() - 1 : found.end()] in "\"'`"
    rest = text[found.end() :]
    if not quoted_word and not NUMBER_ONLY.match(value) and _PHRASE_GOES_ON.match(rest):
        return None
    return value


SKIP_DIRS = frozenset(
    {
        "test",
        "tests",
        "testing",
        "spec",
        "specs",
        "benches",
        "examples",
        "vendor",
        "third_party",
        "third-party",
        "deps",
        "node_modules",
        "target",
        "fixtures",
        "testdata",
        "__tests__",
    }
)


def is_test_or_vendored(source: SourceFile) -> bool:
    """Tests, benchmarks, examples and vendored code configure nothing an operator runs."""
    dirs = {part.lower() for part in source.parts[:-1]}
    if dirs & SKIP_DIRS:
        return True
    stem = source.name.rsplit(".", 1)[0].lower()
    return stem.startswith("test") or stem.endswith(("_test", "_spec", "_tests", "-test"))


@dataclass
class Param:
    """A configuration parameter as read at one or more places of a file."""

    name: str
    what: str
    start: int
    end: int
    value_type: ValueType | None = None
    default: str | None = None
    required: bool = False
    low: Number | None = None
    high: Number | None = None
    range_source: RangeSource | None = None
    allowed: list[str] | None = None
    help: str | None = None
    secret: bool = False
    note: str = ""
    lines: list[tuple[int, int]] = field(default_factory=list)

    def absorb(self, other: Param) -> None:
        self.lines.append((other.start, other.end))
        if self.default is None:
            self.default = other.default
        if self.value_type in (None, "string") and other.value_type not in (None, "string"):
            self.value_type = other.value_type
        if self.low is None and self.high is None and self.range_source is None:
            self.low, self.high, self.range_source = other.low, other.high, other.range_source
        self.required = self.required or other.required
        self.allowed = self.allowed or other.allowed
        self.help = self.help or other.help
        self.secret = self.secret or other.secret
        self.note = self.note or other.note


def _brief(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Collector:
    """Everything one file says, merged by name, emitted as facts in line order."""

    def __init__(self, source: SourceFile, analyzer: str) -> None:
        self.source = source
        self.analyzer = analyzer
        self.result = AnalyzerResult()
        self.params: dict[str, Param] = {}
        self.health: dict[str, list[tuple[int, int]]] = {}
        self.ports: dict[str, tuple[str, list[tuple[int, int]]]] = {}

    def param(self, param: Param) -> None:
        if not param.name or any(ch.isspace() for ch in param.name):
            return
        if param.what == ENV and (param.name in PLATFORM_ENV or not ENV_NAME.match(param.name)):
            return
        if param.what == FLAG and (not FLAG_NAME.match(param.name) or param.name in INFO_FLAGS):
            return
        known = self.params.get(param.name)
        if known is None:
            param.lines.append((param.start, param.end))
            self.params[param.name] = param
        else:
            known.absorb(param)

    def at(self, name: str, what: str, node: ts.Node) -> Param:
        """A new parameter cited at `node`'s lines (fill it in, then pass it to `param`)."""
        return Param(name, what, _ts.line(node), _ts.end_line(node))

    def route(self, path: str, node: ts.Node, *, health: bool = False) -> None:
        """A route the code serves; only health, readiness and liveness paths become facts
        (`health` when its handler says so: Rails' `get "up" => "rails/health#show"`)."""
        clean = path.strip()
        if not clean.startswith("/"):
            clean = "/" + clean
        if health or is_health_path(clean):
            self.health.setdefault(clean, []).append((_ts.line(node), _ts.end_line(node)))

    def port(self, port: str, how: str, node: ts.Node) -> None:
        if port.isdigit() and 0 < int(port) < 65536:
            entry = self.ports.setdefault(port, (how, []))
            entry[1].append((_ts.line(node), _ts.end_line(node)))

    def candidate(self, start: int, end: int, reason: str) -> None:
        self.result.candidate(self.source, start, end, "config_parameter", reason)

    def tables(self, tables: list[OptionTable]) -> None:
        """Option-table rows as config keys; undecoded rows and unsure tables as candidates."""
        for table in tables:
            if not table.confident:
                self.candidate(
                    table.start_line,
                    table.end_line,
                    f"possible option table {table.container or ''} "
                    f"({len(table.options)} rows)".replace("  ", " "),
                )
                continue
            for option in table.options:
                self.param(
                    Param(
                        option.name,
                        KEY,
                        option.start_line,
                        option.end_line,
                        value_type=option.value_type,
                        default=option.default,
                        low=option.low,
                        high=option.high,
                        range_source=option.range_source,
                        allowed=option.allowed,
                        help=option.help,
                    )
                )
            for start, end, why in table.undecoded:
                self.candidate(start, end, f"option table row ({why})")
            if "default column ambiguous" in table.notes:
                self.candidate(
                    table.start_line,
                    table.end_line,
                    f"option table {table.container}: defaults not decoded",
                )

    # --- emitting ----------------------------------------------------------------------

    def finish(self) -> AnalyzerResult:
        facts: list[tuple[int, FactBase]] = []
        for p in self.params.values():
            facts.append((p.start, self._fact(p)))
        for path, spans in self.health.items():
            facts.append(
                (
                    spans[0][0],
                    HealthCheck(
                        summary=f"HTTP health endpoint GET {path} served by the code",
                        citations=self._cites(spans),
                        check_type="http",
                        target=path,
                        mechanism="code-endpoint",
                    ),
                )
            )
        for port, (how, spans) in self.ports.items():
            facts.append(
                (
                    spans[0][0],
                    ResourceRequirement(
                        summary=f"listens on port {port} ({how})",
                        citations=self._cites(spans),
                        resource="port",
                        value=port,
                    ),
                )
            )
        facts.sort(key=lambda item: item[0])
        self.result.facts.extend(fact for _, fact in facts)
        return self.result

    def _cites(self, spans: list[tuple[int, int]]) -> list[Citation]:
        merged: list[list[int]] = []
        for start, end in sorted(set(spans)):
            if merged and start <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return [self.source.cite(a, b) for a, b in merged[:8]]

    def _fact(self, p: Param) -> ConfigParameter:
        if p.default is None and p.help and not p.required:
            p.default = stated_default(p.help)
        value_type = p.value_type or infer_value_type(p.default)
        low, high, source = p.low, p.high, p.range_source
        if source is None and p.help and value_type == "size" and re.search(_SIZE, p.help):
            low, high = size_range(p.help)  # sizes stated with units: read them as bytes
            source = "documented" if low is not None or high is not None else None
        elif source is None and p.help and value_type in _NUMERIC:
            low, high = help_range(p.help)
            source = "documented" if low is not None or high is not None else None
        # a switch holds no secret, whatever its name (`--ssl-require-auth`)
        secret = value_type != "bool" and (p.secret or looks_secret(p.name.lstrip("-"), p.default))
        if secret and not p.secret and _MEASURE.search(p.name):
            secret = False  # `*_TOKEN_DURATION_SECONDS` measures a secret, it holds none
        bits: list[str] = [value_type]
        if p.allowed and not secret:
            shown = ", ".join(_brief(v, 20) for v in p.allowed[:6])
            bits.append(f"one of {shown}{', …' if len(p.allowed) > 6 else ''}")
        if p.default is not None and not secret:
            bits.append(f"default {_brief(p.default) or repr(p.default)}")
        if low is not None and high is not None:
            bits.append(f"range {low}..{high}")
        elif low is not None:
            bits.append(f"min {low}")
        elif high is not None:
            bits.append(f"max {high}")
        if p.required:
            bits.append("required")
        if secret:
            bits.append("secret")
        summary = f"{p.what} {p.name} ({', '.join(bits)}){p.note}"
        if p.help and not secret:
            summary += ": " + _brief(p.help, 120)
        return ConfigParameter(
            summary=summary,
            citations=self._cites(p.lines),
            name=p.name,
            value_type=value_type,
            default=p.default,
            min=low,
            max=high,
            allowed_values=p.allowed,
            required=p.required and p.default is None,
            secret=secret,
            range_source=source,
        )


class TreeSitterAnalyzer:
    """Parse a file with its grammar and hand the tree to `read`; failures become warnings."""

    name = "tree-sitter"
    grammars: dict[str, str] = {}
    """File suffix → grammar."""

    def accepts(self, source: SourceFile) -> bool:
        return (
            source.suffix in self.grammars
            and len(source.text) <= _ts.MAX_BYTES
            and not is_test_or_vendored(source)
        )

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        collector = Collector(source, self.name)
        grammar = self.grammars.get(source.suffix)
        if grammar is None:
            return collector.result
        if len(source.text) > _ts.MAX_BYTES:
            collector.result.warn(
                source, f"skipped: larger than {_ts.MAX_BYTES} bytes", None, self.name
            )
            return collector.result
        try:
            tree = _ts.parse(grammar, source.text)
            self.read(grammar, tree.root_node, collector)
        except _ts.GrammarMissing as exc:
            collector.result.warn(source, str(exc), None, self.name)
            return collector.result
        except (ValueError, IndexError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            collector.result.warn(
                source,
                f"could not read {grammar} source ({type(exc).__name__}: {exc}); "
                "the file's other facts are kept",
                None,
                self.name,
            )
        return collector.finish()

    def read(self, grammar: str, root: ts.Node, out: Collector) -> None:
        raise NotImplementedError
