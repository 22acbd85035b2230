"""Answers remembered, for every front end: each answer is kept with the sentences it quoted, and
after each index round the answers that quote a changed article, or whose story gained a later
report, are checked (bot/memory/checks.py) and their corrections written to the outbox. Delivery is
the front end's: the Discord bot edits its reply and posts a short one, `newsbot watch` prints, the
REPL says so at its next prompt."""

import logging
import time
from datetime import date

from bot.answering.results import Answer
from bot.memory.checks import check_round, figures_of, names_of, read_article
from bot.memory.store import AnswerStore, CheckedRound, Place, Quote
from index.articles.sentences import sentence_texts
from index.articles.stories import story_id
from index.search.searcher import Searcher
from index.store.chroma import ChunkStore

log = logging.getLogger(__name__)

DAY_SECONDS = 86400


class AnswerMemory:
    def __init__(self, days: int, store: AnswerStore, searcher: Searcher, chunks: ChunkStore):
        self.days = days
        self.store = store
        self.searcher = searcher
        self.chunks = chunks

    @property
    def enabled(self) -> bool:
        return self.days > 0

    def remember(self, answer: Answer, place: Place) -> int | None:
        """Keep `answer`, said at `place`, for the memory's days; its id (None when memory is off)."""
        if not self.enabled:
            return None
        catalog = self.searcher.catalog
        versions = {passage.article_id: passage.chunk_id.rsplit(":", 2)[-2] for passage in reversed(answer.passages)}
        quotes = []
        with catalog.snapshot():
            seq, info = catalog.synced, catalog.info
            for citation in answer.citations:
                record = catalog.article(citation.article_id)
                version = versions.get(citation.article_id) or (record.version if record else "")
                story = (record.story if record else "") or story_id(citation.article_id)
                for quote in citation.quotes:
                    for sentence in sentence_texts(quote) or [quote]:
                        quotes.append(
                            Quote(
                                0,
                                citation.n,
                                citation.article_id,
                                version,
                                story,
                                citation.source,
                                citation.published,
                                sentence,
                                figures_of(sentence),
                                names_of(sentence),
                            )
                        )
        answer_id = self.store.remember(place, answer.to_json(), quotes, seq)
        if info is not None and self.store.cursor() is None:
            self.store.start_from(info.identity, seq)
        return answer_id

    def after_round(self, today: date | None = None) -> CheckedRound | None:
        """Check the remembered answers against what the index changed since the last round, into
        the outbox, and forget the answers older than the memory's days; the round written, or None
        when there was nothing to check."""
        if not self.store.exists():
            return None
        forget_before = time.time() - self.days * DAY_SECONDS
        self.searcher.refresh()
        catalog = self.searcher.catalog
        with catalog.snapshot():
            info, seq = catalog.info, catalog.synced
            if info is None:
                return None
            cursor = self.store.cursor()
            if cursor is None or cursor[0] != info.identity or cursor[1] > seq:
                self.store.start_from(info.identity, seq)  # the first round, or a rebuilt index
                return None
            checked = CheckedRound(info.identity, cursor[1], seq)
            if seq > cursor[1]:
                changed_seqs = catalog.changed_since(cursor[1], seq)
                removed = {
                    entry.article_id
                    for entry in self.chunks.log_since(cursor[1], info.identity)
                    if entry.record is None and entry.seq <= seq
                }
                changed = {
                    article_id: article
                    for article_id, article_seq in changed_seqs.items()
                    if (article := read_article(catalog, article_id, article_seq)) is not None
                }
                article_quotes = self.store.quotes_of_articles([*changed, *removed])
                story_quotes = self.store.quotes_of_stories({article.story for article in changed.values()})
                seqs = self.store.seqs(quote.answer_id for quote in article_quotes + story_quotes)
                checked.corrections = check_round(
                    changed, removed, article_quotes, story_quotes, seqs, catalog, (today or date.today()).isoformat()
                )
        if not self.store.commit_round(checked, forget_before):
            log.info("another process checked these articles first")
            return None
        return checked
