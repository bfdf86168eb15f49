"""Docs site: an mkdocs project (mkdocs.yml, docs/, catalog-info.yaml) from an extract output.

Reads OUT's facts.json and its Markdown artifacts (so a model's section introductions are
kept as written), and writes a site that `mkdocs build --strict` accepts:

- citations, relative links from OUT into the repository, would point outside docs/ and
  fail the build; they become links to the repository's web page of the cited lines
  (`--repo-url`, else the git remote `origin` when it is GitHub or GitLab, at the run's
  commit), or plain `path:line` text when no web address is known;
- a page per service from facts.json (`templates/site/service.md.j2`);
- every link between pages is checked: a link to a missing page becomes its text, a link
  to a missing heading keeps the page and drops the anchor (each said in `notes`);
- mkdocs.yml (Material theme, nav by cadence and service, Mermaid through
  `pymdownx.superfences`) and a Backstage `catalog-info.yaml` with
  `backstage.io/techdocs-ref: dir:.`.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
import shutil
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote, urlsplit

from pydantic import ValidationError

from ddd_llm.assess.assessor import PRIORITY_RANK, sort_gaps
from ddd_llm.atomic import atomic_write
from ddd_llm.config import FACTS_FILE, OUT_DIRNAME
from ddd_llm.errors import InputError
from ddd_llm.evidence.owners import owner_of
from ddd_llm.fingerprint import run_git
from ddd_llm.models import (
    Citation,
    ConfigParameter,
    Dependency,
    FactBase,
    FactsDocument,
    HealthCheck,
    ResourceRequirement,
    Service,
    ValidationMethod,
)
from ddd_llm.render.procedures import safe_range
from ddd_llm.render.renderer import (
    ARTIFACTS,
    environment,
    md_cellcode,
    md_code,
    mermaid_label,
    steppable,
    tidy,
)
from ddd_llm.render.sarif import checkout_prefix
from ddd_llm.resources import data_dir
from ddd_llm.verify.verifier import status_reason

SITE_DIRNAME = "site"
"""The site's folder inside OUT when --site-dir is not given."""
DOCS_DIRNAME = "docs"
SERVICES = "services"
MARKER = "# Written by `ddd-llm site`"
"""First line of every mkdocs.yml this module writes: only such a folder is ever rewritten."""
INDEX = "README.md"
"""The artifacts' index; mkdocs serves a README.md as the folder's index page."""

NavItem = tuple[str | None, "str | list[NavItem]"]

CADENCES: list[tuple[str, str]] = [
    ("Daily", "runbook-daily.md"),
    ("Weekly", "runbook-weekly.md"),
    ("Monthly", "runbook-monthly.md"),
]
PROCEDURES: list[tuple[str, str]] = [
    ("Pre-flight checklist", "preflight-checklist.md"),
    ("Validation procedures", "validation-procedures.md"),
    ("Escalation", "escalation.md"),
]
COMPLIANCE: list[tuple[str, str]] = [
    ("Compliance report", "compliance-report.md"),
    ("Claims to confirm", "claims-to-confirm.md"),
]
GAPS_PAGE = "gaps.md"
ROLE_ORDER = {"long-running": 0, "job": 1, "dev-only": 2, "test-only": 3}

GitRunner = Callable[[Path, Sequence[str]], str | None]
Style = Literal["github", "gitlab", "template"]
PLACEHOLDERS = frozenset({"path", "start", "end", "commit"})


# ------------------------------------------------------------------ where citations link


