"""A feed of 10,000 entries in no order, as a hostile or careless site serves it: how long newsbot
takes to parse it and pick its 50 newest (index/web/discover.py, index/web/crawl.py's `newest`),
and the peak memory it costs, each in a fresh process, median of --runs.

    python bench/bench_big_feed.py [--entries 10000] [--runs 5]
"""

import argparse
import json
import random
import subprocess
import sys
from datetime import UTC, date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import cpu_model, median  # noqa: E402

ONE_RUN = """
import json, resource, sys, time
from index.web.crawl import newest
from index.web.discover import read_listing
from index.web.fetch import Fetched
body = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
entries = newest(read_listing(Fetched("http://127.0.0.1/feed.xml", body, "application/rss+xml")).entries, 50)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "rss_added_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024,
                  "newest": entries[0].published, "taken": len(entries)}))
"""


def feed(entries: int, seed: int = 31) -> bytes:
    from datetime import datetime
    from email.utils import format_datetime

    rng = random.Random(seed)
    items = []
    for n in range(entries):
        day = datetime.combine(date(2024, 1, 1) + timedelta(days=rng.randrange(1000)), datetime.min.time(), UTC)
        items.append(
            f"<item><title>Story {n}</title><link>http://127.0.0.1/news/{n}</link><pubDate>{format_datetime(day)}</pubDate></item>"
        )
    rng.shuffle(items)
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>' + "".join(items) + "</channel></rss>"
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    path = Path("/tmp") / f"newsbot-big-feed-{args.entries}.xml"
    path.write_bytes(feed(args.entries))
    root = Path(__file__).resolve().parent.parent
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", ONE_RUN, str(path)], cwd=root, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(args.runs)
    ]
    print(
        json.dumps(
            {
                "cpu": cpu_model(),
                "entries": args.entries,
                "feed_mb": round(path.stat().st_size / 1e6, 2),
                "runs": args.runs,
                "parse_and_pick_s_median": round(median([run["seconds"] for run in runs]), 3),
                "peak_rss_added_mb_median": round(median([run["rss_added_mb"] for run in runs]), 1),
                "taken": runs[0]["taken"],
                "newest": runs[0]["newest"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
