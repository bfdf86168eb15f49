"""No claim can crash the verifier: arbitrary schema-valid answers, generated from the response
models' own JSON Schema, go through the same path as a model's answer (response model →
fact → verify) against a real fixture's static facts, and every one comes out with a status.

(Found this way before it was fixed: a claim whose key fields are blank had no key terms, and
`verify.citation_checks` raised IndexError at `terms[0]`, ending the whole run.)
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck as Health
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from ddd_llm.config import ExtractOptions
from ddd_llm.llm.schemas import RESPONSE_MODELS
from ddd_llm.merge.merger import merge_facts
from ddd_llm.models import FACT_MODELS, Citation, FactBase
from ddd_llm.pipeline import prepare
from ddd_llm.verify.verifier import needs_confirmation, status_reason, verify
from tests.conftest import FIXTURES

FIXTURE = "compose-shop"
PATHS = ("docker-compose.yml", "README.md", "api/app/config.py", "worker/worker.py", "nope.txt")

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
) | st.sampled_from(
    [
        "",
        " ",
        "api",
        "worker",
        "db",
        "redis",
        "proxy",
        "postgres",
        "/healthz",
        "8000",
        "API_DB_POOL_SIZE",
        "--concurrency",
        "5",
        "0",
        "-1",
        "1e309",
        "${X}",
        "{{ x }}",
        "../x",
    ]
)


def from_schema(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that satisfy `schema` (the subset pydantic emits: $ref, anyOf, enum, object,
    array, string, integer, number, boolean, null)."""
    if "$ref" in schema:
        return st.deferred(lambda: from_schema(defs[schema["$ref"].split("/")[-1]], defs))
    if "anyOf" in schema:
        return st.one_of([from_schema(s, defs) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        props: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        optional = {k: from_schema(v, defs) for k, v in props.items() if k not in required}
        return st.fixed_dictionaries(
            {k: from_schema(v, defs) for k, v in props.items() if k in required},
            optional=optional,
        )
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), defs), max_size=3)
    if kind == "string":
        return _TEXT
    if kind == "integer":
        return st.integers(min_value=-5, max_value=10**6) | st.integers()
    if kind == "number":
        return st.floats(allow_nan=True, allow_infinity=True) | st.integers(-5, 100)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return st.none()


def answers(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    model = RESPONSE_MODELS[kind]  # type: ignore[index]
    schema = model.model_json_schema()
    return from_schema(schema, schema.get("$defs", {}))


@pytest.fixture(scope="module")
def static(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[FactBase], Any, list[str]]:
    repo = tmp_path_factory.mktemp("verify") / FIXTURE
    shutil.copytree(FIXTURES / FIXTURE, repo)
    prepared = prepare(repo, ExtractOptions(llm="none", index=False))
    merged = merge_facts(prepared.static_facts)
    return repo, merged.facts, merged.conflicts, [s.name for s in prepared.services]


def to_claims(kind: str, answer: dict[str, Any], path: str) -> list[FactBase]:
    """What extract makes of a schema-valid answer (llm_extract.facts_from_outcome)."""
    model: type[BaseModel] = RESPONSE_MODELS[kind]  # type: ignore[index]
    try:
        parsed = model.model_validate(answer, context={"start_line": 1, "end_line": 10**6})
    except ValidationError:
        return []
    claims: list[FactBase] = []
    for item in parsed.model_dump()["items"]:
        fields = {k: v for k, v in item.items() if k not in ("start_line", "end_line", "service")}
        try:
            citation = Citation(path=path, start_line=item["start_line"], end_line=item["end_line"])
            fact = FACT_MODELS[kind](**fields, citations=[citation], origin="llm")  # type: ignore[index]
        except ValidationError:
            continue  # extract drops these with a warning; they never reach the verifier
        claims.append(fact.model_copy(update={"service": item["service"]}))
    return claims


@pytest.mark.parametrize("kind", sorted(RESPONSE_MODELS))
def test_no_schema_valid_claim_crashes_the_verifier(
    kind: str, static: tuple[Path, list[FactBase], Any, list[str]]
) -> None:
    repo, facts, conflicts, services = static

    @settings(max_examples=50, deadline=None, suppress_health_check=list(Health))
    @given(answer=answers(kind), path=st.sampled_from(PATHS))
    def check(answer: dict[str, Any], path: str) -> None:
        claims = to_claims(kind, answer, path)
        assume(claims)
        result = verify(repo, facts, conflicts, claims, services=services)
        for fact in [*result.facts, *result.rejected]:
            assert fact.verification.status in ("verified", "unverified", "contradicted")
            if fact.verification.status != "verified":
                assert status_reason(fact)
        # A model-only claim that is not verified is held for confirmation, never used.
        for fact in result.facts:
            if fact.origin == "llm" and fact.verification.status != "verified":
                assert needs_confirmation(fact)

    check()
