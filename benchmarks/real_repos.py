"""Per real repository (evals/real/*): static precision/recall per kind, reachable recall,
values exact, excerpts planned (and how many from junk files), prompt vs repository tokens.

Run (the embedding model decides what the dry run plans; the Makefile sets the variable):

    export DDD_LLM_ONNX_DIR=../shared/models/all-MiniLM-L6-v2/onnx
    .venv/bin/python -m benchmarks.real_repos
    .venv/bin/python -m benchmarks.real_repos --max-chunks 8 pgbouncer   # one repository

Static extraction is `--llm none --no-index`; the dry run plans what a model would be asked
with `--max-chunks` excerpts per kind and the openai provider's default `--prompt-share` (as
`ddd-llm extract --llm openai --dry-run` does; OUT/plan.json when the pipeline writes one,
else the plan the library returns). Layout and gold rules: evals/real/README.md.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ddd_llm.chunk.tokens import count_tokens
from ddd_llm.config import ExtractOptions
from ddd_llm.evals.facts_score import load_gold
from ddd_llm.evals.harness import plan_excerpts
from ddd_llm.evals.real_score import (
    PlannedExcerpt,
    Recall,
    kind_scores,
    match_facts,
    reachable_recall,
    value_scores,
    where_recall,
)
from ddd_llm.extract.llm_extract import default_share
from ddd_llm.models import FactKind
from ddd_llm.pipeline import extract
from ddd_llm.scan.linguist import Classifier

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "evals" / "real"
PROMPT_SHARE = default_share("openai")
"""What `ddd-llm extract --llm openai --dry-run` plans with (the library's own default is no
total budget, and this dry run is planned with `--llm none`, which needs no API key)."""
KINDS: tuple[FactKind, ...] = (
    "config_parameter",
    "health_check",
    "resource_requirement",
    "dependency",
)


@dataclass
class RepoRow:
    name: str
    lines: list[str]


def _pct(value: float | None) -> str:
    return "  n/a" if value is None else f"{value * 100:5.1f}"


def _recall(r: Recall | None) -> str:
    return "    n/a" if r is None or r.rate is None else f"{_pct(r.rate)}% {r.found}/{r.expected}"


def repository_tokens(repo: Path) -> int:
    total = 0
    for path in sorted(p for p in repo.rglob("*") if p.is_file()):
        try:
            total += count_tokens(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    return total


def junk_excerpts(repo: Path, plan: list[PlannedExcerpt]) -> int:
    classifier = Classifier()
    junk = 0
    for e in plan:
        try:
            text = (repo / e.path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
        junk += classifier.classify(e.path, text).junk
    return junk


def dropped_summary(plan_dir: Path) -> str:
    """The plan's total budget and what it left out, by reason (OUT/plan.json)."""
    try:
        doc = json.loads((plan_dir / "plan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "no plan.json"
    reasons: dict[str, int] = {}
    for d in doc.get("dropped", []):
        reasons[d["reason"]] = reasons.get(d["reason"], 0) + 1
    left = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items())) or "none"
    return f"budget {doc.get('prompt_budget')} · not sent: {left}"


