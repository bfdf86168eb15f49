"""Real-repository scoring (ddd_llm/evals/real_score.py) and gold's `where` (facts_score)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ddd_llm.evals.facts_score import GoldFact, load_gold
from ddd_llm.evals.real_score import (
    PlannedExcerpt,
    kind_scores,
    load_plan,
    match_facts,
    reachable_recall,
    value_scores,
    verified_scores,
    where_recall,
)
from ddd_llm.models import Citation, ConfigParameter, Dependency, FactBase, HealthCheck

REPO = Path(__file__).resolve().parents[2]


def param(name: str, service: str | None = None, line: int = 1, **kw: Any) -> ConfigParameter:
    return ConfigParameter(
        name=name,
        service=service,
        summary=name,
        citations=[Citation(path=kw.pop("path", "app.yml"), start_line=line, end_line=line)],
        **kw,
    )


def gold(fact: FactBase, where: str = "config") -> GoldFact:
    return GoldFact(fact, "static", where)


def test_a_null_service_in_gold_matches_any_service_and_a_named_one_only_itself() -> None:
    golds = [gold(param("server.port")), gold(param("GIT_REPO", "config-server"))]
    predicted = [param("server.port", "spring-petclinic-config-server"), param("GIT_REPO", "api")]
    m = match_facts(predicted, golds)
    assert [g.fact.id for g, _ in m.pairs] == ["config_parameter:-:server.port"]
    assert [g.fact.id for g in m.missed] == ["config_parameter:config-server:GIT_REPO"]
    # the GIT_REPO of another service is not right
    assert [p.id for p in m.extra] == ["config_parameter:api:GIT_REPO"]


def test_keys_compare_with_case_kept_and_whitespace_collapsed() -> None:
    hc = HealthCheck(
        check_type="exec",
        target="curl  -f http://x",
        mechanism="compose-healthcheck",
        summary="s",
        citations=[Citation(path="c.yml", start_line=1, end_line=1)],
    )
    golds = [gold(param("PORT")), gold(hc.model_copy(update={"target": "curl -f http://x"}))]
    m = match_facts([param("port"), hc], golds)
    assert [g.fact.fact_kind for g, _ in m.pairs] == ["health_check"]
    assert [p.id for p in m.extra] == ["config_parameter:-:port"]


def test_precision_and_recall_per_kind_count_duplicates_once() -> None:
    golds = [
        gold(param("A")),
        gold(param("B")),
        gold(
            Dependency(
                target="db",
                summary="d",
                citations=[Citation(path="c.yml", start_line=2, end_line=2)],
            ),
            "deploy",
        ),
    ]
    predicted = [param("A"), param("A"), param("C")]
    m = match_facts(predicted, golds)
    scores = kind_scores(m, golds, predicted, ["config_parameter", "dependency"])
    cp = scores["config_parameter"]
    assert (cp.predicted, cp.correct, cp.expected, cp.found) == (2, 1, 2, 1)
    assert cp.missed == ["config_parameter:-:B"] and cp.extra == ["config_parameter:-:C"]
    assert scores["dependency"].recall == 0.0 and scores["dependency"].precision == 1.0


def test_values_exact_judges_only_the_fields_gold_states() -> None:
    golds = [
        gold(param("A", default="10", min=1)),
        gold(param("B", default="x")),
        gold(param("C")),  # states nothing: not judged
    ]
    predicted = [param("A", default="10", min=1.0, max=99), param("B", default="y"), param("C")]
    v = value_scores(match_facts(predicted, golds), ["config_parameter"])["config_parameter"]
    assert (v.good, v.total) == (1, 2)  # A exact (an extra max is not judged), B wrong
    assert [(m.fact_id, m.field) for m in v.mismatches] == [("config_parameter:-:B", "default")]


def test_recall_per_where() -> None:
    golds = [gold(param("A"), "config"), gold(param("B"), "docs"), gold(param("C"), "docs")]
    r = where_recall(match_facts([param("B")], golds), golds)
    assert list(r) == ["config", "docs"]
    assert (r["config"].rate, r["docs"].found, r["docs"].expected) == (0.0, 1, 2)


def test_reachable_counts_found_facts_and_evidence_inside_a_planned_excerpt_of_the_kind() -> None:
    golds = [
        gold(param("FOUND", line=3)),
        gold(param("SHOWN", line=10)),
        gold(param("OTHER_KIND", line=20)),
        gold(param("UNSEEN", line=40)),
    ]
    plan = [
        PlannedExcerpt("config_parameter", "app.yml", 5, 15),
        PlannedExcerpt("health_check", "app.yml", 18, 25),
    ]
    m = match_facts([param("FOUND")], golds)
    reach = reachable_recall(m, golds, plan, ["config_parameter"])
    assert reach is not None
    assert (reach["config_parameter"].found, reach["config_parameter"].expected) == (2, 4)
    assert reachable_recall(m, golds, None) is None


def test_plan_json_is_read_whatever_its_nesting_and_missing_means_none(tmp_path: Path) -> None:
    assert load_plan(tmp_path) is None
    (tmp_path / "plan.json").write_text(
        json.dumps(
            {
                "calls": [
                    {
                        "kind": "dependency",
                        "path": "a.yml",
                        "start_line": 1,
                        "end_line": 9,
                        "prompt_tokens": 120,
                    },
                    {
                        "kind": "config_parameter",
                        "excerpts": [{"path": "b.py", "start_line": "3", "end_line": 4}],
                    },
                ],
                "by_kind": {"health_check": [{"path": "c.go", "start_line": 2, "end_line": 2}]},
            }
        )
    )
    plan = load_plan(tmp_path)
    assert plan == [
        PlannedExcerpt("dependency", "a.yml", 1, 9, 120),
        PlannedExcerpt("config_parameter", "b.py", 3, 4, 0),
        PlannedExcerpt("health_check", "c.go", 2, 2, 0),
    ]
    (tmp_path / "plan.json").write_text("{not json")
    assert load_plan(tmp_path) is None


def test_load_gold_reads_where_and_counts_every_labelled_fact_as_static(tmp_path: Path) -> None:
    facts = [
        {
            "kind": "config_parameter",
            "name": "A",
            "summary": "a",
            "where": "docs",
            "note": "from the README",
            "citations": [{"path": "README.md", "start_line": 1, "end_line": 1}],
        },
        {
            "kind": "config_parameter",
            "name": "B",
            "summary": "b",
            "evidence": "prose",
            "citations": [{"path": "README.md", "start_line": 2, "end_line": 2}],
        },
    ]
    path = tmp_path / "gold.json"
    path.write_text(json.dumps({"facts": facts}))
    a, b = load_gold(path)
    assert (a.where, a.evidence) == ("docs", "static")
    assert (b.where, b.evidence) == (None, "prose")  # legacy gold keeps its label
    facts[0]["where"] = "readme"
    path.write_text(json.dumps({"facts": facts}))
    with pytest.raises(ValueError, match="where='readme'; use one of deploy, config, code, docs"):
        load_gold(path)


@pytest.mark.parametrize(
    "gold_file",
    sorted((REPO / "evals").glob("*/*/gold.json"))
    + sorted((REPO / "evals" / "gold").glob("*.json")),
    ids=lambda p: p.parent.name + "/" + p.name,
)
def test_every_committed_gold_loads_with_where_and_cites_existing_lines(gold_file: Path) -> None:
    facts = load_gold(gold_file)
    assert facts
    root = gold_file.parent / "repo"
    if not root.is_dir():  # fixture gold lives apart from its fixture
        root = REPO / "fixtures" / gold_file.stem
    for g in facts:
        assert g.where in ("deploy", "config", "code", "docs"), g.fact.id
        for c in g.fact.citations:
            lines = (root / c.path).read_text(encoding="utf-8").splitlines()
            assert 1 <= c.start_line <= c.end_line <= len(lines), f"{g.fact.id}: {c}"


def test_plan_json_in_its_documented_format_reads_only_the_requests(tmp_path: Path) -> None:
    # the shape ddd_llm/extract/llm_extract.py plan_document writes (docs/plan-json.md)
    doc = {
        "format": 1,
        "provider": "none",
        "repository_tokens": 6924,
        "prompt_tokens": 420,
        "requests": [
            {
                "kind": "config_parameter",
                "path": "src/PublicApi/Program.cs",
                "start_line": 72,
                "end_line": 86,
                "prompt_tokens": 420,
                "excerpt_tokens": 99,
                "source": "retrieval",
            }
        ],
        "candidates": {"config_parameter": {"regions": 9, "planned": 2}},
        "excluded": [{"file": "vendor/x.js", "category": "vendored", "reason": "vendor/"}],
    }
    (tmp_path / "plan.json").write_text(json.dumps(doc))
    assert load_plan(tmp_path) == [
        PlannedExcerpt("config_parameter", "src/PublicApi/Program.cs", 72, 86, 420)
    ]


def test_a_profile_variant_matches_its_key_but_the_base_value_is_the_one_judged() -> None:
    golds = [gold(param("baseUrls:apiBase", "web", default="https://localhost:5099/api/"))]
    docker = param("baseUrls:apiBase", "web", default="http://localhost:5200/api/")
    docker = docker.model_copy(update={"id": "config_parameter:web:baseUrls:apiBase@Docker"})
    base = param("baseUrls:apiBase", "web", default="https://localhost:5099/api/")
    m = match_facts([docker, base], golds)
    assert m.pairs[0][1] is base and len(m.correct) == 2 and not m.extra
    v = value_scores(m, ["config_parameter"])["config_parameter"]
    assert (v.good, v.total) == (1, 1)


def test_verified_facts_are_scored_by_key_so_null_service_gold_counts() -> None:
    golds = [gold(param("PORT")), gold(param("GIT_REPO", "config-server"))]
    right = param("PORT", "api")
    wrong = param("GIT_REPO", "api")  # another service's: not confirmed by gold
    unverified = param("LOG_LEVEL", "api")
    for fact in (right, wrong):
        fact.verification.status = "verified"
    scores = verified_scores(match_facts([right, wrong, unverified], golds), ["config_parameter"])
    assert (scores["config_parameter"].good, scores["config_parameter"].total) == (1, 2)
