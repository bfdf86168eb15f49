"""Secret redaction before any text reaches the index, a model or an artifact; lines are kept.

Four layers find the spans to mask, each cheap enough to run on every file:

- detect-secrets' regex plugins (cloud keys, vendor tokens, JWTs, basic-auth URLs), with the
  slow assignment-style ones run only on lines holding a long token with a digit in it;
- its entropy measures (base64 above 4.5 bits, hex above 3.0) on quoted strings and on
  unquoted assignment values of 20 characters or more, minus hashes, UUIDs and lock files;
- the rule table `secret_rules.yaml` (data, gitleaks-style): password options on command
  lines (`mysql -p…`, `sshpass -p`, `docker login -p`, `--password=…`), secret directives
  of `name value` config files (`requirepass`), netrc, XML key/value pairs, ADO.NET
  connection strings;
- our own patterns for what it lacks: private-key blocks (the body between the markers),
  passwords in URLs, bearer and basic `Authorization` values, `curl -u user:pass`,
  values given to secret-looking names (`*_PASSWORD=`, `"api_key": "…"`,
  `getenv("DB_PASSWORD", "…")`, `ENV TOKEN …`, `<password>…</password>`) and the values
  of a Kubernetes `kind: Secret`'s `data`/`stringData`.

A masked span becomes `[REDACTED]` on each line it touched (indentation kept), so the
redacted text has exactly the lines of the original and citations stay exact.
"""

from __future__ import annotations

import bisect
import fnmatch
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from ddd_llm.evidence.base import looks_secret_name
from ddd_llm.models import ConfigParameter, FactBase
from ddd_llm.scan.text import line_starts

MASK = "[REDACTED]"

Span = tuple[int, int, str]
"""(start, end, kind): characters [start, end) of the text hold a secret found by `kind`."""


@dataclass(frozen=True)
class Finding:
    """One masked span: the 1-based lines it covers and the detector that found it."""

    line: int
    kind: str
    end_line: int = 0
    """Last line of a multi-line span (a private key's body); 0 means `line`."""


@dataclass(frozen=True)
class Redacted:
    text: str
    findings: tuple[Finding, ...] = ()


_EOL_KEEP = re.compile(r"(\r\n|\r|\n)")

CODE_SUFFIXES = frozenset(
    ".py .pyi .js .jsx .mjs .cjs .ts .tsx .go .java .kt .kts .scala .rb .rs .php .cs .swift "
    ".c .h .cc .cpp .hpp .m .groovy .dart .lua .ex .exs .erl .clj .fs .vb".split()
)
"""Files whose unquoted right-hand sides are expressions, not values."""

LOCK_FILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "pipfile.lock",
        "uv.lock",
        "cargo.lock",
        "gemfile.lock",
        "composer.lock",
        "go.sum",
        "podfile.lock",
        "packages.lock.json",
    }
)
"""Files made of checksums: high entropy everywhere, secrets nowhere."""

# --- our own patterns ----------------------------------------------------------------

_PEM = re.compile(
    r"-----BEGIN (?P<what>[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----"
    r"(?P<body>.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)
# Each pattern opens with a literal or a small character set, so `re` can skip ahead fast;
# a leading `\b` or `(?i)` would make it try every position (≈1 MB/s instead of ≈100).
_URL_PASSWORD = re.compile(r"://[^/\s:@'\"<>]{0,200}:(?P<v>[^@\s/'\"<>]{1,200})@")
_TOKENS = tuple(
    re.compile(p)
    for p in (
        r"AKIA[0-9A-Z]{16}",
        r"ASIA[0-9A-Z]{16}",
        r"gh[pousr]_[A-Za-z0-9]{36,}",
        r"github_pat_[A-Za-z0-9_]{40,}",
        r"glpat-[A-Za-z0-9_-]{20,}",
        r"xox[abposr]-[A-Za-z0-9-]{10,}",
        r"sk-[A-Za-z0-9_-]{20,}",
        r"rk_(?:live|test)_[A-Za-z0-9]{16,}",
        r"sk_(?:live|test)_[A-Za-z0-9]{16,}",
        r"AIza[0-9A-Za-z_-]{35}",
        r"SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}",
        r"npm_[A-Za-z0-9]{36}",
        r"pypi-[A-Za-z0-9_-]{50,}",
    )
)
_AUTH_HEADER = re.compile(
    r"[Aa][Uu][Tt][Hh][Oo][Rr][Ii][Zz][Aa][Tt][Ii][Oo][Nn][\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?:(?i:bearer|basic|token|digest|apikey|sso-key)[ \t]+)?(?P<v>[A-Za-z0-9._~+/=:-]{8,})"
)
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr][ \t]+(?P<v>[A-Za-z0-9._~+/=-]{12,})")
_CURL_USER = re.compile(
    r"(?<![\w-])-(?:u|-user)(?:[ \t]+|=)[\"']?[^\s:\"']{1,100}:(?P<v>[^\s\"']+)"
)
_XML_SECRET = re.compile(r"<(?P<name>[A-Za-z_][\w.-]{0,100})>(?P<v>[^<\n\r]{3,})</(?P=name)>")
_DOCKER_ENV = re.compile(
    r"(?im)^[ \t]*(?:ENV|ARG)[ \t]+(?P<name>[A-Za-z_][\w.-]*)[ \t]+(?P<v>[^\s=][^\r\n]*)$"
)

