"""Following topics, for every front end: add (with its backtest), remove, list, and after each index
round match the new articles into the outbox. Delivery is the front end's: `newsbot watch` prints,
the Discord bot posts."""

import logging
import time
from dataclasses import replace
from datetime import date

from bot.follows.matching import Topic
from bot.follows.rounds import BacktestHit, RoundPlan, backtest, plan_round
from bot.follows.store import Follow, FollowStore, check_topic
from bot.settings import Settings
from index.embedding.embedder import Embedder
from index.search.searcher import Searcher

log = logging.getLogger(__name__)


class Following:
    def __init__(self, settings: Settings, searcher: Searcher, embedder: Embedder):
        self.settings = settings
        self.searcher = searcher
        self.embedder = embedder
        self.store = FollowStore(settings.data_dir)

    def preview(self, topic: str, today: date | None = None) -> list[BacktestHit]:
        """The stories of the last 7 days a follow of `topic` would have been alerted to."""
        topic = check_topic(topic)
        self.searcher.refresh()
        catalog = self.searcher.catalog
        with catalog.snapshot():
            return backtest(catalog, Topic.of(topic, self.embedder.embed_query(topic)), today or date.today())

    def add(
        self,
        owner: str,
        topic: str,
        guild_id: int | None = None,
        channel_id: int | None = None,
        today: date | None = None,
    ) -> tuple[Follow, list[BacktestHit]]:
        """Follow `topic` from the next round on; with what it would have sent in the last 7 days."""
        topic = check_topic(topic)
        self.searcher.refresh()
        catalog = self.searcher.catalog
        vector = self.embedder.embed_query(topic)
        with catalog.snapshot():
            hits = backtest(catalog, Topic.of(topic, vector), today or date.today())
            seq = catalog.synced
        follow = self.store.add(
            owner, topic, vector, self.embedder.label, seq, self.settings.max_follows, guild_id, channel_id
        )
        if self.store.cursor() is None:
            self.store.start_from(catalog.info.identity, seq)
        return follow, hits

    def remove(self, owner: str, follow_id: int) -> Follow:
        return self.store.remove(owner, follow_id)

    def follows(self, owner: str | None = None) -> list[Follow]:
        return self.store.follows(owner) if self.store.exists() else []

    def after_round(self, today: date | None = None) -> RoundPlan | None:
        """Match the articles the index added or changed since the last round against every follow,
        into the outbox; the plan written, or None when there was nothing to match."""
        if not self.store.exists():
            return None
        self.searcher.refresh()
        catalog = self.searcher.catalog
        with catalog.snapshot():
            info, seq = catalog.info, catalog.synced
            if info is None:
                return None  # nothing indexed yet
            cursor = self.store.cursor()
            if cursor is None or cursor[0] != info.identity or cursor[1] > seq:
                self.store.start_from(info.identity, seq)  # the first round, or a rebuilt index
                return None
            # A follow added under another embedding model is matched with its topic embedded again.
            follows = [
                follow
                if follow.model == self.embedder.label
                else replace(follow, vector=self.embedder.embed_query(follow.topic))
                for follow in self.store.follows()
            ]
            changed = catalog.changed_since(cursor[1], seq)
            states = self.store.states([follow.id for follow in follows], list(changed), time.time())
            plan = plan_round(
                follows,
                states,
                catalog,
                changed,
                info.identity,
                cursor[1],
                seq,
                self.settings.alerts_per_hour,
                today or date.today(),
            )
        if not self.store.commit_round(plan):
            log.info("another process matched these articles first")
            return None
        return plan
