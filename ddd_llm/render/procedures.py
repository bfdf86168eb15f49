"""Turn facts into the steps an operator runs: command, expected result, citation, safety, time.

Safety and duration are a rule of the step's action (docs/artifacts.md):

    action          safety           minutes  why
    check           safe             1        one read-only command, one expected result
    inspect         safe             5        read-only review of output, metrics or config
    backup          caution          10       reads live data and writes a copy; adds load
    restart         caution          5        interrupts the service briefly (needs approval
                                              when the service keeps state)
    rollback        needs approval   10       changes what runs
    config-change   needs approval   10       changes behaviour; may need a restart
    run-job         needs approval   10       re-runs a one-shot job: changes what it writes
    update          needs approval   15       changes what runs; may not be reversible
    migrate         needs approval   30       changes stored data
    restore         needs approval   30       overwrites data

A step that needs approval always says what to check first (a fresh backup) and how to go
back (its rollback). A step that waits for a health check to pass takes at least the check's
own window (interval × failure threshold + timeout), rounded up to whole minutes. A step
built from a fact that is not verified carries a marker with the reason; contradicted facts
never reach this module (render.steppable filters them).

Every command is written to be pasted as is, from the repository root: compose commands name
their files and project (`docker compose -f deploy/compose.yml -p shop …`), kubectl commands
their context and namespace (`kubectl --context "$KUBE_CONTEXT" -n payments …`), and names
are the ones the platform resolves (a compose volume `pgdata` is `shop_pgdata`).
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

from ddd_llm.evidence.code import _ts
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    FactBase,
    HealthCheck,
    ResourceRequirement,
    Service,
    ValidationMethod,
)
from ddd_llm.verify.verifier import status_reason

Safety = Literal["safe", "caution", "needs approval"]
Action = Literal[
    "check",
    "inspect",
    "backup",
    "restart",
    "rollback",
    "config-change",
    "run-job",
    "update",
    "migrate",
    "restore",
]
Platform = Literal["compose", "kubernetes", "systemd", "host"]

RULES: dict[Action, tuple[Safety, int]] = {
    "check": ("safe", 1),
    "inspect": ("safe", 5),
    "backup": ("caution", 10),
    "restart": ("caution", 5),
    "rollback": ("needs approval", 10),
    "config-change": ("needs approval", 10),
    "run-job": ("needs approval", 10),
    "update": ("needs approval", 15),
    "migrate": ("needs approval", 30),
    "restore": ("needs approval", 30),
}
"""Safety label and estimated minutes per action; the table in the module docstring."""

WARN_SHARE = 0.80
"""Resource use above this share of a declared limit is a warning (daily and monthly)."""
ESCALATE_SHARE = 0.95
"""Resource use above this share of a declared limit, or an OOM kill, is escalated."""
ERROR_PATTERN = "error|fatal|panic|traceback|exception"
ROLLBACK_WORDS = ("rollback", "roll back", "rollout undo", "downgrade", "revert")
SAMPLES = 60
"""A peak is the highest of this many samples, one a minute (an hour of sampling)."""
KUBE_CONTEXT = "KUBE_CONTEXT"
"""The variable the operator sets once (`export KUBE_CONTEXT=…`) for every kubectl step."""
BACKUP_FIRST = (
    "confirm a fresh, restorable backup of the data this step changes (preflight-checklist.md §3)"
)
NO_ROLLBACK = (
    "none documented: record what runs now (image or version, configuration) before you "
    "start, so you can return to it"
)

RESTORE_BACKUP = (
    "restore the backup you confirmed first: what this step wrote is not undone otherwise"
)
DEFAULT_ROLLBACK: dict[Action, str] = {
    "restore": RESTORE_BACKUP,
    "migrate": RESTORE_BACKUP,
    "run-job": RESTORE_BACKUP,
    "restart": "start it again; if it does not come back healthy, follow escalation.md",
}
"""How to go back from a gated step when nothing more specific is documented."""


# ------------------------------------------------------------------ where commands run


@dataclass(frozen=True)
class Scope:
    """Where a service's commands run and how the platform names its resources.

    Every path is relative to the repository root, where the operator runs the commands
    (`workdir` "."), except systemd units, which are run on the host (`workdir` None).
    """

    platform: Platform
    workdir: str | None = "."
    files: tuple[str, ...] = ()
    """Compose files, in `-f` order."""
    project: str | None = None
    """The compose project: `name:` in the file, else the file's folder name."""
    namespace: str = "default"
    """The Kubernetes namespace: the manifest's, its kustomization's, else `default`."""
    kustomize: str | None = None
    """The folder of the kustomization that lists the manifest (apply and diff it with -k)."""
    volumes: Mapping[str, str] = field(default_factory=dict)
    """Compose volume key → the name Docker gives it (`pgdata` → `shop_pgdata`)."""

    @property
    def compose(self) -> str:
        files = " ".join(f"-f {shlex.quote(f)}" for f in self.files)
        return f"docker compose {files} -p {shlex.quote(self.project or 'app')}".replace("  ", " ")

    @property
    def kubectl(self) -> str:
        return f'kubectl --context "${KUBE_CONTEXT}" -n {shlex.quote(self.namespace)}'

    def volume(self, key: str) -> str:
        return self.volumes.get(key) or f"{self.project or 'app'}_{key}"

    @property
    def where(self) -> str:
        """The line an operator reads before the command: which folder, files, project."""
        if self.platform == "compose":
            return (
                f"the repository root; compose project `{self.project}` ({', '.join(self.files)})"
            )
        if self.platform == "kubernetes":
            return (
                f"the repository root; namespace `{self.namespace}`, the cluster "
                f"`${KUBE_CONTEXT}` names"
            )
        if self.platform == "systemd":
            return "a shell on the host that runs the unit"
        if self.workdir is None:
            return "a shell on the host that runs the service"
        return "the repository root"


