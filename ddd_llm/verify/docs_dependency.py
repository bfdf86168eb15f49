"""A dependency a model read in the documentation: whether the cited lines say it.

Prose is a claim about the system, not evidence of it, so a dependency cited only from
documentation is never `verified` on its own. But documentation can refute one: a model
that cites a README line merely *mentioning* a service (a list of microservices to start, a
folder layout) for "A needs B" has read something the line does not say. The cited lines
state a dependency on the target when

- they sit under a heading about what the program needs (`## Dependencies`, `## Requirements`,
  `## Prerequisites`) and name the target; or
- one of their sentences has a verb of needing (`needs`, `requires`, `depends on`, `relies
  on`, `uses`, `connects to`, `communicates with`, …) with the target among the few words
  after it (or the target before `is required` / `must be running`), and, when the claim
  names its service, that sentence does not make another service of the repository (and
  not the claimed one) the subject.

Otherwise the check fails and the claim is contradicted: the documentation it cites does not
say what it claims.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ddd_llm.evidence.docs._needs import needs_heading
from ddd_llm.models import Check, Dependency
from ddd_llm.scan.repotext import RepoText, is_prose_path, normalise
from ddd_llm.verify.documented import heading_above

CHECK = "docs_state_it"
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_NEED_VERB = re.compile(
    r"(?i)\b(?:needs?|needed|requires?|required|depends?\s+on|dependent\s+on|relies\s+on|"
    r"rely\s+on|uses?|using|connects?\s+to|talks?\s+to|calls?|communicates?\s+with|"
    r"communicate\s+with|reach(?:es)?|backed\s+by|stores?\s+\w+\s+in|sends?\s+\w+\s+to|"
    r"reads?\s+from|writes?\s+to|via|through|against)\b"
)
_PASSIVE = re.compile(
    r"(?i)\b(?:is|are|must\s+be|should\s+be|has\s+to\s+be)\s+(?:\w+\s+)?"
    r"(?:required|needed|used|necessary|mandatory|running|reachable)\b"
)
"""`PostgreSQL is required`, `Redis must be running`: the target comes before the verb."""
_WINDOW = 6
"""How many words after the verb the target may come (`requires a running PostgreSQL`)."""
_SENTENCE = re.compile(r"(?<=[.;!?])\s+|\n\s*\n")


def _plain(text: str) -> str:
    return _LINK.sub(r"\1", text).replace("`", "").replace("*", "")


def _words(text: str) -> list[str]:
    return re.findall(r"[\w.+/-]+", text)


def _mentions(words: list[str], name: str) -> bool:
    want = normalise(name)
    return any(want and want in normalise(w) for w in words)


def _says(sentence: str, claim: Dependency, services: set[str]) -> bool:
    """A verb of needing with the target among the words after it, and no other service
    as the subject while the claimed one goes unnamed."""
    for passive in _PASSIVE.finditer(sentence):
        if _mentions(_words(sentence[: passive.start()])[-_WINDOW:], claim.target):
            return True
    for verb in _NEED_VERB.finditer(sentence):
        after = _words(sentence[verb.end() :])[:_WINDOW]
        if not _mentions(after, claim.target):
            continue
        if claim.service:
            before = _words(sentence[: verb.start()])
            others = [s for s in services if s != claim.service and s != claim.target]
            subject_is_other = any(_mentions(before, s) for s in others)
            if subject_is_other and not _mentions(_words(sentence), claim.service):
                continue
        return True
    return False


def docs_dependency_check(
    claim: Dependency, files: RepoText, services: Iterable[str]
) -> Check | None:
    """Whether documentation cited as a dependency's only evidence states it; None when a
    citation is code or configuration (other checks judge those)."""
    if not claim.citations or not all(is_prose_path(c.path) for c in claim.citations):
        return None
    known = {s.lower() for s in services}
    for citation in claim.citations:
        lines = files.lines(citation.path)
        if lines is None:
            continue
        cited = lines[citation.start_line - 1 : citation.end_line]
        text = _plain("\n".join(cited))
        if not _mentions(_words(text), claim.target):
            continue
        heading = heading_above(lines, citation.start_line)
        if heading and needs_heading(heading):
            return Check(
                name=CHECK,
                passed=True,
                detail=f"{citation} lists {claim.target!r} under “{heading.strip()}”",
            )
        for sentence in _SENTENCE.split(" ".join(text.split("\n"))):
            if _says(sentence, claim, known):
                return Check(
                    name=CHECK,
                    passed=True,
                    detail=f"{citation} says something needs {claim.target!r}",
                )
    cited_all = ", ".join(str(c) for c in claim.citations)
    return Check(
        name=CHECK,
        passed=False,
        detail=f"the documentation cited ({cited_all}) does not say that "
        f"{claim.service or 'the program'} needs {claim.target!r}: it only mentions it",
    )
