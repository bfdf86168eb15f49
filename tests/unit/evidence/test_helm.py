"""Helm charts: values as parameters (bitnami @param docs), probes, resources, dependencies."""

from __future__ import annotations

import pytest

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.config_files.helm import HelmAnalyzer, neutralise
from ddd_llm.models import (
    ConfigParameter,
    Dependency,
    HealthCheck,
    ResourceRequirement,
)

# Adapted from bitnami/charts bitnami/redis/values.yaml (master section).
BITNAMI = """\
master:
  ## @param master.count Number of Redis(R) master instances to deploy
  ##
  count: 1
  ## @param master.resourcesPreset Set container resources according to one common preset \
(allowed values: none, nano, micro, small, medium, large, xlarge, 2xlarge).
  ##
  resourcesPreset: "nano"
  ## @param master.extraFlags [array] Array with additional command line flags
  extraFlags: []
  resources: {}
"""

# Adapted from prometheus-community/helm-charts charts/prometheus-blackbox-exporter/values.yaml
BLACKBOX = """\
# Number of replicas
replicas: 1

image:
  registry: quay.io
  repository: prometheus/blackbox-exporter
  # Overrides the image tag whose default is {{ printf "v%s" .Chart.AppVersion }}
  tag: ""

livenessProbe:
  httpGet:
    path: /-/healthy
    port: http
  failureThreshold: 3

resources:
  limits:
    memory: 300Mi
  requests:
    cpu: 100m
    memory: 50Mi

extraArgs:
  - --log.level=info
"""

TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      containers:
        - name: app
          {{- with .Values.securityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - containerPort: 8080
          readinessProbe:
            httpGet:
              path: /ready
              port: 8080
          livenessProbe:
            {{- toYaml .Values.livenessProbe | nindent 12 }}
"""

CHART = """\
apiVersion: v2
name: app
dependencies:
  - name: common
    repository: oci://registry-1.docker.io/bitnamicharts
    tags:
      - bitnami-common
    version: 2.x.x
  - name: postgresql
    version: 15.x.x
    repository: oci://registry-1.docker.io/bitnamicharts
    condition: postgresql.enabled
  - name: redis
    version: 19.x.x
"""


def analyze(text: str, path: str) -> AnalyzerResult:
    return HelmAnalyzer().analyze(SourceFile(path, text))


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.id.split(":", 2)[2]: f for f in result.facts if isinstance(f, ConfigParameter)}


def test_bitnami_param_annotations() -> None:
    found = params(analyze(BITNAMI, "bitnami/redis/values.yaml"))
    assert found["master.count"].default == "1"
    assert "Number of Redis(R) master instances" in found["master.count"].summary
    preset = found["master.resourcesPreset"]
    assert (preset.default, preset.value_type, preset.citations[0].start_line) == (
        "nano",
        "enum",
        7,
    )
    assert preset.allowed_values and "xlarge" in preset.allowed_values
    assert "Array with additional" in found["master.extraFlags"].summary
    assert found["master.resources"].default is None


def test_values_probes_resources_and_lists() -> None:
    result = analyze(BLACKBOX, "charts/blackbox/values.yaml")
    found = params(result)
    assert found["replicas"].default == "1" and "Number of replicas" in found["replicas"].summary
    assert found["image.tag"].default == ""  # written empty: not "no default"
    assert found["extraArgs"].default == "--log.level=info"
    probe = [f for f in result.facts if isinstance(f, HealthCheck)]
    assert [
        (p.target, p.mechanism, p.failure_threshold, p.citations[0].start_line) for p in probe
    ] == [("/-/healthy", "k8s-liveness", 3, 10)]
    memory = next(
        f for f in result.facts if isinstance(f, ResourceRequirement) and f.resource == "memory"
    )
    assert (memory.request, memory.limit, memory.citations[0].start_line) == ("50Mi", "300Mi", 16)


def test_values_override_file_is_per_environment() -> None:
    found = params(analyze("replicas: 3\n", "charts/app/values-prod.yaml"))
    assert found["replicas@prod"].name == "replicas"


def test_template_text_without_actions() -> None:
    result = analyze(TEMPLATE, "charts/app/templates/deployment.yaml")
    assert not result.warnings
    health = [
        (h.target, h.port, h.mechanism, h.citations[0].start_line)
        for h in result.facts
        if isinstance(h, HealthCheck)
    ]
    assert health == [("/ready", 8080, "k8s-readiness", 17)]
    assert [f.value for f in result.facts if isinstance(f, ResourceRequirement)] == ["8080"]
    assert not [f for f in result.facts if isinstance(f, ConfigParameter)]


def test_neutralise_keeps_lines() -> None:
    text = "a: {{ .Values.a }}\n{{- if x }}\nb: 1\n{{- end }}\n"
    out = neutralise(text)
    assert out.count("\n") == text.count("\n") and "{{" not in out and "b: 1" in out


def test_chart_dependencies() -> None:
    result = analyze(CHART, "charts/app/Chart.yaml")
    deps = [
        (f.target, f.dependency_type, f.citations[0].start_line)
        for f in result.facts
        if isinstance(f, Dependency)
    ]
    assert deps == [("postgresql", "optional", 9), ("redis", "runtime", 13)]


def test_broken_values_warn() -> None:
    result = analyze("a: 1\nb: [\n", "charts/app/values.yaml")
    assert result.warnings and result.warnings[0].source == "helm"


@pytest.mark.parametrize(
    ("path", "text", "accepted"),
    [
        ("charts/app/values.yaml", "a: 1\n", True),
        ("charts/app/Chart.yaml", "name: a\n", True),
        ("charts/app/templates/svc.yaml", "port: {{ .Values.port }}\n", True),
        ("charts/app/templates/_helpers.tpl", "{{ define }}\n", False),
        ("charts/app/ci/default-values.yaml", "a: 1\n", False),
        ("k8s/deployment.yaml", "kind: Deployment\n", False),
    ],
)
def test_accepts(path: str, text: str, accepted: bool) -> None:
    assert REGISTRY["helm"].accepts(SourceFile(path, text)) is accepted
