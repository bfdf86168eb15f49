"""Can `ask --llm none` tell an answerable question from an unanswerable one? (issue #15)

Per question of the real suite (and of the held-out sets, with --heldout): whether the
no-model answer refused it, and two signals a model-free answerer could decide on: the
vector index's best similarity to the question (all-MiniLM-L6-v2, the index `ask` searches)
and the best share of the question's weighted terms one passage holds (the lexical
coverage `ask --llm none` answers on). For each signal, how well it separates answerable
from unanswerable questions (ROC AUC: 0.5 is chance, 1.0 perfect), over all questions and
over those the no-model path cannot refuse for a word the repository never uses (the ones
it must judge); and how often the vector index's top hit lies in a file that answers.

    export DDD_LLM_ONNX_DIR=/work/shared/models/all-MiniLM-L6-v2/onnx
    python -m benchmarks.ask_signals [--heldout /tmp/fresh] [--out /tmp/ask-out]

--heldout DIR runs benchmarks/heldout/<name>.yaml on DIR/<name> for each checkout present
(see benchmarks/heldout/README.md); --out keeps each repository's facts.json and index.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from ddd_llm.apps.ask import QUESTION_WORDS, open_session
from ddd_llm.apps.ask.passages import best_matches, question_terms
from ddd_llm.config import ExtractOptions
from ddd_llm.evals.harness import load_suite
from ddd_llm.evals.qa_score import Question, load_questions

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "evals" / "real" / "suite.yaml"
HELDOUT = ROOT / "benchmarks" / "heldout"
NEVER_MENTIONS = "never mentions"


@dataclass(frozen=True)
class Row:
    set: str
    id: str
    answerable: bool
    refused: bool
    by_absent_word: bool
    similarity: float
    coverage: float
    top_hit_right_file: bool


def auc(positive: list[float], negative: list[float]) -> float:
    """P(a random answerable question scores above a random unanswerable one); ties half."""
    if not positive or not negative:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return wins / (len(positive) * len(negative))


def _files(q: Question) -> set[str]:
    return {e.path for e in [*q.expect, *q.also] if e.path}


def measure(
    name: str, repo: Path, questions: Path, out: Path, embed_model: str | None
) -> list[Row]:
    options = ExtractOptions(out_dir=out, llm="none", no_cache=True)
    if embed_model is not None:
        options = replace(options, embed_model=embed_model)
    session = open_session(repo, options)
    knowledge = session.knowledge
    index = knowledge.passage_index
    rows: list[Row] = []
    for q in load_questions(questions):
        result = session.ask(q.question)
        hits = knowledge.index.query(q.question, n_results=1) if knowledge.index else []
        wanted = question_terms(q.question, QUESTION_WORDS, index.known)
        matches = best_matches(index, wanted, q.question)
        rows.append(
            Row(
                name,
                q.id,
                q.answerable,
                result.not_found,
                result.not_found and NEVER_MENTIONS in result.answer,
                round(1.0 - hits[0].distance, 3) if hits else 0.0,
                round(max((m.coverage for m in matches), default=0.0), 3),
                bool(hits) and hits[0].path in _files(q),
            )
        )
    return rows


def report(title: str, rows: list[Row]) -> list[str]:
    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]
    judged = [r for r in rows if not r.by_absent_word]
    out = [
        f"{title}: {len(answerable)} answerable, {len(unanswerable)} unanswerable; "
        f"no model answers {sum(not r.refused for r in answerable)}, refuses "
        f"{sum(r.refused for r in unanswerable)} (of them {sum(r.by_absent_word for r in rows)} "
        "for a word the repository never uses)"
    ]
    for label, group in (("all questions", rows), ("left to judge", judged)):
        yes = [r for r in group if r.answerable]
        no = [r for r in group if not r.answerable]
        for signal in ("similarity", "coverage"):
            pos = [getattr(r, signal) for r in yes]
            neg = [getattr(r, signal) for r in no]
            if not pos or not neg:
                continue
            out.append(
                f"  {label:14} {signal:10} AUC {auc(pos, neg):.2f} · median answerable "
                f"{statistics.median(pos):.2f} ({min(pos):.2f}-{max(pos):.2f}), unanswerable "
                f"{statistics.median(neg):.2f} ({min(neg):.2f}-{max(neg):.2f})"
            )
    located = sum(r.top_hit_right_file for r in answerable)
    missed = [r for r in answerable if r.refused]
    out.append(
        f"  vector top hit in a file that answers: {located}/{len(answerable)} answerable "
        f"({sum(r.top_hit_right_file for r in missed)}/{len(missed)} of those refused)"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--heldout", type=Path, default=None, help="folder of the checkouts")
    parser.add_argument("--out", type=Path, default=None, help="keep facts and index here")
    args = parser.parse_args()
    suite = load_suite(SUITE)
    embed = suite.spec.qa_embed_model.value if suite.spec.qa_embed_model else None
    sets: list[tuple[str, Path, Path, str | None]] = [
        (c.name, c.repo, c.questions, embed) for c in suite.cases if c.questions is not None
    ]
    if args.heldout is not None:
        for questions in sorted(HELDOUT.glob("*.yaml")):
            checkout = args.heldout / questions.stem
            if checkout.is_dir():
                sets.append((questions.stem, checkout, questions, None))
            else:
                print(f"{questions.stem}: no checkout at {checkout}; skipped")
    real: list[Row] = []
    held: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = args.out or Path(tmp)
        for name, repo, questions, model in sets:
            rows = measure(name, repo, questions, base / name, model)
            (real if questions.parent != HELDOUT else held).extend(rows)
    print("\n".join(report("evals/real", real)))
    if held:
        print("\n".join(report("held-out", held)))
        print("\n".join(report("both", real + held)))


if __name__ == "__main__":
    main()
