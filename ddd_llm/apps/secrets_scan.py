"""The scan-secrets report: what extract would redact, by path and line, for a person to review."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ddd_llm.models import Skipped
from ddd_llm.scan.redact import in_tests
from ddd_llm.scan.scanner import MAX_FILE_BYTES, Redaction, scan

LIVE_SECRETS_REASON = "may hold live secrets"
"""The scan's skip reason for `.env`, private-key files and the like (never read)."""


@dataclass(frozen=True)
class SecretsReport:
    """Where secrets were found (never their values) and which files were not read at all."""

    root: str
    files_scanned: int
    findings: list[Redaction] = field(default_factory=list)
    not_read: list[Skipped] = field(default_factory=list)

    @property
    def files_with_secrets(self) -> int:
        return len({f.path for f in self.findings})

    @property
    def in_code(self) -> list[Redaction]:
        """Findings outside test code and fixtures."""
        return [f for f in self.findings if not in_tests(f.path)]

    @property
    def in_tests(self) -> list[Redaction]:
        """Findings in test code and fixtures, reported separately."""
        return [f for f in self.findings if in_tests(f.path)]

    def by_kind(self) -> dict[str, int]:
        return dict(Counter(f.kind for f in self.findings).most_common())

    def to_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "files_scanned": self.files_scanned,
            "files_with_secrets": self.files_with_secrets,
            "findings": [
                {
                    "path": f.path,
                    "line": f.line,
                    "end_line": f.end_line,
                    "kind": f.kind,
                    "in_tests": in_tests(f.path),
                }
                for f in self.findings
            ],
            "findings_outside_tests": len(self.in_code),
            "findings_in_tests": len(self.in_tests),
            "by_kind": self.by_kind(),
            "not_read": [{"path": s.path, "reason": s.reason} for s in self.not_read],
        }


def scan_secrets(root: Path, *, max_bytes: int = MAX_FILE_BYTES) -> SecretsReport:
    """Run the scan stage (which redacts as it reads) and report what it masked."""
    result = scan(root, max_bytes=max_bytes)
    return SecretsReport(
        root=str(root),
        files_scanned=len(result.files),
        findings=sorted(result.redactions, key=lambda r: (r.path, r.line, r.kind)),
        not_read=[s for s in result.skipped if s.reason.startswith(LIVE_SECRETS_REASON)],
    )
