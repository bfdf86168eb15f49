"""ddd_llm.index.quantize: the int8 copy is the default model, made once, ranks as fp32 does, and
embeds a text the same whatever is embedded with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ddd_llm.config import ExtractOptions
from ddd_llm.index import store
from ddd_llm.index.embed import Embedder
from ddd_llm.index.quantize import INT8_FILE, MODEL_CACHE_ENV, RECIPE, int8_model

PASSAGES = [
    "Back up the database with pg_dump -Fc shop > shop.dump, then pg_restore --list the dump.",
    "MAX_CONNECTIONS = int(os.getenv('MAX_CONNECTIONS', '20'))  # the pool's upper bound",
    "healthcheck:\n  test: ['CMD', 'curl', '-f', 'http://localhost:8080/health']\n  interval: 10s",
    "resources:\n  limits:\n    memory: 512Mi\n    cpu: 500m",
    "Rotate the TLS certificate: copy the new pem to /etc/relay/tls and reload the service.",
]
QUESTIONS = [
    ("How do I back up the Postgres database?", 0),
    ("How many connections does the pool allow?", 1),
    ("How is the service health checked?", 2),
    ("How much memory may the container use?", 3),
    ("How do I renew the certificate?", 4),
]


@pytest.fixture(scope="module")
def shipped() -> Path:
    from tests.conftest import ONNX_DIR

    if not ONNX_DIR.is_dir():
        pytest.skip(f"embedding model not found at {ONNX_DIR} (../shared missing)")
    return ONNX_DIR


@pytest.fixture(scope="module")
def copy(shipped: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return int8_model(shipped, tmp_path_factory.mktemp("models"))


def test_int8_is_the_default_model() -> None:
    assert ExtractOptions().embed_model == "int8"
    assert ExtractOptions(embed_model="fp32").embed_model == "fp32"


def test_the_copy_is_made_once_under_its_recipe(copy: Path, shipped: Path) -> None:
    assert copy.name == INT8_FILE and copy.parent.name == RECIPE
    assert copy.stat().st_size < (shipped / "model.onnx").stat().st_size * 0.75
    stamp = copy.stat().st_mtime_ns
    assert int8_model(shipped, copy.parent.parent.parent) == copy
    assert copy.stat().st_mtime_ns == stamp  # cached, not made again
    assert not list(copy.parent.glob(".*.tmp"))


def test_int8_vectors_rank_as_fp32_ones(copy: Path, shipped: Path) -> None:
    tokenizer = shipped / "tokenizer.json"
    fp32 = Embedder(shipped / "model.onnx", tokenizer, "t/fp32", threads=1)
    int8 = Embedder(copy, tokenizer, "t/int8", threads=1)
    texts = PASSAGES + [q for q, _ in QUESTIONS]
    a, b = fp32.embed(texts), int8.embed(texts)
    cosines = (a * b).sum(axis=1)
    assert cosines.min() > 0.97, cosines
    assert not np.allclose(a, b, atol=1e-4)  # really another model, not the fp32 file again
    for vectors in (a, b):
        scores = vectors[len(PASSAGES) :] @ vectors[: len(PASSAGES)].T
        assert [int(i) for i in scores.argmax(axis=1)] == [want for _, want in QUESTIONS]


def test_an_int8_vector_does_not_depend_on_the_texts_embedded_with_it(
    copy: Path, shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Otherwise an index's vectors depend on the order it was filled in (a model run's
    shortlists first, then `ask` the rest) and the same question retrieves other excerpts."""
    monkeypatch.setenv(store.ONNX_DIR_ENV, str(shipped))
    monkeypatch.setenv(MODEL_CACHE_ENV, str(copy.parents[2]))  # the module's copy, not ~
    monkeypatch.setattr(store, "_LOADED", {})
    int8 = store.load_embedder("int8")
    texts = PASSAGES + [q for q, _ in QUESTIONS]
    together = int8(texts)
    assert all(np.array_equal(int8([t])[0], v) for t, v in zip(texts, together, strict=True))
    assert np.array_equal(int8(texts[::-1])[::-1], together)
    # Why: one batch of them all (activations scaled per tensor) gives other vectors.
    assert not np.allclose(int8.raw(texts, len(texts)), together, atol=1e-4)
