"""A generator of repositories with random secrets planted in the forms real projects use.

Every run draws new values (the seed is printed, `DDD_LLM_SECRET_SEED` replays one), so a
redactor cannot pass by knowing the values, and the forms come from the ecosystems' own
documentation (compose, Kubernetes, Helm, Spring, .NET, Redis, MySQL, PostgreSQL, npm, PyPI,
netrc, kubeconfig, Docker, systemd, Terraform, shell tools), not from redact.py's patterns.

`decoys` are the look-alikes that must stay readable: placeholders, references, expressions,
names, example UUIDs and hashes in docs, lock-file checksums.
"""

from __future__ import annotations

import base64
import os
import random
import string
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Form:
    name: str
    path: str
    """A file path; `{i}` is the instance number."""
    template: str
    """The file's text; `{v}` is the secret (or `{v0}` `{v1}` … for several words)."""
    words: int = 1
    maker: str = "password"


@dataclass
class Planted:
    form: str
    path: str
    values: tuple[str, ...]


@dataclass
class GeneratedRepo:
    root: Path
    seed: int
    planted: list[Planted] = field(default_factory=list)
    decoys: list[tuple[str, str]] = field(default_factory=list)
    """(path, the exact text that must survive)"""


FORMS: tuple[Form, ...] = (
    Form(
        "compose env map",
        "svc{i}/docker-compose.yml",
        "services:\n  db{i}:\n    image: postgres:16\n    environment:\n"
        "      POSTGRES_USER: app\n      POSTGRES_PASSWORD: {v}\n",
    ),
    Form(
        "compose env list",
        "svc{i}/compose.yaml",
        "services:\n  cache:\n    image: bitnami/redis\n    environment:\n"
        "      - REDIS_PASSWORD={v}\n",
    ),
    Form(
        "compose URL",
        "stack{i}/docker-compose.yml",
        "services:\n  api:\n    environment:\n      DATABASE_URL: postgres://app:{v}@db:5432/app\n",
    ),
    Form(
        "compose command requirepass",
        "cache{i}/docker-compose.yml",
        "services:\n  redis:\n    image: redis:7\n    command: redis-server --requirepass {v}\n",
    ),
    Form(
        "k8s Secret stringData",
        "k8s{i}/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  db-password: {v}\n",
    ),
    Form(
        "k8s env pair",
        "k8s{i}/deployment.yaml",
        "spec:\n  template:\n    spec:\n      containers:\n        - name: api\n"
        '          env:\n            - name: API_TOKEN\n              value: "{v}"\n',
    ),
    Form(
        "helm values", "charts/app{i}/values.yaml", "auth:\n  enabled: true\n  rootPassword: {v}\n"
    ),
    Form(
        "django default",
        "proj{i}/settings.py",
        'import os\nSECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "{v}")\n',
    ),
    Form(
        "django DATABASES",
        "proj{i}/settings_db.py",
        'DATABASES = {{"default": {{"USER": "app", "PASSWORD": "{v}"}}}}\n',
    ),
    Form(
        "spring properties",
        "java{i}/src/main/resources/application.properties",
        "spring.datasource.username=app\nspring.datasource.password={v}\n",
    ),
    Form(
        "jdbc URL",
        "java{i}/src/main/resources/application-prod.properties",
        "spring.datasource.url=jdbc:mysql://db:3306/app?user=app&password={v}\n",
    ),
    Form(
        "properties passphrase",
        "java{i}/conf/app.properties",
        "keystore.passphrase={v0} {v1} {v2}\n",
        words=3,
        maker="word",
    ),
    Form(
        "ado.net connection string",
        "dotnet{i}/appsettings.json",
        '{{\n  "ConnectionStrings": {{\n    "Default": '
        '"Server=db;Database=app;User Id=sa;Password={v};"\n  }}\n}}\n',
    ),
    Form(
        "appsettings key",
        "dotnet{i}/appsettings.Production.json",
        '{{\n  "Jwt": {{\n    "SigningKey": "{v}"\n  }}\n}}\n',
    ),
    Form(
        "web.config appSettings",
        "dotnet{i}/Web.config",
        '<configuration>\n  <appSettings>\n    <add key="SmtpPassword" value="{v}" />\n'
        "  </appSettings>\n</configuration>\n",
    ),
    Form(
        "maven settings",
        "java{i}/settings.xml",
        "<servers>\n  <server>\n    <id>nexus</id>\n    <password>{v}</password>\n"
        "  </server>\n</servers>\n",
    ),
    Form(
        "redis.conf requirepass",
        "redis{i}/redis.conf",
        "bind 0.0.0.0\nport 6379\nrequirepass {v}\n",
    ),
    Form(
        "redis.conf masterauth", "replica{i}/redis.conf", "replicaof primary 6379\nmasterauth {v}\n"
    ),
    Form("my.cnf", "mysql{i}/my.cnf", "[client]\nuser = backup\npassword = {v}\n"),
    Form(
        "PGPASSWORD inline",
        "ops{i}/backup.sh",
        "#!/bin/sh\nPGPASSWORD={v} pg_dump -h db -U app app > /backup/app.sql\n",
    ),
    Form("mysql -p glued", "ops{i}/restore.sh", "#!/bin/sh\nmysql -uroot -p{v} app < dump.sql\n"),
    Form(
        "sshpass",
        "ops{i}/deploy.sh",
        "#!/bin/sh\nsshpass -p '{v}' ssh deploy@web01 'systemctl restart app'\n",
    ),
    Form(
        "docker login -p",
        "ci{i}/publish.sh",
        "#!/bin/sh\ndocker login -u ci -p {v} registry.example.com\n",
    ),
    Form(
        "curl -u",
        "ops{i}/health.sh",
        "#!/bin/sh\ncurl -fsS -u admin:{v} https://grafana.internal/api/health\n",
    ),
    Form("redis-cli -a", "ops{i}/flush.sh", "#!/bin/sh\nredis-cli -h cache -a {v} ping\n"),
    Form(
        "mysqldump --password=",
        "db{i}/Makefile",
        "dump:\n\tmysqldump --password={v} --single-transaction app > app.sql\n",
    ),
    Form(
        "libpq conninfo",
        "ops{i}/check.sh",
        "#!/bin/sh\npsql \"host=db user=app password={v} dbname=app\" -c 'select 1'\n",
    ),
    Form("npmrc token", "web{i}/.npmrc", "//registry.npmjs.org/:_authToken={v}\n"),
    Form("pypirc", "pkg{i}/.pypirc", "[pypi]\nusername = __token__\npassword = {v}\n"),
    Form("netrc", "home{i}/.netrc", "machine api.example.com login bot password {v}\n"),
    Form(
        "kubeconfig token",
        "kube{i}/kubeconfig",
        "apiVersion: v1\nkind: Config\nusers:\n  - name: ci\n    user:\n      token: {v}\n",
    ),
    Form("Dockerfile ENV", "img{i}/Dockerfile", "FROM alpine:3.20\nENV API_SECRET={v}\n"),
    Form("Dockerfile ARG", "img{i}/build.Dockerfile", "FROM node:20\nARG NPM_TOKEN={v}\n"),
    Form(
        "systemd Environment",
        "unit{i}/worker.service",
        "[Service]\nExecStart=/usr/bin/worker\nEnvironment=WORKER_PASSWORD={v}\n",
    ),
    Form(
        "yaml passphrase",
        "conf{i}/config.yaml",
        "backup:\n  passphrase: {v0} {v1} {v2}\n",
        words=3,
        maker="word",
    ),
    Form("toml token", "conf{i}/config.toml", '[api]\nurl = "https://x"\napi_token = "{v}"\n'),
    Form("ini password", "conf{i}/app.ini", "[database]\nhost = db\npassword = {v}\n"),
    Form("tfvars", "infra{i}/prod.tfvars", 'db_username = "app"\ndb_password = "{v}"\n'),
    Form(
        "go flag default",
        "gosvc{i}/main.go",
        'package main\n\nimport "flag"\n\nvar pw = flag.String("db-password", "{v}", '
        '"database password")\n',
    ),
    Form(
        "js client option",
        "nodesvc{i}/db.js",
        "const {{ Client }} = require('pg')\nconst client = new Client({{ user: 'app', "
        "password: '{v}' }})\n",
    ),
    Form(
        "aws key in README",
        "doc{i}/README.md",
        "Deploy with\n\n    export AWS_ACCESS_KEY_ID={v}\n",
        maker="aws",
    ),
    Form(
        "github token in workflow",
        "wf{i}/.github/workflows/release.yml",
        "jobs:\n  release:\n    env:\n      GH_TOKEN: {v}\n",
        maker="github",
    ),
    Form(
        "private key in values",
        "charts/tls{i}/values.yaml",
        "tls:\n  key: |\n    -----BEGIN EC PRIVATE KEY-----\n    {v0}\n    {v1}\n"
        "    -----END EC PRIVATE KEY-----\n",
        words=2,
        maker="b64",
    ),
)


