"""The cheap half of a scan: the same files and digests as `scan`, and an empty folder refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ddd_llm.errors import InputError
from ddd_llm.scan import known, scanner
from ddd_llm.scan.scanner import input_digests, require_readable, scan


def test_input_digests_are_the_scanned_files_digests(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.py").write_text('API_TOKEN = "s3cr3t-value-1234567890"\n')
    (tmp_path / "README.md").write_text("# Shop\n")
    (tmp_path / ".env").write_text("PASSWORD=hunter2\n")  # never read
    (tmp_path / "logo.png").write_bytes(b"\x89PNG")
    (tmp_path / ".gitignore").write_text("build/\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "out.txt").write_text("generated\n")
    scanned = scan(tmp_path)
    assert input_digests(tmp_path) == [(f.path, f.sha256) for f in scanned.files]
    assert {p for p, _ in input_digests(tmp_path)} == {".gitignore", "README.md", "app/settings.py"}
    require_readable(tmp_path)  # one readable file is enough


def test_a_folder_without_a_readable_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x00" * 10)
    with pytest.raises(InputError) as caught:
        require_readable(tmp_path)
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        f"nothing to read in {tmp_path}: no readable text file (1 skipped) — "
        "point ddd-llm at a repository"
    )


def _digest_of(digests: list[tuple[str, str]], path: str) -> str:
    return dict(digests)[path]


def test_remembered_digests_spare_reads_until_a_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, out = tmp_path / "repo", tmp_path / "out"
    repo.mkdir()
    out.mkdir()
    (repo / "a.conf").write_text("port 6379\n")
    (repo / "b.conf").write_text("maxmemory 1gb\n")
    before = input_digests(repo)
    # As if the scan had started after these files were written (a real run's files are
    # older than its scan; files written in the same instant are never remembered).
    assert known.remember(out, repo, before, known.now_ns() + 10 * 10**9) == 2
    reads: list[str] = []
    real_read = scanner._read

    def counting(path: Path, max_bytes: int) -> bytes | str:
        reads.append(path.name)
        return real_read(path, max_bytes)

    monkeypatch.setattr(scanner, "_read", counting)
    remembered = known.recall(out, repo)
    assert input_digests(repo, known=remembered) == before
    assert reads == []  # nothing read: every stat is the remembered one

    # Same size, same modification time, other bytes: the inode change time tells.
    stat_before = (repo / "b.conf").stat()
    (repo / "b.conf").write_text("maxmemory 2gb\n")
    os.utime(repo / "b.conf", ns=(stat_before.st_atime_ns, stat_before.st_mtime_ns))
    after = input_digests(repo, known=remembered)
    assert reads == ["b.conf"]
    assert _digest_of(after, "a.conf") == _digest_of(before, "a.conf")
    assert _digest_of(after, "b.conf") != _digest_of(before, "b.conf")
    assert after == input_digests(repo)  # the same as hashing everything


def test_files_changed_during_a_scan_are_not_remembered(tmp_path: Path) -> None:
    (tmp_path / "a.conf").write_text("port 6379\n")
    digests = input_digests(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    # The file's inode changed after (or too close to) the scan's start: not trusted.
    assert known.remember(out, tmp_path, digests, known.now_ns() - 10**9) == 0
    assert known.recall(out, tmp_path) == {}
    # Remembered for one folder, never used for another.
    known.remember(out, tmp_path, digests, known.now_ns() + 10 * 10**9)
    assert set(known.recall(out, tmp_path)) == {"a.conf"}
    assert known.recall(out, tmp_path / "out") == {}
    (out / known.KNOWN_FILE).write_text("{not json")
    assert known.recall(out, tmp_path) == {}
