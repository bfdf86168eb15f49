"""Markdown documentation: the commands of operational sections (backup, restore, upgrade,
deploy verification, troubleshooting) and the safe ranges a document states for a parameter.

Documentation is untrusted text, so this reads only its structure: a procedure is a command
in a fenced or indented code block under a heading that names the operation (never a
sentence telling the reader what to do, never an HTML comment), and a range is an explicit
range phrase or a Min/Max/Range table cell on the line, paragraph or row that names the
parameter. Each fact cites the lines it came from, in the document, so it stays visibly
docs-sourced; `attach_documented` (docs/_attach.py) moves a documented range onto the
parameter the code or deployment defines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ddd_llm.evidence.base import (
    NUMBER,
    AnalyzerResult,
    RangePhrases,
    SourceFile,
    parse_number,
    register,
)
from ddd_llm.evidence.deploy._command import split_shell
from ddd_llm.evidence.docs._needs import dependency_list, health_probe, optional_prose
from ddd_llm.models import ConfigParameter, Number, Operation, ValidationMethod

Section = Operation | Literal["rollback"]

_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd"})
_NOT_OPERATIONAL = re.compile(
    r"(?i)^(changelog|changes|history|news|releases?|license|licence|code_of_conduct|authors|"
    r"contributors|security|pull_request_template)([._-].*)?\.(md|markdown|mdown|mkd)$"
)
"""Release notes quote the commands of old versions; the others hold no procedure."""

_HEADINGS: tuple[tuple[Section, re.Pattern[str]], ...] = (
    ("rollback", re.compile(r"(?i)\broll(ing)?[\s-]?back|\bdowngrad|\brevert")),
    ("restore", re.compile(r"(?i)\brestor(e|es|ed|ing|ation)\b|\brecover(y|ing)?\b")),
    (
        "backup",
        re.compile(r"(?i)\bback(ing)?[\s-]?ups?\b|\bsnapshots?\b|\b(database |db )?dumps?\b"),
    ),
    ("migrate", re.compile(r"(?i)\bmigrat(e|es|ion|ions|ing)\b")),
    ("upgrade", re.compile(r"(?i)\bupgrad(e|es|ed|ing)\b|\bupdat(e|es|ing)\b")),
    ("restart", re.compile(r"(?i)\brestart")),
    (
        "deploy",
        re.compile(
            r"(?i)\bsmoke[\s-]?tests?\b|\bverif(y|ying|ied|ication)\b|\bvalidat(e|ing|ion)\b"
            r"|\bhealth(\s?checks?|z)?\b|\bsanity[\s-]?check\w*|\bpost[\s-]?deploy"
            r"|\bliveness\b|\breadiness\b|\bcheck(ing)? (that )?(it|the \w+) (works|is up|runs)"
        ),
    ),
    ("other", re.compile(r"(?i)\btroubleshoot\w*|\bdiagnos\w*|\bdebugging\b")),
)
"""Heading words → the operation a code block under it performs or checks (first match)."""

_BACKUP_WORD = re.compile(r"(?i)\bback(ing)?[\s-]?ups?\b")
_SHELL_INFO = frozenset(
    {
        "",
        "sh",
        "bash",
        "shell",
        "console",
        "shell-session",
        "sh-session",
        "shellsession",
        "zsh",
        "terminal",
        "session",
        "text",
        "bash-session",
    }
)
_SETUP = frozenset(
    {"cd", "mkdir", "export", "set", "source", ".", "sleep", "echo", "pushd", "popd", "clear"}
)
"""Steps around a procedure that confirm nothing on their own."""
_COMMAND_START = re.compile(r"^[\w./~$\"'-]")
_PROMPT = re.compile(r"^(?:\$|[\w@.-]*[$#]|PS>|>)\s+")
_MAX_COMMAND = 400

_COMPOSE_VALUED = frozenset(
    {
        "-e",
        "--env",
        "-u",
        "--user",
        "-w",
        "--workdir",
        "--index",
        "--entrypoint",
        "--tail",
        "-n",
        "--since",
        "--until",
        "--name",
        "-l",
        "--label",
        "-v",
        "--volume",
        "-p",
        "--publish",
        "--timeout",
    }
)
_COMPOSE_GLOBAL = frozenset(
    {"-f", "--file", "-p", "--project-name", "--profile", "--env-file", "--project-directory"}
)
_COMPOSE_SERVICE_VERBS = frozenset(
    {"exec", "run", "logs", "ps", "restart", "up", "stop", "start", "top", "port", "kill", "rm"}
)
_K8S_REF = re.compile(
    r"^(?:deploy|deployment|deployments|statefulset|statefulsets|sts|daemonset|daemonsets|ds|"
    r"svc|service|services|pod|pods|job|jobs|cronjob|cronjobs)(?:\.[\w.]+)?/([a-z0-9][a-z0-9.-]*)$"
)
_K8S_TYPE_NAME = re.compile(
    r"\s(?:deploy|deployment|statefulset|sts|daemonset|ds|service|svc)\s+([a-z0-9][a-z0-9.-]*)(?=\s|$)"
)
_KUBECTL_POD_VERBS = frozenset({"exec", "cp", "logs", "attach", "port-forward"})
_KUBECTL_VALUED = frozenset({"-n", "--namespace", "-c", "--container", "--context", "-l"})
_POD_NAME = re.compile(r"^([a-z0-9][a-z0-9-]*?)(?:-\d+|-[a-z0-9]{6,10}-[a-z0-9]{5})$")
_UNIT = re.compile(r"^([A-Za-z0-9][\w@.-]*?)(?:\.service)?$")

_NAME = re.compile(
    r"^(?:[A-Z][A-Z0-9_]{2,}|--?[a-z][a-z0-9-]*[a-z0-9]|[a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)+"
    r"|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)$"
)
"""A parameter as documents name one: `API_DB_POOL_SIZE`, `--concurrency`, `server.port`,
`max_connections`."""
_LEAD = re.compile(
    r"^\s*(?:>\s*)*(?:[-*+]|\d+[.)])?\s*(?:\*\*|__)?`(?P<name>[^`\s]+)`(?:\*\*|__)?(?=[\s:,—–(-]|$)"
)
"""A paragraph or list item that opens with the parameter it is about (`- **`X`** — …`)."""
_CODE_SPAN = re.compile(r"`([^`\s]+)`")
_DASH = r"\s*(?:–|—|-|to|\.\.)\s*"
RANGES = RangePhrases(
    both=(
        re.compile(rf"(?i)\brange\b(?:\s+is)?\s*:?\s*({NUMBER}){_DASH}({NUMBER})"),
        re.compile(rf"(?i)\bbetween\s+({NUMBER})\s+and\s+({NUMBER})"),
        re.compile(rf"(?i)\bfrom\s+({NUMBER})\s+to\s+({NUMBER})"),
        re.compile(rf"\(\s*({NUMBER})\s*(?:–|—|-|\.\.)\s*({NUMBER})\s*[,;)]"),
    ),
    at_least=re.compile(rf"(?i)\b(?:minimum|min\.?|at least|no less than)\s*:?\s*({NUMBER})\b"),
    at_most=re.compile(rf"(?i)\b(?:maximum|max\.?|at most|no more than)\s*:?\s*({NUMBER})\b"),
)
"""How documents state a safe range: `Safe range: 5–20`, `between 1 and 5`, `(1–16, …)`."""
_CELL_RANGE = re.compile(rf"^\s*({NUMBER})\s*(?:–|—|-|to|\.\.|,)\s*({NUMBER})\s*$")
_NAME_HEADER = re.compile(
    r"(?i)^(name|variable|env(ironment)?( variable)?|parameter|setting|option|flag|key"
    r"|config(uration)?( key| option)?|property)s?$"
)
_MIN_HEADER = re.compile(r"(?i)^(min|minimum|lower( bound)?|min(imum)? value)$")
_MAX_HEADER = re.compile(r"(?i)^(max|maximum|upper( bound)?|max(imum)? value)$")
_RANGE_HEADER = re.compile(r"(?i)^((safe|valid|allowed|supported) )?(range|bounds)$")


@dataclass
class _Heading:
    level: int
    text: str
    line: int


@dataclass
class _Table:
    header: list[str] = field(default_factory=list)
    rows: list[tuple[list[str], int]] = field(default_factory=list)


def section_of(headings: list[_Heading]) -> tuple[Section, _Heading] | None:
    """The operation of the innermost heading that names one."""
    for heading in reversed(headings):
        for operation, pattern in _HEADINGS:
            if pattern.search(heading.text):
                return operation, heading
    return None


def heading_operation(text: str) -> Section | None:
    """The operation a heading's text names (`## Verify a deployment` → deploy), if any."""
    found = section_of([_Heading(2, text, 1)])
    return found[0] if found else None