def project_name(text: str) -> str:
    """A compose project name as Docker normalises it: lower case, [a-z0-9_-] only."""
    name = re.sub(r"[^a-z0-9_-]", "", text.lower())
    return name.lstrip("-_") or "app"


def default_scope(service: Service | None, root_name: str = "app") -> Scope:
    """The scope the files' own paths imply, when nothing more is known: compose project
    from the file's folder (the repository's name for a file at the root), namespace default."""
    platform = platform_of(service)
    if service is None or platform == "host":
        return Scope("host")
    if platform == "systemd":
        return Scope("systemd", workdir=None)
    paths = [c.path for c in service.citations]
    if platform == "compose":
        files = tuple(dict.fromkeys(paths)) or ("docker-compose.yml",)
        folder = PurePosixPath(files[0]).parent.name or root_name
        return Scope("compose", files=files, project=project_name(folder))
    return Scope("kubernetes")


def q(text: str) -> str:
    """A word quoted for the shell only when it needs it."""
    return shlex.quote(text)


@dataclass(frozen=True)
class Step:
    title: str
    command: str | None
    expected: str
    citations: list[Citation]
    action: Action = "check"
    safety: Safety = "safe"
    minutes: int = 1
    marker: str | None = None
    """Set for unverified facts: the reason an operator should double-check the step."""
    note: str | None = None
    """One more line for the operator (a placeholder to fill in, a precondition)."""
    fact_ids: tuple[str, ...] = field(default=())
    where: str | None = None
    """Where to run the command from (folder, compose project, namespace); None: no command."""
    before: str | None = None
    """For a step that needs approval: what to check first (a fresh backup)."""
    rollback: str | None = None
    """For a step that needs approval: how to go back."""

    @property
    def cite(self) -> str:
        return ", ".join(str(c) for c in self.citations)


def make_step(
    action: Action,
    title: str,
    command: str | None,
    expected: str,
    citations: Sequence[Citation],
    facts: Sequence[FactBase] = (),
    *,
    minutes: int | None = None,
    note: str | None = None,
    scope: Scope | None = None,
    stateful: bool = False,
    before: str | None = None,
    rollback: str | None = None,
) -> Step:
    """A step whose safety and duration follow RULES, marked when a fact is not verified.

    A restart of a service that keeps state needs approval; every step that needs approval
    carries a backup check and a rollback (a plain "none documented" when none is known)."""
    safety, base = RULES[action]
    if action == "restart" and stateful:
        safety = "needs approval"
    unique: list[Citation] = []
    for c in citations:
        if c not in unique:
            unique.append(c)
    gated = safety == "needs approval"
    return Step(
        title=title,
        command=command,
        expected=expected,
        citations=unique,
        action=action,
        safety=safety,
        minutes=max(base, minutes or 0),
        marker=marker(facts),
        note=note,
        fact_ids=tuple(f.id for f in facts),
        where=(scope.where if scope else "the repository root") if command else None,
        before=(before or BACKUP_FIRST) if gated else None,
        rollback=(rollback or DEFAULT_ROLLBACK.get(action, NO_ROLLBACK)) if gated else None,
    )


def marker(facts: Sequence[FactBase]) -> str | None:
    """`unverified: <reason>` for the first fact that is not verified, else None."""
    for fact in facts:
        if fact.verification.status != "verified":
            return f"unverified: {status_reason(fact)}"
    return None


def platform_of(service: Service | None) -> Platform:
    """compose, kubernetes, systemd or host: how an operator reaches the service."""
    if service is None:
        return "host"
    if service.kind.startswith("compose"):
        return "compose"
    if service.kind.startswith("k8s"):
        return "kubernetes"
    if service.kind.startswith("systemd"):
        return "systemd"
    return "host"


def workload(service: Service | None, name: str) -> str:
    """`deployment/NAME`, `statefulset/NAME`…: how kubectl names the service's workload."""
    kind = service.kind.removeprefix("k8s-") if service and service.kind.startswith("k8s-") else ""
    return f"{kind or 'deployment'}/{name}"


def manifest_of(service: Service | None) -> str | None:
    """The file that defines the service (its first citation), if known."""
    return service.citations[0].path if service and service.citations else None


def check_window_s(fact: HealthCheck) -> float | None:
    """How long the platform takes to call the service unhealthy: interval × failures + timeout."""
    if fact.interval_s is None:
        return None
    return float(fact.interval_s) * float(fact.failure_threshold or 1) + float(fact.timeout_s or 0)


def _minutes(seconds: float | None) -> int:
    return max(1, math.ceil(seconds / 60)) if seconds else 1


# ------------------------------------------------------------------ where a service listens


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    citations: list[Citation]


def is_port(text: str) -> bool:
    """ASCII digits only (`'²'.isdigit()` is true, but int('²') raises)."""
    return text.isascii() and text.isdigit()


