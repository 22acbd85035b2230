"""Finding passages for a question over the current index generation.

Dense (embedding) and lexical (BM25) rankings are fused by reciprocal rank. When the question names
a time ("this week", "in March 2025"), both rankings are run again restricted to articles published
then, and fused in too: articles of that time rise, undated and older ones stay findable. A question
with no time words leans the same way, more gently, towards the weeks before "now". Syndicated
copies then collapse into one passage, no article takes more than two of the top k while others
match, and a passage whose first or last sentence was cut at a chunk edge gets the rest of it from
the neighbouring chunk.

`Searcher.search(query, k, now)` is the whole interface; the single rankings are public for
benchmarks.
"""

import threading
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta

import numpy as np

from index.diversify import Outlet, cap_per_article, collapse_copies
from index.embed import Embedder
from index.lexical import LexicalIndex
from index.neighbours import lead_from, tail_from
from index.store import Generation, IndexStore, Manifest, read_all
from index.when import TimeWindow, time_window

# Each ranking contributes its top CANDIDATES; RRF_K is the usual constant of reciprocal-rank fusion.
CANDIDATES = 50
RRF_K = 60
# Weight of the dense rankings against the lexical ones.
DENSE_WEIGHT = 1.0
# Weights of the rankings restricted to a time: one the question names, or the recent past.
NAMED_TIME_WEIGHT = 1.0
RECENT_DAYS = 14
RECENT_WEIGHT = 0.5
# Fused passages examined for copies and the per-article cap, so that k survive them.
POOL = 30
# Pseudo-relevance feedback for BM25: the FEEDBACK_TERMS words most typical of its top FEEDBACK_CHUNKS
# hits are added to the query, whose own words count QUERY_WEIGHT times (0 terms: off). Off: with 10
# terms B250 rose on rtqa-2026 (0.417 -> 0.428) but fell on 11 weeks of rtqa-2025-dev (0.366 ->
# 0.352), so it is not better on both (docs/benchmarks.md).
FEEDBACK_CHUNKS = 5
FEEDBACK_TERMS = 0
QUERY_WEIGHT = 3


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
    also_reported_by: tuple[Outlet, ...] = ()
    lead: str = ""  # the start of a sentence cut at the chunk's start, from the chunk before
    tail: str = ""  # the end of a sentence cut at the chunk's end, from the chunk after

    @property
    def readable_text(self) -> str:
        """The chunk with its cut edge sentences completed: what an answer may quote."""
        return self.lead + self.text + self.tail

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class IndexView:
    """One generation opened for reading, with what search needs beside Chroma."""

    generation: Generation
    manifest: Manifest
    lexical: LexicalIndex
    # Row for row with lexical.chunk_ids: publication day ordinals (0 if undated) and embeddings, so a
    # search restricted to some dates is a masked product. Chroma can filter by date too, but its
    # filtered queries took 97 ms on 31k chunks, this 0.3 ms (bench/bench_search_stages.py), for 1.5 KB
    # of memory a chunk.
    chunk_days: np.ndarray = field(repr=False)
    vectors: np.ndarray = field(repr=False)
    rows: dict[str, int] = field(init=False, repr=False)  # chunk id -> its row

    def __post_init__(self):
        self.rows = {chunk_id: row for row, chunk_id in enumerate(self.lexical.chunk_ids)}


