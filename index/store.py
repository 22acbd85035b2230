"""The shared index: three Chroma collections, in a local folder or on a Chroma server.

    newsbot_chunks_*  every passage of every article version, with its vector; a chunk's id names
                      its article and version ("<article id>:<version>:<position>")
    newsbot_articles_* the change log: one record per article, its latest version or its removal,
                      each numbered by a sequence that only grows
    newsbot_meta      the model and chunker, the index's identity, the log's head, the writer's
                      lock, and what each web source last did

Changing an article writes the new version's chunks under new ids, then its log record, and only then
deletes the old version's chunks. Readers (index/catalog.py) follow the log and use only chunks of the
versions it names, so they never see half an article, and a writer killed at any moment leaves an
index that answers. The articles a batch was changing are noted first, so the next run removes
whatever the killed one left behind. Chroma keeps each write durable on its own (SQLite with a
write-ahead log): nothing is copied and nothing is rebuilt from every chunk.
"""

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.errors import NewsbotError
from index.sentence_vectors import METADATA_KEY, to_text

# Each build of the index has its own chunks and log collections, named after its identity, so a
# rebuild is written beside the index that answers and replaces it in one write of the "info" record.
log = logging.getLogger(__name__)

CHUNKS = "newsbot_chunks"
LOG = "newsbot_articles"
META = "newsbot_meta"
# Records read per Chroma call when reading a whole collection: one unbounded get() of more than
# 32,766 records fails inside Chroma with "too many SQL variables" (SQLite's limit).
READ_PAGE = 5000
# Chroma wants a vector with every record; the log and meta records are found by id or metadata.
NO_VECTOR = [0.0]
# A writer refreshes its lock this often; one not refreshed for LOCK_STALE seconds was killed.
LOCK_REFRESH = 20
LOCK_STALE = 120
# A batch a Chroma server failed to take is tried again this many times, waiting 1, 2, 4 ... s.
COMMIT_RETRIES = 6
# The layout before this one: generation folders with a pointer file.
OLD_POINTER = "CURRENT"


class IndexMissing(NewsbotError, RuntimeError):
    """There is no index yet."""


class IndexBusy(NewsbotError, RuntimeError):
    """Another writer is updating this index."""


class IndexUnavailable(NewsbotError, RuntimeError):
    """The Chroma server cannot be reached."""


@dataclass
class ArticleRecord:
    """What the index holds about one article, beside its chunks."""

    hash: str
    origin: str  # the file or the canonical URL it was read from
    title: str
    source: str
    url: str
    published: str
    chunks: int
    fetched: float = 0.0  # when a web article was last fetched; 0 for files
    story: str = ""  # the story it belongs to (index/stories.py); empty before stories existed
    copy_of: str = ""  # the article it is a syndicated copy of, if any

    @property
    def version(self) -> str:
        return version_of(self.hash)

    def chunk_ids(self, article_id: str) -> list[str]:
        return [chunk_id(article_id, self.version, position) for position in range(self.chunks)]


def version_of(content_hash: str) -> str:
    return content_hash[:12]


def chunk_id(article_id: str, version: str, position: int) -> str:
    return f"{article_id}:{version}:{position}"


@dataclass
class LogEntry:
    """One article's latest state: its record, or None once removed."""

    article_id: str
    seq: int
    record: ArticleRecord | None


@dataclass
class IndexInfo:
    model: str
    chunker: int
    identity: str = field(default_factory=lambda: uuid.uuid4().hex)
    created: float = field(default_factory=time.time)