def service_of_command(words: list[str]) -> str | None:
    """The one service a command acts on (see `_service_of`), or None."""
    return _service_of(words)


def _service_of(words: list[str]) -> str | None:
    """The one service a command acts on, in the deployment's own names: `docker compose exec
    -T postgres …` → postgres, `kubectl exec deploy/api …` → api, `systemctl restart x` → x."""
    if not words:
        return None
    head = words[0].rsplit("/", 1)[-1]
    if head == "sudo":
        rest = words[1:]
        while rest and rest[0].startswith("-"):
            rest = rest[2:] if rest[0] in ("-u", "-g", "--user", "--group") else rest[1:]
        return _service_of(rest)
    if head == "docker-compose" or (head == "docker" and words[1:2] == ["compose"]):
        return _compose_service(words[1 if head == "docker-compose" else 2 :])
    if head in ("kubectl", "oc"):
        named = {m.group(1) for w in words if (m := _K8S_REF.match(w))}
        named |= {m.group(1) for m in _K8S_TYPE_NAME.finditer(" ".join(words))}
        if not named:
            pod = _kubectl_pod(words[1:])
            named = {pod} if pod else set()
        return named.pop() if len(named) == 1 else None
    if head == "systemctl" and len(words) == 3:
        unit = _UNIT.match(words[2])
        return unit.group(1).lower() if unit else None
    if head == "journalctl" and "-u" in words[:-1]:
        unit = _UNIT.match(words[words.index("-u") + 1])
        return unit.group(1).lower() if unit else None
    return None


