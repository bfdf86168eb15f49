"""The optional prose pass: model-written section introductions, accepted only when they cite
the facts they were given; otherwise the deterministic sentence stays."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ddd_llm.config import ExtractOptions
from ddd_llm.extract.prose import ModelIntros, intro_writer
from ddd_llm.llm import ProviderSettings, get_provider
from ddd_llm.llm.runner import Runner
from ddd_llm.models import FactsDocument
from ddd_llm.render.renderer import render_texts
from tests.artifact_runs import static_run
from tests.fake_openai import FakeOpenAI, user_text

IDS = re.compile(r"^- id: (\S+) \|", re.MULTILINE)
DETERMINISTIC = "Run each service's health check as the platform runs it"


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> FactsDocument:
    return static_run("compose-shop", tmp_path_factory.mktemp("prose")).document


def writer(server: FakeOpenAI) -> ModelIntros:
    settings = ProviderSettings(model="fake-model", base_url=server.base_url, api_key="test")
    runner = Runner(get_provider("openai", settings), timeout=10, transient_attempts=1)
    return ModelIntros(runner, "compose-shop")


def cite_first(body: dict[str, Any]) -> dict[str, Any]:
    ids = IDS.findall(user_text(body))
    return {"text": "These checks <b>confirm</b> each service answers.", "cited_fact_ids": ids[:1]}


def cite_unknown(body: dict[str, Any]) -> dict[str, Any]:
    return {"text": "Invented.", "cited_fact_ids": ["health_check:api:code-endpoint:/made-up"]}


def test_an_intro_citing_given_facts_is_rendered_with_their_citations(doc: FactsDocument) -> None:
    with FakeOpenAI(answer=cite_first) as server:
        texts = render_texts(doc, intro_writer=writer(server))
        asked = [user_text(b) for b in server.requests]
    daily = texts["runbook-daily.md"]
    section = daily.split("## 1. Health verification", 1)[1].split("###", 1)[0]
    assert "These checks &lt;b&gt;confirm&lt;/b&gt; each service answers." in section
    assert "✎ *written by fake-model from [" in section
    assert DETERMINISTIC not in section
    # Only facts were shown, fenced as data; one request per runbook section with facts.
    assert all("<<<FACTS" in a and "FACTS>>>" in a for a in asked)
    assert 8 <= len(asked) <= 12


def test_an_intro_citing_an_unknown_fact_is_refused(doc: FactsDocument) -> None:
    with FakeOpenAI(answer=cite_unknown) as server:
        texts = render_texts(doc, intro_writer=writer(server))
        assert server.requests, "the model was asked"
    daily = texts["runbook-daily.md"]
    assert "Invented." not in daily
    assert "✎" not in daily
    assert DETERMINISTIC in daily


def test_no_prose_pass_without_a_model(tmp_path: Path) -> None:
    assert intro_writer(ExtractOptions(llm="none"), "repo") is None


def test_recorded_intros_replay_without_the_model(doc: FactsDocument, tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    with FakeOpenAI(answer=cite_first) as server:
        live = writer(server)
        live.record_dir = cassettes
        first = render_texts(doc, intro_writer=live)
    settings = ProviderSettings(cassettes=str(cassettes))
    replayed = ModelIntros(Runner(get_provider("replay", settings)), "compose-shop")
    assert render_texts(doc, intro_writer=replayed) == first


def test_refused_and_failed_intros_are_recorded_in_the_run(doc: FactsDocument) -> None:
    with FakeOpenAI(answer=cite_unknown) as server:
        refusing = writer(server)
        render_texts(doc, intro_writer=refusing)
        requests = len(server.requests)
    run = doc.run.model_copy(deep=True)
    line = refusing.account(run)
    asked = refusing.asked  # one per section; each refused answer is re-asked once
    assert asked and requests == 2 * asked and refusing.accepted == 0
    assert line.startswith(f"prose: 0 of {asked} section introductions")
    assert run.usage.llm_calls >= doc.run.usage.llm_calls + asked
    assert len(run.failures) == len(doc.run.failures) + asked
    assert {f.prompt for f in run.failures[-asked:]} == {"section_intro"}

    def broken(body: dict[str, Any]) -> dict[str, Any]:
        return {"no": "text"}

    with FakeOpenAI(answer=broken) as server:
        failing = writer(server)
        render_texts(doc, intro_writer=failing)
    run = doc.run.model_copy(deep=True)
    failing.account(run)
    assert failing.accepted == 0 and len(run.failures) == failing.asked
    assert all("section_intro" == f.prompt and f.error for f in run.failures)
