"""Drift on live dumps with planted values: planted / found / misjudged / false alarms.

For each fixture (its recorded dumps in fixtures/live/<fixture>/, listed in SOURCES) and each
evals/real repository (dumps rendered from the repository's own deployment files: compose
files as `docker compose config` prints them, systemd units as `systemctl show` prints them,
its config files and .env templates as deployed), the benchmark

1. runs `drift` on the unplanted dumps (the baseline: what a faithful deployment reports);
2. plants, from a random seed, into copies of the dumps: values outside the facts' range or
   choice (must be CRITICAL/HIGH), in-range non-default values (must be INFO, not HIGH), a
   misspelt key where the service's keys are known from its code (must be MEDIUM, with the
   right suggestion), and removes a declared probe or memory limit (must be HIGH);
3. counts found (the planted key reported at the expected level), misjudged (reported at
   another level) and false alarms (findings on keys nothing was planted in, beyond baseline).

A misspelt key is expected as MEDIUM only where the facts list the service's env vars from its
code (`typo`); elsewhere (`typo_unjudged`) it must not be reported at all, and "found" means
it was not.

Plant values come from the facts' ranges and a seeded generator, never from the rules that
catch them. Run:

    .venv/bin/python -m benchmarks.drift_planted [--seeds 5] [NAME …]
"""

from __future__ import annotations

import argparse
import random
import re
import string
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from ddd_llm.apps.drift import parse_live
from ddd_llm.config import ExtractOptions
from ddd_llm.drift.compare import DriftFinding, compare, namespace_of
from ddd_llm.drift.sources import LiveParam, LiveSource, read_source
from ddd_llm.models import ConfigParameter, FactsDocument, HealthCheck, ResourceRequirement
from ddd_llm.pipeline import extract
from ddd_llm.scan.redact import CODE_SUFFIXES

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
REAL = ROOT / "evals" / "real"
RESULTS = ROOT / "benchmarks" / "results"
SEVERE = {"CRITICAL", "HIGH"}


# ------------------------------------------------------------------------ facts


def static_facts(repo: Path) -> FactsDocument:
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as tmp:
        options = ExtractOptions(llm="none", index=False, prose=False, out_dir=Path(tmp))
        return extract(repo, options).document


# ------------------------------------------------------------------------ dumps


@dataclass
class Dump:
    path: Path
    service: str | None = None


_REF = re.compile(r"\$\{([A-Za-z_]\w*)(?::?[-?=]([^}]*))?\}|\$([A-Za-z_]\w*)")


