"""Dockerfile analyzer: the final image's HEALTHCHECK, EXPOSE, USER, VOLUME and ENV."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ddd_llm.evidence.base import (
    AnalyzerResult,
    SourceFile,
    duration_seconds,
    infer_value_type,
    looks_secret,
    register,
)
from ddd_llm.evidence.deploy._command import Word, flag_facts
from ddd_llm.evidence.deploy._interpolate import is_number
from ddd_llm.models import ConfigParameter, FactBase, HealthCheck, ResourceRequirement

_INSTRUCTIONS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)
_DIRECTIVE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_DOCKERFILE_NAME = re.compile(
    r"(?i)^(?:(?:docker|container)file(?:[._-].+)?|.+\.(?:docker|container)file)$"
)
# Documentation or code that merely mentions Dockerfile in its name.
_NOT_DOCKERFILE_SUFFIXES = frozenset(
    {".md", ".rst", ".txt", ".html", ".py", ".sh", ".json", ".yml", ".yaml", ".go", ".js", ".ts"}
)


@dataclass
class Instruction:
    """One logical Dockerfile instruction and the physical lines it spans."""

    keyword: str
    args: str
    start: int
    end: int
    escape: str = "\\"


@dataclass
class _Stage:
    base: str
    name: str | None
    parent: int | None
    instructions: list[Instruction] = field(default_factory=list)


def parse_instructions(
    source: SourceFile, result: AnalyzerResult, analyzer: str
) -> list[Instruction]:
    """Logical instructions with continuations joined, comments and heredoc bodies dropped."""
    lines = source.lines
    escape = "\\"
    index = 0
    # Parser directives only count before the first comment, blank line or instruction.
    while index < len(lines):
        match = _DIRECTIVE.match(lines[index].strip())
        if not match:
            break
        if match.group(1).lower() == "escape" and match.group(2) in ("`", "\\"):
            escape = match.group(2)
        index += 1

    out: list[Instruction] = []
    unknown: list[tuple[int, str]] = []
    while index < len(lines):
        raw = lines[index]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        start = index + 1
        last = index
        pieces: list[str] = []
        text = raw.rstrip()
        while text.endswith(escape):
            pieces.append(text[: -len(escape)].strip())
            index += 1
            # A comment or blank line inside a continuation is dropped, not a terminator.
            while index < len(lines) and (
                not lines[index].strip() or lines[index].strip().startswith("#")
            ):
                index += 1
            if index >= len(lines):
                text = ""
                break
            last = index
            text = lines[index].rstrip()
        pieces.append(text.strip())
        end = last + 1
        index = last + 1
        logical = " ".join(piece for piece in pieces if piece)
        word, _, rest = logical.partition(" ")
        keyword = word.upper()
        if keyword not in _INSTRUCTIONS:
            unknown.append((start, word[:40]))
            continue
        out.append(Instruction(keyword, rest.strip(), start, end, escape))
        if keyword in ("RUN", "COPY", "ADD"):
            index, end = _skip_heredocs(lines, index, rest)
            out[-1].end = max(out[-1].end, end)
    if unknown:
        line, word = unknown[0]
        more = f" and {len(unknown) - 1} more line(s)" if len(unknown) > 1 else ""
        result.warn(
            source,
            f"not a Dockerfile instruction: {word!r}{more}",
            line,
            analyzer,
        )
    return out


def _skip_heredocs(lines: list[str], index: int, args: str) -> tuple[int, int]:
    """Skip the bodies of `RUN <<EOF` heredocs; returns the next index and the last line used."""
    end = index
    for match in _HEREDOC.finditer(args):
        strip_tabs = match.group(1) == "-"
        delimiter = match.group(3)
        while index < len(lines):
            body = lines[index].lstrip("\t") if strip_tabs else lines[index]
            index += 1
            end = index
            if body.rstrip() == delimiter:
                break
    return index, end


def _split_stages(instructions: list[Instruction]) -> list[_Stage]:
    stages: list[_Stage] = []
    for inst in instructions:
        if inst.keyword == "FROM":
            words = [w for w in inst.args.split() if not w.startswith("--")]
            base = words[0].lower() if words else ""
            name = None
            if len(words) >= 3 and words[1].lower() == "as":
                name = words[2].lower()
            parent = next(
                (i for i in range(len(stages) - 1, -1, -1) if stages[i].name == base), None
            )
            stages.append(_Stage(base, name, parent))
        elif stages:
            stages[-1].instructions.append(inst)
        elif inst.keyword != "ARG":
            # Instructions before any FROM: keep them in an implicit stage rather than lose them.
            stages.append(_Stage("", None, None, [inst]))
    return stages


def _runtime_chain(stages: list[_Stage]) -> list[_Stage]:
    """The final stage and the earlier stages it is built FROM, oldest first."""
    if not stages:
        return []
    chain = [stages[-1]]
    seen = {len(stages) - 1}
    parent = stages[-1].parent
    while parent is not None and parent not in seen:
        seen.add(parent)
        chain.append(stages[parent])
        parent = stages[parent].parent
    return list(reversed(chain))


def _words(text: str, escape: str = "\\") -> list[str]:
    """Shell-like words: quotes group and are removed, the escape character escapes."""
    words: list[str] = []
    current: list[str] = []
    quote: str | None = None
    in_word = False
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == quote:
                quote = None
            elif char == escape and quote == '"' and i + 1 < len(text):
                i += 1
                current.append(text[i])
            else:
                current.append(char)
        elif char in ("'", '"'):
            quote = char
            in_word = True
        elif char == escape and i + 1 < len(text):
            i += 1
            current.append(text[i])
            in_word = True
        elif char.isspace():
            if in_word:
                words.append("".join(current))
                current = []
                in_word = False
        else:
            current.append(char)
            in_word = True
        i += 1
    if in_word:
        words.append("".join(current))
    return words


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in ("'", '"'):
        return text[1:-1]
    return text


def _json_list(text: str) -> list[str] | None:
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def parse_env(args: str, escape: str = "\\") -> list[tuple[str, str]]:
    """`ENV K=V K2="v 2"` pairs, or the legacy `ENV K the rest` form."""
    first = args.split(None, 1)
    if not first:
        return []
    if "=" not in first[0]:
        value = first[1] if len(first) > 1 else ""
        return [(first[0], _unquote(value))]
    pairs: list[tuple[str, str]] = []
    for word in _words(args, escape):
        name, sep, value = word.partition("=")
        if sep and name:
            pairs.append((name, value))
    return pairs


_REFERENCE = re.compile(
    r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)"
)


def parse_arg(args: str) -> tuple[str, str | None] | None:
    """`ARG NAME=default` → (NAME, default); `ARG NAME` → (NAME, None)."""
    words = args.split(None, 1)
    if not words:
        return None
    name, sep, value = words[0].partition("=")
    if not name:
        return None
    return name, _unquote(value) if sep else None


def expand(value: str, scope: dict[str, str | None]) -> str | None:
    """`${VAR}`, `$VAR`, `${VAR:-d}`, `${VAR:+d}` filled from the build args and ENV so far.

    A variable the Dockerfile never declares (`$PATH`) is kept as written; one declared
    by an `ARG` without a default has no value before build time, so a value that is only
    that reference is None.
    """
    unknown = False

    def repl(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1) or match.group(4)
        if name not in scope:
            return match.group(0)
        current = scope[name]
        operator, word = match.group(2), match.group(3) or ""
        if operator in (":-", "-"):
            unset = current is None or (operator == ":-" and current == "")
            return word if unset else str(current)
        if operator in (":+", "+"):
            unset = current is None or (operator == ":+" and current == "")
            return "" if unset else word
        if current is None:
            unknown = True
            return match.group(0)
        return current

    expanded = _REFERENCE.sub(repl, value)
    if unknown and not _REFERENCE.sub("", expanded).strip():
        return None
    return expanded


@dataclass
class _Healthcheck:
    inst: Instruction
    command: str
    interval: int | float | None
    timeout: int | float | None
    start_period: int | float | None
    retries: int | None


def _parse_healthcheck(
    inst: Instruction, source: SourceFile, result: AnalyzerResult, analyzer: str
) -> _Healthcheck | None:
    """A HEALTHCHECK CMD with its options; None for `HEALTHCHECK NONE` or a malformed one."""
    rest = inst.args
    options: dict[str, str] = {}
    while rest.startswith("--"):
        word, _, rest = rest.partition(" ")
        rest = rest.lstrip()
        name, sep, value = word[2:].partition("=")
        if not sep:
            value, _, rest = rest.partition(" ")
            rest = rest.lstrip()
        options[name.lower()] = _unquote(value)
    keyword, _, command = rest.partition(" ")
    if keyword.upper() == "NONE":
        return None
    if keyword.upper() != "CMD" or not command.strip():
        result.warn(source, "HEALTHCHECK without a CMD", inst.start, analyzer)
        return None
    command = command.strip()
    exec_form = _json_list(command)
    if exec_form is not None:
        command = " ".join(exec_form)

    def seconds(option: str) -> int | float | None:
        if option not in options:
            return None
        value = duration_seconds(options[option])
        if value is None:
            result.warn(
                source,
                f"HEALTHCHECK --{option}={options[option]} is not a duration",
                inst.start,
                analyzer,
            )
        return value

    retries: int | None = None
    if "retries" in options:
        if is_number(options["retries"]):
            retries = int(options["retries"])
        else:
            result.warn(
                source,
                f"HEALTHCHECK --retries={options['retries']} is not a number",
                inst.start,
                analyzer,
            )
    return _Healthcheck(
        inst,
        command,
        seconds("interval"),
        seconds("timeout"),
        seconds("start-period"),
        retries,
    )


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    sample = text[:4096]
    controls = sum(1 for char in sample if ord(char) < 32 and char not in "\t\n\r\f")
    return bool(sample) and controls / len(sample) > 0.05


def _fmt_seconds(value: int | float) -> str:
    return f"{value}s"


class DockerfileAnalyzer:
    """Reads what the built image states about running it; build-only stages are ignored."""

    name = "dockerfile"

    def accepts(self, source: SourceFile) -> bool:
        if not _DOCKERFILE_NAME.match(source.name):
            return False
        lower = source.name.lower()
        if lower.endswith(("dockerfile", "containerfile")):
            return True
        return source.suffix not in _NOT_DOCKERFILE_SUFFIXES

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        if _looks_binary(source.text):
            result.warn(source, "not a text Dockerfile (binary content)", None, self.name)
            return result
        instructions = parse_instructions(source, result, self.name)
        if not instructions:
            if not result.warnings:
                result.warn(source, "Dockerfile has no instructions", None, self.name)
            return result
        stages = _split_stages(instructions)
        if not any(inst.keyword == "FROM" for inst in instructions):
            result.warn(
                source, "Dockerfile has no FROM instruction", instructions[0].start, self.name
            )

        scope: dict[str, str | None] = {}
        for inst in instructions:
            if inst.keyword == "FROM":
                break
            declared = parse_arg(inst.args) if inst.keyword == "ARG" else None
            if declared is not None:
                scope[declared[0]] = declared[1]
        global_args = dict(scope)
        env: dict[str, tuple[str | None, Instruction]] = {}
        ports: dict[str, Instruction] = {}
        volumes: dict[str, Instruction] = {}
        user: tuple[str, Instruction] | None = None
        health: _Healthcheck | None = None
        run: dict[str, Instruction] = {}
        for stage in _runtime_chain(stages):
            for inst in stage.instructions:
                if inst.keyword == "ARG":
                    declared = parse_arg(inst.args)
                    if declared is not None:
                        name, value = declared
                        # `ARG NAME` inside a stage brings the global default into it
                        scope[name] = value if value is not None else global_args.get(name)
                elif inst.keyword == "ENV":
                    pairs = parse_env(inst.args, inst.escape)
                    if not pairs:
                        result.warn(source, "ENV without a variable", inst.start, self.name)
                    for name, value in pairs:
                        expanded = expand(value, scope)
                        env.pop(name, None)  # a redefinition moves to where it now is
                        env[name] = (expanded, inst)
                        scope[name] = expanded
                elif inst.keyword == "EXPOSE":
                    for word in _words(inst.args, inst.escape):
                        port = expand(word, scope)
                        if port:
                            # `7700/tcp` is `7700` (TCP is EXPOSE's default); `53/udp` stays
                            port = re.sub(r"(?i)/tcp$", "", port)
                            ports.setdefault(port, inst)
                elif inst.keyword == "VOLUME":
                    paths = _json_list(inst.args)
                    for path in paths if paths is not None else _words(inst.args, inst.escape):
                        if path:
                            volumes.setdefault(path, inst)
                elif inst.keyword == "WORKDIR" and stage is stages[-1]:
                    path = expand(inst.args.strip(), scope) or inst.args.strip()
                    if path and _DATA_COMMENT.search(_comment_above(source, inst.start)):
                        # `# This directory should hold all the data` above a WORKDIR:
                        # where the data lives, to mount so it survives the container
                        volumes.setdefault(path, inst)
                elif inst.keyword == "USER":
                    name = expand(inst.args.strip(), scope) or inst.args.strip()
                    if name:
                        user = (name, inst)
                    else:
                        result.warn(source, "USER without a name", inst.start, self.name)
                elif inst.keyword == "HEALTHCHECK":
                    health = _parse_healthcheck(inst, source, result, self.name)
                elif inst.keyword in ("CMD", "ENTRYPOINT"):
                    run[inst.keyword] = inst

        if health is not None:
            summary = f"{source.path} health check runs `{health.command}`"
            if health.interval is not None:
                summary += f" every {_fmt_seconds(health.interval)}"
            details = []
            if health.timeout is not None:
                details.append(f"timeout {_fmt_seconds(health.timeout)}")
            if health.retries is not None:
                details.append(f"{health.retries} retries")
            if health.start_period is not None:
                details.append(f"start period {_fmt_seconds(health.start_period)}")
            if details:
                summary += f" ({', '.join(details)})"
            result.facts.append(
                HealthCheck(
                    check_type="exec",
                    target=health.command,
                    interval_s=health.interval,
                    timeout_s=health.timeout,
                    failure_threshold=health.retries,
                    mechanism="dockerfile-healthcheck",
                    summary=summary,
                    citations=[source.cite(health.inst.start, health.inst.end)],
                )
            )
        for port, inst in ports.items():
            result.facts.append(
                ResourceRequirement(
                    resource="port",
                    value=port,
                    summary=f"{source.path} exposes port {port}",
                    citations=[source.cite(inst.start, inst.end)],
                )
            )
        for path, inst in volumes.items():
            result.facts.append(
                ResourceRequirement(
                    resource="volume",
                    value=path,
                    summary=f"{source.path} declares volume {path}",
                    citations=[source.cite(inst.start, inst.end)],
                )
            )
        if user is not None:
            name, inst = user
            result.facts.append(
                ResourceRequirement(
                    resource="permission",
                    value=f"user:{name}",
                    summary=f"{source.path} runs as user {name}",
                    citations=[source.cite(inst.start, inst.end)],
                )
            )
        result.facts.extend(_command_flags(source, run))
        result.facts.extend(_build_args(source, instructions, env))
        for name, (value, inst) in env.items():
            secret = looks_secret(name, value)
            if secret:
                shown = "(secret, value withheld)"
            elif value is None:
                shown = "from a build argument with no default"
            else:
                shown = f"= {value!r}"
            result.facts.append(
                ConfigParameter(
                    name=name,
                    value_type=infer_value_type(value),
                    default=value,
                    secret=secret,
                    summary=f"{source.path} sets environment variable {name} {shown}",
                    citations=[source.cite(inst.start, inst.end)],
                )
            )
        return result


_DATA_COMMENT = re.compile(
    r"(?is)\b(hold|holds|store|stores|keep|keeps|persist|persists|live|lives)\b.{0,40}\bdata\b"
    r"|\bdata\b.{0,40}\b(stored|kept|persisted|lives)\b"
)


def _comment_above(source: SourceFile, line: int) -> str:
    """The `#` comment lines right above `line` (1-based), joined."""
    found: list[str] = []
    index = line - 2
    while index >= 0 and source.lines[index].lstrip().startswith("#"):
        found.append(source.lines[index].lstrip("# \t"))
        index -= 1
    return " ".join(reversed(found))


_PREDEFINED_ARGS = re.compile(
    r"^(TARGET|BUILD)(PLATFORM|OS|ARCH|VARIANT)$|^(HTTPS?|FTP|NO|ALL)_PROXY$", re.I
)
"""Arguments BuildKit or Docker fill in themselves (platform, proxies): not set by a person."""


def _build_args(
    source: SourceFile,
    instructions: list[Instruction],
    env: dict[str, tuple[str | None, Instruction]],
) -> list[FactBase]:
    """Every `ARG` of every stage: a value the person building the image passes with
    `--build-arg` (the first declaration with a default gives it). A name the image also
    sets as ENV is that variable's parameter already."""
    found: dict[str, tuple[str | None, Instruction]] = {}
    for inst in instructions:
        declared = parse_arg(inst.args) if inst.keyword == "ARG" else None
        if declared is None or _PREDEFINED_ARGS.match(declared[0]) or declared[0] in env:
            continue
        name, value = declared
        known = found.get(name)
        if known is None or (known[0] is None and value is not None):
            found[name] = (value, inst)
    facts: list[FactBase] = []
    for name, (value, inst) in found.items():
        secret = looks_secret(name, value)
        shown = "" if value is None or secret else f" (default {value!r})"
        facts.append(
            ConfigParameter(
                name=name,
                value_type=infer_value_type(value),
                default=None if secret else value,
                secret=secret,
                summary=f"{source.path} build argument {name}{shown}, set with --build-arg",
                citations=[source.cite(inst.start, inst.end)],
            )
        )
    return facts


def _command_words(source: SourceFile, inst: Instruction) -> tuple[list[Word], bool]:
    """An instruction's command as the container runs it, and whether it is the exec form
    (a shell-form command runs as `/bin/sh -c "…"`)."""
    cite = source.cite(inst.start, inst.end)
    exec_form = _json_list(inst.args.strip())
    if exec_form is not None:
        return [Word(w, cite) for w in exec_form], True
    return [Word(w, cite) for w in ("/bin/sh", "-c", inst.args.strip())], False


def _command_flags(source: SourceFile, run: dict[str, Instruction]) -> list[FactBase]:
    """Flags of the final ENTRYPOINT (exec form: with CMD as its arguments) or CMD."""
    words: list[Word] = []
    entry = run.get("ENTRYPOINT")
    takes_cmd = True
    if entry is not None and entry.args.strip():
        words, takes_cmd = _command_words(source, entry)
    if "CMD" in run and takes_cmd:
        words += _command_words(source, run["CMD"])[0]
    return flag_facts(words, None, source.path) if words else []


register(DockerfileAnalyzer())
