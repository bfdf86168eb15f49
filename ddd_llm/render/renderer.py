"""Render stage: the Markdown artifacts an operator opens, from facts.json through jinja2 templates.

Every artifact is a pure function of the facts document (and, optionally, model-written
section introductions): the same facts.json always renders the same files. Policy:
contradicted facts and rejected claims never become steps; unverified facts do, with a
visible marker and the reason; anything the facts do not hold is said plainly, with the
gap that names where the fix belongs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from ddd_llm.assess.assessor import (
    BACKUP_OPERATIONS,
    CHANGE_OPERATIONS,
    GAP_RULES,
    ITEMS,
    PRIORITY_RANK,
    Control,
    ItemScore,
    can_roll_back,
    controls,
    has_range,
    is_log_param,
    is_tunable,
    item_scores,
    negative_space,
    rollbacks,
    sort_gaps,
    stateful,
    validations,
    writable_volume,
)
from ddd_llm.assess.order import StartOrder, start_order
from ddd_llm.atomic import atomic_write
from ddd_llm.evidence.owners import owner_of
from ddd_llm.evidence.roles import is_dev_path, is_test_path
from ddd_llm.evidence.yamlpos import YamlList, YamlMap, YamlParseError, load_documents
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    FactsDocument,
    Gap,
    HealthCheck,
    Owner,
    ResourceRequirement,
    Service,
)
from ddd_llm.render.procedures import (
    CERT_WORDS,
    ESCALATE_SHARE,
    KUBE_CONTEXT,
    LOG_PLACES,
    RULES,
    VERSION_WORDS,
    WARN_SHARE,
    Endpoint,
    Scope,
    Step,
    capacity_step,
    certificate_step,
    check_window_s,
    default_scope,
    drift_step,
    endpoint,
    health_step,
    job_steps,
    log_step,
    make_step,
    marker,
    permission_step,
    platform_of,
    project_name,
    rollback_step,
    rollback_text,
    safe_range,
    threshold_step,
    tuning_step,
    update_step,
    validation_step,
    version_step,
    wait_for_health,
)
from ddd_llm.resources import data_dir
from ddd_llm.templating import sandboxed_environment
from ddd_llm.verify.verifier import needs_confirmation, status_reason

ARTIFACTS: dict[str, str] = {
    "runbook-daily.md": "runbook-daily.md.j2",
    "runbook-weekly.md": "runbook-weekly.md.j2",
    "runbook-monthly.md": "runbook-monthly.md.j2",
    "preflight-checklist.md": "preflight-checklist.md.j2",
    "validation-procedures.md": "validation-procedures.md.j2",
    "escalation.md": "escalation.md.j2",
    "compliance-report.md": "compliance-report.md.j2",
    "gaps.md": "gaps.md.j2",
    "claims-to-confirm.md": "claims-to-confirm.md.j2",
    "README.md": "index.md.j2",
}
"""Output file → template; README.md (the index) is rendered last, with the others' counts."""
TITLES: dict[str, str] = {
    "runbook-daily.md": "Daily runbook: health, resources, logs, configuration drift",
    "runbook-weekly.md": "Weekly runbook: updates in start order, backups, change checks",
    "runbook-monthly.md": "Monthly runbook: capacity, tuning, compliance, lifecycle",
    "preflight-checklist.md": "Pre-flight checklist: before any change",
    "validation-procedures.md": "Validation procedures: after each kind of operation",
    "escalation.md": "Escalation: when to get help, per service",
    "compliance-report.md": "Compliance report: audit trail and controls",
    "gaps.md": "Gaps: what is missing, by priority, and where the fix belongs",
    "claims-to-confirm.md": "Claims to confirm: what a model said that no evidence verified",
}
STEP_LINE = "    - Safety: `"
"""Every rendered step has exactly one line starting like this (used to count steps)."""


def environment(templates: Path | None = None) -> SandboxedEnvironment:
    return sandboxed_environment(
        templates or data_dir("templates"),
        autoescape=False,  # Markdown, not HTML: values are escaped by the md filter instead
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        filters={
            "md": md_escape,
            "cell": md_cell,
            "code": md_code,
            "cellcode": md_cellcode,
            "literal": md_literal,
        },
    )


def md_escape(value: object) -> str:
    """Text safe in a Markdown list item: one line, no raw HTML (repository text is untrusted)."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    return text.replace("<", "&lt;").replace(">", "&gt;")


_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()#+!|~-])")


def md_literal(value: object) -> str:
    """Untrusted text shown as plain words: every Markdown mark escaped, so nothing in it
    renders as code, a link, emphasis or HTML (used for the claims to confirm)."""
    return _MD_PUNCT.sub(r"\\\1", md_escape(value))


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: as md_escape, and `|` cannot end the cell."""
    return md_escape(value).replace("|", "\\|")


