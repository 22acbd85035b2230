"""Finding passages for a question in the index.

Dense (embedding) and lexical (BM25) rankings are fused by reciprocal rank. When the question names
a time ("this week", "in March 2025"), both rankings are run again restricted to articles published
then, and fused in too: articles of that time rise, undated and older ones stay findable. A question
with no time words leans the same way, more gently, towards the weeks before "now". Syndicated
copies then collapse into one passage, no article takes more than two of the top k while others
match, and a passage whose first or last sentence was cut at a chunk edge gets the rest of it from
the neighbouring chunk.

`Searcher.search(query, k, now)` is the whole interface; the single rankings are public for
benchmarks. A query is the question's text, or what the asker already worked out of it (a `Query`:
bot/answering/question.py's Question is one), so the time it names is read, not found again.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from typing import Protocol

import numpy as np

from index.embedding.embedder import Embedder
from index.errors import NewsbotError
from index.search.catalog import Catalog
from index.search.diversify import Outlet, cap_per_article, collapse_copies
from index.search.neighbours import edges, ends_mid_sentence, starts_mid_sentence
from index.search.when import TimeWindow, time_window
from index.store.chroma import ChunkStore
from index.store.records import ArticleRecord, IndexInfo

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
# A local reader opens Chroma again once this many chunks were added since it opened it, rather than
# searching them exactly at every question (ChunkStore.fresh_through).
REOPEN_AFTER_CHUNKS = 5000


class IndexModelMismatch(NewsbotError, RuntimeError):
    """The index was embedded with another model than the one configured."""


class Query(Protocol):
    """A question as its asker understood it: its text, the publication dates it names (None: it
    names no time) and the day it is asked on."""

    @property
    def text(self) -> str: ...
    @property
    def window(self) -> TimeWindow | None: ...
    @property
    def asked_on(self) -> date: ...


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
    # The readable text's sentences' vectors, as stored at indexing (index/embedding/sentence_vectors.py).
    sentence_vectors: bytes = field(default=b"", repr=False, compare=False)

    @property
    def readable_text(self) -> str:
        """The chunk with its cut edge sentences completed: what an answer may quote."""
        return self.lead + self.text + self.tail

    def to_json(self) -> dict:
        data = asdict(self)
        del data["sentence_vectors"]
        return data


class Searcher:
    """Search over the shared index (Chroma's nearest-neighbour search) and this reader's catalog
    (lexical search, dates, texts and vectors), which follows the index before every question."""

    def __init__(self, store: ChunkStore, catalog: Catalog, embedder: Embedder):
        self.store = store
        self.catalog = catalog
        self.embedder = embedder
        self._sync_lock = threading.Lock()
        self._lexical_worker = ThreadPoolExecutor(2, thread_name_prefix="newsbot-lexical")

    def refresh(self) -> IndexInfo:
        """Follow the index's changes since the last question; the index's description."""
        # One thread follows the log while the others wait: they would only repeat its reads.
        with self._sync_lock, self.store.reachable():
            self.catalog.sync(self.store, self.embedder)
        info = self.catalog.info
        if info.model != self.embedder.label:
            raise IndexModelMismatch(
                f"the index was built with {info.model} but the configured model is "
                f"{self.embedder.label}: run `newsbot index --rebuild`"
            )
        return info

    def articles(self) -> dict[str, ArticleRecord]:
        """Every article in the index, as of now."""
        self.refresh()
        return self.catalog.articles()

    def search(self, query: str | Query, k: int = 5, now: date | None = None) -> list[Passage]:
        """The `k` best passages for `query`, asked on `now` (today when None); a `Query` is asked
        on its own day."""
        self.refresh()
        if k < 1:
            return []
        if isinstance(query, str):
            now = now or date.today()
            text, named = query, time_window(query, now)
        else:
            text, named, now = query.text, query.window, query.asked_on
        depth = max(CANDIDATES, k)
        # BM25 over every chunk is the slowest ranking and needs neither the time nor the embedding:
        # it runs meanwhile.
        lexical = self._lexical_worker.submit(self._lexical_ranking, text, depth)
        window, weight = named, NAMED_TIME_WEIGHT
        if window is None:
            window, weight = TimeWindow(now - timedelta(days=RECENT_DAYS), now, ""), RECENT_WEIGHT
        embedding = self.embedder.embed_query(text)
        with self.store.reachable():
            nearest = self._nearest(embedding, depth)
        with self.catalog.snapshot():
            rankings = [
                self.catalog.known(nearest),
                lexical.result(),
                self._nearest_within(embedding, depth, window),
                self._lexical_ranking(text, depth, window),
            ]
            weights = [DENSE_WEIGHT, 1.0, DENSE_WEIGHT * weight, weight]
            fused = reciprocal_rank_fusion(rankings, weights, RRF_K)[: max(POOL, 3 * k)]
            passages, vectors = self._fetch(fused, embedding)
            if not passages:
                return []
            distinct = [
                replace(passages[i], also_reported_by=tuple(outlets))
                for i, outlets in collapse_copies(passages, vectors)
            ]
            return self._with_neighbours(cap_per_article(distinct, k))

    def dense_ranking(self, embedding: np.ndarray, depth: int) -> list[str]:
        """Chunk ids nearest to `embedding`: dense search alone, for benchmarks."""
        self.refresh()
        return self.catalog.known(self._nearest(embedding, depth))

    def lexical_ranking(self, query: str, depth: int) -> list[str]:
        """Chunk ids by BM25 score: lexical search alone, for benchmarks."""
        self.refresh()
        return self._lexical_ranking(query, depth)

    def passages(self, chunk_ids: list[str], embedding: np.ndarray) -> list[Passage]:
        """The stored chunks of `chunk_ids`, in that order, scored against `embedding`."""
        with self.catalog.snapshot():
            return self._fetch(chunk_ids, embedding)[0]

    def _nearest(self, embedding: np.ndarray, depth: int) -> list[str]:
        """Chunk ids nearest to `embedding`: Chroma's HNSW index, merged with an exact search of the
        chunks added since this process opened a local Chroma. Chunks of versions this reader has not
        followed (or that a writer is replacing) are dropped later by `Catalog.known`."""
        fresh_through = self.store.fresh_through
        if fresh_through is not None and self.catalog.count_since(fresh_through) > REOPEN_AFTER_CHUNKS:
            self.store.reopen()
            fresh_through = self.store.fresh_through
        scored = self.store.nearest(embedding.tolist(), depth)
        if fresh_through is None or fresh_through >= self.catalog.synced:
            return [chunk_id for chunk_id, _ in scored]
        merged = dict(scored)
        merged.update(self.catalog.nearest_since(embedding, depth, fresh_through))
        return sorted(merged, key=lambda chunk_id: -merged[chunk_id])[:depth]

    def _nearest_within(self, embedding: np.ndarray, depth: int, window: TimeWindow) -> list[str]:
        return self.catalog.nearest_within(embedding, depth, _days(window))

    def _lexical_ranking(self, query: str, depth: int, window: TimeWindow | None = None) -> list[str]:
        """Chunk ids by BM25 score, among chunks published within `window` if given."""
        days = _days(window) if window is not None else None
        return [chunk_id for chunk_id, _ in self.catalog.lexical(query, depth, days)]

    def _fetch(self, chunk_ids: list[str], embedding: np.ndarray) -> tuple[list[Passage], np.ndarray]:
        """The stored chunks of `chunk_ids`, in that order, scored against `embedding`, and their
        vectors row for row."""
        stored = self.catalog.chunks(chunk_ids)
        present = [chunk_id for chunk_id in chunk_ids if chunk_id in stored]
        if not present:
            return [], np.zeros((0, len(embedding)), dtype=np.float32)
        vectors = np.stack([stored[chunk_id].vector for chunk_id in present])
        scores = vectors @ embedding
        records: dict[str, ArticleRecord | None] = {}
        passages = []
        for chunk_id, score in zip(present, scores):
            chunk = stored[chunk_id]
            if chunk.article_id not in records:
                records[chunk.article_id] = self.catalog.article(chunk.article_id)
            passages.append(_passage(chunk, records[chunk.article_id], float(score)))
        return passages, vectors

    def _with_neighbours(self, passages: list[Passage]) -> list[Passage]:
        """`passages` with each sentence cut at a chunk edge completed from the chunk beside it."""
        wanted = {}
        for passage in passages:
            before = _beside(passage, -1) if passage.position > 0 and starts_mid_sentence(passage.text) else None
            after = _beside(passage, +1) if ends_mid_sentence(passage.text) else None
            if before or after:
                wanted[passage.chunk_id] = (before, after)
        if not wanted:
            return passages
        ids = list(dict.fromkeys(chunk_id for pair in wanted.values() for chunk_id in pair if chunk_id))
        texts = {chunk_id: chunk.text for chunk_id, chunk in self.catalog.chunks(ids).items()}
        completed = []
        for passage in passages:
            before, after = wanted.get(passage.chunk_id, (None, None))
            lead, tail = edges(texts.get(before), passage.text, texts.get(after))
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


def _days(window: TimeWindow) -> tuple[int, int]:
    return window.start.toordinal(), window.end.toordinal()


def _beside(passage: Passage, step: int) -> str:
    """The id of the chunk `step` positions from `passage` in the same article version."""
    article_version = passage.chunk_id.rsplit(":", 1)[0]
    return f"{article_version}:{passage.position + step}"


def _passage(chunk, record: ArticleRecord | None, cosine: float) -> Passage:
    return Passage(
        chunk_id=chunk.chunk_id,
        article_id=chunk.article_id,
        title=record.title if record else "",
        source=record.source if record else "",
        url=record.url if record else "",
        published=record.published if record else "",
        position=chunk.position,
        text=chunk.text,
        score=round(cosine, 6),
        sentence_vectors=chunk.sentence_vectors,
    )