@dataclass(frozen=True)
class RepoWeb:
    """Where the web shows a repository's files: a citation becomes `{base}/{path}#L1-L3`."""

    base: str
    """Everything before the file's path, ref included: `https://github.com/o/r/blob/<sha>`;
    a template (`{path}`, `{start}`, `{end}`, `{commit}`) when `style` is "template"."""
    style: Style = "github"
    prefix: str = ""
    """The scanned folder inside the checkout ("" when it is the checkout's top)."""
    home: str | None = None
    """The repository's web page (mkdocs `repo_url`), when known."""
    ref: str = "HEAD"
    pinned: bool = False
    """The address names its own ref (`…/blob/v1.2`, a template without `{commit}`)."""

    def href(self, c: Citation) -> str:
        path = "/".join(p for p in (self.prefix, c.path) if p)
        if self.style == "template":
            values = {
                "path": quote(path),
                "start": str(c.start_line),
                "end": str(c.end_line),
                "commit": quote(self.ref),
            }
            return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], self.base)
        if c.end_line == c.start_line:
            lines = f"L{c.start_line}"
        elif self.style == "gitlab":
            lines = f"L{c.start_line}-{c.end_line}"
        else:
            lines = f"L{c.start_line}-L{c.end_line}"
        return f"{self.base}/{quote(path)}#{lines}"


def forge_of(host: str) -> Literal["github", "gitlab"] | None:
    """github or gitlab when the host is one (github.com, gitlab.example.org), else None."""
    labels = host.lower().split(".")
    if "github" in labels:
        return "github"
    if "gitlab" in labels:
        return "gitlab"
    return None


def remote_web_url(remote: str) -> str | None:
    """`https://HOST/OWNER/REPO` of a GitHub or GitLab git remote (https, ssh or scp-like
    `git@host:owner/repo.git`), credentials and port dropped; None for any other remote."""
    text = remote.strip()
    scp = re.fullmatch(r"(?:[^@/\s]+@)?([A-Za-z0-9.-]+):(?!//)([^\s]+)", text)
    if scp and "://" not in text:
        host, path, scheme = scp.group(1), scp.group(2), "https"
    else:
        parts = urlsplit(text)
        if parts.scheme not in {"https", "http", "ssh", "git", "git+ssh", "ssh+git"}:
            return None
        host, path = parts.hostname or "", parts.path
        scheme = parts.scheme if parts.scheme in {"http", "https"} else "https"
    path = path.strip("/").removesuffix(".git").strip("/")
    if not host or path.count("/") < 1 or forge_of(host) is None:
        return None
    return f"{scheme}://{host.lower()}/{path}"


def parse_repo_url(url: str, ref: str = "HEAD", prefix: str = "") -> RepoWeb:
    """The citations' web address from `--repo-url`: a repository page
    (`https://github.com/o/r`, `https://gitlab.com/g/r`), one pinned to a ref
    (`…/blob/v1.2`, `…/-/blob/main`), or a template with `{path}` (and `{start}`, `{end}`,
    `{commit}`) for any other host. InputError when it is none of these."""
    text = url.strip()
    parts = urlsplit(text)
    hint = "pass the repository's web address, e.g. --repo-url https://github.com/OWNER/REPO"
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InputError("--repo-url is not an http(s) address", hint=hint)
    if parts.username or parts.password:
        # Never echo it: the address holds credentials.
        raise InputError("--repo-url holds credentials; they would be published", hint=hint)
    if "{" in text:
        unknown = set(re.findall(r"\{(\w*)\}", text)) - PLACEHOLDERS
        if "{path}" not in text or unknown:
            raise InputError(
                "a --repo-url template needs {path} and knows only {path}, {start}, {end} "
                "and {commit}",
                hint="e.g. https://git.example.org/o/r/src/commit/{commit}/{path}#L{start}",
            )
        fixed = "{commit}" not in text
        return RepoWeb(base=text, style="template", prefix=prefix, ref=ref, pinned=fixed)
    host = parts.hostname.lower()
    origin = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
    path = parts.path.rstrip("/").removesuffix(".git")
    style: Style = "gitlab" if forge_of(host) == "gitlab" else "github"
    pinned = re.match(r"(.*?)(/-)?/blob/[^/]+$", path)
    if pinned:
        home = origin + pinned.group(1)
        return RepoWeb(origin + path, style, prefix, home, ref=ref, pinned=True)
    blob = "-/blob" if style == "gitlab" else "blob"
    return RepoWeb(
        base=f"{origin}{path}/{blob}/{ref}", style=style, prefix=prefix, home=origin + path, ref=ref
    )


