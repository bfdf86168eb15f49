"""Terraform `variable` blocks: a module's inputs as config parameters, with their type,
default, description, `sensitive` flag and the bounds their `validation` conditions declare.

python-hcl2 parses the file; it gives no line numbers, so each fact cites the block found
by its `variable "name" {` line through to its closing brace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import hcl2

from ddd_llm.evidence.base import AnalyzerResult, SourceFile, parse_number, register
from ddd_llm.evidence.config_files._common import (
    TEST_DIRS,
    Setting,
    parameters,
    port_fact,
    port_number,
)
from ddd_llm.models import ConfigParameter, Dependency, FactBase, Number, ValueType

_VAR = r"var\.([A-Za-z_][\w-]*)"
_NUM = r"(-?\d+(?:\.\d+)?)"
_BOUND = re.compile(
    rf"^\(?\s*(?:{_VAR}\s*(>=|>|<=|<)\s*{_NUM}|{_NUM}\s*(>=|>|<=|<)\s*{_VAR})\s*\)?$"
)
_CONTAINS = re.compile(rf"^contains\(\s*\[(.*)\]\s*,\s*{_VAR}\s*\)$", re.DOTALL)
_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}


def _unwrap(value: Any) -> Any:
    """python-hcl2 8 writes strings with their quotes and expressions as `${...}`; older
    versions without. Either way: the text an operator would read."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("${") and text.endswith("}"):
            text = text[2:-1].strip()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]
        return text
    return value


def declared_bounds(condition: str, name: str) -> tuple[Number | None, Number | None]:
    """`var.x >= 1 && var.x <= 100` → (1, 100); strict `>`/`<` on whole numbers move by one;
    anything that is not a plain bound on `var.name` gives (None, None)."""
    low: Number | None = None
    high: Number | None = None
    for part in re.split(r"\s*&&\s*", condition.strip()):
        match = _BOUND.match(part)
        if match is None:
            return None, None
        if match.group(1) is not None:
            var, op, number = match.group(1), match.group(2), match.group(3)
        else:
            number, op, var = match.group(4), _FLIP[match.group(5)], match.group(6)
        value = parse_number(number)
        if var != name or value is None:
            return None, None
        strict = op in (">", "<")
        if strict and isinstance(value, float):
            return None, None  # `> 0.5` has no smallest allowed value
        if op.startswith(">"):
            low = value + 1 if strict else value
        else:
            high = value - 1 if strict else value
    return low, high


def allowed_from(condition: str, name: str) -> list[str] | None:
    """`contains(["dev", "prod"], var.env)` → ["dev", "prod"]."""
    match = _CONTAINS.match(condition.strip())
    if match is None or match.group(2) != name:
        return None
    items = [i.strip().strip('"') for i in match.group(1).split(",") if i.strip()]
    return items or None


def _value_type(type_text: str, default: Any) -> ValueType:
    head = type_text.split("(", 1)[0].strip()
    if head == "number":
        return "float" if isinstance(default, float) else "int"
    if head == "bool":
        return "bool"
    if head in ("list", "set", "tuple"):
        return "list"
    return "string"


def _default_text(value: Any) -> str | None:
    value = _unwrap(value)
    if value is None or value == "null":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return _hcl_literal(value)
    return str(value)


