"""The analyzer interface, the registry, and the helpers every analyzer shares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from typing import Protocol
from urllib.parse import urlsplit

from ddd_llm.evidence.yamlpos import YamlDocument, YamlParseError, load_documents
from ddd_llm.models import Citation, Diagnostic, FactBase, Number, Service, ValueType
from ddd_llm.scan.text import split_lines


@dataclass(frozen=True)
class SourceFile:
    """One scanned text file: its repo-relative posix path and decoded text."""

    path: str
    text: str

    @cached_property
    def lines(self) -> list[str]:
        return split_lines(self.text)

    @cached_property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @cached_property
    def suffix(self) -> str:
        return PurePosixPath(self.path).suffix.lower()

    @cached_property
    def parts(self) -> tuple[str, ...]:
        return PurePosixPath(self.path).parts

    @property
    def is_yaml(self) -> bool:
        return self.suffix in (".yml", ".yaml")

    @cached_property
    def _yaml(self) -> tuple[list[YamlDocument], YamlParseError | None]:
        try:
            return load_documents(self.text), None
        except YamlParseError as exc:
            return exc.documents, exc

    def yaml_documents(self) -> list[YamlDocument]:
        """Parsed once per file and shared by every analyzer; raises YamlParseError."""
        docs, error = self._yaml
        if error is not None:
            raise error
        return docs

    def cite(self, start: int, end: int | None = None) -> Citation:
        """A citation clamped to the file's real line range."""
        last = max(1, len(self.lines))
        start = min(max(1, start), last)
        end = min(max(start, end if end is not None else start), last)
        return Citation(path=self.path, start_line=start, end_line=end)

    def line_of_offset(self, offset: int) -> int:
        """1-based line number of a character offset into `text`."""
        return self.text.count("\n", 0, offset) + 1


@dataclass(frozen=True)
class Candidate:
    """Lines the static pass saw but could not fully decode (an env/flag/config API call with a
    computed name, an option-table row, a config directive without a rule). The extract stage
    asks the model about every candidate region, so nothing the analyzers only half read is lost.
    `kind` is the fact kind the lines most likely hold (e.g. "config_parameter")."""

    path: str
    start_line: int
    end_line: int
    kind: str
    reason: str


@dataclass
class AnalyzerResult:
    """What one analyzer read from one file.

    `owners` maps a repo-relative directory (posix, "" for the root) to the
    service built from it, e.g. a compose `build: ./api` gives {"api": "api"};
    code facts under that directory then belong to that service.
    """

    facts: list[FactBase] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    owners: dict[str, str] = field(default_factory=dict)
    candidates: list[Candidate] = field(default_factory=list)

    def extend(self, other: AnalyzerResult) -> None:
        self.facts.extend(other.facts)
        self.candidates.extend(other.candidates)
        self.services.extend(other.services)
        self.warnings.extend(other.warnings)
        self.owners.update(other.owners)

    def candidate(
        self, source: SourceFile, start: int, end: int | None, kind: str, reason: str
    ) -> None:
        """Mark lines for the model: see `Candidate`."""
        cited = source.cite(start, end)
        self.candidates.append(
            Candidate(source.path, cited.start_line, cited.end_line, kind, reason)
        )

    def warn(self, source: SourceFile, message: str, line: int | None, analyzer: str) -> None:
        self.warnings.append(
            Diagnostic(path=source.path, line=line, message=message, source=analyzer)
        )


class Analyzer(Protocol):
    """A deterministic reader of one artifact type.

    `accepts` is a cheap test on the path and text; `analyze` never raises for
    bad input: it returns warnings naming the file and line instead.
    """

    name: str

    def accepts(self, source: SourceFile) -> bool: ...

    def analyze(self, source: SourceFile) -> AnalyzerResult: ...


REGISTRY: dict[str, Analyzer] = {}


def register(analyzer: Analyzer) -> Analyzer:
    if analyzer.name in REGISTRY:
        raise ValueError(f"analyzer {analyzer.name!r} registered twice")
    REGISTRY[analyzer.name] = analyzer
    return analyzer


def yaml_docs_or_warn(
    source: SourceFile, result: AnalyzerResult, analyzer: str
) -> list[YamlDocument]:
    """The file's YAML documents; a parse error becomes a warning (documents before it are kept)."""
    try:
        return source.yaml_documents()
    except YamlParseError as exc:
        result.warn(source, str(exc), exc.line, analyzer)
        return exc.documents


