"""Passages for answering without a model: small units of a repository, scored by how much
of a question's specific content they hold.

    passages(lines, facts)      -> [Passage]  the repository cut into citable units:
        documentation           one block (paragraph, list item, table row, code block),
                                under its heading chain
        configuration and code  one statement line with the comment block above it and its
                                indented children, under its parent keys / [section] /
                                comment banner; a commented-out directive is a line too
        verified facts          the fact's text, citing the fact's own lines
    PassageIndex(passages)      term weights (idf over the passages)
        .score(query, p)        -> Match: how much of the question the passage covers

A question's terms are its content words (Snowball stems), each widened by a small table of
operations synonyms (port ~ listen ~ bind, backup ~ dump ~ snapshot). A term the passage's
own lines hold counts fully, one only its headings or parents hold counts part; a term no
passage of the repository holds keeps the highest weight, so a question about something the
repository never mentions covers little of itself anywhere. Words of asking ("default",
"value", "use") weigh little.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from ddd_llm.apps.ask.wording import CONCEPTS, non_topic
from ddd_llm.fact_fields import own_fields
from ddd_llm.index.lexical import stem, stems, tokenize_many
from ddd_llm.models import FactBase

DOC_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".txt", ".adoc"})
CODE_SUFFIXES = frozenset(
    {".go", ".c", ".h", ".cc", ".cpp", ".hpp", ".java", ".kt", ".cs", ".rs", ".py", ".js"}
    | {".ts", ".rb", ".php", ".scala", ".swift", ".m", ".jsx", ".tsx", ".mjs", ".cjs"}
)
MAX_CHILDREN = 10
"""Indented lines kept under a configuration line (a YAML key's subtree, say)."""
MAX_SECTION = 40
"""A documentation section this long or shorter is a passage too (besides its blocks)."""
WINDOW = 3
"""Lines whose words must stand together to count (see Passage.windows)."""
MAX_DOC_BLOCK = 14
"""Longer documentation blocks are also cut into their items (list items, table rows)."""
CONTEXT_WEIGHT = 0.6
"""A term held only by a passage's headings or parent keys counts this much (one its file's
kind or path holds, `systemd` for a .service file, counts fully)."""
KEY_WEIGHT = 0.4
"""Lift of a passage whose setting's name holds the question's words (Match.score)."""
CODE_FACTOR = 0.85
"""Source code answers an operator less directly than configuration, deploy files and docs."""
SOFT_WEIGHT = 0.25
"""Relative weight of words that ask rather than name ("default", "value", "use")."""

SYNONYMS: tuple[str, ...] = (
    # Operations vocabulary: each line a group of words that name the same thing.
    "port listen listening bind addr address accept",
    "memory mem ram heap",
    "backup backups dump snapshot snapshots",
    "limit limits max maximum",
    "allowed allow max maximum limit",
    "health healthy healthcheck healthchecks probe probes liveness readiness alive ready",
    "password passwords pass passwd secret credentials",
    "credentials credential password pass secret",
    "credentials credential user username",
    "user username",
    "host hostname server",
    "authentication auth authenticate",
    "configuration config conf configure settings",
    "database databases db",
    "environment env environments",
    "variable variables var vars env",
    "interval period frequency every",
    "connection connections conn conns connect",
    "reload hup sighup refresh",
    "renew refresh",
    "start starts startup started restart restarts restarted",
    "cpu cpus core cores",
    "version versions",
    "volume volumes storage path data state persist persists persistence persistent",
    "timeout timeouts",
    "retention retain keep kept",
    "replica replicas replication",
    "container containers docker",
    "certificate certificates cert tls ssl",
    "log logs logging",
    "upgrade upgrading migrate migration",
    "key keys",
    "privilege privileges permission permissions",
    "several multiple multi many",
    "extra additional",
    "schedule cron timer",
    "fail fails failed failing failure failures",
    "option options flag flags",
    "application applications app apps",
    "production prod",
    "development dev",
)
SOFT = stems(
    "default defaults value values set setting use used using run runs running need needs "
    "give given allowed allow should each every there which way new sample thing things "
    "keep kept file files change changes mean take state long often work worked works happen "
    "single environment environments go goes setup"
)
"""Words that ask rather than name: they weigh SOFT_WEIGHT. ("The Docker environment":
the environment's name, held by its file's name or lines, is what the question names.)"""
FUNCTION_WORDS = stems(
    "from each much its it into onto via instead also while whilst whereas although though "
    "other others another else "
    # pronouns, the pieces of contractions (don't → don), words of degree and discourse
    "me my mine myself our ours ourselves your yours yourself yourselves them themselves "
    "itself himself herself one ones don doesn didn isn aren wasn weren won wouldn shouldn "
    "couldn haven hasn hadn ll ve re so just very too really actually already still yet "
    "even ok okay everything anything something "
    # prepositions of time: when, not what
    "before after during until since "
    # quantifiers, comparison and connectives
    "about only any some than because once now i_e e_g being been"
)
"""Words that carry no topic at all (besides the index's stop words): left out ("while
indexing": the conjunction joins what the question names, it names nothing)."""

FILE_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    # What an operator calls a file by its name: words its passages hold as context.
    (re.compile(r"(^|/)([\w.-]*compose[\w.-]*\.ya?ml)$"), "docker compose container service"),
    (re.compile(r"(^|/)(Dockerfile|Containerfile)[\w.-]*$"), "docker container image"),
    (re.compile(r"\.(service|timer|socket)$"), "systemd unit service"),
    (re.compile(r"(^|/)(Chart|values)[\w.-]*\.ya?ml$"), "helm chart kubernetes value"),
    (re.compile(r"(^|/)templates/[\w./-]*\.ya?ml$"), "helm kubernetes template"),
    (re.compile(r"\.tf$"), "terraform module variable"),
    (re.compile(r"\.(ini|conf|cfg|toml|properties)$"), "configuration sample"),
    (re.compile(r"(^|/)application[\w.-]*\.(ya?ml|properties)$"), "configuration spring"),
    (re.compile(r"(^|/)appsettings[\w.-]*\.json$"), "configuration setting"),
    (re.compile(r"(^|/)\.?env[\w.-]*$|\.env[\w.-]*$"), "environment variable"),
)
_K8S_KIND = re.compile(r"^\s*kind:\s*(\w+)\s*$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ITEM = re.compile(r"^\s*([-*+]|\d+[.)]|\|)\s")
_COMMENT = re.compile(r"^\s*(#|//|--|;+|/\*|\*)")
_DIRECTIVE_COMMENT = re.compile(r"^\s*[#;]+\s*[A-Za-z_][\w.\-]*\s*[=:]\s*\S")
"""A commented-out setting (`;pool_mode = session`): what the default would be."""
_ROW = re.compile(r"^\s*\|")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_SECTION = re.compile(r"^\s*\[[^\]]+\]\s*$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _synonym_table() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for line in SYNONYMS:
        group = {stem(w) for w in line.split()}
        for word in group:
            table.setdefault(word, set()).update(group)
    return {k: frozenset(v) for k, v in table.items()}


_SYNONYMS = _synonym_table()
OPERATIONS = CONCEPTS | frozenset(_SYNONYMS) | stems(" ".join(w for _, w in FILE_KINDS))
"""Operations words, which always count however a question uses them: a capability (back
up, rotate), a word of the synonym table (alive, listen), a kind of file (compose)."""


def wording(text: str) -> frozenset[str]:
    """The stems that only word a question (wording.non_topic), operations words aside."""
    return non_topic(text) - OPERATIONS


def widen(term: str) -> frozenset[str]:
    """The stems that count as the term (itself and its synonyms)."""
    return _SYNONYMS.get(term, frozenset({term}))


def split_camel(text: str) -> str:
    """`ExecReload=…` → `Exec Reload=…` (as well as the word whole): camel case names hold words."""
    out = []
    for word in re.findall(r"[A-Za-z][A-Za-z0-9]*|[^A-Za-z]+", text):
        parts = _CAMEL.sub(" ", word)
        out.append(f"{word} {parts}" if parts != word else word)
    return "".join(out)


@dataclass(frozen=True)
class Passage:
    path: str
    start: int
    end: int
    """The lines cited (inclusive)."""
    body: frozenset[str]
    context: frozenset[str]
    kind: str
    """doc, config, code or fact."""
    title: str = ""
    fact: FactBase | None = None
    file_terms: frozenset[str] = frozenset()
    """What the file is called by its kind and path (count as fully as the passage's lines)."""
    text: str = ""
    key: frozenset[str] = frozenset()
    """The words of the name a configuration line sets (`User` of `User=postgres`), or of a
    documentation passage's heading."""
    service: str | None = None
    section: bool = False
    """A whole documentation section (answers procedures; a fact question wants its line)."""
    windows: tuple[frozenset[str], ...] = ()
    """The stems of every WINDOW consecutive lines (with the line a setting is on): a
    passage answers with words that stand together, not scattered over a long comment."""
    numbers: tuple[int, ...] = ()
    """The number of each line of `text`, in order (blank lines are not lines)."""
    container: bool = False
    """A documentation block that holds many things (a code block, a table, a list): it is
    cited by the window of lines that holds the question, not whole (Match.span)."""

    def holds(self, words: Iterable[str]) -> bool:
        """Whether the passage, its headings/parents or its file hold any of the words."""
        every = self.body | self.context | self.file_terms
        return any(w in every for w in words)

    def within(self, other: Passage) -> bool:
        return self.path == other.path and other.start <= self.start and self.end <= other.end

    @property
    def location(self) -> str:
        return f"{self.path}:{self.start}" + (f"-{self.end}" if self.end != self.start else "")


@dataclass(frozen=True)
class Match:
    passage: Passage
    coverage: float
    """Share of the question's term weight held (context terms count CONTEXT_WEIGHT)."""
    body: float
    """Share held by the passage's own lines."""
    missing: tuple[str, ...]
    key: float = 0.0
    """Share held by the name the line sets (ranks `User=x` over `WantedBy=multi-user`)."""
    span: tuple[int, int] | None = None
    """The first and last line of the window that holds the most of the question (None: the
    passage is one window)."""

    @property
    def score(self) -> float:
        """Coverage, lifted when the name a line sets is what the question asks about."""
        return self.coverage + KEY_WEIGHT * self.key

    def rank(self) -> tuple[float, float, int, str, int]:
        p = self.passage
        return (-round(self.score, 2), -self.key, p.end - p.start, p.path, p.start)


def file_kind(path: str) -> str:
    if PurePosixPath(path).suffix.lower() in DOC_SUFFIXES:
        return "doc"
    if PurePosixPath(path).suffix.lower() in CODE_SUFFIXES:
        return "code"
    return "config"


def _kind_words(path: str, lines: Mapping[int, str]) -> str:
    words = [w for pattern, w in FILE_KINDS if pattern.search(path)]
    if any("apiVersion" in t for t in lines.values()):
        for n in sorted(lines)[:400]:
            m = _K8S_KIND.match(lines[n])
            if m:
                words.append(f"kubernetes k8s {m.group(1)}")
                break
    path_words = re.sub(r"[/_.\-]+", " ", path)
    # The file's own name whole too (values.yaml → values_yaml, as a question writes it).
    return " ".join([*words, path_words, PurePosixPath(path).name])


@dataclass
class _Raw:
    path: str
    start: int
    end: int
    body: str
    context: str
    kind: str
    title: str = ""
    fact: FactBase | None = None
    file_words: str = ""
    section: bool = False
    numbers: tuple[int, ...] = ()
    container: bool = False


def _is_table(text: Sequence[str]) -> bool:
    """A Markdown table: rows of cells, the second line the header's rule (|---|:--:|)."""
    return len(text) > 2 and all(_ROW.match(t) for t in text) and bool(_TABLE_RULE.match(text[1]))


def _doc_units(path: str, lines: Mapping[int, str], kind_words: str) -> list[_Raw]:
    out: list[_Raw] = []
    headings: list[tuple[int, str]] = []
    block: list[int] = []
    fenced = False

    def own(title: str) -> str:
        return f"{kind_words} {title}" if headings else kind_words

    def flush() -> None:
        if not block:
            return
        title = headings[-1][1] if headings else path
        context = " ".join(h for _, h in headings[:-1])
        text = [lines[n] for n in block]
        body = "\n".join(text)
        items = sum(bool(_ITEM.match(t)) for t in text)
        container = bool(_FENCE.match(text[0])) or items >= 2
        out.append(_Raw(path, block[0], block[-1], body, context, "doc", title, None, own(title)))
        out[-1].numbers, out[-1].container = tuple(block), container
        if _is_table(text):
            for n in block[2:]:  # each row (not the header and its rule) is a passage
                _row(n)
        elif len(block) > MAX_DOC_BLOCK or any(_ITEM.match(t) for t in text[1:]):
            item: list[int] = []
            for n in block:
                if _ITEM.match(lines[n]) and item:
                    _item(item)
                    item = []
                item.append(n)
            _item(item)
        block.clear()

    def _row(n: int) -> None:
        # A table row under its headings (its header names columns, not a topic).
        title = headings[-1][1] if headings else path
        context = " ".join(h for _, h in headings[:-1])
        out.append(_Raw(path, n, n, lines[n], context, "doc", title, None, own(title)))
        out[-1].numbers = (n,)

    def _item(item: list[int]) -> None:
        if not item or len(item) == len(block):
            return
        title = headings[-1][1] if headings else path
        context = " ".join([*(h for _, h in headings[:-1]), lines[block[0]]])
        body = "\n".join(lines[n] for n in item)
        out.append(_Raw(path, item[0], item[-1], body, context, "doc", title, None, own(title)))
        out[-1].numbers = tuple(item)

    sections: list[tuple[int, int]] = []
    previous = None
    for n in sorted(lines):
        text = lines[n]
        if previous is not None and n != previous + 1 and not fenced:
            flush()
        previous = n
        if _FENCE.match(text):
            fenced = not fenced
            block.append(n)
            continue
        if fenced:
            block.append(n)
            continue
        m = _HEADING.match(text)
        if m:
            flush()
            sections.append((n, len(m.group(1))))
            level = len(m.group(1))
            headings = [h for h in headings if h[0] < level] + [(level, m.group(2))]
            continue
        if not text.strip():
            flush()
            continue
        block.append(n)
    flush()
    out.extend(_sections(path, lines, sections, kind_words))
    return out


def _sections(
    path: str, lines: Mapping[int, str], heads: list[tuple[int, int]], kind_words: str
) -> list[_Raw]:
    """Each heading's whole section (to the next heading of its level or above), when short."""
    out: list[_Raw] = []
    last_line = max(lines) if lines else 0
    for i, (start, level) in enumerate(heads):
        end = last_line
        for nxt, nxt_level in heads[i + 1 :]:
            if nxt_level <= level:
                end = nxt - 1
                break
        numbers = [n for n in sorted(lines) if start < n <= end and lines[n].strip()]
        if not numbers or numbers[-1] - start > MAX_SECTION:
            continue
        m = _HEADING.match(lines[start])
        title = m.group(2) if m else path
        parents = [_HEADING.match(lines[h]) for h, lv in heads[:i] if lv < level and h < start]
        context = " ".join(p.group(2) for p in parents if p)
        body = "\n".join(lines[n] for n in numbers)
        words = f"{kind_words} {title}"
        raw = _Raw(path, start, numbers[-1], body, context, "doc", title, None, words, True)
        raw.numbers = tuple(numbers)
        out.append(raw)
    return out


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" \t"))


