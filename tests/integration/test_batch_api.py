"""--batch-api against a loopback server implementing OpenAI's files and batches endpoints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.synth_org import answer_chat, make_repo
from ddd_llm.config import ExtractOptions
from ddd_llm.llm import ProviderSettings
from ddd_llm.llm.batch_api import INPUT_FILE, STATE_FILE, run_batch
from ddd_llm.llm.cache import ResponseCache
from ddd_llm.llm.schemas import RESPONSE_MODELS
from ddd_llm.models import FactsDocument
from ddd_llm.pipeline import dry_run, extract
from tests.fake_openai import tool_name, user_text
from tests.fake_openai_batch import FakeBatchServer

EXTRACTION_TOOLS = {m.__name__ for m in RESPONSE_MODELS.values()}
REJECT = "api_timeout_s"
"""Requests whose excerpt holds this setting go to the batch's error file."""


class Answers:
    """Valid answers, except: the first about docker-compose.yml cites a line it was not shown."""

    def __init__(self) -> None:
        self.invalid_sent = False

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        text = user_text(body)
        if "docker-compose.yml" in text and not self.invalid_sent:
            self.invalid_sent = True
            return {"items": [{"summary": "x", "start_line": 900, "end_line": 901, "name": "X"}]}
        return answer_chat(body)


def options(server: FakeBatchServer, tmp_path: Path) -> ExtractOptions:
    return ExtractOptions(
        out_dir=tmp_path / "out",
        llm="openai",
        provider_settings=ProviderSettings(base_url=server.base_url, api_key="sk-test"),
        index=False,
        cache_dir=tmp_path / "cache",
        batch_api=True,
        batch_poll=0.0,
        prose=False,  # the extraction requests are what goes through the batch
    )


def test_batch_answers_validated_rejections_fall_back_to_direct_calls(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", 3)  # 5 settings: api_timeout_s among them
    with FakeBatchServer(answer=Answers(), reject=lambda b: REJECT in user_text(b)) as server:
        opts = options(server, tmp_path)
        plan, _ = dry_run(repo, opts)
        doc = extract(repo, opts).document

        assert len(server.batches) == 1
        batch = next(iter(server.batches.values()))
        assert batch["status"] == "completed" and server.polls >= 3  # every transition seen
        lines = [json.loads(x) for x in (opts.out_dir / INPUT_FILE).read_text().splitlines()]  # type: ignore[operator]
        assert len(lines) == len(plan.calls)
        rejected = [x for x in lines if REJECT in user_text(x["body"])]
        assert len(lines) > 4 and len(rejected) == 1
        # Direct calls: the rejected request, and the one answered invalidly in the batch;
        # each is the very request the batch line carried.
        direct = [c for c in server.chat_calls if tool_name(c) in EXTRACTION_TOOLS]
        assert len(direct) == 2
        for call in direct:
            same = [x["body"] for x in lines if x["body"]["messages"] == call["messages"]]
            assert len(same) == 1
            assert same[0]["tools"] == call["tools"] and same[0]["model"] == call["model"]
        assert not (opts.out_dir / STATE_FILE).exists()  # type: ignore[operator]

    names = {f.name for f in doc.facts if f.kind == "config_parameter" and f.origin != "static"}  # type: ignore[attr-defined]
    assert {"API_PORT", "API_TIMEOUT_S", "API_POOL_SIZE", "API_CACHE_TTL"} <= names
    assert doc.run.failures == []
    assert doc.run.usage.llm_calls == len(plan.calls)
    assert doc.run.usage.cache_hits == 0


def test_second_run_and_a_killed_run_send_nothing_twice(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", 3)
    with FakeBatchServer(answer=answer_chat) as server:
        opts = options(server, tmp_path)
        plan, _ = dry_run(repo, opts)
        requests = [p.request for p in plan.calls]
        cache = ResponseCache(opts.cache_dir)
        assert opts.out_dir is not None

        class Killed(Exception):
            pass

        def die(_seconds: float) -> None:
            raise Killed

        with pytest.raises(Killed):  # the run dies while the batch is in progress
            run_batch(requests, opts.provider_settings, cache, opts.out_dir, poll=0, sleep=die)
        assert (opts.out_dir / STATE_FILE).exists()
        done = run_batch(requests, opts.provider_settings, cache, opts.out_dir, poll=0)
        assert len(server.batches) == 1  # resumed, not submitted again
        assert done.answered == len(requests) and done.rejected == 0

        doc = extract(repo, opts).document  # every extraction answer is in the cache now
        assert len(server.batches) == 1
        assert [c for c in server.chat_calls if tool_name(c) in EXTRACTION_TOOLS] == []
        assert doc.run.usage.cache_hits == len(requests)
        again = FactsDocument.model_validate_json((opts.out_dir / "facts.json").read_text())
        assert again.facts == doc.facts
