"""Junk classification: vendored, generated, lock, minified, license, test, fixture or docs.

After GitHub Linguist's vendor.yml, generated.rb and documentation.yml; the rules are data
(`linguist.yaml`, each with its source), overridden per repository by `.gitattributes`
(`linguist-vendored`, `linguist-generated`, `linguist-documentation`, `-diff`, each also
negated: `-linguist-vendored`, `linguist-vendored=false`) and per run by --include/--exclude.

    classifier = Classifier(attributes=GitAttributes.from_files(files), exclude=("docs/**",))
    verdict = classifier.classify("web/static/app.min.js", text)
    verdict.junk        # True: never excerpted for the model, never indexed
    verdict.analyzed    # False: the static analyzers do not read it either
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

import pathspec

RULES_FILE = Path(__file__).with_name("linguist.yaml")


class Category(StrEnum):
    normal = "normal"
    vendored = "vendored"
    generated = "generated"
    lock = "lock"
    minified = "minified"
    license = "license"
    translation = "translation"
    """A translation catalog (gettext .po, XLIFF, locale resources): UI strings, no operations."""
    fixture = "fixture"
    test = "test"
    docs = "docs"
    excluded = "excluded"
    """Named by --exclude (or `[tool.ddd-llm] exclude`)."""


JUNK = frozenset(
    {
        Category.vendored,
        Category.generated,
        Category.lock,
        Category.minified,
        Category.license,
        Category.translation,
        Category.excluded,
    }
)
"""Never excerpted for the model, never indexed: no operational fact is written there."""

NOT_ANALYZED = frozenset(
    {
        Category.vendored,
        Category.generated,
        Category.minified,
        Category.translation,
        Category.excluded,
    }
)
"""Not read by the static analyzers either: other people's code, or code nobody wrote by hand
(a vendored library's env reads or a generated client's flags are not this repository's)."""

LAST = frozenset({Category.test, Category.fixture})
"""Shown to the model, after every other excerpt of the same rank."""

LABELS = {
    Category.vendored: "vendored code",
    Category.generated: "generated file",
    Category.lock: "lock file",
    Category.minified: "minified file",
    Category.license: "license text",
    Category.translation: "translation catalog",
    Category.excluded: "excluded",
    Category.fixture: "test fixture",
    Category.test: "test",
    Category.docs: "documentation",
    Category.normal: "source",
}

NOT_SHOWN = "not shown to the model"
"""How a scanned-but-excluded file's reason starts in the run report (`run.skipped`)."""

_FAMILIES = {
    "vendored": frozenset({Category.vendored}),
    "generated": frozenset(
        {Category.generated, Category.lock, Category.minified, Category.translation}
    ),
    "documentation": frozenset({Category.docs, Category.license}),
}
"""The categories a `linguist-<family>=false` attribute switches off for a path."""


@dataclass(frozen=True)
class Verdict:
    """A file's category, the rule that decided it and where that rule comes from."""

    category: Category
    why: str = ""
    source: str = ""

    @property
    def junk(self) -> bool:
        return self.category in JUNK

    @property
    def analyzed(self) -> bool:
        return self.category not in NOT_ANALYZED

    @property
    def last(self) -> bool:
        return self.category in LAST

    @property
    def reason(self) -> str:
        """`lock file (matches `(^|/)yarn\\.lock$`; ddd-llm (Yarn))`."""
        detail = "; ".join(p for p in (self.why, self.source) if p)
        return LABELS[self.category] + (f" ({detail})" if detail else "")

    @property
    def report(self) -> str:
        """The run report's reason for leaving the file out of the model's excerpts."""
        read = "" if self.analyzed else ", nor analyzed"
        return f"{NOT_SHOWN}{read}: {self.reason}"


NORMAL = Verdict(Category.normal)


@dataclass(frozen=True)
class PathRule:
    category: Category
    pattern: re.Pattern[str]
    source: str
    weak: bool = False
    """Never applies to an operational file (a Dockerfile in `build/` is a deploy file)."""


@dataclass(frozen=True)
class ContentRule:
    category: Category
    pattern: re.Pattern[str]
    source: str
    lines: int
    suffixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MinifiedRule:
    code_suffixes: tuple[str, ...]
    code_average: float
    prose_suffixes: tuple[str, ...]
    other_average: float
    other_min_chars: int
    source_map: re.Pattern[str]


@dataclass(frozen=True)
class RuleSet:
    operational: tuple[re.Pattern[str], ...]
    path_rules: tuple[PathRule, ...]
    content_rules: tuple[ContentRule, ...]
    minified: MinifiedRule

    @classmethod
    def load(cls, path: Path = RULES_FILE) -> RuleSet:
        """The rules of a linguist.yaml; ValueError naming the bad rule."""
        import yaml  # here, not at the top: an unchanged re-run imports this module only

        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        try:
            return cls(
                operational=tuple(re.compile(p) for p in data["operational"]),
                path_rules=tuple(_path_rule(r) for r in data["path_rules"]),
                content_rules=tuple(_content_rule(r) for r in data["content_rules"]),
                minified=_minified_rule(data["minified"]),
            )
        except (KeyError, TypeError, ValueError, re.error) as exc:
            raise ValueError(f"{path}: bad rule ({type(exc).__name__}: {exc})") from None

    def operational_file(self, path: str) -> bool:
        return any(p.search(path) for p in self.operational)


def _path_rule(raw: Mapping[str, Any]) -> PathRule:
    return PathRule(
        Category(raw["category"]),
        re.compile(raw["pattern"]),
        str(raw["source"]),
        bool(raw.get("weak", False)),
    )


def _content_rule(raw: Mapping[str, Any]) -> ContentRule:
    return ContentRule(
        Category(raw["category"]),
        re.compile(raw["pattern"], re.MULTILINE),
        str(raw["source"]),
        int(raw["lines"]),
        tuple(str(s) for s in raw.get("suffixes", ())),
    )


def _minified_rule(raw: Mapping[str, Any]) -> MinifiedRule:
    return MinifiedRule(
        tuple(raw["code_suffixes"]),
        float(raw["code_average"]),
        tuple(raw["prose_suffixes"]),
        float(raw["other_average"]),
        int(raw["other_min_chars"]),
        re.compile(raw["source_map_comment"]),
    )


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return RuleSet.load()


# --- .gitattributes --------------------------------------------------------------------

_ATTRIBUTES = {
    "linguist-vendored": "vendored",
    "linguist-generated": "generated",
    "linguist-documentation": "documentation",
}
_FALSE = frozenset({"false", "0", "no", "off"})


def _attribute_values(tokens: Sequence[str]) -> dict[str, bool | None]:
    """The linguist families one .gitattributes line sets: True, False or None (`!attr`)."""
    values: dict[str, bool | None] = {}
    for token in tokens:
        if token in ("binary", "-diff", "diff=false"):
            values["nodiff"] = True
            continue
        if token in ("diff", "!diff"):
            values["nodiff"] = None if token.startswith("!") else False
            continue
        name, _, value = token.lstrip("-!").partition("=")
        family = _ATTRIBUTES.get(name)
        if family is None:
            continue
        if token.startswith("!"):
            values[family] = None
        elif token.startswith("-"):
            values[family] = False
        else:
            values[family] = value.lower() not in _FALSE if value else True
    return values


@dataclass(frozen=True)
class _AttributeLine:
    base: str
    """The directory of the .gitattributes file ("" at the top)."""
    spec: pathspec.PathSpec[Any]
    pattern: str
    values: dict[str, bool | None]


@dataclass
class GitAttributes:
    """The linguist attributes of every .gitattributes file, applied as git does: a deeper
    file after a shallower one, a later line after an earlier one."""

    lines: list[_AttributeLine] = field(default_factory=list)

    @classmethod
    def from_files(cls, files: Iterable[tuple[str, str]]) -> GitAttributes:
        """From (repo-relative path, text) of the scanned files; only .gitattributes count."""
        found = [(p, t) for p, t in files if PurePosixPath(p).name == ".gitattributes"]
        found.sort(key=lambda pt: pt[0].count("/"))
        out = cls()
        for path, text in found:
            base = str(PurePosixPath(path).parent)
            out.add(text, "" if base == "." else base)
        return out

    def add(self, text: str, base: str = "") -> None:
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", "[attr]", '"')):
                continue
            pattern, *tokens = line.split()
            values = _attribute_values(tokens)
            if not values or pattern.startswith("!"):  # negative patterns are forbidden in git
                continue
            spec = pathspec.PathSpec.from_lines("gitwildmatch", [pattern])
            self.lines.append(_AttributeLine(base, spec, pattern, values))

    def lookup(self, path: str) -> dict[str, tuple[bool, str]]:
        """family → (value, the line's pattern) for the attributes set on `path`."""
        out: dict[str, tuple[bool, str]] = {}
        for line in self.lines:
            if line.base and not path.startswith(line.base + "/"):
                continue
            sub = path[len(line.base) + 1 :] if line.base else path
            if not line.spec.match_file(sub):
                continue
            where = f"{line.base}/.gitattributes" if line.base else ".gitattributes"
            for family, value in line.values.items():
                if value is None:
                    out.pop(family, None)
                else:
                    out[family] = (value, f"{where}: {line.pattern}")
        return out


# --- the classifier ---------------------------------------------------------------------


def _globs(patterns: Sequence[str]) -> pathspec.PathSpec[Any] | None:
    clean = [p.strip() for p in patterns if p and p.strip()]
    return pathspec.PathSpec.from_lines("gitwildmatch", clean) if clean else None


@dataclass
class Classifier:
    """Decides each scanned file's category. Precedence: --include (the file is source,
    whatever else says), --exclude, .gitattributes, junk path rules, content, other path rules."""

    rules: RuleSet = field(default_factory=default_rules)
    attributes: GitAttributes = field(default_factory=GitAttributes)
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()

    def __post_init__(self) -> None:
        self._include = _globs(self.include)
        self._exclude = _globs(self.exclude)
        self._any = {junk: _any_of(self.rules, junk=junk) for junk in (True, False)}

    def classify(self, path: str, text: str | None = None) -> Verdict:
        """The verdict on one repo-relative posix path; `text` enables the content rules."""
        if self._include is not None and self._include.match_file(path):
            return Verdict(Category.normal, "kept by --include", "command line or [tool.ddd-llm]")
        if self._exclude is not None and self._exclude.match_file(path):
            return Verdict(
                Category.excluded, "named by --exclude", "command line or [tool.ddd-llm]"
            )
        attributes = self.attributes.lookup(path)
        forced = _by_attributes(attributes)
        if forced is not None:
            return forced
        off = frozenset(
            c for f, (v, _) in attributes.items() if not v for c in _FAMILIES.get(f, ())
        )
        operational = self.rules.operational_file(path)
        junk = self._by_path(path, off, operational, junk=True)
        if junk is not None:
            return junk
        if text is not None:
            by_content = self._by_content(path, text, off, operational)
            if by_content is not None:
                return by_content
        return self._by_path(path, off, operational, junk=False) or NORMAL

    def _by_path(
        self, path: str, off: frozenset[Category], operational: bool, *, junk: bool
    ) -> Verdict | None:
        matches_any = self._any[junk]
        if matches_any is not None and not matches_any.search(path):
            return None  # most paths: one search instead of one per rule
        for rule in self.rules.path_rules:
            if (rule.category in JUNK) != junk or rule.category in off:
                continue
            if rule.weak and operational:
                continue
            if rule.pattern.search(path):
                return Verdict(rule.category, f"matches `{rule.pattern.pattern}`", rule.source)
        return None

    def _by_content(
        self, path: str, text: str, off: frozenset[Category], operational: bool
    ) -> Verdict | None:
        suffix = PurePosixPath(path).suffix.lower()
        if Category.minified not in off:
            minified = _minified(self.rules.minified, suffix, text)
            if minified is not None:
                return minified
        if operational:
            return None  # "autogenerated" manifests are still deploy evidence
        head_cache: dict[int, str] = {}
        for rule in self.rules.content_rules:
            if rule.category in off or (rule.suffixes and suffix not in rule.suffixes):
                continue
            head = head_cache.get(rule.lines)
            if head is None:
                head = "\n".join(text.split("\n", rule.lines)[: rule.lines])
                head_cache[rule.lines] = head
            match = rule.pattern.search(head)
            if match:
                said = match.group(0).strip()[:80]
                return Verdict(rule.category, f"says {said!r} in its first lines", rule.source)
        return None


def _any_of(rules: RuleSet, *, junk: bool) -> re.Pattern[str] | None:
    """One pattern matching where any (junk or other) path rule matches: a prefilter."""
    patterns = [r.pattern.pattern for r in rules.path_rules if (r.category in JUNK) == junk]
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
    except re.error:  # a rule the alternation cannot hold (a global flag): no prefilter
        return None


def _by_attributes(attributes: Mapping[str, tuple[bool, str]]) -> Verdict | None:
    for family, category in (
        ("vendored", Category.vendored),
        ("generated", Category.generated),
        ("documentation", Category.docs),
    ):
        value = attributes.get(family)
        if value is not None and value[0]:
            return Verdict(category, f"linguist-{family}", value[1])
    nodiff = attributes.get("nodiff")
    generated = attributes.get("generated")
    if nodiff is not None and nodiff[0] and generated is None:
        return Verdict(Category.generated, "-diff (no text diff)", nodiff[1])
    return None


def _minified(rule: MinifiedRule, suffix: str, text: str) -> Verdict | None:
    """Linguist's test (average line length of a .js/.css over 110), a source-map comment at
    the end of one, or a very long average line in any other non-prose file."""
    if not text:
        return None
    average = len(text) / (text.count("\n") + 1)
    if suffix in rule.code_suffixes:
        if average > rule.code_average:
            return Verdict(
                Category.minified,
                f"{average:.0f} characters per line on average",
                "linguist generated.rb minified_files?",
            )
        tail = [line for line in text.rsplit("\n", 3)[-3:] if line.strip()][-2:]
        if any(rule.source_map.search(line) for line in tail):
            return Verdict(
                Category.generated,
                "ends with a sourceMappingURL comment",
                "linguist generated.rb has_source_map?",
            )
        return None
    if suffix in rule.prose_suffixes or len(text) < rule.other_min_chars:
        return None
    if average > rule.other_average:
        return Verdict(
            Category.minified,
            f"{average:.0f} characters per line on average",
            "ddd-llm (long-line files that are not prose)",
        )
    return None


def classify_files(
    files: Iterable[tuple[str, str]],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    rules: RuleSet | None = None,
) -> dict[str, Verdict]:
    """Every (path, text) classified, honouring the .gitattributes files among them."""
    listed = list(files)
    classifier = Classifier(
        rules or default_rules(), GitAttributes.from_files(listed), include, exclude
    )
    return {path: classifier.classify(path, text) for path, text in listed}
