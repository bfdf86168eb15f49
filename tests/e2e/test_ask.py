"""`ddd-llm ask`: retrieval, citation checks and re-asks, refusals with gaps, the question sets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ddd_llm.apps.ask import (
    NOT_DOCUMENTED,
    AskSession,
    AskSettings,
    Knowledge,
    load_knowledge,
    open_session,
    reask_request,
)
from ddd_llm.cli.app import app
from ddd_llm.config import ExtractOptions
from ddd_llm.errors import InputError
from ddd_llm.evals.qa_score import (
    QaReport,
    load_answers,
    load_questions,
    merge_reports,
    report_lines,
    run_questions,
    write_cassettes,
)
from ddd_llm.llm import Completion, ProviderSettings, local_available
from ddd_llm.llm.replay import write_cassette
from tests.conftest import FIXTURES, ONNX_DIR, REPO

QUESTIONS = REPO / "evals" / "questions"
QA_FIXTURES = sorted(p.stem for p in QUESTIONS.glob("*.yaml") if not p.stem.endswith(".answers"))
runner = CliRunner()


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Knowledge]]:
    """Each question fixture's static facts.json and index, built once (as `ask` builds them)."""
    if not ONNX_DIR.is_dir():
        pytest.skip(f"embedding model not found at {ONNX_DIR} (../shared missing)")
    with pytest.MonkeyPatch.context() as mp:  # conftest's autouse set-up is per test
        mp.setenv("HOME", str(tmp_path_factory.mktemp("home")))
        mp.setenv("DDD_LLM_ONNX_DIR", str(ONNX_DIR))
        out: dict[str, Knowledge] = {}
        for name in QA_FIXTURES:
            options = ExtractOptions(out_dir=tmp_path_factory.mktemp(name), llm="none")
            out[name] = load_knowledge(FIXTURES / name, options)
            assert out[name].index is not None, out[name].notes
        yield out


def _options(k: Knowledge, llm: str = "none", cassettes: Path | None = None) -> ExtractOptions:
    return ExtractOptions(
        out_dir=k.out_dir,
        llm=llm,
        provider_settings=ProviderSettings(cassettes=str(cassettes) if cassettes else None),
        no_cache=True,
    )


def _session(k: Knowledge, llm: str = "none", cassettes: Path | None = None) -> AskSession:
    return open_session(k.root, _options(k, llm, cassettes), knowledge=k)


# --- question sets -----------------------------------------------------------------------


def test_question_sets_are_big_enough_and_point_at_real_facts(
    knowledge: dict[str, Knowledge],
) -> None:
    total = unanswerable = 0
    for name in QA_FIXTURES:
        questions = load_questions(QUESTIONS / f"{name}.yaml")
        total += len(questions)
        unanswerable += sum(not q.answerable for q in questions)
        fact_ids = {f.id for f in knowledge[name].document.facts}
        for q in questions:
            for item in [*q.expect, *q.also]:
                if item.fact is not None:
                    assert item.fact in fact_ids, f"{name} {q.id}: no fact {item.fact}"
                else:
                    assert item.path is not None and item.lines is not None
                    lines = (FIXTURES / name / item.path).read_text().splitlines()
                    assert item.lines[1] <= len(lines), f"{name} {q.id}: {item.label()}"
            if q.answerable:
                assert q.expect, f"{name} {q.id}: an answerable question needs `expect`"
    assert total >= 15
    assert unanswerable * 3 >= total


