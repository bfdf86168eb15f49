"""Gaps found on real repositories (issue #15), outside Go and Terraform: the YAML config an
image ships, a URL flag naming the program it talks to, dependencies stated in docs, a .NET
local overwritten by a configuration read, sizes bounded in a Rust doc comment, and a name
about a secret that holds none."""

from __future__ import annotations

import textwrap

import pytest

from ddd_llm.evidence import analyze_files
from ddd_llm.evidence.base import AnalyzerResult, SourceFile, looks_secret_name
from ddd_llm.evidence.code._param_facts import size_range
from ddd_llm.models import ConfigParameter, Dependency


def run(files: dict[str, str]) -> AnalyzerResult:
    return analyze_files(
        SourceFile(path, textwrap.dedent(text).lstrip("\n")) for path, text in files.items()
    )


def params(result: AnalyzerResult) -> dict[str, ConfigParameter]:
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


# --- the configuration an image ships ---------------------------------------------------

SHIPPED = """
# how often the relay flushes
batching:
  flush_every: 45s
  max_items: 500
  lanes: [fast, slow]
sinks:
  - name: archive
    kind: s3
"""

CI = """
matrix:
  python: ["3.11"]
cache_dir: /tmp/cache
"""

DOCKERFILE = """
FROM alpine:3.20
COPY build/relay /usr/bin/relay
COPY deploy/relay.yml /opt/relay/relay.yml
COPY tools/ci-matrix.yml /usr/share/relay/matrix.yml
ENTRYPOINT ["/usr/bin/relay"]
CMD ["--config=/opt/relay/relay.yml"]
"""


def test_the_yaml_an_image_runs_with_gives_its_keys_and_other_yaml_does_not() -> None:
    found = params(
        run({"Dockerfile": DOCKERFILE, "deploy/relay.yml": SHIPPED, "tools/ci-matrix.yml": CI})
    )
    assert found["batching.flush_every"].default == "45s"
    assert found["batching.max_items"].default == "500"
    assert found["batching.lanes"].default == "[fast, slow]"  # as written
    assert "sinks" in found and found["sinks"].default is None  # a list of objects: one setting
    assert found["batching.flush_every"].citations[0].path == "deploy/relay.yml"
    # copied, but not to where the program reads its configuration: not read
    assert not any(name.startswith(("matrix", "cache_dir")) for name in found)


def test_yaml_no_dockerfile_ships_is_left_alone() -> None:
    found = params(run({"deploy/relay.yml": SHIPPED}))
    assert not any(name.startswith("batching") for name in found)


# --- a URL flag names the program it talks to --------------------------------------------

URL_FLAGS = """
package main

import "github.com/alecthomas/kingpin/v2"

var (
	broker  = kingpin.Flag("nats.url", "NATS server to publish to.").URL()
	outside = kingpin.Flag("web.external-url", "Where users reach us.").String()
	hook    = kingpin.Flag("callback-url", "Called when done.").String()
)
"""


def test_a_url_flag_named_after_a_program_is_a_dependency_and_a_role_is_not() -> None:
    result = run({"cmd/relay/main.go": URL_FLAGS})
    targets = {f.target for f in result.facts if isinstance(f, Dependency)}
    assert targets == {"nats"}


# --- dependencies stated in docs are shown to the model ------------------------------------

README = """
# Relay

## Running it

The relay relies on a NATS server reachable from every node.

## Colours

The dashboard uses a dark theme by default.
"""


def test_docs_that_state_a_dependency_become_a_candidate_and_other_prose_does_not() -> None:
    result = run({"README.md": README})
    marked = [(c.kind, c.start_line, c.end_line) for c in result.candidates]
    assert ("dependency", 3, 5) in marked  # the heading above is shown with the paragraph
    assert not any(c.start_line >= 7 for c in result.candidates if c.kind == "dependency")


# --- .NET: a local the configuration read overwrites ---------------------------------------

STARTUP = """
public static class Wiring
{
    public static void Add(IConfiguration configuration, IServiceCollection services)
    {
        int lanes = 3;
        if (configuration["Relay:Lanes"] != null)
        {
            lanes = int.Parse(configuration["Relay:Lanes"]!);
        }
        string zone = configuration["Relay:Zone"];
        services.AddRelay(lanes, zone);
    }
}
"""


