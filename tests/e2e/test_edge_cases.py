"""Repository edge cases: each is skipped or read with a clear message, and the run finishes."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ddd_llm.cli.app import app
from ddd_llm.scan.redact import redact_text
from ddd_llm.scan.scanner import scan

runner = CliRunner()
NOBODY = 65534


def extract(repo: Path, out: Path, *extra: str) -> tuple[dict[str, Any], str]:
    result = runner.invoke(
        app, ["extract", str(repo), "--out", str(out), "--llm", "none", "--no-index", *extra]
    )
    assert result.exit_code == 0, result.output
    return json.loads((out / "facts.json").read_text(encoding="utf-8")), result.output


def skipped(doc: dict[str, Any]) -> dict[str, str]:
    return {s["path"]: s["reason"] for s in doc["run"]["skipped"]}


def outputs(out: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(out.glob("*.*")) if p.is_file())


COMPOSE = "services:\n  api:\n    image: api:1\n    environment:\n      PORT: '8080'\n"


@pytest.mark.parametrize("content", ["empty", "unreadable"])
@pytest.mark.parametrize("command", ["extract", "check", "ask"])
def test_a_folder_with_nothing_to_read_exits_2_naming_it(
    tmp_path: Path, command: str, content: str
) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    skipped = 0
    if content == "unreadable":
        (repo / "logo.png").write_bytes(b"\x89PNG\r\n")
        (repo / "blob.dat").write_bytes(b"\x00\x01\x02" * 100)
        skipped = 2
    out = tmp_path / "out"
    question = ["How do I start it?"] if command == "ask" else []
    args = [command, str(repo), *question, "--out", str(out), "--llm", "none", "--no-index"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    (line,) = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert line == (
        f"error: nothing to read in {repo}: no readable text file ({skipped} skipped) — "
        "point ddd-llm at a repository"
    )
    assert not (out / "facts.json").exists()


def test_symlinks_broken_looping_or_leaving_the_repo_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "docker-compose.yml").write_text(COMPOSE.replace("api", "stolen"))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "docker-compose.yml").write_text(COMPOSE)
    os.symlink(outside / "docker-compose.yml", repo / "compose.yaml")  # leaves the repository
    os.symlink(outside, repo / "outside-dir")
    os.symlink(repo / "missing.yml", repo / "broken.yml")
    os.symlink(repo / "loop-b", repo / "loop-a")
    os.symlink(repo / "loop-a", repo / "loop-b")
    out = tmp_path / "out"
    doc, _ = extract(repo, out)
    why = skipped(doc)
    for name in ("compose.yaml", "outside-dir", "broken.yml", "loop-a", "loop-b"):
        assert why[name] == "symlink (not followed)", name
    assert [s["name"] for s in doc["services"]] == ["api"]
    assert "stolen" not in outputs(out)


def test_fifo_is_skipped_not_waited_on(tmp_path: Path) -> None:
    (tmp_path / "app.env.example").write_text("PORT=8080\n")
    os.mkfifo(tmp_path / "config.yaml")  # no writer: opening it to read would block forever
    done: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: done.update(result=scan(tmp_path)), daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert "result" in done, "scan hung on a FIFO"
    why = {s.path: s.reason for s in done["result"].skipped}
    assert why["config.yaml"].startswith("not a regular file")
    assert [f.path for f in done["result"].files] == ["app.env.example"]


def _scan_as(uid: int, root: Path) -> dict[str, Any]:
    """scan() in a forked child that dropped to `uid`, so permissions bind even for root."""
    redact_text("warm-up: every lazy import happens before privileges are dropped", "x.py")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        try:
            os.close(read_end)
            os.setgid(uid)
            os.setuid(uid)
            result = scan(root)
            payload = {
                "files": [f.path for f in result.files],
                "skipped": {s.path: s.reason for s in result.skipped},
            }
            os.write(write_end, json.dumps(payload).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the unprivileged scan failed"
    data: dict[str, Any] = json.loads(b"".join(chunks))
    return data


def test_files_and_folders_without_read_permission_are_skipped() -> None:
    # Under /tmp, not pytest's private temp folder, so an unprivileged child can walk to it.
    repo = Path(tempfile.mkdtemp(prefix="ddd-llm-perm-"))
    repo.chmod(0o755)
    (repo / "docker-compose.yml").write_text(COMPOSE)
    (repo / "docker-compose.yml").chmod(0o644)
    (repo / "private.yaml").write_text("db_host: db\n")
    (repo / "private.yaml").chmod(0o000)
    (repo / "locked").mkdir()
    (repo / "locked" / "inside.yaml").write_text("x: 1\n")
    (repo / "locked").chmod(0o000)
    try:
        if os.geteuid() == 0:
            result = _scan_as(NOBODY, repo)
        else:
            done = scan(repo)
            result = {
                "files": [f.path for f in done.files],
                "skipped": {s.path: s.reason for s in done.skipped},
            }
    finally:
        (repo / "locked").chmod(0o755)
        (repo / "private.yaml").chmod(0o644)
        shutil.rmtree(repo)
    assert result["files"] == ["docker-compose.yml"]
    assert result["skipped"]["private.yaml"] == "not readable: Permission denied"
    assert result["skipped"]["locked"] == "directory not readable: Permission denied"


def test_a_200_mb_file_is_skipped_without_being_read(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    with (tmp_path / "dump.sql").open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MB to stat, nothing on disk
    started = time.perf_counter()
    doc, _ = extract(tmp_path, tmp_path / ".ddd")
    assert time.perf_counter() - started < 60
    assert skipped(doc)["dump.sql"] == f"larger than 1000000 bytes ({200 * 1024 * 1024})"
    assert [s["name"] for s in doc["services"]] == ["api"]


def test_a_100000_line_file_is_read_with_exact_citations(tmp_path: Path) -> None:
    lines = ["import os", *(f"x{i}=0" for i in range(2, 100_000))]
    lines.append('PORT = int(os.getenv("PORT", "8080"))')
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "settings.py").write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    assert (repo / "settings.py").stat().st_size < 1_000_000  # read under the default limit
    doc, _ = extract(repo, tmp_path / "out")
    took = time.perf_counter() - started
    print(f"100,000-line file: {took:.1f}s")
    assert doc["run"]["files_scanned"] == 1
    (port,) = [f for f in doc["facts"] if f["id"].endswith(":PORT")]
    assert port["citations"][0]["start_line"] == 100_000
    assert port["verification"]["status"] == "verified"
    assert took < 120


def test_paths_with_spaces_and_non_ascii_names(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    folder = repo / "deploy dir" / "über café"
    folder.mkdir(parents=True)
    (folder / "docker-compose.yml").write_text(COMPOSE)
    (repo / "naïve notes.md").write_text("# Notes\n\nRun `docker compose up`.\n")
    bad_name = os.fsencode(repo) + b"/caf\xe9-latin1.yml"  # not valid UTF-8
    with open(bad_name, "wb") as handle:
        handle.write(b"x: 1\n")
    out = tmp_path / "out"
    doc, _ = extract(repo, out)
    paths = {c["path"] for f in doc["facts"] for c in f["citations"]}
    assert "deploy dir/über café/docker-compose.yml" in paths
    assert all(f["verification"]["status"] != "contradicted" for f in doc["facts"])
    why = skipped(doc)
    assert why["caf\ufffd-latin1.yml"].startswith("file name is not valid UTF-8")
    assert "über café" in outputs(out)


@pytest.mark.parametrize("name", ["docker-compose.yml", "settings.py", "Dockerfile"])
def test_redacted_text_keeps_every_line(name: str) -> None:
    text = "a: 1\r\nPASSWORD='x9x9x9x9'\rb\n-----BEGIN RSA PRIVATE KEY-----\nAAA\r\nBBB\n"
    text += "-----END RSA PRIVATE KEY-----\n\ntoken = 'ghp_" + "a1" * 20 + "'\n"
    redacted = redact_text(text, name).text
    assert redacted.count("\n") == text.count("\n")
    assert redacted.count("\r") == text.count("\r")
    assert "x9x9x9x9" not in redacted and "AAA" not in redacted and "a1a1" not in redacted
