"""Spring Boot / Java properties: keys, profiles, `${ENV:default}` links, ports, actuator."""

from __future__ import annotations

import pytest

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.config_files._common import effective, references
from ddd_llm.evidence.config_files.properties import (
    Entry,
    PropertiesAnalyzer,
    properties_lines,
)
from ddd_llm.models import ConfigParameter, HealthCheck, ResourceRequirement

PROPS = """\
# HTTP port of the API
server.port=${PORT:8080}
spring.datasource.url=jdbc:postgresql://${DB_HOST:localhost}:5432/app
spring.datasource.password=${DB_PASSWORD}
! Pool size, between 1 and 50
spring.datasource.hikari.maximum-pool-size = 10
app.greeting: hello \\
    world
management.endpoints.web.exposure.include=health,info
management.endpoint.health.probes.enabled=true
logging.level.root  WARN
"""

# Adapted from sqshq/piggymetrics config/src/main/resources/shared/account-service.yml
PIGGY = """\
security:
  oauth2:
    client:
      clientId: account-service
      clientSecret: ${ACCOUNT_SERVICE_PASSWORD}

spring:
  data:
    mongodb:
      host: account-mongodb
      port: 27017

server:
  servlet:
    context-path: /accounts
  port: 6000
"""

MULTI = """\
server:
  port: 8080
spring:
  application:
    name: orders
---
spring:
  config:
    activate:
      on-profile: prod
server:
  port: 80
"""


def analyze(text: str, path: str) -> AnalyzerResult:
    return PropertiesAnalyzer().analyze(SourceFile(path, text))


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.id.split(":", 2)[2]: f for f in result.facts if isinstance(f, ConfigParameter)}


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        ("src/main/resources/application.properties", True),
        ("src/main/resources/application-prod.yml", True),
        ("svc/src/main/resources/bootstrap.yml", True),
        ("config/server.properties", True),  # Kafka's broker config
        ("svc/src/test/resources/application.yml", False),
        ("gradle.properties", False),
        ("gradle/wrapper/gradle-wrapper.properties", False),
        ("src/main/resources/messages_fr.properties", False),
        ("src/main/resources/messages.properties", False),
        ("src/main/resources/log4j.properties", False),
        ("deploy/values.yaml", False),
    ],
)
def test_accepts(path: str, accepted: bool) -> None:
    assert REGISTRY["properties"].accepts(SourceFile(path, "spring:\n  a: 1\n")) is accepted


def test_properties_keys_defaults_and_env_links() -> None:
    found = params(analyze(PROPS, "src/main/resources/application.properties"))
    port = found["server.port"]
    assert (port.default, port.value_type, port.citations[0].start_line) == ("8080", "int", 2)
    assert "HTTP port" in port.summary and "PORT" in port.summary
    env_port = found["PORT"]
    assert (env_port.default, env_port.required, env_port.citations[0].start_line) == (
        "8080",
        False,
        2,
    )
    assert found["DB_HOST"].default == "localhost"
    # A placeholder inside a longer value: the value as written, its variable linked.
    url = found["spring.datasource.url"].default
    assert url == "jdbc:postgresql://${DB_HOST:localhost}:5432/app"
    password = found["spring.datasource.password"]
    assert password.secret and password.default is None and password.required
    assert found["DB_PASSWORD"].secret and found["DB_PASSWORD"].required
    pool = found["spring.datasource.hikari.maximum-pool-size"]
    assert (pool.default, pool.min, pool.max, pool.range_source) == ("10", 1, 50, "documented")
    greeting = found["app.greeting"]
    assert greeting.default == "hello world"
    assert (greeting.citations[0].start_line, greeting.citations[0].end_line) == (7, 8)
    assert found["logging.level.root"].default == "WARN"
    assert "world" not in found  # a continuation line is not a key


def test_ports_and_actuator_health() -> None:
    result = analyze(PROPS, "src/main/resources/application.properties")
    ports = [f for f in result.facts if isinstance(f, ResourceRequirement)]
    assert [(p.resource, p.value) for p in ports] == [("port", "8080")]
    health = {f.target: f for f in result.facts if isinstance(f, HealthCheck)}
    assert set(health) == {
        "/actuator/health",
        "/actuator/health/liveness",
        "/actuator/health/readiness",
    }
    assert health["/actuator/health"].port == 8080
    assert health["/actuator/health"].citations[0].start_line == 9


def test_no_actuator_settings_no_health() -> None:
    result = analyze("server.port=9000\n", "src/main/resources/application.properties")
    assert not [f for f in result.facts if isinstance(f, HealthCheck)]


def test_config_server_file_names_its_application() -> None:
    result = analyze(PIGGY, "config/src/main/resources/shared/account-service.yml")
    found = params(result)
    assert {f.service for f in result.facts} == {"account-service"}
    assert found["server.port"].default == "6000"
    assert found["security.oauth2.client.clientSecret"].secret
    assert found["ACCOUNT_SERVICE_PASSWORD"].required
    # A dependency's port is a parameter, not a port this service listens on.
    ports = [f.value for f in result.facts if isinstance(f, ResourceRequirement)]
    assert ports == ["6000"]
    assert found["spring.data.mongodb.port"].default == "27017"
    assert found["server.servlet.context-path"].citations[0].start_line == 15


