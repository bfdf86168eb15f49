"""A configured URL that reaches another service of the deployment is a runtime dependency
(`evidence/deploy/_reach.py`): by the other service's name as host, or at `localhost` on a
port the other service publishes. Every file here is made up; each test runs the real
analyzers and the service resolver over a small repository, as the pipeline does."""

from __future__ import annotations

import textwrap
from pathlib import PurePosixPath

import pytest

from ddd_llm.evidence import SourceFile, analyze_files
from ddd_llm.evidence.deploy._reach import (
    names_no_call,
    published_port,
    reached_dependencies,
    url_endpoints,
)
from ddd_llm.evidence.services import ServiceResolver, merge_services
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    ResourceRequirement,
)

COMPOSE = """\
services:
  portal:
    build: ./portal
    ports:
      - "8081:3000"
  billing:
    build:
      context: .
      dockerfile: billing/Dockerfile
    ports:
      - "127.0.0.1:9400:9000"
  inventory:
    build: ./inventory
    expose:
      - "7000"
  ledger:
    build: ./ledger
    ports:
      - "3000:80"
  queue:
    image: rabbitmq:3
"""

PORTAL_SETTINGS = """\
{
  "Services": {
    "BillingBase": "http://localhost:9400/v1/",
    "InventoryUrl": "http://inventory:7000",
    "SelfUrl": "http://localhost:8081/",
    "Weather": "https://api.weather.example:443/",
    "Reports": "http://localhost:9555/",
    "LedgerFeed": "http://ledger/{tenant}/${REGION}"
  },
  "Urls": "http://localhost:3000"
}
"""

BILLING_PROPERTIES = """\
cors.allowed-origins=http://localhost:8081
portal.callback-url=http://localhost:8081/done
inventory.base-url=http://inventory:7000/api
"""

INVENTORY_ENV = """\
QUEUE_URL=amqp://queue:5672
PUBLIC_ORIGIN=http://localhost:8081
FRONTEND_URL=http://localhost:8081
"""


def resolve(files: dict[str, str]) -> list[FactBase]:
    """The repository's facts with their owners, as `pipeline.prepare` resolves them."""
    sources = [SourceFile(path, textwrap.dedent(text)) for path, text in files.items()]
    evidence = analyze_files(sources)
    directories = {
        str(parent)
        for path in files
        for parent in PurePosixPath(path).parents
        if str(parent) != "."
    }
    resolver = ServiceResolver(merge_services(evidence.services), evidence.owners, directories)
    owned, _ = resolver.resolve(evidence.facts)
    return owned


def dependencies(files: dict[str, str]) -> dict[tuple[str | None, str], Dependency]:
    out: dict[tuple[str | None, str], Dependency] = {}
    for fact in resolve(files):
        if isinstance(fact, Dependency):
            assert (fact.service, fact.target) not in out, "one dependency per pair"
            out[(fact.service, fact.target)] = fact
    return out


def cited(fact: FactBase) -> list[tuple[str, int]]:
    return [(c.path, c.start_line) for c in fact.citations]


SHOP = {
    "compose.yaml": COMPOSE,
    "portal/appsettings.Docker.json": PORTAL_SETTINGS,
    "billing/src/main/resources/application.properties": BILLING_PROPERTIES,
    "inventory/.env.example": INVENTORY_ENV,
}


def test_a_settings_url_at_a_port_another_service_publishes_is_a_dependency_on_it() -> None:
    found = dependencies(SHOP)
    billing = found[("portal", "billing")]
    assert billing.dependency_type == "runtime"
    # the line holding the URL, then the line publishing the port
    assert cited(billing) == [("portal/appsettings.Docker.json", 3), ("compose.yaml", 11)]
    assert "http://localhost:9400/v1/" in billing.summary


def test_a_url_naming_another_service_as_host_is_a_dependency_whatever_the_file_format() -> None:
    found = dependencies(SHOP)
    assert cited(found[("portal", "inventory")]) == [("portal/appsettings.Docker.json", 4)]
    assert cited(found[("billing", "inventory")]) == [
        ("billing/src/main/resources/application.properties", 3)
    ]
    assert cited(found[("inventory", "queue")]) == [("inventory/.env.example", 1)]
    # braces in a URL are text, not a template
    assert "http://ledger/{tenant}/${REGION}" in found[("portal", "ledger")].summary


def test_a_summary_never_shows_the_user_or_password_of_a_url() -> None:
    setting = ConfigParameter(
        service="worker",
        name="LEDGER_URL",
        default="http://ops:hunter2@localhost:3000/x",
        summary="s",
        citations=[Citation(path="worker/app.ini", start_line=2, end_line=2)],
    )
    port = ResourceRequirement(
        service="ledger",
        resource="port",
        value="3000:80",
        summary="s",
        citations=[Citation(path="compose.yaml", start_line=9, end_line=9)],
    )
    declared = {
        "worker": [Citation(path="compose.yaml", start_line=2, end_line=2)],
        "ledger": [Citation(path="compose.yaml", start_line=7, end_line=7)],
    }
    (found,) = reached_dependencies([setting, port], declared)
    assert (found.service, found.target) == ("worker", "ledger")
    assert "hunter2" not in found.summary and "ops" not in found.summary
    assert "http://localhost:3000/x" in found.summary


