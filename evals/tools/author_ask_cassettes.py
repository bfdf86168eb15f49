"""Write the replay cassettes of `ddd-llm ask` from hand-authored answers.

No capable model can be called here, so the answers replayed by the tests and the eval
harness were written by hand, acting as a careful model: each answer in
evals/questions/<fixture>.answers.yaml uses only the sources that `ask` retrieves for its
question (print them with --show). This tool runs the real request-building path of
`ask` (static facts.json in a temporary folder, the chroma index, retrieval, the prompt)
and stores each authored answer under that request's content key, so a replay answers
exactly the request a live run makes. An answer marked `deliberately_bad` cites lines
outside its sources; its `reask` entry is the answer to the re-ask request (fixed, or
still bad so that the citations get removed).

    .venv/bin/python evals/tools/author_ask_cassettes.py            # every fixture
    .venv/bin/python evals/tools/author_ask_cassettes.py --show compose-shop

The answers file format is in ddd_llm/evals/qa_score.py's docstring.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ddd_llm.apps.ask import AskSession, open_session  # noqa: E402
from ddd_llm.config import ExtractOptions  # noqa: E402
from ddd_llm.evals.qa_score import load_answers, load_questions, write_cassettes  # noqa: E402

QUESTIONS = ROOT / "evals" / "questions"
CASSETTES = ROOT / "evals" / "cassettes" / "ask"
FIXTURES = ROOT / "fixtures"


def session_for(fixture: str, out: Path) -> AskSession:
    options = ExtractOptions(out_dir=out, llm="none", no_cache=True)
    return open_session(FIXTURES / fixture, options)


def show(questions_file: Path, session: AskSession, ids: set[str] | None = None) -> None:
    """Print the request `ask` makes for each question (the sources an answer may use)."""
    for q in load_questions(questions_file):
        if ids is not None and q.id not in ids:
            continue
        sources = session.retrieve(q.question)
        print(f"===== {q.id}: {q.question}")
        if not sources:
            print("(nothing retrieved: ask refuses without asking a model)")
            continue
        request = session.request(q.question, sources)
        print(request.messages[1]["content"])


def author(
    name: str, session: AskSession, questions_file: Path, answers_file: Path, folder: Path
) -> int:
    """Write `folder`'s cassettes afresh from the authored answers; the problems' count."""
    shutil.rmtree(folder, ignore_errors=True)
    problems = write_cassettes(
        session, load_questions(questions_file), load_answers(answers_file), folder
    )
    for problem in problems:
        print(f"{name}: {problem}", file=sys.stderr)
    count = len(list(folder.glob("*.json"))) if folder.is_dir() else 0
    print(f"{name}: {count} cassettes in {folder.relative_to(ROOT)}")
    return len(problems)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fixtures", nargs="*", help="default: every evals/questions/*.yaml")
    parser.add_argument("--show", action="store_true", help="print each question's prompt")
    args = parser.parse_args()
    os.environ.setdefault(
        "DDD_LLM_ONNX_DIR", str(ROOT.parent / "shared" / "models" / "all-MiniLM-L6-v2" / "onnx")
    )
    names = args.fixtures or sorted(
        p.stem for p in QUESTIONS.glob("*.yaml") if not p.stem.endswith(".answers")
    )
    problems = 0
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            session = session_for(name, Path(tmp))
            if args.show:
                show(QUESTIONS / f"{name}.yaml", session)
            else:
                problems += author(
                    name,
                    session,
                    QUESTIONS / f"{name}.yaml",
                    QUESTIONS / f"{name}.answers.yaml",
                    CASSETTES / name,
                )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
