"""Indexing throughput of the pipeline against raw `model.encode` on the same chunks.

Each run indexes the first --limit articles of the eval set from scratch (read, clean, chunk, embed,
store in Chroma, publish), then encodes the very same chunk texts with the bare model. Runs
alternate, and the medians are reported; the overhead is what the pipeline adds to encoding.

    python bench/bench_index.py [--limit 100] [--runs 3] [--articles PATH]
"""

import argparse
import tempfile
import time
from pathlib import Path

from common import DEFAULT_EVAL, median, write_subset

import index  # noqa: F401
from index.articles import scan_sources
from index.build import update_index
from index.chunk import chunk_article, embed_text, make_splitter
from index.embed import Embedder
from index.store import IndexStore


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=Path, default=DEFAULT_EVAL / "articles.jsonl")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    embedder = Embedder()
    with tempfile.TemporaryDirectory() as work:
        subset = write_subset(args.articles, args.limit, Path(work) / "articles.jsonl")
        splitter = make_splitter(embedder.count_tokens, embedder.max_tokens)
        texts = [embed_text(n) for a in scan_sources([subset], 5_000_000).articles for n in chunk_article(a, splitter)]
        embedder.embed(texts[:64])  # warm up

        pipeline_rates, raw_rates = [], []
        for run in range(args.runs):
            store = IndexStore(Path(work) / f"data-{run}")
            started = time.perf_counter()
            report = update_index(store, embedder, [subset], batch_size=args.batch_size)
            pipeline_rates.append(report.chunks / (time.perf_counter() - started))

            started = time.perf_counter()
            embedder.model.encode(texts, batch_size=args.batch_size, normalize_embeddings=True)
            raw_rates.append(len(texts) / (time.perf_counter() - started))
            print(f"run {run + 1}: pipeline {pipeline_rates[-1]:.1f} chunks/s, raw encode {raw_rates[-1]:.1f} chunks/s", flush=True)

    pipeline, raw = median(pipeline_rates), median(raw_rates)
    print(f"{args.limit} articles, {len(texts)} chunks, {args.runs} runs (medians)")
    print(f"pipeline index: {pipeline:.1f} chunks/s")
    print(f"raw model.encode: {raw:.1f} chunks/s")
    print(f"pipeline overhead: {100 * (raw / pipeline - 1):.1f}% more time than encoding alone")


if __name__ == "__main__":
    main()