def _substitute(value: Any, env: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _REF.sub(
            lambda m: env.get(m.group(1) or m.group(3), m.group(2) or ""),
            value.replace("$$", "\0"),
        ).replace("\0", "$")
    if isinstance(value, dict):
        return {k: _substitute(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, env) for v in value]
    return value


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?\s*$")


def _bytes(text: Any) -> str:
    match = _SIZE.match(str(text))
    if not match:
        return str(text)
    factor = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[match.group(2).lower()]
    return str(int(float(match.group(1)) * factor))


def render_compose(path: Path, env: dict[str, str]) -> str:
    """A compose file as `docker compose config` prints it: variables substituted, the
    environment a mapping, memory in bytes, cpus a number, keys sorted."""
    data = _substitute(yaml.safe_load(path.read_text(encoding="utf-8")), env)
    services: dict[str, Any] = {}
    for name, spec in (data.get("services") or {}).items():
        spec = dict(spec or {})
        environment = spec.get("environment")
        if isinstance(environment, list):
            mapping: dict[str, Any] = {}
            for item in environment:
                key, sep, value = str(item).partition("=")
                mapping[key] = value if sep else env.get(key)
            spec["environment"] = mapping
        if isinstance(spec.get("environment"), dict):
            spec["environment"] = {
                k: (None if v is None else str(v)) for k, v in spec["environment"].items()
            }
        resources = (spec.get("deploy") or {}).get("resources") or {}
        for part in ("limits", "reservations"):
            block = resources.get(part) or {}
            if "memory" in block:
                block["memory"] = _bytes(block["memory"])
            if "cpus" in block:
                block["cpus"] = float(block["cpus"])
        spec.setdefault("networks", {"default": None})
        services[str(name)] = spec
    name = data.get("name") or path.parent.name.lower()
    return yaml.safe_dump({"name": name, "services": services}, sort_keys=True)


def render_systemd(path: Path) -> str:
    """A unit file as `systemctl show` prints it (the properties drift reads, among others)."""
    unit = path.name
    props: dict[str, str] = {}
    env: list[str] = []
    for raw in path.read_text(encoding="utf-8").replace("\\\n", " ").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")) or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if key == "Environment":
            env.append(value)
        else:
            props[key] = value
    out = [f"Type={props.get('Type', 'simple')}", f"Restart={props.get('Restart', 'no')}"]
    if "RestartSec" in props:
        out.append(f"RestartUSec={props['RestartSec']}")
    out.append(f"WatchdogUSec={props.get('WatchdogSec', '0')}")
    out += ["MainPID=2231", "NRestarts=0", "UID=998", "GID=998"]
    if "ExecStart" in props:
        argv = props["ExecStart"].lstrip("@-:+!")
        program = argv.split()[0] if argv.split() else ""
        out.append(
            f"ExecStart={{ path={program} ; argv[]={argv} ; ignore_errors=no ; "
            "start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"
        )
    for key, prop in (("MemoryHigh", "MemoryHigh"), ("MemoryMax", "MemoryMax")):
        out.append(f"{prop}={_bytes(props[key]) if key in props else 'infinity'}")
    out.append(f"LimitNOFILE={props.get('LimitNOFILE', '524288')}")
    if env:
        out.append("Environment=" + " ".join(env))
    out += [f"User={props.get('User', 'root')}", f"Id={unit}", "LoadState=loaded"]
    out += ["ActiveState=active", "SubState=running", f"Description={props.get('Description', '')}"]
    return "\n".join(out) + "\n"


_CONFIG_NAMES = re.compile(
    r"(\.ini|\.toml|\.conf|\.properties|^application[\w-]*\.ya?ml|^appsettings[\w.]*\.json)$"
)


def real_dumps(repo: Path, doc: FactsDocument, into: Path) -> tuple[list[Dump], list[str]]:
    """Dumps made from the repository's own deployment files; and what could not be made."""
    dumps: list[Dump] = []
    skipped: list[str] = []
    env: dict[str, str] = {}
    for template in sorted(repo.rglob(".env*")):
        for line in template.read_text(encoding="utf-8", errors="replace").splitlines():
            key, sep, value = line.partition("=")
            if sep and not line.lstrip().startswith("#"):
                env.setdefault(key.strip(), value.strip())
    cited = {c.path for f in doc.facts for c in f.citations}
    for n, path in enumerate(sorted(repo.rglob("*"))):
        rel = path.relative_to(repo).as_posix()
        if not path.is_file() or "test" in rel.lower():
            continue
        target = into / f"{n:03d}" / path.name
        if re.search(r"(^|/)(docker-)?compose[\w.-]*\.ya?ml$", rel) and "override" not in rel:
            target.parent.mkdir(parents=True)
            target.write_text(render_compose(path, env), encoding="utf-8")
            dumps.append(Dump(target.with_name("compose.config.yaml")))
            target.rename(dumps[-1].path)
        elif path.suffix == ".service":
            target.parent.mkdir(parents=True)
            out = target.with_name("systemctl-show.txt")
            out.write_text(render_systemd(path), encoding="utf-8")
            dumps.append(Dump(out))
        elif rel in cited and _CONFIG_NAMES.search(path.name):
            target.parent.mkdir(parents=True)
            target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
            owners = {f.service for f in doc.facts if any(c.path == rel for c in f.citations)}
            service = next(iter(owners)) if len(owners) == 1 else None
            dumps.append(Dump(target, service))
        elif path.name.startswith(".env") and rel in cited:
            target.parent.mkdir(parents=True)
            out = target.with_name("live.env")
            out.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
            dumps.append(Dump(out))
    if any(p.suffix in (".tpl",) or "templates" in p.parts for p in repo.rglob("*.yaml")):
        skipped.append("Helm templates: no dump without `helm template` (not run here)")
    if not dumps:
        skipped.append("no compose file, unit file, config file or .env the facts cite")
    return dumps, skipped


def fixture_dumps(name: str) -> list[Dump]:
    folder = FIXTURES / "live" / name
    dumps = []
    for line in (folder / "SOURCES").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            spec = parse_live(line.strip())
            dumps.append(Dump(folder / spec.path, spec.service))
    return dumps


# ------------------------------------------------------------------------ plants


@dataclass(frozen=True)
class Plant:
    kind: str  # out_of_range, in_range, typo, probe_missing, limit_missing
    service: str | None
    key: str
    expected: frozenset[str]
    suggestion: str | None = None
    line: int | None = None
    """The dump line planted (a `--flag ${VAR}` finding on the variable's line is this plant)."""


@dataclass
class Tally:
    plants: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    misjudged: Counter[str] = field(default_factory=Counter)
    false_alarms: int = 0
    extra_info: int = 0
    baseline: Counter[str] = field(default_factory=Counter)
    dumps: int = 0
    ignored: int = 0
    unjudged: int = 0
    misses: list[str] = field(default_factory=list)
    unplanted: list[str] = field(default_factory=list)


def _matching(doc: FactsDocument, param: LiveParam) -> ConfigParameter | None:
    names = [param.name]
    if param.namespace == "systemd" and param.name.endswith("USec"):
        names.insert(0, param.name[:-4] + "Sec")
    for name in names:
        for f in doc.facts:
            if (
                isinstance(f, ConfigParameter)
                and f.name.lstrip("-") == name.lstrip("-")
                and f.service in (param.service, None)
                and not f.secret
            ):
                return f
    return None


def _env_known(doc: FactsDocument, service: str | None) -> list[str]:
    """The service's env var names, when its code reads them (the typo rule's precondition)."""
    names = [
        f.name
        for f in doc.facts
        if isinstance(f, ConfigParameter) and f.service == service and namespace_of(f.name) == "env"
    ]
    coded = any(
        Path(c.path).suffix in CODE_SUFFIXES
        for f in doc.facts
        if isinstance(f, ConfigParameter) and f.service == service and f.name in names
        for c in f.citations
    )
    return names if coded else []


def _out_of_range(f: ConfigParameter, rng: random.Random) -> str | None:
    if f.min is not None or f.max is not None:
        span = (f.max - f.min) if f.min is not None and f.max is not None else 10
        step = rng.randint(1, max(1, int(span)))
        if f.max is not None and (f.min is None or rng.random() < 0.5):
            return str(f.max + step)
        assert f.min is not None
        return str(f.min - step)
    if f.allowed_values:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(7))
    return None


