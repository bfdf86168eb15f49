"""What a document says a program needs, read from its structure alone: the list under a
`## Dependencies` / `## Requirements` / `## Prerequisites` heading, and the command a
document gives to check that the program is up (`telnet 127.0.0.1 11211` after "to ensure
it is up and running").

Documentation is untrusted text, so both rules are narrow. A list is a list of dependencies
only when every one of its items opens with a name — a code span, a link, or one word,
optionally followed by a version and a parenthesis — and then ends or goes on after a
separator (` - `, `: `): a list of sentences (`Debian 12 or Ubuntu 22.04 with …`, `At
least 2 GiB free …`) is a description of an environment, not of programs, and is left to
the model. A health procedure is a connection probe (`telnet`/`nc HOST PORT`, `redis-cli
ping`, `pg_isready`, `mysqladmin ping`) in a shell block that a heading or the sentence
before it says checks that the program runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it.token import Token

from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.models import Dependency, DependencyType, HealthCheck

_NEEDS_HEADING = re.compile(
    r"(?i)\b(?:dependenc(?:y|ies)|requirements?|prerequisites?|requires|"
    r"you(?:'ll| will)?\s+need)\b"
)
"""A section that lists what the program needs (`## Dependencies`, `## Requirements`)."""
_NOT_RUNTIME_HEADING = re.compile(
    r"(?i)\b(?:build(?:ing)?|dev(?:elopment)?|test(?:s|ing)?|docs?|documentation|contribut\w*|"
    r"python\s+packages?|pip|npm|gems?|crates?)\b"
)
"""Lists of what building, developing or testing needs, or of a language's packages: not
what the running program needs."""
_OPTIONAL_HEADING = re.compile(r"(?i)\boptional\b")

_NAME = r"(?:[A-Za-z][A-Za-z0-9+_.-]*[A-Za-z0-9+]|[A-Za-z])"
_VERSION = (
    r"(?:(?:v|version\s+)?\d+(?:\.\d+)*(?:\.[xX*])?\+?"
    r"|(?:>=|<=|>|<|==|~=|\^|~)\s*v?\d+(?:\.\d+)*)"
    r"(?:\s+or\s+(?:later|newer|higher|above)|\s+and\s+(?:up|above|later|newer))?"
)
_LEAD = re.compile(
    rf"^\s*(?:`(?P<code>{_NAME})`|\[(?P<link>{_NAME})\]\([^)\s]*\)"
    rf"|(?:\*\*|__)(?P<bold>{_NAME})(?:\*\*|__)|(?P<word>{_NAME}(?:\s[A-Z][A-Za-z0-9+_.-]*)?))"
    rf"(?:\s*(?P<version>{_VERSION}))?"
    r"(?:\s*\((?P<paren>[^)]*)\))?"
    r"(?P<rest>.*)$",
    re.DOTALL,
)
"""An item that opens with a name: `libevent`, `` `redis` 7+ ``, `[OpenSSL](…) (optional)`."""
_AFTER_NAME = re.compile(
    r"^(?:\s*$|\s+[-–—]\s|\s*:\s|\s*:$|\s*,\s|\s+https?://|\s*\(|\s*\[|\s*;\s|\s+or\s+later\b)"
)
"""What may follow the name (and version): the end, a separator, a URL, a parenthesis."""
_AMOUNT = re.compile(r"^\s*(?:[-–—:,;]\s*)?(?:at least\s+)?\d")
"""`Memory: 512 MiB`, `Disk - 2 GiB`: a label for an amount, a resource and not a program."""
_LABELS = frozenset(
    {
        "os",
        "platform",
        "platforms",
        "system",
        "hardware",
        "software",
        "memory",
        "ram",
        "cpu",
        "cpus",
        "disk",
        "storage",
        "network",
        "networking",
        "port",
        "ports",
        "sizing",
        "access",
        "permissions",
        "account",
        "accounts",
        "credentials",
        "browser",
        "browsers",
        "time",
        "clock",
        "note",
        "notes",
        "optional",
        "required",
        "and",
        "or",
        "a",
        "an",
        "the",
        "at",
        "for",
        "to",
        "on",
        "in",
        "with",
        "see",
        "if",
        "install",
        "run",
        "use",
    }
)
"""Words that open a requirements item as a label or a sentence, never a program's name."""
_BUILD_TOOLS = frozenset(
    {
        "make",
        "cmake",
        "meson",
        "ninja",
        "gcc",
        "g++",
        "clang",
        "autoconf",
        "automake",
        "autotools",
        "libtool",
        "pkg-config",
        "git",
        "npm",
        "yarn",
        "pnpm",
        "pip",
        "pipenv",
        "poetry",
        "maven",
        "mvn",
        "gradle",
        "cargo",
        "rustc",
        "rustup",
        "rust",
        "go",
        "golang",
        "protoc",
    }
)
"""Compilers, build systems, package managers and VCS: what building needs. (A compiled
program's toolchain — Go, Rust — is not needed where the binary runs.)"""
_OPTIONAL = re.compile(r"(?i)\boptional(?:ly)?\b|\bif you (?:want|need)\b|\bnot required\b")
_BUILD_ONLY = re.compile(
    r"(?i)^\s*(?:only\s+)?(?:to|for)\s+(?:build|building|compil\w+|develop\w*|tests?|testing|docs)\b"
    r"|\bbuild[\s-]time\b|\bdev(?:elopment)?\s+only\b"
)
"""`Go 1.21+ (to build)`: what building needs, not the running program."""
_MIN_ITEMS = 1