def _kubectl_pod(args: list[str]) -> str | None:
    """The workload of the pod `kubectl exec|cp|logs POD` names: `redis-0` (a StatefulSet's
    ordinal) → redis, `api-7d9f8b6c5d-x2x4k` (a Deployment's pod) → api."""
    index = 0
    verb: str | None = None
    while index < len(args):
        word = args[index]
        index += 1
        if word.startswith("-"):
            if word in _KUBECTL_VALUED:
                index += 1
            continue
        if verb is None:
            if word not in _KUBECTL_POD_VERBS:
                return None
            verb = word
            continue
        if verb == "cp" and ":" not in word:
            continue  # the local side of the copy
        pod = word.split(":", 1)[0]
        match = _POD_NAME.match(pod)
        return match.group(1) if match else None
    return None


def _compose_service(args: list[str]) -> str | None:
    index = 0
    while index < len(args) and args[index].startswith("-"):
        index += 2 if args[index] in _COMPOSE_GLOBAL else 1
    if index >= len(args) or args[index] not in _COMPOSE_SERVICE_VERBS:
        return None
    verb = args[index]
    index += 1
    named: list[str] = []
    while index < len(args):
        word = args[index]
        if word in ("|", "&&", ";", ">", "<"):
            break
        if word.startswith("-"):
            index += 2 if word in _COMPOSE_VALUED and "=" not in word else 1
            continue
        named.append(word)
        if verb in ("exec", "run"):
            break  # the rest is the command run inside it
        index += 1
    return named[0].lower() if len(named) == 1 else None


_CHECK_WORDS = frozenset(
    {
        "curl",
        "wget",
        "http",
        "grpcurl",
        "grpc_health_probe",
        "pg_isready",
        "mysqladmin",
        "ps",
        "status",
        "logs",
        "grep",
        "test",
        "[",
        "ls",
        "du",
        "df",
        "journalctl",
        "is-active",
        "get",
        "describe",
        "top",
        "--list",
        "--version",
        "version",
        "ping",
        "check",
        "verify",
        "validate",
        "health",
        "healthcheck",
        "diff",
        "sha256sum",
    }
)
"""Commands that read state rather than change it: what confirms an operation worked."""