def repo_web(
    doc: FactsDocument,
    repo_root: Path | None,
    repo_url: str | None,
    git: GitRunner = run_git,
    notes: list[str] | None = None,
) -> RepoWeb | None:
    """Where citations link: `repo_url`, else the GitHub/GitLab remote `origin` of the
    checkout holding `repo_root`; None when neither names a web address (citations then
    show as text). Paths get the scanned folder's place in the checkout, and the ref is the
    run's commit (facts.json) or the checkout's HEAD, only when the address is the
    checkout's own: a --repo-url naming another repository (a vendored copy's upstream) is
    taken to hold the scanned folder at its top."""
    said = notes if notes is not None else []
    checkout: Path | None = None
    prefix = ""
    if repo_root is not None:
        top, sub = checkout_prefix(repo_root)
        if (top / ".git").exists():
            checkout, prefix = top, sub
    remote = git(checkout, ["remote", "get-url", "origin"]) if checkout else None
    ours = remote_web_url(remote) if remote else None
    if repo_url:
        home = parse_repo_url(repo_url).home
        own = ours is not None and home is not None and ours.lower() == home.lower()
        if repo_root is None:
            said.append(
                f"the repository ({doc.repo.root}) is not found from here: citation paths are "
                "taken as relative to the top of --repo-url's repository"
            )
        elif prefix and not own:
            said.append(
                f"--repo-url is not the origin of the checkout holding {prefix}: citation "
                "paths are taken as relative to the top of --repo-url's repository"
            )
        use_checkout = own or not prefix
    elif ours is None:
        why = "the git remote origin is not on GitHub or GitLab" if remote else None
        why = why or "no git remote origin is known"
        said.append(f"{why}: citations are shown as plain path:line; pass --repo-url URL to link")
        return None
    else:
        repo_url, use_checkout = ours, True
    ref = doc.repo.commit
    if not ref and checkout is not None and use_checkout:
        ref = git(checkout, ["rev-parse", "HEAD"])
    web = parse_repo_url(repo_url, ref or "HEAD", prefix if use_checkout else "")
    if not ref and not web.pinned:
        said.append("the run's commit is unknown: citations link to the default branch (HEAD)")
    return web


@dataclass(frozen=True)
class SiteCite:
    """Citations on a site page (inside a table cell): web links, or code-span text."""

    web: RepoWeb | None

    def one(self, c: Citation, cell: bool = True) -> str:
        text = md_cellcode(str(c)) if cell else md_code(str(c))
        return f"[{text}]({self.web.href(c)})" if self.web else text

    def __call__(self, citations: Iterable[Citation] | Citation, limit: int = 4) -> str:
        items = [citations] if isinstance(citations, Citation) else list(citations)
        shown = [self.one(c) for c in items[:limit]]
        more = f" and {len(items) - limit} more" if len(items) > limit else ""
        return (", ".join(shown) + more) if shown else "—"


# ------------------------------------------------------------------ Markdown, outside code

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_LINK = re.compile(r"(!?)\[([^\[\]\n]*)\]\(([^()\s]+)\)")
_CITE = re.compile(
    r"\[(?P<text>[^\[\]\n]+?):(?P<s>\d+)(?:-(?P<e>\d+))?\]"
    r"\((?P<href>[^()\n]*?)#L(?P=s)(?(e)-L(?P=e))\)"
)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_TICKS = re.compile(r"`+")


def _code_spans(line: str) -> list[tuple[bool, str]]:
    """A line cut into (is_code, text) pieces: CommonMark code spans (equal backtick runs)."""
    pieces: list[tuple[bool, str]] = []
    pos = start = 0
    while True:
        m = _TICKS.search(line, pos)
        if m is None:
            break
        close = re.compile(rf"(?<!`){m.group()}(?!`)").search(line, m.end())
        if close is None:
            pos = m.end()
            continue
        if m.start() > start:
            pieces.append((False, line[start : m.start()]))
        pieces.append((True, line[m.start() : close.end()]))
        pos = start = close.end()
    if start < len(line):
        pieces.append((False, line[start:]))
    return pieces


