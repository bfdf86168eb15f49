"""Property-based robustness: random and mutated files never crash an analyzer or the pipeline.

Seeds are the real YAML, Dockerfiles, systemd units, Python and `.env` files of the
fixtures; hypothesis mutates their bytes (flips, inserts of syntax that parsers trip on,
deletions, duplications, truncations) or replaces them with random bytes. Analyzers are
called directly, not through the catch-all of `analyze_files`, so an escaping exception
fails the test instead of turning into a warning. Run with `--hypothesis-show-statistics`
to see how many examples each property ran.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ddd_llm.chunk.chunker import chunk_file
from ddd_llm.config import ExtractOptions
from ddd_llm.evidence import SourceFile, load_analyzers
from ddd_llm.pipeline import prepare
from ddd_llm.scan.redact import MASK, redact_text
from ddd_llm.scan.text import split_lines
from tests.conftest import FIXTURES

EXAMPLES = int(os.environ.get("DDD_LLM_HYPOTHESIS_EXAMPLES", "300"))
"""Per property; raise it for a deeper hunt (`DDD_LLM_HYPOTHESIS_EXAMPLES=5000`)."""
FAST = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW = settings(FAST, max_examples=max(10, EXAMPLES // 4))


def _seed_files() -> dict[str, list[tuple[str, bytes]]]:
    """Fixture files by format, each with its repo-relative path (which picks the analyzer)."""
    kinds: dict[str, Callable[[Path], bool]] = {
        "yaml": lambda p: p.suffix in (".yml", ".yaml"),
        "dockerfile": lambda p: p.name.startswith("Dockerfile"),
        "systemd": lambda p: p.suffix in (".service", ".timer"),
        "python": lambda p: p.suffix == ".py",
        "env": lambda p: p.name.startswith(".env"),
    }
    out: dict[str, list[tuple[str, bytes]]] = {kind: [] for kind in kinds}
    for path in sorted(FIXTURES.rglob("*")):
        if not path.is_file() or ".ddd" in path.parts:
            continue
        for kind, wanted in kinds.items():
            if wanted(path) and path.stat().st_size < 20_000:
                rel = path.relative_to(FIXTURES).as_posix().split("/", 1)[1]
                out[kind].append((rel, path.read_bytes()))
    return out


SEEDS = _seed_files()
ALL_SEEDS = [seed for seeds in SEEDS.values() for seed in seeds]
ANALYZERS = list(load_analyzers().values())

TRICKY = [
    b": ",
    b"- ",
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b"'",
    b"\t",
    b"\r",
    b"\r\n",
    b"\x00",
    b"\xff\xfe",
    b"\xe2\x80\xa8",
    b"\x0c",
    b"\\",
    b"---\n",
    b"...\n",
    b"${",
    b"{{",
    b"&anchor ",
    b"*anchor",
    b"<<: *anchor\n",
    b"!!python/object:os.system ",
    b"? ",
    b"|\n",
    b">-\n",
    b"#",
    b"=",
    b"[Service]\n",
    b"Environment=",
    b"FROM ",
    b"HEALTHCHECK CMD ",
    b"EXPOSE ",
    b"\\\n",
    b"import os\n",
    b"os.getenv(",
    b"def f(",
    b'"""',
    b"PASSWORD=",
    b"-----BEGIN RSA PRIVATE KEY-----\n",
    b"[" * 300,
    b"{a: " * 100,
    b"    " * 50,
    b"9" * 40,
    b"x" * 5000,
    "ünïcödé ✓ 𝔘".encode(),
]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    path, original = draw(st.sampled_from(seeds))
    data = bytearray(original)
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["insert", "delete", "flip", "duplicate", "truncate"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data[at:at] = draw(st.sampled_from(TRICKY) | st.binary(min_size=1, max_size=12))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "flip" and data:
            at = min(at, len(data) - 1)
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 200))]
        else:
            del data[at:]
    return path, bytes(data)


def random_file(seeds: list[tuple[str, bytes]]) -> st.SearchStrategy[tuple[str, bytes]]:
    """A mutated seed, or random bytes under one of the seeds' names."""
    names = sorted({path for path, _ in seeds})
    return mutated(seeds) | st.tuples(st.sampled_from(names), st.binary(max_size=3000))


json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
KEYS = st.sampled_from(
    "services image ports environment healthcheck test interval depends_on condition "
    "command volumes deploy resources limits memory cpus apiVersion kind metadata name "
    "spec template containers env value valueFrom livenessProbe httpGet path port "
    "readinessProbe replicas hosts tasks vars Deployment Service x".split()
) | st.text(max_size=8)
structured = st.recursive(
    json_leaf,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)
