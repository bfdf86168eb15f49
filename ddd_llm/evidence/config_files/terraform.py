"""Terraform `variable` blocks: a module's inputs as config parameters, with their type,
default, description, `sensitive` flag and the bounds their `validation` conditions declare.

python-hcl2 parses the file; it gives no line numbers, so each fact cites the block found
by its `variable "name" {` line through to its closing brace.
"""

from __future__ import annotations

import re
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
from ddd_llm.models import Dependency, FactBase, Number, ValueType

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
    """`variable` blocks of `.tf` files (a module's operator-facing inputs)."""

    name = "terraform"

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
        if isinstance(data, dict):
            facts.extend(_requirements(source, data))
            facts.extend(_ports(source, data))
        for block in data.get("variable", []) if isinstance(data, dict) else []:
            if not isinstance(block, dict):
                continue
            for raw_name, body in block.items():
                name = str(_unwrap(raw_name))
                if isinstance(body, dict):
                    facts.extend(self._variable(source, name, body))
        result.facts.extend(facts)
        return result

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


register(TerraformAnalyzer())
