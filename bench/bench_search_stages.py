"""Where a search's time goes, stage by stage, on an existing index: the question's embedding,
Chroma's HNSW query, a date-restricted dense ranking done by Chroma's `where` filter and by the
catalog's exact search newsbot uses, BM25 (the catalog's FTS5) with and without a date range,
fetching the candidates, and the whole search. Each question is restricted to the week before its
date; figures are medians.

    python bench/bench_search_stages.py --data-dir rtqa-data [--eval ../shared/eval/rtqa-2026] [--questions 100]
"""

import argparse
import os
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from common import DEFAULT_EVAL, median, percentile

import index.search.searcher as search
from bot.evaluate import question_date, read_questions
from bot.pipeline import Pipeline
from bot.settings import load_settings
from index.search.when import TimeWindow


def epoch(day) -> int:
    return int(datetime.combine(day, clock(), tzinfo=UTC).timestamp())


def timed(measurements: dict, name: str, work):
    started = time.perf_counter()
    result = work()
    measurements.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="folder with questions.jsonl")
    parser.add_argument("--data-dir", type=Path, required=True, help="an index of the eval articles")
    parser.add_argument("--questions", type=int, default=100)
    args = parser.parse_args()

    pipeline = Pipeline(load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)}))
    searcher = pipeline.searcher
    started = time.perf_counter()
    searcher.refresh()
    opened = (time.perf_counter() - started) * 1000
    collection = searcher.store.chunks
    catalog = searcher.catalog
    measurements: dict[str, list[float]] = {}
    for row in read_questions(args.eval / "questions.jsonl")[: args.questions]:
        now = question_date(row)
        week = TimeWindow(now - timedelta(days=7), now, "")
        embedding = timed(measurements, "embed the question", lambda: searcher.embedder.embed_query(row["question"]))
        timed(measurements, "dense: Chroma HNSW", lambda: searcher._nearest(embedding, search.CANDIDATES))
        where = {
            "$and": [
                {"published_ts": {"$gte": epoch(week.start)}},
                {"published_ts": {"$lt": epoch(week.end + timedelta(days=1))}},
            ]
        }
        timed(
            measurements,
            "dense, one week: Chroma `where` filter",
            lambda: collection.query(
                query_embeddings=[embedding.tolist()], n_results=search.CANDIDATES, where=where, include=[]
            ),
        )
        timed(
            measurements,
            "dense, one week: catalog's exact search (newsbot)",
            lambda: searcher._nearest_within(embedding, search.CANDIDATES, week),
        )
        timed(measurements, "BM25 (FTS5)", lambda: searcher._lexical_ranking(row["question"], search.CANDIDATES))
        timed(
            measurements,
            "BM25 (FTS5), one week",
            lambda: searcher._lexical_ranking(row["question"], search.CANDIDATES, week),
        )
        fused = catalog.known(searcher._nearest(embedding, search.POOL))
        timed(measurements, f"fetch {search.POOL} candidates", lambda: searcher._fetch(fused, embedding))
        timed(measurements, "whole search, k=10", lambda: searcher.search(row["question"], 10, now))

    print(
        f"{catalog.chunk_count():,} chunks; {len(measurements['BM25 (FTS5)'])} questions; "
        f"opening the index (following its log): {opened:,.0f} ms\n"
    )
    print("| stage | p50 | p95 |")
    print("|---|---|---|")
    for name, values in measurements.items():
        print(f"| {name} | {median(values):.1f} ms | {percentile(values, 0.95):.1f} ms |")


if __name__ == "__main__":
    main()
