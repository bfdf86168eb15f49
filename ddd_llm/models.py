"""The facts.json contract (schema version 1) as pydantic models; FACTS.md is its prose."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION: Literal[1] = 1

FactKind = Literal[
    "config_parameter", "health_check", "resource_requirement", "dependency", "validation_method"
]
FACT_KINDS: tuple[FactKind, ...] = (
    "config_parameter",
    "health_check",
    "resource_requirement",
    "dependency",
    "validation_method",
)
Origin = Literal["static", "llm", "both"]
Status = Literal["verified", "unverified", "contradicted"]
Priority = Literal["CRITICAL", "HIGH", "MEDIUM", "LOW"]
Cadence = Literal["daily", "weekly", "monthly"]
ValueType = Literal["int", "float", "bool", "string", "duration", "size", "enum", "list"]
RangeSource = Literal["declared", "documented", "inferred"]
CheckType = Literal["http", "tcp", "exec", "grpc"]
Mechanism = Literal[
    "k8s-liveness",
    "k8s-readiness",
    "k8s-startup",
    "compose-healthcheck",
    "dockerfile-healthcheck",
    "code-endpoint",
    "systemd-watchdog",
    "other",
]
Resource = Literal[
    "cpu", "memory", "disk", "gpu", "port", "volume", "file_descriptors", "permission", "other"
]
DependencyType = Literal["start_order", "runtime", "optional"]
Operation = Literal[
    "deploy",
    "restart",
    "upgrade",
    "migrate",
    "backup",
    "restore",
    "config-change",
    "scale",
    "other",
]
Number = int | float

NO_SERVICE = "-"
"""Stands for a null service inside a fact id (`kind:-:key`)."""


class Strict(BaseModel):
    """Base for anything a user or a model writes: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


class Citation(Strict):
    path: str = Field(description="repo-relative path, forward slashes")
    start_line: int = Field(ge=1)
    end_line: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Citation:
        if self.end_line < self.start_line:
            raise ValueError(f"end_line {self.end_line} is before start_line {self.start_line}")
        return self

    def __str__(self) -> str:
        if self.start_line == self.end_line:
            return f"{self.path}:{self.start_line}"
        return f"{self.path}:{self.start_line}-{self.end_line}"


class Check(Strict):
    name: str
    passed: bool
    detail: str


class Verification(Strict):
    status: Status = "unverified"
    checks: list[Check] = Field(default_factory=list)


def slug(text: str, limit: int = 48) -> str:
    """A short, stable, id-safe rendering of free text (used in fact id keys)."""
    out = re.sub(r"[^a-z0-9/._-]+", "-", text.lower()).strip("-")
    return out[:limit] or "x"


class FactBase(Strict):
    id: str = ""
    service: str | None = None
    summary: str
    citations: list[Citation] = Field(min_length=1)
    origin: Origin = "static"
    verification: Verification = Field(default_factory=Verification)

    def key(self) -> str:  # pragma: no cover - every kind overrides
        raise NotImplementedError

    @property
    def fact_kind(self) -> FactKind:
        kind: FactKind = getattr(self, "kind")  # noqa: B009 - each subclass declares it
        return kind

    @model_validator(mode="after")
    def _fill_id(self) -> FactBase:
        if self.service is not None:
            self.service = self.service.lower()
        expected = make_fact_id(self.fact_kind, self.service, self.key())
        if not self.id:
            self.id = expected
        return self


def id_key(fact: FactBase) -> str:
    """The key part of a fact's id, keeping a variant suffix its analyzer gave it
    (`server.port@prod`: a Spring profile, an appsettings environment, a values-<env> file)."""
    key = fact.key()
    current = fact.id.split(":", 2)[2] if fact.id.count(":") >= 2 else ""
    if current.startswith(key + "@"):
        return current
    return key


def make_fact_id(kind: str, service: str | None, key: str) -> str:
    """The stable id rule of FACTS.md: `kind:service:key` (service `-` when repo-wide)."""
    return f"{kind}:{service or NO_SERVICE}:{key}"


class ConfigParameter(FactBase):
    kind: Literal["config_parameter"] = "config_parameter"
    name: str
    value_type: ValueType = "string"
    default: str | None = None
    min: Number | None = None
    max: Number | None = None
    allowed_values: list[str] | None = None
    unit: str | None = None
    required: bool = False
    secret: bool = False
    range_source: RangeSource | None = None

    def key(self) -> str:
        return self.name

    @model_validator(mode="after")
    def _never_hold_secret_values(self) -> ConfigParameter:
        # A secret's value must not reach facts.json, a prompt or an artifact.
        if self.secret:
            self.default = None
            self.allowed_values = None
        return self


class HealthCheck(FactBase):
    kind: Literal["health_check"] = "health_check"
    check_type: CheckType
    target: str
    port: int | None = None
    interval_s: Number | None = None
    timeout_s: Number | None = None
    failure_threshold: Number | None = None
    mechanism: Mechanism = "other"

    def key(self) -> str:
        return f"{self.mechanism}:{self.target}"


