"""Command lines in deployment files (compose `command:`, Kubernetes `args:`, systemd
`ExecStart=`, Dockerfile `CMD`): the flags they pass become the deployment's value of that flag.

A flag is named as the code analyzers name a command-line flag (`--concurrency`, Go's
`-port`), scoped to the service that runs the command, so the fact layers over the code's
default the way a compose `environment:` value layers over an `os.getenv` default: one
fact, the deployment value shown, both places cited.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from ddd_llm.evidence.base import infer_value_type, looks_secret
from ddd_llm.evidence.deploy._interpolate import Interpolated, interpolate, reference_params
from ddd_llm.models import Citation, ConfigParameter, FactBase, ValueType, make_fact_id
from ddd_llm.scan.redact import CODE_SUFFIXES

_FLAG = re.compile(r"^(--?[A-Za-z][A-Za-z0-9_.:-]*)(?:=(.*))?$", re.DOTALL)
_NEGATIVE = re.compile(r"^-\d")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*", re.DOTALL)
_OPERATOR_CHARS = frozenset("();<>|&")
_KEYWORDS = frozenset(
    {"while", "until", "do", "done", "if", "then", "else", "elif", "fi", "for", "in", "!", "{", "}"}
)
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})
_WRAPPERS_DASHDASH = frozenset(
    {"tini", "dumb-init", "wait-for-it", "wait-for-it.sh", "wait-for", "dockerize", "catatonit"}
)
"""Init shims and wait scripts: the real command follows their `--`."""
_USER_SWITCHERS = frozenset({"gosu", "su-exec", "setpriv", "chpst"})
_NOT_PROGRAMS = frozenset(
    {"cd", "echo", "printf", "sleep", "export", "set", "test", "[", "true", "false", "wait", ":"}
)
"""Shell steps around the real command in `sh -c "…"` (their options set nothing)."""
_SCRIPT_RUNNERS = frozenset({"npm", "yarn", "pnpm", "bun", "npx", "make"})
"""They run a named script (`yarn dev -L`: `-L` goes to whatever `dev` runs, nodemon here),
so their arguments are not the application's flags."""
_PYTHON = re.compile(r"^(python|pypy)[0-9.]*$")
_PYTHON_VALUE_OPTIONS = frozenset({"-X", "-W", "--check-hash-based-pycs"})
_JAVA_VALUE_OPTIONS = frozenset({"-cp", "-classpath", "--class-path", "-p", "--module-path"})


@dataclass(frozen=True)
class Word:
    """One argument of a command line and the lines it was read from."""

    text: str
    citation: Citation


@dataclass(frozen=True)
class Flag:
    name: str
    value: str | None
    """None for a switch given without a value (`--once`)."""
    citation: Citation


def split_shell(text: str) -> list[str] | None:
    """A shell-form command line as the shell splits it (quotes removed); None if unbalanced."""
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return None


def words_of(value: Any, cite: Callable[[int | None], Citation]) -> list[Word] | None:
    """A command as compose / Kubernetes write it: a string (shell words) or a list of words.

    `cite(i)` cites list item i (None: the whole value). None when it is neither."""
    if isinstance(value, str):
        split = split_shell(value)
        if split is None:
            return None
        return [Word(w, cite(None)) for w in split]
    if isinstance(value, list):
        out: list[Word] = []
        for index, item in enumerate(value):
            if isinstance(item, (dict, list)) or item is None:
                return None
            text = item if isinstance(item, str) else _scalar(item)
            out.append(Word(text, cite(index)))
        return out
    return None


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _program(word: str) -> str:
    return PurePosixPath(word).name.lower()


def _shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a `sh -c` script (`a && b; c | d` → [a…], [b…], [c…], [d…]),
    split by the standard library's shell lexer; compound-command keywords are dropped.

    Not bashlex: it loops forever on some unbalanced input (`'${', "x"`), and these scripts
    come from the repository being read."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes
        return []
    commands: list[list[str]] = []
    current: list[str] = []
    for token in tokens:
        if token and all(c in _OPERATOR_CHARS for c in token):
            commands.append(current)
            current = []
        elif not current and token in _KEYWORDS:
            continue
        else:
            current.append(token)
    commands.append(current)
    return [c for c in commands if c]


