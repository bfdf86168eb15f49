"""Tree-sitter: one place that loads grammars, parses files and runs the `.scm` query files.

Grammars come from the per-language wheels (`tree-sitter-go`, `tree-sitter-java`, …), which
ship the compiled parser: nothing is downloaded at run time. Rules live as query files in
`ddd_llm/evidence/code/queries/<language>-<family>.scm` (for example `go-env.scm`,
`java-flags.scm`); the Python beside them only turns captures into facts.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tree_sitter as ts

QUERIES = Path(__file__).parent / "queries"

_GRAMMARS: dict[str, tuple[str, str]] = {
    "go": ("tree_sitter_go", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "java": ("tree_sitter_java", "language"),
    "kotlin": ("tree_sitter_kotlin", "language"),
    "c_sharp": ("tree_sitter_c_sharp", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "php": ("tree_sitter_php", "language_php"),
    "bash": ("tree_sitter_bash", "language"),
}

SUFFIXES: dict[str, str] = {
    ".go": "go",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".java": "java",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".cs": "c_sharp",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".rb": "ruby",
    ".rake": "ruby",
    ".php": "php",
    ".sh": "bash",
    ".bash": "bash",
}

MAX_BYTES = 2_000_000
"""Larger source files are not parsed (they are generated or vendored, almost always)."""


class GrammarMissing(RuntimeError):
    """The grammar wheel for a language is not installed."""


def language_of(path: str) -> str | None:
    """The grammar for a file by its suffix, or None."""
    dot = path.rfind(".")
    return SUFFIXES.get(path[dot:].lower()) if dot >= 0 else None


@cache
def language(name: str) -> ts.Language:
    try:
        module_name, attr = _GRAMMARS[name]
    except KeyError:
        raise GrammarMissing(f"no tree-sitter grammar is configured for {name!r}") from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        wheel = module_name.replace("_", "-")
        raise GrammarMissing(
            f"the {name} grammar is not installed: run `make install` (or pip install {wheel})"
        ) from exc
    return ts.Language(getattr(module, attr)())


def parse(name: str, text: str) -> ts.Tree:
    """Parse `text`; tree-sitter always returns a tree (errors become ERROR nodes)."""
    return ts.Parser(language(name)).parse(text.encode("utf-8", "surrogatepass"))


SHARED_QUERIES: dict[str, str] = {"typescript": "javascript", "tsx": "javascript", "cpp": "c"}
"""Grammars that extend another one: without a file of their own, they use its rules
(compiled against their own grammar, whose node names are a superset)."""


@cache
def query(name: str, family: str) -> ts.Query | None:
    """The query file `<name>-<family>.scm` (else the shared one of the language it
    extends), compiled once; None when there is none."""
    path = QUERIES / f"{name}-{family}.scm"
    if not path.is_file() and name in SHARED_QUERIES:
        path = QUERIES / f"{SHARED_QUERIES[name]}-{family}.scm"
    if not path.is_file():
        return None
    return ts.Query(language(name), path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Match:
    """One query match: the pattern's index and its captures by name."""

    pattern: int
    captures: dict[str, list[ts.Node]]

    def node(self, capture: str) -> ts.Node | None:
        nodes = self.captures.get(capture)
        return nodes[0] if nodes else None


def matches(name: str, family: str, node: ts.Node) -> Iterator[Match]:
    """Every match of the family's query under `node` (nothing when the file is absent)."""
    q = query(name, family)
    if q is None:
        return
    for pattern, captures in ts.QueryCursor(q).matches(node):
        yield Match(pattern, captures)


def text(node: ts.Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def line(node: ts.Node) -> int:
    """1-based first line of a node."""
    return node.start_point[0] + 1


def end_line(node: ts.Node) -> int:
    """1-based last line of a node."""
    return node.end_point[0] + 1


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'", "`": "`"}


_INTERPOLATION = frozenset(
    {
        "interpolation",
        "interpolated_expression",
        "interpolated_identifier",
        "template_substitution",
        "string_interpolation",
    }
)


def string_value(node: ts.Node | None) -> str | None:
    """The value of a plain string literal node (any grammar), or None when it is not one
    (interpolated strings, concatenations and identifiers are not literals)."""
    if node is None:
        return None
    raw = text(node)
    for prefix in ("@", "r#", "r", "b", "L", "u8", "u", "U"):
        if raw.startswith(prefix) and len(raw) > len(prefix) and raw[len(prefix)] in "\"'`#":
            raw = raw[len(prefix) :]
            break
    raw = raw.strip("#")
    if raw.startswith('"""') and raw.endswith('"""') and len(raw) >= 6:
        return raw[3:-3]
    if len(raw) < 2 or raw[0] not in "\"'`" or raw[-1] != raw[0]:
        return None
    body = raw[1:-1]
    if raw[0] == "`" and "${" in body:
        return None
    if any(child.type in _INTERPOLATION for child in node.children):
        return None  # Ruby "#{x}", Kotlin "${x}", C# $"{x}": built at run time
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def walk(node: ts.Node) -> Iterator[ts.Node]:
    """Every node under `node`, depth first, without recursion (deep trees are common)."""
    cursor = node.walk()
    visited_children = False
    while True:
        if not visited_children:
            current = cursor.node
            if current is not None:
                yield current
            if cursor.goto_first_child():
                continue
        if cursor.goto_next_sibling():
            visited_children = False
            continue
        if not cursor.goto_parent():
            return
        visited_children = True