DECOYS: tuple[tuple[str, str], ...] = (
    (
        "decoy/docker-compose.yml",
        "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n",
    ),
    ("decoy/values.yaml", 'auth:\n  password: "{{ .Values.global.password }}"\n'),
    ("decoy/config.yaml", "db:\n  password: changeme\n"),
    ("decoy/app.env.example", "API_TOKEN=<your-token>\nSMTP_PASSWORD=xxxxxx\n"),
    (
        "decoy/tests/test_auth.py",
        'def test_login(client):\n    password="password"\n'
        "    client.post('/login', data={'password': password})\n",
    ),
    ("decoy/tests/test_api.py", 'HTTP_X_API_KEY = "X" * 32\n'),
    ("decoy/templates/keys.html", '<button data-create-key="api_key_readonly">New</button>\n'),
    (
        "decoy/docs/api.md",
        "Pass the check's key, e.g. `ping_key: 4e1c3a2b-8d9f-4a6b-9c1d-2e3f4a5b6c7d`.\n",
    ),
    ("decoy/docs/release.md", "Release checksum: `sha256:" + "3f9a" * 16 + "`\n"),
    ("decoy/README.md", "Log in with `docker login -u USER -p PASSWORD` first.\n"),
    (
        "decoy/app/settings.py",
        'SECRET_KEY = os.environ["SECRET_KEY"]\nDB_PASSWORD = get_secret("db/password")\n',
    ),
    (
        "decoy/k8s/deploy.yaml",
        "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n"
        "        name: db\n        key: password\n",
    ),
    ("decoy/ops/backup.sh", "#!/bin/sh\nmysql -u root -p app < dump.sql\n"),
    ("decoy/nginx.conf", "ssl_certificate_key /etc/ssl/private/server.key;\n"),
)


