"""Warm `brief --since 7d` over 20 weeks, and the cost of placing articles in stories, on an index.

    python bench/bench_brief.py --data-dir rtqa-2026-data [--eval ../shared/eval/rtqa-2026] [--weeks 20]

The weeks end on the dates of the eval's questions. The first brief warms the process and is not
counted. Story placement is timed the way the writer does it, article by article, oldest first,
over every article the index holds, from the vectors it stores; set against the index's build time,
it is what stories add to indexing.
"""

import argparse
import os
import time
from datetime import date
from pathlib import Path

from common import DEFAULT_EVAL, median, percentile, read_jsonl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--weeks", type=int, default=20)
    args = parser.parse_args()
    from bot.pipeline import Pipeline
    from bot.settings import load_settings
    from measure_stories import place_all

    pipeline = Pipeline(load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)}))
    days = sorted({row["date"][:10] for row in read_jsonl(args.eval / "questions.jsonl")})[: args.weeks]
    pipeline.brief("", 7, date.fromisoformat(days[0]))
    seconds, stories = [], []
    for day in days:
        started = time.perf_counter()
        brief = pipeline.brief("", 7, date.fromisoformat(day))
        seconds.append(time.perf_counter() - started)
        stories.append(len(brief.stories) + brief.more)
    print(f"{len(days)} weeks ({days[0]} to {days[-1]}); stories per week: median {median(stories)}, most {max(stories)}")
    print(f"warm brief --since 7d: p50 {median(seconds) * 1000:.0f} ms, p95 {percentile(seconds, 0.95) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms")
    started = time.perf_counter()
    sketches = pipeline.catalog.sketches()
    read = time.perf_counter() - started
    started = time.perf_counter()
    placed = place_all(sketches)
    print(f"story placement: {len(placed)} articles in {len(set(placed.values()))} stories; "
          f"reading their vectors {read:.2f} s, placing them {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
