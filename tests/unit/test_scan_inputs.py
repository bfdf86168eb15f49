"""The cheap half of a scan: the same files and digests as `scan`, and an empty folder refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddd_llm.errors import InputError
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