class ResourceRequirement(FactBase):
    kind: Literal["resource_requirement"] = "resource_requirement"
    resource: Resource
    request: str | None = None
    limit: str | None = None
    value: str | None = None

    def key(self) -> str:
        if self.resource in ("cpu", "memory", "gpu", "file_descriptors") or self.value is None:
            return self.resource
        return f"{self.resource}:{self.value}"


class Dependency(FactBase):
    kind: Literal["dependency"] = "dependency"
    target: str
    dependency_type: DependencyType = "runtime"
    condition: str | None = None

    def key(self) -> str:
        return self.target.lower()


class ValidationMethod(FactBase):
    kind: Literal["validation_method"] = "validation_method"
    operation: Operation = "other"
    method: str
    expected: str | None = None

    def key(self) -> str:
        return f"{self.operation}:{slug(self.method)}"


Fact = Annotated[
    ConfigParameter | HealthCheck | ResourceRequirement | Dependency | ValidationMethod,
    Field(discriminator="kind"),
]
FACT_MODELS: dict[FactKind, type[FactBase]] = {
    "config_parameter": ConfigParameter,
    "health_check": HealthCheck,
    "resource_requirement": ResourceRequirement,
    "dependency": Dependency,
    "validation_method": ValidationMethod,
}


ServiceRole = Literal["long-running", "job", "test-only", "dev-only"]


class Service(Strict):
    name: str
    kind: str = Field(description="compose-service, k8s-deployment, systemd-unit, code-package, …")
    citations: list[Citation] = Field(default_factory=list)
    # Extension to FACTS.md (an added field): how the runbooks treat the service.
    role: ServiceRole = Field(
        default="long-running",
        description="long-running (the default), job (runs to completion: one-shot container, "
        "Kubernetes Job/CronJob, systemd Type=oneshot), test-only (test/CI stacks), "
        "dev-only (override files, dev profiles)",
    )
    role_reason: str | None = Field(
        default=None, description="the evidence for a role other than long-running"
    )


class Gap(Strict):
    id: str
    category: str
    service: str | None = None
    priority: Priority
    message: str
    blocks: Cadence | None = None
    citations: list[Citation] = Field(default_factory=list)
    # Extensions to FACTS.md (added fields, never renamed ones):
    fix: str | None = Field(default=None, description="what to add to close the gap")
    fix_in: list[str] = Field(
        default_factory=list, description="repo-relative files where the fix belongs"
    )


class Scores(Strict):
    daily: float = 0.0
    weekly: float = 0.0
    monthly: float = 0.0
    overall: float = 0.0


class ToolInfo(Strict):
    name: str = "ddd-llm"
    version: str


class Owner(Strict):
    """Who owns the files matching `pattern` (CODEOWNERS rule, or `*` for a MAINTAINERS file)."""

    pattern: str
    owners: list[str]
    citation: Citation


class RepoInfo(Strict):
    root: str
    commit: str | None = None
    owners: list[Owner] = Field(
        default_factory=list,
        description="extension: CODEOWNERS / MAINTAINERS / OWNERS rules, in file order",
    )


class LlmInfo(Strict):
    provider: str
    model: str


class Usage(Strict):
    llm_calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Skipped(Strict):
    """A file the scan or an analyzer left out, and why (an extension of FACTS.md's `run`)."""

    path: str
    reason: str


class Diagnostic(Strict):
    """A warning that names the file (and line, when known) it is about."""

    path: str
    line: int | None = None
    message: str
    source: str = Field(default="scan", description="the stage or analyzer that raised it")

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class LlmFailure(Strict):
    """A model request that failed after its retries (an extension of FACTS.md's `run`)."""

    prompt: str
    location: str
    error: str
    attempts: int


class IndexStats(Strict):
    chunks: int = 0
    embedded: int = 0
    removed: int = 0
    available: bool = True
    location: str | None = None
    # Extensions (docs/index.md):
    pending: int = 0
    """Chunks not embedded yet (`extract --llm none` leaves them to the first `ask`)."""
    model: str | None = None
    """The embedding model whose vectors the index holds (all-MiniLM-L6-v2/fp32 or /int8)."""


class RunInfo(Strict):
    started_at: str
    finished_at: str
    llm: LlmInfo | None = None
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    # Extensions to FACTS.md (added fields, never renamed ones):
    files_scanned: int = 0
    skipped: list[Skipped] = Field(default_factory=list)
    warnings: list[Diagnostic] = Field(default_factory=list)
    index: IndexStats = Field(default_factory=IndexStats)
    failures: list[LlmFailure] = Field(default_factory=list)
    fingerprint: str | None = Field(
        default=None,
        description="extension: hash of everything that decides this run's output "
        "(ddd_llm/fingerprint.py); equal fingerprints mean the run can be reused",
    )


class FactsDocument(Strict):
    schema_version: Literal[1] = SCHEMA_VERSION
    tool: ToolInfo
    repo: RepoInfo
    run: RunInfo
    services: list[Service] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    gaps: list[Gap] = Field(default_factory=list)
    scores: Scores = Field(default_factory=Scores)
    rejected: list[Fact] = Field(
        default_factory=list,
        description="extension: model claims the verifier did not use (contradicted by static "
        "evidence, or adding values no code line holds), with the checks that say why; "
        "never rendered as steps",
    )
