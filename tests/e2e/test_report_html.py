"""OUT/report.html as an operator opens it: written by `extract`, self-contained, and in headless
Chromium (driven over the DevTools protocol) it loads without network or console output, its
filters show exactly the facts facts.json holds, every evidence link lands on the cited lines,
and hostile repository text stays text."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from benchmarks.report_html import Page, chromium, chromium_binary
from ddd_llm.cli.app import app
from ddd_llm.config import ExtractOptions
from ddd_llm.models import FactsDocument
from ddd_llm.pipeline import extract
from ddd_llm.render.report_html import MAX_CITED_LINES, MAX_LINE_CHARS
from ddd_llm.scan.redact import redact
from ddd_llm.verify.verifier import needs_confirmation
from tests.artifact_runs import ARTIFACT_FIXTURES, fixed_clock
from tests.conftest import FIXTURES

runner = CliRunner()
FILTERS = ("kind", "service", "status", "origin")
SCRIPT_PAYLOAD = "<script>console.error('pwned-by-comment')</script>"
IMG_PAYLOAD = "<img src=x onerror=alert('pwned-by-value')>"


def run_cli(repo: Path, out: Path) -> str:
    result = runner.invoke(
        app, ["extract", str(repo), "--out", str(out), "--llm", "none", "--no-index"]
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, str]]:
    """name → (repository copy, output folder, CLI output) for the fixtures and a hostile copy."""
    out: dict[str, tuple[Path, Path, str]] = {}
    for name in ARTIFACT_FIXTURES:
        work = tmp_path_factory.mktemp(name)
        repo = work / name
        shutil.copytree(FIXTURES / name, repo)
        out[name] = (repo, work / "out", run_cli(repo, work / "out"))
    work = tmp_path_factory.mktemp("hostile")
    repo = work / "compose-shop"
    shutil.copytree(FIXTURES / "compose-shop", repo)
    compose = repo / "docker-compose.yml"
    text = compose.read_text(encoding="utf-8")
    planted = text.replace(
        '      API_DB_POOL_SIZE: "10"\n',
        f'      API_DB_POOL_SIZE: "10"  # {SCRIPT_PAYLOAD}\n      API_GREETING: "{IMG_PAYLOAD}"\n',
    )
    assert planted != text, "compose-shop changed: plant the payload elsewhere"
    compose.write_text(planted, encoding="utf-8")
    out["hostile"] = (repo, work / "out", run_cli(repo, work / "out"))
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Page]:
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed: `make browser` installs it")
    with chromium(binary) as page:
        yield page


def facts_of(out: Path) -> FactsDocument:
    return FactsDocument.model_validate_json((out / "facts.json").read_text(encoding="utf-8"))


def table_facts(doc: FactsDocument) -> list[dict[str, Any]]:
    """The facts the table shows, as its filters see them: every fact but unverified claims."""
    return [
        {
            "kind": f.fact_kind,
            "service": f.service or "-",
            "status": f.verification.status,
            "origin": f.origin,
            "id": f.id,
        }
        for f in doc.facts
        if not needs_confirmation(f)
    ]


def open_page(browser: Page, out: Path) -> float:
    ms = browser.open((out / "report.html").as_uri())
    browser.settle()
    return ms


VISIBLE_IDS = (
    "Array.from(document.querySelectorAll('#facts tbody tr'))"
    ".filter(r => !r.hidden && r.offsetParent !== null)"
    ".map(r => r.querySelector('code').textContent)"
)
"""The fact ids of the rows a person sees."""


def set_filter(browser: Page, key: str, value: str) -> list[str]:
    """Choose `value` in the page's `key` filter as a user does; the ids of the rows shown."""
    event = "input" if key == "text" else "change"
    browser.evaluate(
        f"(() => {{ const el = document.getElementById('f-{key}'); el.value = {json.dumps(value)};"
        f" el.dispatchEvent(new Event('{event}')); }})()"
    )
    ids: list[str] = browser.evaluate(VISIBLE_IDS)
    return ids


# ------------------------------------------------------------------ without a browser


