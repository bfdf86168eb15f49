"""Write the replay cassettes of `ddd-llm ask` for the real repositories (evals/real/).

No capable model can be called here, so the answers that `--llm replay` gives for the
real repositories' questions were written by hand, acting as a careful model: each answer
in evals/real/<name>/answers.yaml uses only the sources that `ask` retrieves for its
question (print them with --show). A source that does not hold the answer gets a
`not_found` answer even when the repository holds it elsewhere: a careful model does not
know what it was not shown, so the replay scores measure retrieval and the ask pipeline,
not an oracle.

This tool runs the real request-building path of `ask` for every case of
evals/real/suite.yaml that names `questions` and `qa_cassettes` (static facts.json in a
temporary folder, the chroma index, retrieval, the prompt), with the embedding model the
suite pins for its QA runs (`qa_embed_model`), and stores each authored answer under that
request's content key in the case's `qa_cassettes` folder.

    .venv/bin/python evals/tools/author_real_ask.py                 # every case
    .venv/bin/python evals/tools/author_real_ask.py memcached       # one case
    .venv/bin/python evals/tools/author_real_ask.py --show memcached [--ids q1,q2]
    .venv/bin/python evals/tools/author_real_ask.py --ceiling   # the retrieval ceiling

--ceiling (run after authoring: it reads the gold `expect` lines) counts, per case, the
answerable questions whose expected lines or facts lie inside the sources retrieved for
them: what a careful model can cite at best.

The answers file format is in ddd_llm/evals/qa_score.py's docstring; the layout is in
evals/real/README.md ("Replay answers").
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ddd_llm.apps.ask import AskSession, open_session  # noqa: E402
from ddd_llm.config import ExtractOptions  # noqa: E402
from ddd_llm.evals.harness import Case, Suite, load_suite, suite_qa_options  # noqa: E402
from ddd_llm.evals.qa_score import Expected, load_questions  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from author_ask_cassettes import author, show  # noqa: E402

SUITE = ROOT / "evals" / "real" / "suite.yaml"


def answers_file(case: Case) -> Path:
    """evals/real/<name>/answers.yaml: next to the case's questions file."""
    assert case.questions is not None
    return case.questions.with_name("answers.yaml")


def session_for(suite: Suite, case: Case, out: Path) -> AskSession:
    options = suite_qa_options(suite, ExtractOptions(out_dir=out, llm="none", no_cache=True))
    return open_session(case.repo, options)


def _places(session: AskSession, item: Expected) -> list[tuple[str, int, int]]:
    if item.path is not None and item.lines is not None:
        return [(item.path, item.lines[0], item.lines[1])]
    kind, service, key = ((item.fact or "").split(":", 2) + ["", ""])[:3]
    return [
        (c.path, c.start_line, c.end_line)
        for f in session.knowledge.document.facts
        if f.id == item.fact or (service == "-" and f.id.split(":", 2)[::2] == [kind, key])
        for c in f.citations
    ]


def ceiling(case: Case, session: AskSession) -> tuple[int, int, int]:
    """(answerable questions, with every expected item retrieved, with at least one)."""
    assert case.questions is not None
    answerable = [q for q in load_questions(case.questions) if q.answerable]
    full = some = 0
    for q in answerable:
        ranges = [r for s in session.retrieve(q.question) for r in s.ranges]
        seen = [
            any(
                r.path == path and r.start_line <= end and start <= r.end_line
                for r in ranges
                for path, start, end in _places(session, item)
            )
            for item in q.expect
        ]
        full += all(seen)
        some += any(seen)
        if not all(seen):
            print(f"  {case.name} {q.id}: {sum(seen)}/{len(seen)} expected items retrieved")
    return len(answerable), full, some


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="*", help="default: every case with qa_cassettes")
    parser.add_argument("--suite", type=Path, default=SUITE)
    parser.add_argument("--show", action="store_true", help="print each question's prompt")
    parser.add_argument("--ids", default=None, help="with --show: these question ids only")
    parser.add_argument(
        "--ceiling", action="store_true", help="count expected answers inside the sources"
    )
    args = parser.parse_args()
    os.environ.setdefault(
        "DDD_LLM_ONNX_DIR", str(ROOT.parent / "shared" / "models" / "all-MiniLM-L6-v2" / "onnx")
    )
    suite = load_suite(args.suite)
    cases = [
        c
        for c in suite.cases
        if c.questions is not None and (not args.cases or c.name in args.cases)
    ]
    unknown = set(args.cases) - {c.name for c in cases}
    if unknown:
        print(f"no such case with questions: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    ids = set(args.ids.split(",")) if args.ids else None
    problems = 0
    totals = [0, 0, 0]
    for case in cases:
        if args.ceiling:
            with tempfile.TemporaryDirectory() as tmp:
                counts = ceiling(case, session_for(suite, case, Path(tmp)))
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
            print(
                f"{case.name}: {counts[1]}/{counts[0]} answerable questions have all their "
                f"expected items in the sources ({counts[2]} at least one)"
            )
            continue
        if not args.show and case.qa_cassettes is None:
            print(f"{case.name}: names no qa_cassettes in {args.suite}", file=sys.stderr)
            problems += 1
            continue
        if not args.show and not answers_file(case).is_file():
            print(f"{case.name}: no {answers_file(case).relative_to(ROOT)}", file=sys.stderr)
            problems += 1
            continue
        with tempfile.TemporaryDirectory() as tmp:
            session = session_for(suite, case, Path(tmp))
            assert case.questions is not None
            if args.show:
                show(case.questions, session, ids)
            else:
                assert case.qa_cassettes is not None
                problems += author(
                    case.name, session, case.questions, answers_file(case), case.qa_cassettes
                )
    if args.ceiling:
        print(f"all: {totals[1]}/{totals[0]} fully retrieved, {totals[2]} at least partly")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
