"""Service naming: give every fact the service its path belongs to, per FACTS.md's rule."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from ddd_llm.evidence.deploy._reach import reached_dependencies
from ddd_llm.models import Citation, Dependency, FactBase, Service, id_key, make_fact_id

NOT_PACKAGES = frozenset(
    "defaults tasks handlers vars meta templates files library molecule "  # an Ansible role
    "docs doc examples example tests test spec scripts tools ci .github .gitlab "
    "deploy deployment deployments config configs conf etc".split()
)
"""Top-level folders that hold no service's entry point: never named as a code package."""
PACKAGE_FOLDERS = frozenset({"modules"})
"""Top-level folders of independent modules, one per subfolder (Terraform's
`modules/<name>`, each with its own variables): a module is named by its own folder. Not
`cmd/` or `crates/`: a binary's library packages beside it are the same service, and naming
the binary would set them apart from questions that name it."""


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.lower())


def with_service(fact: FactBase, service: str | None) -> FactBase:
    """The fact re-owned by `service`, its id recomputed."""
    name = service.lower() if service else None
    return fact.model_copy(
        update={"service": name, "id": make_fact_id(fact.fact_kind, name, id_key(fact))}
    )


def merge_services(services: Iterable[Service]) -> list[Service]:
    """One entry per name (first kind wins), citations joined, sorted by name."""
    by_name: dict[str, Service] = {}
    for svc in services:
        key = svc.name.lower()
        if key not in by_name:
            by_name[key] = svc.model_copy(update={"name": key})
        else:
            known = by_name[key]
            cites = known.citations + [c for c in svc.citations if c not in known.citations]
            by_name[key] = known.model_copy(update={"citations": cites})
    return [_base_first(by_name[k]) for k in sorted(by_name)]


def _base_first(service: Service) -> Service:
    """The service's citations with a base file before the files that override it
    (`docker-compose.yml` before `docker-compose.prod.yml`): gaps cite the first ones."""
    paths = {c.path for c in service.citations}

    def overrides(path: str) -> bool:
        folder, _, name = path.rpartition("/")
        stem, dot, suffix = name.rpartition(".")
        base = stem.split(".", 1)[0]
        if not dot or base == stem:
            return False
        return (f"{folder}/" if folder else "") + f"{base}.{suffix}" in paths

    ordered = sorted(service.citations, key=lambda c: overrides(c.path))
    if ordered == service.citations:
        return service
    return service.model_copy(update={"citations": ordered})


class ServiceResolver:
    """Maps a repo-relative path to the service that owns it."""

    def __init__(
        self,
        services: list[Service],
        owners: dict[str, str],
        directories: set[str],
    ) -> None:
        self.known = {normalise(s.name): s.name for s in services}
        self.declared = {s.name.lower(): list(s.citations) for s in services}
        # Owners only count for folders that exist: analyzers may guess (`python -m pkg`).
        self.owners = {
            d.strip("/"): s.lower()
            for d, s in owners.items()
            if d.strip("/") == "" or d.strip("/") in directories
        }
        self.deployed = bool(services)

    def add_known(self, services: list[Service]) -> None:
        """Code packages that became services are valid names for model answers too."""
        for svc in services:
            self.known.setdefault(normalise(svc.name), svc.name)

    def known_folder(self, folder: str) -> str | None:
        """The known service a folder is named for: its whole name, else the longest known
        name it ends with after a dash (a multi-module project's `<project>-<service>`)."""
        name = normalise(folder)
        hit = self.known.get(name)
        if hit:
            return hit
        suffixes = [k for k in self.known if name.endswith("-" + k.strip("-"))]
        return self.known[max(suffixes, key=len)] if suffixes else None

    def sole_service(self, target: str) -> str | None:
        """The one service a repository deploys: what a repo-wide dependency (a config file's
        database connection) belongs to. None with several services, or none."""
        names = set(self.known.values())
        if len(names) != 1:
            return None
        (name,) = names
        return None if normalise(name) == normalise(target) else name

    def owner(self, path: str) -> str | None:
        parents = [str(p) for p in PurePosixPath(path).parents if str(p) != "."]
        # (1) the longest declared owner folder
        for folder in parents:
            if folder in self.owners:
                return self.owners[folder]
        if "" in self.owners and path:
            return self.owners[""]
        # (2) the nearest folder named like a known service, or like a module folder of one
        # (`spring-petclinic-config-server` holds the service `config-server`)
        for folder in parents:
            hit = self.known_folder(PurePosixPath(folder).name)
            if hit:
                return hit
        # (3) with no deployment artifact at all, the top-level package (the one inside a
        # folder of packages: `modules/db_instance`, `crates/server`)
        if not self.deployed and parents:
            top = PurePosixPath(parents[-1]).name.lower()
            if top in PACKAGE_FOLDERS:
                if len(parents) < 2:
                    return None
                top = PurePosixPath(parents[-2]).name.lower()
            return None if top in NOT_PACKAGES else top
        return None

    def resolve(self, facts: list[FactBase]) -> tuple[list[FactBase], list[Service]]:
        """Facts with their services filled in, and the code packages that became services.

        Once every setting has its owner, a URL in one that reaches another deployed service
        (by its name, or at a port that service publishes on the host) adds the runtime
        dependency it implies (`deploy/_reach.py`)."""
        out: list[FactBase] = []
        packages: dict[str, Citation] = {}
        for fact in facts:
            if fact.service is None:
                owner = self.owner(fact.citations[0].path)
                if owner is None and isinstance(fact, Dependency):
                    owner = self.sole_service(fact.target)
                if owner is not None:
                    fact = with_service(fact, owner)
                    if normalise(owner) not in self.known:
                        packages.setdefault(owner, fact.citations[0])
            out.append(fact)
        out.extend(reached_dependencies(out, self.declared))
        extra = [
            Service(name=name, kind="code-package", citations=[cite])
            for name, cite in sorted(packages.items())
        ]
        return out, extra
