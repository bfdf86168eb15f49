"""The shared extraction options on typer commands, built from ddd_llm.config.Settings.

    @app.command()
    @extraction_options(exclude={"record"}, defaults={"top_k": 6})
    def ask(path: Path, opts: GivenOptions) -> None:
        options = resolve(opts, path)          # ExtractOptions, CLI > env > pyproject > default

Each field of `Settings` becomes one option (`--top-k`, its help, its metavar, its default
shown); the command receives only what the command line set, and `resolve` layers the
environment and the pyproject tables under it.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import traceback
import types
import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand

from ddd_llm.cli.console import err
from ddd_llm.config import ExtractOptions, Llm, Settings, load_settings, parse_kinds
from ddd_llm.errors import DddError
from ddd_llm.llm import choose_provider_name

F = TypeVar("F", bound=Callable[..., Any])
SHORT = {"out": "-o"}
CONTEXT = "_typer_context"

FLAGS = {"prose": "--prose/--no-prose"}
REPEATABLE = frozenset({"include", "exclude"})
"""Options given once per value (`--exclude 'docs/**' --exclude '*.sql'`)."""


class Command(TyperCommand):
    """Every ddd-llm command: usage lines with PATH and [QUESTION] (not typer's `{path}`),
    and the one place a DddError becomes its exit code, printed on one line of stderr."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DddError as error:
            if os.environ.get("DDD_LLM_DEBUG") == "1":
                traceback.print_exception(error, file=sys.stderr)
            err.print(f"error: {error}", markup=False, highlight=False, style="red", soft_wrap=True)
            raise typer.Exit(error.exit_code) from None

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""  # a flag: no `<bool>`
        return option

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = (param.metavar or param.name or "ARG").upper()
                name = name if param.required else f"[{name}]"
                pieces.append(name + ("..." if param.nargs != 1 else ""))
        return pieces


def choice_parser(enum: type[Enum], what: str) -> Callable[[str], Any]:
    """A parser for a closed choice whose error names the flag and every value."""
    values = [str(e.value) for e in enum]

    def parse(value: str) -> Any:
        if isinstance(value, enum):
            return value
        try:
            return enum(value)
        except ValueError:
            raise typer.BadParameter(
                f"unknown {what} {value!r}; choose one of: {', '.join(values)}"
            ) from None

    return parse


def choices(enum: type[Enum]) -> str:
    return "[" + "|".join(str(e.value) for e in enum) + "]"


def _kinds(value: str) -> str:
    try:
        parse_kinds(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


def _bare(annotation: Any) -> Any:
    """`X | None` → X."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return args[0] if len(args) == 1 else annotation
    return annotation


def option_parameter(name: str, default: Any, help_text: str | None) -> inspect.Parameter:
    """The typer parameter of one Settings field."""
    info = Settings.model_fields[name]
    base = _bare(info.annotation)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    metavar = extra.get("metavar")
    kwargs: dict[str, Any] = {
        "help": help_text or info.description,
        "show_default": default is not None and default is not False,
    }
    for meta in info.metadata:
        for attr, key in (("ge", "min"), ("le", "max")):
            if getattr(meta, attr, None) is not None:
                kwargs[key] = getattr(meta, attr)
    annotation: Any = base | None if default is None else base
    if name == "llm":
        kwargs |= {"parser": choice_parser(Llm, "LLM provider"), "metavar": choices(Llm)}
        annotation = Llm | None
    elif isinstance(base, type) and issubclass(base, Enum):
        kwargs |= {"parser": choice_parser(base, "--" + name.replace("_", "-"))}
        kwargs["metavar"] = choices(base)
        default = default.value if isinstance(default, Enum) else default
    elif name == "kinds":
        kwargs |= {"parser": _kinds, "metavar": metavar}
        annotation = str | None
    elif name in REPEATABLE:
        kwargs |= {"metavar": metavar, "show_default": False}
        annotation = list[str] | None
        default = None
    elif base is bool:
        kwargs["metavar"] = ""
        kwargs["show_default"] = name in FLAGS
    else:
        kwargs["metavar"] = metavar
    flag = FLAGS.get(name, "--" + name.replace("_", "-"))
    names = [flag, *([SHORT[name]] if name in SHORT else [])]
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=Annotated[annotation, typer.Option(*names, **kwargs)],
    )


@dataclass
class GivenOptions:
    """The shared options the command line set, and the command's own defaults."""

    given: dict[str, Any] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def settings(self, repo: Path | None) -> Settings:
        settings = load_settings(self.given, repo=repo)
        unset = {k: v for k, v in self.defaults.items() if k not in settings.model_fields_set}
        return settings.model_copy(update=unset) if unset else settings

    def was_set(self, name: str, settings: Settings) -> bool:
        return name in settings.model_fields_set


def resolve(
    opts: GivenOptions, repo: Path | None, *, notify: Callable[[str], None] | None = None
) -> tuple[ExtractOptions, Settings]:
    """ExtractOptions for `repo` from every source, the provider chosen when none is named."""
    settings = opts.settings(repo)
    provider = None
    if settings.llm is None:
        provider, notice = choose_provider_name()
        if notice and notify is not None:
            notify(notice)
    return settings.extract_options(provider=provider), settings


def extraction_options(
    *,
    exclude: Collection[str] = (),
    defaults: Mapping[str, Any] | None = None,
    helps: Mapping[str, str] | None = None,
) -> Callable[[F], F]:
    """Add every Settings field (but `exclude`) as an option; the command gets `opts`."""
    defaults = dict(defaults or {})
    helps = dict(helps or {})
    names = [n for n in Settings.model_fields if n not in exclude]

    def decorate(func: F) -> F:
        hints = typing.get_type_hints(func, include_extras=True)
        own = [
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in inspect.signature(func).parameters.values()
            if p.name != "opts"
        ]
        added = [
            option_parameter(
                n,
                defaults.get(n, Settings.model_fields[n].default),
                helps.get(n),
            )
            for n in names
        ]

        context = inspect.Parameter(
            CONTEXT, inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context
        )

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctx: typer.Context = kwargs.pop(CONTEXT)
            given: dict[str, Any] = {}
            for n in names:
                value = kwargs.pop(n, None)
                source = ctx.get_parameter_source(n)
                if source is not None and source.name == "COMMANDLINE":
                    given[n] = value
            return func(*args, opts=GivenOptions(given, defaults), **kwargs)

        params = [*own, context, *added]
        wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        del wrapper.__wrapped__
        return wrapper  # type: ignore[return-value]

    return decorate
