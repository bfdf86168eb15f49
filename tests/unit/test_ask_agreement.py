"""`ask --llm none`: a passage holding a little less of the question's words than an answer
needs (AGREE_MIN up to ANSWER_MIN) answers when the vector index, searched by meaning,
ranks it among the closest places too (ddd_llm.apps.ask._agreeing). The index here returns
the hits a test names, so both directions are exact; tests/e2e/test_ask.py runs it on the
real embedding model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ddd_llm.apps.ask import AGREE_K, Knowledge
from ddd_llm.index.store import Hit
from tests.unit.test_ask_passages_evidence import ask, cited, knowledge

FILES = {
    "docs/sessions.md": (
        "# Sessions\n\n## Tokens\n\nAccess tokens expire after one day. A refresh token stays "
        "valid for 30 days; after that\nthe user must sign in again with their password.\n"
    ),
    "docs/backup.md": (
        "# Backups\n\nCopy /var/lib/notes while the server is stopped; restore by copying it "
        "back.\n"
    ),
    "docs/email.md": "# Email\n\nPassword reset mails go through the SMTP relay in SMTP_HOST.\n",
    "docs/logging.md": "# Logging\n\nLogs go to stderr. Set LOG_LEVEL=debug for more detail.\n",
    "docs/search.md": "# Search\n\nThe search index is rebuilt nightly; `notes reindex` now.\n",
}
QUESTION = (
    "How many days is a refresh token good for before users are asked for their password on "
    "the login page again?"
)


class Nearest:
    """A vector index whose nearest chunks, for any question, are the given files."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        self.asked: list[int] = []

    def query(self, text: str, n_results: int = 8, paths: Any = None) -> list[Hit]:
        self.asked.append(n_results)
        return [Hit(p, 1, 8, FILES[p], 0.3) for p in self.paths[:n_results]]


def _with_index(k: Knowledge, index: Any) -> Knowledge:
    return replace(k, index=index)


def test_words_and_meaning_agreeing_on_a_passage_answer(tmp_path: Path) -> None:
    k = knowledge(tmp_path, FILES)
    # The words alone hold too little of the question: without an index, refused.
    assert ask(k, QUESTION).not_found
    near = Nearest(["docs/sessions.md", "docs/email.md", "docs/backup.md"])
    result = ask(_with_index(k, near), QUESTION)
    assert not result.not_found
    assert cited(result) and all(c.startswith("docs/sessions.md:") for c in cited(result))
    assert AGREE_K in near.asked  # the nearest AGREE_K chunks are what meaning agrees on


def test_meaning_elsewhere_does_not_answer(tmp_path: Path) -> None:
    k = knowledge(tmp_path, FILES)
    # The vector index ranks other places first: the words' best passage stays unconfirmed.
    far = Nearest(["docs/email.md", "docs/backup.md", "docs/logging.md", "docs/sessions.md"])
    assert ask(_with_index(k, far), QUESTION).not_found
    # Meaning never makes up for what the words do not hold at all.
    near = Nearest(["docs/sessions.md"])
    assert ask(_with_index(k, near), "How do I rotate the SMTP relay's TLS certificate?").not_found
