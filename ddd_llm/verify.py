"""Verify stage: check each fact's citations resolve inside the repo and mention the fact."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ddd_llm.merge import Conflict
from ddd_llm.models import (
    Check,
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    HealthCheck,
    ResourceRequirement,
    Status,
    ValidationMethod,
    Verification,
)
from ddd_llm.text import split_lines


def _norm(text: str) -> str:
    return re.sub(r"[-_.\s]+", "_", text.lower())


@dataclass
class RepoFiles:
    """Reads cited files once, refusing paths that leave the repository."""

    root: Path
    _cache: dict[str, list[str] | None] = field(default_factory=dict)

    def resolve(self, rel: str) -> Path | None:
        if rel.startswith(("/", "\\")) or ".." in Path(rel).parts:
            return None
        root = self.root.resolve()
        target = (root / rel).resolve()
        if target != root and root not in target.parents:
            return None  # a symlink that points outside the repository
        return target

    def lines(self, rel: str) -> list[str] | None:
        if rel not in self._cache:
            path = self.resolve(rel)
            try:
                text = path.read_text(encoding="utf-8", errors="replace") if path else None
            except OSError:
                text = None
            self._cache[rel] = split_lines(text) if text is not None else None
        return self._cache[rel]


def key_terms(fact: FactBase) -> list[str]:
    """Words at least one of which the cited lines must contain for the citation to hold."""
    if isinstance(fact, ConfigParameter):
        name = fact.name.lstrip("-")
        parts = re.split(r"[-_.]", name)
        # A settings field `max_connections` is read as env var `API_MAX_CONNECTIONS`.
        suffixes = ["_".join(parts[i:]) for i in range(len(parts)) if len("".join(parts[i:])) >= 4]
        return [name, *suffixes]
    if isinstance(fact, HealthCheck):
        terms = [fact.target]
        if fact.check_type == "exec":
            terms.append(fact.target.split()[0] if fact.target.split() else fact.target)
        if fact.port is not None:
            terms.append(str(fact.port))
        return terms
    if isinstance(fact, ResourceRequirement):
        terms = [v for v in (fact.value, fact.request, fact.limit) if v]
        if fact.value and ":" in fact.value:
            terms.extend(p for p in fact.value.split(":") if p)
        return terms or [fact.resource]
    if isinstance(fact, Dependency):
        return [fact.target]
    if isinstance(fact, ValidationMethod):
        words = fact.method.split()
        return [fact.method, *(w for w in words[:3] if len(w) >= 3)]
    return []


def mentions(text: str, terms: Iterable[str]) -> bool:
    haystack = _norm(text)
    return any(t and _norm(t) in haystack for t in terms)


def check_citation(files: RepoFiles, citation: Citation) -> tuple[Check, list[str]]:
    path = files.resolve(citation.path)
    if path is None:
        return Check(
            name="citation_resolves",
            passed=False,
            detail=f"{citation.path} is outside the repository",
        ), []
    lines = files.lines(citation.path)
    if lines is None:
        return Check(
            name="citation_resolves", passed=False, detail=f"{citation.path} does not exist"
        ), []
    if citation.end_line > len(lines):
        return Check(
            name="citation_resolves",
            passed=False,
            detail=f"{citation} is past the end of the file ({len(lines)} lines)",
        ), []
    cited = lines[citation.start_line - 1 : citation.end_line]
    return Check(name="citation_resolves", passed=True, detail=f"{citation} exists"), cited


def verify_fact(fact: FactBase, files: RepoFiles, conflicts: list[Conflict]) -> FactBase:
    checks: list[Check] = []
    terms = key_terms(fact)
    for citation in fact.citations:
        check, cited = check_citation(files, citation)
        checks.append(check)
        if check.passed:
            ok = mentions("\n".join(cited), terms)
            checks.append(
                Check(
                    name="cites_key",
                    passed=ok,
                    detail=(
                        f"{citation} mentions {terms[0]!r}"
                        if ok
                        else f"{citation} does not mention {terms[0]!r}"
                    ),
                )
            )
    for conflict in conflicts:
        # A deployment file setting a value other than the code's default is normal layering
        # between static artifacts; anything else that disagrees is a contradiction.
        layered = conflict.field == "default" and fact.origin == "static"
        detail = conflict.describe() + (" (deployment value over a default)" if layered else "")
        checks.append(Check(name="values_agree", passed=layered, detail=detail))
    status: Status
    if any(not c.passed for c in checks if c.name == "values_agree"):
        status = "contradicted"
    elif all(c.passed for c in checks) and fact.origin != "llm":
        status = "verified"
    else:
        # A model's claim needs more than a resolving citation; until the evidence checks
        # of the verification pass back it, it stays unverified.
        status = "unverified"
    verification = Verification(status=status, checks=checks)
    return fact.model_copy(update={"verification": verification})


def verify(root: Path, facts: list[FactBase], conflicts: list[Conflict]) -> list[FactBase]:
    files = RepoFiles(root)
    by_fact: dict[str, list[Conflict]] = {}
    for conflict in conflicts:
        by_fact.setdefault(conflict.fact_id, []).append(conflict)
    return [verify_fact(f, files, by_fact.get(f.id, [])) for f in facts]


def status_reason(fact: FactBase) -> str:
    """One line saying why a fact is not verified (empty for verified facts), for artifacts."""
    if fact.verification.status == "verified":
        return ""
    failed = [c.detail for c in fact.verification.checks if not c.passed]
    if failed:
        return "; ".join(failed)
    if fact.origin == "llm":
        return "a model's claim that no static evidence corroborates"
    return "not every check could be run"
