"""A learned conflict model, tried in issue 32 and not shipped: a logistic model over what the rules
of bot/briefing/conflicts.py look at, on the sentence pairs labelled from the training weeks only
(train/data/conflict_pairs.jsonl; how they were drawn and labelled: train/data/LABELLING.md). It
prints its out-of-fold precision and recall and writes its weights to --out; docs/stories.md says
why the rules still decide.

    python train/conflicts.py [--labels train/data/conflict_pairs.jsonl] [--precision 0.85] [--out weights.json]

The rules' figure reading is a filter in front of it (figures read loosely: years and uncounted
numbers kept): a pair is judged for each two comparable figures whose values differ. The model
weighs the rest (how alike the sentences are, the names and times each gives, bounds, rounding,
how far apart the values are, and the rules' own verdict) instead of each rule vetoing alone.

The threshold is the lowest at which the model's out-of-fold precision on these pairs (5 folds) is
at least --precision, so that precision comes first; a pair the filter passes over counts as a
missed disagreement. tests/data/conflict_pairs.jsonl, drawn from the dev sets, is never read here:
it is the test (bench/measure_conflicts.py). Seeded and deterministic.
"""

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.briefing.conflicts import (  # noqa: E402
    LISTED,
    MARKET,
    MAX_RATIO,
    MIN_WORDS,
    OUTCOMES,
    Figure,
    allows,
    describe,
    disagree,
    figures,
    reading_times,
    rounds_to,
    subjects,
    written_in,
    years,
)

WORD = re.compile(r"[a-z0-9']{3,}")
FEATURES = (
    "cosine",
    "log_ratio",
    "beyond_ratio",
    "rounds",
    "allows",
    "names_each_way",
    "name_overlap",
    "times_differ",
    "years_differ",
    "outcomes_differ",
    "listed",
    "short",
    "money",
    "share",
    "people",
    "year",
    "same_kind",
    "candidates",
    "rules_flag",
    "word_overlap",
    "days_apart",
    "market",
    "same_publisher",
)


@dataclass(frozen=True)
class Judged:
    about: str  # what the two figures count, in the first sentence's words
    features: np.ndarray


