"""The shared index: three Chroma collections, in a local folder or on a Chroma server.

chroma.py opens them and reads them; changelog.py, lock.py and writer.py hold the other jobs.

    newsbot_chunks_*  every passage of every article version, with its vector and, in its metadata,
                      its sentences' packed vectors; a chunk's id names its article and version
                      ("<article id>:<version>:<position>")
    newsbot_articles_* the change log: one record per article, its latest version or its removal,
                      each numbered by a sequence that only grows
    newsbot_meta      the model and chunker, the index's identity, the log's head, the writer's
                      lock, whether every chunk has its sentence vectors, and what each web source
                      last did

Changing an article writes the new version's chunks under new ids, then its log record, and only then
deletes the old version's chunks. Readers (index/search/catalog.py) follow the log and use only chunks of the
versions it names, so they never see half an article, and a writer killed at any moment leaves an
index that answers. The articles a batch was changing are noted first, so the next run removes
whatever the killed one left behind. Chroma keeps each write durable on its own (SQLite with a
write-ahead log): nothing is copied and nothing is rebuilt from every chunk.
"""

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from index.embedding.sentence_vectors import METADATA_KEY, from_text
from index.errors import NewsbotError, first_line
from index.retry import with_backoff
from index.store.changelog import LOG, ChangeLog
from index.store.lock import IndexBusy, WriterLock
from index.store.records import ChunkRecord, IndexInfo
from index.web.urls import is_web

log = logging.getLogger(__name__)

CHUNKS = "newsbot_chunks"
META = "newsbot_meta"
# Records read per Chroma call when reading a whole collection: one unbounded get() of more than
# 32,766 records fails inside Chroma with "too many SQL variables" (SQLite's limit).
READ_PAGE = 5000
# Chroma wants a vector with every record; the log and meta records are found by id or metadata.
NO_VECTOR = [0.0]
# A batch a Chroma server failed to take is tried again this many times, waiting 1, 2, 4 ... s.
COMMIT_RETRIES = 6
# The layout before this one: generation folders with a pointer file.
OLD_POINTER = "CURRENT"


class IndexMissing(NewsbotError, RuntimeError):
    """There is no index yet."""


class IndexUnavailable(NewsbotError, RuntimeError):
    """The Chroma server cannot be reached."""


