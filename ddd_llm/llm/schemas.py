"""Response models the LLM fills in, one per fact kind, with validators that re-ask on nonsense.

They mirror FACTS.md's fields, minus what the pipeline computes (id, origin,
verification). Each item cites lines of the chunk it was shown; the validation
context (`start_line`, `end_line` of that chunk) lets a validator refuse citations
outside it, so instructor re-asks with the error.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ddd_llm.models import (
    CheckType,
    DependencyType,
    FactKind,
    Mechanism,
    Number,
    Operation,
    RangeSource,
    Resource,
    ValueType,
)


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str | None = Field(
        default=None, description="service this belongs to, as the deployment files name it"
    )
    summary: str = Field(description="one line an operator can read")
    start_line: int = Field(description="first line (as numbered in the excerpt) that states it")
    end_line: int = Field(description="last line that states it")

    @model_validator(mode="after")
    def _lines_inside_excerpt(self, info: ValidationInfo) -> _Item:
        ctx: dict[str, Any] = info.context or {}
        first, last = ctx.get("start_line"), ctx.get("end_line")
        if self.end_line < self.start_line:
            raise ValueError(f"end_line {self.end_line} is before start_line {self.start_line}")
        if first is not None and last is not None:
            if not (first <= self.start_line and self.end_line <= last):
                raise ValueError(
                    f"lines {self.start_line}-{self.end_line} are outside the excerpt "
                    f"({first}-{last}); cite only lines you were shown"
                )
        return self


def _number(value: Any) -> Any:
    """Numbers may come back as strings ("100", "1e3"); anything else is an error to re-ask."""
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
        return int(number) if number.is_integer() and "." not in text else number
    raise ValueError(f"{value!r} is not a number")


class ConfigParameterItem(_Item):
    name: str = Field(description="exactly as the operator writes it: env var, --flag or key")
    value_type: ValueType = "string"
    default: str | None = None
    min: Number | None = None
    max: Number | None = None
    allowed_values: list[str] | None = None
    unit: str | None = None
    required: bool = False
    secret: bool = False
    range_source: RangeSource | None = None

    _num = field_validator("min", "max", mode="before")(_number)

    @model_validator(mode="after")
    def _range(self) -> ConfigParameterItem:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        if (self.min is not None or self.max is not None) and self.range_source is None:
            raise ValueError("a min or max needs range_source: declared, documented or inferred")
        return self


class HealthCheckItem(_Item):
    check_type: CheckType
    target: str = Field(description="URL path for http, port for tcp, command for exec")
    port: int | None = None
    interval_s: Number | None = None
    timeout_s: Number | None = None
    failure_threshold: Number | None = None
    mechanism: Mechanism = "other"

    _num = field_validator("interval_s", "timeout_s", "failure_threshold", mode="before")(_number)

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, value: Any) -> Any:
        value = _number(value)
        if value is not None and not (isinstance(value, int) and 0 < value < 65536):
            raise ValueError(f"port {value!r} is not a TCP port number")
        return value


class ResourceRequirementItem(_Item):
    resource: Resource
    request: str | None = None
    limit: str | None = None
    value: str | None = Field(default=None, description="for ports, volumes and permissions")


class DependencyItem(_Item):
    target: str = Field(description="the service depended on")
    dependency_type: DependencyType = "runtime"
    condition: str | None = None

    @model_validator(mode="after")
    def _not_self(self) -> DependencyItem:
        if self.service and self.target.lower() == self.service.lower():
            raise ValueError("a service cannot depend on itself")
        return self


class ValidationMethodItem(_Item):
    operation: Operation = "other"
    method: str = Field(description="the command, endpoint or log line to check")
    expected: str | None = Field(default=None, description="what success looks like")


ATTEMPTS = "_ddd_attempts"
"""Validation-context key of a one-element list counting parse attempts (re-asks included)."""


class _Answer(BaseModel):
    @model_validator(mode="before")
    @classmethod
    def _count_attempt(cls, data: Any, info: ValidationInfo) -> Any:
        counter = (info.context or {}).get(ATTEMPTS)
        if isinstance(counter, list) and counter:
            counter[0] += 1
        return data


class ConfigParameters(_Answer):
    """Configuration parameters an operator can set, found in the excerpt."""

    items: list[ConfigParameterItem] = Field(default_factory=list)


class HealthChecks(_Answer):
    """How the system verifies its own state, found in the excerpt."""

    items: list[HealthCheckItem] = Field(default_factory=list)


class ResourceRequirements(_Answer):
    """What a service needs to run (cpu, memory, disk, ports, volumes, permissions)."""

    items: list[ResourceRequirementItem] = Field(default_factory=list)


class Dependencies(_Answer):
    """What must be up first, and what is used at run time."""

    items: list[DependencyItem] = Field(default_factory=list)


class ValidationMethods(_Answer):
    """How to confirm that an operation (deploy, restart, backup, …) succeeded."""

    items: list[ValidationMethodItem] = Field(default_factory=list)


RESPONSE_MODELS: dict[FactKind, type[BaseModel]] = {
    "config_parameter": ConfigParameters,
    "health_check": HealthChecks,
    "resource_requirement": ResourceRequirements,
    "dependency": Dependencies,
    "validation_method": ValidationMethods,
}


# --- `ddd-llm ask`: one answer to an operator's question --------------------------------
# Citations are checked by ddd_llm.apps.ask against the sources the model was shown (not here):
# an invalid one is re-asked once and then removed, which a validator cannot express.

Confidence = Literal["high", "medium", "low"]


class AnswerCitation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="repo-relative path exactly as in the source's header")
    start_line: int = Field(description="first line, as numbered in the source")
    end_line: int = Field(description="last line, as numbered in the source")


class AnswerStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="one action, with the exact command when the source gives one")
    citation: AnswerCitation


class AskAnswer(_Answer):
    """An operator's question answered only from the sources shown, every claim cited."""

    model_config = ConfigDict(extra="forbid")

    not_found: bool = Field(description="true when the sources do not answer the question")
    confidence: Confidence
    # No maxLength: llama.cpp expands it into one grammar rule per character, which slows
    # a small local model's every token down by orders of magnitude.
    answer: str = Field(
        description="the answer in a few sentences; if not_found, what the sources lack"
    )
    citations: list[AnswerCitation] = Field(
        description="the source lines that support the answer", json_schema_extra={"maxItems": 6}
    )
    # Last and optional: a local model's answer cut off by its token limit is closed after
    # its last complete citation (llm.local.salvage) and still parses.
    steps: list[AnswerStep] = Field(
        default_factory=list,
        description="ordered steps of a procedure the sources state; empty when there is none",
        json_schema_extra={"maxItems": 8},
    )
