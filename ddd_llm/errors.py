"""Errors of ddd-llm: one root, each message saying how to fix the problem.

    DddError                      exit 3 unless a subclass says otherwise
    ├── InputError                exit 2: a path, option or file the user gave is unusable
    │   └── ConfigError           exit 2: settings that cannot work together (provider, model)
    ├── IndexUnavailable          the vector index or its embedding model cannot be used
    ├── LlmError                  a model call failed (provider, attempts, retryable, retry_after)
    │   └── ReplayMiss            the replay provider has no recording for a request
    └── LockHeld                  exit 4: another run holds the output or index lock

The CLI prints `str(error)` on one line of stderr and exits with `exit_code`;
`DDD_LLM_DEBUG=1` shows the traceback (never with locals).
"""

from __future__ import annotations


class DddError(Exception):
    exit_code = 3

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class InputError(DddError):
    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.path = path


class ConfigError(InputError):
    pass


class IndexUnavailable(DddError):
    pass


class LlmError(DddError):
    """A failed model call. `retryable` errors (429, 5xx, timeouts) are retried with backoff."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        attempts: int = 1,
        retryable: bool = False,
        retry_after: float | None = None,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        invalid_answer: bool = False,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.invalid_answer = invalid_answer
        """The model answered, but never validly: asking the same again gives the same."""
        self.provider = provider
        self.attempts = attempts
        self.retryable = retryable
        self.retry_after = retry_after
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens


class ReplayMiss(LlmError):
    pass


class LockHeld(DddError):
    exit_code = 4

    def __init__(self, message: str, *, path: str, holder: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.holder = holder