"""YAML that parses, with the keys analyzers look for holding values of any type."""
port = st.integers(-5, 70000) | json_leaf
probe = st.fixed_dictionaries({"httpGet": st.fixed_dictionaries({"path": json_leaf, "port": port})})
container = st.fixed_dictionaries(
    {"name": json_leaf, "image": json_leaf},
    optional={
        "ports": st.lists(st.fixed_dictionaries({"containerPort": port}), max_size=3) | structured,
        "env": st.lists(st.fixed_dictionaries({"name": json_leaf, "value": json_leaf}), max_size=3)
        | structured,
        "resources": st.fixed_dictionaries(
            {"limits": st.dictionaries(st.sampled_from(["cpu", "memory"]), json_leaf)}
        )
        | structured,
        "livenessProbe": probe | structured,
        "readinessProbe": probe | structured,
        "command": structured,
    },
)
"""Mostly the right shape, each field sometimes anything at all."""
name = st.text(alphabet="abcdefghij-", min_size=1, max_size=8) | json_leaf
compose_service = st.fixed_dictionaries(
    {"image": name},
    optional={
        "ports": st.lists(st.sampled_from(["8080:80", "53:53/udp", "x", "99999:1"]) | port)
        | structured,
        "environment": st.dictionaries(st.text(max_size=10), json_leaf) | structured,
        "healthcheck": st.fixed_dictionaries({"test": structured, "interval": json_leaf}),
        "depends_on": st.lists(name) | structured,
        "deploy": structured,
    },
)
shaped = (
    st.tuples(
        st.just("docker-compose.yml"),
        st.fixed_dictionaries({"services": st.dictionaries(name.map(str), compose_service)}),
    )
    | st.tuples(
        st.just("kubernetes/app.yaml"),
        st.fixed_dictionaries(
            {
                "apiVersion": st.sampled_from(["apps/v1", "v1", "batch/v1"]),
                "kind": st.sampled_from(["Deployment", "StatefulSet", "Service", "Secret"]),
                "metadata": st.fixed_dictionaries({"name": name}),
                "spec": st.fixed_dictionaries(
                    {
                        "template": st.fixed_dictionaries(
                            {"spec": st.fixed_dictionaries({"containers": st.lists(container)})}
                        )
                    },
                    optional={"replicas": json_leaf, "ports": structured},
                ),
            }
        ),
    )
    | st.tuples(st.sampled_from(sorted({p for p, _ in SEEDS["yaml"]})), structured)
)
"""Documents in the shape of a compose file or a workload manifest, with wrong types inside."""


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def run_every_analyzer(path: str, text: str) -> None:
    source = SourceFile(path, redact_text(text, path).text)
    for analyzer in ANALYZERS:
        if analyzer.accepts(source):
            result = analyzer.analyze(source)
            # Shown by --hypothesis-show-statistics: the inputs reach the analyzers' real work.
            event(f"{analyzer.name}: {'facts' if result.facts else 'no facts'}")
            for fact in result.facts:
                for citation in fact.citations:
                    assert 1 <= citation.start_line <= max(1, len(source.lines)), analyzer.name


@FAST
@given(random_file(SEEDS["yaml"]))
def test_analyzers_survive_broken_yaml(file: tuple[str, bytes]) -> None:
    run_every_analyzer(file[0], decode(file[1]))


@FAST
@given(shaped)
def test_analyzers_survive_well_formed_yaml_of_the_wrong_shape(file: tuple[str, object]) -> None:
    run_every_analyzer(file[0], yaml.safe_dump(file[1], allow_unicode=True))


@FAST
@given(random_file(SEEDS["dockerfile"]))
def test_analyzers_survive_broken_dockerfiles(file: tuple[str, bytes]) -> None:
    run_every_analyzer(file[0], decode(file[1]))


@FAST
@given(random_file(SEEDS["systemd"]))
def test_analyzers_survive_broken_systemd_units(file: tuple[str, bytes]) -> None:
    run_every_analyzer(file[0], decode(file[1]))


@FAST
@given(random_file(SEEDS["python"]))
def test_analyzers_survive_broken_python(file: tuple[str, bytes]) -> None:
    run_every_analyzer(file[0], decode(file[1]))


@FAST
@given(random_file(SEEDS["env"]))
def test_analyzers_survive_broken_env_files(file: tuple[str, bytes]) -> None:
    run_every_analyzer(file[0], decode(file[1]))