def bench_repo(
    case: Path,
    max_chunks: int,
    tmp: Path,
    *,
    dry_run: bool = True,
    details: int = 0,
    prompt_share: float = PROMPT_SHARE,
) -> RepoRow:
    repo = case / "repo"
    gold = load_gold(case / "gold.json")
    t0 = time.perf_counter()
    static = extract(
        repo, ExtractOptions(out_dir=tmp / "static", llm="none", index=False, prose=False)
    )
    static_s = time.perf_counter() - t0
    facts = list(static.document.facts)
    t1 = time.perf_counter()
    plan = (
        plan_excerpts(
            repo,
            ExtractOptions(
                out_dir=tmp / "plan",
                index_dir=tmp / "index",
                llm="none",
                kinds=KINDS,
                max_chunks_per_kind=max_chunks,
                prompt_share=prompt_share,
                prose=False,
            ),
        )
        if dry_run
        else None
    )
    plan_s = time.perf_counter() - t1
    matching = match_facts(facts, gold)
    scores = kind_scores(matching, gold, facts, KINDS)
    values = value_scores(matching, KINDS)
    reach = reachable_recall(matching, gold, plan, KINDS)
    where = where_recall(matching, [g for g in gold if g.fact.fact_kind in KINDS])
    lines = [
        f"## {case.name}  ({len(gold)} gold facts, {len(facts)} predicted; "
        f"static {static_s:.1f}s, dry run {plan_s:.1f}s)",
        f"  {'kind':22} {'gold':>4} {'pred':>4} {'P%':>5} {'R%':>5} "
        f"{'reachable R':>14} {'values exact':>14}",
    ]
    for kind in KINDS:
        s, v = scores[kind], values[kind]
        r = None if reach is None else reach[kind]
        exact = "    n/a" if v.rate is None else f"{_pct(v.rate)}% {v.good}/{v.total}"
        lines.append(
            f"  {kind:22} {s.expected:4d} {s.predicted:4d} {_pct(s.precision)} "
            f"{_pct(s.recall)} {_recall(r):>14} {exact:>14}"
        )
    lines.append("  recall by where: " + ", ".join(f"{w} {_recall(r)}" for w, r in where.items()))
    repo_tokens = repository_tokens(repo)
    if plan is None:
        lines.append(
            "  excerpts planned: n/a (" + ("the dry run failed)" if dry_run else "no dry run)")
        )
    else:
        prompt = sum(e.prompt_tokens for e in plan)
        share = prompt / repo_tokens if repo_tokens else 0.0
        lines.append(
            f"  excerpts planned: {len(plan)} ({junk_excerpts(repo, plan)} from junk files) · "
            f"prompt tokens {prompt} / repository tokens {repo_tokens} = {share:.2f} "
            f"({dropped_summary(tmp / 'plan')})"
        )
    mismatches = [m for v in values.values() for m in v.mismatches]
    for m in mismatches if details < 0 else mismatches[:8]:
        lines.append(f"  value: {m.fact_id} {m.field}: gold {m.gold!r}, got {m.predicted!r}")
    if len(mismatches) > 8:
        lines.append(f"  … {len(mismatches) - 8} more value mismatches")
    for kind in KINDS:
        s = scores[kind]
        for label, ids in (("missed", s.missed), ("extra", s.extra)):
            shown = ids if details < 0 else ids[:details]
            lines.extend(f"  {label}: {fact_id}" for fact_id in shown)
            if len(ids) > len(shown):
                lines.append(f"  … {len(ids) - len(shown)} more {label} {kind}")
    return RepoRow(case.name, lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="repositories (default: every evals/real/*)")
    parser.add_argument("--max-chunks", type=int, default=4, help="excerpts per kind planned")
    parser.add_argument(
        "--details",
        type=int,
        default=8,
        help="missed and extra fact ids listed per kind (-1: all)",
    )
    parser.add_argument(
        "--prompt-share",
        type=float,
        default=PROMPT_SHARE,
        help="total prompt budget as a share of the repository's tokens (0: no cap)",
    )
    parser.add_argument(
        "--no-dry-run", action="store_true", help="static scores only (reachable recall n/a)"
    )
    args = parser.parse_args()
    cases = sorted(
        p for p in REAL.iterdir() if (p / "gold.json").is_file() and (p / "repo").is_dir()
    )
    if args.names:
        cases = [c for c in cases if c.name in args.names]
    print(
        f"# real repositories · {datetime.now(UTC).isoformat(timespec='minutes')} · "
        f"static = --llm none --no-index · dry run --max-chunks {args.max_chunks} "
        f"--prompt-share {args.prompt_share}"
    )
    for case in cases:
        with tempfile.TemporaryDirectory() as tmp:
            row = bench_repo(
                case,
                args.max_chunks,
                Path(tmp),
                dry_run=not args.no_dry_run,
                details=args.details,
                prompt_share=args.prompt_share,
            )
        print("\n".join(row.lines), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
