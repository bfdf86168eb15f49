"""YAML loading that keeps exact 1-based line ranges for every mapping key and list item."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

import yaml

from ddd_llm.scan.text import EOL, line_starts


@dataclass(frozen=True)
class Span:
    start: int
    end: int


class YamlMap(dict[Any, Any]):
    """A YAML mapping; `span` covers the whole mapping, `key_span[k]` covers `k: value`."""

    span: Span
    key_span: dict[Any, Span]

    def line_of(self, key: Any) -> Span:
        return self.key_span.get(key, self.span)


class YamlList(list[Any]):
    """A YAML sequence; `item_span[i]` covers item i."""

    span: Span
    item_span: list[Span]

    def line_of(self, index: int) -> Span:
        return self.item_span[index] if 0 <= index < len(self.item_span) else self.span


@dataclass
class YamlDocument:
    data: Any
    span: Span
    index: int = 0


@dataclass
class YamlParseError(Exception):
    message: str
    line: int | None = None
    documents: list[YamlDocument] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


class _Constructor(yaml.constructor.SafeConstructor):
    pass


class _Lines:
    """1-based line and 0-based column of a YAML mark, numbered as citations number lines.

    PyYAML's own `mark.line` also counts NEL, U+2028 and U+2029 as line breaks, so a
    value holding one would shift every later line; the mark's character index does not.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = line_starts(text)
        # The end of a text that ends with a line break is not a line of its own.
        self.count = (
            len(self.starts) - 1 if text and self.starts[-1] == len(text) else len(self.starts)
        )

    def line(self, mark: yaml.Mark) -> int:
        return max(1, min(self.count, bisect_right(self.starts, int(mark.index))))

    def column(self, mark: yaml.Mark) -> int:
        return int(mark.index) - self.starts[self.line(mark) - 1]


def _end_line(node: yaml.Node, lines: _Lines) -> int:
    """Last line holding the node's own text (block collections end at their last child)."""
    first = lines.line(node.start_mark)
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style:
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if lines.line(key.start_mark) >= first:  # skip `<<` merged-in keys
                    children += [key, value]
        else:
            children = list(node.value)
        ends = [_end_line(c, lines) for c in children if lines.line(c.start_mark) >= first]
        return max([first, *ends])
    mark = node.end_mark
    last = lines.line(mark)
    # A block scalar ends at column 0 of the line after its last character.
    end = last - 1 if lines.column(mark) == 0 and last > first else last
    if end > first:
        # A `|` or `>` scalar's end mark also takes in the blank lines after it.
        own = EOL.split(lines.text[node.start_mark.index : mark.index])  # own[0] is line `first`
        while end > first and end - first < len(own) and not own[end - first].strip():
            end -= 1
    return end


def _span(node: yaml.Node, lines: _Lines) -> Span:
    first = lines.line(node.start_mark)
    return Span(first, max(first, _end_line(node, lines)))


def _convert(node: yaml.Node, constructor: _Constructor, lines: _Lines, depth: int = 0) -> Any:
    if depth > 200:
        raise YamlParseError("YAML nesting deeper than 200 levels", lines.line(node.start_mark))
    if isinstance(node, yaml.MappingNode):
        constructor.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        out = YamlMap()
        out.span = _span(node, lines)
        out.key_span = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, constructor, lines, depth + 1)
            if isinstance(key, (dict, list)):
                key = str(key)
            out[key] = _convert(value_node, constructor, lines, depth + 1)
            first = lines.line(key_node.start_mark)
            out.key_span[key] = Span(first, max(first, _end_line(value_node, lines)))
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = YamlList()
        seq.span = _span(node, lines)
        seq.item_span = []
        for item in node.value:
            seq.append(_convert(item, constructor, lines, depth + 1))
            seq.item_span.append(_span(item, lines))
        return seq
    if isinstance(node, yaml.ScalarNode):
        try:
            return constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError):  # also integers past Python's digit limit
            return node.value
    return None


def load_documents(text: str) -> list[YamlDocument]:
    """Every document of a (multi-document) YAML text, with positions.

    Raises YamlParseError naming the line of the first error; the documents that
    parsed before it are on the error so callers can still use them.
    """
    docs: list[YamlDocument] = []
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # control characters are refused before parsing
        at = text.count("\n", 0, exc.position) + 1
        raise YamlParseError(
            f"invalid YAML: control character {exc.character!r} not allowed", at, docs
        ) from None
    constructor = _Constructor()
    lines = _Lines(text)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            docs.append(YamlDocument(_convert(node, constructor, lines), _span(node, lines), index))
            index += 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = lines.line(mark) if mark is not None else None
        problem = exc.problem or "invalid YAML"
        raise YamlParseError(f"invalid YAML: {problem}", line, docs) from None
    except yaml.YAMLError as exc:
        raise YamlParseError(f"invalid YAML: {exc}", None, docs) from None
    except RecursionError:
        raise YamlParseError("YAML nested too deeply", None, docs) from None
    finally:
        loader.dispose()
    return docs
