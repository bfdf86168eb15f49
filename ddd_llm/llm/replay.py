"""The `replay` provider: answers from recorded responses (cassettes), keyed by request content.

A cassette is one JSON file per request in a folder, named by the request's content
key (sha256 of its messages and response schema). `ddd-llm extract --record DIR`
writes them from any live provider; `--llm replay --cassettes DIR` answers from them,
so tests and the eval harness are deterministic and need no model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ddd_llm.errors import ConfigError, LlmError, ReplayMiss
from ddd_llm.llm import Completion, LlmRequest, ProviderSettings, register_provider
from ddd_llm.models import LlmInfo

MISS = "no recording for prompt"


def cassette_path(folder: Path, request: LlmRequest) -> Path:
    return folder / f"{request.content_key()}.json"


def write_cassette(
    folder: Path, request: LlmRequest, completion: Completion, provider: str
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = cassette_path(folder, request)
    record: dict[str, Any] = {
        "prompt": request.prompt,
        "prompt_version": request.prompt_version,
        "label": request.label,
        "provider": provider,
        "model": completion.model,
        "data": completion.data,
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
    }
    return _write(path, record)


def write_failure_cassette(
    folder: Path, request: LlmRequest, error: str, attempts: int, provider: str
) -> Path:
    """A request the live model failed: replay fails it the same way, so the run reproduces."""
    folder.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "prompt": request.prompt,
        "prompt_version": request.prompt_version,
        "label": request.label,
        "provider": provider,
        "error": error,
        "attempts": attempts,
    }
    return _write(cassette_path(folder, request), record)


def _write(path: Path, record: dict[str, Any]) -> Path:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def is_replay_miss(error: str) -> bool:
    """Whether a failure recorded in facts.json `run.failures` is a missing cassette."""
    return error.startswith(MISS)


class ReplayProvider:
    name = "replay"
    max_chunks_per_kind: int | None = None
    max_concurrency: int | None = None
    enforces_timeout = True

    def __init__(self, settings: ProviderSettings) -> None:
        if not settings.cassettes:
            raise ConfigError("the replay provider needs recordings", hint="pass --cassettes DIR")
        self.folder = Path(settings.cassettes)
        if not self.folder.is_dir():
            raise ConfigError(
                f"cassette folder {self.folder} does not exist",
                hint="record one with `ddd-llm extract --record DIR` against a live provider",
            )
        self.model = settings.model or "recorded"

    def info(self) -> LlmInfo:
        return LlmInfo(provider=self.name, model=self.model)

    async def complete(self, request: LlmRequest, timeout: float) -> Completion:
        path = cassette_path(self.folder, request)
        if not path.is_file():
            raise ReplayMiss(
                f"{MISS} {request.prompt!r} (version {request.prompt_version}) "
                f"on {request.label or 'this request'}: the prompt, its inputs or the schema "
                "changed since the cassettes were recorded",
                provider=self.name,
                hint=f"re-record with `ddd-llm extract --record {self.folder}` and a live --llm",
            )
        record = json.loads(path.read_text(encoding="utf-8"))
        if "error" in record:
            raise LlmError(
                f"(recorded) {record['error']}",
                provider=self.name,
                attempts=int(record.get("attempts", 1)),
                invalid_answer=True,
            )
        try:
            value = request.response_model.model_validate(record["data"], context=request.context)
        except ValidationError as exc:
            # A recording that never validated fails like the live answer did: recorded, not raised.
            raise LlmError(
                f"recorded answer is invalid: {exc.errors()[0]['msg']}",
                provider=self.name,
                invalid_answer=True,
            ) from None
        return Completion(
            data=value.model_dump(mode="json"),
            prompt_tokens=int(record.get("prompt_tokens", 0)),
            completion_tokens=int(record.get("completion_tokens", 0)),
            model=str(record.get("model", self.model)),
        )

    async def aclose(self) -> None:
        return None


register_provider("replay", ReplayProvider)
