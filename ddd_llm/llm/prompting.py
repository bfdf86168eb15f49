"""Prompt files: rendering in a sandbox, and each prompt's version (the hash of its text)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2.sandbox import SandboxedEnvironment

from ddd_llm.llm import Message
from ddd_llm.resources import data_dir
from ddd_llm.templating import sandboxed_environment

SYSTEM = "system.j2"
SHARED_PARTS = ("_excerpt.j2",)
SYSTEMS: dict[str, str] = {"ask": "ask_system.j2"}
"""Prompts with a system prompt of their own (the others use SYSTEM)."""
PARTS: dict[str, tuple[str, ...]] = {"ask": ("ask_fix.j2",)}
"""Further files a prompt renders (a re-ask message), hashed into its version."""


def prompts_dir() -> Path:
    return data_dir("prompts")


@lru_cache(maxsize=4)
def _env(folder: str) -> SandboxedEnvironment:
    return sandboxed_environment(folder)


def environment() -> SandboxedEnvironment:
    return _env(str(prompts_dir()))


def prompt_version(name: str) -> str:
    """sha256 prefix over the system prompt, this prompt and the parts it includes."""
    return files_version(
        (SYSTEMS.get(name, SYSTEM), f"{name}.j2", *SHARED_PARTS, *PARTS.get(name, ()))
    )


def files_version(parts: tuple[str, ...]) -> str:
    """sha256 prefix over these prompt files (names and bytes; a missing one is left out)."""
    folder = prompts_dir()
    digest = hashlib.sha256()
    for part in parts:
        path = folder / part
        if path.is_file():
            digest.update(part.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def numbered(text: str, first_line: int) -> str:
    """Excerpt lines with their repository line numbers, so citations can be exact."""
    from ddd_llm.scan.text import split_lines

    lines = split_lines(text)
    width = len(str(first_line + len(lines)))
    return "\n".join(f"{first_line + i:>{width}} | {line}" for i, line in enumerate(lines))


def render_messages(name: str, **context: Any) -> tuple[Message, ...]:
    env = environment()
    system = env.get_template(SYSTEMS.get(name, SYSTEM)).render()
    user = env.get_template(f"{name}.j2").render(**context)
    return ({"role": "system", "content": system}, {"role": "user", "content": user})


def render_text(template: str, **context: Any) -> str:
    """One prompt file rendered on its own (e.g. a re-ask message)."""
    return environment().get_template(template).render(**context)


@lru_cache(maxsize=1)
def retrieval_queries() -> dict[str, list[str]]:
    raw = yaml.safe_load((prompts_dir() / "retrieval.yaml").read_text(encoding="utf-8"))
    return {str(k): [str(q) for q in v] for k, v in raw.items()}