# --- shared vocabulary -------------------------------------------------------------

SECRET_NAME = re.compile(
    r"(?i)(^|[_.-])(pass|password|passwd|passphrase|pwd|secret|token|api[_.-]?key|private[_.-]?key|"
    r"access[_.-]?key|secret[_.-]?key|key|credentials?|dsn|salt|auth)$"
)
"""Parameter names whose values are secrets: *_PASSWORD, *_TOKEN, *_SECRET, *_KEY, …"""

SECRET_PART = re.compile(r"(?i)(^|[_.-])(password|passwd|passphrase|secret|token)([_.-]|$)")
"""A secret word anywhere in the name (`SECRET_KEY_BASE`, `AUTH_TOKEN_TTL` is caught too: safe)."""

NOT_SECRET = re.compile(
    r"(?i)((^|[_.-])(public[_.-]?key|public[_.-]?access[_.-]?token|publishable[_.-]?key|"
    r"public[_.-]?key[_.-]?token)$"
    r"|[_.-](file|path|dir|length|len|ttl|expiry|expires?|expiration|timeout|enabled?|disabled|"
    r"url|seconds|secs|minutes|mins|hours|days|ms|millis|milliseconds|duration|lifetime|age|"
    r"size|count|limit|min|max|attempts|retries|rounds|iterations|interval|strategy|policy|"
    r"mode|algorithm|method)$)"
)
"""Names about a secret rather than holding one: the last word is a file, a duration, a count,
a size, a bound or a switch (`*_PASSWORD_FILE`, `*_PUBLIC_KEY`, `PASSWORD_MIN_LENGTH`,
`JWT_RESET_PASSWORD_EXPIRATION_MINUTES`, `LOGIN_PASSWORD_ATTEMPTS`), or how a secret is
handled (`*_TOKEN_UPDATE_STRATEGY`)."""

_URL_AUTHORITY = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s]*", re.IGNORECASE)
"""A URL in a value, up to the end of its authority (`postgres://app:hunter2@db`)."""

SERVICE_REF_SUFFIX = re.compile(r"(?i)_(ADDR|ADDRESS|HOST|HOSTNAME|URL|URI|ENDPOINT|SERVER|DSN)$")
"""Env var names whose value names another service (`CART_ADDR=cartservice:7070`)."""


SECRET_GLUED = re.compile(
    r"(?i)[a-z0-9](password|passwd|passphrase|secret|token|apikey|pwd|pass|auth)$"
)
"""A secret word glued to its prefix, as tools spell them: `PGPASSWORD`, `requirepass`,
`masterauth`, `csrftoken`, `DBPASSWORD`."""

NOT_GLUED = re.compile(r"(?i)(bypass|compass|surpass|trespass|overpass|underpass|oauth|o_auth)$")
"""Words that end like a secret word and are not one."""

NOT_SECRET_WORDS = frozenset({"pwd", "oldpwd", "pass", "auth"})
"""`PWD` is the shell's working directory; a bare `pass`/`auth` is a keyword or a section."""


def looks_secret_name(name: str) -> bool:
    if NOT_SECRET.search(name) or name.lower() in NOT_SECRET_WORDS:
        return False
    if SECRET_NAME.search(name) or SECRET_PART.search(name):
        return True
    return bool(SECRET_GLUED.search(name) and not NOT_GLUED.search(name))


def url_credentials(value: str) -> tuple[str, str] | None:
    """(user, password) of the first URL in `value` with a password in it
    (`postgres://app:hunter2@db/app` → ("app", "hunter2"); `redis://:pw@cache` → ("", "pw"))."""
    for match in _URL_AUTHORITY.finditer(value):
        try:
            url = urlsplit(match.group(0))
        except ValueError:  # a broken [IPv6] host
            continue
        if url.password:
            return url.username or "", url.password
    return None


def looks_secret(name: str, value: str | None, *, userless: bool = False) -> bool:
    """A secret by its name, or a value that carries credentials in a URL; a password without
    a user name (`redis://:pw@cache`) counts only if `userless`."""
    if looks_secret_name(name):
        return True
    credentials = url_credentials(value) if value else None
    return credentials is not None and (userless or credentials[0] != "")


