"""Stories: every article belongs to exactly one, assigned by the writer as the article is indexed.

An article joins the story whose articles published within STORY_DAYS of it are, on average, the
most alike it, when they are alike enough, or starts a story of its own, named after itself. A
syndicated copy always joins its original's story, whatever their dates. How alike two articles are
was chosen on labelled pairs (docs/stories.md): the cosine of their closest passages' MiniLM
vectors, raised by the names they share and lowered by the days between them.

The story is kept in each article's record in the change log (index/store/changelog.py), so every reader, on
this machine or through a Chroma server, sees the writer's stories, and an article keeps its story
while it is unchanged, through refreshes and rebuilds alike.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from index.articles.sentences import COMPARE_WORDS_ABOVE, containment, trigrams

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
    shingles: np.ndarray  # word trigrams of its first chunk, hashed (`trigrams`), to tell copies
    story: str = ""
    copy_of: str = ""


def day_of(published: str) -> int:
    """The publication day's ordinal, 0 when undated."""
    try:
        return date.fromisoformat(published[:10]).toordinal() if published else 0
    except ValueError:
        return 0


def names_in(title: str, lead: str) -> frozenset[str]:
    return frozenset(name for name in NAME.findall(f"{title}\n{lead}") if name not in COMMON_CAPITALS)


def unit_mean(vectors: Sequence) -> np.ndarray:
    """The mean of an article's chunk vectors, scaled to unit length: the article's own vector."""
    mean = np.mean(np.asarray(vectors, dtype=np.float32), axis=0) if len(vectors) else np.zeros(1, dtype=np.float32)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def sketch(
    article_id: str, title: str, source: str, published: str, chunk_texts: Sequence[str], chunk_vectors: Sequence
) -> Sketch:
    vectors = np.asarray(chunk_vectors, dtype=np.float32)
    lead = chunk_texts[0] if chunk_texts else ""
    return Sketch(
        article_id=article_id,
        day=day_of(published),
        source=source,
        vector=unit_mean(vectors),
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
    return containment(a.shingles, b.shingles) >= COPY_CONTAINMENT


@dataclass
class StoryBook:
    """The sketches of the articles already in stories, which new articles are matched against."""

    sketches: dict[str, Sketch] = field(default_factory=dict)
    # Content hash -> (story, copy_of) of the build a rebuild replaces: unchanged articles keep them.
    carried: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The sketches' vectors and days, row for row with _order, in arrays with room to grow, so that
    # placing n articles one by one copies n rows, not n squared. None when they must be rebuilt.
    _vectors: np.ndarray | None = None
    _days: np.ndarray | None = None
    _order: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._order = list(self.sketches)

    def add(self, item: Sketch) -> None:
        if item.article_id in self.sketches:
            self._vectors = None
        else:
            self._order.append(item.article_id)
            if self._vectors is not None:
                self._append(item)
        self.sketches[item.article_id] = item

    def remove(self, article_ids: Iterable[str]) -> None:
        for article_id in article_ids:
            if self.sketches.pop(article_id, None) is not None:
                self._order.remove(article_id)
                self._vectors = None

    def _append(self, item: Sketch) -> None:
        row = len(self._order) - 1
        if row == len(self._vectors):
            self._vectors = np.concatenate([self._vectors, np.zeros_like(self._vectors)])
            self._days = np.concatenate([self._days, np.zeros_like(self._days)])
        self._vectors[row], self._days[row] = item.vector, item.day

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The vectors and days of the sketches, row for row with `_order`."""
        if self._vectors is None and self._order:
            room = 2 * len(self._order)
            self._vectors = np.zeros((room, len(self.sketches[self._order[0]].vector)), dtype=np.float32)
            self._days = np.zeros(room, dtype=np.int64)
            for row, article_id in enumerate(self._order):
                self._vectors[row], self._days[row] = self.sketches[article_id].vector, self.sketches[article_id].day
        if self._vectors is None:
            return np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=np.int64)
        return self._vectors[: len(self._order)], self._days[: len(self._order)]

    def place(self, item: Sketch) -> Sketch:
        """`item` with its story and, for a syndicated copy, its original: the story of the most
        alike articles near it in time, or a new story named after it. It joins the book."""
        self.remove([item.article_id])
        vectors, days = self._arrays()
        cosines = vectors @ item.vector if len(vectors) else np.zeros(0, dtype=np.float32)
        original = self._original(item, cosines)
        if original is not None:
            item.story, item.copy_of = original.story, original.copy_of or original.article_id
        else:
            item.story, item.copy_of = self._best_story(item, cosines, days) or story_id(item.article_id), ""
        self.add(item)
        return item

    def _original(self, item: Sketch, cosines: np.ndarray) -> Sketch | None:
        """The article `item` is a copy of, if any, among those close to it in meaning."""
        close = int((cosines >= COMPARE_WORDS_ABOVE).sum())
        return next(
            (
                self.sketches[self._order[k]]
                for k in np.argsort(-cosines)[:close]
                if is_copy(item, self.sketches[self._order[k]])
            ),
            None,
        )

    def _best_story(self, item: Sketch, cosines: np.ndarray, days: np.ndarray) -> str:
        """The story whose articles near `item` in time are on average the most alike it, if they
        reach SAME_STORY; else ""."""
        near = (days == 0) | (abs(days - item.day) <= STORY_DAYS) if item.day else np.ones(len(days), dtype=bool)
        scores: dict[str, list[float]] = {}
        for k in np.flatnonzero(near & (cosines >= COMPARE_ABOVE)):
            other = self.sketches[self._order[k]]
            scores.setdefault(other.story, []).append(alike(item, other))
        # Average linkage: the story's other articles near in time count too, as their plain cosine,
        # so a story does not chain from one look-alike to the next.
        for k in np.flatnonzero(near & (cosines < COMPARE_ABOVE)):
            other = self.sketches[self._order[k]]
            if other.story in scores:
                scores[other.story].append(float(cosines[k]))
        averages = {story: sum(values) / len(values) for story, values in scores.items()}
        best = max(averages, key=averages.get, default="")
        return best if best and averages[best] >= SAME_STORY else ""


def story_id(article_id: str) -> str:
    return f"s-{article_id}"
