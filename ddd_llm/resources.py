"""Where the shipped prompt and template files live (package data, or the source tree)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """`prompts` or `templates`: inside an installed wheel, else at the repository top."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"ddd-llm's {name}/ folder is missing from {_PACKAGE}; reinstall the package"
    )
