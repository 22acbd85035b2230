"""Finding passages for a question: dense (embedding) and lexical (BM25) search over the current
index generation, fused by reciprocal rank.

`Searcher.search(query, k)` is the whole interface.
"""

import threading
from dataclasses import asdict, dataclass

import numpy as np

from index.embed import Embedder
from index.lexical import LexicalIndex
from index.store import Generation, IndexStore, Manifest

# Each ranking contributes its top CANDIDATES; RRF_K is the usual constant of reciprocal-rank fusion.
CANDIDATES = 50
RRF_K = 60


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
        self._lexical: LexicalIndex | None = None
        self._retired: Generation | None = None
        self._lock = threading.Lock()

    def manifest(self) -> Manifest:
        """The manifest of the generation answering now, switching when a new one is published."""
        return self._current()[1]

    def _current(self) -> tuple[Generation, Manifest, LexicalIndex]:
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
                lexical = LexicalIndex.load(generation.path) or LexicalIndex.from_collection(generation.collection())
                # The generation being left may still be mid-query in another thread; it is
                # closed at the switch after this one.
                if self._retired is not None:
                    self._retired.close()
                self._retired = self._generation
                self._generation, self._manifest, self._lexical = generation, manifest, lexical
            return self._generation, self._manifest, self._lexical

    def search(self, query: str, k: int = 5) -> list[Passage]:
        """The `k` best chunks by reciprocal-rank fusion of the dense and the BM25 ranking, each
        drawn from its top CANDIDATES."""
        generation, _, lexical = self._current()
        if k < 1:
            return []
        depth = max(CANDIDATES, k)
        embedding = self.embedder.embed_query(query)
        dense = generation.collection().query(query_embeddings=[embedding.tolist()], n_results=depth, include=[])["ids"][0]
        fused = reciprocal_rank_fusion([dense, [chunk_id for chunk_id, _ in lexical.search(query, depth)]])[:k]
        if not fused:
            return []
        found = generation.collection().get(ids=fused, include=["documents", "metadatas", "embeddings"])
        by_id = {
            chunk_id: (document, metadata, vector)
            for chunk_id, document, metadata, vector in zip(found["ids"], found["documents"], found["metadatas"], found["embeddings"])
        }
        return [
            _passage(chunk_id, by_id[chunk_id][0], by_id[chunk_id][1], float(np.asarray(by_id[chunk_id][2]) @ embedding))
            for chunk_id in fused
            if chunk_id in by_id
        ]


def reciprocal_rank_fusion(rankings: list[list[str]], k: int = RRF_K) -> list[str]:
    """Ids ordered by the sum of 1 / (k + rank) over the rankings they appear in."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda chunk_id: -scores[chunk_id])


def _passage(chunk_id: str, text: str, meta: dict, cosine: float) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        article_id=meta.get("article_id", ""),
        title=meta.get("title", ""),
        source=meta.get("source", ""),
        url=meta.get("url", ""),
        published=meta.get("published", ""),
        position=int(meta.get("position", 0)),
        text=text,
        score=round(cosine, 6),
    )
