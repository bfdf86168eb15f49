"""Smoke test of the daily runbook: its `safe` steps, run exactly as written.

Two ways, so the test says something on every machine:

- Simulated shell (always): every command of every `safe` daily step of the compose fixture
  is parsed (bashlex) and each `docker …` invocation is checked against the compose model:
  the `-f` files exist, `-p` is the project Docker would use, the subcommand and its flags
  are valid for `docker compose` (v2), every service, volume and published port it names
  exists (volumes with the project prefix). A planted set of broken commands — the ones
  issue 17 found — is rejected, so the checker can fail.
- Real Docker (when present): `docker compose up -d --wait` the fixture, run every `safe`
  step with bash from the repository root, and check its Expect; skipped with the reason
  when `docker` is absent or its daemon does not answer.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import bashlex
import pytest
import yaml

from tests.artifact_runs import static_run
from tests.unit.test_commands_shellcheck import code_span

FIXTURE = "compose-shop"
SAFETY = re.compile(r"^    - Safety: `(?P<safety>[^`]+)`")
RUN = re.compile(r"^    - Run from (?P<where>.*?): (?P<code>`.*`)$")
EXPECT = re.compile(r"^    - Expect: (?P<expect>.*)$")


@dataclass
class RunbookStep:
    section: str
    safety: str = ""
    command: str | None = None
    expect: str = ""


def steps(text: str) -> list[RunbookStep]:
    """The numbered steps of a runbook, each with its safety, command and Expect."""
    found: list[RunbookStep] = []
    section = ""
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:]
        elif re.match(r"^\d+\. \*\*", line):
            found.append(RunbookStep(section))
        elif found and (m := SAFETY.match(line)):
            found[-1].safety = m.group("safety")
        elif found and (m := RUN.match(line)):
            found[-1].command = code_span(m.group("code"))
        elif found and (m := EXPECT.match(line)):
            found[-1].expect = m.group("expect")
    return found


# ------------------------------------------------------------------ the compose model


@dataclass
class ComposeModel:
    """What `docker compose` knows about the stack: the names a command may use."""

    root: Path
    files: set[str]
    project: str
    services: set[str]
    volumes: set[str]
    """Volume names as Docker resolves them (`<project>_<key>` unless named or external)."""
    published: set[int] = field(default_factory=set)


def compose_model(root: Path, rel: str) -> ComposeModel:
    data = yaml.safe_load((root / rel).read_text(encoding="utf-8"))
    project = data.get("name") or (Path(rel).parent.name or root.name)
    volumes = set()
    for key, spec in (data.get("volumes") or {}).items():
        spec = spec or {}
        volumes.add(spec.get("name") or (key if spec.get("external") else f"{project}_{key}"))
    published = set()
    for spec in data["services"].values():
        for port in spec.get("ports") or []:
            parts = str(port).split("/")[0].split(":")
            if len(parts) >= 2 and parts[-2].isdigit():
                published.add(int(parts[-2]))
    return ComposeModel(root, {rel}, project, set(data["services"]), volumes, published)


WITH_VALUE = object()
GLOBAL_FLAGS: dict[str, object] = {
    "-f": WITH_VALUE,
    "--file": WITH_VALUE,
    "-p": WITH_VALUE,
    "--project-name": WITH_VALUE,
    "--profile": WITH_VALUE,
    "--env-file": WITH_VALUE,
    "--project-directory": WITH_VALUE,
    "--ansi": WITH_VALUE,
    "--progress": WITH_VALUE,
    "--dry-run": None,
}
SUBCOMMANDS: dict[str, dict[str, object]] = {
    "ps": dict.fromkeys(["-a", "--all", "-q", "--quiet", "--no-trunc", "--services", "--orphans"])
    | {"--format": WITH_VALUE, "--status": WITH_VALUE, "--filter": WITH_VALUE},
    "logs": dict.fromkeys(["-f", "--follow", "-t", "--timestamps", "--no-color", "--no-log-prefix"])
    | {"--since": WITH_VALUE, "--until": WITH_VALUE, "--tail": WITH_VALUE, "-n": WITH_VALUE},
    "exec": dict.fromkeys(["-T", "--no-TTY", "-d", "--detach", "--privileged"])
    | {"-e": WITH_VALUE, "--env": WITH_VALUE, "-u": WITH_VALUE, "--user": WITH_VALUE}
    | {"-w": WITH_VALUE, "--workdir": WITH_VALUE, "--index": WITH_VALUE},
    "config": dict.fromkeys(["--services", "--volumes", "-q", "--quiet", "--images"])
    | {"--hash": WITH_VALUE, "--format": WITH_VALUE, "-o": WITH_VALUE},
    "top": {},
    "images": dict.fromkeys(["-q", "--quiet"]) | {"--format": WITH_VALUE},
}
"""docker compose v2 subcommands a safe step may use, and their flags (docs.docker.com)."""
DOCKER: dict[str, dict[str, object]] = {
    "stats": dict.fromkeys(["--no-stream", "-a", "--all", "--no-trunc"]) | {"--format": WITH_VALUE},
    "inspect": {"--format": WITH_VALUE, "-f": WITH_VALUE, "--type": WITH_VALUE, "-s": None},
}


def command_words(text: str) -> Iterator[list[str]]:
    """The words of every simple command in a shell line, nested ones included."""

    class Visitor(bashlex.ast.nodevisitor):  # type: ignore[misc]
        def __init__(self) -> None:
            self.found: list[list[str]] = []

        def visitcommand(self, node: bashlex.ast.node, parts: list[bashlex.ast.node]) -> None:
            self.found.append([p.word for p in parts if p.kind == "word"])

    for tree in bashlex.parse(text):
        visitor = Visitor()
        visitor.visit(tree)
        yield from visitor.found


def _flags(
    words: list[str], table: dict[str, object], what: str, problems: list[str]
) -> tuple[list[str], dict[str, str]]:
    """Positional words and the flags' values; unknown flags become problems."""
    positional: list[str] = []
    values: dict[str, str] = {}
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("-") and word != "-":
            name, _, inline = word.partition("=")
            if name not in table:
                problems.append(f"{what}: unknown flag {name}")
            elif table[name] is WITH_VALUE and not inline:
                index += 1
                values[name] = words[index] if index < len(words) else ""
            else:
                values[name] = inline
        else:
            positional.append(word)
        index += 1
    return positional, values


