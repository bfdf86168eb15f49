"""A synthetic organisation: N small generated repositories, and replay cassettes for them.

Each repository is a docker-compose system (an API, sometimes a worker and a database)
whose health checks, limits and settings vary with its number, so the readiness scores
of the organisation differ. `record_cassettes` answers every request an extraction
would make (the answers cite the settings read in each excerpt), so the batch can run
with `--llm replay` and no model.

    python -m benchmarks.synth_org DEST [N]
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ddd_llm.config import ExtractOptions

INTRO_FACT = re.compile(r"^- id: (\S+) \|", re.MULTILINE)
READ = re.compile(r"^\s*(\d+) \| .*os\.getenv\(\"(\w+)\", \"(\w*)\"\)", re.MULTILINE)


def _compose(i: int) -> str:
    healthy = i % 3 != 0
    with_worker = i % 2 == 0
    with_db = i % 4 != 1
    lines = ["services:", "  api:", "    build: ./api", "    environment:"]
    lines += [
        f'      API_WORKERS: "{1 + i % 4}"',
        f"      API_LOG_LEVEL: {'debug' if i % 5 else 'info'}",
    ]
    lines += ["    ports:", f'      - "{8000 + i}:8000"']
    if with_db:
        lines += ["    depends_on:", "      db:", "        condition: service_healthy"]
    if healthy:
        lines += [
            "    healthcheck:",
            "      test: curl -fsS http://127.0.0.1:8000/healthz || exit 1",
            f"      interval: {10 + i % 20}s",
            "      timeout: 3s",
            "      retries: 3",
        ]
    if i % 3 == 1:
        lines += [
            "    deploy:",
            "      resources:",
            "        limits:",
            f"          memory: {128 * (1 + i % 4)}M",
            '          cpus: "0.5"',
        ]
    if with_worker:
        lines += ["  worker:", "    build: ./api", "    command: python -m app.worker"]
        lines += ["    environment:", f'      WORKER_QUEUE: "jobs-{i}"']
    if with_db:
        lines += [
            "  db:",
            "    image: postgres:16",
            "    volumes:",
            "      - dbdata:/var/lib/postgresql/data",
            "    healthcheck:",
            "      test: pg_isready -U app",
            "      interval: 10s",
            "volumes:",
            "  dbdata: {}",
        ]
    return "\n".join(lines) + "\n"


def _settings(i: int) -> str:
    names = ["API_PORT", "API_TIMEOUT_S", "API_POOL_SIZE", "API_CACHE_TTL", "API_REGION"]
    body = ['"""Settings of the API, from the environment."""', "", "import os", ""]
    for k, name in enumerate(names[: 2 + i % 4]):
        body.append(f'{name.lower()} = os.getenv("{name}", "{(i + 1) * (k + 3)}")')
    return "\n".join(body) + "\n"


def _app(i: int) -> str:
    route = '@app.get("/healthz")\ndef healthz() -> dict:\n    return {"ok": True}\n'
    return (
        '"""The API."""\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n'
        + (route if i % 3 != 0 else "")
        + f'\n\n@app.get("/items/{{item_id}}")\ndef item(item_id: int) -> dict:\n'
        f'    return {{"id": item_id, "shard": {i}}}\n'
    )


def _dockerfile(i: int) -> str:
    health = "HEALTHCHECK CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1\n"
    return (
        "FROM python:3.12-slim\nWORKDIR /srv\nCOPY . .\nRUN pip install fastapi uvicorn\n"
        + "EXPOSE 8000\n"
        + (health if i % 6 == 2 else "")
        + 'CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]\n'
    )


def make_repo(root: Path, i: int) -> Path:
    """Repository number `i` of the organisation, at `root` (created)."""
    files = {
        "docker-compose.yml": _compose(i),
        "api/Dockerfile": _dockerfile(i),
        "api/app/__init__.py": "",
        "api/app/settings.py": _settings(i),
        "api/app/main.py": _app(i),
        "README.md": f"# service-{i:03d}\n\nStart with `docker compose up -d`.\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def generate(dest: Path, n: int = 50) -> list[Path]:
    """`n` repositories under `dest` (dest/service-000 …)."""
    dest.mkdir(parents=True, exist_ok=True)
    return [make_repo(dest / f"service-{i:03d}", i) for i in range(n)]


def answer(user_text: str) -> dict[str, Any]:
    """A valid config_parameter answer for an excerpt: one item per os.getenv it shows (and,
    for a runbook section's introduction, a sentence citing its first fact)."""
    if "<<<FACTS" in user_text:
        ids = INTRO_FACT.findall(user_text)
        return {
            "text": "What this section checks, from the facts below.",
            "cited_fact_ids": ids[:1],
        }
    items = [
        {
            "summary": f"{name} setting",
            "start_line": int(line),
            "end_line": int(line),
            "name": name,
            "value_type": "int" if default.isdigit() else "string",
            "default": default,
        }
        for line, name, default in READ.findall(user_text)
    ]
    return {"items": items}


def answer_chat(body: dict[str, Any]) -> dict[str, Any]:
    """For a fake OpenAI-compatible server: the tool call's arguments for a chat request, by
    the response model it asks for (instructor's TOOLS mode names the tool after it)."""
    from ddd_llm.llm.schemas import RESPONSE_MODELS

    tools = body.get("tools") or []
    tool = str(tools[0]["function"]["name"]) if tools else ""
    text = "\n".join(str(m.get("content") or "") for m in body.get("messages", []))
    if tool == RESPONSE_MODELS["config_parameter"].__name__ or "<<<FACTS" in text:
        return answer(text)
    return {"items": []}


def record_cassettes(repos: Sequence[Path], folder: Path, options: Any = None) -> int:
    """Write a cassette for every request `ddd-llm extract --llm replay` would make on each
    repository (with the same options); returns how many."""
    from dataclasses import replace

    from ddd_llm.llm import Completion, ProviderSettings
    from ddd_llm.llm.replay import write_cassette
    from ddd_llm.pipeline import dry_run

    folder.mkdir(parents=True, exist_ok=True)
    base = options or ExtractOptions(index=False)
    written = 0
    with tempfile.TemporaryDirectory() as scratch:
        for k, repo in enumerate(repos):
            opts = replace(
                base,
                llm="replay",
                provider_settings=ProviderSettings(cassettes=str(folder)),
                out_dir=Path(scratch) / str(k),
            )
            plan, _model = dry_run(repo, opts)
            for planned in plan.calls:
                text = "\n".join(m["content"] for m in planned.request.messages)
                data = answer(text) if planned.kind == "config_parameter" else {"items": []}
                write_cassette(folder, planned.request, Completion(data=data), "synthetic")
                written += 1
    return written


def main(argv: Sequence[str] = sys.argv[1:]) -> None:
    dest = Path(argv[0]) if argv else Path("synthetic-org")
    n = int(argv[1]) if len(argv) > 1 else 50
    repos = generate(dest / "repos", n)
    count = record_cassettes(repos, dest / "cassettes")
    print(
        f"{len(repos)} repositories in {dest / 'repos'}, {count} cassettes in {dest / 'cassettes'}"
        " (extraction requests of --no-index runs; add --no-prose)"
    )


if __name__ == "__main__":
    main()
