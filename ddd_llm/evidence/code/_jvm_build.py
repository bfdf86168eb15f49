"""Spring Boot Actuator from the build: a `spring-boot-starter-actuator` dependency in
pom.xml or build.gradle(.kts) means the service answers `/actuator/health` (Boot 2 and later;
`/health` in Boot 1)."""

from __future__ import annotations

import re
import xml.parsers.expat

from ddd_llm.evidence.base import SourceFile
from ddd_llm.evidence.code._jvm_facts import Collector

ACTUATOR = re.compile(r"^spring-boot-(?:starter-)?actuator$")
_GRADLE_ACTUATOR = re.compile(
    r"""["'](?:org\.springframework\.boot:)?spring-boot-(?:starter-)?actuator(?::[^"']*)?["']"""
    r"|\blibs\.spring\.boot\.starter\.actuator\b"
)
"""`implementation 'org.springframework.boot:spring-boot-starter-actuator'`, the Kotlin DSL,
`name: 'spring-boot-starter-actuator'`, or a version-catalog accessor."""
_BOOT1 = re.compile(r"^1\.")


def read_pom(source: SourceFile, out: Collector) -> None:
    """The actuator among <dependencies> (not under <exclusions>), with the Boot version of
    <parent> when it is spring-boot-starter-parent."""
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[str] = []
    text: list[str] = []
    found: list[int] = []
    parent: dict[str, str] = {}

    def start(name: str, _attrs: dict[str, str]) -> None:
        stack.append(name)
        text.clear()

    def data(chunk: str) -> None:
        text.append(chunk)

    def end(name: str) -> None:
        value = "".join(text).strip()
        path = "/".join(stack)
        if name == "artifactId" and ACTUATOR.match(value) and "exclusion" not in path:
            if path.endswith("dependency/artifactId"):
                found.append(parser.CurrentLineNumber)
        if path in ("project/parent/artifactId", "project/parent/version"):
            parent[name] = value
        stack.pop()
        text.clear()

    parser.StartElementHandler = start
    parser.CharacterDataHandler = data
    parser.EndElementHandler = end
    try:
        parser.Parse(source.text.encode("utf-8", "surrogatepass"), True)
    except xml.parsers.expat.ExpatError as exc:
        out.warn(f"pom.xml is not well-formed XML ({exc}); actuator not looked for", exc.lineno)
        return
    boot1 = parent.get("artifactId") == "spring-boot-starter-parent" and bool(
        _BOOT1.match(parent.get("version", ""))
    )
    for line in found[:1]:
        _actuator(out, line, boot1)


def read_gradle(source: SourceFile, out: Collector) -> None:
    for number, line in enumerate(source.lines, start=1):
        code = "" if line.lstrip().startswith(("*", "/*")) else line.split("//", 1)[0]
        if _GRADLE_ACTUATOR.search(code):
            _actuator(out, number, False)
            return


def _actuator(out: Collector, line: int, boot1: bool) -> None:
    target = "/health" if boot1 else "/actuator/health"
    out.health_check(target, "Spring Boot Actuator dependency", line, line)
