"""What stories add to an answer: the other publishers that reported each cited article's story, and
the figures its quotes give that another report of the story gives differently."""

from dataclasses import replace

import numpy as np

from bot.answering.results import Citation
from bot.briefing.conflicts import Claim, figures, find_disagreements
from bot.briefing.digest import COMPARED_ARTICLES, conflict_json
from index.articles.sentences import sentence_texts
from index.articles.stories import STORY_DAYS, day_of
from index.search.catalog import Catalog
from index.search.diversify import Outlet
from index.store.records import ArticleRecord


def with_stories(catalog: Catalog, citations: list[Citation]) -> tuple[list[Citation], list[dict]]:
    """(`citations` with their stories' other publishers among those that also reported them, plus
    one citation for each other report a disagreement quotes; the disagreements)."""
    cited = list(citations)
    conflicts: list[dict] = []
    for index, citation in enumerate(citations):
        members = catalog.story_of(citation.article_id)
        cited[index] = replace(
            citation, also_reported_by=citation.also_reported_by + _other_publishers(citation, members)
        )
        for found in _disagreements(catalog, citation, members):
            conflicts.append(
                conflict_json(
                    found,
                    cited,
                    lambda n, article_id, quote, members=members: _citation(n, article_id, members[article_id], quote),
                )
            )
    return cited, conflicts


def _other_publishers(citation: Citation, members: dict[str, ArticleRecord]) -> tuple[Outlet, ...]:
    """The first article of each publisher of the story that neither the citation nor its outlets name."""
    named = {citation.source, *(outlet.source for outlet in citation.also_reported_by)}
    found: dict[str, Outlet] = {}
    for article_id, record in members.items():
        if record.source not in named and record.source not in found and not record.copy_of:
            found[record.source] = Outlet(article_id, record.title, record.source, record.url, record.published)
    return tuple(found.values())


def _disagreements(catalog: Catalog, citation: Citation, members: dict[str, ArticleRecord]):
    """Disagreements between a quoted sentence with a figure and the story's other reports."""
    quoted = {text for quote in citation.quotes for text in sentence_texts(quote) if figures(text)}
    if not quoted or len(members) < 2:
        return []
    claims, vectors = [], []
    day = day_of(citation.published)
    # Reports further apart than that are never compared (find_disagreements): not worth reading.
    others = [
        article_id
        for article_id, record in members.items()
        if article_id != citation.article_id
        and not record.copy_of
        and (not day or abs(day_of(record.published) - day) <= STORY_DAYS)
    ]
    for article_id in [citation.article_id, *others[-COMPARED_ARTICLES:]]:
        record = members[article_id]
        for text, vector in catalog.article_sentences(article_id):
            if (text in quoted) if article_id == citation.article_id else bool(figures(text)):
                claims.append(Claim(text, article_id, record.source, record.published))
                vectors.append(vector)
    if not any(claim.article_id == citation.article_id for claim in claims):
        return []
    return [
        found
        for found in find_disagreements(claims, np.stack(vectors))
        if citation.article_id in (found.first.article_id, found.second.article_id)
    ]


def _citation(n: int, article_id: str, record: ArticleRecord, quote: str) -> Citation:
    return Citation(
        n=n,
        article_id=article_id,
        title=record.title,
        source=record.source,
        url=record.url,
        published=record.published,
        quote=quote,
    )