def md_code(value: object) -> str:
    """An inline code span holding `value` verbatim on one line (HTML is inert inside it)."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest or text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_cellcode(value: object) -> str:
    """An inline code span inside a table cell: `|` escaped, as GitHub's tables require."""
    return md_code(value).replace("|", "\\|")


def steppable(facts: Iterable[FactBase]) -> list[FactBase]:
    """Policy: contradicted facts never become steps (rejected claims are not facts at all),
    and neither does a model's claim that no evidence verified (`needs_confirmation`): its
    text is data for the claims-to-confirm appendix, never an operator action."""
    return [
        f for f in facts if f.verification.status != "contradicted" and not needs_confirmation(f)
    ]


@dataclass(frozen=True)
class Links:
    """Citations as Markdown links from the output folder to the cited lines."""

    base: str
    """The repository root relative to the output folder (POSIX), e.g. `..`."""

    def href(self, c: Citation) -> str:
        lines = f"L{c.start_line}" + (f"-L{c.end_line}" if c.end_line != c.start_line else "")
        path = "/".join(part for part in (self.base, c.path) if part and part != ".")
        return f"{path}#{lines}"

    def __call__(self, citations: Iterable[Citation] | Citation, limit: int = 4) -> str:
        items = [citations] if isinstance(citations, Citation) else list(citations)
        shown = [f"[{md_cell(c)}]({self.href(c)})" for c in items[:limit]]
        more = f" and {len(items) - limit} more" if len(items) > limit else ""
        return (", ".join(shown) + more) if shown else "—"


def link_base(repo_root: str, out_dir: Path) -> str:
    """Relative path from the output folder to the repository (links work on GitHub and disk)."""
    try:
        rel = os.path.relpath(Path(repo_root).resolve(), out_dir.resolve())
    except ValueError:  # another drive on Windows
        return Path(repo_root).resolve().as_posix()
    return Path(rel).as_posix()


# ------------------------------------------------------------------ the facts, arranged


@dataclass(frozen=True)
class Intro:
    """A model-written introduction to one section, citing the facts it was given."""

    text: str
    citations: list[Citation]
    model: str


@dataclass(frozen=True)
class SectionBrief:
    """What the prose pass is told about one runbook section: its title and its facts."""

    key: str
    title: str
    facts: list[FactBase]


IntroWriter = Callable[[list[SectionBrief]], dict[str, Intro]]


# ------------------------------------------------------------------ where commands run

KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def _yaml_maps(root: Path, rel: str) -> list[YamlMap]:
    """The YAML mappings of a repository file; none when it cannot be read or parsed."""
    try:
        text = (root / rel).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    try:
        docs = load_documents(text)
    except YamlParseError as exc:
        docs = exc.documents
    return [d.data for d in docs if isinstance(d.data, YamlMap)]


def compose_scope(root: Path, service: Service) -> Scope:
    """Files, project and volume names as `docker compose` resolves them: project from `name:`
    in the first file, else its folder's name; a volume is `<project>_<key>` unless it is
    external or has a `name:`."""
    cited = list(dict.fromkeys(c.path for c in service.citations))
    live = [p for p in cited if not (is_dev_path(p) or is_test_path(p))] or cited
    files = tuple(sorted(live, key=lambda p: "override" in p))
    base = _yaml_maps(root, files[0]) if files else []
    folder = PurePosixPath(files[0]).parent.name if files else ""
    project = project_name(folder or root.resolve().name)
    for data in base:
        if isinstance(data.get("name"), str) and "$" not in data["name"]:
            project = project_name(data["name"])
    volumes: dict[str, str] = {}
    for rel in files:
        for data in _yaml_maps(root, rel):
            declared = data.get("volumes")
            if not isinstance(declared, YamlMap):
                continue
            for key, spec in declared.items():
                spec = spec if isinstance(spec, YamlMap) else YamlMap()
                name = spec.get("name")
                if isinstance(name, str) and "$" not in name:
                    volumes[str(key)] = name
                elif spec.get("external") in (True, "true"):
                    volumes[str(key)] = str(key)
                else:
                    volumes[str(key)] = f"{project}_{key}"
    return Scope("compose", files=files, project=project, volumes=volumes)


def _lists(kustomization: YamlMap, folder: PurePosixPath, manifest: str) -> bool:
    listed = kustomization.get("resources")
    if not isinstance(listed, (list, YamlList)):
        return False
    for item in listed:
        if str(PurePosixPath(os.path.normpath(folder / str(item)))) in (
            manifest,
            str(PurePosixPath(manifest).parent),
        ):
            return True
    return False