def _hcl_literal(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_hcl_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(
            f"{k} = {_hcl_literal(v)}" for k, v in value.items() if k != "__is_block__"
        )
        return "{" + inner + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = _unwrap(value)
    return f'"{text}"' if isinstance(value, str) and not str(value).startswith("${") else str(text)


class TerraformAnalyzer:
    """`variable` blocks of `.tf` files (a module's operator-facing inputs).

    A variable declared `default = null` often gets its real default where the module uses
    it: `coalesce(var.port, local.port)` with `local.port = var.engine == "memcached" ? 11211
    : 6379`. Each file's facts are reported as read; `finish()`, once every file of the
    module was read, gives such a variable the value every use of it falls back to (the
    conditionals evaluated with the other variables' defaults), and leaves it alone when the
    uses disagree or cannot be evaluated."""

    name = "terraform"

    def __init__(self) -> None:
        self.modules: dict[str, _Module] = {}

    def accepts(self, source: SourceFile) -> bool:
        return (
            source.suffix == ".tf"
            and bool(_BLOCK.search(source.text) or _FACT_BLOCKS.search(source.text))
            and not TEST_DIRS.search(source.path)
        )

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        try:
            data = hcl2.loads(source.text)
        except Exception as exc:  # noqa: BLE001 - lark raises many error types
            line = getattr(exc, "line", None)
            result.warn(
                source,
                f"not valid HCL ({type(exc).__name__}: {_first_line(exc)}); fix the block",
                line if isinstance(line, int) and line > 0 else None,
                self.name,
            )
            for match in _BLOCK.finditer(source.text):
                line = source.line_of_offset(match.start())
                result.candidate(
                    source,
                    line,
                    _block_end(source.lines, line),
                    "config_parameter",
                    "variable block in a file HCL could not parse",
                )
            return result
        facts: list[FactBase] = []
        module = self.modules.setdefault(str(PurePosixPath(source.path).parent), _Module())
        module.read_uses(source.text)
        if isinstance(data, dict):
            facts.extend(_requirements(source, data))
            facts.extend(_ports(source, data))
            module.read_locals(data)
        for block in data.get("variable", []) if isinstance(data, dict) else []:
            if not isinstance(block, dict):
                continue
            for raw_name, body in block.items():
                name = str(_unwrap(raw_name))
                if isinstance(body, dict):
                    found = self._variable(source, name, body)
                    module.declare(name, body, found)
                    facts.extend(found)
        result.facts.extend(facts)
        return result

    def finish(self) -> AnalyzerResult:
        """The defaults of `null` variables that the module's uses fall back to (set on the
        facts already reported: they are the same objects)."""
        for module in self.modules.values():
            module.settle()
        self.modules.clear()
        return AnalyzerResult()

    def _variable(self, source: SourceFile, name: str, body: dict[str, Any]) -> list[FactBase]:
        start = _block_line(source, name)
        end = _block_end(source.lines, start)
        default = _default_text(body.get("default"))
        type_text = str(_unwrap(body.get("type", "")) or "")
        low: Number | None = None
        high: Number | None = None
        allowed: list[str] | None = None
        for rule in body.get("validation", []) or []:
            if not isinstance(rule, dict):
                continue
            condition = str(_unwrap(rule.get("condition", "")))
            found_low, found_high = declared_bounds(condition, name)
            low = found_low if found_low is not None else low
            high = found_high if found_high is not None else high
            allowed = allowed_from(condition, name) or allowed
        sensitive = body.get("sensitive") in (True, "true")
        setting = Setting(
            name=name,
            value=default,
            start=start,
            end=end,
            description=str(_unwrap(body.get("description", "")) or ""),
            secret=sensitive,
            required="default" not in body,
            value_type="enum" if allowed else _value_type(type_text, body.get("default")),
            allowed=allowed,
            low=low,
            high=high,
            range_source="declared" if (low, high) != (None, None) else None,
        )
        return list(parameters(source, setting, "Terraform variable"))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:120] if text else "no detail"


_BLOCK = re.compile(r'(?m)^[ \t]*variable\s+"([^"]+)"\s*\{')
_FACT_BLOCKS = re.compile(r"(?m)^[ \t]*(terraform|locals)\s*\{")
_PORT_KEY = re.compile(r"^(?:\w+_)?port$")
_NOT_PORT_KEY = frozenset({"from_port", "to_port"})  # a security-group rule's range
_PORT_LITERAL = re.compile(r"(?<![\w.\"])(\d{2,5})(?![\w.\"])")


def _requirements(source: SourceFile, data: dict[str, Any]) -> list[FactBase]:
    """`terraform { required_version, required_providers }`: what must be installed before
    `terraform init` can run the module."""
    facts: list[FactBase] = []
    for block in data.get("terraform", []) or []:
        if not isinstance(block, dict):
            continue
        version = _unwrap(block.get("required_version"))
        if isinstance(version, str) and version:
            line = _key_line(source, "required_version")
            facts.append(
                Dependency(
                    summary=f"needs Terraform {version}",
                    citations=[source.cite(line, line)],
                    target="terraform",
                    dependency_type="start_order",
                )
            )
        for providers in block.get("required_providers", []) or []:
            if not isinstance(providers, dict):
                continue
            for name, spec in providers.items():
                if name.startswith("__"):
                    continue
                spec = spec if isinstance(spec, dict) else {"version": spec}
                where = _unwrap(spec.get("source")) or name
                wanted = _unwrap(spec.get("version"))
                line = _key_line(source, name, opening=True)
                facts.append(
                    Dependency(
                        summary=f"needs provider {where}" + (f" {wanted}" if wanted else ""),
                        citations=[source.cite(line, _block_end(source.lines, line))],
                        target=str(name),
                        dependency_type="start_order",
                    )
                )
    return facts


