"""Index embeddings: all-MiniLM-L6-v2 through one onnxruntime session, each text tokenised once.

    Embedder(model_file, tokenizer_file, name, threads=None, batch=EMBED_BATCH)
      (texts) -> ndarray (n, 384)     unit vectors, chromadb's ONNXMiniLM_L6_V2 arithmetic
      .raw(texts, batch) -> ndarray   the plain forward pass, texts as given (benchmarks)
    session_options(threads)          the onnxruntime SessionOptions every session here uses

What differs from chromadb's own function, whose vectors these are (fp32: equal to 1e-6,
tests/unit/test_index_embed.py):

- a batch is padded to its longest text, not to 256 tokens, and batches are formed from
  texts of similar length (attention masks make padding irrelevant to the result in fp32;
  the int8 copy runs one text per pass, index/quantize.py INT8_BATCH says why);
- identical texts (licence headers, generated boilerplate) are embedded once;
- one session per model file and process, with its intra-op threads set
  (DDD_LLM_EMBED_THREADS; default: the cores this process may use).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MAX_TOKENS = 256
"""sentence-transformers' max_seq_length for this model (chromadb truncates there too)."""
EMBED_BATCH = 32
"""Texts per forward pass: chromadb's own batch; larger batches were not faster here."""
DIMENSIONS = 384
EMBED_THREADS_ENV = "DDD_LLM_EMBED_THREADS"
"""Threads per embedding session (default: the cores this process may use). Batch workers
set it so that N repositories embedding at once do not each spread over every core."""

Vectors = npt.NDArray[np.float32]


def embed_threads() -> int:
    """$DDD_LLM_EMBED_THREADS when set to a positive number, else the usable cores."""
    configured = os.environ.get(EMBED_THREADS_ENV, "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def session_options(threads: int) -> Any:
    """Full graph optimisation, `threads` intra-op threads, one inter-op thread (the graph
    is a chain: nothing runs beside it), quiet logs."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return options


class Embedder:
    """all-MiniLM-L6-v2 (or its int8 copy) as an embedding function: texts → unit vectors."""

    def __init__(
        self,
        model_file: Path,
        tokenizer_file: Path,
        name: str,
        *,
        threads: int | None = None,
        batch: int = EMBED_BATCH,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.name = name
        self.batch = batch
        self.threads = threads or embed_threads()
        self.model_file = model_file
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()
        self._session = ort.InferenceSession(
            str(model_file),
            sess_options=session_options(self.threads),
            providers=["CPUExecutionProvider"],
        )
        self._inputs = {i.name for i in self._session.get_inputs()}

    def __call__(self, texts: Sequence[str]) -> Vectors:
        return self.embed(texts)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text, in order; each distinct text is tokenised and run once,
        in batches of texts of similar length."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        slot: dict[str, int] = {}
        for text in texts:
            slot.setdefault(text, len(slot))
        unique = list(slot)
        ids = [e.ids for e in self._tokenizer.encode_batch(unique)]
        order = sorted(range(len(unique)), key=lambda i: len(ids[i]))
        vectors = np.empty((len(unique), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), self.batch):
            rows = order[start : start + self.batch]
            vectors[rows] = self._forward([ids[i] for i in rows])
        return vectors[[slot[t] for t in texts]]

    def raw(self, texts: Sequence[str], batch: int | None = None) -> Vectors:
        """The embedder alone, as chromadb runs it but padded per batch: texts in the order
        given, tokenised batch by batch, no reuse of repeated texts (the benchmark's baseline)."""
        size = batch or self.batch
        out = [
            self._forward([e.ids for e in self._tokenizer.encode_batch(list(texts[i : i + size]))])
            for i in range(0, len(texts), size)
        ]
        return np.concatenate(out) if out else np.zeros((0, DIMENSIONS), dtype=np.float32)

    def _forward(self, token_ids: Sequence[Sequence[int]]) -> Vectors:
        width = max(1, max(len(t) for t in token_ids))
        input_ids = np.zeros((len(token_ids), width), dtype=np.int64)
        mask = np.zeros((len(token_ids), width), dtype=np.int64)
        for row, tokens in enumerate(token_ids):
            input_ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        hidden: Vectors = self._session.run(None, feed)[0]
        # Mean over the real tokens, then unit length: chromadb's pooling and normalisation,
        # in float64 as there (an int64 mask times float32 states).
        weights = mask[:, :, None]
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        norms[norms == 0] = 1e-12
        unit: Vectors = (pooled / norms).astype(np.float32)
        return unit
