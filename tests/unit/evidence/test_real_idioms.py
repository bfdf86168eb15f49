"""Idioms met in the real repositories (evals/real): each rule on a small input, in both
directions (the idiom read, and the look-alike left alone)."""

from __future__ import annotations

import textwrap

from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.evidence.code.go_code import GoCodeAnalyzer
from ddd_llm.evidence.code.python.python_code import PythonCodeAnalyzer
from ddd_llm.evidence.code.rust_code import RustCodeAnalyzer
from ddd_llm.evidence.config_files.helm import HelmAnalyzer
from ddd_llm.evidence.config_files.ini import IniAnalyzer
from ddd_llm.evidence.config_files.properties import PropertiesAnalyzer
from ddd_llm.evidence.config_files.terraform import TerraformAnalyzer
from ddd_llm.evidence.deploy.compose import ComposeAnalyzer
from ddd_llm.evidence.deploy.dockerfile import DockerfileAnalyzer
from ddd_llm.evidence.services import ServiceResolver
from ddd_llm.merge.merger import merge_facts
from ddd_llm.merge.resolve import resolve_placeholders
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    HealthCheck,
    ResourceRequirement,
    Service,
)


def run(analyzer: object, path: str, text: str) -> AnalyzerResult:
    source = SourceFile(path, textwrap.dedent(text).lstrip("\n"))
    assert analyzer.accepts(source)  # type: ignore[attr-defined]
    return analyzer.analyze(source)  # type: ignore[attr-defined,no-any-return]


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def of(result: AnalyzerResult, kind: type[FactBase]) -> list[FactBase]:
    return [f for f in result.facts if isinstance(f, kind)]


# --- services ---------------------------------------------------------------------------


def test_module_folder_named_project_dash_service_belongs_to_the_service() -> None:
    resolver = ServiceResolver(
        [Service(name="config-server", kind="compose-service")], {}, {"spring-petclinic-x"}
    )
    path = "spring-petclinic-config-server/src/main/resources/application.yml"
    assert resolver.owner(path) == "config-server"
    assert resolver.owner("config-serverless/app.yml") is None  # not a `-` boundary
    assert resolver.owner("tools/config.yml") is None


def test_a_repo_wide_dependency_belongs_to_the_only_service() -> None:
    dep = Dependency(
        summary="s", citations=[Citation(path="etc/app.ini", start_line=1, end_line=1)],
        target="postgresql",
    )  # fmt: skip
    one = ServiceResolver([Service(name="pgbouncer", kind="systemd-unit")], {}, set())
    assert one.resolve([dep])[0][0].service == "pgbouncer"
    two = ServiceResolver(
        [Service(name="a", kind="compose-service"), Service(name="b", kind="compose-service")],
        {},
        set(),
    )
    assert two.resolve([dep])[0][0].service is None


# --- Spring -------------------------------------------------------------------------------


def test_gateway_lb_routes_are_runtime_dependencies_and_placeholders_stay_as_written() -> None:
    result = run(
        PropertiesAnalyzer(),
        "gateway/src/main/resources/application.yml",
        """
        spring:
          config:
            import: optional:configserver:${CONFIG_SERVER_URL:http://localhost:8888/}
          cloud:
            gateway:
              routes:
                - id: vets
                  uri: lb://vets-service
                - id: docs
                  uri: https://example.org
        server:
          port: ${PORT:8080}
        """,
    )
    deps = of(result, Dependency)
    assert [(d.target, d.dependency_type, d.citations[0].start_line) for d in deps] == [  # type: ignore[attr-defined]
        ("vets-service", "runtime", 8)
    ]
    found = params(result)
    # inside a longer value the placeholder is the value as written; alone, its fallback
    imported = found["spring.config.import"].default
    assert imported == "optional:configserver:${CONFIG_SERVER_URL:http://localhost:8888/}"
    assert found["CONFIG_SERVER_URL"].default == "http://localhost:8888/"
    assert found["server.port"].default == "8080"


# --- Dockerfile ---------------------------------------------------------------------------