def fenced_lines(text: str) -> list[tuple[str, bool]]:
    """Each line of `text`, and whether it belongs to a code fence (its fence lines too)."""
    out: list[tuple[str, bool]] = []
    fence: str | None = None
    for line in text.split("\n"):
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and m and m.group(1)[0] == fence[0]:
            if len(m.group(1)) >= len(fence):
                out.append((line, True))
                fence = None
                continue
        out.append((line, fence is not None))
    return out


def map_prose(text: str, change: Callable[[str, str], str]) -> str:
    """`change(piece, line)` applied to every piece of `text` outside code fences and code
    spans (`line` is the whole line, for context such as a table row)."""
    return "\n".join(
        line
        if fenced
        else "".join(piece if code else change(piece, line) for code, piece in _code_spans(line))
        for line, fenced in fenced_lines(text)
    )


def table_code_pipes(text: str) -> str:
    """`\\|` inside a table row's code span as `|`: GitHub needs the escape there, but
    Python-Markdown splits no cell inside a code span and would show the backslash."""
    return "\n".join(
        "".join(piece.replace("\\|", "|") if code else piece for code, piece in _code_spans(line))
        if not fenced and line.lstrip().startswith("|")
        else line
        for line, fenced in fenced_lines(text)
    )


def _unescape_cell(text: str) -> str:
    return html.unescape(text.replace("\\|", "|"))


def rewrite_citations(text: str, web: RepoWeb | None) -> str:
    """An artifact's citation links (`[path:3-5](../../path#L3-L5)`, written by
    renderer.Links) as web links, or as code-span text when `web` is None."""

    def one(piece: str, line: str) -> str:
        def swap(m: re.Match[str]) -> str:
            path = _unescape_cell(m.group("text"))
            target = m.group("href")
            if "://" in target or not (target == path or target.endswith("/" + path)):
                return m.group(0)
            start = int(m.group("s"))
            citation = Citation(path=path, start_line=start, end_line=int(m.group("e") or start))
            return SiteCite(web).one(citation, cell=line.lstrip().startswith("|"))

        return _CITE.sub(swap, piece)

    return map_prose(text, one)


def slugify(text: str) -> str:
    """A heading's id as mkdocs (Python-Markdown's toc) makes it."""
    plain = re.sub(r"<[^>]*>", "", text)
    plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", plain)
    plain = re.sub(r"\\(.)", r"\1", plain.replace("`", "").replace("*", ""))
    plain = html.unescape(plain)
    ascii_text = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode("ascii")
    word = re.sub(r"[^\w\s-]", "", ascii_text).strip().lower()
    return re.sub(r"[-\s]+", "-", word)


def anchors(text: str) -> set[str]:
    """The ids mkdocs gives the headings of a Markdown page (repeats numbered `_1`, `_2`)."""
    seen: Counter[str] = Counter()
    ids: set[str] = set()
    for line, fenced in fenced_lines(text):
        h = None if fenced else _HEADING.match(line)
        if h:
            slug = slugify(h.group(2))
            ids.add(f"{slug}_{seen[slug]}" if seen[slug] else slug)
            seen[slug] += 1
    return ids


