"""Secrets planted in a realistic repository never reach a model, the index or an artifact.

`extract` runs against a scripted OpenAI-compatible server on loopback that keeps every
request body and echoes back, as config defaults, the values it was shown; the vector index
is built (chroma's sqlite files are grepped as bytes) and answers are recorded as cassettes.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ddd_llm.cli.app import app
from tests.conftest import FIXTURES
from tests.fake_openai import FakeOpenAI, tool_name, user_text

FIXTURE = FIXTURES / "planted-secrets"
runner = CliRunner()

PLANTED: dict[str, tuple[str, ...]] = {
    # Not read at all (`.env`, `*.pem`): they must still never appear anywhere.
    ".env postgres password": ("Lv3-envfile-pg-Q7rT2wX9",),
    ".env api token": ("envfile-tok-8HkP3mZq1RvX",),
    # compose environment
    "compose DATABASE_URL password": ("c0mp0se-Db-Pw-5521",),
    "compose ORDERS_API_TOKEN": ("cmp-tok-p5YwfrySu6e0UaMuDBGT1jg2",),
    "compose REDIS_URL password": ("r3d1s-Cmp-Pass-77",),
    "compose WORKER_SECRET": ("wrk-sec-lsvVMWwBTWvOL9lj15WNhzRO",),
    "compose POSTGRES_PASSWORD": ("pg-Cmp-Root-3391x",),
    # Kubernetes Secret and ConfigMap manifests
    "k8s Secret data db-password": ("azhzLWRiLVB3LWJhc2U2NC05OTE=",),
    "k8s Secret data stripe-key": ("c2tfbGl2ZV9mWExKM3BER3FQdXBDQ21jeWQ0ZjNqSVI=",),
    "k8s Secret stringData smtp-login": ("k8s-smtp-Pw-GPK1h8MMA5zH",),
    "k8s ConfigMap CACHE_URL password": ("cM-r3dis-Pass-4410",),
    "k8s ConfigMap PAYMENTS_API_KEY": ("cm-key-nB2gHLdO38wnYGNiGUVEAwLB",),
    "k8s env ADMIN_PASSWORD value": ("k8s-inline-Adm1n-Pw-604",),
    # settings.py defaults and literals
    "settings SECRET_KEY default": ("django-insecure-Zq81pLm4XvB7wNc2",),
    "settings DATABASE_PASSWORD default": ("settings-Db-Pw-0042",),
    "settings Stripe live key": ("sk_live_fXLJ3pDGqPupCCmcyd4f3jIR",),
    "settings high-entropy string": ("DCwffCE5RrHbNU72rzoZ8kTq3WmYv1Lx",),
    # Dockerfile
    "Dockerfile ARG NPM_TOKEN": ("npm_GPK1h8MMA5zHjLvIlrjnmSrlqieZ4PeWNBFe",),
    "Dockerfile ENV signing secret": ("dockerfile-Sgn-Sec-7781",),
    # config.yaml
    "config.yaml database URL password": ("cfg-Yaml-Db-Pass-2208",),
    "config.yaml Slack webhook": ("q2X7nB4mLp9Rz6Tv1Ke8Hs3W",),
    # README
    "README AWS access key id": ("AKIAJBPUZ8XONGJQXW7X",),
    "README AWS secret access key": ("Av//XTBbjoQ/n+v80v7Muf9Tv1nJBpFCHfg98LkE",),
    # shell script
    "deploy.sh GitHub token": ("ghp_GPK1h8MMA5zHjLvIlrjnmSrlqieZ4PeWNBFe",),
    "deploy.sh bearer token": ("tr4ck3r.eyJzdWIiOiJkZXBsb3kifQ.Qm3LpR7tYw2KbN9cVf4HgJ6s",),
    "deploy.sh curl -u password": ("sh-Curl-Pw-9913",),
    # systemd unit
    "systemd Environment WORKER_PASSWORD": ("unit-Wrk-Pw-3318",),
}
"""Name → the strings that must never leave (every one of them)."""

PEM_FILES = ("deploy/signing/release_signing_key", "deploy/tls/server.pem", "k8s/secret.yaml")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\n(.*?)-----END", re.DOTALL)


def planted() -> dict[str, tuple[str, ...]]:
    """PLANTED plus each private key, whose every base64 line counts (read from the fixture)."""
    out = dict(PLANTED)
    for rel in PEM_FILES:
        (body,) = _PEM.findall((FIXTURE / rel).read_text())
        out[f"private key in {rel}"] = tuple(ln.strip() for ln in body.splitlines() if ln.strip())
    return out


def locations(value: str) -> list[tuple[str, int]]:
    """(path, line) of every occurrence of `value` in the fixture."""
    found = []
    for path in sorted(p for p in FIXTURE.rglob("*") if p.is_file()):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if value in line:
                found.append((path.relative_to(FIXTURE).as_posix(), number))
    return found


def echo(body: dict[str, Any]) -> dict[str, Any]:
    """A careless model: every `NAME: value` / `NAME=value` line it is shown comes back."""
    if "onfig" not in tool_name(body):
        return {"items": []}
    items = []
    for number, name, value in re.findall(
        r"^\s*(\d+) \| .*?\b([A-Za-z_][\w.-]*)\s*[:=]\s*\"?([^\s\"]+)", user_text(body), re.M
    ):
        items.append(
            {
                "summary": f"{name} is set",
                "start_line": int(number),
                "end_line": int(number),
                "name": name,
                "value_type": "string",
                "default": value,
            }
        )
    return {"items": items[:20]}


def all_bytes(folder: Path) -> list[tuple[str, bytes]]:
    return [(str(p), p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()]


@pytest.mark.slow
def test_planted_secrets_never_leave(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = planted()
    for name, values in secrets.items():
        for value in values:
            assert locations(value), f"{name}: {value!r} is not in the fixture any more"

    # What the operator's review command reports: every planted secret by path and line.
    listed = runner.invoke(app, ["scan-secrets", str(FIXTURE), "--json"])
    assert listed.exit_code == 0, listed.output
    report = json.loads(listed.stdout)
    flagged = {
        (f["path"], n) for f in report["findings"] for n in range(f["line"], f["end_line"] + 1)
    }
    not_read = {s["path"] for s in report["not_read"]}
    found = {
        name
        for name, values in secrets.items()
        if all(p in not_read or (p, n) in flagged for v in values for p, n in locations(v))
    }

    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    work = tmp_path / "work"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    with FakeOpenAI(answer=echo) as server:
        result = runner.invoke(
            app,
            [
                "extract",
                str(repo),
                "--out",
                str(work / "out"),
                "--llm",
                "openai",
                "--base-url",
                server.base_url,
                "--model",
                "fake-model",
                "--record",
                str(work / "cassettes"),
                "--cache-dir",
                str(work / "cache"),
                "--concurrency",
                "2",
                # every excerpt is sent (no total prompt budget): the check needs the
                # redacted names to reach the model
                "--prompt-share",
                "0",
            ],
        )
        requests = [json.dumps(body, ensure_ascii=False) for body in server.requests]
    assert result.exit_code == 0, result.output
    assert requests, "the model was never asked: nothing was checked"
    outputs = all_bytes(work)
    assert any("index" in path and path.endswith(".sqlite3") for path, _ in outputs)

    leaked: dict[str, list[str]] = {}
    for name, values in secrets.items():
        for value in values:
            where = [f"request {i}" for i, body in enumerate(requests) if value in body]
            where += [path for path, data in outputs if value.encode() in data]
            where += ["terminal output"] if value in result.output else []
            if where:
                leaked.setdefault(name, []).extend(where)
    print(f"planted {len(secrets)} · found {len(found)} · leaked {len(leaked)}")
    for name in sorted(set(secrets) - found):
        print(f"  not reported by scan-secrets: {name}")
    for name, where in leaked.items():
        print(f"  LEAKED {name}: {sorted(set(where))[:5]}")

    # The grep can fail: the names around the secrets did reach the model and the outputs.
    joined = "\n".join(requests)
    assert "POSTGRES_PASSWORD" in joined and "[REDACTED]" in joined
    assert any(b"ORDERS_API_TOKEN" in data for _, data in outputs)
    assert not leaked
    assert found == set(secrets)