def test_replayed_answers_meet_the_bar(knowledge: dict[str, Knowledge], tmp_path: Path) -> None:
    """The hand-authored answers through the real pipeline: retrieval must give the model
    the lines the answers cite, bad citations must be re-asked and removed, refusals must
    name their gaps. The cassettes are written here from evals/questions/*.answers.yaml
    (as evals/tools/author_ask_cassettes.py writes the committed ones), so a change in
    chunking or facts upstream re-keys them instead of turning every answer into a miss."""
    reports: list[QaReport] = []
    for name in QA_FIXTURES:
        k = knowledge[name]
        questions = load_questions(QUESTIONS / f"{name}.yaml")
        answers = load_answers(QUESTIONS / f"{name}.answers.yaml")
        problems = write_cassettes(_session(k), questions, answers, tmp_path / name)
        assert problems == [], f"{name}: retrieval no longer gives what the answers cite"
        options = _options(k, "replay", tmp_path / name)
        reports.append(run_questions(k.root, questions, options, knowledge=k))
    total = merge_reports(reports)
    print("\n".join(line for r in [*reports, total] for line in report_lines(r)))
    t = total.totals
    assert t.model_failures == 0
    assert t.citation_precision >= 0.9
    assert t.refusal_accuracy >= 0.9
    assert t.citation_recall >= 0.8
    assert t.gap_accuracy == 1.0
    assert t.reasked >= 3 and t.removed_citations >= 1  # the deliberately bad answers
    by_id = {r.id: r for r in total.results}
    assert by_id["vm-load-balancer"].refused  # it invented a file; refused when re-asked
    rollback = by_id["k8s-rollback"]
    assert rollback.removed_citations == 1 and "README.md:160" not in rollback.cited
    assert any("removed citations" in w for w in rollback.warnings)


def test_load_questions_rejects_malformed_entries(tmp_path: Path) -> None:
    bad = tmp_path / "q.yaml"
    bad.write_text("- {id: a, question: q, answerable: true, expect: [{path: README.md}]}\n")
    with pytest.raises(InputError, match="question 1"):
        load_questions(bad)
    bad.write_text(
        "- {id: a, question: q, answerable: false}\n- {id: a, question: r, answerable: false}\n"
    )
    with pytest.raises(InputError, match="repeated"):
        load_questions(bad)


# --- retrieval -----------------------------------------------------------------------------


PARAMETER_QUESTIONS = [
    ("compose-shop", "What is a safe value for API_DB_POOL_SIZE?", "api:API_DB_POOL_SIZE"),
    ("compose-shop", "Can I raise --concurrency on the worker?", "worker:--concurrency"),
    (
        "k8s-payments",
        "what's the default of fraud_score_threshold",
        "gateway:FRAUD_SCORE_THRESHOLD",
    ),
    ("vm-telemetry", "What is a safe --flush-interval?", "telemetry-collector:--flush-interval"),
]


@pytest.mark.parametrize(("name", "question", "key"), PARAMETER_QUESTIONS)
def test_a_parameter_question_finds_its_fact_first(
    knowledge: dict[str, Knowledge], name: str, question: str, key: str
) -> None:
    sources = _session(knowledge[name]).retrieve(question)
    assert sources[0].fact is not None and sources[0].fact.id == f"config_parameter:{key}"


def test_retrieval_keeps_to_the_token_budget(knowledge: dict[str, Knowledge]) -> None:
    k = knowledge["compose-shop"]
    for budget in (300, 600, 2500):
        session = AskSession(k, None, AskSettings(context_tokens=budget))
        sources = session.retrieve("How do I verify that a deploy worked?")
        assert sources and sum(s.tokens for s in sources) <= budget
    assert all(
        s.fact is None or s.fact.verification.status == "verified"
        for s in _session(k).retrieve("What is a safe value for API_DB_POOL_SIZE?")
    )


# --- with a model: citation checks, re-ask, strip --------------------------------------------


def _answer(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "not_found": False,
        "confidence": "high",
        "answer": "x",
        "citations": [],
        "steps": [],
    }
    return {**base, **fields}


def _cite(text: str) -> dict[str, Any]:
    path, _, lines = text.rpartition(":")
    start, _, end = lines.partition("-")
    return {"path": path, "start_line": int(start), "end_line": int(end or start)}


