"""`ddd-llm drift`: recorded live dumps of the fixtures, with values planted in copies; both
directions (the planted drift is caught, the faithful dump stays clean), secrets never shown."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from ddd_llm.cli.app import app
from tests.conftest import FIXTURES, TESTS

runner = CliRunner()
LIVE = FIXTURES / "live"
SCHEMA = TESTS / "data" / "sarif-schema-2.1.0.json"
SECRETS = ("Kp7wQ2rLx9Vz", "3q9ZtR1vYh8LmN4cXs7BdKf2Wg6Pj0Ua", "Vt8sQe2LmX4rNw", "tc_live_4d1e")


@pytest.fixture(scope="module")
def facts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Static facts of each fixture, extracted once for the module."""
    out: dict[str, Path] = {}
    for name in ("compose-shop", "k8s-payments", "vm-telemetry"):
        target = tmp_path_factory.mktemp(name)
        result = runner.invoke(
            app,
            ["extract", str(FIXTURES / name), "--llm", "none", "--no-index", "--out", str(target)],
        )
        assert result.exit_code == 0, result.output
        out[name] = target / "facts.json"
    return out


def drift(fixture: str, facts: dict[str, Path], *args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["drift", str(FIXTURES / fixture), "--facts", str(facts[fixture]), *args]
    )
    return result.exit_code, result.stdout, result.stderr


def planted(tmp_path: Path, source: Path, *edits: tuple[str, str]) -> Path:
    text = source.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    target = tmp_path / source.name
    target.write_text(text, encoding="utf-8")
    return target


def findings(stdout: str) -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads(stdout)["findings"]
    return data


def test_faithful_dumps_pass_and_account_for_every_key(facts: dict[str, Path]) -> None:
    code, out, _ = drift(
        "compose-shop",
        facts,
        "--json",
        "--live",
        str(LIVE / "compose-shop" / "compose.config.yaml"),
        "--live",
        f"api={LIVE / 'compose-shop' / 'api.env.txt'}",
        "--live",
        f"worker={LIVE / 'compose-shop' / 'worker.environ'}",
        "--live",
        f"proxy={LIVE / 'compose-shop' / 'proxy-default.conf'}",
    )
    assert code == 0, out
    report = json.loads(out)
    assert (
        report["counts"]["CRITICAL"] == report["counts"]["HIGH"] == report["counts"]["MEDIUM"] == 0
    )
    # Real differences only: the deployed release differs from the code's fallback; the
    # compose file's `--concurrency 4` differs from the parser's default (when the facts
    # keep the code's default).
    keys = {(f["service"], f["key"]) for f in report["findings"]}
    assert ("api", "GIT_SHA") in keys
    assert keys <= {("api", "GIT_SHA"), ("worker", "--concurrency")}
    assert {f["level"] for f in report["findings"]} == {"INFO"}
    assert report["ignored"]["shell and login session"] == 6
    assert report["compared"] > 30
    for secret in SECRETS:
        assert secret not in out


def test_planted_values_in_compose_config(facts: dict[str, Path], tmp_path: Path) -> None:
    dump = planted(
        tmp_path,
        LIVE / "compose-shop" / "compose.config.yaml",
        ('API_DB_POOL_SIZE: "10"', 'API_DB_POOL_SIZE: "50"'),  # documented 5–20
        ('WORKER_POLL_INTERVAL: "2"', 'WORKER_POLL_INTERVAL: "3"'),  # in range: INFO only
        ('      - --concurrency\n      - "4"', '      - --concurrency\n      - "64"'),
        ("API_LOG_LEVEL: info", "API_LOG_LEVL: info"),  # a typo
    )
    code, out, err = drift("compose-shop", facts, "--json", "--live", str(dump))
    assert code == 1
    assert "--fail-on" in err
    got = {(f["service"], f["key"]): f for f in findings(out)}
    assert got[("api", "API_DB_POOL_SIZE")]["level"] == "HIGH"
    assert got[("api", "API_DB_POOL_SIZE")]["rule"] == "out_of_range"
    assert got[("worker", "--concurrency")]["level"] == "CRITICAL"  # declared 1–16
    assert got[("worker", "WORKER_POLL_INTERVAL")]["level"] == "INFO"
    typo = got[("api", "API_LOG_LEVL")]
    assert typo["level"] == "MEDIUM" and typo["suggestion"] == "API_LOG_LEVEL"
    assert ("api", "API_REDIS_URL") not in got  # unchanged values stay quiet
    for secret in SECRETS:
        assert secret not in out


def test_missing_probe_and_limit_are_high(facts: dict[str, Path], tmp_path: Path) -> None:
    dump = planted(
        tmp_path,
        LIVE / "compose-shop" / "compose.config.yaml",
        (
            "    healthcheck:\n      test:\n        - CMD\n        - redis-cli\n        - ping\n"
            "      timeout: 3s\n      interval: 10s\n      retries: 5\n",
            "",
        ),
        (
            '        limits:\n          cpus: 0.5\n          memory: "268435456"\n',
            "        limits:\n          cpus: 0.5\n",
        ),
    )
    code, out, _ = drift("compose-shop", facts, "--json", "--live", str(dump))
    assert code == 1
    got = {(f["service"], f["rule"]) for f in findings(out) if f["level"] == "HIGH"}
    assert got == {("redis", "probe_missing"), ("worker", "limit_missing")}


def test_fail_on_never_reports_only_and_table_shows_redacted(
    facts: dict[str, Path], tmp_path: Path
) -> None:
    dump = planted(
        tmp_path,
        LIVE / "compose-shop" / "api.env.txt",
        ("API_DB_POOL_SIZE=10", "API_DB_POOL_SIZE=2"),
    )
    code, out, _ = drift("compose-shop", facts, "--fail-on", "never", "--live", f"api={dump}")
    assert code == 0
    assert out.startswith("PASS drift: 0 CRITICAL · 1 HIGH")
    assert "API_DB_POOL_SIZE=2: outside the safe range 5–20, documented" in out
    for secret in SECRETS:
        assert secret not in out