_ATTRIBUTES = re.compile(r"\s*\{[#.][^}]*\}\s*$")
_ADMONITION = re.compile(r"^\s*(!!!|\?\?\?\+?)\s")
_SENTENCE_END = re.compile(r"[.:,;!?]$")


def looks_like_prose(text: str) -> bool:
    """A sentence in an indented block (a list continuation, a note), not a command."""
    words = text.split()
    if len(words) >= 3 and (_SENTENCE_END.search(text) or re.search(r"[a-z][.,] [A-Za-z]", text)):
        return True
    return len(words) >= 4 and bool(re.match(r"^[A-Z][a-z]+$", words[0])) and words[1].islower()


def _indented_prose(source: SourceFile, token: Token) -> bool:
    """An indented block that is text: under a mkdocs `!!! note` / `??? tip`, or holding a
    sentence (Markdown indents list continuations and notes the way it indents code)."""
    assert token.map is not None
    above = token.map[0] - 1
    while above >= 0 and above < len(source.lines) and not source.lines[above].strip():
        above -= 1
    if 0 <= above < len(source.lines) and _ADMONITION.match(source.lines[above]):
        return True
    return any(looks_like_prose(line.strip()) for line in token.content.splitlines())


_CHECK_PROGRAM = re.compile(r"(?i)check|verif|health|status|ready|probe|smoke")


_COPY = re.compile(
    r"(?i)\b(\w*dump\w*|\w*backup\w*|\w*restore\w*|bgsave|lastsave|snapshot|rsync|"
    r"velero|restic|borg)\b|(?:^|\s)(?:cp|tar|gzip|zstd|aws\s+s3\s+cp)\s"
)
_STATE_CHANGE = re.compile(
    r"(?i)\b(shutdown|scale|patch|apply|delete|rm|drop|truncate|flushall|flushdb|kill|"
    r"config\s+set|rollout\s+restart|stop|restart)\b"
)


def takes_or_restores_a_copy(text: str) -> bool:
    """In a backup/restore section, the commands that make, check or restore a copy
    (`pg_dump`, `BGSAVE`, `kubectl cp`, `pg_restore`), not the surrounding steps that stop,
    scale or reconfigure the service (those are the procedure's own, gated, business)."""
    return bool(_COPY.search(text)) and not _STATE_CHANGE.search(text)


def is_check(words: list[str], text: str) -> bool:
    """`curl …/healthz`, `docker compose ps`, `kubectl rollout status`, `psql -c "SELECT …"`."""
    if any(w.rsplit("/", 1)[-1].lower() in _CHECK_WORDS for w in words):
        return True
    if _CHECK_PROGRAM.search(words[0].rsplit("/", 1)[-1]):
        return True  # `document_sanity_checker`, `./scripts/smoke-test.sh`, `healthcheck.py`
    return bool(re.search(r"(?i)\bselect\b.+\bfrom\b|\bnc\s+-z\b", text))


@dataclass(frozen=True)
class _Command:
    text: str
    start: int
    end: int
    expected: str | None


def commands_in_block(content: str, first_line: int) -> list[_Command]:
    """Commands of a shell code block with their 1-based lines: prompts (`$ `) mark commands
    when present (the other lines are output); `\\` joins lines; a `# …` line right after a
    command is what it prints."""
    lines = content.split("\n")
    prompted = any(_PROMPT.match(line) and line.lstrip().startswith("$") for line in lines)
    out: list[_Command] = []
    index = 0
    while index < len(lines):
        raw = lines[index].rstrip()
        start = first_line + index
        index += 1
        text = raw.strip()
        if prompted:
            if not text.startswith("$"):
                continue
            text = _PROMPT.sub("", text, count=1)
        if not text or text.startswith("#") or not _COMMAND_START.match(text):
            continue
        while text.endswith("\\") and index < len(lines):
            text = text[:-1].rstrip() + " " + lines[index].strip().removeprefix("> ")
            index += 1
        end = first_line + index - 1
        expected = None
        if index < len(lines) and lines[index].strip().startswith("# "):
            expected = lines[index].strip()[2:].strip() or None
        if "<<" in text:
            # A heredoc: its body is input, not commands; skip to its terminator.
            marker = re.search(r"<<-?\s*['\"]?(\w+)", text)
            while marker and index < len(lines) and lines[index].strip() != marker.group(1):
                index += 1
            index += 1
            end = first_line + index - 1
        out.append(_Command(text[:_MAX_COMMAND], start, end, expected))
    return out


