"""Drift findings as a table (people), JSON (scripts) or SARIF 2.1.0 (CI, as `check` writes it).

Values shown are the records' values, already scrubbed when read: a secret appears as
`[REDACTED]`, never as itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ddd_llm import __version__
from ddd_llm.drift.compare import LEVEL_RANK, DriftFinding, DriftResult, Level
from ddd_llm.render.sarif import checkout_prefix, location, sarif_log

SARIF_LEVELS = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "INFO": "note"}
RULES = {
    "out_of_range": "a live value outside the parameter's safe range",
    "not_allowed": "a live value that is not one of the parameter's allowed values",
    "bad_value": "a live value that is not of the parameter's type",
    "unknown_parameter": "a live key the service does not read (a typo or a removed option)",
    "probe_missing": "a probe declared in the repository is missing live",
    "limit_missing": "a resource limit declared in the repository is missing live",
    "request_missing": "a resource request declared in the repository is missing live",
    "limit_below_request": "a live limit below the request the repository declares",
    "differs": "a live value that differs from the repository's",
    "probe_differs": "a live probe whose timing differs from the repository's",
    "resource_differs": "a live amount that differs from the repository's",
}


def _short(text: str | None, limit: int = 40) -> str:
    if text is None:
        return "-"
    one = text.replace("\n", "⏎")
    return one if len(one) <= limit else one[: limit - 1] + "…"


def as_text(result: DriftResult, fail_on: Level | None) -> str:
    counts = result.counts()
    failing = result.failing(fail_on)
    head = "FAIL" if failing else "PASS"
    lines = [
        f"{head} drift: "
        + " · ".join(f"{n} {level}" for level, n in counts.items())
        + f" · {result.compared} live values compared",
    ]
    rows = [("LEVEL", "SERVICE", "KEY", "LIVE", "REPO", "WHERE", "FINDING")]
    for f in result.findings:
        rows.append(
            (
                f.level,
                f.service or "-",
                _short(f.key, 32),
                _short(f.live, 24),
                _short(f.repo, 24),
                str(f.where),
                f.message + (f" [repo: {f.citation}]" if f.citation else ""),
            )
        )
    if result.findings:
        widths = [max(len(r[i]) for r in rows) for i in range(6)]
        for row in rows:
            cells = [row[i].ljust(widths[i]) for i in range(6)]
            lines.append("  ".join([*cells, row[6]]).rstrip())
    lines += _accounting(result)
    return "\n".join(lines)


def _accounting(result: DriftResult) -> list[str]:
    lines = []
    sources = ", ".join(f"{s.path} ({s.format})" for s in result.sources)
    lines.append(f"sources: {sources}")
    if result.secrets:
        lines.append(
            f"secrets: {result.secrets} live secret values present, never compared or shown"
        )
    for reason, n in sorted(result.ignored.items()):
        lines.append(f"ignored: {n} keys — {reason}")
    for reason, n in sorted(result.unjudged.items()):
        lines.append(f"not judged: {n} keys — {reason}")
    lines += [f"note: {n}" for n in result.notes]
    for source in result.sources:
        lines += [f"warning: {n}" for n in source.notes]
    return lines


def _finding_json(f: DriftFinding) -> dict[str, Any]:
    return {
        "level": f.level,
        "rule": f.rule,
        "service": f.service,
        "key": f.key,
        "message": f.message,
        "live": f.live,
        "repo": f.repo,
        "where": str(f.where),
        "citation": f.citation.model_dump() if f.citation else None,
        "suggestion": f.suggestion,
    }


def as_json(result: DriftResult, fail_on: Level | None) -> dict[str, Any]:
    failing = result.failing(fail_on)
    return {
        "passed": not failing,
        "exit_code": 1 if failing else 0,
        "fail_on": fail_on,
        "counts": result.counts(),
        "compared": result.compared,
        "secrets": result.secrets,
        "ignored": dict(result.ignored),
        "unjudged": dict(result.unjudged),
        "sources": [
            {"path": s.path, "format": s.format, "service": s.given_service, "warnings": s.notes}
            for s in result.sources
        ],
        "notes": result.notes,
        "findings": [_finding_json(f) for f in result.findings],
    }


def to_sarif(result: DriftResult, root: Path) -> dict[str, Any]:
    """One run of the ddd-llm driver: a rule per finding kind, results at the repository line
    that declares what the live value was compared with (the live file is in properties)."""
    checkout, prefix = checkout_prefix(root)
    used = sorted(
        {f.rule for f in result.findings},
        key=lambda r: min(LEVEL_RANK[f.level] for f in result.findings if f.rule == r),
    )
    index = {rule: i for i, rule in enumerate(used)}
    rules = []
    for rule in used:
        level = min(
            (f.level for f in result.findings if f.rule == rule), key=lambda lv: LEVEL_RANK[lv]
        )
        rules.append(
            {
                "id": f"drift/{rule}",
                "name": "Drift" + "".join(p.capitalize() for p in rule.split("_")),
                "shortDescription": {"text": f"Configuration drift: {RULES.get(rule, rule)}"},
                "defaultConfiguration": {"level": SARIF_LEVELS[level]},
                "properties": {"priority": level, "tags": ["drift", level.lower()]},
            }
        )
    results = []
    for f in result.findings:
        item: dict[str, Any] = {
            "ruleId": f"drift/{f.rule}",
            "ruleIndex": index[f.rule],
            "level": SARIF_LEVELS[f.level],
            "message": {"text": f"{f.message} (live: {f.where})"},
            "partialFingerprints": {"dddDrift/v1": f"{f.rule}:{f.service or '-'}:{f.key}"},
            "properties": {
                "priority": f.level,
                "service": f.service,
                "liveSource": str(f.where),
                "live": f.live,
                "repo": f.repo,
            },
        }
        if f.citation is not None:
            item["locations"] = [location(f.citation, prefix)]
        results.append(item)
    return sarif_log(rules, results, checkout, "ddd-llm", __version__)


def render(result: DriftResult, fmt: str, root: Path, fail_on: Level | None) -> str:
    if fmt == "json":
        return json.dumps(as_json(result, fail_on), indent=2, ensure_ascii=False)
    if fmt == "sarif":
        return json.dumps(to_sarif(result, root), indent=2, ensure_ascii=False)
    return as_text(result, fail_on)
