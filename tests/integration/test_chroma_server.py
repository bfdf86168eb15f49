"""--chroma-url against a real chroma server on loopback: same results as the embedded store."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.synth_org import make_repo
from ddd_llm.cli.app import app
from ddd_llm.config import ExtractOptions
from ddd_llm.index.store import collection_for, collection_name, http_client
from ddd_llm.llm import ProviderSettings
from ddd_llm.pipeline import dry_run, extract, prepare
from tests.conftest import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists():
        pytest.skip("the chroma CLI is not installed beside this Python")
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-data")
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, "chroma run exited"
                assert time.monotonic() < deadline, "chroma server did not start"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def collections(url: str) -> list[str]:
    return sorted(c.name for c in http_client(url).list_collections())


def int8_collection(repo: str, commit: str | None) -> str:
    """The default (int8) model's collection of a repository and commit: `<repo>-<commit>-int8`."""
    return collection_for("int8", collection_name(repo, commit))


def plan_of(repo: Path, out: Path, chroma: str | None) -> list[tuple[str, str]]:
    """What the model would be asked about: chosen by index queries, so by the store."""
    opts = ExtractOptions(
        out_dir=out,
        llm="replay",
        provider_settings=ProviderSettings(cassettes=str(out.parent)),
        chroma_url=chroma,
        top_k=3,
    )
    plan, _ = dry_run(repo, opts)
    return [(p.kind, p.chunk.id) for p in plan.calls]


def test_shared_store_gives_the_embedded_stores_results(tmp_path: Path, chroma_url: str) -> None:
    repo = make_repo(tmp_path / "alpha", 4)
    embedded = plan_of(repo, tmp_path / "local", None)
    shared = plan_of(repo, tmp_path / "shared", chroma_url)
    assert shared == embedded and len(shared) > 5
    assert int8_collection("alpha", None) in collections(chroma_url)

    remote = extract(repo, ExtractOptions(out_dir=tmp_path / "r2", chroma_url=chroma_url))
    # The dry run already embedded them (and a run without a model embeds nothing anyway).
    assert remote.document.run.index.embedded == remote.document.run.index.pending == 0
    assert remote.document.run.index.location == f"{chroma_url}#alpha-worktree-int8"


def test_a_new_commit_gets_its_own_collection_seeded_from_the_last(
    tmp_path: Path, chroma_url: str
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = make_repo(tmp_path / "beta", 5)

    def commit(message: str) -> str:
        git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
        subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
        subprocess.run([*git, "commit", "-qm", message], check=True, capture_output=True)
        out = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True)
        return out.stdout.decode().strip()

    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    first = commit("one")
    opts = ExtractOptions(out_dir=tmp_path / "out", chroma_url=chroma_url)
    # prepare() embeds (as a model run or ask does; extract --llm none leaves it to ask).
    one = prepare(repo, opts).index_stats
    assert one.embedded == one.chunks > 0

    (repo / "api/app/settings.py").write_text('import os\nX = os.getenv("X", "1")\n')
    second = commit("two")
    two = prepare(repo, opts).index_stats
    assert 0 < two.embedded < two.chunks  # only the changed file's chunks
    names = collections(chroma_url)
    assert int8_collection("beta", first) in names and int8_collection("beta", second) in names


def test_batch_cli_with_a_chroma_server(tmp_path: Path, chroma_url: str) -> None:
    repos = [make_repo(tmp_path / "org" / f"svc-{i}", i) for i in (1, 2)]
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["extract", *map(str, repos), "--out", str(out), "--llm", "none", "-q",
         "--chroma-url", chroma_url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for repo in repos:
        facts = json.loads((out / repo.name / "facts.json").read_text())
        assert facts["run"]["index"]["available"] is True
        assert not (out / repo.name / "index").exists()  # nothing embedded locally
        assert int8_collection(repo.name, None) in collections(chroma_url)

    down = CliRunner().invoke(
        app,
        ["extract", *map(str, repos), "--out", str(tmp_path / "o2"), "--llm", "none",
         "--chroma-url", "http://127.0.0.1:9"],
    )  # fmt: skip
    assert down.exit_code == 3
    assert "chroma run --path" in down.output
