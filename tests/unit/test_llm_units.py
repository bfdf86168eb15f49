"""LLM layer units: response-model validators, the runner's retries, the cache, replay, salvage."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from pydantic import ValidationError

from ddd_llm.errors import ConfigError, LlmError, ReplayMiss
from ddd_llm.llm import Completion, LlmRequest, ProviderSettings, choose_provider_name, get_provider
from ddd_llm.llm.cache import MIGRATIONS, ResponseCache
from ddd_llm.llm.local import grammar_schema, salvage
from ddd_llm.llm.openai_provider import retry_after_seconds
from ddd_llm.llm.replay import write_cassette
from ddd_llm.llm.runner import Runner
from ddd_llm.llm.schemas import ConfigParameters, Dependencies, HealthChecks
from ddd_llm.models import LlmInfo

CTX = {"start_line": 10, "end_line": 20}


def item(**kw: object) -> dict[str, object]:
    return {"summary": "s", "start_line": 12, "end_line": 12, **kw}


def test_config_parameter_validators() -> None:
    ok = ConfigParameters.model_validate(
        {"items": [item(name="MAX_CONN", min="1", max=100, range_source="declared")]},
        context=CTX,
    )
    assert ok.items[0].min == 1 and ok.items[0].max == 100
    with pytest.raises(ValidationError, match="greater than max"):
        ConfigParameters.model_validate(
            {"items": [item(name="X", min=10, max=1, range_source="declared")]}, context=CTX
        )
    with pytest.raises(ValidationError, match="not a number"):
        ConfigParameters.model_validate(
            {"items": [item(name="X", min="lots", range_source="inferred")]}, context=CTX
        )
    with pytest.raises(ValidationError, match="range_source"):
        ConfigParameters.model_validate({"items": [item(name="X", max=5)]}, context=CTX)
    with pytest.raises(ValidationError, match="outside the excerpt"):
        ConfigParameters.model_validate(
            {"items": [item(name="X", start_line=3, end_line=3)]}, context=CTX
        )
    with pytest.raises(ValidationError):  # enums are exact
        ConfigParameters.model_validate(
            {"items": [item(name="X", value_type="integer")]}, context=CTX
        )


def test_health_and_dependency_validators() -> None:
    with pytest.raises(ValidationError, match="not a TCP port"):
        HealthChecks.model_validate(
            {"items": [item(check_type="tcp", target="x", port=70000)]}, context=CTX
        )
    with pytest.raises(ValidationError, match="itself"):
        Dependencies.model_validate({"items": [item(service="api", target="API")]}, context=CTX)


class Scripted:
    """A provider that fails as scripted, then answers."""

    name = "scripted"
    model = "m"
    max_chunks_per_kind = None
    max_concurrency = None
    enforces_timeout = True

    def __init__(self, errors: list[LlmError]) -> None:
        self.errors = errors
        self.calls = 0

    def info(self) -> LlmInfo:
        return LlmInfo(provider=self.name, model=self.model)

    async def complete(self, request: LlmRequest, timeout: float) -> Completion:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return Completion(data={"items": []}, prompt_tokens=5, completion_tokens=2, model="m")

    async def aclose(self) -> None:
        return None


def request(label: str = "a.py:1-2") -> LlmRequest:
    return LlmRequest(
        prompt="config_parameter",
        prompt_version="v1",
        messages=({"role": "user", "content": label},),
        response_model=ConfigParameters,
        label=label,
    )


def test_runner_retries_transient_errors_honouring_retry_after() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    provider = Scripted(
        [
            LlmError("429", provider="p", retryable=True, retry_after=7),
            LlmError("500", provider="p", retryable=True),
        ]
    )
    runner = Runner(provider, sleep=sleep, backoff=1.0)
    (outcome,) = runner.run([request()])
    assert outcome.completion is not None and outcome.failure is None
    assert slept[0] == 7 and 0.5 <= slept[1] <= 3.0
    assert runner.stats.usage.llm_calls == 3


def test_runner_records_permanent_failure_and_keeps_going() -> None:
    provider = Scripted([LlmError("bad schema", provider="p", attempts=3)])
    runner = Runner(provider, concurrency=1)
    first, second = runner.run([request("a.py:1-2"), request("b.py:1-2")])
    assert first.failure is not None and first.failure.attempts == 3
    assert "bad schema" in first.failure.error and first.failure.label == "a.py:1-2"
    assert second.completion is not None
    assert len(runner.stats.failures) == 1


def test_runner_times_out_hung_calls() -> None:
    class Hangs(Scripted):
        async def complete(self, request: LlmRequest, timeout: float) -> Completion:
            await asyncio.sleep(60)
            raise AssertionError("unreachable")

    async def no_sleep(_s: float) -> None:
        return None

    runner = Runner(Hangs([]), timeout=0.05, guard=0.0, transient_attempts=2, sleep=no_sleep)
    (outcome,) = runner.run([request()])
    assert outcome.failure is not None and "timed out" in outcome.failure.error
    assert outcome.failure.attempts == 2


def test_cache_round_trip_and_migrations(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    req = request()
    key = req.cache_key("p", "m")
    assert cache.get(key) is None
    cache.put(key, "p", req, Completion(data={"items": []}, prompt_tokens=3, model="m"))
    cache.close()
    again = ResponseCache(tmp_path)
    hit = again.get(key)
    assert hit is not None and hit.data == {"items": []} and hit.prompt_tokens == 3
    names = [r[0] for r in sqlite3.connect(again.path).execute("SELECT name FROM _migrations")]
    assert names == [name for name, _ in MIGRATIONS]
    # The key moves with the model, the prompt version and the content.
    other = LlmRequest(
        prompt=req.prompt,
        prompt_version="v2",
        messages=req.messages,
        response_model=req.response_model,
    )
    assert other.cache_key("p", "m") != key and req.cache_key("p", "m2") != key


def test_replay_answers_and_names_the_prompt_on_a_miss(tmp_path: Path) -> None:
    req = request()
    write_cassette(tmp_path, req, Completion(data={"items": []}, model="rec"), "openai")
    provider = get_provider("replay", ProviderSettings(cassettes=str(tmp_path)))
    done = asyncio.run(provider.complete(req, 1))
    assert done.data == {"items": []}
    changed = LlmRequest(
        prompt="config_parameter",
        prompt_version="v9",
        messages=({"role": "user", "content": "edited prompt"},),
        response_model=ConfigParameters,
    )
    with pytest.raises(ReplayMiss, match="config_parameter"):
        asyncio.run(provider.complete(changed, 1))
    with pytest.raises(ConfigError, match="cassettes"):
        get_provider("replay", ProviderSettings())


def test_salvage_and_grammar_cap() -> None:
    cut = '{"items": [{"a": 1}, {"a": 2}, {"a": '
    assert salvage(cut) == '{"items": [{"a": 1}, {"a": 2}]}'
    assert salvage('{"items": []}') == '{"items": []}'
    schema = grammar_schema(ConfigParameters.model_json_schema())
    assert schema["properties"]["items"]["maxItems"] >= 1
    assert "maxItems" not in ConfigParameters.model_json_schema()["properties"]["items"]


def test_retry_after_parsing() -> None:
    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert retry_after_seconds({"retry-after-ms": "1500"}) == 1.5
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0


def test_provider_choice_order() -> None:
    assert choose_provider_name({"OPENAI_API_KEY": "sk-x"}) == ("openai", None)
    name, notice = choose_provider_name({})
    assert name in ("local", "none")
    if name == "none":
        assert notice and "OPENAI_API_KEY" in notice


def test_openai_without_key_or_url_says_how_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        get_provider("openai", ProviderSettings())