def check_links(pages: dict[str, str], statics: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """Every link between the pages made to resolve: a link to a file that is not in the
    site becomes its text, a link to a heading that is not there keeps only the page.
    Returns the pages and one note per kind of fix (with its count)."""
    files = set(pages) | set(statics)
    ids = {name: anchors(text) for name, text in pages.items()}
    fixed: Counter[str] = Counter()

    def fix(page: str, m: re.Match[str]) -> str:
        bang, label, href = m.group(1), m.group(2), m.group(3)
        if urlsplit(href).scheme or href.startswith("//"):
            return m.group(0)
        path, _, frag = href.partition("#")
        if path.startswith("/"):
            fixed[f"{page}: absolute link {href} unlinked"] += 1
            return label
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path)) if path else page
        if target not in files:
            fixed[f"{page}: link to {path} (not in the site) unlinked"] += 1
            return label
        if frag and target in ids and frag not in ids[target]:
            fixed[f"{page}: {path or page}#{frag} has no such heading; linked to the page"] += 1
            return f"{bang}[{label}]({path})" if path else label
        return m.group(0)

    def fixer(page: str) -> Callable[[str, str], str]:
        return lambda piece, _line: _LINK.sub(lambda m: fix(page, m), piece)

    out = {name: map_prose(text, fixer(name)) for name, text in pages.items()}
    notes = [what + (f" ×{n}" if n > 1 else "") for what, n in sorted(fixed.items())]
    return out, notes


# ------------------------------------------------------------------ service pages


def page_names(services: Sequence[Service]) -> dict[str, str]:
    """Each service's page, `services/<name>.md`, names made file-safe and unique."""
    taken: set[str] = {"index"}
    names: dict[str, str] = {}
    for s in services:
        base = re.sub(r"[^a-z0-9._-]+", "-", s.name.lower()).strip("-.") or "service"
        stem, n = base, 2
        while stem in taken:
            stem, n = f"{base}-{n}", n + 1
        taken.add(stem)
        names[s.name] = f"{SERVICES}/{stem}.md"
    return names


@dataclass(frozen=True)
class Row:
    """One fact shown on a service page: the fact, its status text and its citations."""

    fact: Any
    status: str


def _rows(facts: Iterable[FactBase]) -> list[Row]:
    rows = []
    for f in facts:
        status = f.verification.status
        text = "verified" if status == "verified" else f"⚠️ {status}: {status_reason(f)}"
        rows.append(Row(f, text))
    return rows


def ordered_services(doc: FactsDocument) -> list[Service]:
    """Long-running services first, then jobs, dev-only and test-only ones; by name."""
    return sorted(doc.services, key=lambda s: (ROLE_ORDER.get(s.role, 9), s.name))


def dependency_chart(edges: Sequence[tuple[str, str, str]]) -> str:
    """A Mermaid flowchart: each `(service, target, type)` an arrow service → target."""
    names = sorted({n for a, b, _ in edges for n in (a, b)})
    node = {n: f"s{i}" for i, n in enumerate(names)}
    lines = ["flowchart LR"]
    lines += [f'  {node[n]}["{mermaid_label(n)}"]' for n in names]
    for a, b, kind in edges:
        lines.append(f"  {node[a]} -- {mermaid_label(kind.replace('_', ' '))} --> {node[b]}")
    return "\n".join(lines)


def _edges(facts: Iterable[FactBase], names: set[str]) -> list[tuple[str, str, str]]:
    return sorted(
        {
            (f.service, f.target, f.dependency_type)
            for f in facts
            if isinstance(f, Dependency) and f.service in names and f.target in names
        }
    )