def _config_units(path: str, lines: Mapping[int, str], kind: str, kind_words: str) -> list[_Raw]:
    out: list[_Raw] = []
    numbers = sorted(n for n in lines if lines[n].strip())
    section = ""
    banner = ""
    parents: list[tuple[int, str]] = []
    for i, n in enumerate(numbers):
        text = lines[n]
        directive = bool(_DIRECTIVE_COMMENT.match(text))
        if _COMMENT.match(text) and not directive:
            # A comment block followed by a blank line is a banner over what follows.
            nxt = numbers[i + 1] if i + 1 < len(numbers) else None
            if nxt is None or nxt != n + 1:
                j = i
                while (
                    j > 0
                    and numbers[j - 1] == numbers[j] - 1
                    and _COMMENT.match(lines[numbers[j - 1]])
                ):
                    j -= 1
                banner = " ".join(lines[numbers[k]] for k in range(j, i + 1))
            continue
        if _SECTION.match(text):
            section = text.strip()
        depth = _indent(text)
        parents = [p for p in parents if p[0] < depth]
        # The comment block right above (the line's own documentation).
        first = n
        j = i
        while (
            j > 0
            and numbers[j - 1] == numbers[j] - 1
            and _COMMENT.match(lines[numbers[j - 1]])
            and not _DIRECTIVE_COMMENT.match(lines[numbers[j - 1]])
            and n - numbers[j - 1] <= 8
        ):
            j -= 1
            first = numbers[j]
        # Indented children (a YAML key's subtree), not across a blank line for code.
        last = n
        for m in numbers[i + 1 : i + 1 + MAX_CHILDREN]:
            if _indent(lines[m]) <= depth or (kind == "code" and m != last + 1):
                break
            last = m
        shown = tuple(k for k in range(first, last + 1) if k in lines)
        body = "\n".join(lines[k] for k in shown)
        context = " ".join([section, banner if kind != "code" else "", *(p[1] for p in parents)])
        out.append(
            _Raw(path, first, last, body, context, kind, text.strip()[:80], None, kind_words)
        )
        out[-1].numbers = shown
        if not directive:
            parents.append((depth, text.strip()))
    return out


