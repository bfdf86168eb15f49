"""A dependency on loopback at a port another service publishes: the setting's line and the
publishing line hold it without naming the target (ddd_llm/verify/published_port.py)."""

from __future__ import annotations

from pathlib import Path

from ddd_llm.evidence.deploy._reach import published_port
from ddd_llm.models import Check, Citation, Dependency, ResourceRequirement
from ddd_llm.scan.repotext import RepoText
from ddd_llm.verify.published_port import published_port_keys
from ddd_llm.verify.verifier import citation_checks

COMPOSE = """\
services:
  shop:
    build: ./shop
    ports:
      - "8000:80"
  catalog:
    build: ./catalog
    ports:
      - "127.0.0.1:7300:8080"
"""
SETTINGS = """\
{
  "Upstreams": {
    "ProductsApi": "http://localhost:7300/v1/",
    "ReportsUrl": "http://localhost:7400/"
  }
}
"""


def _files(tmp_path: Path) -> RepoText:
    texts = {"compose.yaml": COMPOSE, "shop/settings.json": SETTINGS}
    for rel, text in texts.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return RepoText(tmp_path, texts)


def _cite(path: str, line: int) -> Citation:
    return Citation(path=path, start_line=line, end_line=line)


PUBLISHES = ResourceRequirement(
    service="catalog",
    resource="port",
    value="127.0.0.1:7300:8080",
    summary="catalog publishes port 127.0.0.1:7300:8080",
    citations=[_cite("compose.yaml", 9)],
)
SHOP_PORT = ResourceRequirement(
    service="shop",
    resource="port",
    value="8000:80",
    summary="shop publishes port 8000:80",
    citations=[_cite("compose.yaml", 5)],
)


def _keys(claim: Dependency, files: RepoText) -> list[Check]:
    checks = published_port_keys(
        claim, citation_checks(claim, files), files, [PUBLISHES, SHOP_PORT]
    )
    return [c for c in checks if c.name == "cites_key"]


def test_the_url_line_and_the_publishing_line_hold_the_dependency(tmp_path: Path) -> None:
    files = _files(tmp_path)
    claim = Dependency(
        service="shop",
        target="catalog",
        summary="shop calls catalog at http://localhost:7300/v1/",
        citations=[_cite("shop/settings.json", 3), _cite("compose.yaml", 9)],
    )
    keys = _keys(claim, files)
    assert [c.passed for c in keys] == [True, True]
    assert "calls port 7300" in keys[0].detail and "publishes host port 7300" in keys[1].detail


def test_another_port_or_another_services_line_does_not(tmp_path: Path) -> None:
    files = _files(tmp_path)
    elsewhere = Dependency(
        service="shop",
        target="catalog",
        summary="shop calls catalog at http://localhost:7400/",
        citations=[_cite("shop/settings.json", 4), _cite("compose.yaml", 9)],
    )
    assert [c.passed for c in _keys(elsewhere, files)] == [False, True]  # 7400 is not 7300
    wrong_target = Dependency(
        service="catalog",
        target="shop",
        summary="catalog calls shop",
        citations=[_cite("shop/settings.json", 3), _cite("compose.yaml", 9)],
    )
    assert [c.passed for c in _keys(wrong_target, files)] == [False, False]  # 9 is catalog's
    alone = Dependency(
        service="shop",
        target="catalog",
        summary="shop calls catalog",
        citations=[_cite("shop/settings.json", 3)],
    )
    assert [c.passed for c in _keys(alone, files)] == [False]  # no publishing line cited


def test_host_port_of_published_port_values() -> None:
    assert published_port("5200:8080") == 5200
    assert published_port("127.0.0.1:5200:8080/tcp") == 5200
    assert published_port("8080") is None


def test_extract_verifies_such_a_dependency(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from ddd_llm.cli.app import app

    repo = tmp_path / "repo"
    (repo / "shop").mkdir(parents=True)
    (repo / "compose.yaml").write_text(COMPOSE)
    (repo / "shop" / "appsettings.json").write_text(SETTINGS)
    out = tmp_path / "out"
    done = CliRunner().invoke(
        app, ["extract", str(repo), "--out", str(out), "--llm", "none", "--no-index"]
    )
    assert done.exit_code == 0, done.output
    facts = json.loads((out / "facts.json").read_text())["facts"]
    deps = {f["id"]: f for f in facts if f["kind"] == "dependency"}
    found = deps["dependency:shop:catalog"]
    assert found["verification"]["status"] == "verified"
    assert "dependency:shop:reports" not in deps  # nobody publishes 7400
