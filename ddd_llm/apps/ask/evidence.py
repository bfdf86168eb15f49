"""Rules about where an answer's evidence lies, for answers without a model.

cited_range(match)            the lines to cite for a passage: a container (code block,
                              table, list) by the window that holds the question
procedure_range(index, …)     in a section holding several procedures (several code
                              blocks), the instruction that holds the question and the
                              code block that carries it out
asked_phrases(question)       the whole noun phrase a question asks for ("what memory
                              limit" → memory, limit): a passage must hold all of it
absent_concepts(terms, index) operations concepts (backup, replica, certificate …) the
                              question asks about and the repository never mentions
quoted_phrases(question)      the messages a question quotes (a pasted log line or error)
phrase_lines(lines, phrase)   the lines that write such a message word for word
holding_passage(index, …)     the smallest passage of the repository's own lines around one
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ddd_llm.apps.ask.passages import (
    Match,
    Passage,
    PassageIndex,
    joined_words,
)
from ddd_llm.apps.ask.wording import CONCEPTS
from ddd_llm.index.lexical import tokenize_many

_FENCE = re.compile(r"^\s*(```|~~~)")


def cited_range(m: Match) -> tuple[int, int]:
    """A container passage is cited by its best window; anything else whole."""
    p = m.passage
    if p.container and m.span is not None:
        return m.span
    return p.start, p.end


def _is_code(p: Passage) -> bool:
    """A fenced block, or an indented one that is not prose (its last line ends no
    sentence: `UWSGI_PROCESSES=2`, not a paragraph indented under a list item)."""
    lines = [t for t in p.text.split("\n") if t.strip()]
    if not lines:
        return False
    if _FENCE.match(lines[0]):
        return True
    indented = all(t.startswith(("    ", "\t")) for t in lines)
    return indented and not lines[-1].rstrip().endswith((".", ":"))


def _inside(p: Passage, q: Passage) -> bool:
    """p lies within a larger q (a list item within its list)."""
    return q is not p and p.within(q) and (q.start, q.end) != (p.start, p.end)


def _blocks(index: PassageIndex, section: Passage) -> list[Passage]:
    """The section's own blocks (paragraphs, lists, code blocks; not their items), in order."""
    inner = [
        p
        for p in index.passages
        if p.kind == "doc" and not p.section and p.fact is None and p.within(section)
    ]
    top = [p for p in inner if not any(_inside(p, q) for q in inner)]
    return sorted(top, key=lambda p: (p.start, p.end))


PART_MIN = 0.15
"""A further procedure of the section is cited when its instruction holds terms of the
question that the ones cited lack, weighing this share of the question."""


def procedure_ranges(
    index: PassageIndex, section: Passage, terms: Sequence[str], question: str | None = None
) -> list[tuple[int, int]]:
    """The lines of the procedures a question asks for, inside a section that holds
    several (more than one code block). A procedure is an instruction with the code block
    right after it (or a code block alone), judged by its instruction (a command's paths
    and names are no topic): the one holding the most of the question, and any other whose
    instruction holds what those lack ("back up … and check the dump"). Empty: the section
    is one procedure, cited whole."""
    blocks = _blocks(index, section)
    if sum(_is_code(p) for p in blocks) < 2:
        return []
    units: list[tuple[Passage, ...]] = []
    i = 0
    while i < len(blocks):
        if not _is_code(blocks[i]) and i + 1 < len(blocks) and _is_code(blocks[i + 1]):
            units.append((blocks[i], blocks[i + 1]))
            i += 2
        else:
            units.append((blocks[i],))
            i += 1
    joined = joined_words(question) if question else None
    wanted = set(terms)
    total = sum(index.weight(t) for t in wanted) or 1.0
    scored: list[tuple[float, int, set[str]]] = []
    for n, unit in enumerate(units):
        m = index.score(terms, unit[0], joined)
        scored.append((round(m.score, 2), n, wanted - set(m.missing)))
    ranked = sorted(scored, key=lambda s: (-s[0], s[1]))
    _best, first, held = ranked[0]
    picked = [first]
    for _score, n, has in ranked[1:]:
        adds = has - held
        if any(_is_code(p) for p in units[n]) and sum(map(index.weight, adds)) >= PART_MIN * total:
            picked.append(n)
            held |= adds
    return [(units[n][0].start, units[n][-1].end) for n in sorted(picked)]