KIND_WORDS = {
    "health_check": "health check probe",
    "dependency": "depends dependency before start order",
    "resource_requirement": "resource requirement",
    "config_parameter": "configuration parameter setting",
    "validation_method": "verify check validation",
}


def fact_unit(fact: FactBase) -> _Raw | None:
    if not fact.citations:
        return None
    c = fact.citations[0]
    fields = " ".join(str(v) for v in own_fields(fact).values())
    body = " ".join([fact.summary, fields])
    context = " ".join([KIND_WORDS.get(fact.fact_kind, ""), fact.service or ""])
    return _Raw(c.path, c.start_line, c.end_line, body, context, "fact", fact.summary, fact, "")


_KEY = re.compile(r"^\s*[#;]*\s*-?\s*([A-Za-z_][\w.\-]*)\s*[=:]")


def _key_name(raw: _Raw) -> str:
    if raw.kind == "doc" and not raw.section and "\n" not in raw.body and _ROW.match(raw.body):
        return raw.body.strip().strip("|").split("|")[0]  # a table row is named by its first cell
    if raw.kind == "doc":
        return raw.title if raw.title != raw.path else ""
    if raw.fact is not None:
        return raw.fact.key() if hasattr(raw.fact, "key") else ""
    m = _KEY.match(raw.title)
    return m.group(1) if m else ""


