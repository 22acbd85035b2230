"""Follows and their outbox, in SQLite:

    DATA_DIR/follows.sqlite3   follows, what each was sent (stories, quotes), the outbox, the cursor

A round's matches are written to the outbox in the same transaction that moves the cursor past the
articles matched, so a kill at any point either keeps both or neither. Delivery claims a message,
sends it and marks it delivered; a claim left by a killed process lapses after CLAIM_SECONDS.
Each call opens its own connection, so the store can be used from any thread or process.
"""

import json
import time
from collections.abc import Collection
from contextlib import closing
from dataclasses import dataclass

import numpy as np

from bot.schema import SqliteStore
from index.errors import NewsbotError

FILENAME = "follows.sqlite3"
CLI_OWNER = "cli"
MAX_TOPIC_CHARS = 200
# How long a delivery may take before another process may try the message again.
CLAIM_SECONDS = 30
MIGRATIONS = [
    """
CREATE TABLE follows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    topic TEXT NOT NULL,
    vector BLOB NOT NULL,
    model TEXT NOT NULL,
    guild_id INTEGER,
    channel_id INTEGER,
    created REAL NOT NULL,
    from_seq INTEGER NOT NULL,
    paused TEXT NOT NULL DEFAULT '',
    owner_told INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX follows_by_owner ON follows (owner);
CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE stories (
    follow_id INTEGER NOT NULL,
    story_id TEXT NOT NULL,
    alert_id INTEGER,
    PRIMARY KEY (follow_id, story_id)
);
CREATE TABLE quotes (
    follow_id INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    quote TEXT NOT NULL,
    PRIMARY KEY (follow_id, article_id)
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    follow_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    story_id TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL,
    created REAL NOT NULL,
    claimed_by TEXT,
    claimed_until REAL,
    delivered REAL,
    message_id INTEGER
);
CREATE INDEX outbox_pending ON outbox (delivered, follow_id)
"""
]


class FollowError(NewsbotError, ValueError):
    """A follow that cannot be added or removed as asked; the message says why."""


@dataclass(frozen=True)
class Follow:
    id: int
    owner: str
    topic: str
    vector: np.ndarray
    model: str
    guild_id: int | None
    channel_id: int | None  # None: delivered by `newsbot watch` to its output
    created: float
    from_seq: int  # only articles the index added after this alert
    paused: str  # why it is paused; empty while it is active

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "topic": self.topic,
            "channel_id": self.channel_id,
            "guild_id": self.guild_id,
            "created": round(self.created, 3),
            "paused": self.paused or None,
        }


@dataclass(frozen=True)
class Message:
    """One outbox row: an alert, an update or a digest, its payload as delivered."""

    id: int
    follow_id: int
    kind: str  # "alert", "update" or "digest"
    story_id: str
    payload: dict
    created: float
    message_id: int | None = None


@dataclass(frozen=True)
class FollowState:
    """What a follow was sent before a round."""

    stories: frozenset[str]  # stories it was told about
    quotes: dict[str, str]  # article id -> the sentence last quoted from it
    alerts_last_hour: int


def check_topic(topic: str) -> str:
    topic = " ".join(topic.split())
    if not topic:
        raise FollowError('the topic is empty: say what to follow, e.g. "bird flu"')
    if len(topic) > MAX_TOPIC_CHARS:
        raise FollowError(f"the topic is {len(topic)} characters long; keep it under {MAX_TOPIC_CHARS}")
    return topic