def _in_range(f: ConfigParameter, rng: random.Random) -> str | None:
    if f.allowed_values:
        others = [
            v for v in f.allowed_values if f.default is None or v.lower() != f.default.lower()
        ]
        return rng.choice(others) if others else None
    default = None
    try:
        default = float(f.default) if f.default is not None else None
    except ValueError:
        return None
    if f.value_type not in ("int", "float") or default is None:
        return None
    low = f.min if f.min is not None else default - 10 if default > 10 else 0
    high = f.max if f.max is not None else default + 10
    choices = [v for v in range(int(low), int(high) + 1) if v != default]
    return str(rng.choice(choices)) if choices else None


def _replace_value(text: str, param: LiveParam, new: str) -> str | None:
    """`text` with the record's value replaced where it was read (after its key)."""
    assert param.value is not None
    if param.where.unit == "entry":
        entries = text.split("\0")
        entry = entries[param.where.line - 1] if param.where.line else ""
        if entry != f"{param.name}={param.value}":
            return None
        entries[param.where.line - 1] = f"{param.name}={new}"  # type: ignore[operator]
        return "\0".join(entries)
    lines = text.split("\n")
    if param.where.line is None:
        return None
    start = param.where.line - 1
    for index in range(start, min(start + 3, len(lines))):
        line = lines[index]
        at = line.find(param.name) + len(param.name) if index == start else 0
        if index == start and at < len(param.name):
            at = 0
        pos = line.find(param.value, at)
        if pos >= 0:
            lines[index] = line[:pos] + new + line[pos + len(param.value) :]
            return "\n".join(lines)
    return None


