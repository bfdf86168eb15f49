"""Shell-style variable references in deployment values (`${PORT:-8080}`, `$PORT`, `${KEY:?set}`).

Compose, envsubst'd manifests and unit files write values through variables the operator
sets elsewhere (`.env`, the shell). Such a value is not a number until it is substituted:
with a default the platform uses the default when the variable is unset; without one it
is unknown, and the analyzers keep the text instead of reading a number out of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ddd_llm.evidence.base import infer_value_type, looks_secret
from ddd_llm.models import Citation, ConfigParameter

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_REFERENCE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-=?+])(?P<arg>[^{}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<escape>\$))"
)
"""`${VAR}`, `${VAR:-default}` / `${VAR-default}` / `${VAR:=default}`, `${VAR:?error}`,
`${VAR:+alt}`, `$VAR`, and compose's `$$` escape (a literal `$`)."""


@dataclass(frozen=True)
class Reference:
    """One variable a value reads."""

    name: str
    written: str
    default: str | None
    """What the platform substitutes when the variable is unset (None: nothing known)."""
    required: bool
    """`${VAR:?error}`: the platform refuses to start without it."""


@dataclass(frozen=True)
class Interpolated:
    """A value with every reference substituted by its default where it has one."""

    written: str
    text: str
    references: tuple[Reference, ...]

    @property
    def resolved(self) -> bool:
        """Every reference has a default: `text` is what runs when none is set."""
        return all(r.default is not None for r in self.references)

    @property
    def shown(self) -> str:
        """The value to state: the substituted text when known, else the text as written."""
        return self.text

    def note(self) -> str:
        """` (the default of variable PORT)`, naming the variables the value reads (without
        `${…}`, which the placeholder stage would fill in); empty without any."""
        if not self.references:
            return ""
        names = ", ".join(dict.fromkeys(r.name for r in self.references))
        if self.resolved:
            return f" (the default of variable {names})"
        unset = ", ".join(dict.fromkeys(r.name for r in self.references if r.default is None))
        return f" (reads variable {names}; {unset}: no default in this file)"


def interpolate(text: str) -> Interpolated:
    """`"${SMTP_PORT:-25}:25"` → text `25:25`, one reference SMTP_PORT with default `25`.

    A nested default (`${A:-${B}}`) or `${VAR:+alt}` gives a reference without a default.
    """
    references: list[Reference] = []

    def substitute(match: re.Match[str]) -> str:
        if match.group("escape"):
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg = match.group("op"), match.group("arg")
        default: str | None = None
        required = False
        if op in (":-", "-", ":=", "="):
            default = arg
        elif op in (":?", "?"):
            required = True
        references.append(Reference(name, match.group(0), default, required))
        return default if default is not None else match.group(0)

    if "$" not in text:
        return Interpolated(text, text, ())
    substituted = _REFERENCE.sub(substitute, text)
    if "${" in substituted and all(r.default is not None for r in references):
        # A nested or malformed reference the pattern could not take apart.
        references.append(Reference(substituted, substituted, None, False))
    return Interpolated(text, substituted, tuple(references))


def is_number(text: str) -> bool:
    """ASCII digits only, and few enough for int(): `"²".isdigit()` is true yet `int("²")`
    raises, and so does int() of a string of more than 4300 digits."""
    return 0 < len(text) <= 18 and text.isascii() and text.isdigit()


def reference_params(
    value: Interpolated, service: str | None, citation: Citation, role: str
) -> list[ConfigParameter]:
    """One parameter per variable a deployment value reads, citing the line that reads it
    (`${SMTP_PORT:-25}` in a port mapping → SMTP_PORT, default 25)."""
    out: list[ConfigParameter] = []
    for ref in value.references:
        if not _NAME.fullmatch(ref.name):
            continue
        secret = looks_secret(ref.name, ref.default)
        if ref.default and not secret:
            shown = f" (default {ref.default})"
        elif ref.default == "" and not secret:
            shown = " (default empty)"  # `${DOCKER_REGISTRY-}`: unset means empty
        elif ref.required:
            shown = " (required: the platform refuses to start without it)"
        else:
            shown = " (no default in this file)"
        owner = f"{service} " if service else ""
        out.append(
            ConfigParameter(
                service=service,
                name=ref.name,
                value_type=infer_value_type(ref.default) if ref.default else "string",
                default=ref.default,
                required=ref.required,
                secret=secret,
                summary=f"{owner}{role} reads variable {ref.name}{shown}",
                citations=[citation],
            )
        )
    return out
