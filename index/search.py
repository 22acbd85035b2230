"""Finding passages for a question: dense search over the current index generation.

`Searcher.search(query, k)` is the whole interface; later ranking work (lexical, dates) extends
it behind the same call.
"""

import math
import threading
from dataclasses import asdict, dataclass

from index.embed import Embedder
from index.store import Generation, IndexStore, Manifest


class IndexModelMismatch(RuntimeError):
    """The index was embedded with another model than the one configured."""


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    article_id: str
    title: str
    source: str
    url: str
    published: str
    position: int
    text: str
    score: float  # cosine similarity of the question and the embedded chunk, -1..1

    def to_json(self) -> dict:
        return asdict(self)


class Searcher:
    def __init__(self, store: IndexStore, embedder: Embedder):
        self.store = store
        self.embedder = embedder
        self._generation: Generation | None = None
        self._manifest: Manifest | None = None
        self._retired: Generation | None = None
        self._lock = threading.Lock()

    def manifest(self) -> Manifest:
        """The manifest of the generation answering now, switching when a new one is published."""
        return self._current()[1]

    def _current(self) -> tuple[Generation, Manifest]:
        # Several threads may ask at once (the Discord bot's workers); one of them opens or
        # switches the generation while the others wait, since two Chroma clients opened at the
        # same time on one path fail.
        with self._lock:
            name = self.store.current_name()
            if self._generation is None or self._generation.name != name:
                generation = self.store.require_current()
                manifest = generation.read_manifest()
                if manifest.model != self.embedder.label:
                    raise IndexModelMismatch(
                        f"the index was built with {manifest.model} but the configured model is "
                        f"{self.embedder.label}: run `newsbot index --rebuild`"
                    )
                generation.vector_store()
                # The generation being left may still be mid-query in another thread; it is
                # closed at the switch after this one.
                if self._retired is not None:
                    self._retired.close()
                self._retired = self._generation
                self._generation, self._manifest = generation, manifest
            return self._generation, self._manifest

    def search(self, query: str, k: int = 5) -> list[Passage]:
        from llama_index.core.vector_stores.types import VectorStoreQuery

        generation, _ = self._current()
        if k < 1:
            return []
        embedding = self.embedder.embed_query(query)
        result = generation.vector_store().query(
            VectorStoreQuery(query_embedding=embedding.tolist(), similarity_top_k=k)
        )
        return [_passage(node, similarity) for node, similarity in zip(result.nodes, result.similarities)]


def _passage(node, similarity: float) -> Passage:
    meta = node.metadata
    return Passage(
        chunk_id=node.node_id,
        article_id=meta.get("article_id", node.ref_doc_id or ""),
        title=meta.get("title", ""),
        source=meta.get("source", ""),
        url=meta.get("url", ""),
        published=meta.get("published", ""),
        position=int(meta.get("position", 0)),
        text=node.get_content(),
        # ChromaVectorStore reports exp(-distance); the collection uses cosine distance.
        score=round(1.0 + math.log(similarity), 6) if similarity > 0 else -1.0,
    )