def service_pages(doc: FactsDocument, cite: SiteCite) -> dict[str, str]:
    """services/index.md and a page per service: its health checks, parameters with their
    safe ranges, resources, dependencies (both ways), validations and gaps."""
    env = environment(data_dir("templates") / "site")
    services = ordered_services(doc)
    pages = page_names(services)
    shown = steppable(doc.facts)
    shown_ids = {f.id for f in shown}
    names = {s.name for s in services}
    edges = _edges(shown, names)
    gaps = sort_gaps(doc.gaps)
    out: dict[str, str] = {}
    summary = []
    for s in services:
        mine = [f for f in shown if f.service == s.name]
        left_out = [f for f in doc.facts if f.service == s.name and f.id not in shown_ids]
        my_gaps = [g for g in gaps if g.service == s.name]
        rules = doc.repo.owners
        owner = owner_of([c.path for c in s.citations] or ["README.md"], rules) if rules else None
        mine_edges = [e for e in edges if s.name in (e[0], e[1])]
        context: dict[str, Any] = {
            "s": s,
            "cite": cite,
            "owner": owner,
            "pages": {k: posixpath.relpath(v, SERVICES) for k, v in pages.items()},
            "checks": _rows(f for f in mine if isinstance(f, HealthCheck)),
            "params": _rows(f for f in mine if isinstance(f, ConfigParameter)),
            "ranges": {f.id: safe_range(f) for f in mine if isinstance(f, ConfigParameter)},
            "resources": _rows(f for f in mine if isinstance(f, ResourceRequirement)),
            "needs": _rows(f for f in mine if isinstance(f, Dependency)),
            "needed_by": sorted({e[0] for e in edges if e[1] == s.name}),
            "validations": _rows(f for f in mine if isinstance(f, ValidationMethod)),
            "gaps": my_gaps,
            "left_out": len(left_out),
            "chart": dependency_chart(mine_edges) if mine_edges else None,
            "escalation": slugify(s.name),
        }
        out[pages[s.name]] = tidy(env.get_template("service.md.j2").render(**context))
        worst = min((PRIORITY_RANK.get(g.priority, 9) for g in my_gaps), default=None)
        summary.append(
            {
                "s": s,
                "page": posixpath.relpath(pages[s.name], SERVICES),
                "checks": len(context["checks"]),
                "params": len(context["params"]),
                "needs": len(context["needs"]),
                "gaps": len(my_gaps),
                "worst": next((p for p, r in PRIORITY_RANK.items() if r == worst), None),
            }
        )
    out[f"{SERVICES}/index.md"] = tidy(
        env.get_template("services.md.j2").render(
            services=summary,
            chart=dependency_chart(edges) if edges else None,
            name=site_title(doc),
        )
    )
    return out


# ------------------------------------------------------------------ the site


def site_title(doc: FactsDocument, repo_root: Path | None = None) -> str:
    """The repository's name, as the artifacts' titles give it (its folder's name)."""
    name = Path(doc.repo.root).name
    if name in ("", ".", "..") and repo_root is not None:
        name = repo_root.resolve().name
    return name or doc.repo.root


def nav(pages: dict[str, str], services: Sequence[Service]) -> list[NavItem]:
    """Overview, by cadence, checklists and procedures, services, gaps, compliance; any
    other page (an artifact this module does not know yet) last, so mkdocs finds none
    left out."""
    names = page_names(services)

    def present(items: Sequence[tuple[str, str]]) -> list[NavItem]:
        return [(title, path) for title, path in items if path in pages]

    items: list[NavItem] = [("Overview", INDEX)]
    for title, group in (
        ("By cadence", present(CADENCES)),
        ("Checklists and procedures", present(PROCEDURES)),
    ):
        if group:
            items.append((title, group))
    service_items: list[NavItem] = [(None, f"{SERVICES}/index.md")]
    service_items += [(s.name, names[s.name]) for s in services]
    items.append(("Services", service_items))
    if GAPS_PAGE in pages:
        items.append(("Gaps", GAPS_PAGE))
    if present(COMPLIANCE):
        items.append(("Compliance", present(COMPLIANCE)))
    listed = {INDEX, GAPS_PAGE, f"{SERVICES}/index.md", *names.values()}
    listed |= {p for _, p in (*CADENCES, *PROCEDURES, *COMPLIANCE)}
    more: list[NavItem] = [(None, p) for p in sorted(pages) if p not in listed]
    if more:
        items.append(("More", more))
    return items


def backstage_name(text: str) -> str:
    """A Backstage entity name: letters, digits and `-_.` between them, at most 63."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-_.")
    name = re.sub(r"[-_.]{2,}", "-", name)[:63].strip("-_.")
    return name or "repository"


def backstage_owner(doc: FactsDocument) -> str | None:
    """The repository's owner as a Backstage reference (`group:team`, `user:name`)."""
    rule = owner_of(["README.md"], doc.repo.owners) if doc.repo.owners else None
    for who in rule.owners if rule else []:
        if who.startswith("@"):
            handle = who[1:]
            kind = "group" if "/" in handle else "user"
            return f"{kind}:{backstage_name(handle.rsplit('/', 1)[-1])}"
    return None


