"""The one place a Jinja environment is built: sandboxed, strict about undefined names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment


def sandboxed_environment(
    folder: str | Path,
    *,
    autoescape: bool = False,
    trim_blocks: bool = False,
    lstrip_blocks: bool = False,
    keep_trailing_newline: bool = False,
    filters: Mapping[str, Callable[..., Any]] | None = None,
) -> SandboxedEnvironment:
    """A sandboxed environment loading templates from `folder`; a missing variable raises.

    Templates render repository text and model output, so they never run in an unsandboxed
    environment. The keyword arguments are Jinja's own (defaults as Jinja's)."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(folder)),
        undefined=StrictUndefined,
        autoescape=autoescape,
        trim_blocks=trim_blocks,
        lstrip_blocks=lstrip_blocks,
        keep_trailing_newline=keep_trailing_newline,
    )
    env.filters.update(filters or {})
    return env