@FAST
@given(st.text(max_size=2000) | random_file(ALL_SEEDS).map(lambda f: decode(f[1])))
def test_redaction_and_chunking_keep_every_line(text: str) -> None:
    for path in ("config.yaml", "app/settings.py", "notes.md"):
        redacted = redact_text(text, path)
        lines = split_lines(redacted.text)
        assert len(lines) == len(split_lines(text))
        assert all(1 <= f.line <= max(1, len(lines)) for f in redacted.findings)
        for chunk in chunk_file(path, redacted.text):
            assert 1 <= chunk.start_line <= chunk.end_line <= max(1, len(lines))


SECRET_CONTEXTS = [
    ("app/.env.example", "DB_PASSWORD={}\n"),
    ("docker-compose.yml", "services:\n  api:\n    environment:\n      API_TOKEN: {}\n"),
    ("docker-compose.yml", "services:\n  api:\n    environment:\n      - API_SECRET={}\n"),
    ("app/settings.py", 'import os\nSECRET = os.getenv("SIGNING_SECRET", "{}")\n'),
    ("app/settings.py", 'db_password: str = "{}"\n'),
    ("config.yaml", "database:\n  url: postgresql://app:{}@db:5432/app\n"),
    ("deploy.sh", 'curl -H "Authorization: Bearer {}" https://x\n'),
    ("k8s/secret.yaml", "apiVersion: v1\nkind: Secret\ndata:\n  anything: {}\n"),
    ("Dockerfile", "FROM python:3\nENV ACCESS_TOKEN {}\n"),
    ("unit.service", "[Service]\nEnvironment=WORKER_PASSWORD={}\n"),
]


@FAST
@given(
    st.sampled_from(SECRET_CONTEXTS),
    st.text(
        alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=127),
        min_size=12,
        max_size=40,
    ),
)
def test_a_secret_in_a_known_place_never_survives(context: tuple[str, str], secret: str) -> None:
    path, template = context
    secret = "s3" + secret  # a digit, as generated credentials have
    redacted = redact_text(template.format(secret), path).text
    assert secret not in redacted
    assert MASK in redacted


ENTRIES = st.sampled_from(["file", "fifo", "broken-symlink", "dir", "empty"])
NAMES = st.text(min_size=1, max_size=12).filter(lambda n: "/" not in n and "\x00" not in n) | (
    st.binary(min_size=1, max_size=12)
    .filter(lambda b: b"/" not in b and b"\x00" not in b)
    .map(os.fsdecode)
)


@SLOW
@given(
    st.dictionaries(
        NAMES.filter(lambda n: n not in (".", "..")),
        st.tuples(ENTRIES, random_file(ALL_SEEDS)),
        min_size=1,
        max_size=6,
    )
)
def test_every_file_is_read_or_skipped_with_a_reason(
    entries: dict[str, tuple[str, tuple[str, bytes]]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        written: set[str] = set()
        for name, (entry, (seed_path, data)) in entries.items():
            # Half the files take the seed's own name, so its analyzer reads them.
            target = repo / (seed_path.replace("/", "_") if len(name) % 2 else name)
            if os.fsencode(target.name) in {os.fsencode(w) for w in written}:
                continue
            try:
                if entry == "file":
                    target.write_bytes(data)
                elif entry == "fifo":
                    os.mkfifo(target)
                elif entry == "broken-symlink":
                    os.symlink(repo / "missing", target)
                elif entry == "dir":
                    target.mkdir()
                    (target / "inside.yaml").write_bytes(data)
                else:
                    target.write_bytes(b"")
            except OSError:
                continue  # a name this file system refuses
            written.add(target.name)
        prepared = prepare(repo, ExtractOptions(out_dir=Path(tmp) / "out", index=False))
        scanned = prepared.scanned
        reported = {f.path.split("/")[0] for f in scanned.files}
        reported |= {s.path.split("/")[0] for s in scanned.skipped}
        shown = {os.fsencode(n).decode("utf-8", "replace") for n in written}
        missing = {n for n in shown if n not in reported and not (repo / n).is_dir()}
        assert not missing, f"neither read nor skipped: {missing}"
        assert all(s.reason.strip() for s in scanned.skipped)
        for f in scanned.files:
            lines = len(split_lines(f.text))
            for chunk in prepared.chunks:
                if chunk.path == f.path:
                    assert chunk.end_line <= max(1, lines)
