"""Draw the (follow topic, article) pairs that were labelled by reading them, for the follows
measurement (tests/data/follow_pairs.jsonl).

    python bench/labels/sample_follow_pairs.py --data-dir rtqa-2025-dev-data --out follow-pairs-to-label.jsonl

Each topic is something a reader might follow ("bird flu", "Epstein files"). Its articles are ranked
by the match score of bot/follows/matching.py, and pairs are drawn, seeded, from the top ranks, the
ranks just below and further down, so that the set holds clear matches, near misses and passing
mentions, whatever threshold is later chosen.
"""

import argparse
import json
import os
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common

from common import ROOT  # noqa: F401  (the repository on sys.path)

TOPICS = [
    "Epstein files",
    "government shutdown",
    "SNAP benefits",
    "tariffs on Canada and Mexico",
    "Hurricane Melissa",
    "Texas flooding",
    "measles outbreak",
    "bird flu",
    "Pope Leo XIV",
    "Pope Francis health",
    "Zohran Mamdani",
    "Cory Booker speech",
    "Bryan Kohberger",
    "Ukraine ceasefire talks",
    "Federal Reserve interest rates",
    "listeria food recall",
    "DC plane crash",
    "National Guard in Washington DC",
    "McDonald's menu",
    "Ozempic and GLP-1 drugs",
    "TikTok ban",
    "DOGE and Elon Musk",
    "federal worker layoffs",
    "Charlie Kirk",
    "Starliner astronauts",
    "Los Angeles wildfires",
    "ICE immigration raids",
    "Beyoncé",
    "Taylor Swift",
    "Paris Olympics",
    "Grammy Awards",
    "Oscars",
    "Supreme Court rulings",
    "pharmacy store closures",
    "penny production",
    "Iran nuclear program",
    "rare earth minerals",
    "Greenland",
    "Nvidia earnings",
    "AWS outage",
    "northern lights",
    "California earthquake",
    "food dye ban",
    "Social Security payments",
    "NFL coaches",
    "Caitlin Clark",
    "Kamala Harris campaign",
    "travel ban",
    "car recalls",
    "Gaza ceasefire",
]
# Ranks drawn per topic: two of the top 3, two of 4–12, two of 13–60.
BANDS = [(0, 3, 2), (3, 12, 2), (12, 60, 2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--since", default="2024-06-01", help="only articles published from this day")
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args()
    from bot.follows.matching import Topic, candidates, quote_for, scores
    from bot.pipeline import load_embedder
    from bot.settings import load_settings
    from index.search.catalog import CATALOG_FILE, Catalog

    settings = load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)})
    embedder = load_embedder(settings.embed_model, settings.embed_backend, settings.model_cache)
    catalog = Catalog(args.data_dir / CATALOG_FILE)
    ids = sorted(article_id for article_id, record in catalog.articles().items() if record.published >= args.since)
    found = candidates(catalog, ids)
    topics = [Topic.of(text, embedder.embed_query(text)) for text in TOPICS]
    table = scores(topics, found)
    rng = random.Random(args.seed)
    rows = []
    for topic, row in zip(topics, table):
        order = np.argsort(-row, kind="stable")
        for low, high, count in BANDS:
            for rank in rng.sample(range(low, high), count):
                candidate = found[order[rank]]
                rows.append(
                    {
                        "topic": topic.text,
                        "article_id": candidate.article_id,
                        "rank": rank + 1,
                        "score": round(float(row[order[rank]]), 4),
                        "title": candidate.record.title,
                        "source": candidate.record.source,
                        "published": candidate.record.published,
                        "quote": quote_for(topic, candidate),
                        "lead": " ".join(candidate.sentences[:4]),
                    }
                )
    with open(args.out, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} pairs from {len(found)} articles and {len(topics)} topics in {args.out}")


if __name__ == "__main__":
    main()
