"""A validation procedure a model read in the documentation: when the cited lines are its proof.

Prose is a claim about the system, not evidence of it — but a validation method *is* a
procedure, and a procedure's authoritative home is often the README. A model claim citing
only documentation is verified as a documented procedure when all of these hold:

- the claimed command is written on the cited lines as code (a code span, or a code block's
  line), not paraphrased;
- it only reads: a command that changes what runs or what is stored (`rm`, `restore`,
  `systemctl stop`, …) never becomes a verified check from documentation alone;
- the text around it is not addressed to an AI or hidden in an HTML comment (an injected
  instruction is not a procedure);
- it belongs under a heading that names an operation (verify, backup, restore, upgrade, …);
- the service is the one the command acts on, or the one the paragraph (else the whole
  section, if it names only one) talks about.

Anything else stays `unverified` with the reason, as before.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from pathlib import PurePosixPath

from ddd_llm.evidence.docs.markdown import heading_operation, service_of_command
from ddd_llm.models import Check, Citation, ConfigParameter, ValidationMethod
from ddd_llm.scan.repotext import RepoText

_DOC_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".rst", ".txt", ".adoc")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ADDRESSED = re.compile(
    r"(?i)\b(ai|llms?|gpt|chatgpt|assistants?|language models?|documentation (tools?|"
    r"generators?)|runbook generators?)\b[^.\n]{0,40}[:,]|ignore (all )?(the )?previous|"
    r"\bnote (to|for) (ai|assistants?|llms?)\b"
)
_PROMPT = re.compile(r"^\s*(?:\$|#|>|PS>)\s+")


def _squash(text: str) -> str:
    return " ".join(text.split())


def heading_above(lines: list[str], first: int) -> str | None:
    """The text of the Markdown heading over line `first` (1-based), outside code fences."""
    return _section(lines, first)[0]


def _section(lines: list[str], first: int) -> tuple[str | None, int, int]:
    """The heading above line `first` (1-based) outside code fences, and its section's span."""
    fenced = False
    heading: tuple[int, str, int] | None = None  # level, text, line
    for number, line in enumerate(lines[: first - 1], start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match:
            heading = (len(match.group(1)), match.group(2), number)
    if heading is None:
        return None, 1, len(lines)
    level, text, start = heading
    end = len(lines)
    fenced = False
    for number in range(first, len(lines) + 1):
        line = lines[number - 1]
        if _FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match and len(match.group(1)) <= level:
            end = number - 1
            break
    return text, start, end


def _lead_in(lines: list[str], first: int) -> list[str]:
    """The paragraph that introduces line `first` (or the code block holding it): the
    non-blank lines just above it."""
    opened: int | None = None
    for number, line in enumerate(lines[: first - 1], start=1):
        if _FENCE.match(line):
            opened = None if opened is not None else number
    if opened is not None:
        first = opened
    out: list[str] = []
    number = first - 1
    while number >= 1 and not lines[number - 1].strip():
        number -= 1
    while number >= 1 and lines[number - 1].strip() and not _HEADING.match(lines[number - 1]):
        out.insert(0, lines[number - 1])
        number -= 1
    return out


def _written_as_code(method: str, cited: list[str]) -> bool:
    want = _squash(_PROMPT.sub("", method))
    if not want:
        return False
    for line in cited:
        spans = re.findall(r"`([^`]+)`", line)
        if any(_squash(s) == want or _squash(_PROMPT.sub("", s)) == want for s in spans):
            return True
        if _squash(_PROMPT.sub("", line)) == want:  # a code block's line
            return True
    joined = _squash(" ".join(_PROMPT.sub("", line).rstrip("\\") for line in cited))
    return joined == want


def _names(text: str, service: str) -> bool:
    return bool(re.search(rf"(?i)(?<![\w]){re.escape(service)}(?![\w])", text))


def _acts_on(method: str) -> str | None:
    try:
        words = shlex.split(method)
    except ValueError:
        words = method.split()
    return service_of_command(words)


def documented_procedure_check(
    claim: ValidationMethod, files: RepoText, services: Iterable[str]
) -> Check | None:
    """Whether documentation alone proves this validation procedure (see the module doc);
    None when the claim cites anything but documentation."""
    citations = list(claim.citations)
    if not citations or any(not c.path.lower().endswith(_DOC_SUFFIXES) for c in citations):
        return None
    from ddd_llm.render.procedures import changing_action  # render imports the verifier

    name = "documented_procedure"
    action = changing_action(claim.method)
    if action is not None:
        return Check(
            name=name,
            passed=False,
            detail=f"`{claim.method}` is a {action}, not a read-only check; "
            "documentation alone does not make it a verified step",
        )
    reasons: list[str] = []
    proven: Citation | None = None
    for c in citations:
        lines = files.lines(c.path) or []
        cited = lines[c.start_line - 1 : c.end_line]
        if not cited:
            continue
        if not _written_as_code(claim.method, cited):
            reasons.append(f"{c} does not write `{claim.method}` as a command")
            continue
        heading, start, end = _section(lines, c.start_line)
        around = "\n".join([*_lead_in(lines, c.start_line), *cited])
        if _ADDRESSED.search(around) or "<!--" in around:
            reasons.append(f"{c} is addressed to a tool or hidden in a comment, not to operators")
            continue
        if heading is None or heading_operation(heading) is None:
            reasons.append(f"{c} is not under a heading that names an operation")
            continue
        if claim.service is not None:
            acts_on = _acts_on(claim.method)
            known = {s.lower() for s in services}
            if acts_on is not None and acts_on.lower() in known:
                if acts_on.lower() != claim.service.lower():
                    reasons.append(f"`{claim.method}` acts on {acts_on}, not {claim.service}")
                    continue
            elif not _names(around, claim.service):
                section = "\n".join(lines[start - 1 : end])
                named = {s for s in known if _names(section, s)}
                if named != {claim.service.lower()}:
                    reasons.append(f"the text around {c} does not say it is {claim.service}'s")
                    continue
        proven = c
        break
    if proven is not None:
        return Check(
            name=name,
            passed=True,
            detail=f"a read-only check documented as a procedure at {proven}",
        )
    return Check(name=name, passed=False, detail="; ".join(reasons) or "nothing cited")


_VALUES_FILE = re.compile(r"(^|/)values[\w.-]*\.ya?ml$")


def chart_reads_check(claim: ConfigParameter, files: RepoText) -> Check | None:
    """A Helm value documented as a commented-out key (`# interval: 30s`) is a parameter when
    the chart's templates read it (`.Values.serviceMonitor.interval`): the template is the
    code evidence. None when the claim does not cite a chart's values file."""
    name = claim.name.strip().lstrip(".")
    if not name or not re.fullmatch(r"[\w-]+(\.[\w-]+)*", name):
        return None
    for c in claim.citations:
        if not _VALUES_FILE.search(c.path):
            continue
        chart = PurePosixPath(c.path).parent
        if not files.exists(str(chart / "Chart.yaml")):
            continue
        templates = f"{chart}/templates/" if str(chart) != "." else "templates/"
        reads = re.compile(rf"\.Values\.{re.escape(name)}(?![\w-])")
        paths = [p for p in files.texts if p.startswith(templates)]
        folder = files.resolve(templates)
        if not paths and folder is not None and folder.is_dir():
            root = files.root.resolve()
            paths = sorted(str(p.relative_to(root)) for p in folder.rglob("*") if p.is_file())
        for path in sorted(paths):
            for number, line in enumerate(files.lines(path) or [], start=1):
                if reads.search(line):
                    return Check(
                        name="code_evidence",
                        passed=True,
                        detail=f"{path}:{number} reads .Values.{name}; {c} documents it",
                    )
    return None