def test_build_args_tcp_ports_and_a_documented_data_workdir() -> None:
    result = run(
        DockerfileAnalyzer(),
        "Dockerfile",
        """
        FROM rust AS build
        ARG COMMIT_SHA
        ARG TARGETARCH
        ARG FEATURES=default
        FROM alpine
        ENV APP_ADDR 0.0.0.0:7700
        # This directory should hold all the data of the server
        WORKDIR /app_data
        EXPOSE 7700/tcp 53/udp
        """,
    )
    found = params(result)
    assert found["COMMIT_SHA"].default is None and "build argument" in found["COMMIT_SHA"].summary
    assert found["FEATURES"].default == "default"
    assert "TARGETARCH" not in found  # BuildKit fills it in
    values = {f.value for f in of(result, ResourceRequirement)}  # type: ignore[attr-defined]
    assert values == {"7700", "53/udp", "/app_data"}
    plain = run(DockerfileAnalyzer(), "Dockerfile", "FROM alpine\nWORKDIR /src\n")
    assert not of(plain, ResourceRequirement)  # a WORKDIR nobody says holds data


# --- Rust ---------------------------------------------------------------------------------

RUST = """
use clap::Parser;
use serde::Deserialize;
use std::num::NonZeroUsize;

#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    Warn,
    #[default]
    Info,
}

#[derive(Parser, Deserialize)]
pub struct Opt {
    #[clap(long, env = "APP_LOG_LEVEL", default_value_t)]
    #[serde(default)]
    pub log_level: LogLevel,
    #[clap(long, env = "APP_WORKERS", default_value_t = default_workers())]
    #[serde(default = "default_workers")]
    pub workers: NonZeroUsize,
    #[serde(flatten)]
    #[clap(flatten)]
    pub indexer_options: IndexerOpts,
}

#[derive(Parser, Deserialize)]
pub struct IndexerOpts {
    #[clap(long, env = "APP_MAX_MEMORY")]
    #[serde(default)]
    pub max_memory: Option<String>,
}

fn default_workers() -> NonZeroUsize { NonZeroUsize::new(4).unwrap() }

#[routes::routes(routes("/health" => get(get_health), "/stats" => get(get_stats)))]
pub struct Api;
"""


def test_clap_flatten_enum_default_nonzero_and_macro_route_table() -> None:
    result = run(RustCodeAnalyzer(), "src/option.rs", RUST)
    found = params(result)
    assert "max_memory" in found and "indexer_options.max_memory" not in found
    assert "indexer_options" not in found
    assert found["--log-level"].default == "INFO"
    assert found["log_level"].default == "INFO"
    assert (found["--workers"].min, found["workers"].min) == (1, 1)
    assert found["--max-memory"].min is None
    health = of(result, HealthCheck)
    assert [(h.target, h.citations[0].start_line) for h in health] == [("/health", 35)]  # type: ignore[attr-defined]


# --- INI ----------------------------------------------------------------------------------


def test_named_entry_sections_are_not_parameters_and_conninfo_is_postgres() -> None:
    result = run(
        IniAnalyzer(),
        "etc/pgbouncer.ini",
        """
        [databases]
        ;foodb =
        ;bardb = host=localhost dbname=bazdb
        [users]
        ;user1 = pool_size=5 pool_mode=transaction
        [pgbouncer]
        listen_port = 6432
        ;admin_users = user2, someadmin
        """,
    )
    found = params(result)
    assert set(found) == {"listen_port", "admin_users"}
    (dep,) = of(result, Dependency)
    assert (dep.target, dep.citations[0].start_line) == ("postgresql", 3)  # type: ignore[attr-defined]
    plain = run(IniAnalyzer(), "my.cnf", "[client]\nport = 3306\nhost = db\n")
    assert set(params(plain)) == {"client.port", "client.host"} and not of(plain, Dependency)


def test_uwsgi_switches_and_wiring_are_not_settings() -> None:
    result = run(
        IniAnalyzer(),
        "docker/uwsgi.ini",
        """
        [uwsgi]
        master
        if-not-env = LISTEN_IPV6
        http-socket = :8000
        endif =
        if-env = LISTEN_IPV6
        http-socket = [::]:8000
        endif =
        harakiri = 10
        module = hc.wsgi:application
        attach-daemon = ./manage.py sendalerts
        """,
    )
    found = params(result)
    assert set(found) == {"LISTEN_IPV6", "http-socket", "harakiri"}
    assert found["http-socket"].default == ":8000"  # without LISTEN_IPV6, the first


# --- Terraform ----------------------------------------------------------------------------


