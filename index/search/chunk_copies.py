"""Copying chunks from the store into a catalog: each one's text and vector, and its sentences'
vectors as the writer stored them. Only a chunk that lacks them (an index written before writers
stored them) has its sentences embedded here, each distinct sentence once."""

import numpy as np

from index.articles.sentences import sentence_texts
from index.embedding.embedder import Embedder
from index.embedding.sentence_vectors import pack
from index.search.neighbours import edges
from index.store.chroma import ChunkStore
from index.store.records import LogEntry


def read_chunks(store: ChunkStore, entries: list[LogEntry]) -> tuple[dict[str, dict], set[str]]:
    """Text and vector of every chunk the entries name, and the articles some of whose chunks are gone."""
    ids = [
        chunk_id
        for entry in entries
        if entry.record is not None
        for chunk_id in entry.record.chunk_ids(entry.article_id)
    ]
    chunks = {}
    for stored in store.read_chunks(ids):
        chunks[stored.id] = {"text": stored.text, "vector": np.asarray(stored.vector, dtype=np.float32)}
        if stored.sentence_vectors is not None:
            chunks[stored.id]["sentences"] = stored.sentence_vectors
    missing = {
        entry.article_id
        for entry in entries
        if entry.record is not None
        and any(chunk_id not in chunks for chunk_id in entry.record.chunk_ids(entry.article_id))
    }
    return chunks, missing


def chunk_sentences(texts: list[str]) -> list[list[str]]:
    """The sentences an answer may read in each of an article's chunks (`texts`, in order): its text
    with the sentences its edges cut completed from the chunks beside it, as search completes them."""
    found = []
    for i, text in enumerate(texts):
        lead, tail = edges(texts[i - 1] if i else None, text, texts[i + 1] if i + 1 < len(texts) else None)
        found.append(sentence_texts(lead + text + tail))
    return found


def embed_missing_sentences(
    entries: list[LogEntry], chunks: dict[str, dict], missing: set[str], embedder: Embedder
) -> int:
    """Give each chunk that the writer stored none for its "sentences": the packed vectors of its
    `chunk_sentences` (an index written before readers copied them). A sentence two chunks share is
    embedded once. How many sentences were embedded."""
    sentences: dict[str, list[str]] = {}
    for entry in entries:
        if entry.record is None or entry.article_id in missing:
            continue
        ids = entry.record.chunk_ids(entry.article_id)
        if all("sentences" in chunks[chunk_id] for chunk_id in ids):
            continue
        found = zip(ids, chunk_sentences([chunks[chunk_id]["text"] for chunk_id in ids]))
        sentences.update((chunk_id, texts) for chunk_id, texts in found if "sentences" not in chunks[chunk_id])
    for chunk_id, packed in pack_sentences(sentences, embedder).items():
        chunks[chunk_id]["sentences"] = packed
    return len({text for texts in sentences.values() for text in texts})


def pack_sentences(sentences: dict[str, list[str]], embedder: Embedder, batch_size: int = 64) -> dict[str, bytes]:
    """Chunk id -> the packed vectors of `sentences[chunk_id]`, each distinct sentence embedded once."""
    distinct = list(dict.fromkeys(text for texts in sentences.values() for text in texts))
    # Longest first, so that batches pad little.
    ordered = sorted(distinct, key=len, reverse=True)
    vectors = dict(zip(ordered, embedder.embed(ordered, batch_size=batch_size)))
    return {chunk_id: pack(texts, [vectors[text] for text in texts]) for chunk_id, texts in sentences.items()}
