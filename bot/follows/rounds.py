"""What a round of new articles sends each follow, and what a new follow would have been sent.

After every index round, the articles the index added or changed since the last round are matched
against every active follow (bot/follows/matching.py):
- the first matching article of a story sends an alert;
- a later article on a story the follow was alerted to is an update, matched or not (syndicated
  copies add nothing and send nothing);
- an article whose sentence an alert or update quoted, changed so that the sentence is gone, sends
  an update with the sentence that replaced it;
- alerts beyond the hourly cap of a follow go into one digest message.

`plan_round` is pure: it reads the store and the catalog and returns what to write, which the store
commits at once with the cursor (FollowStore.commit_round).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.answering.words import closest_by_words
from bot.follows.matching import THRESHOLD, Candidate, Topic, candidates, matches, quote_for
from bot.follows.store import Follow, FollowState
from index.articles.stories import day_of, story_id
from index.search.catalog import Catalog

# An article first indexed more than this many days after it was published is archive, not news:
# it never alerts (it may still be an update to a story).
FRESH_DAYS = 7
BACKTEST_DAYS = 7


@dataclass
class Outgoing:
    kind: str  # "alert", "update" or "digest"
    follow_id: int
    story_id: str
    payload: dict


@dataclass
class RoundPlan:
    identity: str
    seq_from: int
    seq_to: int
    messages: list[Outgoing] = field(default_factory=list)
    quotes: list[tuple[int, str, str]] = field(default_factory=list)  # (follow id, article id, quote)
    # (follow id, story id, index in `messages`) of each story a follow is told about for the first time
    stories: list[tuple[int, str, int]] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(message.kind == kind for message in self.messages)


@dataclass(frozen=True)
class BacktestHit:
    story_id: str
    payload: dict  # as an alert would carry it


def item(follow_id: int, topic: str, story: str, candidate: Candidate, quote: str, kind: str) -> dict:
    record = candidate.record
    return {
        "type": kind,
        "follow_id": follow_id,
        "topic": topic,
        "story_id": story,
        "article_id": candidate.article_id,
        "title": record.title,
        "source": record.source,
        "url": record.url or None,
        "published": record.published,
        "quote": quote,
    }


def plan_round(
    follows: list[Follow],
    states: dict[int, FollowState],
    catalog: Catalog,
    changed: dict[str, int],
    identity: str,
    seq_from: int,
    seq_to: int,
    alerts_per_hour: int,
    today: date,
) -> RoundPlan:
    """What the articles of `changed` (article id -> log position of its version) send `follows`."""
    plan = RoundPlan(identity, seq_from, seq_to)
    active = [follow for follow in follows if not follow.paused]
    if not active or not changed:
        return plan
    # Oldest first: a story's first article alerts, and the later ones update it.
    found = sorted(
        candidates(catalog, list(changed)), key=lambda candidate: (candidate.record.published, candidate.article_id)
    )
    topics = [Topic.of(follow.topic, follow.vector) for follow in active]
    matched = matches(topics, found, THRESHOLD)
    for follow, topic, hits in zip(active, topics, matched):
        state = states[follow.id]
        told = set(state.stories)
        hit_ids = {hit.article_id: hit for hit in hits}
        held = []
        alerts = state.alerts_last_hour
        for candidate in found:
            article_id = candidate.article_id
            if changed[article_id] <= follow.from_seq:
                continue  # indexed before the follow was added
            record = candidate.record
            story = record.story or story_id(article_id)
            if article_id in state.quotes:
                _correction(plan, follow, story, candidate, state.quotes[article_id])
                continue
            if story in told:
                if not record.copy_of:
                    quote = hit_ids[article_id].quote if article_id in hit_ids else quote_for(topic, candidate)
                    plan.messages.append(
                        Outgoing(
                            "update", follow.id, story, item(follow.id, follow.topic, story, candidate, quote, "update")
                        )
                    )
                    plan.quotes.append((follow.id, article_id, quote))
                continue
            if article_id not in hit_ids or not _fresh(record.published, today):
                continue
            quote = hit_ids[article_id].quote
            told.add(story)
            plan.quotes.append((follow.id, article_id, quote))
            payload = item(follow.id, follow.topic, story, candidate, quote, "alert")
            if alerts < alerts_per_hour:
                alerts += 1
                plan.stories.append((follow.id, story, len(plan.messages)))
                plan.messages.append(Outgoing("alert", follow.id, story, payload))
            else:
                held.append(payload)
        if held:
            digest = {"type": "digest", "follow_id": follow.id, "topic": follow.topic, "items": held}
            for payload in held:
                plan.stories.append((follow.id, payload["story_id"], len(plan.messages)))
            plan.messages.append(Outgoing("digest", follow.id, "", digest))
    return plan


def _correction(plan: RoundPlan, follow: Follow, story: str, candidate: Candidate, quoted: str) -> None:
    """An update when the sentence once quoted from this article is gone from its new version."""
    if quoted in candidate.sentences:
        return
    replacement, _ = closest_by_words(quoted, candidate.sentences)
    payload = item(follow.id, follow.topic, story, candidate, replacement, "update")
    payload["corrected"] = quoted
    plan.messages.append(Outgoing("update", follow.id, story, payload))
    plan.quotes.append((follow.id, candidate.article_id, replacement))


def backtest(catalog: Catalog, topic: Topic, today: date, days: int = BACKTEST_DAYS) -> list[BacktestHit]:
    """The stories of the last `days` days a follow of `topic` would have been alerted to, newest
    first, each with the first matching article and its sentence."""
    first = today - timedelta(days=days - 1)
    members = catalog.story_members((first.toordinal(), today.toordinal()))
    found = candidates(catalog, [article_id for article_id, _ in members])
    (hits,) = matches([topic], found, THRESHOLD)
    by_id = {candidate.article_id: candidate for candidate in found}
    first_hit: dict[str, tuple[Candidate, str]] = {}
    order = {article_id: n for n, (article_id, _) in enumerate(members)}
    for hit in sorted(hits, key=lambda hit: order[hit.article_id]):
        candidate = by_id[hit.article_id]
        story = candidate.record.story or story_id(hit.article_id)
        first_hit.setdefault(story, (candidate, hit.quote))
    shown = [
        BacktestHit(story, item(0, topic.text, story, candidate, quote, "alert"))
        for story, (candidate, quote) in first_hit.items()
    ]
    return sorted(shown, key=lambda hit: (hit.payload["published"], hit.story_id), reverse=True)


def _fresh(published: str, today: date) -> bool:
    """Published within FRESH_DAYS of `today`; undated web articles count as new."""
    day = day_of(published)
    return not day or day >= today.toordinal() - FRESH_DAYS
