"""Secret-detector precision on hand-labelled findings from real repositories.

`benchmarks/data/secret-labels.json` holds findings of the detector before and after issue #16
on three public repositories (pinned commits), each labelled by hand; this script runs the
current detector over the same files and reports how many of its findings are labelled, and
its precision on them (overall and outside test code, which scan-secrets reports apart).

    .venv/bin/python benchmarks/secrets_precision.py [--mirror /work/.mirror]

Needs the repositories' snapshots (the `fetch` tool puts them under /work/.mirror/OWNER+NAME).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ddd_llm.apps.secrets_scan import in_tests  # noqa: E402
from ddd_llm.scan.redact import find_secrets  # noqa: E402


def files_at(git_dir: Path, commit: str) -> dict[str, str]:
    names = subprocess.run(
        ["git", "-C", str(git_dir), "ls-tree", "-r", "--name-only", commit],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    out = {}
    for name in names:
        blob = subprocess.run(
            ["git", "-C", str(git_dir), "show", f"{commit}:{name}"],
            capture_output=True,
            check=False,
        ).stdout
        if len(blob) > 1_000_000 or b"\0" in blob[:8000]:
            continue
        try:
            out[name] = blob.decode("utf-8")
        except UnicodeDecodeError:
            continue
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    args = ap.parse_args()
    data = json.loads((ROOT / "benchmarks/data/secret-labels.json").read_text())
    labels = {
        (f["repo"], f["path"], f["line"], f["value_sha256"]): f["label"] for f in data["findings"]
    }
    found: list[tuple[str, str, int, str]] = []
    for repo, commit in data["repos"].items():
        git_dir = args.mirror / repo.replace("/", "+") / "repo"
        if not git_dir.exists():
            print(f"skip {repo}: no snapshot at {git_dir} (fetch github:{repo})")
            continue
        for path, text in files_at(git_dir, commit).items():
            for start, end, _kind in find_secrets(text, path):
                line = text.count("\n", 0, start) + 1
                digest = hashlib.sha256(text[start:end][:80].encode()).hexdigest()
                found.append((repo, path, line, digest))
    labelled = [(k, labels[k]) for k in found if k in labels]
    unlabelled = [k for k in found if k not in labels]
    secret = sum(1 for _, v in labelled if v == "secret")
    main_report = [(k, v) for k, v in labelled if not in_tests(k[1])]
    main_secret = sum(1 for _, v in main_report if v == "secret")
    all_secrets = sum(1 for v in labels.values() if v == "secret")
    print(f"labelled findings in the set: {len(labels)} ({all_secrets} secrets)")
    print(
        f"current detector: {len(found)} findings, {len(labelled)} labelled, "
        f"{len(unlabelled)} not labelled"
    )
    print(f"precision (labelled): {secret}/{len(labelled)} = {secret / max(len(labelled), 1):.3f}")
    print(
        f"precision outside tests: {main_secret}/{len(main_report)} = "
        f"{main_secret / max(len(main_report), 1):.3f}"
    )
    print(f"recall of labelled secrets: {secret}/{all_secrets}")
    for k in unlabelled:
        print("  not labelled:", k[0], f"{k[1]}:{k[2]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
