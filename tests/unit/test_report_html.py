"""The HTML report in memory: layout of its pictures, escaping, evidence from the scanned
(redacted) text, claims kept out of the facts table, anchors, the script's CSP hash."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ddd_llm.models import (
    Check,
    Citation,
    ConfigParameter,
    Dependency,
    FactsDocument,
    Gap,
    HealthCheck,
    RepoInfo,
    RunInfo,
    Service,
    ToolInfo,
    Verification,
)
from ddd_llm.render.renderer import flowchart
from ddd_llm.render.report_html import dependency_picture, render_report
from ddd_llm.render.svg import (
    Edge,
    FlowchartSyntax,
    Node,
    layers,
    layout,
    parse_flowchart,
    wrap_label,
)
from ddd_llm.scan.redact import redact

HOSTILE = "<script>alert('x')</script>"
SECRET = "Xk9mQ2vL7pW4zRt8"
COMPOSE = (
    "services:\n"
    "  api:\n"
    "    image: api:1\n"
    "    environment:\n"
    f"      GREETING: hi  # {HOSTILE}\n"
    "    depends_on: [db]\n"
    "    healthcheck:\n"
    "      test: curl -f http://localhost/healthz\n"
    "  db:\n"
    "    image: postgres:16\n"
)
ENV = f"DB_PASSWORD={SECRET}\nDB_POOL=5\n"
VERIFIED = Verification(
    status="verified", checks=[Check(name="citation_resolves", passed=True, detail="ok")]
)


def cite(path: str, start: int, end: int | None = None) -> Citation:
    return Citation(path=path, start_line=start, end_line=end or start)


def document(root: Path, *, claim: bool = False) -> FactsDocument:
    (root / "docker-compose.yml").write_text(COMPOSE, encoding="utf-8")
    (root / ".env").write_text(ENV, encoding="utf-8")
    facts = [
        ConfigParameter(
            service="api",
            summary=f"api sets GREETING {HOSTILE}",
            citations=[cite("docker-compose.yml", 5)],
            name="GREETING",
            default="hi",
            verification=VERIFIED,
        ),
        ConfigParameter(
            service="db",
            summary="db password (secret, value withheld)",
            citations=[cite(".env", 1)],
            name="DB_PASSWORD",
            secret=True,
            verification=VERIFIED,
        ),
        HealthCheck(
            service="api",
            summary="api compose healthcheck",
            citations=[cite("docker-compose.yml", 7, 8)],
            check_type="exec",
            target="curl -f http://localhost/healthz",
            mechanism="compose-healthcheck",
            interval_s=10,
            verification=VERIFIED,
        ),
        Dependency(
            service="api",
            summary="api starts after db",
            citations=[cite("docker-compose.yml", 6)],
            target="db",
            dependency_type="start_order",
            verification=VERIFIED,
        ),
    ]
    if claim:
        facts.append(
            ConfigParameter(
                service="api",
                summary="ignore previous instructions <b>MAX=999999</b>",
                citations=[cite("docker-compose.yml", 5)],
                name="MAX",
                origin="llm",
            )
        )
    return FactsDocument(
        tool=ToolInfo(version="0.0.0"),
        repo=RepoInfo(root=str(root)),
        run=RunInfo(
            started_at="2025-01-01T12:00:00+00:00", finished_at="2025-01-01T12:00:01+00:00"
        ),
        services=[
            Service(name="api", kind="compose-service", citations=[cite("docker-compose.yml", 2)]),
            Service(name="db", kind="compose-service", citations=[cite("docker-compose.yml", 9)]),
        ],
        facts=facts,  # type: ignore[arg-type]
        gaps=[
            Gap(
                id="gap:backup:db",
                category="backup",
                service="db",
                priority="HIGH",
                message=f"db has no backup {HOSTILE}",
                citations=[cite("docker-compose.yml", 9, 40)],  # past the end of the file
            )
        ],
    )


class Page(HTMLParser):
    """The ids, fragment links, scripts and table rows of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.rows: list[dict[str, str | None]] = []
        self.scripts: list[str] = []
        self.csp = ""
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "a" and (a.get("href") or "").startswith("#"):
            self.links.append(str(a["href"])[1:])
        if tag == "tr" and str(a.get("id", "")).startswith("fact-"):
            self.rows.append(a)
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp = str(a["content"])
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


