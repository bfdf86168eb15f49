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


# --- the taxonomy (issue #16): shapes the name rules alone missed ------------------------

LEAKED_BEFORE = [
    # Sample credentials a public repository (eShopOnWeb) wires into its deployment and code.
    ("docker-compose.yml", "    - SA_PASSWORD=@someThingComplicated1234\n", "someThingCompl"),
    (
        "AuthorizationConstants.cs",
        'public const string JWT_SECRET_KEY = "SecretKeyOfDoomThatMustBeAMinimumNumberOfBytes";\n',
        "SecretKeyOfDoom",
    ),
    (
        "appsettings.Docker.json",
        '"CatalogConnection": "Server=sqlserver,1433;User Id=sa;Password=@someThing1234;",\n',
        "someThing1234",
    ),
    ("backup.sh", "PGPASSWORD=pg-Gl8ed-Pw pg_dump app\n", "pg-Gl8ed-Pw"),
    ("redis.conf", "port 6379\nrequirepass r3q-Pass-91\n", "r3q-Pass-91"),
    ("redis.conf", "masterauth m4st-Auth-07\n", "m4st-Auth-07"),
    ("restore.sh", "mysql -uroot -pMy5q-Glued db < dump.sql\n", "My5q-Glued"),
    ("deploy.sh", "sshpass -p 'Ssh-P4ss-x' ssh deploy@web\n", "Ssh-P4ss-x"),
    ("ci.sh", "docker login -u ci -p D0ck-Login-3 registry.io\n", "D0ck-Login-3"),
    ("ci.sh", "echo x | docker login --password=D0ck-Eq-4 registry.io\n", "D0ck-Eq-4"),
    ("Web.config", '<add key="ApiPassword" value="Xml-Attr-Pw9" />\n', "Xml-Attr-Pw9"),
    ("config.yaml", "backup:\n  password: two words and more\n", "words and more"),
    ("app.properties", "keystore.password=three plain words\n", "plain words"),
    (".netrc", "machine api.example.com login bot password Netrc-Pw-55\n", "Netrc-Pw-55"),
    ("x.sh", "redis-cli -h cache -a Rcli-Auth-61 ping\n", "Rcli-Auth-61"),
    ("compose.yml", "    command: redis-server --requirepass Cmd-Req-Pw2\n", "Cmd-Req-Pw2"),
    (
        "appsettings.json",
        '{"ConnectionStrings": {"Db": "Server=db;User Id=sa;Password=Ado Net Pw7;"}}\n',
        "Ado Net Pw7",
    ),
]


@pytest.mark.parametrize(("path", "text", "secret"), LEAKED_BEFORE)
def test_taxonomy_shapes_are_masked(path: str, text: str, secret: str) -> None:
    redacted = redact(text, path)
    assert secret not in redacted and MASK in redacted
    assert len(split_lines(redacted)) == len(split_lines(text))