_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_DURATION = re.compile(r"^\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d)$")
_SIZE = re.compile(r"(?i)^\d+(\.\d+)?\s*(k|m|g|t|p|e)(i)?b?$")
_BOOL = {"true", "false", "yes", "no", "on", "off"}


def infer_value_type(value: str | None) -> ValueType:
    """`int`, `float`, `bool`, `duration`, `size`, `list` or `string`, from a written default."""
    if value is None:
        return "string"
    text = value.strip()
    if _INT.match(text):
        return "int"
    if _FLOAT.match(text):
        return "float"
    if text.lower() in _BOOL:
        return "bool"
    if _DURATION.match(text):
        return "duration"
    if _SIZE.match(text):
        return "size"
    if "," in text and " " not in text:
        return "list"
    return "string"


NUMBER = r"-?\d+(?:\.\d+)?"
"""A number as help text and comments write it (`8080`, `-1`, `0.5`), for range phrases."""


def parse_number(text: str) -> Number | None:
    """`8080` → 8080, `0.5` → 0.5, `1e3` → 1000 (a written point keeps a float); None if not one."""
    value = text.strip()
    if _INT.match(value):
        return int(value)
    if not _FLOAT.match(value):
        return None
    number = float(value)
    return int(number) if "." not in value and number.is_integer() else number


@dataclass(frozen=True)
class RangePhrases:
    """How one kind of file states a documented min and max; call it on the text.

    `both` are tried in order, each capturing (min, max) as two NUMBERs; the first whose
    min <= max wins. Otherwise `at_least` and `at_most` give each bound alone, and a min above
    the max gives no range unless `keep_inverted`."""

    both: tuple[re.Pattern[str], ...]
    at_least: re.Pattern[str]
    at_most: re.Pattern[str]
    keep_inverted: bool = False

    def __call__(self, text: str | None) -> tuple[Number | None, Number | None]:
        return documented_range(text, self)


def documented_range(
    text: str | None, phrases: RangePhrases
) -> tuple[Number | None, Number | None]:
    """A (min, max) stated in help text or a comment: `1-100`, `between 1 and 10`, `max 500`."""
    if not text:
        return None, None
    for pattern in phrases.both:
        match = pattern.search(text)
        if match:
            low, high = _captured(match, 1), _captured(match, 2)
            if low is not None and high is not None and low <= high:
                return low, high
    low_match, high_match = phrases.at_least.search(text), phrases.at_most.search(text)
    low = _captured(low_match, 1) if low_match else None
    high = _captured(high_match, 1) if high_match else None
    if low is not None and high is not None and low > high and not phrases.keep_inverted:
        return None, None
    return low, high


def _captured(match: re.Match[str], group: int) -> Number | None:
    return parse_number(match.group(group))


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def duration_seconds(text: str) -> int | float | None:
    """A Go duration as Docker and Compose write it (`1m30s`, `500ms`, `0`) in seconds, or None."""
    value = text.strip()
    if value in ("0", "0s"):
        return 0
    if not value or not _DURATION_PART.match(value):
        return None
    total = 0.0
    pos = 0
    for match in _DURATION_PART.finditer(value):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(value):
        return None
    rounded = round(total, 6)
    return int(rounded) if rounded.is_integer() else rounded


def scalar_text(value: object) -> str | None:
    """A YAML scalar as the operator wrote it (bools lower-case), None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


HEALTH_SEGMENTS = frozenset(
    {
        "health",
        "healthz",
        "healthy",
        "healthcheck",
        "healthchecks",
        "health-check",
        "health_check",
        "ready",
        "readyz",
        "readiness",
        "live",
        "livez",
        "liveness",
        "alive",
        "ping",
        "heartbeat",
        "lbheartbeat",
    }
)
"""Route path segments that name a health, readiness, liveness or ping endpoint."""


def is_health_path(path: str) -> bool:
    """Whether a route path names a health endpoint (`/healthz`, `/api/v1/ready`, `^ping/?$`)."""
    for segment in path.split("?", 1)[0].lower().split("/"):
        clean = re.sub(r"\.(json|html|txt)$", "", segment.strip("^$?()").strip("_."))
        if clean in HEALTH_SEGMENTS:
            return True
    return False