def check_compose(words: list[str], model: ComposeModel, problems: list[str]) -> None:
    index, files, project = 2, [], None
    while index < len(words) and words[index].startswith("-"):
        flag = words[index]
        if flag not in GLOBAL_FLAGS:
            problems.append(f"docker compose: unknown global flag {flag}")
            return
        if GLOBAL_FLAGS[flag] is WITH_VALUE:
            index += 1
            value = words[index]
            if flag in ("-f", "--file"):
                files.append(value)
            elif flag in ("-p", "--project-name"):
                project = value
        index += 1
    if not files:
        problems.append("docker compose without -f: depends on the directory it is run from")
    for rel in files:
        if not (model.root / rel).is_file():
            problems.append(f"docker compose -f {rel}: no such file")
    if project != model.project:
        problems.append(f"docker compose -p {project}: the project is {model.project}")
    sub, rest = words[index], words[index + 1 :]
    if sub not in SUBCOMMANDS:
        problems.append(f"docker compose {sub}: not a read-only subcommand")
        return
    if sub == "exec":
        split = next((i for i, w in enumerate(rest) if not w.startswith("-")), len(rest))
        while (
            split < len(rest)
            and rest[split - 1] in SUBCOMMANDS["exec"]
            and (SUBCOMMANDS["exec"][rest[split - 1]] is WITH_VALUE)
        ):
            split += 1
        _flags(rest[:split], SUBCOMMANDS[sub], "docker compose exec", problems)
        names = rest[split : split + 1]
    else:
        names, values = _flags(rest, SUBCOMMANDS[sub], f"docker compose {sub}", problems)
        if "--hash" in values:
            names = [*names, *values["--hash"].split(",")]
    for name in names:
        if name not in model.services and name != "*":
            problems.append(f"docker compose {sub} {name}: no such service in {model.files}")


def check_line(text: str, model: ComposeModel) -> list[str]:
    """What is wrong with one command line against the compose model (empty: nothing)."""
    problems: list[str] = []
    try:
        every = list(command_words(text))
    except bashlex.errors.ParsingError as exc:
        return [f"does not parse: {exc}"]
    for words in every:
        while words and words[0] in ("sudo", "xargs"):
            words = [w for w in words[1:] if w not in ("-r", "--no-run-if-empty")]
        if words[:2] == ["docker", "compose"]:
            check_compose(words, model, problems)
        elif words[:1] == ["docker"] and len(words) > 1 and words[1] in DOCKER:
            _flags(words[2:], DOCKER[words[1]], f"docker {words[1]}", problems)
        elif words[:1] == ["curl"]:
            for url in (w for w in words[1:] if "://" in w):
                port = re.search(r"://[^/:]+:(\d+)", url)
                if port and int(port.group(1)) not in model.published:
                    problems.append(f"curl {url}: port {port.group(1)} is not published")
    if "docker system df" in text:
        names = re.findall(r"\$1 == \"([^\"]+)\"|grep -w (\S+)", text)
        for name in (a or b for a, b in names):
            if name not in model.volumes:
                problems.append(f"volume {name}: Docker names it one of {sorted(model.volumes)}")
    return problems


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    result = static_run(FIXTURE, tmp_path_factory.mktemp("smoke"))
    daily = (result.out_dir / "runbook-daily.md").read_text(encoding="utf-8")
    return Path(result.document.repo.root), daily


