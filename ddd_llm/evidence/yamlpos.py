"""YAML loading that keeps exact 1-based line ranges for every mapping key and list item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml


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


def _end_line(node: yaml.Node) -> int:
    """Last line holding the node's own text (block collections end at their last child)."""
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style:
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.start_mark.line >= node.start_mark.line:  # skip `<<` merged-in keys
                    children += [key, value]
        else:
            children = list(node.value)
        ends = [_end_line(c) for c in children if c.start_mark.line >= node.start_mark.line]
        return max([node.start_mark.line + 1, *ends])
    mark = node.end_mark
    # A block scalar ends at column 0 of the line after its last character.
    end = int(mark.line) if mark.column == 0 and mark.line > node.start_mark.line else mark.line + 1
    buffer = getattr(mark, "buffer", None)
    first = node.start_mark.line + 1
    if isinstance(buffer, str) and end > first:
        # A `|` or `>` scalar's end mark also takes in the blank lines after it.
        own = buffer[node.start_mark.index : mark.index].split("\n")  # own[0] is line `first`
        while end > first and end - first < len(own) and not own[end - first].strip():
            end -= 1
    return int(end)


def _span(node: yaml.Node) -> Span:
    return Span(node.start_mark.line + 1, max(node.start_mark.line + 1, _end_line(node)))


def _convert(node: yaml.Node, constructor: _Constructor, depth: int = 0) -> Any:
    if depth > 200:
        raise YamlParseError("YAML nesting deeper than 200 levels", node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        constructor.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        out = YamlMap()
        out.span = _span(node)
        out.key_span = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, constructor, depth + 1)
            if isinstance(key, (dict, list)):
                key = str(key)
            out[key] = _convert(value_node, constructor, depth + 1)
            out.key_span[key] = Span(
                key_node.start_mark.line + 1,
                max(key_node.start_mark.line + 1, _end_line(value_node)),
            )
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = YamlList()
        seq.span = _span(node)
        seq.item_span = []
        for item in node.value:
            seq.append(_convert(item, constructor, depth + 1))
            seq.item_span.append(_span(item))
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
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            docs.append(YamlDocument(_convert(node, constructor), _span(node), index))
            index += 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or "invalid YAML"
        raise YamlParseError(f"invalid YAML: {problem}", line, docs) from None
    except yaml.YAMLError as exc:
        raise YamlParseError(f"invalid YAML: {exc}", None, docs) from None
    except RecursionError:
        raise YamlParseError("YAML nested too deeply", None, docs) from None
    finally:
        loader.dispose()
    return docs
