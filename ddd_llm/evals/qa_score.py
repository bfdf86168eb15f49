"""QA evaluation: run question sets through `ask` and score its citations, refusals and latency.

Stable API (the eval harness, `ddd-llm eval`, builds on it; add, do not rename):

    load_questions(path) -> list[Question]
    run_questions(repo, questions, options, *, settings=None, knowledge=None,
                  provider=None, clock=time.perf_counter, notify=None) -> QaReport
    merge_reports(reports, name="all") -> QaReport      # totals over several fixtures
    load_answers(path) / write_cassettes(session, questions, answers, folder) -> problems
    QaReport.results: list[QaResult]; QaReport.totals: QaTotals; QaReport.model_dump(mode="json")

`options` is the same ExtractOptions `extract` takes (`llm`, `provider_settings.cassettes`,
`out_dir`, `no_cache`, …). Knowledge comes from OUT/facts.json, built from static evidence
when missing. The committed cassettes (evals/cassettes/ask/<fixture>/) were made against
such a static facts.json: point `out_dir` at a fresh folder (or one written by
`extract --llm none`), or the replay provider will miss and the misses show up as
`model_failures` (each answered from facts alone).

Question files: evals/questions/<fixture>.yaml for fixtures/<fixture>, a YAML list of

    id: unique in the file
    question: the operator's question
    answerable: whether the repository answers it
    expect: [{path: README.md, lines: [12, 18]} | {fact: config_parameter:api:PORT}]
            where the answer is (for an unanswerable question: related lines a refusal
            may cite); default []
    also: [same form]         optional: further lines that support a fuller answer
                              (count for precision, not required for recall)
    terms: [key terms]        optional, see rule (3) below
    gap: gap id               optional: the gap a refusal should name

Scoring (what the numbers mean):

- A cited location (path, start-end) *supports* the answer when (1) it overlaps an expected
  or `also` location (same path, intersecting lines), or (2) it overlaps a citation of an
  expected or `also` fact (looked up in the run's facts.json), or (3) the question lists
  `terms` and the cited lines' text holds every one of them (case-insensitive).
- citation_precision: supported cited locations / cited locations, over all questions
  (1.0 when nothing was cited).
- citation_recall: expected items (locations and facts) of answerable questions that some
  cited location overlaps / those expected items.
- right_file (per question): some cited location lies in a file that holds an expected or
  `also` item (the looser "answered citing the right file"; the per-question verdict
  `correct` stays strict: refused exactly when unanswerable, every citation supported).
- refusal_accuracy: unanswerable questions answered `not_found` / unanswerable questions.
- answer_rate: answerable questions not refused / answerable questions.
- gap_accuracy: refusals that name the question's `gap` / unanswerable questions with a gap.
- latency: wall-clock seconds of one AskSession.ask (retrieval, model calls, checks;
  knowledge loading excluded); median_latency_s over the questions.

Authored answers (evals/questions/<fixture>.answers.yaml): no capable model can be called
where the tests run, so the replayed answers were written by hand, as a careful model
would answer from the sources `ask` retrieves. write_cassettes stores each one under the
content key of the request a live `ask` makes, so replay answers exactly that request;
it reports an answer that cites outside its sources unless it is `deliberately_bad`
(whose `reask` entry then answers the re-ask). Entry format, per question id:

    answer: "..."                 confidence: high|medium|low (default high)
    not_found: false              citations: [README.md:89-93, api/app/settings.py:18]
    steps: [[text, path:line]]    deliberately_bad: true    reask: {same fields}
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from ddd_llm.apps.ask import (
    AskSession,
    AskSettings,
    Knowledge,
    load_knowledge,
    needs_reask,
    open_session,
    reask_request,
)
from ddd_llm.config import ExtractOptions
from ddd_llm.errors import InputError
from ddd_llm.llm import Completion, Provider
from ddd_llm.llm.replay import write_cassette
from ddd_llm.llm.schemas import AskAnswer
from ddd_llm.models import Citation, LlmInfo, Strict
from ddd_llm.scan.repotext import RepoText


class Expected(Strict):
    """One place the answer should come from: lines of a file, or a fact by id."""

    path: str | None = None
    lines: tuple[int, int] | None = None
    fact: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Expected:
        if (self.fact is None) == (self.path is None):
            raise ValueError("give either `fact`, or `path` with `lines`")
        if self.path is not None and (self.lines is None or self.lines[0] > self.lines[1]):
            raise ValueError(f"{self.path}: `lines` must be [start, end] with start <= end")
        return self

    def label(self) -> str:
        if self.fact is not None:
            return self.fact
        assert self.lines is not None
        return f"{self.path}:{self.lines[0]}-{self.lines[1]}"


class Question(Strict):
    id: str
    question: str
    answerable: bool
    expect: list[Expected] = Field(default_factory=list)
    also: list[Expected] = Field(default_factory=list)
    terms: list[str] = Field(default_factory=list)
    gap: str | None = None


def load_questions(path: Path) -> list[Question]:
    """A question file; InputError (exit 2) naming the entry when one is malformed."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read questions from {path}: {exc}", path=str(path)) from None
    if not isinstance(raw, list):
        raise InputError(
            f"{path} is not a list of questions",
            path=str(path),
            hint="see ddd_llm/evals/qa_score.py",
        )
    questions: list[Question] = []
    for n, entry in enumerate(raw, 1):
        try:
            questions.append(Question.model_validate(entry))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InputError(
                f"{path}: question {n}: {where}: {first['msg']}", path=str(path)
            ) from None
    ids = [q.id for q in questions]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InputError(f"{path}: repeated question ids {repeated}", path=str(path))
    return questions


