"""The CLI imports what a command uses: `--help` and an unchanged re-run of `extract` load
neither the pipeline nor numpy, the lexical ranker, chromadb, onnxruntime, tiktoken or Jinja
(issue #18: an unchanged re-run costs the files' hashes, not the imports of a full run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_index_lazy import small_repo

HEAVY = ("numpy", "bm25s", "chromadb", "onnxruntime", "tiktoken", "jinja2", "tokenizers")
OWN = ("ddd_llm.pipeline", "ddd_llm.apps.ask", "ddd_llm.render.renderer", "ddd_llm.index.store")

PROBE = """
import json, sys
from ddd_llm.cli.app import app
try:
    app(args=sys.argv[1:], prog_name="ddd-llm")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = [m for m in {watch!r} if m in sys.modules]
print(json.dumps({{"code": code, "loaded": loaded}}))
"""


def run_cli(*args: str) -> tuple[int, list[str], str]:
    """Run the CLI in a fresh interpreter: (exit code, watched modules it imported, stderr)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(watch=HEAVY + OWN), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        check=False,
    )
    assert done.stdout.strip(), done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return int(result["code"] or 0), list(result["loaded"]), done.stderr


def test_help_imports_no_heavy_library() -> None:
    for args in (["--help"], ["extract", "--help"], ["ask", "--help"]):
        code, loaded, _ = run_cli(*args)
        assert code == 0
        assert loaded == [], f"{' '.join(args)} imported {loaded}"


def test_unchanged_rerun_imports_no_heavy_library_but_a_real_run_does(tmp_path: Path) -> None:
    repo, out = small_repo(tmp_path / "repo"), tmp_path / "out"
    args = ["extract", str(repo), "--out", str(out), "--llm", "none", "--no-index"]
    code, loaded, said = run_cli(*args)
    assert code == 0, said
    # The probe sees a real run: it does import the pipeline and the renderer.
    assert {"ddd_llm.pipeline", "ddd_llm.render.renderer", "jinja2"} <= set(loaded)
    code, loaded, said = run_cli(*args)
    assert code == 0, said
    assert "inputs unchanged since the last run" in said
    assert loaded == [], f"an unchanged re-run imported {loaded}"
    # A changed file runs again, with everything it needs.
    (repo / "settings.py").write_text('POOL = "20"\n', encoding="utf-8")
    code, loaded, said = run_cli(*args)
    assert code == 0, said
    assert "inputs unchanged" not in said
    assert "ddd_llm.pipeline" in loaded


def test_the_clis_copies_of_defaults_are_the_sources() -> None:
    """app.py and fingerprint.py hold copies of ask's defaults and the renderer's artifact
    names (so that they need not import either): they must stay equal."""
    from ddd_llm.apps import ask
    from ddd_llm.cli import app
    from ddd_llm.fingerprint import ARTIFACT_FILES
    from ddd_llm.render.renderer import ARTIFACTS

    assert app.ASK_TOP_K == ask.DEFAULT_TOP_K
    assert app.ASK_CONTEXT_TOKENS == ask.DEFAULT_CONTEXT_TOKENS
    assert ARTIFACT_FILES == tuple(ARTIFACTS)