def test_profiles_are_separate_facts_of_the_same_parameter() -> None:
    result = analyze(MULTI, "src/main/resources/application.yml")
    ports = [f for f in result.facts if isinstance(f, ConfigParameter) and f.name == "server.port"]
    assert [(p.id, p.default) for p in ports] == [
        ("config_parameter:-:server.port", "8080"),
        ("config_parameter:-:server.port@prod", "80"),
    ]
    assert "profile prod" in ports[1].summary
    assert ports[1].citations[0].start_line == 12


def test_profile_from_file_name() -> None:
    result = analyze("server.port=443\n", "src/main/resources/application-prod.properties")
    port = params(result)["server.port@prod"]
    assert (port.name, port.default) == ("server.port", "443")


@pytest.mark.parametrize(
    ("line", "key", "value"),
    [
        ("a=b", "a", "b"),
        ("a = b", "a", "b"),
        ("a:b", "a", "b"),
        ("a b", "a", "b"),
        ("a\\ b=c", "a b", "c"),
        ("a=", "a", ""),
        ("url=http://x:80/y", "url", "http://x:80/y"),
        ("k=\\u0041", "k", "A"),
    ],
)
def test_properties_separators(line: str, key: str, value: str) -> None:
    entries = [e for e in properties_lines([line]) if isinstance(e, Entry)]
    assert [(e.key, e.value) for e in entries] == [(key, value)]


def test_broken_yaml_warns_with_line() -> None:
    result = analyze("server:\n  port: 1\n bad: [\n", "src/main/resources/application.yml")
    assert result.warnings and result.warnings[0].line is not None
    assert result.warnings[0].source == "properties"


# Adapted from apache/kafka config/kraft/server.properties
KAFKA = """\
# The number of messages to accept before forcing a flush of data to disk
#log.flush.interval.messages=10000

# The minimum age of a log file to be eligible for deletion due to age
log.retention.hours=168
#log.retention.hours=24
# log.dirs is where the broker keeps data. See the docs for details about it.
"""


def test_commented_defaults_in_properties() -> None:
    found = params(analyze(KAFKA, "config/kraft/server.properties"))
    flush = found["log.flush.interval.messages"]
    assert (flush.default, flush.citations[0].start_line) == ("10000", 2)
    assert "commented default" in flush.summary and "forcing a flush" in flush.summary
    retention = found["log.retention.hours"]
    assert (retention.default, retention.citations[0].start_line) == ("168", 5)
    assert set(found) == {"log.flush.interval.messages", "log.retention.hours"}


def test_kustomize_overlay_properties_are_a_layer() -> None:
    # Shaped like kubernetes-sigs/kustomize examples/springboot/overlays/production/
    found = params(analyze("server.port=8443\n", "k8s/overlays/production/application.properties"))
    assert found["server.port@production"].default == "8443"


@pytest.mark.parametrize(
    ("value", "refs", "effective_value"),
    [
        ("${PORT:${SERVER_PORT:8080}}", [("SERVER_PORT", "8080"), ("PORT", "8080")], "8080"),
        ("${?APP_SECRET}", [("APP_SECRET", None)], "${?APP_SECRET}"),  # HOCON optional
        ("x${A:-1}y${B}", [("A", "1"), ("B", None)], "x1y${B}"),
        ("${a.b:c}", [("a.b", "c")], "c"),  # a Spring reference to another property
        ("${", [], "${"),
        ("plain", [], "plain"),
    ],
)
def test_interpolation(
    value: str, refs: list[tuple[str, str | None]], effective_value: str
) -> None:
    assert [(r.name, r.default) for r in references(value)] == refs
    assert effective(value) == effective_value


def test_nested_spring_placeholder_links_both_variables() -> None:
    found = params(analyze("server.port=${PORT:${SERVER_PORT:8080}}\n", "application.properties"))
    assert found["server.port"].default == "8080"
    assert found["SERVER_PORT"].default == "8080" and found["PORT"].default == "8080"


# Adapted from spring-petclinic/spring-petclinic-microservices
# spring-petclinic-api-gateway/src/main/resources/application.yml
GATEWAY = """\
spring:
  application:
    name: api-gateway
  config:
    import: optional:configserver:${CONFIG_SERVER_URL:http://localhost:8888/}
  cloud:
    gateway:
      server:
        webflux:
          routes:
            - id: vets-service
              uri: lb://vets-service
              predicates:
                - Path=/api/vet/**
---
spring:
  config:
    activate:
      on-profile: docker
    import: configserver:http://config-server:8888
"""


def test_module_owner_and_lists_of_objects() -> None:
    path = "spring-petclinic-api-gateway/src/main/resources/application.yml"
    result = analyze(GATEWAY, path)
    assert result.owners == {"spring-petclinic-api-gateway": "api-gateway"}
    found = params(result)
    routes = found["spring.cloud.gateway.server.webflux.routes"]
    assert (routes.default, routes.citations[0].start_line) == (None, 10)
    assert not [n for n in found if "[0]" in n or "on-profile" in n]
    assert found["CONFIG_SERVER_URL"].default == "http://localhost:8888/"
    assert found["spring.config.import@docker"].default == "configserver:http://config-server:8888"


def test_root_module_is_left_to_deployment_files() -> None:
    result = analyze(
        "spring:\n  application:\n    name: petclinic\n", "src/main/resources/application.yml"
    )
    assert result.owners == {}


def test_a_yaml_file_right_in_resources_names_no_service() -> None:
    result = analyze("server:\n  port: 1\n", "svc/src/main/resources/extra.yml")
    assert {f.service for f in result.facts} == {None}
