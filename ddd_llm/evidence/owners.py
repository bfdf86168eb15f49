"""Who to tell: owners from CODEOWNERS, MAINTAINERS (active sections), OWNERS files, Helm chart
maintainers and package metadata, and which rule owns a path. Alumni and emeritus never own."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

import pathspec
import yaml

from ddd_llm.models import Citation, Owner
from ddd_llm.scan.repotext import RepoText

CODEOWNERS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
"""Where GitHub and GitLab look, in their order of precedence (the first one found wins)."""
MAINTAINERS = ("MAINTAINERS", "MAINTAINERS.md", "MAINTAINERS.txt", "MAINTAINERS.rst")
"""Repository-wide owner lists: every handle or e-mail address an active section names."""
MAX_BYTES = 256_000
_HANDLE = re.compile(r"(?<![\w.])@[\w][\w.-]*(?:/[\w.-]+)?|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_INACTIVE = re.compile(
    r"\b(alumni|alumnus|emeritus|emeriti|emerita|past|former|inactive|retired|previous)\b",
    re.I,
)
"""Section headings (and table rows) naming people who no longer own anything."""
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^(=+|-+)\s*$")
_LABEL = re.compile(r"^([A-Za-z][\w ()/-]{0,60}):\s*$")
_EMAIL_IN = re.compile(r"<([^<>@\s]+@[^<>\s]+)>")


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


def _heading(lines: list[str], index: int) -> tuple[int, str] | None:
    """(level, text) when line `index` is a heading: `## Alumni`, an underlined title, or a
    label line ending in a colon (`Emeritus maintainers:`)."""
    line = lines[index].strip()
    match = _MD_HEADING.match(line)
    if match:
        return len(match.group(1)), match.group(2)
    following = lines[index + 1].strip() if index + 1 < len(lines) else ""
    if line and _UNDERLINE.match(following) and not _UNDERLINE.match(line):
        return (1 if following.startswith("=") else 2), line
    label = _LABEL.match(line)
    if label:
        return 7, label.group(1)
    return None


def active_lines(lines: list[str]) -> list[tuple[int, str]]:
    """(line number, text) of the lines outside Alumni / Emeritus / Past / Former / Inactive
    sections, dropping table rows that mark a person inactive too."""
    out: list[tuple[int, str]] = []
    inactive_at: int | None = None
    for index, line in enumerate(lines):
        heading = _heading(lines, index)
        if heading is not None:
            level, text = heading
            if inactive_at is not None and level <= inactive_at:
                inactive_at = None
            if inactive_at is None and _INACTIVE.search(text):
                inactive_at = level
            continue
        if inactive_at is not None:
            continue
        if line.lstrip().startswith("|") and _INACTIVE.search(line):
            continue  # | @name | Emeritus |
        out.append((index + 1, line))
    return out


def _maintainers(rel: str, lines: list[str], pattern: str = "*") -> list[Owner]:
    """One rule naming everyone the file's active sections list, citing the lines that do."""
    owners: list[str] = []
    numbers: list[int] = []
    for number, line in active_lines(lines):
        for handle in _HANDLE.findall(line):
            numbers.append(number)
            if handle not in owners:
                owners.append(handle)
    if not owners:
        return []
    citation = Citation(path=rel, start_line=numbers[0], end_line=numbers[-1])
    return [Owner(pattern=pattern, owners=owners, citation=citation)]


def _at(rel: str, line: int) -> Citation:
    return Citation(path=rel, start_line=line, end_line=line)


def _scope(rel: str) -> str:
    """The files an owner list in `rel` covers: its folder, or `*` at the root."""
    folder = str(PurePosixPath(rel).parent)
    return "*" if folder == "." else f"/{folder}/"


def _first_line(lines: list[str], names: Sequence[str], after: int = 0) -> int:
    for number, line in enumerate(lines[after:], start=after + 1):
        if any(n in line for n in names):
            return number
    return 1


def _rule(rel: str, lines: list[str], people: list[str]) -> list[Owner]:
    people = list(dict.fromkeys(p for p in people if p))
    if not people:
        return []
    numbers = [_first_line(lines, [p.lstrip("@")]) for p in people]
    citation = Citation(path=rel, start_line=min(numbers), end_line=max(numbers))
    return [Owner(pattern=_scope(rel), owners=people, citation=citation)]