NOT_SECRETS = [
    ("tests/test_auth.py", 'password="password"\n'),
    ("tests/test_api.py", 'HTTP_X_API_KEY = "X" * 32\n'),
    ("templates/keys.html", '<button data-create-key="api_key_readonly">\n'),
    ("docs/api.md", "ping_key: 4e1c3a2b-8d9f-4a6b-9c1d-2e3f4a5b6c7d\n"),
    ("README.md", "Log in with `docker login -u USER -p PASSWORD` first.\n"),
    ("restore.sh", "mysql -u root -p app < dump.sql\n"),
    ("nginx.conf", "ssl_certificate_key /etc/ssl/private/server.key;\n"),
    ("run.sh", "worker --password-file /run/secrets/pw\n"),
    ("config.yaml", "# set the password: it is read at start\npassword: ${DB_PASSWORD}\n"),
    ("config.yaml", "db:\n  password: changeme\n"),
    ("app.py", 'DB_PASSWORD = get_secret("db/password")\n'),
    ("cli.py", 'parser.add_argument("--password", help="database password")\n'),
    ("env", "PWD=/home/app\n"),
    # Lines from public repositories that the detector used to mask (healthchecks,
    # eShopOnWeb, spring-petclinic-microservices): stylesheets, hashes, ids, names, calls.
    ("static/css/base.css", "#nav-sign-up:hover {\n"),
    ("templates/dashboard.html", "h1.dataset.readonlyKey = parts[0];\n"),
    ("Migrations/Initial.cs", 'PasswordHash = table.Column<string>(type: "nvarchar(max)"),\n'),
    ("CodeCoverage.runsettings", "<PublicKeyToken>^B03F5F7F11D50A3A$</PublicKeyToken>\n"),
    ("Index.cshtml", 'integrity="sha384-ggOyR0iXCbMQv3Xipma34MD+dH/1fQ784/j6cY/iJTQUOhcW" />\n'),
    (
        "maven-wrapper.properties",
        "distributionSha256Sum=8351955a9acf2f83c136c4eee0f6db894ab6265f\n",
    ),
    (
        "docs/api.md",
        '"pause_url": "SITE_ROOT/api/v3/checks/7918b17b-a745-4db1-8575-9d2e07c97f79",\n',
    ),
    ("docs/api.md", '"unique_key": "a6c7b0a8a66bed0df66abfdab3c77736861703ee",\n'),
    ("infra/main.bicep", "connectionStringKey: 'AZURE-SQL-CATALOG-CONNECTION-STRING'\n"),
    ("infra/main.bicep", "sqlAdminPassword: sqlAdminPassword\n"),
    ("Views/ManageNavPages.cs", 'public static string ActivePageKey => "ActivePage";\n'),
    ("docs/cloning.md", 'requests.get(URL, headers={"X-Api-Key": SOURCE_PROJECT_READONLY_KEY})\n'),
    ("README.md", "docker run -e MYSQL_ROOT_PASSWORD=petclinic -p 3306:3306 mysql:8\n"),
    ("tests/test_email.py", 'signed_token = self.channel.make_token() + ":bad:signature"\n'),
    (
        "hc/views.py",
        '{"service_key": item["integration_key"], "account": doc["account"]["name"]}\n',
    ),
]


@pytest.mark.parametrize(("path", "text"), NOT_SECRETS)
def test_placeholders_names_and_expressions_stay_readable(path: str, text: str) -> None:
    assert redact(text, path) == text


def test_generated_secrets_are_masked_and_decoys_kept(tmp_path: Path) -> None:
    """Random values in 40+ forms across 10+ file types (new values each run; the seed is
    printed to replay a failure with DDD_LLM_SECRET_SEED)."""
    from tests.secretgen import FORMS, file_types, generate

    repo = generate(tmp_path, instances=3)
    print(f"secret seed {repo.seed}")
    assert len(FORMS) >= 30 and len(file_types(repo)) >= 10
    assert sum(len(p.values) for p in repo.planted) >= 120
    leaked = []
    for planted in repo.planted:
        text = (tmp_path / planted.path).read_text()
        masked = redact(text, planted.path)
        leaked += [f"{planted.form} ({planted.path})" for v in planted.values if v in masked]
    assert not leaked, f"seed {repo.seed}: {leaked}"
    changed = [path for path, text in repo.decoys if redact(text, path) != text]
    assert not changed, f"decoys masked: {changed}"


def test_a_passphrase_whose_first_word_begins_like_a_placeholder_is_masked() -> None:
    # From the generated-secrets run with DDD_LLM_SECRET_SEED=962333712.
    text = "backup:\n  passphrase: myllwru yrikjlvw urgomnm\n"
    assert "yrikjlvw" not in redact(text, "conf0/config.yaml")
    assert "testudo" not in redact("db:\n  password: testudo\n", "conf0/config.yaml")
    for kept in ("your-passphrase", "mypassword", "my own password", "test"):
        text = f"backup:\n  passphrase: {kept}\n"
        assert redact(text, "conf0/config.yaml") == text
