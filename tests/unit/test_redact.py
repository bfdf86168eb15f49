"""Redaction: what is masked, what is left alone, and that every line stays where it was."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ddd_llm.cli.app import app
from ddd_llm.models import Citation, ConfigParameter
from ddd_llm.scan.redact import MASK, mark_redacted, redact, redact_text, secret_name
from ddd_llm.scan.text import split_lines

runner = CliRunner()

MASKED = [
    ("app/.env.example", "DB_PASSWORD=hunter2-local\n", "hunter2-local", "DB_PASSWORD="),
    ("config.yaml", "db:\n  password: 'pa ss w0rd'\n", "pa ss w0rd", "password:"),
    ("config.yaml", "auth:\n  clientSecret: abcdefgh1234\n", "abcdefgh1234", "clientSecret"),
    ("app.py", 'API_KEY = "k-9f8e7d6c5b"\n', "k-9f8e7d6c5b", "API_KEY"),
    ("app.py", 'SECRET_KEY = os.environ.get("SECRET_KEY", "dev-k3y-zz")\n', "dev-k3y-zz", "get("),
    ("app.py", 'db_password: str = "pg-pass-42"\n', "pg-pass-42", "db_password: str"),
    ("main.go", 'flag.String("db-password", "go-pw-771", "database password")\n', "go-pw-771", ""),
    ("app.js", 'const cfg = {"apiToken": "js-tok-5521"};\n', "js-tok-5521", "apiToken"),
    ("Dockerfile", "ENV ACCESS_TOKEN tok-docker-8812\n", "tok-docker-8812", "ENV ACCESS_TOKEN"),
    ("x.service", "[Service]\nEnvironment=WORKER_PASSWORD=unit-pw-3\n", "unit-pw-3", "WORKER_"),
    ("settings.xml", "<password>xml-pw-6612</password>\n", "xml-pw-6612", "<password>"),
    ("task.json", '{"name": "DB_PASSWORD", "value": "ecs-pw-1"}\n', "ecs-pw-1", '"value"'),
    ("k8s/app.yaml", "env:\n  - name: API_TOKEN\n    value: k8s-tok-77\n", "k8s-tok-77", "name"),
    ("c.yaml", "url: postgresql://app:S3cr3tPass@db:5432/app\n", "S3cr3tPass", "app:"),
    ("c.yaml", "cache: redis://:r3dis-pw@redis:6379/0\n", "r3dis-pw", "redis://:"),
    ("README.md", "key id AKIAJBPUZ8XONGJQXW7X here\n", "AKIAJBPUZ8XONGJQXW7X", "key id"),
    ("x.sh", "export GH=ghp_" + "aB3" * 12 + "\n", "aB3aB3", "export GH="),
    ("x.sh", 'curl -H "Authorization: Bearer abc.def.ghi-123456" u\n', "abc.def.ghi", "Bearer "),
    ("x.sh", "curl -u deployer:sh-pw-9913 https://x\n", "sh-pw-9913", "deployer:"),
    ("x.py", 'STRIPE = "sk_live_' + "4eC39HqLyjWDarjtT1zdp7dc" + '"\n', "4eC39HqLyj", "STRIPE"),
    ("x.py", 'SEED = "Zx8vQm3LpR7tYw2KbN9cVf4HgJ6sDa1E"\n', "Zx8vQm3LpR7t", "SEED"),
    (
        "a.yaml",
        "hook: https://hooks.slack.com/services/T0/B0/q2X7nB4mLp9Rz6Tv1Ke8Hs3W\n",
        "q2X7",
        "",
    ),
    ("values.yaml", "tls:\n  private_key: |\n    line-one-s3cret\n    line-two\n", "s3cret", "|"),
]


@pytest.mark.parametrize(("path", "text", "secret", "kept"), MASKED)
def test_secret_is_masked_and_its_name_kept(path: str, text: str, secret: str, kept: str) -> None:
    redacted = redact_text(text, path)
    assert secret not in redacted.text
    assert MASK in redacted.text
    assert kept in redacted.text
    assert len(split_lines(redacted.text)) == len(split_lines(text))
    assert redacted.findings and all(f.line >= 1 for f in redacted.findings)


LEFT_ALONE = [
    ("docker-compose.yml", "environment:\n  DB_PASSWORD: ${DB_PASSWORD}\n"),
    ("main.yml", 'dsn: "postgresql://app:{{ vault_db_password }}@db/app"\n'),
    ("x.env.example", "API_TOKEN=<your-token>\nDB_PASSWORD=\n"),
    ("x.env.example", "DB_PASSWORD_FILE=/run/secrets/db\n"),
    ("k8s.yaml", "secretKeyRef:\n  name: db-secret\n  key: password\nsecretName: tls\n"),
    ("k8s.yaml", "selector:\n  key: app\n"),
    ("README.md", "# Use a URL-safe password: fraud embeds it in REDIS_URL.\n"),
    ("Dockerfile", "FROM python@sha256:" + "ab12" * 16 + "\n"),
    ("a.yaml", "id: 123e4567-e89b-12d3-a456-426614174000\n"),
    ("app.py", 'password = request.form["password"]\nif token is None:\n    pass\n'),
    ("app.py", "def login(password: str) -> bool:\n    return check(password)\n"),
    ("package-lock.json", '"integrity": "sha512-Zx8vQm3LpR7tYw2KbN9cVf4HgJ6sDa1E0aBcD"\n'),
]


@pytest.mark.parametrize(("path", "text"), LEFT_ALONE)
def test_references_and_names_are_not_secrets(path: str, text: str) -> None:
    assert redact(text, path) == text


def test_private_key_body_is_masked_markers_and_lines_kept() -> None:
    body = [f"MIIE{i:02d}" + "Ab9" * 20 for i in range(5)]
    text = "key: |\n  -----BEGIN RSA PRIVATE KEY-----\n"
    text += "".join(f"  {line}\n" for line in body) + "  -----END RSA PRIVATE KEY-----\nx: 1\n"
    redacted = redact_text(text, "values.yaml")
    assert not any(line in redacted.text for line in body)
    assert "-----BEGIN RSA PRIVATE KEY-----" in redacted.text
    assert split_lines(redacted.text)[2] == f"  {MASK}"  # indentation kept: still valid YAML
    assert yaml.safe_load(redacted.text)["x"] == 1
    ((first, last),) = [(f.line, f.end_line) for f in redacted.findings]
    assert (first, last) == (3, 7)


def test_masked_yaml_values_stay_strings() -> None:
    text = "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: pg-root-3391\n"
    text += "      OTHER: {API_TOKEN: tok-in-flow-1}\n"
    doc = yaml.safe_load(redact(text, "docker-compose.yml"))
    env = doc["services"]["db"]["environment"]
    assert env["POSTGRES_PASSWORD"] == MASK
    assert env["OTHER"]["API_TOKEN"] == MASK


def test_line_endings_are_kept() -> None:
    text = "A=1\r\nDB_PASSWORD=x1y2z3w4\rB=2\n-----BEGIN PRIVATE KEY-----\r\nAAAA\r\nBBBB\r\n"
    text += "-----END PRIVATE KEY-----\r\n"
    redacted = redact(text, "x.conf")
    assert [redacted.count(e) for e in ("\r\n", "\r", "\n")] == [
        text.count(e) for e in ("\r\n", "\r", "\n")
    ]
    assert "x1y2z3w4" not in redacted and "AAAA" not in redacted


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("apiKey", True),
        ("tls.key", True),
        ("--auth-token", True),
        ("SECRET_KEY_BASE", True),
        ("PASSWORD_FILE", False),
        ("secretName", False),
        ("token_ttl", False),
        ("key", False),
        ("public_key", False),
        ("MAX_CONNECTIONS", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert secret_name(name) is secret


def test_a_masked_default_makes_the_parameter_a_secret() -> None:
    cite = [Citation(path="c.yaml", start_line=1, end_line=1)]
    masked = ConfigParameter(summary="x", citations=cite, name="SIGNING_SEED", default=MASK)
    plain = ConfigParameter(summary="y", citations=cite, name="PORT", default="8080")
    first, second = mark_redacted([masked, plain])
    assert isinstance(first, ConfigParameter) and first.secret and first.default is None
    assert second == plain


@pytest.mark.parametrize(
    "text",
    ["a" * 1_000_000, '"token", ' * 110_000, "password=" * 110_000, "1a" * 500_000],
    ids=["one-long-word", "names-and-quotes", "names-and-ops", "digits-in-a-token"],
)
def test_hostile_megabyte_is_redacted_in_linear_time(text: str) -> None:
    started = time.perf_counter()
    redacted = redact(text, "x.yaml")
    took = time.perf_counter() - started
    print(f"{len(text) / 1e6:.1f} MB in {took:.2f}s")
    assert len(split_lines(redacted)) == len(split_lines(text))
    assert took < 30  # a quadratic pattern takes minutes here


def test_scan_secrets_lists_places_never_values(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("db:\n  url: postgresql://a:Pw-77311x@db/a\n")
    (tmp_path / ".env").write_text("TOKEN=live-tok-9\n")
    (tmp_path / "README.md").write_text("# nothing secret\n")
    table = runner.invoke(app, ["scan-secrets", str(tmp_path)])
    assert table.exit_code == 0, table.output
    assert "config.yaml" in table.output and "Pw-77311x" not in table.output
    assert "not read: .env" in table.output and "live-tok-9" not in table.output
    as_json = runner.invoke(app, ["scan-secrets", str(tmp_path), "--json"])
    assert as_json.exit_code == 0
    report = json.loads(as_json.stdout)
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("config.yaml", 2)]
    assert report["files_scanned"] == 2 and report["not_read"][0]["path"] == ".env"


def test_scan_secrets_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("nothing here\n")
    clean = runner.invoke(app, ["scan-secrets", str(tmp_path), "--json"])
    assert clean.exit_code == 0 and json.loads(clean.stdout)["findings"] == []
    missing = runner.invoke(app, ["scan-secrets", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
