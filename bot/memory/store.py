"""Remembered answers and their corrections, in SQLite:

    DATA_DIR/answers.sqlite3   answers (where each was said, its question, text and citations), the
                               sentences each quoted (by article and by story), the corrections
                               outbox, and the cursor of the last round checked

Answers are kept NEWSBOT_ANSWER_MEMORY_DAYS days; a round deletes older ones. The feedback buttons
read the answer a vote is about from here. A round's corrections are written in the transaction
that moves the cursor past the articles checked, and each answer gets at most one correction per
version of an article (a unique key), so a kill at any point loses none and writes none twice.
Delivery claims a correction, sends it and marks it delivered, as the follows' outbox does.
"""

import json
import sqlite3
import time
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field

from bot.schema import SqliteStore

FILENAME = "answers.sqlite3"
CLAIM_SECONDS = 30  # how long a delivery may take before another process may try it again
DISCORD, REPL, CLI = "discord", "repl", "cli"
MIGRATIONS = [
    """
CREATE TABLE answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    place TEXT NOT NULL,
    session TEXT NOT NULL DEFAULT '',
    guild_id INTEGER,
    channel_id INTEGER,
    message_id INTEGER,
    shown TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    refused INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE UNIQUE INDEX answers_by_message ON answers (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX answers_by_time ON answers (created);
CREATE TABLE quotes (
    answer_id INTEGER NOT NULL,
    n INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    version TEXT NOT NULL,
    story_id TEXT NOT NULL,
    source TEXT NOT NULL,
    published TEXT NOT NULL,
    sentence TEXT NOT NULL,
    figures TEXT NOT NULL,
    names TEXT NOT NULL
);
CREATE INDEX quotes_by_answer ON quotes (answer_id);
CREATE INDEX quotes_by_article ON quotes (article_id);
CREATE INDEX quotes_by_story ON quotes (story_id);
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    article_id TEXT NOT NULL,
    version TEXT NOT NULL,
    payload TEXT NOT NULL,
    created REAL NOT NULL,
    claimed_by TEXT,
    claimed_until REAL,
    delivered REAL,
    message_id INTEGER,
    UNIQUE (answer_id, article_id, version)
);
CREATE INDEX corrections_pending ON corrections (delivered, answer_id);
CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL)
"""
]


@dataclass(frozen=True)
class Place:
    """Where an answer was said: a Discord message (in a channel or thread), or a REPL or CLI session."""

    kind: str  # DISCORD, REPL or CLI
    session: str = ""  # the REPL process that asked, so that its notices come to it
    guild_id: int | None = None
    channel_id: int | None = None  # the channel or thread the answer's message is in
    message_id: int | None = None
    shown: dict = field(default_factory=dict)  # the Discord message as posted: {"content", "embeds"}


@dataclass(frozen=True)
class Quote:
    """One sentence an answer quoted, with what the index said of its article then."""

    answer_id: int
    n: int  # the citation's number in the answer
    article_id: str
    version: str
    story_id: str
    source: str
    published: str
    sentence: str
    figures: tuple[str, ...]  # as written, e.g. "£4.5 million"
    names: tuple[str, ...]


@dataclass(frozen=True)
class Remembered:
    id: int
    place: Place
    question: str
    answer: str
    citations: list[dict]
    refused: bool
    seq: int  # the index's log position the answer saw
    created: float

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "place": self.place.kind,
            "channel_id": self.place.channel_id,
            "message_id": self.place.message_id,
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": self.citations,
            "created": round(self.created, 3),
        }


@dataclass(frozen=True)
class Correction:
    """One outbox row: what changed under an answer, as delivered."""

    id: int
    answer_id: int
    kind: str  # "corrected", "updated", "differs" or "removed"
    article_id: str
    version: str
    payload: dict
    created: float
    delivered: float | None = None


@dataclass
class CheckedRound:
    """What one round found, written at once with the cursor (AnswerStore.commit_round)."""

    identity: str
    seq_from: int
    seq_to: int
    corrections: list[tuple[int, str, str, str, dict]] = field(default_factory=list)
    # (answer id, kind, article id, version, payload)


