"""`ddd-llm site` and `extract --site`: the real `mkdocs build --strict` on the generated site,
every internal link and anchor of the built HTML followed, citations as web links with the
right line anchors (or as plain text when no web address is known), Backstage metadata."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ddd_llm.cli.app import app
from ddd_llm.models import Citation, FactsDocument
from ddd_llm.render.site import (
    RepoWeb,
    broken_links,
    check_links,
    parse_repo_url,
    remote_web_url,
    rewrite_citations,
)
from tests.conftest import FIXTURES

runner = CliRunner()
STATIC = ["--llm", "none", "--no-index"]
URL = "https://github.com/acme/shop"
SITE_FIXTURES = ("compose-shop", "k8s-payments")
HAS_MKDOCS = all(importlib.util.find_spec(m) for m in ("mkdocs", "material", "pymdownx"))
needs_mkdocs = pytest.mark.skipif(
    not HAS_MKDOCS,
    reason="mkdocs is not installed: .venv/bin/pip install -e '.[dev]' "
    "(mkdocs, mkdocs-material); CI installs it",
)
HAS_GIT = shutil.which("git") is not None


def mkdocs_build(site_dir: Path) -> subprocess.CompletedProcess[str]:
    """The real `mkdocs build --strict` on SITE_DIR/mkdocs.yml, into SITE_DIR/html."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"]
        + ["-f", str(site_dir / "mkdocs.yml"), "-d", str(site_dir / "html")],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
        check=False,
    )


def extract(repo: Path, out: Path, *args: str) -> None:
    result = runner.invoke(app, ["extract", str(repo), *STATIC, "--out", str(out), *args])
    assert result.exit_code == 0, result.output


def site(out: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["site", str(out), *args])
    return result.exit_code, result.stderr


def facts(out: Path) -> FactsDocument:
    return FactsDocument.model_validate_json((out / "facts.json").read_text(encoding="utf-8"))


