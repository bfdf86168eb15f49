"""Daemon configs written as `name value` / `name = value` lines (redis.conf, postgresql.conf,
sshd_config, haproxy.cfg, nginx.conf, sysctl.conf): one parameter per directive.

Sample configs document defaults as commented-out directives (`# maxclients 10000`,
`#port = 5432`); the comment paragraph above a directive is its description. nginx-style
blocks (`server { listen 80; location /healthz {...} }`) give ports and health endpoints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ddd_llm.evidence.base import AnalyzerResult, SourceFile, register
from ddd_llm.evidence.config_files._common import (
    TEST_DIRS,
    Setting,
    health_fact,
    health_path,
    is_port_name,
    parameters,
    port_fact,
    port_number,
    unique,
)

_SUFFIXES = (".conf", ".cfg", ".cnf")
_NAMES = frozenset(
    {"sshd_config", "ssh_config", "redis.conf", "sentinel.conf", "postgresql.conf", "nginx.conf"}
)
_NOT_DIRECTIVES = frozenset(
    {
        "pg_hba.conf",
        "pg_ident.conf",
        "hosts.conf",
        "resolv.conf",
        "nsswitch.conf",
        "ld.so.conf",
        "logrotate.conf",
        "uncrustify.cfg",
        "mime.types",
        "fastcgi_params",
        "krb5.conf",
    }
)
"""Tables and tool configs that share the suffix but are not a daemon's settings."""

_LINE = re.compile(
    r"^(?P<name>[A-Za-z_][\w.-]*(?:\[[\w.-]*\])?)"
    r"(?:\s*=\s*|\s+|(?=;?$))(?P<value>.*?)\s*;?\s*$"
)
_INLINE_COMMENT = re.compile(r"\s+#.*$")
_SECTION_HEADER = re.compile(r"^\s*\[[^\]]+\]\s*$")
_STOPWORDS = frozenset(
    "a an the this that these those it its is are be if in on of or and to for by with as at "
    "when while not no see note example e.g i.e default defaults set use you we please "
    "only also but so then there here what which where how all any some each every".split()
)
_VALUE_SHAPE = re.compile(
    r"""^(?:[-+]?\d[\d.]*\s*[a-zA-Z%]{0,3}|yes|no|on|off|true|false|auto|none|\*|"""
    r"""["'][^"']*["']|/[\w./-]*|[\w.-]+:\d+)$""",
    re.IGNORECASE,
)
_BLOCKS_WITHOUT_PARAMETERS = frozenset(
    {"server", "location", "upstream", "if", "map", "types", "geo", "limit_except", "split_clients"}
)
"""nginx blocks that repeat per site or route: their directives are not global settings."""


_TUNING = re.compile(
    r"(_timeout|_size|_buffers?|_max_\w+|^keepalive\w*|_rate|_limit|_conns?|_connections)$"
)
_AMOUNT = re.compile(r"^\d+(?:\.\d+)?\s*[a-zA-Z]{0,2}$")


def _tuning(found: _Directive) -> bool:
    """A limit set inside a site or route block (`client_max_body_size 1m`,
    `proxy_read_timeout 30s`): an amount under a limit-like name is a setting an operator
    tunes, even where the block's other directives (routing, headers) are not."""
    return bool(_TUNING.search(found.name) and _AMOUNT.match(found.value.strip()))


@dataclass
class _Directive:
    name: str
    value: str
    inline: str


@dataclass
class _Block:
    name: str
    value: str
    line: int
    ports: list[int] = field(default_factory=list)


def parse_directive(text: str) -> _Directive | None:
    """`maxclients 10000`, `port = 5432  # note`, `listen 80;` → name, value, inline comment."""
    inline = ""
    comment = _INLINE_COMMENT.search(text)
    if comment is not None and _unquoted(text, comment.start()):
        inline = comment.group(0).strip().lstrip("#").strip()
        text = text[: comment.start()]
    match = _LINE.match(text.strip())
    if match is None:
        return None
    value = match.group("value").strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return _Directive(match.group("name"), value, inline)


def _unquoted(text: str, at: int) -> bool:
    """Whether position `at` is outside any quoted string."""
    before = text[:at]
    return before.count('"') % 2 == 0 and before.count("'") % 2 == 0


