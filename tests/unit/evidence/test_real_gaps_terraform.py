"""Terraform gaps found on real modules (issue #15): a `null` variable's default is the value
the module's `coalesce(var.x, …)` falls back to, conditionals evaluated with the other
variables' defaults; a described default is read whole, and a phrase is no value."""

from __future__ import annotations

import textwrap

import pytest

from ddd_llm.evidence import analyze_files
from ddd_llm.evidence.base import SourceFile
from ddd_llm.evidence.code._param_facts import stated_default
from ddd_llm.models import ConfigParameter

VARIABLES = """
variable "flavor" {
  description = "Queue flavor: kafka or nats"
  type        = string
  default     = "nats"
}

variable "listen_port" {
  description = "Port the broker listens on"
  type        = number
  default     = null
}

variable "label" {
  description = "Label of the broker group. Defaults to `Created by the module`"
  type        = string
  default     = null
}

variable "region_hint" {
  description = "Region for the broker"
  type        = string
  default     = null
}

variable "mirror_name" {
  type    = string
  default = null
}

variable "base_name" {
  type    = string
  default = ""
}

variable "retention" {
  type    = number
  default = null
}
"""

MAIN = """
locals {
  port = var.flavor == "kafka" ? 9092 : 4222
}

resource "broker" "this" {
  port        = coalesce(var.listen_port, local.port)
  description = coalesce(var.label, "Broker group")
  region      = coalesce(var.region_hint, data.aws_region.current.name)
  mirror      = try(coalesce(var.mirror_name, var.base_name), "")
}

resource "broker_copy" "this" {
  port      = coalesce(var.listen_port, local.port)
  retention = coalesce(var.retention, 7)
}

resource "broker_other" "this" {
  retention = coalesce(var.retention, 30)
}
"""


def params(files: dict[str, str]) -> dict[str, ConfigParameter]:
    result = analyze_files(
        SourceFile(path, textwrap.dedent(text).lstrip("\n")) for path, text in files.items()
    )
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def test_null_variables_take_the_value_every_use_falls_back_to() -> None:
    found = params({"modules/broker/variables.tf": VARIABLES, "modules/broker/main.tf": MAIN})
    # local.port evaluated with flavor's default (nats), not the first literal written
    assert found["listen_port"].default == "4222"
    assert "default 4222" in found["listen_port"].summary
    # what the module falls back to wins over what the description says
    assert found["label"].default == "Broker group"
    # a fallback that is a data source, empty strings only, or uses that disagree: unsaid
    assert found["region_hint"].default is None
    assert found["mirror_name"].default is None
    assert found["retention"].default is None
    assert found["flavor"].default == "nats"


def test_another_folders_uses_do_not_set_a_modules_default() -> None:
    found = params({"modules/broker/variables.tf": VARIABLES, "main.tf": MAIN})
    assert found["listen_port"].default is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Defaults to `Created by the module`", "Created by the module"),
        ('How to rotate. Defaults to "SWAP".', "SWAP"),
        ("Defaults to the Region set in the provider configuration", None),
        ("The maximum price. Defaults to on-demand price", None),
        ("Polling period, default is 15 seconds", "15"),
        ("Log level (default warn)", "warn"),
    ],
)
def test_a_described_default_is_read_whole_and_a_phrase_is_no_value(
    text: str, value: str | None
) -> None:
    assert stated_default(text) == value