def endpoint(facts: Sequence[FactBase], platform: Platform) -> Endpoint | None:
    """Where the operator reaches the service: a published or container port, else a port setting.

    Compose: the published host port (`127.0.0.1:8000:8000` → 127.0.0.1:8000). Elsewhere:
    the container port, or the default of the one parameter named like a listen port.
    """
    published: list[Endpoint] = []
    container: list[Endpoint] = []
    for f in facts:
        if isinstance(f, ResourceRequirement) and f.resource == "port" and f.value:
            parts = f.value.split("/")[0].split(":")
            numbers = [p for p in parts if is_port(p)]
            if not numbers:
                continue
            if len(parts) >= 2 and platform == "compose":
                if not is_port(parts[-2]):
                    continue  # a variable (`${API_PORT}:9000`): where it listens is unknown
                host = parts[0] if len(parts) == 3 and not is_port(parts[0]) else "localhost"
                published.append(Endpoint(host, int(parts[-2]), f.citations))
            else:
                container.append(Endpoint("localhost", int(numbers[-1]), f.citations))
    if published:
        return published[0]
    if container and platform != "compose":
        return container[0]
    ports: dict[int, list[Citation]] = {}
    for f in facts:
        if (
            isinstance(f, ConfigParameter)
            and re.search(r"(^|[-_.])port$", f.name.lower())
            and f.default
            and is_port(f.default)
        ):
            ports.setdefault(int(f.default), []).extend(f.citations[:1])
    if len(ports) == 1:
        port, cites = next(iter(ports.items()))
        return Endpoint("localhost", port, cites[:1])
    return None


# ------------------------------------------------------------------ daily

_SHELL_MARKS = re.compile(r"[|&;<>()$`\\\"'*?\[\]{}~#!\n]")


def in_container(target: str) -> str:
    """A check command run inside a container: a shell string goes through `sh -c`, so its
    `||` or pipes run in the container, never in the operator's shell."""
    return f"sh -c {q(target)}" if _SHELL_MARKS.search(target) else target


def _port_forward(kubectl: str, ref: str, port: int, then: str) -> str:
    return f"{kubectl} port-forward {ref} {port}:{port} & sleep 2; {then}; kill %1"


def scope_or_default(scope: Scope | None, service: Service | None) -> Scope:
    return scope if scope is not None else default_scope(service)


def health_step(
    fact: HealthCheck,
    service: Service | None,
    where: Endpoint | None = None,
    scope: Scope | None = None,
) -> Step:
    """How to run one health check by hand, on the platform the service is deployed on."""
    sc = scope_or_default(scope, service)
    name = fact.service or (service.name if service else "the service")
    platform = platform_of(service)
    ref = workload(service, name)
    port = fact.port or (where.port if where else None)
    host = where.host if where and not fact.port else "localhost"
    cites = list(fact.citations)
    note: str | None = None
    command: str | None
    expected: str
    if fact.mechanism == "compose-healthcheck" or (
        fact.mechanism == "dockerfile-healthcheck" and platform == "compose"
    ):
        command = f"{sc.compose} ps {q(name)}"
        expected = f"STATUS shows (healthy); the check runs `{fact.target}`"
    elif fact.mechanism == "dockerfile-healthcheck" and platform == "kubernetes":
        # Kubernetes ignores an image's HEALTHCHECK: run the same command inside the pod.
        command = f"{sc.kubectl} exec {ref} -- {in_container(fact.target)}"
        expected = "exit status 0"
    elif fact.mechanism == "dockerfile-healthcheck":
        command = "docker inspect --format '{{.State.Health.Status}}' CONTAINER"
        expected = f"healthy (the image's HEALTHCHECK runs `{fact.target}`)"
        note = "replace CONTAINER with the container's name or id"
    elif fact.mechanism == "systemd-watchdog":
        command = f"systemctl status {q(name)} --no-pager"
        expected = "Active: active (running), and no watchdog timeout in the journal"
    elif platform == "kubernetes" and fact.check_type == "exec":
        command = f"{sc.kubectl} exec {ref} -- {in_container(fact.target)}"
        expected = "exit status 0"
    elif platform == "kubernetes" and port and fact.check_type in ("http", "tcp", "grpc"):
        if fact.check_type == "http":
            probe = f"curl -fsS {q(f'http://127.0.0.1:{port}{fact.target}')}"
            expected = "HTTP 2xx"
        elif fact.check_type == "tcp":
            probe = f"nc -z 127.0.0.1 {port}"
            expected = "the port accepts connections (exit status 0)"
        else:
            probe = _grpc_probe(f"127.0.0.1:{port}", fact.target)
            expected = "status: SERVING"
        command = _port_forward(sc.kubectl, ref, port, probe)
    elif platform == "kubernetes":
        command = f"{sc.kubectl} get {ref}"
        expected = "READY shows every replica ready"
    elif fact.check_type == "http":
        base = f"http://{host}:{port}" if port else "http://HOST:PORT"
        command = f"curl -fsS {q(base + fact.target)}"
        expected = "HTTP 2xx"
        if not port:
            note = f"replace HOST:PORT with where {name} listens (no port was found)"
    elif fact.check_type == "tcp":
        command = f"nc -z {q(host)} {q(str(port or fact.target))}"
        expected = "the port accepts connections (exit status 0)"
    elif fact.check_type == "grpc":
        command = _grpc_probe(f"{host}:{port}" if port else "HOST:PORT", fact.target)
        expected = "status: SERVING"
        if not port:
            note = f"replace HOST:PORT with where {name} listens (no port was found)"
    elif platform == "compose":
        command = f"{sc.compose} exec -T {q(name)} {in_container(fact.target)}"
        expected = "exit status 0"
    else:
        command = fact.target
        expected = "exit status 0"
    if where and not fact.port and command and str(where.port) in command:
        cites.extend(where.citations)
    return make_step(
        "check",
        f"Check {name} health ({fact.mechanism}, {fact.check_type} {fact.target})",
        command,
        expected,
        cites,
        [fact],
        note=note,
        scope=sc,
    )


