"""INI files with `[section]`s (pgbouncer.ini, php.ini, my.cnf, uwsgi.ini, supervisord.conf):
one parameter `section.key` per option (bare `key` in the program's own section, `[pgbouncer]`
of pgbouncer.ini), commented-out options as documented defaults.

configparser decides what is valid and holds the values (continuation lines included); its
own SECTCRE / OPTCRE patterns find the line each option sits on. Tool configs (setup.cfg,
tox.ini, .flake8, …) configure a developer's tools, not the running service: skipped.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass, field

from ddd_llm.evidence.base import AnalyzerResult, SourceFile, register
from ddd_llm.evidence.config_files._common import (
    TEST_DIRS,
    Setting,
    allowed_values,
    is_listen_name,
    is_port_name,
    parameters,
    port_fact,
    port_number,
    unique,
)
from ddd_llm.models import ConfigParameter, Dependency, FactBase, ResourceRequirement

TOOL_CONFIGS = frozenset(
    {
        "setup.cfg",
        "tox.ini",
        ".editorconfig",
        "pytest.ini",
        "mypy.ini",
        ".mypy.ini",
        ".flake8",
        "flake8.ini",
        ".pylintrc",
        "pylintrc",
        ".coveragerc",
        ".isort.cfg",
        ".bumpversion.cfg",
        "bumpversion.cfg",
        ".pydocstyle",
        ".pydocstyle.ini",
        ".bandit",
        "nose.cfg",
        ".noserc",
        "behave.ini",
        ".pep8",
        "pep8.ini",
        ".gitmodules",
        ".gitconfig",
        ".pypirc",
        ".hgrc",
        "alembic.ini",
        "uncrustify.cfg",
        "desktop.ini",
        ".yapfignore",
        ".style.yapf",
        "pycodestyle.cfg",
        "versioneer.cfg",
        ".cookiecutterrc",
        "pyvenv.cfg",
    }
)
"""Developer-tool configs: never operator settings."""
_TOP = "\x00top"
_SUFFIXES = (".ini", ".cfg", ".conf", ".cnf")
_UNIT_DIR = re.compile(r"\.(service|socket|timer|mount|target|path|slice)\.d/|(^|/)systemd/")
_INVENTORY = re.compile(r"(?i)(^|/)(inventor(y|ies)[^/]*|hosts(\.ini)?)$|(^|/)inventor(y|ies)/")
_SECTION = re.compile(r"^\s*\[([^\]\n]+)\]\s*(?:[#;].*)?$", re.MULTILINE)
_OPTION = configparser.RawConfigParser.OPTCRE
_COMMENTED = re.compile(r"^[#;]+ ?([A-Za-z_][\w.-]*)\s*[=:]\s*(.*)$")
_ENTRY = re.compile(r"^[#;]*\s*([\w.*-]+)\s*=\s*(.*)$")
_PAIR = re.compile(r"""^[A-Za-z_]\w*=('[^']*'|"[^"]*"|\S*)$""")
_PAIRS = re.compile(r"""[A-Za-z_]\w*=(?:'[^']*'|"[^"]*"|\S*)""")
_CONNINFO = re.compile(r"(^|\s)dbname=")
"""libpq's keyword/value connection string (`host=db dbname=app port=5432`)."""


@dataclass
class _Section:
    name: str
    line: int
    live: dict[str, tuple[int, int]] = field(default_factory=dict)