class MarkdownDocsAnalyzer:
    """Procedures and documented ranges from Markdown files (README, docs/)."""

    name = "markdown-docs"

    def __init__(self) -> None:
        self._md = MarkdownIt("commonmark").enable("table")

    def accepts(self, source: SourceFile) -> bool:
        return source.suffix in _SUFFIXES and not _NOT_OPERATIONAL.match(source.name)

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        try:
            tokens = self._md.parse(source.text)
        except Exception as exc:  # noqa: BLE001 - a parser bug on odd input must not end the run
            message = f"Markdown not parsed: {type(exc).__name__}: {exc}"[:200]
            result.warn(source, message, None, self.name)
            return result
        headings: list[_Heading] = []
        seen: set[str] = set()
        said = ""
        lead: tuple[str, int, int] | None = None  # the last paragraph: text, first, last line
        table: _Table | None = None
        row: list[str] = []
        for index, token in enumerate(tokens):
            if token.type == "heading_open" and token.map:
                level = int(token.tag[1:])
                text = tokens[index + 1].content if index + 1 < len(tokens) else ""
                while headings and headings[-1].level >= level:
                    headings.pop()
                text = _ATTRIBUTES.sub("", text).strip()  # `## Backups {#backup}`
                headings.append(_Heading(level, text, token.map[0] + 1))
                said = ""  # what the section said so far, for the blocks that follow
                lead = None
            elif token.type in ("fence", "code_block") and token.map:
                self._block(source, result, token, headings, seen)
                _env_example(source, result, token, said)
                _health_probe(source, result, token, headings, lead)
            elif token.type == "paragraph_open" and token.map:
                self._paragraph(source, result, token.map[0] + 1, token.map[1], seen)
                said = (said + " " + " ".join(source.lines[token.map[0] : token.map[1]]))[-600:]
                _dependency_prose(source, result, token.map[0] + 1, token.map[1], headings)
                optional_prose(source, result, token.map[0] + 1, token.map[1])
                lead = (
                    " ".join(source.lines[token.map[0] : token.map[1]]),
                    token.map[0] + 1,
                    token.map[1],
                )
            elif token.type in ("bullet_list_open", "ordered_list_open") and headings:
                dependency_list(source, result, tokens, index, headings[-1].text)
            elif token.type == "table_open":
                table = _Table()
            elif token.type == "tr_open":
                row = []
            elif (
                token.type == "inline"
                and table is not None
                and tokens[index - 1].type
                in (
                    "th_open",
                    "td_open",
                )
            ):
                row.append(token.content)
            elif token.type == "tr_close" and table is not None:
                line = _row_line(tokens, index)
                if not table.header:
                    table.header = row
                else:
                    table.rows.append((row, line))
            elif token.type == "table_close" and table is not None:
                self._table(source, result, table, seen)
                table = None
        return result

    # -- procedures ------------------------------------------------------------------

    def _block(
        self,
        source: SourceFile,
        result: AnalyzerResult,
        token: Token,
        headings: list[_Heading],
        seen: set[str],
    ) -> None:
        info = token.info.strip().split(" ", 1)[0].lower() if token.type == "fence" else ""
        if info not in _SHELL_INFO or token.map is None:
            return
        if token.type == "code_block" and _indented_prose(source, token):
            return
        found = section_of(headings)
        if found is None:
            return
        section, heading = found
        both = section == "restore" and bool(_BACKUP_WORD.search(heading.text))
        procedure = section in ("backup", "restore", "rollback")
        # A fence's content starts on the line after its opening ```; an indented block's
        # on its first line.
        first = token.map[0] + (2 if token.type == "fence" else 1)
        for command in commands_in_block(token.content, first):
            words = split_shell(command.text) or command.text.split()
            if not words or words[0].rsplit("/", 1)[-1] in _SETUP or words[0].endswith(":"):
                continue  # a setup step, or a YAML/config line in an untagged block
            if looks_like_prose(command.text):
                continue  # a stray sentence in an untagged block
            if not is_check(words, command.text) and not (
                procedure and takes_or_restores_a_copy(command.text)
            ):
                continue  # a step of the procedure, not the check that it worked
            operation: Operation = "other" if section == "rollback" else section
            if both:  # "Backup and restore": each command says which it is
                operation = "restore" if re.search(r"(?i)restore", command.text) else "backup"
            what = "rollback" if section == "rollback" else operation
            fact = ValidationMethod(
                service=_service_of(words),
                operation=operation,
                method=command.text,
                expected=command.expected,
                # The command is the method; the summary names only where it is documented
                # (repository text in a title would be Markdown the renderer must escape).
                summary=f"{what} command documented under “{_short(_words_only(heading.text))}” "
                f"in {source.path}",
                citations=[source.cite(command.start, command.end)],
            )
            if fact.id not in seen:
                seen.add(fact.id)
                result.facts.append(fact)

    # -- documented ranges -----------------------------------------------------------

    def _paragraph(
        self, source: SourceFile, result: AnalyzerResult, start: int, end: int, seen: set[str]
    ) -> None:
        """A paragraph or list item that opens with a parameter is about it: a range anywhere
        in it is that parameter's. Otherwise a line naming exactly one parameter and a range."""
        lines = source.lines[start - 1 : end]
        lead = _LEAD.match(lines[0]) if lines else None
        if lead and _NAME.match(lead.group("name")):
            low, high = RANGES(" ".join(lines))
            self._range(source, result, lead.group("name"), low, high, start, end, seen)
            return
        for offset, line in enumerate(lines):
            names = {n for n in _CODE_SPAN.findall(line) if _NAME.match(n)}
            if len(names) != 1:
                continue
            low, high = RANGES(line)
            line_no = start + offset
            self._range(source, result, names.pop(), low, high, line_no, line_no, seen)

    def _table(
        self, source: SourceFile, result: AnalyzerResult, table: _Table, seen: set[str]
    ) -> None:
        header = [_plain(cell) for cell in table.header]
        name_col = next((i for i, h in enumerate(header) if _NAME_HEADER.match(h)), 0)
        min_col = next((i for i, h in enumerate(header) if _MIN_HEADER.match(h)), None)
        max_col = next((i for i, h in enumerate(header) if _MAX_HEADER.match(h)), None)
        range_col = next((i for i, h in enumerate(header) if _RANGE_HEADER.match(h)), None)
        if min_col is None and max_col is None and range_col is None:
            return
        for cells, line in table.rows:
            plain = [_plain(cell) for cell in cells]
            if name_col >= len(plain) or not _NAME.match(plain[name_col]):
                continue
            low = _cell_number(plain, min_col)
            high = _cell_number(plain, max_col)
            if range_col is not None and range_col < len(plain):
                match = _CELL_RANGE.match(plain[range_col])
                if match:
                    low, high = parse_number(match.group(1)), parse_number(match.group(2))
                else:
                    low, high = RANGES(plain[range_col])
            if low is not None and high is not None and low > high:
                continue
            self._range(source, result, plain[name_col], low, high, line, line, seen)

    def _range(
        self,
        source: SourceFile,
        result: AnalyzerResult,
        name: str,
        low: Number | None,
        high: Number | None,
        start: int,
        end: int,
        seen: set[str],
    ) -> None:
        if (low is None and high is None) or name in seen:
            return
        seen.add(name)
        shown = f"{low if low is not None else '…'}–{high if high is not None else '…'}"
        floats = any(isinstance(v, float) for v in (low, high))
        result.facts.append(
            ConfigParameter(
                name=name,
                value_type="float" if floats else "int",
                min=low,
                max=high,
                range_source="documented",
                summary=f"{name} has a documented safe range of {shown} ({source.path})",
                citations=[source.cite(start, end)],
            )
        )