def _rename_key(text: str, param: LiveParam, new: str) -> str | None:
    lines = text.split("\n")
    if param.where.line is None or param.where.unit != "line":
        return None
    line = lines[param.where.line - 1]
    if param.name not in line:
        return None
    lines[param.where.line - 1] = line.replace(param.name, new, 1)
    return "\n".join(lines)


def _typo(name: str, rng: random.Random, known: list[str]) -> str | None:
    for _ in range(10):
        i = rng.randrange(1, len(name) - 1) if len(name) > 3 else 0
        new = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        if new != name and new not in known:
            return new
    return None


def plant_dump(
    doc: FactsDocument, source: LiveSource, text: str, rng: random.Random
) -> tuple[str, list[Plant]]:
    plants: list[Plant] = []
    params = [p for p in source.params if p.value is not None and not p.secret]
    rng.shuffle(params)
    used: set[tuple[str | None, str]] = set()
    for param in params[:12]:
        service = param.service or source.given_service
        if (service, param.name) in used:
            continue
        fact = _matching(doc, replace(param, service=service))
        options: list[str] = []
        if fact is not None and _out_of_range(fact, rng) is not None:
            options.append("out_of_range")
        if fact is not None and _in_range(fact, rng) is not None:
            options.append("in_range")
        known = _env_known(doc, service) if param.namespace == "env" else []
        if fact is not None and param.name in known:
            options.append("typo")
        elif fact is not None and param.namespace == "env" and service is not None:
            options.append("typo_unjudged")  # keys not known: must not be called a typo
        if not options:
            continue
        kind = rng.choice(options)
        changed: str | None = None
        if kind in ("typo", "typo_unjudged"):
            new_name = _typo(param.name, rng, known)
            changed = _rename_key(text, param, new_name) if new_name else None
            plant = Plant(
                kind,
                service,
                new_name or "",
                frozenset({"MEDIUM"}) if kind == "typo" else frozenset(),
                param.name if kind == "typo" else None,
                param.where.line,
            )
        else:
            assert fact is not None
            value = _out_of_range(fact, rng) if kind == "out_of_range" else _in_range(fact, rng)
            changed = _replace_value(text, param, value) if value is not None else None
            expected = SEVERE if kind == "out_of_range" else frozenset({"INFO"})
            plant = Plant(kind, service, param.name, frozenset(expected), None, param.where.line)
        if changed is not None:
            text = changed
            plants.append(plant)
            used.add((service, param.name))
    return _remove_structure(doc, source, text, rng, plants)


def _remove_structure(
    doc: FactsDocument, source: LiveSource, text: str, rng: random.Random, plants: list[Plant]
) -> tuple[str, list[Plant]]:
    """Remove one declared probe and one declared memory limit the dump shows."""
    if source.format == "systemd":
        for service in source.services:
            if any(
                isinstance(f, ResourceRequirement)
                and f.service == service
                and f.resource == "memory"
                and f.limit
                for f in doc.facts
            ) and re.search(r"^MemoryMax=\d+$", text, re.M):
                text = re.sub(r"^MemoryMax=\d+$", "MemoryMax=infinity", text, flags=re.M)
                plants.append(Plant("limit_missing", service, "memory limit", frozenset({"HIGH"})))
            if any(
                isinstance(f, HealthCheck)
                and f.service == service
                and f.mechanism == "systemd-watchdog"
                for f in doc.facts
            ):
                text = re.sub(r"^WatchdogUSec=.*$", "WatchdogUSec=0", text, flags=re.M)
                plants.append(
                    Plant("probe_missing", service, "systemd-watchdog", frozenset({"HIGH"}))
                )
        return text, plants
    if source.format == "kubernetes":
        return _remove_kubernetes(doc, text, rng, plants)
    if source.format != "compose":
        return text, plants
    data = yaml.safe_load(text)
    services = data.get("services", {})
    probes = [
        f.service
        for f in doc.facts
        if isinstance(f, HealthCheck)
        and f.mechanism == "compose-healthcheck"
        and f.service in services
        and "healthcheck" in services[f.service]
    ]
    limits = [
        f.service
        for f in doc.facts
        if isinstance(f, ResourceRequirement)
        and f.resource == "memory"
        and f.limit
        and f.service in services
        and "memory"
        in ((services[f.service].get("deploy") or {}).get("resources") or {}).get("limits", {})
    ]
    if probes:
        victim = rng.choice(sorted({p for p in probes if p is not None}))
        del services[victim]["healthcheck"]
        plants.append(Plant("probe_missing", victim, "compose-healthcheck", frozenset({"HIGH"})))
    if limits:
        victim = rng.choice(sorted({v for v in limits if v is not None}))
        del services[victim]["deploy"]["resources"]["limits"]["memory"]
        plants.append(Plant("limit_missing", victim, "memory limit", frozenset({"HIGH"})))
    if probes or limits:
        text = yaml.safe_dump(data, sort_keys=True)
    return text, plants


