"""Who to tell: owners from CODEOWNERS, OWNERS or MAINTAINERS files, and which rule owns a path."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pathspec

from ddd_llm.models import Citation, Owner
from ddd_llm.scan.repotext import RepoText

CODEOWNERS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
"""Where GitHub and GitLab look, in their order of precedence (the first one found wins)."""
MAINTAINERS = ("MAINTAINERS", "MAINTAINERS.md", "MAINTAINERS.txt", "OWNERS")
"""Repository-wide owner lists: every handle or e-mail address they name owns `*`."""
MAX_BYTES = 256_000
_HANDLE = re.compile(r"(?<![\w.])@[\w][\w.-]*(?:/[\w.-]+)?|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _readable(files: RepoText, rel: str) -> list[str] | None:
    path = files.resolve(rel)
    try:
        if path is None or not path.is_file() or path.stat().st_size > MAX_BYTES:
            return None
    except OSError:
        return None
    return files.lines(rel)


def _codeowners(rel: str, lines: list[str]) -> list[Owner]:
    rules: list[Owner] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "[", "^[")):
            continue  # comments and GitLab section headers
        pattern, *names = line.split()
        owners = [n for n in names if _HANDLE.fullmatch(n)]
        if owners:
            rules.append(Owner(pattern=pattern, owners=owners, citation=_at(rel, number)))
    return rules


def _maintainers(rel: str, lines: list[str]) -> list[Owner]:
    """One repository-wide rule naming everyone the file lists, citing the lines that do."""
    owners: list[str] = []
    numbers: list[int] = []
    for number, line in enumerate(lines, start=1):
        for handle in _HANDLE.findall(line):
            numbers.append(number)
            if handle not in owners:
                owners.append(handle)
    if not owners:
        return []
    citation = Citation(path=rel, start_line=numbers[0], end_line=numbers[-1])
    return [Owner(pattern="*", owners=owners, citation=citation)]


def _at(rel: str, line: int) -> Citation:
    return Citation(path=rel, start_line=line, end_line=line)


def find_owners(root: Path, files: RepoText | None = None) -> list[Owner]:
    """The repository's ownership rules: the first CODEOWNERS file, else its MAINTAINERS lists."""
    reader = files or RepoText(root)
    for rel in CODEOWNERS:
        lines = _readable(reader, rel)
        if lines is not None:
            rules = _codeowners(rel, lines)
            if rules:
                return rules
    found: list[Owner] = []
    for rel in MAINTAINERS:
        lines = _readable(reader, rel)
        if lines is not None:
            found.extend(_maintainers(rel, lines))
    return found


def _matches(pattern: str, path: str) -> bool:
    if pattern == "*":
        return True
    try:
        spec = pathspec.PathSpec.from_lines("gitwildmatch", [pattern])
    except (ValueError, TypeError):
        return False  # a malformed pattern owns nothing
    return spec.match_file(path)


def owner_of(paths: Sequence[str], rules: Sequence[Owner]) -> Owner | None:
    """The rule that owns the first of `paths` (CODEOWNERS semantics: the last match wins)."""
    for path in paths:
        match = None
        for rule in rules:
            if _matches(rule.pattern, path):
                match = rule
        if match is not None:
            return match
    return None
