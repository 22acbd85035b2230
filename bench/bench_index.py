"""Indexing throughput of each embedding backend, side by side on the same chunks: the whole
pipeline (read, clean, chunk, embed, store in Chroma, publish) and the bare encoder.

First each backend's vectors of the chunks are compared with torch's (cosine, mean and least).
Each run indexes the first --limit articles of the eval set from scratch with each backend in turn,
then encodes the very same chunk texts with each backend's encoder alone. Runs alternate backends,
and the medians are reported; the overhead is what the pipeline adds to encoding.

The pipeline embeds each chunk's sentences too (index/embedding/sentence_vectors.py), so "pipeline vs torch
encode" is the whole of `newsbot index` against sentence-transformers encoding the chunks alone,
which is what indexing cost before sentences were stored.

    python bench/bench_index.py [--limit 100] [--runs 3] [--backends torch onnx onnx-int8 openvino] [--articles PATH]
"""

import argparse
import tempfile
import time
from pathlib import Path

from common import DEFAULT_EVAL, median, write_subset

from index.articles.chunk import chunk_article, embed_text, make_splitter
from index.articles.files import scan_sources
from index.build import update_index
from index.embedding.embedder import Embedder
from index.search.catalog import CATALOG_FILE, Catalog
from index.store.chroma import ChunkStore


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=Path, default=DEFAULT_EVAL / "articles.jsonl")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--backends", nargs="+", default=["torch", "onnx", "onnx-int8", "openvino"])
    args = parser.parse_args()

    embedders = {backend: Embedder(backend=backend) for backend in args.backends}
    with tempfile.TemporaryDirectory() as work:
        subset = write_subset(args.articles, args.limit, Path(work) / "articles.jsonl")
        first = embedders[args.backends[0]]
        splitter = make_splitter(first.count_tokens, first.max_tokens)
        texts = [embed_text(n) for a in scan_sources([subset], 5_000_000).articles for n in chunk_article(a, splitter)]
        vectors = {backend: embedder.embed(texts) for backend, embedder in embedders.items()}  # also warms up
        if "torch" in vectors:
            for backend, found in vectors.items():
                cosines = (found * vectors["torch"]).sum(axis=1)
                print(
                    f"{backend}: cosine to torch's vectors of the same {len(texts)} chunks: mean {cosines.mean():.4f}, "
                    f"min {cosines.min():.4f}",
                    flush=True,
                )

        pipeline_rates = {backend: [] for backend in args.backends}
        raw_rates = {backend: [] for backend in args.backends}
        sizes: dict[str, float] = {}
        for run in range(args.runs):
            for backend, embedder in embedders.items():
                data = Path(work) / f"data-{backend}-{run}"
                started = time.perf_counter()
                report = update_index(
                    ChunkStore.local(data / "chroma"),
                    Catalog(data / CATALOG_FILE),
                    embedder,
                    [subset],
                    batch_size=args.batch_size,
                )
                pipeline_rates[backend].append(report.chunks / (time.perf_counter() - started))
                sizes[backend] = sum(f.stat().st_size for f in data.rglob("*") if f.is_file()) / 1e6
                started = time.perf_counter()
                embedder.embed(texts, batch_size=args.batch_size)
                raw_rates[backend].append(len(texts) / (time.perf_counter() - started))
                print(
                    f"run {run + 1} {backend}: pipeline {pipeline_rates[backend][-1]:.1f} chunks/s, "
                    f"encoder {raw_rates[backend][-1]:.1f} chunks/s",
                    flush=True,
                )

    print(f"\n{args.limit} articles, {len(texts)} chunks, {args.runs} runs (medians)\n")
    print(
        "| backend | pipeline chunks/s | encoder chunks/s | pipeline vs torch pipeline | pipeline vs torch encode | index on disk |"
    )
    print("|---|---|---|---|---|---|")
    torch_rate = median(pipeline_rates["torch"]) if "torch" in pipeline_rates else None
    torch_encode = median(raw_rates["torch"]) if "torch" in raw_rates else None
    for backend in args.backends:
        pipeline, raw = median(pipeline_rates[backend]), median(raw_rates[backend])
        versus = f"{pipeline / torch_rate:.2f}x" if torch_rate else "-"
        versus_encode = f"{pipeline / torch_encode:.2f}x" if torch_encode else "-"
        print(f"| {backend} | {pipeline:.1f} | {raw:.1f} | {versus} | {versus_encode} | {sizes[backend]:.1f} MB |")


if __name__ == "__main__":
    main()
