"""Docs site per fixture and per real repository: the static extract, `ddd-llm site`, and the
real `mkdocs build --strict` (its time and page count), every internal link of the built
HTML followed.

Run (mkdocs and mkdocs-material come with the [dev] extra):

    .venv/bin/python -m benchmarks.site_build                 # every fixture and evals/real repo
    .venv/bin/python -m benchmarks.site_build pgbouncer k8s-payments

Fixtures have no web address, so their citations are plain text; real repositories link to
their upstream at the pinned commit (`url` and `commit` of evals/real/<name>/ORIGIN.md).
The extract is `--llm none --no-index` (the site reads only facts.json and the Markdown).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ddd_llm.config import ExtractOptions
from ddd_llm.pipeline import extract
from ddd_llm.render.site import broken_links, write_site

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
REAL = ROOT / "evals" / "real"


@dataclass
class Target:
    name: str
    repo: Path
    repo_url: str | None


@dataclass
class Row:
    name: str
    extract_s: float
    site_s: float
    build_s: float
    ok: bool
    md_pages: int
    html_pages: int
    services: int
    broken: int
    link: str


def origin_url(folder: Path) -> str | None:
    """`<url>/blob/<commit>` from an evals/real ORIGIN.md, or None."""
    try:
        text = (folder / "ORIGIN.md").read_text(encoding="utf-8")
    except OSError:
        return None
    url = re.search(r"^- url: (\S+)", text, re.M)
    commit = re.search(r"^- commit: ([0-9a-f]{40})", text, re.M)
    if not url or not commit:
        return None
    return f"{url.group(1).rstrip('/')}/blob/{commit.group(1)}"


def targets(names: list[str]) -> list[Target]:
    found = [Target(p.name, p, None) for p in sorted(FIXTURES.iterdir()) if p.is_dir()]
    found += [
        Target(p.name, p / "repo", origin_url(p))
        for p in sorted(REAL.iterdir())
        if (p / "repo").is_dir()
    ]
    return [t for t in found if not names or t.name in names]


def mkdocs_build(site_dir: Path) -> tuple[bool, float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"]
        + ["-f", str(site_dir / "mkdocs.yml"), "-d", str(site_dir / "html")],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    return done.returncode == 0, time.perf_counter() - start, done.stderr


def run(target: Target, work: Path) -> Row:
    out = work / target.name
    start = time.perf_counter()
    result = extract(target.repo, ExtractOptions(out_dir=out, llm="none", index=False))
    extract_s = time.perf_counter() - start
    start = time.perf_counter()
    site = write_site(out, repo_url=target.repo_url, repo_root=target.repo)
    site_s = time.perf_counter() - start
    ok, build_s, stderr = mkdocs_build(site.site_dir)
    if not ok:
        print(f"{target.name}: mkdocs build --strict failed:\n{stderr}", file=sys.stderr)
    html = site.site_dir / "html"
    html_pages = [p for p in html.rglob("*.html") if p.name != "404.html"] if ok else []
    broken = broken_links(html) if ok else []
    for line in broken[:5]:
        print(f"{target.name}: broken: {line}", file=sys.stderr)
    return Row(
        target.name,
        extract_s,
        site_s,
        build_s,
        ok,
        len(site.pages),
        len(html_pages),
        len(result.document.services),
        len(broken),
        "web" if site.web else "text",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="fixtures or evals/real repositories (all)")
    args = parser.parse_args()
    chosen = targets(args.names)
    if not chosen:
        print("no such fixture or repository", file=sys.stderr)
        return 2
    header = (
        f"{'repository':28} {'extract s':>9} {'site s':>7} {'build s':>8} {'strict':>6} "
        f"{'md pages':>8} {'html pages':>10} {'services':>8} {'broken':>6} {'citations':>9}"
    )
    print(f"# site_build {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]}")
    print(header)
    rows = []
    with tempfile.TemporaryDirectory(prefix="ddd-site-") as tmp:
        for target in chosen:
            row = run(target, Path(tmp))
            rows.append(row)
            print(
                f"{row.name:28} {row.extract_s:9.2f} {row.site_s:7.2f} {row.build_s:8.2f} "
                f"{'pass' if row.ok else 'FAIL':>6} {row.md_pages:8d} {row.html_pages:10d} "
                f"{row.services:8d} {row.broken:6d} {row.link:>9}",
                flush=True,
            )
    built = [r for r in rows if r.ok]
    pages = sum(r.html_pages for r in built)
    build = sum(r.build_s for r in built)
    extract_s = sum(r.extract_s for r in built)
    print(
        f"\n{len(built)}/{len(rows)} sites built with --strict; {pages} pages in {build:.1f} s "
        f"({build / max(pages, 1) * 1000:.0f} ms a page); mkdocs build / static extract = "
        f"{build / max(extract_s, 1e-9):.2f}; broken internal links: "
        f"{sum(r.broken for r in rows)}"
    )
    return 0 if len(built) == len(rows) and not any(r.broken for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