def _ports(source: SourceFile, data: dict[str, Any]) -> list[FactBase]:
    """Port numbers a module's `locals` write for a `port` (`port = var.engine == "memcached"
    ? 11211 : 6379`): the ports the resources it creates listen on."""
    facts: list[FactBase] = []
    for block in data.get("locals", []) or []:
        if not isinstance(block, dict):
            continue
        for key, value in block.items():
            if not _PORT_KEY.match(key) or key in _NOT_PORT_KEY:
                continue
            line = _key_line(source, key)
            for literal in _PORT_LITERAL.findall(str(_unwrap(value))):
                port = port_number(literal)
                if port is not None:
                    facts.append(port_fact(source, port, line, line, f"local.{key}"))
    return facts


def _key_line(source: SourceFile, key: str, *, opening: bool = False) -> int:
    tail = r"\s*=\s*\{" if opening else r"\s*="
    match = re.search(rf"(?m)^[ \t]*{re.escape(key)}{tail}", source.text)
    return source.line_of_offset(match.start()) if match else 1


def _block_line(source: SourceFile, name: str) -> int:
    pattern = re.compile(rf'(?m)^[ \t]*variable\s+"?{re.escape(name)}"?\s*\{{')
    match = pattern.search(source.text)
    return source.line_of_offset(match.start()) if match else 1


def _block_end(lines: list[str], start: int) -> int:
    """The line of the brace that closes the block opened on line `start` (1-based)."""
    depth = 0
    opened = False
    for index in range(start - 1, len(lines)):
        clean = re.sub(r'"(?:\\.|[^"\\])*"|#.*$|//.*$', "", lines[index])
        opened = opened or "{" in clean
        depth += clean.count("{") - clean.count("}")
        if opened and depth <= 0:
            return index + 1
    return start


_LITERAL = re.compile(r'^(?:"(?P<s>[^"$]*)"|(?P<n>-?\d+(?:\.\d+)?)|(?P<b>true|false))$')
_REF = re.compile(r"^(var|local)\.([A-Za-z_][\w-]*)$")
_CONDITION = re.compile(
    r"^(?P<neg>!)?var\.(?P<var>[A-Za-z_][\w-]*)"
    r'(?:\s*(?P<op>==|!=)\s*(?P<lit>"[^"]*"|-?\d+(?:\.\d+)?|true|false|null))?$'
)
_MAX_USES = 5000


