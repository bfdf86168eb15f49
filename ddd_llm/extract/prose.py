"""Optional prose pass: a model writes a short introduction per runbook section from its facts.

Only with an LLM configured (never on `--llm none`). Each section's request carries
the facts its steps come from (id, status, service, summary), fenced as data. An
answer is accepted only when every id it cites is one of the facts it was given and
its text is non-empty; anything else — a failed call, an unknown id, a replay miss —
leaves the template's deterministic sentence in place. Accepted text is rendered
with the citations of the facts it cites.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

from ddd_llm.config import ExtractOptions, build_runner
from ddd_llm.llm import LlmRequest, capabilities
from ddd_llm.llm.prompting import environment, files_version
from ddd_llm.llm.replay import write_cassette
from ddd_llm.llm.runner import Runner
from ddd_llm.models import FactBase, LlmFailure, RunInfo, Usage
from ddd_llm.render.renderer import Intro, SectionBrief

PROMPT = "section_intro"
FILES = ("section_intro_system.j2", "section_intro.j2")
MAX_FACTS = 40
"""Facts shown per section: enough to introduce it, few enough for a small context."""


class SectionIntro(BaseModel):
    """The model's answer: a few sentences and the ids of the facts they rely on."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=800,
        description="two or three plain sentences introducing the section, from the facts only",
    )
    cited_fact_ids: list[str] = Field(
        min_length=1, description="ids, exactly as given, of every fact the text relies on"
    )

    @model_validator(mode="after")
    def _cites_only_given_facts(self, info: ValidationInfo) -> SectionIntro:
        ctx: dict[str, Any] = info.context or {}
        given = ctx.get("fact_ids")
        if given is not None:
            unknown = [i for i in self.cited_fact_ids if i not in given]
            if unknown:
                raise ValueError(f"cite only the given fact ids; not given: {unknown[:5]}")
        return self


def prompt_version() -> str:
    """The prompt's version: a hash of its two files (it includes no shared part)."""
    return files_version(FILES)


def shown(brief: SectionBrief) -> list[FactBase]:
    return brief.facts[:MAX_FACTS]


def request_for(brief: SectionBrief, repo: str, version: str) -> LlmRequest:
    env = environment()
    facts = [
        {
            "id": f.id,
            "status": f.verification.status,
            "service": f.service or "-",
            "summary": " ".join(f.summary.split()),
        }
        for f in shown(brief)
    ]
    system = env.get_template(FILES[0]).render()
    user = env.get_template(FILES[1]).render(
        title=brief.title, cadence=brief.key.split(".")[0], repo=repo, facts=facts
    )
    return LlmRequest(
        prompt=PROMPT,
        prompt_version=version,
        messages=({"role": "system", "content": system}, {"role": "user", "content": user}),
        response_model=SectionIntro,
        max_retries=1,
        context={"fact_ids": [f["id"] for f in facts]},
        label=brief.key,
    )


def accept(brief: SectionBrief, data: dict[str, Any], model: str) -> Intro | None:
    """The answer as an Intro when it cites only the brief's facts, else None."""
    by_id = {f.id: f for f in shown(brief)}
    try:
        answer = SectionIntro.model_validate(data, context={"fact_ids": list(by_id)})
    except ValidationError:
        return None
    text = " ".join(answer.text.split())
    if not text or any(i not in by_id for i in answer.cited_fact_ids):
        return None
    cited = list(dict.fromkeys(answer.cited_fact_ids))
    return Intro(text=text, citations=[by_id[i].citations[0] for i in cited], model=model)


class ModelIntros:
    """An IntroWriter asking one model through the Runner (cache, retries, concurrency)."""

    def __init__(self, runner: Runner, repo: str, record_dir: Path | None = None) -> None:
        self.runner = runner
        self.repo = repo
        self.record_dir = record_dir
        """Where to write cassettes of the answers (`--record`), for `--llm replay`."""
        self.asked = 0
        self.accepted = 0
        self.refused: list[str] = []
        """Sections whose answer arrived but cited facts it was not given (kept the template)."""

    def __call__(self, briefs: list[SectionBrief]) -> dict[str, Intro]:
        version = prompt_version()
        outcomes = self.runner.run([request_for(b, self.repo, version) for b in briefs])
        self.asked += len(briefs)
        intros: dict[str, Intro] = {}
        for brief, outcome in zip(briefs, outcomes, strict=True):
            if outcome.completion is None:
                continue
            if self.record_dir is not None:
                provider = self.runner.provider.name
                write_cassette(self.record_dir, outcome.request, outcome.completion, provider)
            model = outcome.completion.model or self.runner.provider.model
            intro = accept(brief, outcome.completion.data, model)
            if intro is not None:
                intros[brief.key] = intro
                self.accepted += 1
            else:
                self.refused.append(brief.key)
        return intros

    def account(self, run: RunInfo) -> str:
        """Add this pass's calls and failures to `run`; a one-line report of what it wrote."""
        usage = self.runner.stats.usage
        run.usage = Usage(
            llm_calls=run.usage.llm_calls + usage.llm_calls,
            cache_hits=run.usage.cache_hits + usage.cache_hits,
            prompt_tokens=run.usage.prompt_tokens + usage.prompt_tokens,
            completion_tokens=run.usage.completion_tokens + usage.completion_tokens,
        )
        failed = self.runner.stats.failures
        run.failures.extend(
            LlmFailure(prompt=f.prompt, location=f.label, error=f.error, attempts=f.attempts)
            for f in failed
        )
        run.failures.extend(
            LlmFailure(
                prompt=PROMPT,
                location=key,
                error="the introduction cited facts it was not given; the template's is used",
                attempts=1,
            )
            for key in self.refused
        )
        return (
            f"prose: {self.accepted} of {self.asked} section introductions written by the model"
            f" ({len(failed) + len(self.refused)} failed or refused: the templates' sentences"
            " stand in)"
        )


def intro_writer(options: ExtractOptions, repo: str) -> ModelIntros | None:
    """The prose pass for these options, or None when no model is configured."""
    if not capabilities(options.llm).answers_questions:
        return None
    return ModelIntros(build_runner(options), repo, options.record_dir)
