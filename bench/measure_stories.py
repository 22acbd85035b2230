"""Story quality on labelled article pairs, side by side with a TF-IDF title baseline.

    python bench/measure_stories.py --data-dir rtqa-2025-dev-data [--labels tests/data/story_pairs.jsonl] [--grid]

Every article of the data dir's index is placed in a story the way the writer does it (index/articles/stories.py),
oldest first, from the vectors the index stores. Each labelled pair (same story or not) is then
scored: pairwise precision, recall and F1, and BCubed F1 over the labelled articles, whose true
stories are the groups the positive labels join. The baseline calls two articles one story when the
TF-IDF cosine of their titles reaches a fixed threshold (0.5), and its best threshold on these very
labels is shown too, which flatters it. `--grid` shows the choice of the story settings, with each
setting's F1 on two halves of the labels, so a choice can be confirmed on the half it was not chosen on.
"""

import argparse
import json
import math
import re
import time
from collections import Counter
from pathlib import Path

from common import ROOT

from index.articles import stories
from index.articles.stories import StoryBook
from index.search.catalog import Catalog

BASELINE_THRESHOLD = 0.5


def read_labels(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def place_all(sketches: list) -> dict[str, str]:
    book = StoryBook()
    for item in sorted(sketches, key=lambda item: (item.day, item.article_id)):
        item.story, item.copy_of = "", ""
        book.place(item)
    return {article_id: item.story for article_id, item in book.sketches.items()}


def pairwise(labels: list[dict], same) -> dict:
    tp = sum(1 for r in labels if r["same_story"] and same(r))
    fp = sum(1 for r in labels if not r["same_story"] and same(r))
    fn = sum(1 for r in labels if r["same_story"] and not same(r))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def bcubed(labels: list[dict], predicted: dict[str, str]) -> float:
    """BCubed F1 over the labelled articles: true groups join positive pairs (transitively)."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for r in labels:
        root(r["a"]), root(r["b"])
        if r["same_story"]:
            parent[root(r["a"])] = root(r["b"])
    items = list(parent)
    gold = {x: root(x) for x in items}
    precision = recall = 0.0
    for x in items:
        same_pred = [y for y in items if predicted.get(y) == predicted.get(x)]
        same_gold = [y for y in items if gold[y] == gold[x]]
        both = sum(1 for y in same_pred if gold[y] == gold[x])
        precision += both / len(same_pred)
        recall += both / len(same_gold)
    precision, recall = precision / len(items), recall / len(items)
    return round(2 * precision * recall / (precision + recall), 3)


def days_apart(row: dict) -> int:
    from datetime import date

    return abs(
        date.fromisoformat(row["published_a"][:10]).toordinal()
        - date.fromisoformat(row["published_b"][:10]).toordinal()
    )


def title_tfidf(titles: dict[str, str]):
    words = {k: re.findall(r"\w+", t.lower()) for k, t in titles.items()}
    df = Counter(w for ws in words.values() for w in set(ws))
    n = len(titles)
    vectors = {}
    for k, ws in words.items():
        counts = Counter(ws)
        v = {w: c * math.log((1 + n) / (1 + df[w])) + 1.0 for w, c in counts.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors[k] = {w: x / norm for w, x in v.items()}
    return lambda a, b: sum(x * vectors[b].get(w, 0.0) for w, x in vectors[a].items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--labels", type=Path, default=ROOT / "tests" / "data" / "story_pairs.jsonl")
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--include-unsure", action="store_true", default=True)
    args = parser.parse_args()
    labels = read_labels(args.labels)
    catalog = Catalog(args.data_dir / "catalog.sqlite")
    records = catalog.articles()
    sketches = catalog.sketches()
    labels = [r for r in labels if r["a"] in records and r["b"] in records]
    sure = [r for r in labels if not r["unsure"]]
    cosine = title_tfidf({k: r.title for k, r in records.items()})

    started = time.perf_counter()
    predicted = place_all(sketches)
    seconds = time.perf_counter() - started
    sizes = Counter(predicted.values())
    print(
        f"{len(labels)} labelled pairs ({sum(r['same_story'] for r in labels)} same story; {len(sure)} sure); "
        f"{len(sketches)} articles in {len(sizes)} stories, placed in {seconds:.2f} s"
    )
    rows = {
        "newsbot stories": (lambda r: predicted[r["a"]] == predicted[r["b"]], predicted),
        f"TF-IDF title cosine >= {BASELINE_THRESHOLD}": (lambda r: cosine(r["a"], r["b"]) >= BASELINE_THRESHOLD, None),
    }
    best = max(
        (t / 20 for t in range(1, 20)), key=lambda t: pairwise(labels, lambda r: cosine(r["a"], r["b"]) >= t)["f1"]
    )
    rows[f"TF-IDF title cosine >= {best:.2f} (best on these labels)"] = (lambda r: cosine(r["a"], r["b"]) >= best, None)
    print("| method | precision | recall | F1 | F1 (sure labels only) | BCubed F1 |")
    print("|---|---|---|---|---|---|")
    for name, (same, clusters) in rows.items():
        scores, sure_scores = pairwise(labels, same), pairwise(sure, same)
        if clusters is None:
            # A pairwise rule has no clusters: its groups join the pairs it calls the same.
            clusters = {}
            parent: dict[str, str] = {}

            def root(x):
                while parent.setdefault(x, x) != x:
                    x = parent[x]
                return x

            for r in labels:
                root(r["a"]), root(r["b"])
                if same(r):
                    parent[root(r["a"])] = root(r["b"])
            clusters = {x: root(x) for x in parent}
        print(
            f"| {name} | {scores['precision']} | {scores['recall']} | {scores['f1']} | {sure_scores['f1']} | {bcubed(labels, clusters)} |"
        )

    far = [r for r in labels if r.get("published_a") and r.get("published_b") and days_apart(r) > stories.STORY_DAYS]
    together = [r for r in far if r["same_story"]]
    joined = sum(predicted[r["a"]] == predicted[r["b"]] for r in together)
    apart = sum(predicted[r["a"]] != predicted[r["b"]] for r in far if not r["same_story"])
    print(
        f"\npairs more than {stories.STORY_DAYS} days apart: {len(far)}; of the {len(together)} of one story, {joined} joined; "
        f"of the {len(far) - len(together)} apart, {apart} kept apart"
    )

    if args.grid:
        halves = (labels[0::2], labels[1::2])
        print("\n| same story at | name bonus | day penalty | days | F1 (even pairs) | F1 (odd pairs) | F1 (all) |")
        print("|---|---|---|---|---|---|---|")
        defaults = (stories.SAME_STORY, stories.NAME_BONUS, stories.DAY_PENALTY, stories.STORY_DAYS)
        for threshold in (0.66, 0.7, 0.74, 0.78):
            for bonus in (0.025, 0.04):
                for penalty in (0.0, 0.01, 0.02):
                    for days in (3, 5, 10):
                        stories.SAME_STORY, stories.NAME_BONUS, stories.DAY_PENALTY, stories.STORY_DAYS = (
                            threshold,
                            bonus,
                            penalty,
                            days,
                        )
                        found = place_all(sketches)
                        same = lambda r: found[r["a"]] == found[r["b"]]  # noqa: E731
                        print(
                            f"| {threshold} | {bonus} | {penalty} | {days} | {pairwise(halves[0], same)['f1']} | {pairwise(halves[1], same)['f1']} | {pairwise(labels, same)['f1']} |",
                            flush=True,
                        )
        stories.SAME_STORY, stories.NAME_BONUS, stories.DAY_PENALTY, stories.STORY_DAYS = defaults


if __name__ == "__main__":
    main()
