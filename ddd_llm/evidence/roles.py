"""Roles of services: which ones run all the time, run once, or exist only for tests or development.

The runbooks treat a service by its role (docs/artifacts.md): a long-running service gets
health checks, updates and rollbacks; a job (it runs to completion) is only ever run
deliberately; a test-only or dev-only service appears in no operational runbook. The role
comes from the files that define the service, and its reason names the file and line:

    role        evidence
    job         compose `restart: "no"` (or none) with a finishing command or name (seed,
                migrate, init, setup, backup, createbuckets…), compose `profiles:` gating,
                another service waiting for it with `service_completed_successfully`,
                Kubernetes Job/CronJob, a Helm or Argo CD hook, systemd `Type=oneshot`
    test-only   defined only in test or CI files (`*test*`, `*e2e*`, `*ci*` names or folders,
                .github/workflows, .gitlab-ci.yml…), gated by a test profile, or named as a
                test service (`sut`, `tests`, `e2e`; the reason adds where CI runs it)
    dev-only    defined only in `compose.override.yml` / `docker-compose.override.yml`,
                `*.dev.yml`, `.devcontainer/`, or gated by a dev profile
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from ddd_llm.evidence.yamlpos import YamlList, YamlMap, YamlParseError, load_documents
from ddd_llm.models import Citation, Service, ServiceRole
from ddd_llm.scan.text import split_lines

_TEST_WORDS = frozenset({"test", "tests", "testing", "e2e", "ci", "integration", "sut"})
_DEV_WORDS = frozenset({"override", "dev", "devel", "develop", "development", "devcontainer"})
_CI_FILES = re.compile(
    r"(^|/)(\.github/workflows/[^/]+|\.gitlab-ci\.ya?ml|\.circleci/[^/]+|\.travis\.ya?ml|"
    r"azure-pipelines\.ya?ml|bitbucket-pipelines\.ya?ml|Jenkinsfile|\.drone\.ya?ml|"
    r"\.woodpecker(\.ya?ml|/[^/]+))$"
)
_FINISHING = re.compile(
    r"(?<![a-z0-9])(seed|seeder|seeding|seeds|migrate|migration|migrations|migrator|init|"
    r"initdb|setup|backup|restore|createbuckets|create[-_]buckets?|bootstrap|provision|"
    r"populate|fixtures|loaddata|load[-_]data|import|db:migrate|db:seed|upgrade)(?![a-z])",
    re.I,
)
"""Words in a service's name or command that say it does one thing and exits."""
_LONG_RESTART = frozenset({"always", "unless-stopped", "on-failure"})
_ONESHOT = re.compile(r"^\s*Type\s*=\s*oneshot\s*$", re.I | re.M)
_HOOK = re.compile(r"^\s*[\"']?(helm\.sh/hook|argocd\.argoproj\.io/hook)[\"']?\s*:", re.M)


@dataclass(frozen=True)
class Role:
    role: ServiceRole
    reason: str


def words(path: str) -> set[str]:
    """The lower-case words of a path's folders and file name (`ci/docker-compose.test.yml`
    → ci, docker, compose, test, yml)."""
    return {w for part in PurePosixPath(path.lower()).parts for w in re.split(r"[-_.]+", part)}


def is_ci_file(path: str) -> bool:
    return bool(_CI_FILES.search(path))


def is_test_path(path: str) -> bool:
    return is_ci_file(path) or bool(words(path) & _TEST_WORDS)


def is_dev_path(path: str) -> bool:
    return bool(words(path) & _DEV_WORDS) or PurePosixPath(path).name.lower().startswith(
        ".devcontainer"
    )


def _at(c: Citation) -> str:
    return f"{c.path}:{c.start_line}"


def path_role(service: Service) -> Role | None:
    """test-only / dev-only when every file that defines the service is a test or dev file."""
    cites = service.citations
    if not cites:
        return None
    if all(is_test_path(c.path) for c in cites):
        return Role("test-only", f"defined only in test or CI files ({_at(cites[0])})")
    if all(is_test_path(c.path) or is_dev_path(c.path) for c in cites):
        return Role("dev-only", f"defined only in development files ({_at(cites[0])})")
    return None


_TEST_NAMES = frozenset({"test", "tests", "testing", "e2e", "sut", "autotests", "specs"})
"""Service names that say the service runs a test suite (Docker Hub's `sut`, `tests`, `e2e`)."""
_CI_RUN = re.compile(r"\bdocker(?:-compose|\s+compose)\b.*\b(?:run|up)\b(?P<rest>.*)$")


def ci_runs(texts: Mapping[str, str]) -> dict[str, str]:
    """Service name → `file:line` where a CI file runs it with `docker compose run|up`."""
    found: dict[str, str] = {}
    for path, text in texts.items():
        if not is_ci_file(path):
            continue
        for number, line in enumerate(split_lines(text), start=1):
            match = _CI_RUN.search(line)
            if match is None:
                continue
            for word in re.findall(r"(?<![-=\w./$])([a-z0-9][\w.-]*)", match.group("rest")):
                found.setdefault(word.lower(), f"{path}:{number}")
    return found


def name_role(service: Service, texts: Mapping[str, str]) -> Role | None:
    """test-only when the service's own name says it runs tests (`sut`, `tests`, `e2e`)."""
    if not words(service.name) & _TEST_NAMES:
        return None
    where = _at(service.citations[0]) if service.citations else "its definition"
    run = ci_runs(texts).get(service.name)
    by_ci = f"; CI runs it at {run}" if run else ""
    return Role("test-only", f"named as a test service ({where}){by_ci}")


