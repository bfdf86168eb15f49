"""Run many LLM requests: cache first, bounded concurrency, backoff on transient errors.

A failed request is recorded (which request, which error, how many attempts) and the
run goes on; nothing here raises for one bad call.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from ddd_llm.errors import LlmError
from ddd_llm.llm import Completion, LlmRequest, Provider
from ddd_llm.llm.cache import ResponseCache
from ddd_llm.models import Usage

MAX_BACKOFF_S = 30.0
Sleep = Callable[[float], Awaitable[None]]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Failure:
    prompt: str
    label: str
    error: str
    attempts: int


@dataclass(frozen=True)
class Outcome:
    request: LlmRequest
    completion: Completion | None
    cached: bool = False
    failure: Failure | None = None


@dataclass
class RunStats:
    usage: Usage = field(default_factory=Usage)
    failures: list[Failure] = field(default_factory=list)


@dataclass
class Runner:
    provider: Provider
    cache: ResponseCache | None = None
    concurrency: int = 8
    timeout: float = 60.0
    transient_attempts: int = 4
    """Tries per request for 429 / 5xx / timeouts / connection errors (not validation errors)."""
    backoff: float = 1.0
    guard: float = 5.0
    """Extra seconds past `timeout` before a call that ignores its own timeout is abandoned."""
    sleep: Sleep = asyncio.sleep
    progress: Progress | None = None
    stats: RunStats = field(default_factory=RunStats)

    def run(self, requests: Sequence[LlmRequest]) -> list[Outcome]:
        """Every request's outcome, in the order given."""
        if not requests:
            return []
        return asyncio.run(self._run_all(requests))

    async def _run_all(self, requests: Sequence[LlmRequest]) -> list[Outcome]:
        limit = self.concurrency
        if self.provider.max_concurrency is not None:
            limit = min(limit, self.provider.max_concurrency)
        gate = asyncio.Semaphore(max(1, limit))
        done = 0

        async def one(request: LlmRequest) -> Outcome:
            nonlocal done
            async with gate:
                outcome = await self._one(request)
            done += 1
            if self.progress is not None:
                self.progress(done, len(requests))
            return outcome

        try:
            return list(await asyncio.gather(*(one(r) for r in requests)))
        finally:
            await self.provider.aclose()

    def _key(self, request: LlmRequest) -> str:
        return request.cache_key(self.provider.name, self.provider.model)

    async def _one(self, request: LlmRequest) -> Outcome:
        usage = self.stats.usage
        key = self._key(request)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                usage.cache_hits += 1
                return Outcome(request, hit, cached=True)
            failed = self.cache.get_failure(key)
            if failed is not None:
                # The same question got no valid answer last time; --no-cache asks again.
                usage.cache_hits += 1
                failure = Failure(request.prompt, request.label, f"(cached) {failed[0]}", failed[1])
                self.stats.failures.append(failure)
                return Outcome(request, None, cached=True, failure=failure)
        attempts = 0
        while True:
            attempts += 1
            try:
                call = self.provider.complete(request, self.timeout)
                if self.provider.enforces_timeout:
                    completion = await asyncio.wait_for(call, self.timeout + self.guard)
                else:
                    completion = await call
            except TimeoutError:
                error = LlmError(
                    f"timed out: no answer within {self.timeout:g}s",
                    provider=self.provider.name,
                    retryable=True,
                )
            except LlmError as exc:
                error = exc
            else:
                usage.llm_calls += completion.attempts
                usage.prompt_tokens += completion.prompt_tokens
                usage.completion_tokens += completion.completion_tokens
                if self.cache is not None:
                    self.cache.put(key, self.provider.name, request, completion)
                return Outcome(request, completion)
            usage.llm_calls += max(1, error.attempts)
            usage.prompt_tokens += error.prompt_tokens
            usage.completion_tokens += error.completion_tokens
            if error.retryable and attempts < self.transient_attempts:
                await self.sleep(self._delay(error, attempts))
                continue
            failure = Failure(
                prompt=request.prompt,
                label=request.label,
                error=str(error)[:500],
                attempts=attempts if error.retryable else max(attempts, error.attempts),
            )
            self.stats.failures.append(failure)
            if self.cache is not None and error.invalid_answer:
                self.cache.put_failure(key, failure.error, failure.attempts)
            return Outcome(request, None, failure=failure)

    def _delay(self, error: LlmError, attempt: int) -> float:
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), MAX_BACKOFF_S)
        base = float(self.backoff * 2 ** (attempt - 1))
        return min(base * (0.5 + random.random()), MAX_BACKOFF_S)
