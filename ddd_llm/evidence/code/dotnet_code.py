"""C#/.NET analyzer: environment reads, IConfiguration keys, options classes bound to sections,
connection strings, command-line options, ASP.NET Core health checks and Kestrel ports.

Rules are the `c_sharp-*.scm` query files; `_dotnet_read` turns their captures into facts."""

from __future__ import annotations

from ddd_llm.evidence.base import AnalyzerResult, SourceFile, register
from ddd_llm.evidence.code import _ts
from ddd_llm.evidence.code._dotnet_read import LANG, DotnetReader
from ddd_llm.evidence.code._dotnet_syntax import CSharp
from ddd_llm.evidence.code._jvm_facts import Collector, CrossFile

NAME = "dotnet_code"
_TEST_DIRS = frozenset({"test", "tests", "unittests", "integrationtests", "functionaltests"})
_TEST_PROJECT_SUFFIXES = (
    ".tests",
    ".test",
    ".unittests",
    ".integrationtests",
    ".functionaltests",
    ".specs",
)
_GENERATED = (".designer.cs", ".g.cs", ".g.i.cs", ".generated.cs", "assemblyinfo.cs")


def _skipped(source: SourceFile) -> bool:
    lower = source.name.lower()
    if lower.endswith(_GENERATED) or source.name.endswith(("Tests.cs", "Test.cs")):
        return True
    directories = [part.lower() for part in source.parts[:-1]]
    if any(part in ("obj", "bin", "migrations") for part in directories):
        return True
    return any(part in _TEST_DIRS or part.endswith(_TEST_PROJECT_SUFFIXES) for part in directories)


class DotnetCodeAnalyzer:
    """Reads `*.cs` files (not tests, generated code, migrations or build output).

    An options class and the `Configure<T>(GetSection("S"))` that binds it usually sit in two
    files: each file gives a candidate, and `finish()` (once every file was read) joins the
    two into `S:Property` parameters."""

    name = NAME

    def __init__(self) -> None:
        self.cross = CrossFile(":", "options property")

    def accepts(self, source: SourceFile) -> bool:
        return source.suffix == ".cs" and len(source.text) <= _ts.MAX_BYTES and not _skipped(source)

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        out = Collector(source, NAME)
        try:
            tree = _ts.parse(LANG, source.text)
            root = tree.root_node
            if root.has_error:
                first = next((n for n in _ts.walk(root) if n.is_error or n.is_missing), None)
                line = _ts.line(first) if first is not None else None
                out.warn("C# syntax error; facts after it may be missing", line)
            DotnetReader(CSharp(root), root, out, self.cross).read()
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
        """Options classes joined with the bindings other files made of them."""
        return self.cross.finish()


register(DotnetCodeAnalyzer())