def passages(lines: Mapping[str, Mapping[int, str]], facts: Iterable[FactBase]) -> list[Passage]:
    raws: list[_Raw] = []
    for path in sorted(lines):
        per = lines[path]
        kind = file_kind(path)
        words = _kind_words(path, per)
        if kind == "doc":
            raws.extend(_doc_units(path, per, words))
        else:
            raws.extend(_config_units(path, per, kind, words))
    for fact in facts:
        raw = fact_unit(fact)
        if raw is not None:
            # A fact is about the kinds of file it cites, as their own lines are ("which
            # user does the systemd service run as": a fact citing the unit file).
            cited = dict.fromkeys(c.path for c in fact.citations)
            kinds = dict.fromkeys(w for p in cited for at, w in FILE_KINDS if at.search(p))
            raw.file_words = " ".join(kinds)
            raws.append(raw)
    texts = [split_camel(f"{r.title} {r.body}" if r.kind == "doc" else r.body) for r in raws]
    texts += [split_camel(r.context) for r in raws]
    tokens = _tokenize_once(texts)
    windows = _windows(raws)
    keys = [_key_name(r) for r in raws]
    key_tokens = _tokenize_once([split_camel(k) for k in keys])
    files = sorted({r.file_words for r in raws})
    file_tokens = dict(zip(files, tokenize_many(files), strict=True))
    n = len(raws)
    out: list[Passage] = []
    for i, r in enumerate(raws):
        body = frozenset(tokens[i])
        # What the file's name says holds for every window (a unit file's "service" too
        # when its lines spell [Service] away from the question's words).
        named = frozenset(file_tokens[r.file_words])
        context = frozenset(tokens[n + i]) - body - named
        out.append(
            Passage(
                r.path,
                r.start,
                r.end,
                body,
                context,
                r.kind,
                r.title,
                r.fact,
                named,
                r.body,
                frozenset(key_tokens[i]),
                r.fact.service if r.fact is not None else None,
                r.section,
                windows[i] or (body,),
                r.numbers,
                r.container,
            )
        )
    return out


