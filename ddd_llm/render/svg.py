"""Layered graph layout for the HTML report's pictures: pure geometry, drawn by its template.

A graph (nodes in a given order, edges between them) is laid out top to bottom in layers:
a node sits one layer below the lowest node it has an edge from, nodes are ordered inside a
layer by where their parents sit, and every coordinate is a whole number. The same graph
always gives the same picture. Text is not escaped here: the template does that (autoescape).
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Shape = Literal["box", "decision"]

CHAR_W = 7.2
"""Width of one character of the labels' 12 px monospace font (0.6 em)."""
LINE_H = 15
PAD_X = 10
PAD_Y = 7
WRAP = 30
"""Characters per label line before it wraps."""
MAX_LINES = 4
GAP_X = 28
GAP_Y = 52
MARGIN = 16
DECISION_INSET = 12
SIDE_BULGE = 36


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    shape: Shape = "box"
    css: str = ""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    css: str = ""
    tip: str = ""
    """Shown on hover (the SVG title), after `source → target`."""


@dataclass(frozen=True)
class PlacedNode:
    id: str
    lines: tuple[str, ...]
    shape: Shape
    css: str
    x: int
    y: int
    w: int
    h: int
    layer: int

    @property
    def points(self) -> str:
        """The outline of a decision node (a hexagon), as an SVG points list."""
        x, y, w, h, i = self.x, self.y, self.w, self.h, DECISION_INSET
        mid = y + h // 2
        corners = [(x + i, y), (x + w - i, y), (x + w, mid), (x + w - i, y + h), (x + i, y + h)]
        return " ".join(f"{px},{py}" for px, py in [*corners, (x, mid)])

    @property
    def text_x(self) -> int:
        return self.x + self.w // 2

    def text_ys(self) -> list[int]:
        """The baseline of each label line, centred vertically."""
        top = self.y + (self.h - LINE_H * len(self.lines)) // 2
        return [top + LINE_H * (i + 1) - 4 for i in range(len(self.lines))]


@dataclass(frozen=True)
class PlacedEdge:
    source: str
    target: str
    path: str
    label: str
    label_x: int
    label_y: int
    css: str
    tip: str


@dataclass(frozen=True)
class Picture:
    id: str
    width: int
    height: int
    nodes: tuple[PlacedNode, ...]
    edges: tuple[PlacedEdge, ...]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def wrap_label(text: str, width: int = WRAP, max_lines: int = MAX_LINES) -> tuple[str, ...]:
    """A label as at most `max_lines` lines of at most `width` characters (long words broken)."""
    flat = " ".join(str(text).split())
    lines = textwrap.wrap(flat, width, break_long_words=True, break_on_hyphens=False) or [""]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1][: width - 1] + "…"]
    return tuple(lines)


def layers(order: Sequence[str], edges: Sequence[Edge]) -> dict[str, int]:
    """Each node's layer: one below the lowest node placed before it that has an edge to it.

    `order` is a topological order where the graph has one; an edge from a node placed later
    (a cycle) does not move its target, so every graph gets layers."""
    parents: dict[str, list[str]] = {n: [] for n in order}
    for e in edges:
        if e.target in parents and e.source in parents:
            parents[e.target].append(e.source)
    layer: dict[str, int] = {}
    for name in order:
        placed = [layer[p] for p in parents[name] if p in layer]
        layer[name] = max(placed) + 1 if placed else 0
    return layer


def _size(lines: Sequence[str], shape: Shape) -> tuple[int, int]:
    longest = max(len(line) for line in lines)
    w = math.ceil(longest * CHAR_W) + 2 * PAD_X + (2 * DECISION_INSET if shape == "decision" else 0)
    return w, LINE_H * len(lines) + 2 * PAD_Y


def layout(picture_id: str, nodes: Sequence[Node], edges: Sequence[Edge]) -> Picture:
    """Nodes (in their order: a topological one where there is one) and edges, placed."""
    order = [n.id for n in nodes]
    rank = {n: i for i, n in enumerate(order)}
    layer_of = layers(order, edges)
    by_layer: dict[int, list[Node]] = {}
    for n in nodes:
        by_layer.setdefault(layer_of[n.id], []).append(n)
    parents: dict[str, list[str]] = {n: [] for n in order}
    for e in edges:
        if e.source in rank and e.target in rank and layer_of[e.source] < layer_of[e.target]:
            parents[e.target].append(e.source)
    slot: dict[str, float] = {}
    for depth in sorted(by_layer):
        row = by_layer[depth]

        def barycentre(n: Node) -> tuple[float, int]:
            seen = [slot[p] for p in parents[n.id] if p in slot]
            return (sum(seen) / len(seen) if seen else -1.0, rank[n.id])

        row.sort(key=barycentre)
        for i, n in enumerate(row):
            slot[n.id] = float(i)
    sizes = {n.id: _size(wrap_label(n.label), n.shape) for n in nodes}
    widths = {
        d: sum(sizes[n.id][0] for n in row) + GAP_X * (len(row) - 1) for d, row in by_layer.items()
    }
    inner = max(widths.values(), default=0)
    placed: dict[str, PlacedNode] = {}
    y = MARGIN
    for depth in sorted(by_layer):
        row = by_layer[depth]
        x = MARGIN + (inner - widths[depth]) // 2
        height = max(sizes[n.id][1] for n in row)
        for n in row:
            w, h = sizes[n.id]
            placed[n.id] = PlacedNode(
                n.id, wrap_label(n.label), n.shape, n.css, x, y + (height - h) // 2, w, h, depth
            )
            x += w + GAP_X
        y += height + GAP_Y
    has_side = any(
        e.source in placed and e.target in placed and layer_of[e.source] >= layer_of[e.target]
        for e in edges
    )
    width = inner + 2 * MARGIN + (SIDE_BULGE + 40 if has_side else 0)
    height = (y - GAP_Y + MARGIN) if placed else 2 * MARGIN
    routed = tuple(
        _route(placed[e.source], placed[e.target], e)
        for e in edges
        if e.source in placed and e.target in placed
    )
    return Picture(picture_id, width, height, tuple(placed[n] for n in order), routed)