# ------------------------------------------------------------------ compose


def _compose_services(text: str) -> YamlMap | None:
    try:
        docs = load_documents(text)
    except YamlParseError as exc:
        docs = exc.documents
    for doc in docs:
        data = doc.data
        if isinstance(data, YamlMap) and isinstance(data.get("services"), YamlMap):
            services: YamlMap = data["services"]
            return services
    return None


def _spec(services: YamlMap, name: str) -> YamlMap | None:
    for key, spec in services.items():
        if str(key).lower() == name and isinstance(spec, YamlMap):
            return spec
    return None


def _text(value: object) -> str:
    if isinstance(value, (list, YamlList)):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _line(spec: YamlMap, key: str) -> int:
    return spec.line_of(key).start


def compose_role(path: str, services: YamlMap, name: str) -> Role | None:
    """A compose service's role from its own keys and from who waits for it to finish."""
    spec = _spec(services, name)
    if spec is None:
        return None
    profiles = spec.get("profiles")
    if isinstance(profiles, (list, YamlList)) and profiles:
        gate = {str(p).lower() for p in profiles}
        where = f"{path}:{_line(spec, 'profiles')}"
        listed = ", ".join(sorted(gate))
        if any(words(p) & _TEST_WORDS for p in gate):
            return Role("test-only", f"gated by the test profile {listed} ({where})")
        if any(words(p) & _DEV_WORDS or p in ("local", "debug") for p in gate):
            return Role("dev-only", f"gated by the development profile {listed} ({where})")
        return Role("job", f"runs only when its profile {listed} is asked for ({where})")
    for other, other_spec in services.items():
        deps = other_spec.get("depends_on") if isinstance(other_spec, YamlMap) else None
        if not isinstance(deps, YamlMap):
            continue
        for dep, cond in deps.items():
            if (
                str(dep).lower() == name
                and isinstance(cond, YamlMap)
                and cond.get("condition") == "service_completed_successfully"
            ):
                where = f"{path}:{deps.line_of(dep).start}"
                return Role("job", f"{other} waits for it to complete successfully ({where})")
    restart = str(spec.get("restart", "no")).strip().lower()
    if restart in _LONG_RESTART or spec.get("ports") or spec.get("healthcheck"):
        return None
    command = " ".join(_text(spec.get(k)) for k in ("entrypoint", "command"))
    hit = _FINISHING.search(name) or _FINISHING.search(command)
    if hit is None:
        return None
    key = "command" if "command" in spec else ("entrypoint" if "entrypoint" in spec else None)
    line = _line(spec, key) if key and _FINISHING.search(command) else spec.span.start
    policy = f'restart: "{restart}"' if "restart" in spec else "no restart policy"
    return Role("job", f"{policy} and it runs `{hit.group(0)}` then exits ({path}:{line})")


# ------------------------------------------------------------------ kubernetes, systemd


def _cited_text(texts: Mapping[str, str], c: Citation) -> str:
    lines = split_lines(texts.get(c.path, ""))
    return "\n".join(lines[c.start_line - 1 : c.end_line])


def kubernetes_role(service: Service, texts: Mapping[str, str]) -> Role | None:
    for c in service.citations:
        if service.kind in ("k8s-job", "k8s-cronjob"):
            kind = "CronJob" if service.kind == "k8s-cronjob" else "Job"
            return Role("job", f"a Kubernetes {kind} ({_at(c)})")
        body = _cited_text(texts, c)
        hook = _HOOK.search(body)
        if hook:
            line = c.start_line + body.count("\n", 0, hook.start())
            return Role("job", f"a deployment hook ({hook.group(1)}) ({c.path}:{line})")
    return None


def systemd_role(service: Service, texts: Mapping[str, str]) -> Role | None:
    for c in service.citations:
        body = _cited_text(texts, c)
        oneshot = _ONESHOT.search(body)
        if oneshot:
            line = c.start_line + body.count("\n", 0, oneshot.start())
            return Role("job", f"systemd Type=oneshot ({c.path}:{line})")
    return None


# ------------------------------------------------------------------ all together


def role_of(service: Service, texts: Mapping[str, str]) -> Role | None:
    """The evidence for a role other than long-running, or None."""
    by_path = path_role(service) or name_role(service, texts)
    if by_path is not None:
        return by_path
    if service.kind.startswith("compose"):
        for c in service.citations:
            services = _compose_services(texts.get(c.path, ""))
            found = compose_role(c.path, services, service.name) if services else None
            if found is not None:
                return found
        return None
    if service.kind.startswith("k8s"):
        return kubernetes_role(service, texts)
    if service.kind.startswith("systemd"):
        return systemd_role(service, texts)
    return None


def assign_roles(services: Iterable[Service], texts: Mapping[str, str]) -> list[Service]:
    """Every service with its role and the reason (file:line); long-running when nothing says
    otherwise. `texts` maps repo-relative paths to the scanned text of each file."""
    out: list[Service] = []
    for service in services:
        try:
            found = role_of(service, texts)
        except (ValueError, TypeError, AttributeError):
            found = None  # an odd file never stops the run: the service stays long-running
        if found is None:
            out.append(service)
        else:
            out.append(service.model_copy(update={"role": found.role, "role_reason": found.reason}))
    return out