class QaResult(Strict):
    id: str
    question: str
    answerable: bool
    refused: bool
    answer: str
    cited: list[str] = Field(default_factory=list)
    supported: list[bool] = Field(default_factory=list)
    expected: list[str] = Field(default_factory=list)
    covered: list[bool] = Field(default_factory=list)
    right_file: bool = False
    """Some citation lies in a file that holds an expected or `also` location (the issue's
    looser measure: answered citing the right file)."""
    gap_expected: str | None = None
    gap_named: str | None = None
    reasked: bool = False
    removed_citations: int = 0
    model_failed: bool = False
    mode: str = "static"
    latency_s: float = 0.0
    warnings: list[str] = Field(default_factory=list)

    @property
    def correct(self) -> bool:
        """Refused exactly when unanswerable, and (when it answered) every citation supported."""
        return self.refused != self.answerable and all(self.supported)


class QaTotals(Strict):
    questions: int = 0
    answerable: int = 0
    unanswerable: int = 0
    cited: int = 0
    supported: int = 0
    citation_precision: float = 1.0
    expected: int = 0
    covered: int = 0
    citation_recall: float = 1.0
    refusal_accuracy: float = 1.0
    answer_rate: float = 1.0
    gap_questions: int = 0
    gap_accuracy: float = 1.0
    reasked: int = 0
    removed_citations: int = 0
    model_failures: int = 0
    median_latency_s: float = 0.0
    max_latency_s: float = 0.0


class QaReport(Strict):
    name: str
    llm: LlmInfo | None = None
    results: list[QaResult] = Field(default_factory=list)
    totals: QaTotals = Field(default_factory=QaTotals)


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 1.0


def totals(results: Sequence[QaResult]) -> QaTotals:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    with_gap = [r for r in unanswerable if r.gap_expected]
    cited = sum(len(r.cited) for r in results)
    supported = sum(sum(r.supported) for r in results)
    expected = sum(len(r.expected) for r in answerable)
    covered = sum(sum(r.covered) for r in answerable)
    latencies = [r.latency_s for r in results]
    return QaTotals(
        questions=len(results),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        cited=cited,
        supported=supported,
        citation_precision=_ratio(supported, cited),
        expected=expected,
        covered=covered,
        citation_recall=_ratio(covered, expected),
        refusal_accuracy=_ratio(sum(r.refused for r in unanswerable), len(unanswerable)),
        answer_rate=_ratio(sum(not r.refused for r in answerable), len(answerable)),
        gap_questions=len(with_gap),
        gap_accuracy=_ratio(
            sum(r.refused and r.gap_named == r.gap_expected for r in with_gap), len(with_gap)
        ),
        reasked=sum(r.reasked for r in results),
        removed_citations=sum(r.removed_citations for r in results),
        model_failures=sum(r.model_failed for r in results),
        median_latency_s=round(statistics.median(latencies), 3) if latencies else 0.0,
        max_latency_s=round(max(latencies), 3) if latencies else 0.0,
    )


