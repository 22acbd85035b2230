"""Pure functions over ranked passages: syndicated copies collapse into one passage that lists the
other outlets, and no single article fills the top k while other articles match."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from index.articles.sentences import COMPARE_WORDS_ABOVE, containment, trigrams

# Two chunks of different articles are copies of one story when they share this share of their
# word trigrams (of the shorter one), or their embeddings are this close. Chunk edges differ
# between outlets, so a copy rarely matches a chunk whole.
DUPLICATE_CONTAINMENT = 0.6
DUPLICATE_COSINE = 0.95
PER_ARTICLE = 2


@dataclass(frozen=True)
class Outlet:
    """Another article reporting the same passage."""

    article_id: str
    title: str
    source: str
    url: str
    published: str

    def to_json(self) -> dict:
        return asdict(self)


def is_copy(a: np.ndarray, b: np.ndarray, cosine: float) -> bool:
    return cosine >= DUPLICATE_COSINE or containment(a, b) >= DUPLICATE_CONTAINMENT


def collapse_copies(ranked: Sequence, vectors: np.ndarray) -> list[tuple[int, list[Outlet]]]:
    """(index into `ranked`, outlets also reporting it) for each passage of `ranked` that is not a
    copy of a better-ranked passage of another article. Passages need `.text`, `.article_id` and the
    fields of Outlet; `vectors` are their unit embeddings, row for row."""
    kept: list[int] = []
    outlets: dict[int, list[Outlet]] = {}
    similarities = vectors @ vectors.T if len(ranked) else np.zeros((0, 0))
    shingles: dict[int, np.ndarray] = {}

    def words_of(i: int) -> np.ndarray:
        if i not in shingles:
            shingles[i] = trigrams(ranked[i].text)
        return shingles[i]

    for i, passage in enumerate(ranked):
        original = next(
            (
                j
                for j in kept
                if ranked[j].article_id != passage.article_id
                # Passages sharing most of their words are close in meaning too: only those are compared word by word.
                and similarities[i, j] >= COMPARE_WORDS_ABOVE
                and is_copy(words_of(i), words_of(j), float(similarities[i, j]))
            ),
            None,
        )
        if original is None:
            kept.append(i)
            outlets[i] = []
        elif passage.article_id not in {o.article_id for o in outlets[original]}:
            outlets[original].append(
                Outlet(passage.article_id, passage.title, passage.source, passage.url, passage.published)
            )
    return [(i, outlets[i]) for i in kept]


def cap_per_article(ranked: Sequence, k: int, per_article: int = PER_ARTICLE) -> list:
    """The first `k` of `ranked` with at most `per_article` from one article, topped up in rank
    order from the held-back ones when too few other articles match."""
    chosen, held_back, counts = [], [], {}
    for passage in ranked:
        if counts.get(passage.article_id, 0) < per_article:
            counts[passage.article_id] = counts.get(passage.article_id, 0) + 1
            chosen.append(passage)
        else:
            held_back.append(passage)
        if len(chosen) == k:
            return chosen
    return chosen + held_back[: k - len(chosen)]
