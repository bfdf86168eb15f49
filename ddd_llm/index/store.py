"""Index stage: chunks in a chromadb collection, embedded incrementally by content hash.

Vectors come from ddd_llm/index/embed.py (our own onnxruntime session, not chromadb's
embedding function): chromadb stores and searches them. A collection holds one model's
vectors only: the int8 model's go to their own collection (`collection_for`).

A model run embeds only what its retrieval needs (`ChunkIndex.nearest`): per query, the
SHORTLIST chunks BM25 ranks highest are embedded (and kept, so `ask` reuses them) and
ranked by their vectors; every other chunk stays pending until the first `ask` embeds it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ddd_llm.chunk.chunker import Chunk
from ddd_llm.errors import IndexUnavailable
from ddd_llm.index.embed import EMBED_BATCH, EMBED_THREADS_ENV, Embedder
from ddd_llm.index.quantize import INT8_BATCH, int8_model
from ddd_llm.models import IndexStats

if TYPE_CHECKING:
    from ddd_llm.index.lexical import LexicalIndex

__all__ = ["EMBED_THREADS_ENV", "ChunkIndex", "Hit", "load_embedder", "load_embedding_function"]

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
WRITE_BATCH = 512
"""Chunks embedded and written to chroma per step: large writes, and a killed run keeps all
but the last step's work (progress is reported per step)."""

SHORTLIST: int | None = 100
"""Chunks per retrieval query that BM25 ranks highest (`ChunkIndex.nearest`): only these are
embedded during a model run and ranked by their vectors. None: every chunk is embedded and
the whole index searched (what runs did before; benchmarks/lazy_retrieval.py compares)."""

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


EMBED_MODELS = ("fp32", "int8")
"""fp32: all-MiniLM-L6-v2 as shipped; int8: its dynamically quantized copy (index/quantize.py)."""
MODEL_NAME = "all-MiniLM-L6-v2"
EMBED_KEY = "ddd_llm_embed"
"""Collection metadata naming the model whose vectors it holds (missing: fp32, older runs)."""
_LOADED: dict[tuple[Path, str], Embedder] = {}


def model_label(model: str) -> str:
    """How IndexStats and the collection's metadata name a model: all-MiniLM-L6-v2/int8."""
    return f"{MODEL_NAME}/{model}"