def _shaped(line: str) -> bool:
    """A live line that reads as a directive rather than a sentence."""
    found = parse_directive(line.rstrip("{ "))
    if found is None or found.name.lower() in _STOPWORDS:
        return False
    return not (len(found.value.split()) >= 3 and found.value.rstrip().endswith((".", "!", "?")))


def _is_commented_directive(body: str, known: set[str], following: str) -> _Directive | None:
    """A commented-out directive, not prose: `# maxclients 10000`, `#port = 5432`, `#Port 22`."""
    found = parse_directive(body)
    if found is None or not body or body[0].isspace() or re.search(r"[{}]", body):
        return None
    name, value = found.name, found.value
    if name.lower() in _STOPWORDS or "<" in value or value.endswith((".", ":", ",")):
        return None
    words = value.split()
    if len(words) > 4 and not re.match(r"^[\"']", value):
        return None
    if re.match(r"^[\w.-]+\s*=", body) and len(words) <= 2:
        return found  # `#listen_port = 6432`: the `=` form is unambiguous
    if name in known:
        return found
    if len(words) != 1:
        return None
    # One word after the name: a directive unless the next comment line carries on a sentence.
    next_body = following.lstrip("#;").strip()
    if next_body and next_body[:1].islower() and not parse_directive(next_body):
        return None
    shaped = bool(_VALUE_SHAPE.match(value))
    lower_ident = bool(re.fullmatch(r"[a-z][a-z0-9]*(?:[_.-][a-z0-9]+)*", name))
    camel = bool(re.fullmatch(r"[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+", name))
    return found if shaped or lower_ident or camel else None


def looks_like_directives(lines: list[str]) -> bool:
    """Most live lines are directives (or braces) and none is an INI `[section]`."""
    live = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith(("#", ";"))]
    if not live or any(_SECTION_HEADER.match(ln) for ln in live):
        return False
    shaped = sum(1 for ln in live if ln in ("{", "}") or _shaped(ln.rstrip("}")))
    return shaped * 10 >= len(live) * 6


class DirectivesAnalyzer:
    """`name value` configs: live directives are settings, commented ones documented defaults."""

    name = "directives"

    def accepts(self, source: SourceFile) -> bool:
        name = source.name.lower()
        if name in _NOT_DIRECTIVES or TEST_DIRS.search(source.path):
            return False
        if name.startswith("."):
            return False  # `.scalafmt.conf`, `.tmux.conf`: a developer's tool settings
        if name not in _NAMES and source.suffix not in _SUFFIXES:
            return False
        return looks_like_directives(source.lines[:400])

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        _Reader(source, result, self.name).read()
        result.facts = unique(result.facts)
        return result


