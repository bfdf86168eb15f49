"""ddd_llm.index.quantize: the int8 copy (--embed-model int8) is made once, ranks as fp32 does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ddd_llm.config import ExtractOptions
from ddd_llm.index.embed import Embedder
from ddd_llm.index.quantize import INT8_FILE, RECIPE, int8_model

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


def test_fp32_stays_the_default_model_and_int8_is_chosen_by_name() -> None:
    assert ExtractOptions().embed_model == "fp32"
    assert ExtractOptions(embed_model="int8").embed_model == "int8"


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