def _grpc_probe(address: str, target: str) -> str:
    service = "" if target in ("grpc.health.v1.Health", "") else f" -service={q(target)}"
    return f"grpc_health_probe -addr={q(address)}{service}"


STATS_FORMAT: dict[str, str] = {"cpu": "{{.CPUPerc}}", "memory": "{{.MemPerc}}"}
"""`docker stats` columns: CPU as a share of one core (100% = one core), memory as a share
of the container's limit."""
TOP_COLUMN: dict[str, int] = {"cpu": 2, "memory": 3}
"""`kubectl top pod --no-headers` columns: NAME CPU(cores) MEMORY(bytes)."""


def _compose_ids(sc: Scope, name: str) -> str:
    return f"{sc.compose} ps -q {q(name)} | xargs -r"


def usage_command(
    resource: str, service: Service | None, name: str, scope: Scope | None = None
) -> str | None:
    """The service's use now: one reading (daily)."""
    sc = scope_or_default(scope, service)
    platform = platform_of(service)
    if platform == "compose":
        return (
            f"{_compose_ids(sc, name)} docker stats --no-stream --format "
            "'{{.Name}} cpu {{.CPUPerc}} memory {{.MemUsage}} ({{.MemPerc}})'"
        )
    if platform == "kubernetes":
        return f"{sc.kubectl} top pod --no-headers | grep {q('^' + name + '-')}"
    if platform == "systemd":
        unit = q(name)
        return {
            "memory": f"systemctl show {unit} -p MemoryCurrent -p MemoryPeak -p MemoryMax",
            "cpu": f"systemctl show {unit} -p CPUUsageNSec -p CPUQuotaPerSecUSec",
            "file_descriptors": (
                f'sudo ls "/proc/$(systemctl show -p MainPID --value {unit})/fd" | wc -l'
            ),
        }.get(resource, f"systemctl status {unit} --no-pager")
    return None


def peak_command(
    resource: str, service: Service | None, name: str, scope: Scope | None = None
) -> tuple[str | None, str]:
    """The highest use over a window, and what the number is: sampled once a minute for an
    hour (SAMPLES), or the platform's own peak counter. Never one snapshot called a peak."""
    sc = scope_or_default(scope, service)
    platform = platform_of(service)
    window = f"the highest of {SAMPLES} one-minute samples (an hour: run it at the busiest hour)"
    loop = f"for _ in $(seq {SAMPLES}); do {{body}}; sleep 60; done | sort -n | tail -n 1"
    if platform == "compose" and resource in STATS_FORMAT:
        body = (
            f"{_compose_ids(sc, name)} docker stats --no-stream --format '{STATS_FORMAT[resource]}'"
        )
        return loop.format(body=body), window
    if platform == "kubernetes" and resource in TOP_COLUMN:
        body = (
            f"{sc.kubectl} top pod --no-headers | awk "
            f"'$1 ~ /^{name.replace('.', '[.]')}-/ {{print ${TOP_COLUMN[resource]}}}'"
        )
        return loop.format(body=body), window
    if platform == "systemd" and resource == "memory":
        return (
            f"systemctl show {q(name)} -p MemoryPeak -p MemoryMax",
            "the unit's peak memory since it last started (MemoryPeak, systemd 256 or later)",
        )
    if platform == "systemd" and resource == "cpu":
        read = f"systemctl show {q(name)} -p CPUUsageNSec --value"
        command = (
            f"prev=$({read}); for _ in $(seq {SAMPLES}); do sleep 60; now=$({read}); "
            'echo "$(( (now - prev) / 600000000 ))%"; prev=$now; done | sort -n | tail -n 1'
        )
        return command, f"the busiest of {SAMPLES} one-minute averages, as % of one core"
    return usage_command(resource, service, name, sc), "one reading now, not a peak"


def bounds(fact: ResourceRequirement) -> str:
    parts = [
        f"request {fact.request}" if fact.request else "",
        f"limit {fact.limit}" if fact.limit else "",
    ]
    return ", ".join(p for p in parts if p)


def threshold_step(
    fact: ResourceRequirement, service: Service | None, scope: Scope | None = None
) -> Step:
    name = fact.service or "the service"
    if fact.limit:
        oom = " or after an out-of-memory kill" if fact.resource == "memory" else ""
        expected = (
            f"{fact.resource} use now below {WARN_SHARE:.0%} of the limit {fact.limit}; "
            f"escalate above {ESCALATE_SHARE:.0%}{oom}"
        )
    else:
        expected = f"{fact.resource} use now near the request {fact.request}; no limit is declared"
    sc = scope_or_default(scope, service)
    return make_step(
        "check",
        f"Compare {name} {fact.resource} use now with its declared {bounds(fact)}",
        usage_command(fact.resource, service, name, sc),
        expected,
        fact.citations,
        [fact],
        scope=sc,
    )


LOG_PLACES: dict[Platform, str] = {
    "compose": "the container's output (`docker compose logs`)",
    "kubernetes": "the pod's output (`kubectl logs`)",
    "systemd": "the systemd journal (`journalctl -u`)",
    "host": "no log location is known",
}