class AnswerStore(SqliteStore):
    FILENAME = FILENAME
    MIGRATIONS = MIGRATIONS

    def remember(self, place: Place, answer_json: dict, quotes: list[Quote], seq: int, now: float | None = None) -> int:
        """Keep an answer (Answer.to_json()) and the sentences it quoted; its id."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT OR REPLACE INTO answers (place, session, guild_id, channel_id, message_id, shown, question, "
                "answer, citations, refused, seq, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    place.kind,
                    place.session,
                    place.guild_id,
                    place.channel_id,
                    place.message_id,
                    json.dumps(place.shown, ensure_ascii=False) if place.shown else "",
                    answer_json["question"],
                    answer_json["answer"],
                    json.dumps(answer_json["citations"], ensure_ascii=False),
                    int(answer_json["refused"]),
                    seq,
                    time.time() if now is None else now,
                ),
            )
            answer_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT INTO quotes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        answer_id,
                        quote.n,
                        quote.article_id,
                        quote.version,
                        quote.story_id,
                        quote.source,
                        quote.published,
                        quote.sentence,
                        json.dumps(quote.figures, ensure_ascii=False),
                        json.dumps(quote.names, ensure_ascii=False),
                    )
                    for quote in quotes
                ],
            )
        return answer_id

    def answer(self, answer_id: int) -> Remembered | None:
        with closing(self._connect()) as db:
            row = db.execute(f"{SELECT_ANSWER} WHERE id = ?", (answer_id,)).fetchone()
        return _remembered(row) if row else None

    def answer_at(self, message_id: int) -> Remembered | None:
        """The answer posted as a Discord message."""
        with closing(self._connect()) as db:
            row = db.execute(f"{SELECT_ANSWER} WHERE message_id = ?", (message_id,)).fetchone()
        return _remembered(row) if row else None

    def answers(self, since: float = 0.0, corrected: bool = False, limit: int = 1000) -> list[Remembered]:
        """The answers given since `since` (those with a correction only), newest first."""
        where = "WHERE created >= ?" + (" AND id IN (SELECT answer_id FROM corrections)" if corrected else "")
        with closing(self._connect()) as db:
            rows = db.execute(f"{SELECT_ANSWER} {where} ORDER BY id DESC LIMIT ?", (since, limit)).fetchall()
        return [_remembered(row) for row in rows]

    def count(self, place: str) -> int:
        """How many answers said at `place` are remembered."""
        with closing(self._connect()) as db:
            return db.execute("SELECT count(*) FROM answers WHERE place = ?", (place,)).fetchone()[0]

    # Rounds

    def cursor(self) -> tuple[str, int] | None:
        """(index identity, log position) the last round checked through; None before any round."""
        with closing(self._connect()) as db:
            rows = dict(db.execute("SELECT key, value FROM state WHERE key IN ('identity', 'seq')").fetchall())
        return (rows["identity"], int(rows["seq"])) if "seq" in rows else None

    def start_from(self, identity: str, seq: int) -> None:
        """Check only what the index (`identity`) changes after `seq`: at the first round, and after
        a rebuild, whose articles are all new to the log but not news."""
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)", [("identity", identity), ("seq", str(seq))])

    def quotes_of_articles(self, article_ids: Iterable[str]) -> list[Quote]:
        return self._quotes("article_id", list(article_ids))

    def quotes_of_stories(self, story_ids: Iterable[str]) -> list[Quote]:
        return self._quotes("story_id", list(story_ids))

    def _quotes(self, column: str, values: list[str]) -> list[Quote]:
        found = []
        with closing(self._connect()) as db:
            for start in range(0, len(values), 500):
                part = values[start : start + 500]
                marks = ",".join("?" * len(part))
                found += db.execute(f"{SELECT_QUOTE} WHERE {column} IN ({marks})", part).fetchall()  # noqa: S608
        return [_quote(row) for row in found]

    def seqs(self, answer_ids: Iterable[int]) -> dict[int, int]:
        """Answer id -> the log position it saw."""
        ids = sorted(set(answer_ids))
        found: dict[int, int] = {}
        with closing(self._connect()) as db:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                marks = ",".join("?" * len(part))
                found.update(db.execute(f"SELECT id, seq FROM answers WHERE id IN ({marks})", part).fetchall())  # noqa: S608
        return found

    def commit_round(self, checked: CheckedRound, forget_before: float) -> bool:
        """Write a round's corrections, move the cursor past it and forget the answers given before
        `forget_before`, at once; False, writing nothing, when another process checked it first."""
        now = time.time()
        with self.transaction() as db:
            rows = dict(db.execute("SELECT key, value FROM state WHERE key IN ('identity', 'seq')").fetchall())
            if rows.get("identity") != checked.identity or int(rows.get("seq", -1)) != checked.seq_from:
                return False
            db.executemany(
                "INSERT OR IGNORE INTO corrections (answer_id, kind, article_id, version, payload, created) "
                "SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM answers WHERE id = ?)",
                [
                    (answer_id, kind, article_id, version, json.dumps(payload, ensure_ascii=False), now, answer_id)
                    for answer_id, kind, article_id, version, payload in checked.corrections
                ],
            )
            _forget(db, forget_before)
            db.execute("INSERT OR REPLACE INTO state VALUES ('seq', ?)", (str(checked.seq_to),))
        return True

    def forget_before(self, moment: float) -> None:
        with self.transaction() as db:
            _forget(db, moment)

    # Delivery

    def claim_next(self, places: Iterable[str], skip: Iterable[int] = ()) -> tuple[Correction, Remembered] | None:
        """The oldest undelivered correction of an answer said in one of `places` (but for the
        answers in `skip`), claimed by this process for CLAIM_SECONDS, with its answer."""
        now = time.time()
        kinds, skipped = list(places), list(skip)
        where = f"a.place IN ({','.join('?' * len(kinds))})"
        if skipped:
            where += f" AND c.answer_id NOT IN ({','.join('?' * len(skipped))})"
        with self.transaction() as db:
            row = db.execute(
                f"{SELECT_CORRECTION} c JOIN answers a ON a.id = c.answer_id WHERE c.delivered IS NULL AND {where} "
                "AND (c.claimed_until IS NULL OR c.claimed_until < ?) ORDER BY c.id LIMIT 1",
                (*kinds, *skipped, now),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE corrections SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                (self.holder, now + CLAIM_SECONDS, row[0]),
            )
            answer = db.execute(f"{SELECT_ANSWER} WHERE id = ?", (row[1],)).fetchone()
        return _correction(row), _remembered(answer)

    def delivered(self, correction_id: int, posted_as: int | None = None, shown: dict | None = None) -> None:
        """Mark a correction this process claimed as sent (`posted_as`: its Discord reply's id);
        `shown`, the answer's message as it now reads after the edit."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE corrections SET delivered = ?, message_id = ? WHERE id = ? AND claimed_by = ?",
                (time.time(), posted_as, correction_id, self.holder),
            )
            if cursor.rowcount and shown is not None:
                db.execute(
                    "UPDATE answers SET shown = ? WHERE id = (SELECT answer_id FROM corrections WHERE id = ?)",
                    (json.dumps(shown, ensure_ascii=False), correction_id),
                )

    def release(self, correction_id: int) -> None:
        """Give a claimed correction back, undelivered, for the next round."""
        with self.transaction() as db:
            db.execute("UPDATE corrections SET claimed_by = NULL, claimed_until = NULL WHERE id = ?", (correction_id,))

    def drop(self, correction_id: int) -> None:
        """A correction that can be posted nowhere: marked delivered, with no message."""
        with self.transaction() as db:
            db.execute("UPDATE corrections SET delivered = ? WHERE id = ?", (time.time(), correction_id))

    def corrections(self, answer_ids: Iterable[int] | None = None, session: str | None = None) -> list[Correction]:
        """The corrections of the answers `answer_ids` (or of one REPL session's answers, or of all), oldest first."""
        with closing(self._connect()) as db:
            if session is not None:
                rows = db.execute(
                    f"{SELECT_CORRECTION} c JOIN answers a ON a.id = c.answer_id WHERE a.session = ? ORDER BY c.id",
                    (session,),
                ).fetchall()
            elif answer_ids is None:
                rows = db.execute(f"{SELECT_CORRECTION} c ORDER BY c.id").fetchall()
            else:
                ids = list(answer_ids)
                rows = []
                for start in range(0, len(ids), 500):
                    part = ids[start : start + 500]
                    marks = ",".join("?" * len(part))
                    rows += db.execute(
                        f"{SELECT_CORRECTION} c WHERE c.answer_id IN ({marks}) ORDER BY c.id",  # noqa: S608
                        part,
                    ).fetchall()
        return [_correction(row) for row in rows]


