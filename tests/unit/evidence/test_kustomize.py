"""Kustomize overlays: image tags, replicas, generator literals, inline patch resources."""

from __future__ import annotations

from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, SourceFile
from ddd_llm.evidence.config_files._common import overlay_of
from ddd_llm.evidence.config_files.kustomize import KustomizeAnalyzer
from ddd_llm.models import ConfigParameter, ResourceRequirement

# Shaped like kubernetes-sigs/kustomize examples/ (helloWorld overlays) and their docs.
OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
images:
  - name: ghcr.io/acme/api
    newTag: v1.4.2
replicas:
  - name: api
    count: 3
configMapGenerator:
  - name: api-config
    literals:
      - LOG_LEVEL=warn
      - CACHE_TTL=${CACHE_TTL:-60}
secretGenerator:
  - name: api-secrets
    literals:
      - DB_PASSWORD=hunter2
patches:
  - target:
      kind: Deployment
      name: api
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/resources/limits/memory
        value: 512Mi
  - patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: worker
      spec:
        template:
          spec:
            containers:
              - name: worker
                resources:
                  requests:
                    cpu: 250m
  - path: extra-patch.yaml
"""

PATH = "deploy/overlays/prod/kustomization.yaml"


def analyze(text: str = OVERLAY, path: str = PATH) -> AnalyzerResult:
    return KustomizeAnalyzer().analyze(SourceFile(path, text))


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.id: f for f in result.facts if isinstance(f, ConfigParameter)}


def test_overlay_values_are_per_environment() -> None:
    found = params(analyze())
    tag = found["config_parameter:-:images[ghcr.io/acme/api].newTag@prod"]
    assert (tag.default, tag.citations[0].start_line) == ("v1.4.2", 7)
    replicas = found["config_parameter:api:replicas@prod"]
    assert (replicas.default, replicas.value_type, replicas.service) == ("3", "int", "api")
    level = found["config_parameter:-:LOG_LEVEL@prod"]
    assert (level.default, level.citations[0].start_line) == ("warn", 14)
    ttl = found["config_parameter:-:CACHE_TTL@prod"]
    assert ttl.default == "60"
    password = found["config_parameter:-:DB_PASSWORD@prod"]
    assert password.secret and password.default is None


def test_inline_patch_resources() -> None:
    result = analyze()
    reqs = {(f.service, f.resource): f for f in result.facts if isinstance(f, ResourceRequirement)}
    assert reqs[("api", "memory")].limit == "512Mi"
    assert reqs[("api", "memory")].citations[0].start_line == 21
    assert reqs[("worker", "cpu")].request == "250m"
    assert len(reqs) == 2
    assert not result.warnings


def test_secret_value_never_rendered() -> None:
    assert "hunter2" not in " ".join(f.model_dump_json() for f in analyze().facts)


def test_base_has_no_profile() -> None:
    found = params(
        analyze("replicas:\n  - name: api\n    count: 2\n", "deploy/base/kustomization.yaml")
    )
    assert list(found) == ["config_parameter:api:replicas"]


def test_overlay_of() -> None:
    assert overlay_of("k8s/overlays/staging/kustomization.yaml") == "staging"
    assert overlay_of("k8s/base/kustomization.yaml") is None


def test_accepts_and_broken_yaml() -> None:
    assert REGISTRY["kustomize"].accepts(SourceFile("a/kustomization.yaml", ""))
    assert not REGISTRY["kustomize"].accepts(SourceFile("a/deployment.yaml", ""))
    result = analyze("images: [\n")
    assert result.warnings and result.warnings[0].source == "kustomize"
