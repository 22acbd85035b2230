"""Stories in a time window, and the brief: each story's headline and one or two verbatim, cited
sentences from its most central article, with the reports in it that disagree.

Everything is read from the reader's catalog (index/search/catalog.py); only a topic is embedded.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from bot.answering.quoting import refers_back, shape_problems
from bot.briefing.conflicts import Claim, Disagreement, figures, find_disagreements
from index.articles.stories import day_of, story_id
from index.errors import NewsbotError
from index.search.catalog import Catalog
from index.store.records import ArticleRecord

SINCE = re.compile(r"^\s*(\d{1,4})\s*([dwm])\s*$", re.IGNORECASE)
UNIT_DAYS = {"d": 1, "w": 7, "m": 30}
MAX_SINCE_DAYS = 3660
# A bullet is a sentence of this many words at most and at least: a headline-like line or a
# paragraph-long quote makes a poor bullet.
BULLET_WORDS = (8, 60)
# A second bullet is given when its sentence is this close to the story as a whole.
SECOND_BULLET = 0.5
# Sentences of the first chunks only: a story's lead says what happened.
LEAD_CHUNKS = 2
# Articles of one story compared for disagreeing figures, the newest first.
COMPARED_ARTICLES = 8
# A note about the page, not news: "Editor's note: This file captures the news of …", a page's
# "AI-assisted summary" label run into its first sentence, or a teaser for what follows ("Here's
# what to know").
PAGE_NOTE = re.compile(
    r"^\W*(?:(?:editor['’]s note|correction|clarification|update)\s*:|ai-assisted summary\b"
    r"|here['’]?s\b|here (?:is|are)\b|what (?:to|you need to|we) know\b|(?:read|find out|see|watch) (?:more|here|what|how|why)\b)",
    re.IGNORECASE,
)
# A topic matches a passage this close to it in meaning.
TOPIC_MATCH = 0.35
TOPIC_DEPTH = 60


class BriefError(NewsbotError, ValueError):
    """A brief that cannot be given as asked; the message says why."""


@dataclass(frozen=True)
class StoryArticle:
    article_id: str
    title: str
    source: str
    url: str
    published: str
    copy_of: str = ""

    @classmethod
    def of(cls, article_id: str, record: ArticleRecord) -> "StoryArticle":
        return cls(article_id, record.title, record.source, record.url, record.published, record.copy_of)

    def to_json(self) -> dict:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "source": self.source,
            "url": self.url or None,
            "published": self.published,
        }


@dataclass
class Story:
    story_id: str
    articles: list[StoryArticle]  # oldest first
    headline: str = ""

    @property
    def publishers(self) -> list[str]:
        return list(dict.fromkeys(article.source or "unknown publisher" for article in self.articles))

    @property
    def independent_publishers(self) -> int:
        """Publishers counted once however many copies of one report they carry."""
        return len({article.source for article in self.articles if not article.copy_of})

    @property
    def first_published(self) -> str:
        return self.articles[0].published

    @property
    def last_published(self) -> str:
        return self.articles[-1].published

    def rank_key(self) -> tuple:
        return (-self.independent_publishers, -len(self.articles), -day_of(self.last_published), self.story_id)

    def to_json(self) -> dict:
        return {
            "story_id": self.story_id,
            "headline": self.headline,
            "publishers": self.publishers,
            "articles": [article.to_json() for article in self.articles],
            "first_published": self.first_published,
            "last_published": self.last_published,
        }


@dataclass(frozen=True)
class BriefCitation:
    n: int
    article: StoryArticle
    quote: str

    @property
    def article_id(self) -> str:
        return self.article.article_id

    @property
    def quotes(self) -> tuple[str, ...]:
        return (self.quote,)

    def to_json(self) -> dict:
        return {"n": self.n, **self.article.to_json(), "quote": self.quote}


@dataclass(frozen=True)
class Bullet:
    text: str  # a verbatim sentence
    n: int  # its citation

    def to_json(self) -> dict:
        return {"text": f"{self.text} [{self.n}]"}


@dataclass
class BriefStory:
    story: Story
    bullets: list[Bullet] = field(default_factory=list)
    citations: list[BriefCitation] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)

    @property
    def also_reported_by(self) -> list[str]:
        cited = {citation.article.source for citation in self.citations[:1]}
        return [publisher for publisher in self.story.publishers if publisher not in cited]

    def to_json(self) -> dict:
        return {
            **self.story.to_json(),
            "bullets": [bullet.to_json() for bullet in self.bullets],
            "citations": [citation.to_json() for citation in self.citations],
            "conflicts": self.conflicts,
        }


@dataclass
class Brief:
    since: date
    until: date
    topic: str
    stories: list[BriefStory]
    more: int = 0  # stories in the window beyond those shown

    def to_json(self) -> dict:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "topic": self.topic or None,
            "stories": [story.to_json() for story in self.stories],
        }


def parse_since(text: str) -> int:
    """Days in a window written "7d", "2w" or "1m"."""
    match = SINCE.match(text or "")
    if not match:
        raise BriefError(f"must be a number of days, weeks or months such as 7d, 2w or 1m, not {text!r}")
    days = int(match.group(1)) * UNIT_DAYS[match.group(2).lower()]
    if not 1 <= days <= MAX_SINCE_DAYS:
        raise BriefError(f"must be between 1d and {MAX_SINCE_DAYS}d, not {text!r}")
    return days


def window(since_days: int, as_of: date) -> tuple[date, date]:
    """The first and last day of a window of `since_days` days ending on `as_of`."""
    return as_of - timedelta(days=since_days - 1), as_of


def stories_between(catalog: Catalog, first: date, last: date) -> list[Story]:
    """The stories with an article published between `first` and `last`, with those articles,
    best first: most publishers (copies count once), then most articles, then the most recent."""
    grouped: dict[str, list[tuple[str, ArticleRecord]]] = {}
    for article_id, record in catalog.story_members((first.toordinal(), last.toordinal())):
        grouped.setdefault(record.story or story_id(article_id), []).append((article_id, record))
    found = [
        Story(story, [StoryArticle.of(article_id, record) for article_id, record in members])
        for story, members in grouped.items()
    ]
    return sorted(found, key=Story.rank_key)


def matching(
    stories: list[Story], catalog: Catalog, topic_vector: np.ndarray, topic: str, first: date, last: date
) -> list[Story]:
    """The stories a topic matches, best match first: those with a passage close to it in meaning,
    or sharing its words while not far from it."""
    days = (first.toordinal(), last.toordinal())
    dense = catalog.nearest_within(topic_vector, TOPIC_DEPTH, days)
    lexical = {chunk_id for chunk_id, _ in catalog.lexical(topic, TOPIC_DEPTH, days)}
    ranked = list(dict.fromkeys([*dense, *lexical]))
    chunks = catalog.chunks(ranked)
    by_article = {story_article.article_id: story for story in stories for story_article in story.articles}
    best: dict[str, float] = {}
    for chunk_id in ranked:
        chunk = chunks.get(chunk_id)
        if chunk is None or chunk.article_id not in by_article:
            continue
        cosine = float(chunk.vector @ topic_vector)
        floor = TOPIC_MATCH if chunk_id not in lexical else TOPIC_MATCH - 0.1
        if cosine >= floor:
            story = by_article[chunk.article_id]
            best[story.story_id] = max(best.get(story.story_id, -1.0), cosine)
    chosen = [story for story in stories if story.story_id in best]
    return sorted(chosen, key=lambda story: (-best[story.story_id], story.rank_key()))


def brief_story(story: Story, catalog: Catalog) -> BriefStory:
    """A story's headline, bullets and citations, and the figures its reports disagree on."""
    ids = [article.article_id for article in story.articles]
    vectors = catalog.article_vectors(ids)
    central = _central(story, vectors)
    story.headline = central.title
    centroid = np.mean([vectors[i] for i in ids if i in vectors], axis=0) if vectors else None
    result = BriefStory(story)
    for text in _bullets(catalog, central.article_id, centroid):
        n = len(result.citations) + 1
        result.citations.append(BriefCitation(n, central, text))
        result.bullets.append(Bullet(text, n))
    articles = {article.article_id: article for article in story.articles}
    result.conflicts = [
        conflict_json(
            found, result.citations, lambda n, article_id, quote: BriefCitation(n, articles[article_id], quote)
        )
        # A syndicated copy repeats its original's figures: it is not a second report of them.
        for found in disagreements_among([a for a in story.articles if not a.copy_of][-COMPARED_ARTICLES:], catalog)
    ]
    return result