def _program_args(words: Sequence[Word]) -> list[list[Word]]:
    """The argument lists of the program(s) a command line runs, wrappers and interpreters
    taken off (`tini -- python -m worker --concurrency 4` → [`--concurrency`, `4`])."""
    words = list(words)
    while words:
        head = _program(words[0].text)
        if head in ("exec", "env") or _ASSIGNMENT.fullmatch(words[0].text):
            words = words[1:]
            continue
        if head in _WRAPPERS_DASHDASH:
            texts = [w.text for w in words]
            words = words[texts.index("--") + 1 :] if "--" in texts else []
            continue
        if head in _USER_SWITCHERS and len(words) > 2:
            words = words[2:]
            continue
        break
    if not words:
        return []
    head = _program(words[0].text)
    if head in _SHELLS:
        texts = [w.text for w in words]
        if "-c" in texts[1:3] and texts.index("-c") + 1 < len(texts):
            script = words[texts.index("-c") + 1]
            out: list[list[Word]] = []
            for command in _shell_commands(script.text):
                if _program(command[0]) in _NOT_PROGRAMS:
                    continue
                out.extend(_program_args([Word(w, script.citation) for w in command]))
            return out
        return []
    if words[0].text.startswith("-"):
        # Only arguments: the image's ENTRYPOINT is the program.
        return [words]
    if head in _SCRIPT_RUNNERS:
        return []
    return [_after_interpreter(head, words)]


def _after_interpreter(head: str, words: list[Word]) -> list[Word]:
    """The program's own arguments: past `python -m mod` / `python app.py`, `node server.js`,
    `java -jar app.jar`; past the program name otherwise."""
    rest = words[1:]
    if not (_PYTHON.match(head) or head in ("node", "nodejs", "java", "ruby", "php", "perl")):
        return rest
    values = _JAVA_VALUE_OPTIONS if head == "java" else _PYTHON_VALUE_OPTIONS
    index = 0
    while index < len(rest):
        text = rest[index].text
        if text in ("-m", "-jar") and index + 1 < len(rest):
            return rest[index + 2 :]
        if text in ("-c", "-e", "--eval"):
            return []  # inline code: no program flags
        if text in values:
            index += 2
            continue
        if text.startswith("-"):
            index += 1
            continue
        return rest[index + 1 :]  # the script or main class
    return []


def parse_flags(args: Sequence[Word]) -> list[Flag]:
    """`--flag value`, `--flag=value`, `-f value`, Go's `-flag=value`; a flag followed by
    another flag (or nothing) is a switch. Positional words are skipped; `--` ends flags."""
    flags: list[Flag] = []
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word.text == "--":
            break
        match = _FLAG.match(word.text)
        if not match or _NEGATIVE.match(word.text):
            continue
        name, value = match.group(1), match.group(2)
        citation = word.citation
        if value is None and index < len(args):
            following = args[index].text
            if following != "--" and (
                not following.startswith("-") or _NEGATIVE.match(following) or following == "-"
            ):
                value = following
                if args[index].citation != citation:
                    citation = _span(citation, args[index].citation)
                index += 1
        flags.append(Flag(name, value, citation))
    return flags


def _span(a: Citation, b: Citation) -> Citation:
    if a.path != b.path:
        return a
    return Citation(
        path=a.path,
        start_line=min(a.start_line, b.start_line),
        end_line=max(a.end_line, b.end_line),
    )


def command_flags(words: Sequence[Word]) -> list[Flag]:
    """Every flag the command line passes to the program(s) it runs."""
    return [flag for args in _program_args(words) for flag in parse_flags(args)]


_SETTING_FLAGS = frozenset(
    {"-c", "-o", "-e", "--set", "--conf", "--config", "--option", "--define"}
)
_SETTING = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$", re.DOTALL)


def _setting(flag: Flag) -> Flag:
    """`postgres -c max_connections=200`, `helm --set a.b=1`: the flag carries a named setting,
    which is the parameter (each `-c` sets a different one)."""
    if flag.name in _SETTING_FLAGS and flag.value is not None:
        match = _SETTING.match(flag.value)
        if match:
            return Flag(match.group(1), match.group(2), flag.citation)
    return flag


