"""Realistic planted model errors, drawn anew on every run from a repository's gold.

For each request an extraction would make, a scripted "model" answers with the gold facts
cited inside the excerpt (correct claims), except where a plant replaces one of them with a
realistic error or joins them. The categories are the errors a capable model makes on real
repositories, chosen where the repository offers a candidate:

- `wrong_role`: a value on the right line in the wrong role (a default claimed as the max, a
  limit as the request);
- `unit_confusion`: seconds as milliseconds, `512Mi` as `512M`, millicores as cores;
- `off_by_lines`: the right claim citing a line one to three lines off that does not hold it;
- `wrong_service`: a health check, resource or dependency of one service claimed for another,
  citing the first one's lines;
- `invented_dependency`: a dependency on a real service, citing a real line of the file that
  mentions that service;
- `swapped_range`: min and max swapped;
- `comment_range`: a range read from a comment that the code's own bound check contradicts;
- `elsewhere_parameter`: a parameter whose name exists elsewhere in the repository, claimed on
  lines of this excerpt.

Nothing is shaped after the verifier's rules: the values are the gold's own, moved or
rescaled; the names are the repository's own. A planted claim counts as caught only when it
ends `contradicted` or rejected; correct claims count as kept only when they end `verified`.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ddd_llm.config import ExtractOptions
from ddd_llm.evals.facts_score import load_gold
from ddd_llm.llm import Completion, ProviderSettings, get_provider
from ddd_llm.llm.replay import write_cassette
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    HealthCheck,
    ResourceRequirement,
)
from ddd_llm.pipeline import plan_llm, prepare
from ddd_llm.scan.repotext import RepoText, is_comment, normalise
from ddd_llm.verify.verifier import key_terms, mentions

CATEGORIES = (
    "wrong_role",
    "unit_confusion",
    "off_by_lines",
    "wrong_service",
    "invented_dependency",
    "swapped_range",
    "comment_range",
    "elsewhere_parameter",
)
PER_CATEGORY = 4
"""Plants of each category per repository at most (fewer when it offers fewer candidates)."""


@dataclass
class Plant:
    category: str
    kind: str
    service: str | None
    key: str
    fields: dict[str, Any] = field(default_factory=dict)
    """The planted values (what a carrier of the error holds)."""
    citation: tuple[str, int, int] | None = None
    location: str = ""


@dataclass
class Correct:
    kind: str
    service: str | None
    key: str
    location: str = ""


@dataclass
class PlantSet:
    seed: int
    plants: list[Plant] = field(default_factory=list)
    correct: list[Correct] = field(default_factory=list)


def options(cassettes: Path, work: Path) -> ExtractOptions:
    return ExtractOptions(
        out_dir=work / "out",
        index=False,
        llm="replay",
        provider_settings=ProviderSettings(cassettes=str(cassettes)),
        no_cache=True,
        prose=False,
    )


def _item(fact: FactBase, fields: set[str]) -> dict[str, Any]:
    data = fact.model_dump(mode="json")
    item = {k: v for k, v in data.items() if k in fields and k not in ("start_line", "end_line")}
    item["service"] = fact.service
    item["start_line"] = fact.citations[0].start_line
    item["end_line"] = fact.citations[0].end_line
    return item


def _inside(c: Citation, path: str, start: int, end: int) -> bool:
    return c.path == path and start <= c.start_line and c.end_line <= end


class _Planter:
    def __init__(self, repo: Path, gold: list[FactBase], rng: random.Random) -> None:
        self.files = RepoText(repo)
        self.gold = gold
        self.rng = rng
        self.counts: dict[str, int] = {}
        self.services = sorted({f.service for f in gold if f.service})
        self.names = sorted(
            {f.name for f in gold if isinstance(f, ConfigParameter) and len(f.name) >= 4}
        )

    def room(self, category: str) -> bool:
        return self.counts.get(category, 0) < PER_CATEGORY

    def took(self, category: str) -> None:
        self.counts[category] = self.counts.get(category, 0) + 1

    def lines(self, path: str) -> list[str]:
        return self.files.lines(path) or []

    # --- plants that replace a correct item ----------------------------------------

    def replace(
        self,
        fact: FactBase,
        item: dict[str, Any],
        excerpt: tuple[str, int, int],
        alone: bool = True,
    ) -> Plant | None:
        """`alone`: no other plant is in this request yet. A swapped range is refused by the
        response schema, which fails its whole request: it is planted only alone, and then
        nothing else joins that request (its other claims are not counted either way)."""
        options = [c for c in CATEGORIES if self.room(c) and (alone or c != "swapped_range")]
        self.rng.shuffle(options)
        for category in options:
            plant = getattr(self, f"_{category}", lambda *_: None)(fact, item, excerpt)
            if plant is not None:
                self.took(category)
                return plant
        return None

    def _wrong_role(self, fact: FactBase, item: dict[str, Any], _x: Any) -> Plant | None:
        if isinstance(fact, ConfigParameter) and fact.default is not None and fact.max is None:
            number = re.fullmatch(r"-?\d+(\.\d+)?", fact.default.strip())
            if number:
                value = float(fact.default) if "." in fact.default else int(fact.default)
                if fact.min is not None and fact.min > value:
                    return None
                item["max"] = value
                item["range_source"] = "declared"
                return Plant("wrong_role", fact.fact_kind, fact.service, fact.key(), {"max": value})
        if isinstance(fact, ResourceRequirement) and fact.limit and fact.request != fact.limit:
            item["request"] = fact.limit
            return Plant(
                "wrong_role", fact.fact_kind, fact.service, fact.key(), {"request": fact.limit}
            )
        return None

    def _unit_confusion(self, fact: FactBase, item: dict[str, Any], _x: Any) -> Plant | None:
        if isinstance(fact, HealthCheck):
            for name in ("interval_s", "timeout_s"):
                value = getattr(fact, name)
                if value:
                    item[name] = value * 1000
                    return Plant(
                        "unit_confusion",
                        fact.fact_kind,
                        fact.service,
                        fact.key(),
                        {name: value * 1000},
                    )
        if isinstance(fact, ResourceRequirement):
            for name in ("limit", "request"):
                value = getattr(fact, name)
                if not value:
                    continue
                swapped = _rescale(value)
                if swapped:
                    item[name] = swapped
                    return Plant(
                        "unit_confusion", fact.fact_kind, fact.service, fact.key(), {name: swapped}
                    )
        return None

    def _off_by_lines(
        self, fact: FactBase, item: dict[str, Any], excerpt: tuple[str, int, int]
    ) -> Plant | None:
        path, start, end = excerpt
        lines = self.lines(path)
        c = fact.citations[0]
        terms = key_terms(fact)
        offsets = [-3, -2, -1, 1, 2, 3]
        self.rng.shuffle(offsets)
        for d in offsets:
            at = (c.start_line if d < 0 else c.end_line) + d
            if not (start <= at <= end) or at > len(lines):
                continue
            text = lines[at - 1]
            if text.strip() and not mentions(text, terms):
                item["start_line"] = item["end_line"] = at
                return Plant(
                    "off_by_lines",
                    fact.fact_kind,
                    fact.service,
                    fact.key(),
                    citation=(path, at, at),
                )
        return None

    def _wrong_service(self, fact: FactBase, item: dict[str, Any], _x: Any) -> Plant | None:
        if not isinstance(fact, (HealthCheck, ResourceRequirement, Dependency)):
            return None
        if not fact.service:
            return None
        others = [
            s
            for s in self.services
            if s != fact.service
            and not any(
                g.service == s and g.fact_kind == fact.fact_kind and g.key() == fact.key()
                for g in self.gold
            )
            and not (isinstance(fact, Dependency) and s == fact.target)
        ]
        if not others:
            return None
        other = self.rng.choice(others)
        item["service"] = other
        return Plant("wrong_service", fact.fact_kind, other, fact.key())

    def _swapped_range(self, fact: FactBase, item: dict[str, Any], _x: Any) -> Plant | None:
        if isinstance(fact, ConfigParameter) and fact.min is not None and fact.max is not None:
            if fact.min != fact.max:
                item["min"], item["max"] = fact.max, fact.min
                return Plant(
                    "swapped_range",
                    fact.fact_kind,
                    fact.service,
                    fact.key(),
                    {"min": fact.max, "max": fact.min},
                )
        return None

    def _comment_range(
        self, fact: FactBase, item: dict[str, Any], excerpt: tuple[str, int, int]
    ) -> Plant | None:
        if not isinstance(fact, ConfigParameter) or fact.max is None:
            return None
        if fact.range_source != "declared":
            return None  # the code must state the range the comment contradicts
        path, start, end = excerpt
        lines = self.lines(path)
        comments = [n for n in range(start, min(end, len(lines)) + 1) if is_comment(lines[n - 1])]
        if not comments:
            return None
        at = self.rng.choice(comments)
        wrong = fact.max * 10 if fact.max else 100
        item["max"] = wrong
        item["range_source"] = "documented"
        item["start_line"] = min(at, fact.citations[0].start_line)
        item["end_line"] = max(at, fact.citations[0].end_line)
        return Plant("comment_range", fact.fact_kind, fact.service, fact.key(), {"max": wrong})

    # --- plants that join the correct items ----------------------------------------

    def invent(
        self, kind: str, excerpt: tuple[str, int, int], mine: list[FactBase]
    ) -> list[tuple[Plant, dict[str, Any]]]:
        out: list[tuple[Plant, dict[str, Any]]] = []
        path, start, end = excerpt
        lines = self.lines(path)
        if kind == "dependency" and self.room("invented_dependency") and len(self.services) >= 2:
            real = {(g.service, g.target) for g in self.gold if isinstance(g, Dependency)}
            pairs = [
                (a, b, n)
                for n in range(start, min(end, len(lines)) + 1)
                for b in self.services
                if normalise(b) in normalise(lines[n - 1]) and not is_comment(lines[n - 1])
                for a in self.services
                if a != b and (a, b) not in real
            ]
            if pairs:
                a, b, n = self.rng.choice(pairs)
                self.took("invented_dependency")
                plant = Plant("invented_dependency", kind, a, b, citation=(path, n, n))
                out.append(
                    (
                        plant,
                        {
                            "service": a,
                            "summary": f"{a} needs {b}",
                            "target": b,
                            "dependency_type": "runtime",
                            "start_line": n,
                            "end_line": n,
                        },
                    )
                )
        if kind == "config_parameter" and self.room("elsewhere_parameter") and mine:
            here = {normalise(f.name) for f in mine if isinstance(f, ConfigParameter)}
            text = normalise("\n".join(lines[start - 1 : end]))
            names = [n for n in self.names if normalise(n) not in here and normalise(n) not in text]
            code = [
                n
                for n in range(start, min(end, len(lines)) + 1)
                if lines[n - 1].strip() and not is_comment(lines[n - 1])
            ]
            if names and code:
                name, n = self.rng.choice(names), self.rng.choice(code)
                self.took("elsewhere_parameter")
                service = mine[0].service
                plant = Plant("elsewhere_parameter", kind, service, name, citation=(path, n, n))
                out.append(
                    (
                        plant,
                        {
                            "service": service,
                            "summary": f"{name} setting",
                            "name": name,
                            "start_line": n,
                            "end_line": n,
                        },
                    )
                )
        return out


_AMOUNT = re.compile(r"^(\d+(?:\.\d+)?)(Mi|Gi|Ki|m)$")


def _rescale(value: str) -> str | None:
    """`512Mi` → `512M` (decimal for binary), `500m` → `500` (cores for millicores)."""
    m = _AMOUNT.match(value.strip())
    if not m:
        return None
    number, unit = m.groups()
    return f"{number}{unit[0]}" if unit != "m" else number


def plant_cassettes(repo: Path, gold_path: Path, out: Path, work: Path, seed: int) -> PlantSet:
    """One cassette per request an extraction of `repo` makes; what was planted."""
    gold = [g.fact for g in load_gold(gold_path)]
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    opts = options(out, work)
    provider = get_provider("replay", opts.provider_settings)
    prepared = prepare(repo, opts)
    planter = _Planter(repo, gold, rng)
    result = PlantSet(seed)
    used: set[tuple[str, str | None, str]] = set()
    calls = plan_llm(prepared, opts, provider).calls
    for call in calls:
        chunk = call.chunk
        excerpt = (chunk.path, chunk.start_line, chunk.end_line)
        fields = set(
            call.request.response_model.model_fields["items"].annotation.__args__[0].model_fields  # type: ignore[union-attr]
        )
        mine = [f for f in gold if f.fact_kind == call.kind and _inside(f.citations[0], *excerpt)]
        items: list[dict[str, Any]] = []
        planted_here: list[Plant] = []
        for fact in mine:
            item = _item(fact, fields)
            ident = (fact.fact_kind, fact.service, fact.key())
            fresh = ident not in used
            used.add(ident)
            locked = any(p.category == "swapped_range" for p in planted_here)
            plant = (
                planter.replace(fact, item, excerpt, alone=not planted_here)
                if fresh and not locked and rng.random() < 0.5
                else None
            )
            if plant is not None:
                planted_here.append(plant)
            if plant is None:
                item = _item(fact, fields)
                if fresh:
                    result.correct.append(Correct(*ident, location=chunk.location))
            else:
                plant.location = chunk.location
                result.plants.append(plant)
            items.append({k: v for k, v in item.items() if k in fields})
        if any(p.category == "swapped_range" for p in planted_here):
            write_cassette(out, call.request, Completion(data={"items": items}), "planted")
            continue
        for plant, item in planter.invent(call.kind, excerpt, mine):
            plant.location = chunk.location
            result.plants.append(plant)
            items.append({k: v for k, v in item.items() if k in fields})
        write_cassette(out, call.request, Completion(data={"items": items}), "planted")
    return result


# ---------------------------------------------------------------- judging


def _carries(fact: FactBase, plant: Plant) -> bool:
    if fact.fact_kind != plant.kind or fact.key() != plant.key:
        return False
    if plant.service and fact.service and fact.service != plant.service:
        return False
    if plant.category in ("wrong_service", "invented_dependency", "elsewhere_parameter"):
        if plant.service and fact.service != plant.service:
            return False
        if plant.citation is not None and plant.category != "wrong_service":
            return any((c.path, c.start_line, c.end_line) == plant.citation for c in fact.citations)
        return fact.origin != "static"
    if plant.category == "off_by_lines":
        assert plant.citation is not None
        return any((c.path, c.start_line, c.end_line) == plant.citation for c in fact.citations)
    return all(_same(getattr(fact, k, None), v) for k, v in plant.fields.items())


def _same(a: Any, b: Any) -> bool:
    try:
        return a is not None and float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def judge(
    plant: Plant, facts: list[FactBase], rejected: list[FactBase], failed: set[str] = frozenset()
) -> str:
    """`caught` (contradicted or rejected), `refused` (the response schema refused the answer
    holding it: recorded as a failure of that request), `unverified` (on record, not refuted),
    `verified` (an error became a verified fact), or `lost` (no trace: the claim vanished)."""
    in_facts = [f for f in facts if _carries(f, plant)]
    in_rejected = [f for f in rejected if _carries(f, plant)]
    if any(f.verification.status == "verified" for f in in_facts):
        return "verified"
    if any(f.verification.status == "unverified" for f in in_facts):
        return "unverified"
    if in_rejected or any(f.verification.status == "contradicted" for f in in_facts):
        return "caught"
    return "refused" if plant.location in failed else "lost"


def kept(correct: Correct, facts: list[FactBase]) -> bool:
    """A correct claim stays `verified`: on the fact of its key (corroborated or its own),
    or on the static fact it corroborated under the analyzers' spelling (`uwsgi.harakiri`
    for `harakiri`). The gold's service counts where the run knows that service."""
    services = {f.service for f in facts}
    want = normalise(correct.key)

    def same_key(f: FactBase) -> bool:
        got = normalise(f.key())
        if got == want:
            return True
        agreed = any(c.name == "model_agrees" for c in f.verification.checks)
        return agreed and (got.endswith("_" + want) or want.endswith("_" + got))

    return any(
        f.fact_kind == correct.kind
        and same_key(f)
        and (
            correct.service is None
            or correct.service not in services
            or f.service == correct.service
        )
        and f.verification.status == "verified"
        for f in facts
    )
