"""Follow matching against labelled (topic, article) pairs: precision and recall at the shipped
threshold, and with --grid the weights and thresholds it was chosen from.

    python bench/measure_follows.py --data-dir rtqa-2025-dev-data [--grid]

The pairs (tests/data/follow_pairs.jsonl) are 300 (topic, article) pairs from rtqa-2025-dev, drawn
by bench/labels/sample_follow_pairs.py and labelled by reading: would a reader following the topic want
an alert for the article? --grid also reports, for each half of the topics, the precision on that
half at the threshold chosen on the other half, so the in-sample choice can be judged.
"""

import argparse
import json
import os
from pathlib import Path

import numpy as np
from common import ROOT

PAIRS = ROOT / "tests" / "data" / "follow_pairs.jsonl"
TARGET_PRECISION = 0.9


def features(data_dir: Path, pairs: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(closeness, share of the topic's words in the title) of each pair (bot/follows/matching.py)."""
    from bot.follows.matching import Topic, candidates, closeness, title_shares
    from bot.pipeline import load_embedder
    from bot.settings import load_settings
    from index.search.catalog import CATALOG_FILE, Catalog

    settings = load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(data_dir)})
    embedder = load_embedder(settings.embed_model, settings.embed_backend, settings.model_cache)
    catalog = Catalog(data_dir / CATALOG_FILE)
    found = {c.article_id: c for c in candidates(catalog, sorted({pair["article_id"] for pair in pairs}))}
    topics = {text: Topic.of(text, embedder.embed_query(text)) for text in {pair["topic"] for pair in pairs}}
    cosine, share = [], []
    for pair in pairs:
        topic, candidate = [topics[pair["topic"]]], [found[pair["article_id"]]]
        cosine.append(float(closeness(topic, candidate)[0, 0]))
        share.append(float(title_shares(topic, candidate)[0, 0]))
    return np.array(cosine), np.array(share)


def precision_recall(scores: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float, int]:
    flagged = scores >= threshold
    right = int((flagged & labels).sum())
    return (right / flagged.sum() if flagged.sum() else 1.0), right / max(1, labels.sum()), int(flagged.sum())


def lowest_threshold(scores: np.ndarray, labels: np.ndarray, target: float) -> float:
    """The lowest threshold whose precision is at least `target` at it and every threshold above."""
    best = float(scores.max()) + 1e-6
    for threshold in sorted(set(np.round(scores, 4)), reverse=True):
        if precision_recall(scores, labels, threshold)[0] < target:
            break
        best = threshold
    return float(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="an index of rtqa-2025-dev")
    parser.add_argument("--grid", action="store_true")
    args = parser.parse_args()
    from bot.follows.matching import THRESHOLD, TITLE_WEIGHT

    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]
    labels = np.array([pair["label"] == "yes" for pair in pairs])
    sure = np.array([pair["sure"] for pair in pairs])
    cosine, share = features(args.data_dir, pairs)
    scores = cosine + TITLE_WEIGHT * share
    precision, recall, flagged = precision_recall(scores, labels, THRESHOLD)
    print(
        f"{len(pairs)} pairs, {labels.sum()} about their topic; shipped title weight {TITLE_WEIGHT}, threshold {THRESHOLD}"
    )
    print(f"precision {precision:.3f} ({flagged} alerts), recall {recall:.3f}")
    p_sure, r_sure, _ = precision_recall(scores[sure], labels[sure], THRESHOLD)
    print(f"on the {sure.sum()} pairs the labellers were sure of: precision {p_sure:.3f}, recall {r_sure:.3f}")
    if not args.grid:
        return
    topics = sorted({pair["topic"] for pair in pairs})
    halves = [np.array([topics.index(pair["topic"]) % 2 == side for pair in pairs]) for side in (0, 1)]
    for weight in (0.0, 0.2, 0.3, 0.4, 0.5, 0.7):
        mixed = cosine + weight * share
        threshold = lowest_threshold(mixed, labels, TARGET_PRECISION)
        p, r, n = precision_recall(mixed, labels, threshold)
        crossed = []
        for chosen_on, judged_on in ((halves[0], halves[1]), (halves[1], halves[0])):
            t = lowest_threshold(mixed[chosen_on], labels[chosen_on], TARGET_PRECISION)
            crossed.append(precision_recall(mixed[judged_on], labels[judged_on], t)[:2])
        held = " ".join(f"P {cp:.3f} R {cr:.3f}" for cp, cr in crossed)
        print(
            f"weight {weight:.2f}: threshold {threshold:.3f} → P {p:.3f} R {r:.3f} ({n}); other half of topics: {held}"
        )


if __name__ == "__main__":
    main()