SELECT_ANSWER = (
    "SELECT id, place, session, guild_id, channel_id, message_id, shown, question, answer, citations, refused, seq, "
    "created FROM answers"
)
SELECT_QUOTE = (
    "SELECT answer_id, n, article_id, version, story_id, source, published, sentence, figures, names FROM quotes"
)
SELECT_CORRECTION = (
    "SELECT c.id, c.answer_id, c.kind, c.article_id, c.version, c.payload, c.created, c.delivered FROM corrections"
)


def _forget(db: sqlite3.Connection, before: float) -> None:
    old = "SELECT id FROM answers WHERE created < ?"
    db.execute(f"DELETE FROM quotes WHERE answer_id IN ({old})", (before,))
    db.execute(f"DELETE FROM corrections WHERE answer_id IN ({old})", (before,))
    db.execute("DELETE FROM answers WHERE created < ?", (before,))


def _remembered(row) -> Remembered:
    place = Place(row[1], row[2], row[3], row[4], row[5], json.loads(row[6]) if row[6] else {})
    return Remembered(row[0], place, row[7], row[8], json.loads(row[9]), bool(row[10]), row[11], row[12])


def _quote(row) -> Quote:
    answer_id, n, article_id, version, story, source, published, sentence, figures, names = row
    return Quote(
        answer_id,
        n,
        article_id,
        version,
        story,
        source,
        published,
        sentence,
        tuple(json.loads(figures)),
        tuple(json.loads(names)),
    )


def _correction(row) -> Correction:
    return Correction(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7])