def merge_reports(reports: Sequence[QaReport], name: str = "all") -> QaReport:
    results = [r for report in reports for r in report.results]
    llm = next((r.llm for r in reports if r.llm is not None), None)
    return QaReport(name=name, llm=llm, results=results, totals=totals(results))


def _overlaps(c: Citation, path: str, start: int, end: int) -> bool:
    return c.path == path and c.start_line <= end and start <= c.end_line


class _Judge:
    """Decides which cited locations support an answer, for one repository."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.files = RepoText(knowledge.root)
        self.facts = {f.id: f.citations for f in knowledge.document.facts}

    def places(self, item: Expected) -> list[tuple[str, int, int]]:
        if item.fact is not None:
            kind, service, key = (item.fact.split(":", 2) + ["", ""])[:3]
            if item.fact in self.facts or service != "-":
                cites = self.facts.get(item.fact, [])
            else:  # "-": any service, as gold's null service means everywhere in evals/
                cites = [
                    c
                    for fid, found in self.facts.items()
                    if fid.split(":", 2)[0] == kind and fid.split(":", 2)[2:] == [key]
                    for c in found
                ]
            return [(c.path, c.start_line, c.end_line) for c in cites]
        assert item.path is not None and item.lines is not None
        return [(item.path, item.lines[0], item.lines[1])]

    def text(self, c: Citation) -> str:
        return "\n".join((self.files.lines(c.path) or [])[c.start_line - 1 : c.end_line])

    def supports(self, c: Citation, q: Question) -> bool:
        for item in [*q.expect, *q.also]:
            if any(_overlaps(c, *place) for place in self.places(item)):
                return True
        if q.terms:
            text = self.text(c).lower()
            return all(t.lower() in text for t in q.terms)
        return False

    def right_file(self, cited: Sequence[Citation], q: Question) -> bool:
        files = {path for item in [*q.expect, *q.also] for path, _, _ in self.places(item)}
        return any(c.path in files for c in cited)

    def covered(self, item: Expected, cited: Sequence[Citation]) -> bool:
        return any(_overlaps(c, *place) for c in cited for place in self.places(item))


def run_questions(
    repo: Path,
    questions: Sequence[Question],
    options: ExtractOptions,
    *,
    settings: AskSettings | None = None,
    knowledge: Knowledge | None = None,
    provider: Provider | None = None,
    clock: Callable[[], float] = time.perf_counter,
    notify: Callable[[str], None] | None = None,
    name: str | None = None,
) -> QaReport:
    """Ask every question about `repo` and score the answers (see the module docstring)."""
    knowledge = knowledge or load_knowledge(repo, options, notify=notify)
    session: AskSession = open_session(
        repo,
        options,
        settings or AskSettings(),
        knowledge=knowledge,
        provider=provider,
        clock=clock,
    )
    judge = _Judge(knowledge)
    results: list[QaResult] = []
    for q in questions:
        if notify is not None:
            notify(f"{q.id}: {q.question}")
        answer = session.ask(q.question)
        cited = answer.cited()
        results.append(
            QaResult(
                id=q.id,
                question=q.question,
                answerable=q.answerable,
                refused=answer.not_found,
                answer=answer.answer,
                cited=[str(c) for c in cited],
                supported=[judge.supports(c, q) for c in cited],
                expected=[e.label() for e in q.expect],
                covered=[judge.covered(e, cited) for e in q.expect],
                right_file=judge.right_file(cited, q),
                gap_expected=q.gap,
                gap_named=answer.gap.id if answer.gap else None,
                reasked=answer.reasked,
                removed_citations=len(answer.removed_citations),
                model_failed=answer.model_failed,
                mode=answer.mode,
                latency_s=answer.latency_s,
                warnings=answer.warnings,
            )
        )
    llm = session.provider.info() if session.provider is not None else None
    return QaReport(name=name or Path(repo).name, llm=llm, results=results, totals=totals(results))


def report_lines(report: QaReport) -> list[str]:
    """A short plain-text summary: one line per question, then the totals."""
    out: list[str] = []
    for r in report.results:
        verdict = "ok " if r.correct else "BAD"
        kind = "refused" if r.refused else "answered"
        cites = ", ".join(
            f"{c}{'' if ok else ' (unsupported)'}"
            for c, ok in zip(r.cited, r.supported, strict=True)
        )
        out.append(f"{verdict} {r.id:24s} {kind:8s} {r.latency_s:6.2f}s  {cites}")
    t = report.totals
    out.append(
        f"{report.name}: {t.questions} questions · citation precision {t.citation_precision:.2f} "
        f"({t.supported}/{t.cited}) · recall {t.citation_recall:.2f} ({t.covered}/{t.expected}) · "
        f"refusal accuracy {t.refusal_accuracy:.2f} · answer rate {t.answer_rate:.2f} · "
        f"gaps named {t.gap_accuracy:.2f} · re-asked {t.reasked} · removed {t.removed_citations} · "
        f"model failures {t.model_failures} · median {t.median_latency_s:.2f}s"
    )
    return out


def as_json(report: QaReport) -> dict[str, Any]:
    return report.model_dump(mode="json")


AUTHOR = "authored"
"""Provider and model recorded in cassettes written from hand-authored answers."""


def load_answers(path: Path) -> dict[str, dict[str, Any]]:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise InputError(f"{path} is not a mapping of question id to answer", path=str(path))
    return {str(k): v for k, v in raw.items()}


def _citation(text: str) -> dict[str, Any]:
    path, _, lines = str(text).rpartition(":")
    start, _, end = lines.partition("-")
    return {"path": path, "start_line": int(start), "end_line": int(end or start)}


def answer_data(entry: dict[str, Any]) -> dict[str, Any]:
    """An authored entry as AskAnswer data (validated, so a typo fails here)."""
    data = {
        "not_found": bool(entry.get("not_found", False)),
        "confidence": entry.get("confidence", "high"),
        "answer": str(entry["answer"]).strip(),
        "citations": [_citation(c) for c in entry.get("citations", [])],
        "steps": [{"text": t, "citation": _citation(c)} for t, c in entry.get("steps", [])],
    }
    return AskAnswer.model_validate(data).model_dump(mode="json")


def write_cassettes(
    session: AskSession,
    questions: Sequence[Question],
    answers: dict[str, dict[str, Any]],
    folder: Path,
) -> list[str]:
    """Replay cassettes of the authored answers for the requests `session` makes.

    Returns the problems found (a missing answer, a citation outside the sources of an
    answer not marked deliberately_bad, a bad answer without its `reask`).
    """
    problems: list[str] = []
    for q in questions:
        entry = answers.get(q.id)
        if entry is None:
            problems.append(f"{q.id}: no authored answer")
            continue
        sources = session.retrieve(q.question)
        if not sources:
            continue  # nothing retrieved: `ask` refuses without asking a model
        request = session.request(q.question, sources)
        data = answer_data(entry)
        write_cassette(folder, request, Completion(data=data, model=AUTHOR), AUTHOR)
        bad = needs_reask(AskAnswer.model_validate(data), sources)
        if bad is None:
            if entry.get("deliberately_bad"):
                problems.append(f"{q.id}: marked deliberately_bad but cites only its sources")
            continue
        if not entry.get("deliberately_bad"):
            where = ", ".join(f"{c.path}:{c.start_line}-{c.end_line}" for c in bad)
            problems.append(f"{q.id}: cites {where or 'nothing'} outside the sources it is given")
        if "reask" not in entry:
            problems.append(f"{q.id}: needs a `reask` answer")
            continue
        again = reask_request(request, data, bad)
        second = Completion(data=answer_data(entry["reask"]), model=AUTHOR)
        write_cassette(folder, again, second, AUTHOR)
    return problems