def _route(a: PlacedNode, b: PlacedNode, edge: Edge) -> PlacedEdge:
    """A curve from a's bottom to b's top, or around the right side when b is not below a."""
    if a.layer < b.layer:
        x1, y1 = a.x + a.w // 2, a.y + a.h
        x2, y2 = b.x + b.w // 2, b.y
        mid = (y1 + y2) // 2
        path = f"M{x1},{y1} C{x1},{mid} {x2},{mid} {x2},{y2}"
        lx, ly = (x1 + x2) // 2, mid + 4
    else:
        x1, y1 = a.x + a.w, a.y + a.h // 2
        x2, y2 = b.x + b.w, b.y + b.h // 2
        out = max(x1, x2) + SIDE_BULGE
        path = f"M{x1},{y1} C{out},{y1} {out},{y2} {x2},{y2}"
        lx, ly = out - 4, (y1 + y2) // 2 + 4
    return PlacedEdge(a.id, b.id, path, edge.label, lx, ly, edge.css, edge.tip)


# ------------------------------------------------------------------ escalation flowcharts

_ARROW = re.compile(r"\s+(?:--\s+(?P<label>.+?)\s+)?-->\s+")
_REF = re.compile(r'^(?P<id>[A-Za-z_][\w-]*)(?:\["(?P<box>[^"]*)"\]|\{"(?P<decision>[^"]*)"\})?$')
_ENTITY = re.compile(r"#(35|quot|lt|gt);")
_ENTITIES = {"35": "#", "quot": '"', "lt": "<", "gt": ">"}


class FlowchartSyntax(ValueError):
    """A flowchart line outside the subset `render.renderer.flowchart` writes."""


def _unlabel(text: str) -> str:
    """The text of a Mermaid label (the inverse of `renderer.mermaid_label`)."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def parse_flowchart(chart: str) -> tuple[list[Node], list[Edge]]:
    """The nodes (in order of first mention) and edges of a `flowchart TD` written by
    `render.renderer.flowchart`: `a["label"] --> b{"label"}`, `a -- yes --> b`."""
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    lines = [line.strip() for line in chart.splitlines() if line.strip()]
    if not lines or lines[0] != "flowchart TD":
        raise FlowchartSyntax("a flowchart starts with `flowchart TD`")

    def ref(text: str) -> str:
        m = _REF.match(text)
        if m is None:
            raise FlowchartSyntax(f"not a node reference: {text!r}")
        node_id = m.group("id")
        if m.group("box") is not None:
            nodes.setdefault(node_id, Node(node_id, _unlabel(m.group("box")), "box"))
        elif m.group("decision") is not None:
            nodes.setdefault(node_id, Node(node_id, _unlabel(m.group("decision")), "decision"))
        elif node_id not in nodes:
            raise FlowchartSyntax(f"node {node_id} is used before it is labelled")
        return node_id

    for line in lines[1:]:
        parts = _ARROW.split(line)
        if len(parts) != 3:
            raise FlowchartSyntax(f"not one edge: {line!r}")
        source, label, target = parts
        edges.append(Edge(ref(source), ref(target), label or ""))
    return list(nodes.values()), edges


def flowchart_picture(picture_id: str, chart: str, css: Mapping[str, str] | None = None) -> Picture:
    """A flowchart's picture; `css` gives node classes by label prefix (e.g. `Escalate`)."""
    nodes, edges = parse_flowchart(chart)
    styled = [
        Node(
            n.id,
            n.label,
            n.shape,
            next((c for prefix, c in (css or {}).items() if n.label.startswith(prefix)), ""),
        )
        for n in nodes
    ]
    return layout(
        picture_id,
        styled,
        [Edge(e.source, e.target, e.label, e.label if e.label.isalnum() else "") for e in edges],
    )
