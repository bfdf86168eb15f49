"""Example env files (`.env.example`, `.env.sample`, …): one config parameter per variable."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ddd_llm.evidence.base import (
    AnalyzerResult,
    SourceFile,
    infer_value_type,
    looks_secret,
    register,
)
from ddd_llm.evidence.config_files._common import (
    ENV_NAME,
    RANGE,
    looks_like_credential,
    references,
)
from ddd_llm.models import ConfigParameter, RangeSource

documented_range = RANGE
"""`1-100`, `between 5 and 60 seconds`, `max 500`, `at least 2` in a comment → (min, max)."""
__all__ = [
    "Assignment",
    "DotenvAnalyzer",
    "documented_range",
    "looks_like_credential",
    "read_assignments",
]

# Only templates: a real `.env` holds live credentials and is the scanner's business.
_TEMPLATE_WORDS = r"(?:example|sample|template|dist|tmpl|tpl|defaults)"
_ACCEPTED_NAME = re.compile(
    rf"^(?:"
    # .env.example, env.sample, prod.env.example, .env.local.example
    rf"(?:.*[._-])?env[.-](?:[\w-]+\.)*{_TEMPLATE_WORDS}"
    rf"|(?:.*[._-])?{_TEMPLATE_WORDS}\.env"  # example.env, docker.example.env
    rf")$",
    re.IGNORECASE,
)
_ASSIGNMENT = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_YAML_STYLE = re.compile(r"^(?:export\s+)?([A-Z_][A-Z0-9_]*):(?:\s+(.*))?$")
"""`KEY: value`, which Ruby's dotenv reads as `KEY=value` (and some tools' env files use); an
upper-case name only, so that prose (`Note: …`) stays prose."""
_BARE_NAME = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)$")
_COMMENTED_ASSIGNMENT = re.compile(r"^#+\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=")

# A line that starts a new variable ends a runaway multi-line quoted value.
_NEW_VARIABLE = re.compile(r"^(?:export\s+)?[A-Z_][A-Z0-9_]*\s*=")


@dataclass
class _Value:
    text: str | None
    comment: str
    end: int
    error: str | None = None
    quoted: bool = False


def _read_value(lines: list[str], index: int, rest: str) -> _Value:
    """The value starting at `rest` on line `index` (0-based); quoted values may span lines."""
    rest = rest.strip()
    if rest[:1] in ('"', "'", "`"):
        quote = rest[0]
        body = rest[1:]
        collected: list[str] = []
        line = index
        while True:
            close = _closing_quote(body, quote)
            if close >= 0:
                collected.append(body[:close])
                after = body[close + 1 :].strip()
                comment = after[1:].strip() if after.startswith("#") else ""
                error = None if not after or after.startswith("#") else "text after closing quote"
                text = "\n".join(collected)
                if quote == '"':
                    text = text.replace('\\"', '"').replace("\\n", "\n")
                return _Value(text, comment, line + 1, error, quoted=True)
            collected.append(body)
            line += 1
            if line >= len(lines) or _NEW_VARIABLE.match(lines[line].strip()):
                return _Value(None, "", index + 1, f"unterminated {quote} quote")
            body = lines[line]
    value, comment = rest, ""
    hash_at = re.search(r"\s#", rest)
    if hash_at is not None:
        value, comment = rest[: hash_at.start()], rest[hash_at.end() :].strip()
    elif rest.startswith("#"):
        value, comment = "", rest[1:].strip()
    return _Value(value.strip(), comment, index + 1)


def _closing_quote(body: str, quote: str) -> int:
    escaped = False
    for at, char in enumerate(body):
        if escaped:
            escaped = False
        elif char == "\\" and quote == '"':
            escaped = True
        elif char == quote:
            return at
    return -1


@dataclass(frozen=True)
class Assignment:
    """One `KEY=value` line (or block) of an env file, as written."""

    name: str
    text: str | None
    """The value with its quotes removed; None when the line declares the name only."""
    quoted: bool
    comment: str
    """The comment after the value on its own line."""
    description: list[str]
    """The comment lines right above the assignment."""
    start: int
    end: int


def read_assignments(source: SourceFile, result: AnalyzerResult, analyzer: str) -> list[Assignment]:
    """Every assignment of a KEY=value file in order (a repeated name appears again); lines
    that are none become warnings naming the line."""
    lines = source.lines
    out: list[Assignment] = []
    comments: list[str] = []
    index = 0
    while index < len(lines):
        raw = lines[index].strip()
        if not raw:
            comments = []
            index += 1
            continue
        if raw.startswith("#"):
            if not _COMMENTED_ASSIGNMENT.match(raw):
                comments.append(raw.lstrip("#").strip())
            else:
                comments = []
            index += 1
            continue
        match = _ASSIGNMENT.match(raw) or _YAML_STYLE.match(raw)
        if match is None:
            bare = _BARE_NAME.match(raw)
            if bare is not None and bare.group(1) != "export":
                # A name with no `=` declares the variable without a value (python-dotenv).
                value = _Value(None, "", index + 1)
                name = bare.group(1)
            else:
                result.warn(source, f"not a KEY=value line: {raw[:60]!r}", index + 1, analyzer)
                comments = []
                index += 1
                continue
        else:
            name = match.group(1)
            value = _read_value(lines, index, match.group(2) or "")
            if value.error is not None:
                result.warn(source, f"{name}: {value.error}", index + 1, analyzer)
        start = index + 1
        out.append(
            Assignment(name, value.text, value.quoted, value.comment, comments, start, value.end)
        )
        comments = []
        index = max(value.end, start)
    return out


class DotenvAnalyzer:
    """Reads committed env templates; each variable becomes a repo-wide config parameter."""

    name = "dotenv"

    def accepts(self, source: SourceFile) -> bool:
        return bool(_ACCEPTED_NAME.match(source.name))

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        facts: dict[str, ConfigParameter] = {}
        for item in read_assignments(source, result, self.name):
            if item.name in facts:
                # Templates often repeat a variable per section; the first one documents it.
                facts[item.name].citations.append(source.cite(item.start, item.end))
            else:
                value = _Value(item.text, item.comment, item.end, quoted=item.quoted)
                facts[item.name] = self._fact(
                    source, item.name, value, item.description, item.start
                )
        result.facts.extend(facts.values())
        result.facts.extend(self._references(source, facts))
        return result

    def _references(
        self, source: SourceFile, facts: dict[str, ConfigParameter]
    ) -> list[ConfigParameter]:
        """`${VAR}` / `${VAR:-default}` in a value reads VAR: a parameter of its own when the
        template does not define it (its fallback is the documented default)."""
        out: dict[str, ConfigParameter] = {}
        for fact in list(facts.values()):
            for ref in references(fact.default):
                if ref.name in facts or ref.name in out or not ENV_NAME.match(ref.name):
                    continue
                secret = fact.secret or looks_secret(ref.name, ref.default)
                out[ref.name] = ConfigParameter(
                    summary=f"environment variable {ref.name} (read by {fact.name}) in "
                    f"{source.name}",
                    citations=list(fact.citations[:1]),
                    name=ref.name,
                    value_type=infer_value_type(ref.default) if ref.default else "string",
                    default=ref.default or None,
                    required=ref.default is None,
                    secret=secret,
                )
        return list(out.values())

    def _fact(
        self, source: SourceFile, name: str, value: _Value, comments: list[str], start: int
    ) -> ConfigParameter:
        default = value.text or None
        secret = looks_secret(name, default) or bool(default and looks_like_credential(default))
        low, high = documented_range(value.comment) if value.comment else (None, None)
        if low is None and high is None:
            low, high = documented_range(" ".join(comments))
        range_source: RangeSource | None = "documented" if (low, high) != (None, None) else None
        value_type = infer_value_type(default)
        if default is None and range_source is not None:
            is_float = any(isinstance(n, float) for n in (low, high))
            value_type = "float" if is_float else "int"
        shown = "" if secret or default is None else f" (example value {default})"
        bounds = ""
        if range_source is not None:
            bounds = f", range {'' if low is None else low}..{'' if high is None else high}"
        # An empty value in a template means "you must set this": there is no default.
        required = value.text is None or (value.text == "" and not value.quoted)
        return ConfigParameter(
            summary=f"environment variable {name}{shown}{bounds} in {source.name}"
            + (" (required, no default)" if required else ""),
            required=required,
            citations=[source.cite(start, value.end)],
            name=name,
            value_type=value_type,
            default=default,
            min=low,
            max=high,
            secret=secret,
            range_source=range_source,
        )


register(DotenvAnalyzer())
