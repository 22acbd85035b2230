"""Feedback on answers: every 👍/👎 click on the bot's answers, in SQLite.

    DATA_DIR/feedback.sqlite3   votes (one per user and answer), each with the answer it is about

The answers themselves are the remembered answers (bot/memory/store.py), found by their message id;
a vote keeps its own copy of the question, answer and citations, so it outlives the memory's days.
User ids are stored only as salted hashes; the salt is random per data dir. Each call opens its own
connection, so the store can be used from any thread.
"""

import hashlib
import json
import secrets
import sqlite3
import time
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.memory.store import DISCORD, AnswerStore
from bot.schema import migrate

FILENAME = "feedback.sqlite3"
# Version 1 is the schema of files written before versions were kept: its statements leave them as they are.
MIGRATIONS = [
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    message_id INTEGER PRIMARY KEY, question TEXT NOT NULL, answer TEXT NOT NULL,
    citations TEXT NOT NULL, refused INTEGER NOT NULL,
    guild_id INTEGER, channel_id INTEGER, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
    message_id INTEGER NOT NULL, user_hash TEXT NOT NULL, vote INTEGER NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL,
    guild_id INTEGER, channel_id INTEGER, created REAL NOT NULL,
    PRIMARY KEY (message_id, user_hash)
);
""",
    # Answers moved to the remembered answers (answers.sqlite3); votes keep their own copies.
    "DROP TABLE answers",
]
UP, DOWN = 1, -1


@dataclass(frozen=True)
class Vote:
    question: str
    answer: str
    citations: list
    vote: int
    created: float


@dataclass(frozen=True)
class FeedbackSummary:
    answers: int
    rated_answers: int
    up: int
    down: int
    recent_down: list[Vote]

    @property
    def helpful_share(self) -> float | None:
        return self.up / (self.up + self.down) if self.up + self.down else None

    def to_json(self) -> dict:
        data = asdict(self)
        data["helpful_share"] = None if self.helpful_share is None else round(self.helpful_share, 3)
        return data


class FeedbackStore:
    def __init__(self, data_dir: Path, answers: AnswerStore):
        self.path = Path(data_dir) / FILENAME
        self.answers = answers
        self._schema_ready = False

    def _connect(self) -> sqlite3.Connection:
        if not self._schema_ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        if not self._schema_ready:
            migrate(connection, self.path, MIGRATIONS)
            self._schema_ready = True
        return connection

    def exists(self) -> bool:
        return self.path.exists()

    def record_vote(
        self, message_id: int, user_id: int, vote: int, guild_id: int | None, channel_id: int | None, shown_text: str
    ) -> None:
        """One vote per user and answer; clicking again replaces it. An answer no longer remembered
        (older than the memory's days, or memory off) is recorded with the text that was shown."""
        remembered = self.answers.answer_at(message_id) if self.answers.exists() else None
        if remembered is None:
            question, answer, citations = "", shown_text, "[]"
        else:
            question, answer = remembered.question, remembered.answer
            citations = json.dumps(remembered.citations, ensure_ascii=False)
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message_id,
                    self._user_hash(db, user_id),
                    vote,
                    question,
                    answer,
                    citations,
                    guild_id,
                    channel_id,
                    time.time(),
                ),
            )

    def summary(self, recent: int = 10) -> FeedbackSummary:
        with closing(self._connect()) as db:
            answers = self.answers.count(DISCORD) if self.answers.exists() else 0
            rated = db.execute("SELECT COUNT(DISTINCT message_id) FROM votes").fetchone()[0]
            up = db.execute("SELECT COUNT(*) FROM votes WHERE vote = ?", (UP,)).fetchone()[0]
            down = db.execute("SELECT COUNT(*) FROM votes WHERE vote = ?", (DOWN,)).fetchone()[0]
            rows = db.execute(
                "SELECT question, answer, citations, vote, created FROM votes WHERE vote = ? ORDER BY created DESC LIMIT ?",
                (DOWN, recent),
            ).fetchall()
        recent_down = [Vote(q, a, json.loads(c), v, t) for q, a, c, v, t in rows]
        return FeedbackSummary(answers, rated, up, down, recent_down)

    def _user_hash(self, db: sqlite3.Connection, user_id: int) -> str:
        db.execute("INSERT OR IGNORE INTO meta VALUES ('salt', ?)", (secrets.token_hex(16),))
        salt = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]
        return hashlib.sha256(f"{salt}:{user_id}".encode()).hexdigest()[:24]
