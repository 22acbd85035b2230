"""The index on disk: Chroma collections in generation folders, with an atomic switch between them.

    DATA_DIR/index/CURRENT              name of the generation that answers questions
    DATA_DIR/index/gen-000042-1a2b3c/   a Chroma PersistentClient folder plus manifest.json

An index run that changes anything copies the current generation, changes the copy, and only
then points CURRENT at it with an atomic rename. A run that fails, is interrupted or killed
leaves CURRENT untouched; its unfinished folder is removed by the next run.
"""

import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

COLLECTION = "newsbot_articles"
# Records read per Chroma call when reading a whole collection: one unbounded get() of more than
# 32,766 chunks fails inside Chroma with "too many SQL variables" (SQLite's limit).
READ_PAGE = 5000
MANIFEST = "manifest.json"
POINTER = "CURRENT"


class IndexMissing(RuntimeError):
    """There is no index in the data dir yet."""


class IndexBusy(RuntimeError):
    """Another process is updating this index."""


@dataclass
class ArticleRecord:
    """What the index holds about one article, beside its chunks."""

    hash: str
    origin: str
    title: str
    source: str
    url: str
    published: str
    chunks: int


@dataclass
class Manifest:
    model: str
    chunker: int
    created: float = field(default_factory=time.time)
    articles: dict[str, ArticleRecord] = field(default_factory=dict)

    @property
    def chunk_count(self) -> int:
        return sum(record.chunks for record in self.articles.values())

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Manifest":
        articles = {key: ArticleRecord(**value) for key, value in data.get("articles", {}).items()}
        return cls(model=data["model"], chunker=data["chunker"], created=data["created"], articles=articles)


class Generation:
    """One complete index: a Chroma folder and the manifest describing it."""

    def __init__(self, path: Path):
        self.path = path
        self._client = None
        self._collection = None
        self._vector_store = None

    @property
    def name(self) -> str:
        return self.path.name

    def read_manifest(self) -> Manifest:
        return Manifest.from_json(json.loads((self.path / MANIFEST).read_text(encoding="utf-8")))

    def write_manifest(self, manifest: Manifest) -> None:
        _write_atomically(self.path / MANIFEST, json.dumps(manifest.to_json(), ensure_ascii=False))

    def collection(self):
        if self._collection is None:
            self._client, self._collection = open_collection(self.path)
        return self._collection

    def vector_store(self):
        if self._vector_store is None:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            self._vector_store = ChromaVectorStore(chroma_collection=self.collection())
        return self._vector_store

    def max_batch_size(self) -> int:
        """Most records one Chroma call may add."""
        self.collection()
        return self._client.get_max_batch_size()

    def close(self) -> None:
        """Release the Chroma client. A long-running reader calls this when it moves to a newer
        generation; Chroma would otherwise keep every generation it ever opened in memory."""
        if self._client is not None:
            self._client.close()
        self._client = self._collection = self._vector_store = None


def read_all(collection, include: list[str]) -> dict[str, list]:
    """Every record of `collection` ("ids" and the `include` fields), read a page at a time."""
    found: dict[str, list] = {"ids": [], **{field: [] for field in include}}
    offset = 0
    while True:
        page = collection.get(include=include, limit=READ_PAGE, offset=offset)
        for key in found:
            found[key].extend(page[key] if page[key] is not None else [])
        if len(page["ids"]) < READ_PAGE:
            return found
        offset += READ_PAGE


def open_collection(path: Path):
    """(client, the articles collection) in a local Chroma folder, created if needed. Embeddings
    are always supplied by newsbot (embedding_function=None), so Chroma never fetches a model."""
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
    return client, client.get_or_create_collection(
        COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}
    )


class IndexStore:
    def __init__(self, data_dir: Path):
        self.root = Path(data_dir) / "index"

    def current(self) -> Generation | None:
        name = self.current_name()
        return Generation(self.root / name) if name else None

    def current_name(self) -> str | None:
        try:
            name = (self.root / POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name if name and (self.root / name / MANIFEST).exists() else None

    def require_current(self) -> Generation:
        generation = self.current()
        if generation is None:
            raise IndexMissing(f"no index in {self.root.parent} yet: run `newsbot index` first")
        return generation

    @contextmanager
    def updating(self) -> Iterator[None]:
        """Hold the data dir's index lock for the length of an update."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexBusy(f"another `newsbot index` is updating {self.root.parent}") from None
            yield

    def new_generation(self, copy_of: Generation | None) -> Generation:
        """A new folder numbered after every existing one (call it while holding `updating()`).
        The random suffix keeps a path from ever being reused: Chroma caches clients by path."""
        numbers = [int(p.name.split("-")[1]) for p in self.root.glob("gen-*-*")]
        path = self.root / f"gen-{max(numbers, default=0) + 1:06d}-{uuid.uuid4().hex[:6]}"
        if copy_of is None:
            path.mkdir(parents=True)
        else:
            shutil.copytree(copy_of.path, path)
        return Generation(path)

    def publish(self, generation: Generation) -> None:
        """Make `generation` the one that answers: an atomic rename of the pointer file."""
        _write_atomically(self.root / POINTER, generation.name)

    def discard(self, generation: Generation) -> None:
        shutil.rmtree(generation.path, ignore_errors=True)

    def prune(self) -> None:
        """Remove generations that are neither current nor the one before it. The previous one
        stays, because another process may still be answering from it."""
        current = self.current_name()
        generations = sorted(p for p in self.root.glob("gen-*") if p.is_dir())
        keep = {current}
        older = [p.name for p in generations if (p / MANIFEST).exists() and p.name < (current or "")]
        if older:
            keep.add(older[-1])
        for path in generations:
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
