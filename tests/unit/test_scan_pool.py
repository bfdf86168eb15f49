"""Scan, chunking and the analyzers in a process pool: the same output as in one process."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ddd_llm.chunk.chunker import chunk_files
from ddd_llm.cli.app import app
from ddd_llm.evidence import SourceFile, analyze_files
from ddd_llm.scan.pool import POOL_MIN_FILES, pool_map, pool_size, usable_cpus
from ddd_llm.scan.scanner import scan

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
runner = CliRunner()

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="the pool forks its workers")


C_GETENV = b'int main(void) {\n    const char *p = getenv("NAME");\n    return p != 0;\n}\n'


def _repo(root: Path) -> Path:
    """A fixture with every kind of file scan skips or flags between the ones it keeps, so
    the pool's results must be put back in the walk's order."""
    shutil.copytree(FIXTURES / "compose-shop", root)
    extra: dict[str, bytes] = {
        "a/0-binary.yaml": b"\x00\x01\x02binary\x00",
        "a/1-latin1.md": b"# Caf\xe9\n\nPORT is 8080\n",
        "a/2-settings.py": b'import os\nKEY = os.getenv("API_KEY", "sk-live-9f8e7d6c5b4a3928")\n',
        "a/3-image.png": b"\x89PNG",
        "a/4-.env": b"SECRET=1\n",
        "a/5-broken.py": b"def broken(:\n",
        "a/tests/test_api.py": b'import os\nPORT = os.getenv("TEST_PORT", "1")\n',
        "deps/lib/config.c": C_GETENV.replace(b"NAME", b"LIB_PORT"),
        "src/config.c": C_GETENV.replace(b"NAME", b"SRC_PORT"),
        "a/gen/api.pb.go": b"package gen\n",
    }
    for rel, data in extra.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for n in range(40):  # enough files for every worker to get several chunks of work
        (root / "a" / f"mod_{n:02d}.py").write_text(
            f'import os\nLIMIT_{n} = int(os.getenv("LIMIT_{n}", "{n}"))\n', encoding="utf-8"
        )
    return root


def _extract(repo: Path, out: Path, workers: int) -> tuple[dict[str, Any], str]:
    result = runner.invoke(
        app,
        ["extract", str(repo), "--out", str(out), "--llm", "none", "--no-index", "-q"]
        + ["--workers", str(workers)],
    )
    assert result.exit_code == 0, result.output
    facts = json.loads((out / "facts.json").read_text(encoding="utf-8"))
    for stamp in ("started_at", "finished_at"):
        facts["run"].pop(stamp)
    return facts, (out / "chunks.jsonl").read_text(encoding="utf-8")


@needs_fork
def test_extract_with_workers_writes_what_one_process_writes(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    serial = _extract(repo, tmp_path / "one", 1)
    pooled = _extract(repo, tmp_path / "two", 2)
    again = _extract(repo, tmp_path / "three", 3)
    assert serial[0]["facts"], "the fixture yields facts"
    assert pooled == serial
    assert again == serial
    skipped = [s["path"] for s in serial[0]["run"]["skipped"]]
    assert "a/0-binary.yaml" in skipped and "a/3-image.png" in skipped
    names = {f.get("name") for f in serial[0]["facts"]}
    assert {"LIMIT_39", "SRC_PORT"} <= names
    assert "LIB_PORT" not in names  # deps/ is vendored: not analyzed


@needs_fork
def test_scan_analyzers_and_chunks_are_the_same_in_a_pool(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    one, two = scan(repo, workers=1), scan(repo, workers=2)
    assert one.files == two.files
    assert one.skipped == two.skipped
    assert one.warnings == two.warnings
    assert one.redactions == two.redactions and one.redactions
    assert one.verdicts == two.verdicts
    sources = [SourceFile(f.path, f.text) for f in one.files]
    a, b = analyze_files(sources, workers=1), analyze_files(sources, workers=2)
    assert a.facts == b.facts and a.facts
    assert (a.services, a.warnings, a.owners, a.candidates) == (
        b.services,
        b.warnings,
        b.owners,
        b.candidates,
    )
    texts = [(f.path, f.text) for f in one.files]
    assert chunk_files(texts, workers=1) == chunk_files(texts, workers=2)


def test_tests_and_fixtures_are_chunked_last() -> None:
    files = [
        ("tests/test_api.py", "def test_x():\n    pass\n"),
        ("app/main.py", "x = 1\n"),
        ("spec/fixtures/a.json", '{"a": 1}\n'),
        ("app/util.py", "y = 2\n"),
    ]
    last = {"tests/test_api.py", "spec/fixtures/a.json"}
    chunks = chunk_files(files, last=lambda path: path in last, workers=1)
    assert [c.path for c in chunks] == [
        "app/main.py",
        "app/util.py",
        "tests/test_api.py",
        "spec/fixtures/a.json",
    ]
    plain = chunk_files(files, workers=1)
    assert [c.path for c in plain] == [p for p, _ in files]  # without `last`: as given


def _square(n: int) -> int:
    return n * n


_PARENT = os.getpid()


def _dies_on_seven(n: int) -> int:
    if n == 7 and os.getpid() != _PARENT:
        os._exit(9)  # a worker killed mid-run (out of memory)
    return n * n


@needs_fork
def test_pool_map_keeps_order_and_survives_a_killed_worker() -> None:
    items = list(range(50))
    assert list(pool_map(_square, items, 2)) == [n * n for n in items]
    assert list(pool_map(_dies_on_seven, items, 2)) == [n * n for n in items]
    assert list(pool_map(_square, [], 2)) == []


def test_pool_size_is_automatic_unless_given() -> None:
    assert pool_size(10) == 1  # too few files to pay for the workers
    assert pool_size(POOL_MIN_FILES) == (usable_cpus() if usable_cpus() > 1 else 1)
    assert pool_size(10, 3) == 3  # forced on, whatever the count
    assert pool_size(10**6, 1) == 1


def test_an_unchanged_rerun_keeps_the_last_run(tmp_path: Path) -> None:
    repo, out = tmp_path / "repo", tmp_path / "out"
    shutil.copytree(FIXTURES / "compose-shop", repo)
    command = ["extract", str(repo), "--out", str(out), "--llm", "none", "--no-index"]
    first = runner.invoke(app, command)
    assert first.exit_code == 0, first.output
    written = (out / "facts.json").stat().st_mtime_ns
    again = runner.invoke(app, command)
    assert again.exit_code == 0, again.output
    assert "inputs unchanged since the last run" in again.output
    assert "facts" in again.output  # the report of the run kept
    assert (out / "facts.json").stat().st_mtime_ns == written
    forced = runner.invoke(app, [*command, "--force"])
    assert "inputs unchanged" not in forced.output
    assert (out / "facts.json").stat().st_mtime_ns != written
    (repo / "README.md").write_text("# changed\n", encoding="utf-8")
    changed = runner.invoke(app, command)
    assert changed.exit_code == 0, changed.output
    assert "inputs unchanged" not in changed.output and "scanned" in changed.output
