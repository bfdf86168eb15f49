"""What the model is shown (issue #15): an excerpt whose facts the analyzers decoded is not
sent again, candidate regions always are, all requests fit a total prompt budget that scales
with the repository, and every excerpt left out is listed with why (OUT/plan.json)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from typer.testing import CliRunner

from ddd_llm.chunk.chunker import Chunk
from ddd_llm.cli.app import app
from ddd_llm.config import ExtractOptions
from ddd_llm.extract.llm_extract import (
    MIN_PROMPT_BUDGET,
    PROMPT_SHARE,
    ExtractPlan,
    default_share,
    plan,
    prompt_budget,
)
from ddd_llm.fingerprint import run_settings
from ddd_llm.index.store import ChunkIndex, Hit
from ddd_llm.models import FactBase
from ddd_llm.pipeline import PLAN_FILE, Prepared, prepare

FILLER = "\n".join(f"// note {i}: nothing to configure here" for i in range(60))
# Adapted from hagopj13/node-express-boilerplate (.env.example, docker-compose.yml) and
# GoogleCloudPlatform/microservices-demo (an env var whose name is computed).
DECODED = {
    ".env.example": "# Port number\nPORT=3000\n\n# URL of the Mongo DB\n"
    "MONGODB_URL=mongodb://127.0.0.1:27017/node-boilerplate\n",
    "docker-compose.yml": "services:\n  node-app:\n    build: .\n    ports:\n      - '3000:3000'\n"
    "    depends_on:\n      - mongodb\n    healthcheck:\n"
    "      test: ['CMD', 'curl', '-f', 'http://localhost:3000/healthz']\n"
    "      interval: 30s\n  mongodb:\n    image: mongo:4.2.1-bionic\n",
}
COMPUTED = {
    "src/config/setting.js": "const port = process.env.PORT || 3000;\n"
    + FILLER
    + "\nfunction setting(name) {\n  return process.env['APP_' + name];\n}\n"
    "module.exports = { port, setting };\n",
}
CANDIDATE_LINE = 63  # `return process.env['APP_' + name];`
DOCS = {
    "docs/operations.md": "# Operations\n\nThe worker needs Redis reachable at REDIS_URL "
    "before it starts; start Redis first.\n",
}


def make_repo(root: Path, *parts: dict[str, str]) -> Path:
    for files in parts:
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return root


def prepared(repo: Path, out: Path) -> Prepared:
    return prepare(repo, ExtractOptions(out_dir=out, index=False, llm="none", prose=False))


def plan_of(p: Prepared, index: ChunkIndex | None = None, **kwargs: Any) -> ExtractPlan:
    return plan(
        p.chunks,
        index,
        p.static_facts,
        [s.name for s in p.services],
        candidates=p.candidates,
        texts=p.shown_texts(),
        verdicts=p.scanned.verdicts,
        **kwargs,
    )


def overlaps_a_decoded_fact(kind: str, chunk: Chunk, facts: Sequence[FactBase]) -> bool:
    return any(
        f.fact_kind == kind
        and c.path == chunk.path
        and c.start_line <= chunk.end_line
        and chunk.start_line <= c.end_line
        for f in facts
        for c in f.citations
    )


@dataclass
class FakeIndex:
    """Ranks the given chunks first for every query (a stand-in for the embedding index)."""

    ranked: Sequence[Chunk]

    def nearest(
        self, queries: Sequence[str], among: Sequence[Chunk], n_results: int, **_: Any
    ) -> list[list[Hit]]:
        hits = [
            Hit(c.path, c.start_line, c.end_line, c.text, 0.1 + i / 100)
            for i, c in enumerate(self.ranked[:n_results])
        ]
        return [hits for _query in queries]

    def query(self, text: str, n_results: int = 8, **_: Any) -> list[Hit]:
        return self.nearest([text], self.ranked, n_results)[0]


def test_a_repository_whose_facts_are_all_decoded_gets_no_request_for_them_under_a_budget(
    tmp_path: Path,
) -> None:
    p = prepared(make_repo(tmp_path / "repo", DECODED), tmp_path / "out")
    assert {"config_parameter", "health_check", "dependency"} <= {
        f.fact_kind for f in p.static_facts
    }
    free = plan_of(p)  # no total budget: every excerpt is sent, as before
    assert {c.chunk.path for c in free.calls} == set(DECODED)
    smallest = min(c.prompt_tokens for c in free.calls)
    capped = plan_of(p, total_budget=smallest - 1)
    assert capped.calls == []
    assert sorted((d.kind, d.chunk.location, d.reason) for d in capped.dropped) == sorted(
        (c.kind, c.chunk.location, "decoded") for c in free.calls
    )
    assert all(d.prompt_tokens > 0 for d in capped.dropped)


def test_under_a_budget_candidates_and_likely_places_come_before_decoded_excerpts(
    tmp_path: Path,
) -> None:
    p = prepared(make_repo(tmp_path / "repo", DECODED, COMPUTED, DOCS), tmp_path / "out")
    assert [(c.path, c.start_line) for c in p.candidates] == [
        ("src/config/setting.js", CANDIDATE_LINE)
    ]
    docs = next(c for c in p.chunks if c.path == "docs/operations.md")
    compose = next(c for c in p.chunks if c.path == "docker-compose.yml")
    index = cast(ChunkIndex, FakeIndex([compose, docs]))
    kinds = ("config_parameter", "dependency")
    roomy = plan_of(p, index, kinds=kinds, top_k=2, total_budget=10**9)
    decoded = [
        c
        for c in roomy.calls
        if c.source != "candidate" and overlaps_a_decoded_fact(c.kind, c.chunk, p.static_facts)
    ]
    assert {c.chunk.path for c in decoded} == {
        ".env.example",
        "docker-compose.yml",
        "src/config/setting.js",
    }
    first = [c for c in roomy.calls if c not in decoded]
    budget = sum(c.prompt_tokens for c in first) + min(c.prompt_tokens for c in decoded) - 1
    capped = plan_of(p, index, kinds=kinds, top_k=2, total_budget=budget)
    sent = {(c.kind, c.source, c.chunk.location) for c in capped.calls}
    # The region the analyzers could not decode, and the docs nothing decoded, are asked ...
    assert sent == {(c.kind, c.source, c.chunk.location) for c in first}
    assert ("config_parameter", "candidate") in {(k, s) for k, s, _loc in sent}
    assert {("dependency", "docs/operations.md"), ("config_parameter", "docs/operations.md")} <= {
        (c.kind, c.chunk.path) for c in capped.calls
    }
    # ... the excerpts holding decoded facts are not: each listed, with why.
    assert sorted((d.kind, d.chunk.location) for d in capped.dropped) == sorted(
        (c.kind, c.chunk.location) for c in decoded
    )
    assert {d.reason for d in capped.dropped} == {"decoded"}
    # The candidate's own excerpt holds its line, not the decoded read on line 1.
    window = next(c for c in capped.calls if c.source == "candidate")
    assert window.chunk.start_line <= CANDIDATE_LINE <= window.chunk.end_line
    assert not overlaps_a_decoded_fact("config_parameter", window.chunk, p.static_facts)
    assert (
        f"{CANDIDATE_LINE} |   return process.env['APP_' + name];"
        in (window.request.messages[1]["content"])
    )
    stats = capped.candidates["config_parameter"]
    assert (stats.regions, stats.planned, stats.covered, stats.unfit) == (1, 1, 0, 0)


def test_a_retrieved_excerpt_holding_a_candidate_region_asks_about_it_once_and_first(
    tmp_path: Path,
) -> None:
    only_computed = {
        "src/lookup.js": "function setting(name) {\n  return process.env['APP_' + name];\n}\n"
    }
    p = prepared(make_repo(tmp_path / "repo", only_computed, DOCS), tmp_path / "out")
    assert len(p.candidates) == 1 and not p.static_facts
    holder = next(c for c in p.chunks if c.path == "src/lookup.js")
    docs = next(c for c in p.chunks if c.path == "docs/operations.md")
    index = cast(ChunkIndex, FakeIndex([docs, holder]))  # the docs rank first
    roomy = plan_of(p, index, kinds=("config_parameter",), top_k=2, total_budget=10**9)
    assert [(c.source, c.chunk.path) for c in roomy.calls] == [
        ("retrieval", "docs/operations.md"),
        ("retrieval", "src/lookup.js"),
    ]  # no second excerpt of the same lines
    stats = roomy.candidates["config_parameter"]
    assert (stats.regions, stats.planned, stats.covered, stats.unfit) == (1, 0, 1, 0)
    holder_cost = next(c.prompt_tokens for c in roomy.calls if c.chunk.path == "src/lookup.js")
    capped = plan_of(p, index, kinds=("config_parameter",), top_k=2, total_budget=holder_cost)
    # It holds what the analyzers could not decode: it goes before the better-ranked docs.
    assert [c.chunk.path for c in capped.calls] == ["src/lookup.js"]
    assert [(d.chunk.path, d.reason) for d in capped.dropped] == [("docs/operations.md", "budget")]
    tight = plan_of(p, index, kinds=("config_parameter",), top_k=2, total_budget=holder_cost - 1)
    assert ("src/lookup.js", "budget") in {(d.chunk.path, d.reason) for d in tight.dropped}
    stats = tight.candidates["config_parameter"]
    assert (stats.regions, stats.planned, stats.covered, stats.unfit) == (1, 0, 0, 1)


def test_the_total_budget_keeps_candidates_first_and_lists_what_does_not_fit(
    tmp_path: Path,
) -> None:
    files = {
        f"src/mod{i}/setting.js": COMPUTED["src/config/setting.js"].replace("APP_", f"M{i}_")
        for i in range(4)
    }
    p = prepared(make_repo(tmp_path / "repo", files, DOCS), tmp_path / "out")
    docs = next(c for c in p.chunks if c.path == "docs/operations.md")
    index = cast(ChunkIndex, FakeIndex([docs]))
    kinds = ("config_parameter", "dependency")
    roomy = plan_of(p, index, kinds=kinds, total_budget=10**9)
    assert roomy.dropped == []
    assert [c.source for c in roomy.calls].count("candidate") == 4
    first = [c.prompt_tokens for c in roomy.calls if c.source == "candidate"][:3]
    budget = sum(first) + 1  # room for three candidate requests, nothing more
    capped = plan_of(p, index, kinds=kinds, total_budget=budget)
    assert capped.prompt_budget == budget
    assert capped.prompt_tokens() <= budget
    assert [c.source for c in capped.calls] == ["candidate"] * 3  # candidates come first
    # Nothing lost unsaid: what was sent and what did not fit is what a roomy plan sends.
    sent = {(c.kind, c.chunk.location) for c in capped.calls}
    left = {(d.kind, d.chunk.location) for d in capped.dropped}
    assert not sent & left
    assert sent | left == {(c.kind, c.chunk.location) for c in roomy.calls}
    assert all(d.prompt_tokens > 0 for d in capped.dropped)
    assert {("dependency", "docs/operations.md", "budget")} <= {
        (d.kind, d.chunk.path, d.reason) for d in capped.dropped
    }
    stats = capped.candidates["config_parameter"]
    assert (stats.regions, stats.planned, stats.unfit) == (4, 3, 1)


def test_the_budget_scales_with_the_repository() -> None:
    assert prompt_budget(100_000, 0.3) == 30_000
    assert prompt_budget(20_000, 0.1) == 2_000
    assert prompt_budget(500, 0.3) == MIN_PROMPT_BUDGET  # a tiny repository: a few requests
    assert prompt_budget(100_000, 0) is None
    assert default_share("openai") == PROMPT_SHARE == 0.3
    assert default_share("local") == default_share("replay") == default_share("none") == 0


def test_openai_dry_run_plans_within_its_default_share_and_others_without_one(
    tmp_path: Path,
) -> None:
    files = {
        f"src/mod{i}/setting.js": COMPUTED["src/config/setting.js"].replace("APP_", f"M{i}_")
        for i in range(8)
    }
    repo = make_repo(tmp_path / "repo", DECODED, files)
    docs: dict[str, dict[str, Any]] = {}
    for llm in ("openai", "replay"):
        out = tmp_path / llm
        extra = ["--cassettes", str(tmp_path)] if llm == "replay" else []
        result = CliRunner().invoke(
            app,
            ["extract", str(repo), "--dry-run", "--no-index", "--llm", llm, *extra]
            + ["--out", str(out)],
            env={"COLUMNS": "200", "OPENAI_API_KEY": "sk-test-not-used"},
        )
        assert result.exit_code == 0, result.output
        docs[llm] = json.loads((out / PLAN_FILE).read_text())
    openai, replay = docs["openai"], docs["replay"]
    assert openai["prompt_budget"] == max(
        MIN_PROMPT_BUDGET, int(PROMPT_SHARE * openai["repository_tokens"])
    )
    assert openai["prompt_tokens"] <= openai["prompt_budget"] < replay["prompt_tokens"]
    assert replay["prompt_budget"] is None and replay["dropped"] == []


def test_cli_dry_run_writes_the_budget_and_every_excerpt_left_out(tmp_path: Path) -> None:
    files = {
        f"src/mod{i}/setting.js": COMPUTED["src/config/setting.js"].replace("APP_", f"M{i}_")
        for i in range(6)
    }
    repo = make_repo(tmp_path / "repo", DECODED, files)
    runs: dict[str, dict[str, Any]] = {}
    for share in ("0.3", "100", "0"):
        out = tmp_path / f"out-{share}"
        result = CliRunner().invoke(
            app,
            ["extract", str(repo), "--dry-run", "--no-index", "--llm", "none"]
            + ["--max-chunks", "10", "--out", str(out), "--prompt-share", share],
            env={"COLUMNS": "200"},
        )
        assert result.exit_code == 0, result.output
        assert "not sent:" in result.output or share == "0"
        runs[share] = json.loads((out / PLAN_FILE).read_text())
    capped, roomy, free = runs["0.3"], runs["100"], runs["0"]
    assert capped["prompt_budget"] == max(MIN_PROMPT_BUDGET, int(0.3 * capped["repository_tokens"]))
    assert capped["prompt_tokens"] <= capped["prompt_budget"] < roomy["prompt_tokens"]

    # What the budget left out is listed: sent and left out make up the roomy plan.
    sent = {
        (r["kind"], r["path"], f"{r['start_line']}-{r['end_line']}") for r in capped["requests"]
    }
    left = {(d["kind"], d["file"], d["lines"]) for d in capped["dropped"]}
    assert not sent & left
    assert sent | left == {
        (r["kind"], r["path"], f"{r['start_line']}-{r['end_line']}") for r in roomy["requests"]
    }
    assert {d["reason"] for d in capped["dropped"]} == {"budget", "decoded"}
    # Candidates go first: here they fill the budget, and nothing decoded is sent.
    assert {r["source"] for r in capped["requests"]} == {"candidate"}
    # --prompt-share 0: no total budget, every planned excerpt sent (decoded ones too).
    assert free["prompt_budget"] is None and free["dropped"] == []
    assert ("config_parameter", ".env.example") in {
        (r["kind"], r["path"]) for r in free["requests"]
    }


def test_a_changed_prompt_share_is_a_changed_run(tmp_path: Path) -> None:
    model = ExtractOptions(out_dir=tmp_path / "out", llm="replay", prompt_share=0.0)
    unbudgeted = run_settings(tmp_path, model, None)
    assert "prompt_share" not in unbudgeted  # runs without a budget keep their fingerprints
    assert run_settings(tmp_path, replace(model, prompt_share=0.3), None)["prompt_share"] == 0.3
    assert run_settings(tmp_path, replace(model, prompt_share=None), None)["prompt_share"] is None
    static = replace(model, llm="none", prompt_share=0.3)
    assert "prompt_share" not in run_settings(tmp_path, static, None)  # nobody is asked