def _person(value: object) -> str | None:
    """`Name <mail> (url)` / {name, email} / a bare handle → the address, else the name."""
    if isinstance(value, dict):
        email, name = value.get("email"), value.get("name")
        return str(email) if email else (str(name) if name else None)
    if isinstance(value, str):
        found = _EMAIL_IN.search(value)
        if found:
            return found.group(1)
        name = re.split(r"[<(]", value, maxsplit=1)[0].strip()
        return name or None
    return None


def _yaml(lines: list[str]) -> object:
    try:
        return yaml.safe_load("\n".join(lines))
    except yaml.YAMLError:
        return None


def _k8s_owners(rel: str, lines: list[str]) -> list[Owner]:
    """Kubernetes-style OWNERS: approvers and reviewers (top level or per filter); never
    emeritus_approvers."""
    data = _yaml(lines)
    if not isinstance(data, dict):
        return _maintainers(rel, lines, _scope(rel))
    blocks = [data, *(v for v in (data.get("filters") or {}).values() if isinstance(v, dict))]
    people = [
        f"@{name}" if _HANDLE.fullmatch(f"@{name}") else str(name)
        for block in blocks
        for key in ("approvers", "reviewers")
        for name in (block.get(key) or [])
        if isinstance(name, str)
    ]
    return _rule(rel, lines, people)


def _chart_owners(rel: str, lines: list[str]) -> list[Owner]:
    data = _yaml(lines)
    found = data.get("maintainers") if isinstance(data, dict) else None
    people = [p for m in found or [] if (p := _person(m))] if isinstance(found, list) else []
    return _rule(rel, lines, people)


def _package_json_owners(rel: str, lines: list[str]) -> list[Owner]:
    try:
        data = json.loads("\n".join(lines))
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    listed = [data.get("author"), *(data.get("maintainers") or [])]
    return _rule(rel, lines, [p for m in listed if (p := _person(m))])


def _toml_owners(rel: str, lines: list[str]) -> list[Owner]:
    try:
        data = tomllib.loads("\n".join(lines))
    except tomllib.TOMLDecodeError:
        return []
    tables = [data.get("project"), data.get("package"), (data.get("tool") or {}).get("poetry")]
    people: list[str] = []
    for table in tables:
        if not isinstance(table, dict):
            continue
        for key in ("maintainers", "authors"):
            people += [p for m in table.get(key) or [] if (p := _person(m))]
    return _rule(rel, lines, people)


PACKAGE_FILES: dict[str, Callable[[str, list[str]], list[Owner]]] = {
    "OWNERS": _k8s_owners,
    "Chart.yaml": _chart_owners,
    "package.json": _package_json_owners,
    "pyproject.toml": _toml_owners,
    "Cargo.toml": _toml_owners,
}
"""Owner lists by file name, wherever they are: their rule covers their own folder."""
FOLDER_FILES = frozenset({"OWNERS", "Chart.yaml"})
"""Lists written to name owners (the rest is package metadata, the weakest evidence)."""
_SKIP = re.compile(r"(^|/)(node_modules|vendor|third_party|\.git|testdata|fixtures?)/")


def find_owners(root: Path, files: RepoText | None = None) -> list[Owner]:
    """The repository's ownership rules: the first CODEOWNERS file; else MAINTAINERS lists
    (active sections only), OWNERS files, Helm chart maintainers and package metadata."""
    reader = files or RepoText(root)
    for rel in CODEOWNERS:
        lines = _readable(reader, rel)
        if lines is not None:
            rules = _codeowners(rel, lines)
            if rules:
                return rules
    maintainers: list[Owner] = []
    for rel in MAINTAINERS:
        lines = _readable(reader, rel)
        if lines is not None:
            maintainers.extend(_maintainers(rel, lines))
    packages: list[Owner] = []
    folders: list[Owner] = []
    for rel in sorted(reader.texts) or sorted(PACKAGE_FILES):
        name = PurePosixPath(rel).name
        read = PACKAGE_FILES.get(name)
        if read is None or _SKIP.search(rel):
            continue
        lines = _readable(reader, rel)
        if lines is not None:
            (folders if name in FOLDER_FILES else packages).extend(read(rel, lines))
    # The last matching rule wins: package metadata, then MAINTAINERS, then per-folder lists.
    folders.sort(key=lambda o: o.pattern.count("/"))
    return [*packages, *maintainers, *folders]


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
