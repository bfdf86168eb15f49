"""LLM providers: one Protocol, a registry by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ddd_llm.errors import ConfigError
from ddd_llm.models import LlmInfo


class Provider(Protocol):
    """A source of schema-constrained answers (or none, for static-only runs)."""

    name: str

    def info(self) -> LlmInfo | None: ...


class NoProvider:
    """Static evidence only: no model is called."""

    name = "none"

    def info(self) -> LlmInfo | None:
        return None


ProviderFactory = Callable[..., Provider]
PROVIDERS: dict[str, ProviderFactory] = {}


def register_provider(name: str, factory: ProviderFactory) -> None:
    PROVIDERS[name] = factory


def get_provider(name: str, **settings: object) -> Provider:
    factory = PROVIDERS.get(name)
    if factory is None:
        known = ", ".join(sorted(PROVIDERS))
        raise ConfigError(f"unknown LLM provider {name!r}", hint=f"choose one of: {known}")
    return factory(**settings)


register_provider("none", lambda **_settings: NoProvider())
