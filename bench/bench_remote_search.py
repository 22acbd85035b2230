"""Search over a Chroma server against the same index opened locally, side by side in one run: a
real `chroma run` serves the data dir's Chroma folder on 127.0.0.1, a reader with its own catalog
searches through it, and each question is searched both ways in turn. Reports whether the passages
are the same and the latency of each.

    python bench/bench_remote_search.py --data-dir rtqa-data [--eval ../shared/eval/rtqa-2026] [--questions 100]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DEFAULT_EVAL, cpu_model, median, percentile

from bot.evaluate import question_date, read_questions
from bot.pipeline import Pipeline
from bot.settings import load_settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()

    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    server = subprocess.Popen(
        [str(chroma), "run", "--path", str(args.data_dir / "chroma"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import httpx

        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        local = Pipeline(load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)}))
        with tempfile.TemporaryDirectory() as reader_dir:  # the reader's catalog is filled while the tempdir lives
            remote = Pipeline(
                load_settings(
                    {**os.environ, "NEWSBOT_DATA_DIR": reader_dir, "NEWSBOT_CHROMA_URL": f"http://127.0.0.1:{port}"}
                )
            )
            started = time.perf_counter()
            remote.searcher.refresh()
            filled = time.perf_counter() - started
            embedded = remote.catalog.embedded_sentences
            chunks = remote.catalog.chunk_count()
            local.searcher.refresh()
            timings = {"local": [], "over HTTP": []}
            same = 0
            rows = read_questions(args.eval / "questions.jsonl")[: args.questions]
            for row in rows:
                found = {}
                for name, pipeline in (("local", local), ("over HTTP", remote)):
                    started = time.perf_counter()
                    found[name] = [
                        p.chunk_id for p in pipeline.searcher.search(row["question"], args.k, question_date(row))
                    ]
                    timings[name].append((time.perf_counter() - started) * 1000)
                same += found["local"] == found["over HTTP"]
    finally:
        server.terminate()
        server.wait()

    print(f"CPU: {cpu_model()}")
    print(
        f"{len(rows)} questions, k={args.k}; the reader's catalog filled from the server in {filled:.1f} s, "
        f"embedding {embedded} sentences for its {chunks} chunks (the rest copied from the index)\n"
    )
    print(f"identical passages, in order: {same} of {len(rows)}\n")
    print("| search | p50 | p95 |")
    print("|---|---|---|")
    for name, values in timings.items():
        print(f"| {name} | {median(values):.1f} ms | {percentile(values, 0.95):.1f} ms |")


if __name__ == "__main__":
    main()
