"""Scan stage: what is read, what is skipped and why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ddd_llm.errors import InputError
from ddd_llm.scan.scanner import scan


def write(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def reasons(result: object) -> dict[str, str]:
    return {s.path: s.reason for s in result.skipped}  # type: ignore[attr-defined]


def test_gitignore_nested_and_negated(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.log\nbuild/\n!keep.log\n")
    write(tmp_path, "app.py", "x = 1\n")
    write(tmp_path, "debug.log", "noise\n")
    write(tmp_path, "keep.log", "kept\n")
    write(tmp_path, "build/out.py", "y = 2\n")
    write(tmp_path, "sub/.gitignore", "local.txt\n")
    write(tmp_path, "sub/local.txt", "ignored\n")
    write(tmp_path, "sub/other.txt", "kept\n")
    write(tmp_path, "other/local.txt", "not ignored here\n")
    result = scan(tmp_path)
    read = {f.path for f in result.files}
    assert {"app.py", "keep.log", "sub/other.txt", "other/local.txt"} <= read
    assert "debug.log" not in read and "sub/local.txt" not in read
    why = reasons(result)
    assert why["debug.log"] == "ignored by .gitignore"
    assert why["build/"] == "ignored by .gitignore"
    assert why["sub/local.txt"] == "ignored by .gitignore"


def test_vendored_binary_large_and_secret_files_are_reported(tmp_path: Path) -> None:
    write(tmp_path, "node_modules/lib/index.js", "module.exports = 1\n")
    write(tmp_path, "vendor/x.go", "package x\n")
    write(tmp_path, ".venv/lib/site.py", "z = 1\n")
    write(tmp_path, "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    write(tmp_path, "config.yaml", b"\x00\x01\x02binary pretending to be yaml\x00")
    write(tmp_path, "huge.txt", "a" * 2_000)
    write(tmp_path, ".env", "DB_PASSWORD=hunter2\n")
    write(tmp_path, ".env.example", "DB_PASSWORD=changeme\n")
    write(tmp_path, ".ddd/facts.json", "{}")
    result = scan(tmp_path, max_bytes=1_000)
    why = reasons(result)
    assert why["node_modules/"] == "vendored or generated directory"
    assert why["vendor/"] == "vendored or generated directory"
    assert why[".venv/"] == "vendored or generated directory"
    assert why["logo.png"] == "binary file type"
    assert why["config.yaml"] == "binary content"
    assert why["huge.txt"].startswith("larger than 1000 bytes")
    assert why[".env"].startswith("may hold live secrets")
    assert [f.path for f in result.files] == [".env.example"]
    assert not any(p.startswith(".ddd") for p in why)


def test_non_utf8_is_read_with_a_warning_naming_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "notes.txt", b"line one\nline two caf\xe9\nline three\n")
    result = scan(tmp_path)
    assert [f.path for f in result.files] == ["notes.txt"]
    assert "\ufffd" in result.files[0].text
    (warning,) = result.warnings
    assert (warning.path, warning.line) == ("notes.txt", 2)
    assert "UTF-8" in warning.message


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret outside the repo\n")
    repo = tmp_path / "repo"
    write(repo, "a.txt", "inside\n")
    os.symlink(outside, repo / "escape.txt")
    os.symlink(repo / "missing", repo / "broken.txt")
    os.symlink(repo, repo / "loop")
    result = scan(repo)
    assert [f.path for f in result.files] == ["a.txt"]
    why = reasons(result)
    assert why["escape.txt"] == why["broken.txt"] == why["loop"] == "symlink (not followed)"


def test_unreadable_file_is_skipped_with_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "private.conf", "x=1\n")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user that can read mode-000 files (root)")
        result = scan(tmp_path)
        assert reasons(result)["private.conf"].startswith("not readable")
    finally:
        path.chmod(0o644)


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        scan(tmp_path / "nope")
    file = write(tmp_path, "f.txt", "x")
    with pytest.raises(InputError, match="not a directory"):
        scan(file)


def test_content_hash_changes_with_content(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "one\n")
    first = scan(tmp_path).files[0].sha256
    write(tmp_path, "a.txt", "two\n")
    assert scan(tmp_path).files[0].sha256 != first
