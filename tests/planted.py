"""Replay cassettes with planted model errors, written from a fixture's gold facts.

For every request an extraction of FIXTURE would make, the "model" answers with the gold
facts whose citation lies inside the request's excerpt (a correct model), except where a
planted error replaces or joins them: a wrong min, a wrong port, an invented parameter,
an invented dependency, a citation to a line that does not hold the key, a citation
outside the excerpt. The plants are listed beside the cassettes (`plants.json`) so a test
can check what the verifier made of each.

    python -m tests.planted fixtures/compose-shop evals/gold/compose-shop.json OUT_DIR
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ddd_llm.config import ExtractOptions
from ddd_llm.evals.facts_score import load_gold
from ddd_llm.extract.llm_extract import Planned as Planned_
from ddd_llm.llm import Completion, ProviderSettings, get_provider
from ddd_llm.llm.replay import write_cassette
from ddd_llm.models import Citation, FactBase, HealthCheck, ResourceRequirement
from ddd_llm.pipeline import plan_llm, prepare
from ddd_llm.scan.repotext import RepoText
from ddd_llm.verify.verifier import key_terms, mentions

PER_TYPE = 3
"""Plants of each type per fixture (fewer when the fixture offers fewer candidates)."""


@dataclass
class Plant:
    type: str
    kind: str
    key: str
    """The fact's id key (`name` for parameters, `target` for dependencies, ...)."""
    field: str | None = None
    value: Any = None
    citation: dict[str, Any] | None = None
    label: str = ""


@dataclass
class Planted:
    plants: list[Plant] = field(default_factory=list)
    correct: list[dict[str, str]] = field(default_factory=list)
    """Correct claims emitted: kind and key."""


def item_of(fact: FactBase, fields: set[str]) -> dict[str, Any]:
    data = fact.model_dump(mode="json")
    item = {k: v for k, v in data.items() if k in fields and k not in ("start_line", "end_line")}
    item["service"] = fact.service
    item["start_line"] = fact.citations[0].start_line
    item["end_line"] = fact.citations[0].end_line
    return item


def inside(citation: Citation, path: str, start: int, end: int) -> bool:
    return citation.path == path and start <= citation.start_line and citation.end_line <= end


def keyless_line(fact: FactBase, files: RepoText, path: str, start: int, end: int) -> int | None:
    lines = files.lines(path) or []
    terms = key_terms(fact)
    for number in range(end, start - 1, -1):
        text = lines[number - 1] if number - 1 < len(lines) else ""
        if text.strip() and not mentions(text, terms):
            return number
    return None


def plant_cassettes(repo: Path, gold_path: Path, out: Path, work: Path) -> Planted:
    """Write one cassette per planned request of `repo` into `out`; return what was planted."""
    gold = [g.fact for g in load_gold(gold_path)]
    out.mkdir(parents=True, exist_ok=True)
    options = replay_options(out, work)
    provider = get_provider("replay", options.provider_settings)
    prepared = prepare(repo, options)
    files = RepoText(repo)
    result = Planted()
    counts: dict[str, int] = {}

    def take(kind: str) -> bool:
        if counts.get(kind, 0) >= PER_TYPE:
            return False
        counts[kind] = counts.get(kind, 0) + 1
        return True

    used: set[str] = set()
    for call in plan_llm(prepared, options, provider).calls:
        chunk, request = call.chunk, call.request
        fields = set(
            request.response_model.model_fields["items"].annotation.__args__[0].model_fields
        )  # type: ignore[union-attr]
        items: list[dict[str, Any]] = []
        mine = [
            f
            for f in gold
            if f.fact_kind == call.kind
            and inside(f.citations[0], chunk.path, chunk.start_line, chunk.end_line)
        ]
        for fact in mine:
            item = item_of(fact, fields)
            key = fact.key()
            fresh = f"{call.kind}:{key}" not in used
            used.add(f"{call.kind}:{key}")
            plant = _plant_into(item, fact, files, chunk.path, chunk.start_line, chunk.end_line)
            if plant is not None and fresh and take(plant.type):
                plant.label = chunk.location
                result.plants.append(plant)
            else:
                item = item_of(fact, fields)
                result.correct.append({"kind": call.kind, "key": key})
            items.append(item)
        for plant in _inventions(call.kind, chunk.start_line, chunk.end_line, bool(mine), gold):
            if take(plant.type):
                plant.label = chunk.location
                if plant.citation is not None:
                    plant.citation["path"] = chunk.path
                items.append(_invented_item(plant, gold))
                result.plants.append(plant)
        write_cassette(out, request, Completion(data={"items": items}), "planted")
    (out / "plants.json").write_text(
        json.dumps(
            {"plants": [asdict(p) for p in result.plants], "correct": result.correct}, indent=1
        )
        + "\n"
    )
    return result


