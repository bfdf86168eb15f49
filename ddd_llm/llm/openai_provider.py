"""The `openai` provider: instructor over the openai client, for OpenAI or any compatible server."""

from __future__ import annotations

import json
import os
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any

from ddd_llm.errors import ConfigError, LlmError
from ddd_llm.llm import Completion, LlmRequest, ProviderSettings, register_provider
from ddd_llm.llm.schemas import ATTEMPTS
from ddd_llm.models import LlmInfo

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_MAX_TOKENS = 2048
MODES = {"tools": "TOOLS", "json_schema": "JSON_SCHEMA", "json": "JSON"}


def retry_after_seconds(headers: Any) -> float | None:
    """`Retry-After` (seconds or an HTTP date) or `retry-after-ms`, as seconds."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


class OpenAIProvider:
    """Chat completions with a pydantic response model, through instructor."""

    name = "openai"
    max_chunks_per_kind: int | None = None
    max_concurrency: int | None = None
    enforces_timeout = True

    def __init__(self, settings: ProviderSettings, client: Any | None = None) -> None:
        import instructor
        import openai

        self.model = settings.model or os.environ.get("DDD_LLM_MODEL") or DEFAULT_MODEL
        base_url = settings.base_url or os.environ.get("OPENAI_BASE_URL")
        api_key = settings.api_key or os.environ.get("OPENAI_API_KEY")
        if client is None and not api_key and not base_url:
            raise ConfigError(
                "No LLM configured",
                hint="set OPENAI_API_KEY, pass --base-url for an OpenAI-compatible server, "
                "or install the [local] extra and use --llm local",
            )
        self._api_key = api_key or "sk-no-key-needed"
        self._owns_client = client is None
        if settings.mode not in MODES:
            raise ConfigError(
                f"unknown instructor mode {settings.mode!r}", hint=f"use one of {', '.join(MODES)}"
            )
        from instructor.core.exceptions import InstructorRetryException

        self._openai = openai
        self._instructor = instructor
        self._retry_exception = InstructorRetryException
        self._wrapped: tuple[Any, Any] | None = None
        self._mode = getattr(instructor.Mode, MODES[settings.mode])
        self._client = client
        self.base_url = base_url
        self.temperature = settings.temperature
        self.seed = settings.seed
        self.max_tokens = settings.max_tokens or DEFAULT_MAX_TOKENS

    def info(self) -> LlmInfo:
        return LlmInfo(provider=self.name, model=self.model)

    def _sdk_client(self) -> Any:
        # Made inside the running event loop: an async HTTP pool cannot outlive its loop.
        if self._client is None:
            self._client = self._openai.AsyncOpenAI(
                api_key=self._api_key, base_url=self.base_url, max_retries=0
            )
        return self._client

    def _patched(self) -> Any:
        # One instructor wrapper per SDK client: wrapping costs ~10 ms, too much per request.
        sdk = self._sdk_client()
        if self._wrapped is None or self._wrapped[0] is not sdk:
            self._wrapped = (sdk, self._instructor.from_openai(sdk, mode=self._mode))
        return self._wrapped[1]

    async def complete(self, request: LlmRequest, timeout: float) -> Completion:
        client = self._patched()
        counter = [0]
        calls = counter  # parse attempts, re-asks included, counted by the response model
        try:
            value, raw = await client.chat.completions.create_with_completion(
                model=self.model,
                messages=list(request.messages),
                response_model=request.response_model,
                max_retries=request.max_retries,
                context={**request.context, ATTEMPTS: counter},
                temperature=self.temperature,
                seed=self.seed,
                max_tokens=self.max_tokens,
                timeout=timeout,
            )
        except Exception as exc:  # noqa: BLE001 - translated to LlmError right here
            raise self._translate(exc, max(1, calls[0])) from None
        usage = getattr(raw, "usage", None)
        return Completion(
            data=value.model_dump(mode="json"),
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            attempts=max(1, calls[0]),
            model=str(getattr(raw, "model", "") or self.model),
        )

    def _translate(self, exc: Exception, attempts: int) -> LlmError:
        openai = self._openai
        cause: BaseException = exc
        n_attempts = int(getattr(exc, "n_attempts", attempts) or attempts)
        total = getattr(exc, "total_usage", None)
        prompt_tokens = int(getattr(total, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(total, "completion_tokens", 0) or 0)
        if isinstance(exc, self._retry_exception):
            cause = exc.__cause__ or exc
        where = f"{self.name} ({self.model}{' at ' + self.base_url if self.base_url else ''})"
        error = partial(
            LlmError,
            provider=self.name,
            attempts=n_attempts,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
        if isinstance(cause, openai.RateLimitError):
            return error(
                f"{where}: rate limited (429)",
                retryable=True,
                retry_after=retry_after_seconds(cause.response.headers),
            )
        if isinstance(cause, openai.APITimeoutError):
            return error(f"{where}: timed out", retryable=True)
        if isinstance(cause, openai.APIConnectionError):
            return error(f"{where}: cannot connect: {cause}", retryable=True)
        if isinstance(cause, openai.APIStatusError):
            status = cause.status_code
            hints = {401: "check OPENAI_API_KEY", 404: "check --model and --base-url"}
            return error(
                f"{where}: HTTP {status}: {str(cause)[:300]}",
                retryable=status >= 500 or status in (408, 409),
                retry_after=retry_after_seconds(cause.response.headers),
                hint=hints.get(status),
            )
        if isinstance(cause, json.JSONDecodeError):
            detail = f"malformed JSON from the model: {cause}"
        else:
            detail = f"{type(cause).__name__}: {str(cause)[:400]}"
        return error(
            f"{where}: no valid answer after {n_attempts} attempt(s): {detail}",
            invalid_answer=True,
        )

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            client, self._client = self._client, None
            self._wrapped = None
            await client.close()


register_provider("openai", OpenAIProvider)
