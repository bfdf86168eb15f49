"""ddd_llm.index.lexical: BM25 over stemmed words, stop words dropped, rank fusion."""

from __future__ import annotations

from ddd_llm.index.lexical import LexicalIndex, fuse, tokenize

TEXTS = [
    "To restart the worker run docker compose restart worker.",
    "The api listens on port 8000; set API_DB_POOL_SIZE for the pool.",
    "Back up postgres nightly with pg_dump.",
]


def test_stemming_lets_restarting_find_restart() -> None:
    index = LexicalIndex(TEXTS)
    ranked = index.rank("restarting the workers")
    assert ranked and ranked[0][0] == 0
    assert tokenize("restarting") == tokenize("restart")


def test_stop_words_are_ignored() -> None:
    assert tokenize("the of and is to") == []
    index = LexicalIndex(TEXTS)
    assert index.rank("the of and") == []
    assert index.scores("the") == [0.0, 0.0, 0.0]


def test_identifiers_count_whole_and_by_parts() -> None:
    tokens = tokenize("API_DB_POOL_SIZE")
    assert {"api", "db", "pool"} <= set(tokens) and len(tokens) == 5
    index = LexicalIndex(TEXTS)
    assert index.rank("pool size")[0][0] == 1
    assert index.coverage(tokenize("postgres pool"), index.held[2]) > 0
    assert index.coverage(tokenize("postgres"), index.held[2]) == 1.0
    assert index.coverage([], index.held[2]) == 0.0


def test_an_empty_corpus_scores_nothing() -> None:
    index = LexicalIndex([])
    assert len(index) == 0 and index.rank("restart") == []


def test_fusion_order_is_deterministic() -> None:
    lexical = ["a", "b", "c"]
    vector = ["c", "d", "a"]
    fused = fuse([lexical, vector])
    assert [k for k, _ in fused] == ["a", "c", "b", "d"]
    assert fused == fuse([lexical, vector])
    # equal fused scores keep the order of first appearance
    assert [k for k, _ in fuse([["x", "y"], ["y", "x"]])] == ["x", "y"]
    assert fuse([]) == []
