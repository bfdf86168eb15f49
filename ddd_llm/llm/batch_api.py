"""The OpenAI Batch API: extraction requests as one JSONL batch, answers into the response cache.

The same request an `openai` provider call would send (instructor builds the body from
the same response model), uploaded as a file, run as a batch, polled with backoff; each
answer is validated by the same pydantic model, with the same context, and stored in
the response cache. Whatever the batch rejected or answered invalidly stays uncached,
so the runner asks it directly afterwards (with instructor's re-asks).

A killed run leaves `batch-api.json` in the output folder: the next run polls the batch
already submitted instead of paying for a second one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ddd_llm.atomic import atomic_write
from ddd_llm.errors import LlmError
from ddd_llm.llm import Completion, LlmRequest, ProviderSettings
from ddd_llm.llm.cache import ResponseCache
from ddd_llm.llm.openai_provider import MODES, OpenAIProvider
from ddd_llm.llm.schemas import ATTEMPTS

ENDPOINT: Final = "/v1/chat/completions"
STATE_FILE = "batch-api.json"
INPUT_FILE = "batch-input.jsonl"
TERMINAL = {"completed", "failed", "expired", "cancelled"}
MAX_POLL_S = 600.0
Notify = Callable[[str], None]


@dataclass
class BatchOutcome:
    batch_id: str = ""
    answered: int = 0
    """Requests answered validly by the batch (now in the cache)."""
    rejected: int = 0
    """Requests the batch failed, errored or answered invalidly: left for direct calls."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    status: str = ""


class BatchApi:
    """One provider's requests as Batch API lines, and the batch's answers validated."""

    def __init__(self, settings: ProviderSettings, client: Any | None = None) -> None:
        import instructor
        import openai

        # The provider checks the settings and resolves the model exactly as direct calls do.
        provider = OpenAIProvider(settings)
        self.provider = provider
        self.model = provider.model
        self._mode = getattr(instructor.Mode, MODES[settings.mode])
        self._openai = openai
        self.client = client or openai.OpenAI(
            api_key=settings.api_key or os.environ.get("OPENAI_API_KEY") or "sk-no-key-needed",
            base_url=provider.base_url,
            max_retries=3,
        )

    def key(self, request: LlmRequest) -> str:
        return request.cache_key(self.provider.name, self.model)

    def line(self, request: LlmRequest) -> dict[str, Any]:
        """The Batch API line for `request`: the body instructor would send, under its cache key."""
        from instructor.v2.core.response import handle_response_model

        _model, body = handle_response_model(
            request.response_model,
            self._mode,
            messages=[dict(m) for m in request.messages],
            model=self.model,
            temperature=self.provider.temperature,
            seed=self.provider.seed,
            max_tokens=self.provider.max_tokens,
        )
        return {"custom_id": self.key(request), "method": "POST", "url": ENDPOINT, "body": body}

    def validate(self, request: LlmRequest, body: dict[str, Any]) -> Completion:
        """A chat completion from the batch through the request's response model; raises
        ValueError when it does not validate (the caller falls back to a direct call)."""
        from instructor.v2.core.response import handle_response_model
        from openai.types.chat import ChatCompletion

        model, _ = handle_response_model(request.response_model, self._mode)
        completion = ChatCompletion.model_validate(body)
        try:
            value = model.from_response(  # type: ignore[union-attr]
                completion,
                validation_context={**request.context, ATTEMPTS: [0]},
                mode=self._mode,
            )
        except Exception as exc:  # noqa: BLE001 - pydantic, JSON and instructor's own errors
            raise ValueError(f"{type(exc).__name__}: {str(exc)[:300]}") from None
        usage = completion.usage
        return Completion(
            data=value.model_dump(mode="json"),
            prompt_tokens=int(usage.prompt_tokens) if usage else 0,
            completion_tokens=int(usage.completion_tokens) if usage else 0,
            model=completion.model or self.model,
        )

    def call(self, what: str, fn: Callable[[], Any]) -> Any:
        """One SDK call; its errors become LlmError here (nothing above llm/ sees openai's)."""
        try:
            return fn()
        except self._openai.APIError as exc:
            where = f"Batch API at {self.provider.base_url or 'api.openai.com'}"
            status = getattr(exc, "status_code", None)
            raise LlmError(
                f"{where}: {what} failed: {'HTTP ' + str(status) + ': ' if status else ''}"
                f"{str(exc)[:300]}",
                provider="openai-batch",
                retryable=status is None or status >= 500,
                hint="check --base-url and OPENAI_API_KEY, or drop --batch-api",
            ) from None