class ChunkStore:
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
        import chromadb
        from chromadb.config import Settings
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
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
            raise IndexUnavailable(f"the index server at {url} is not answering ({_short(error)}); start it, or check NEWSBOT_CHROMA_URL") from None
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
            raise IndexUnavailable(f"the index server at {self.where} is unavailable ({_short(error)}); try again shortly") from None

    def collection(self, name: str, identity: str | None = None):
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

    # The change log

    def head(self, identity: str | None = None) -> int:
        """The highest sequence number the log holds, as the writer last recorded it."""
        return int((self.meta(f"head:{identity or self.identity}") or {}).get("seq", 0))

    def log_since(self, seq: int, identity: str | None = None) -> list[LogEntry]:
        """Log records numbered above `seq`, in order."""
        found = self._read(LOG, ["metadatas", "documents"], where={"seq": {"$gt": seq}}, identity=identity)
        entries = []
        for article_id, meta, document in zip(found["ids"], found["metadatas"], found["documents"]):
            record = ArticleRecord(**json.loads(document)) if not meta.get("removed") else None
            entries.append(LogEntry(article_id, int(meta["seq"]), record))
        return sorted(entries, key=lambda entry: entry.seq)

    def articles(self, identity: str | None = None) -> dict[str, ArticleRecord]:
        """Every article the log says is in the index."""
        return {entry.article_id: entry.record for entry in self.log_since(0, identity) if entry.record is not None}

    # Writing: only the holder of `writing()`

    @contextmanager
    def writing(self, wait: float = 0.0, on_wait=None) -> Iterator[None]:
        """Hold the index's writer lock (kept in Chroma, where every writer sees it) for the block.
        A lock held by another live writer is waited for up to `wait` seconds, then refused."""
        holder = f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:6]})"
        deadline = time.monotonic() + wait
        told = False
        while not self._take_lock(holder):
            if time.monotonic() >= deadline:
                raise IndexBusy(f"another writer is updating the index: {self.lock_holder()}")
            if on_wait and not told:
                on_wait(self.lock_holder())
                told = True
            time.sleep(1.0)
        stop = threading.Event()
        keeper = threading.Thread(target=self._keep_lock, args=(holder, stop), daemon=True, name="newsbot-lock")
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join()
            self.delete_meta("writer")

    def lock_holder(self) -> str:
        found = self.meta("writer")
        return found["holder"] if found else "nobody"

    def _take_lock(self, holder: str) -> bool:
        found = self.meta("writer")
        if found and not _lock_is_stale(found):
            return False
        self.set_meta("writer", {"holder": holder, "host": socket.gethostname(), "pid": os.getpid(), "beat": time.time()})
        time.sleep(0.05)  # a rival who read the same stale lock has written by now; the last write wins
        return (self.meta("writer") or {}).get("holder") == holder

    def _keep_lock(self, holder: str, stop: threading.Event) -> None:
        while not stop.wait(LOCK_REFRESH):
            try:
                self.set_meta("writer", {"holder": holder, "host": socket.gethostname(), "pid": os.getpid(), "beat": time.time()})
            except Exception as error:  # noqa: BLE001 - a server away for a moment; the next beat will do
                log.warning("could not refresh the writer's lock: %s", _short(error))

    def patiently(self, work, *args):
        """`work(*args)`, done again with backoff while a Chroma server does not answer."""
        for attempt in range(COMMIT_RETRIES + 1):
            try:
                return work(*args)
            except Exception as error:
                if not self.is_remote or not _connection_failed(error) or attempt == COMMIT_RETRIES:
                    raise
                log.warning("the index server did not answer (%s); trying again in %d s", _short(error), 2**attempt)
                time.sleep(2**attempt)

    # Small JSON records in the meta collection

    def meta(self, key: str) -> dict | None:
        found = self.collection(META).get(ids=[key], include=["documents"])
        return json.loads(found["documents"][0]) if found["ids"] else None

    def set_meta(self, key: str, value: dict) -> None:
        self.collection(META).upsert(ids=[key], embeddings=[NO_VECTOR], documents=[json.dumps(value, ensure_ascii=False)])

    def delete_meta(self, key: str) -> None:
        self.collection(META).delete(ids=[key])

    def _read(self, name: str, include: list[str], where: dict | None = None, ids: list[str] | None = None, identity: str | None = None) -> dict[str, list]:
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

    def read_chunks(self, ids: list[str], include: list[str]) -> dict[str, list]:
        try:
            return self._read(CHUNKS, include, ids=ids)
        except Exception:  # noqa: BLE001 - chromadb's InternalError, among others
            if self._reopen is None:
                raise
            # A local Chroma serves vectors from what it loaded when this process opened it; once
            # another process has written many chunks, reading theirs fails ("Error finding id").
            self.reopen()
            return self._read(CHUNKS, include, ids=ids)


