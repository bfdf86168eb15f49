"""What the JVM and .NET analyzers share: a parameter before it is a fact, and one collector
that merges what a file says about the same name and turns it into facts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

import tree_sitter as ts

from ddd_llm.evidence.base import AnalyzerResult, SourceFile, infer_value_type, looks_secret
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._jvm_around import (
    calls_to,
    enclosing_function,
    parameter_names,
)
from ddd_llm.evidence.code.python.python_code import documented_range
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    HealthCheck,
    Number,
    RangeSource,
    ResourceRequirement,
    ValueType,
)

__all__ = ["Collector", "Param", "documented_range", "one_line", "scalar_type"]

_NUMERIC = frozenset({"int", "float", "duration", "size"})
_NOT_SECRET_TYPES = frozenset({"int", "float", "duration", "size", "bool", "enum"})
_CONNECTION_STRING = re.compile(r"(?i)connection[_.-]?string$")
"""A key holding a connection string (`ConnectionString`, `EventBus:ConnectionString`) holds
its credentials too, as `GetConnectionString` does."""
_MAX_DEFAULT = 200

# Type names as Java, Kotlin and C# write them, to the value type of FACTS.md.
_TYPE_NAMES: dict[str, ValueType] = {
    **dict.fromkeys(
        "int integer long short byte biginteger uint ulong ushort sbyte nint nuint "
        "atomicinteger atomiclong int32 int64 int16".split(),
        "int",
    ),
    **dict.fromkeys("double float bigdecimal decimal single".split(), "float"),
    **dict.fromkeys("boolean bool".split(), "bool"),
    **dict.fromkeys("duration timespan".split(), "duration"),
    **dict.fromkeys("datasize".split(), "size"),
    **dict.fromkeys(
        "list set collection iterable array arraylist hashset sortedset ienumerable "
        "ilist icollection ireadonlylist ireadonlycollection iset hashset mutablelist "
        "mutableset string[] int[] long[]".split(),
        "list",
    ),
}


def scalar_type(type_text: str) -> ValueType | None:
    """`int`, `Integer`, `Optional<Duration>`, `int?`, `List<String>` → a value type; None when
    the type is no scalar this table knows (a class of the app, `Map<..>`, `Resource`)."""
    clean = type_text.strip().rstrip("?").strip()
    if clean.endswith("[]"):
        return "list"
    generic = re.match(r"^([\w.]+)\s*<(.*)>$", clean, re.DOTALL)
    if generic:
        outer = generic.group(1).rsplit(".", 1)[-1].lower()
        if outer in ("optional", "nullable", "lazy", "supplier"):
            return scalar_type(generic.group(2))
        if _TYPE_NAMES.get(outer) == "list":
            return "list"
        return None
    simple = clean.rsplit(".", 1)[-1].lower()
    if simple in ("string", "charsequence", "char", "character", "uri", "url", "path", "file"):
        return "string"
    return _TYPE_NAMES.get(simple)


def _name_forms(name: str) -> tuple[str, str, str]:
    """The name, its last `:` segment (.NET keys nest with ':', `Auth:Token`), and that
    segment with camelCase split (`AzureStorageAccountKey` → `Azure_Storage_Account_Key`)."""
    last = name.rsplit(":", 1)[-1]
    return name, last, re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", last)


def one_line(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass
class Param:
    """A config parameter before it becomes a fact."""

    name: str
    what: str
    start: int
    end: int
    value_type: ValueType | None = None
    default: str | None = None
    required: bool = False
    low: Number | None = None
    high: Number | None = None
    range_source: RangeSource | None = None
    allowed: list[str] | None = None
    secret: bool = False
    unit: str | None = None
    help: str | None = None

    def set_range(self, low: Number | None, high: Number | None, source: RangeSource) -> None:
        if low is None and high is None:
            return
        if self.range_source == "declared" and source != "declared":
            return
        if source == "documented" and self.kind() not in _NUMERIC:
            return  # "max 5" in the help of a text option is about something else
        if low is not None:
            self.low = low
        if high is not None:
            self.high = high
        self.range_source = source

    def kind(self) -> ValueType:
        if self.value_type is not None:
            return self.value_type
        return infer_value_type(self.default) if self.default else "string"

    def describe(self) -> str:
        bits: list[str] = [self.kind()]
        if self.allowed:
            shown = ", ".join(one_line(value, 20) for value in self.allowed[:6])
            bits.append(f"one of {shown}{', …' if len(self.allowed) > 6 else ''}")
        if self.default is not None and not self.secret:
            bits.append(f"default {one_line(self.default) or repr(self.default)}")
        if self.low is not None and self.high is not None:
            bits.append(f"range {self.low}..{self.high}")
        elif self.low is not None:
            bits.append(f"min {self.low}")
        elif self.high is not None:
            bits.append(f"max {self.high}")
        if self.required:
            bits.append("required")
        if self.secret:
            bits.append("secret")
        return ", ".join(bits)

    def merge(self, other: Param) -> None:
        """Fill what this read left open from a second read of the same name in the file."""
        if self.value_type is None:
            self.value_type = other.value_type
        if self.default is None:
            self.default = other.default
        self.required = self.required or other.required
        if self.range_source is None and other.range_source is not None:
            self.low, self.high, self.range_source = other.low, other.high, other.range_source
        self.allowed = self.allowed or other.allowed
        self.secret = self.secret or other.secret
        self.unit = self.unit or other.unit
        self.help = self.help or other.help


def parameter_fact(param: Param, citations: list[Citation]) -> ConfigParameter:
    """The fact for a parameter; whether it is a secret is decided here, once."""
    value_type = param.kind()
    forms = _name_forms(param.name)
    named = any(looks_secret(form, param.default) for form in forms)
    named = named or bool(_CONNECTION_STRING.search(forms[1]))
    # `jwt.token-validity-in-seconds` is about a secret; a number never is one
    param.secret = param.secret or (named and value_type not in _NOT_SECRET_TYPES)
    return ConfigParameter(
        summary=f"{param.what} {param.name} ({param.describe()})",
        citations=citations,
        name=param.name,
        value_type=value_type,
        default=param.default,
        min=param.low,
        max=param.high,
        allowed_values=param.allowed,
        unit=param.unit,
        required=param.required,
        secret=param.secret,
        range_source=param.range_source,
    )


_MAX_PENDING = 5000
"""Cross-file entries kept at most: a run whose caller never calls `finish` stays bounded."""


@dataclass
class CrossFile:
    """Settings classes and the calls that bind them to a section, when the two sit in
    different files (the usual layout: `EventBusOptions.cs` beside the `Configure<..>` call,
    a Spring `@Bean @ConfigurationProperties("x")` method returning a class of its own file).

    Each file's `analyze` records both halves; `finish` joins them by type name once every
    file was read, then forgets them. Until a caller runs `finish`, each half is only a
    candidate of its own file."""

    separator: str
    what: str
    bindings: dict[str, list[tuple[str, Citation]]] = field(default_factory=dict)
    classes: dict[str, list[tuple[Param, Citation]]] = field(default_factory=dict)

    def bind(self, type_name: str, prefix: str, citation: Citation) -> None:
        if sum(len(v) for v in self.bindings.values()) < _MAX_PENDING:
            self.bindings.setdefault(type_name, []).append((prefix, citation))

    def declare(self, type_name: str, source: SourceFile, params: list[Param]) -> None:
        if sum(len(v) for v in self.classes.values()) >= _MAX_PENDING:
            return
        cited = [(param, source.cite(param.start, param.end)) for param in params]
        self.classes.setdefault(type_name, []).extend(cited)

    def finish(self) -> AnalyzerResult:
        result = AnalyzerResult()
        # one fact per setting and declaration, citing it and every call that binds it
        joined: dict[tuple[str, str], tuple[Param, list[Citation]]] = {}
        for type_name, bindings in self.bindings.items():
            declared = self.classes.get(type_name, [])
            for prefix, bound_at in bindings:
                for param, declared_at in _nearest(declared, bound_at.path):
                    name = f"{prefix}{self.separator}{param.name}" if prefix else param.name
                    key = (name, declared_at.path)
                    if key not in joined:
                        joined[key] = (replace(param, name=name, what=self.what), [declared_at])
                    if bound_at not in joined[key][1]:
                        joined[key][1].append(bound_at)
        for param, citations in joined.values():
            result.facts.append(parameter_fact(param, citations[:6]))
        self.bindings.clear()
        self.classes.clear()
        return result


def _nearest(declared: list[tuple[Param, Citation]], path: str) -> list[tuple[Param, Citation]]:
    """The declarations of the file(s) nearest to `path` in the tree: two projects of one
    repository often both have an `AppSettings`; a binding means its own project's."""
    if not declared:
        return []
    here = path.split("/")[:-1]

    def shared(citation: Citation) -> int:
        there = citation.path.split("/")[:-1]
        count = 0
        for mine, theirs in zip(here, there, strict=False):
            if mine != theirs:
                break
            count += 1
        return count

    best = max(shared(citation) for _, citation in declared)
    return [(param, citation) for param, citation in declared if shared(citation) == best]


