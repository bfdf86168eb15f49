"""An int8 copy of the embedding model: made once with onnxruntime's dynamic quantization.

    int8_model(onnx_dir, cache=None) -> Path    the copy, made on first use and cached

It is the index's default model (`--embed-model fp32` runs the shipped one): about twice
as fast, and in benchmarks/index_throughput.py's quality pass it cites and reaches exactly
what fp32 does (benchmarks/results/issue18-int8-2026-12-04.txt).

The copy is derived from the shipped model.onnx only (no calibration data): the 36 weight
MatMuls quantized per output channel to int8, activations quantized on the fly (the attention
products of two activations stay fp32). Per-channel weights and leaving the embedding tables
(Gather) in fp32 keep its vectors at a mean cosine of about 0.994 to the fp32 ones (per-tensor
weights: 0.93). Keeping the most sensitive MatMuls in fp32 (the feed-forward output
projections) raised that to 0.997 but cost a third of the speed-up; reduce_range, uint8
weights and onnxruntime's pre-processing gained nothing. It lives in
~/.cache/ddd-llm/models/<model>-<sha256 of the source>/ ($DDD_LLM_MODEL_CACHE overrides the
folder), so a changed source model gets a new copy and a read-only model folder is never
written to. Written to a temporary name and renamed: a killed run leaves no half a model.
"""

from __future__ import annotations

import hashlib
import logging
import os
from functools import cache
from pathlib import Path

from ddd_llm.errors import IndexUnavailable

MODEL_CACHE_ENV = "DDD_LLM_MODEL_CACHE"
RECIPE = "q1-matmul-int8-per-channel"
"""Names how the copy is made; part of its folder name, so a new recipe makes a new copy."""
INT8_FILE = "model-int8.onnx"
INT8_BATCH = 1
"""Texts per forward pass of the int8 copy. Its activations are quantized with one scale per
tensor, so in a batch a text's vector depends on the texts (and padding) beside it, by up to
0.03 a component: the same repository embedded in another order (an extraction's shortlists
first, then `ask` the rest) then ranks some excerpts differently. One text per pass makes a
vector a function of its text alone, and was no slower here than 32 per pass (41.6 against
37.8 chunks/s on 768 chunks of evals/real and fixtures, 2 cores)."""


def model_cache() -> Path:
    configured = os.environ.get(MODEL_CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "ddd-llm" / "models"


@cache
def _sha256(path: Path, stamp: tuple[int, int]) -> str:
    """`stamp` (size, mtime) is part of the cache key only: a changed file is hashed again."""
    del stamp
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file, hashed once per process for an unchanged file."""
    stat = path.stat()
    return _sha256(path.resolve(), (stat.st_size, stat.st_mtime_ns))


def int8_model(onnx_dir: Path, cache_dir: Path | None = None) -> Path:
    """The int8 copy of onnx_dir/model.onnx, quantized now unless it is cached.

    Raises IndexUnavailable (with the fix) when onnx, which the quantizer needs, is missing
    or the cache folder is not writable.
    """
    source = onnx_dir / "model.onnx"
    folder = (cache_dir or model_cache()) / f"{onnx_dir.parent.name}-{file_sha256(source)[:16]}"
    target = folder / RECIPE / INT8_FILE
    if target.is_file():
        return target
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise IndexUnavailable(
            f"cannot make the int8 embedding model: {exc}",
            hint="install onnx (`pip install onnx`), or pass --embed-model fp32",
        ) from None
    partial = target.with_name(f".{INT8_FILE}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # its "consider pre-processing" advice is not the user's
        try:
            quantize_dynamic(
                source,
                partial,
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
            )
        finally:
            root.setLevel(level)
        os.replace(partial, target)
    except OSError as exc:
        raise IndexUnavailable(
            f"cannot write the int8 embedding model to {target.parent}: {exc.strerror or exc}",
            hint=f"set {MODEL_CACHE_ENV} to a writable folder, or pass --embed-model fp32",
        ) from None
    except Exception as exc:  # noqa: BLE001 - the quantizer raises many kinds of errors
        raise IndexUnavailable(
            f"quantizing {source} failed: {exc}",
            hint="pass --embed-model fp32, or check the model file (model.onnx sha256)",
        ) from None
    finally:
        partial.unlink(missing_ok=True)
    return target
