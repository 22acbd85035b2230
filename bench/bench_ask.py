"""Question latency: warm `ask` p50/p95 in one process, and cold `newsbot ask` wall time and peak
memory as a new process each time.

Indexes the first --limit articles of the eval set once (reused when --data-dir already holds them),
then asks the eval questions.

    python bench/bench_ask.py [--limit 300] [--questions 100] [--runs 3] [--cold-runs 5]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DEFAULT_EVAL, ROOT, median, percentile, read_jsonl, write_subset

from bot.pipeline import Pipeline
from bot.settings import load_settings


def cold_ask(data_dir: Path, question: str, checkout: Path = ROOT) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one `newsbot ask --json` process, run from `checkout`."""
    return cold_command(checkout, data_dir, "ask", question, "--json")


def cold_command(checkout: Path, data_dir: Path, *args: str) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one `python -m bot.cli ARGS` process run from `checkout`."""
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"newsbot {' '.join(args)} failed in {checkout}")
    return wall, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--eval", type=Path, default=DEFAULT_EVAL, help="folder with articles.jsonl and questions.jsonl"
    )
    parser.add_argument("--limit", type=int, default=300, help="articles indexed")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, help="keep the index here to reuse it (default: a temp dir)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        data_dir = args.data_dir or Path(work) / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        subset = write_subset(args.eval / "articles.jsonl", args.limit, data_dir / f"articles-{args.limit}.jsonl")
        pipeline = Pipeline(load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(data_dir)}))
        report = pipeline.index([subset])
        print(report.summary_line(), flush=True)
        questions = [q["question"] for q in read_jsonl(args.eval / "questions.jsonl", args.questions)]
        pipeline.ask(questions[0])  # warm up

        p50s, p95s, search_p50s = [], [], []
        for run in range(args.runs):
            totals, searches = [], []
            for question in questions:
                timings = pipeline.ask(question).timings_ms
                totals.append(timings["total"])
                searches.append(timings["search"])
            p50s.append(percentile(totals, 0.5))
            p95s.append(percentile(totals, 0.95))
            search_p50s.append(percentile(searches, 0.5))
            print(
                f"warm run {run + 1}: ask p50 {p50s[-1]:.0f} ms, p95 {p95s[-1]:.0f} ms, search p50 {search_p50s[-1]:.1f} ms",
                flush=True,
            )

        colds = [cold_ask(data_dir, questions[i % len(questions)]) for i in range(args.cold_runs)]
        for wall, rss in colds:
            print(f"cold newsbot ask: {wall:.2f} s, peak RSS {rss:.0f} MB", flush=True)

    print(
        f"index: {report.articles} articles, {report.chunks} chunks; {len(questions)} questions x {args.runs} runs (medians)"
    )
    print(
        f"warm ask: p50 {median(p50s):.0f} ms, p95 {median(p95s):.0f} ms (search alone p50 {median(search_p50s):.1f} ms)"
    )
    print(
        f"cold newsbot ask: {median([w for w, _ in colds]):.2f} s wall, {median([r for _, r in colds]):.0f} MB peak RSS"
    )


if __name__ == "__main__":
    main()