class FollowStore(SqliteStore):
    FILENAME = FILENAME
    MIGRATIONS = MIGRATIONS

    # Follows

    def add(
        self,
        owner: str,
        topic: str,
        vector: np.ndarray,
        model: str,
        from_seq: int,
        limit: int,
        guild_id: int | None = None,
        channel_id: int | None = None,
    ) -> Follow:
        topic = check_topic(topic)
        with self.transaction() as db:
            count = db.execute("SELECT count(*) FROM follows WHERE owner = ?", (owner,)).fetchone()[0]
            if count >= limit:
                raise FollowError(
                    f"you already follow {count} topics, the most allowed (NEWSBOT_MAX_FOLLOWS); remove one first"
                )
            cursor = db.execute(
                "INSERT INTO follows (owner, topic, vector, model, guild_id, channel_id, created, from_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    owner,
                    topic,
                    np.asarray(vector, dtype=np.float32).tobytes(),
                    model,
                    guild_id,
                    channel_id,
                    time.time(),
                    from_seq,
                ),
            )
            return _follow(db.execute(f"{SELECT_FOLLOW} WHERE id = ?", (cursor.lastrowid,)).fetchone())

    def remove(self, owner: str, follow_id: int) -> Follow:
        with self.transaction() as db:
            row = db.execute(f"{SELECT_FOLLOW} WHERE id = ? AND owner = ?", (follow_id, owner)).fetchone()
            if row is None:
                raise FollowError(f"no follow {follow_id} of yours: see the list for your follows' ids")
            for table in ("stories", "quotes"):
                db.execute(f"DELETE FROM {table} WHERE follow_id = ?", (follow_id,))
            db.execute("DELETE FROM outbox WHERE follow_id = ? AND delivered IS NULL", (follow_id,))
            db.execute("DELETE FROM follows WHERE id = ?", (follow_id,))
            return _follow(row)

    def follows(self, owner: str | None = None) -> list[Follow]:
        with closing(self._connect()) as db:
            if owner is None:
                rows = db.execute(f"{SELECT_FOLLOW} ORDER BY id").fetchall()
            else:
                rows = db.execute(f"{SELECT_FOLLOW} WHERE owner = ? ORDER BY id", (owner,)).fetchall()
        return [_follow(row) for row in rows]

    def follow(self, follow_id: int) -> Follow | None:
        with closing(self._connect()) as db:
            row = db.execute(f"{SELECT_FOLLOW} WHERE id = ?", (follow_id,)).fetchone()
        return _follow(row) if row else None

    def pause(self, follow_id: int, reason: str) -> bool:
        """Pause the follow; whether its owner still has to be told (once)."""
        with self.transaction() as db:
            db.execute("UPDATE follows SET paused = ? WHERE id = ?", (reason, follow_id))
            told = db.execute("SELECT owner_told FROM follows WHERE id = ?", (follow_id,)).fetchone()
            if told is None or told[0]:
                return False
            db.execute("UPDATE follows SET owner_told = 1 WHERE id = ?", (follow_id,))
            return True

    # Rounds

    def cursor(self) -> tuple[str, int] | None:
        """(index identity, log position) the last round matched through; None before any round."""
        with closing(self._connect()) as db:
            rows = dict(db.execute("SELECT key, value FROM state WHERE key IN ('identity', 'seq')").fetchall())
        return (rows["identity"], int(rows["seq"])) if "seq" in rows else None

    def start_from(self, identity: str, seq: int) -> None:
        """Match only what the index (`identity`) adds after `seq`: at the first round, and after a
        rebuild, whose articles are all new to the log but not news."""
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)", [("identity", identity), ("seq", str(seq))])
            db.execute("UPDATE follows SET from_seq = ?", (seq,))

    def states(self, follow_ids: list[int], article_ids: list[str], now: float) -> dict[int, FollowState]:
        with closing(self._connect()) as db:
            states = {}
            for follow_id in follow_ids:
                stories = frozenset(
                    row[0] for row in db.execute("SELECT story_id FROM stories WHERE follow_id = ?", (follow_id,))
                )
                quotes = {}
                for start in range(0, len(article_ids), 500):
                    part = article_ids[start : start + 500]
                    marks = ",".join("?" * len(part))
                    quotes.update(
                        db.execute(
                            f"SELECT article_id, quote FROM quotes WHERE follow_id = ? AND article_id IN ({marks})",
                            (follow_id, *part),
                        ).fetchall()
                    )
                sent = db.execute(
                    "SELECT count(*) FROM outbox WHERE follow_id = ? AND kind = 'alert' AND created > ?",
                    (follow_id, now - 3600),
                ).fetchone()[0]
                states[follow_id] = FollowState(stories, quotes, sent)
        return states

    def commit_round(self, plan) -> bool:
        """Write a round's messages, stories and quotes (bot/follows/rounds.RoundPlan) and move the
        cursor past it, at once; False, writing nothing, when another process matched it first."""
        now = time.time()
        with self.transaction() as db:
            rows = dict(db.execute("SELECT key, value FROM state WHERE key IN ('identity', 'seq')").fetchall())
            if rows.get("identity") != plan.identity or int(rows.get("seq", -1)) != plan.seq_from:
                return False
            live = {row[0] for row in db.execute("SELECT id FROM follows")}
            ids = []
            for message in plan.messages:
                if message.follow_id not in live:
                    ids.append(None)  # removed while the round was matched
                    continue
                cursor = db.execute(
                    "INSERT INTO outbox (follow_id, kind, story_id, payload, created) VALUES (?, ?, ?, ?, ?)",
                    (
                        message.follow_id,
                        message.kind,
                        message.story_id,
                        json.dumps(message.payload, ensure_ascii=False),
                        now,
                    ),
                )
                ids.append(cursor.lastrowid)
            db.executemany(
                "INSERT OR REPLACE INTO stories VALUES (?, ?, ?)",
                [(follow_id, story, ids[index]) for follow_id, story, index in plan.stories if ids[index] is not None],
            )
            db.executemany(
                "INSERT OR REPLACE INTO quotes VALUES (?, ?, ?)", [row for row in plan.quotes if row[0] in live]
            )
            db.execute("INSERT OR REPLACE INTO state VALUES ('seq', ?)", (str(plan.seq_to),))
        return True

    # Delivery

    def claim_next(self, terminal: bool, skip: Collection[int] = ()) -> Message | None:
        """The oldest undelivered message of an unpaused follow delivered to the terminal (or to
        Discord), but for the follows in `skip`, claimed by this process for CLAIM_SECONDS so that
        no other sends it meanwhile; None when none is left. One at a time, so that a claim never
        lapses while the messages before it are sent."""
        now = time.time()
        where = "f.channel_id IS NULL" if terminal else "f.channel_id IS NOT NULL"
        skipped = f" AND o.follow_id NOT IN ({','.join('?' * len(skip))})" if skip else ""
        with self.transaction() as db:
            row = db.execute(
                f"{SELECT_MESSAGE} o JOIN follows f ON f.id = o.follow_id WHERE o.delivered IS NULL AND f.paused = '' AND {where} "
                f"AND (o.claimed_until IS NULL OR o.claimed_until < ?){skipped} ORDER BY o.id LIMIT 1",
                (now, *skip),
            ).fetchone()
            if row is not None:
                db.execute(
                    "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                    (self.holder, now + CLAIM_SECONDS, row[0]),
                )
        return _message(row) if row else None

    def delivered(self, message_id: int, posted_as: int | None = None) -> None:
        """Mark a message this process claimed as sent (`posted_as`: its Discord message id)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET delivered = ?, message_id = ? WHERE id = ? AND claimed_by = ?",
                (time.time(), posted_as, message_id, self.holder),
            )

    def release(self, message_id: int) -> None:
        """Give a claimed message back, undelivered, for the next round."""
        with self.transaction() as db:
            db.execute("UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE id = ?", (message_id,))

    def alert_of(self, follow_id: int, story_id: str) -> Message | None:
        """The alert a follow was sent for a story, once delivered (its message id says where)."""
        with closing(self._connect()) as db:
            row = db.execute(
                f"{SELECT_MESSAGE} o JOIN stories s ON o.id = s.alert_id WHERE s.follow_id = ? AND s.story_id = ?",
                (follow_id, story_id),
            ).fetchone()
        return _message(row) if row else None

    def messages(self, follow_id: int | None = None) -> list[Message]:
        """Every message in the outbox (of one follow), delivered or not, oldest first."""
        with closing(self._connect()) as db:
            if follow_id is None:
                rows = db.execute(f"{SELECT_MESSAGE} o ORDER BY o.id").fetchall()
            else:
                rows = db.execute(f"{SELECT_MESSAGE} o WHERE o.follow_id = ? ORDER BY o.id", (follow_id,)).fetchall()
        return [_message(row) for row in rows]


SELECT_MESSAGE = "SELECT o.id, o.follow_id, o.kind, o.story_id, o.payload, o.created, o.message_id FROM outbox"
SELECT_FOLLOW = "SELECT id, owner, topic, vector, model, guild_id, channel_id, created, from_seq, paused FROM follows"


def _follow(row) -> Follow:
    return Follow(
        row[0], row[1], row[2], np.frombuffer(row[3], dtype=np.float32), row[4], row[5], row[6], row[7], row[8], row[9]
    )


def _message(row) -> Message:
    return Message(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6])
