"""The eval harness: run a suite's cases, score them against gold, compare with the baseline."""

from __future__ import annotations

import json
import shutil
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ddd_llm import __version__
from ddd_llm.atomic import atomic_write
from ddd_llm.config import EmbedModel, ExtractOptions
from ddd_llm.errors import ConfigError, InputError
from ddd_llm.evals.facts_score import (
    CitationScore,
    GoldFact,
    KindScore,
    Rate,
    ValueScore,
    load_gold,
    score_citations,
    score_facts,
    score_values,
    score_verification,
)
from ddd_llm.evals.real_score import (
    PlannedExcerpt,
    Recall,
    kind_scores,
    load_plan,
    match_facts,
    reachable_recall,
    value_scores,
    verified_scores,
    where_recall,
)
from ddd_llm.llm import capabilities
from ddd_llm.llm.cache import default_cache_dir
from ddd_llm.llm.prompting import prompt_version
from ddd_llm.llm.replay import MISS, is_replay_miss
from ddd_llm.models import FACT_KINDS, FactKind, FactsDocument, LlmFailure, Strict
from ddd_llm.pipeline import dry_run, extract

METRICS = ("precision", "recall", "f1", "values", "citations", "verified")
"""Per kind: facts matched by id (P/R/F1), exact values of matched facts, citations that hold,
verified facts that gold confirms."""
QA_METRICS = (
    "citation_precision",
    "citation_recall",
    "refusal_accuracy",
    "answer_rate",
    "gap_accuracy",
)
"""qa_score's totals that a replay reproduces (latency is reported, never compared)."""
BASELINE_FORMAT = 1
REPEAT_TEMPERATURE = 0.7
"""Used by --repeat K>1 when no --temperature is given: at 0 every repeat would be the same."""

Scores = dict[str, float | None]
Notify = Callable[[str], None]


# ---------------------------------------------------------------- the suite file


class KindThreshold(Strict):
    precision: float = Field(default=0.0, ge=0, le=1)
    recall: float = Field(default=0.0, ge=0, le=1)


class Thresholds(Strict):
    tolerance: float = Field(default=0.02, ge=0, le=1)
    """A case's or kind's score may fall this much below the baseline before it is a regression."""
    kinds: dict[FactKind, KindThreshold] = Field(default_factory=dict)
    """Minimum precision and recall of each kind, in every case."""
    qa: dict[str, float] = Field(default_factory=dict)
    """Minimum QA scores (`citation_precision`, `refusal_accuracy`, …) in every case."""


class SuiteExtract(Strict):
    """Extraction settings pinned for every case, so a replay plans the recorded requests."""

    kinds: list[FactKind] | None = None
    max_chunks: int | None = Field(default=None, ge=0)
    top_k: int = Field(default=4, ge=1)
    budget: int = Field(default=1500, ge=1)


