"""Where a search's time goes, stage by stage, on an existing index: the question's embedding,
Chroma's HNSW query, a date-restricted dense ranking done by Chroma's `where` filter and by the
masked product newsbot uses, BM25 with and without a date mask, fetching the candidates, and the
whole search. Each question is restricted to the week before its date; figures are medians.

    python bench/bench_search_stages.py --data-dir rtqa-data [--eval ../shared/eval/rtqa-2026] [--questions 100]
"""

import argparse
import os
import time
from datetime import datetime, time as clock, timedelta, timezone
from pathlib import Path

from common import DEFAULT_EVAL, median, percentile

import index.search as search
from bot.evaluate import question_date, read_questions
from bot.pipeline import Pipeline
from bot.settings import load_settings
from index.when import TimeWindow


def epoch(day) -> int:
    return int(datetime.combine(day, clock(), tzinfo=timezone.utc).timestamp())


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
    view = searcher.view()
    opened = (time.perf_counter() - started) * 1000
    collection = view.generation.collection()
    measurements: dict[str, list[float]] = {}
    for row in read_questions(args.eval / "questions.jsonl")[: args.questions]:
        now = question_date(row)
        week = TimeWindow(now - timedelta(days=7), now, "")
        embedding = timed(measurements, "embed the question", lambda: searcher.embedder.embed_query(row["question"]))
        timed(measurements, "dense: Chroma HNSW", lambda: search._dense_ranking(view, embedding, search.CANDIDATES))
        where = {"$and": [{"published_ts": {"$gte": epoch(week.start)}}, {"published_ts": {"$lt": epoch(week.end + timedelta(days=1))}}]}
        timed(measurements, "dense, one week: Chroma `where` filter", lambda: collection.query(
            query_embeddings=[embedding.tolist()], n_results=search.CANDIDATES, where=where, include=[]))
        timed(measurements, "dense, one week: masked product (newsbot)", lambda: search._dense_ranking(view, embedding, search.CANDIDATES, week))
        timed(measurements, "BM25", lambda: search._lexical_ranking(view, row["question"], search.CANDIDATES))
        timed(measurements, "BM25, one week", lambda: search._lexical_ranking(view, row["question"], search.CANDIDATES, week))
        fused = search._dense_ranking(view, embedding, search.POOL)
        timed(measurements, f"fetch {search.POOL} candidates", lambda: search._fetch(view, fused, embedding))
        timed(measurements, "whole search, k=10", lambda: searcher.search(row["question"], 10, now))

    print(f"{len(view.lexical.chunk_ids):,} chunks; {len(measurements['BM25'])} questions; "
          f"opening the index (chunk vectors and BM25 loaded): {opened:,.0f} ms; vectors in memory: {view.vectors.nbytes / 2**20:.0f} MiB\n")
    print("| stage | p50 | p95 |")
    print("|---|---|---|")
    for name, values in measurements.items():
        print(f"| {name} | {median(values):.1f} ms | {percentile(values, 0.95):.1f} ms |")


if __name__ == "__main__":
    main()
