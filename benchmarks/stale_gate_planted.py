"""Stale-runbook gate on planted code changes, per fixture and per real repository.

For each folder of fixtures/ and each evals/real/*/repo: copy it into a fresh git
repository, write its runbooks with a static extract (DOCS, outside the repository), check
that the unchanged repository yields no finding, then plant one change of each kind on a
fact picked at random (seeded) and run the gate (`docs_gate.compare`, as `ddd-llm check
--docs` does):

- default: the literal default of a config parameter, in its cited lines, gets another value;
- health:  the cited lines of a health check are deleted;
- move:    three blank lines are inserted above a fact's first cited line.

The plants are picked from the facts and edit the cited text; they are not shaped after the
gate's rules. Counted: planted; inert (the code change left the fact exactly as it was, so
no runbook is stale); found (the fact is named); named as expected (changed / removed or
lost evidence / moved); collateral (other findings about facts or gaps citing the planted
file, or the planted service's gaps: true consequences); false alarms (findings about
anything else).

    .venv/bin/python -m benchmarks.stale_gate_planted [--seed 19] [NAME ...]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ddd_llm.apps.docs_gate import Finding, compare, load_docs
from ddd_llm.config import ExtractOptions
from ddd_llm.models import ConfigParameter, FactBase, FactsDocument, HealthCheck
from ddd_llm.pipeline import extract

ROOT = Path(__file__).resolve().parent.parent
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}
EXPECTED = {"default": {"changed"}, "health": {"removed", "evidence"}, "move": {"moved"}}


def targets(names: list[str]) -> list[tuple[str, Path]]:
    found = [(p.name, p) for p in sorted((ROOT / "fixtures").iterdir()) if p.is_dir()]
    found += [
        (f"real/{p.parent.name}", p) for p in sorted((ROOT / "evals" / "real").glob("*/repo"))
    ]
    return [t for t in found if not names or t[0] in names or t[0].split("/")[-1] in names]


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        env={**os.environ, **GIT_ENV},
    )


def static(repo: Path, out: Path) -> FactsDocument:
    return extract(repo, ExtractOptions(llm="none", index=False, out_dir=out)).document


def _lines(repo: Path, path: str) -> list[str]:
    return (repo / path).read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)


def other_value(value: str) -> str:
    if re.fullmatch(r"-?\d+", value):
        return str(int(value) + 7)
    if re.fullmatch(r"-?\d+\.\d+", value):
        return f"{float(value) + 1.5:g}"
    flips = {"true": "false", "false": "true", "True": "False", "False": "True"}
    return flips.get(value, value + "x")


@dataclass
class Plant:
    kind: str
    fact: FactBase
    path: str
    description: str


def plant_default(repo: Path, doc: FactsDocument, rng: random.Random) -> Plant | None:
    options: list[tuple[ConfigParameter, int]] = []
    for f in doc.facts:
        if not isinstance(f, ConfigParameter) or f.secret or not f.default:
            continue
        c = f.citations[0]
        if not (repo / c.path).is_file():
            continue
        lines = _lines(repo, c.path)[c.start_line - 1 : c.end_line]
        hits = [i for i, line in enumerate(lines) if f.default in line]
        if len(hits) == 1 and sum(line.count(f.default) for line in lines) == 1:
            options.append((f, c.start_line - 1 + hits[0]))
    if not options:
        return None
    fact, index = rng.choice(sorted(options, key=lambda o: o[0].id))
    path = fact.citations[0].path
    lines = _lines(repo, path)
    default = fact.default or ""
    lines[index] = lines[index].replace(default, other_value(default))
    (repo / path).write_text("".join(lines), encoding="utf-8")
    return Plant("default", fact, path, f"{default!r} → {other_value(default)!r} at {path}")


def plant_health(repo: Path, doc: FactsDocument, rng: random.Random) -> Plant | None:
    options = sorted(
        (
            f
            for f in doc.facts
            if isinstance(f, HealthCheck) and (repo / f.citations[0].path).is_file()
        ),
        key=lambda f: f.id,
    )
    if not options:
        return None
    fact = rng.choice(options)
    c = fact.citations[0]
    lines = _lines(repo, c.path)
    del lines[c.start_line - 1 : c.end_line]
    (repo / c.path).write_text("".join(lines), encoding="utf-8")
    return Plant("health", fact, c.path, f"deleted {c}")


def plant_move(repo: Path, doc: FactsDocument, rng: random.Random) -> Plant | None:
    options = sorted(
        (f for f in doc.facts if (repo / f.citations[0].path).is_file()), key=lambda f: f.id
    )
    if not options:
        return None
    fact = rng.choice(options)
    c = fact.citations[0]
    lines = _lines(repo, c.path)
    lines[c.start_line - 1 : c.start_line - 1] = ["\n", "\n", "\n"]
    (repo / c.path).write_text("".join(lines), encoding="utf-8")
    return Plant("move", fact, c.path, f"3 lines inserted above {c}")


PLANTS = {"default": plant_default, "health": plant_health, "move": plant_move}


@dataclass
class Tally:
    planted: int = 0
    inert: int = 0
    found: int = 0
    named: int = 0
    collateral: int = 0
    false_alarms: int = 0
    unchanged_findings: int = 0
    missing: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)


def cites(finding: Finding, old: FactsDocument, path: str) -> bool:
    facts = {f.id: f for f in old.facts}
    paths = set(finding.paths)
    if finding.subject in facts:
        paths |= {c.path for c in facts[finding.subject].citations}
    return path in paths


def judge(
    plant: Plant, findings: list[Finding], old: FactsDocument, new: FactsDocument, t: Tally
) -> None:
    before = {f.id: f for f in old.facts}
    after = {f.id: f for f in new.facts}
    if plant.fact.id in after and after[plant.fact.id] == before[plant.fact.id]:
        t.inert += 1
    else:
        t.planted += 1
        hit = [f for f in findings if f.subject == plant.fact.id]
        if hit:
            t.found += 1
            t.named += hit[0].kind in EXPECTED[plant.kind]
        else:
            t.missing.append(f"{plant.kind} {plant.fact.id} ({plant.description})")
    for f in findings:
        if f.subject == plant.fact.id:
            continue
        same_service = (
            f.kind == "critical-gap" and f".{plant.fact.service}" in f".{f.subject.split(':')[-1]}"
        )
        if cites(f, old, plant.path) or same_service:
            t.collateral += 1
        else:
            t.false_alarms += 1
            t.alarms.append(f"{plant.kind}: {f.kind} {f.subject}")


def run_target(name: str, source: Path, seed: int, work: Path) -> tuple[Tally, dict[str, str]]:
    base = work / "base"
    shutil.copytree(source, base, ignore=shutil.ignore_patterns(".ddd", ".git"))
    git(base, "init", "-q")
    git(base, "add", "-A")
    git(base, "commit", "-qm", "base", "--no-verify")
    docs = work / "docs"
    old_doc = static(base, docs)
    old = load_docs(docs, base)
    tally = Tally()
    tally.unchanged_findings = len(compare(old, static(base, work / "same"), base, docs).findings)
    rng = random.Random(f"{seed}:{name}")
    notes: dict[str, str] = {}
    for kind, make in PLANTS.items():
        repo = work / kind
        shutil.copytree(base, repo)
        plant = make(repo, old_doc, rng)
        if plant is None:
            notes[kind] = "no candidate fact"
            continue
        git(repo, "commit", "-qam", f"plant {kind}", "--no-verify")
        new = static(repo, work / f"{kind}-now")
        result = compare(old, new, repo, docs)
        judge(plant, result.findings, old, new, tally)
        notes[kind] = f"{plant.fact.id}: {plant.description} → {len(result.findings)} findings"
    return tally, notes


COUNTS = ("planted", "inert", "found", "named", "collateral", "false_alarms", "unchanged_findings")


def row(t: Tally) -> str:
    return " ".join(f"{getattr(t, c):>7}" for c in COUNTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="fixture or real repository names (default: all)")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    total = Tally()
    print(f"seed {args.seed}")
    cols = ("planted", "inert", "found", "named", "collat", "false", "unch")
    header = f"{'repository':34} " + " ".join(f"{c:>7}" for c in cols) + f" {'s':>5}"
    print(header)
    for name, source in targets(args.names):
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="stale-gate-") as tmp:
            try:
                t, notes = run_target(name, source, args.seed, Path(tmp))
            except Exception as exc:  # noqa: BLE001 - one repository's failure is reported, not fatal
                print(f"{name:34} failed: {type(exc).__name__}: {exc}")
                continue
        secs = time.perf_counter() - started
        print(f"{name:34} {row(t)} {secs:>5.1f}")
        for kind, note in notes.items():
            print(f"    {kind:8} {note}")
        for miss in t.missing:
            print(f"    MISSED {miss}")
        for alarm in t.alarms[:5]:
            print(f"    FALSE ALARM {alarm}")
        for attr in COUNTS:
            setattr(total, attr, getattr(total, attr) + getattr(t, attr))
    print(f"{'total':34} {row(total)}")
    if total.planted:
        print(
            f"found {total.found}/{total.planted} = {total.found / total.planted:.2f}; "
            f"named as expected {total.named}/{total.planted} = {total.named / total.planted:.2f}; "
            f"false alarms {total.false_alarms} "
            f"({total.false_alarms / total.planted:.2f} per plant); "
            f"findings on unchanged repositories: {total.unchanged_findings}"
        )


if __name__ == "__main__":
    main()