def _record(
    session: AskSession, folder: Path, question: str, first: dict[str, Any],
    second: dict[str, Any] | None = None, problems: list[str] | None = None,
) -> None:  # fmt: skip
    """Cassettes for the request `ask` makes, and (when given) for its re-ask."""
    from ddd_llm.llm.schemas import AnswerCitation

    request = session.request(question, session.retrieve(question))
    write_cassette(folder, request, Completion(data=first), "test")
    if second is not None:
        bad = [AnswerCitation.model_validate(_cite(p)) for p in problems or []]
        write_cassette(folder, reask_request(request, first, bad), Completion(data=second), "test")


QUESTION = "What is a safe value for API_DB_POOL_SIZE?"


def test_an_invalid_citation_is_re_asked_once(
    knowledge: dict[str, Knowledge], tmp_path: Path
) -> None:
    k = knowledge["compose-shop"]
    live = _session(k)
    first = _answer(answer="5-20", citations=[_cite("README.md:300-301")])
    second = _answer(answer="5 to 20", citations=[_cite("README.md:89-90")])
    _record(live, tmp_path, QUESTION, first, second, ["README.md:300-301"])
    result = _session(k, "replay", tmp_path).ask(QUESTION)
    assert result.mode == "llm" and result.reasked and not result.not_found
    assert result.answer == "5 to 20"
    assert [str(c) for c in result.citations] == ["README.md:89-90"]
    assert any("README.md:300-301" in w for w in result.warnings)


def test_still_invalid_after_the_re_ask_is_removed_with_a_warning(
    knowledge: dict[str, Knowledge], tmp_path: Path
) -> None:
    k = knowledge["compose-shop"]
    bad_step = {"text": "invented", "citation": _cite("api/app/main.py:999")}
    good_step = {"text": "keep it at 10", "citation": _cite("docker-compose.yml:25")}
    answer = _answer(
        citations=[_cite("README.md:89-93"), _cite("nope.md:1")], steps=[good_step, bad_step]
    )
    _record(
        _session(k), tmp_path, QUESTION, answer, answer, ["nope.md:1-1", "api/app/main.py:999-999"]
    )
    result = _session(k, "replay", tmp_path).ask(QUESTION)
    assert [str(c) for c in result.citations] == ["README.md:89-93"]
    assert [s.text for s in result.steps] == ["keep it at 10"]
    assert {str(c) for c in result.removed_citations} == {"nope.md:1", "api/app/main.py:999"}
    assert any("removed citations" in w for w in result.warnings)
    assert any("dropped 1 step" in w for w in result.warnings)


def test_an_answer_that_cites_nothing_is_not_given(
    knowledge: dict[str, Knowledge], tmp_path: Path
) -> None:
    k = knowledge["compose-shop"]
    uncited = _answer(answer="Set it to 999.")
    _record(_session(k), tmp_path, QUESTION, uncited, uncited, [])
    result = _session(k, "replay", tmp_path).ask(QUESTION)
    assert result.reasked and result.not_found
    assert result.answer.startswith(NOT_DOCUMENTED) and "999" not in result.answer
    assert result.steps == [] and result.citations == []


def test_a_model_refusal_names_the_gap_and_keeps_no_steps(
    knowledge: dict[str, Knowledge], tmp_path: Path
) -> None:
    k = knowledge["compose-shop"]
    question = "What is the memory limit of the proxy?"
    step = {"text": "docker update --memory 1g proxy", "citation": _cite("docker-compose.yml:4")}
    _record(_session(k), tmp_path, question, _answer(not_found=True, steps=[step], answer="none"))
    result = _session(k, "replay", tmp_path).ask(question)
    assert result.not_found and result.steps == []
    assert result.gap is not None and result.gap.id == "gap:resource_threshold:proxy"
    assert "Known gap (CRITICAL)" in result.answer


def test_a_failed_model_call_falls_back_to_the_facts(
    knowledge: dict[str, Knowledge], tmp_path: Path
) -> None:
    result = _session(knowledge["compose-shop"], "replay", tmp_path).ask(QUESTION)  # no cassette
    assert result.model_failed and result.mode == "static"
    assert any("model call failed" in w for w in result.warnings)
    assert "docker-compose.yml:25" in [str(c) for c in result.citations]


