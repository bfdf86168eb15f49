"""Chunk stage: split files into token-bounded pieces with exact 1-based line ranges."""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from ddd_llm.chunk.tokens import count_tokens
from ddd_llm.scan.pool import pool_map, pool_size
from ddd_llm.scan.text import split_lines

MAX_TOKENS = 400
"""Upper bound of one chunk (MiniLM reads 256 word pieces; retrieval is still useful past it)."""
TRUNCATED = " … [line truncated]"
MIN_TOKENS = 60
"""Neighbouring pieces smaller than this are merged, so a chunk carries some context."""


@dataclass(frozen=True)
class Chunk:
    path: str
    start_line: int
    end_line: int
    text: str
    kind: str
    """python, yaml, markdown or text: how the file was split."""
    tokens: int

    @property
    def id(self) -> str:
        """Content-addressed: the same lines of the same file give the same id on every run."""
        digest = hashlib.sha256(f"{self.path}\0{self.start_line}\0{self.text}".encode())
        return digest.hexdigest()[:32]

    @property
    def location(self) -> str:
        return f"{self.path}:{self.start_line}-{self.end_line}"


Segment = tuple[int, int]  # 1-based inclusive line range


def _python_segments(text: str, n_lines: int) -> list[Segment] | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    starts: list[int] = []
    for node in tree.body:
        first = node.lineno
        decorators = getattr(node, "decorator_list", [])
        if decorators:
            first = min(first, *(d.lineno for d in decorators))
        starts.append(first)
    return _segments_from_starts(starts, n_lines)


def _segments_from_starts(starts: list[int], n_lines: int) -> list[Segment]:
    """Ranges that begin at each start and run to the next one (the preamble goes first)."""
    cuts = sorted({s for s in starts if 1 < s <= n_lines})
    bounds = [1, *cuts, n_lines + 1]
    return [(a, b - 1) for a, b in zip(bounds, bounds[1:], strict=False) if b - 1 >= a]


_YAML_DOC = re.compile(r"^---")
_YAML_TOP_KEY = re.compile(r"^[^\s#-][^:]*:")


def _yaml_segments(lines: list[str]) -> list[Segment]:
    starts = [i + 1 for i, line in enumerate(lines) if _YAML_DOC.match(line)]
    starts += [i + 1 for i, line in enumerate(lines) if _YAML_TOP_KEY.match(line)]
    return _segments_from_starts(starts, len(lines))


_MD_HEADING = re.compile(r"^#{1,6}\s")


def _markdown_segments(lines: list[str]) -> list[Segment]:
    starts: list[int] = []
    fenced = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and _MD_HEADING.match(line):
            starts.append(i + 1)
    return _segments_from_starts(starts, len(lines))


def _block_segments(lines: list[str]) -> list[Segment]:
    starts = [i + 1 for i in range(1, len(lines)) if lines[i].strip() and not lines[i - 1].strip()]
    return _segments_from_starts(starts, len(lines))


def file_kind(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in (".py", ".pyi"):
        return "python"
    if suffix in (".yml", ".yaml"):
        return "yaml"
    if suffix in (".md", ".markdown", ".rst"):
        return "markdown"
    return "text"


def _split_large(lines: list[str], seg: Segment, max_tokens: int) -> list[Segment]:
    """Cut a segment that is over budget into runs of whole lines that fit."""
    out: list[Segment] = []
    start = seg[0]
    used = 0
    for n in range(seg[0], seg[1] + 1):
        cost = count_tokens(lines[n - 1] + "\n")
        if used and used + cost > max_tokens:
            out.append((start, n - 1))
            start, used = n, 0
        used += cost
    out.append((start, seg[1]))
    return out


def chunk_file(path: str, text: str, *, max_tokens: int = MAX_TOKENS) -> list[Chunk]:
    """Chunks covering every non-blank line of the file, in order, each within `max_tokens`."""
    lines = split_lines(text)
    if not lines:
        return []
    kind = file_kind(path)
    segments: list[Segment] | None = None
    if kind == "python":
        segments = _python_segments(text, len(lines))
        if segments is None:
            kind = "text"
    if segments is None:
        if kind == "yaml":
            segments = _yaml_segments(lines)
        elif kind == "markdown":
            segments = _markdown_segments(lines)
        else:
            segments = _block_segments(lines)

    def body(seg: Segment) -> str:
        return "\n".join(lines[seg[0] - 1 : seg[1]])

    sized: list[tuple[Segment, int]] = []
    for seg in segments:
        tokens = count_tokens(body(seg))
        if tokens > max_tokens:
            sized.extend((s, count_tokens(body(s))) for s in _split_large(lines, seg, max_tokens))
        else:
            sized.append((seg, tokens))

    merged: list[tuple[Segment, int]] = []
    for seg, tokens in sized:
        if merged:
            (pstart, _pend), ptokens = merged[-1]
            if (ptokens < MIN_TOKENS or tokens < MIN_TOKENS) and ptokens + tokens <= max_tokens:
                merged[-1] = ((pstart, seg[1]), ptokens + tokens)
                continue
        merged.append((seg, tokens))

    chunks: list[Chunk] = []
    for (start, end), _ in merged:
        # Trim blank lines at the edges so citations point at content.
        while start < end and not lines[start - 1].strip():
            start += 1
        while end > start and not lines[end - 1].strip():
            end -= 1
        piece = body((start, end))
        if not piece.strip():
            continue
        tokens = count_tokens(piece)
        while tokens > max_tokens:
            # Only a single over-long line (minified code, a data blob) gets here.
            piece = piece[: max(1, len(piece) * max_tokens // tokens - 16)]
            tokens = count_tokens(piece + TRUNCATED)
            if tokens <= max_tokens:
                piece += TRUNCATED
        chunks.append(Chunk(path, start, end, piece, kind, tokens))
    return chunks


def _chunk_item(item: tuple[str, str]) -> list[Chunk]:
    """A pool worker's unit: one file's chunks."""
    return chunk_file(*item)


def chunk_files(
    files: Sequence[tuple[str, str]],
    *,
    last: Callable[[str], bool] | None = None,
    workers: int | None = None,
) -> list[Chunk]:
    """The chunks of every (path, text), in the files' order, except that the files `last`
    names (tests and fixtures) come after all the others: an index filled in this order,
    or cut short, holds the repository's own code first.

    `workers`: processes chunking (default: `pool_size` of the file count); the chunks are
    the same whatever the number."""
    ordered = list(files)
    if last is not None:
        ordered.sort(key=lambda pt: last(pt[0]))  # stable: the files' order within each part
    size = pool_size(len(ordered), workers)
    return [c for chunks in pool_map(_chunk_item, ordered, size) for c in chunks]
