"""A dependency reached on loopback at a port another service publishes on the host.

`WEB_API=http://localhost:5200/` in one service's settings names no service: it names a port.
The claim "web depends on api" holds when another of its citations is the line where api
publishes host port 5200 (a static port fact of api cites that line) and the setting's line
calls that port. Then neither line has to spell `api`: the publishing line lies in api's
own declaration, and the setting's line holds the port api publishes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ddd_llm.evidence.deploy._reach import published_port
from ddd_llm.models import Check, Citation, Dependency, ResourceRequirement
from ddd_llm.scan.repotext import RepoText, normalise

KEY_CHECK = "cites_key"


def _calls(text: str, port: str) -> bool:
    return re.search(rf":{re.escape(port)}(?!\d)", text) is not None


def published_port_keys(
    claim: Dependency,
    checks: list[Check],
    files: RepoText,
    ports: Sequence[ResourceRequirement],
) -> list[Check]:
    """`checks` with the failing cites_key checks of such a claim's two lines passed."""
    target = normalise(claim.target)
    cited = {str(c) for c in claim.citations}
    published: dict[str, str] = {}  # citation → the host port the target publishes there
    for fact in ports:
        port = published_port(fact.value)
        if port is None or normalise(fact.service or "") != target:
            continue
        for c in fact.citations:
            if str(c) in cited:
                published[str(c)] = str(port)
    if not published:
        return checks
    texts = {str(c): _text(files, c) for c in claim.citations}
    out: list[Check] = []
    for check in checks:
        if check.name != KEY_CHECK or check.passed:
            out.append(check)
            continue
        where = next((c for c in texts if check.detail.startswith(c + " ")), None)
        if where is not None and where in published:
            detail = f"{where} publishes host port {published[where]} of {claim.target}"
            out.append(Check(name=KEY_CHECK, passed=True, detail=detail))
        elif where is not None and (
            called := next((p for p in published.values() if _calls(texts[where], p)), None)
        ):
            detail = f"{where} calls port {called}, which {claim.target} publishes on the host"
            out.append(Check(name=KEY_CHECK, passed=True, detail=detail))
        else:
            out.append(check)
    return out


def _text(files: RepoText, citation: Citation) -> str:
    lines = files.lines(citation.path) or []
    return "\n".join(lines[citation.start_line - 1 : citation.end_line])
