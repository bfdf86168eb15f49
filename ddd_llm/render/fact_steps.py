"""Which rendered steps show which facts: a fact id → the file, section and number of each step.

The renderer builds `Step`s (each naming its `fact_ids`) inside the artifact contexts and
numbers them in the templates. This module walks the same contexts to collect the steps,
then finds each one in the Markdown (its bold title line and its evidence labels) to learn
the section heading and the number a reader sees. It reads the renderer; it changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from ddd_llm.models import Citation, FactsDocument
from ddd_llm.render.procedures import Step
from ddd_llm.render.renderer import CONTEXTS, View, md_cell, md_escape

_NUMBERED = re.compile(r"^(\d+)\. \*\*(.*?)\*\*")
_CHECKBOX = re.compile(r"^- \[[ xX]\] \*\*(.*?)\*\*")
_HEADING = re.compile(r"^(#{2,3}) (.+?)\s*$")
_EVIDENCE = "evidence: "


@dataclass(frozen=True)
class StepRef:
    """One step as a reader finds it: file, section, number, title and the facts behind it."""

    file: str
    title: str
    fact_ids: tuple[str, ...]
    citations: tuple[Citation, ...]
    section: str = ""
    """`## heading › ### heading` above the step; empty when it was not found in the text."""
    number: int | None = None
    """The item number shown (None for a checkbox, or when the step was not found)."""
    line: int | None = None
    """1-based line of the step's title in the file; None when it was not found."""

    def label(self) -> str:
        where = f"{self.file} › {self.section}" if self.section else self.file
        num = f"step {self.number}" if self.number is not None else "item"
        return f'{where} · {num} "{self.title}"'


def _walk(value: Any, seen: set[int]) -> Iterator[Step]:
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, Step):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _walk(item, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _walk(item, seen)
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from _walk(getattr(value, f.name), seen)


def steps_by_file(doc: FactsDocument) -> dict[str, list[Step]]:
    """Every step the renderer builds for each artifact, in the order first met."""
    view = View(doc)
    out: dict[str, list[Step]] = {}
    for name, build in CONTEXTS.items():
        out[name] = list(_walk(build(view), set()))
    return out


@dataclass
class _Block:
    line: int
    number: int | None
    title: str
    evidence: str
    section: str
    taken: bool = False


def _blocks(text: str) -> list[_Block]:
    """Each step item of a rendered artifact with the heading it sits under."""
    blocks: list[_Block] = []
    h2 = h3 = ""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if m := _HEADING.match(line):
            if len(m.group(1)) == 2:
                h2, h3 = m.group(2), ""
            else:
                h3 = m.group(2)
            continue
        number: int | None = None
        if m := _NUMBERED.match(line):
            number, title = int(m.group(1)), m.group(2)
        elif m := _CHECKBOX.match(line):
            title = m.group(1)
        else:
            continue
        evidence = ""
        for follow in lines[i + 1 : i + 4]:
            if _EVIDENCE in follow:
                evidence = follow.split(_EVIDENCE, 1)[1]
                break
        section = " › ".join(h for h in (h2, h3) if h)
        blocks.append(_Block(i + 1, number, title, evidence, section))
    return blocks


def _labels(citations: Iterable[Citation], limit: int = 4) -> list[str]:
    return [f"[{md_cell(c)}]" for c in list(citations)[:limit]]


def locate(file: str, steps: Iterable[Step], text: str | None) -> list[StepRef]:
    """The steps of one artifact, each found in `text` (its Markdown) when it is there."""
    blocks = _blocks(text) if text is not None else []
    refs: list[StepRef] = []
    for step in steps:
        title = md_escape(step.title)
        labels = _labels(step.citations)
        found = next(
            (
                b
                for b in blocks
                if not b.taken and b.title == title and all(lab in b.evidence for lab in labels)
            ),
            None,
        )
        base = StepRef(file, step.title, tuple(step.fact_ids), tuple(step.citations))
        if found is None:
            refs.append(base)
            continue
        found.taken = True
        refs.append(
            StepRef(
                file,
                step.title,
                base.fact_ids,
                base.citations,
                section=found.section,
                number=found.number,
                line=found.line,
            )
        )
    return refs


def step_refs(doc: FactsDocument, texts: Mapping[str, str | None]) -> list[StepRef]:
    """Every step of `doc`'s artifacts located in `texts` (file name → Markdown, or None)."""
    refs: list[StepRef] = []
    for file, steps in steps_by_file(doc).items():
        refs.extend(locate(file, [s for s in steps if s.fact_ids], texts.get(file)))
    return refs


def steps_for(refs: Iterable[StepRef]) -> dict[str, list[StepRef]]:
    """fact id → the steps that render it."""
    out: dict[str, list[StepRef]] = {}
    for ref in refs:
        for fid in ref.fact_ids:
            out.setdefault(fid, []).append(ref)
    return out
