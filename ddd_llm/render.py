"""Render stage: Markdown artifacts from facts.json through the jinja2 templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from ddd_llm.assess import LOG_WORDS
from ddd_llm.models import (
    ConfigParameter,
    FactBase,
    FactsDocument,
    HealthCheck,
    ResourceRequirement,
    Service,
)
from ddd_llm.procedures import Step, health_step, threshold_step
from ddd_llm.resources import data_dir

ARTIFACTS = {"runbook-daily.md": "runbook-daily.md.j2"}


def environment(templates: Path | None = None) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(templates or data_dir("templates"))),
        undefined=StrictUndefined,
        autoescape=False,  # Markdown, not HTML: values are escaped by the md filter instead
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["cell"] = md_cell
    return env


def md_escape(value: object) -> str:
    """Text safe in a Markdown list item: one line, no raw HTML (repository text is untrusted)."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: as md_escape, and `|` cannot end the cell."""
    return md_escape(value).replace("|", "\\|")


def steppable(facts: list[FactBase]) -> list[FactBase]:
    """Policy: contradicted facts never become steps."""
    return [f for f in facts if f.verification.status != "contradicted"]


@dataclass
class ServiceSection:
    service: Service
    health: list[Step] = field(default_factory=list)
    thresholds: list[Step] = field(default_factory=list)


def daily_context(doc: FactsDocument) -> dict[str, Any]:
    facts = steppable(list(doc.facts))
    by_name = {s.name: s for s in doc.services}
    sections = {s.name: ServiceSection(s) for s in doc.services}
    for fact in facts:
        section = sections.get(fact.service or "")
        if section is None:
            continue
        if isinstance(fact, HealthCheck):
            section.health.append(health_step(fact, by_name.get(fact.service or "")))
        elif (
            isinstance(fact, ResourceRequirement)
            and fact.resource in ("cpu", "memory", "disk", "file_descriptors", "gpu")
            and (fact.limit or fact.request)
        ):
            section.thresholds.append(threshold_step(fact, by_name.get(fact.service or "")))
    params = [f for f in facts if isinstance(f, ConfigParameter)]
    return {
        "doc": doc,
        "sections": list(sections.values()),
        "log_params": [p for p in params if any(w in p.name.lower() for w in LOG_WORDS)],
        "drift_params": [p for p in params if p.default is not None and not p.secret],
        "gaps": [g for g in doc.gaps if g.blocks == "daily"],
    }


CONTEXTS = {"runbook-daily.md": daily_context}


def render_all(doc: FactsDocument, out_dir: Path) -> list[Path]:
    env = environment()
    written: list[Path] = []
    for artifact, template in ARTIFACTS.items():
        text = env.get_template(template).render(**CONTEXTS[artifact](doc))
        path = out_dir / artifact
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