def _yaml(value: object) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(str(value), ensure_ascii=False)


@dataclass
class Site:
    """What a site is made of before it is written (pure)."""

    pages: dict[str, str]
    """docs-relative path → Markdown."""
    mkdocs_yml: str
    catalog_info: str
    notes: list[str] = field(default_factory=list)


def build_site(
    doc: FactsDocument,
    artifacts: dict[str, str],
    web: RepoWeb | None,
    title: str,
    statics: Sequence[str] = (FACTS_FILE,),
) -> Site:
    """The site's pages and configuration from the facts and the artifacts' Markdown."""
    pages = {name: rewrite_citations(text, web) for name, text in artifacts.items()}
    pages |= service_pages(doc, SiteCite(web))
    pages, notes = check_links(pages, statics)
    pages = {name: table_code_pipes(text) for name, text in pages.items()}
    env = environment(data_dir("templates") / "site")
    env.filters["yaml"] = _yaml
    services = ordered_services(doc)
    owner = backstage_owner(doc)
    mkdocs_yml = env.get_template("mkdocs.yml.j2").render(
        marker=MARKER,
        title=title,
        home=web.home if web else None,
        nav=nav(pages, services),
        tool=doc.tool,
    )
    catalog = env.get_template("catalog-info.yaml.j2").render(
        marker=MARKER,
        name=backstage_name(title),
        title=title,
        owner=owner,
        home=web.home if web else None,
    )
    return Site(pages, mkdocs_yml, catalog, notes)


@dataclass(frozen=True)
class SiteResult:
    site_dir: Path
    pages: list[str]
    """docs-relative Markdown pages written."""
    web: RepoWeb | None
    notes: list[str]


def read_output(out_dir: Path) -> tuple[Path, FactsDocument, dict[str, str], list[str]]:
    """An extract output folder's facts and artifacts (a repository's `.ddd/` is found too)."""
    if not (out_dir / FACTS_FILE).is_file() and (out_dir / OUT_DIRNAME / FACTS_FILE).is_file():
        out_dir = out_dir / OUT_DIRNAME
    path = out_dir / FACTS_FILE
    hint = "pass the folder `ddd-llm extract` wrote (PATH/.ddd or its --out), or run extract"
    try:
        doc = FactsDocument.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path} does not exist", path=str(path), hint=hint) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", path=str(path), hint=hint) from None
    except ValidationError as exc:
        raise InputError(
            f"{path} is not a facts.json of this ddd-llm ({exc.error_count()} errors)",
            path=str(path),
            hint="run `ddd-llm extract` again with this version",
        ) from None
    texts: dict[str, str] = {}
    missing: list[str] = []
    for name in ARTIFACTS:
        try:
            texts[name] = (out_dir / name).read_text(encoding="utf-8")
        except FileNotFoundError:
            missing.append(name)
    if INDEX not in texts:
        raise InputError(
            f"{out_dir / INDEX} does not exist", path=str(out_dir / INDEX), hint="run extract again"
        )
    notes = [f"{name} is missing from {out_dir}: left out of the site" for name in missing]
    return out_dir, doc, texts, notes


def find_repo_root(doc: FactsDocument, out_dir: Path) -> Path | None:
    """The scanned repository on this machine: facts.json's root as given (relative to the
    current folder), or the folder holding OUT when OUT is PATH/.ddd; the one that holds
    the cited files."""
    candidates = [Path(doc.repo.root)]
    if out_dir.resolve().name == OUT_DIRNAME:
        candidates.append(out_dir.resolve().parent)
    cited = next((c.path for f in doc.facts for c in f.citations), None)
    for folder in candidates:
        if folder.is_dir() and (cited is None or (folder / cited).is_file()):
            return folder
    return None