class CaseSpec(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    repo: str
    gold: str
    cassettes: str | None = None
    """Recorded extraction answers, for `--llm replay` (and written by `--record`)."""
    questions: str | None = None
    qa_cassettes: str | None = None
    thresholds: dict[FactKind, KindThreshold] = Field(default_factory=dict)
    """This case's own minimums per kind, in place of the suite's for those kinds (real
    repositories differ too much for one floor)."""


Scoring = Literal["id", "key"]


class SuiteSpec(Strict):
    name: str
    description: str = ""
    baseline: str = "baseline.json"
    scoring: Scoring = "id"
    """`id`: facts match gold by id (the fixtures); `key`: by kind and key, gold's null service
    matching any service, with recall per `where` and reachable recall (evals/real/)."""
    plan: bool = True
    """`key` scoring with a model that asks nothing (`--llm none`): also dry-run each case to
    measure reachable recall (embeds the repository: slower)."""
    extract: SuiteExtract = Field(default_factory=SuiteExtract)
    qa_embed_model: EmbedModel | None = None
    """The embedding model of every QA run (`ask` retrieval), whatever the run's own: the ask
    cassettes are keyed by the sources retrieved, which depend on it. None: the run's."""
    thresholds: Thresholds = Field(default_factory=Thresholds)
    cases: list[CaseSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> SuiteSpec:
        names = [c.name for c in self.cases]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"case names must be unique: {', '.join(twice)}")
        return self


@dataclass(frozen=True)
class Case:
    name: str
    repo: Path
    gold: Path
    cassettes: Path | None = None
    questions: Path | None = None
    qa_cassettes: Path | None = None
    thresholds: dict[FactKind, KindThreshold] = field(default_factory=dict)


@dataclass(frozen=True)
class Suite:
    spec: SuiteSpec
    path: Path
    cases: list[Case]
    baseline_path: Path

    @property
    def name(self) -> str:
        return self.spec.name


def load_suite(path: Path) -> Suite:
    """The suite file, its paths resolved against its own folder; every repo and gold checked."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"suite file {path} does not exist",
            path=str(path),
            hint="pass the suite file (default evals/suite.yaml) or run from the project root",
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read suite file {path}: {exc}", path=str(path)) from None
    try:
        spec = SuiteSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(
            f"suite file {path}: {where}: {first['msg']}",
            path=str(path),
            hint="see evals/README.md for the suite format",
        ) from None
    base = path.parent

    def at(rel: str | None) -> Path | None:
        return None if rel is None else (base / rel).resolve()

    cases = [
        Case(
            c.name,
            base.joinpath(c.repo).resolve(),
            base.joinpath(c.gold).resolve(),
            at(c.cassettes),
            at(c.questions),
            at(c.qa_cassettes),
            dict(c.thresholds),
        )
        for c in spec.cases
    ]
    for case in cases:
        if not case.repo.is_dir():
            raise InputError(
                f"case {case.name}: repository {case.repo} is not a folder",
                path=str(path),
                hint="fix `repo:` (relative to the suite file)",
            )
        if not case.gold.is_file():
            raise InputError(
                f"case {case.name}: gold file {case.gold} does not exist",
                path=str(path),
                hint="fix `gold:` (relative to the suite file)",
            )
    return Suite(spec, path, cases, (base / spec.baseline).resolve())


# ---------------------------------------------------------------- scores


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return _round(statistics.fmean(known)) if known else None


@dataclass
class KindResult:
    """One kind in one run (or several runs added up): the counts behind every metric."""

    kind: str
    facts: KindScore
    values: ValueScore
    citations: CitationScore
    verified: Rate

    def scores(self) -> Scores:
        return {
            "precision": _round(self.facts.precision),
            "recall": _round(self.facts.recall),
            "f1": _round(self.facts.f1),
            "values": _round(self.values.rate),
            "citations": _round(self.citations.rate),
            "verified": _round(self.verified.rate),
        }


def combine(kind: str, results: Sequence[KindResult]) -> KindResult:
    """Counts added up over cases (a micro-average: a big case weighs more)."""
    facts = KindScore(kind)
    values, citations, verified = ValueScore(), CitationScore(), Rate()
    for r in results:
        facts.predicted += r.facts.predicted
        facts.correct += r.facts.correct
        facts.expected += r.facts.expected
        facts.found += r.facts.found
        values.total += r.values.total
        values.good += r.values.good
        citations.total += r.citations.total
        citations.good += r.citations.good
        verified = verified.add(r.verified)
    return KindResult(kind, facts, values, citations, verified)


@dataclass
class Cost:
    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    failures: int = 0
    wall_s: float = 0.0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.calls + other.calls,
            self.cache_hits + other.cache_hits,
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.failures + other.failures,
            round(self.wall_s + other.wall_s, 3),
        )


@dataclass
class CaseRun:
    """One extraction of one case, scored."""

    document: FactsDocument
    kinds: dict[str, KindResult]
    cost: Cost
    out_dir: Path
    misses: list[LlmFailure] = field(default_factory=list)
    """Requests the replay provider had no cassette for: the eval is then not trustworthy."""
    qa: Scores | None = None
    qa_info: dict[str, float] = field(default_factory=dict)
    """QA questions, model failures and median latency (reported, not compared)."""
    qa_misses: list[str] = field(default_factory=list)
    where: dict[str, Recall] = field(default_factory=dict)
    """`key` scoring: recall per where the gold evidence lives."""
    reachable: dict[str, Recall] | None = None
    """`key` scoring: recall per kind counting what a model would be shown (None: no plan)."""


def score_run(
    document: FactsDocument,
    gold: Sequence[GoldFact],
    root: Path,
    kinds: Sequence[str],
    wall_s: float,
    out_dir: Path,
    scoring: Scoring = "id",
    plan: Sequence[PlannedExcerpt] | None = None,
) -> CaseRun:
    facts = list(document.facts)
    where: dict[str, Recall] = {}
    reachable: dict[str, Recall] | None = None
    if scoring == "key":
        matching = match_facts(facts, gold)
        fact_scores = kind_scores(matching, gold, facts, kinds)
        values = value_scores(matching, kinds)
        where = where_recall(matching, [g for g in gold if g.fact.fact_kind in kinds])
        reachable = reachable_recall(matching, gold, plan, kinds)
        verified = verified_scores(matching, kinds)
    else:
        fact_scores = score_facts(facts, gold, kinds)
        values = score_values(facts, gold, kinds)
        verified = score_verification(facts, gold, kinds)
    citations = score_citations(facts, root, kinds)
    usage = document.run.usage
    failures = document.run.failures
    return CaseRun(
        document,
        {k: KindResult(k, fact_scores[k], values[k], citations[k], verified[k]) for k in kinds},
        Cost(
            usage.llm_calls,
            usage.cache_hits,
            usage.prompt_tokens,
            usage.completion_tokens,
            len(failures),
            round(wall_s, 3),
        ),
        out_dir,
        [f for f in failures if is_replay_miss(f.error)],
        where=where,
        reachable=reachable,
    )


def plan_excerpts(repo: Path, options: ExtractOptions) -> list[PlannedExcerpt] | None:
    """What a dry run with `options` would show a model, per kind: OUT/plan.json when the
    pipeline writes one (docs/plan-json.md), else the plan the library returns."""
    try:
        planned, _model = dry_run(repo, options)
    except Exception:  # noqa: BLE001 - reachable recall is then n/a, never a failed eval
        return None
    if options.out_dir is not None:
        from_file = load_plan(options.out_dir)
        if from_file:
            return from_file
    from ddd_llm.chunk.tokens import count_tokens

    return [
        PlannedExcerpt(
            p.kind,
            p.chunk.path,
            p.chunk.start_line,
            p.chunk.end_line,
            count_tokens("\n".join(m["content"] for m in p.request.messages)),
        )
        for p in planned.calls
    ]


@dataclass
class CaseResult:
    case: Case
    gold: list[GoldFact]
    runs: list[CaseRun]
    qa_note: str | None = None
    """Why QA was not scored for a case that names questions."""

    @property
    def name(self) -> str:
        return self.case.name

    def scores(self, kind: str) -> Scores:
        """Each metric's mean over the repeats."""
        return {m: _mean(r.kinds[kind].scores()[m] for r in self.runs) for m in METRICS}

    def spread(self, kind: str) -> dict[str, tuple[float, float]]:
        """(lowest, highest) of each metric over the repeats."""
        out: dict[str, tuple[float, float]] = {}
        for m in METRICS:
            seen = [v for r in self.runs if (v := r.kinds[kind].scores()[m]) is not None]
            if seen:
                out[m] = (min(seen), max(seen))
        return out

    def where_scores(self) -> Scores:
        """`key` scoring: recall per where the evidence lives, the mean over the repeats."""
        names = sorted({w for r in self.runs for w in r.where})
        return {w: _mean(r.where[w].rate for r in self.runs if w in r.where) for w in names}

    def reachable_scores(self) -> Scores | None:
        """`key` scoring: reachable recall per kind (None when no run had a plan)."""
        runs = [r.reachable for r in self.runs if r.reachable is not None]
        if not runs:
            return None
        return {k: _mean(r[k].rate for r in runs if k in r) for k in runs[0]}

    def qa_scores(self) -> Scores | None:
        runs = [r.qa for r in self.runs if r.qa is not None]
        if not runs:
            return None
        return {m: _mean(q.get(m) for q in runs) for m in QA_METRICS}

    @property
    def cost(self) -> Cost:
        total = Cost()
        for r in self.runs:
            total = total + r.cost
        return total

    @property
    def misses(self) -> list[LlmFailure]:
        return [m for r in self.runs for m in r.misses]

    @property
    def qa_info(self) -> dict[str, float]:
        return self.runs[0].qa_info if self.runs else {}


@dataclass
class EvalReport:
    suite: Suite
    provider: str
    model: str
    prompt_versions: dict[str, str]
    kinds: tuple[str, ...]
    repeat: int
    cases: list[CaseResult]
    wall_s: float = 0.0
    temperature: float | None = None

    def kind_scores(self, kind: str) -> Scores:
        """All cases added up per repeat, then the mean over repeats."""
        per_repeat = [
            combine(kind, [c.runs[i].kinds[kind] for c in self.cases]).scores()
            for i in range(self.repeat)
        ]
        return {m: _mean(s[m] for s in per_repeat) for m in METRICS}

    def scores(self) -> dict[str, Any]:
        """What a baseline holds: per kind over the suite, and per case and kind."""
        cases: dict[str, Any] = {}
        for c in self.cases:
            entry: dict[str, Any] = {"kinds": {k: c.scores(k) for k in self.kinds}}
            if self.suite.spec.scoring == "key":
                entry["where_recall"] = c.where_scores()
                entry["reachable_recall"] = c.reachable_scores()
            qa = c.qa_scores()
            if qa is not None:
                entry["qa"] = qa
            cases[c.name] = entry
        return {"kinds": {k: self.kind_scores(k) for k in self.kinds}, "cases": cases}

    @property
    def cost(self) -> Cost:
        total = Cost()
        for c in self.cases:
            total = total + c.cost
        return total


# ---------------------------------------------------------------- running


def recorded_models(folder: Path | None) -> set[str]:
    """The models that answered in a cassette folder (a replay stands in for them)."""
    if folder is None or not folder.is_dir():
        return set()
    models: set[str] = set()
    for path in folder.glob("*.json"):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and record.get("model"):
            models.add(str(record["model"]))
    return models


def _cases_named(suite: Suite, names: Sequence[str] | None) -> list[Case]:
    if not names:
        return suite.cases
    known = {c.name: c for c in suite.cases}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(
            f"no case named {', '.join(unknown)} in {suite.path}",
            hint=f"choose from: {', '.join(known)}",
        )
    return [known[n] for n in names]


def _replace_cassettes(recorded: Path, target: Path) -> None:
    """The case's cassettes become exactly this run's: stale recordings would hide a miss."""
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.json"):
        old.unlink()
    for new in sorted(recorded.glob("*.json")):
        shutil.copy2(new, target / new.name)


def run_suite(
    suite: Suite,
    options: ExtractOptions,
    *,
    work_dir: Path | None = None,
    cases: Sequence[str] | None = None,
    kinds: Sequence[FactKind] | None = None,
    max_chunks: int | None = None,
    repeat: int = 1,
    temperature: float | None = None,
    record: bool = False,
    qa: bool = True,
    notify: Notify | None = None,
) -> EvalReport:
    """Extract every case `repeat` times with `options` (the suite's pinned settings first,
    then `kinds`/`max_chunks` when given) and score each run against the case's gold."""
    say = notify or (lambda _msg: None)
    if repeat < 1:
        raise ConfigError("--repeat must be at least 1")
    replay = capabilities(options.llm).replays
    if record and not capabilities(options.llm).live:
        raise ConfigError(
            f"--record needs a live model, not --llm {options.llm}",
            hint="pass --llm local or --llm openai",
        )
    pinned = suite.spec.extract
    chosen_kinds = tuple(kinds or pinned.kinds or FACT_KINDS)
    if repeat > 1 and temperature is None and not replay:
        temperature = REPEAT_TEMPERATURE
    work = work_dir or default_cache_dir() / "eval" / suite.name
    base_cache = options.cache_dir or default_cache_dir()
    results: list[CaseResult] = []
    started = time.perf_counter()
    for case in _cases_named(suite, cases):
        if (replay or record) and case.cassettes is None:
            raise ConfigError(
                f"case {case.name} names no cassettes folder for --llm replay or --record",
                hint="add `cassettes:` to the case and record them with `ddd-llm eval --record`",
            )
        gold = load_gold(case.gold)
        record_dir = work / case.name / "record" if record else None
        if record_dir is not None:
            shutil.rmtree(record_dir, ignore_errors=True)
        runs: list[CaseRun] = []
        for i in range(repeat):
            settings = replace(
                options.provider_settings,
                cassettes=str(case.cassettes) if replay else options.provider_settings.cassettes,
            )
            cache_dir = options.cache_dir
            if temperature is not None:
                settings = replace(settings, temperature=temperature, seed=settings.seed + i)
                # The response cache does not key on temperature or seed: each gets its own.
                cache_dir = base_cache / "eval-repeat" / f"t{temperature:g}-s{settings.seed}"
            run_options = replace(
                options,
                out_dir=work / case.name / (f"run-{i + 1}" if repeat > 1 else "run"),
                index_dir=work / case.name / "index",
                provider_settings=settings,
                kinds=chosen_kinds,
                top_k=pinned.top_k,
                budget=pinned.budget,
                max_chunks_per_kind=max_chunks if max_chunks is not None else pinned.max_chunks,
                cache_dir=cache_dir,
                record_dir=record_dir if i == 0 else None,
                prose=False,
            )
            say(f"{case.name}: extracting" + (f" (repeat {i + 1}/{repeat})" if repeat > 1 else ""))
            t0 = time.perf_counter()
            result = extract(case.repo, run_options)
            wall = time.perf_counter() - t0
            plan = None
            if (
                suite.spec.scoring == "key"
                and suite.spec.plan
                and not capabilities(options.llm).answers_questions
            ):
                say(f"{case.name}: planning what a model would be asked")
                plan = plan_excerpts(
                    case.repo, replace(run_options, out_dir=work / case.name / "plan")
                )
            run = score_run(
                result.document,
                gold,
                case.repo,
                chosen_kinds,
                wall,
                result.out_dir,
                suite.spec.scoring,
                plan,
            )
            runs.append(run)
        note = None
        if case.questions is not None and qa:
            say(f"{case.name}: asking {case.questions.name}")
            note = score_questions(
                case, runs, suite_qa_options(suite, options), work / case.name / "qa"
            )
        if record_dir is not None and case.cassettes is not None:
            _replace_cassettes(record_dir, case.cassettes)
            say(f"{case.name}: cassettes written to {case.cassettes}")
        results.append(CaseResult(case, gold, runs, note))
    documents = [r.document for c in results for r in c.runs]
    if replay:
        model = ",".join(sorted(set().union(*(recorded_models(c.case.cassettes) for c in results))))
    else:
        llms = {d.run.llm.model for d in documents if d.run.llm is not None}
        model = ",".join(sorted(llms))
    versions: dict[str, str] = {}
    for d in documents:
        versions.update(d.run.prompt_versions)
    if any(r.qa is not None for c in results for r in c.runs):
        versions["ask"] = prompt_version("ask")
    return EvalReport(
        suite,
        options.llm,
        model,
        dict(sorted(versions.items())),
        chosen_kinds,
        repeat,
        results,
        round(time.perf_counter() - started, 3),
        temperature,
    )


def suite_qa_options(suite: Suite, options: ExtractOptions) -> ExtractOptions:
    """`options` with the suite's pinned QA settings (its `qa_embed_model`)."""
    if suite.spec.qa_embed_model is None:
        return options
    return replace(options, embed_model=suite.spec.qa_embed_model.value)


def score_questions(
    case: Case, runs: list[CaseRun], options: ExtractOptions, out_dir: Path
) -> str | None:
    """Ask the case's questions (ddd_llm.evals.qa_score) once per run and keep the scores in it;
    returns why QA was not scored, when it could not be."""
    from ddd_llm.evals.qa_score import load_questions, run_questions

    assert case.questions is not None
    questions = load_questions(case.questions)
    settings = options.provider_settings
    if capabilities(options.llm).replays:
        if case.qa_cassettes is None:
            return "QA not scored: the case names no qa_cassettes for --llm replay"
        if not case.qa_cassettes.is_dir():
            return f"QA not scored: no cassettes recorded yet in {case.qa_cassettes}"
        settings = replace(settings, cassettes=str(case.qa_cassettes))
    for run in runs:
        # Knowledge from static evidence in a folder of its own (as the QA cassettes were
        # recorded), so that QA scores do not move with the extraction model's answers.
        qa_options = replace(
            options,
            provider_settings=settings,
            out_dir=out_dir,
            index_dir=run.out_dir.parent / "index",
        )
        report = run_questions(case.repo, questions, qa_options, name=case.name)
        t = report.totals
        run.qa = {m: _round(getattr(t, m)) for m in QA_METRICS}
        run.qa_info = {
            "questions": t.questions,
            "model_failures": t.model_failures,
            "median_latency_s": t.median_latency_s,
        }
        run.qa_misses = [f"{r.id}: {w}" for r in report.results for w in r.warnings if MISS in w]
    return None


# ---------------------------------------------------------------- baseline


class BaselineLlm(BaseModel):
    provider: str
    model: str


class Baseline(BaseModel):
    """The blessed scores, with what produced them (a different model or prompt set is not
    comparable)."""

    model_config = ConfigDict(extra="ignore")
    format: int = BASELINE_FORMAT
    suite: str
    blessed_at: str
    tool_version: str
    llm: BaselineLlm
    prompt_versions: dict[str, str]
    kinds: list[str]
    repeat: int = 1
    scores: dict[str, Any]


def load_baseline(path: Path) -> Baseline | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return Baseline.model_validate_json(text)
    except ValidationError as exc:
        raise InputError(
            f"baseline {path} is not a ddd-llm baseline: {exc.errors()[0]['msg']}",
            path=str(path),
            hint="re-create it with `ddd-llm eval --bless`",
        ) from None


def make_baseline(report: EvalReport, now: datetime | None = None) -> Baseline:
    return Baseline(
        suite=report.suite.name,
        blessed_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        tool_version=__version__,
        llm=BaselineLlm(provider=report.provider, model=report.model),
        prompt_versions=report.prompt_versions,
        kinds=list(report.kinds),
        repeat=report.repeat,
        scores=report.scores(),
    )


def write_baseline(baseline: Baseline, path: Path) -> None:
    """Atomic, stable key order: a re-bless with unchanged scores changes only `blessed_at`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(baseline.model_dump(), indent=2) + "\n")


@dataclass(frozen=True)
class Row:
    """One metric of one kind (or QA), in one case or (case None) the whole suite."""

    case: str | None
    kind: str
    metric: str
    base: float | None
    now: float | None

    @property
    def delta(self) -> float | None:
        if self.base is None or self.now is None:
            return None
        return round(self.now - self.base, 4)

    def regressed(self, tolerance: float) -> bool:
        delta = self.delta
        return delta is not None and delta < -tolerance - 1e-9


@dataclass
class Comparison:
    baseline: Baseline
    tolerance: float
    reasons: list[str] = field(default_factory=list)
    """Why the baseline is not comparable (empty when it is)."""
    rows: list[Row] = field(default_factory=list)

    @property
    def comparable(self) -> bool:
        return not self.reasons

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.regressed(self.tolerance)]

    def row(self, case: str | None, kind: str, metric: str) -> Row | None:
        for r in self.rows:
            if (r.case, r.kind, r.metric) == (case, kind, metric):
                return r
        return None


def not_comparable(report: EvalReport, baseline: Baseline) -> list[str]:
    """What differs in what produced the scores: the suite, the model, a prompt's version."""
    reasons: list[str] = []
    if baseline.suite != report.suite.name:
        reasons.append(f"it is for suite {baseline.suite!r}, not {report.suite.name!r}")
    if baseline.llm.model != report.model:
        reasons.append(
            f"it was made with model {baseline.llm.model or '(none)'!r} "
            f"({baseline.llm.provider}), this run used {report.model or '(none)'!r} "
            f"({report.provider})"
        )
    # A prompt only one side used (a --kinds or --no-qa run) leaves its rows uncompared.
    before, now = baseline.prompt_versions, report.prompt_versions
    for name in sorted(set(before) & set(now)):
        if before[name] != now[name]:
            reasons.append(
                f"prompt {name!r} changed (baseline version {before[name]}, now {now[name]})"
            )
    return reasons


def compare(report: EvalReport, baseline: Baseline) -> Comparison:
    """Baseline beside now, per kind over the suite and per case and kind (and QA)."""
    comparison = Comparison(baseline, report.suite.spec.thresholds.tolerance)
    comparison.reasons = not_comparable(report, baseline)
    if comparison.reasons:
        return comparison
    before, now = baseline.scores, report.scores()
    if set(before.get("cases", {})) == set(now["cases"]):
        # Totals over a different set of cases (a --case run) would not be like for like.
        for kind in report.kinds:
            b = before.get("kinds", {}).get(kind, {})
            n = now["kinds"][kind]
            comparison.rows.extend(Row(None, kind, m, b.get(m), n[m]) for m in METRICS)
    for case in report.cases:
        b_case = before.get("cases", {}).get(case.name, {})
        n_case = now["cases"][case.name]
        for kind in report.kinds:
            b = b_case.get("kinds", {}).get(kind, {})
            n = n_case["kinds"][kind]
            comparison.rows.extend(Row(case.name, kind, m, b.get(m), n[m]) for m in METRICS)
        b_qa, n_qa = b_case.get("qa", {}), n_case.get("qa") or {}
        for m in [m for m in QA_METRICS if m in b_qa or m in n_qa]:
            comparison.rows.append(Row(case.name, "qa", m, b_qa.get(m), n_qa.get(m)))
    return comparison


# ---------------------------------------------------------------- verdict


@dataclass(frozen=True)
class Problem:
    """A reason the eval fails, attached to a case and kind where it has one (JUnit uses it)."""

    message: str
    case: str | None = None
    kind: str | None = None
    check: str = "regression"
    """`replay-miss`, `threshold`, `baseline` (missing or not comparable) or `regression`."""


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def problems(
    report: EvalReport,
    comparison: Comparison | None = None,
    *,
    compare_requested: bool = False,
    baseline_path: Path | None = None,
) -> list[Problem]:
    """Everything that makes `ddd-llm eval` exit 1, each in words that say what to do."""
    out: list[Problem] = []
    for case in report.cases:
        by_prompt: dict[tuple[str, str], int] = {}
        for miss in case.misses:
            version = report.prompt_versions.get(miss.prompt, "?")
            by_prompt[(miss.prompt, version)] = by_prompt.get((miss.prompt, version), 0) + 1
        for (prompt, version), count in sorted(by_prompt.items()):
            out.append(
                Problem(
                    f"{case.name}: {count} request(s) of prompt {prompt!r} (version {version}) "
                    "have no cassette — the prompt, its inputs or the schema changed since "
                    "recording; re-record with `ddd-llm eval --llm local --record`, then "
                    "`ddd-llm eval --llm replay --bless`",
                    case.name,
                    prompt,
                    "replay-miss",
                )
            )
    for case in report.cases:
        qa_misses = [m for r in case.runs for m in r.qa_misses]
        if qa_misses:
            out.append(
                Problem(
                    f"{case.name} qa: {len(qa_misses)} answer(s) of prompt 'ask' (version "
                    f"{report.prompt_versions.get('ask', '?')}) have no cassette in "
                    f"{case.case.qa_cassettes} — the ask prompt or what it retrieves changed; "
                    f"re-record the ask cassettes, then re-bless. First: {qa_misses[0][:300]}",
                    case.name,
                    "qa",
                    "replay-miss",
                )
            )
    limits = report.suite.spec.thresholds
    for case in report.cases:
        for kind, limit in {**limits.kinds, **case.case.thresholds}.items():
            if kind not in report.kinds:
                continue
            s = case.scores(kind)
            for metric, minimum in (("precision", limit.precision), ("recall", limit.recall)):
                value = s[metric]
                if value is not None and value < minimum - 1e-9:
                    out.append(
                        Problem(
                            f"{case.name} {kind}: {metric} {_fmt(value)} is below the "
                            f"suite's minimum {minimum:.3f}",
                            case.name,
                            kind,
                            "threshold",
                        )
                    )
        qa = case.qa_scores() or {}
        for metric, minimum in limits.qa.items():
            value = qa.get(metric)
            if value is not None and value < minimum - 1e-9:
                out.append(
                    Problem(
                        f"{case.name} qa: {metric} {_fmt(value)} is below the suite's minimum "
                        f"{minimum:.3f}",
                        case.name,
                        "qa",
                        "threshold",
                    )
                )
    if compare_requested and comparison is None:
        out.append(
            Problem(
                f"no baseline at {baseline_path or report.suite.baseline_path} to compare with "
                "— create it with "
                "`ddd-llm eval --llm replay --bless`",
                check="baseline",
            )
        )
    if comparison is not None and not comparison.comparable:
        out.append(
            Problem(
                "the baseline is not comparable: "
                + "; ".join(comparison.reasons)
                + " — re-record the cassettes (`ddd-llm eval --llm local --record`) and "
                "re-bless (`ddd-llm eval --llm replay --bless`), or compare with the same "
                "model and prompts",
                check="baseline",
            )
        )
    if comparison is not None:
        for r in comparison.regressions:
            where = f"{r.case} {r.kind}" if r.case else f"all cases {r.kind}"
            out.append(
                Problem(
                    f"{where}: {r.metric} fell {_fmt(r.base)} → {_fmt(r.now)} ({r.delta:+.3f}, "
                    f"tolerance {comparison.tolerance:.3f})",
                    r.case,
                    r.kind,
                )
            )
    return out