def _overlap(a: frozenset | set, b: frozenset | set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


@cache
def _words(sentence: str) -> frozenset[str]:
    return frozenset(WORD.findall(sentence.lower()))


COUNTED_KINDS_EXCLUDED = frozenset({"$", "£", "€", "¥", "%", "year"})


def comparable(x: Figure, y: Figure) -> bool:
    """Two figures that may be values of one quantity: of the same kind, or a count and a number
    that counts nothing named ("at least 66 people", "rose to 101 on Monday")."""
    if x.kind == y.kind:
        return True
    return "" in (x.kind, y.kind) and not {x.kind, y.kind} & COUNTED_KINDS_EXCLUDED


def candidate_pairs(a: str, b: str) -> list[tuple[Figure, Figure]]:
    """The filter: every pair of comparable figures of the two sentences (read loosely, years and
    uncounted numbers kept) whose values differ and neither sentence writes the other's number."""
    return [
        (x, y)
        for x in figures(a, loose=True)
        for y in figures(b, loose=True)
        if comparable(x, y) and x.value != y.value and not written_in(x, b) and not written_in(y, a)
    ]


def judged(a: str, b: str, cosine: float, days_apart: int, same_publisher: bool) -> list[Judged]:
    """Each candidate figure pair of two sentences with its features (FEATURES, in order)."""
    pairs = candidate_pairs(a, b)
    if not pairs:
        return []
    names_a, names_b = subjects(a), subjects(b)
    shared = {
        "names_each_way": float(bool(names_a - names_b and names_b - names_a)),
        "name_overlap": _overlap(names_a, names_b),
        "times_differ": float(bool(reading_times(a) and reading_times(b) and reading_times(a) != reading_times(b))),
        "years_differ": float(bool(years(a) and years(b) and years(a) != years(b))),
        "outcomes_differ": float({o for o in OUTCOMES if o in a.lower()} != {o for o in OUTCOMES if o in b.lower()}),
        "listed": float(bool(LISTED.search(a) or LISTED.search(b))),
        "short": float(min(len(a.split()), len(b.split())) < MIN_WORDS),
        "word_overlap": _overlap(_words(a), _words(b)),
        "days_apart": float(min(days_apart, 7)),
        "market": float(bool(MARKET.search(a) or MARKET.search(b))),
        "same_publisher": float(same_publisher),
        "cosine": cosine,
        "candidates": float(min(len(pairs), 10)),
        "rules_flag": float(bool(disagree(a, b, cosine))),
    }
    found = []
    for x, y in pairs:
        low, high = sorted((abs(x.value), abs(y.value)))
        ratio = high / low if low else 100.0
        values = {
            **shared,
            "log_ratio": min(math.log(ratio), math.log(100.0)),
            "beyond_ratio": float(ratio > MAX_RATIO),
            "rounds": float(rounds_to(x.value, y.value) or rounds_to(y.value, x.value)),
            "allows": float(allows(x, y.value) or allows(y, x.value)),
            "year": float(x.kind == "year"),
            "same_kind": float(x.kind == y.kind),
            "money": float(x.kind in "$£€¥"),
            "share": float(x.kind == "%"),
            "people": float(x.kind == "people"),
        }
        found.append(
            Judged(
                describe(x if x.kind else y, a if x.kind else b),
                np.array([values[name] for name in FEATURES], dtype=np.float64),
            )
        )
    return found


SEED = 32
FOLDS = 5
REGULARISATION = 1.0  # sklearn's C: the labelled positives are few


def days_apart(row: dict) -> int:
    a, b = (row[side].get("published", "")[:10] for side in ("a", "b"))
    return abs(date.fromisoformat(a).toordinal() - date.fromisoformat(b).toordinal()) if a and b else 0


def pair_rows(rows: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, label, row index) for each candidate figure pair the filter passes."""
    features, labels, owners = [], [], []
    for k, row in enumerate(rows):
        same = row["a"].get("source") == row["b"].get("source")
        for found in judged(row["a"]["text"], row["b"]["text"], float(row["cosine"]), days_apart(row), same):
            features.append(found.features)
            labels.append(bool(row["differ"]))
            owners.append(k)
    return np.array(features).reshape(-1, len(FEATURES)), np.array(labels), np.array(owners)


def fit(features: np.ndarray, labels: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=2000, random_state=SEED)
    model.fit((features - mean) / scale, labels)
    return mean, scale, model


def per_pair(probabilities: np.ndarray, owners: np.ndarray, count: int) -> np.ndarray:
    """Each labelled pair's best candidate probability (0 when the filter passes over it)."""
    best = np.zeros(count)
    for p, k in zip(probabilities, owners):
        best[k] = max(best[k], p)
    return best


def scores(best: np.ndarray, truth: np.ndarray, threshold: float) -> tuple[float | None, float, int]:
    flagged = best >= threshold
    right = int((flagged & truth).sum())
    precision = right / flagged.sum() if flagged.sum() else None
    return precision, right / max(int(truth.sum()), 1), int(flagged.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=ROOT / "train" / "data" / "conflict_pairs.jsonl")
    parser.add_argument("--precision", type=float, default=0.85)
    parser.add_argument("--out", type=Path, required=True, help="where the weights are written")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    truth = np.array([bool(row["differ"]) for row in rows])
    features, labels, owners = pair_rows(rows)
    print(
        f"{len(rows)} labelled pairs, {int(truth.sum())} differ; {len(labels)} candidate figure pairs pass the filter, "
        f"{len(set(owners[labels]))} of the differing pairs among them"
    )

    rng = np.random.default_rng(SEED)
    fold_of_pair = rng.integers(0, FOLDS, len(rows))
    out_of_fold = np.zeros(len(labels))
    for fold in range(FOLDS):
        held = fold_of_pair[owners] == fold
        if labels[~held].all() or not labels[~held].any():
            continue
        mean, scale, model = fit(features[~held], labels[~held])
        out_of_fold[held] = model.predict_proba((features[held] - mean) / scale)[:, 1]
    best = per_pair(out_of_fold, owners, len(rows))
    thresholds = np.round(np.arange(0.30, 0.99, 0.01), 2)
    table = [(t, *scores(best, truth, t)) for t in thresholds]
    chosen = next(
        (
            t
            for t, precision, _, flagged in table
            if precision is not None and precision >= args.precision and flagged >= 3
        ),
        0.9,
    )
    print("| threshold | precision | recall | flagged |\n|---|---|---|---|")
    for t, precision, recall, flagged in table[::5]:
        print(f"| {t:.2f} | {precision if precision is None else round(precision, 3)} | {recall:.3f} | {flagged} |")
    precision, recall, flagged = scores(best, truth, chosen)
    print(f"chosen threshold {chosen:.2f}: out-of-fold precision {precision}, recall {recall:.3f}, {flagged} flagged")

    mean, scale, model = fit(features, labels)
    card = {
        "trained_on": str(args.labels.relative_to(ROOT)) if args.labels.is_relative_to(ROOT) else str(args.labels),
        "pairs": len(rows),
        "differ": int(truth.sum()),
        "candidates": int(len(labels)),
        "out_of_fold": {
            "threshold": float(chosen),
            "precision": precision and round(precision, 3),
            "recall": round(recall, 3),
        },
        "command": "python train/conflicts.py",
    }
    saved = {
        "features": list(FEATURES),
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "weights": model.coef_[0].tolist(),
        "bias": float(model.intercept_[0]),
        "threshold": float(chosen),
        "card": card,
    }
    args.out.write_text(json.dumps(saved, indent=1) + "\n", encoding="utf-8")
    for name, weight in sorted(zip(FEATURES, model.coef_[0]), key=lambda item: -abs(item[1])):
        print(f"  {name:18s} {weight:+.3f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