def kubernetes_scope(root: Path, service: Service) -> Scope:
    """The namespace the workload lands in: its own metadata.namespace, else the one a
    kustomization that lists it sets (then apply and diff go through `-k`), else `default`."""
    manifest = service.citations[0].path if service.citations else None
    if manifest is None:
        return Scope("kubernetes")
    namespace: str | None = None
    for data in _yaml_maps(root, manifest):
        meta = data.get("metadata")
        if isinstance(meta, YamlMap) and str(meta.get("name", "")).lower() == service.name:
            ns = meta.get("namespace")
            namespace = ns if isinstance(ns, str) and "{" not in ns else namespace
    folder = PurePosixPath(manifest).parent
    for parent in [folder, *folder.parents]:
        for name in KUSTOMIZATIONS:
            rel = str(parent / name) if str(parent) != "." else name
            for data in _yaml_maps(root, rel):
                if _lists(data, parent, manifest):
                    ns = data.get("namespace")
                    chosen = ns if isinstance(ns, str) else (namespace or "default")
                    return Scope("kubernetes", namespace=chosen, kustomize=str(parent))
    return Scope("kubernetes", namespace=namespace or "default")


def read_scopes(doc: FactsDocument) -> dict[str, Scope]:
    """Every service's scope, from the files at the repository root the document names (the
    paths alone when the checkout is not there)."""
    root = Path(doc.repo.root)
    scopes: dict[str, Scope] = {}
    for service in doc.services:
        platform = platform_of(service)
        if platform == "compose":
            scopes[service.name] = compose_scope(root, service)
        elif platform == "kubernetes":
            scopes[service.name] = kubernetes_scope(root, service)
        else:
            scopes[service.name] = default_scope(service, root.resolve().name)
    return scopes


@dataclass
class View:
    """The facts document arranged for rendering: per service, steppable only.

    `services` are the long-running ones, the only ones operated; jobs get their own section
    (`jobs`); test-only and dev-only services, and their facts, appear in no runbook."""

    doc: FactsDocument
    facts: list[FactBase] = field(init=False)
    order: StartOrder = field(init=False)
    by_name: dict[str, Service] = field(init=False)
    gaps: list[Gap] = field(init=False)
    scopes: dict[str, Scope] = field(init=False)
    jobs: list[Service] = field(init=False)
    job_facts: list[FactBase] = field(init=False)

    def __post_init__(self) -> None:
        running = [s for s in self.doc.services if s.role == "long-running"]
        hidden = {s.name for s in self.doc.services if s.role != "long-running"}
        facts = steppable(self.doc.facts)
        self.facts = [f for f in facts if f.service not in hidden]
        self.jobs = [s for s in self.doc.services if s.role == "job"]
        self.job_facts = [f for f in facts if f.service in {s.name for s in self.jobs}]
        self.by_name = {s.name: s for s in running}
        self.order = start_order([s.name for s in running], self.facts)
        self.gaps = [g for g in sort_gaps(self.doc.gaps) if g.service not in hidden]
        self.scopes = read_scopes(self.doc)

    @property
    def services(self) -> list[Service]:
        return list(self.by_name.values())

    def scope(self, service: Service | None) -> Scope:
        if service is None:
            return Scope("host")
        return self.scopes.get(service.name) or default_scope(service)

    def of(self, service: str | None, kind: type[FactBase]) -> list[Any]:
        return [f for f in self.facts if isinstance(f, kind) and f.service == service]

    def endpoint(self, service: Service) -> Endpoint | None:
        """Where the service listens as deployed: ports only a dev or test file publishes
        are not reachable in the deployment the runbooks address."""
        owned = [
            f
            for f in self.facts
            if f.service == service.name
            and not all(is_dev_path(c.path) or is_test_path(c.path) for c in f.citations)
        ]
        return endpoint(owned, platform_of(service))

    def health_steps(self, service: Service) -> list[Step]:
        where = self.endpoint(service)
        return [
            health_step(f, service, where, self.scope(service))
            for f in self.of(service.name, HealthCheck)
        ]

    def owner(self, service: Service | None) -> Owner | None:
        rules = self.doc.repo.owners
        paths = [c.path for c in service.citations] if service else []
        return owner_of(paths or ["README.md"], rules) if rules else None

    def gaps_for(self, *categories: str, service: str | None = None) -> list[Gap]:
        return [
            g
            for g in self.gaps
            if g.category in categories and (service is None or g.service == service)
        ]

    def dependencies(self, service: str) -> list[Dependency]:
        """What the service needs, leaving out jobs, test-only and dev-only services."""
        others = {s.name for s in self.doc.services} - set(self.by_name)
        return [
            d
            for d in self.of(service, Dependency)
            if d.dependency_type != "optional" and d.target not in others
        ]

    @property
    def rejected(self) -> list[FactBase]:
        return list(getattr(self.doc, "rejected", None) or [])

    def setup(self) -> dict[str, Any]:
        """What every runbook says once at the top: where to run, which projects, the context."""
        compose = sorted(
            {
                (sc.project or "", sc.files)
                for sc in self.scopes.values()
                if sc.platform == "compose" and self._shown(sc)
            }
        )
        namespaces = sorted(
            {
                sc.namespace
                for sc in self.scopes.values()
                if sc.platform == "kubernetes" and self._shown(sc)
            }
        )
        operated = [*self.services, *self.jobs]
        left_out = sorted(
            {
                c.path
                for svc in operated
                if platform_of(svc) == "compose"
                for c in svc.citations
                if c.path not in self.scope(svc).files
            }
        )
        return {
            "compose_projects": compose,
            "compose_left_out": left_out,
            "namespaces": namespaces,
            "kube_context": KUBE_CONTEXT,
            "systemd": any(platform_of(s) == "systemd" for s in [*self.services, *self.jobs]),
        }

    def _shown(self, scope: Scope) -> bool:
        names = {s.name for s in [*self.services, *self.jobs]}
        return any(self.scopes.get(n) == scope for n in names)


