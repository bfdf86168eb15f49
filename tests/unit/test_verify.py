"""Unit tests of each verifier check, on small repositories written by the tests."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    HealthCheck,
    ResourceRequirement,
    ValidationMethod,
)
from ddd_llm.scan.repotext import RepoText, is_prose_path
from ddd_llm.verify.consistency import cross_artifact_checks
from ddd_llm.verify.verifier import value_in_text, values_equal, verify


def cite(path: str, start: int, end: int | None = None) -> Citation:
    return Citation(path=path, start_line=start, end_line=end or start)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


SETTINGS = """\
    import os

    # Tuning. The README says more.
    MAX_CONNECTIONS = int(os.getenv("MAX_CONNECTIONS", "10"))  # 1..100
    POOL_TIMEOUT = 30
    """
README = """\
    # Service
    The safe maximum for MAX_CONNECTIONS is 999999.
    Run ./scripts/smoke.sh after a deploy.
    """


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    write(
        tmp_path,
        {
            "app/settings.py": SETTINGS,
            "README.md": README,
            "scripts/smoke.sh": "#!/bin/sh\ncurl -fsS http://localhost:8000/healthz\n",
            "app/routes.py": '@app.get("/healthz")\ndef healthz():\n    return {}\n',
        },
    )
    return tmp_path


def param(**kw: object) -> ConfigParameter:
    fields: dict[str, object] = {
        "service": "api",
        "name": "MAX_CONNECTIONS",
        "summary": "max connections",
        "citations": [cite("app/settings.py", 4)],
    }
    fields.update(kw)
    return ConfigParameter(**fields)  # type: ignore[arg-type]


def static_param() -> ConfigParameter:
    return param(default="10", min=1, max=100, range_source="documented")


def only(facts: list[FactBase]) -> FactBase:
    assert len(facts) == 1, facts
    return facts[0]


def failed(fact: FactBase) -> dict[str, str]:
    return {c.name: c.detail for c in fact.verification.checks if not c.passed}


# ---------------------------------------------------------------- citations


def test_citation_outside_the_repository_is_refused(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.py").write_text("MAX_CONNECTIONS = 5\n")
    os.symlink(outside / "secret.py", repo / "link.py")
    os.symlink(repo / "loop", repo / "loop")  # a symlink loop
    files = RepoText(repo)
    assert files.resolve("app/settings.py") is not None
    for bad in ("../outside/secret.py", "/etc/passwd", "app/../../x", "link.py", "loop", "C:/x"):
        assert files.resolve(bad) is None, bad
    for bad in ("../etc/passwd", "link.py"):
        fact = verify(repo, [param(citations=[cite(bad, 1)])], []).facts[0]
        assert fact.verification.status == "unverified"
        assert "outside the repository" in failed(fact)["citation_resolves"]


def test_citation_past_the_end_or_to_a_missing_file(repo: Path) -> None:
    past = verify(repo, [param(citations=[cite("app/settings.py", 40)])], []).facts[0]
    assert "past the end" in failed(past)["citation_resolves"]
    missing = verify(repo, [param(citations=[cite("app/nope.py", 1)])], []).facts[0]
    assert "does not exist" in failed(missing)["citation_resolves"]


def test_cited_lines_must_mention_the_key_in_any_spelling(repo: Path) -> None:
    for name in ("MAX_CONNECTIONS", "max-connections", "max.connections", "--max-connections"):
        fact = verify(repo, [param(name=name)], []).facts[0]
        assert fact.verification.status == "verified", (name, failed(fact))
    wrong = verify(repo, [param(citations=[cite("app/settings.py", 5)])], []).facts[0]
    assert "does not mention" in failed(wrong)["cites_key"]


# ---------------------------------------------------------------- values


def test_values_compare_as_an_operator_reads_them() -> None:
    assert (
        values_equal(10, "10")
        and values_equal("10.0", 10)
        and values_equal("30s", 30, "interval_s")
    )
    assert not values_equal(10, 100) and not values_equal("1m", 30, "interval_s")
    assert value_in_text(10, 'getenv("X", "10")') and not value_in_text(10, 'getenv("X", "100")')
    assert value_in_text(30, "interval: 30s", "interval_s")
    assert value_in_text("/healthz", "path: /healthz")


def test_a_claim_that_agrees_corroborates_the_static_fact(repo: Path) -> None:
    claim = param(origin="llm", default="10", min=1, max=100, range_source="documented")
    fact = only(verify(repo, [static_param()], [], [claim]).facts)
    assert fact.origin == "both" and fact.verification.status == "verified"
    assert any(c.name == "model_agrees" and c.passed for c in fact.verification.checks)


def test_a_claim_that_disagrees_is_rejected_naming_both_sources(repo: Path) -> None:
    claim = param(origin="llm", min=5, range_source="inferred")
    result = verify(repo, [static_param()], [], [claim])
    fact = only(result.facts)
    assert fact.min == 1 and fact.verification.status == "verified" and fact.origin == "static"
    rejected = only(result.rejected)
    assert rejected.verification.status == "contradicted"
    detail = failed(rejected)["values_agree"]
    assert "min=5" in detail and "app/settings.py:4" in detail and "1" in detail


def test_a_claim_found_under_another_spelling_is_compared(repo: Path) -> None:
    static = param(name="API_MAX_CONNECTIONS", default="10")
    claim = param(name="max_connections", origin="llm", default="25")
    result = verify(repo, [static], [], [claim])
    assert only(result.rejected).verification.status == "contradicted"


def test_extra_values_join_only_when_code_lines_hold_them(repo: Path) -> None:
    static = param(default="10")
    from_code = param(origin="llm", default="10", max=100, range_source="documented")
    fact = only(verify(repo, [static], [], [from_code]).facts)
    assert fact.max == 100
    injected = param(
        origin="llm",
        default="10",
        max=999999,
        range_source="documented",
        citations=[cite("app/settings.py", 4), cite("README.md", 2)],
    )
    result = verify(repo, [static], [], [injected])
    fact = only(result.facts)
    assert fact.max is None
    assert all(c.path != "README.md" for c in fact.citations)
    assert "max=999999" in failed(only(result.rejected))["values_in_source"]


# ---------------------------------------------------------------- model-only claims


def test_a_model_claim_from_prose_stays_unverified(repo: Path) -> None:
    claim = param(
        origin="llm", max=999999, range_source="documented", citations=[cite("README.md", 2)]
    )
    fact = only(verify(repo, [], [], [claim]).facts)
    assert fact.verification.status == "unverified"
    assert "documentation or comments" in failed(fact)["code_evidence"]


def test_a_comment_is_prose_too(repo: Path) -> None:
    claim = param(origin="llm", name="tuning", citations=[cite("app/settings.py", 3)])
    fact = only(verify(repo, [], [], [claim]).facts)
    assert "code_evidence" in failed(fact)


def test_a_model_claim_with_its_values_in_code_is_verified(repo: Path) -> None:
    good = param(origin="llm", default="10")
    assert only(verify(repo, [], [], [good]).facts).verification.status == "verified"
    wrong = param(origin="llm", default="20")
    fact = only(verify(repo, [], [], [wrong]).facts)
    assert fact.verification.status == "unverified"
    assert "default='20'" in failed(fact)["values_in_source"]


def test_a_citation_that_does_not_hold_the_key_contradicts_the_claim(repo: Path) -> None:
    invented = param(origin="llm", name="FROBNICATE_LEVEL", citations=[cite("app/settings.py", 5)])
    assert only(verify(repo, [], [], [invented]).facts).verification.status == "contradicted"


def test_a_lone_last_word_of_a_longer_name_is_no_key(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "deploy.yml": """\
                queue:
                  healthcheck:
                    interval: 10s
                    timeout: 3s
                mailer:
                  env:
                    MAILER_RETRY_DELAY: 5s
                """,
            "app/conf.py": (
                "class Conf(Settings):\n    port: int = 8000\n    retry_delay: int = 5\n"
            ),
        },
    )

    def status(name: str, at: Citation) -> str:
        claim = param(origin="llm", service=None, name=name, citations=[at])
        return only(verify(tmp_path, [], [], [claim]).facts).verification.status

    # `timeout:` of a health check is not where a three-word setting ending in TIMEOUT lives.
    assert status("MAILER_SEND_TIMEOUT", cite("deploy.yml", 4)) == "contradicted"
    # The name without its one-word prefix is a settings field: it holds the key.
    assert status("MAILER_RETRY_DELAY", cite("app/conf.py", 3)) == "verified"
    assert status("APP_PORT", cite("app/conf.py", 2)) == "verified"
    assert status("MAILER_RETRY_DELAY", cite("deploy.yml", 7)) == "verified"
    # A dotted path's last key is written alone in a structured file.
    assert status("queue.healthcheck.interval", cite("deploy.yml", 3)) == "verified"


def dependency(target: str, **kw: object) -> Dependency:
    fields: dict[str, object] = {
        "service": "api",
        "target": target,
        "summary": f"api uses {target}",
        "citations": [cite("app/settings.py", 4)],
        "origin": "llm",
    }
    fields.update(kw)
    return Dependency(**fields)  # type: ignore[arg-type]


def test_a_dependency_target_must_be_a_known_service(tmp_path: Path) -> None:
    write(tmp_path, {"app/db.py": 'DSN = "postgres://db:5432/app"\nKAFKA = "kafka:9092"\n'})
    known = dependency("db", citations=[cite("app/db.py", 1)])
    assert (
        only(verify(tmp_path, [], [], [known], services=["api", "db"]).facts).verification.status
        == "verified"
    )
    invented = dependency("kafka", citations=[cite("app/db.py", 2)])
    fact = only(verify(tmp_path, [], [], [invented], services=["api", "db"]).facts)
    assert fact.verification.status == "unverified"
    assert "not a service" in failed(fact)["target_known"]


def health(target: str, check_type: str = "http", **kw: object) -> HealthCheck:
    fields: dict[str, object] = {
        "service": "api",
        "check_type": check_type,
        "target": target,
        "summary": f"check {target}",
        "citations": [cite("scripts/smoke.sh", 2)],
        "origin": "llm",
    }
    fields.update(kw)
    return HealthCheck(**fields)  # type: ignore[arg-type]


def test_a_health_check_target_must_exist(repo: Path) -> None:
    real = health("/healthz")
    fact = only(verify(repo, [], [], [real], texts=texts(repo), services=["api"]).facts)
    assert fact.verification.status == "verified", failed(fact)
    write(repo, {"scripts/other.sh": "curl http://localhost:8000/livez\n"})
    ghost = health("/livez", citations=[cite("scripts/other.sh", 1)])
    assert (
        only(
            verify(repo, [], [], [ghost], texts=texts(repo), services=["api"]).facts
        ).verification.status
        == "verified"
    )
    absent = health("/status/deep", citations=[cite("app/routes.py", 1)])
    fact = only(verify(repo, [], [], [absent], texts=texts(repo), services=["api"]).facts)
    assert fact.verification.status != "verified"


def test_a_tcp_health_check_needs_a_declared_port(repo: Path) -> None:
    write(repo, {"compose.yml": "services:\n  api:\n    ports: ['8000:8000']\n"})
    port = ResourceRequirement(
        service="api",
        resource="port",
        value="8000:8000",
        summary="p",
        citations=[cite("compose.yml", 3)],
    )
    declared = health("8000", "tcp", port=8000, citations=[cite("compose.yml", 3)])
    assert (
        only(verify(repo, [port], [], [declared], services=["api"]).facts[1:]).verification.status
        == "verified"
    )
    other = health("9999", "tcp", port=9999, citations=[cite("compose.yml", 3)])
    result = verify(repo, [port], [], [other], services=["api"])
    claim = next(f for f in result.facts if f.origin == "llm")
    assert claim.verification.status != "verified"


def test_a_documented_validation_command_is_verified_when_its_script_exists(repo: Path) -> None:
    def validation(method: str) -> ValidationMethod:
        return ValidationMethod(
            operation="deploy",
            method=method,
            summary="smoke",
            citations=[cite("README.md", 3)],
            origin="llm",
        )

    exists = only(
        verify(
            repo, [], [], [validation("./scripts/smoke.sh")], texts=texts(repo), services=["api"]
        ).facts
    )
    assert exists.verification.status == "verified", failed(exists)
    missing = only(verify(repo, [], [], [validation("./scripts/deploy-check.sh")]).facts)
    assert missing.verification.status != "verified"


def texts(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def test_prose_paths() -> None:
    assert is_prose_path("README.md") and is_prose_path("docs/ops.rst") and is_prose_path("NOTES")
    assert not is_prose_path("requirements.txt") and not is_prose_path("app/main.py")
    assert not is_prose_path("CMakeLists.txt")


# ---------------------------------------------------------------- cross-artifact consistency


def test_a_probe_path_the_code_does_not_serve_is_reported() -> None:
    probe = HealthCheck(
        service="api",
        check_type="http",
        target="/healthz",
        port=8080,
        mechanism="k8s-liveness",
        summary="probe",
        citations=[cite("k8s/api.yaml", 30)],
    )
    route = HealthCheck(
        service="api",
        check_type="http",
        target="/health",
        mechanism="code-endpoint",
        summary="route",
        citations=[cite("app/main.py", 12)],
    )
    port = ResourceRequirement(
        service="api",
        resource="port",
        value="8000",
        summary="p",
        citations=[cite("k8s/api.yaml", 20)],
    )
    checks, gaps = cross_artifact_checks([probe, route, port])
    assert any("/healthz" in c.detail and "/health " in c.detail + " " for c in checks[probe.id])
    assert any("port 8080" in c.detail for c in checks[probe.id])
    assert len(gaps) == 2 and all(g.priority == "HIGH" for g in gaps)
    served = route.model_copy(update={"target": "/healthz", "id": ""})
    fine = ResourceRequirement(
        service="api",
        resource="port",
        value="8080",
        summary="p",
        citations=[cite("k8s/api.yaml", 20)],
    )
    assert cross_artifact_checks(
        [probe, HealthCheck(**served.model_dump(exclude={"id"})), fine]
    ) == ({}, [])


def test_disjoint_container_ports_between_artifacts_are_reported() -> None:
    compose = ResourceRequirement(
        service="api",
        resource="port",
        value="127.0.0.1:8080:8080",
        summary="p",
        citations=[cite("docker-compose.yml", 9)],
    )
    docker = ResourceRequirement(
        service="api",
        resource="port",
        value="8000",
        summary="p",
        citations=[cite("api/Dockerfile", 7)],
    )
    checks, gaps = cross_artifact_checks([compose, docker])
    assert set(checks) == {compose.id, docker.id}
    assert "compose declares container port(s) [8080]" in gaps[0].message
    agreeing = docker.model_copy(update={"value": "8080"})
    assert cross_artifact_checks(
        [compose, ResourceRequirement(**agreeing.model_dump(exclude={"id"}))]
    ) == (
        {},
        [],
    )


def test_a_placeholder_and_its_definition_hold_the_key_together(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "tasks.yml": "- wait_for:\n    port: '{{ app_port }}'\n",
            "defaults.yml": "app_port: 9180\nother: 1\n",
        },
    )
    check = HealthCheck(
        service="app",
        check_type="tcp",
        target="9180",
        port=9180,
        mechanism="other",
        summary="port open",
        citations=[cite("tasks.yml", 1, 2), cite("defaults.yml", 1)],
    )
    assert only(verify(tmp_path, [check], []).facts).verification.status == "verified"
    unlinked = check.model_copy(
        update={"citations": [cite("tasks.yml", 1, 2), cite("defaults.yml", 2)]}
    )
    assert only(verify(tmp_path, [unlinked], []).facts).verification.status == "unverified"


def test_one_id_claimed_twice_keeps_the_proven_claim_and_rejects_the_other(repo: Path) -> None:
    right = param(origin="llm", default="10")
    wrong = param(origin="llm", default="99", citations=[cite("README.md", 2)])
    result = verify(repo, [], [], [wrong, right])
    assert only(result.facts).verification.status == "verified"
    assert only(result.facts).default == "10"
    assert only(result.rejected).default == "99"


def test_a_resource_claim_needs_an_amount_and_an_owner(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yml": "    limits:\n      cpus: '0.5'\n      memory: 256M\n"})

    def resource(service: str | None, **kw: object) -> ResourceRequirement:
        return ResourceRequirement(
            service=service,
            resource="memory",
            summary="m",
            citations=[cite("compose.yml", 3)],
            origin="llm",
            **kw,  # type: ignore[arg-type]
        )

    good = only(verify(tmp_path, [], [], [resource("api", limit="256M")], services=["api"]).facts)
    assert good.verification.status == "verified", failed(good)
    word = only(
        verify(
            tmp_path, [], [], [resource("api", request="memory", limit="")], services=["api"]
        ).facts
    )
    assert "not an amount" in failed(word)["plausible_values"]
    assert word.limit is None  # an empty string is no value
    orphan = only(verify(tmp_path, [], [], [resource(None, limit="256M")], services=["api"]).facts)
    assert "not a service" in failed(orphan)["service_known"]
