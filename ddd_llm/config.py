"""What a run is asked to do: the extraction options, where they come from, what they build.

Two shapes of the same options:

- `ExtractOptions`, the plain dataclass the library takes (`extract(repo, options)`);
- `Settings`, the one declaration of every user-facing option (name, type, default, help,
  environment variable), read with pydantic-settings. Precedence, highest first: the
  command line, `DDD_LLM_<NAME>` environment variables, `[tool.ddd-llm]` in the scanned
  repository's pyproject.toml, `[tool.ddd-llm]` in the current directory's pyproject.toml,
  the default. The CLI (ddd_llm/cli/options.py) builds its options from these fields.

And the few things every command derives from options: the output folder (`output_dir`),
the provider, the response cache and the Runner (`build_provider`, `build_cache`,
`build_runner`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from ddd_llm.errors import ConfigError
from ddd_llm.llm import Provider, ProviderSettings, get_provider
from ddd_llm.llm.cache import ResponseCache
from ddd_llm.llm.runner import Runner
from ddd_llm.models import FACT_KINDS, FactKind
from ddd_llm.scan.scanner import MAX_FILE_BYTES

FACTS_FILE = "facts.json"
CHUNKS_FILE = "chunks.jsonl"
"""The run's chunks (redacted text, exact lines) for `ask` to reuse: a header line with the
run's fingerprint, then one chunk per line."""
OUT_DIRNAME = ".ddd"
"""A run's output folder inside the repository when --out is not given."""
ENV_PREFIX = "DDD_LLM_"
PYPROJECT_TABLE = ("tool", "ddd-llm")


@dataclass
class ExtractOptions:
    out_dir: Path | None = None
    index_dir: Path | None = None
    llm: str = "none"
    provider_settings: ProviderSettings = field(default_factory=ProviderSettings)
    max_file_bytes: int = MAX_FILE_BYTES
    workers: int | None = None
    """Processes for scan, chunking and the analyzers (None: every usable CPU once the
    repository has scanner.POOL_MIN_FILES files; 1: this process only)."""
    index: bool = True
    kinds: tuple[FactKind, ...] = FACT_KINDS
    top_k: int = 4
    budget: int = 1500
    max_retries: int = 2
    concurrency: int = 8
    timeout: float = 60.0
    cache_dir: Path | None = None
    no_cache: bool = False
    record_dir: Path | None = None
    max_chunks_per_kind: int | None = None
    """Overrides the provider's own default (the local model asks about 2 per kind)."""
    prompt_share: float | None = 0.0
    """A model run's prompt tokens, all requests together, stay within this share of the
    repository's tokens (ddd_llm.extract.llm_extract.prompt_budget). 0: no total budget,
    every planned excerpt is sent (the library's default); None: the provider's default
    (llm_extract.default_share: 0.3 for openai), as the CLI does."""
    transient_attempts: int = 4
    backoff: float = 1.0
    chroma_url: str | None = None
    """A shared chroma server (http://HOST:PORT) instead of an index folder per repository."""
    repo_name: str | None = None
    """The repository's name on a shared chroma server (default: its folder's name)."""
    batch_api: bool = False
    """Send the model requests through the OpenAI Batch API, direct calls for what it rejects."""
    batch_poll: float = 30.0
    """Seconds between the first Batch API status polls (then backing off)."""
    prose: bool = True
    """The model writes runbook section introductions (the eval harness, scoring facts only,
    turns it off: on the local model it takes longer than the extraction)."""
    include: tuple[str, ...] = ()
    """Globs (gitwildmatch) of files read and shown to the model whatever their class
    (vendored, generated, lock, …: ddd_llm/scan/linguist.py)."""
    exclude: tuple[str, ...] = ()
    """Globs of files neither analyzed nor shown to the model (--include wins)."""
    embed_model: str = "int8"
    """The index's embedding model: int8 (all-MiniLM-L6-v2's dynamically quantized copy,
    ddd_llm/index/quantize.py: about twice as fast, same retrieval quality in
    benchmarks/index_throughput.py) or fp32 (as shipped); each has its own collection."""
    site: bool = False
    """After the artifacts, write the docs site (mkdocs.yml, docs/, catalog-info.yaml) into
    OUT/site (ddd_llm/render/site.py)."""
    repo_url: str | None = None
    """The repository's web address the site's citations link to (default: the git remote
    origin when it is GitHub or GitLab)."""