class IniAnalyzer:
    """`[section]` + `key = value` files; names `section.key`, ports from `*port` keys."""

    name = "ini"

    def accepts(self, source: SourceFile) -> bool:
        name = source.name.lower()
        if name in TOOL_CONFIGS or source.suffix not in _SUFFIXES:
            return False
        if TEST_DIRS.search(source.path) or _UNIT_DIR.search(source.path):
            return False
        if _INVENTORY.search(source.path):
            return False  # an Ansible inventory lists hosts, not settings
        return bool(_SECTION.search(source.text[:20000]))

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        parser = configparser.RawConfigParser(
            strict=False,
            allow_no_value=True,
            interpolation=None,
            comment_prefixes=("#", ";"),
            inline_comment_prefixes=None,
            default_section="\x00default",
        )
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        try:
            # Keys before the first [section] are global in most dialects (php.ini, uwsgi);
            # configparser refuses them, so they go into a section of their own.
            parser.read_string(f"[{_TOP}]\n{source.text}", source=source.path)
        except configparser.Error as exc:
            errors = getattr(exc, "errors", None) or [(getattr(exc, "lineno", None), "")]
            for at, text in errors:
                shown = f": {str(text).strip()[:60]!r}" if text else ""
                problem = (
                    "a line before any [section] header"
                    if isinstance(exc, configparser.MissingSectionHeaderError)
                    else "not an INI `key = value` line"
                )
                result.warn(
                    source,
                    f"{problem}{shown}",
                    at - 1 if isinstance(at, int) and at > 1 else None,
                    self.name,
                )
            return self._lines_only(source, result)
        except (AttributeError, TypeError, ValueError) as exc:
            # configparser (3.11) trips over an indented line under a value-less key.
            result.warn(
                source,
                f"INI parser failed ({type(exc).__name__}); read line by line",
                None,
                self.name,
            )
            return self._lines_only(source, result)
        facts = self._facts(source, parser) + uwsgi_env(source)
        tables = entry_tables(source.lines)
        if tables:
            facts = [f for f in facts if not _in_table(f, tables)]
            facts.extend(_conninfo_dependency(source, tables))
        result.facts.extend(unique(facts))
        return result

    def _lines_only(self, source: SourceFile, result: AnalyzerResult) -> AnalyzerResult:
        """A broken file still has readable options: take them line by line, without values
        that only configparser could join."""
        result.facts.extend(unique(self._facts(source, None)))
        return result

    def _facts(
        self, source: SourceFile, parser: configparser.RawConfigParser | None
    ) -> list[FactBase]:
        facts: list[FactBase] = []
        section: _Section | None = None
        comments: list[str] = []
        lines = source.lines
        live = _live_options(lines)
        for index, line in enumerate(lines):
            stripped = line.strip()
            number = index + 1
            if not stripped:
                comments = []
                continue
            header = _SECTION.match(line)
            if header is not None:
                section = _Section(header.group(1).strip(), number)
                comments = []
                continue
            if line[:1].isspace() and not stripped.startswith(("#", ";")):
                continue  # a continuation line, already part of the option above
            if stripped.startswith(("#", ";")):
                commented = _COMMENTED.match(stripped)
                key = commented.group(1) if commented else None
                sect = section.name if section else ""
                if commented is None or key is None or (sect, key) in live:
                    comments.append(stripped.lstrip("#;").strip())
                    continue
                value = commented.group(2).strip()
                tight = stripped.lstrip("#;")[:1] not in (" ", "\t")  # `;auth_query = ...`
                if not tight and len(value.split()) > 4 and value[:1] not in "'\"":
                    comments.append(stripped.lstrip("#;").strip())
                    continue
                facts.extend(
                    self._setting(
                        source, section, key, value, number, number, comments, commented=True
                    )
                )
                comments = []
                continue
            option = _OPTION.match(stripped)
            key = (option.group("option") if option else stripped).strip()
            value = option.group("value") if option else None
            end = _continuation_end(lines, index)
            # configparser's value only for a value continued over lines: for a key written
            # twice (uWSGI `if-env` variants) it holds the last one, not this line's.
            continued = end > number
            if (
                continued
                and parser is not None
                and section is not None
                and parser.has_option(section.name, key)
            ):
                value = parser.get(section.name, key)
            facts.extend(
                self._setting(source, section, key, value, number, end, comments, commented=False)
            )
            comments = []
        return facts

    def _setting(
        self,
        source: SourceFile,
        section: _Section | None,
        key: str,
        value: str | None,
        start: int,
        end: int,
        comments: list[str],
        *,
        commented: bool,
    ) -> list[FactBase]:
        if not key or (value is None and re.search(r"\s", key)):
            return []  # prose in the middle of a section is not a value-less flag
        if _uwsgi(section) and (key.startswith("if-") or key in ("endif", "end-if")):
            return []  # uWSGI's config logic, read by `_uwsgi_facts`
        if _uwsgi(section) and (value is None or _UWSGI_WIRING.match(key)):
            # A bare switch (`master`, `strict`) or the app's wiring and the commands it
            # runs (`module`, `chdir`, `attach-daemon`, `hook-pre-app`): how the image is
            # put together, not a value an operator tunes.
            return []
        name = f"{section.name}.{key}" if section and not _main(source, section.name) else key
        shown = _unquote(value.strip()) if value is not None else None
        description = "\n".join(c for c in comments if c)
        setting = Setting(
            name=name,
            value=shown,
            start=start,
            end=end,
            description=description.replace("\n", " "),
            commented=commented,
            allowed=allowed_values(description, shown),
        )
        what = "commented-out INI option" if commented else "INI option"
        facts: list[FactBase] = list(parameters(source, setting, what))
        port = port_number(shown) if is_port_name(key) or is_listen_name(key) else None
        if _uwsgi(section) and key in _UWSGI_SOCKETS and shown:
            port = port_number(shown.split(",")[0])
        if port is not None:
            facts.append(port_fact(source, port, start, end, name))
        if _uwsgi(section) and key == "max-fd" and shown and shown.isdigit():
            facts.append(
                ResourceRequirement(
                    summary=f"uWSGI raises its open file limit to {shown} (max-fd)",
                    citations=[source.cite(start, end)],
                    resource="file_descriptors",
                    limit=shown,
                )
            )
        return facts


