"""Unit tests of the shared machinery: YAML positions, merging, service naming, start order."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ddd_llm.assess.order import start_order
from ddd_llm.evidence.services import ServiceResolver
from ddd_llm.evidence.yamlpos import Span, YamlParseError, load_documents
from ddd_llm.merge.merger import merge_facts
from ddd_llm.models import Citation, ConfigParameter, Dependency, HealthCheck, Service
from ddd_llm.verify.verifier import verify


def cite(path: str = "f.yml", start: int = 1, end: int | None = None) -> Citation:
    return Citation(path=path, start_line=start, end_line=end or start)


def dep(service: str, target: str, kind: str = "start_order") -> Dependency:
    return Dependency(
        service=service,
        target=target,
        dependency_type=kind,  # type: ignore[arg-type]
        summary=f"{service} needs {target}",
        citations=[cite()],
    )


def test_yaml_spans_are_exact_with_anchors_and_multiple_documents() -> None:
    text = textwrap.dedent(
        """\
        x-common: &common
          restart: always
        services:
          api:
            <<: *common
            image: api:1
          db:
            image: postgres:16
        ---
        kind: Service
        """
    )
    first, second = load_documents(text)
    services = first.data["services"]
    assert services.line_of("api").start == 4 and services.line_of("api").end == 6
    assert services["api"]["restart"] == "always"  # merge key resolved
    assert services["db"].line_of("image").start == 8
    assert second.data["kind"] == "Service" and second.span.start == 10


def test_yaml_error_names_line_and_keeps_earlier_documents() -> None:
    text = "a: 1\n---\nb: [unclosed\nc: 2\n"
    with pytest.raises(YamlParseError) as info:
        load_documents(text)
    assert info.value.line is not None and info.value.line >= 3
    assert [d.data for d in info.value.documents] == [{"a": 1}]


def test_yaml_lines_count_only_the_line_ends_citations_count() -> None:
    # PyYAML also breaks lines at NEL, U+2028 and U+2029; a value holding one must not
    # shift the lines of everything after it (nor the line of an error).
    text = "a: '\x85 x'\nb: \"\u2028 \u2029\"\nc:\n  - 1\n  - 2\nd: |\n  x\n  y\n\ne: [\n"
    with pytest.raises(YamlParseError) as info:
        load_documents(text)
    assert info.value.line == 10  # the last of the 10 lines: `e: [` is never closed
    good = text.replace("e: [\n", "e: 5\n")
    data = load_documents(good)[0].data
    assert data.line_of("a") == Span(1, 1)
    assert data.line_of("b") == Span(2, 2)
    assert data.line_of("c") == Span(3, 5)
    assert data["c"].item_span == [Span(4, 4), Span(5, 5)]
    assert data.line_of("d") == Span(6, 8)
    assert data.line_of("e") == Span(10, 10)


def test_merge_joins_citations_and_keeps_strongest_dependency() -> None:
    a = dep("api", "db", "runtime")
    b = dep("api", "db", "start_order").model_copy(update={"citations": [cite("g.yml", 3)]})
    (merged,) = merge_facts([a, b]).facts
    assert merged.dependency_type == "start_order"  # type: ignore[attr-defined]
    assert [str(c) for c in merged.citations] == ["f.yml:1", "g.yml:3"]


def test_merge_records_conflicting_values() -> None:
    one = ConfigParameter(
        service="api", name="PORT", default="8000", summary="p", citations=[cite()]
    )
    two = one.model_copy(update={"default": "9000", "min": 1, "citations": [cite("b.py", 2)]})
    result = merge_facts([one, two])
    (merged,) = result.facts
    assert merged.min == 1  # type: ignore[attr-defined]
    assert merged.default == "8000"  # type: ignore[attr-defined]
    (conflict,) = result.conflicts
    assert conflict.field == "default" and "9000" in conflict.describe()


def test_service_resolver_rules() -> None:
    services = [Service(name="api", kind="compose-service"), Service(name="cart", kind="k8s")]
    resolver = ServiceResolver(
        services, {"backend": "api", "ghost": "x"}, {"backend", "backend/app", "src", "src/cart"}
    )
    assert resolver.owner("backend/app/settings.py") == "api"  # declared owner
    assert resolver.owner("src/cart/main.go") == "cart"  # folder named like a service
    assert resolver.owner("tools/x.py") is None  # deployed repo: no guessing
    bare = ServiceResolver([], {}, {"mypkg"})
    assert bare.owner("mypkg/cli.py") == "mypkg"  # no deployment: top-level package
    assert bare.owner("setup.py") is None
    # A folder of packages names none itself: each package is its own subfolder.
    assert bare.owner("modules/db_instance/main.tf") == "db_instance"
    assert bare.owner("modules/main.tf") is None
    assert bare.owner("docs/ops/guide.md") is None


def test_start_order_is_topological_with_deterministic_ties_and_cycles() -> None:
    facts = [dep("api", "db"), dep("api", "cache"), dep("worker", "db"), dep("proxy", "api")]
    order = start_order(["proxy", "worker", "api", "db", "cache"], facts)  # type: ignore[arg-type]
    assert order.startup == ["cache", "db", "api", "proxy", "worker"]
    assert order.shutdown == list(reversed(order.startup))
    assert not order.cycles
    looped = start_order(["a", "b", "c"], [dep("a", "b"), dep("b", "a"), dep("c", "a")])  # type: ignore[arg-type]
    assert looped.cycles == [["a", "b", "a"]]
    assert sorted(looped.startup) == ["a", "b", "c"]


def test_verify_checks_citations_and_key(tmp_path: Path) -> None:
    (tmp_path / "compose.yml").write_text("services:\n  api:\n    healthcheck: curl /healthz\n")
    good = HealthCheck(
        service="api",
        check_type="http",
        target="/healthz",
        mechanism="compose-healthcheck",
        summary="s",
        citations=[cite("compose.yml", 3)],
    )
    wrong_line = good.model_copy(update={"citations": [cite("compose.yml", 1)]})
    past_end = good.model_copy(update={"citations": [cite("compose.yml", 9)]})
    escape = good.model_copy(update={"citations": [cite("../etc/passwd", 1)]})
    results = [verify(tmp_path, [f], []).facts[0] for f in (good, wrong_line, past_end, escape)]
    assert [f.verification.status for f in results] == ["verified"] + ["unverified"] * 3
    details = [c.detail for f in results[1:] for c in f.verification.checks if not c.passed]
    assert "does not mention" in details[0]
    assert "past the end" in details[1]
    assert "outside the repository" in details[2]