def log_command(service: Service, scope: Scope) -> str | None:
    name = service.name
    grep = f"grep -iE {q(ERROR_PATTERN)}"
    platform = platform_of(service)
    if platform == "compose":
        return f"{scope.compose} logs --since 24h {q(name)} 2>&1 | {grep}"
    if platform == "kubernetes":
        ref = workload(service, name)
        return f"{scope.kubectl} logs {ref} --since=24h --all-containers 2>&1 | {grep}"
    if platform == "systemd":
        return f"journalctl -u {q(name)} --since yesterday -p warning --no-pager"
    return None


def log_step(
    service: Service, level_params: Sequence[ConfigParameter], scope: Scope | None = None
) -> Step:
    """Read the last day's errors where the platform keeps the service's output."""
    sc = scope_or_default(scope, service)
    platform = platform_of(service)
    levels = ", ".join(f"{p.name}={p.default}" for p in level_params if p.default)
    expected = (
        "no entries at warning or above, or only ones you can explain"
        if platform == "systemd"
        else "no matching lines, or only ones you can explain"
    )
    return make_step(
        "check",
        f"Check {service.name} logs of the last 24 hours in {LOG_PLACES[platform]}",
        log_command(service, sc),
        expected,
        [*(c for p in level_params for c in p.citations), *service.citations[:1]],
        list(level_params),
        minutes=2,
        note=f"configured log level: {levels}" if levels else None,
        scope=sc,
    )


def _kube_source(sc: Scope, path: str | None) -> str | None:
    """What kubectl applies or diffs: the kustomization folder, else the manifest."""
    if sc.kustomize:
        return f"-k {q(sc.kustomize)}"
    return f"-f {q(path)}" if path else None


def drift_step(service: Service, scope: Scope | None = None) -> Step | None:
    """Compare what runs with what the repository declares, for one service."""
    sc = scope_or_default(scope, service)
    name = service.name
    path = manifest_of(service)
    platform = platform_of(service)
    source = _kube_source(sc, path)
    if platform == "compose":
        command = (
            f"{sc.compose} config --hash {q(name)}; {_compose_ids(sc, name)} docker inspect "
            "--format '{{index .Config.Labels \"com.docker.compose.config-hash\"}}'"
        )
        expected = (
            "the two hashes are equal: the running container was created from the current "
            "compose file"
        )
    elif platform == "kubernetes" and source:
        command = f"{sc.kubectl} diff {source}"
        expected = "no output and exit status 0 (exit status 1 lists the drifted fields)"
    elif platform == "systemd":
        command = f"systemctl cat {q(name)} --no-pager"
        expected = f"the same directives as {path}, and no drop-in you cannot explain"
    else:
        return None
    return make_step(
        "check",
        f"Compare the running {name} with its declared configuration",
        command,
        expected,
        service.citations[:1],
        minutes=3,
        scope=sc,
    )


# ------------------------------------------------------------------ weekly


def update_command(service: Service, sc: Scope) -> str | None:
    name = q(service.name)
    ref = workload(service, service.name)
    platform = platform_of(service)
    source = _kube_source(sc, manifest_of(service))
    if platform == "compose":
        return (
            f"{sc.compose} pull --ignore-buildable {name} && "
            f"{sc.compose} up -d --build --no-deps {name}"
        )
    if platform == "kubernetes" and source:
        return f"{sc.kubectl} apply {source} && {sc.kubectl} rollout status {ref} --timeout=180s"
    if platform == "systemd":
        return f"sudo systemctl daemon-reload && sudo systemctl restart {name}"
    return None


UPDATE_EXPECTED: dict[Platform, str] = {
    "compose": "the container is recreated and `docker compose ps {name}` shows it running",
    "kubernetes": "rollout status prints that {ref} successfully rolled out",
    "systemd": "`systemctl is-active {name}` prints active",
    "host": "the new version runs",
}


def update_step(
    service: Service,
    after: Sequence[str],
    dependencies: Sequence[FactBase],
    scope: Scope | None = None,
    *,
    before: str | None = None,
    rollback: str | None = None,
) -> Step:
    sc = scope_or_default(scope, service)
    platform = platform_of(service)
    name = service.name
    ref = workload(service, name)
    note = f"only after the checks of {', '.join(after)} above have passed" if after else None
    if platform == "systemd":
        note = "install the new release first; " + (note or "")
    if platform == "kubernetes" and sc.kustomize:
        note = (
            f"`-k {sc.kustomize}` applies every manifest of the kustomization, not only "
            f"{name}; " + (note or "")
        )
    return make_step(
        "update",
        f"Update {name}",
        update_command(service, sc),
        UPDATE_EXPECTED[platform].format(name=name, ref=ref),
        [*service.citations[:1], *(c for d in dependencies for c in d.citations[:1])],
        dependencies,
        note=note.strip("; ") if note else None,
        scope=sc,
        before=before,
        rollback=rollback,
    )


_HTTP_METHOD = re.compile(r"^(GET|HEAD)\s+(https?://\S+)$")


def as_command(method: str) -> str:
    """A validation method as a command to type: `GET http://…` becomes `curl -fsS http://…`."""
    match = _HTTP_METHOD.match(method.strip())
    if match:
        return f"curl -fsS{'I' if match.group(1) == 'HEAD' else ''} {q(match.group(2))}"
    return method


_COMPOSE_CALL = re.compile(
    r"\bdocker(?:-compose| compose)\b(?!\s+(?:-f|--file|-p|--project-name)\b)"
)
_KUBECTL_CALL = re.compile(r"\bkubectl\b(?!\s+--context\b)")
_UNQUOTED_PARENTS = frozenset({"command", "concatenation", "file_redirect"})