def _tokenize_once(texts: Sequence[str]) -> list[list[str]]:
    """tokenize_many, each distinct text tokenized once (a line stands in many passages)."""
    distinct = list(dict.fromkeys(texts))
    found = dict(zip(distinct, tokenize_many(distinct), strict=True))
    return [found[t] for t in texts]


def _windows(raws: Sequence[_Raw]) -> list[tuple[frozenset[str], ...]]:
    """Per passage, the stems of each WINDOW consecutive lines plus its own line (a
    setting's line, a section's heading); () when the passage is short enough to be one.
    A table's window is one row: its rows are separate records, not one text."""
    spans: list[tuple[int, list[str], str, int]] = []
    for i, r in enumerate(raws):
        lines = r.body.split("\n")
        table = r.kind == "doc" and _is_table(lines)
        if r.fact is not None or r.section or (len(lines) <= WINDOW and not table):
            continue
        own = r.title
        if r.kind != "doc":
            own = next((t for t in lines if t.strip().startswith(r.title[:40])), r.title)
        spans.append((i, lines, own, 1 if table else WINDOW))
    flat = [split_camel(t) for _, lines, own, _size in spans for t in [own, *lines]]
    tokens = iter(_tokenize_once(flat))
    out: list[tuple[frozenset[str], ...]] = [() for _ in raws]
    for i, lines, _own, size in spans:
        own_tokens = frozenset(next(tokens))
        per = [frozenset(next(tokens)) for _ in lines]
        if size == 1:
            per[0] = per[1] = frozenset()  # a table's header and rule answer nothing
        out[i] = tuple(own_tokens.union(*per[j : j + size]) for j in range(len(per) - size + 1))
    return out


