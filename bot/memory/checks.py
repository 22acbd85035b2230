"""Which remembered answers a round of changed articles overtakes, and how:

- **corrected**: an article an answer quoted has a new version in which the quoted sentence is gone,
  or its closest sentence now gives another figure or name (a sentence merely reworded, with the
  same figures and names, is not a correction);
- **updated** / **differs**: a later article of the quoted article's story gives a different figure
  for a quoted claim, from the same publisher or from another, by the comparison that decides
  "Updated" and "Reports differ" in answers (bot/briefing/conflicts.disagree);
- **removed**: an article an answer quoted is no longer in the index.

`check_round` is pure: it reads the quotes the store holds for the changed articles and stories,
and the catalog, and returns the corrections to write. It reads nothing else, so its cost follows
the articles changed, not the answers remembered.
"""

from functools import cached_property

import numpy as np

from bot.answering.words import closest_by_words
from bot.briefing.conflicts import disagree, figures, subjects
from bot.memory.store import Quote
from index.articles.stories import STORY_DAYS, day_of
from index.search.catalog import Catalog
from index.store.records import ArticleRecord

# A new sentence sharing fewer of the quoted sentence's words than this did not replace it: the
# quoted sentence is simply gone.
REPLACED_SHARE = 0.3
CORRECTED, UPDATED, DIFFERS, REMOVED = "corrected", "updated", "differs", "removed"


class ArticleNow:
    """One changed article as the catalog now holds it. Its sentences are split only when asked for:
    whether a quote is still there is told from its text."""

    def __init__(self, catalog: Catalog, article_id: str, record: ArticleRecord, seq: int):
        self.catalog = catalog
        self.article_id = article_id
        self.record = record
        self.version = record.version
        self.source = record.source
        self.published = record.published
        self.story = record.story
        self.seq = seq  # the log position of this version

    @cached_property
    def text(self) -> str:
        """The article's chunks run together, whitespace made single: a quote still in it is found here."""
        chunks = self.catalog.chunks(self.record.chunk_ids(self.article_id))
        return " ".join(" ".join(chunk.text.split()) for chunk in sorted(chunks.values(), key=lambda c: c.position))

    @cached_property
    def _held(self) -> list[tuple[str, np.ndarray]]:
        return self.catalog.article_sentences(self.article_id)

    @property
    def sentences(self) -> list[str]:
        return [text for text, _ in self._held]

    @property
    def vectors(self) -> np.ndarray:
        return np.stack([vector for _, vector in self._held])


def figures_of(sentence: str) -> tuple[str, ...]:
    return tuple(figure.text for figure in figures(sentence))


def names_of(sentence: str) -> tuple[str, ...]:
    return tuple(sorted(subjects(sentence)))


def read_article(catalog: Catalog, article_id: str, seq: int) -> ArticleNow | None:
    record = catalog.article(article_id)
    return None if record is None or not record.chunks else ArticleNow(catalog, article_id, record, seq)


def check_round(
    changed: dict[str, ArticleNow],
    removed: set[str],
    article_quotes: list[Quote],
    story_quotes: list[Quote],
    answer_seqs: dict[int, int],
    catalog: Catalog,
    today: str,
) -> list[tuple[int, str, str, str, dict]]:
    """(answer id, kind, article id, version, payload) for each answer the round overtakes: one per
    answer and changed article version, the first quote (by citation number) that shows it."""
    found: dict[tuple[int, str], tuple[int, str, str, str, dict]] = {}

    def add(quote: Quote, kind: str, article_id: str, version: str, payload: dict) -> None:
        key = (quote.answer_id, article_id)
        if key not in found:
            payload = {"type": "answer_corrected", "kind": kind, "answer_id": quote.answer_id, "day": today, **payload}
            found[key] = (quote.answer_id, kind, article_id, version, payload)

    for quote in sorted(article_quotes, key=lambda quote: (quote.answer_id, quote.n)):
        if quote.article_id in removed:
            add(
                quote,
                REMOVED,
                quote.article_id,
                REMOVED,
                {"n": quote.n, "quoted": quote.sentence, "source": quote.source},
            )
            continue
        now = changed.get(quote.article_id)
        if now is None or now.version == quote.version:
            continue
        overtaken, replacement = corrected_by(quote, now)
        if overtaken:
            add(quote, CORRECTED, now.article_id, now.version, _payload(quote, now, replacement))

    by_story: dict[str, list[Quote]] = {}
    for quote in story_quotes:
        by_story.setdefault(quote.story_id, []).append(quote)
    held: dict[str, dict[str, np.ndarray]] = {}  # article id -> its sentences' vectors, read once
    for now in sorted(changed.values(), key=lambda article: (article.published, article.article_id)):
        if now.record.copy_of:
            continue  # a syndicated copy says nothing new
        for quote in sorted(by_story.get(now.story, []), key=lambda quote: (quote.answer_id, quote.n)):
            if (
                quote.article_id == now.article_id
                or not quote.figures
                or now.seq <= answer_seqs.get(quote.answer_id, now.seq)
                or not _later(quote.published, now.published)
            ):
                continue
            if quote.article_id not in held:
                held[quote.article_id] = {
                    " ".join(text.split()): vector for text, vector in catalog.article_sentences(quote.article_id)
                }
            vector = held[quote.article_id].get(" ".join(quote.sentence.split()))
            if vector is None:
                continue  # the quote itself is gone: a correction, found above
            differing = _differing(quote.sentence, vector, now)
            if differing:
                sentence, about = differing
                kind = UPDATED if now.source == quote.source else DIFFERS
                add(quote, kind, now.article_id, now.version, {**_payload(quote, now, sentence), "about": about})
    return list(found.values())


def corrected_by(quote: Quote, now: ArticleNow) -> tuple[bool, str | None]:
    """(whether the article's new version overtakes the quote, the sentence that replaced it or None
    when none did). A quote still there, or reworded with the same figures and names, still stands."""
    if " ".join(quote.sentence.split()) in now.text:
        return False, None
    replacement, share = closest_by_words(quote.sentence, now.sentences)
    if share < REPLACED_SHARE:
        return True, None
    if figures_of(replacement) == quote.figures and names_of(replacement) == quote.names:
        return False, None
    return True, replacement


def _differing(quoted: str, vector: np.ndarray, now: ArticleNow) -> tuple[str, str] | None:
    cosines = now.vectors @ vector
    for sentence, cosine in zip(now.sentences, cosines):
        if figures(sentence):
            about = disagree(quoted, sentence, float(cosine))
            if about:
                return sentence, about
    return None


def _later(quoted: str, now: str) -> bool:
    """Whether an article published `now` is a later report than one published `quoted`, within a
    story's span (an undated one is new to the index, so later)."""
    if not now or not quoted:
        return True
    return now >= quoted and day_of(now) - day_of(quoted) <= STORY_DAYS


def _payload(quote: Quote, now: ArticleNow, sentence: str | None) -> dict:
    return {
        "n": quote.n,
        "quoted": quote.sentence,
        "now": sentence,
        "article_id": now.article_id,
        "title": now.record.title,
        "source": now.source,
        "url": now.record.url or None,
        "published": now.published or None,
    }