def quote_substitutions(command: str) -> str:
    """`> backups/db-$(date +%F).dump` → `> "backups/db-$(date +%F).dump"`: a command
    substitution in an unquoted word is split on spaces (shellcheck SC2046); quoting the word
    keeps its meaning. Words already quoted, assignments and `for … in $(…)` stay as written."""
    try:
        tree = _ts.parse("bash", command)
    except (ValueError, RuntimeError):
        return command
    spans: list[tuple[int, int]] = []
    for node in _ts.walk(tree.root_node):
        if node.type != "command_substitution" or node.parent is None:
            continue
        word = node.parent if node.parent.type == "concatenation" else node
        outer = word.parent
        if outer is None or outer.type not in _UNQUOTED_PARENTS:
            continue
        text = _ts.text(word)
        if '"' in text or "'" in text:
            continue
        spans.append((word.start_byte, word.end_byte))
    raw = command.encode()
    for start, end in sorted(set(spans), reverse=True):
        raw = raw[:start] + b'"' + raw[start:end] + b'"' + raw[end:]
    return raw.decode()


def scoped(command: str, scope: Scope | None) -> str:
    """A documented command made to run as written from the repository root: `docker compose`
    gets the service's files and project, `kubectl` the context and namespace."""
    out = command
    if scope is not None and scope.platform == "compose" and scope.files:
        out = _COMPOSE_CALL.sub(scope.compose, out)
    if scope is not None and scope.platform == "kubernetes":
        has_ns = re.search(r"(^|\s)(-n|--namespace)(\s|=)|--all-namespaces|(^|\s)-A(\s|$)", out)
        kubectl = scope.kubectl if not has_ns else f'kubectl --context "${KUBE_CONTEXT}"'
        out = _KUBECTL_CALL.sub(kubectl, out)
    return quote_substitutions(out)


DESTRUCTIVE: list[tuple[Action, re.Pattern[str]]] = [
    ("restore", re.compile(r"\bpg_restore\b(?!.*--list)|\brestore\b|\bmongorestore\b", re.I)),
    (
        "migrate",
        re.compile(r"\bmigrate\b|\balembic\s+(upgrade|downgrade)\b|\bliquibase\s+update", re.I),
    ),
    (
        "update",
        re.compile(
            r"\bup\b(?=[^|;&]*\s-d\b)|\bup\s+-d\b|\bdown\b|\brm\b|\bdelete\b|\bapply\b|"
            r"\bhelm\s+(upgrade|install|uninstall|rollback)\b|\bdrop\s+(table|database)\b|"
            r"\btruncate\b|\bflush(all|db)\b|\bcompose\b[^|;&]*\s(run|create)\s|"
            r"\brollout\s+undo\b|\bscale\b|\bset\s+image\b",
            re.I,
        ),
    ),
    (
        "restart",
        re.compile(r"\brestart\b|\bsystemctl\s+(stop|start|reload|kill)\b|\bkill\s+-", re.I),
    ),
]
"""Documented commands that change what runs or what is stored, by the action they are."""


def changing_action(command: str) -> Action | None:
    """The action a documented command really is, when it changes something; None if it reads."""
    for action, pattern in DESTRUCTIVE:
        if pattern.search(command):
            return action
    return None


def validation_step(
    fact: ValidationMethod,
    action: Action = "check",
    *,
    scope: Scope | None = None,
    before: str | None = None,
    rollback: str | None = None,
) -> Step:
    who = fact.service or "the system"
    command = scoped(as_command(fact.method), scope)
    real = changing_action(command)
    if real is not None and RULES[action][0] != "needs approval":
        action = real  # a "check" that restarts or restores is gated as what it is
    return make_step(
        action,
        f"Confirm the {fact.operation} of {who}: {fact.summary}",
        command,
        fact.expected or "as the cited evidence describes",
        fact.citations,
        [fact],
        minutes=2,
        scope=scope,
        stateful=real == "restart",  # a documented restart is gated: what it stops is unknown
        before=before,
        rollback=rollback,
    )


def wait_for_health(step: Step, fact: HealthCheck) -> Step:
    """A health step after a change: allow the platform's own window before judging."""
    window = check_window_s(fact)
    if window is None:
        return step
    return Step(
        title=step.title,
        command=step.command,
        expected=f"{step.expected}, within {window:g} s (interval × failures + timeout)",
        citations=step.citations,
        action=step.action,
        safety=step.safety,
        minutes=max(step.minutes, _minutes(window)),
        marker=step.marker,
        note=step.note,
        fact_ids=step.fact_ids,
        where=step.where,
        before=step.before,
        rollback=step.rollback,
    )


def is_rollback(fact: ValidationMethod) -> bool:
    text = f"{fact.method} {fact.summary}".lower()
    return any(w in text for w in ROLLBACK_WORDS)


def rollback_step(
    service: Service, documented: Sequence[ValidationMethod], scope: Scope | None = None
) -> Step | None:
    """A documented rollback, else the platform's own (Kubernetes keeps previous revisions)."""
    sc = scope_or_default(scope, service)
    forward = f"repeat the update of {service.name} above once the cause is fixed"
    if documented:
        fact = documented[0]
        return make_step(
            "rollback",
            f"Roll back {service.name}: {fact.summary}",
            scoped(fact.method, sc),
            fact.expected or "the previous version runs and passes its checks",
            fact.citations,
            [fact],
            scope=sc,
            rollback=forward,
        )
    if platform_of(service) == "kubernetes" and service.kind in (
        "k8s-deployment",
        "k8s-statefulset",
        "k8s-daemonset",
    ):
        ref = workload(service, service.name)
        return make_step(
            "rollback",
            f"If {service.name} fails its checks: roll back to the previous revision",
            f"{sc.kubectl} rollout undo {ref} && {sc.kubectl} rollout status {ref} --timeout=180s",
            "the previous revision rolled out; then repeat the checks above",
            service.citations[:1],
            note="a rollback restores the pod template, not data in volumes",
            scope=sc,
            rollback=forward,
        )
    return None