Answer = Callable[[Planned_], list[dict[str, Any]]]


def scripted_cassettes(repo: Path, out: Path, work: Path, answer: Answer) -> int:
    """One cassette per request an extraction of `repo` makes, answered by `answer(call)`."""
    options = replay_options(out, work)
    out.mkdir(parents=True, exist_ok=True)
    provider = get_provider("replay", options.provider_settings)
    calls = plan_llm(prepare(repo, options), options, provider).calls
    for call in calls:
        write_cassette(out, call.request, Completion(data={"items": answer(call)}), "scripted")
    return len(calls)


def replay_options(cassettes: Path, work: Path) -> ExtractOptions:
    return ExtractOptions(
        out_dir=work / "out",
        index_dir=work / "index",
        llm="replay",
        provider_settings=ProviderSettings(cassettes=str(cassettes)),
        no_cache=True,
    )


def _plant_into(
    item: dict[str, Any], fact: FactBase, files: RepoText, path: str, start: int, end: int
) -> Plant | None:
    """Turn a correct item into a planted error in place, or leave it and return None."""
    kind, key = fact.fact_kind, fact.key()
    if item.get("min") is not None:
        wrong = (
            item["min"] + 1
            if item.get("max") is None or item["min"] + 1 <= item["max"]
            else item["min"] - 1
        )
        item["min"] = wrong
        return Plant("wrong_min", kind, key, "min", wrong)
    if isinstance(fact, HealthCheck) and fact.port is not None:
        item["port"] = fact.port + 1000 if fact.port < 60000 else fact.port - 1000
        return Plant("wrong_port", kind, key, "port", item["port"])
    if isinstance(fact, ResourceRequirement) and fact.resource == "port" and fact.value:
        digits = fact.value.split(":")[-1].split("/")[0]
        if digits.isdigit():
            wrong = str(int(digits) + 1)
            item["value"] = wrong
            # A port's value is part of its key: the wrong claim is a different fact.
            return Plant("wrong_port", kind, f"port:{wrong}", "value", wrong)
    line = keyless_line(fact, files, path, start, end)
    if line is not None and (
        line < fact.citations[0].start_line or line > fact.citations[0].end_line
    ):
        item["start_line"] = item["end_line"] = line
        return Plant(
            "wrong_line", kind, key, citation={"path": path, "start_line": line, "end_line": line}
        )
    return None


def _inventions(
    kind: str, start: int, end: int, has_gold: bool, gold: list[FactBase]
) -> Iterator[Plant]:
    if kind == "config_parameter" and has_gold:
        yield Plant(
            "invented_parameter",
            kind,
            "FROBNICATE_LEVEL",
            citation={"start_line": start, "end_line": start},
        )
    if kind == "dependency" and has_gold:
        yield Plant(
            "invented_dependency", kind, "kafka", citation={"start_line": start, "end_line": start}
        )
    if not has_gold and kind in ("config_parameter", "health_check"):
        yield Plant(
            "citation_outside",
            kind,
            "OUTSIDE_CITED",
            citation={"start_line": end + 5, "end_line": end + 6},
        )


def _invented_item(plant: Plant, gold: list[FactBase]) -> dict[str, Any]:
    assert plant.citation is not None
    lines = {"start_line": plant.citation["start_line"], "end_line": plant.citation["end_line"]}
    services = sorted({f.service for f in gold if f.service})
    service = services[0] if services else None
    if plant.kind == "dependency":
        return {"service": service, "summary": "needs kafka", "target": plant.key, **lines}
    if plant.kind == "health_check":
        return {
            "service": service,
            "summary": "probe",
            "check_type": "http",
            "target": "/deep",
            **lines,
        }
    return {
        "service": service,
        "summary": "tuning knob",
        "name": plant.key,
        "default": "3",
        **lines,
    }


if __name__ == "__main__":  # pragma: no cover - a tool for looking at the cassettes by hand
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        planted = plant_cassettes(
            Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), Path(tmp)
        )
    print(f"{len(planted.plants)} plants, {len(planted.correct)} correct claims -> {sys.argv[3]}")