def _remove_kubernetes(
    doc: FactsDocument, text: str, rng: random.Random, plants: list[Plant]
) -> tuple[str, list[Plant]]:
    data = yaml.safe_load(text)
    items = data.get("items", [data]) if isinstance(data, dict) else []
    containers = {}
    for item in items:
        spec = ((item.get("spec") or {}).get("template") or {}).get("spec") or {}
        for c in spec.get("containers") or []:
            containers[item["metadata"]["name"]] = c
    probes = [
        (f.service, f.mechanism)
        for f in doc.facts
        if isinstance(f, HealthCheck) and f.service in containers and f.mechanism.startswith("k8s-")
    ]
    limits = [
        f.service
        for f in doc.facts
        if isinstance(f, ResourceRequirement)
        and f.resource == "memory"
        and f.limit
        and f.service in containers
    ]
    keys = {
        "k8s-liveness": "livenessProbe",
        "k8s-readiness": "readinessProbe",
        "k8s-startup": "startupProbe",
    }
    if probes:
        service, mechanism = rng.choice(sorted({p for p in probes if p is not None}))
        containers[service].pop(keys[mechanism], None)
        plants.append(Plant("probe_missing", service, mechanism, frozenset({"HIGH"})))
    if limits:
        service = rng.choice(sorted({v for v in limits if v is not None}))
        containers[service]["resources"]["limits"].pop("memory", None)
        plants.append(Plant("limit_missing", service, "memory limit", frozenset({"HIGH"})))
    if probes or limits:
        text = yaml.safe_dump(data, sort_keys=True)
    return text, plants


# ------------------------------------------------------------------------ scoring


def _sources(dumps: list[Dump]) -> list[LiveSource]:
    return [read_source(d.path, d.service) for d in dumps]


def _key(f: DriftFinding) -> tuple[str | None, str]:
    return f.service, f.key


def score(doc: FactsDocument, dumps: list[Dump], seed: int, tally: Tally, work: Path) -> None:
    clean = compare(doc, _sources(dumps))
    baseline = {(_key(f), f.level) for f in clean.findings}
    tally.baseline.update(f.level for f in clean.findings)
    tally.ignored += sum(clean.ignored.values())
    tally.unjudged += sum(clean.unjudged.values())
    rng = random.Random(seed)
    planted_dumps: list[Dump] = []
    plants: list[Plant] = []
    plant_dumps: list[tuple[str, Plant]] = []
    for n, dump in enumerate(dumps):
        source = read_source(dump.path, dump.service)
        text = dump.path.read_text(encoding="utf-8")
        new_text, new_plants = plant_dump(doc, source, text, rng)
        target = work / f"seed{seed}-{n}" / dump.path.name
        plant_dumps += [(str(target), p) for p in new_plants]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(new_text, encoding="utf-8")
        planted_dumps.append(Dump(target, dump.service))
        plants += new_plants
    result = compare(doc, _sources(planted_dumps))
    tally.dumps += len(dumps)
    planted_keys = {(p.service, p.key) for p in plants}
    planted_lines = {(d, p.line) for d, p in plant_dumps if p.line is not None}
    for plant in plants:
        tally.plants[plant.kind] += 1
        levels = {
            f.level
            for f in result.findings
            if f.key.lstrip("-") == plant.key.lstrip("-")
            and (plant.service in (None, f.service))
            and (plant.suggestion is None or f.suggestion == plant.suggestion)
        }
        if levels & plant.expected or (not plant.expected and not levels):
            tally.found[plant.kind] += 1
        else:
            tally.misjudged[plant.kind] += bool(levels)
            tally.misses.append(f"seed {seed}: {plant} → {sorted(levels) or 'not reported'}")
    for f in result.findings:
        if _key(f) in planted_keys or (_key(f), f.level) in baseline:
            continue
        if (f.where.path, f.where.line) in planted_lines:
            continue  # the planted value seen again (a flag that reads the planted variable)
        tally.unplanted.append(f"seed {seed}: {f.level} {f.service} {f.key}: {f.message}")
        if f.level == "INFO":
            tally.extra_info += 1
        else:
            tally.false_alarms += 1