def rollback_text(step: Step | None) -> str | None:
    """A rollback step as the one line a gated step names."""
    if step is None:
        return None
    return f"{step.title} (`{step.command}`)" if step.command else step.title


# ------------------------------------------------------------------ one-shot jobs


def job_run_command(service: Service, sc: Scope) -> str | None:
    """How to run a job once, on purpose: a fresh container, a Job from its CronJob, a start."""
    name = service.name
    platform = platform_of(service)
    if platform == "compose":
        return f"{sc.compose} run --rm {q(name)}"
    if platform == "kubernetes" and service.kind == "k8s-cronjob":
        return f'{sc.kubectl} create job --from=cronjob/{q(name)} "{name}-manual-$(date +%s)"'
    if platform == "kubernetes":
        source = _kube_source(sc, manifest_of(service))
        if source is None:
            return None
        return (
            f"{sc.kubectl} delete job {q(name)} --ignore-not-found && "
            f"{sc.kubectl} apply {source} && "
            f"{sc.kubectl} wait --for=condition=complete job/{q(name)} --timeout=600s"
        )
    if platform == "systemd":
        return f"sudo systemctl start {q(name)}.service"
    return None


def job_status_command(service: Service, sc: Scope) -> str | None:
    name = service.name
    platform = platform_of(service)
    if platform == "compose":
        return f"{sc.compose} ps -a {q(name)}"
    if platform == "kubernetes" and service.kind == "k8s-cronjob":
        return f"{sc.kubectl} get cronjob {q(name)}"
    if platform == "kubernetes":
        return f"{sc.kubectl} get job {q(name)}"
    if platform == "systemd":
        return f"systemctl status {q(name)} --no-pager"
    return None


JOB_DONE: dict[str, str] = {
    "compose": "STATUS shows Exited (0): the last run succeeded",
    "kubernetes": "COMPLETIONS shows 1/1: the last run succeeded",
    "kubernetes-cron": "LAST SCHEDULE is recent and ACTIVE is 0; `get jobs` shows COMPLETIONS 1/1",
    "systemd": "the Main PID or Process line ends in status=0/SUCCESS",
}
"""How each platform says a job's last run succeeded."""


def job_steps(
    service: Service, changes: str, cites: Sequence[Citation], scope: Scope | None = None
) -> list[Step]:
    """A job's own entry: how its last run ended (safe), and how to run it deliberately
    (needs approval: it changes what it writes, so a backup comes first)."""
    sc = scope_or_default(scope, service)
    name = service.name
    status = make_step(
        "check",
        f"See how the last run of {name} ended",
        job_status_command(service, sc),
        JOB_DONE.get(
            "kubernetes-cron" if service.kind == "k8s-cronjob" else platform_of(service),
            "the last run exited with status 0",
        ),
        service.citations[:1],
        scope=sc,
    )
    run = make_step(
        "run-job",
        f"Run {name} once, deliberately",
        job_run_command(service, sc),
        "it exits with status 0; then repeat the checks of what it changed",
        [*service.citations[:1], *cites],
        minutes=10,
        scope=sc,
        note=f"never update or restart {name} as a service: that runs it again "
        f"({service.role_reason or 'it runs to completion'})",
        before=f"confirm a fresh, restorable backup of {changes}",
        rollback="restore that backup; a job's writes are not undone by stopping it",
    )
    return [status, run]


# ------------------------------------------------------------------ monthly


def capacity_step(
    fact: ResourceRequirement, service: Service | None, scope: Scope | None = None
) -> Step:
    sc = scope_or_default(scope, service)
    name = fact.service or "the service"
    if fact.resource in ("volume", "disk"):
        platform = platform_of(service)
        volume = (fact.value or "").split(":")[0]
        mount = (fact.value or "").split(":")[1] if ":" in (fact.value or "") else None
        command: str | None
        if platform == "compose" and volume and not volume.startswith((".", "/", "~", "$")):
            named = sc.volume(volume)
            command = f"docker system df -v | awk {q(f'$1 == {chr(34)}{named}{chr(34)}')}"
        elif platform == "kubernetes" and mount:
            command = f"{sc.kubectl} exec {workload(service, name)} -- df -h {q(mount)}"
        elif platform == "compose" and mount:
            command = f"{sc.compose} exec -T {q(name)} df -h {q(mount)}"
        elif mount:
            command = f"df -h {q(mount)}"
        else:
            command = None
        size = fact.request or fact.limit
        expected = (
            f"use below {WARN_SHARE:.0%} of {size}; plan growth before it gets there"
            if size
            else "record the size and compare with last month; no size limit is declared"
        )
        title = f"Review {name} storage {fact.value or fact.resource}"
    else:
        command, what = peak_command(fact.resource, service, name, sc)
        expected = (
            f"{what}: below {WARN_SHARE:.0%} of the limit {fact.limit}; sustained use near it "
            "means the limit needs a change (needs approval). For the month's peak, read the "
            "same figure from your monitoring over the month"
            if fact.limit
            else f"{what}: near the request {fact.request}"
        )
        title = f"Review {name} {fact.resource} capacity against its {bounds(fact)}"
    return make_step("inspect", title, command, expected, fact.citations, [fact], scope=sc)