class PassageIndex:
    """Term weights over one repository's passages."""

    def __init__(self, units: Sequence[Passage]) -> None:
        self.passages = list(units)
        df: dict[str, int] = {}
        postings: dict[str, list[int]] = {}
        for i, p in enumerate(self.passages):
            for t in p.body | p.context | p.file_terms:
                df[t] = df.get(t, 0) + 1
                postings.setdefault(t, []).append(i)
        self.df = df
        self.postings = postings
        """Which passages hold each stem (only those can hold any of a question)."""
        self._weights: dict[str, float] = {}
        n = max(1, len(self.passages))
        self.n = n
        self.absent_idf = math.log(1 + (n + 0.5) / 0.5)

    def focus(self, terms: Iterable[str]) -> str | None:
        """The question's heaviest term that the repository holds: what it is about."""
        known = sorted((t for t in set(terms) if self.known(t)), key=lambda t: (-self.weight(t), t))
        return known[0] if known else None

    def weight(self, term: str) -> float:
        found = self._weights.get(term)
        if found is None:
            count = sum(self.df.get(t, 0) for t in widen(term))
            idf = math.log(1 + (self.n - count + 0.5) / (count + 0.5)) if count else self.absent_idf
            found = self._weights[term] = idf * (SOFT_WEIGHT if term in SOFT else 1.0)
        return found

    def holding(
        self, terms: Iterable[str], joined: Mapping[str, frozenset[str]] | None = None
    ) -> list[Passage]:
        """The passages that hold any of the terms (their synonyms and joined forms too), in
        index order: the only ones a question's terms can score on."""
        more = joined or {}
        at: set[int] = set()
        for term in set(terms):
            for t in widen(term) | more.get(term, frozenset()):
                at.update(self.postings.get(t, ()))
        return [self.passages[i] for i in sorted(at)]

    def known(self, term: str) -> bool:
        return any(t in self.df for t in widen(term))

    def score(
        self,
        query: Iterable[str],
        passage: Passage,
        joined: Mapping[str, frozenset[str]] | None = None,
    ) -> Match:
        """How much of the query the passage holds (in its best window); `joined` adds
        written-together forms of a term (cloud, sql → cloudsql)."""
        wanted = sorted(set(query))
        more = joined or {}
        if not passage.windows:
            return self._score(wanted, passage, passage.body, more)
        best, at, run = None, 0, 0
        for j, window in enumerate(passage.windows):
            m = self._score(wanted, passage, window, more)
            if best is None or m.coverage > best.coverage:
                best, at, run = m, j, 1
            elif m.coverage == best.coverage and j == at + run:
                run += 1  # equally good windows in a row: the middle one centres the words
        assert best is not None
        at += (run - 1) // 2
        lines = passage.numbers
        size = len(lines) - len(passage.windows) + 1
        if len(passage.windows) == 1 or size < 1:
            return best
        return replace(best, span=(lines[at], lines[at + size - 1]))

    def _score(
        self,
        query: list[str],
        passage: Passage,
        window: frozenset[str],
        joined: Mapping[str, frozenset[str]],
    ) -> Match:
        total = held = body = key = 0.0
        missing: list[str] = []
        for term in query:
            w = self.weight(term)
            total += w
            alts = widen(term) | joined.get(term, frozenset())
            if alts & passage.key:
                key += w
            if alts & window:
                held += w
                body += w
            elif alts & passage.file_terms:
                held += w
            elif alts & passage.context:
                held += CONTEXT_WEIGHT * w
            else:
                missing.append(term)
        if not total:
            return Match(passage, 0.0, 0.0, ())
        factor = CODE_FACTOR if passage.kind == "code" else 1.0
        return Match(passage, factor * held / total, body / total, tuple(missing), key / total)