def run(names: list[str], seeds: int) -> list[str]:
    rows = []
    header = (
        f"{'target':28} {'dumps':>5} {'planted':>7} {'found':>5} {'missed':>6} {'misjudged':>9} "
        f"{'false':>5} {'xINFO':>5} {'base':>10} {'ignored':>7} {'unjudged':>8}"
        "  by kind (found/planted)"
    )
    rows.append(header)
    totals = Tally()
    targets: list[tuple[str, Path, list[Dump] | None]] = []
    for name in ("compose-shop", "k8s-payments", "vm-telemetry"):
        targets.append((name, FIXTURES / name, fixture_dumps(name)))
    for repo in sorted(p for p in REAL.iterdir() if (p / "repo").is_dir()):
        targets.append((f"real/{repo.name}", repo / "repo", None))
    notes = []
    for label, repo, dumps in targets:
        if names and not any(n in label for n in names):
            continue
        doc = static_facts(repo)
        with tempfile.TemporaryDirectory(prefix="drift-dumps-") as tmp:
            work = Path(tmp)
            skipped: list[str] = []
            if dumps is None:
                dumps, skipped = real_dumps(repo, doc, work / "dumps")
            notes += [f"{label}: {s}" for s in skipped]
            tally = Tally()
            if dumps:
                for seed in range(seeds):
                    score(doc, dumps, seed, tally, work / "planted")
        planted = sum(tally.plants.values())
        found = sum(tally.found.values())
        misjudged = sum(tally.misjudged.values())
        kinds = " ".join(f"{k} {tally.found[k]}/{n}" for k, n in sorted(tally.plants.items()))
        base = "/".join(
            str(tally.baseline.get(lv, 0)) for lv in ("CRITICAL", "HIGH", "MEDIUM", "INFO")
        )
        rows.append(
            f"{label:28} {tally.dumps // max(seeds, 1):>5} {planted:>7} {found:>5} "
            f"{planted - found - misjudged:>6} {misjudged:>9} {tally.false_alarms:>5} "
            f"{tally.extra_info:>5} {base:>10} {tally.ignored:>7} {tally.unjudged:>8}  {kinds}"
        )
        notes += [f"{label}: missed {m}" for m in tally.misses]
        notes += [f"{label}: finding on an unplanted key, {m}" for m in tally.unplanted]
        for counter in ("plants", "found", "misjudged", "baseline"):
            getattr(totals, counter).update(getattr(tally, counter))
        totals.false_alarms += tally.false_alarms
        totals.extra_info += tally.extra_info
    planted = sum(totals.plants.values())
    found = sum(totals.found.values())
    misjudged_total = sum(totals.misjudged.values())
    rows.append(
        f"{'TOTAL':28} {'':>5} {planted:>7} {found:>5} "
        f"{planted - found - misjudged_total:>6} {misjudged_total:>9} "
        f"{totals.false_alarms:>5} {totals.extra_info:>5}"
    )
    if planted:
        rows.append(f"recall {found / planted:.3f} (found/planted) over {seeds} seeds")
    rows.append(
        "columns: false = findings at MEDIUM+ on keys nothing was planted in (beyond the "
        "baseline); xINFO = INFO on unplanted keys; base = CRITICAL/HIGH/MEDIUM/INFO on the "
        "unplanted dumps (summed over seeds); ignored/unjudged = live keys (summed over seeds)"
    )
    rows += [f"note: {n}" for n in notes]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("names", nargs="*", help="only targets whose label contains NAME")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    rows = run(args.names, args.seeds)
    text = "\n".join(rows)
    print(text)
    if not args.names:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d")
        (RESULTS / f"drift_planted-{stamp}.txt").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