def _central(story: Story, vectors: dict[str, np.ndarray]) -> StoryArticle:
    """The article closest to all the others; among copies, the original."""
    candidates = [
        article for article in story.articles if not article.copy_of and article.article_id in vectors
    ] or story.articles
    if len(candidates) == 1 or not vectors:
        return candidates[0]
    stacked = np.stack([vectors[a.article_id] for a in story.articles if a.article_id in vectors])
    return max(candidates, key=lambda article: float((stacked @ vectors[article.article_id]).sum()))


def is_bullet(sentence: str) -> bool:
    """Whether a sentence reads well alone: whole, not leaning on the one before, of a bullet's
    length, and news rather than a note about the page ("Editor's note: …"), a teaser or a
    question heading."""
    words = len(sentence.split())
    return (
        BULLET_WORDS[0] <= words <= BULLET_WORDS[1]
        and not shape_problems(sentence)
        and not refers_back(sentence)
        and not PAGE_NOTE.match(sentence)
        and not sentence.rstrip(" \"'”’").endswith("?")
    )


def _bullets(catalog: Catalog, article_id: str, centroid: np.ndarray | None) -> list[str]:
    """One or two self-contained sentences of the article's lead: its first that reads well alone,
    as news puts what happened first, then the one closest to the story as a whole, if close enough."""
    lead = [(text, vector) for text, vector in catalog.article_sentences(article_id, LEAD_CHUNKS) if is_bullet(text)]
    if not lead:
        return []
    chosen = [lead[0][0]]
    rest = [(float(vector @ centroid), text) for text, vector in lead[1:] if centroid is not None]
    if rest and max(rest)[0] >= SECOND_BULLET:
        chosen.append(max(rest)[1])
    return chosen


def disagreements_among(articles: list[StoryArticle], catalog: Catalog) -> list[Disagreement]:
    """The figures `articles` of one story give differently."""
    claims, vectors = [], []
    for article in articles:
        for text, vector in catalog.article_sentences(article.article_id):
            if figures(text):
                claims.append(Claim(text, article.article_id, article.source, article.published))
                vectors.append(vector)
    return find_disagreements(claims, np.stack(vectors)) if len(claims) > 1 else []


def conflict_json(found: Disagreement, citations: list, cite) -> dict:
    """A disagreement as JSON, each claim numbered by the citation that quotes it. `citations` have
    `n`, `article_id` and `quotes`; a claim no citation quotes gets one, made by `cite(n, article
    id, text)` and appended."""
    numbered = []
    for claim in (found.first, found.second):
        citation = next(
            (
                c
                for c in citations
                if c.article_id == claim.article_id and any(claim.text in quote for quote in c.quotes)
            ),
            None,
        )
        if citation is None:
            citation = cite(len(citations) + 1, claim.article_id, claim.text)
            citations.append(citation)
        numbered.append({"text": claim.text, "n": citation.n})
    return {"about": found.about, "kind": "update" if found.update else "conflict", "claims": numbered}