def test_terraform_requirements_ports_and_documented_defaults() -> None:
    versions = run(
        TerraformAnalyzer(),
        "versions.tf",
        """
        terraform {
          required_version = ">= 1.0"
          required_providers {
            aws = {
              source  = "hashicorp/aws"
              version = ">= 5.93"
            }
          }
        }
        """,
    )
    deps = {(d.target, d.citations[0].start_line) for d in of(versions, Dependency)}  # type: ignore[attr-defined]
    assert deps == {("terraform", 2), ("aws", 4)}
    main = run(
        TerraformAnalyzer(),
        "main.tf",
        """
        locals {
          port = var.engine == "memcached" ? 11211 : 6379
          name = "cache-1"
        }
        variable "apply_immediately" {
          description = "Apply now. Default is `false`"
          type        = bool
          default     = null
        }
        variable "cluster_id" {
          type    = string
          default = ""
        }
        """,
    )
    ports = {f.value for f in of(main, ResourceRequirement)}  # type: ignore[attr-defined]
    assert ports == {"11211", "6379"}
    found = params(main)
    assert found["apply_immediately"].default == "false"
    assert found["cluster_id"].default == ""  # written empty, not "no default"


# --- Helm -------------------------------------------------------------------------------

TEMPLATE = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "exporter.fullname" . }}
  labels:
    {{- include "exporter.labels" . | nindent 4 }}
spec:
  template:
    spec:
      containers:
        - name: exporter
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          ports:
            - containerPort: {{ .Values.service.internalPort }}
          livenessProbe:
            httpGet:
              path: /
              port: {{ .Values.service.internalPort }}
        {{- if .Values.proxy.enabled }}
        - name: cloud-proxy
          image: "{{ .Values.proxy.image }}"
          startupProbe:
            httpGet:
              path: /startup
              port: 9090
            periodSeconds: 1
            failureThreshold: 20
          securityContext:
            runAsUser: 10000
        {{- end }}
"""

VALUES = """
service:
  internalPort: 9104
serviceMonitor:
  enabled: false
  # interval: 30s
resources: {}
  # limits:
  #  cpu: 100m
mysql:
  host: "localhost"
  port: 3306
