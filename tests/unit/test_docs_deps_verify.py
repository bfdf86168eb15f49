"""A model's dependency cited only from documentation: refuted when the cited lines merely
mention the target (a list of services to start, a folder layout), not when they state
that something needs it (a Dependencies list item, "the web app requires billing")."""

from __future__ import annotations

from pathlib import Path

from ddd_llm.models import Citation, Dependency
from ddd_llm.verify.verifier import verify

README = """\
# shop

## Layout

- `web/` - the storefront, run next to `billing` and `search`

## Dependencies

- redis (optional) - session cache

## Running

To use the demo data, start web, billing and search with the `demo` profile.

The web app requires billing to take payments; search is optional.

Redis must be running before web starts.
"""
SERVICES = ["web", "billing", "search"]


def status(tmp_path: Path, service: str | None, target: str, line: int) -> tuple[str, str]:
    (tmp_path / "README.md").write_text(README)
    claim = Dependency(
        service=service,
        target=target,
        summary=f"{service} needs {target}",
        citations=[Citation(path="README.md", start_line=line, end_line=line)],
        origin="llm",
    )
    result = verify(tmp_path, [], [], [claim], services=SERVICES, texts={"README.md": README})
    for fact in [*result.facts, *result.rejected]:
        if fact.id == claim.id:
            said = [c.detail for c in fact.verification.checks if c.name == "docs_state_it"]
            return fact.verification.status, " ".join(said)
    raise AssertionError("the claim vanished")


def test_a_line_that_only_mentions_the_target_refutes_the_claim(tmp_path: Path) -> None:
    # a layout line naming billing; a sentence listing services to start
    assert status(tmp_path, "search", "billing", 5)[0] == "contradicted"
    state, why = status(tmp_path, "billing", "search", 13)
    assert state == "contradicted" and "only mentions" in why


def test_a_sentence_or_a_needs_list_that_states_it_is_not_refuted(tmp_path: Path) -> None:
    state, why = status(tmp_path, "web", "billing", 15)
    # documentation alone never verifies (prose is a claim, not evidence), but it stands
    assert state == "unverified" and "says something needs" in why
    state, why = status(tmp_path, None, "redis", 9)
    assert state != "contradicted" and "under “Dependencies”" in why
    state, why = status(tmp_path, "web", "redis", 17)  # the passive form
    assert state == "unverified" and "says something needs" in why
    # the same sentence does not make search need billing: web is its subject
    assert status(tmp_path, "search", "billing", 15)[0] == "contradicted"
