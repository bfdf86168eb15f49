"""Roles of services from the files that define them: job, test-only, dev-only, long-running.

Each case goes through the real analyzers (what `extract` sees), then `assign_roles`, and
asserts both directions: the planted role is found with a file:line reason, and the
neighbouring long-running services keep their default role.
"""

from __future__ import annotations

import pytest

from ddd_llm.evidence import analyze_files
from ddd_llm.evidence.base import SourceFile
from ddd_llm.evidence.roles import assign_roles, is_dev_path, is_test_path
from ddd_llm.evidence.services import merge_services
from ddd_llm.models import Citation, Service


def roles(files: dict[str, str]) -> dict[str, Service]:
    evidence = analyze_files(SourceFile(path, text) for path, text in files.items())
    services = assign_roles(merge_services(evidence.services), files)
    return {s.name: s for s in services}


# Adapted from the MinIO "createbuckets" idiom found in many public compose files
# (e.g. the minio/mc docs and countless app stacks): a client container that makes the
# buckets and exits; and a seeding container that loads the database once.
SHOP = """\
services:
  db:
    image: postgres:16
    restart: unless-stopped
    volumes:
      - pgdata:/var/lib/postgresql/data
  seed:
    build: ./seed
    command: ["python", "seed.py"]
    depends_on:
      - db
  minio:
    image: minio/minio
    command: server /data
    ports:
      - "9000:9000"
  createbuckets:
    image: minio/mc
    depends_on:
      - minio
    entrypoint: >
      /bin/sh -c "
      /usr/bin/mc alias set local http://minio:9000 minio minio123;
      /usr/bin/mc mb local/uploads;
      exit 0;
      "
  api:
    build: ./api
    command: ["gunicorn", "app:app"]
    ports:
      - "8000:8000"
    depends_on:
      migrate:
        condition: service_completed_successfully
  migrate:
    build: ./api
    command: ["sh", "-c", "python manage.py wait_for_db && python manage.py"]
  worker:
    build: ./api
    command: ["celery", "-A", "app", "worker"]
volumes:
  pgdata:
"""


def test_one_shot_compose_services_are_jobs_with_a_reason() -> None:
    found = roles({"docker-compose.yml": SHOP})
    assert found["seed"].role == "job"
    assert "docker-compose.yml:" in (found["seed"].role_reason or "")
    assert found["createbuckets"].role == "job"
    # A service another waits for with service_completed_successfully finishes by design.
    assert found["migrate"].role == "job"
    assert "api waits for it" in (found["migrate"].role_reason or "")
    # The wrong thing is not produced: servers stay long-running.
    for name in ("db", "minio", "api", "worker"):
        assert found[name].role == "long-running", name
        assert found[name].role_reason is None


def test_a_restart_policy_or_a_published_port_keeps_a_service_long_running() -> None:
    text = """\
services:
  init-db:
    image: postgres:16
    restart: always
  setup:
    image: nginx
    ports: ["80:80"]
"""
    found = roles({"compose.yaml": text})
    assert found["init-db"].role == "long-running"
    assert found["setup"].role == "long-running"


# Docker Hub's automated tests run the `sut` service of docker-compose.test.yml
# (docs.docker.com/docker-hub/builds/automated-testing/).
SUT = """\
services:
  sut:
    build: .
    command: ./run_tests.sh
    depends_on:
      - web
  web:
    build: ..
"""


def test_services_defined_only_in_a_test_compose_file_are_test_only() -> None:
    found = roles(
        {
            "docker-compose.yml": "services:\n  web:\n    image: nginx\n    ports: ['80:80']\n",
            "app/docker-compose.test.yml": SUT,
        }
    )
    assert found["sut"].role == "test-only"
    assert "app/docker-compose.test.yml:" in (found["sut"].role_reason or "")
    # web is also in the production file: it is not test-only.
    assert found["web"].role == "long-running"


def test_services_only_in_an_override_file_are_dev_only() -> None:
    # eShopOnWeb keeps ports and env in docker-compose.override.yml; a service only there is
    # a developer's convenience (here: a mail catcher).
    base = "services:\n  web:\n    image: shop/web\n    restart: always\n"
    override = (
        "services:\n  web:\n    ports: ['5106:8080']\n  mailhog:\n    image: mailhog/mailhog\n"
    )
    found = roles({"docker-compose.yml": base, "docker-compose.override.yml": override})
    assert found["mailhog"].role == "dev-only"
    assert found["web"].role == "long-running"


def test_profiles_gate_jobs_dev_and_test_services() -> None:
    # Compose docs' own example: phpmyadmin behind the `debug` profile.
    text = """\
services:
  web:
    image: nginx
  phpmyadmin:
    image: phpmyadmin
    profiles: [debug]
  e2e:
    image: cypress/included
    profiles: ["test"]
  backfill:
    image: shop/tools
    profiles: ["tools"]
"""
    found = roles({"docker-compose.yml": text})
    assert found["phpmyadmin"].role == "dev-only"
    assert found["e2e"].role == "test-only"
    assert found["backfill"].role == "job"
    assert "docker-compose.yml:12" in (found["backfill"].role_reason or "")
    assert found["web"].role == "long-running"


