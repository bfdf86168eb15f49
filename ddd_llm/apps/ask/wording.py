"""How a question is worded, as opposed to what it names (answering without a model).

An operator names the thing they ask about with nouns (the port, the slow log, a
PodDisruptionBudget) and words the action around it freely ("let the container receive",
"how does Docker decide", "the app refuses to start"). The repository may never use the
operator's verb while it answers the question in full; it cannot answer a question about a
thing it never names. So a question word the repository never uses counts against an answer
only when it names something: a noun, a name outside the dictionary, a number, or one of the
operations capabilities (CONCEPTS: back up, rotate, fail over), which are asked about as
verbs too.

    non_topic(question) -> frozenset[str]   stems of the words used as verbs, adjectives,
                                            adverbs or prepositions
    CONCEPTS                                operations capabilities (stems)

Parts of speech come from LemmInflect's lexicon (the NIH SPECIALIST Lexicon, shipped in
its wheel: no download). A word the lexicon knows only as a verb, adjective or adverb is
wording. One it knows as both noun and verb is a verb right after a subject pronoun, "to"
or a modal ("how do I *pass*", "does it *reach*", "should I *choose*"), else a noun.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lemminflect import getAllLemmas

from ddd_llm.index.lexical import stems, tokenize_many

CONCEPTS = stems(
    "backup restore snapshot replica replication failover certificate tls retention memory cpu "
    "disk healthcheck probe upgrade migration cluster schedule cron alert alerts monitoring "
    "metrics quota rotation encryption drain"
)
"""Operations capabilities: a question about one the repository never mentions in any of
its words (synonyms included) is not answered from it, whatever else the question shares."""

NAMING = frozenset({"NOUN", "PROPN"})
VERB_AFTER = frozenset(
    "i we you they it he she to can could should must will would may might shall "
    "don't doesn't didn't can't cannot won't wouldn't shouldn't couldn't mustn't".split()
)
"""Words after which a word that may be a noun or a verb is the verb (a subject pronoun,
"to", a modal, a negated auxiliary: "so I don't *switch* it on")."""
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


@lru_cache(maxsize=4096)
def _tags(word: str) -> frozenset[str]:
    return frozenset(getAllLemmas(word))


def _wording(word: str, before: str) -> bool:
    tags = _tags(word)
    if not tags:
        return False  # outside the dictionary: a name (Kubernetes, memcached, GB)
    if not tags & NAMING:
        return True
    return "VERB" in tags and before in VERB_AFTER


def non_topic(question: str) -> frozenset[str]:
    """The stems of the question's words that only word it (verbs, adjectives, adverbs,
    prepositions), not the ones that name something; a stem used both ways names."""
    words = [w.lower() for w in _WORD.findall(question)]
    wording: set[str] = set()
    naming: set[str] = set()
    for i, (word, stemmed) in enumerate(zip(words, tokenize_many(words), strict=True)):
        before = words[i - 1] if i else ""
        (wording if _wording(word, before) else naming).update(stemmed)
    return frozenset(wording - naming)