def _facts_of(steps: Iterable[Step], view: View) -> list[FactBase]:
    ids = {i for s in steps for i in s.fact_ids}
    return [f for f in view.facts if f.id in ids]


# ------------------------------------------------------------------ daily


@dataclass
class ServiceBlock:
    service: Service
    steps: list[Step] = field(default_factory=list)
    note: str | None = None


def daily_context(view: View) -> dict[str, Any]:
    health = [ServiceBlock(s, view.health_steps(s)) for s in view.services]
    thresholds = []
    for s in view.services:
        steps = [
            threshold_step(f, s, view.scope(s))
            for f in view.of(s.name, ResourceRequirement)
            if f.resource in ("cpu", "memory", "disk", "file_descriptors", "gpu")
            and (f.limit or f.request)
        ]
        if steps:
            thresholds.append(ServiceBlock(s, steps))
    logs = [
        ServiceBlock(
            s,
            [
                log_step(
                    s,
                    [p for p in view.of(s.name, ConfigParameter) if is_log_param(p)],
                    view.scope(s),
                )
            ],
        )
        for s in view.services
    ]
    drift = [ServiceBlock(s, [d]) for s in view.services if (d := drift_step(s, view.scope(s)))]
    params = [f for f in view.facts if isinstance(f, ConfigParameter)]
    return {
        "health": health,
        "thresholds": thresholds,
        "unlimited": [s for s in view.services if not any(b.service == s for b in thresholds)],
        "logs": logs,
        "log_places": {s.name: LOG_PLACES[platform_of(s)] for s in view.services},
        "drift": drift,
        "drift_params": [p for p in params if p.default is not None and not p.secret],
        "warn": f"{WARN_SHARE:.0%}",
        "escalate": f"{ESCALATE_SHARE:.0%}",
        "gaps": [g for g in view.gaps if g.blocks == "daily"],
        "sections": {
            "daily.health": [st for b in health for st in b.steps],
            "daily.resources": [st for b in thresholds for st in b.steps],
            "daily.logs": [st for b in logs for st in b.steps],
            "daily.drift": [st for b in drift for st in b.steps],
        },
    }


# ------------------------------------------------------------------ weekly


@dataclass
class UpdateBlock:
    service: Service
    after: list[str]
    update: Step
    checks: list[Step]
    rollback: Step | None
    stateful: bool


def checks_after_change(view: View, service: Service, operations: Iterable[str]) -> list[Step]:
    """The steps that confirm a change of `service`: its validations, then its health checks."""
    sc = view.scope(service)
    steps = [
        validation_step(f, scope=sc) for f in validations(service.name, view.facts, operations)
    ]
    for f in view.of(service.name, HealthCheck):
        where = view.endpoint(service)
        steps.append(wait_for_health(health_step(f, service, where, view.scope(service)), f))
    return steps


def update_order(view: View) -> StartOrder:
    """Dependencies first, run-time ones included: what a service uses is updated before it."""
    as_start = [
        f.model_copy(update={"dependency_type": "start_order"})
        if isinstance(f, Dependency) and f.dependency_type == "runtime"
        else f
        for f in view.facts
    ]
    return start_order([s.name for s in view.services], as_start)


def backup_first(view: View, service: Service, deps: Sequence[Dependency]) -> str:
    """What to confirm before changing `service`: its own backup, else its stores' backups."""
    if stateful(service.name, view.facts):
        return f"take a backup of {service.name} and check it (§2 below) before you start"
    stores = sorted({d.target for d in deps if stateful(d.target, view.facts)})
    if stores:
        return f"confirm fresh backups of {', '.join(stores)} (§2 below), which it writes to"
    return (
        f"{service.name} keeps no state of its own: confirm the backups of any data it "
        "writes to are fresh (preflight-checklist.md §3)"
    )


@dataclass
class JobBlock:
    service: Service
    changes: str
    steps: list[Step]


