"""One round of follows at scale: FOLLOWS follows matched against a round of ARTICLES new articles on
an existing index, as `newsbot watch` does after each round (read the follows' state, match, write
the outbox and move the cursor).

    python bench/bench_follows.py --data-dir rtqa-2026-data [--follows 1000] [--articles 100] [--runs 3]

The index is only read: the follows live in a temporary folder. Their topics are drawn, seeded, from
the index's own titles (three to five words of one), so that some match; they are embedded once, at
"add" time, which is timed apart. The round is timed from reading the follows to committing the
outbox; the median of --runs rounds is printed, each against the same articles with an empty outbox.
A new follow's backtest (the last 7 days before the round) is timed for five of the topics.
"""

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from common import cpu_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--follows", type=int, default=1000)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args()
    from bot.follows.matching import Topic
    from bot.follows.rounds import backtest, plan_round
    from bot.follows.store import FollowStore
    from bot.pipeline import load_embedder
    from bot.settings import load_settings
    from index.search.catalog import CATALOG_FILE, Catalog

    settings = load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)})
    embedder = load_embedder(settings.embed_model, settings.embed_backend, settings.model_cache)
    catalog = Catalog(args.data_dir / CATALOG_FILE)
    rng = random.Random(args.seed)
    # The round: the ARTICLES articles the log added last, as if they had just been indexed.
    changed = dict(sorted(catalog.changed_since(0, catalog.synced).items(), key=lambda item: item[1])[-args.articles :])
    records = catalog.articles()
    newest = max(records[article_id].published[:10] for article_id in changed)
    today = date.fromisoformat(newest)
    titles = [record.title for record in records.values() if len(record.title.split()) >= 5]
    topics = []
    for title in rng.sample(titles, args.follows):
        words = title.split()
        start = rng.randrange(0, max(1, len(words) - 5))
        topics.append(" ".join(words[start : start + rng.randint(3, 5)]))
    started = time.perf_counter()
    vectors = [embedder.embed_query(topic) for topic in topics]
    embedded = time.perf_counter() - started
    backtests = []
    for topic, vector in list(zip(topics, vectors))[:5]:
        started = time.perf_counter()
        with catalog.snapshot():
            backtest(catalog, Topic.of(topic, vector), today)
        backtests.append(time.perf_counter() - started)
    seconds, sent = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            store = FollowStore(Path(folder))
            for n, (topic, vector) in enumerate(zip(topics, vectors)):
                store.add(f"user{n % 400}", topic, vector, embedder.label, 0, limit=25)
            first_seq = min(changed.values()) - 1
            store.start_from(catalog.info.identity, first_seq)
            started = time.perf_counter()
            follows = store.follows()
            states = store.states([follow.id for follow in follows], list(changed), time.time())
            with catalog.snapshot():
                plan = plan_round(
                    follows,
                    states,
                    catalog,
                    changed,
                    catalog.info.identity,
                    first_seq,
                    catalog.synced,
                    settings.alerts_per_hour,
                    today,
                )
            assert store.commit_round(plan)
            seconds.append(time.perf_counter() - started)
            sent.append((plan.count("alert"), plan.count("update"), plan.count("digest")))
    print(f"CPU: {cpu_model()}")
    print(f"{args.follows} follows, a round of {len(changed)} articles from {args.data_dir.name} (as of {today})")
    print(f"topics embedded at add time: {embedded:.1f} s in all")
    print(f"a new follow's 7-day backtest: median {statistics.median(backtests):.2f} s over {len(backtests)} topics")
    print(
        f"round (state, match, commit): median {statistics.median(seconds):.2f} s over {args.runs} runs {[round(s, 2) for s in seconds]}"
    )
    alerts, updates, digests = sent[-1]
    print(f"sent: {alerts} alerts, {updates} updates, {digests} digests")


if __name__ == "__main__":
    main()