_SECRET_WORD = re.compile(r"(?i)[pstkcad](?:ass|wd|ecret|oken|ey|redential|uth|sn|alt|rivate)")
"""The words a secret's name holds; each hit is widened to the whole name around it."""
_NAME_TAIL = re.compile(r"[\w.-]*")
_AFTER_NAME = re.compile(r"(?P<q>[\"'`]?)\]?[ \t]*(?P<op>:=|=>|=|:|,)(?!=)[ \t]*")
"""What follows a name being given a value: `DB_PASSWORD=`, `"apiKey": `, `"TOKEN", `."""
_NAME_VALUE_PAIR = re.compile(
    r"name[\"']?[ \t]*:[ \t]*[\"']?(?P<name>[\w.-]{1,100})[\"']?[ \t]*(?:,|\r?\n|\r)"
    r"[ \t]*(?:-[ \t]+)?[\"']?value[\"']?[ \t]*:[ \t]*"
)
"""An env entry given as a pair: `- name: DB_PASSWORD` / `value: …` (Kubernetes, ECS JSON)."""
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_QUOTED = re.compile(r"(?P<q>[\"'`])(?P<v>(?:(?!(?P=q)).){0,500})(?P=q)")
_KEY_AFTER = re.compile(r"[ \t]*:(?!:)")
_UNQUOTED = re.compile(r"[^\s\"'`,;&]+")

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_ABOUT_A_SECRET = re.compile(
    r"(?i)(^|[_.-])(name|names|ref|refs|id|ids|type|kind|length|len|count|prefix|suffix|header|"
    r"field|env|var|mode|policy|version|algorithm|alg|format|size|ttl|file|path|dir|url|uri|"
    r"enabled?|required|rotation|expiry|expires?|timeout|provider|store|manager|backend|"
    r"selector|mount|volume|class|label|description|help|hint|pattern|regex|min|max|status|hash|"
    r"hashed|column|tag|tags|page|pages)$"
)
"""Names that talk about a secret (`PASSWORD_FILE`, `secretName`, `tokenTTL`), not hold one."""

_BARE = frozenset({"key", "keys", "auth", "private", "salt", "dsn"})
"""Single words too common as plain config keys (`key: app` in a k8s selector)."""

_PLACEHOLDER = re.compile(
    r"(?i)^(?:\$|\{\{|\{%|\{|<|%\(|%[sd]$|\*|&|!|\[REDACTED\]|\.\.\.|…|xxx+$|[|>][+-]?\d?$|"
    r"(?:true|false|null|none|nil|yes|no|on|off|undefined|required|optional|string)$)"
)

