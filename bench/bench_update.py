"""What an update costs on a large index, side by side in one run:

1. Adding 10 and 100 new articles (held-out news, not in the index) to an existing index, then
   removing them again: newsbot's in-place update, against the work the previous layout added to the
   same update (copy the whole Chroma folder, rebuild BM25 from every stored chunk, and a reader
   reloading every vector), and beside embedding the same articles alone in the same process.
2. A reader's answer latency while a 100-article update runs in another process, against idle.
3. Optionally (--feed), the time from an entry appearing in a feed on a local HTTP server to
   `newsbot ask` answering from it, with `newsbot watch --every` each given interval.

    python bench/bench_update.py --data-dir rtqa-data [--new-articles ../shared/eval/rtqa-2025-dev/articles.jsonl]
        [--sizes 10 100] [--runs 3] [--feed 1m]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DEFAULT_EVAL, ROOT, median, percentile, read_jsonl

from bot.evaluate import read_questions
from bot.pipeline import Pipeline
from bot.settings import load_settings
from index.articles.chunk import chunk_article, embed_text, make_splitter
from index.articles.files import scan_sources

PREVIOUS_LAYOUT = "the previous layout's extra work (git 4c16c0c): copy the Chroma folder, rebuild BM25 from every chunk, reload every vector"


def embed_alone(pipeline, folder: Path) -> float:
    """Seconds to read, chunk and embed the folder's articles, and nothing else."""
    embedder = pipeline.embedder
    started = time.perf_counter()
    splitter = make_splitter(embedder.count_tokens, embedder.max_tokens)
    texts = [
        embed_text(node)
        for article in scan_sources([folder], 5_000_000).articles
        for node in chunk_article(article, splitter)
    ]
    embedder.embed(sorted(texts, key=len, reverse=True), batch_size=pipeline.settings.embed_batch_size)
    return time.perf_counter() - started


def previous_layout_overhead(pipeline, scratch: Path) -> float:
    """Seconds of what the previous layout did on every update beyond embedding and adding: a copy of
    the index folder, BM25 built again from every stored chunk, and each reader reading every vector."""
    import bm25s

    from index.search.lexical import document_text, tokenize

    store = pipeline.store
    store.require_info()
    started = time.perf_counter()
    shutil.copytree(pipeline.settings.data_dir / "chroma", scratch)
    texts, vectors = [], 0
    total = store.chunks.count()
    for offset in range(0, total, 5000):
        page = store.chunks.get(include=["documents", "metadatas", "embeddings"], limit=5000, offset=offset)
        texts += [
            document_text((meta or {}).get("title", ""), doc or "")
            for doc, meta in zip(page["documents"], page["metadatas"])
        ]
        vectors += len(page["embeddings"])
    retriever = bm25s.BM25()
    retriever.index(tokenize(texts), show_progress=False)
    seconds = time.perf_counter() - started
    shutil.rmtree(scratch, ignore_errors=True)
    return seconds


