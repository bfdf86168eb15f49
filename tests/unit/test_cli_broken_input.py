"""A repository full of bad files: the run finishes, and every problem names its file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ddd_llm.cli.app import app

runner = CliRunner()


def make_broken_repo(root: Path) -> None:
    files: dict[str, bytes] = {
        "docker-compose.yml": b'services:\n  api:\n    image: api:1\n    ports: ["8080:80"\n',
        "deploy/compose.yaml": b"version: '3.8'\nvolumes:\n  data: {}\n",
        "Dockerfile": b"",
        "k8s/app.yaml": b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: 7\n",
        "units/agent.service": b"[Service]\nWatchdogSec=soon\nthis line is garbage\n",
        "notes/latin1.md": b"# Caf\xe9 notes\n\nPORT is 8080\n",
        "config/values.yaml": b"\x00\x01\x02\x03binary with a yaml name\x00",
        "app/settings.py": b"def broken(:\n    pass\n",
        "web/server.js": b"const port = process.env.PORT || 3000;\napp.get('/healthz', h);\n",
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_bad_files_are_warnings_naming_the_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    make_broken_repo(repo)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["extract", str(repo), "--out", str(out), "--no-index", "--llm", "none"]
    )
    assert result.exit_code == 0, result.output
    raw = json.loads((out / "facts.json").read_text())
    warned = {w["path"]: w for w in raw["run"]["warnings"]}
    skipped = {s["path"]: s["reason"] for s in raw["run"]["skipped"]}
    assert warned["docker-compose.yml"]["line"] is not None  # broken YAML, with its line
    assert "services" in warned["deploy/compose.yaml"]["message"]
    assert "Dockerfile" in warned
    assert "k8s/app.yaml" in warned
    assert warned["units/agent.service"]["line"] == 2
    assert (
        warned["notes/latin1.md"]["line"] == 1 and "UTF-8" in warned["notes/latin1.md"]["message"]
    )
    assert skipped["config/values.yaml"] == "binary content"
    assert warned["app/settings.py"]["line"] == 1
    # The good file in the same repo still gave its facts.
    ids = {f["id"] for f in raw["facts"]}
    assert any(i.startswith("config_parameter:") and i.endswith(":PORT") for i in ids)
    # Warnings are shown to the user too, each naming its file.
    assert "docker-compose.yml" in result.output