_KEYWORD_SUFFIXES = re.compile(
    r"(?i)(digest|checksum|hash|sha\d*|sha\d*sum|sum|integrity|commit|rev|etag|fingerprint)$"
)
_HASH_PREFIX = re.compile(r"(?i)(sha\d+[:-]|md5[:-]|@)$")
_UUID = re.compile(r"(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_B64_QUOTED = re.compile(r"(?P<q>[\"'])(?P<v>[A-Za-z0-9+/=_-]{20,})(?P=q)")
_B64_ASSIGNED = re.compile(r"(?m)[:=][ \t]*(?P<v>[A-Za-z0-9+/=_-]{20,})(?=$|[\s,;&)\]}])")
_CANDIDATE_LINE_TOKEN = re.compile(r"[A-Za-z0-9_+/=-]{10,}")
_DIGIT = re.compile(r"\d")

VALUE_WINDOW = 600
"""How far past a secret name its value is looked for (minified files have 1 MB lines)."""

_FULL_TEXT_PLUGINS = frozenset({"BasicAuthDetector"})
"""Run on the whole text: a URL's password need not hold a digit. The other detect-secrets
plugins run only around tokens of 10+ characters with a digit, where their keys can be:
together their ~30 regexes scan at well under 1 MB/s."""
_SKIPPED_PLUGINS = frozenset({"IPPublicDetector", "PrivateKeyDetector", "KeywordDetector"})
"""A public IP is not a credential; private keys and keyword assignments are masked above."""


@dataclass(frozen=True)
class _Plugin:
    name: str
    kind: str
    detector: Any
    slow: bool


@cache
def _plugins() -> tuple[_Plugin, ...]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    mapping: dict[str, Any] = get_mapping_from_secret_type_to_class()
    out: list[_Plugin] = []
    for secret_type in sorted(mapping):
        cls: Any = mapping[secret_type]
        if not issubclass(cls, RegexBasedDetector) or cls.__name__ in _SKIPPED_PLUGINS:
            continue
        slow = cls.__name__ not in _FULL_TEXT_PLUGINS
        out.append(_Plugin(cls.__name__, secret_type, cls(), slow))
    return tuple(out)


@cache
def _entropy_plugins() -> tuple[Any, Any]:
    from detect_secrets.plugins.high_entropy_strings import (
        Base64HighEntropyString,
        HexHighEntropyString,
    )

    return Base64HighEntropyString(limit=4.5), HexHighEntropyString(limit=3.0)


RULES_FILE = Path(__file__).with_name("secret_rules.yaml")


@dataclass(frozen=True)
class _Rule:
    id: str
    keywords: tuple[str, ...]
    files: tuple[str, ...]
    regex: re.Pattern[str]


@cache
def _rules() -> tuple[_Rule, ...]:
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return tuple(
        _Rule(
            str(r["id"]),
            tuple(str(k).lower() for k in r.get("keywords", ())),
            tuple(str(f) for f in r.get("files", ())),
            re.compile(r["regex"]),
        )
        for r in raw
    )


# --- helpers -------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def secret_name(name: str) -> bool:
    """A name whose value is a credential: `DB_PASSWORD`, `apiKey`, `tls.key`, `--token`."""
    bare = name.strip("-\"'`[]")
    if not bare or bare.lower() in _BARE:
        return False
    split = _CAMEL.sub("_", bare)
    if _ABOUT_A_SECRET.search(split):
        return False
    return looks_secret_name(split)


_TEMPLATED = re.compile(r"\{\{|\$\{|\$\(|%\(|\{%")

PLACEHOLDER_WORDS = frozenset(
    "password passwd pass passphrase pwd secret secrets token key apikey api_key changeme "
    "change_me change-me changeit change-it example sample dummy fake test testing foo bar baz "
    "foobar placeholder redacted hidden masked none null nil empty todo tbd fixme".split()
)
"""Values that stand for a secret in examples and tests (`password="password"`)."""
_PLACEHOLDER_SHAPE = re.compile(
    r"(?i)^(?:(?:your|my|some|example|sample|dummy|fake|test|insert|enter|put|replace)"
    r"(?:[-_ .](?:own[-_ .]?)?[a-z_ -]*|(?:own)?(?:password|passwd|passphrase|pass|pwd|pw"
    r"|secret|token|apikey|key|value|app|user|name|db)[a-z_ -]*)?"
    r"|x+|\*+|\.+|•+|-+|_+|0+|<.*>|\[.*\]|\$[A-Z_][A-Z0-9_]*)$"
)
"""`your-password`, `my_secret`, `mypassword`, `xxxxxx`, `****`, `<pw>`, `[token]`,
`$DB_PASSWORD`. Run together, the lead word must be followed by what it stands for: a
passphrase whose first word only begins with "my" or "test" (myllwru, testudo) is a value."""


def _placeholder(value: str) -> bool:
    """Empty, a boolean, or a value filled in elsewhere (`${DB_PASSWORD}`, `{{ vault_pw }}`).

    A value built around a reference (`postgresql://app:{{ vault_pw }}@db/app`) names where
    the secret lives rather than holding it; a literal password inside it is still masked by
    the URL rule.
    """
    stripped = value.strip().strip("\"'`")
    if not stripped or stripped.lower() in PLACEHOLDER_WORDS:
        return True
    return bool(
        _PLACEHOLDER.match(stripped)
        or _TEMPLATED.search(stripped)
        or _PLACEHOLDER_SHAPE.match(stripped)
    )


def _is_code(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in CODE_SUFFIXES


LINE_VALUE_SUFFIXES = frozenset(
    ".yml .yaml .properties .ini .cfg .conf .cnf .toml .env .service .timer .socket".split()
)
"""Config formats whose unquoted value runs to the end of the line (`password: two words`)."""
DOC_SUFFIXES = frozenset(".md .markdown .rst .txt .adoc .html .htm".split())
_HEX_HASH = re.compile(r"(?i)^(?:sha\d*[:-])?[0-9a-f]{32,128}$")


def _line_values(path: str) -> bool:
    p = PurePosixPath(path)
    return p.suffix.lower() in LINE_VALUE_SUFFIXES or p.name.lower().startswith(".env")


def _is_doc(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in DOC_SUFFIXES


_EXPRESSION_AFTER = re.compile(r"[ \t]*(?:[*+%]|\.[A-Za-z_]\w*\(|\]?\[)")
"""After a quoted literal: `"X" * 32`, `"a" + b`, `"{}".format(x)` — an expression."""
_NAME_LIKE = re.compile(
    r"^[a-z][a-z0-9]*(?:[_-][a-z][a-z0-9]*)+$|^[a-z]{2,}(?:[A-Z][a-z]{2,}\d*)+$"
)


def _line_end(text: str, pos: int, limit: int | None = None) -> int:
    """End of the line holding `pos`, looking no further than `limit` characters ahead."""
    stop = len(text) if limit is None else min(len(text), pos + limit)
    newline = text.find("\n", pos, stop)
    if newline < 0:
        newline = stop
    # Search for a lone \r only up to the \n: a whole-text search per call is quadratic.
    cr = text.find("\r", pos, newline)
    return cr if cr >= 0 else newline


def _line_start(text: str, pos: int, limit: int) -> int:
    """Start of the line holding `pos`, looking no further than `limit` characters back."""
    floor = max(0, pos - limit)
    newline = text.rfind("\n", floor, pos) + 1 or floor
    return max(newline, text.rfind("\r", newline, pos) + 1)


def _quoted_values(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Quoted literals without whitespace in text[start:end] that are values, not names."""
    for m in _QUOTED.finditer(text, start, end):
        value = m.group("v")
        if not value or any(c.isspace() for c in value) or _placeholder(value):
            continue
        if _EXPRESSION_AFTER.match(text, m.end()) or _not_a_value(value, text, m.end(), False):
            continue  # `"X" * 32`: test data built by an expression; names, short literals
        if re.search(r"[+*%][ \t]*$", text[max(0, m.start() - 4) : m.start()]):
            continue  # `make_token() + ":bad:signature"`: part of an expression
        if _path_like(value):
            continue  # `get_secret("db/password")`: where the secret is kept
        if secret_name(value) or value.isidentifier() and value.isupper():
            continue  # another name (`request.form["password"]`, `getenv("TOKEN")`)
        if _KEY_AFTER.match(text, m.end()):
            continue  # a key (`"name": "DB_PASSWORD", "value": …`), its value comes next
        yield m.start("v"), m.end("v")


_PROSE_AFTER = re.compile(r"[ \t]+[A-Za-z]")


MIN_SECRET_LENGTH = 6
"""Shorter literals (`abc`, `s1`, `root`, `123`) are test data or defaults, not credentials
worth hiding; a real one that short is already broken."""
_PLACEHOLDER_INSIDE = re.compile(
    r"(?i)(goes_?here|change_?me|replace_?me|your_?(own_?)?(password|secret|token|key|pass)|"
    r"example_?(password|secret|token|key)|dummy|not_?a_?(real_)?secret)"
)
_UPPER_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:[_-][A-Z0-9]+)+$")
"""`SOURCE_PROJECT_READONLY_KEY`, `AZURE-SQL-CATALOG-CONNECTION-STRING`: another name."""
_FEW_WORDS = re.compile(r"^_*(?:[A-Z][a-z]{2,}|[a-z]{2,})(?:[A-Z][a-z]{2,}){1,3}$")
"""An identifier of at most four words (`ActivePage`, `__RequestVerificationToken`)."""
_CALL = re.compile(r"[\w.]+\(|\[\w*$|^\w+\[|^new(?:-object)?$")


def _not_a_value(value: str, text: str, after: int, doc: bool) -> bool:
    """A literal that is not a secret: a placeholder, another name (`api_key_readonly`,
    `SOURCE_PROJECT_KEY`, `ActivePage`), a call or index (`parts[0]`, `nvarchar(max)`), the
    start of an expression (`"X" * 32`), something too short to be a credential, or an example
    UUID/hash in documentation."""
    bare = value.strip().strip("\"'`")
    if len(bare) < MIN_SECRET_LENGTH or _placeholder(bare) or _EXPRESSION_AFTER.match(text, after):
        return True
    if _PLACEHOLDER_INSIDE.search(bare) or _UPPER_NAME.match(bare) or _CALL.search(bare):
        return True
    if _NAME_LIKE.match(bare) and _SECRET_WORD.search(bare):
        return True
    if _FEW_WORDS.match(bare) and not any(c.isdigit() for c in bare) and bare != bare.lower():
        return True
    # Documentation shows examples: a UUID, a hash, or a plain word (`petclinic`).
    return doc and bool(_UUID.match(bare) or _HEX_HASH.match(bare) or bare.isalpha())


def _rest_of_line(text: str, pos: int, end: int) -> int:
    """Where an unquoted config value starting at `pos` ends: the line's end, a ` #` comment,
    or, inside a flow collection (`{user: a, password: b}`), the next `,`/`}`/`]`."""
    line_start = _line_start(text, pos, VALUE_WINDOW)
    flow = any(c in "{[" for c in text[line_start:pos])
    stop = end
    comment = text.find(" #", pos, end)
    if comment >= 0:
        stop = comment
    if flow:
        for ch in ",}]":
            at = text.find(ch, pos, stop)
            if at >= 0:
                stop = at
    while stop > pos and text[stop - 1] in " \t":
        stop -= 1
    return stop


def _value_after(
    text: str, pos: int, code: bool, colon: bool, path: str = ""
) -> tuple[list[tuple[int, int]], int]:
    """The value starting at `pos` (after `NAME =`), or the literals in the rest of its line;
    and how far the text was read."""
    end = _line_end(text, pos, VALUE_WINDOW)
    if pos >= end:
        return [], pos
    doc = _is_doc(path)
    first = text[pos]
    if first in "\"'`":
        close = text.find(first, pos + 1, end)
        stop = close if close >= 0 else end
        value = text[pos + 1 : stop]
        return ([] if _not_a_value(value, text, stop + 1, doc) else [(pos + 1, stop)]), stop
    token = _UNQUOTED.match(text, pos, end)
    if token is None:
        return [], pos
    value = token.group().rstrip(")]}")
    in_comment = text[_line_start(text, pos, VALUE_WINDOW) : pos].lstrip().startswith(("#", ";"))
    if not code and not in_comment and _line_values(path) and first not in "([{|>&*!":
        # `password: two words and more` in YAML, `db.password=two words` in .properties.
        stop = _rest_of_line(text, pos, end)
        whole = text[pos:stop]
        if _not_a_value(whole, text, stop, doc) or _placeholder(value):
            return [], stop
        return [(pos, stop)], stop
    if colon and _PROSE_AFTER.match(text, pos + len(value), end):
        # "the password: fraud embeds it in REDIS_URL" is a sentence, not a setting.
        return [], pos + len(value)
    if doc and _not_a_value(value, text, pos + len(value), doc):
        return [], pos + len(value)
    if not code and value and first not in "([{":
        if _not_a_value(value, text, pos + len(value), doc):
            return [], pos + len(value)
        return [(pos, pos + len(value))], pos + len(value)
    # An expression: `os.environ.get("SECRET_KEY", "dev-key")`, `str = Field("…")`.
    return list(_quoted_values(text, pos, end)), end


# --- detectors -----------------------------------------------------------------------


def _rule_table(text: str, path: str) -> Iterator[Span]:
    """The rules of secret_rules.yaml whose keyword occurs in the text (and file name fits)."""
    lowered: str | None = None
    name = PurePosixPath(path).name
    for rule in _rules():
        if rule.files and not any(fnmatch.fnmatch(name, f) for f in rule.files):
            continue
        if rule.keywords:
            lowered = text.lower() if lowered is None else lowered
            if not any(k in lowered for k in rule.keywords):
                continue
        for m in rule.regex.finditer(text):
            start, end = m.span("v")
            value = m.group("v").strip("'\"")
            if "name" in m.re.groupindex and not _secret_directive(m.group("name")):
                continue
            if _not_a_value(value, text, end, _is_doc(path)) or _path_like(value):
                continue
            if value.isidentifier() and value.isupper():
                continue  # `--password PASSWORD` in usage text names the argument
            if m.group("v")[:1] in "'\"":
                start, end = start + 1, end - 1
            yield start, end, f"secret ({rule.id})"


_DIRECTIVES = frozenset({"requirepass", "masterauth"})


def _secret_directive(name: str) -> bool:
    return name.lower() in _DIRECTIVES or secret_name(name)


def _path_like(value: str) -> bool:
    """`/etc/ssl/private/server.key`, `./certs/tls.key`: where a secret lives, not the secret."""
    return bool(re.match(r"^(?:~|\.{1,2})?/[\w./-]+$|^[\w.-]+/[\w./-]+$", value))


def _private_keys(text: str) -> Iterator[Span]:
    if "PRIVATE KEY" not in text:
        return
    for m in _PEM.finditer(text):
        start, end = m.span("body")
        if text[start:end].strip():
            yield start, end, "private key"


def _bounded(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a whole token (no letter or digit glued to either side)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


def _patterns(text: str) -> Iterator[Span]:
    for regex, kind, needles in (
        (_URL_PASSWORD, "password in URL", ("://",)),
        (_AUTH_HEADER, "authorization header", ("uthoriz", "UTHORIZ")),
        (_BEARER, "bearer token", ("earer", "EARER")),
        (_CURL_USER, "password in command line", ("-u",)),
    ):
        if not any(n in text for n in needles):
            continue
        for m in regex.finditer(text):
            if not _placeholder(m.group("v")):
                yield m.start("v"), m.end("v"), kind
    for regex in _TOKENS:
        for m in regex.finditer(text):
            if _bounded(text, m.start(), m.end()):
                yield m.start(), m.end(), "access token"


def _names(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, quote) of each name holding a secret word, once per name."""
    last = -1
    for m in _SECRET_WORD.finditer(text):
        start = m.start()
        floor = max(0, start - 100)
        while start > floor and text[start - 1] in _NAME_CHARS:
            start -= 1
        if start == last:
            continue  # `secret_key` holds two words: one name
        last = start
        end = _NAME_TAIL.match(text, m.end()).end()  # type: ignore[union-attr]
        quote = text[start - 1] if start and text[start - 1] in "\"'`" else ""
        yield start, end, quote


_BLOCK = re.compile(r"[|>][+-]?\d?[ \t]*(?:#[^\r\n]*)?(?:\r\n|\r|\n)")


def _block_lines(text: str, name_start: int, pos: int) -> Iterator[tuple[int, int]]:
    """The lines of a YAML block scalar whose key starts at `name_start` (body after `pos`)."""
    line_start = _line_start(text, name_start, VALUE_WINDOW)
    key_indent = name_start - line_start
    pos = _line_end(text, pos) if pos < len(text) and text[pos] not in "\r\n" else pos
    while pos < len(text):
        pos += 2 if text.startswith("\r\n", pos) else 1
        end = _line_end(text, pos)
        line = text[pos:end]
        if line.strip():
            indent = len(line) - len(line.lstrip(" \t"))
            if indent <= key_indent:
                return
            yield pos + indent, end
        pos = end


def _named(text: str, path: str) -> Iterator[Span]:
    code = _is_code(path)
    read_to = 0
    """Text before this offset was already read as some name's value: each part once."""
    for start, end, quote in _names(text):
        if start < read_to:
            continue
        after = _AFTER_NAME.match(text, end)
        if after is None or after.group("q") != quote or not secret_name(text[start:end]):
            continue
        values: list[tuple[int, int]] = []
        if after.group("op") == ":" and _BLOCK.match(text, after.end()) and not code:
            # `private_key: |` — the secret is the more-indented lines that follow.
            values = list(_block_lines(text, start, after.end()))
            read_to = values[-1][1] if values else after.end()
        elif after.group("op") != ",":
            colon = after.group("op") == ":"
            values, read_to = _value_after(text, after.end(), code, colon, path)
        elif quote and quote != "`":
            # A name as a call argument: `getenv("DB_PASSWORD", "…")`, `flag.String("token", …)`.
            read_to = _line_end(text, after.end(), VALUE_WINDOW)
            values = list(_quoted_values(text, after.end(), read_to))
        for s, e in values:
            yield s, e, "secret assignment"
    if "value" in text:
        for m in _NAME_VALUE_PAIR.finditer(text):
            if secret_name(m.group("name")):
                for s, e in _value_after(text, m.end(), False, False, path)[0]:
                    yield s, e, "secret assignment"
    if "</" in text:
        for m in _XML_SECRET.finditer(text):
            if secret_name(m.group("name")) and not _placeholder(m.group("v")):
                yield m.start("v"), m.end("v"), "secret assignment"
    if not code and ("ENV" in text or "ARG" in text):
        for m in _DOCKER_ENV.finditer(text):
            value = m.group("v").strip()
            if secret_name(m.group("name")) and not _placeholder(value):
                yield m.start("v"), m.start("v") + len(value), "secret assignment"


_K8S_SECRET = re.compile(r"(?m)^kind:[ \t]*[\"']?Secret[\"']?[ \t]*$")
_DOC_START = re.compile(r"(?m)^---")
_DATA_KEY = re.compile(r"^(?P<indent>[ \t]*)(?:data|stringData):[ \t]*(?:#.*)?$")
_ENTRY = re.compile(r"^(?P<indent>[ \t]*)(?:-[ \t]+)?[\"']?[^:\"'\s][^:]*?[\"']?:(?:[ \t]+|$)")


def _kubernetes_secrets(text: str, path: str) -> Iterator[Span]:
    """Every value under `data:`/`stringData:` of a `kind: Secret` document."""
    if PurePosixPath(path).suffix.lower() not in (".yaml", ".yml", "") or not _K8S_SECRET.search(
        text
    ):
        return
    bounds = [0, *(m.start() for m in _DOC_START.finditer(text)), len(text)]
    for doc_start, doc_end in zip(bounds, bounds[1:], strict=False):
        if not _K8S_SECRET.search(text, doc_start, doc_end):
            continue
        data_indent: int | None = None
        pos = doc_start
        while pos < doc_end:
            end = _line_end(text, pos)
            line = text[pos:end]
            indent = len(line) - len(line.lstrip(" \t"))
            if data_indent is not None and line.strip() and indent <= data_indent:
                data_indent = None
            if data_indent is None:
                header = _DATA_KEY.match(line)
                if header:
                    data_indent = len(header.group("indent"))
            elif line.strip() and not line.lstrip().startswith("#"):
                entry = _ENTRY.match(line)
                value_at = pos + entry.end() if entry else pos + indent
                body = text[value_at:end].strip()
                if body and body not in ("|", ">", "|-", ">-", "|+", ">+"):
                    yield value_at, value_at + len(text[value_at:end].rstrip()), "kubernetes secret"
            nxt = text[end : end + 2]
            pos = end + (2 if nxt == "\r\n" else 1)


def _library(text: str) -> Iterator[Span]:
    plugins = _plugins()
    candidate_lines: list[tuple[int, int]] | None = None
    for plugin in plugins:
        ranges: Sequence[tuple[int, int]]
        if plugin.slow:
            if candidate_lines is None:
                candidate_lines = _candidate_lines(text)
            ranges = candidate_lines
        else:
            ranges = ((0, len(text)),)
        for start, end in ranges:
            for regex in plugin.detector.denylist:
                for m in regex.finditer(text, start, end):
                    accepted = set(plugin.detector.analyze_string(m.group(0)))
                    yield from _match_spans(m, accepted, plugin.kind)


def _match_spans(m: re.Match[str], accepted: set[str], kind: str) -> Iterator[Span]:
    groups = [i for i in range(1, (m.re.groups or 0) + 1) if m.group(i)]
    spans = [m.span(i) for i in groups] if groups else [m.span()]
    for s, e in spans:
        value = m.string[s:e]
        if value not in accepted and value.strip(" \t\"'=:") not in accepted:
            continue
        # Some denylists match the quote or `=` around the token too.
        while s < e and m.string[s] in " \t\"'=:":
            s += 1
        while e > s and m.string[e - 1] in " \t\"'\r\n":
            e -= 1
        if e - s >= 6 and not _placeholder(m.string[s:e]):
            yield s, e, kind


def _candidate_lines(text: str) -> list[tuple[int, int]]:
    """Around each token of 10+ characters with a digit (where vendor keys can be), in its line.

    The window reaches 160 characters back for the `cloudant_password = "…"` prefix of the
    assignment-style patterns; a minified file's one long line is not scanned whole.
    """
    lines: list[tuple[int, int]] = []
    for m in _CANDIDATE_LINE_TOKEN.finditer(text):
        if not _DIGIT.search(text, m.start(), m.end()):
            continue
        start = _line_start(text, m.start(), 160)
        end = _line_end(text, m.end(), 40)
        if lines and start <= lines[-1][1]:
            lines[-1] = (lines[-1][0], max(end, lines[-1][1]))
        else:
            lines.append((start, end))
    return lines


def _last_name(before: str) -> str | None:
    """The last identifier before a quoted value (`ALICE_HASH = "…"` → ALICE_HASH)."""
    names = re.findall(r"[A-Za-z_][\w.-]*", before)
    return names[-1] if names else None


def _hashy(text: str, start: int, name: str | None) -> bool:
    before = text[max(0, start - 8) : start]
    if _HASH_PREFIX.search(before):
        return True
    return bool(name and _KEYWORD_SUFFIXES.search(_CAMEL.sub("_", name)))


def _high_entropy(value: str) -> bool:
    from detect_secrets.filters.heuristic import is_sequential_string

    base64, hexa = _entropy_plugins()
    if _UUID.match(value) or is_sequential_string(value):
        return False
    if not any(c.isalpha() for c in value) or value.isalpha() and value.islower():
        return False
    if all(c in "0123456789abcdefABCDEF" for c in value):
        return bool(hexa.calculate_shannon_entropy(value) > hexa.entropy_limit)
    return bool(base64.calculate_shannon_entropy(value) > base64.entropy_limit)


_UUID_INSIDE = re.compile(r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HASH_VALUE = re.compile(r"(?i)^(sha\d+|md5|sha)[-:]")


def _example_token(value: str, path: str) -> bool:
    """Not a credential: a hash (`sha384-…` integrity, a hex digest in docs or tests), or a
    URL/path carrying an id (`SITE_ROOT/api/v3/checks/<uuid>`)."""
    if _HASH_VALUE.match(value) or ("/" in value and _UUID_INSIDE.search(value)):
        return True
    loose = _is_doc(path) or in_tests(path)
    return loose and bool(_HEX_HASH.match(value) or _UUID.match(value))


TEST_PATH = re.compile(
    r"(?i)(^|/)(tests?|__tests__|specs?|testdata|test_data|fixtures?|e2e|testing)/"
    r"|(^|/)(test_[^/]*|[^/]*_test\.[a-z]+|[^/]*\.(spec|test)\.[a-z]+|[^/]*tests?\.(cs|java|kt))$"
)
"""Test code and fixtures: scanned with the same rules; their example ids and hashes are not
secrets, and scan-secrets reports their findings apart."""


def in_tests(path: str) -> bool:
    return bool(TEST_PATH.search(path))


def _entropy(text: str, path: str) -> Iterator[Span]:
    if PurePosixPath(path).name.lower() in LOCK_FILES:
        return
    for m in _B64_QUOTED.finditer(text):
        s = m.start("v")
        if _example_token(m.group("v"), path):
            continue
        name_start = s - 1
        while name_start > max(0, s - 120) and text[name_start - 1] not in "\n":
            name_start -= 1
        if not _hashy(text, s, _last_name(text[name_start:s])) and _high_entropy(m.group("v")):
            yield s, m.end("v"), "high-entropy string"
    if _is_code(path):
        return  # an unquoted right-hand side in code is an identifier or expression
    for m in _B64_ASSIGNED.finditer(text):
        s = m.start("v")
        op = m.start()
        if op and text[op - 1] in "=:!<>":
            continue  # `==`, `:=` … compare, and `a=b=c` was seen at the first `=`
        name_start = op
        while name_start > max(0, op - 100) and text[name_start - 1] in _NAME_CHARS:
            name_start -= 1
        if _example_token(m.group("v"), path):
            continue
        if not _hashy(text, s, text[name_start:op]) and _high_entropy(m.group("v")):
            yield s, m.end("v"), "high-entropy string"


# --- masking -------------------------------------------------------------------------


STYLE_SUFFIXES = frozenset({".css", ".scss", ".sass", ".less", ".svg", ".map"})


def minified(text: str) -> bool:
    """A bundle or minified file: its lines are far longer than anyone writes."""
    if len(text) < 2000:
        return False
    lines = text.count("\n") + 1
    return len(text) / lines > 300 or max(map(len, text.splitlines())) > 5000


def find_secrets(text: str, path: str = "") -> list[Span]:
    """Spans of `text` to mask, sorted and merged; `path` tells code from config. Minified
    bundles and stylesheets get only the vendor-token and private-key detectors: their
    `name: value` shapes are selectors and variables, never settings."""
    spans: list[Span] = []
    sweeping = (
        ()
        if PurePosixPath(path).suffix.lower() in STYLE_SUFFIXES or ".min." in path or minified(text)
        else (
            _rule_table(text, path),
            _library(text),
            _named(text, path),
            _kubernetes_secrets(text, path),
            _entropy(text, path),
        )
    )
    for found in (_private_keys(text), _patterns(text), *sweeping):
        spans.extend(s for s in found if s[1] > s[0])
    return _merge(spans)


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end, kind in sorted(spans):
        if merged and start <= merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, kind))
    return merged


def _mask_piece(piece: str) -> str:
    parts = _EOL_KEEP.split(piece)
    out = []
    for i, part in enumerate(parts):
        if i % 2 or not part.strip():
            out.append(part)  # a line break, or nothing to hide on this line
        elif i == 0:
            out.append(MASK)
        else:
            out.append(part[: len(part) - len(part.lstrip())] + MASK)
    return "".join(out)


_YAML_VALUE_BEFORE = re.compile(r"(?:^|[:-])[ \t]+$")
_YAML_VALUE_AFTER = re.compile(r"[ \t]*(?:$|#|,|\}|\])", re.MULTILINE)


def _yaml_scalar(text: str, start: int, end: int) -> bool:
    """Whether the span is a whole unquoted YAML value (`key: …`, `- …`, `{k: …}`)."""
    if start == 0 or text[start - 1] in "\"'" or "\n" in text[start:end]:
        return False
    before = text[max(0, start - 40) : start]
    return bool(_YAML_VALUE_BEFORE.search(before) and _YAML_VALUE_AFTER.match(text, end))


def redact_text(text: str, path: str = "") -> Redacted:
    """`text` with every secret masked, and where each one was: same lines, names kept."""
    spans = find_secrets(text, path)
    if not spans:
        return Redacted(text)
    yaml = PurePosixPath(path).suffix.lower() in (".yaml", ".yml")
    out: list[str] = []
    pos = 0
    for start, end, _kind in spans:
        out.append(text[pos:start])
        if yaml and _yaml_scalar(text, start, end):
            # A bare `[REDACTED]` would read as a one-item list: keep the value a string.
            out.append(f'"{MASK}"')
        else:
            out.append(_mask_piece(text[start:end]))
        pos = end
    out.append(text[pos:])
    starts = line_starts(text)
    findings = []
    for s, e, kind in spans:
        piece = text[s:e]
        # A block's span starts after its marker: report the lines its hidden characters are on.
        first = bisect.bisect_right(starts, s + len(piece) - len(piece.lstrip()))
        last = bisect.bisect_right(starts, s + len(piece.rstrip()) - 1)
        findings.append(Finding(first, kind, last if last > first else 0))
    return Redacted("".join(out), tuple(findings))


def redact(text: str, path: str = "") -> str:
    """`text` with credentials replaced by [REDACTED]: same number of lines, names kept."""
    return redact_text(text, path).text


def mark_redacted(facts: Sequence[FactBase]) -> list[FactBase]:
    """Facts whose value was masked become secrets: the name is shown, the value never."""
    out: list[FactBase] = []
    for fact in facts:
        if isinstance(fact, ConfigParameter) and not fact.secret:
            values = [fact.default or "", *(fact.allowed_values or [])]
            if any(MASK in v or "REDACTED" in v for v in values):
                fact = fact.model_copy(
                    update={"secret": True, "default": None, "allowed_values": None}
                )
        out.append(fact)
    return out