class ChunkStore(ChangeLog, WriterLock):
    """The index's Chroma collections. `local(path)` for a folder, `remote(url)` for a server."""

    def __init__(self, client, where: str, reopen=None):
        self.client = client
        self.where = where
        self._reopen = reopen
        # The log sequence through which this client's nearest-neighbour index is known to hold every
        # chunk, or None when it is always current (a server). A local Chroma loads its HNSW index
        # once per process and does not see another process's writes until it is opened again, so
        # readers search the chunks added since then exactly (Searcher).
        self.fresh_through: int | None = None if reopen is None else 0
        self.identity = ""  # the build the chunks and log collections belong to; see `bind`
        self._collections: dict[str, object] = {}
        self._opening = threading.RLock()

    @classmethod
    def local(cls, path: Path) -> "ChunkStore":
        import chromadb
        from chromadb.config import Settings

        def open_client():
            path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))

        return cls(open_client(), str(path), reopen=open_client)

    @classmethod
    def remote(cls, url: str, headers: dict[str, str] | None = None) -> "ChunkStore":
        from urllib.parse import urlsplit

        import chromadb
        from chromadb.config import Settings

        parts = urlsplit(url)
        if not is_web(url):
            raise ValueError(f"NEWSBOT_CHROMA_URL must be an http(s) URL like http://127.0.0.1:8000, not {url!r}")
        try:
            client = chromadb.HttpClient(
                host=parts.hostname,
                port=parts.port or (443 if parts.scheme == "https" else 80),
                ssl=parts.scheme == "https",
                headers=headers or {},
                settings=Settings(anonymized_telemetry=False),
            )
        except Exception as error:  # noqa: BLE001 - chromadb raises ValueError for a server that is down
            raise IndexUnavailable(
                f"the index server at {url} is not answering ({first_line(error)}); start it, or check NEWSBOT_CHROMA_URL"
            ) from None
        return cls(client, url)

    @property
    def is_remote(self) -> bool:
        return self._reopen is None

    @contextmanager
    def reachable(self) -> Iterator[None]:
        """Turn a Chroma server that stopped answering into IndexUnavailable, which front ends show
        as a short "try again" instead of an internal error."""
        try:
            yield
        except (IndexMissing, IndexBusy):
            raise
        except Exception as error:
            if not self.is_remote or not _connection_failed(error):
                raise
            raise IndexUnavailable(
                f"the index server at {self.where} is unavailable ({first_line(error)}); try again shortly"
            ) from None

    def collection(self, name: str, identity: str | None = None):
        """A collection, opened once. Each build of the index has its own chunks and log collections,
        named after its identity, so a rebuild is written beside the index that answers and replaces
        it in one write of the "info" record."""
        if name != META:
            name = f"{name}_{identity or self.identity}"
        # Threads of one reader share the client; two creating one collection at once would race.
        with self._opening:
            if name not in self._collections:
                metadata = {"hnsw:space": "cosine"} if name.startswith(CHUNKS) else None
                self._collections[name] = self.client.get_or_create_collection(
                    name, embedding_function=None, metadata=metadata
                )
            return self._collections[name]

    @property
    def chunks(self):
        return self.collection(CHUNKS)

    def info(self) -> IndexInfo | None:
        """The build that answers, or None before the first `newsbot index`."""
        found = self.meta("info")
        return IndexInfo(**found) if found else None

    def require_info(self) -> IndexInfo:
        info = self.info()
        if info is None:
            raise IndexMissing(f"no index in {self.where} yet: run `newsbot index` first")
        self.bind(info)
        return info

    def bind(self, info: IndexInfo) -> None:
        """Read and write the chunks and log of the build `info` describes."""
        if info.identity != self.identity:
            self.identity = info.identity
            if self.fresh_through is not None:
                self.fresh_through = self.head()

    def reopen(self) -> None:
        """Open a local Chroma folder again, so its nearest-neighbour index holds every chunk written
        by now (no-op for a server)."""
        if self._reopen is None:
            return
        from chromadb.api.shared_system_client import SharedSystemClient

        with self._opening:
            self._collections.clear()
            seq = self.head()
            # Chroma keeps one system per folder and process; a new client alone would reuse it.
            SharedSystemClient.clear_system_cache()
            self.client = self._reopen()
            self.fresh_through = seq

    def publish(self, info: IndexInfo) -> None:
        """Make the build `info` describes the one that answers."""
        self.set_meta("info", asdict(info))

    def drop_other_builds(self, identity: str) -> None:
        """Remove the collections of every build but `identity`'s: replaced or abandoned rebuilds."""
        keep = {f"{CHUNKS}_{identity}", f"{LOG}_{identity}", META}
        for collection in self.client.list_collections():
            name = getattr(collection, "name", collection)
            if name.startswith((CHUNKS, LOG)) and name not in keep:
                self.client.delete_collection(name)
                self._collections.pop(name, None)

    def patiently(self, work, *args):
        """`work(*args)`, done again with backoff while a Chroma server does not answer."""
        return with_backoff(
            lambda: work(*args),
            worth_retrying=lambda error: self.is_remote and _connection_failed(error),
            retries=COMMIT_RETRIES,
            first_wait=1.0,
            what="a call to the index server",
        )

    # Small JSON records in the meta collection

    def meta(self, key: str) -> dict | None:
        found = self.collection(META).get(ids=[key], include=["documents"])
        return json.loads(found["documents"][0]) if found["ids"] else None

    def set_meta(self, key: str, value: dict) -> None:
        self.collection(META).upsert(
            ids=[key], embeddings=[NO_VECTOR], documents=[json.dumps(value, ensure_ascii=False)]
        )

    def delete_meta(self, key: str) -> None:
        self.collection(META).delete(ids=[key])

    def _read(
        self,
        name: str,
        include: list[str],
        where: dict | None = None,
        ids: list[str] | None = None,
        identity: str | None = None,
    ) -> dict[str, list]:
        """Records of a collection ("ids" and the `include` fields), read a page at a time."""
        collection = self.collection(name, identity)
        found: dict[str, list] = {"ids": [], **{key: [] for key in include}}
        if ids is not None:
            for start in range(0, len(ids), READ_PAGE):
                page = collection.get(ids=ids[start : start + READ_PAGE], include=include)
                _extend(found, page)
            return found
        offset = 0
        while True:
            page = collection.get(where=where, include=include, limit=READ_PAGE, offset=offset)
            _extend(found, page)
            if len(page["ids"]) < READ_PAGE:
                return found
            offset += READ_PAGE

    def read_chunks(self, ids: list[str]) -> list[ChunkRecord]:
        """The stored chunks among `ids`, with their texts, vectors and sentence vectors."""
        include = ["documents", "embeddings", "metadatas"]
        try:
            found = self._read(CHUNKS, include, ids=ids)
        except Exception:  # noqa: BLE001 - chromadb's InternalError, among others
            if self._reopen is None:
                raise
            # A local Chroma serves vectors from what it loaded when this process opened it; once
            # another process has written many chunks, reading theirs fails ("Error finding id").
            self.reopen()
            found = self._read(CHUNKS, include, ids=ids)
        return [
            ChunkRecord(
                chunk_id, text, vector, from_text(meta[METADATA_KEY]) if meta and METADATA_KEY in meta else None
            )
            for chunk_id, text, vector, meta in zip(
                found["ids"], found["documents"], found["embeddings"], found["metadatas"]
            )
        ]

    def nearest(self, vector: Sequence[float], depth: int) -> list[tuple[str, float]]:
        """The ids of the `depth` chunks whose vectors are closest to `vector` in Chroma's HNSW
        index, each with its cosine similarity."""
        found = self.chunks.query(query_embeddings=[list(vector)], n_results=depth, include=["distances"])
        # Chroma's cosine distance is 1 - cosine.
        return [(chunk_id, 1.0 - distance) for chunk_id, distance in zip(found["ids"][0], found["distances"][0])]


def _connection_failed(error: BaseException) -> bool:
    import httpx

    return isinstance(error, httpx.TransportError) or "could not connect" in str(error).lower()


def _extend(found: dict[str, list], page: dict) -> None:
    for key in found:
        found[key].extend(page[key] if page.get(key) is not None else [])


def old_layout(data_dir: Path) -> bool:
    """Whether the data dir holds an index in the layout before this one."""
    return (Path(data_dir) / "index" / OLD_POINTER).exists()


def remove_old_layout(data_dir: Path) -> None:
    import shutil

    shutil.rmtree(Path(data_dir) / "index", ignore_errors=True)