class _Reader:
    def __init__(self, source: SourceFile, result: AnalyzerResult, analyzer: str) -> None:
        self.source = source
        self.result = result
        self.analyzer = analyzer
        self.lines = source.lines
        self.known = self._live_names()
        self.comments: list[str] = []
        self.blocks: list[_Block] = []
        self.section: str | None = None  # haproxy-style `global` / `backend app` headers
        self.section_named = False
        self.seen: set[str] = set()

    def _live_names(self) -> set[str]:
        names: set[str] = set()
        for line in self.lines:
            text = line.strip()
            if text and not text.startswith(("#", ";")):
                found = parse_directive(text.rstrip("{ "))
                if found is not None:
                    names.add(found.name)
        return names

    def read(self) -> None:
        for index, line in enumerate(self.lines):
            text = line.strip()
            if not text:
                self.comments = []
                continue
            if text.startswith(("#", ";")):
                self._comment(index, text)
                continue
            self._live(index, line, text)
        for block in self.blocks:
            self.result.warn(
                self.source,
                f"block `{block.name}` opened here is never closed with `}}`",
                block.line,
                self.analyzer,
            )

    def _comment(self, index: int, text: str) -> None:
        body = re.sub(r"^[#;]+ ?", "", text)
        following = self.lines[index + 1].strip() if index + 1 < len(self.lines) else ""
        found = _is_commented_directive(body, self.known, following)
        if found is None:
            self.comments.append(body.strip())
            return
        if found.name in self.known or self._name(found.name) in self.seen:
            return  # an example next to the live value; the live line is the default
        self._setting(index, found, commented=True)

    def _live(self, index: int, line: str, text: str) -> None:
        for piece in _statements(text):
            if piece == "}":
                self._close(index)
                continue
            opens = piece.endswith("{")
            found = parse_directive(piece.rstrip("{").strip())
            if found is None:
                self.result.candidate(
                    self.source, index + 1, index + 1, "config_parameter", "unparsed directive"
                )
                continue
            if opens:
                self._runtime(index + 1, found)
                self.blocks.append(_Block(found.name, found.value, index + 1))
                continue
            self._header(line, index, found)
            self._setting(index, found, commented=False)
        self.comments = []

    def _header(self, line: str, index: int, found: _Directive) -> None:
        """haproxy: an unindented line followed by indented ones starts a section."""
        if self.blocks or line[:1].isspace():
            return
        following = self.lines[index + 1] if index + 1 < len(self.lines) else ""
        if following[:1].isspace() and following.strip():
            self.section = found.name
            self.section_named = bool(found.value)
        elif not line[:1].isspace():
            self.section = None

    def _close(self, index: int) -> None:
        if not self.blocks:
            self.result.warn(self.source, "`}` closes no open block", index + 1, self.analyzer)
            return
        self.blocks.pop()

    def _name(self, name: str) -> str:
        parts = [b.name for b in self.blocks]
        if self.section and not self.section_named:
            parts.insert(0, self.section)
        return ".".join([*parts, name])

    def _setting(self, index: int, found: _Directive, *, commented: bool) -> None:
        line = index + 1
        self._runtime(line, found)
        if found.value == "" and self.section is not None and not self.blocks:
            return  # a bare `global` / `defaults` header
        per_site = any(b.name in _BLOCKS_WITHOUT_PARAMETERS for b in self.blocks)
        if (per_site and not _tuning(found)) or self.section_named:
            return
        # nginx documents a site's directives by their bare name (`client_max_body_size`).
        name = found.name if per_site else self._name(found.name)
        if name in self.seen:
            return
        self.seen.add(name)
        description = " ".join([*self.comments, found.inline]).strip()
        setting = Setting(
            name=name,
            value=found.value or None,
            start=line,
            end=line,
            description=description,
            commented=commented,
        )
        what = "commented-out directive" if commented else "directive"
        self.result.facts.extend(parameters(self.source, setting, what))

    def _runtime(self, line: int, found: _Directive) -> None:
        first = found.value.split()[0] if found.value.split() else ""
        port: int | None = None
        if is_port_name(found.name) or found.name in ("listen", "bind"):
            port = port_number(first) if found.name in ("listen", "bind") else None
            if port is None and is_port_name(found.name):
                port = port_number(found.value)
        if port is not None:
            for block in self.blocks:
                block.ports.append(port)
            self.result.facts.append(port_fact(self.source, port, line, line, found.name))
            return
        if found.name == "location" and health_path(found.value):
            self._health(line, health_path(found.value) or "")
        elif found.name == "option" and first == "httpchk":
            path = health_path(found.value)
            if path:
                self._health(line, path)
        elif found.name == "http-check" and "uri" in found.value.split():
            path = health_path(found.value)
            if path:
                self._health(line, path)

    def _health(self, line: int, path: str) -> None:
        ports = [p for b in self.blocks for p in b.ports]
        self.result.facts.append(
            health_fact(
                self.source, path, line, line, "health route", port=ports[0] if ports else None
            )
        )


def _statements(text: str) -> list[str]:
    """nginx puts several statements on a line (`server { listen 80; }`): split at `;`, `{`
    and `}` outside quotes; other formats get their one line back."""
    if not re.search(r"[{};]", text):
        return [text]
    out: list[str] = []
    current = ""
    quote = ""
    for char in text:
        if quote:
            current += char
            if char == quote:
                quote = ""
            continue
        if char in "'\"":
            quote = char
            current += char
        elif char == ";":
            if current.strip():
                out.append(current.strip())
            current = ""
        elif char == "{":
            out.append(current.strip() + " {")
            current = ""
        elif char == "}":
            if current.strip():
                out.append(current.strip())
            out.append("}")
            current = ""
        elif char == "#" and not current.strip():
            break
        else:
            current += char
    if current.strip():
        out.append(current.strip())
    return out


register(DirectivesAnalyzer())