def test_kubernetes_jobs_cronjobs_and_helm_hooks_are_jobs() -> None:
    manifests = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: report
              image: shop/report
          restartPolicy: OnFailure
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: shop/api
---
apiVersion: v1
kind: Pod
metadata:
  name: db-migrate
  annotations:
    "helm.sh/hook": pre-upgrade
spec:
  containers:
    - name: migrate
      image: shop/api
"""
    found = roles({"k8s/app.yaml": manifests})
    assert found["report"].role == "job"
    assert "CronJob" in (found["report"].role_reason or "")
    assert found["api"].role == "long-running"
    assert found["db-migrate"].role == "job"
    assert found["db-migrate"].role_reason == "a deployment hook (helm.sh/hook) (k8s/app.yaml:32)"


def test_systemd_oneshot_units_are_jobs() -> None:
    oneshot = "[Unit]\nDescription=prune\n\n[Service]\nType=oneshot\nExecStart=/usr/bin/prune\n"
    daemon = "[Unit]\nDescription=api\n\n[Service]\nType=simple\nExecStart=/usr/bin/api\n"
    found = roles({"deploy/prune.service": oneshot, "deploy/api.service": daemon})
    assert found["prune"].role == "job"
    assert found["prune"].role_reason == "systemd Type=oneshot (deploy/prune.service:5)"
    assert found["api"].role == "long-running"


@pytest.mark.parametrize(
    ("path", "test", "dev"),
    [
        ("docker-compose.test.yml", True, False),
        ("e2e/compose.yaml", True, False),
        ("ci/docker-compose.yml", True, False),
        (".github/workflows/build.yml", True, False),
        (".gitlab-ci.yml", True, False),
        ("docker-compose.override.yml", False, True),
        ("compose.dev.yaml", False, True),
        (".devcontainer/docker-compose.yml", False, True),
        ("docker-compose.yml", False, False),
        ("deploy/compose.prod.yml", False, False),
        ("docs/city/compose.yml", False, False),  # `ci` only as a whole word
        ("contest/compose.yml", False, False),
    ],
)
def test_test_and_dev_paths_are_whole_words(path: str, test: bool, dev: bool) -> None:
    assert is_test_path(path) is test
    assert is_dev_path(path) is dev


def test_an_unreadable_file_leaves_the_service_long_running() -> None:
    service = Service(name="seed", kind="compose-service")
    [out] = assign_roles([service], {"docker-compose.yml": "services: [\n"})
    assert out.role == "long-running"


def test_a_service_named_as_a_test_suite_is_test_only_and_ci_running_it_is_cited() -> None:
    # The `make test` / CI idiom: `docker compose run --rm tests` against the main file.
    compose = """\
services:
  web:
    image: shop/web
    restart: always
  tests:
    build: .
    command: pytest
  contest:
    image: shop/contest
    restart: always
"""
    workflow = "jobs:\n  test:\n    steps:\n      - run: docker compose run --rm tests\n"
    found = roles({"docker-compose.yml": compose, ".github/workflows/ci.yml": workflow})
    assert found["tests"].role == "test-only"
    assert found["tests"].role_reason == (
        "named as a test service (docker-compose.yml:5); CI runs it at .github/workflows/ci.yml:4"
    )
    assert found["web"].role == "long-running"
    assert found["contest"].role == "long-running"  # `test` only as a whole word


# Russianpulse/russianpulse: a legacy (v1) production file, docker-compose.test.yml reusing
# db/redis names plus the `app` under test, and docker-compose.dev.yml with selenium.
RP_PROD = """\
db:
  image: postgres:9.4.5
  restart: unless-stopped
redis:
  image: redis:3.2.3
  restart: unless-stopped
web:
  build: .
  restart: unless-stopped
  ports:
    - "3000:80"
"""
RP_TEST = """\
version: '3'

services:
  app:
    image: test-image
    depends_on:
      - db
      - redis
    command: "spec"
  db:
    image: postgres:9-alpine
  redis:
    image: redis:alpine
"""
RP_DEV = """\
version: "3.7"

services:
  selenium:
    image: selenium/standalone-firefox
    ports:
      - "3000:3000"
"""


def test_a_real_layout_with_test_and_dev_files_beside_production() -> None:
    found = roles(
        {
            "docker-compose.yml": RP_PROD,
            "docker-compose.test.yml": RP_TEST,
            "docker-compose.dev.yml": RP_DEV,
        }
    )
    assert found["app"].role == "test-only"
    assert found["selenium"].role == "dev-only"
    # Also defined in the production file: operated as usual.
    assert {found[n].role for n in ("db", "redis", "web")} == {"long-running"}


def test_a_base_file_is_cited_before_the_files_that_override_it() -> None:
    def svc(*paths: str) -> list[Service]:
        return [
            Service(
                name="web",
                kind="compose-service",
                citations=[Citation(path=p, start_line=1, end_line=2)],
            )
            for p in paths
        ]

    merged = merge_services(svc("deploy/docker-compose.dev.yml", "deploy/docker-compose.yml"))
    assert [c.path for c in merged[0].citations] == [
        "deploy/docker-compose.yml",
        "deploy/docker-compose.dev.yml",
    ]
    # No base beside it (another folder, another name): the order found is kept.
    kept = ["app.prod.yml", "other/app.yml", "values-prod.yaml", "values.yaml"]
    assert [c.path for c in merge_services(svc(*kept))[0].citations] == kept