@dataclass(frozen=True)
class Need:
    """One item of a dependencies list: the program it names, whether it is optional, and
    whether only building or developing needs it."""

    name: str
    optional: bool
    build_only: bool
    start: int
    end: int


def needs_heading(text: str) -> bool:
    """A heading over a list of what the running program needs."""
    return bool(_NEEDS_HEADING.search(text)) and not _NOT_RUNTIME_HEADING.search(text)


def read_need(text: str) -> tuple[str, bool, bool] | None:
    """The program a list item names, whether the item says it is optional, and whether it
    says only building needs it; None when the item is a sentence or a label (`Memory: 512
    MiB`), not a name."""
    first = " ".join(text.split())
    match = _LEAD.match(first)
    if match is None:
        return None
    name = match.group("code") or match.group("link") or match.group("bold") or match.group("word")
    rest = match.group("rest")
    if name.lower().rstrip(".") in _LABELS or not _AFTER_NAME.match(rest):
        return None
    if _AMOUNT.match(rest) and not match.group("paren"):
        return None
    if match.group("word") and name.endswith("."):
        return None  # a one-word sentence
    paren = match.group("paren") or ""
    build_only = (
        name.lower() in _BUILD_TOOLS
        or bool(_BUILD_ONLY.search(paren))
        or bool(_BUILD_ONLY.search(rest.lstrip(" -–—:")))
    )
    return name.rstrip(".:"), bool(_OPTIONAL.search(paren + " " + rest)), build_only


def list_needs(source: SourceFile, tokens: list[Token], start: int) -> list[Need] | None:
    """The items of the list opening at `tokens[start]`, each read as a need; None unless
    every item names a program (one sentence among them and the list is prose)."""
    opening = tokens[start]
    depth = opening.level + 1
    needs: list[Need] = []
    index = start + 1
    while index < len(tokens):
        token = tokens[index]
        if token.level == opening.level and token.type.endswith("_list_close"):
            break
        if token.type == "list_item_open" and token.level == depth and token.map:
            inline = next(
                (t for t in tokens[index + 1 : index + 4] if t.type == "inline"),
                None,
            )
            if inline is None or not inline.content.strip():
                return None
            read = read_need(inline.content)
            if read is None:
                return None
            name, optional, build_only = read
            first, last = token.map[0] + 1, token.map[1]
            while last > first and not source.lines[last - 1].strip():
                last -= 1
            needs.append(Need(name, optional, build_only, first, last))
        index += 1
    return needs if len(needs) >= _MIN_ITEMS else None


def dependency_list(
    source: SourceFile, result: AnalyzerResult, tokens: list[Token], start: int, heading: str
) -> None:
    """A top-level list under a dependencies heading: one runtime (or optional) dependency
    per item, citing the item's lines. Whose dependency it is, the document does not say:
    it is the repository's own (no service)."""
    if tokens[start].level != 0 or not needs_heading(heading):
        return
    needs = list_needs(source, tokens, start)
    if not needs:
        return
    all_optional = bool(_OPTIONAL_HEADING.search(heading))
    seen: set[str] = set()
    for need in needs:
        if need.build_only or need.name.lower() in seen:
            continue
        seen.add(need.name.lower())
        kind: DependencyType = "optional" if need.optional or all_optional else "runtime"
        said = " (optional)" if kind == "optional" else ""
        result.facts.append(
            Dependency(
                target=need.name,
                dependency_type=kind,
                summary=f"needs {need.name}{said}, as listed under “{_short(heading)}” "
                f"in {source.path}",
                citations=[source.cite(need.start, need.end)],
            )
        )


# ---------------------------------------------------------------- health procedures

