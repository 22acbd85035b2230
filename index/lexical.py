"""Lexical search: BM25 (bm25s) over every chunk of one index generation, saved in the generation's
folder beside its Chroma store, so the two always describe the same chunks.

bm25s has no incremental update; rebuilding it from the chunk texts at the end of an index run
takes seconds where embedding the same chunks takes minutes, so every run rebuilds it.
"""

import json
import logging
import os
import shutil
from functools import cache, cached_property
from pathlib import Path

import numpy as np

from index.store import read_all


LEXICAL_DIR = "bm25"
CHUNK_IDS = "chunk_ids.json"
# How the saved index was built; one built another way is rebuilt, so an old index converges to
# what a clean build makes.
DOCUMENT_FORMAT = "document_format.json"


@cache
def _bm25s():
    import bm25s

    # bm25s sets its logger to DEBUG when imported, which would print a line per index build through ours.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, English stopwords removed, Snowball-stemmed words."""
    return _bm25s().tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)


# A chunk's article title counts this many times in BM25: a title names what the article is about in
# few words. Twice gained 0.7 points of B250 on both development sets (docs/benchmarks.md).
TITLE_REPEATS = 2


def document_text(title: str, text: str) -> str:
    """What BM25 indexes for a chunk: its article's title, TITLE_REPEATS times, then its text."""
    return "\n".join([title] * TITLE_REPEATS + [text]) if title else text


def _document_format() -> dict:
    return {"title_repeats": TITLE_REPEATS}


def _saved_format(target: Path) -> dict:
    try:
        return json.loads((target / DOCUMENT_FORMAT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"title_repeats": 1}  # saved before the format was recorded


class LexicalIndex:
    def __init__(self, retriever, chunk_ids: list[str]):
        self.retriever = retriever
        self.chunk_ids = chunk_ids

    @classmethod
    def build(cls, chunk_ids: list[str], texts: list[str]) -> "LexicalIndex":
        retriever = _bm25s().BM25()
        if chunk_ids:
            retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, list(chunk_ids))

    @classmethod
    def from_collection(cls, collection) -> "LexicalIndex":
        """Built from every chunk stored in a Chroma collection."""
        stored = read_all(collection, ["documents", "metadatas"])
        texts = [document_text((meta or {}).get("title", ""), doc or "") for doc, meta in zip(stored["documents"], stored["metadatas"])]
        return cls.build(stored["ids"], texts)

    def save(self, folder: Path) -> None:
        """Into folder/bm25, replacing what was there; readers never see a half-written index."""
        target = folder / LEXICAL_DIR
        staging = folder / f"{LEXICAL_DIR}.new"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if self.chunk_ids:
            self.retriever.save(str(staging), show_progress=False)
        (staging / CHUNK_IDS).write_text(json.dumps(self.chunk_ids), encoding="utf-8")
        (staging / DOCUMENT_FORMAT).write_text(json.dumps(_document_format()), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex | None":
        """The saved index, or None when the generation predates lexical search or its saved index
        was built from differently composed documents."""
        bm25s = _bm25s()
        target = folder / LEXICAL_DIR
        if not (target / CHUNK_IDS).is_file() or _saved_format(target) != _document_format():
            return None
        chunk_ids = json.loads((target / CHUNK_IDS).read_text(encoding="utf-8"))
        if not chunk_ids:
            return cls(bm25s.BM25(), [])
        return cls(bm25s.BM25.load(str(target), show_progress=False), chunk_ids)

    def search(self, query: str | list[str], k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best `k` chunks that share a word with the query (text, or
        tokens from `tokenize`, a repeated token weighing more), among those where `mask` (one bool
        per chunk) is true if given."""
        k = min(k, len(self.chunk_ids))
        if k < 1:
            return []
        tokens = tokenize([query])[0] if isinstance(query, str) else query
        tokens = [token for token in tokens if token in self.retriever.vocab_dict]
        if not tokens:
            return []
        weights = None if mask is None else mask.astype(np.float32)
        documents, scores = self.retriever.retrieve([tokens], k=k, show_progress=False, n_threads=1, weight_mask=weights)
        return [(self.chunk_ids[int(d)], float(s)) for d, s in zip(documents[0], scores[0]) if s > 0]

    def expanded(self, query: str, feedback: list[str], terms: int, query_weight: int) -> list[str]:
        """Pseudo-relevance feedback: the query's tokens, each `query_weight` times, and the `terms`
        words that best characterise the `feedback` texts (the top hits of the query itself), by
        their share of each text times their inverse document frequency."""
        tokens = tokenize([query])[0]
        if not tokens or not feedback or terms < 1:
            return tokens
        frequency = self.document_frequency
        total = max(len(self.chunk_ids), 1)
        weights: dict[str, float] = {}
        for text in tokenize(feedback):
            for token in set(text):
                column = self.retriever.vocab_dict.get(token)
                if column is None or token in tokens:
                    continue
                idf = np.log(1 + total / (1 + frequency[column]))
                weights[token] = weights.get(token, 0.0) + text.count(token) / len(text) * idf
        extra = sorted(weights, key=lambda token: -weights[token])[:terms]
        return tokens * query_weight + extra

    @cached_property
    def document_frequency(self) -> np.ndarray:
        """Chunks holding each token, by the token's column in bm25s' score matrix."""
        return np.diff(self.retriever.scores["indptr"])