def output_dir(repo: Path | str, options: ExtractOptions) -> Path:
    """Where a run on `repo` writes: --out, else REPO/.ddd."""
    return options.out_dir or Path(repo) / OUT_DIRNAME


# ---------------------------------------------------------------------------------------
# Providers, cache and runner: built here only.


def build_provider(options: ExtractOptions) -> Provider:
    """The provider named by options.llm (ConfigError when its settings cannot work)."""
    return get_provider(options.llm, options.provider_settings)


def build_cache(options: ExtractOptions) -> ResponseCache | None:
    return None if options.no_cache else ResponseCache(options.cache_dir)


def build_runner(
    options: ExtractOptions,
    provider: Provider | None = None,
    *,
    cache: ResponseCache | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Runner:
    """A Runner over the options' provider and response cache (or the ones given)."""
    return Runner(
        provider or build_provider(options),
        cache=cache if cache is not None else build_cache(options),
        concurrency=options.concurrency,
        timeout=options.timeout,
        transient_attempts=options.transient_attempts,
        backoff=options.backoff,
        progress=progress,
    )


# ---------------------------------------------------------------------------------------
# The user-facing options: declared once.


class Llm(StrEnum):
    openai = "openai"
    local = "local"
    replay = "replay"
    none = "none"


class Mode(StrEnum):
    tools = "tools"
    json_schema = "json_schema"
    json = "json"


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


class EmbedModel(StrEnum):
    fp32 = "fp32"
    int8 = "int8"


class Executor(StrEnum):
    local = "local"
    ray = "ray"


_D = ExtractOptions()
_P = ProviderSettings()

REPO_DENIED = frozenset(
    {"llm", "base_url", "model_path", "cassettes", "record", "cache_dir", "out", "index_dir"}
    | {"chroma_url", "batch_api"}
)
"""Options a scanned repository's own pyproject.toml may not set: they choose where its
contents (and the user's API key) are sent or written."""


def parse_globs(value: object) -> tuple[str, ...]:
    """`a,b` (an environment variable), a list (pyproject, the command line) → globs."""
    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    return tuple(str(g).strip() for g in items if str(g).strip())


def parse_kinds(value: object) -> tuple[FactKind, ...] | None:
    """`a,b` (or a list) → validated fact kinds; ValueError naming the unknown ones."""
    if value is None or value == "":
        return None
    items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    chosen = tuple(str(k).strip() for k in items if str(k).strip())
    unknown = [k for k in chosen if k not in FACT_KINDS]
    if unknown:
        raise ValueError(f"unknown fact kind(s) {unknown}; choose from {', '.join(FACT_KINDS)}")
    return chosen  # type: ignore[return-value]


class Settings(BaseSettings):
    """Every extraction option a user can set, once. `metavar` is the CLI's placeholder."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", use_enum_values=False, validate_default=True
    )

    out: Path | None = Field(
        None, description="output folder (default PATH/.ddd)", json_schema_extra={"metavar": "DIR"}
    )
    llm: Llm | None = Field(
        None,
        description="LLM provider. Default: openai when OPENAI_API_KEY is set, else local when "
        "installed, else none",
    )
    model: str | None = Field(
        None,
        description="model name (default: the provider's)",
        json_schema_extra={"metavar": "NAME"},
    )
    base_url: str | None = Field(
        None,
        description="OpenAI-compatible server (or OPENAI_BASE_URL)",
        json_schema_extra={"metavar": "URL"},
    )
    mode: Mode = Field(Mode(_P.mode), description="instructor mode for --llm openai")
    model_path: Path | None = Field(
        None, description="GGUF file for --llm local", json_schema_extra={"metavar": "FILE"}
    )
    cassettes: Path | None = Field(
        None,
        description="recorded responses for --llm replay",
        json_schema_extra={"metavar": "DIR"},
    )
    record: Path | None = Field(
        None,
        description="write cassettes of every answer here",
        json_schema_extra={"metavar": "DIR"},
    )
    concurrency: int = Field(
        _D.concurrency, ge=1, le=256, description="model requests in flight at once",
        json_schema_extra={"metavar": "N"},
    )  # fmt: skip
    max_tokens: int | None = Field(
        None,
        ge=16,
        description="cap on each model answer's length (default 2048; 256 for the local model)",
        json_schema_extra={"metavar": "N"},
    )
    timeout: float = Field(
        _D.timeout, gt=0, description="seconds per model call", json_schema_extra={"metavar": "S"}
    )
    top_k: int = Field(
        _D.top_k, ge=1, description="index hits per query", json_schema_extra={"metavar": "K"}
    )
    budget: int = Field(
        _D.budget,
        ge=1,
        description="max prompt tokens per excerpt",
        json_schema_extra={"metavar": "N"},
    )
    max_chunks: int | None = Field(
        None,
        ge=0,
        description="excerpts asked about per kind (default: all; 2 for the local model)",
        json_schema_extra={"metavar": "N"},
    )
    prompt_share: float | None = Field(
        None,
        ge=0,
        description="total prompt tokens of a model run, as a share of the repository's "
        "tokens (default 0.3 for openai, else no cap; 0: no cap); what does not fit is "
        "listed in OUT/plan.json",
        json_schema_extra={"metavar": "SHARE"},
    )
    kinds: Annotated[tuple[FactKind, ...] | None, NoDecode] = Field(
        None,
        description="comma-separated fact kinds to ask the model for (default: all): "
        + ", ".join(FACT_KINDS),
        json_schema_extra={"metavar": "KIND,…"},
    )
    no_cache: bool = Field(False, description="do not use the response cache")
    cache_dir: Path | None = Field(
        None,
        description="response cache folder (default ~/.cache/ddd-llm/v1)",
        json_schema_extra={"metavar": "DIR"},
    )
    index_dir: Path | None = Field(
        None,
        description="chroma index folder (default OUT/index)",
        json_schema_extra={"metavar": "DIR"},
    )
    no_index: bool = Field(False, description="skip chunk embedding and the vector index")
    embed_model: EmbedModel = Field(
        EmbedModel(_D.embed_model),
        description="index embedding model: int8 (a quantized copy made once and cached: "
        "about twice as fast) or fp32 (as shipped); each has its own index",
    )
    max_file_bytes: int = Field(
        _D.max_file_bytes, ge=1, description="skip files larger than this",
        json_schema_extra={"metavar": "BYTES"},
    )  # fmt: skip
    workers: int | None = Field(
        None, ge=1,
        description="processes for scan, chunking and analyzers (default: every CPU from "
        "500 files)",
        json_schema_extra={"metavar": "N"},
    )  # fmt: skip
    chroma_url: str | None = Field(
        None,
        description="shared chroma server http://HOST:PORT as the index",
        json_schema_extra={"metavar": "URL"},
    )
    batch_api: bool = Field(
        _D.batch_api, description="ask the model through the OpenAI Batch API (--llm openai)"
    )
    batch_poll: float = Field(
        _D.batch_poll, ge=0.0, description="seconds between first batch polls",
        json_schema_extra={"metavar": "S"},
    )  # fmt: skip
    prose: bool = Field(
        _D.prose,
        description="let the model write each runbook section's introduction (never its steps)",
    )

    include: Annotated[tuple[str, ...], NoDecode] = Field(
        _D.include,
        description="read and show the model files matching GLOB even when vendored, generated, "
        "a lock file, minified or a license (repeatable; gitignore syntax)",
        json_schema_extra={"metavar": "GLOB"},
    )
    exclude: Annotated[tuple[str, ...], NoDecode] = Field(
        _D.exclude,
        description="neither analyze nor show the model files matching GLOB (repeatable; "
        "gitignore syntax; --include wins)",
        json_schema_extra={"metavar": "GLOB"},
    )

    @field_validator("include", "exclude", mode="before")
    @classmethod
    def _globs(cls, value: object) -> tuple[str, ...]:
        return parse_globs(value)

    @field_validator("kinds", mode="before")
    @classmethod
    def _kinds(cls, value: object) -> tuple[FactKind, ...] | None:
        return parse_kinds(value)

    def extract_options(self, *, provider: str | None = None) -> ExtractOptions:
        """The library's options; `provider` replaces the automatic choice when llm is unset."""
        return ExtractOptions(
            out_dir=self.out,
            index_dir=self.index_dir,
            llm=self.llm.value if self.llm is not None else (provider or "none"),
            provider_settings=ProviderSettings(
                model=self.model,
                base_url=self.base_url,
                mode=self.mode.value,
                model_path=str(self.model_path) if self.model_path else None,
                cassettes=str(self.cassettes) if self.cassettes else None,
                max_tokens=self.max_tokens,
            ),
            max_file_bytes=self.max_file_bytes,
            index=not self.no_index,
            embed_model=self.embed_model.value,
            kinds=self.kinds or FACT_KINDS,
            top_k=self.top_k,
            budget=self.budget,
            concurrency=self.concurrency,
            timeout=self.timeout,
            cache_dir=self.cache_dir,
            no_cache=self.no_cache,
            record_dir=self.record,
            max_chunks_per_kind=self.max_chunks,
            prompt_share=self.prompt_share,
            chroma_url=self.chroma_url,
            batch_api=self.batch_api,
            batch_poll=self.batch_poll,
            prose=self.prose,
            include=self.include,
            exclude=self.exclude,
            workers=self.workers,
        )


def pyproject_table(path: Path) -> dict[str, Any]:
    """`[tool.ddd-llm]` of a pyproject.toml (empty when missing or unreadable), keys as
    field names (`top-k` and `top_k` both work)."""
    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    for key in PYPROJECT_TABLE:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    if not isinstance(data, dict):
        return {}
    return {str(k).replace("-", "_"): v for k, v in data.items()}


class _Values(InitSettingsSource):
    """A fixed mapping of values as a settings source (a pyproject table)."""

    def __init__(self, settings_cls: type[BaseSettings], values: Mapping[str, Any]) -> None:
        super().__init__(settings_cls, dict(values))


def load_settings(
    given: Mapping[str, Any] | None = None, *, repo: Path | None = None, cwd: Path | None = None
) -> Settings:
    """The options from every source; ConfigError (exit 2) naming a bad value's source.

    `given` holds only the options set on the command line.
    """
    fields = Settings.model_fields
    here = (cwd or Path.cwd()) / "pyproject.toml"
    layers: list[tuple[Path, dict[str, Any]]] = [(here, pyproject_table(here))]
    if repo is not None and Path(repo).is_dir():
        theirs = Path(repo) / "pyproject.toml"
        if theirs.resolve() != here.resolve():
            table = pyproject_table(theirs)
            layers.append((theirs, {k: v for k, v in table.items() if k not in REPO_DENIED}))
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for path, table in layers:  # lowest precedence first
        for key, value in table.items():
            if key in fields:
                values[key] = value
                origin[key] = f"[tool.ddd-llm] {key} in {path}"

    class _Layered(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003
            file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, _Values(settings_cls, values))

    cli = dict(given or {})
    try:
        return _Layered(**cli)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "?"
        flag = "--" + name.replace("_", "-")
        if name in cli:
            source = flag
        else:
            source = origin.get(name, f"{ENV_PREFIX}{name.upper()}")
        raise ConfigError(
            f"bad value for {flag} (from {source}): {first['msg']}",
            hint=f"see `ddd-llm extract --help`; {ENV_PREFIX}{name.upper()} sets it too",
        ) from None