_DEPENDENCY_PROSE = re.compile(
    r"(?i)\b(?:relies|rely|depends?|dependent)\s+on\b"
    r"|\bmust\s+(?:communicate|talk|connect)\s+(?:with|to)\b"
    r"|\b(?:talks?|connects?)\s+to\s+(?:a|an|the|its)\b"
    r"|\b(?:use|start|run|needs?|requires?)\s+(?:a|an|the)\s+(?:[\w-]+\s+)?"
    r"(?:database|db|message\s+broker|broker|cache|queue|search\s+engine)\b"
)
"""Prose that says one program needs another: `relies on`, `must communicate with`, `to use a
MySQL database`. Which services it joins is for the model to read: the lines are a candidate."""
_NOT_A_PROGRAM = re.compile(
    r"(?i)\b(?:header|library|package|crate|module|feature|field|function|format|syntax|"
    r"version|order|value|behaviou?r)s?\b"
)
"""What a `relies on` may be about that is no program to run (`relies on the X-Forwarded-Proto
header`)."""
_HEADING_REACH = 6
"""A paragraph this close under its heading is shown with it (`### Use the 'mysql' profile`)."""


def _dependency_prose(
    source: SourceFile, result: AnalyzerResult, start: int, end: int, headings: list[_Heading]
) -> None:
    """Mark a paragraph that states a dependency in prose as a candidate for the model."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", " ".join(source.lines[start - 1 : end]))
    said = [
        m
        for m in _DEPENDENCY_PROSE.finditer(text)
        if not _NOT_A_PROGRAM.search(text[m.end() : m.end() + 80].split(".")[0])
    ]
    if not said:
        return
    first = start
    if headings and 0 < start - headings[-1].line <= _HEADING_REACH:
        first = headings[-1].line
    result.candidate(source, first, end, "dependency", "prose states a dependency")


def _health_probe(
    source: SourceFile,
    result: AnalyzerResult,
    token: Token,
    headings: list[_Heading],
    lead: tuple[str, int, int] | None,
) -> None:
    """A shell block's connection probe that its heading or the paragraph right above it
    says checks that the program is up (see `_needs.health_probe`)."""
    info = token.info.strip().split(" ", 1)[0].lower() if token.type == "fence" else ""
    if info not in _SHELL_INFO or token.map is None:
        return
    if token.type == "code_block" and _indented_prose(source, token):
        return
    first = token.map[0] + (2 if token.type == "fence" else 1)
    commands = [(c.text, c.start, c.end) for c in commands_in_block(token.content, first)]
    above = lead if lead is not None and 0 <= token.map[0] - lead[2] <= 1 else None
    heading = headings[-1].text if headings else ""
    health_probe(source, result, commands, heading, above[:2] if above else None)


_ENV_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)=(\S*)\s*$")
_SAYS_ENV = re.compile(r"(?i)environment\s+variables?|\benv(?:ironment)?\s+file|\.env\b")


def _env_example(source: SourceFile, result: AnalyzerResult, token: Token, said: str) -> None:
    """A block of nothing but `NAME=value` lines, in a section that speaks of environment
    variables (`set UWSGI_PROCESSES=2 in docker/.env`): settings the docs tell operators to
    make. A document alone is no evidence a setting exists (see `_attach`), so the block is a
    candidate for the model, which reads what the variables configure."""
    if token.map is None or not _SAYS_ENV.search(said):
        return
    lines = [line for line in token.content.splitlines() if line.strip()]
    if not lines or len(lines) > 12 or not all(_ENV_ASSIGNMENT.match(line) for line in lines):
        return
    first = token.map[0] + (2 if token.type == "fence" else 1)
    last = first + len(token.content.rstrip("\n").splitlines()) - 1
    result.candidate(source, first, last, "config_parameter", "environment variables set in docs")


def _row_line(tokens: list[Token], close: int) -> int:
    for back in range(close, -1, -1):
        if tokens[back].type == "tr_open" and tokens[back].map:
            return tokens[back].map[0] + 1  # type: ignore[index]
    return 1


def _plain(cell: str) -> str:
    return cell.strip().strip("*_").strip().strip("`").strip()


def _cell_number(cells: list[str], column: int | None) -> Number | None:
    if column is None or column >= len(cells):
        return None
    return parse_number(cells[column])


def _words_only(text: str) -> str:
    """A heading as plain words: Markdown marks, links and brackets removed."""
    return re.sub(r"[^\w\s,.'&/+-]", "", text).strip()


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


register(MarkdownDocsAnalyzer())