"""


def test_helm_template_skeleton_sidecar_and_values_resolved() -> None:
    template = run(HelmAnalyzer(), "charts/exporter/templates/deployment.yaml", TEMPLATE)
    assert not template.warnings
    assert [s.name for s in template.services] == ["exporter"]
    values = run(HelmAnalyzer(), "charts/exporter/values.yaml", VALUES)
    found = params(values)
    assert found["serviceMonitor.interval"].default == "30s"  # documented, commented out
    assert "resources.limits" not in found and "limits" not in found
    assert {d.target for d in of(values, Dependency)} == {"mysql"}  # type: ignore[attr-defined]
    sidecar = [d for d in of(template, Dependency) if d.dependency_type == "optional"]  # type: ignore[attr-defined]
    assert [d.target for d in sidecar] == ["cloud-proxy"]  # type: ignore[attr-defined]
    facts = resolve_placeholders(
        [f.model_copy(update={"service": "exporter"}) for f in [*template.facts, *values.facts]]
    )
    probes = {h.target: h for h in facts if isinstance(h, HealthCheck)}
    assert probes["/"].port == 9104 and probes["/"].citations[0].start_line == 15
    assert (probes["/startup"].interval_s, probes["/startup"].failure_threshold) == (1, 20)
    resources = {f.value for f in facts if isinstance(f, ResourceRequirement)}
    assert {"9104", "user:10000"} <= resources


# --- compose, Go, Python, docs --------------------------------------------------------------


def test_compose_image_variables_with_an_empty_fallback() -> None:
    result = run(
        ComposeAnalyzer(),
        "docker-compose.yml",
        """
        services:
          web:
            image: ${DOCKER_REGISTRY-}web
        """,
    )
    assert params(result)["DOCKER_REGISTRY"].default == ""


def test_go_library_flag_registrars() -> None:
    result = run(
        GoCodeAnalyzer(),
        "cmd/app/main.go",
        """
        package main

        import (
            "github.com/alecthomas/kingpin/v2"
            webflag "github.com/prometheus/exporter-toolkit/web/kingpinflag"
            "example.com/other/flagx"
        )

        func main() {
            webConfig := webflag.AddFlags(kingpin.CommandLine, ":9093")
            flagx.AddFlags(kingpin.CommandLine)
            _ = webConfig
        }
        """,
    )
    found = params(result)
    assert found["--web.listen-address"].default == ":9093"
    assert set(found) == {"--web.listen-address", "--web.config.file", "--web.systemd-socket"}


def test_python_overloaded_env_helper_and_django_included_status_route() -> None:
    settings = run(
        PythonCodeAnalyzer(),
        "hc/settings.py",
        """
        import os
        from typing import overload

        @overload
        def envsecret(s: str) -> str | None: ...
        @overload
        def envsecret(s: str, default: str) -> str: ...
        def envsecret(s, default=None):
            return os.getenv(s, default)

        TOKEN = envsecret("NTFY_TOKEN")
        """,
    )
    assert params(settings)["NTFY_TOKEN"].secret
    urls = run(
        PythonCodeAnalyzer(),
        "hc/api/urls.py",
        """
        from django.urls import include, path
        from . import views

        api_urls = [
            path("status/", views.status),
            path("stats/", views.stats),
        ]
        urlpatterns = [
            path("api/v1/", include(api_urls)),
            path("api/v3/", include(api_urls)),
        ]
        """,
    )
    assert [h.target for h in of(urls, HealthCheck)] == ["/api/v3/status/"]  # type: ignore[attr-defined]


# --- merge ------------------------------------------------------------------------------


def cite(path: str, line: int = 1) -> Citation:
    return Citation(path=path, start_line=line, end_line=line)


def test_an_examples_value_gives_way_to_the_codes_default_a_deployments_does_not() -> None:
    sample = ConfigParameter(
        name="max_prepared_statements", default="0", citations=[cite("etc/app.ini")],
        summary="commented-out INI option max_prepared_statements commented default 0",
    )  # fmt: skip
    code = ConfigParameter(
        name="max_prepared_statements", default="200", citations=[cite("src/main.c", 9)],
        summary="option table",
    )  # fmt: skip
    (merged,) = merge_facts([sample, code]).facts
    assert merged.default == "200"  # type: ignore[attr-defined]
    deployed = sample.model_copy(update={"summary": "compose sets max_prepared_statements"})
    (kept,) = merge_facts([deployed, code]).facts
    assert kept.default == "0"  # type: ignore[attr-defined]


def test_dotnet_keys_take_the_config_files_spelling() -> None:
    bound = ConfigParameter(
        service="web", name="baseUrls:ApiBase", citations=[cite("src/Shared/Urls.cs")],
        summary="bound",
    )  # fmt: skip
    written = ConfigParameter(
        service="web", name="baseUrls:apiBase", default="https://x/",
        citations=[cite("src/Web/appsettings.json")], summary="appsettings",
    )  # fmt: skip
    (merged,) = merge_facts([bound, written]).facts
    assert merged.id == "config_parameter:web:baseUrls:apiBase"
    assert len(merged.citations) == 2


def test_a_play_variable_fills_another_services_placeholder_but_a_compose_one_does_not() -> None:
    def param(service: str | None, name: str, default: str | None) -> ConfigParameter:
        return ConfigParameter(
            name=name,
            service=service,
            summary=name,
            default=default,
            citations=[Citation(path=f"{service or 'repo'}.txt", start_line=1, end_line=1)],
        )

    facts = resolve_placeholders(
        [
            param("agent", "cache_dir", "/var/cache/agent"),  # a role's default
            param("pruner", "CACHE_DIR", "{{ cache_dir }}"),  # another unit reads the render
            param("web", "HTTP_PORT", "8080"),  # one compose service's environment
            param("worker", "BIND", "${HTTP_PORT}"),  # compose reads ${…} from the shell
            param("a", "mode", "x"),
            param("b", "mode", "y"),
            param("c", "MODE", "{{ mode }}"),  # two values repo-wide: ambiguous
        ]
    )
    by = {(f.service, f.name): f for f in facts if isinstance(f, ConfigParameter)}
    assert by[("pruner", "CACHE_DIR")].default == "/var/cache/agent"
    assert by[("worker", "BIND")].default == "${HTTP_PORT}"
    assert by[("c", "MODE")].default == "{{ mode }}"
