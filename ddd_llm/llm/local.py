"""The `local` provider: a GGUF model through llama-cpp-python (default SmolLM2-135M).

Generation runs in a child process (`local_worker.py`): a native crash in llama.cpp fails the
request it was serving, is recorded in `run.failures`, and the run goes on.

Output is constrained by llama.cpp's JSON-schema grammar, then validated by the
pydantic response model; a validation error is fed back and the model re-asked, as
instructor does for remote models.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import threading
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ddd_llm.errors import ConfigError, LlmError
from ddd_llm.llm import Completion, LlmRequest, ProviderSettings, register_provider
from ddd_llm.llm.local_worker import (
    REBUILD_HINT,
    GenerationWorker,
    WorkerDied,
    default_model_path,
)
from ddd_llm.models import LlmInfo

MAX_OUTPUT_TOKENS = 256
MIN_TIMEOUT_S = 300.0
"""A CPU model on a busy machine is slow: it gets at least this long per answer."""
GRAMMAR_MAX_ITEMS = 3
"""Small models repeat list items until the token limit; the grammar stops them here."""


def grammar_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The response schema with its top-level `items` list capped, for llama.cpp's grammar."""
    capped: dict[str, Any] = json.loads(json.dumps(schema))
    items = capped.get("properties", {}).get("items")
    if isinstance(items, dict) and items.get("type") == "array":
        items["maxItems"] = GRAMMAR_MAX_ITEMS
    return capped


def salvage(text: str) -> str:
    """A JSON object cut off by the token limit, closed after its last complete list item."""
    try:
        json.loads(text)
        return text
    except json.JSONDecodeError:
        pass
    for end in range(len(text) - 1, 0, -1):
        if text[end] != "}":
            continue
        candidate = text[: end + 1] + "]}"
        try:
            json.loads(candidate)
        except json.JSONDecodeError:
            continue
        return candidate
    return text


_WORKERS: dict[tuple[str, int, int], GenerationWorker] = {}
_WORKERS_LOCK = threading.Lock()


@atexit.register
def _close_workers() -> None:
    """End the model processes when ddd-llm exits."""
    while _WORKERS:
        _, worker = _WORKERS.popitem()
        worker.close()


def model_worker(path: Path, n_ctx: int, seed: int) -> GenerationWorker:
    """One model process per (file, context size, seed) per ddd-llm process."""
    if not path.is_file():
        raise ConfigError(f"model file {path} does not exist", hint="check --model-path")
    key = (str(path), n_ctx, seed)
    with _WORKERS_LOCK:
        if key not in _WORKERS:
            _WORKERS[key] = GenerationWorker(path, n_ctx, seed)
        return _WORKERS[key]


class LocalProvider:
    name = "local"
    max_chunks_per_kind: int | None = 2
    """A small CPU model: ask about the best few excerpts per kind, not every one."""
    max_concurrency: int | None = 1
    """One llama context generates one answer at a time; queueing more only causes timeouts."""
    enforces_timeout = False
    """The provider ends a stalled model process itself, after `max(timeout, MIN_TIMEOUT_S)`."""

    def __init__(self, settings: ProviderSettings) -> None:
        self.path = Path(settings.model_path) if settings.model_path else default_model_path()
        self.model = settings.model or self.path.name
        self.n_ctx = settings.n_ctx
        self.temperature = settings.temperature
        self.seed = settings.seed
        self.max_tokens = settings.max_tokens or MAX_OUTPUT_TOKENS
        self._worker: GenerationWorker | None = None

    def info(self) -> LlmInfo:
        return LlmInfo(provider=self.name, model=self.model)

    def _generate(
        self, messages: list[dict[str, str]], schema: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        if self._worker is None:
            self._worker = model_worker(self.path, self.n_ctx, self.seed)
        payload = {
            "messages": messages,
            "response_format": {"type": "json_object", "schema": schema},
            "temperature": self.temperature,
            "seed": self.seed,
            "max_tokens": self.max_tokens,
        }
        return self._worker.generate(payload, max(timeout, MIN_TIMEOUT_S))

    def _complete_sync(self, request: LlmRequest, timeout: float) -> Completion:
        schema = grammar_schema(request.response_model.model_json_schema())
        messages = [dict(m) for m in request.messages]
        prompt_tokens = completion_tokens = 0
        last_error = ""
        attempts = min(request.max_retries, 1) + 1  # a small model rarely fixes itself twice
        for attempt in range(1, attempts + 1):
            try:
                result = self._generate(messages, schema, timeout)
            except WorkerDied as exc:
                # A native crash or a stall: recorded as this request's failure; the next
                # request starts a new model process (after MAX_DEATHS in a row, none).
                raise LlmError(
                    str(exc),
                    provider=self.name,
                    attempts=attempt,
                    prompt_tokens=prompt_tokens,
                    completion_tokens=completion_tokens,
                    hint=REBUILD_HINT if not exc.timed_out else "raise --timeout",
                ) from None
            except ValueError as exc:  # prompt longer than the context window, bad grammar
                raise LlmError(
                    f"local model refused the request: {exc}",
                    provider=self.name,
                    attempts=attempt,
                    prompt_tokens=prompt_tokens,
                    completion_tokens=completion_tokens,
                    hint="lower --budget or raise the context size",
                ) from None
            usage = result.get("usage") or {}
            prompt_tokens += int(usage.get("prompt_tokens", 0))
            completion_tokens += int(usage.get("completion_tokens", 0))
            text = salvage(result["choices"][0]["message"].get("content") or "")
            try:
                value = request.response_model.model_validate_json(text, context=request.context)
            except ValidationError as exc:
                last_error = _short_errors(exc)
                messages += [
                    {"role": "assistant", "content": text},
                    {
                        "role": "user",
                        "content": f"Correct these errors and answer again: {last_error}",
                    },
                ]
                continue
            return Completion(
                data=value.model_dump(mode="json"),
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                attempts=attempt,
                model=self.model,
            )
        raise LlmError(
            f"local model gave no valid answer after {attempts} attempt(s): {last_error}",
            provider=self.name,
            attempts=attempts,
            invalid_answer=True,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )

    async def complete(self, request: LlmRequest, timeout: float) -> Completion:
        return await asyncio.to_thread(self._complete_sync, request, timeout)

    async def aclose(self) -> None:
        return None


def _short_errors(exc: ValidationError) -> str:
    parts = [
        f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}"
        for err in exc.errors()[:5]
    ]
    return json.dumps(parts)[:600]


register_provider("local", LocalProvider)
