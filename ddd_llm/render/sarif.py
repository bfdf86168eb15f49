"""Gaps as SARIF 2.1.0, so CI code scanning shows them as annotations at the cited lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ddd_llm.assess.assessor import GAP_RULES, PRIORITY_RANK
from ddd_llm.models import Citation, FactsDocument, Gap

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"CRITICAL": "error", "HIGH": "warning", "MEDIUM": "warning", "LOW": "note"}
"""SARIF has three levels; CRITICAL gaps fail a scan, LOW ones are notes."""

BASE_ID = "%SRCROOT%"


def checkout_prefix(root: Path) -> tuple[Path, str]:
    """The enclosing checkout (the folder holding `.git`) and the repository's path inside it.

    Code scanning resolves locations against the checkout, so a repository analysed in
    a subfolder (`services/shop`) must prefix its paths; without a checkout, none.
    """
    resolved = root.resolve()
    for folder in (resolved, *resolved.parents):
        if (folder / ".git").exists():
            prefix = resolved.relative_to(folder).as_posix()
            return folder, "" if prefix == "." else prefix
    return resolved, ""


def _rule_name(category: str) -> str:
    return "".join(part.capitalize() for part in category.split("_"))


def location(citation: Citation, prefix: str) -> dict[str, Any]:
    uri = f"{prefix}/{citation.path}" if prefix else citation.path
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": uri, "uriBaseId": BASE_ID},
            "region": {"startLine": citation.start_line, "endLine": citation.end_line},
        }
    }


def _message(gap: Gap) -> str:
    text = gap.message
    if gap.fix:
        text += f". Fix: {gap.fix}"
        if gap.fix_in:
            text += " (in " + ", ".join(gap.fix_in) + ")"
    return text


def to_sarif(doc: FactsDocument, root: Path | None = None) -> dict[str, Any]:
    """One run of the ddd-llm driver: a rule per gap category, a result per gap."""
    checkout, prefix = checkout_prefix(root or Path(doc.repo.root))
    categories = sorted(
        {g.category for g in doc.gaps},
        key=lambda c: (PRIORITY_RANK.get(GAP_RULES[c].priority, 9) if c in GAP_RULES else 9, c),
    )
    index = {c: i for i, c in enumerate(categories)}
    rules = []
    for category in categories:
        rule = GAP_RULES.get(category)
        priority = rule.priority if rule else _first_priority(doc.gaps, category)
        when = rule.when if rule else category.replace("_", " ")
        rules.append(
            {
                "id": category,
                "name": _rule_name(category),
                "shortDescription": {"text": f"Maintenance gap: {when}"},
                "fullDescription": {
                    "text": f"{priority} maintenance gap ({category}): raised when {when}."
                },
                "defaultConfiguration": {"level": LEVELS.get(priority, "warning")},
                "properties": {"priority": priority, "tags": ["maintenance", priority.lower()]},
            }
        )
    results = []
    for gap in sorted(doc.gaps, key=lambda g: (PRIORITY_RANK.get(g.priority, 9), g.id)):
        result: dict[str, Any] = {
            "ruleId": gap.category,
            "ruleIndex": index[gap.category],
            "level": LEVELS.get(gap.priority, "warning"),
            "message": {"text": _message(gap)},
            "partialFingerprints": {"dddGapId/v1": gap.id},
            "properties": {
                "priority": gap.priority,
                "service": gap.service,
                "blocks": gap.blocks,
                "fixIn": list(gap.fix_in),
            },
        }
        if gap.citations:
            result["locations"] = [location(gap.citations[0], prefix)]
            if len(gap.citations) > 1:
                result["relatedLocations"] = [
                    {"id": i, **location(c, prefix)} for i, c in enumerate(gap.citations[1:], 1)
                ]
        results.append(result)
    return sarif_log(rules, results, checkout, doc.tool.name, doc.tool.version)


def sarif_log(
    rules: list[dict[str, Any]],
    results: list[dict[str, Any]],
    checkout: Path,
    name: str,
    version: str,
) -> dict[str, Any]:
    """One SARIF 2.1.0 run of ddd-llm: the envelope `check` and `drift` share."""
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": name,
                        "version": version,
                        "semanticVersion": version,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {BASE_ID: {"uri": checkout.as_uri().rstrip("/") + "/"}},
                "invocations": [{"executionSuccessful": True}],
                "results": results,
            }
        ],
    }


def _first_priority(gaps: list[Gap], category: str) -> str:
    return next((g.priority for g in gaps if g.category == category), "MEDIUM")
