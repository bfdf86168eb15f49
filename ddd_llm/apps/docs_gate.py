"""The stale-runbook gate: committed runbooks (an earlier `extract`) against today's facts.

`ddd-llm check PATH --docs DIR` reads DIR/facts.json (the run that wrote DIR's Markdown),
compares it fact by fact (by id) with the facts the current code yields, and names every
step of DIR whose fact changed value, lost or gained evidence, disappeared or appeared,
every citation whose lines moved, and every CRITICAL gap DIR does not list — with the
commits that touched the cited files since the commit DIR was made from. `--update`
rewrites DIR with the same rendering as `extract` and leaves its other files alone.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from ddd_llm.config import FACTS_FILE, OUT_DIRNAME, ExtractOptions
from ddd_llm.errors import InputError
from ddd_llm.llm import capabilities
from ddd_llm.models import Citation, FactBase, FactsDocument, Gap
from ddd_llm.pipeline import write_facts
from ddd_llm.render.fact_steps import StepRef, step_refs, steps_for
from ddd_llm.render.renderer import ARTIFACTS, md_cell, render_all, render_texts
from ddd_llm.render.sarif import BASE_ID, checkout_prefix, location
from ddd_llm.verify.verifier import status_reason

FindingKind = Literal["changed", "evidence", "moved", "removed", "added", "critical-gap"]
KINDS: dict[str, str] = {
    "changed": "a fact a step shows changed value",
    "evidence": "a step's evidence was lost, gained, or its verification changed",
    "moved": "the lines a step cites moved",
    "removed": "the fact behind a step is gone from the code",
    "added": "the code has a fact the runbooks do not show",
    "critical-gap": "a new CRITICAL gap the runbooks do not list",
}
"""Each kind of finding and what it means (also the SARIF rules' descriptions)."""
SIGNS: dict[str, str] = {
    "changed": "~",
    "evidence": "!",
    "moved": ">",
    "removed": "-",
    "added": "+",
    "critical-gap": "+",
}
GATE_DIR = "docs-gate"
"""The gate's own run folder inside PATH/.ddd when --out is not given."""
COMPARED_OUT = frozenset({"id", "citations", "verification", "origin"})
"""Fields that are not a fact's value: its evidence and verification are compared apart."""
RANK = {"verified": 0, "unverified": 1, "contradicted": 2}
STEPS_SHOWN = 4
"""Steps listed per finding in the text report (json and SARIF list every one)."""

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


# ------------------------------------------------------------------ git


class Git:
    """Read-only git queries in the repository's folder; every answer None when git can't say."""

    def __init__(self, root: Path, run: Runner = subprocess.run) -> None:
        self.root = root
        self._run = run
        self.available = self._git("rev-parse", "--is-inside-work-tree") == "true"

    def _git(self, *args: str) -> str | None:
        try:
            done = self._run(
                ["git", "-C", str(self.root), *args],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    def head(self) -> str | None:
        return self._git("rev-parse", "HEAD") if self.available else None

    def has_commit(self, sha: str) -> bool:
        return self.available and self._git("cat-file", "-e", f"{sha}^{{commit}}") is not None

    def commits(self, old: str, paths: Sequence[str]) -> list[str]:
        out = self._git("log", "--format=%h", f"{old}..HEAD", "--", *paths)
        return out.split() if out else []

    def dirty(self, paths: Sequence[str]) -> bool:
        out = self._git("status", "--porcelain", "--", *paths)
        return bool(out)

    def lines_at(self, commit: str, path: str) -> list[str] | None:
        """The file's lines at `commit` (path relative to the repository folder)."""
        try:
            done = self._run(
                ["git", "-C", str(self.root), "show", f"{commit}:./{path}"],
                capture_output=True,
                timeout=20,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode != 0:
            return None
        raw = done.stdout
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        return text.splitlines()


@dataclass(frozen=True)
class History:
    """What changed the cited files since DIR was made: a range, its commits, local edits."""

    range: str | None
    commits: tuple[str, ...] = ()
    dirty: bool = False
    note: str | None = None

    def describe(self, paths: Sequence[str]) -> str:
        if self.range is None:
            return self.note or "no commit range"
        files = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        parts = []
        if self.commits:
            parts.append(f"{self.range} touching {files}: {', '.join(self.commits)}")
        else:
            parts.append(f"no commit in {self.range} touches {files}")
        if self.dirty:
            parts.append("uncommitted changes")
        return "; ".join(parts)


@dataclass
class Baseline:
    """Where DIR's run sits in the repository's history."""

    git: Git
    commit: str | None
    note: str | None = None

    @property
    def range(self) -> str | None:
        return f"{self.commit[:12]}..HEAD" if self.commit and self.note is None else None

    def history(self, paths: Sequence[str]) -> History:
        if self.range is None or self.commit is None:
            return History(None, note=self.note)
        return History(
            self.range, tuple(self.git.commits(self.commit, paths)), self.git.dirty(paths)
        )

    def old_lines(self, path: str) -> list[str] | None:
        if self.range is None or self.commit is None:
            return None
        return self.git.lines_at(self.commit, path)


def baseline(repo: Path, commit: str | None, git: Git | None = None) -> Baseline:
    g = git or Git(repo)
    if not g.available:
        return Baseline(g, commit, f"{repo} is not in a git checkout: no commit range")
    if commit is None:
        return Baseline(g, None, "DIR's facts.json records no commit (made outside git)")
    if not g.has_commit(commit):
        return Baseline(
            g,
            commit,
            f"commit {commit[:12]} (DIR's run) is not in this clone — fetch the full history "
            "(actions/checkout: fetch-depth: 0) to see the commits",
        )
    return Baseline(g, commit)


# ------------------------------------------------------------------ findings


@dataclass
class Finding:
    kind: FindingKind
    subject: str
    """The fact id or gap id."""
    message: str
    diff: list[tuple[str, str]] = field(default_factory=list)
    """(sign, text): `-` what DIR says, `+` what the code says now, ` ` context."""
    steps: list[StepRef] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    """`file:line` of DIR's Markdown lines that cite the fact outside a step (tables)."""
    citations: list[Citation] = field(default_factory=list)
    """Where the fact is now (or was, when it is gone)."""
    paths: list[str] = field(default_factory=list)
    history: History | None = None


@dataclass
class GateResult:
    repo: Path
    docs_dir: Path
    findings: list[Finding]
    baseline_commit: str | None
    head: str | None
    notes: list[str] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return bool(self.findings)

    @property
    def fix_command(self) -> str:
        return f"ddd-llm check {self.repo} --docs {self.docs_dir} --update"

    @property
    def steps(self) -> int:
        return len({(s.file, s.line, s.title) for f in self.findings for s in f.steps})

    def reasons(self) -> list[str]:
        if not self.findings or self.updated:
            return []
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[f.kind] = counts.get(f.kind, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in counts.items())
        return [
            f"runbooks in {self.docs_dir} are stale: {summary} ({self.steps} steps) — "
            f"run `{self.fix_command}`"
        ]


def load_docs(docs_dir: Path, repo: Path) -> FactsDocument:
    """DIR's facts.json; an InputError (exit 2) saying how to make one when it is missing."""
    path = docs_dir / FACTS_FILE
    if not path.is_file():
        raise InputError(
            f"{docs_dir} has no {FACTS_FILE}",
            path=str(path),
            hint=f"run `ddd-llm extract {repo} --out {docs_dir}` first (or add --update)",
        )
    try:
        return FactsDocument.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValidationError) as exc:
        first = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise InputError(
            f"{path} is not a facts.json this version reads ({first})",
            path=str(path),
            hint=f"regenerate it: `ddd-llm check {repo} --docs {docs_dir} --update`",
        ) from None


def _inside(child: Path, parent: Path) -> str | None:
    try:
        rel = child.resolve().relative_to(parent.resolve()).as_posix()
    except ValueError:
        return None
    return None if rel == "." else rel


def gate_options(repo: Path, docs_dir: Path, options: ExtractOptions) -> ExtractOptions:
    """The current run's options: DIR itself is not repository input, no index for a static
    run, and a run folder of its own so DIR is never written unless --update asks."""
    exclude = options.exclude
    rel = _inside(docs_dir, repo)
    if rel is not None:
        exclude = (*exclude, f"/{rel}/")
    out = options.out_dir
    if out is None or out.resolve() == docs_dir.resolve():
        out = repo / OUT_DIRNAME / GATE_DIR
    index = options.index and capabilities(options.llm).answers_questions
    return replace(options, exclude=exclude, out_dir=out, index=index)


def _dump(fact: FactBase) -> dict[str, Any]:
    return fact.model_dump(mode="json", exclude=set(COMPARED_OUT))


def _show(fact: FactBase, key: str, value: Any) -> str:
    if key == "default" and getattr(fact, "secret", False) and value is not None:
        return "(a secret: value not shown)"
    return "null" if value is None else str(value)


def value_diff(old: FactBase, new: FactBase) -> list[tuple[str, str]]:
    a, b = _dump(old), _dump(new)
    keys = sorted(set(a) | set(b), key=lambda k: (k == "summary", k))
    out: list[tuple[str, str]] = []
    for key in keys:
        if a.get(key) != b.get(key):
            out.append(("-", f"{key}: {_show(old, key, a.get(key))}"))
            out.append(("+", f"{key}: {_show(new, key, b.get(key))}"))
    return out


def _read_lines(path: Path) -> list[str] | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None


@dataclass
class CiteDiff:
    moved: list[tuple[str, str]] = field(default_factory=list)
    lost: list[tuple[str, str]] = field(default_factory=list)
    gained: list[tuple[str, str]] = field(default_factory=list)


def cite_diff(old: FactBase, new: FactBase, repo: Path, base: Baseline) -> CiteDiff:
    """Citations DIR shows that the code no longer has: moved (same path, the same text at
    other lines), edited, or lost; and citations the code has that DIR does not show."""
    out = CiteDiff()
    gained = [c for c in new.citations if c not in old.citations]
    for c in (c for c in old.citations if c not in new.citations):
        target = next((g for g in gained if g.path == c.path), None)
        if target is None:
            gone = "" if (repo / c.path).is_file() else f" ({c.path} no longer exists)"
            out.lost.append(("-", f"evidence {c}{gone}"))
            continue
        gained.remove(target)
        now = _read_lines(repo / c.path)
        was = base.old_lines(c.path)
        if was is not None and now is not None:
            same = (
                was[c.start_line - 1 : c.end_line] == now[target.start_line - 1 : target.end_line]
            )
            how = "same text" if same else "text edited too"
        else:
            same = (c.end_line - c.start_line) == (target.end_line - target.start_line)
            how = "text not compared: no git history for DIR's commit"
        out.moved.append(("-", f"evidence {c}"))
        out.moved.append(("+", f"evidence {target} ({'moved' if same else 'changed'}, {how})"))
    out.gained = [("+", f"evidence {c}") for c in gained]
    return out


def _status(fact: FactBase) -> str:
    reason = status_reason(fact)
    return fact.verification.status + (f" ({reason})" if reason else "")


def _paths(*facts: FactBase | Gap | None) -> list[str]:
    seen: dict[str, None] = {}
    for f in facts:
        for c in f.citations if f is not None else []:
            seen.setdefault(c.path, None)
    return list(seen)


def mentions(texts: dict[str, str | None], fact: FactBase, limit: int = 3) -> list[str]:
    """Lines of DIR's Markdown that cite the fact outside the steps (tables, lists)."""
    labels = [f"[{md_cell(c)}]" for c in fact.citations]
    name = getattr(fact, "name", None)
    found: list[str] = []
    for file, text in texts.items():
        for n, line in enumerate((text or "").splitlines(), 1):
            if any(lab in line for lab in labels) and (name is None or name in line):
                found.append(f"{file}:{n}")
                if len(found) >= limit:
                    return found
    return found


def fact_findings(
    old: FactsDocument,
    new: FactsDocument,
    repo: Path,
    base: Baseline,
    old_texts: dict[str, str | None],
    notes: list[str],
) -> list[Finding]:
    old_steps = steps_for(step_refs(old, old_texts))
    new_steps = steps_for(step_refs(new, render_texts(new)))
    olds: dict[str, FactBase] = {f.id: f for f in old.facts}
    news: dict[str, FactBase] = {f.id: f for f in new.facts}
    if old.run.llm is not None and new.run.llm is None:
        model_only = [i for i, f in olds.items() if f.origin == "llm"]
        for i in model_only:
            del olds[i]
        if model_only:
            notes.append(
                f"DIR was written with a model ({old.run.llm.model}); this run is static: "
                f"{len(model_only)} facts only the model found are not compared"
            )
    findings: list[Finding] = []
    for fid, was in olds.items():
        now = news.get(fid)
        if now is None:
            findings.append(
                Finding(
                    "removed",
                    fid,
                    f"{fid} is gone from the code",
                    [("-", was.summary)],
                    citations=list(was.citations),
                    paths=_paths(was),
                )
            )
            continue
        values = value_diff(was, now)
        cites = cite_diff(was, now, repo, base)
        status: list[tuple[str, str]] = []
        if was.verification.status != now.verification.status:
            status = [
                ("-", f"verification: {_status(was)}"),
                ("+", f"verification: {_status(now)}"),
            ]
        worse = RANK[now.verification.status] > RANK[was.verification.status]
        kind: FindingKind
        if values:
            kind, message = "changed", f"{fid} changed value"
        elif cites.lost or worse:
            kind, message = "evidence", f"{fid} lost its evidence"
        elif cites.moved:
            kind, message = "moved", f"{fid}: its cited lines moved"
        elif cites.gained or status:
            kind, message = "evidence", f"{fid}: its evidence changed"
        else:
            continue
        findings.append(
            Finding(
                kind,
                fid,
                message,
                [*values, *status, *cites.lost, *cites.moved, *cites.gained],
                citations=list(now.citations),
                paths=_paths(was, now),
            )
        )
    for fid, now in news.items():
        if fid not in olds and fid not in {f.id for f in old.facts}:
            findings.append(
                Finding(
                    "added",
                    fid,
                    f"{fid} is new in the code",
                    [("+", now.summary)],
                    steps=list(new_steps.get(fid, [])),
                    citations=list(now.citations),
                    paths=_paths(now),
                )
            )
    for f in findings:
        if f.kind != "added":
            f.steps = list(old_steps.get(f.subject, []))
            if not f.steps and f.subject in olds:
                f.mentions = mentions(old_texts, olds[f.subject])
    return findings


def gap_findings(old: FactsDocument, new: FactsDocument) -> list[Finding]:
    known = {g.id for g in old.gaps if g.priority == "CRITICAL"}
    return [
        Finding(
            "critical-gap",
            g.id,
            f"new CRITICAL gap: {g.message}",
            [("+", g.message + (f" — fix: {g.fix}" if g.fix else ""))],
            mentions=["gaps.md"],
            citations=list(g.citations),
            paths=_paths(g),
        )
        for g in new.gaps
        if g.priority == "CRITICAL" and g.id not in known
    ]


def read_texts(docs_dir: Path) -> dict[str, str | None]:
    return {name: _read_text(docs_dir / name) for name in ARTIFACTS}


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def compare(
    old: FactsDocument,
    new: FactsDocument,
    repo: Path,
    docs_dir: Path,
    *,
    git: Git | None = None,
) -> GateResult:
    """Every way DIR's runbooks differ from what the current code yields."""
    base = baseline(repo, old.repo.commit, git)
    notes = [base.note] if base.note else []
    if old.tool.version != new.tool.version:
        notes.append(
            f"DIR was written by ddd-llm {old.tool.version}, this is {new.tool.version}: "
            "`--update` also brings the wording up to date"
        )
    texts = read_texts(docs_dir)
    findings = [
        *fact_findings(old, new, repo, base, texts, notes),
        *gap_findings(old, new),
    ]
    for f in findings:
        f.history = base.history(f.paths) if f.paths else None
    findings.sort(key=lambda f: (list(KINDS).index(f.kind), f.subject))
    return GateResult(repo, docs_dir, findings, old.repo.commit, base.git.head(), notes)


def update_docs(doc: FactsDocument, docs_dir: Path) -> list[Path]:
    """Rewrite DIR's artifacts and facts.json from `doc` (as `extract` renders them); files
    in DIR that ddd-llm does not write are left as they are."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    written = render_all(doc, docs_dir)
    write_facts(doc, docs_dir / FACTS_FILE)
    return [*written, docs_dir / FACTS_FILE]


def open_docs(
    repo: Path, docs_dir: Path, options: ExtractOptions, *, update: bool
) -> tuple[FactsDocument | None, ExtractOptions]:
    """DIR's run (None only when --update writes DIR for the first time) and the options of
    the run to compare it with; raises InputError (exit 2) before anything is extracted."""
    if docs_dir.exists() and not docs_dir.is_dir():
        raise InputError(
            f"--docs {docs_dir} is not a folder",
            path=str(docs_dir),
            hint="pass the folder an earlier `ddd-llm extract --out` wrote",
        )
    missing = not (docs_dir / FACTS_FILE).is_file()
    old = None if update and missing else load_docs(docs_dir, repo)
    return old, gate_options(repo, docs_dir, options)


def run_gate(
    repo: Path,
    docs_dir: Path,
    current: FactsDocument,
    *,
    old: FactsDocument | None,
    update: bool = False,
    git: Git | None = None,
) -> GateResult:
    """Compare DIR with the current facts; with `update`, rewrite DIR when it is stale."""
    if old is None:  # --update on a DIR without facts.json: write it for the first time
        result = GateResult(repo, docs_dir, [], None, None, [f"{docs_dir} had no {FACTS_FILE}"])
        result.updated = update_docs(current, docs_dir)
        return result
    result = compare(old, current, repo, docs_dir, git=git)
    if update and result.stale:
        result.updated = update_docs(current, docs_dir)
    return result


# ------------------------------------------------------------------ reports


def as_text(result: GateResult) -> str:
    """A diff-style report: `---` DIR as committed, `+++` the code now, one hunk per finding."""
    if not result.findings:
        head = f"docs gate: {result.docs_dir} is up to date with the code"
        return "\n".join([head, *(f"note: {n}" for n in result.notes)])
    base = result.baseline_commit[:12] if result.baseline_commit else "unknown commit"
    now = result.head[:12] if result.head else "the working tree"
    state = "was stale and is rewritten" if result.updated else "is stale"
    lines = [
        f"docs gate: {result.docs_dir} {state} — {_n(len(result.findings), 'finding')}, "
        f"{_n(result.steps, 'step')}",
        f"--- {result.docs_dir} (facts from {base})",
        f"+++ the code now ({now})",
    ]
    for f in result.findings:
        lines.append(f"@@ {SIGNS[f.kind]} {f.kind}: {f.message} @@")
        lines += [f"{sign} {text}" for sign, text in f.diff]
        for step in f.steps[:STEPS_SHOWN]:
            lines.append(f"  step: {step.label()}" + (f" (line {step.line})" if step.line else ""))
        if len(f.steps) > STEPS_SHOWN:
            lines.append(f"  and {len(f.steps) - STEPS_SHOWN} more steps")
        if not f.steps:
            where = ", ".join(f.mentions) if f.mentions else "facts.json only"
            lines.append(f"  no step renders it; shown in: {where}")
        if f.history is not None and f.history.range is not None:
            lines.append(f"  changed by: {f.history.describe(f.paths)}")
    lines += [f"note: {n}" for n in result.notes]
    if result.updated:
        lines.append(f"rewrote {len(result.updated)} files in {result.docs_dir}")
    else:
        lines.append(f"fix: {result.fix_command}")
    return "\n".join(lines)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _step_json(step: StepRef) -> dict[str, Any]:
    return {
        "file": step.file,
        "section": step.section,
        "number": step.number,
        "line": step.line,
        "title": step.title,
    }


def as_json(result: GateResult) -> dict[str, Any]:
    return {
        "docs": str(result.docs_dir),
        "stale": result.stale,
        "baseline_commit": result.baseline_commit,
        "head": result.head,
        "updated": [str(p) for p in result.updated],
        "notes": result.notes,
        "findings": [
            {
                "kind": f.kind,
                "id": f.subject,
                "message": f.message,
                "diff": [{"sign": s, "text": t} for s, t in f.diff],
                "steps": [_step_json(s) for s in f.steps],
                "mentions": f.mentions,
                "citations": [str(c) for c in f.citations],
                "history": None
                if f.history is None
                else {
                    "range": f.history.range,
                    "commits": list(f.history.commits),
                    "uncommitted": f.history.dirty,
                    "note": f.history.note,
                },
            }
            for f in result.findings
        ],
    }


def sarif_rules_results(
    result: GateResult, repo: Path, rule_offset: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """SARIF rules (one per finding kind) and results for the check's run: each result at the
    stale step's line in DIR when DIR is in the checkout, else at the code it cites."""
    checkout, prefix = checkout_prefix(repo)
    docs_rel = _inside(result.docs_dir, checkout)
    kinds = sorted({f.kind for f in result.findings}, key=list(KINDS).index)
    rules = [
        {
            "id": f"stale-docs/{k}",
            "name": "StaleDocs" + "".join(p.capitalize() for p in k.split("-")),
            "shortDescription": {"text": f"Stale runbook: {KINDS[k]}"},
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["maintenance", "stale-docs"]},
        }
        for k in kinds
    ]
    index = {k: rule_offset + i for i, k in enumerate(kinds)}
    results: list[dict[str, Any]] = []
    for f in result.findings:
        code = [location(c, prefix) for c in f.citations if (repo / c.path).is_file()]
        step = next((s for s in f.steps if s.line), None)
        primary: list[dict[str, Any]] = []
        if docs_rel is not None and step is not None and step.line is not None:
            primary = [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": f"{docs_rel}/{step.file}",
                            "uriBaseId": BASE_ID,
                        },
                        "region": {"startLine": step.line},
                    }
                }
            ]
        locations = primary or code[:1]
        related = code if primary else code[1:]
        text = f.message + "".join(f"; {s} {t}" for s, t in f.diff[:6])
        if f.steps:
            text += "; steps: " + "; ".join(s.label() for s in f.steps[:3])
        if f.history is not None:
            text += f"; changed by: {f.history.describe(f.paths)}"
        entry: dict[str, Any] = {
            "ruleId": f"stale-docs/{f.kind}",
            "ruleIndex": index[f.kind],
            "level": "error",
            "message": {"text": text},
            "partialFingerprints": {"dddStaleDocs/v1": f"{f.kind}:{f.subject}"},
            "properties": {"factId": f.subject, "docs": str(result.docs_dir)},
        }
        if locations:
            entry["locations"] = locations
        if related:
            entry["relatedLocations"] = [{"id": i, **loc} for i, loc in enumerate(related, 1)]
        results.append(entry)
    return rules, results


def merge_into_sarif(log: dict[str, Any], result: GateResult, repo: Path) -> dict[str, Any]:
    """Add the gate's rules and results to the check's single SARIF run."""
    run = log["runs"][0]
    rules: list[dict[str, Any]] = run["tool"]["driver"]["rules"]
    new_rules, results = sarif_rules_results(result, repo, len(rules))
    rules.extend(new_rules)
    run["results"].extend(results)
    return log