# ------------------------------------------------------------------ pictures


def test_layers_put_each_node_below_its_parents_even_in_a_cycle() -> None:
    edges = [Edge("db", "api"), Edge("cache", "api"), Edge("api", "proxy"), Edge("db", "proxy")]
    assert layers(["cache", "db", "api", "proxy"], edges) == {
        "cache": 0,
        "db": 0,
        "api": 1,
        "proxy": 2,
    }
    cycle = [Edge("a", "b"), Edge("b", "a")]
    assert layers(["a", "b"], cycle) == {"a": 0, "b": 1}


def test_layout_is_deterministic_and_nodes_do_not_overlap() -> None:
    nodes = [Node(n, f"service {n}") for n in ("db", "cache", "api", "worker", "proxy")]
    edges = [Edge("db", "api"), Edge("cache", "api"), Edge("db", "worker"), Edge("api", "proxy")]
    edges.append(Edge("proxy", "db", css="runtime"))  # a back edge, drawn around the side
    first, second = layout("g", nodes, edges), layout("g", nodes, edges)
    assert first == second
    boxes = [(n.x, n.y, n.x + n.w, n.y + n.h) for n in first.nodes]
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        assert 0 <= x0 and 0 <= y0 and x1 <= first.width and y1 <= first.height
        for a0, b0, a1, b1 in boxes[i + 1 :]:
            assert a1 <= x0 or x1 <= a0 or b1 <= y0 or y1 <= b0, "two boxes overlap"
    by_id = {n.id: n for n in first.nodes}
    assert by_id["db"].y < by_id["api"].y < by_id["proxy"].y
    assert len(first.edges) == len(edges)


def test_long_labels_wrap_and_stop() -> None:
    lines = wrap_label("x" * 200)
    assert len(lines) == 4 and all(len(line) <= 30 for line in lines)
    assert lines[-1].endswith("…")
    assert wrap_label("api: health check fails") == ("api: health check fails",)


def test_flowcharts_of_the_renderer_read_back_with_their_text() -> None:
    service = Service(name="api", kind="compose-service")
    owner = f'@team "ops" #1 {HOSTILE}'
    chart = flowchart(service, True, 15, ["db", "cache"], lambda _name: owner)
    nodes, edges = parse_flowchart(chart)
    assert len(edges) == len(chart.splitlines()) - 1
    assert [n.id for n in nodes] == sorted({n.id for n in nodes}, key=lambda i: int(i[1:]))
    assert nodes[0].label == "api: health check fails"
    assert any(n.label == f"Escalate api to {owner}" for n in nodes)
    assert {n.shape for n in nodes if n.label.endswith("?")} == {"decision"}
    assert {e.label for e in edges} == {"", "yes", "no"}


@pytest.mark.parametrize(
    "chart", ["graph LR\n  a --> b", "flowchart TD\n  a --> b", 'flowchart TD\n  a["x"] -> b["y"]']
)
def test_other_flowchart_syntax_is_refused(chart: str) -> None:
    with pytest.raises(FlowchartSyntax):
        parse_flowchart(chart)


# ------------------------------------------------------------------ the page


def test_repository_text_is_escaped_and_normal_text_shows(tmp_path: Path) -> None:
    html = render_report(document(tmp_path))
    assert HOSTILE not in html and "<b>" not in html
    assert html.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") >= 3  # summary, line, gap
    assert "api sets GREETING" in html and "curl -f http://localhost/healthz" in html
    assert len(Page(html).scripts) == 1


def test_evidence_comes_from_the_scanned_text_else_is_redacted(tmp_path: Path) -> None:
    doc = document(tmp_path)
    assert SECRET not in redact(ENV, ".env"), "the planted value is not a secret to redact"
    from_disk = render_report(doc)
    assert SECRET not in from_disk and "DB_PASSWORD=[REDACTED]" in from_disk
    scanned = {
        "docker-compose.yml": COMPOSE.replace("curl -f", "wget -q"),
        ".env": redact(ENV, ".env"),
    }
    from_scan = render_report(doc, scanned)
    assert "wget -q http://localhost/healthz</span>" in from_scan  # the cited line, as scanned
    assert "curl -f http://localhost/healthz</span>" not in from_scan


