"""Secret redaction before any text reaches the index or a model; line structure is kept."""

from __future__ import annotations

import re

MASK = "[REDACTED]"

_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----", re.DOTALL
)
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@'\"]*:)([^@\s/'\"]+)(@)")
_ASSIGNMENT = re.compile(
    r"""(?ix)
    (?P<key>\b[\w.-]*(?:pass|password|passwd|pwd|secret|token|api[_-]?key|private[_-]?key|
        access[_-]?key|secret[_-]?key|credentials?|auth[_-]?key)\b["']?\s*(?:=|:)\s*)
    (?P<quote>["']?)
    (?P<value>[^\s"'#,;]{4,})
    """
)
_PLACEHOLDER = re.compile(r"^(\$\{?|\{\{|<|%\(|os\.|env\(|getenv|process\.env|\[REDACTED)")
_TOKENS = re.compile(
    r"\b(AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|xox[abpr]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35})\b"
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)([A-Za-z0-9._~+/=-]{16,})")


def _mask_block(match: re.Match[str]) -> str:
    # Keep one line per original line so citations stay exact.
    return "\n".join(MASK for _ in match.group(0).split("\n"))


def _mask_assignment(match: re.Match[str]) -> str:
    value = match.group("value")
    if _PLACEHOLDER.match(value) or value.lower() in ("true", "false", "null", "none"):
        return match.group(0)
    return f"{match.group('key')}{match.group('quote')}{MASK}"


def redact(text: str) -> str:
    """`text` with credentials replaced by [REDACTED]: same number of lines, names kept."""
    text = _PRIVATE_KEY.sub(_mask_block, text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)
    text = _TOKENS.sub(MASK, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{MASK}", text)
    return _ASSIGNMENT.sub(_mask_assignment, text)