def test_own_port_external_host_unpublished_port_and_caller_lists_give_nothing() -> None:
    # portal: SelfUrl (its own published port), Urls (its own container port 3000, which
    # ledger happens to publish on the host), Weather (external), Reports (nobody's port).
    # billing: CORS origins and a callback URL at portal's port. inventory: an origin and
    # the front end's address.
    assert set(dependencies(SHOP)) == {
        ("portal", "billing"),
        ("portal", "inventory"),
        ("portal", "ledger"),
        ("billing", "inventory"),
        ("inventory", "queue"),
    }


def test_compose_environment_localhost_urls_reach_published_ports_too() -> None:
    compose = COMPOSE + textwrap.indent(
        textwrap.dedent("""\
        worker:
          build: ./worker
          environment:
            - BILLING_URL=http://localhost:9400
            - LEDGER_URL=http://ledger:80
        """),
        "  ",
    )
    found = dependencies({"compose.yaml": compose})
    assert cited(found[("worker", "billing")]) == [("compose.yaml", 25), ("compose.yaml", 11)]
    assert cited(found[("worker", "ledger")]) == [("compose.yaml", 26)]  # compose's own rule
    assert set(found) == {("worker", "billing"), ("worker", "ledger")}


def test_a_pair_depends_on_already_links_keeps_its_one_fact() -> None:
    compose = COMPOSE.replace(
        "    build: ./portal\n", "    build: ./portal\n    depends_on: [billing]\n"
    )
    found = dependencies({**SHOP, "compose.yaml": compose})
    assert found[("portal", "billing")].dependency_type == "start_order"
    assert cited(found[("portal", "billing")]) == [("compose.yaml", 4)]


def test_a_port_two_services_publish_names_neither() -> None:
    other = "services:\n  archive:\n    build: ./archive\n    ports:\n      - 9400:9400\n"
    found = dependencies({**SHOP, "compose.archive.yaml": other})
    assert ("portal", "billing") not in found
    assert ("portal", "archive") not in found
    assert ("portal", "inventory") in found


def test_a_setting_of_a_file_no_service_owns_gives_nothing() -> None:
    # (billing built from the root would own every file outside the others' folders)
    compose = COMPOSE.replace(
        "      context: .\n      dockerfile: billing/Dockerfile\n", "      context: ./billing\n"
    )
    assert "context: ./billing" in compose
    found = dependencies({"compose.yaml": compose, "tools/.env.example": INVENTORY_ENV})
    assert not any(target == "queue" for _, target in found)
    found = dependencies({"compose.yaml": compose, "inventory/.env.example": INVENTORY_ENV})
    assert ("inventory", "queue") in found


@pytest.mark.parametrize(
    ("value", "port"),
    [
        ("5200:8080", 5200),
        ("127.0.0.1:5200:8080", 5200),
        ("0.0.0.0:5200:8080/tcp", 5200),
        ("[::1]:5200:8080", 5200),
        ("10.1.2.3:5200:8080", None),  # bound to another interface: localhost misses it
        ("5200:8080/udp", None),
        ("8080", None),  # the container port only
        ("8000-8002:8000-8002", None),
        (None, None),
    ],
)
def test_published_port_reads_docker_publish_syntax(value: str | None, port: int | None) -> None:
    assert published_port(value) == port


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("Cors:AllowedOrigins:0", False),
        ("CORS_ORIGINS", False),
        ("auth.redirect-uri", False),
        ("OidcCallbackUrl", False),
        ("SpaClient", False),
        ("advertised.listeners", False),
        ("baseUrls:apiBase", True),
        ("CATALOG_API_URL", True),
        ("spring.rabbitmq.addresses", True),
    ],
)
def test_names_no_call_reads_the_words_of_a_setting_name(name: str, call: bool) -> None:
    assert names_no_call(name) is not call


def test_url_endpoints_take_the_scheme_default_port_and_every_url_of_a_list() -> None:
    found = url_endpoints("http://Api/x, https://localhost/ ; mongodb://a:27017 grpc://b:50051")
    assert [(e.host, e.port) for e in found] == [
        ("api", 80),
        ("localhost", 443),
        ("a", 27017),
        ("b", 50051),
    ]
    assert url_endpoints("a:27017,b:27018 localhost:80") == []  # no scheme: not a URL
    assert [(e.host, e.port) for e in url_endpoints("grpc://ledger:bad")] == [("ledger", None)]