_NUMBER = (
    r"(?:\d+(?:[.,]\d+)*\s*|(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven"
    r"|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|hundred|a\s+few|a\s+couple\s+of)\s+)"
)
"""A number, written in digits (5s, 2.5 MB) or words (two hours)."""
_TIME_UNIT = (
    r"(?:ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?|weeks?|months?)"
)
_PHRASES = (
    # "For two hours": a duration, of the operator's choosing (the repository states none).
    (re.compile(rf"\bfor\s+{_NUMBER}{_TIME_UNIT}\b", re.I), " duration "),
    # "For the first time", "the first time I start it": when, not what.
    (re.compile(r"\b(?:for\s+)?the\s+first\s+time\b", re.I), " "),
    (re.compile(r"\bback(?:ed|ing)?[\s-]+up\b", re.I), "backup"),
    (re.compile(r"\bfail(?:ed|ing|s)?[\s-]+over\b", re.I), "failover"),
    (re.compile(r"\bset[\s-]+up\b", re.I), "setup"),
    (re.compile(r"\bpick(?:ed|ing|s)?[\s-]+up\b", re.I), "reload"),
    (re.compile(r"\b(?:turn|switch)(?:ed|ing|s)?[\s-]+on\b", re.I), "enable"),
    (re.compile(r"\b(?:turn|switch)(?:ed|ing|s)?[\s-]+off\b", re.I), "disable"),
    (re.compile(r"\bhealth[\s-]+check(?:ed|s|ing)?\b", re.I), "health check"),
    # "How long does it keep X", "how long are they kept": the retention of X.
    (
        re.compile(
            r"\bhow\s+long\b([^?.;]*?)\b(?:keeps?|kept|retain(?:s|ed)?|stored)\b(?!\s+\w+ing\b)",
            re.I,
        ),
        r"\1 retention",
    ),
)
_CLAUSE = re.compile(
    r",\s*(?:and|or|but)\s+|;\s*|\?\s*|\s+and\s+(?=(?:how|what|which|where|when|why|who)\b)", re.I
)