def job_blocks(view: View) -> list[JobBlock]:
    """Each job's own entry: what it changes, how its last run ended, how to run it once."""
    blocks = []
    for job in view.jobs:
        owned = [f for f in view.job_facts if f.service == job.name]
        targets = sorted(
            {f.target for f in owned if isinstance(f, Dependency) and f.target != job.name}
        )
        volumes = [f for f in owned if isinstance(f, ResourceRequirement) and writable_volume(f)]
        parts = [f"the data of {t}" for t in targets]
        parts += [f"the volume {(f.value or '').split(':')[0]}" for f in volumes]
        changes = (
            ", ".join(parts)
            if parts
            else f"whatever its command writes (read it at {job.citations[0]} first)"
            if job.citations
            else "whatever its command writes"
        )
        cites = [
            f.citations[0]
            for f in owned
            if f.citations and (isinstance(f, Dependency) or writable_volume(f))
        ]
        blocks.append(JobBlock(job, changes, job_steps(job, changes, cites, view.scope(job))))
    return blocks


def weekly_context(view: View) -> dict[str, Any]:
    order = update_order(view)
    in_cycle = {n for c in order.cycles for n in c}
    updates: list[UpdateBlock] = []
    for name in order.startup:
        service = view.by_name.get(name)
        if service is None or name in in_cycle:
            continue
        deps = [d for d in view.dependencies(name) if d.target in view.by_name and d.target != name]
        back = rollback_step(service, rollbacks(name, view.facts), view.scope(service))
        updates.append(
            UpdateBlock(
                service,
                sorted({d.target for d in deps}),
                update_step(
                    service,
                    sorted({d.target for d in deps}),
                    deps,
                    view.scope(service),
                    before=backup_first(view, service, deps),
                    rollback=rollback_text(back),
                ),
                checks_after_change(view, service, {"deploy", "upgrade"}),
                back,
                stateful(name, view.facts),
            )
        )
    backups = []
    for s in view.services:
        if not stateful(s.name, view.facts):
            continue
        steps = [
            validation_step(
                f, "backup" if f.operation == "backup" else "restore", scope=view.scope(s)
            )
            for f in validations(s.name, view.facts, BACKUP_OPERATIONS)
        ]
        backups.append(ServiceBlock(s, steps))
    changes = [
        ServiceBlock(s, checks_after_change(view, s, CHANGE_OPERATIONS)) for s in view.services
    ]
    unverified = [f for f in view.facts if f.verification.status == "unverified"]
    confirm = [
        make_step(
            "check",
            f"Confirm {f.summary}",
            None,
            "the cited lines say what the summary says; then fix the cause named in the marker",
            f.citations,
            [f],
            minutes=2,
        )
        for f in unverified
    ]
    return {
        "updates": updates,
        "cycles": order.cycles,
        "startup": [n for n in order.startup if n not in in_cycle],
        "shutdown": [n for n in order.shutdown if n not in in_cycle],
        "backups": backups,
        "changes": changes,
        "confirm": confirm,
        "jobs": (jobs := job_blocks(view)),
        "counts": _status_counts(view),
        "gaps": [g for g in view.gaps if g.blocks == "weekly"],
        "sections": {
            "weekly.updates": [
                st
                for u in updates
                for st in [u.update, *u.checks, *([u.rollback] if u.rollback else [])]
            ],
            "weekly.backups": [st for b in backups for st in b.steps],
            "weekly.changes": [st for b in changes for st in b.steps],
            "weekly.runbooks": confirm,
            "weekly.jobs": [st for b in jobs for st in b.steps],
        },
    }


def _status_counts(view: View) -> dict[str, int]:
    counts = {"verified": 0, "unverified": 0, "contradicted": 0}
    for f in view.doc.facts:
        counts[f.verification.status] += 1
    counts["rejected"] = len(view.rejected)
    counts["total"] = len(view.doc.facts)
    return counts


# ------------------------------------------------------------------ monthly


def monthly_context(view: View) -> dict[str, Any]:
    capacity = []
    for s in view.services:
        steps = [
            capacity_step(f, s, view.scope(s))
            for f in view.of(s.name, ResourceRequirement)
            if (
                f.resource in ("cpu", "memory", "file_descriptors", "gpu")
                and (f.limit or f.request)
            )
            or writable_volume(f)
        ]
        if steps:
            capacity.append(ServiceBlock(s, steps))
    tunables = [f for f in view.facts if is_tunable(f) and isinstance(f, ConfigParameter)]
    tuning = [
        tuning_step(
            p, view.by_name.get(p.service or ""), view.scope(view.by_name.get(p.service or ""))
        )
        for p in tunables
        if has_range(p)
    ]
    permissions = [
        st
        for s in view.services
        for f in view.of(s.name, ResourceRequirement)
        if f.resource == "permission" and (st := permission_step(f, s, view.scope(s)))
    ]
    other_permissions = [
        f
        for f in view.facts
        if isinstance(f, ResourceRequirement)
        and f.resource == "permission"
        and not (f.value or "").startswith("user:")
    ]
    secrets = [f for f in view.facts if isinstance(f, ConfigParameter) and f.secret]
    params = [f for f in view.facts if isinstance(f, ConfigParameter) and not f.secret]
    versions = [
        version_step(
            p, view.by_name.get(p.service or ""), view.scope(view.by_name.get(p.service or ""))
        )
        for p in params
        if VERSION_WORDS.search(p.name) and p.value_type == "string"
    ]
    certificates = [certificate_step(p) for p in params if CERT_WORDS.search(p.name)]
    upgrades = [
        validation_step(f, scope=view.scope(s))
        for s in view.services
        for f in validations(s.name, view.facts, {"upgrade"})
    ]
    lifecycle_rows = [
        (s, can_roll_back(s, view.facts), rollbacks(s.name, view.facts)) for s in view.services
    ]
    return {
        "capacity": capacity,
        "no_capacity": [s for s in view.services if not any(b.service == s for b in capacity)],
        "tuning": tuning,
        "unranged": [p for p in tunables if not has_range(p)],
        "permissions": permissions,
        "other_permissions": other_permissions,
        "secrets": secrets,
        "plain": {
            f.id
            for f in secrets
            for g in view.gaps_for("plain_secret", service=f.service)
            if g.message.startswith(f"secret {f.name} is")
        },
        "versions": versions,
        "certificates": certificates,
        "upgrades": upgrades,
        "lifecycle_rows": lifecycle_rows,
        "warn": f"{WARN_SHARE:.0%}",
        "gaps": [g for g in view.gaps if g.blocks == "monthly"],
        "sections": {
            "monthly.capacity": [st for b in capacity for st in b.steps],
            "monthly.tuning": tuning,
            "monthly.compliance": permissions,
            "monthly.lifecycle": [*versions, *upgrades, *certificates],
        },
    }


