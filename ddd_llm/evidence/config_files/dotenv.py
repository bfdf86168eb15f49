"""Example env files (`.env.example`, `.env.sample`, …): one config parameter per variable."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from ddd_llm.evidence.base import (
    NUMBER,
    AnalyzerResult,
    RangePhrases,
    SourceFile,
    infer_value_type,
    looks_secret,
    register,
)
from ddd_llm.models import ConfigParameter, RangeSource

# Only templates: a real `.env` holds live credentials and is the scanner's business.
_TEMPLATE_WORDS = r"(?:example|sample|template|dist|tmpl|tpl|defaults)"
_ACCEPTED_NAME = re.compile(
    rf"^(?:"
    # .env.example, env.sample, prod.env.example, .env.local.example
    rf"(?:.*[._-])?env\.(?:[\w-]+\.)*{_TEMPLATE_WORDS}"
    rf"|(?:.*[._-])?{_TEMPLATE_WORDS}\.env"  # example.env, docker.example.env
    rf")$",
    re.IGNORECASE,
)
_ASSIGNMENT = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_BARE_NAME = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)$")
_COMMENTED_ASSIGNMENT = re.compile(r"^#+\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=")

_NUM = f"({NUMBER})"
_SEP = r"\s*(?:-|–|\.\.\.?|\bto\b)\s*"
_AT_MOST = r"(?:\b(?:max(?:imum)?|at\s+most|up\s+to|no\s+more\s+than)\b|<=?|≤)"
_AT_LEAST = r"(?:\b(?:min(?:imum)?|at\s+least|no\s+less\s+than)\b|>=?|≥)"
_LINK = r"\s*(?:of\s+|is\s+|=\s*|:\s*)?"
documented_range = RangePhrases(
    both=(
        re.compile(rf"(?i)\bbetween\s+{_NUM}\s*\w*\s+and\s+{_NUM}"),
        re.compile(rf"(?i)\bfrom\s+{_NUM}\s*\w*\s+to\s+{_NUM}"),
        # A bare `1-100`, but not a date, a version or part of a host name or path.
        re.compile(rf"(?<![\w.:/-]){_NUM}{_SEP}{_NUM}(?![\w.:/-]*\w)"),
    ),
    at_least=re.compile(rf"(?i){_AT_LEAST}{_LINK}{_NUM}"),
    at_most=re.compile(rf"(?i){_AT_MOST}{_LINK}{_NUM}"),
)
"""`1-100`, `between 5 and 60 seconds`, `max 500`, `at least 2` in a comment → (min, max)."""
# A line that starts a new variable ends a runaway multi-line quoted value.
_NEW_VARIABLE = re.compile(r"^(?:export\s+)?[A-Z_][A-Z0-9_]*\s*=")

# Credentials with a recognisable shape, whatever the variable is called.
_CREDENTIAL_VALUE = re.compile(
    r"^(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}$"  # OpenAI / Stripe style
    r"|^(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}$"
    r"|^(?:AKIA|ASIA)[0-9A-Z]{16}$"  # AWS access key id
    r"|^gh[pousr]_[A-Za-z0-9]{30,}$"  # GitHub tokens
    r"|^github_pat_[A-Za-z0-9_]{30,}$"
    r"|^xox[abposr]-[A-Za-z0-9-]{10,}$"  # Slack
    r"|^glpat-[A-Za-z0-9_-]{16,}$"  # GitLab
    r"|^AIza[0-9A-Za-z_-]{35}$"  # Google API key
    r"|^eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*$"  # JWT
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)
_OPAQUE = re.compile(r"^[A-Za-z0-9+/=_-]{24,}$")
_HEX = re.compile(r"^[0-9a-fA-F]{32,}$")


def looks_like_credential(value: str) -> bool:
    """A value shaped like a real key or token: a known prefix, or a long random string."""
    text = value.strip()
    if _CREDENTIAL_VALUE.search(text) or _HEX.match(text):
        return True
    if not _OPAQUE.match(text) or not re.search(r"\d", text) or not re.search(r"[A-Za-z]", text):
        return False
    counts = Counter(text)
    entropy = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    return entropy >= 4.0


@dataclass
class _Value:
    text: str | None
    comment: str
    end: int
    error: str | None = None


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
                return _Value(text, comment, line + 1, error)
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


class DotenvAnalyzer:
    """Reads committed env templates; each variable becomes a repo-wide config parameter."""

    name = "dotenv"

    def accepts(self, source: SourceFile) -> bool:
        return bool(_ACCEPTED_NAME.match(source.name))

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        lines = source.lines
        facts: dict[str, ConfigParameter] = {}
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
            match = _ASSIGNMENT.match(raw)
            if match is None:
                bare = _BARE_NAME.match(raw)
                if bare is not None and bare.group(1) != "export":
                    # A name with no `=` declares the variable without a value (python-dotenv).
                    value = _Value(None, "", index + 1)
                    name = bare.group(1)
                else:
                    result.warn(source, f"not a KEY=value line: {raw[:60]!r}", index + 1, self.name)
                    comments = []
                    index += 1
                    continue
            else:
                name = match.group(1)
                value = _read_value(lines, index, match.group(2))
                if value.error is not None:
                    result.warn(source, f"{name}: {value.error}", index + 1, self.name)
            start = index + 1
            if name in facts:
                # Templates often repeat a variable per section; the first one documents it.
                facts[name].citations.append(source.cite(start, value.end))
            else:
                facts[name] = self._fact(source, name, value, comments, start)
            comments = []
            index = max(value.end, start)
        result.facts.extend(facts.values())
        return result

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
        return ConfigParameter(
            summary=f"environment variable {name}{shown}{bounds} in {source.name}",
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