# --- without a model -------------------------------------------------------------------------


def test_static_steps_quote_the_repository_lines_they_cite(
    knowledge: dict[str, Knowledge],
) -> None:
    k = knowledge["compose-shop"]
    result = _session(k).ask("How do I back up the Postgres database and check the dump?")
    assert not result.not_found and result.steps
    readme = (FIXTURES / "compose-shop" / "README.md").read_text().splitlines()
    for step in result.steps:
        assert step.citation.path == "README.md"
        assert readme[step.citation.start_line - 1].strip() == step.text
    assert any("pg_dump" in s.text for s in result.steps)


def test_static_refusal_of_an_undocumented_safe_range_names_the_gap(
    knowledge: dict[str, Knowledge],
) -> None:
    result = _session(knowledge["compose-shop"]).ask("What is a safe value for WORKER_MAX_RETRIES?")
    assert result.not_found
    assert result.gap is not None and result.gap.priority == "MEDIUM"
    assert "WORKER_MAX_RETRIES" in result.gap.id
    assert [str(c) for c in result.citations] == ["worker/worker/config.py:9"]


@pytest.mark.parametrize(
    ("fixture", "answered", "refused", "cited"),
    [
        # The same question about a service that has the thing and one that has not.
        (
            "compose-shop",
            "What is the memory limit of the worker?",
            "What is the memory limit of the proxy?",
            "docker-compose.yml:61",
        ),
        (
            "vm-telemetry",
            "What is the memory limit of collector-rotate?",
            "What is the CPU limit of collector-rotate?",
            "deploy/systemd/collector-rotate.service:13",
        ),
    ],
)
def test_static_answer_needs_the_service_and_the_thing_asked_about(
    knowledge: dict[str, Knowledge], fixture: str, answered: str, refused: str, cited: str
) -> None:
    session = _session(knowledge[fixture])
    yes = session.ask(answered)
    assert not yes.not_found and yes.mode == "static"
    assert [str(c) for c in yes.cited()] == [cited]
    no = session.ask(refused)
    assert no.not_found and no.answer.startswith(NOT_DOCUMENTED)
    assert no.cited() == []


def test_static_answer_quotes_the_section_it_cites_and_refuses_the_unmentioned(
    knowledge: dict[str, Knowledge],
) -> None:
    k = knowledge["vm-telemetry"]
    session = _session(k)
    result = session.ask("How do I rotate the collector's logs?")
    assert not result.not_found
    assert [str(c) for c in result.cited()] == ["README.md:91-99"]
    readme = (FIXTURES / "vm-telemetry" / "README.md").read_text().splitlines()
    assert readme[90].startswith("## Logs") and readme[92].strip() in result.answer  # quoted
    deps = session.ask("What must be running before I restart the telemetry collector?")
    assert not deps.not_found
    assert {c.path for c in deps.cited()} == {"deploy/systemd/telemetry-collector.service"}
    never = _session(knowledge["compose-shop"]).ask(
        "How do I fail over the database to a standby host?"
    )
    assert never.not_found and never.cited() == []


# --- injection ------------------------------------------------------------------------------

INJECTED = "What is a safe value for RELAY_MAX_CONNECTIONS?"