def clauses(question: str) -> list[str]:
    """The questions asked in one ("what is X, and how do I Y?" → two)."""
    return [c.strip() for c in _CLAUSE.split(question) if c and c.strip()]


_PROSE_COMPOUND = re.compile(r"(?<![\w.\-])([a-z]+)-([a-z]+)(?![\w.\-])")
"""trade-off, in-memory: not a name (--cluster.gossip-interval, config-server)."""


def question_terms(
    question: str, asking: frozenset[str], known: Callable[[str], bool] | None = None
) -> list[str]:
    """A question's content stems: two-word verbs joined (back up → backup), asking words out.

    A prose compound (in-memory) counts as itself when the repository writes it so, else as
    its words (trade-off → trade, off); `known` says what the repository holds. A verb,
    adjective or adverb the repository never uses is left out (wording.non_topic), unless
    it is an operations word (back up, rotate, alive: CONCEPTS and SYNONYMS): a question
    about a thing the repository never names still covers little of itself anywhere.
    """
    text = question
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    drop: set[str] = set()
    for found in _PROSE_COMPOUND.finditer(text):
        joined = [t for t in tokenize_many([found.group(0)])[0] if "_" in t]
        if known is not None and joined and not known(joined[0]):
            drop.update(joined)
    words = tokenize_many([text])[0]
    if known is not None:
        # How the operator words the action ("let the container receive", "decide") need
        # not be the repository's words: such a word it never uses is left out.
        drop |= {t for t in wording(text) if not known(t)}
    return [t for t in words if t not in asking and t not in FUNCTION_WORDS and t not in drop]


def joined_words(question: str) -> dict[str, frozenset[str]]:
    """Two neighbouring words written as one name ("Cloud SQL" → cloudsql), for both words."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9]*", question)
    out: dict[str, set[str]] = {}
    for a, b in itertools.pairwise(words):
        if len(a) < 2 or len(b) < 2:
            continue
        whole = stem(a + b)
        for w in (a, b):
            out.setdefault(stem(w), set()).add(whole)
    return {k: frozenset(v) for k, v in out.items()}


def best_matches(
    index: PassageIndex, terms: Sequence[str], question: str | None = None
) -> list[Match]:
    """Every passage that holds some of the question, best first."""
    joined = joined_words(question) if question else None
    found = [index.score(terms, p, joined) for p in index.holding(terms, joined)]
    return sorted((m for m in found if m.coverage > 0), key=lambda m: m.rank())


_ASKED = re.compile(
    r"\b(?:which|what|how\s+many|how\s+much)\s+(.+?)\s+"
    r"(?:do|does|did|is|are|was|were|can|could|should|must|will|would|has|have|tell|run|runs)\b",
    re.I,
)


def asked_for(question: str) -> list[str]:
    """The stems of the thing a question asks for: the head word of its "which X" / "how
    many X" phrase ("Which Kubernetes versions does …" → version; "which port and protocols
    …" → port, protocol). Empty when the question names none ("What is …")."""
    m = _ASKED.search(question)
    if not m:
        return []
    heads: list[str] = []
    for part in re.split(r"\s+(?:and|or)\s+|,", re.sub(r"\([^)]*\)", " ", m.group(1))):
        words = tokenize_many([part])[0]
        if words:
            heads.append(words[-1])
    return heads