_CHECK_LEAD = re.compile(
    r"(?i)\b(?:ensure|make\s+sure|check|verify|confirm|test|see)\b[^.]{0,60}?"
    r"\b(?:(?:is|it's|are)\s+(?:up|running|alive|working|listening|responding|ready|healthy)"
    r"|works|runs|responds|answers|started)\b"
)
"""The sentence before a block that says the block checks the program runs: `telnet into
that memcached to ensure it is up and running`, `check that the server responds`."""
_CHECK_HEADING = re.compile(
    r"(?i)\b(?:health|healthcheck|liveness|readiness|smoke[\s-]?test|sanity[\s-]?check|"
    r"verif(?:y|ying|ication)|check(?:ing)?\s+(?:that\s+)?(?:it|the\s+\w+)\s+(?:works|runs|is\s+up))"
)
_HOST = r"(?:localhost|127\.0\.0\.1|::1|\[::1\]|0\.0\.0\.0|[\w.-]+)"
_TCP_PROBE = re.compile(rf"^(?:telnet|nc|ncat|netcat)\s+(?:-\w+\s+)*{_HOST}\s+(\d{{1,5}})\s*$")
_NATIVE_PROBE = re.compile(
    r"^(?:redis-cli|valkey-cli|keydb-cli)\b(?:\s+-[hpa]\s+\S+)*\s+ping\s*$"
    r"|^pg_isready\b[^|;&]*$"
    r"|^mysqladmin\b[^|;&]*\bping\s*$",
    re.IGNORECASE,
)
"""A database's own liveness command: `redis-cli ping`, `pg_isready -h db`, `mysqladmin ping`."""
_PORT_OPTION = re.compile(r"(?:^|\s)(?:-p|--port)[\s=](\d{1,5})\b")


@dataclass(frozen=True)
class Probe:
    """A command that checks the program answers: a TCP connection or a native ping."""

    command: str
    port: int | None
    tcp: bool


def read_probe(command: str) -> Probe | None:
    """The probe a command is, if it is one."""
    text = " ".join(command.split())
    tcp = _TCP_PROBE.match(text)
    if tcp:
        number = int(tcp.group(1))
        return Probe(text, number, True) if 0 < number < 65536 else None
    if _NATIVE_PROBE.match(text):
        option = _PORT_OPTION.search(text)
        given = int(option.group(1)) if option else None
        return Probe(text, given if given and given < 65536 else None, False)
    return None


def says_it_checks(heading: str, lead: str) -> bool:
    """A heading about checking the program, or a sentence before the block saying so."""
    return bool(_CHECK_HEADING.search(heading)) or bool(_CHECK_LEAD.search(lead))


def health_probe(
    source: SourceFile,
    result: AnalyzerResult,
    commands: list[tuple[str, int, int]],
    heading: str,
    lead: tuple[str, int] | None,
) -> None:
    """The first probe of a shell block that a heading or the paragraph right before it
    (`lead`: its text and first line) says checks the program is up: a health check of the
    repository's own program, citing the lead paragraph and the command."""
    text, lead_line = lead if lead is not None else ("", 0)
    if not says_it_checks(heading, text):
        return
    for command, start, end in commands:
        probe = read_probe(command)
        if probe is None:
            continue
        first = lead_line or start
        if probe.tcp:
            assert probe.port is not None
            fact = HealthCheck(
                check_type="tcp",
                target=str(probe.port),
                port=probe.port,
                mechanism="other",
                summary=f"documented check: a TCP connection to port {probe.port} ({source.path})",
                citations=[source.cite(first, end)],
            )
        else:
            fact = HealthCheck(
                check_type="exec",
                target=probe.command,
                port=probe.port,
                mechanism="other",
                summary=f"documented check: `{probe.command.split()[0]}` answers ({source.path})",
                citations=[source.cite(first, end)],
            )
        result.facts.append(fact)
        return


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(re.sub(r"[^\w\s,.'&/+-]", "", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- optional, in prose

_OPTIONAL_USE = re.compile(
    r"\b(?:[Tt]o use|[Ii]f you (?:want to |wish to |would like to )?use|[Ff]or using)\s+"
    r"(?:a|an|the)\s+`?(?P<name>[A-Z][A-Za-z0-9+.-]*[A-Za-z0-9+]|[a-z][a-z0-9+-]*(?=`))`?\s+"
    r"(?P<what>database|db|message\s+broker|broker|cache|queue|search\s+engine)\b"
)
"""`To use a MySQL database, …`: the program works without it (an in-memory default), and
runs with it when configured — an optional dependency, named by its product."""
_GENERIC = frozenset(
    {"Different", "Custom", "External", "Local", "Remote", "Real", "New", "Separate", "Shared"}
)


def optional_prose(source: SourceFile, result: AnalyzerResult, start: int, end: int) -> None:
    """A paragraph that says what to do *to use* a named database, broker or cache: that
    product is an optional dependency of the repository's program, citing the paragraph."""
    text = " ".join(source.lines[start - 1 : end])
    for match in _OPTIONAL_USE.finditer(text):
        name = match.group("name")
        if name in _GENERIC:
            continue
        what = " ".join(match.group("what").split())
        result.facts.append(
            Dependency(
                target=name,
                dependency_type="optional",
                summary=f"can use a {name} {what} (optional; {source.path})",
                citations=[source.cite(start, end)],
            )
        )
        return
