"""The eval metrics on small hand-computed examples: facts, values, citations, verification."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddd_llm.evals.facts_score import (
    GoldFact,
    Rate,
    same_value,
    score_citations,
    score_facts,
    score_kind,
    score_values,
    score_verification,
)
from ddd_llm.evals.harness import KindResult, Row, combine
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    HealthCheck,
    Verification,
)

HERE = [Citation(path="app.py", start_line=1, end_line=1)]


def param(name: str, service: str | None = "api", **kw: object) -> ConfigParameter:
    fields: dict[str, object] = {"summary": name, "citations": HERE, **kw}
    return ConfigParameter(name=name, service=service, **fields)  # type: ignore[arg-type]


def gold(*facts: FactBase) -> list[GoldFact]:
    return [GoldFact(f, "static") for f in facts]


def test_precision_recall_f1_by_hand() -> None:
    s = score_kind("k", ["a", "b", "c"], ["a", "b", "d"], ["a", "b", "d"])
    assert (s.predicted, s.correct, s.expected, s.found) == (3, 2, 3, 2)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 / 3)
    assert s.missed == ["d"] and s.extra == ["c"]


def test_precision_and_recall_can_differ() -> None:
    # 1 right of 4 claimed, 1 found of 2 expected: P 0.25, R 0.5, F1 = 2PR/(P+R) = 1/3.
    s = score_kind("k", ["a", "x", "y", "z"], ["a", "b"], ["a", "b"])
    assert (s.precision, s.recall) == (0.25, 0.5)
    assert s.f1 == pytest.approx(1 / 3)


def test_empty_gold_and_empty_predictions_is_perfect() -> None:
    s = score_kind("k", [], [], [])
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)


def test_predictions_against_empty_gold_are_all_wrong() -> None:
    s = score_kind("k", ["a", "b"], [], [])
    assert (s.precision, s.recall, s.f1) == (0.0, 1.0, 0.0)
    assert s.extra == ["a", "b"]


def test_no_predictions_finds_nothing() -> None:
    s = score_kind("k", [], ["a", "b"], ["a", "b"])
    assert (s.precision, s.recall, s.f1) == (1.0, 0.0, 0.0)
    assert s.missed == ["a", "b"]


def test_duplicate_ids_count_once() -> None:
    # facts.json has one fact per id: a repeated prediction is neither a second hit nor a miss.
    s = score_kind("k", ["a", "a", "b"], ["a", "a"], ["a"])
    assert (s.predicted, s.correct) == (2, 1)
    assert (s.precision, s.recall) == (0.5, 1.0)


def test_ids_match_with_whitespace_normalised_but_case_kept() -> None:
    s = score_kind(
        "health_check",
        ["health_check:db:compose-healthcheck:pg_isready   -U app", "config_parameter:api:port"],
        ["health_check:db:compose-healthcheck:pg_isready -U app", "config_parameter:api:PORT"],
        ["health_check:db:compose-healthcheck:pg_isready -U app", "config_parameter:api:PORT"],
    )
    assert s.correct == 1 and s.missed == ["config_parameter:api:PORT"]


def test_recall_counts_only_the_evidence_asked_for() -> None:
    facts = [param("A"), param("B")]
    golds = [GoldFact(param("A"), "static"), GoldFact(param("P"), "prose")]
    static_only = score_facts(facts, golds, ["config_parameter"], evidence={"static"})
    everything = score_facts(facts, golds, ["config_parameter"])
    assert static_only["config_parameter"].recall == 1.0
    assert everything["config_parameter"].recall == 0.5
    assert static_only["config_parameter"].precision == 0.5  # B is in no gold at all


@pytest.mark.parametrize(
    ("gold_value", "predicted", "same"),
    [
        (1, 1.0, True),
        ("256Mi", "256Mi", True),
        ("256Mi", "256mi", False),
        ("pg_isready  -U app", "pg_isready -U app", True),
        (True, 1, False),
        (None, None, True),
        (None, "5", False),
        ("5", 5, False),
    ],
)
def test_same_value(gold_value: object, predicted: object, same: bool) -> None:
    assert same_value(gold_value, predicted) is same


def test_values_of_matched_facts_by_hand() -> None:
    golds = gold(
        param("POOL", default="5", min=5, max=20),
        param("LEVEL", default="info"),
        Dependency(
            service="api",
            target="postgres",
            condition="service_healthy",
            summary="x",
            citations=HERE,
            dependency_type="start_order",
        ),
    )
    predicted = [
        param("POOL", default="5", min=5.0, max=10),  # max wrong: 2 of 3 exact
        param("POOL", default="9", min=1, max=1),  # a duplicate: the first one counts
        param("UNKNOWN", default="1"),  # not in gold: no values compared
        Dependency(
            service="api",
            target="Postgres",
            condition=None,
            summary="y",
            citations=HERE,
            dependency_type="start_order",
        ),
    ]
    scores = score_values(predicted, golds, ["config_parameter", "dependency"])
    config = scores["config_parameter"]
    assert (config.total, config.good) == (3, 2)
    assert config.rate == pytest.approx(2 / 3)
    assert [(m.fact_id, m.field, m.gold, m.predicted) for m in config.mismatches] == [
        ("config_parameter:api:POOL", "max", 20, 10)
    ]
    dep = scores["dependency"]  # dependency targets match lower-cased; condition differs
    assert (dep.total, dep.good) == (2, 1) and dep.mismatches[0].field == "condition"


def test_values_with_nothing_matched_are_not_judged() -> None:
    assert score_values([], gold(param("A")), ["config_parameter"])["config_parameter"].rate is None
    assert score_values([param("A")], [], ["config_parameter"])["config_parameter"].rate is None


def test_citations_exist_and_mention_the_key(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text('import os\nPOOL = os.getenv("API_POOL", "5")\n\n')
    (tmp_path.parent / "outside.py").write_text("API_POOL\n")

    def cited(path: str, start: int, end: int) -> ConfigParameter:
        c = Citation(path=path, start_line=start, end_line=end)
        return ConfigParameter(name="API_POOL", summary="s", citations=[c], service="api")

    good = cited("app.py", 2, 2)
    facts: list[FactBase] = [
        good,
        param("LEVEL", citations=[Citation(path="app.py", start_line=1, end_line=2)]),  # no LEVEL
        HealthCheck(
            summary="h",
            check_type="http",
            target="/healthz",
            citations=[Citation(path="app.py", start_line=7, end_line=9)],
        ),  # past EOF
        param("X", citations=[Citation(path="../outside.py", start_line=1, end_line=1)]),
        param("Y", citations=[Citation(path="missing.py", start_line=1, end_line=1)]),
    ]
    scores = score_citations(facts, tmp_path, ["config_parameter", "health_check"])
    config, health = scores["config_parameter"], scores["health_check"]
    assert (config.total, config.good) == (4, 1)
    assert (health.total, health.good) == (1, 0)
    reasons = " | ".join(why for _id, why in config.invalid + health.invalid)
    assert "does not mention 'LEVEL'" in reasons
    assert "past the end" in reasons and "outside the repository" in reasons
    assert "does not exist" in reasons


def test_verification_accuracy_reads_statuses() -> None:
    verified = Verification(status="verified")
    facts = [
        param("A", verification=verified),
        param("B", verification=verified),  # verified but wrong
        param("C"),  # unverified: not counted
        param("D", verification=Verification(status="contradicted")),
    ]
    scores = score_verification(facts, gold(param("A"), param("C")), ["config_parameter"])
    assert (scores["config_parameter"].total, scores["config_parameter"].good) == (2, 1)
    assert scores["config_parameter"].rate == 0.5
    none_verified = score_verification([param("C")], gold(param("C")), ["config_parameter"])
    assert none_verified["config_parameter"].rate is None


def test_combine_adds_counts_across_cases() -> None:
    golds_a = gold(param("A"), param("B"))
    golds_b = gold(param("C"))

    def result(predicted: list[FactBase], golds: list[GoldFact]) -> KindResult:
        k = "config_parameter"
        return KindResult(
            k,
            score_facts(predicted, golds, [k])[k],
            score_values(predicted, golds, [k])[k],
            score_citations(predicted, Path("/nonexistent"), [k])[k],
            Rate(),
        )

    total = combine("config_parameter", [result([param("A")], golds_a), result([], golds_b)])
    # micro-average: 1 of 1 claimed right, 1 of 3 expected found
    scores = total.scores()
    assert (scores["precision"], scores["recall"]) == (1.0, 0.3333)
    assert scores["verified"] is None


def test_a_regression_is_a_drop_beyond_the_tolerance() -> None:
    assert Row("c", "k", "recall", 0.90, 0.87).regressed(0.02)
    assert not Row("c", "k", "recall", 0.90, 0.88).regressed(0.02)  # exactly the tolerance
    assert not Row("c", "k", "recall", 0.90, 0.95).regressed(0.0)
    assert not Row("c", "k", "values", None, 0.5).regressed(0.0)  # nothing to compare with
    assert Row("c", "k", "recall", 0.9, 0.8).delta == -0.1
