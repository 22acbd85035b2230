"""Stories: every article belongs to exactly one, assigned by the writer as the article is indexed.

An article joins the story whose articles published within STORY_DAYS of it are, on average, the
most alike it, when they are alike enough, or starts a story of its own, named after itself. A syndicated copy always
joins its original's story, whatever their dates. How alike two articles are was chosen on labelled
pairs (docs/stories.md): the cosine of their closest passages' MiniLM vectors,
raised by the names they share and lowered by the days between them.

The story is kept in each article's record in the change log (index/store.py), so every reader, on
this machine or through a Chroma server, sees the writer's stories, and an article keeps its story
while it is unchanged, through refreshes and rebuilds alike.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from index.diversify import COMPARE_WORDS_ABOVE, trigrams

# Articles further apart than this are one story only when one is a copy of the other.
STORY_DAYS = 3
# Two articles are one story when alike() reaches this (docs/stories.md).
SAME_STORY = 0.74
# Each name two articles share adds this much to their closest passages' cosine, up to NAMES_CAP
# names, and each day between them takes DAY_PENALTY away.
NAME_BONUS = 0.025
NAMES_CAP = 6
DAY_PENALTY = 0.02
# A syndicated copy shares this share of its lead's word trigrams with its original.
COPY_CONTAINMENT = 0.8
# Articles whose mean vectors are further apart than this are never compared passage by passage.
COMPARE_ABOVE = 0.5
# A name: a capitalised word that is not just the start of a sentence. Words this common in
# headlines carry no story.
NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z'’-]{2,}")
COMMON_CAPITALS = frozenset(
    "The This That These Those What When Where Why How Who Here There They Their Trump's News Opinion "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June "
    "July August September October November December Updated According".split()
)


@dataclass
class Sketch:
    """What story matching knows of one article."""

    article_id: str
    day: int  # the publication day's ordinal, 0 when undated
    source: str
    vector: np.ndarray  # unit mean of the article's chunk vectors
    chunks: np.ndarray  # its chunk vectors, row for row
    names: frozenset[str]
    shingles: frozenset  # word trigrams of its first chunk, to tell copies
    story: str = ""
    copy_of: str = ""


def day_of(published: str) -> int:
    try:
        return date.fromisoformat(published[:10]).toordinal() if published else 0
    except ValueError:
        return 0


def names_in(title: str, lead: str) -> frozenset[str]:
    return frozenset(name for name in NAME.findall(f"{title}\n{lead}") if name not in COMMON_CAPITALS)


def sketch(article_id: str, title: str, source: str, published: str, chunk_texts: Sequence[str], chunk_vectors: Sequence) -> Sketch:
    vectors = np.asarray(chunk_vectors, dtype=np.float32)
    mean = vectors.mean(axis=0) if len(vectors) else np.zeros(1, dtype=np.float32)
    lead = chunk_texts[0] if chunk_texts else ""
    return Sketch(
        article_id=article_id,
        day=day_of(published),
        source=source,
        vector=mean / max(float(np.linalg.norm(mean)), 1e-12),
        chunks=vectors,
        names=names_in(title, lead),
        shingles=trigrams(lead),
    )


def alike(a: Sketch, b: Sketch) -> float:
    """How alike two articles are: the cosine of their closest passages, raised by each name they
    share and lowered by each day between them."""
    closest = float((a.chunks @ b.chunks.T).max()) if len(a.chunks) and len(b.chunks) else 0.0
    days = abs(a.day - b.day) if a.day and b.day else 0
    return closest + NAME_BONUS * min(len(a.names & b.names), NAMES_CAP) - DAY_PENALTY * days


def is_copy(a: Sketch, b: Sketch) -> bool:
    """Whether one article is the other's text reprinted: most of its lead's word trigrams. Close
    vectors alone are not enough: two short reports of one event are close without being copies."""
    shorter = min(len(a.shingles), len(b.shingles))
    return shorter > 0 and len(a.shingles & b.shingles) / shorter >= COPY_CONTAINMENT


@dataclass
class StoryBook:
    """The sketches of the articles already in stories, which new articles are matched against."""

    sketches: dict[str, Sketch] = field(default_factory=dict)
    # Content hash -> (story, copy_of) of the build a rebuild replaces: unchanged articles keep them.
    carried: dict[str, tuple[str, str]] = field(default_factory=dict)
    _matrix: np.ndarray | None = None
    _days: np.ndarray | None = None
    _room: np.ndarray | None = None
    _room_days: np.ndarray | None = None
    _order: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._order = list(self.sketches)

    def add(self, item: Sketch) -> None:
        if item.article_id in self.sketches:
            self._matrix = None
        else:
            self._order.append(item.article_id)
            if self._matrix is not None:
                self._append(item)
        self.sketches[item.article_id] = item

    def remove(self, article_ids: Iterable[str]) -> None:
        for article_id in article_ids:
            if self.sketches.pop(article_id, None) is not None:
                self._order.remove(article_id)
                self._matrix = None

    def _append(self, item: Sketch) -> None:
        """Grow the arrays by one row, doubling their room when full, so placing n articles one by
        one costs n rows copied, not n squared."""
        count = len(self._order) - 1
        if count == len(self._room):
            room = np.zeros((max(64, 2 * count), self._room.shape[1]), dtype=np.float32)
            room[:count] = self._room
            self._room = room
            self._room_days = np.concatenate([self._room_days, np.zeros(len(room) - count, dtype=np.int64)])
        self._room[count] = item.vector
        self._room_days[count] = item.day
        self._matrix, self._days = self._room[: count + 1], self._room_days[: count + 1]

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._order:
            return np.zeros((0, 1), dtype=np.float32), np.zeros(0, dtype=np.int64)
        if self._matrix is None:
            dimension = len(self.sketches[self._order[0]].vector)
            self._room = np.zeros((max(64, 2 * len(self._order)), dimension), dtype=np.float32)
            self._room_days = np.zeros(len(self._room), dtype=np.int64)
            for k, article_id in enumerate(self._order):
                self._room[k] = self.sketches[article_id].vector
                self._room_days[k] = self.sketches[article_id].day
            self._matrix, self._days = self._room[: len(self._order)], self._room_days[: len(self._order)]
        return self._matrix, self._days

    def place(self, item: Sketch) -> Sketch:
        """`item` with its story and, for a syndicated copy, its original: the story of the most
        alike article near it in time, or a new story named after it. It joins the book."""
        self.remove([item.article_id])
        story, original = "", ""
        matrix, days = self._arrays()
        if len(self._order):
            cosines = matrix @ item.vector
            for k in np.argsort(-cosines)[: int((cosines >= COMPARE_WORDS_ABOVE).sum())]:
                other = self.sketches[self._order[k]]
                if is_copy(item, other):
                    story, original = other.story, other.copy_of or other.article_id
                    break
            if not original:
                near = (days == 0) | (abs(days - item.day) <= STORY_DAYS) if item.day else np.ones(len(days), dtype=bool)
                scores: dict[str, list[float]] = {}
                for k in np.flatnonzero(near & (cosines >= COMPARE_ABOVE)):
                    other = self.sketches[self._order[k]]
                    scores.setdefault(other.story, []).append(alike(item, other))
                # Average linkage: the story's other articles near in time count too, as their plain
                # cosine, so a story does not chain from one look-alike to the next.
                for k in np.flatnonzero(near & (cosines < COMPARE_ABOVE)):
                    other = self.sketches[self._order[k]]
                    if other.story in scores:
                        scores[other.story].append(float(cosines[k]))
                best = SAME_STORY
                for candidate, values in scores.items():
                    if sum(values) / len(values) >= best:
                        story, best = candidate, sum(values) / len(values)
        item.story = story or story_id(item.article_id)
        item.copy_of = original
        self.add(item)
        return item


def story_id(article_id: str) -> str:
    return f"s-{article_id}"