def flag_facts(
    words: Sequence[Word], service: str | None, where: str, *, references: bool = True
) -> list[FactBase]:
    """One ConfigParameter per flag (the deployment's value as its default), plus one per
    variable a value reads (`--port ${PORT:-8080}` → `--port` 8080 and PORT) unless
    `references` is false (the caller reads the variables of the whole command itself)."""
    facts: list[FactBase] = []
    seen: set[str] = set()
    owner = f"{service} " if service else ""
    for flag in map(_setting, command_flags(words)):
        if flag.name in seen:
            continue  # a repeated flag (`--entity a --entity b`): the first is cited
        seen.add(flag.name)
        value = interpolate(flag.value) if flag.value is not None else None
        secret = looks_secret(flag.name.lstrip("-"), flag.value)
        value_type: ValueType = "bool"
        default: str | None = None
        shown = ""
        if value is not None:
            if references:
                facts.extend(reference_params(value, service, flag.citation, f"flag {flag.name}"))
            default = value.shown
            value_type = infer_value_type(value.text) if value.resolved else "string"
            note = value.note() if references else _reads(value)
            shown = " (value withheld: secret)" if secret else f" {default}{note}"
        kind = "command-line flag" if flag.name.startswith("-") else "setting"
        facts.append(
            ConfigParameter(
                service=service,
                name=flag.name,
                value_type=value_type,
                default=default,
                secret=secret,
                summary=f"{owner}runs with {kind} {flag.name}{shown} ({where})",
                citations=[flag.citation],
            )
        )
    return facts


def _reads(value: Interpolated) -> str:
    """` (reads variable PORT)`: where the value comes from, when the caller decides what the
    variable holds (a systemd unit's environment file)."""
    names = ", ".join(dict.fromkeys(r.name for r in value.references))
    return f" (reads variable {names})" if names else ""


_SHORT_FLAG = re.compile(r"^-[A-Za-z0-9]$")
_SHORT_NOTE = re.compile(r"\(short (-[A-Za-z0-9])\)")
"""How a code analyzer notes a long option's one-letter form in its summary (a `getopt_long`
row's `'p'`: `command-line flag --port (…) (short -p)`)."""


def _in_code(fact: FactBase) -> bool:
    return any(PurePosixPath(c.path).suffix.lower() in CODE_SUFFIXES for c in fact.citations)


def code_short_flags(facts: Sequence[FactBase]) -> tuple[dict[str, set[str]], set[str]]:
    """What the code says about one-letter flags: each short form → the long option(s) that
    declare it, and the short flags the code declares under their own name (`-D`)."""
    aliases: dict[str, set[str]] = {}
    own: set[str] = set()
    for fact in facts:
        if not isinstance(fact, ConfigParameter) or not _in_code(fact):
            continue
        if _SHORT_FLAG.match(fact.name):
            own.add(fact.name)
        elif fact.name.startswith("--"):
            for short in _SHORT_NOTE.findall(fact.summary):
                aliases.setdefault(short, set()).add(fact.name)
    return aliases, own


def name_short_flags(facts: list[FactBase]) -> list[FactBase]:
    """A command line's one-letter flag (`ExecStart=… -p ${PORT}`) is the code's option of
    that short form: the fact takes the long name the code declares (`--port`), so the
    deployed value layers over the code's default. When the code declares its short forms
    and none is this letter, the flag names no known parameter and is dropped (the
    variables its value reads stay facts of their own). Without any short form known in
    the code (a third-party program's command line) the flag stays as written."""
    aliases, own = code_short_flags(facts)
    if not aliases and not own:
        return facts
    out: list[FactBase] = []
    for fact in facts:
        if (
            not isinstance(fact, ConfigParameter)
            or not _SHORT_FLAG.match(fact.name)
            or fact.name in own
            or _in_code(fact)
        ):
            out.append(fact)
            continue
        longs = aliases.get(fact.name, set())
        if len(longs) > 1:
            out.append(fact)  # two programs give the letter different meanings: unresolved
            continue
        if not longs:
            continue  # not an option of the program the code declares
        (long,) = longs
        summary = fact.summary.replace(f"flag {fact.name}", f"flag {long} ({fact.name})", 1)
        out.append(
            fact.model_copy(
                update={
                    "name": long,
                    "summary": summary,
                    "id": make_fact_id(fact.fact_kind, fact.service, long),
                }
            )
        )
    return out
