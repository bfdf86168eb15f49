"""JVM analyzer (Java and Kotlin, Spring Boot and plain): environment and property reads,
@Value and @ConfigurationProperties, picocli/JCommander flags, health routes, Actuator, ports.

Rules are the `java-*.scm` and `kotlin-*.scm` query files; `_jvm_read` turns their captures
into facts and `_jvm_build` reads the Actuator dependency from pom.xml and build.gradle."""

from __future__ import annotations

from ddd_llm.evidence.base import AnalyzerResult, SourceFile, register
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._jvm_build import read_gradle, read_pom
from ddd_llm.evidence.code._jvm_facts import Collector, CrossFile
from ddd_llm.evidence.code._jvm_read import JvmReader
from ddd_llm.evidence.code._jvm_syntax import KotlinSyntax, Syntax

NAME = "jvm_code"
_SUFFIXES = {".java": "java", ".kt": "kotlin", ".kts": "kotlin"}
_BUILD_FILES = frozenset({"pom.xml", "build.gradle", "build.gradle.kts"})
_TEST_DIRS = frozenset({"test", "tests", "androidtest", "testfixtures", "integrationtest", "jmh"})
_TEST_SUFFIXES = ("Test", "Tests", "IT", "TestCase")


def _is_test(source: SourceFile) -> bool:
    stem = source.name.rsplit(".", 1)[0]
    if stem.endswith(_TEST_SUFFIXES) and source.suffix in (".java", ".kt"):
        return True
    return any(part.lower() in _TEST_DIRS for part in source.parts[:-1])


class JvmCodeAnalyzer:
    """Reads `*.java`, `*.kt`, `*.kts`, pom.xml and build.gradle(.kts); not tests.

    A `@Bean @ConfigurationProperties("x")` method may return a class of another file: each
    file gives what it can, and `finish()` (once every file was read) joins the two."""

    name = NAME

    def __init__(self) -> None:
        self.cross = CrossFile(".", "@ConfigurationProperties field")

    def accepts(self, source: SourceFile) -> bool:
        if len(source.text) > _ts.MAX_BYTES:
            return False
        if source.name in _BUILD_FILES:
            return not _is_test(source)
        return source.suffix in _SUFFIXES and not _is_test(source)

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        out = Collector(source, NAME)
        try:
            if source.name == "pom.xml":
                read_pom(source, out)
                return out.finish()
            if source.name.startswith("build.gradle"):
                read_gradle(source, out)
                if source.suffix != ".kts":
                    return out.finish()
            self._read_code(source, out)
        except _ts.GrammarMissing as exc:
            out.warn(str(exc), None)
        except Exception as exc:  # one unreadable file must never end the run
            out.warn(
                f"could not read this file ({type(exc).__name__}: {exc}); its settings are "
                "left to the model"[:300],
                None,
            )
        return out.finish()

    def finish(self) -> AnalyzerResult:
        """Settings classes joined with the `@ConfigurationProperties` beans of other files."""
        return self.cross.finish()

    def _read_code(self, source: SourceFile, out: Collector) -> None:
        lang = _SUFFIXES[source.suffix]
        tree = _ts.parse(lang, source.text)
        root = tree.root_node
        if root.has_error:
            first = next((n for n in _ts.walk(root) if n.is_error or n.is_missing), None)
            line = _ts.line(first) if first is not None else None
            out.warn(f"{lang} syntax error; facts after it may be missing", line)
        syntax = KotlinSyntax(root) if lang == "kotlin" else Syntax(root)
        JvmReader(syntax, root, out, self.cross).read()


register(JvmCodeAnalyzer())
