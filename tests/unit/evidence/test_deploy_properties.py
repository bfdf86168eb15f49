"""Property tests: deployment analyzers never raise on odd compose / Kubernetes / unit files
(interpolation, anchors and merge keys, wrong types, null), and every warning names its file
and, for anything below the top level, its line (issue #15)."""

from __future__ import annotations

import textwrap
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ddd_llm.evidence.base import AnalyzerResult, SourceFile
from ddd_llm.evidence.deploy.compose import ComposeAnalyzer
from ddd_llm.evidence.deploy.dockerfile import DockerfileAnalyzer
from ddd_llm.evidence.deploy.kubernetes import KubernetesAnalyzer
from ddd_llm.evidence.deploy.systemd import SystemdAnalyzer

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FILE_LEVEL = (
    "compose file",
    "no unit directives",
    "Dockerfile has no",
    "not a text Dockerfile",
    "not a YAML text",
)
"""Warnings about the file as a whole, which have no line to name."""

VARIABLE = st.sampled_from(
    [
        "${PORT}",
        "${PORT:-8080}",
        "${PORT-8080}",
        "${PORT:?set PORT}",
        "${PORT:+on}",
        "$PORT",
        "$$PORT",
        "${A:-${B:-1}}",
        "${",
        "$(PORT)",
        "{{ port }}",
    ]
)
ODD_TEXT = st.one_of(
    VARIABLE,
    VARIABLE.map(lambda v: f"{v}:80"),
    VARIABLE.map(lambda v: f"127.0.0.1:{v}:80/udp"),
    st.sampled_from(["²", "٣", "8080:²", "1e3", "-1", "", " ", "0x1F", "9" * 5000, "a:b:c:d"]),
    st.text(max_size=12),
)
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    ODD_TEXT,
)
VALUE: st.SearchStrategy[Any] = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["a", "target", "published", "test", "port"]), inner, max_size=3
        ),
    ),
    max_leaves=6,
)
COMPOSE_KEYS = [
    "ports",
    "expose",
    "healthcheck",
    "command",
    "entrypoint",
    "environment",
    "depends_on",
    "volumes",
    "deploy",
    "ulimits",
    "user",
    "build",
    "mem_limit",
    "cpus",
    "links",
    "networks",
]
SERVICE = st.dictionaries(st.sampled_from(COMPOSE_KEYS), VALUE, max_size=6)
HEALTHCHECK = st.fixed_dictionaries(
    {},
    optional={
        "test": st.one_of(VALUE, st.just(["CMD", "curl", "http://localhost:${PORT:-80}/"])),
        "interval": ODD_TEXT,
        "timeout": SCALAR,
        "retries": SCALAR,
        "start_period": ODD_TEXT,
    },
)


def check(result: AnalyzerResult, source: SourceFile) -> None:
    for warning in result.warnings:
        assert warning.path == source.path
        if warning.line is None:
            assert warning.message.startswith(FILE_LEVEL) or "invalid YAML" in warning.message, (
                warning
            )
        else:
            assert 1 <= warning.line <= max(1, len(source.lines)), warning
    for fact in result.facts:
        fact.model_dump_json()  # every fact serialises (no inf / nan in facts.json)
        for citation in fact.citations:
            assert citation.path == source.path
            assert 1 <= citation.start_line <= citation.end_line <= max(1, len(source.lines))


def analyze(analyzer: Any, path: str, text: str) -> None:
    source = SourceFile(path, text)
    if analyzer.accepts(source):
        check(analyzer.analyze(source), source)


@SETTINGS
@given(services=st.dictionaries(st.sampled_from(["web", "db", "x-base"]), SERVICE, max_size=3))
def test_compose_with_odd_values_never_raises(services: dict[str, Any]) -> None:
    text = yaml.safe_dump({"services": services}, allow_unicode=True)
    analyze(ComposeAnalyzer(), "docker-compose.yml", text)


@SETTINGS
@given(defaults=SERVICE, health=HEALTHCHECK, own=SERVICE, merge_list=st.booleans())
def test_compose_with_anchors_and_merge_keys_never_raises(
    defaults: dict[str, Any], health: dict[str, Any], own: dict[str, Any], merge_list: bool
) -> None:
    # The shape of getsentry/self-hosted's docker-compose.yml: x- anchors merged into services.
    anchors = (
        yaml.safe_dump({"x-defaults": defaults, "x-health": health}, allow_unicode=True)
        .replace("x-defaults:", "x-defaults: &defaults", 1)
        .replace("x-health:", "x-health: &health", 1)
    )
    merge = "[*defaults]" if merge_list else "*defaults"
    body = textwrap.indent(yaml.safe_dump(own, allow_unicode=True) if own else "", "    ")
    text = (
        f"{anchors}services:\n  web:\n    <<: {merge}\n    healthcheck:\n      <<: *health\n{body}"
    )
    analyze(ComposeAnalyzer(), "compose.yaml", text)


POD_FIELDS = ["command", "args", "ports", "env", "readinessProbe", "livenessProbe", "resources"]


@SETTINGS
@given(
    container=st.dictionaries(st.sampled_from(POD_FIELDS), VALUE, max_size=5),
    probe_port=ODD_TEXT,
    replicas=SCALAR,
)
# Found by CI: PyYAML counts NEL as a line break, which shifted every later line by one.
@example(container={"ports": True}, probe_port="${PORT}:80", replicas="\x85")
def test_kubernetes_with_odd_values_never_raises(
    container: dict[str, Any], probe_port: str, replicas: Any
) -> None:
    container = {"name": "web", "image": "x", **container}
    container.setdefault("livenessProbe", {"httpGet": {"path": "/healthz", "port": probe_port}})
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [container]}}},
    }
    analyze(KubernetesAnalyzer(), "k8s/web.yaml", yaml.safe_dump(manifest, allow_unicode=True))


WORDS = st.lists(
    st.one_of(ODD_TEXT, st.sampled_from(["--port", "-c", "--", "sh", "-c", "python", "-m", '"'])),
    max_size=8,
)


@SETTINGS
@given(words=WORDS, exec_form=st.booleans(), timeout=ODD_TEXT)
def test_systemd_and_dockerfile_command_lines_never_raise(
    words: list[str], exec_form: bool, timeout: str
) -> None:
    line = " ".join(words).replace("\n", " ").replace("\r", " ")
    unit = f"[Service]\nExecStart=/usr/bin/app {line}\nTimeoutStartSec={timeout}\n"
    analyze(SystemdAnalyzer(), "deploy/app.service", unit.replace("\x00", ""))
    cmd = yaml.safe_dump(words, default_flow_style=True).strip() if exec_form else line
    odd = timeout.replace("\n", " ").replace("\r", " ")
    dockerfile = (
        f"FROM python:3.12\nHEALTHCHECK --interval={odd} --retries={odd} CMD true\nCMD {cmd}\n"
    )
    analyze(DockerfileAnalyzer(), "Dockerfile", dockerfile.replace("\x00", ""))
