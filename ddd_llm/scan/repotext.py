"""The repository's text as the verifier reads it: cited lines, prose versus code, search."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ddd_llm.scan.redact import redact
from ddd_llm.scan.text import split_lines

PROSE_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc", ".org"})
PROSE_STEMS = frozenset({"readme", "changelog", "changes", "history", "notes", "contributing"})
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--|;|<!--|%|\"\"\"|''')")
"""A line that is a comment in the usual config and code syntaxes (shell, YAML, C, SQL, INI…)."""


def normalise(text: str) -> str:
    """Case and `_`/`-`/`.`/space variants compare equal (`max-conns` ≈ `MAX_CONNS`)."""
    return re.sub(r"[-_.\s]+", "_", text.lower())


def is_prose_path(rel: str) -> bool:
    """Documentation files: what they say is a claim about the code, not the code."""
    path = PurePosixPath(rel)
    name = path.name.lower()
    if name.startswith(("requirements", "constraints")) or name == "cmakelists.txt":
        return False  # .txt files that are build input, not prose
    if path.suffix.lower() in PROSE_SUFFIXES:
        return True
    return path.stem.lower() in PROSE_STEMS and path.suffix == ""


def is_comment(line: str) -> bool:
    return bool(_COMMENT.match(line))


@dataclass
class RepoText:
    """Reads cited files once, refusing paths that leave the repository.

    `texts` (repo-relative path → text, as scanned) lets checks search the whole
    repository without reading it again; files not in it are read on demand.
    """

    root: Path
    texts: Mapping[str, str] = field(default_factory=dict)
    _cache: dict[str, list[str] | None] = field(default_factory=dict)

    def resolve(self, rel: str) -> Path | None:
        """The file inside the repository, or None for absolute, `..` or escaping paths."""
        if not rel or rel.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", rel):
            return None
        if ".." in PurePosixPath(rel.replace("\\", "/")).parts:
            return None
        root = self.root.resolve()
        try:
            target = (root / rel).resolve()
        except (OSError, RuntimeError):  # a symlink loop
            return None
        if target != root and root not in target.parents:
            return None  # a symlink that points outside the repository
        return target

    def lines(self, rel: str) -> list[str] | None:
        if rel not in self._cache:
            text: str | None = self.texts.get(rel)
            if text is None:
                path = self.resolve(rel)
                try:
                    text = path.read_text(encoding="utf-8", errors="replace") if path else None
                except OSError:
                    text = None
                # A file the scan did not hand over is redacted like any other before use.
                text = redact(text, rel) if text is not None else None
            self._cache[rel] = split_lines(text) if text is not None else None
        return self._cache[rel]

    def code_lines(self, rel: str, start: int, end: int) -> list[str]:
        """The cited lines that are code or configuration, not documentation or comments."""
        if is_prose_path(rel):
            return []
        lines = self.lines(rel) or []
        return [ln for ln in lines[start - 1 : end] if ln.strip() and not is_comment(ln)]

    def exists(self, rel: str) -> bool:
        if rel in self.texts:
            return True
        path = self.resolve(rel)
        return path is not None and path.exists()

    def find_in_code(self, terms: Iterable[str]) -> tuple[str, int] | None:
        """The first code line (path, 1-based line) anywhere in the repo mentioning a term."""
        wanted = [normalise(t) for t in terms if t and len(t.strip()) >= 2]
        if not wanted:
            return None
        for rel in sorted(self.texts):
            if is_prose_path(rel):
                continue
            flat = normalise(self.texts[rel])
            if not any(w in flat for w in wanted):
                continue
            for number, line in enumerate(self.lines(rel) or [], start=1):
                if is_comment(line):
                    continue
                flat_line = normalise(line)
                if any(w in flat_line for w in wanted):
                    return rel, number
        return None


_KEY = re.compile(
    r"""^(?P<indent>[ \t]*)(?:-[ \t]+)?["']?(?P<key>[^\s"'#:=][^"':=]*?)["']?"""
    r"""[ \t]*(?::(?![^\s])|=)"""
)
_SECTION = re.compile(r"^[ \t]*\[(?P<name>[^\]]+)\][ \t]*$")


def key_path(lines: list[str], number: int) -> list[str]:
    """The nested keys leading to the key on 1-based line `number` of a YAML, JSON, TOML or
    INI file (`spring:` / `  datasource:` / `    url: …` → spring, datasource, url), found by
    indentation and `[section]` headers; empty when the line holds no key."""
    if not (1 <= number <= len(lines)):
        return []
    m = _KEY.match(lines[number - 1])
    if m is None:
        return []
    path = [m.group("key").strip()]
    indent = len(m.group("indent").expandtabs())
    for i in range(number - 2, -1, -1):
        line = lines[i]
        section = _SECTION.match(line)
        if section is not None:
            path.insert(0, section.group("name").strip().strip("\"'"))
            break
        if not line.strip() or is_comment(line):
            continue
        parent = _KEY.match(line)
        if parent is None:
            continue
        depth = len(parent.group("indent").expandtabs())
        if depth < indent:
            path.insert(0, parent.group("key").strip())
            indent = depth
            if depth == 0:
                break
    return path