def _jsonl(text: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError:
            continue  # a damaged line is a request left for a direct call, not a crash
        if isinstance(row, dict):
            rows.append(row)
    return rows


def run_batch(
    requests: Sequence[LlmRequest],
    settings: ProviderSettings,
    cache: ResponseCache,
    state_dir: Path,
    *,
    client: Any | None = None,
    poll: float = 30.0,
    max_wait: float = 24 * 3600.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    notify: Notify | None = None,
) -> BatchOutcome:
    """Answer the requests not yet cached through one batch; see the module docstring."""
    say = notify or (lambda _msg: None)
    api = BatchApi(settings, client)
    pending: dict[str, LlmRequest] = {}
    for request in requests:
        key = api.key(request)
        if cache.get(key) is None and cache.get_failure(key) is None:
            pending.setdefault(key, request)
    if not pending:
        return BatchOutcome(status="nothing to send")

    state_path = state_dir / STATE_FILE
    batch_id = _resumable(state_path, pending)
    if batch_id is None:
        input_path = state_dir / INPUT_FILE
        atomic_write(
            input_path,
            "".join(json.dumps(api.line(r), sort_keys=True) + "\n" for r in pending.values()),
        )
        with input_path.open("rb") as handle:
            uploaded = api.call(
                "uploading the requests",
                lambda: api.client.files.create(file=handle, purpose="batch"),
            )
        batch = api.call(
            "creating the batch",
            lambda: api.client.batches.create(
                input_file_id=uploaded.id,
                endpoint=ENDPOINT,
                completion_window="24h",
                metadata={"tool": "ddd-llm"},
            ),
        )
        batch_id = str(batch.id)
        atomic_write(state_path, json.dumps({"batch_id": batch_id, "custom_ids": sorted(pending)}))
        say(f"batch {batch_id} created with {len(pending)} requests")
    else:
        say(f"resuming batch {batch_id} ({len(pending)} requests still unanswered)")

    batch = _wait(api, batch_id, poll, max_wait, sleep, clock, say)
    outcome = BatchOutcome(batch_id=batch_id, status=str(batch.status))
    answered: set[str] = set()
    if batch.output_file_id:
        text = api.call("downloading the answers", lambda: _content(api, batch.output_file_id))
        for row in _jsonl(text):
            key = str(row.get("custom_id"))
            asked = pending.get(key)
            response = row.get("response") or {}
            if asked is None or row.get("error") or response.get("status_code") != 200:
                continue
            try:
                completion = api.validate(asked, response.get("body") or {})
            except ValueError:
                continue
            cache.put(key, api.provider.name, asked, completion)
            answered.add(key)
            outcome.prompt_tokens += completion.prompt_tokens
            outcome.completion_tokens += completion.completion_tokens
    if batch.error_file_id:
        errors = _jsonl(
            api.call("downloading the errors", lambda: _content(api, batch.error_file_id))
        )
        if errors:
            first = (errors[0].get("response") or {}).get("body") or errors[0].get("error")
            say(f"batch {batch_id}: {len(errors)} requests rejected, e.g. {str(first)[:200]}")
    outcome.answered = len(answered)
    outcome.rejected = len(pending) - len(answered)
    state_path.unlink(missing_ok=True)
    return outcome


def _content(api: BatchApi, file_id: str) -> str:
    return str(api.client.files.content(file_id).text)


def _resumable(state_path: Path, pending: dict[str, LlmRequest]) -> str | None:
    """The batch a killed run submitted, when it covers everything still unanswered."""
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
        ids = set(state["custom_ids"])
        batch_id = str(state["batch_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return batch_id if set(pending) <= ids else None


def _wait(
    api: BatchApi,
    batch_id: str,
    poll: float,
    max_wait: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    say: Notify,
) -> Any:
    """Poll until the batch is terminal: the interval grows by half each time, to MAX_POLL_S."""
    start = clock()
    interval = max(poll, 0.0)
    last = ""
    while True:
        batch = api.call("polling the batch", lambda: api.client.batches.retrieve(batch_id))
        status = str(batch.status)
        if status != last:
            counts = batch.request_counts
            say(
                f"batch {batch_id}: {status}"
                + (f" ({counts.completed}/{counts.total} done)" if counts else "")
            )
            last = status
        if status in TERMINAL:
            return batch
        if clock() - start > max_wait:
            # Not cancelled: the state file stays, and the next run collects its answers.
            raise LlmError(
                f"batch {batch_id} did not finish within {max_wait:g}s (last status {status})",
                provider="openai-batch",
                hint="run again later: the next run resumes this batch",
            )
        sleep(interval)
        interval = min(interval * 1.5 if interval else 0.0, MAX_POLL_S)
