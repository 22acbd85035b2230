"""Whether two reports give different values for the same quantity, learned: a logistic model over
what the rules of conflicts.py look at, trained by train/conflicts.py on sentence pairs of the
training weeks (train/data/conflict_pairs.jsonl) and shipped as conflict_model.json.

The rules' figure reading is a filter in front of it: a pair is judged only when both sentences give
one figure of a kind they share, and the two values differ. The model weighs the rest (how alike the
sentences are, the names and times each gives, bounds, rounding, how far apart the values are)
instead of each rule vetoing alone.
"""

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from bot.briefing.conflicts import (
    LISTED,
    MARKET,
    MAX_RATIO,
    MIN_WORDS,
    OUTCOMES,
    Claim,
    Figure,
    allows,
    by_rules,
    describe,
    disagree,
    figures,
    reading_times,
    rounds_to,
    subjects,
    written_in,
    years,
)
from index.articles.stories import day_of

MODEL_FILE = Path(__file__).resolve().parent / "conflict_model.json"
WORD = re.compile(r"[a-z0-9']{3,}")
FEATURES = (
    "cosine", "log_ratio", "beyond_ratio", "rounds", "allows", "names_each_way", "name_overlap",
    "times_differ", "years_differ", "outcomes_differ", "listed", "short", "money", "share", "people", "year",
    "same_kind", "candidates", "rules_flag", "word_overlap", "days_apart", "market", "same_publisher",
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
        (x, y) for x in figures(a, loose=True) for y in figures(b, loose=True)
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
        found.append(Judged(describe(x if x.kind else y, a if x.kind else b), np.array([values[name] for name in FEATURES], dtype=np.float64)))
    return found


class ConflictModel:
    """The shipped weights: the probability that two sentences give different values for the same
    quantity, and the threshold above which newsbot says so."""

    def __init__(self, path: Path = MODEL_FILE):
        saved = json.loads(Path(path).read_text(encoding="utf-8"))
        if tuple(saved["features"]) != FEATURES:
            raise ValueError(f"{path} was trained on other features: retrain with train/conflicts.py")
        self.mean = np.array(saved["mean"])
        self.scale = np.array(saved["scale"])
        self.weights = np.array(saved["weights"])
        self.bias = float(saved["bias"])
        self.threshold = float(saved["threshold"])
        self.card = saved.get("card", {})

    def probability(self, features: np.ndarray) -> float:
        z = float(((features - self.mean) / self.scale) @ self.weights + self.bias)
        return 1.0 / (1.0 + math.exp(-z))

    def differ(self, a: str, b: str, cosine: float, days_apart: int = 0, same_publisher: bool = False) -> str:
        """What two sentences give different values for ("" when they do not, by the model)."""
        best = max(judged(a, b, cosine, days_apart, same_publisher), key=lambda j: self.probability(j.features), default=None)
        if best is None or self.probability(best.features) < self.threshold:
            return ""
        return best.about


@cache
def shipped_model() -> ConflictModel | None:
    """The model shipped beside this module, or None when it is missing (the rules decide alone)."""
    return ConflictModel() if MODEL_FILE.exists() else None


def judge(a: Claim, b: Claim, cosine: float) -> str:
    """What two claims of one story give different values for: by the shipped model, or by the
    rules when it is missing."""
    model = shipped_model()
    if model is None:
        return by_rules(a, b, cosine)
    apart = abs(day_of(a.published) - day_of(b.published)) if a.published and b.published else 0
    return model.differ(a.text, b.text, cosine, apart, a.source == b.source)