def html_of(page: str) -> str:
    """Where mkdocs (directory URLs) puts a Markdown page: README.md is the index."""
    if page == "README.md":
        return "index.html"
    stem = page.removesuffix(".md")
    return f"{stem}.html" if stem.endswith("index") else f"{stem}/index.html"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Each fixture copied outside any git checkout (so no remote is found) and extracted
    once: name → (repository, output folder)."""
    base = tmp_path_factory.mktemp("site")
    done = {}
    for name in SITE_FIXTURES:
        repo, out = base / "repos" / name, base / "out" / name
        shutil.copytree(FIXTURES / name, repo)
        extract(repo, out)
        done[name] = (repo, out)
    return done


@pytest.fixture(scope="module")
def built(runs: dict[str, tuple[Path, Path]]) -> dict[str, Path]:
    """`ddd-llm site OUT --repo-url URL` and `mkdocs build --strict` per fixture: name → the
    site folder (mkdocs.yml, docs/, html/)."""
    if not HAS_MKDOCS:
        pytest.skip("mkdocs is not installed: .venv/bin/pip install -e '.[dev]'")
    sites = {}
    for name, (_, out) in runs.items():
        code, err = site(out, "--repo-url", URL)
        assert code == 0, err
        done = mkdocs_build(out / "site")
        assert done.returncode == 0, f"mkdocs build --strict failed on {name}:\n{done.stderr}"
        sites[name] = out / "site"
    return sites


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


# ------------------------------------------------------------------ the built site


@needs_mkdocs
@pytest.mark.parametrize("name", SITE_FIXTURES)
def test_the_site_builds_strict_and_every_internal_link_resolves(
    name: str, built: dict[str, Path], runs: dict[str, tuple[Path, Path]]
) -> None:
    folder = built[name]
    doc = facts(runs[name][1])
    pages = sorted(
        p.relative_to(folder / "docs").as_posix() for p in (folder / "docs").rglob("*.md")
    )
    assert {"README.md", "runbook-daily.md", "gaps.md", "services/index.md"} <= set(pages)
    for page in pages:
        assert (folder / "html" / html_of(page)).is_file(), page
    assert broken_links(folder / "html") == []
    config = (folder / "mkdocs.yml").read_text(encoding="utf-8")
    for section in ("By cadence", "Checklists and procedures", "Services", "Gaps", "Compliance"):
        assert f'"{section}"' in config
    for service in doc.services:  # a page per service, in the nav, built
        assert f'"{service.name}": "services/' in config
        index = (folder / "html" / "services" / "index.html").read_text(encoding="utf-8")
        assert f">{service.name}</a>" in index
    escalation = (folder / "html" / "escalation" / "index.html").read_text(encoding="utf-8")
    assert '<pre class="mermaid"><code>flowchart TD' in escalation
    assert "language-mermaid" not in escalation  # a diagram for the browser, not a code block
    # facts.json is published beside the pages and the index links to it
    assert (folder / "html" / "facts.json").is_file()
    assert 'href="facts.json"' in (folder / "html" / "index.html").read_text(encoding="utf-8")


@needs_mkdocs
@pytest.mark.parametrize("name", SITE_FIXTURES)
def test_citations_link_to_the_cited_lines_on_the_web(
    name: str, built: dict[str, Path], runs: dict[str, tuple[Path, Path]]
) -> None:
    repo, out = runs[name]
    doc = facts(out)
    html_dir = built[name] / "html"
    shape = re.compile(re.escape(URL) + r"/blob/HEAD/([^#]+)#L(\d+)(?:-L(\d+))?")
    seen: set[str] = set()
    for page in html_dir.rglob("*.html"):
        for href in hrefs(page.read_text(encoding="utf-8")):
            assert "#L" not in href or href.startswith(URL), f"{page}: {href}"
            if href.startswith(URL + "/blob/"):
                m = shape.fullmatch(href)
                assert m, href
                lines = (repo / m.group(1)).read_text(encoding="utf-8").count("\n") + 1
                start, end = int(m.group(2)), int(m.group(3) or m.group(2))
                assert 1 <= start < end <= lines or start == end <= lines, href
                assert m.group(3) != m.group(2), f"{href}: a one-line range is written #L{start}"
                seen.add(href)
    # every gap's first citation, exactly as GitHub anchors it, on the gaps page
    gaps = (html_dir / "gaps" / "index.html").read_text(encoding="utf-8")
    web = RepoWeb(base=f"{URL}/blob/HEAD")
    cited = [g.citations[0] for g in doc.gaps if g.citations]
    assert cited
    for c in cited:
        assert f'href="{web.href(c)}"' in gaps, c
    # and every health check's citations in the daily runbook
    daily = (html_dir / "runbook-daily" / "index.html").read_text(encoding="utf-8")
    checks = [f for f in doc.facts if f.fact_kind == "health_check" and f.service]
    assert checks
    assert any(f'href="{web.href(f.citations[0])}"' in daily for f in checks)
    assert len(seen) >= len({web.href(c) for c in cited})


@needs_mkdocs
def test_without_a_web_address_citations_are_plain_text_and_the_build_still_passes(
    runs: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    _, out = runs["compose-shop"]
    code, err = site(out, "--site-dir", str(tmp_path / "plain"))
    assert code == 0, err
    assert "no git remote origin is known" in err
    assert "citations shown as text" in err
    docs = tmp_path / "plain" / "docs"
    for page in docs.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"\]\([^)]*#L\d", text), page  # no citation link left
    done = mkdocs_build(tmp_path / "plain")
    assert done.returncode == 0, done.stderr
    gaps = (tmp_path / "plain" / "html" / "gaps" / "index.html").read_text(encoding="utf-8")
    first = next(g.citations[0] for g in facts(out).gaps if g.citations)
    assert f"<code>{first}</code>" in gaps
    assert all("#L" not in h for h in hrefs(gaps))
    assert broken_links(tmp_path / "plain" / "html") == []
    catalog = yaml.safe_load((tmp_path / "plain" / "catalog-info.yaml").read_text("utf-8"))
    assert "backstage.io/source-location" not in catalog["metadata"]["annotations"]


@needs_mkdocs
def test_the_checker_catches_planted_breaks_and_passes_the_real_site(
    built: dict[str, Path], tmp_path: Path
) -> None:
    html_dir = built["compose-shop"] / "html"
    assert broken_links(html_dir) == []
    planted = tmp_path / "html"
    shutil.copytree(html_dir, planted)
    page = planted / "runbook-daily" / "index.html"
    text = page.read_text(encoding="utf-8")
    plants = (
        '<a href="../nowhere/">gone</a>'
        '<a href="../gaps/#no-such-heading">bad anchor</a>'
        '<a href="../../../outside.md">out</a>'
    )
    page.write_text(text.replace("</article>", plants + "</article>", 1), encoding="utf-8")
    found = broken_links(planted)
    assert len(found) == 3, found
    assert any("../nowhere/ is not in the site" in f for f in found)
    assert any("../gaps/#no-such-heading names no element" in f for f in found)
    assert any("leads out of the site" in f for f in found)


@needs_mkdocs
def test_strict_mkdocs_fails_on_a_citation_left_relative(
    built: dict[str, Path], tmp_path: Path
) -> None:
    """Why the citations are rewritten: the artifact's own relative link breaks the build."""
    copy = tmp_path / "copy"
    shutil.copytree(built["compose-shop"], copy, ignore=shutil.ignore_patterns("html"))
    page = copy / "docs" / "gaps.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(text + "\nEvidence: [api/Dockerfile:18](../../api/Dockerfile#L18)\n", "utf-8")
    done = mkdocs_build(copy)
    assert done.returncode != 0
    assert "api/Dockerfile" in done.stderr
    page.write_text(text, encoding="utf-8")  # and the page as written builds
    assert mkdocs_build(copy).returncode == 0


def techdocs_python() -> str | None:
    """A Python with mkdocs-techdocs-core: this one, or DDD_LLM_TECHDOCS_PYTHON (its release
    pins an older mkdocs-material, so it usually lives in an environment of its own)."""
    if importlib.util.find_spec("techdocs_core"):
        return sys.executable
    return os.environ.get("DDD_LLM_TECHDOCS_PYTHON")


@pytest.mark.skipif(
    techdocs_python() is None,
    reason="mkdocs-techdocs-core is not installed (it pins mkdocs-material==9.7.7): "
    "python -m venv V && V/bin/pip install mkdocs-techdocs-core, then "
    "DDD_LLM_TECHDOCS_PYTHON=V/bin/python",
)
def test_backstage_techdocs_core_builds_the_site_strict(
    built: dict[str, Path], tmp_path: Path
) -> None:
    """As TechDocs builds it: the techdocs-core plugin added to the generated mkdocs.yml."""
    copy = tmp_path / "techdocs"
    shutil.copytree(built["compose-shop"], copy, ignore=shutil.ignore_patterns("html"))
    config = copy / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "\n  - search\n" in text
    config.write_text(text.replace("\n  - search\n", "\n  - search\n  - techdocs-core\n"), "utf-8")
    done = subprocess.run(
        [str(techdocs_python()), "-m", "mkdocs", "build", "--strict"]
        + ["-f", str(config), "-d", str(copy / "html")],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert broken_links(copy / "html") == []


# ------------------------------------------------------------------ extract --site, rewrite


def test_extract_site_writes_the_site_and_backstage_metadata(tmp_path: Path) -> None:
    repo, out = tmp_path / "repo", tmp_path / "out"
    shutil.copytree(FIXTURES / "k8s-payments", repo)
    result = runner.invoke(
        app, ["extract", str(repo), *STATIC, "--out", str(out), "--site", "--repo-url", URL]
    )
    assert result.exit_code == 0, result.output
    folder = out / "site"
    assert str(folder / "mkdocs.yml") in result.stderr.replace("\n", "")  # console wraps
    catalog = yaml.safe_load((folder / "catalog-info.yaml").read_text(encoding="utf-8"))
    assert catalog["kind"] == "Component"
    assert catalog["metadata"]["name"] == "repo"
    assert catalog["metadata"]["annotations"]["backstage.io/techdocs-ref"] == "dir:."
    assert catalog["metadata"]["annotations"]["backstage.io/source-location"] == f"url:{URL}"
    config = (folder / "mkdocs.yml").read_text(encoding="utf-8")
    assert f'repo_url: "{URL}"' in config
    assert "format: !!python/name:pymdownx.superfences.fence_code_format" in config
    services = {s.name for s in facts(out).services}
    pages = {p.stem for p in (folder / "docs" / "services").glob("*.md")}
    assert pages == services | {"index"}
    # a second run rewrites its own folder and drops pages that no longer exist
    (folder / "docs" / "services" / "gone.md").write_text("# gone\n", encoding="utf-8")
    code, err = site(out, "--repo-url", URL)
    assert code == 0, err
    assert not (folder / "docs" / "services" / "gone.md").exists()


def test_site_refuses_a_folder_it_did_not_write_and_bad_addresses(
    runs: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    _, out = runs["compose-shop"]
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    code, err = site(out, "--site-dir", str(foreign))
    assert code == 2
    assert "was not written by `ddd-llm site`" in err
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    code, err = site(out, "--repo-url", "https://bob:s3cr3t-token@github.com/acme/shop")
    assert code == 2
    assert "holds credentials" in err and "s3cr3t" not in err
    code, err = site(out, "--repo-url", "ftp://example.org/r")
    assert code == 2 and "not an http(s) address" in err
    code, err = site(tmp_path / "nothing-here")
    assert code == 2 and "facts.json does not exist" in err


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.org"]
        + ["-c", "commit.gpgsign=false", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
def test_the_git_remote_and_commit_make_the_links(tmp_path: Path) -> None:
    """A repository in a subfolder of a GitHub checkout: links carry the folder and the
    checkout's commit; a remote on another host gives plain text."""
    checkout = tmp_path / "checkout"
    repo = checkout / "services" / "shop"
    shutil.copytree(FIXTURES / "compose-shop", repo)
    (repo / ".github").mkdir()
    (repo / ".github" / "CODEOWNERS").write_text("* @acme/shop-ops\n", encoding="utf-8")
    git(checkout, "init", "-q")
    git(checkout, "add", "-A")
    git(checkout, "commit", "-q", "-m", "fixture")
    git(checkout, "remote", "add", "origin", "git@github.com:acme/shop.git")
    sha = git(checkout, "rev-parse", "HEAD")
    out = tmp_path / "out"
    extract(repo, out, "--site")
    daily = (out / "site" / "docs" / "runbook-daily.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((https://[^)]+)\)", daily)
    assert links
    prefix = f"https://github.com/acme/shop/blob/{sha}/services/shop/"
    assert all(link.startswith(prefix) for link in links), links[:3]
    assert f"{prefix}docker-compose.yml#L" in daily
    catalog = yaml.safe_load((out / "site" / "catalog-info.yaml").read_text(encoding="utf-8"))
    assert catalog["spec"]["owner"] == "group:shop-ops"
    api = (out / "site" / "docs" / "services" / "api.md").read_text(encoding="utf-8")
    assert f"Owner: @acme/shop-ops ([`.github/CODEOWNERS:1`]({prefix}.github/CODEOWNERS#L1))" in api
    # --repo-url naming the checkout's own origin: the same links
    code, err = site(out, "--repo-url", "https://github.com/acme/shop")
    assert code == 0, err
    assert (out / "site" / "docs" / "runbook-daily.md").read_text(encoding="utf-8") == daily
    # naming another repository (a vendored copy's upstream): the folder is its top
    code, err = site(out, "--repo-url", "https://github.com/upstream/shop/blob/v1.0")
    assert code == 0, err
    assert "is not the origin of the checkout holding services/shop" in err.replace("\n", " ")
    vendored = (out / "site" / "docs" / "runbook-daily.md").read_text(encoding="utf-8")
    assert "https://github.com/upstream/shop/blob/v1.0/docker-compose.yml#L" in vendored
    assert "/services/shop/" not in vendored
    git(checkout, "remote", "set-url", "origin", "https://git.example.org/acme/shop.git")
    code, err = site(out)
    assert code == 0, err
    assert "the git remote origin is not on GitHub or GitLab" in err
    daily = (out / "site" / "docs" / "runbook-daily.md").read_text(encoding="utf-8")
    assert not re.search(r"\]\([^)]*#L\d", daily)
    assert "`docker-compose.yml:" in daily


@pytest.mark.parametrize(
    ("remote", "web"),
    [
        ("git@github.com:acme/shop.git", "https://github.com/acme/shop"),
        ("https://github.com/acme/shop.git", "https://github.com/acme/shop"),
        ("https://x-token:ghp_abc@github.com/acme/shop", "https://github.com/acme/shop"),
        ("ssh://git@gitlab.com:2222/group/sub/shop.git", "https://gitlab.com/group/sub/shop"),
        ("git@gitlab.example.org:ops/shop.git", "https://gitlab.example.org/ops/shop"),
        ("https://bitbucket.org/acme/shop.git", None),
        ("/srv/git/shop.git", None),
        ("git@github.com:shop", None),
    ],
)
def test_remote_web_url(remote: str, web: str | None) -> None:
    assert remote_web_url(remote) == web


def test_repo_url_shapes_and_line_anchors() -> None:
    one, many = (
        Citation(path="a b/x.yml", start_line=3, end_line=3),
        Citation(path="x.yml", start_line=3, end_line=5),
    )
    gh = parse_repo_url("https://github.com/o/r/", "abc", "svc")
    assert gh.href(one) == "https://github.com/o/r/blob/abc/svc/a%20b/x.yml#L3"
    assert gh.href(many) == "https://github.com/o/r/blob/abc/svc/x.yml#L3-L5"
    assert gh.home == "https://github.com/o/r"
    gl = parse_repo_url("https://gitlab.com/g/r.git", "abc")
    assert gl.href(many) == "https://gitlab.com/g/r/-/blob/abc/x.yml#L3-5"
    pinned = parse_repo_url("https://github.com/o/r/blob/v1.2", "abc")
    assert pinned.href(many) == "https://github.com/o/r/blob/v1.2/x.yml#L3-L5"
    assert pinned.home == "https://github.com/o/r"
    tpl = parse_repo_url("https://git.example.org/o/r/src/{commit}/{path}#L{start}-{end}", "abc")
    assert tpl.href(many) == "https://git.example.org/o/r/src/abc/x.yml#L3-5"
    with pytest.raises(Exception, match="knows only"):
        parse_repo_url("https://git.example.org/{path}/{line}")


def test_rewrite_touches_citations_only() -> None:
    text = (
        "- evidence: [api/x.py:3-4](../../repo/api/x.py#L3-L4), [y.yml:7](y.yml#L7)\n"
        "- see [gaps.md](gaps.md#high) and `[z.py:1](z.py#L1)` in code\n"
        "| [a\\|b.py:2](../a|b.py#L2) |\n"
        "```\n[k.py:1](k.py#L1)\n```\n"
    )
    web = RepoWeb(base="https://github.com/o/r/blob/abc")
    linked = rewrite_citations(text, web)
    assert "[`api/x.py:3-4`](https://github.com/o/r/blob/abc/api/x.py#L3-L4)" in linked
    assert "[`y.yml:7`](https://github.com/o/r/blob/abc/y.yml#L7)" in linked
    assert "[gaps.md](gaps.md#high)" in linked
    assert "`[z.py:1](z.py#L1)`" in linked  # code span: untouched
    assert "\n[k.py:1](k.py#L1)\n" in linked  # code fence: untouched
    assert "[`a\\|b.py:2`](https://github.com/o/r/blob/abc/a%7Cb.py#L2)" in linked
    plain = rewrite_citations(text, None)
    assert "- evidence: `api/x.py:3-4`, `y.yml:7`" in plain


def test_links_between_pages_are_checked_both_ways() -> None:
    pages = {
        "README.md": "# Home\n\n[a](gaps.md#high) [b](gaps.md#critical) [c](gone.md) "
        "[d](facts.json) [e](#home) [f](#nope) [g](https://example.org/x#y)\n",
        "gaps.md": "# Gaps\n\n## CRITICAL\n\n```\n## HIGH\n```\n",
    }
    fixed, notes = check_links(pages, ["facts.json"])
    home = fixed["README.md"]
    assert "[a](gaps.md) " in home  # no HIGH heading (the fenced one is code): page kept
    assert "[b](gaps.md#critical)" in home
    assert " c " in home and "gone.md" not in home
    assert "[d](facts.json)" in home and "[e](#home)" in home
    assert " f " in home  # a missing anchor on the same page: plain text
    assert "[g](https://example.org/x#y)" in home
    assert len(notes) == 3, notes
    assert any("gaps.md#high has no such heading" in n for n in notes)