def test_daily_safe_steps_name_what_the_compose_model_holds(shop: tuple[Path, str]) -> None:
    root, daily = shop
    model = compose_model(root, "docker-compose.yml")
    safe = [s for s in steps(daily) if s.safety == "safe" and s.command]
    assert len(safe) >= 10
    assert {s.safety for s in steps(daily)} == {"safe"}, "a daily step that is not safe"
    failures = {s.command: check_line(s.command, model) for s in safe if s.command}
    assert not {c: p for c, p in failures.items() if p}
    compose_steps = [s for s in safe if "docker compose" in (s.command or "")]
    assert len(compose_steps) >= 8


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("docker compose logs --since 24h sut 2>&1 | grep -iE 'error'", "without -f"),
        ("docker compose -f docker-compose.yml -p shop logs sut", "no such service"),
        ("docker system df -v | grep -w pgdata", "volume pgdata"),
        ("docker compose -f docker-compose.yml -p compose-shop ps api", "the project is shop"),
        ("docker compose -f deploy/docker-compose.yml -p shop ps api", "no such file"),
        ("docker compose -f docker-compose.yml -p shop ps --bogus api", "unknown flag --bogus"),
        ("docker compose -f docker-compose.yml -p shop up -d seed", "not a read-only"),
        ("docker stats --no-stream --pretty", "unknown flag --pretty"),
        ("curl -fsS http://127.0.0.1:9999/healthz", "port 9999 is not published"),
    ],
)
def test_the_simulated_shell_rejects_the_commands_issue_17_found(
    shop: tuple[Path, str], command: str, problem: str
) -> None:
    root, _ = shop
    problems = check_line(command, compose_model(root, "docker-compose.yml"))
    assert any(problem in p for p in problems), problems


# ------------------------------------------------------------------ real Docker


def _docker_unavailable() -> str | None:
    docker = shutil.which("docker")
    if docker is None:
        return "docker is not installed: the simulated shell above checked the commands instead"
    try:
        done = subprocess.run([docker, "info"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"docker info failed ({exc}): no daemon to run the stack on"
    if done.returncode != 0:
        return "the Docker daemon does not answer (docker info failed)"
    return None


def expectation_met(step: RunbookStep, done: subprocess.CompletedProcess[str]) -> bool:
    """Each Expect as the daily runbook words it."""
    out = done.stdout + done.stderr
    if step.expect.startswith("STATUS shows (healthy)"):
        return "(healthy)" in out
    if step.expect.startswith("no matching lines"):
        return done.returncode == 1 or not done.stdout.strip()  # grep found nothing, or
    if step.expect.startswith("the two hashes are equal"):
        hashes = re.findall(r"\b[0-9a-f]{64}\b", out)
        return len(hashes) == 2 and hashes[0] == hashes[1]
    return done.returncode == 0


@pytest.mark.slow
def test_daily_safe_steps_run_for_real_against_the_fixture_stack(
    shop: tuple[Path, str],
) -> None:
    reason = _docker_unavailable()
    if reason:
        pytest.skip(reason)
    root, daily = shop
    env = {**os.environ, "POSTGRES_PASSWORD": "smoke-test-only"}
    compose = ["docker", "compose", "-f", "docker-compose.yml", "-p", "shop"]
    up = subprocess.run(
        [*compose, "up", "-d", "--build", "--wait"], cwd=root, env=env, check=False, timeout=900
    )
    try:
        assert up.returncode == 0, "the fixture stack did not come up healthy"
        failed = []
        for step in (s for s in steps(daily) if s.safety == "safe" and s.command):
            done = subprocess.run(
                ["bash", "-c", step.command or ""],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if not expectation_met(step, done):
                failed.append(f"{step.command}\n  expected {step.expect}\n  got {done.stdout}")
        assert not failed, "\n".join(failed)
    finally:
        subprocess.run([*compose, "down", "-v"], cwd=root, env=env, check=False, timeout=300)