def _value(rng: random.Random, maker: str) -> str:
    alnum = string.ascii_letters + string.digits
    if maker == "aws":
        return "AKIA" + "".join(
            rng.choice(string.ascii_uppercase + string.digits) for _ in range(16)
        )
    if maker == "github":
        return "ghp_" + "".join(rng.choice(alnum) for _ in range(36))
    if maker == "b64":
        return base64.b64encode(rng.randbytes(48)).decode()
    if maker == "word":
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(7, 10)))
    body = "".join(rng.choice(alnum + "-_.!") for _ in range(rng.randint(12, 22)))
    # Always a digit and a letter: a realistic password, and one no placeholder rule excuses.
    return rng.choice(string.ascii_letters) + body + rng.choice(string.digits)


def generate(root: Path, instances: int = 3, seed: int | None = None) -> GeneratedRepo:
    """Write every form `instances` times (new values each) and every decoy under `root`."""
    if seed is None:
        seed = int(
            os.environ.get("DDD_LLM_SECRET_SEED") or random.SystemRandom().randrange(1 << 30)
        )
    rng = random.Random(seed)
    repo = GeneratedRepo(root, seed)
    for i in range(instances):
        for form in FORMS:
            values = tuple(_value(rng, form.maker) for _ in range(form.words))
            fields = {"v": values[0], **{f"v{k}": v for k, v in enumerate(values)}}
            path = form.path.format(i=i)
            text = form.template.format(i=i, **fields)
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            repo.planted.append(Planted(form.name, path, values))
    for path, text in DECOYS:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        repo.decoys.append((path, text))
    return repo


def file_types(repo: GeneratedRepo) -> set[str]:
    """Distinct file types planted: the suffix, or the name for suffix-less files."""
    out = set()
    for p in repo.planted:
        name = Path(p.path).name
        out.add(Path(name).suffix or name)
    return out