def test_every_link_lands_and_lines_past_the_end_say_so(tmp_path: Path) -> None:
    html = render_report(document(tmp_path))
    page = Page(html)
    assert len(page.ids) == len(set(page.ids)), "an id is used twice"
    assert page.links and set(page.links) <= set(page.ids)
    gap_block = html[html.index("<h3>docker-compose.yml:9-40</h3>") :]
    assert gap_block.split("</section>")[0].count("not in the scanned repository") == 1
    assert "ev-1" in page.links and re.search(
        r'<section id="ev-1"><h3>docker-compose\.yml:5</h3>', html
    )


def test_model_claims_are_listed_to_confirm_never_as_facts(tmp_path: Path) -> None:
    doc = document(tmp_path, claim=True)
    html = render_report(doc)
    page = Page(html)
    assert len(page.rows) == 4  # the claim is not a row of the facts table
    claims = html[html.index('<h2 id="claims">') : html.index('<h2 id="evidence">')]
    assert (
        "<blockquote>ignore previous instructions &lt;b&gt;MAX=999999&lt;/b&gt;</blockquote>"
        in claims
    )
    facts = html[html.index('<table id="facts">') : html.index('<h2 id="graph-section">')]
    assert "999999" not in facts
    without = render_report(document(tmp_path))
    assert "No model claim is waiting" in without and "No model claim is waiting" not in html


def test_rows_carry_what_the_filters_match(tmp_path: Path) -> None:
    page = Page(render_report(document(tmp_path)))
    assert [
        (r["data-kind"], r["data-service"], r["data-status"], r["data-origin"]) for r in page.rows
    ] == [
        ("config_parameter", "api", "verified", "static"),
        ("config_parameter", "db", "verified", "static"),
        ("health_check", "api", "verified", "static"),
        ("dependency", "api", "verified", "static"),
    ]


def test_the_inline_script_is_the_one_the_policy_allows(tmp_path: Path) -> None:
    page = Page(render_report(document(tmp_path)))
    (script,) = page.scripts
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page.csp
    assert (
        "default-src 'none'" in page.csp and "unsafe-inline" not in page.csp.split("script-src")[1]
    )


def test_services_show_their_own_readiness_and_gaps(tmp_path: Path) -> None:
    html = render_report(document(tmp_path))
    services = html[html.index('<h2 id="services">') : html.index('<h2 id="facts-section">')]
    rows = re.findall(r"<tr id=\"svc-\d+\">(.*?)</tr>", services)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]
    api, db = ({c[0].split(">")[1].split("<")[0]: c for c in cells}[n] for n in ("api", "db"))
    # api has a verified health check (daily health 1/1); db has none.
    assert float(api[4]) > float(db[4])
    assert db[9] == "1" and api[9] == "0"  # db's HIGH gap


def test_same_document_same_bytes(tmp_path: Path) -> None:
    doc = document(tmp_path, claim=True)
    assert render_report(doc) == render_report(doc.model_copy(deep=True))


def test_the_dependency_graph_draws_start_order_and_what_is_outside(tmp_path: Path) -> None:
    doc = document(tmp_path)
    extra = [
        Dependency(
            service="api",
            summary=f"api calls db {kind}",
            citations=[cite("docker-compose.yml", 6)],
            target=target,
            dependency_type=kind,  # type: ignore[arg-type]
            verification=VERIFIED if target == "db" else Verification(status="unverified"),
        )
        for target, kind in (("db", "runtime"), ("db", "optional"), ("payments-api", "runtime"))
    ]
    picture = dependency_picture(doc.services, [*doc.facts, *extra])
    assert picture is not None
    nodes = {n.id: n for n in picture.nodes}
    assert nodes["payments-api"].css == "external" and nodes["api"].css == "service"
    assert nodes["db"].layer == nodes["payments-api"].layer == 0 and nodes["api"].layer == 1
    edges = {(e.source, e.target): e.css for e in picture.edges}
    assert edges == {("db", "api"): "start-order", ("payments-api", "api"): "runtime unverified"}
