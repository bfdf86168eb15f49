"""Unit tests for the docker-compose analyzer."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from ddd_llm.config import ExtractOptions
from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.deploy.compose import ComposeAnalyzer
from ddd_llm.models import (
    ConfigParameter,
    Dependency,
    FactBase,
    FactsDocument,
    HealthCheck,
    ResourceRequirement,
)
from ddd_llm.pipeline import extract

ANALYZER = ComposeAnalyzer()


def run(text: str, path: str = "docker-compose.yml") -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(text).lstrip("\n"))
    assert ANALYZER.accepts(source)
    return ANALYZER.analyze(source)


def facts(result: AnalyzerResult) -> dict[str, FactBase]:
    out = {fact.id: fact for fact in result.facts}
    assert len(out) == len(result.facts), "one fact per id"
    return out


def lines(fact: FactBase) -> list[tuple[int, int]]:
    return [(c.start_line, c.end_line) for c in fact.citations]


FULL = """
version: "3.8"

services:
  api:
    build: ./api
    ports:
      - "8080:8000"
    depends_on:
      - db
      - redis
    environment:
      DATABASE_URL: postgres://app:hunter2@db:5432/app
      REDIS_URL: redis://redis:6379/0
      WORKERS: 4

  db:
    image: postgres:16
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U app"]
      interval: 10s
      timeout: 5s
      retries: 5
    volumes:
      - db-data:/var/lib/postgresql/data

  redis:
    image: redis:7

volumes:
  db-data:
