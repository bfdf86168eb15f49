"""Index stage: chunks in a chromadb collection, embedded incrementally by content hash."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ddd_llm.chunk import Chunk
from ddd_llm.errors import IndexUnavailable
from ddd_llm.models import IndexStats

ONNX_DIR_ENV = "DDD_LLM_ONNX_DIR"
ONNX_FILES = (
    "config.json",
    "model.onnx",
    "special_tokens_map.json",
    "tokenizer_config.json",
    "tokenizer.json",
    "vocab.txt",
)
CHROMA_CACHE = Path.home() / ".cache" / "chroma" / "onnx_models" / "all-MiniLM-L6-v2" / "onnx"
EMBED_BATCH = 64

EmbeddingFunction = Callable[[list[str]], Any]


def _has_model(onnx_dir: Path) -> bool:
    return all((onnx_dir / name).is_file() for name in ONNX_FILES)


def find_onnx_dir() -> Path | None:
    """The all-MiniLM-L6-v2 ONNX folder: $DDD_LLM_ONNX_DIR first, then chromadb's own cache."""
    configured = os.environ.get(ONNX_DIR_ENV)
    if configured:
        path = Path(configured).expanduser()
        return path if _has_model(path) else None
    return CHROMA_CACHE if _has_model(CHROMA_CACHE) else None


_LOADED: dict[Path, Any] = {}


def load_embedding_function() -> Any:
    """chromadb's default ONNX MiniLM embedding, loaded from a local folder without downloading.

    Loaded once per process and folder. Raises IndexUnavailable with the fix when the
    model files are nowhere to be found.
    """
    onnx_dir = find_onnx_dir()
    if onnx_dir is not None and onnx_dir in _LOADED:
        return _LOADED[onnx_dir]
    if onnx_dir is None:
        where = os.environ.get(ONNX_DIR_ENV)
        detail = (
            f"${ONNX_DIR_ENV}={where} does not hold {', '.join(ONNX_FILES)}"
            if where
            else f"it is not in chromadb's cache ({CHROMA_CACHE})"
        )
        raise IndexUnavailable(
            f"embedding model all-MiniLM-L6-v2 not found: {detail}",
            hint=f"set {ONNX_DIR_ENV} to a folder holding the ONNX model files, or run once "
            "on a connected machine so chromadb downloads it",
        )
    try:
        from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2
    except ImportError as exc:  # pragma: no cover - chromadb is a hard dependency
        raise IndexUnavailable(f"chromadb is not importable: {exc}") from None

    model_home = onnx_dir.parent

    class LocalMiniLM(ONNXMiniLM_L6_V2):
        DOWNLOAD_PATH = model_home

    try:
        function = LocalMiniLM(preferred_providers=["CPUExecutionProvider"])
        function(["warm-up"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises many kinds of errors
        raise IndexUnavailable(
            f"embedding model in {onnx_dir} could not be loaded: {exc}",
            hint=f"check the files in {onnx_dir} (model.onnx sha256) or unset {ONNX_DIR_ENV}",
        ) from None
    _LOADED[onnx_dir] = function
    return function


def _chroma_settings() -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


def persistent_client(path: Path) -> Any:
    import chromadb

    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
    except Exception as exc:  # noqa: BLE001 - map chromadb's errors at this boundary
        raise IndexUnavailable(
            f"cannot open the chroma index at {path}: {exc}",
            hint="pass --index-dir to a writable folder, or delete a corrupted index folder",
        ) from None


@dataclass(frozen=True)
class Hit:
    path: str
    start_line: int
    end_line: int
    text: str
    distance: float


class ChunkIndex:
    """One repository's chunks in one chroma collection; ids are content hashes."""

    def __init__(self, client: Any, collection: str, embedding_function: Any) -> None:
        self._embed = embedding_function
        try:
            self._collection = client.get_or_create_collection(
                name=collection,
                embedding_function=embedding_function,
                metadata={"hnsw:space": "cosine"},
            )
        except Exception as exc:  # noqa: BLE001 - map chromadb's errors at this boundary
            raise IndexUnavailable(f"cannot open chroma collection {collection!r}: {exc}") from None

    def existing_ids(self) -> set[str]:
        try:
            return set(self._collection.get(include=[])["ids"])
        except Exception as exc:  # noqa: BLE001
            raise IndexUnavailable(f"cannot read the chroma index: {exc}") from None

    def sync(
        self,
        chunks: Sequence[Chunk],
        progress: Callable[[int, int], None] | None = None,
    ) -> IndexStats:
        """Embed chunks not yet stored, drop stored chunks that no longer exist."""
        wanted = {c.id: c for c in chunks}
        have = self.existing_ids()
        to_add = [c for cid, c in wanted.items() if cid not in have]
        to_remove = sorted(have - wanted.keys())
        try:
            if to_remove:
                for i in range(0, len(to_remove), 1000):
                    self._collection.delete(ids=to_remove[i : i + 1000])
            for i in range(0, len(to_add), EMBED_BATCH):
                batch = to_add[i : i + EMBED_BATCH]
                self._collection.add(
                    ids=[c.id for c in batch],
                    documents=[c.text for c in batch],
                    metadatas=[
                        {
                            "path": c.path,
                            "start_line": c.start_line,
                            "end_line": c.end_line,
                            "kind": c.kind,
                        }
                        for c in batch
                    ],
                )
                if progress is not None:
                    progress(min(i + EMBED_BATCH, len(to_add)), len(to_add))
        except Exception as exc:  # noqa: BLE001
            raise IndexUnavailable(f"writing to the chroma index failed: {exc}") from None
        return IndexStats(chunks=len(wanted), embedded=len(to_add), removed=len(to_remove))

    def query(self, text: str, n_results: int = 8, paths: Sequence[str] | None = None) -> list[Hit]:
        where: dict[str, Any] | None = None
        if paths:
            where = {"path": {"$in": list(paths)}}
        try:
            found = self._collection.query(
                query_texts=[text],
                n_results=n_results,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
        except Exception as exc:  # noqa: BLE001
            raise IndexUnavailable(f"querying the chroma index failed: {exc}") from None
        hits: list[Hit] = []
        for doc, meta, dist in zip(
            found["documents"][0], found["metadatas"][0], found["distances"][0], strict=False
        ):
            hits.append(
                Hit(
                    path=str(meta["path"]),
                    start_line=int(meta["start_line"]),
                    end_line=int(meta["end_line"]),
                    text=str(doc),
                    distance=float(dist),
                )
            )
        return hits