def test_a_local_overwritten_by_a_configuration_read_gives_its_default() -> None:
    found = params(run({"src/Relay/Wiring.cs": STARTUP}))
    assert found["Relay:Lanes"].default == "3"
    assert found["Relay:Zone"].default is None


# --- Rust: sizes bounded with units in a doc comment ----------------------------------------

OPTIONS = """
use byte_unit::Byte;
use clap::Parser;

#[derive(Parser)]
pub struct Opt {
    /// Size of one upload chunk.
    ///
    /// Must not be less than 5MiB and larger than 2GiB.
    #[clap(long, env = "RELAY_CHUNK_SIZE")]
    pub chunk_size: Byte,

    /// Largest payload, in bytes.
    #[clap(long)]
    pub payload_limit: Byte,
}
"""


def test_a_size_range_stated_with_units_is_read_in_bytes() -> None:
    found = params(run({"src/option.rs": OPTIONS}))
    chunk = found["--chunk-size"]
    assert (chunk.min, chunk.max, chunk.value_type) == (5 * 2**20, 2 * 2**30, "size")
    assert (found["--payload-limit"].min, found["--payload-limit"].max) == (None, None)


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("between 64KiB and 1MiB", (65536, 1048576)),
        ("at least 1KB, at most 4KB", (1000, 4000)),
        ("no more than 10 GiB", (None, 10 * 2**30)),
        ("defaults to 8MiB", (None, None)),
        ("a 5MiB buffer", (None, None)),
    ],
)
def test_size_phrases(text: str, bounds: tuple[int | None, int | None]) -> None:
    assert size_range(text) == bounds


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("auth_token_update_strategy", False),
        ("password_policy", False),
        ("auth_token", True),
        ("db_password", True),
    ],
)
def test_a_name_about_how_a_secret_is_handled_holds_none(name: str, secret: bool) -> None:
    assert looks_secret_name(name) is secret


# --- environment variables set in docs are shown to the model -------------------------------

ENV_DOCS = """
# Relay

## Tuning

You can tune the relay with environment variables in `deploy/.env`. For example:

    RELAY_WORKERS=8

## Building

Build it with:

    CGO_ENABLED=0
"""


def test_an_env_block_in_a_section_about_environment_variables_is_a_candidate() -> None:
    result = run({"docs/tuning.md": ENV_DOCS})
    marked = [(c.kind, c.start_line) for c in result.candidates if c.kind == "config_parameter"]
    assert marked == [("config_parameter", 7)]  # not the build section's block
    # a document alone is no evidence the setting exists: no fact, only the candidate
    assert "RELAY_WORKERS" not in params(result)


# --- Helm: values the templates read -------------------------------------------------------

VALUES = """
image:
  tag: "1.4"
tlsSecret: ""
apiPassword: ""
"""

HELPERS = """
{{- define "relay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 }}
{{- end }}
"""

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "relay.name" . }}
spec:
  template:
    spec:
      containers:
        - name: relay
          image: "relay:{{ .Values.image.tag }}"
          env:
            - name: API_PASSWORD
              value: {{ .Values.apiPassword | quote }}
      volumes:
        - name: tls
          secret:
            secretName: {{ .Values.tlsSecret }}
"""


def test_values_the_templates_read_and_secret_names_they_render() -> None:
    found = params(
        run(
            {
                "chart/values.yaml": VALUES,
                "chart/templates/_helpers.tpl": HELPERS,
                "chart/templates/deployment.yaml": DEPLOYMENT,
            }
        )
    )
    # read by a helper and set nowhere: a parameter without a default
    override = found["nameOverride"]
    assert override.default is None
    assert override.citations[0].path == "chart/templates/_helpers.tpl"
    assert found["image.tag"].citations[0].path == "chart/values.yaml"  # set: not doubled
    # rendered as a Secret's name: a name, shown; used as a value: still a secret
    assert (found["tlsSecret"].secret, found["tlsSecret"].default) == (False, "")
    assert found["apiPassword"].secret is True
