"""Where `newsbot index` spends its time: the first --limit articles of an eval set indexed from
scratch under cProfile, with the time of each stage.

    python bench/profile_index.py [--limit 60] [--backend openvino]

Stages: encoding the chunks (`_embed_nodes`), encoding their sentences (`_sentence_vectors`),
chunking and sentence splitting, Chroma writes (`Writer.commit`), the catalog (`Catalog.sync`),
and the imports the run pays once per process. The model is loaded and warmed before timing.
"""

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from common import DEFAULT_EVAL, cpu_model, write_subset

STAGES = {
    "encoding the chunks": ("index/build.py", "_embed_nodes"),
    "encoding their sentences": ("index/build.py", "_sentence_vectors"),
    "chunking and sentence splitting": ("index/articles/chunk.py", "chunk_article"),
    "Chroma writes": ("index/store/writer.py", "commit"),
    "the catalog": ("index/search/catalog.py", "sync"),
    "imports": ("<frozen importlib._bootstrap>", "_find_and_load"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=Path, default=DEFAULT_EVAL / "articles.jsonl")
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--backend", default="openvino")
    args = parser.parse_args()
    from index.embedding.embedder import Embedder

    embedder = Embedder(backend=args.backend)
    embedder.embed(["warm up"] * 8)
    with tempfile.TemporaryDirectory() as work:
        subset = write_subset(args.articles, args.limit, Path(work) / "articles.jsonl")
        data = Path(work) / "data"
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        from index.build import update_index
        from index.search.catalog import CATALOG_FILE, Catalog
        from index.store.chroma import ChunkStore

        report = update_index(
            ChunkStore.local(data / "chroma"), Catalog(data / CATALOG_FILE), embedder, [subset], batch_size=64
        )
        profile.disable()
        seconds = time.perf_counter() - started
    stats = pstats.Stats(profile).stats
    print(f"CPU: {cpu_model()}; backend {args.backend}")
    print(
        f"{report.articles} articles, {report.chunks} chunks in {seconds:.1f} s ({report.chunks / seconds:.1f} chunks/s)\n"
    )
    print("| stage | seconds (cumulative) |\n|---|---|")
    for stage, (file, name) in STAGES.items():
        total = max(
            (entry[3] for (path, _, function), entry in stats.items() if path.endswith(file) and function == name),
            default=0.0,
        )
        print(f"| {stage} | {total:.1f} |")


if __name__ == "__main__":
    main()
