"""Lexical ranking: BM25 (bm25s) over English-stemmed words, and reciprocal rank fusion.

    LexicalIndex(texts)                 one in-memory BM25 index, built once per repository
      .scores(query) -> list[float]     the BM25 score of every text, in the order given
      .coverage(query, i) -> float      share of the query's (idf-weighted) stems text i holds
    tokenize(text) -> list[str]         Snowball English stems, English stop words dropped
    fuse(rankings, k=60) -> [(id, s)]   reciprocal rank fusion, ties broken by id

Identifiers count whole and by their parts (API_DB_POOL_SIZE → api_db_pool_size, api, db,
pool, size), so a question that names a knob matches the lines that set it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Sequence
from functools import cache
from typing import Any, TypeVar

import bm25s  # type: ignore[import-untyped]
import Stemmer  # type: ignore[import-not-found]

K = TypeVar("K", bound=Hashable)

RRF_K = 60
"""The usual reciprocal-rank-fusion constant: 1 / (RRF_K + rank)."""
_IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]*")
_SPLIT = re.compile(r"[_.\-/]+")
_TOKEN = r"(?u)\b\w\w+\b"


@cache
def _stemmer() -> Any:
    return Stemmer.Stemmer("english")


def _expand(text: str) -> str:
    """The text with each compound identifier followed by its parts."""
    out: list[str] = []
    for raw in _IDENT.findall(text):
        word = raw.strip(".-/_")
        parts = [p for p in _SPLIT.split(word) if p]
        if len(parts) > 1:
            out.append(word.replace(".", "_").replace("-", "_").replace("/", "_"))
            out.extend(parts)
        else:
            out.append(word)
    return " ".join(out)


def tokenize_many(texts: Sequence[str]) -> list[list[str]]:
    """Each text's stems (bm25s.tokenize: lower case, English stop words, Snowball stems)."""
    if not texts:
        return []
    tokens = bm25s.tokenize(
        [_expand(t) for t in texts],
        stopwords="en",
        stemmer=_stemmer().stemWords,
        token_pattern=_TOKEN,
        return_ids=False,
        show_progress=False,
    )
    return [list(t) for t in tokens]


def tokenize(text: str) -> list[str]:
    return tokenize_many([text])[0]


def stem(word: str) -> str:
    """One word's Snowball English stem (no stop-word removal): health/healthy → health."""
    return str(_stemmer().stemWord(word.lower()))


def stems(words: str) -> frozenset[str]:
    """The stems of a space-separated word list (for vocabularies written as plain words)."""
    return frozenset(stem(w) for w in words.split())


class LexicalIndex:
    """BM25 over a fixed list of texts (chunks, facts), in memory."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.tokens = tokenize_many(texts)
        self.held = [frozenset(t) for t in self.tokens]
        n = len(self.tokens)
        df: dict[str, int] = {}
        for held in self.held:
            for t in held:
                df[t] = df.get(t, 0) + 1
        # BM25's own (Lucene) idf, as bm25s scores with it: rare words weigh more.
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.default_idf = math.log(1 + (n + 0.5) / 0.5)
        self._bm25: bm25s.BM25 | None = None
        if any(self.tokens):
            self._bm25 = bm25s.BM25()
            self._bm25.index(self.tokens, show_progress=False)

    def __len__(self) -> int:
        return len(self.tokens)

    def scores(self, query: str | Sequence[str]) -> list[float]:
        """BM25 score of every text for the query (a string, or its tokens)."""
        words = tokenize(query) if isinstance(query, str) else list(query)
        known = [w for w in words if w in self.idf]
        if self._bm25 is None or not known:
            return [0.0] * len(self)
        return [float(s) for s in self._bm25.get_scores(known)]

    def rank(self, query: str | Sequence[str], limit: int | None = None) -> list[tuple[int, float]]:
        """(text number, score) of the texts that match, best first, ties by number."""
        found = [(i, s) for i, s in enumerate(self.scores(query)) if s > 0]
        found.sort(key=lambda p: (-p[1], p[0]))
        return found[:limit] if limit is not None else found

    def weight(self, token: str) -> float:
        return self.idf.get(token, self.default_idf)

    def coverage(self, query: Iterable[str], held: frozenset[str] | set[str]) -> float:
        """Share of the query tokens' idf weight that `held` (a text's tokens) holds."""
        wanted = set(query)
        total = sum(self.weight(t) for t in wanted)
        if not total:
            return 0.0
        return sum(self.weight(t) for t in wanted if t in held) / total


def fuse(rankings: Iterable[Sequence[K]], k: int = RRF_K) -> list[tuple[K, float]]:
    """Reciprocal rank fusion of best-first rankings: sum of 1 / (k + rank), rank from 1.

    Deterministic: equal fused scores keep the order in which the ids were first seen
    (the first ranking's order first).
    """
    fused: dict[K, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, 1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    order = {key: n for n, key in enumerate(fused)}
    return sorted(fused.items(), key=lambda p: (-p[1], order[p[0]]))