def load_embedder(model: str = "fp32") -> Embedder:
    """The index's embedding function: all-MiniLM-L6-v2 (fp32, or its int8 copy) from a
    local folder, never downloaded; loaded once per process, folder and model.

    Raises IndexUnavailable with the fix when the model files are nowhere to be found.
    """
    if model not in EMBED_MODELS:
        raise IndexUnavailable(
            f"unknown embedding model {model!r}", hint=f"choose one of {', '.join(EMBED_MODELS)}"
        )
    onnx_dir = find_onnx_dir()
    if onnx_dir is not None and (onnx_dir, model) in _LOADED:
        return _LOADED[onnx_dir, model]
    if onnx_dir is None:
        where = os.environ.get(ONNX_DIR_ENV)
        detail = (
            f"${ONNX_DIR_ENV}={where} does not hold {', '.join(ONNX_FILES)}"
            if where
            else f"it is not in chromadb's cache ({CHROMA_CACHE})"
        )
        raise IndexUnavailable(
            f"embedding model {MODEL_NAME} not found: {detail}",
            hint=f"set {ONNX_DIR_ENV} to a folder holding the ONNX model files, or run once "
            "on a connected machine so chromadb downloads it",
        )
    if model == "fp32":
        model_file, batch = onnx_dir / "model.onnx", EMBED_BATCH
    else:
        model_file, batch = int8_model(onnx_dir), INT8_BATCH
    try:
        embedder = Embedder(
            model_file, onnx_dir / "tokenizer.json", model_label(model), batch=batch
        )
        embedder(["warm-up"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises many kinds of errors
        raise IndexUnavailable(
            f"embedding model {model_file} could not be loaded: {exc}",
            hint=f"check the files in {onnx_dir} (model.onnx sha256) or unset {ONNX_DIR_ENV}",
        ) from None
    _LOADED[onnx_dir, model] = embedder
    return embedder


def load_embedding_function() -> Embedder:
    """The fp32 model (load_embedder("fp32")): the vectors every earlier index holds."""
    return load_embedder("fp32")


class LazyEmbedder:
    """An embedding function loaded on its first call: opening an index, counting what it
    holds and dropping what is gone never load the model."""

    def __init__(self, loader: Callable[[], EmbeddingFunction], name: str) -> None:
        self._loader = loader
        self._loaded: EmbeddingFunction | None = None
        self.name = name

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def __call__(self, texts: list[str]) -> Any:
        if self._loaded is None:
            self._loaded = self._loader()
        return self._loaded(texts)


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
    """One repository's chunks in one chroma collection; ids are content hashes.

    `embedding_function` turns texts into vectors (an Embedder, or a LazyEmbedder that
    loads one on first use); chromadb is given the vectors, never the function.
    """

    def __init__(
        self,
        client: Any,
        collection: str,
        embedding_function: Any,
        metadata: dict[str, str] | None = None,
    ) -> None:
        self._embed = embedding_function
        self.name = collection
        self.embedded = 0
        """Chunks this object embedded and stored (sync, nearest): a run reports them."""
        self._lexical: tuple[tuple[str, ...], LexicalIndex] | None = None
        self.shortlist = SHORTLIST
        """`nearest`'s shortlist size (None: embed and search everything)."""
        self.model: str | None = getattr(embedding_function, "name", None)
        extra = {EMBED_KEY: self.model} if self.model else {}
        try:
            self._collection = client.get_or_create_collection(
                name=collection,
                embedding_function=None,
                metadata={"hnsw:space": "cosine", **extra, **(metadata or {})},
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

    def coverage(self, chunks: Sequence[Chunk]) -> int:
        """How many of `chunks` have a vector here (what a query can find)."""
        return len(self.existing_ids() & {c.id for c in chunks})

    def defer(self, chunks: Sequence[Chunk], seed: ChunkIndex | None = None) -> IndexStats:
        """sync() without embedding: drop stored chunks that no longer exist, copy what
        `seed` holds, count the rest as pending. Loads no model (`extract --llm none`: the
        first `ask` or model run embeds them)."""
        wanted = {c.id: c for c in chunks}
        have = self.existing_ids()
        missing = [c for cid, c in wanted.items() if cid not in have]
        removed = self._remove(sorted(have - wanted.keys()))
        copied = self._copy_from(seed, missing) if seed is not None and missing else set()
        return IndexStats(
            chunks=len(wanted),
            removed=removed,
            pending=len(missing) - len(copied),
            model=self.model,
        )

    def sync(
        self,
        chunks: Sequence[Chunk],
        progress: Callable[[int, int], None] | None = None,
        seed: ChunkIndex | None = None,
        on_demand: Callable[[str], bool] | None = None,
    ) -> IndexStats:
        """Embed chunks not yet stored, drop stored chunks that no longer exist.

        Chunks that `seed` (another commit's collection) already holds are copied with
        their vectors instead of embedded again: a new commit costs only its changed chunks.
        Embedded WRITE_BATCH at a time, texts of similar length together, each distinct
        text once; `progress(done, total)` after each step. `on_demand(path)`: chunks of
        such files (tests, fixtures) are not embedded here but counted pending: a model
        run's retrieval embeds those it shortlists (`nearest`), and `ask` finds them by
        their words.
        """
        wanted = {c.id: c for c in chunks}
        have = self.existing_ids()
        to_add = [c for cid, c in wanted.items() if cid not in have]
        removed = self._remove(sorted(have - wanted.keys()))
        if seed is not None and to_add:
            copied = self._copy_from(seed, to_add)
            to_add = [c for c in to_add if c.id not in copied]
        later = [c for c in to_add if on_demand is not None and on_demand(c.path)]
        if later:
            to_add = [c for c in to_add if not on_demand or not on_demand(c.path)]
        self._add(to_add, progress)
        return IndexStats(
            chunks=len(wanted),
            embedded=len(to_add),
            removed=removed,
            pending=len(later),
            model=self.model,
        )

    def _add(self, to_add: list[Chunk], progress: Callable[[int, int], None] | None = None) -> None:
        """Embed and store `to_add` (none of them stored yet), WRITE_BATCH at a time."""
        to_add = sorted(to_add, key=lambda c: (len(c.text), c.text))  # repeats: embedded once
        if progress is not None and to_add:
            progress(0, len(to_add))
        for i in range(0, len(to_add), WRITE_BATCH):
            batch = to_add[i : i + WRITE_BATCH]
            vectors = self._vectors([c.text for c in batch])
            try:
                self._collection.add(
                    ids=[c.id for c in batch],
                    embeddings=vectors,
                    documents=[c.text for c in batch],
                    metadatas=[_metadata(c) for c in batch],
                )
            except Exception as exc:  # noqa: BLE001
                raise IndexUnavailable(f"writing to the chroma index failed: {exc}") from None
            self.embedded += len(batch)
            if progress is not None:
                progress(i + len(batch), len(to_add))

    def embed_missing(self, chunks: Sequence[Chunk]) -> int:
        """Embed and store those of `chunks` the collection does not hold yet (nothing is
        removed); how many were embedded."""
        have = self.existing_ids()
        missing = list({c.id: c for c in chunks if c.id not in have}.values())
        self._add(missing)
        return len(missing)

    def nearest(
        self,
        queries: Sequence[str],
        among: Sequence[Chunk],
        n_results: int,
    ) -> list[list[Hit]]:
        """Per query, the `n_results` chunks of `among` closest to it, closest first.

        `self.shortlist` (SHORTLIST): per query only the chunks BM25 ranks highest (that
        many; with fewer matches, the first others in `among`'s order fill up) are
        candidates. They alone are embedded, now, and stored (the rest stay pending for the
        first `ask`), then ranked by exact cosine distance (ties: path, line). A repository
        of at most `shortlist` chunks is ranked whole. None: every chunk of `among` is
        embedded and the index searched (chroma's nearest neighbours, as runs did before).
        """
        if not queries or not among:
            return [[] for _ in queries]
        shortlist = self.shortlist
        if shortlist is None:
            self.embed_missing(among)
            allowed = {(c.path, c.start_line, c.end_line) for c in among}
            out: list[list[Hit]] = []
            for query in queries:
                hits = self.query(query, n_results=n_results)
                out.append([h for h in hits if (h.path, h.start_line, h.end_line) in allowed])
            return out
        lexical = self._lexicon(among)
        candidates: list[list[int]] = []
        for query in queries:
            ranked = [i for i, _score in lexical.rank(query, limit=shortlist)]
            if len(ranked) < shortlist:
                taken = set(ranked)
                fill = (i for i in range(len(among)) if i not in taken)
                ranked.extend(next(fill) for _ in range(min(shortlist, len(among)) - len(ranked)))
            candidates.append(ranked)
        needed = sorted({i for ranked in candidates for i in ranked})
        self.embed_missing([among[i] for i in needed])
        stored = self._stored_vectors([among[i].id for i in needed])
        import numpy as np

        query_vectors = np.asarray(self._vectors(list(queries)), dtype=np.float32)
        out = []
        for qv, ranked in zip(query_vectors, candidates, strict=True):
            scored = []
            for i in ranked:
                vector = stored.get(among[i].id)
                if vector is None:
                    continue
                distance = float(1.0 - np.dot(vector, qv))
                c = among[i]
                scored.append((distance, c.path, c.start_line, i))
            scored.sort()
            out.append(
                [
                    Hit(
                        among[i].path,
                        among[i].start_line,
                        among[i].end_line,
                        among[i].text,
                        distance,
                    )
                    for distance, _p, _l, i in scored[:n_results]
                ]
            )
        return out

    def _lexicon(self, among: Sequence[Chunk]) -> LexicalIndex:
        """BM25 over `among`'s texts, built once per set of chunks (a plan asks per kind)."""
        from ddd_llm.index.lexical import LexicalIndex

        key = tuple(c.id for c in among)
        if self._lexical is None or self._lexical[0] != key:
            self._lexical = (key, LexicalIndex([c.text for c in among]))
        return self._lexical[1]

    def _stored_vectors(self, ids: Sequence[str]) -> dict[str, Any]:
        """The stored unit vector of each id the collection holds (float32 arrays)."""
        import numpy as np

        out: dict[str, Any] = {}
        try:
            for i in range(0, len(ids), 1000):
                found = self._collection.get(ids=list(ids[i : i + 1000]), include=["embeddings"])
                for cid, vector in zip(found["ids"], found["embeddings"], strict=True):
                    out[str(cid)] = np.asarray(vector, dtype=np.float32)
        except Exception as exc:  # noqa: BLE001
            raise IndexUnavailable(f"cannot read the chroma index: {exc}") from None
        return out

    def _vectors(self, texts: list[str]) -> Any:
        try:
            return self._embed(texts)
        except IndexUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises many kinds of errors
            raise IndexUnavailable(f"embedding failed: {exc}") from None

    def _remove(self, ids: Sequence[str]) -> int:
        try:
            for i in range(0, len(ids), 1000):
                self._collection.delete(ids=list(ids[i : i + 1000]))
        except Exception as exc:  # noqa: BLE001
            raise IndexUnavailable(f"writing to the chroma index failed: {exc}") from None
        return len(ids)

    def _copy_from(self, seed: ChunkIndex, chunks: Sequence[Chunk]) -> set[str]:
        copied: set[str] = set()
        try:
            for i in range(0, len(chunks), 1000):
                batch = {c.id: c for c in chunks[i : i + 1000]}
                found = seed._collection.get(ids=list(batch), include=["embeddings"])
                ids = [str(x) for x in found["ids"]]
                if not ids:
                    continue
                self._collection.add(
                    ids=ids,
                    embeddings=found["embeddings"],
                    documents=[batch[cid].text for cid in ids],
                    metadatas=[_metadata(batch[cid]) for cid in ids],
                )
                copied.update(ids)
        except Exception as exc:  # noqa: BLE001
            raise IndexUnavailable(f"copying vectors from {seed.name!r} failed: {exc}") from None
        return copied

    def query(self, text: str, n_results: int = 8, paths: Sequence[str] | None = None) -> list[Hit]:
        where: dict[str, Any] | None = None
        if paths:
            where = {"path": {"$in": list(paths)}}
        vector = self._vectors([text])
        try:
            found = self._collection.query(
                query_embeddings=vector,
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


def collection_for(model: str, base: str = "chunks") -> str:
    """The collection a model's vectors go to: `base` for fp32 (as every earlier run named
    it), `base-int8` for the int8 copy; one collection never mixes two models' vectors."""
    return base if model == "fp32" else f"{base}-{model}"


def open_shared(
    client: Any,
    repo: str,
    commit: str | None,
    embedding_function: Any,
    now: str,
    model: str = "fp32",
) -> tuple[ChunkIndex, ChunkIndex | None]:
    """This commit's collection on a shared server, and the repository's newest other one
    holding the same model's vectors.

    Collections of the repository (per model) beyond the newest SHARED_KEEP are dropped, so
    a nightly run over many commits does not grow the server without bound.
    """
    base = collection_name(repo, commit)
    slug = base.rsplit("-", 1)[0]
    name = collection_for(model, base)
    label = model_label(model)
    try:
        listed = client.list_collections()
        others = sorted(
            (
                (str((c.metadata or {}).get(CREATED_KEY, "")), str(c.name))
                for c in listed
                if (c.metadata or {}).get(REPO_KEY) == slug
                and (c.metadata or {}).get(EMBED_KEY, model_label("fp32")) == label
                and c.name != name
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