def test_kubernetes_dump_probe_removed_and_replicas(facts: dict[str, Path], tmp_path: Path) -> None:
    source = LIVE / "k8s-payments" / "kubectl-get-deploy-sts.yaml"
    text = source.read_text(encoding="utf-8")
    image = text.index("image: ghcr.io/example/payments-gateway")
    start = text.index("          livenessProbe:", image)
    end = text.index("          name: gateway", start)
    dump = tmp_path / source.name
    dump.write_text(text[:start] + text[end:], encoding="utf-8")
    code, out, _ = drift("k8s-payments", facts, "--json", "--live", str(dump))
    assert code == 1
    high = {(f["service"], f["key"]) for f in findings(out) if f["level"] == "HIGH"}
    assert high == {("gateway", "k8s-liveness")}
    code, out, _ = drift("k8s-payments", facts, "--json", "--live", str(source))
    assert code == 0 and findings(out) == []


def test_systemd_show_and_env_file(facts: dict[str, Path], tmp_path: Path) -> None:
    show = planted(
        tmp_path,
        LIVE / "vm-telemetry" / "systemctl-show-telemetry-collector.txt",
        ("MemoryMax=536870912", "MemoryMax=infinity"),
        ("WatchdogUSec=30s", "WatchdogUSec=0"),
        ("RestartUSec=5s", "RestartUSec=1min"),
        ("Restart=on-failure", "Restart=sometimes"),  # systemd's own choices (declared)
    )
    env = planted(
        tmp_path,
        LIVE / "vm-telemetry" / "collector.env",
        ("COLLECTOR_MAX_SPOOL_MB=512", "COLLECTOR_MAX_SPOOL_MB=1024"),  # no range known
    )
    code, out, _ = drift(
        "vm-telemetry",
        facts,
        "--json",
        "--live",
        str(show),
        "--live",
        f"telemetry-collector={env}",
    )
    assert code == 1
    got = {(f["key"], f["level"]) for f in findings(out)}
    assert ("memory limit", "HIGH") in got
    assert ("systemd-watchdog", "HIGH") in got
    assert ("RestartUSec", "INFO") in got
    assert ("Restart", "CRITICAL") in got
    assert ("COLLECTOR_MAX_SPOOL_MB", "INFO") in got
    assert not [k for k, level in got if k.startswith("COLLECTOR_") and level != "INFO"]
    assert "tc_live_4d1e" not in out and "Vt8sQe2LmX4rNw" not in out


def test_sarif_is_valid_and_points_at_the_repository_line(
    facts: dict[str, Path], tmp_path: Path
) -> None:
    dump = planted(
        tmp_path,
        LIVE / "compose-shop" / "compose.config.yaml",
        ('API_DB_POOL_SIZE: "10"', 'API_DB_POOL_SIZE: "50"'),
    )
    code, out, _ = drift("compose-shop", facts, "--format", "sarif", "--live", str(dump))
    assert code == 1
    sarif = json.loads(out)
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text(encoding="utf-8")))
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "drift/out_of_range"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("docker-compose.yml")
    assert result["level"] == "error"


def test_bad_input_exits_2_naming_file_and_line(facts: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "env.txt"
    bad.write_text("A=1\n", encoding="utf-8")
    bad.write_text("this is not env\nA=1\n", encoding="utf-8")
    code, _, err = drift("compose-shop", facts, "--live", f"env:{bad}")
    assert code == 2
    assert f"{bad}:1: not a NAME=value line" in err
    code, _, err = drift("compose-shop", facts, "--live", str(tmp_path / "missing.yaml"))
    assert code == 2 and "cannot read live source" in err


def test_without_facts_a_static_run_is_made_and_nothing_written(tmp_path: Path) -> None:
    repo = tmp_path / "compose-shop"
    shutil.copytree(FIXTURES / "compose-shop", repo, ignore=shutil.ignore_patterns(".ddd"))
    result = runner.invoke(
        app, ["drift", str(repo), "--live", str(LIVE / "compose-shop" / "compose.config.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert "GIT_SHA" in result.stdout
    assert not (repo / ".ddd").exists()


def _docker_reason() -> str | None:
    docker = shutil.which("docker")
    if docker is None:
        return "docker is not installed"
    try:
        version = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30
        )
        if version.returncode != 0:
            return f"`docker compose version` failed: {version.stderr.strip()[:200]}"
        info = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=30)
        if info.returncode != 0:
            return f"no Docker daemon answers: {info.stderr.strip()[:200]}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"docker cannot run: {exc}"
    return None


def test_docker_compose_config_rendered_live(facts: dict[str, Path], tmp_path: Path) -> None:
    reason = _docker_reason()
    if reason is not None:
        pytest.skip(reason)
    repo = tmp_path / "compose-shop"
    shutil.copytree(FIXTURES / "compose-shop", repo, ignore=shutil.ignore_patterns(".ddd"))
    shutil.copy(repo / ".env.example", repo / ".env")
    rendered = subprocess.run(
        ["docker", "compose", "config"], cwd=repo, capture_output=True, text=True, timeout=120
    )
    assert rendered.returncode == 0, rendered.stderr
    dump = tmp_path / "compose.config.yaml"
    dump.write_text(rendered.stdout, encoding="utf-8")
    code, out, _ = drift("compose-shop", facts, "--json", "--live", str(dump))
    assert code == 0, out
    levels = {f["level"] for f in findings(out)}
    assert levels <= {"INFO"}