@dataclass
class Collector:
    """Everything one file says, merged per name and per health target, in line order."""

    source: SourceFile
    analyzer: str
    result: AnalyzerResult = field(default_factory=AnalyzerResult)
    params: dict[str, Param] = field(default_factory=dict)
    health: dict[str, HealthCheck] = field(default_factory=dict)
    ports: dict[str, tuple[str, list[Citation]]] = field(default_factory=dict)

    def add(self, param: Param) -> None:
        if not param.name or any(ch.isspace() for ch in param.name) or len(param.name) > 200:
            return
        if param.default is not None and len(param.default) > _MAX_DEFAULT:
            param.default = one_line(param.default, _MAX_DEFAULT)
        if param.help and param.range_source is None:
            low, high = documented_range(param.help)
            param.set_range(low, high, "documented")
        known = self.params.get(param.name)
        if known is None:
            self.params[param.name] = param
        else:
            known.merge(param)

    def candidate(self, node: ts.Node, reason: str, kind: str = "config_parameter") -> None:
        self.result.candidate(self.source, _ts.line(node), _ts.end_line(node), kind, reason)

    def warn(self, message: str, line: int | None) -> None:
        self.result.warn(self.source, message, line, self.analyzer)

    def health_check(
        self, target: str, what: str, start: int, end: int, port: int | None = None
    ) -> None:
        if target in self.health:
            return
        where = f" on port {port}" if port is not None else ""
        self.health[target] = HealthCheck(
            summary=f"HTTP health endpoint {target}{where} ({what})",
            citations=[self.source.cite(start, end)],
            check_type="http",
            target=target,
            port=port,
            mechanism="code-endpoint",
        )

    def port(self, port: int, how: str, start: int, end: int) -> None:
        if not 0 < port < 65536:
            return
        key = str(port)
        cited = self.source.cite(start, end)
        if key in self.ports:
            self.ports[key][1].append(cited)
        else:
            self.ports[key] = (how, [cited])

    def finish(self) -> AnalyzerResult:
        facts: list[tuple[int, ConfigParameter | HealthCheck | ResourceRequirement]] = []
        for param in self.params.values():
            cited = [self.source.cite(param.start, param.end)]
            facts.append((param.start, parameter_fact(param, cited)))
        for check in self.health.values():
            facts.append((check.citations[0].start_line, check))
        for port, (how, citations) in self.ports.items():
            requirement = ResourceRequirement(
                summary=f"listens on port {port} ({how})",
                citations=citations[:5],
                resource="port",
                value=port,
            )
            facts.append((citations[0].start_line, requirement))
        facts.sort(key=lambda item: item[0])
        self.result.facts.extend(fact for _, fact in facts)
        unique = {(c.start_line, c.end_line, c.reason): c for c in self.result.candidates}
        self.result.candidates = [unique[key] for key in sorted(unique)]
        return self.result