# ------------------------------------------------------------------ pre-flight


def dependency_steps(view: View, dependency: Dependency) -> list[Step]:
    """How to confirm a dependency is up: its health checks, else a check by hand."""
    target = view.by_name.get(dependency.target)
    if target is not None and view.of(target.name, HealthCheck):
        return view.health_steps(target)
    kind = dependency.dependency_type.replace("_", "-")
    expected = (
        "it runs: no health check is defined for it, so confirm by hand"
        if target is not None
        else "its operator confirms it runs: it is not defined in this repository"
    )
    return [
        make_step(
            "check",
            f"Confirm {dependency.target} is up ({kind} dependency of {dependency.service})",
            None,
            expected,
            dependency.citations,
            [dependency],
            minutes=2,
        )
    ]


def preflight_context(view: View) -> dict[str, Any]:
    blocks = []
    for s in view.services:
        steps = [st for d in view.dependencies(s.name) for st in dependency_steps(view, d)]
        if steps:
            blocks.append(ServiceBlock(s, steps))
    params = [f for f in view.facts if isinstance(f, ConfigParameter) and not f.secret]
    backups = []
    for s in view.services:
        if stateful(s.name, view.facts):
            steps = [
                validation_step(f, "backup", scope=view.scope(s))
                for f in validations(s.name, view.facts, {"backup"})
            ]
            backups.append(ServiceBlock(s, steps))
    owners = [(s, view.owner(s)) for s in view.services]
    return {
        "blocks": blocks,
        "params": [(p, safe_range(p)) for p in params],
        "tunable": {p.id for p in params if is_tunable(p)},
        "backups": backups,
        "owners": owners,
        "owner_rules": view.doc.repo.owners,
        "rules": RULES,
    }


# ------------------------------------------------------------------ validation procedures

OPERATIONS: list[tuple[str, str, frozenset[str], bool]] = [
    ("deploy", "Deploy or upgrade", frozenset({"deploy", "upgrade"}), True),
    ("restart", "Restart", frozenset({"restart"}), True),
    ("config-change", "Configuration change", frozenset({"config-change"}), True),
    ("migrate", "Migration", frozenset({"migrate"}), False),
    ("backup-restore", "Backup and restore", frozenset(BACKUP_OPERATIONS), False),
]
"""(anchor, title, operations, whether health checks also confirm it)."""


@dataclass
class OperationBlock:
    key: str
    title: str
    services: list[ServiceBlock]
    missing: list[Service]


def validation_context(view: View) -> dict[str, Any]:
    blocks = []
    for key, title, ops, with_health in OPERATIONS:
        found: list[ServiceBlock] = []
        missing: list[Service] = []
        for s in view.services:
            if ops == BACKUP_OPERATIONS and not stateful(s.name, view.facts):
                continue  # nothing to back up
            steps = [
                validation_step(
                    f,
                    "backup"
                    if f.operation == "backup"
                    else ("restore" if f.operation == "restore" else "check"),
                    scope=view.scope(s),
                )
                for f in validations(s.name, view.facts, ops)
            ]
            if with_health:
                steps += [
                    wait_for_health(health_step(f, s, view.endpoint(s), view.scope(s)), f)
                    for f in view.of(s.name, HealthCheck)
                ]
            if steps:
                found.append(ServiceBlock(s, steps))
            else:
                missing.append(s)
        blocks.append(OperationBlock(key, title, found, missing))
    return {"operations": blocks}


# ------------------------------------------------------------------ escalation