class Searcher:
    def __init__(self, store: IndexStore, embedder: Embedder):
        self.store = store
        self.embedder = embedder
        self._view: IndexView | None = None
        self._retired: Generation | None = None
        self._lock = threading.Lock()

    def manifest(self) -> Manifest:
        """The manifest of the generation answering now, switching when a new one is published."""
        return self.view().manifest

    def view(self) -> IndexView:
        # Several threads may ask at once (the Discord bot's workers); one of them opens or
        # switches the generation while the others wait, since two Chroma clients opened at the
        # same time on one path fail.
        with self._lock:
            name = self.store.current_name()
            if self._view is None or self._view.generation.name != name:
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
                self._retired = self._view.generation if self._view else None
                self._view = IndexView(
                    generation, manifest, lexical, _chunk_days(lexical.chunk_ids, manifest),
                    _chunk_vectors(generation.collection(), lexical.chunk_ids),
                )
            return self._view

    def search(self, query: str, k: int = 5, now: date | None = None) -> list[Passage]:
        """The `k` best passages for `query`, asked on `now` (today when None)."""
        # One view for the whole search, though another generation may be published meanwhile.
        view = self.view()
        if k < 1:
            return []
        now = now or date.today()
        depth = max(CANDIDATES, k)
        window, weight = time_window(query, now), NAMED_TIME_WEIGHT
        if window is None:
            window, weight = TimeWindow(now - timedelta(days=RECENT_DAYS), now, ""), RECENT_WEIGHT
        embedding = self.embedder.embed_query(query)
        words = _lexical_query(view, query)
        rankings = [
            _dense_ranking(view, embedding, depth),
            _lexical_ranking(view, words, depth),
            _dense_ranking(view, embedding, depth, window),
            _lexical_ranking(view, words, depth, window),
        ]
        weights = [DENSE_WEIGHT, 1.0, DENSE_WEIGHT * weight, weight]
        fused = reciprocal_rank_fusion(rankings, weights, RRF_K)[: max(POOL, 3 * k)]
        passages, vectors = _fetch(view, fused, embedding)
        if not passages:
            return []
        distinct = [
            replace(passages[i], also_reported_by=tuple(outlets)) for i, outlets in collapse_copies(passages, vectors)
        ]
        return _with_neighbours(view, cap_per_article(distinct, k))

    def dense_ranking(self, embedding: np.ndarray, depth: int) -> list[str]:
        """Chunk ids nearest to `embedding`: dense search alone, for benchmarks."""
        return _dense_ranking(self.view(), embedding, depth)

    def lexical_ranking(self, query: str, depth: int) -> list[str]:
        """Chunk ids by BM25 score: lexical search alone, for benchmarks."""
        return _lexical_ranking(self.view(), query, depth)

    def passages(self, chunk_ids: list[str], embedding: np.ndarray) -> list[Passage]:
        """The stored chunks of `chunk_ids`, in that order, scored against `embedding`."""
        return _fetch(self.view(), chunk_ids, embedding)[0]


def _dense_ranking(view: IndexView, embedding: np.ndarray, depth: int, window: TimeWindow | None = None) -> list[str]:
    """Chunk ids nearest to `embedding` (Chroma's HNSW), or the exact nearest among chunks
    published within `window` if given."""
    if window is None:
        collection = view.generation.collection()
        return collection.query(query_embeddings=[embedding.tolist()], n_results=depth, include=[])["ids"][0]
    rows = np.flatnonzero(_within(view.chunk_days, window))
    if not rows.size:
        return []
    similarities = view.vectors[rows] @ embedding
    best = rows[np.argsort(-similarities, kind="stable")[:depth]]
    return [view.lexical.chunk_ids[row] for row in best]


def _lexical_query(view: IndexView, query: str) -> str | list[str]:
    """The query BM25 searches with: the question, expanded by pseudo-relevance feedback if on."""
    if not FEEDBACK_TERMS:
        return query
    top = [chunk_id for chunk_id, _ in view.lexical.search(query, FEEDBACK_CHUNKS)]
    if not top:
        return query
    texts = view.generation.collection().get(ids=top, include=["documents"])["documents"]
    return view.lexical.expanded(query, texts, FEEDBACK_TERMS, QUERY_WEIGHT)


def _lexical_ranking(view: IndexView, query: str | list[str], depth: int, window: TimeWindow | None = None) -> list[str]:
    """Chunk ids by BM25 score, among chunks published within `window` if given."""
    mask = None
    if window is not None:
        mask = _within(view.chunk_days, window)
        if not mask.any():
            return []
    return [chunk_id for chunk_id, _ in view.lexical.search(query, depth, mask)]


