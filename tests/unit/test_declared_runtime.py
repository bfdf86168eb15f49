"""A runtime the project states it needs (package.json `engines`, pyproject.toml
`requires-python`) is a dependency; a Dockerfile's base image alone, or a package manager
pinned in `engines`, is not."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_docs_deps import extract, of_kind

PACKAGE = """\
{
  "name": "shop-api",
  "version": "1.0.0",
  "engines": {
    "node": ">=18.0.0",
    "npm": ">=9"
  },
  "scripts": {"start": "node src/index.js"}
}
"""
PYPROJECT = """\
[project]
name = "worker"
version = "0.1.0"
requires-python = ">=3.11"
"""


def test_a_stated_runtime_is_a_dependency_and_a_base_image_is_not(tmp_path: Path) -> None:
    got = extract(
        tmp_path,
        {
            "api/package.json": PACKAGE,
            "worker/pyproject.toml": PYPROJECT,
            # an image: no stated requirement, every image has some base
            "tools/Dockerfile": 'FROM python:3.12-slim\nCMD ["python", "-m", "tools"]\n',
        },
    )
    deps = {
        (str(f["target"]), f["citations"][0]["path"]): f  # type: ignore[index]
        for f in of_kind(got, "dependency").values()
    }
    node = deps[("node", "api/package.json")]
    assert node["dependency_type"] == "runtime"
    assert ">=18.0.0" in str(node["summary"])
    cited = node["citations"][0]  # type: ignore[index]
    assert (cited["start_line"], cited["end_line"]) == (4, 5)
    assert node["verification"]["status"] == "verified"  # type: ignore[index]
    python = deps[("python", "worker/pyproject.toml")]
    assert python["citations"][0]["start_line"] == 4  # type: ignore[index]
    # npm builds it; the Dockerfile's python:3.12 is how one image packages a tool
    assert set(deps) == {("node", "api/package.json"), ("python", "worker/pyproject.toml")}