def mermaid_label(text: str) -> str:
    """Text safe inside a quoted Mermaid label."""
    flat = " ".join(str(text).split())
    for raw, entity in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        flat = flat.replace(raw, entity)
    return flat


def owner_text(owner: Owner | None) -> str:
    return " ".join(owner.owners) if owner else "owner unknown (see gaps.md)"


def flowchart(
    service: Service,
    has_check: bool,
    retry_s: float,
    dependencies: Sequence[str],
    owners: Callable[[str], str],
) -> str:
    """check fails → retry once → each dependency healthy? → escalate to the owner."""
    lines = ["flowchart TD"]
    start = (
        f"{service.name}: health check fails"
        if has_check
        else f"{service.name} looks down (no health check defined)"
    )
    retry = mermaid_label(f"Wait {retry_s:g} s, check once more")
    lines.append(f'  n0["{mermaid_label(start)}"] --> n1["{retry}"]')
    lines.append('  n1 --> n2{"Healthy now?"}')
    lines.append('  n2 -- yes --> n3["Resolved: note it in the operations log"]')
    previous = "n2"
    label = "no"
    number = 4
    for dep in dependencies:
        ask, down = f"n{number}", f"n{number + 1}"
        number += 2
        lines.append(f'  {previous} -- {label} --> {ask}{{"{mermaid_label(dep + " healthy?")}"}}')
        lines.append(
            f'  {ask} -- no --> {down}["{mermaid_label(f"Escalate {dep} first: {owners(dep)}")}"]'
        )
        previous, label = ask, "yes"
    final = f"Escalate {service.name} to {owners(service.name)}"
    lines.append(f'  {previous} -- {label} --> n{number}["{mermaid_label(final)}"]')
    return "\n".join(lines)


@dataclass
class Threshold:
    service: str
    what: str
    warn: str
    escalate: str
    citations: list[Citation]
    marker: str | None


def thresholds(view: View, service: Service) -> list[Threshold]:
    rows = []
    for f in view.of(service.name, HealthCheck):
        window = check_window_s(f)
        if window is None:
            continue
        rows.append(
            Threshold(
                service.name,
                f"{f.mechanism} {f.check_type} {f.target}",
                "one failed check",
                f"still failing after {window:g} s ({f.failure_threshold or 1} × {f.interval_s:g} s"
                + (f" + {f.timeout_s:g} s timeout" if f.timeout_s else "")
                + ")",
                f.citations,
                marker([f]),
            )
        )
    for r in view.of(service.name, ResourceRequirement):
        if r.limit and r.resource in ("cpu", "memory", "file_descriptors", "gpu", "disk"):
            rows.append(
                Threshold(
                    service.name,
                    f"{r.resource} limit {r.limit}",
                    f"above {WARN_SHARE:.0%} of {r.limit}",
                    f"above {ESCALATE_SHARE:.0%} of {r.limit}, or killed for exceeding it",
                    r.citations,
                    marker([r]),
                )
            )
    return rows


@dataclass
class EscalationBlock:
    service: Service
    chart: str
    owner: Owner | None
    steps: list[Step]
    thresholds: list[Threshold]
    dependencies: list[str]


def escalation_context(view: View) -> dict[str, Any]:
    owners = {s.name: owner_text(view.owner(s)) for s in view.services}

    def owner_of_name(name: str) -> str:
        return owners.get(name, "its operator (not defined in this repository)")

    blocks = []
    for s in view.services:
        checks = view.of(s.name, HealthCheck)
        intervals = [float(f.interval_s) for f in checks if f.interval_s]
        deps = sorted({d.target for d in view.dependencies(s.name)})
        blocks.append(
            EscalationBlock(
                s,
                flowchart(
                    s, bool(checks), max(intervals) if intervals else 30, deps, owner_of_name
                ),
                view.owner(s),
                view.health_steps(s),
                thresholds(view, s),
                deps,
            )
        )
    return {"blocks": blocks, "warn": f"{WARN_SHARE:.0%}", "escalate": f"{ESCALATE_SHARE:.0%}"}


# ------------------------------------------------------------------ compliance, gaps, index


def compliance_context(view: View) -> dict[str, Any]:
    trusted = [f for f in view.doc.facts if not needs_confirmation(f)]
    unverified = [(f, status_reason(f)) for f in trusted if f.verification.status == "unverified"]
    contradicted = [
        (f, status_reason(f)) for f in trusted if f.verification.status == "contradicted"
    ]
    kinds: dict[str, dict[str, int]] = {}
    for f in view.doc.facts:
        row = kinds.setdefault(f.fact_kind, {"verified": 0, "unverified": 0, "contradicted": 0})
        row[f.verification.status] += 1
    found: list[Control] = controls(view.services, view.facts, view.order, view.gaps)
    return {
        "controls": found,
        "kinds": kinds,
        "counts": _status_counts(view),
        "unverified": unverified,
        "contradicted": contradicted,
        "to_confirm": len(confirm_claims(view)),
    }


