"""Run every question set in evals/questions/ through `ddd-llm ask` and print the QA scores.

    .venv/bin/python evals/tools/run_ask_eval.py --llm replay     # the authored cassettes
    .venv/bin/python evals/tools/run_ask_eval.py --llm none       # facts and docs, no model
    .venv/bin/python evals/tools/run_ask_eval.py --llm local      # SmolLM2-135M (minutes)
    .venv/bin/python evals/tools/run_ask_eval.py --suite evals/real/suite.yaml --llm none
                                    # every case of a suite that names questions
    .venv/bin/python evals/tools/run_ask_eval.py --suite evals/real/suite.yaml --llm replay
                                    # each case's qa_cassettes (evals/tools/author_real_ask.py)
    .venv/bin/python evals/tools/run_ask_eval.py --llm none \
        --repo /tmp/fresh/lldap --questions benchmarks/heldout/lldap.yaml
                                    # any question file on any checkout (held-out sets)

Each fixture is extracted statically into a fresh temporary folder (as the cassettes
expect); the response cache is off, so latencies are those of real calls. A suite's
`qa_embed_model` pins the embedding model of its runs. With --llm replay, a question whose
request has no cassette (a replay miss) is answered from facts alone; the misses are
listed and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ddd_llm.apps.ask import AskSettings  # noqa: E402
from ddd_llm.config import ExtractOptions  # noqa: E402
from ddd_llm.evals.qa_score import (  # noqa: E402
    QaReport,
    load_questions,
    merge_reports,
    report_lines,
    run_questions,
)
from ddd_llm.llm import ProviderSettings  # noqa: E402
from ddd_llm.llm.replay import MISS  # noqa: E402

QUESTIONS = ROOT / "evals" / "questions"
CASSETTES = ROOT / "evals" / "cassettes" / "ask"


def question_sets(
    fixtures: list[str], suite: Path | None
) -> tuple[list[tuple[str, Path, Path, Path | None]], str | None]:
    """(name, repository, questions file, ask cassettes) of each question set to run, and the
    embedding model their runs are pinned to (a suite's `qa_embed_model`; None: the default)."""
    if suite is not None:
        from ddd_llm.evals.harness import load_suite

        spec = load_suite(suite)
        embed = spec.spec.qa_embed_model.value if spec.spec.qa_embed_model else None
        return [
            (c.name, c.repo, c.questions, c.qa_cassettes)
            for c in spec.cases
            if c.questions is not None and (not fixtures or c.name in fixtures)
        ], embed
    names = fixtures or sorted(
        p.stem for p in QUESTIONS.glob("*.yaml") if not p.stem.endswith(".answers")
    )
    return [(n, ROOT / "fixtures" / n, QUESTIONS / f"{n}.yaml", CASSETTES / n) for n in names], None


def replay_misses(report: QaReport) -> list[str]:
    """`id: warning` of each question whose request had no cassette."""
    return [f"{r.id}: {w}" for r in report.results for w in r.warnings if MISS in w]


def outcome_line(report: QaReport) -> str:
    """Answerable questions answered with at least one supporting citation (and none
    unsupported), unanswerable ones refused."""
    answerable = [r for r in report.results if r.answerable]
    unanswerable = [r for r in report.results if not r.answerable]
    good = [r for r in answerable if not r.refused and any(r.supported) and all(r.supported)]
    refused = [r for r in unanswerable if r.refused]
    loose = [r for r in answerable if not r.refused and r.right_file]
    return (
        f"  answerable answered with correct citations {len(good)}/{len(answerable)} · "
        f"unanswerable refused {len(refused)}/{len(unanswerable)} · "
        f"answerable answered citing a right file {len(loose)}/{len(answerable)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fixtures", nargs="*", help="default: every evals/questions/*.yaml")
    parser.add_argument("--llm", default="replay", help="replay, none, local or openai")
    parser.add_argument("--model", default=None)
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the full report here")
    parser.add_argument(
        "--suite", type=Path, default=None, help="the cases of this suite file instead"
    )
    parser.add_argument("--repo", type=Path, default=None, help="with --questions: a checkout")
    parser.add_argument(
        "--questions", type=Path, default=None, help="with --repo: its question file"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="keep each set's facts.json and index in OUT/<name> and reuse them on the next run "
        "(default: a fresh temporary folder; reuse only while the extract code is unchanged)",
    )
    parser.add_argument("--ids", default=None, help="comma-separated question ids (a subset)")
    parser.add_argument(
        "--context-tokens", type=int, default=None, help="token budget of the sources"
    )
    args = parser.parse_args()
    os.environ.setdefault(
        "DDD_LLM_ONNX_DIR", str(ROOT.parent / "shared" / "models" / "all-MiniLM-L6-v2" / "onnx")
    )
    if (args.repo is None) != (args.questions is None):
        parser.error("--repo and --questions go together")
    targets, embed_model = question_sets(args.fixtures, args.suite)
    if args.repo is not None:
        targets = [(args.repo.name, args.repo, args.questions, None)]
    wanted = set(args.ids.split(",")) if args.ids else None
    settings = AskSettings()
    if args.context_tokens:
        settings = AskSettings(context_tokens=args.context_tokens)
    reports: list[QaReport] = []
    misses: list[str] = []
    for name, repo, question_file, cassettes in targets:
        questions = [q for q in load_questions(question_file) if wanted is None or q.id in wanted]
        if not questions:
            continue
        if args.llm == "replay" and (cassettes is None or not cassettes.is_dir()):
            print(f"{name}: no ask cassettes ({cassettes}); every question misses", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) if args.out is None else args.out / name
            options = ExtractOptions(
                out_dir=out,
                llm=args.llm,
                provider_settings=ProviderSettings(
                    model=args.model,
                    base_url=args.base_url,
                    cassettes=str(cassettes) if args.llm == "replay" else None,
                ),
                no_cache=True,
                timeout=300.0,
            )
            if embed_model is not None:
                options = replace(options, embed_model=embed_model)
            report = run_questions(repo, questions, options, settings=settings, name=name)
        reports.append(report)
        print("\n".join(report_lines(report)), flush=True)
        print(outcome_line(report), flush=True)
        if args.llm == "replay":
            misses += [f"{name} {m}" for m in replay_misses(report)]
    total = merge_reports(reports)
    print("\n" + report_lines(total)[-1])
    if args.json is not None:
        args.json.write_text(json.dumps(total.model_dump(mode="json"), indent=2) + "\n")
    if misses:
        print(f"\nREPLAY MISSES: {len(misses)} question(s) had no cassette", file=sys.stderr)
        for miss in misses:
            print(f"  {miss[:200]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