_UWSGI_WIRING = re.compile(
    r"^(module|wsgi-file|wsgi|callable|chdir|pythonpath|home|virtualenv|venv|mount|"
    r"(smart-)?attach-daemon2?|hook-[\w-]+|exec-[\w-]+|cron2?|unique-cron|"
    r"check-static|static-[\w-]+|plugins?|need-app|master-fifo)$"
)
_UWSGI_SOCKETS = frozenset(
    {"http-socket", "http", "https", "socket", "uwsgi-socket", "http11-socket"}
)
_IF_ENV = re.compile(r"^\s*(if-env|if-not-env)\s*=\s*([A-Za-z_]\w*)\s*$")
_OPTION_LINE = re.compile(r"^\s*([\w.-]+)\s*=\s*(.*?)\s*$")


def _uwsgi(section: _Section | None) -> bool:
    return section is not None and section.name.lower() == "uwsgi"


def _is_pairs(value: str) -> bool:
    """`host=localhost dbname=bazdb port=300`: every word a `key=value` pair."""
    return bool(value) and _PAIRS.sub("", value).strip() == "" and "=" in value


def entry_tables(lines: list[str]) -> dict[str, list[tuple[int, str, str]]]:
    """Sections that are tables of named entries, not options: the keys are names the
    operator chooses (pgbouncer's `[databases]` `mydb = host=… dbname=…`, `[users]`) and
    each value is a list of `key=value` pairs. A section counts when every entry with a
    value (live or commented) has such a value. Section → [(line, name, value)]."""
    sections: dict[str, list[tuple[int, str, str]]] = {}
    current: str | None = None
    for number, line in enumerate(lines, 1):
        header = _SECTION.match(line)
        if header is not None:
            current = header.group(1).strip()
            sections.setdefault(current, [])
            continue
        stripped = line.strip()
        if current is None or not stripped or stripped.startswith(("##", ";;")):
            continue
        entry = _ENTRY.match(stripped)
        if entry is not None:
            sections[current].append((number, entry.group(1), entry.group(2).strip()))
    tables: dict[str, list[tuple[int, str, str]]] = {}
    for name, entries in sections.items():
        valued = [e for e in entries if e[2]]
        pairs = [e for e in valued if _is_pairs(e[2])]
        if valued and len(pairs) == len(valued):
            tables[name] = entries
    return tables


