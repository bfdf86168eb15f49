""".NET `appsettings*.json`: one parameter per leaf, named as .NET configuration names it
(`Logging:LogLevel:Default`, arrays by index `Endpoints:0:Url`).

`appsettings.Production.json` is the Production environment's layer over the base file: its
values are separate facts of the same parameters (id key `Name@Production`, see
`_common.fact_id`). `ConnectionStrings:*` are secrets; `Kestrel:Endpoints:*:Url` and `Urls`
give ports; a `HealthChecks*` URL gives the health endpoint. JSON with comments and trailing
commas (which .NET accepts) is read after blanking them out, so line numbers stay exact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ddd_llm.evidence.base import AnalyzerResult, SourceFile, register
from ddd_llm.evidence.config_files._common import (
    TEST_DIRS,
    Setting,
    health_fact,
    health_path,
    parameters,
    port_fact,
    port_number,
    unique,
)
from ddd_llm.evidence.yamlpos import YamlList, YamlMap, YamlParseError, load_documents
from ddd_llm.models import FactBase

_NAME = re.compile(r"^appsettings(?:\.([\w-]+))?\.json$", re.IGNORECASE)
_CLOSES = re.compile(r"(?:\s|//[^\n]*|/\*.*?\*/)*[}\]]", re.DOTALL)
_URL_PORT = re.compile(r"^[a-z]+://(?:\[[^\]]*\]|[^/:;]*):(\d{1,5})", re.IGNORECASE)


def blank_comments(text: str) -> str:
    """`//` and `/* */` comments and trailing commas replaced by spaces (newlines kept), so
    the JSON parsers see plain JSON with every value on its original line."""
    out: list[str] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == '"':
            end = index + 1
            while end < length and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[index : end + 1])
            index = end + 1
        elif text.startswith("//", index):
            end = text.find("\n", index)
            end = length if end < 0 else end
            out.append(" " * (end - index))
            index = end
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            end = length if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[index:end]))
            index = end
        elif char == "," and _CLOSES.match(text, index + 1):
            out.append(" ")  # a trailing comma
            index += 1
        else:
            out.append(char)
            index += 1
    return "".join(out)


class AppSettingsAnalyzer:
    """ASP.NET Core / .NET generic host settings files and their environment layers."""

    name = "appsettings"

    def accepts(self, source: SourceFile) -> bool:
        return bool(_NAME.match(source.name)) and not TEST_DIRS.search(source.path)

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        match = _NAME.match(source.name)
        environment = match.group(1) if match else None
        text = blank_comments(source.text.lstrip("\ufeff"))
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            result.warn(
                source,
                f"invalid JSON: {exc.msg} (column {exc.colno}); .NET would fail to start",
                exc.lineno,
                self.name,
            )
            return result
        except RecursionError:
            result.warn(source, "JSON nested too deeply", None, self.name)
            return result
        if not isinstance(data, dict):
            result.warn(source, "settings file is not a JSON object", 1, self.name)
            return result
        positioned = _positions(text)
        facts: list[FactBase] = []
        for name, value, start, end in _leaves(positioned if positioned is not None else data):
            setting = Setting(
                name=name,
                value=value,
                start=start,
                end=end,
                profile=environment,
                secret=name.lower().startswith("connectionstrings:"),
            )
            facts.extend(parameters(source, setting, ".NET setting"))
            facts.extend(_runtime(source, setting))
        result.facts.extend(unique(facts))
        return result


def _positions(text: str) -> YamlMap | None:
    """The same document with line spans (JSON read as YAML flow style); None if PyYAML
    disagrees with the JSON parser, and the facts then cite the first line."""
    try:
        docs = load_documents(text)
    except YamlParseError:
        return None
    if docs and isinstance(docs[0].data, YamlMap):
        return docs[0].data
    return None


def _leaves(node: Any, prefix: str = "") -> Iterator[tuple[str, str | None, int, int]]:
    items: list[tuple[str, Any, int, int]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            span = node.line_of(key) if isinstance(node, YamlMap) else None
            items.append((str(key), value, span.start if span else 1, span.end if span else 1))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            span = node.line_of(index) if isinstance(node, YamlList) else None
            items.append((str(index), value, span.start if span else 1, span.end if span else 1))
    for key, value, start, end in items:
        name = f"{prefix}{key}"
        if isinstance(value, (dict, list)) and value:
            yield from _leaves(value, f"{name}:")
        elif isinstance(value, (dict, list)):
            yield name, None, start, end
        elif isinstance(value, bool):
            yield name, "true" if value else "false", start, end
        else:
            yield name, None if value is None else str(value), start, end


def _runtime(source: SourceFile, setting: Setting) -> list[FactBase]:
    name, value = setting.name, setting.value or ""
    lower = name.lower()
    facts: list[FactBase] = []
    where = name + (f" ({setting.profile})" if setting.profile else "")
    if (lower.startswith("kestrel:endpoints:") and lower.endswith(":url")) or lower == "urls":
        for url in value.split(";"):
            port = _url_port(url.strip())
            if port is not None:
                facts.append(port_fact(source, port, setting.start, setting.end, where))
    elif "health" in lower:
        # The key already says "health": any URL path it holds is the endpoint (eShop's `/hc`).
        written = re.match(r"^[a-z]+://[^/\s]*(/[^\s?#]*)", value, flags=re.IGNORECASE)
        path = written.group(1) if written else health_path(value)
        if path is not None and path != "/":
            port = _url_port(value)
            facts.append(health_fact(source, path, setting.start, setting.end, where, port=port))
    return facts


def _url_port(url: str) -> int | None:
    match = _URL_PORT.match(url.replace("*", "0").replace("+", "0"))
    return port_number(match.group(1)) if match else None


register(AppSettingsAnalyzer())
