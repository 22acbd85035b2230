"""Chunk vectors derived from the stored sentence vectors, for judging whether indexing could encode
each chunk once (sentence by sentence) instead of twice: every chunk's vector in a COPY of an index
is replaced by the normalised sum of its sentences' stored vectors, plus --title-weight times its
article title's vector. Then `newsbot eval` on the copy is compared with the original.

    cp -r rtqa-2025-dev-data derived && python bench/derived_chunk_vectors.py --data-dir derived [--title-weight 0]
    NEWSBOT_DATA_DIR=derived newsbot eval --articles …/rtqa-2025-dev/articles.jsonl --questions …/questions.jsonl --out run.jsonl --json

It rewrites the copy's Chroma embeddings and catalog vectors in place: never point it at an index in use.
"""

import argparse
import json
import os
import sqlite3
from pathlib import Path

import numpy as np
from common import ROOT  # noqa: F401  (the repository on sys.path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="a copy of an index, rewritten in place")
    parser.add_argument("--title-weight", type=float, default=0.0)
    args = parser.parse_args()
    from bot.pipeline import Pipeline
    from bot.settings import load_settings
    from index.embedding.sentence_vectors import unpack
    from index.search.catalog import CATALOG_FILE
    from index.store.chroma import CHUNKS

    pipeline = Pipeline(load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)}))
    db = sqlite3.connect(args.data_dir / CATALOG_FILE)
    titles = {
        article_id: json.loads(record)["title"]
        for article_id, record in db.execute("SELECT article_id, record FROM articles")
    }
    title_vectors = dict(zip(titles, pipeline.embedder.embed(list(titles.values())))) if args.title_weight else {}
    ids, vectors, rows = [], [], []
    for row_id, chunk_id, article_id, blob in db.execute(
        "SELECT id, chunk_id, article_id, sentence_vectors FROM chunks"
    ).fetchall():
        sentences = list(unpack([blob], pipeline.embedder.dimension).values())
        if not sentences:
            continue  # a chunk with no sentence to quote keeps its own vector
        vector = np.sum(sentences, axis=0) + (args.title_weight * title_vectors[article_id] if args.title_weight else 0)
        vector = (vector / np.linalg.norm(vector)).astype(np.float32)
        ids.append(chunk_id)
        vectors.append(vector)
        rows.append((vector.tobytes(), row_id))
    chunks = pipeline.store.collection(CHUNKS, pipeline.store.info().identity)
    for start in range(0, len(ids), 5000):
        chunks.update(
            ids=ids[start : start + 5000], embeddings=[vector.tolist() for vector in vectors[start : start + 5000]]
        )
    db.executemany("UPDATE chunks SET vector = ? WHERE id = ?", rows)
    db.commit()
    print(f"{len(ids)} chunk vectors replaced by their sentences' (title weight {args.title_weight})")


if __name__ == "__main__":
    main()