def _fetch(view: IndexView, chunk_ids: list[str], embedding: np.ndarray) -> tuple[list[Passage], np.ndarray]:
    """The stored chunks of `chunk_ids`, in that order, scored against `embedding`, and their
    vectors row for row."""
    if not chunk_ids:
        return [], view.vectors[:0]
    found = view.generation.collection().get(ids=chunk_ids, include=["documents", "metadatas"])
    by_id = {chunk_id: (document, metadata) for chunk_id, document, metadata in zip(found["ids"], found["documents"], found["metadatas"])}
    present = [chunk_id for chunk_id in chunk_ids if chunk_id in by_id]
    vectors = view.vectors[[view.rows[chunk_id] for chunk_id in present]]
    scores = vectors @ embedding
    return [_passage(chunk_id, *by_id[chunk_id], float(score)) for chunk_id, score in zip(present, scores)], vectors


def _with_neighbours(view: IndexView, passages: list[Passage]) -> list[Passage]:
    """`passages` with each sentence cut at a chunk edge completed from the chunk beside it."""
    wanted = {}
    for passage in passages:
        if passage.position > 0 and _starts_mid_sentence(passage.text):
            wanted[passage.chunk_id] = [_chunk_id(passage.article_id, passage.position - 1), None]
        if _ends_mid_sentence(passage.text):
            wanted.setdefault(passage.chunk_id, [None, None])[1] = _chunk_id(passage.article_id, passage.position + 1)
    if not wanted:
        return passages
    ids = list(dict.fromkeys(chunk_id for pair in wanted.values() for chunk_id in pair if chunk_id))
    found = view.generation.collection().get(ids=ids, include=["documents"])
    texts = dict(zip(found["ids"], found["documents"]))
    completed = []
    for passage in passages:
        before, after = wanted.get(passage.chunk_id, (None, None))
        lead = lead_from(texts[before], passage.text) if before in texts else ""
        tail = tail_from(passage.text, texts[after]) if after in texts else ""
        completed.append(replace(passage, lead=lead, tail=tail) if lead or tail else passage)
    return completed


def reciprocal_rank_fusion(rankings: list[list[str]], weights: list[float] | None = None, k: int = RRF_K) -> list[str]:
    """Ids ordered by the sum of weight / (k + rank) over the rankings they appear in."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, chunk_id in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
    return sorted(scores, key=lambda chunk_id: -scores[chunk_id])


def _chunk_days(chunk_ids: list[str], manifest: Manifest) -> np.ndarray:
    days = np.zeros(len(chunk_ids), dtype=np.int64)
    for i, chunk_id in enumerate(chunk_ids):
        record = manifest.articles.get(chunk_id.rsplit(":", 1)[0])
        if record is not None and record.published:
            try:
                days[i] = date.fromisoformat(record.published[:10]).toordinal()
            except ValueError:
                pass
    return days


def _chunk_vectors(collection, chunk_ids: list[str]) -> np.ndarray:
    stored = read_all(collection, ["embeddings"])
    if not stored["ids"]:
        return np.zeros((0, 0), dtype=np.float32)
    row = {chunk_id: i for i, chunk_id in enumerate(stored["ids"])}
    vectors = np.asarray(stored["embeddings"], dtype=np.float32).reshape(len(stored["ids"]), -1)
    return vectors[[row[chunk_id] for chunk_id in chunk_ids]]


def _within(days: np.ndarray, window: TimeWindow) -> np.ndarray:
    return (days >= window.start.toordinal()) & (days <= window.end.toordinal())


def _chunk_id(article_id: str, position: int) -> str:
    # The chunker's id_func: "<article id>:<position>".
    return f"{article_id}:{position}"


def _starts_mid_sentence(text: str) -> bool:
    return bool(text) and (text[0].islower() or text[0] in ",;:)")


def _ends_mid_sentence(text: str) -> bool:
    return bool(text) and text.rstrip()[-1:] not in ".!?\"'”’)]:"


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