def confirm_claims(view: View) -> list[tuple[FactBase, str]]:
    """Model claims no evidence verified, and rejected ones, each with its reason."""
    unverified = [f for f in view.doc.facts if needs_confirmation(f)]
    return [(f, status_reason(f)) for f in [*unverified, *view.rejected]]


def claims_context(view: View) -> dict[str, Any]:
    claims = confirm_claims(view)
    return {
        "open": [(f, why) for f, why in claims if f.verification.status == "unverified"],
        "refuted": [(f, why) for f, why in claims if f.verification.status != "unverified"],
    }


def gaps_context(view: View) -> dict[str, Any]:
    by_priority: dict[str, list[Gap]] = {p: [] for p in PRIORITY_RANK}
    for g in view.gaps:
        by_priority.setdefault(g.priority, []).append(g)
    return {
        "space": negative_space(view.gaps),
        "by_priority": by_priority,
        "rules": GAP_RULES,
    }


def gap_counts(gaps: Iterable[Gap]) -> dict[str, int]:
    counts = dict.fromkeys(PRIORITY_RANK, 0)
    for g in gaps:
        counts[g.priority] = counts.get(g.priority, 0) + 1
    return counts


def index_context(view: View, steps: dict[str, int]) -> dict[str, Any]:
    items: list[ItemScore] = item_scores(view.services, list(view.doc.facts), view.order)
    return {
        "items": items,
        "rules": ITEMS,
        "artifacts": [(name, TITLES[name], steps.get(name, 0)) for name in TITLES],
        "counts": _status_counts(view),
    }


CONTEXTS: dict[str, Callable[[View], dict[str, Any]]] = {
    "runbook-daily.md": daily_context,
    "runbook-weekly.md": weekly_context,
    "runbook-monthly.md": monthly_context,
    "preflight-checklist.md": preflight_context,
    "validation-procedures.md": validation_context,
    "escalation.md": escalation_context,
    "compliance-report.md": compliance_context,
    "gaps.md": gaps_context,
    "claims-to-confirm.md": claims_context,
}

SECTION_TITLES: dict[str, str] = {
    "daily.health": "Health verification",
    "daily.resources": "Resource monitoring thresholds",
    "daily.logs": "Log checks",
    "daily.drift": "Configuration drift",
    "weekly.updates": "Safe update sequence",
    "weekly.backups": "Backup and restore validation",
    "weekly.changes": "Change verification checklist",
    "weekly.runbooks": "Runbook maintenance",
    "weekly.jobs": "One-shot jobs",
    "monthly.capacity": "Capacity review",
    "monthly.tuning": "Performance tuning",
    "monthly.compliance": "Compliance audit preparation",
    "monthly.lifecycle": "Lifecycle",
}


def section_briefs(view: View, contexts: dict[str, dict[str, Any]]) -> list[SectionBrief]:
    """What the prose pass may write about: each runbook section's title and facts."""
    briefs = []
    for ctx in contexts.values():
        for key, steps in ctx.get("sections", {}).items():
            facts = _facts_of(steps, view)
            if facts:
                briefs.append(SectionBrief(key, SECTION_TITLES[key], facts))
    return briefs


def tidy(text: str) -> str:
    """One blank line at most between blocks, no trailing spaces, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def count_steps(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.startswith(STEP_LINE))


def render_texts(
    doc: FactsDocument,
    link_to_repo: str = "..",
    intro_writer: IntroWriter | None = None,
) -> dict[str, str]:
    """Every artifact's text, by file name (pure: nothing is written)."""
    env = environment()
    view = View(doc)
    contexts = {name: build(view) for name, build in CONTEXTS.items()}
    intros = intro_writer(section_briefs(view, contexts)) if intro_writer else {}
    common = {
        "doc": doc,
        "name": Path(doc.repo.root).name or doc.repo.root,
        "cite": Links(link_to_repo),
        "intros": intros,
        "all_gaps": view.gaps,
        "gap_counts": gap_counts(view.gaps),
        "titles": TITLES,
        "run_at": view.setup(),
    }
    texts: dict[str, str] = {}
    for name, build_ctx in contexts.items():
        texts[name] = tidy(env.get_template(ARTIFACTS[name]).render(**common, **build_ctx))
    steps = {name: count_steps(text) for name, text in texts.items()}
    texts["README.md"] = tidy(
        env.get_template(ARTIFACTS["README.md"]).render(**common, **index_context(view, steps))
    )
    return texts


def render_all(
    doc: FactsDocument, out_dir: Path, intro_writer: IntroWriter | None = None
) -> list[Path]:
    """Write every artifact into `out_dir`, citations linking back into the repository."""
    texts = render_texts(doc, link_base(doc.repo.root, out_dir), intro_writer)
    written: list[Path] = []
    for name in ARTIFACTS:
        path = out_dir / name
        atomic_write(path, texts[name])
        written.append(path)
    return written
