"""Line splitting that agrees with editors, `ast` and YAML: only \\n, \\r\\n and \\r end a line."""

from __future__ import annotations

import re

EOL = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as numbered by citations (str.splitlines also breaks on \\f, \\x1c, \\u2028 …)."""
    lines = EOL.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def line_starts(text: str) -> list[int]:
    """Offset of the first character of each line, numbered as `split_lines` numbers them."""
    return [0, *(m.end() for m in EOL.finditer(text))]
