"""Whether an article is about a follow's topic, and the sentence that shows it.

An article matches a topic when its few closest sentences are close to the topic in meaning, helped
by how many of the topic's words its title holds: the dense and lexical halves of search, scored
per article instead of ranked, so that one threshold decides. An article that only mentions the
topic in passing has one close sentence, not several, and rarely the topic's words in its title. The weights and the threshold were chosen
on labelled (topic, article) pairs (docs/follows.md, bench/measure_follows.py).

Everything is read from the reader's catalog: only the topic is embedded, once, when it is followed.
"""

from dataclasses import dataclass

import numpy as np

from bot.answering.words import content_words, word_overlap
from index.search.catalog import Catalog
from index.store.records import ArticleRecord

# score = mean cosine of the CLOSEST sentences + TITLE_WEIGHT × share of the topic's words in the title.
CLOSEST = 3
TITLE_WEIGHT = 0.3
THRESHOLD = 0.70
# A sentence quoted in an alert has this many words, if the article has one: a headline-like line
# says little, and a paragraph-long one makes a long alert.
QUOTE_WORDS = (6, 60)


@dataclass(frozen=True)
class Candidate:
    """What matching reads of one article."""

    article_id: str
    record: ArticleRecord
    sentences: list[str]
    vectors: np.ndarray  # the sentences' stored vectors, row for row
    title_words: frozenset[str]  # content words of its title, stemmed


@dataclass(frozen=True)
class TopicMatch:
    article_id: str
    score: float
    quote: str  # the article's sentence closest to the topic, verbatim


@dataclass(frozen=True)
class Topic:
    text: str
    vector: np.ndarray
    words: frozenset[str]

    @classmethod
    def of(cls, text: str, vector: np.ndarray) -> "Topic":
        return cls(text, np.asarray(vector, dtype=np.float32), content_words(text))


def candidates(catalog: Catalog, article_ids: list[str]) -> list[Candidate]:
    """The articles of `article_ids` the catalog holds, read for matching."""
    found = []
    for article_id in article_ids:
        record = catalog.article(article_id)
        sentences = catalog.article_sentences(article_id)
        if record is None or not sentences:
            continue
        texts = [text for text, _ in sentences]
        vectors = np.stack([vector for _, vector in sentences])
        found.append(Candidate(article_id, record, texts, vectors, content_words(record.title)))
    return found


def scores(topics: list[Topic], found: list[Candidate]) -> np.ndarray:
    """topics × articles: each article's match score for each topic."""
    if not topics or not found:
        return np.zeros((len(topics), len(found)), dtype=np.float32)
    return closeness(topics, found) + TITLE_WEIGHT * title_shares(topics, found)


def closeness(topics: list[Topic], found: list[Candidate]) -> np.ndarray:
    """topics × articles: the mean cosine of each article's CLOSEST sentences to each topic."""
    matrix = np.stack([topic.vector for topic in topics])
    columns = []
    for candidate in found:
        cosines = candidate.vectors @ matrix.T  # sentences × topics
        top = min(CLOSEST, len(cosines))
        columns.append(-np.sort(-cosines, axis=0)[:top].mean(axis=0))
    return np.stack(columns, axis=1)


def title_shares(topics: list[Topic], found: list[Candidate]) -> np.ndarray:
    """topics × articles: the share of each topic's words each article's title holds."""
    return np.array(
        [
            [len(topic.words & candidate.title_words) / len(topic.words) if topic.words else 0.0 for candidate in found]
            for topic in topics
        ],
        dtype=np.float32,
    )


def quote_for(topic: Topic, candidate: Candidate) -> str:
    """The article's sentence that best shows the match: closest in meaning, then holding the most
    of the topic's words. A statement is preferred to the headline repeated, a question or a line
    too short or too long to quote."""
    closeness = candidate.vectors @ topic.vector
    title = " ".join(candidate.record.title.lower().split())
    best, best_key = candidate.sentences[0], None
    for text, cosine in zip(candidate.sentences, closeness):
        shared = word_overlap(topic.words, text)
        statement = (
            QUOTE_WORDS[0] <= len(text.split()) <= QUOTE_WORDS[1]
            and text.rstrip("\"'”’)").endswith(".")
            and " ".join(text.lower().split()) != title
        )
        key = (statement, float(cosine) + TITLE_WEIGHT * shared)
        if best_key is None or key > best_key:
            best, best_key = text, key
    return best


def matches(topics: list[Topic], found: list[Candidate], threshold: float = THRESHOLD) -> list[list[TopicMatch]]:
    """For each topic, the articles of `found` that match it, best first."""
    table = scores(topics, found)
    result = []
    for topic, row in zip(topics, table):
        hits = [(float(score), candidate) for score, candidate in zip(row, found) if score >= threshold]
        hits.sort(key=lambda hit: -hit[0])
        result.append(
            [
                TopicMatch(candidate.article_id, round(score, 4), quote_for(topic, candidate))
                for score, candidate in hits
            ]
        )
    return result