_TAG = re.compile(r"<[^>]*>")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def row_name(p: Passage) -> str | None:
    """The name a documentation table row describes: its first cell as written, without
    anchors, links or code marks (`| <a name="input_port"></a> [port](#input\\_port) |` →
    port); None for anything but a table row."""
    if p.kind != "doc" or p.section or "\n" in p.text or not p.text.lstrip().startswith("|"):
        return None
    cell = p.text.strip().strip("|").split("|")[0]
    cell = _LINK.sub(r"\1", _TAG.sub("", cell)).replace("\\", "").strip().strip("`*").strip()
    return cell or None


_ASKED = re.compile(
    r"\b(?:which|what|how\s+many|how\s+much)\s+(.+?)\s+"
    r"(?:do|does|did|is|are|was|were|can|could|should|must|will|would|has|have|tell|run|runs)\b",
    re.I,
)


def asked_phrases(question: str) -> list[list[str]]:
    """The stems of each noun phrase a question asks for ("Which health check endpoints
    does …" → [health, check, endpoint]; "which port and protocols" → [port], [protocol]).
    Empty when it names none ("What is …")."""
    m = _ASKED.search(question)
    if not m:
        return []
    parts = re.split(r"\s+(?:and|or)\s+|,", re.sub(r"\([^)]*\)", " ", m.group(1)))
    return [words for words in tokenize_many(parts) if words]


def lacks_phrase(m: Match, phrases: Sequence[Sequence[str]]) -> bool:
    """Whether the passage misses a word of every phrase asked for (a memory limit is not
    answered by a line holding only a limit)."""
    return bool(phrases) and all(any(t in m.missing for t in part) for part in phrases)


def absent_concepts(terms: Sequence[str], index: PassageIndex) -> list[str]:
    """The question's operations concepts that no passage of the repository holds."""
    return sorted({t for t in terms if t in CONCEPTS and not index.known(t)})


def asked_words(question: str, wanted: Sequence[str]) -> list[str]:
    """The question's own words for some of its terms (to say what is missing)."""
    out: list[str] = []
    for word in re.findall(r"[A-Za-z][\w-]*(?:\s+up\b)?", question):
        terms = tokenize_many([word])[0]
        if any(t in wanted for t in terms) and word not in out:
            out.append(word)
    return out or list(wanted)


_QUOTED = re.compile(r"[\"“”„«»]([^\"“”„«»\n]{8,200})[\"“”„«»]")
_SPACE = re.compile(r"\s+")
QUOTED_WORDS = 3
"""A quoted phrase is a pasted message (a log line, an error) when it has this many words."""


def quoted_phrases(question: str) -> list[str]:
    """The messages a question quotes ("The log says \"Unable to connect to email server\""),
    lower case, spaces collapsed, trailing punctuation dropped."""
    out: list[str] = []
    for m in _QUOTED.finditer(question):
        phrase = _SPACE.sub(" ", m.group(1)).strip().strip(".!?:;,…").lower()
        if len(phrase.split(" ")) >= QUOTED_WORDS and phrase not in out:
            out.append(phrase)
    return out


def phrase_lines(lines: dict[str, dict[int, str]], phrase: str) -> list[tuple[str, int]]:
    """Every (path, line) whose text holds the phrase as written (case and runs of spaces
    aside): where a pasted message is raised, logged or documented."""
    found: list[tuple[str, int]] = []
    for path in sorted(lines):
        for n, text in sorted(lines[path].items()):
            if phrase in _SPACE.sub(" ", text).lower():
                found.append((path, n))
    return found


def holding_passage(index: PassageIndex, path: str, line: int) -> Passage | None:
    """The smallest passage of the repository's own lines (no fact, no whole section) that
    holds the line."""
    best: Passage | None = None
    for p in index.passages:
        if p.fact is not None or p.section or p.path != path or not p.start <= line <= p.end:
            continue
        if best is None or p.end - p.start < best.end - best.start:
            best = p
    return best