"""


def test_registered_under_its_name() -> None:
    assert isinstance(REGISTRY["compose"], ComposeAnalyzer)


@pytest.mark.parametrize(
    "path",
    [
        "docker-compose.yml",
        "docker-compose.yaml",
        "deploy/docker-compose.prod.yml",
        "compose.yaml",
        "ops/compose.override.yml",
        "Docker-Compose.YML",
    ],
)
def test_accepts_compose_file_names(path: str) -> None:
    assert ANALYZER.accepts(SourceFile(path, "services: {}\n"))


@pytest.mark.parametrize(
    "path, text",
    [
        ("README.md", "services:\n  api:\n    image: x\n"),
        (
            ".github/workflows/ci.yml",
            "jobs:\n  test:\n    services:\n      db:\n        image: x\n",
        ),
        ("Dockerfile", "FROM python\n"),
    ],
)
def test_rejects_other_files(path: str, text: str) -> None:
    assert not ANALYZER.accepts(SourceFile(path, text))


def test_services_are_named_by_key_and_cite_the_whole_entry() -> None:
    result = run(FULL)
    services = {s.name: s for s in result.services}
    assert list(services) == ["api", "db", "redis"]
    assert all(s.kind == "compose-service" for s in services.values())
    # The blank line after a service is not part of it.
    assert [(c.start_line, c.end_line) for c in services["api"].citations] == [(4, 14)]
    assert [(c.start_line, c.end_line) for c in services["db"].citations] == [(16, 24)]
    assert [(c.start_line, c.end_line) for c in services["redis"].citations] == [(26, 27)]
    assert services["api"].citations[0].path == "docker-compose.yml"
    assert result.warnings == []


def test_full_file_facts() -> None:
    got = facts(run(FULL))
    dep = got["dependency:api:db"]
    assert isinstance(dep, Dependency)
    # depends_on outranks the runtime use in DATABASE_URL; both places are cited.
    assert dep.dependency_type == "start_order"
    assert dep.condition is None
    assert lines(dep) == [(9, 9), (12, 12)]
    assert lines(got["dependency:api:redis"]) == [(10, 10), (13, 13)]

    check = got["health_check:db:compose-healthcheck:pg_isready -U app"]
    assert isinstance(check, HealthCheck)
    assert (check.check_type, check.interval_s, check.timeout_s, check.failure_threshold) == (
        "exec",
        10,
        5,
        5,
    )
    assert lines(check) == [(18, 22)]

    port = got["resource_requirement:api:port:8080:8000"]
    assert isinstance(port, ResourceRequirement)
    assert port.value == "8080:8000"
    assert lines(port) == [(7, 7)]
    assert lines(got["resource_requirement:db:volume:db-data:/var/lib/postgresql/data"]) == [
        (24, 24)
    ]

    workers = got["config_parameter:api:WORKERS"]
    assert isinstance(workers, ConfigParameter)
    assert (workers.default, workers.value_type, workers.secret) == ("4", "int", False)
    url = got["config_parameter:api:DATABASE_URL"]
    assert isinstance(url, ConfigParameter)
    assert url.secret is True
    assert url.default is None
    assert "hunter2" not in url.summary


def test_build_contexts_become_owners_relative_to_the_repo_root() -> None:
    result = run(
        """
        services:
          api:
            build: ./api
          web:
            build:
              context: ../frontend
              dockerfile: docker/web.Dockerfile
          root:
            build: .
          remote:
            build: https://github.com/example/repo.git#main
          outside:
            build: ../../elsewhere
          also_root:
            build:
              dockerfile: Dockerfile.worker
        """,
        path="deploy/docker-compose.yml",
    )
    assert result.owners == {
        "deploy/api": "api",
        "frontend": "web",
        "frontend/docker": "web",
        "deploy": "root",
    }
    top = run("services:\n  app:\n    build: .\n", path="compose.yaml")
    assert top.owners == {"": "app"}


def test_a_development_container_owns_its_folder_not_the_code_it_edits() -> None:
    spec = """
        services:
          dev:
            build:
              context: ..
              dockerfile: .devcontainer/Dockerfile
          tools:
            build: ./tools
        """
    dev = run(spec, path=".devcontainer/docker-compose.yml")
    assert dev.owners == {".devcontainer": "dev", ".devcontainer/tools": "tools"}
    nested = run(spec, path="web/.devcontainer/compose.yaml")
    assert nested.owners == {"web/.devcontainer": "dev", "web/.devcontainer/tools": "tools"}
    # The same file anywhere else is a deployment: it owns what it builds.
    deployed = run(spec, path="deploy/docker-compose.yml")
    assert deployed.owners == {"": "dev", ".devcontainer": "dev", "deploy/tools": "tools"}


def test_depends_on_map_form_keeps_condition_and_required_false_is_optional() -> None:
    got = facts(
        run(
            """
            services:
              api:
                image: api
                depends_on:
                  db:
                    condition: service_healthy
                  migrate:
                    condition: service_completed_successfully
                  cache:
                    condition: service_started
                    required: false
                  bare:
              db: {image: postgres}
            """
        )
    )
    db = got["dependency:api:db"]
    assert isinstance(db, Dependency)
    assert (db.dependency_type, db.condition) == ("start_order", "service_healthy")
    assert lines(db) == [(5, 6)]
    migrate = got["dependency:api:migrate"]
    assert isinstance(migrate, Dependency)
    assert migrate.condition == "service_completed_successfully"
    cache = got["dependency:api:cache"]
    assert isinstance(cache, Dependency)
    assert (cache.dependency_type, cache.condition) == ("optional", "service_started")
    assert lines(cache) == [(9, 11)]
    bare = got["dependency:api:bare"]
    assert isinstance(bare, Dependency)
    assert (bare.dependency_type, bare.condition) == ("start_order", None)


def test_links_volumes_from_and_network_mode_are_start_order() -> None:
    got = facts(
        run(
            """
            services:
              app:
                image: app
                links:
                  - "db:database"
                volumes_from:
                  - data
                network_mode: "service:vpn"
            """
        )
    )
    assert {k for k in got if k.startswith("dependency:")} == {
        "dependency:app:db",
        "dependency:app:data",
        "dependency:app:vpn",
    }
    assert lines(got["dependency:app:vpn"]) == [(8, 8)]


@pytest.mark.parametrize(
    "test_line, target",
    [
        (
            '["CMD", "curl", "-f", "http://localhost:8000/healthz"]',
            "curl -f http://localhost:8000/healthz",
        ),
        ('["CMD-SHELL", "redis-cli ping | grep PONG"]', "redis-cli ping | grep PONG"),
        ("pg_isready -U ${POSTGRES_USER:-app}", "pg_isready -U ${POSTGRES_USER:-app}"),
        ('"wget -qO- http://localhost/ || exit 1"', "wget -qO- http://localhost/ || exit 1"),
    ],
)
def test_healthcheck_test_forms(test_line: str, target: str) -> None:
    text = f"""
    services:
      svc:
        image: x
        healthcheck:
          test: {test_line}
          interval: 1m30s
          timeout: 500ms
          start_period: 2m
          retries: 3
    """
    result = run(text)
    got = facts(result)
    check = got[f"health_check:svc:compose-healthcheck:{target}"]
    assert isinstance(check, HealthCheck)
    assert check.target == target
    assert check.mechanism == "compose-healthcheck"
    assert (check.interval_s, check.timeout_s, check.failure_threshold) == (90, 0.5, 3)
    assert lines(check) == [(4, 9)]
    assert "start period 120s" in check.summary
    assert result.warnings == []


def test_healthcheck_block_list_form() -> None:
    got = facts(
        run(
            """
            services:
              web:
                image: nginx
                healthcheck:
                  test:
                    - CMD
                    - curl
                    - -f
                    - http://localhost/
            """
        )
    )
    assert "health_check:web:compose-healthcheck:curl -f http://localhost/" in got


def test_disabled_healthchecks_and_timing_only_overrides_give_no_fact() -> None:
    result = run(
        """
        services:
          a:
            image: x
            healthcheck:
              disable: true
          b:
            image: x
            healthcheck:
              test: ["NONE"]
          c:
            image: x
            healthcheck:
              interval: 30s
        """
    )
    assert [f for f in result.facts if isinstance(f, HealthCheck)] == []
    assert result.warnings == []


def test_malformed_healthchecks_warn_with_line() -> None:
    result = run(
        """
        services:
          a:
            image: x
            healthcheck: curl -f http://localhost/
          b:
            image: x
            healthcheck:
              test: ["CMD", "true"]
              interval: 30
              retries: many
        """
    )
    messages = {(w.line, w.message) for w in result.warnings}
    assert (4, "a healthcheck is not a mapping") in messages
    assert any(line == 9 and "interval" in msg for line, msg in messages)
    assert any(line == 10 and "retries" in msg for line, msg in messages)
    assert all(w.path == "docker-compose.yml" and w.source == "compose" for w in result.warnings)
    check = facts(result)["health_check:b:compose-healthcheck:true"]
    assert isinstance(check, HealthCheck)
    assert (check.interval_s, check.failure_threshold) == (None, None)


def test_ports_short_long_and_yaml_base60_spellings() -> None:
    result = run(
        """
        services:
          web:
            image: x
            ports:
              - 22:22
              - 3000
              - "127.0.0.1:8080:80"
              - "9000-9001:9000-9001"
              - "53:53/udp"
              - "${WEB_PORT:-8080}:80"
              - target: 8000
                published: "18000"
                protocol: tcp
                mode: host
              - target: 5353
                protocol: udp
            expose:
              - "8000"
        """
    )
    got = facts(result)
    ports = {f.value: lines(f) for f in got.values() if isinstance(f, ResourceRequirement)}
    assert ports == {
        "22:22": [(5, 5)],
        "3000": [(6, 6)],
        "127.0.0.1:8080:80": [(7, 7)],
        "9000-9001:9000-9001": [(8, 8)],
        "53:53/udp": [(9, 9)],
        "8080:80": [(10, 10)],  # `${WEB_PORT:-8080}:80` runs with its default
        "18000:8000": [(11, 14)],
        "5353/udp": [(15, 16)],
        "8000": [(18, 18)],
    }
    assert "WEB_PORT" in got["resource_requirement:web:port:8080:80"].summary
    web_port = got["config_parameter:web:WEB_PORT"]
    assert isinstance(web_port, ConfigParameter)
    assert (web_port.default, web_port.value_type, lines(web_port)) == ("8080", "int", [(10, 10)])
    assert result.warnings == []


def test_ports_in_flow_sequence() -> None:
    got = facts(run('services:\n  web:\n    image: x\n    ports: ["80:80", 443]\n'))
    assert lines(got["resource_requirement:web:port:80:80"]) == [(4, 4)]
    assert "resource_requirement:web:port:443" in got


def test_volumes_short_and_long_syntax() -> None:
    got = facts(
        run(
            """
            services:
              app:
                image: x
                volumes:
                  - ./data:/data:ro
                  - /var/run/docker.sock:/var/run/docker.sock
                  - /anonymous
                  - type: volume
                    source: cache
                    target: /cache
                  - type: bind
                    source: ./conf
                    target: /etc/app
                    read_only: true
                  - type: tmpfs
                    target: /tmp
            """
        )
    )
    volumes = {f.value: lines(f) for f in got.values() if isinstance(f, ResourceRequirement)}
    assert volumes == {
        "./data:/data:ro": [(5, 5)],
        "/var/run/docker.sock:/var/run/docker.sock": [(6, 6)],
        "/anonymous": [(7, 7)],
        "cache:/cache": [(8, 10)],
        "./conf:/etc/app:ro": [(11, 14)],
        "/tmp": [(15, 16)],
    }


def test_deploy_resources_and_legacy_limits() -> None:
    got = facts(
        run(
            """
            services:
              api:
                image: x
                deploy:
                  resources:
                    limits:
                      cpus: 0.50
                      memory: 512M
                    reservations:
                      cpus: '0.25'
                      memory: 256M
                      devices:
                        - driver: nvidia
                          count: 1
                          capabilities: [gpu]
              old:
                image: x
                mem_limit: 1g
                mem_reservation: 512m
                cpus: 1.5
                ulimits:
                  nofile:
                    soft: 20000
                    hard: 40000
            """
        )
    )
    cpu = got["resource_requirement:api:cpu"]
    assert isinstance(cpu, ResourceRequirement)
    # `0.50` unquoted is a float to YAML; the value is kept as typed.
    assert (cpu.limit, cpu.request) == ("0.50", "0.25")
    assert lines(cpu) == [(7, 7), (10, 10)]
    memory = got["resource_requirement:api:memory"]
    assert isinstance(memory, ResourceRequirement)
    assert (memory.limit, memory.request) == ("512M", "256M")
    gpu = got["resource_requirement:api:gpu"]
    assert isinstance(gpu, ResourceRequirement)
    assert gpu.request == "1"
    assert lines(gpu) == [(13, 15)]

    old_memory = got["resource_requirement:old:memory"]
    assert isinstance(old_memory, ResourceRequirement)
    assert (old_memory.limit, old_memory.request) == ("1g", "512m")
    assert lines(old_memory) == [(18, 18), (19, 19)]
    old_cpu = got["resource_requirement:old:cpu"]
    assert isinstance(old_cpu, ResourceRequirement)
    assert (old_cpu.limit, old_cpu.request) == ("1.5", None)
    fds = got["resource_requirement:old:file_descriptors"]
    assert isinstance(fds, ResourceRequirement)
    assert (fds.request, fds.limit) == ("20000", "40000")
    assert lines(fds) == [(22, 24)]


def test_environment_list_form() -> None:
    result = run(
        """
        services:
          api:
            image: x
            env_file: .env
            environment:
              - LOG_LEVEL=info
              - DEBUG
              - EMPTY=
              - PORT=${PORT:-8000}
              - SECRET_KEY=${SECRET_KEY:?set a secret key}
              - API_TOKEN=abc123
              - RATIO=0.5
        """
    )
    got = facts(result)

    def param(name: str) -> ConfigParameter:
        fact = got[f"config_parameter:api:{name}"]
        assert isinstance(fact, ConfigParameter)
        return fact

    assert (param("LOG_LEVEL").default, lines(param("LOG_LEVEL"))) == ("info", [(6, 6)])
    assert param("DEBUG").default is None
    assert param("EMPTY").default == ""
    port = param("PORT")
    assert (port.default, port.value_type) == ("${PORT:-8000}", "int")
    key = param("SECRET_KEY")
    assert (key.secret, key.required, key.default) == (True, True, None)
    token = param("API_TOKEN")
    assert (token.secret, token.default) == (True, None)
    assert "abc123" not in token.summary
    assert param("RATIO").value_type == "float"
    assert result.warnings == []


def test_environment_map_form_keeps_values_as_written() -> None:
    got = facts(
        run(
            """
            services:
              api:
                image: x
                environment:
                  FEATURE_FLAG: True
                  TIMEOUT: 30s
                  RETRIES: 3
                  PASSTHROUGH:
                  DB_PASSWORD: example
                  QUOTED: "hello # not a comment"
            """
        )
    )
    defaults = {
        f.name: (f.default, lines(f)) for f in got.values() if isinstance(f, ConfigParameter)
    }
    assert defaults == {
        "FEATURE_FLAG": ("True", [(5, 5)]),
        "TIMEOUT": ("30s", [(6, 6)]),
        "RETRIES": ("3", [(7, 7)]),
        "PASSTHROUGH": (None, [(8, 8)]),
        "DB_PASSWORD": (None, [(9, 9)]),
        "QUOTED": ("hello # not a comment", [(10, 10)]),
    }
    timeout = got["config_parameter:api:TIMEOUT"]
    assert isinstance(timeout, ConfigParameter)
    assert timeout.value_type == "duration"


def test_env_file_forms_do_not_crash() -> None:
    result = run(
        """
        services:
          a:
            image: x
            env_file:
              - .env
              - path: ./override.env
                required: false
          b:
            image: x
            env_file: 42
        """
    )
    assert [s.name for s in result.services] == ["a", "b"]
    assert result.facts == []


def test_env_values_naming_other_services_are_runtime_dependencies() -> None:
    got = facts(
        run(
            """
            services:
              api:
                image: x
                environment:
                  CACHE: redis://redis:6379/0
                  DB_ADDR: db:5432
                  QUEUE_HOST: queue
                  SEARCH_URL: http://elastic:9200
                  KAFKA_BROKERS: kafka1:9092,kafka2:9092
                  WORKER_HOST: ${WORKER_HOST:-worker}
                  CACHE_DRIVER: redis
                  SELF_URL: http://api:8000
                  EXTERNAL_URL: https://example.com
              redis: {image: redis}
              db: {image: postgres}
              queue: {image: rabbitmq}
              search:
                image: elasticsearch
                container_name: elastic
              kafka1: {image: kafka}
              kafka2: {image: kafka}
              worker: {image: x}
            """
        )
    )
    deps = {
        f.target: (f.dependency_type, lines(f)) for f in got.values() if isinstance(f, Dependency)
    }
    assert deps == {
        "redis": ("runtime", [(5, 5)]),
        "db": ("runtime", [(6, 6)]),
        "queue": ("runtime", [(7, 7)]),
        "search": ("runtime", [(8, 8)]),
        "kafka1": ("runtime", [(9, 9)]),
        "kafka2": ("runtime", [(9, 9)]),
        "worker": ("runtime", [(10, 10)]),
    }


def test_anchors_and_merge_keys() -> None:
    got = facts(
        run(
            """
            x-defaults: &defaults
              restart: unless-stopped
              environment:
                LOG_LEVEL: debug
              healthcheck:
                test: ["CMD", "true"]
                interval: 15s

            services:
              one:
                <<: *defaults
                image: one
              two:
                <<: *defaults
                image: two
                environment:
                  LOG_LEVEL: info
            """
        )
    )
    one = got["config_parameter:one:LOG_LEVEL"]
    assert isinstance(one, ConfigParameter)
    assert one.default == "debug"
    # Merged keys are cited where they are written: in the anchored block.
    assert lines(one) == [(4, 4)]
    two = got["config_parameter:two:LOG_LEVEL"]
    assert isinstance(two, ConfigParameter)
    assert (two.default, lines(two)) == ("info", [(17, 17)])
    check = got["health_check:two:compose-healthcheck:true"]
    assert isinstance(check, HealthCheck)
    assert check.interval_s == 15
    assert lines(check) == [(5, 7)]


def test_compact_sequences_and_comments_keep_exact_spans() -> None:
    result = run(
        """
        services:
          api:
            image: x
            ports:
            - "80:80"
            # a comment

            - "443:443"
            environment:
            - A=1
          other:
            image: y
        """
    )
    got = facts(result)
    assert lines(got["resource_requirement:api:port:443:443"]) == [(8, 8)]
    assert lines(got["config_parameter:api:A"]) == [(10, 10)]
    api = next(s for s in result.services if s.name == "api")
    assert [(c.start_line, c.end_line) for c in api.citations] == [(2, 10)]


def test_content_detected_compose_file_with_other_name() -> None:
    source = SourceFile(
        "deploy/stack.yml",
        "version: '3.7'\nservices:\n  web:\n    image: nginx\n    ports: ['80:80']\n",
    )
    assert ANALYZER.accepts(source)
    result = ANALYZER.analyze(source)
    assert [s.name for s in result.services] == ["web"]
    assert "resource_requirement:web:port:80:80" in facts(result)


def test_yaml_with_services_that_is_not_compose_stays_silent() -> None:
    # A Helm values file: `image` is a mapping, no compose-only keys.
    source = SourceFile(
        "chart/values.yaml",
        "services:\n  api:\n    image:\n      repository: x\n      tag: 1\n",
    )
    assert ANALYZER.accepts(source)
    result = ANALYZER.analyze(source)
    assert (result.facts, result.services, result.warnings) == ([], [], [])
    broken = SourceFile("chart/templates/x.yaml", "services:\n  {{ .Values.x }}: [\n")
    assert ANALYZER.analyze(broken).warnings == []


def test_compose_v1_top_level_services() -> None:
    result = run(
        """
        web:
          build: .
          links:
            - db
        db:
          image: postgres
        """
    )
    assert [s.name for s in result.services] == ["web", "db"]
    assert "dependency:web:db" in facts(result)
    assert result.owners == {"": "web"}
    assert result.warnings == []


def test_broken_yaml_warns_with_file_and_line() -> None:
    result = run(
        """
        services:
          api:
            image: x
            ports:
              - "80:80"
             bad: [
        """
    )
    assert result.facts == []
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert warning.path == "docker-compose.yml"
    assert warning.line is not None and 5 <= warning.line <= 7
    assert "invalid YAML" in warning.message


def test_missing_services_warns_naming_the_file() -> None:
    result = run('version: "3"\nvolumes:\n  data: {}\n', path="ops/docker-compose.yml")
    assert result.facts == []
    assert [(w.path, w.message) for w in result.warnings] == [
        ("ops/docker-compose.yml", "compose file has no `services` mapping")
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "compose file is empty"),
        ("# only a comment\n", "compose file is empty"),
        ("just some text\n", "compose file is not a YAML mapping"),
        ("- a\n- b\n", "compose file is not a YAML mapping"),
        ("\x00\x01\x02garbage\xff\n", None),
    ],
)
def test_garbage_warns_naming_the_file(text: str, message: str | None) -> None:
    result = ANALYZER.analyze(SourceFile("compose.yaml", text))
    assert result.facts == []
    assert len(result.warnings) == 1
    assert result.warnings[0].path == "compose.yaml"
    if message is not None:
        assert result.warnings[0].message == message
    else:
        assert "control character" in result.warnings[0].message
        assert result.warnings[0].line == 1


def test_services_that_are_not_mappings_warn_and_the_rest_still_count() -> None:
    result = run(
        """
        services:
          good:
            image: x
            ports: ["80:80"]
          bad: just-a-string
          list_service:
            - image: x
          empty:
          broken_parts:
            image: x
            depends_on: 42
            environment: 7
            ports: {a: 1}
            volumes: /data
        """
    )
    assert [s.name for s in result.services] == ["good", "broken_parts"]
    assert "resource_requirement:good:port:80:80" in facts(result)
    lines_warned = sorted(w.line for w in result.warnings if w.line is not None)
    assert lines_warned == [5, 6, 8, 11, 12, 13, 14]
    assert all(w.path == "docker-compose.yml" for w in result.warnings)


def test_services_list_instead_of_mapping_warns() -> None:
    result = run("services:\n  - api\n  - db\n")
    assert result.services == []
    assert [(w.line, w.message) for w in result.warnings] == [
        (1, "compose `services` is not a mapping of service names")
    ]


def test_aliased_scalars_fall_back_to_the_parsed_value() -> None:
    got = facts(
        run(
            """
            x-cpu: &cpu 0.50
            services:
              a:
                image: x
                cpus: *cpu
            """
        )
    )
    cpu = got["resource_requirement:a:cpu"]
    assert isinstance(cpu, ResourceRequirement)
    assert (cpu.limit, lines(cpu)) == ("0.5", [(5, 5)])


# --- interpolated values through the whole static pipeline (issue #15) -----------------


def run_pipeline(tmp_path: Path, compose: str) -> FactsDocument:
    """`extract --llm none` on a repository holding this compose file and a FastAPI app."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "docker-compose.yml").write_text(textwrap.dedent(compose).lstrip("\n"))
    (repo / "app.py").write_text(
        'from fastapi import FastAPI\napp = FastAPI()\n@app.get("/healthz")\ndef h():\n    pass\n'
    )
    options = ExtractOptions(llm="none", index=False, out_dir=tmp_path / "out", prose=False)
    return extract(repo, options).document


def by_id(doc: FactsDocument) -> dict[str, Any]:
    return {f.id: f for f in doc.facts}


def test_a_port_with_a_default_runs_with_it_and_names_its_variable(tmp_path: Path) -> None:
    doc = run_pipeline(
        tmp_path,
        """
        services:
          web:
            image: nginx
            ports:
              - "${WEB_PORT:-8025}:8025"
            expose:
              - "${INNER}"
            command: ["app", "--port", "${PORT:-8080}"]
        """,
    )
    facts = by_id(doc)
    port = facts["resource_requirement:web:port:8025:8025"]
    assert "WEB_PORT" in port.summary
    variable = facts["config_parameter:web:WEB_PORT"]
    assert (variable.default, variable.citations[0].start_line) == ("8025", 5)
    # Without a default the text stays as written: never a number read out of it.
    assert "resource_requirement:web:port:${INNER}" in facts
    assert facts["config_parameter:web:INNER"].default is None
    assert facts["config_parameter:web:--port"].default == "8080"
    assert facts["config_parameter:web:PORT"].default == "8080"


@pytest.mark.parametrize(
    "port",
    [
        # getsentry/self-hosted docker-compose.yml (nginx): `- "$SENTRY_BIND:80/tcp"`
        '"$SENTRY_BIND:80/tcp"',
        '"${SMTP_PORT}:25"',
        '"${API_PORT:?set API_PORT}:9000"',
        '"²:80"',
        '"8080:²"',
    ],
)
def test_a_published_port_without_a_number_never_crashes_the_run(tmp_path: Path, port: str) -> None:
    doc = run_pipeline(
        tmp_path, f"services:\n  web:\n    image: nginx\n    ports:\n      - {port}\n"
    )
    ports = [f for f in doc.facts if isinstance(f, ResourceRequirement) and f.resource == "port"]
    assert len(ports) == 1


def test_a_port_setting_with_a_non_ascii_digit_never_crashes_the_run(tmp_path: Path) -> None:
    doc = run_pipeline(
        tmp_path, 'services:\n  web:\n    image: nginx\n    environment:\n      PORT: "²"\n'
    )
    assert "config_parameter:web:PORT" in by_id(doc)


def test_anchors_and_merge_keys_are_read_as_compose_reads_them() -> None:
    # Adapted from getsentry/self-hosted docker-compose.yml: x- anchors merged into services,
    # healthcheck timings and retries read from the environment ($HEALTHCHECK_RETRIES).
    result = run(
        """
        x-restart-policy: &restart_policy
          restart: unless-stopped
        x-healthcheck-defaults: &healthcheck_defaults
          interval: "$HEALTHCHECK_INTERVAL"
          timeout: "${HEALTHCHECK_TIMEOUT:-1m30s}"
          retries: $HEALTHCHECK_RETRIES
        x-depends_on-healthy: &depends_on-healthy
          condition: service_healthy
        services:
          redis:
            <<: *restart_policy
            image: redis
          memcached:
            <<: [*restart_policy]
            image: "memcached:1.6-alpine"
            command: ["-I", "${SENTRY_MAX_EXTERNAL_SOURCEMAP_SIZE:-1M}"]
            depends_on:
              redis:
                <<: *depends_on-healthy
            healthcheck:
              <<: *healthcheck_defaults
              test: echo stats | nc 127.0.0.1 11211
        """
    )
    got = facts(result)
    assert result.warnings == []
    dep = got["dependency:memcached:redis"]
    assert isinstance(dep, Dependency) and dep.condition == "service_healthy"
    check = got["health_check:memcached:compose-healthcheck:echo stats | nc 127.0.0.1 11211"]
    assert isinstance(check, HealthCheck)
    assert (check.interval_s, check.timeout_s, check.failure_threshold) == (None, 90, None)
    for name in ("HEALTHCHECK_INTERVAL", "HEALTHCHECK_TIMEOUT", "HEALTHCHECK_RETRIES"):
        assert f"config_parameter:memcached:{name}" in got, name
    flag = got["config_parameter:memcached:-I"]
    assert isinstance(flag, ConfigParameter) and flag.default == "1M"


def test_a_merge_of_a_scalar_is_a_warning_with_its_line() -> None:
    result = run(
        """
        x-name: &name just-a-string
        services:
          web:
            <<: *name
            image: nginx
        """
    )
    [warning] = result.warnings
    assert (warning.path, warning.source) == ("docker-compose.yml", "compose")
    assert warning.line in (1, 4) and "merging" in warning.message


def test_an_integer_too_long_for_int_is_kept_as_text() -> None:
    result = run(
        "services:\n  web:\n    image: x\n    healthcheck:\n      test: [CMD, 'true']\n"
        f"      retries: {'9' * 5000}\n"
    )
    assert any(w.line == 6 and "retries" in w.message for w in result.warnings)