def _in_table(fact: FactBase, tables: dict[str, list[tuple[int, str, str]]]) -> bool:
    lines = {line for entries in tables.values() for line, _, _ in entries}
    return isinstance(fact, ConfigParameter) and all(c.start_line in lines for c in fact.citations)


def _conninfo_dependency(
    source: SourceFile, tables: dict[str, list[tuple[int, str, str]]]
) -> list[FactBase]:
    """Entries whose values are libpq connection strings (`dbname=`) point at PostgreSQL."""
    cites = [
        source.cite(line, line)
        for entries in tables.values()
        for line, _, value in entries
        if _CONNINFO.search(value)
    ]
    if not cites:
        return []
    return [
        Dependency(
            summary=f"{source.name} connects to PostgreSQL databases (libpq connection strings)",
            citations=cites[:3],
            target="postgresql",
            dependency_type="runtime",
        )
    ]


def uwsgi_env(source: SourceFile) -> list[FactBase]:
    """`if-env = VAR` / `if-not-env = VAR` … `endif =` blocks of a [uwsgi] section read the
    environment variable VAR; an `if-not-env = UWSGI_PROCESSES` block setting `processes`
    gives VAR's default."""
    facts: list[FactBase] = []
    lines = source.lines
    in_uwsgi = False
    for index, line in enumerate(lines):
        header = _SECTION.match(line)
        if header is not None:
            in_uwsgi = header.group(1).strip().lower() == "uwsgi"
            continue
        match = _IF_ENV.match(line) if in_uwsgi else None
        if match is None:
            continue
        end = index
        body: list[tuple[str, str]] = []
        while end + 1 < len(lines) and not re.match(r"^\s*end-?if\b", lines[end + 1]):
            end += 1
            option = _OPTION_LINE.match(lines[end])
            if option is not None:
                body.append((option.group(1), option.group(2)))
        end = min(end + 1, len(lines) - 1)
        var = match.group(2)
        # uWSGI reads `UWSGI_PROCESSES` as `processes`: the block's value is then VAR's default.
        default = next(
            (v for k, v in body if f"UWSGI_{k.upper().replace('-', '_')}" == var),
            None,
        )
        default = default if match.group(1) == "if-not-env" else None
        setting = Setting(
            name=var,
            value=default,
            start=index + 1,
            end=end + 1,
            description=f"uWSGI {match.group(1)} block",
        )
        facts.extend(parameters(source, setting, "environment variable"))
    return facts


_MAIN_SECTIONS = frozenset({"default", "global", "main", "general", "settings", "options"})


def _main(source: SourceFile, section: str) -> bool:
    """The program's own section (`[pgbouncer]` in pgbouncer.ini, `[uwsgi]` in uwsgi.ini,
    `[DEFAULT]`): its keys are written bare, as the program's docs name them."""
    lower = section.lower()
    stem = source.name.lower().rsplit(".", 1)[0]
    return lower in _MAIN_SECTIONS or lower == stem or stem.startswith(f"{lower}-")


def _live_options(lines: list[str]) -> set[tuple[str, str]]:
    """(section, key) of every uncommented option: a commented one beside it is an example."""
    out: set[tuple[str, str]] = set()
    section = ""
    for line in lines:
        header = _SECTION.match(line)
        if header is not None:
            section = header.group(1).strip()
            continue
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", ";")) and not line[:1].isspace():
            option = _OPTION.match(stripped)
            out.add((section, (option.group("option") if option else stripped).strip()))
    return out


def _continuation_end(lines: list[str], index: int) -> int:
    end = index + 1
    while end < len(lines) and lines[end][:1].isspace() and lines[end].strip():
        if lines[end].strip().startswith(("#", ";")):
            break
        end += 1
    return end


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


register(IniAnalyzer())