@pytest.mark.parametrize("name", ARTIFACT_FIXTURES)
def test_extract_writes_a_self_contained_report(
    name: str, pages: dict[str, tuple[Path, Path, str]]
) -> None:
    _, out, output = pages[name]
    page = out / "report.html"
    assert f"wrote {page}" in " ".join(output.split())
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:|data:)""", html)
    style = html[html.index("<style>") : html.index("</style>")]
    assert "<link" not in html and "url(" not in style and "@import" not in style
    assert html.count("<script") == 1 and "<script src" not in html
    assert "default-src 'none'" in html
    doc = facts_of(out)
    assert html.count('<tr id="fact-') == len(table_facts(doc))
    for fact in table_facts(doc):
        assert f"<code>{fact['id']}</code>" in html


def test_the_same_facts_give_the_same_bytes(tmp_path: Path) -> None:
    repo = tmp_path / "k8s-payments"
    shutil.copytree(FIXTURES / "k8s-payments", repo)
    first, second = (
        extract(
            repo, ExtractOptions(llm="none", index=False, out_dir=tmp_path / o), clock=fixed_clock
        ).out_dir
        / "report.html"
        for o in ("a", "b")
    )
    assert first.read_bytes() == second.read_bytes()
    assert first.stat().st_size > 10_000


def test_hostile_text_is_escaped_in_the_file(pages: dict[str, tuple[Path, Path, str]]) -> None:
    _, out, _ = pages["hostile"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert SCRIPT_PAYLOAD not in html and "<img" not in html and "onerror=alert" in html
    assert "&lt;script&gt;console.error(" in html  # the comment, shown as text
    assert "&lt;img src=x onerror=alert(" in html  # the value, shown as text
    assert "API_GREETING" in html and "API_DB_POOL_SIZE" in html


# ------------------------------------------------------------------ in Chromium


@pytest.mark.parametrize("name", [*ARTIFACT_FIXTURES, "hostile"])
def test_the_page_loads_offline_without_console_output(
    name: str, pages: dict[str, tuple[Path, Path, str]], browser: Page
) -> None:
    _, out, _ = pages[name]
    ms = open_page(browser, out)
    print(f"\n{name}: loaded in {ms:.0f} ms")
    assert browser.console() == []
    page_url = (out / "report.html").as_uri()
    assert [u for u in browser.requests() if u.split("#")[0] != page_url] == []
    assert browser.evaluate("document.title").startswith("Maintenance report")
    # Drawn, not just present: each picture has a size on the page.
    sizes = browser.evaluate(
        "Array.from(document.querySelectorAll('svg.graph')).map(s => s.getBBox().width)"
    )
    assert sizes and all(w > 50 for w in sizes)


@pytest.mark.parametrize("name", ARTIFACT_FIXTURES)
def test_filters_show_exactly_the_matching_facts(
    name: str, pages: dict[str, tuple[Path, Path, str]], browser: Page
) -> None:
    _, out, _ = pages[name]
    facts = table_facts(facts_of(out))
    everything = sorted(f["id"] for f in facts)
    open_page(browser, out)
    assert sorted(browser.evaluate(VISIBLE_IDS)) == everything
    for key in FILTERS:
        options = browser.evaluate(
            f"Array.from(document.querySelectorAll('#f-{key} option')).map(o => o.value)"
        )
        values = sorted({f[key] for f in facts})
        assert set(values) <= set(options), key
        for value in values:
            shown = set_filter(browser, key, value)
            assert sorted(shown) == sorted(f["id"] for f in facts if f[key] == value), (key, value)
            assert browser.evaluate("document.getElementById('f-shown').textContent") == str(
                len(shown)
            )
        set_filter(browser, key, "")
    # Two filters at once: a kind within one service.
    service = next(f["service"] for f in reversed(facts) if f["service"] != "-")
    set_filter(browser, "service", service)
    shown = set_filter(browser, "kind", "health_check")
    assert sorted(shown) == sorted(
        f["id"] for f in facts if f["service"] == service and f["kind"] == "health_check"
    )
    browser.evaluate("document.getElementById('f-reset').click()")
    assert sorted(browser.evaluate(VISIBLE_IDS)) == everything
    # A service's name in the services table filters the facts to that service.
    shown = browser.evaluate(
        f"(() => {{ const link = 'a[data-service={json.dumps(service)}]';"
        f" document.querySelector('#services ~ table ' + link).click(); return {VISIBLE_IDS}; }})()"
    )
    assert sorted(shown) == sorted(f["id"] for f in facts if f["service"] == service)
    browser.evaluate("document.getElementById('f-reset').click()")
    # Free text: a fact id finds its row; nonsense finds none.
    target = facts[len(facts) // 2]["id"]
    assert target in set_filter(browser, "text", target.upper())
    assert set_filter(browser, "text", "no-such-text-anywhere-zq") == []
    set_filter(browser, "text", "")
    assert browser.console() == []


def _cited(repo: Path, label: str) -> list[str]:
    """The cited lines of `path:start[-end]` as the scan shows them (redacted, clipped; the
    first MAX_CITED_LINES of a longer span)."""
    path, _, span = label.rpartition(":")
    start, _, end = span.partition("-")
    last = min(int(end or start), int(start) + MAX_CITED_LINES - 1)
    lines = redact((repo / path).read_text(encoding="utf-8"), path).splitlines()
    return [
        ln.replace("\t", "    ")[: MAX_LINE_CHARS - 1].strip()
        for ln in lines[int(start) - 1 : last]
    ]


def _longer(label: str) -> bool:
    start, _, end = label.rpartition(":")[2].partition("-")
    return int(end or start) - int(start) + 1 > MAX_CITED_LINES


@pytest.mark.parametrize("name", ARTIFACT_FIXTURES)
def test_every_evidence_link_lands_on_the_cited_lines(
    name: str, pages: dict[str, tuple[Path, Path, str]], browser: Page
) -> None:
    repo, out, _ = pages[name]
    open_page(browser, out)
    broken = browser.evaluate(
        "Array.from(document.querySelectorAll('a[href^=\"#\"]'))"
        ".map(a => a.getAttribute('href').slice(1)).filter(id => !document.getElementById(id))"
    )
    assert broken == []
    without = browser.evaluate(
        "Array.from(document.querySelectorAll('#facts tbody tr'))"
        ".filter(r => !r.lastElementChild.querySelector('a.cite')).length"
    )
    assert without == 0
    links = browser.evaluate(
        "Array.from(document.querySelectorAll('a.cite')).map(a => [a.textContent,"
        " document.getElementById(a.getAttribute('href').slice(1)).querySelector('pre')"
        "?.textContent ?? ''])"
    )
    doc = facts_of(out)
    running = {s.name for s in doc.services if s.role == "long-running"}
    cited = {str(c) for f in [*doc.facts, *doc.rejected] for c in f.citations} | {
        str(c)  # the gaps gaps.md lists: repo-wide ones and those of long-running services
        for g in doc.gaps
        if g.service is None or g.service in running
        for c in g.citations
    }
    assert {label for label, _ in links} == cited
    for label, shown in links:
        for line in _cited(repo, label):
            assert line in shown, f"{label}: {line!r} not in its evidence block"
        assert ("more cited line(s)" in shown) == _longer(label), label
    # The rows show their lines in place, too.
    first = browser.evaluate(
        "(() => { const r = document.querySelector('#facts tbody tr');"
        " return [r.querySelector('a.cite').textContent,"
        " r.querySelector('.inplace pre').textContent]; })()"
    )
    assert all(line in first[1] for line in _cited(repo, first[0]))


@pytest.mark.parametrize("name", ARTIFACT_FIXTURES)
def test_the_flowcharts_are_escalation_md_drawn(
    name: str, pages: dict[str, tuple[Path, Path, str]], browser: Page
) -> None:
    """One picture per flowchart of escalation.md, with as many nodes and arrows; the
    dependency graph has a box per long-running service."""
    _, out, _ = pages[name]
    markdown = (out / "escalation.md").read_text(encoding="utf-8")
    charts = re.findall(r"```mermaid\n(.*?)```", markdown, re.S)
    expected = [
        (len(set(re.findall(r"\bn\d+\b", c))), len(c.strip().splitlines()) - 1) for c in charts
    ]
    open_page(browser, out)
    drawn = browser.evaluate(
        "Array.from(document.querySelectorAll('svg.graph[id^=\"flow-\"]')).map(s =>"
        " [s.querySelectorAll('.node').length, s.querySelectorAll('path.edge').length])"
    )
    assert drawn == [list(e) for e in expected] and drawn
    boxes = browser.evaluate(
        "Array.from(document.querySelectorAll('#graph .node.service')).map(g => g.textContent)"
    )
    running = [s.name for s in facts_of(out).services if s.role == "long-running"]
    assert set(running) <= set(boxes)


def test_hostile_text_stays_text_in_the_browser(
    pages: dict[str, tuple[Path, Path, str]], browser: Page
) -> None:
    _, out, _ = pages["hostile"]
    open_page(browser, out)
    assert browser.console() == []  # no console.error from the comment, no alert dialog
    state = browser.evaluate(
        "({scripts: document.scripts.length, images: document.images.length,"
        " handlers: document.querySelectorAll('[onerror]').length,"
        " text: document.body.textContent})"
    )
    assert state["scripts"] == 1 and state["images"] == 0 and state["handlers"] == 0
    assert SCRIPT_PAYLOAD in state["text"] and IMG_PAYLOAD in state["text"]
    # The planted parameter is a fact like any other, and the rest of the page is intact.
    shown = set_filter(browser, "text", "API_GREETING")
    assert any("API_GREETING" in i for i in shown)
    set_filter(browser, "text", "")
    assert len(browser.evaluate(VISIBLE_IDS)) == len(table_facts(facts_of(out)))
