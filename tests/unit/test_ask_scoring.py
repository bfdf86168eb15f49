"""ddd_llm.evals.qa_score: a gold fact written with service "-" (any service, as everywhere
in evals/) finds the run's fact of that kind and key whatever service it was given."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ddd_llm.evals.qa_score import Expected, _Judge
from ddd_llm.models import Citation


def _judge(tmp_path: Path, ids: dict[str, int]) -> _Judge:
    facts = [
        SimpleNamespace(id=fid, citations=[Citation(path="main.go", start_line=n, end_line=n)])
        for fid, n in ids.items()
    ]
    knowledge: Any = SimpleNamespace(root=tmp_path, document=SimpleNamespace(facts=facts))
    return _Judge(knowledge)


def test_any_service_gold_fact_finds_the_run_fact_of_any_service(tmp_path: Path) -> None:
    judge = _judge(
        tmp_path,
        {
            "config_parameter:cmd:--data.retention": 53,
            "config_parameter:cmd:--data.retention-extra": 60,
            "health_check:web:k8s-liveness:/": 70,
        },
    )
    assert judge.places(Expected(fact="config_parameter:-:--data.retention")) == [
        ("main.go", 53, 53)
    ]
    # Keys with colons stay whole; a named service still has to match exactly.
    assert judge.places(Expected(fact="health_check:-:k8s-liveness:/")) == [("main.go", 70, 70)]
    assert judge.places(Expected(fact="config_parameter:api:--data.retention")) == []
    assert judge.places(Expected(fact="config_parameter:-:--data")) == []


def test_a_citation_in_a_file_the_answer_lies_in_is_the_right_file(tmp_path: Path) -> None:
    from ddd_llm.evals.qa_score import Question

    judge = _judge(tmp_path, {"config_parameter:cmd:--data.retention": 53})
    q = Question(
        id="q",
        question="How long is data kept?",
        answerable=True,
        expect=[Expected(fact="config_parameter:-:--data.retention")],
        also=[Expected(path="docs/storage.md", lines=(10, 12))],
    )

    def at(path: str, line: int) -> Citation:
        return Citation(path=path, start_line=line, end_line=line)

    assert judge.right_file([at("main.go", 99)], q)  # the fact's file, other lines
    assert judge.right_file([at("README.md", 1), at("docs/storage.md", 40)], q)
    assert not judge.right_file([at("README.md", 1)], q)
    assert not judge.right_file([], q)
    assert not judge.supports(at("main.go", 99), q)  # the strict measure still wants lines
