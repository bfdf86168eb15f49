"""Reading calls in source whose comments are blanked and string interiors masked (Go, JS/TS)."""

from __future__ import annotations

import bisect
import re

from ddd_llm.evidence.base import AnalyzerResult, SourceFile

Span = tuple[int, int]
BRACKETS = re.compile(r"[()\[\]{},]")
MAX_CALL = 20000
"""A call's arguments are looked for this many characters past its bracket, no further."""


class MaskedCode:
    """`masked` has the same offsets as `text`, with comments and literal interiors blanked.

    Subclasses fill `text`, `masked` and `_starts` (each line's first offset).
    """

    text: str
    masked: str
    _starts: list[int]
    unterminated: list[tuple[str, int]]
    """(what, offset) of each comment or literal the file never closes."""

    def warn_unterminated(self, source: SourceFile, result: AnalyzerResult, analyzer: str) -> None:
        for what, offset in self.unterminated:
            result.warn(
                source,
                f"unterminated {what}; the rest of the file was read as part of it",
                self.line(offset),
                analyzer,
            )

    def line(self, offset: int) -> int:
        """1-based line number of a character offset."""
        return bisect.bisect_right(self._starts, offset)

    def args(self, open_at: int) -> tuple[list[Span], int] | None:
        """Top-level argument spans of the bracket opened at `open_at`, and its closing offset."""
        masked = self.masked
        depth = 0
        spans: list[Span] = []
        start = open_at + 1
        for m in BRACKETS.finditer(masked, open_at, min(len(masked), open_at + MAX_CALL)):
            ch = m.group()
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
                if depth == 0:
                    spans.append((start, m.start()))
                    trimmed = [self.trim(s) for s in spans]
                    if trimmed and trimmed[-1][0] == trimmed[-1][1]:
                        trimmed.pop()
                    return trimmed, m.start()
                if depth < 0:
                    return None
            elif depth == 1:
                spans.append((start, m.start()))
                start = m.end()
        return None

    def trim(self, span: Span) -> Span:
        s, e = span
        while s < e and self.masked[s].isspace():
            s += 1
        while e > s and self.masked[e - 1].isspace():
            e -= 1
        return s, e