@dataclass
class _Module:
    """One folder's variables, locals and the `coalesce(var.x, …)` fallbacks of its uses."""

    declared: dict[str, str | None] = field(default_factory=dict)
    """variable → its declared default (None: `null` or none)."""
    facts: dict[str, list[FactBase]] = field(default_factory=dict)
    locals: dict[str, str] = field(default_factory=dict)
    fallbacks: dict[str, list[list[str]]] = field(default_factory=dict)
    """variable → for each `coalesce(var.x, a, b)`: the arguments after it."""

    def declare(self, name: str, body: dict[str, Any], facts: list[FactBase]) -> None:
        self.declared[name] = _default_text(body.get("default"))
        self.facts[name] = facts

    def read_locals(self, data: dict[str, Any]) -> None:
        for block in data.get("locals", []) or []:
            if isinstance(block, dict):
                for key, value in block.items():
                    if not key.startswith("__") and isinstance(value, (str, int, float, bool)):
                        self.locals[key] = _expression(value)

    def read_uses(self, text: str) -> None:
        for arguments in _calls(text, "coalesce"):
            head = _REF.match(arguments[0]) if arguments else None
            if head is not None and head.group(1) == "var" and len(arguments) > 1:
                uses = self.fallbacks.setdefault(head.group(2), [])
                if len(uses) < _MAX_USES:
                    uses.append(arguments[1:])

    def settle(self) -> None:
        for name, uses in self.fallbacks.items():
            if name not in self.declared or self.declared[name] is not None:
                continue
            values = {self._first_set(rest) for rest in uses}
            if len(values) != 1 or None in values:
                continue  # uses that disagree, or one that cannot be evaluated
            value = values.pop()
            if value is None:
                continue
            for fact in self.facts.get(name, []):
                if isinstance(fact, ConfigParameter) and not fact.secret and fact.name == name:
                    old = fact.default
                    fact.default = value
                    fact.summary = _with_default(fact.summary, name, old, value)

    def _first_set(self, arguments: list[str]) -> str | None:
        """What `coalesce` gives with every variable at its default: the first argument that
        is neither null nor ""; None when there is none or one cannot be evaluated."""
        for argument in arguments:
            value, known = self._evaluate(argument, depth=0)
            if not known:
                return None
            if value:  # Terraform's coalesce skips null and "" alike
                return value
        return None

    def _evaluate(self, text: str, depth: int) -> tuple[str | None, bool]:
        """(value, whether it could be evaluated) of a literal, `var.x`, `local.y` or
        `cond ? a : b` whose condition tests a variable against a literal."""
        text = text.strip()
        while text.startswith("(") and text.endswith(")"):
            text = text[1:-1].strip()
        if depth > 8:
            return None, False
        if text == "null":
            return None, True
        literal = _LITERAL.match(text)
        if literal is not None:
            return next(g for g in literal.groups() if g is not None), True
        ref = _REF.match(text)
        if ref is not None:
            kind, name = ref.groups()
            if kind == "var":
                return (self.declared[name], True) if name in self.declared else (None, False)
            if name in self.locals:
                return self._evaluate(self.locals[name], depth + 1)
            return None, False
        parts = _conditional(text)
        if parts is None:
            return None, False
        chosen = self._test(parts[0])
        if chosen is None:
            return None, False
        return self._evaluate(parts[1] if chosen else parts[2], depth + 1)

    def _test(self, condition: str) -> bool | None:
        match = _CONDITION.match(condition.strip())
        if match is None or match.group("var") not in self.declared:
            return None
        value = self.declared[match.group("var")]
        if match.group("op") is None:
            if value not in ("true", "false"):
                return None
            truth = value == "true"
            return not truth if match.group("neg") else truth
        if match.group("neg"):
            return None
        literal = match.group("lit").strip('"')
        equal = (value is None) if literal == "null" else (value == literal)
        return equal if match.group("op") == "==" else not equal


def _expression(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = value.strip()
    if text.startswith("${") and text.endswith("}") and text.count("${") == 1:
        return text[2:-1].strip()
    return text


def _calls(text: str, function: str) -> list[list[str]]:
    """The top-level arguments of every `function(…)` call in HCL text (strings and nested
    parentheses, brackets and braces kept whole)."""
    found: list[list[str]] = []
    for match in re.finditer(rf"(?<![\w.]){function}\s*\(", text):
        arguments: list[str] = []
        depth, start, index, quote = 0, match.end(), match.end(), False
        while index < len(text):
            char = text[index]
            if quote:
                if char == "\\":
                    index += 1
                elif char == '"':
                    quote = False
            elif char == '"':
                quote = True
            elif char in "([{":
                depth += 1
            elif char in ")]}":
                if depth == 0:
                    arguments.append(text[start:index].strip())
                    break
                depth -= 1
            elif char == "," and depth == 0:
                arguments.append(text[start:index].strip())
                start = index + 1
            index += 1
        if arguments and all(arguments):
            found.append(arguments)
    return found


def _conditional(text: str) -> tuple[str, str, str] | None:
    """`cond ? a : b` split at its top-level `?` and `:` (None for anything else)."""
    depth, quote, question = 0, False, -1
    for index, char in enumerate(text):
        if quote:
            quote = char != '"'
        elif char == '"':
            quote = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and char == "?" and question < 0:
            question = index
        elif depth == 0 and char == ":" and question >= 0:
            return text[:question], text[question + 1 : index], text[index + 1 :]
    return None


def _with_default(summary: str, name: str, old: str | None, new: str) -> str:
    if old is not None and f"default {old}" in summary:
        return summary.replace(f"default {old}", f"default {new}", 1)
    return summary.replace(name, f"{name} default {new}", 1)


register(TerraformAnalyzer())
