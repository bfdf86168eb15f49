"""The openai provider against a scripted OpenAI-compatible server: faults and replay."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ddd_llm.config import ExtractOptions
from ddd_llm.llm import ProviderSettings
from ddd_llm.models import FactsDocument
from ddd_llm.pipeline import extract
from tests.fake_openai import FakeOpenAI, Reply, tool_call_body, tool_name, user_text

FILES = {
    "ok.py": "ok",
    "rate.py": "MARK_429",
    "boom.py": "MARK_500",
    "hang.py": "MARK_HANG",
    "garbled.py": "MARK_MALFORMED",
    "invalid.py": "MARK_INVALID",
}
READ = re.compile(r"^\s*(\d+) \| .*os\.getenv\(\"(\w+)\", \"(\w+)\"\)", re.MULTILINE)


def make_repo(root: Path) -> None:
    for i, (name, marker) in enumerate(FILES.items()):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(
            f'import os  # {marker}\nSETTING_{i} = os.getenv("SETTING_{i}", "{i + 1}")\n'
        )


def answer(body: dict[str, Any], bad_range: bool = False) -> dict[str, Any]:
    items = []
    for line, name, default in READ.findall(user_text(body)):
        item: dict[str, Any] = {
            "summary": f"{name} setting",
            "start_line": int(line),
            "end_line": int(line),
            "name": name,
            "value_type": "int",
            "default": default,
        }
        if bad_range:
            item.update(min=10, max=1, range_source="inferred")
        items.append(item)
    return {"items": items}


class Script:
    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, body: dict[str, Any], _n: int) -> Reply | None:
        text = user_text(body)
        for marker in ("MARK_429", "MARK_500", "MARK_HANG", "MARK_MALFORMED", "MARK_INVALID"):
            if marker in text:
                self.seen[marker] = self.seen.get(marker, 0) + 1
                count = self.seen[marker]
                if marker == "MARK_429" and count == 1:
                    return Reply(
                        429, {"error": {"message": "slow down"}}, headers={"retry-after": "1"}
                    )
                if marker == "MARK_500":
                    return Reply(500, {"error": {"message": "internal"}})
                if marker == "MARK_HANG":
                    return Reply(
                        delay=3.0, body=tool_call_body(tool_name(body), json.dumps(answer(body)))
                    )
                if marker == "MARK_MALFORMED":
                    return Reply(body=tool_call_body(tool_name(body), '{"items": [{"name": '))
                if marker == "MARK_INVALID" and count == 1:
                    args = json.dumps(answer(body, bad_range=True))
                    return Reply(body=tool_call_body(tool_name(body), args))
        return None


def options(out: Path, server: FakeOpenAI, **kw: Any) -> ExtractOptions:
    return ExtractOptions(
        out_dir=out,
        index=False,
        llm="openai",
        provider_settings=ProviderSettings(model="fake-model", base_url=server.base_url),
        kinds=("config_parameter",),
        concurrency=4,
        timeout=1.0,
        transient_attempts=2,
        backoff=0.05,
        cache_dir=out / "cache",
        **kw,
    )


def test_faults_are_retried_recorded_and_never_lose_the_run(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    make_repo(repo)
    script = Script()
    with FakeOpenAI(answer=answer, script=script) as server:
        doc = extract(repo, options(tmp_path / "out", server)).document
    failures = {f.location.split(":")[0]: f for f in doc.run.failures}
    assert set(failures) == {"boom.py", "hang.py", "garbled.py"}
    assert "HTTP 500" in failures["boom.py"].error and failures["boom.py"].attempts == 2
    assert "timed out" in failures["hang.py"].error
    assert "no valid answer" in failures["garbled.py"].error
    assert failures["garbled.py"].attempts == 3  # instructor re-asked twice
    llm_ids = {f.id for f in doc.facts if f.origin in ("llm", "both")}
    # Good answers are kept: the plain one, the one after a 429, the one after a re-ask.
    assert {"config_parameter:-:SETTING_0", "config_parameter:-:SETTING_1"} <= llm_ids
    assert "config_parameter:-:SETTING_5" in llm_ids
    assert script.seen["MARK_429"] == 2 and script.seen["MARK_INVALID"] == 2
    assert doc.run.usage.llm_calls >= 6 + 1 + 1  # every request, the 429 retry, the re-ask
    assert doc.run.llm is not None and doc.run.llm.model == "fake-model"


def normalised(path: Path) -> dict[str, Any]:
    raw = json.loads(path.read_text())
    for key in ("started_at", "finished_at", "usage", "llm"):
        raw["run"].pop(key)
    raw["run"]["index"].pop("location", None)
    return raw


def test_record_then_replay_is_deterministic_and_cached(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    make_repo(repo)
    cassettes = tmp_path / "cassettes"
    with FakeOpenAI(answer=answer) as server:
        recorded = extract(repo, options(tmp_path / "rec", server, record_dir=cassettes))
    assert len(list(cassettes.glob("*.json"))) == len(FILES)
    replay = ExtractOptions(
        out_dir=tmp_path / "r1",
        index=False,
        llm="replay",
        provider_settings=ProviderSettings(cassettes=str(cassettes)),
        kinds=("config_parameter",),
        cache_dir=tmp_path / "replay-cache",
    )
    first = extract(repo, replay).document
    replay.out_dir = tmp_path / "r2"
    second = extract(repo, replay).document
    assert first.run.usage.llm_calls == len(FILES) and first.run.usage.cache_hits == 0
    assert second.run.usage.llm_calls == 0 and second.run.usage.cache_hits == len(FILES)
    assert normalised(tmp_path / "r1" / "facts.json") == normalised(tmp_path / "r2" / "facts.json")
    assert [f.id for f in first.facts] == [f.id for f in recorded.document.facts]


def test_replay_miss_after_a_prompt_edit_is_reported_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    make_repo(repo)
    (repo / "ok.py").write_text('import os\nEXTRA = os.getenv("EXTRA", "1")\n')
    doc: FactsDocument = extract(
        repo,
        ExtractOptions(
            out_dir=tmp_path / "o",
            index=False,
            llm="replay",
            provider_settings=ProviderSettings(cassettes=str(tmp_path)),
            kinds=("config_parameter",),
            no_cache=True,
        ),
    ).document
    assert len(doc.run.failures) == len(FILES)
    assert all("no recording for prompt 'config_parameter'" in f.error for f in doc.run.failures)


def test_invalid_answers_are_remembered_but_server_errors_are_asked_again(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    make_repo(repo)
    with FakeOpenAI(answer=answer, script=Script()) as server:
        extract(repo, options(tmp_path / "o1", server))
        calls_before = len(server.requests)
        again = extract(repo, options(tmp_path / "o1", server)).document
        asked = server.requests[calls_before:]
    # Only the 500 and the hang are asked again; the garbled answer's failure is cached.
    asked_files = {
        m for b in asked for m in ("MARK_500", "MARK_HANG", "MARK_MALFORMED") if m in user_text(b)
    }
    assert asked_files == {"MARK_500", "MARK_HANG"}
    cached = [f for f in again.run.failures if f.error.startswith("(cached)")]
    assert [f.location.split(":")[0] for f in cached] == ["garbled.py"]
