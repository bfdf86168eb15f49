"""The fields every fact has, and a fact's own (kind-specific) fields.

Shared by `ask` (the facts it quotes to the model) and the eval report (the facts it
shows beside gold), so that both leave out the same common fields.
"""

from __future__ import annotations

from typing import Any, Literal

from ddd_llm.models import FactBase

COMMON_FIELDS: frozenset[str] = frozenset({"kind", *FactBase.model_fields})
"""id, kind, service, summary, citations, origin, verification."""


def own_fields(fact: FactBase, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
    """The fact's kind-specific fields that are set (not None), in declaration order."""
    data = fact.model_dump(mode=mode, exclude=set(COMMON_FIELDS))
    return {k: v for k, v in data.items() if v is not None}