def param_form(p: ConfigParameter) -> str:
    """flag, env, directive (systemd) or setting: decides how to read its running value."""
    if p.name.startswith("-"):
        return "flag"
    if any(c.path.endswith((".service", ".timer", ".socket")) for c in p.citations):
        return "directive"
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", p.name):
        return "env"
    return "setting"


def read_command(
    p: ConfigParameter, service: Service | None, scope: Scope | None = None
) -> str | None:
    """A read-only command that shows the running value of a parameter, when one exists."""
    if service is None or p.secret:
        return None
    sc = scope_or_default(scope, service)
    name = q(service.name)
    ref = workload(service, service.name)
    platform = platform_of(service)
    form = param_form(p)
    if form == "flag":
        return {
            "compose": f"{sc.compose} ps --no-trunc --format '{{{{.Command}}}}' {name}",
            "kubernetes": (
                f"{sc.kubectl} get {ref} -o jsonpath='{{.spec.template.spec.containers[*].args}}'"
            ),
            "systemd": f"systemctl show {name} -p ExecStart --value",
        }.get(platform)
    if form == "env":
        return {
            "compose": f"{sc.compose} exec -T {name} printenv {p.name}",
            "kubernetes": f"{sc.kubectl} set env {ref} --list | grep {q('^' + p.name + '=')}",
            "systemd": (
                f'sudo cat "/proc/$(systemctl show -p MainPID --value {name})/environ" '
                f"| tr '\\0' '\\n' | grep {q('^' + p.name + '=')}"
            ),
        }.get(platform)
    if form == "directive" and platform == "systemd":
        return f"systemctl show {name} -p {q(p.name)} --value"
    return None


def safe_range(p: ConfigParameter) -> str | None:
    """`5–20 connections`, `one of a, b`, `≥ 1`, or None when nothing is declared."""
    unit = f" {p.unit}" if p.unit else ""
    if p.min is not None and p.max is not None:
        return f"{p.min}–{p.max}{unit}"
    if p.min is not None:
        return f"≥ {p.min}{unit}"
    if p.max is not None:
        return f"≤ {p.max}{unit}"
    if p.allowed_values:
        return "one of " + ", ".join(p.allowed_values)
    return None


def tuning_step(p: ConfigParameter, service: Service | None, scope: Scope | None = None) -> Step:
    span = safe_range(p) or "no declared range"
    default = f" (default {p.default})" if p.default is not None else ""
    sc = scope_or_default(scope, service)
    command = read_command(p, service, sc)
    return make_step(
        "check",
        f"Review {p.name}{default}: safe range {span}",
        command,
        f"the running value lies in {span}",
        p.citations,
        [p],
        minutes=2,
        note=None if command else f"read the value where it is set ({p.citations[0]})",
        scope=sc,
    )


def permission_step(
    fact: ResourceRequirement, service: Service | None, scope: Scope | None = None
) -> Step | None:
    """Confirm the user a service runs as (only `user:NAME` facts are checkable at run time)."""
    value = fact.value or ""
    if not value.startswith("user:"):
        return None
    sc = scope_or_default(scope, service)
    user = value.removeprefix("user:")
    name = fact.service or "the service"
    platform = platform_of(service)
    command = {
        "compose": f"{sc.compose} exec -T {q(name)} id -un",
        "kubernetes": (
            f"{sc.kubectl} get {workload(service, name)} -o jsonpath="
            "'{.spec.template.spec.securityContext}{.spec.template.spec.containers[*].securityContext}'"
        ),
        "systemd": f"systemctl show {q(name)} -p User --value",
    }.get(platform)
    expected = (
        f"runAsNonRoot or runAsUser set, or nothing that overrides the image's USER {user}"
        if platform == "kubernetes"
        else user
    )
    return make_step(
        "check",
        f"Confirm {name} runs as user {user}",
        command,
        expected,
        fact.citations,
        [fact],
        scope=sc,
    )


VERSION_WORDS = re.compile(r"(^|[-_.])(version|release|tag|image|git_sha|sha)($|[-_.])", re.I)
CERT_WORDS = re.compile(r"(^|[-_.])(cert|certificate|tls|ssl|ca_file|cafile|ca)($|[-_.])", re.I)


def version_step(p: ConfigParameter, service: Service | None, scope: Scope | None = None) -> Step:
    sc = scope_or_default(scope, service)
    command = read_command(p, service, sc)
    return make_step(
        "check",
        f"Confirm the release {p.name} of {p.service or 'the repository'}",
        command,
        f"the release you intend to run (written default: {p.default})"
        if p.default
        else "the release you intend to run",
        p.citations,
        [p],
        note=None if command else f"the value is set at {p.citations[0]}",
        scope=sc,
    )


def certificate_step(p: ConfigParameter) -> Step:
    path = p.default if p.default and "/" in p.default else "CERT_FILE"
    return make_step(
        "check",
        f"Check the expiry of the certificate named by {p.name}",
        f"openssl x509 -enddate -noout -in {q(path)}",
        "notAfter is more than 30 days away",
        p.citations,
        [p],
        note="replace CERT_FILE with the file the parameter names" if path == "CERT_FILE" else None,
        scope=Scope("host", workdir=None),
    )
