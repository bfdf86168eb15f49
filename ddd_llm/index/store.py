"""Index stage: chunks in a chromadb collection, embedded incrementally by content hash."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ddd_llm.chunk.chunker import Chunk
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
EMBED_THREADS_ENV = "DDD_LLM_EMBED_THREADS"
"""Threads per embedding session (default: onnxruntime's, one per core). Batch workers set it
so that N repositories embedding at once do not each spread over every core."""


class _ThreadCapped:
    """onnxruntime as chromadb sees it, with sessions capped at `threads` intra-op threads
    (chromadb builds the SessionOptions itself and offers no other way to set them)."""

    def __init__(self, ort: Any, threads: int) -> None:
        self._ort = ort
        self._threads = threads

    def SessionOptions(self) -> Any:  # noqa: N802 - onnxruntime's name
        options = self._ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        return options

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ort, name)


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
        threads = os.environ.get(EMBED_THREADS_ENV, "")
        if threads.isdigit() and int(threads) > 0:
            function.ort = _ThreadCapped(function.ort, int(threads))  # type: ignore[assignment]
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


SHARED_KEEP = 3
"""Collections kept per repository on a shared chroma server (the newest commits)."""
REPO_KEY = "ddd_llm_repo"
CREATED_KEY = "ddd_llm_created"


def http_client(url: str) -> Any:
    """A chromadb HttpClient for a chroma server (`chroma run --path DIR --port PORT`)."""
    import chromadb

    parsed = urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise IndexUnavailable(
            f"{url!r} is not a chroma server URL", hint="pass --chroma-url http://HOST:PORT"
        )
    try:
        client = chromadb.HttpClient(
            host=parsed.hostname,
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=_chroma_settings(),
        )
        client.heartbeat()
    except Exception as exc:  # noqa: BLE001 - map chromadb's errors at this boundary
        raise IndexUnavailable(
            f"cannot reach the chroma server at {url}: {exc}",
            hint="start one with `chroma run --path DIR --port PORT`, or drop --chroma-url "
            "to use an index folder per repository",
        ) from None
    return client


def collection_name(repo: str, commit: str | None) -> str:
    """One collection per repository and commit, in chroma's allowed alphabet (3-512 chars)."""
    slug = re.sub(r"[^a-zA-Z0-9._-]+", "-", repo).strip("._-")[:200] or "repo"
    return f"{slug}-{commit[:12] if commit else 'worktree'}"


@dataclass(frozen=True)
class Hit:
    path: str
    start_line: int
    end_line: int
    text: str
    distance: float


class ChunkIndex:
    """One repository's chunks in one chroma collection; ids are content hashes."""

    def __init__(
        self,
        client: Any,
        collection: str,
        embedding_function: Any,
        metadata: dict[str, str] | None = None,
    ) -> None:
        self._embed = embedding_function
        self.name = collection
        try:
            self._collection = client.get_or_create_collection(
                name=collection,
                embedding_function=embedding_function,
                metadata={"hnsw:space": "cosine", **(metadata or {})},
            )
        except Exception as exc:  # noqa: BLE001 - map chromadb's errors at this boundary
            raise IndexUnavailable(f"cannot open chroma collection {collection!r}: {exc}") from None

    def existing_ids(self) -> set[str]:
        try:
            return set(self._collection.get(include=[])["ids"])
        except Exception as exc:  # noqa: BLE001
            raise IndexUnavailable(f"cannot read the chroma index: {exc}") from None

    def holds(self, chunks: Sequence[Chunk]) -> bool:
        """True when the collection holds exactly these chunks (one read, nothing embedded)."""
        return self.existing_ids() == {c.id for c in chunks}

    def sync(
        self,
        chunks: Sequence[Chunk],
        progress: Callable[[int, int], None] | None = None,
        seed: ChunkIndex | None = None,
    ) -> IndexStats:
        """Embed chunks not yet stored, drop stored chunks that no longer exist.

        Chunks that `seed` (another commit's collection) already holds are copied with
        their vectors instead of embedded again: a new commit costs only its changed chunks.
        """
        wanted = {c.id: c for c in chunks}
        have = self.existing_ids()
        to_add = [c for cid, c in wanted.items() if cid not in have]
        to_remove = sorted(have - wanted.keys())
        try:
            if to_remove:
                for i in range(0, len(to_remove), 1000):
                    self._collection.delete(ids=to_remove[i : i + 1000])
            if seed is not None and to_add:
                copied = self._copy_from(seed, to_add)
                to_add = [c for c in to_add if c.id not in copied]
            for i in range(0, len(to_add), EMBED_BATCH):
                batch = to_add[i : i + EMBED_BATCH]
                self._collection.add(
                    ids=[c.id for c in batch],
                    documents=[c.text for c in batch],
                    metadatas=[_metadata(c) for c in batch],
                )
                if progress is not None:
                    progress(min(i + EMBED_BATCH, len(to_add)), len(to_add))
        except Exception as exc:  # noqa: BLE001
            raise IndexUnavailable(f"writing to the chroma index failed: {exc}") from None
        return IndexStats(chunks=len(wanted), embedded=len(to_add), removed=len(to_remove))

    def _copy_from(self, seed: ChunkIndex, chunks: Sequence[Chunk]) -> set[str]:
        copied: set[str] = set()
        for i in range(0, len(chunks), 1000):
            batch = {c.id: c for c in chunks[i : i + 1000]}
            found = seed._collection.get(ids=list(batch), include=["embeddings"])
            ids = [str(x) for x in found["ids"]]
            if not ids:
                continue
            self._collection.add(
                ids=ids,
                embeddings=[list(map(float, e)) for e in found["embeddings"]],
                documents=[batch[cid].text for cid in ids],
                metadatas=[_metadata(batch[cid]) for cid in ids],
            )
            copied.update(ids)
        return copied

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


def _metadata(chunk: Chunk) -> dict[str, str | int]:
    return {
        "path": chunk.path,
        "start_line": chunk.start_line,
        "end_line": chunk.end_line,
        "kind": chunk.kind,
    }


def open_shared(
    client: Any, repo: str, commit: str | None, embedding_function: Any, now: str
) -> tuple[ChunkIndex, ChunkIndex | None]:
    """This commit's collection on a shared server, and the repository's newest other one.

    Collections of the repository beyond the newest SHARED_KEEP are dropped, so a nightly
    run over many commits does not grow the server without bound.
    """
    name = collection_name(repo, commit)
    slug = name.rsplit("-", 1)[0]
    try:
        listed = client.list_collections()
        others = sorted(
            (
                (str((c.metadata or {}).get(CREATED_KEY, "")), str(c.name))
                for c in listed
                if (c.metadata or {}).get(REPO_KEY) == slug and c.name != name
            ),
            reverse=True,
        )
        for _created, old in others[SHARED_KEEP - 1 :]:
            client.delete_collection(old)
    except Exception as exc:  # noqa: BLE001 - map chromadb's errors at this boundary
        raise IndexUnavailable(f"cannot list the chroma server's collections: {exc}") from None
    index = ChunkIndex(client, name, embedding_function, {REPO_KEY: slug, CREATED_KEY: now})
    seed = ChunkIndex(client, others[0][1], embedding_function) if others else None
    return index, seed
