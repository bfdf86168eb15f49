"""Static runs of the fixtures for the artifact tests: a copy of each fixture, a fixed clock."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from ddd_llm.config import ExtractOptions
from ddd_llm.pipeline import ExtractResult, extract
from tests.conftest import FIXTURES

ARTIFACT_FIXTURES = ("compose-shop", "k8s-payments", "vm-telemetry")
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE_ENV = "DDD_LLM_UPDATE_SNAPSHOTS"
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)?")
_FINGERPRINT = re.compile(r"`[0-9a-f]{16}`")


def fixed_clock() -> datetime:
    return datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def static_run(name: str, workdir: Path) -> ExtractResult:
    """`extract --llm none --no-index` on a copy of the fixture, written to COPY/.ddd."""
    repo = workdir / name
    shutil.copytree(FIXTURES / name, repo)
    return extract(repo, ExtractOptions(llm="none", index=False), clock=fixed_clock)


def normalise(text: str, repo: Path, name: str) -> str:
    """Artifact text without what differs between machines: paths, times, the fingerprint."""
    text = text.replace(str(repo), f"fixtures/{name}")
    text = _TIME.sub("<time>", text)
    return _FINGERPRINT.sub("`<fingerprint>`", text)