class Writer:
    """Changes to the index, made by the holder of its lock. Each `commit` is one batch of whole
    articles: once it returns, a killed run keeps them."""

    def __init__(self, store: ChunkStore, info: IndexInfo):
        self.store = store
        # Fixed here: readers in this process may bind the shared store to the build that answers
        # while this writer fills a rebuild.
        self.identity = info.identity
        self.seq = store.head(self.identity)
        self._pending = f"pending:{self.identity}"
        self.recover()

    @property
    def chunks(self):
        return self.store.collection(CHUNKS, self.identity)

    def articles(self) -> dict[str, ArticleRecord]:
        return self.store.articles(self.identity)

    def recover(self) -> None:
        """Finish what a killed writer left: a head behind the log, and chunks of versions the log
        does not name."""
        newer = self.store.log_since(self.seq, self.identity)
        if newer:
            self.seq = newer[-1].seq
            self.store.set_meta(f"head:{self.identity}", {"seq": self.seq})
        pending = (self.store.meta(self._pending) or {}).get("articles", [])
        if pending:
            self._remove_unnamed_versions(pending)
            self.store.set_meta(self._pending, {"articles": []})

    def commit(self, puts: list[tuple[str, ArticleRecord, list]], removes: dict[str, ArticleRecord], replaced: dict[str, ArticleRecord],
               sentences: dict[str, bytes] | None = None) -> None:
        """Write `puts` (article id, its new record, its embedded nodes; none when only the record
        changed) with their chunks' packed `sentences` vectors (by chunk id), log `removes` (article
        id -> the record being removed) as removed, and delete the chunks of `removes` and of
        `replaced` versions (article id -> its record before). A Chroma server that stops answering
        is waited for, with backoff; every step can be done again."""
        seq, attempts = self.seq, []

        def attempt():
            self.seq = seq  # a failed attempt numbered nothing that stays
            attempts.append(None)
            self._commit(puts, removes, replaced, sentences or {}, again=len(attempts) > 1)

        self.store.patiently(attempt)

    def _commit(self, puts, removes, replaced, sentences: dict[str, bytes], again: bool) -> None:
        if not puts and not removes:
            return
        touched = [article_id for article_id, _, _ in puts] + list(removes)
        self.store.set_meta(self._pending, {"articles": touched})
        nodes = [node for _, _, article_nodes in puts for node in article_nodes]
        if nodes and again:
            self.chunks.delete(ids=[node.node_id for node in nodes])  # what the failed attempt got in
        if nodes:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            vector_store = ChromaVectorStore(chroma_collection=self.chunks)
            # Chroma refuses more records per call than its client's maximum batch size.
            largest = self.store.client.get_max_batch_size()
            for start in range(0, len(nodes), largest):
                vector_store.add(nodes[start : start + largest])
            self.store_sentence_vectors({node.node_id: sentences[node.node_id] for node in nodes if node.node_id in sentences})
        ids, metadatas, documents = [], [], []
        first_seq = self.seq + 1
        for article_id, record, _ in puts:
            self.seq += 1
            ids.append(article_id)
            # Chroma merges metadata on upsert: "removed" is always written, or a removal would stick.
            metadatas.append({"seq": self.seq, "removed": False})
            documents.append(json.dumps(asdict(record), ensure_ascii=False))
        for article_id in removes:
            self.seq += 1
            ids.append(article_id)
            metadatas.append({"seq": self.seq, "removed": True})
            documents.append("{}")
        self.store.collection(LOG, self.identity).upsert(ids=ids, embeddings=[NO_VECTOR] * len(ids), metadatas=metadatas, documents=documents)
        self.store.set_meta(f"head:{self.identity}", {"seq": self.seq})
        if self.identity == self.store.identity and self.store.fresh_through == first_seq - 1:
            self.store.fresh_through = self.seq  # written through this very client
        new_versions = {article_id: record.version for article_id, record, _ in puts}
        stale = [
            cid for article_id, record in {**replaced, **removes}.items()
            if new_versions.get(article_id) != record.version
            for cid in record.chunk_ids(article_id)
        ]
        for start in range(0, len(stale), READ_PAGE):
            self.chunks.delete(ids=stale[start : start + READ_PAGE])
        self.store.set_meta(self._pending, {"articles": []})

    def store_sentence_vectors(self, sentences: dict[str, bytes]) -> None:
        """Put each chunk's packed sentence vectors in its Chroma metadata, where readers copy them.
        Set apart from llama-index's node metadata, which it would also copy into every node's JSON."""
        ids = list(sentences)
        largest = self.store.client.get_max_batch_size()
        for start in range(0, len(ids), largest):
            part = ids[start : start + largest]
            self.chunks.update(ids=part, metadatas=[{METADATA_KEY: to_text(sentences[chunk_id])} for chunk_id in part])

    def _remove_unnamed_versions(self, article_ids: list[str]) -> None:
        named = {entry.article_id: entry.record for entry in self.store.log_since(0, self.identity) if entry.article_id in set(article_ids)}
        for start in range(0, len(article_ids), 500):
            part = article_ids[start : start + 500]
            found = self.chunks.get(where={"article_id": {"$in": part}}, include=["metadatas"])
            unnamed = [
                cid for cid, meta in zip(found["ids"], found["metadatas"])
                if named.get(meta.get("article_id")) is None or named[meta["article_id"]].version != meta.get("version")
            ]
            if unnamed:
                self.chunks.delete(ids=unnamed)

    def set_source_status(self, statuses: dict[str, dict]) -> None:
        self.store.set_meta("sources", statuses)


def _lock_is_stale(lock: dict) -> bool:
    if time.time() - float(lock.get("beat", 0)) > LOCK_STALE:
        return True
    # A writer on this machine whose process is gone was killed: no need to wait for its lock to age.
    if lock.get("host") == socket.gethostname() and lock.get("pid") != os.getpid():
        try:
            os.kill(int(lock["pid"]), 0)
        except ProcessLookupError:
            return True
        except (OSError, ValueError, KeyError):
            return False
    return False


def _connection_failed(error: BaseException) -> bool:
    import httpx

    return isinstance(error, httpx.TransportError) or "could not connect" in str(error).lower()


def _short(error: BaseException) -> str:
    return str(error).split("\n")[0][:200]


def _extend(found: dict[str, list], page: dict) -> None:
    for key in found:
        found[key].extend(page[key] if page.get(key) is not None else [])


def old_layout(data_dir: Path) -> bool:
    """Whether the data dir holds an index in the layout before this one."""
    return (Path(data_dir) / "index" / OLD_POINTER).exists()


def remove_old_layout(data_dir: Path) -> None:
    import shutil

    shutil.rmtree(Path(data_dir) / "index", ignore_errors=True)