def _prepare(site_dir: Path) -> None:
    """Make `site_dir` ready for writing: new, empty, or a site this module wrote (whose
    docs/ is cleared, so a removed service leaves no page behind)."""
    config = site_dir / "mkdocs.yml"
    if site_dir.exists() and not site_dir.is_dir():
        raise InputError(f"{site_dir} is a file", path=str(site_dir), hint="pass --site-dir DIR")
    if site_dir.is_dir() and any(site_dir.iterdir()):
        try:
            ours = config.read_text(encoding="utf-8").startswith(MARKER)
        except (OSError, UnicodeDecodeError):
            ours = False
        if not ours:
            raise InputError(
                f"{site_dir} is not empty and was not written by `ddd-llm site`",
                path=str(site_dir),
                hint="pass --site-dir with a new or empty folder",
            )
        shutil.rmtree(site_dir / DOCS_DIRNAME, ignore_errors=True)
    (site_dir / DOCS_DIRNAME).mkdir(parents=True, exist_ok=True)


def write_site(
    out_dir: Path,
    site_dir: Path | None = None,
    repo_url: str | None = None,
    *,
    repo_root: Path | None = None,
    git: GitRunner = run_git,
) -> SiteResult:
    """Write SITE_DIR/mkdocs.yml, SITE_DIR/docs/ and SITE_DIR/catalog-info.yaml from the
    extract output OUT (SITE_DIR defaults to OUT/site)."""
    out_dir, doc, artifacts, notes = read_output(out_dir)
    root = repo_root if repo_root is not None else find_repo_root(doc, out_dir)
    web = repo_web(doc, root, repo_url, git, notes)
    site = build_site(doc, artifacts, web, site_title(doc, root))
    target = site_dir or out_dir / SITE_DIRNAME
    _prepare(target)
    atomic_write(target / "mkdocs.yml", site.mkdocs_yml)  # first: it marks the folder ours
    docs = target / DOCS_DIRNAME
    for name, text in site.pages.items():
        path = docs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text)
    shutil.copyfile(out_dir / FACTS_FILE, docs / FACTS_FILE)
    atomic_write(target / "catalog-info.yaml", site.catalog_info)
    return SiteResult(target, sorted(site.pages), web, [*notes, *site.notes])


# ------------------------------------------------------------------ the built site, checked


class _Refs(HTMLParser):
    """The ids of an HTML page and the addresses it refers to (href, src)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v for k, v in attrs if v is not None}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.ids.add(values["name"])
        if tag in ("a", "link", "area") and "href" in values:
            self.refs.append(values["href"])
        if tag in ("script", "img", "iframe", "source", "embed") and "src" in values:
            self.refs.append(values["src"])


def _parse_html(path: Path) -> _Refs:
    parser = _Refs()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser


def broken_links(html_dir: Path) -> list[str]:
    """Every address inside a built site (`mkdocs build`'s output) that leads nowhere: a
    file that is not there, a path out of the site, or an `#id` the target page lacks.
    Addresses with a scheme (https:, mailto:) are not followed."""
    root = html_dir.resolve()
    pages = {p: _parse_html(p) for p in sorted(root.rglob("*.html"))}
    broken: list[str] = []
    for page, parsed in pages.items():
        where = page.relative_to(root).as_posix()
        for ref in parsed.refs:
            parts = urlsplit(ref)
            if parts.scheme or ref.startswith("//"):
                continue
            path = unquote(parts.path)
            if not path:
                target = page
            elif path.startswith("/"):
                target = (root / path.lstrip("/")).resolve()
            else:
                target = (page.parent / path).resolve()
            if not target.is_relative_to(root):
                broken.append(f"{where}: {ref} leads out of the site")
                continue
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{where}: {ref} is not in the site")
                continue
            frag = unquote(parts.fragment)
            if frag and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse_html(target).ids
                if frag not in ids:
                    broken.append(f"{where}: {ref} names no element of {target.name}")
    return broken