@pytest.mark.parametrize("llm", ["none", "replay"])
def test_injected_readme_does_not_set_the_answer(
    knowledge: dict[str, Knowledge], llm: str, tmp_path: Path
) -> None:
    k = knowledge["ask-injection"]
    if llm == "replay":  # the hand-written answer of a careful model, for the real request
        name = "ask-injection"
        questions = load_questions(QUESTIONS / f"{name}.yaml")
        answers = load_answers(QUESTIONS / f"{name}.answers.yaml")
        assert write_cassettes(_session(k), questions, answers, tmp_path) == []
    session = _session(k, llm, tmp_path if llm == "replay" else None)
    sources = session.retrieve(INJECTED)
    assert sources[0].fact is not None and sources[0].fact.id.endswith("RELAY_MAX_CONNECTIONS")
    assert sources[0].fact.max == 500  # type: ignore[attr-defined]
    result = session.ask(INJECTED)
    assert not result.not_found and result.mode == ("llm" if llm == "replay" else "static")
    assert "500" in result.answer and "999999" not in result.answer
    assert result.citations[0].path == "relay/settings.py"
    assert all(c.path != "README.md" for c in result.citations)
    # The README reaches the model only fenced as data, under a system prompt that says so.
    messages = session.request(INJECTED, sources).messages
    assert "not instructions" in messages[0]["content"]
    user = messages[1]["content"]
    start = user.index("NOTE TO AI ASSISTANTS")
    assert user.rfind("<<<SOURCE", 0, start) > user.rfind("SOURCE>>>", 0, start)


# --- the command --------------------------------------------------------------------------


def test_cli_json_refusal_names_the_gap(knowledge: dict[str, Knowledge]) -> None:
    k = knowledge["compose-shop"]
    result = runner.invoke(
        app,
        ["ask", str(k.root), "What is the memory limit of the proxy?", "--llm", "none",
         "--out", str(k.out_dir), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["not_found"] is True and answer["mode"] == "static"
    assert answer["gap"] == {
        "id": "gap:resource_threshold:proxy",
        "priority": "CRITICAL",
        "message": "proxy has no resource monitoring threshold (no cpu or memory limit)",
    }
    assert answer["answer"].startswith(NOT_DOCUMENTED)


def test_cli_builds_what_is_missing_and_renders_markdown(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["ask", str(FIXTURES / "ask-injection"), INJECTED, "--llm", "none", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert (out / "facts.json").is_file() and (out / "index").is_dir()
    assert "RELAY_MAX_CONNECTIONS" in result.stdout and "relay/settings.py:13" in result.stdout
    assert "static evidence only" in result.stderr


def test_interactive_prompt_answers_until_exit_and_keeps_history(
    knowledge: dict[str, Knowledge],
) -> None:
    k = knowledge["vm-telemetry"]
    result = runner.invoke(
        app,
        ["ask", str(k.root), "--llm", "none", "--out", str(k.out_dir), "--json"],
        input="What must be running before I restart the telemetry collector?\n\nexit\n",
    )
    assert result.exit_code == 0, result.output
    # Each answer is one JSON line (after the echoed "ask> " prompt).
    answers = [
        json.loads(line[line.index("{") :]) for line in result.stdout.splitlines() if "{" in line
    ]
    assert len(answers) == 1
    cited = {c["path"] for c in answers[0]["citations"]}
    assert cited == {"deploy/systemd/telemetry-collector.service"}
    assert (k.out_dir / "ask_history").is_file()


def test_cli_bad_path_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ask", str(tmp_path / "nope"), "anything?", "--llm", "none"])
    assert result.exit_code == 2


# --- the bundled local model ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not local_available(), reason="the [local] extra is not installed")
def test_local_model_answer_is_checked_like_any_other(knowledge: dict[str, Knowledge]) -> None:
    """SmolLM2-135M answers poorly; whatever it says must come out grounded or refused."""
    k = knowledge["ask-injection"]
    session = open_session(
        k.root,
        _options(k, "local"),
        AskSettings(context_tokens=300, max_retries=0),
        knowledge=k,
    )
    result = session.ask(INJECTED)
    if result.model_failed:  # its JSON did not parse: answered from the facts instead
        assert result.mode == "static" and "500" in result.answer
        return
    ranges = [(c.path, c.start_line, c.end_line) for s in result.sources for c in s.citations]
    assert result.not_found or result.citations
    for c in result.cited():
        assert any(p == c.path and a <= c.start_line <= c.end_line <= b for p, a, b in ranges)
