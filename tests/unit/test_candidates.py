"""Planning: every analyzer candidate region reaches the model for its kind; junk never does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from ddd_llm.chunk.chunker import Chunk, chunk_file
from ddd_llm.config import ExtractOptions
from ddd_llm.evidence.base import REGISTRY, AnalyzerResult, Candidate, SourceFile
from ddd_llm.extract.llm_extract import CANDIDATE_CONTEXT, ExtractPlan, plan
from ddd_llm.index.store import ChunkIndex, Hit
from ddd_llm.llm import get_provider
from ddd_llm.pipeline import plan_llm, prepare
from ddd_llm.scan.scanner import scan

# Adapted from GoogleCloudPlatform/microservices-demo src/frontend/main.go: the address of
# each backend is read from an env var whose name is computed, which no rule decodes.
MAIN_GO = "\n".join(
    [
        "package main",
        "",
        'import "os"',
        "",
        *[f"// filler line {i}" for i in range(5, 40)],
        "func mustMapEnv(target *string, envKey string) {",
        "\tv := os.Getenv(envKey)",
        '\tif v == "" {',
        '\t\tpanic("environment variable not set")',
        "\t}",
        "\t*target = v",
        "}",
        *[f"// more filler {i}" for i in range(47, 121)],
        "func svc(name string) string { "
        'return os.Getenv(strings.ToUpper(name) + "_SERVICE_ADDR") }',
        *[f"// tail {i}" for i in range(122, 200)],
    ]
)


@dataclass
class FakeIndex:
    """Answers every query with the given chunks, closest first (a stand-in for chroma)."""

    chunks: Sequence[Chunk]

    def query(self, text: str, n_results: int = 8, paths: Sequence[str] | None = None) -> list[Hit]:
        del text, paths
        return [
            Hit(c.path, c.start_line, c.end_line, c.text, 0.1 + i / 100)
            for i, c in enumerate(self.chunks[:n_results])
        ]


def index_of(chunks: Sequence[Chunk]) -> ChunkIndex:
    return cast(ChunkIndex, FakeIndex(chunks))


def plan_for(
    chunks: Sequence[Chunk],
    index_hits: Sequence[Chunk],
    candidates: Sequence[Candidate],
    texts: dict[str, str],
    **kwargs: Any,
) -> ExtractPlan:
    return plan(
        chunks,
        index_of(index_hits),
        [],
        [],
        kinds=("config_parameter", "health_check"),
        top_k=1,
        candidates=candidates,
        texts=texts,
        **kwargs,
    )


def test_a_candidate_region_is_excerpted_for_its_kind_even_when_retrieval_misses_it() -> None:
    chunks = chunk_file("src/frontend/main.go", MAIN_GO, max_tokens=120)
    readme = chunk_file("README.md", "# Frontend\n\nSet PORT to change the port.\n")
    region = Candidate("src/frontend/main.go", 121, 121, "config_parameter", "computed env name")
    assert not any(c.start_line <= 121 <= c.end_line for c in [*readme])
    out = plan_for([*chunks, *readme], readme, [region], {"src/frontend/main.go": MAIN_GO})
    asked = [
        (p.kind, p.source, p.chunk.path, p.chunk.start_line, p.chunk.end_line) for p in out.calls
    ]
    # retrieval still asks about its top hit, for both kinds ...
    assert ("config_parameter", "retrieval", "README.md", 1, 3) in asked
    assert ("health_check", "retrieval", "README.md", 1, 3) in asked
    # ... and the candidate region is asked about, with context, for its kind only.
    lo, hi = 121 - CANDIDATE_CONTEXT, 121 + CANDIDATE_CONTEXT
    cand = [p for p in out.calls if p.source == "candidate"]
    assert [(p.kind, p.chunk.start_line, p.chunk.end_line) for p in cand] == [
        ("config_parameter", lo, hi)
    ]
    excerpt = cand[0].request.messages[1]["content"]
    assert "121 | func svc(name string)" in excerpt  # numbered as the repository numbers it
    assert cand[0].request.context == {"start_line": lo, "end_line": hi}
    stats = out.candidates["config_parameter"]
    assert (stats.regions, stats.planned, stats.covered, stats.unfit) == (1, 1, 0, 0)


def test_regions_of_one_file_are_merged_within_the_budget_and_deduplicated() -> None:
    path = "src/frontend/main.go"
    regions = [
        Candidate(path, 41, 41, "config_parameter", "a"),
        Candidate(path, 41, 42, "config_parameter", "overlapping"),
        Candidate(path, 41, 41, "config_parameter", "duplicate"),
        Candidate(path, 121, 121, "config_parameter", "far"),
    ]
    wide = plan_for([], [], regions, {path: MAIN_GO}, budget=5000)
    assert [(p.chunk.start_line, p.chunk.end_line) for p in wide.calls] == [(38, 124)]
    assert wide.candidates["config_parameter"].planned == 3  # distinct ranges
    narrow = plan_for([], [], regions, {path: MAIN_GO}, budget=120)
    spans = [(p.chunk.start_line, p.chunk.end_line) for p in narrow.calls]
    assert spans == [(38, 45), (118, 124)]
    assert all(p.chunk.tokens <= 120 for p in narrow.calls)


def test_a_region_inside_a_retrieved_excerpt_is_not_asked_twice() -> None:
    path = "src/frontend/main.go"
    chunks = chunk_file(path, MAIN_GO, max_tokens=400)
    holder = next(c for c in chunks if c.start_line <= 41 <= c.end_line)
    out = plan_for(
        chunks, [holder], [Candidate(path, 41, 41, "config_parameter", "x")], {path: MAIN_GO}
    )
    assert [p.source for p in out.calls if p.kind == "config_parameter"] == ["retrieval"]
    assert out.candidates["config_parameter"].covered == 1


def test_what_cannot_fit_is_counted_not_dropped_silently() -> None:
    texts = {
        "a.go": "package a\n" + "x" * 20_000 + "\n",  # a line longer than any budget
        "b.go": MAIN_GO,
        "c.go": MAIN_GO,
    }
    regions = [
        Candidate("a.go", 2, 2, "config_parameter", "huge line"),
        Candidate("b.go", 41, 41, "config_parameter", "b"),
        Candidate("c.go", 41, 41, "config_parameter", "c"),
        Candidate("gone.go", 3, 3, "config_parameter", "file not shown"),
    ]
    out = plan_for([], [], regions, texts, budget=300, max_chunks=1)
    stats = out.candidates["config_parameter"]
    assert stats.regions == 4
    assert len([p for p in out.calls if p.source == "candidate"]) == 1  # max_chunks
    assert stats.planned == 1 and stats.unfit == 3


JUNK = {
    "package-lock.json": '{\n  "name": "app",\n  "lockfileVersion": 3,\n  "packages": {}\n}\n',
    "public/js/vendor.min.js": "!function(e){var PORT=process.env.PORT}(window);" * 40 + "\n",
    "LICENSE": "MIT License\n\nPermission is hereby granted, free of charge\n",
    "src/server.js": "const port = process.env.PORT || 3000;\napp.listen(port);\n",
}


def test_no_junk_file_is_ever_excerpted(tmp_path: Path) -> None:
    for rel, text in JUNK.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    scanned = scan(tmp_path)
    # As the planner was fed before: every file's chunks, the index ranking junk first.
    chunks = [c for f in scanned.files for c in chunk_file(f.path, f.text)]
    ranked = sorted(chunks, key=lambda c: c.path == "src/server.js")
    candidates = [Candidate(p, 1, 1, "config_parameter", "x") for p in JUNK]
    out = plan(
        chunks,
        index_of(ranked),
        [],
        [],
        kinds=("config_parameter",),
        top_k=10,
        candidates=candidates,
        texts={f.path: f.text for f in scanned.files},
        verdicts=scanned.verdicts,
    )
    paths = {p.chunk.path for p in out.calls}
    assert paths == {"src/server.js"}
    assert out.candidates["config_parameter"].unfit == 3  # the junk files' regions, counted


class _Marks:
    """A test analyzer: marks every `process.env[` line as a config_parameter candidate."""

    name = "test-candidates"

    def accepts(self, source: SourceFile) -> bool:
        return source.suffix == ".js"

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        for number, line in enumerate(source.lines, 1):
            if "process.env[" in line:
                result.candidate(source, number, number, "config_parameter", "computed name")
        return result


def test_candidates_flow_from_the_analyzers_through_prepare_into_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(REGISTRY, _Marks.name, _Marks())
    (tmp_path / "src").mkdir()
    (tmp_path / "src/config.js").write_text(
        "// adapted from outline/outline server/env.ts\n"
        "const keys = ['URL', 'PORT'];\n"
        "for (const k of keys) settings[k] = process.env[`OUTLINE_${k}`];\n"
    )
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist/config.js").write_text("settings.x = process.env[name];\n")
    options = ExtractOptions(out_dir=tmp_path / "out", index=False, max_chunks_per_kind=20)
    prepared = prepare(tmp_path, options)
    assert {(c.path, c.start_line) for c in prepared.candidates} == {("src/config.js", 3)}
    out = plan_llm(prepared, options, get_provider("none", options.provider_settings))
    cand = [p for p in out.calls if p.source == "candidate"]
    assert [(p.kind, p.chunk.path, p.chunk.start_line, p.chunk.end_line) for p in cand] == [
        ("config_parameter", "src/config.js", 1, 3)
    ]


class _Misspelled(_Marks):
    name = "test-misspelled-candidates"

    def analyze(self, source: SourceFile) -> AnalyzerResult:
        result = AnalyzerResult()
        result.candidate(source, 1, 1, "config_param", "a misspelled kind")
        return result


def test_a_candidate_of_an_unknown_kind_is_a_warning_not_a_silent_drop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(REGISTRY, _Misspelled.name, _Misspelled())
    (tmp_path / "app.js").write_text("module.exports = {};\n")
    prepared = prepare(tmp_path, ExtractOptions(out_dir=tmp_path / "out", index=False))
    assert not [c for c in prepared.candidates if c.kind == "config_param"]
    warned = [w for w in prepared.warnings if "config_param" in w.message]
    assert warned and warned[0].path == "app.js" and warned[0].line == 1
