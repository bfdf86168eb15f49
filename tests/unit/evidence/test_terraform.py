"""Terraform variables: defaults, types, sensitive, validation bounds and choices, lines."""

from __future__ import annotations

import pytest

from ddd_llm.evidence.base import REGISTRY, SourceFile
from ddd_llm.evidence.config_files.terraform import (
    TerraformAnalyzer,
    allowed_from,
    declared_bounds,
)
from ddd_llm.models import ConfigParameter

# The first two blocks are from terraform-aws-modules/terraform-aws-vpc variables.tf.
VARIABLES = """\
variable "create_vpc" {
  description = "Controls if VPC should be created (it affects almost all resources)"
  type        = bool
  default     = true
}

variable "cidr" {
  description = "(Optional) The IPv4 CIDR block for the VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "replicas" {
  description = "Number of replicas"
  type        = number
  default     = 3

  validation {
    condition     = var.replicas >= 1 && var.replicas <= 100
    error_message = "Between 1 and 100."
  }
}

variable "environment" {
  type    = string
  default = "dev"
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "Unknown environment."
  }
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "tags" {
  type    = map(string)
  default = {}
}
"""


def params(text: str = VARIABLES) -> dict[str, ConfigParameter]:
    result = TerraformAnalyzer().analyze(SourceFile("infra/variables.tf", text))
    return {f.name: f for f in result.facts if isinstance(f, ConfigParameter)}


def span(fact: ConfigParameter) -> tuple[int, int]:
    return fact.citations[0].start_line, fact.citations[0].end_line


def test_variables_cite_their_blocks() -> None:
    found = params()
    assert list(found) == ["create_vpc", "cidr", "replicas", "environment", "db_password", "tags"]
    assert span(found["create_vpc"]) == (1, 5)
    assert span(found["cidr"]) == (7, 11)
    assert span(found["replicas"]) == (13, 22)
    assert (found["create_vpc"].default, found["create_vpc"].value_type) == ("true", "bool")
    assert found["cidr"].default == "10.0.0.0/16"
    assert "Controls if VPC" in found["create_vpc"].summary


def test_validation_bounds_and_choices() -> None:
    found = params()
    replicas = found["replicas"]
    assert (replicas.default, replicas.value_type) == ("3", "int")
    assert (replicas.min, replicas.max, replicas.range_source) == (1, 100, "declared")
    env = found["environment"]
    assert (env.value_type, env.allowed_values) == ("enum", ["dev", "staging", "prod"])
    assert found["cidr"].range_source is None


def test_sensitive_and_required() -> None:
    found = params()
    password = found["db_password"]
    assert password.secret and password.required and password.default is None
    assert not found["cidr"].required
    assert found["tags"].default == "{}"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("var.x >= 1 && var.x <= 10", (1, 10)),
        ("var.x > 0", (1, None)),
        ("var.x < 65536", (None, 65535)),
        ("1 <= var.x", (1, None)),
        ("var.y >= 1", (None, None)),  # another variable
        ("length(var.x) > 0", (None, None)),
        ("var.x >= 1 || var.x == -1", (None, None)),
    ],
)
def test_declared_bounds(condition: str, expected: tuple[int | None, int | None]) -> None:
    assert declared_bounds(condition, "x") == expected


def test_allowed_from() -> None:
    assert allowed_from('contains(["a", "b"], var.x)', "x") == ["a", "b"]
    assert allowed_from('contains(["a"], var.y)', "x") is None


def test_invalid_hcl_warns_and_marks_candidates() -> None:
    text = 'variable "a" {\n  default = \n}\nvariable "b" {\n'
    result = TerraformAnalyzer().analyze(SourceFile("main.tf", text))
    assert result.warnings and result.warnings[0].source == "terraform"
    assert [c.start_line for c in result.candidates] == [1, 4]
    assert not result.facts


def test_accepts() -> None:
    accepts = REGISTRY["terraform"].accepts
    assert accepts(SourceFile("variables.tf", 'variable "a" {}\n'))
    assert not accepts(SourceFile("main.tf", 'resource "x" "y" {}\n'))
    assert not accepts(SourceFile("variables.tfvars", 'variable "a" {}\n'))