def write_articles(rows: list[dict], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "new.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return folder


def reader_latency(pipeline, questions: list[str], during=None) -> list[float]:
    """Answer latencies (ms) of `questions`, asked in turn, while `during` (a Popen) runs if given."""
    latencies = []
    for question in questions:
        if during is not None and during.poll() is not None:
            break
        started = time.perf_counter()
        pipeline.ask(question)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def feed_latency(interval: str, work: Path) -> float:
    """Seconds from a new feed entry to `newsbot ask` answering from it, with `newsbot watch --every interval`."""
    sys.path.insert(0, str(ROOT))
    from tests.news_server import NewsServer, article_page, rss

    site = NewsServer()
    data = work / f"feed-{interval}"
    environment = {**os.environ, "NEWSBOT_DATA_DIR": str(data), "NEWSBOT_FETCH_DELAY": "0"}
    watcher = None
    try:
        site.set("/robots.txt", "", "text/plain")
        site.set(
            "/old",
            article_page(
                "Council approves harbour budget",
                [
                    "The Ellery council approved the harbour budget on Monday by nine votes to four, after a debate of three hours."
                ]
                * 2,
            ),
        )
        site.set("/feed.xml", rss("Gazette", [("Budget", site.url("/old"), "2026-11-20")]), "application/rss+xml")
        watcher = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "watch", "--every", interval, site.url("/feed.xml")],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        ask = [
            sys.executable,
            "-m",
            "bot.cli",
            "ask",
            "--json",
            "Which apple won the tasting contest at the Brindle festival?",
        ]
        while (
            subprocess.run(
                [sys.executable, "-m", "bot.cli", "stats", "--json"], env=environment, capture_output=True
            ).returncode
            != 0
        ):
            time.sleep(1)
        time.sleep(5)  # the first round is over; the next is an interval away
        site.set(
            "/new",
            article_page(
                "Orchard festival draws record crowds",
                [
                    "The Brindle orchard festival drew a record 41,000 visitors over the weekend, organisers said on Sunday.",
                    "A heritage apple called the Brindle Russet won the tasting contest for the third year running.",
                ],
            ),
        )
        site.set(
            "/feed.xml",
            rss("Gazette", [("Orchard", site.url("/new"), "2026-11-22"), ("Budget", site.url("/old"), "2026-11-20")]),
            "application/rss+xml",
        )
        appeared = time.perf_counter()
        while True:
            answer = subprocess.run(ask, env=environment, capture_output=True, text=True)
            if answer.returncode == 0 and site.url("/new") in answer.stdout:
                return time.perf_counter() - appeared
    finally:
        if watcher is not None:
            watcher.terminate()
            watcher.wait()
        site.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="an existing large index (rtqa-2026)")
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="its eval set, for the reader's questions")
    parser.add_argument(
        "--new-articles",
        type=Path,
        default=DEFAULT_EVAL.parent / "rtqa-2025-dev" / "articles.jsonl",
        help="articles not in the index, added and removed again",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--feed",
        nargs="*",
        default=[],
        metavar="INTERVAL",
        help="watch intervals to time a feed entry with, e.g. 1m 15m",
    )
    args = parser.parse_args()

    pipeline = Pipeline(load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)}))
    pipeline.searcher.refresh()
    chunks = pipeline.catalog.chunk_count()
    known = set(pipeline.searcher.articles())
    fresh = [row for row in read_jsonl(args.new_articles, 2000) if row["id"] not in known]
    questions = [row["question"] for row in read_questions(args.eval / "questions.jsonl")][:40]
    print(f"index: {args.data_dir} ({chunks:,} chunks); new articles from {args.new_articles}\n", flush=True)

    results: dict[tuple[int, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for run in range(args.runs):
            for size in args.sizes:
                folder = write_articles(fresh[run * size : (run + 1) * size], work / f"new-{size}-{run}")
                results.setdefault((size, "embedding alone"), []).append(embed_alone(pipeline, folder))
                started = time.perf_counter()
                report = pipeline.index([folder])
                results.setdefault((size, "add (newsbot)"), []).append(time.perf_counter() - started)
                assert report.added == size, report.summary_line()
                results.setdefault((size, "previous layout's extra work"), []).append(
                    previous_layout_overhead(pipeline, work / "copy")
                )
                (folder / "new.jsonl").unlink()
                started = time.perf_counter()
                removed = pipeline.index([folder])
                results.setdefault((size, "remove (newsbot)"), []).append(time.perf_counter() - started)
                assert removed.removed == size, removed.summary_line()
                print(
                    f"run {run + 1}, {size} articles: "
                    + ", ".join(f"{name} {values[-1]:.2f} s" for (n, name), values in results.items() if n == size),
                    flush=True,
                )

        print(
            f"\n| articles | embedding alone | add (newsbot) | add / embedding, per run | remove (newsbot) | {PREVIOUS_LAYOUT} |"
        )
        print("|---|---|---|---|---|---|")
        for size in args.sizes:
            alone, add = median(results[(size, "embedding alone")]), median(results[(size, "add (newsbot)")])
            removal, extra = (
                median(results[(size, "remove (newsbot)")]),
                median(results[(size, "previous layout's extra work")]),
            )
            ratios = [a / e for a, e in zip(results[(size, "add (newsbot)")], results[(size, "embedding alone")])]
            shown = ", ".join(f"{ratio:.2f}" for ratio in ratios)
            print(
                f"| {size} | {alone:.2f} s | {add:.2f} s | median {median(ratios):.2f}x ({shown}) | {removal:.2f} s | +{extra:.2f} s |"
            )

        idle = reader_latency(pipeline, questions)
        folder = write_articles(fresh[-100:], work / "during")
        writer = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "index", str(folder)],
            env={**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            busy = reader_latency(pipeline, questions * 5, during=writer)
        finally:
            writer.wait()
        (folder / "new.jsonl").unlink()
        pipeline.index([folder])
        print(
            f"\nreader answer latency: idle p50 {median(idle):.0f} ms, p95 {percentile(idle, 0.95):.0f} ms ({len(idle)} questions); "
            f"during a 100-article update p50 {median(busy):.0f} ms, p95 {percentile(busy, 0.95):.0f} ms ({len(busy)} questions)"
        )

        for interval in args.feed:
            print(
                f"\nfeed entry to answer with watch --every {interval}: {feed_latency(interval, work):.1f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
