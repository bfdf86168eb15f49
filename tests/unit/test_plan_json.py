"""OUT/plan.json (docs/plan-json.md): what --dry-run and extract plan to ask, for benchmarks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ddd_llm.cli.app import app
from ddd_llm.config import ExtractOptions
from ddd_llm.pipeline import PLAN_FILE, dry_run

# Adapted from hagopj13/node-express-boilerplate: .env.example, docker-compose.yml, LICENSE
# and a lock file, plus a bundled library.
REPO = {
    ".env.example": "# Port number\nPORT=3000\n\n# URL of the Mongo DB\n"
    "MONGODB_URL=mongodb://127.0.0.1:27017/node-boilerplate\n\n"
    "# JWT\n# Number of minutes after which an access token expires\n"
    "JWT_ACCESS_EXPIRATION_MINUTES=30\n",
    "docker-compose.yml": "version: '3'\nservices:\n  node-app:\n    build: .\n"
    "    image: node-app\n    environment:\n      - MONGODB_URL=mongodb://mongodb:27017/node-boilerplate\n"
    "    ports:\n      - '3000:3000'\n    depends_on:\n      - mongodb\n"
    "  mongodb:\n    image: mongo:4.2.1-bionic\n    ports:\n      - '27017:27017'\n",
    "package.json": '{\n  "name": "create-nodejs-express-app",\n  "scripts": {"start": '
    '"pm2 start ecosystem.config.json --no-daemon"}\n}\n',
    "package-lock.json": '{\n  "name": "create-nodejs-express-app",\n  "lockfileVersion": 3,\n'
    '  "packages": {"node_modules/express": {"version": "4.18.2"}}\n}\n',
    "LICENSE": "MIT License\n\nCopyright (c) 2019 Hagop Jamkojian\n",
    # An env read whose name is computed: a candidate region, asked about.
    "src/config/setting.js": "const prefix = 'APP_';\n\nfunction setting(name) {\n"
    "  return process.env[prefix + name];\n}\n\nmodule.exports = { setting };\n",
    "public/js/lib.min.js": "!function(e){e.PORT=8080}(window);" * 50 + "\n",
}


def make_repo(root: Path) -> Path:
    for rel, text in REPO.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def options(out: Path) -> ExtractOptions:
    return ExtractOptions(out_dir=out, index=False, llm="none", max_chunks_per_kind=20)


def test_dry_run_writes_every_request_with_its_lines_and_tokens(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    out = tmp_path / "out"
    planned, _model = dry_run(repo, options(out))
    doc: dict[str, Any] = json.loads((out / PLAN_FILE).read_text())
    assert doc["format"] == 1
    requests = doc["requests"]
    assert len(requests) == len(planned.calls) > 0
    for r in requests:
        assert set(r) >= {"kind", "path", "start_line", "end_line", "prompt_tokens", "source"}
        assert 1 <= r["start_line"] <= r["end_line"]
        assert r["prompt_tokens"] > r["excerpt_tokens"] > 0
        assert r["path"] not in {"package-lock.json", "LICENSE", "public/js/lib.min.js"}
    assert ("config_parameter", "src/config/setting.js", "candidate") in {
        (r["kind"], r["path"], r["source"]) for r in requests
    }
    assert ("config_parameter", ".env.example") in {(r["kind"], r["path"]) for r in requests}
    assert doc["prompt_tokens"] == sum(r["prompt_tokens"] for r in requests)
    assert doc["prompt_budget"] is None  # the library's default: no total cap
    assert {d["reason"] for d in doc["dropped"]} <= {"max_chunks"}
    assert doc["repository_tokens"] > doc["shown_tokens"] > 0
    excluded = {e["file"]: e["category"] for e in doc["excluded"]}
    assert excluded == {
        "package-lock.json": "lock",
        "LICENSE": "license",
        "public/js/lib.min.js": "minified",
    }
    assert set(doc["candidates"]) == set(planned.prompt_versions)


def test_the_benchmark_reader_finds_exactly_the_requests(tmp_path: Path) -> None:
    real_score = pytest.importorskip("ddd_llm.evals.real_score")
    repo = make_repo(tmp_path / "repo")
    planned, _model = dry_run(repo, options(tmp_path / "out"))
    excerpts = real_score.load_plan(tmp_path / "out")
    assert sorted((e.kind, e.path, e.start_line, e.end_line) for e in excerpts) == sorted(
        (p.kind, p.chunk.path, p.chunk.start_line, p.chunk.end_line) for p in planned.calls
    )


def test_cli_dry_run_reports_candidates_and_exclusions(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["extract", str(repo), "--dry-run", "--no-index", "--llm", "none", "--max-chunks", "5"]
        + ["--out", str(out), "--exclude", "docker-compose.yml", "--prompt-share", "0.3"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    text = result.output
    assert "candidate regions: 1" in text and "could not fit 0" in text
    assert "not sent:" in text and "--prompt-share" in text
    doc = json.loads((out / PLAN_FILE).read_text())
    assert doc["prompt_tokens"] <= doc["prompt_budget"]
    assert ("config_parameter", "src/config/setting.js", "candidate") in {
        (r["kind"], r["path"], r["source"]) for r in doc["requests"]
    }
    for d in doc["dropped"]:
        assert not {"path", "start_line", "end_line"} & set(d)  # never read as a request
        assert d["reason"] in {"decoded", "budget", "max_chunks"}
    assert "not shown to the model:" in text
    assert "1 lock file" in text and "1 license text" in text and "1 excluded" in text
    assert "docker-compose.yml" not in {r["path"] for r in doc["requests"]}
    assert {"file": "docker-compose.yml", "category": "excluded"}.items() <= next(
        e for e in doc["excluded"] if e["file"] == "docker-compose.yml"
    ).items()