class _Found(Protocol):
    """What a language's `around(read)` found: the fallback node, the type, required."""

    @property
    def default(self) -> ts.Node | None: ...

    @property
    def value_type(self) -> ValueType | None: ...

    @property
    def required(self) -> bool: ...


class _Syntax(Protocol):
    def string(self, node: ts.Node | None, depth: int = 0) -> str | None: ...

    def literal(self, node: ts.Node | None) -> str | None: ...


def reads_through_helper(
    root: ts.Node,
    read: ts.Node,
    name_node: ts.Node,
    what: str,
    *,
    syntax: _Syntax,
    around: Callable[[ts.Node], _Found],
    out: Collector,
    name_types: tuple[str, ...] = ("identifier",),
) -> bool:
    """A read inside a helper whose name is a parameter (`env(key, fallback)` reading
    `getenv(key)`): each call of the helper in the file with a literal name is a read of that
    name, its default the argument in the fallback's position. False when no call names one."""
    function = enclosing_function(read)
    if function is None or name_node.type not in name_types:
        return False
    params = parameter_names(function)
    if _ts.text(name_node) not in params:
        return False
    index = params.index(_ts.text(name_node))
    found = around(read)
    fallback = _ts.text(found.default) if found.default is not None else ""
    default_index = params.index(fallback) if fallback in params else None
    helper = _ts.text(function.child_by_field_name("name"))
    hits = 0
    for call, args in calls_to(root, helper):
        key = syntax.string(args[index]) if index < len(args) else None
        if not key or function.start_byte <= call.start_byte < function.end_byte:
            continue
        default = found.default if default_index is None else None
        if default_index is not None and default_index < len(args):
            default = args[default_index]
        out.add(
            Param(
                name=key,
                what=what,
                start=_ts.line(call),
                end=_ts.end_line(call),
                value_type=found.value_type or around(call).value_type,
                default=syntax.literal(default),
                required=found.required,
            )
        )
        hits += 1
    return hits > 0
