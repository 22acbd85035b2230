"""What a reader keeps beside Chroma, in one local SQLite file: the articles and chunks as of the
last change it followed, each chunk's text, publication day and vector, its sentences' vectors
(copied from the store, index/search/chunk_copies.py), and a lexical index (FTS5).

Everything here follows the shared index's change log (index/store/changelog.py) before each
question: a change costs reading the changed articles' chunks, never the whole index, and a reader
on another machine needs only the server and a folder for this file. One SQLite transaction applies
a set of whole articles, and a search reads one snapshot, so it sees each article wholly old or
wholly new. Several processes may share the file: whoever syncs first applies a change, the others
find it applied.
"""

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from index.articles.stories import day_of
from index.embedding.embedder import Embedder
from index.embedding.sentence_vectors import sentence_key, unpack
from index.search.chunk_copies import chunk_sentences, embed_missing_sentences, read_chunks
from index.search.lexical import lexical_tokens, match_expression
from index.search.story_queries import StoryQueries
from index.store.chroma import ChunkStore
from index.store.records import ArticleRecord, IndexInfo, LogEntry

log = logging.getLogger(__name__)

CATALOG_FILE = "catalog.sqlite"
# Bumped when the file's layout changes: an older file is refilled from the store.
FORMAT = 3
# Articles applied per transaction while catching up.
SYNC_BATCH = 200
# Times the log is read again when an article it names lacks chunks, before it is left out: it
# usually changed again while its chunks were read.
MAX_RETRIES = 5

SCHEMA = """
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (article_id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    article_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    day INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    text TEXT NOT NULL,
    vector BLOB NOT NULL,
    sentence_vectors BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks (article_id);
CREATE INDEX IF NOT EXISTS chunks_by_day ON chunks (day);
CREATE INDEX IF NOT EXISTS chunks_by_seq ON chunks (seq);
CREATE TABLE IF NOT EXISTS stories (
    article_id TEXT PRIMARY KEY,
    story_id TEXT NOT NULL,
    copy_of TEXT NOT NULL,
    source TEXT NOT NULL,
    day INTEGER NOT NULL,
    published TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS stories_by_day ON stories (day);
CREATE INDEX IF NOT EXISTS stories_by_story ON stories (story_id);
CREATE VIRTUAL TABLE IF NOT EXISTS words USING fts5 (tokens, day, tokenize = "unicode61 remove_diacritics 0 tokenchars '_'");
"""
# BM25 over the words only: the day column ("d" and the day's ordinal, "d0" when undated) lets FTS5
# restrict a search to some days before ranking, at weight 0.
RANK = "INSERT INTO words (words, rank) VALUES ('rank', 'bm25(1.0, 0.0)')"
# A date range longer than this is searched by joining on the chunks' days instead.
MAX_DAY_TERMS = 400


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: str
    article_id: str
    position: int
    text: str
    vector: np.ndarray
    sentence_vectors: bytes  # index/embedding/sentence_vectors.py


class Catalog(StoryQueries):
    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        self._info: IndexInfo | None = None
        # Sentences this catalog embedded itself because the index held none for them (since it was opened).
        self.embedded_sentences = 0

    # Connections: one per thread, since the bot's workers search at once.

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.executescript(SCHEMA)
            self._local.db = db
        return db

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read in the block sees the same state, whatever another process applies meanwhile."""
        db = self._db()
        if db.in_transaction:
            yield
            return
        db.execute("BEGIN")
        try:
            yield
        finally:
            db.execute("COMMIT")

    def _state(self, key: str, default: str = "") -> str:
        row = self._db().execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    @property
    def synced(self) -> int:
        return int(self._state("synced", "0"))

    @property
    def info(self) -> IndexInfo | None:
        text = self._state("info")
        return IndexInfo(**json.loads(text)) if text else None

    # Following the store

    def sync(self, store: ChunkStore, embedder: Embedder) -> int:
        """Apply the store's changes since the last sync, copying the changed chunks with their
        sentence vectors (embedding only those the store lacks); the number of articles changed."""
        info = store.require_info()
        if self.info != info or self._state("format") != str(FORMAT):
            self._reset(info)
        elif self._state("stories") != "1":
            self._fill_stories()
        applied = retries = 0
        while True:
            start = self.synced
            entries = store.log_since(start)
            if not entries:
                return applied
            batch = entries[:SYNC_BATCH]
            relabelled = self._same_versions(batch)
            chunks, missing = read_chunks(store, [entry for entry in batch if entry.article_id not in relabelled])
            if missing and retries < MAX_RETRIES:
                # An article changed again while its chunks were read: the log now names the new version.
                retries += 1
                continue
            if missing:
                log.warning(
                    "the index names chunks it does not hold for articles %s; they are left out",
                    ", ".join(sorted(missing)),
                )
            self.embedded_sentences += embed_missing_sentences(
                [entry for entry in batch if entry.article_id not in relabelled], chunks, missing, embedder
            )
            if self._apply(start, batch, chunks, missing, relabelled):  # else another process applied these first
                applied += len(batch) - len(missing)
            retries = 0

    def _reset(self, info: IndexInfo) -> None:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            for table in ("articles", "chunks", "stories", "words", "state"):
                db.execute(f"DROP TABLE IF EXISTS {table}")  # noqa: S608 - fixed table names
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(RANK)
            db.execute(
                "INSERT INTO state VALUES ('info', ?), ('format', ?), ('synced', '0'), ('stories', '1')",
                (json.dumps(asdict(info)), str(FORMAT)),
            )
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # a signal may land after the COMMIT
                db.execute("ROLLBACK")
            raise

    def _fill_stories(self) -> None:
        """Give a catalog written before stories existed its story table, from the records it holds."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            for article_id, record in db.execute("SELECT article_id, record FROM articles").fetchall():
                self._write_record(article_id, ArticleRecord(**json.loads(record)))
            db.execute("INSERT OR REPLACE INTO state VALUES ('stories', '1')")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # a signal may land after the COMMIT
                db.execute("ROLLBACK")
            raise

    def _same_versions(self, entries: list[LogEntry]) -> set[str]:
        """The articles of `entries` whose new record names the version this catalog holds: only
        their record changed (a new story, a new address), so their chunks need not be read."""
        held = self._versions([entry.article_id for entry in entries if entry.record is not None])
        return {
            entry.article_id
            for entry in entries
            if entry.record is not None and held.get(entry.article_id) == entry.record.version
        }

    def _versions(self, article_ids: list[str]) -> dict[str, str]:
        found = {}
        for start in range(0, len(article_ids), 500):
            part = article_ids[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self._db().execute(f"SELECT article_id, record FROM articles WHERE article_id IN ({marks})", part)  # noqa: S608
            found.update({article_id: json.loads(record)["hash"][:12] for article_id, record in rows})
        return found

    def _apply(
        self,
        start: int,
        entries: list[LogEntry],
        chunks: dict[str, dict],
        missing: set[str],
        relabelled: set[str] = frozenset(),
    ) -> bool:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            if self.synced != start:
                db.execute("ROLLBACK")
                return False
            for entry in entries:
                if entry.article_id in relabelled:  # the version held is still the one named: none applied since
                    self._write_record(entry.article_id, entry.record)
                    continue
                self._forget(entry.article_id)
                if entry.record is None or entry.article_id in missing:
                    continue
                self._write_record(entry.article_id, entry.record)
                day = day_of(entry.record.published)
                for position, chunk_id in enumerate(entry.record.chunk_ids(entry.article_id)):
                    chunk = chunks[chunk_id]
                    cursor = db.execute(
                        "INSERT INTO chunks (chunk_id, article_id, position, day, seq, text, vector, sentence_vectors) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            chunk_id,
                            entry.article_id,
                            position,
                            day,
                            entry.seq,
                            chunk["text"],
                            chunk["vector"].tobytes(),
                            chunk["sentences"],
                        ),
                    )
                    tokens = lexical_tokens(entry.record.title, chunk["text"])
                    db.execute(
                        "INSERT INTO words (rowid, tokens, day) VALUES (?, ?, ?)", (cursor.lastrowid, tokens, f"d{day}")
                    )
            db.execute("UPDATE state SET value = ? WHERE key = 'synced'", (str(entries[-1].seq),))
            db.execute("COMMIT")
            return True
        except BaseException:
            if db.in_transaction:  # a signal may land after the COMMIT
                db.execute("ROLLBACK")
            raise

    def _write_record(self, article_id: str, record: ArticleRecord) -> None:
        db = self._db()
        db.execute(
            "INSERT OR REPLACE INTO articles VALUES (?, ?)",
            (article_id, json.dumps(asdict(record), ensure_ascii=False)),
        )
        db.execute(
            "INSERT OR REPLACE INTO stories VALUES (?, ?, ?, ?, ?, ?)",
            (article_id, record.story, record.copy_of, record.source, day_of(record.published), record.published),
        )

    def _forget(self, article_id: str) -> None:
        db = self._db()
        rows = db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,)).fetchall()
        db.executemany("DELETE FROM words WHERE rowid = ?", rows)
        db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        db.execute("DELETE FROM articles WHERE article_id = ?", (article_id,))
        db.execute("DELETE FROM stories WHERE article_id = ?", (article_id,))

    # Reading

    def articles(self) -> dict[str, ArticleRecord]:
        rows = self._db().execute("SELECT article_id, record FROM articles").fetchall()
        return {article_id: ArticleRecord(**json.loads(record)) for article_id, record in rows}

    def article(self, article_id: str) -> ArticleRecord | None:
        row = self._db().execute("SELECT record FROM articles WHERE article_id = ?", (article_id,)).fetchone()
        return ArticleRecord(**json.loads(row[0])) if row else None

    def article_sentences(self, article_id: str, chunks: int | None = None) -> list[tuple[str, np.ndarray]]:
        """(sentence, its stored vector) for the sentences of an article's first `chunks` chunks
        (all when None), in order, each once: the sentences an answer may quote, as indexed."""
        rows = (
            self._db()
            .execute("SELECT text, sentence_vectors FROM chunks WHERE article_id = ? ORDER BY position", (article_id,))
            .fetchall()
        )
        if not rows:
            return []
        texts = [text for text, _ in rows]
        vectors = unpack([blob for _, blob in rows], self._dimension())
        sentences = dict.fromkeys(text for per_chunk in chunk_sentences(texts)[:chunks] for text in per_chunk)
        return [(text, vectors[sentence_key(text)]) for text in sentences if sentence_key(text) in vectors]

    def _dimension(self) -> int:
        row = self._db().execute("SELECT length(vector) FROM chunks LIMIT 1").fetchone()
        return row[0] // 4 if row else 0

    def chunk_count(self) -> int:
        return self._db().execute("SELECT count(*) FROM chunks").fetchone()[0]

    def known(self, chunk_ids: list[str]) -> list[str]:
        """Those of `chunk_ids` this catalog holds, in order."""
        if not chunk_ids:
            return []
        marks = ",".join("?" * len(chunk_ids))
        present = {
            row[0] for row in self._db().execute(f"SELECT chunk_id FROM chunks WHERE chunk_id IN ({marks})", chunk_ids)
        }  # noqa: S608
        return [chunk_id for chunk_id in chunk_ids if chunk_id in present]

    def chunks(self, chunk_ids: list[str]) -> dict[str, StoredChunk]:
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._db().execute(
            f"SELECT chunk_id, article_id, position, text, vector, sentence_vectors FROM chunks WHERE chunk_id IN ({marks})",  # noqa: S608
            chunk_ids,
        )
        return {
            chunk_id: StoredChunk(
                chunk_id, article_id, position, text, np.frombuffer(vector, dtype=np.float32), sentences
            )
            for chunk_id, article_id, position, text, vector, sentences in rows
        }

    def lexical(self, query: str, k: int, days: tuple[int, int] | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best `k` chunks sharing a word with `query`, among chunks
        published within `days` (first and last day ordinals) if given."""
        expression = match_expression(query)
        if not expression or k < 1:
            return []
        expression = f"tokens : ({expression})"
        sql = "SELECT c.chunk_id, -words.rank FROM words JOIN chunks c ON c.id = words.rowid WHERE words MATCH ?"
        parameters: list = []
        if days is not None and days[1] - days[0] < MAX_DAY_TERMS:
            # Only the chunks of those days are ranked, which is much faster than ranking all (docs/benchmarks.md, "FTS5 by day").
            expression += " AND day : (" + " OR ".join(f'"d{day}"' for day in range(days[0], days[1] + 1)) + ")"
        elif days is not None:
            sql += " AND c.day BETWEEN ? AND ?"
            parameters = list(days)
        sql += " ORDER BY words.rank LIMIT ?"  # rank is bm25() on the words, computed once per row
        return [(chunk_id, score) for chunk_id, score in self._db().execute(sql, [expression, *parameters, k])]

    def nearest_within(self, embedding: np.ndarray, k: int, days: tuple[int, int]) -> list[str]:
        """Chunk ids nearest to `embedding`, exactly, among chunks published within `days`."""
        return _nearest(
            self._db().execute("SELECT chunk_id, vector FROM chunks WHERE day BETWEEN ? AND ?", days).fetchall(),
            embedding,
            k,
        )

    def nearest_since(self, embedding: np.ndarray, k: int, seq: int) -> list[tuple[str, float]]:
        """(chunk id, cosine) of the chunks nearest to `embedding`, exactly, among those the log
        added after `seq`."""
        rows = self._db().execute("SELECT chunk_id, vector FROM chunks WHERE seq > ?", (seq,)).fetchall()
        if not rows:
            return []
        vectors = _stacked(rows)
        scores = vectors @ embedding
        best = np.argsort(-scores, kind="stable")[:k]
        return [(rows[i][0], float(scores[i])) for i in best]

    def changed_since(self, seq: int, through: int) -> dict[str, int]:
        """Article id -> the log position its current version was added at, for the articles
        added or changed after `seq`, up to `through`."""
        rows = self._db().execute(
            "SELECT article_id, min(seq) FROM chunks WHERE seq > ? AND seq <= ? GROUP BY article_id", (seq, through)
        )
        return dict(rows.fetchall())

    def stored_sentences(self, page: int = 2000) -> Iterator[dict[str, bytes]]:
        """Chunk id -> packed sentence vectors of every chunk held, a page at a time."""
        last = 0
        while True:
            rows = (
                self._db()
                .execute(
                    "SELECT id, chunk_id, sentence_vectors FROM chunks WHERE id > ? ORDER BY id LIMIT ?", (last, page)
                )
                .fetchall()
            )
            if not rows:
                return
            last = rows[-1][0]
            yield {chunk_id: blob for _, chunk_id, blob in rows}

    def count_since(self, seq: int) -> int:
        return self._db().execute("SELECT count(*) FROM chunks WHERE seq > ?", (seq,)).fetchone()[0]


def _stacked(rows: list[tuple[str, bytes]]) -> np.ndarray:
    return np.frombuffer(b"".join(vector for _, vector in rows), dtype=np.float32).reshape(len(rows), -1)


def _nearest(rows: list[tuple[str, bytes]], embedding: np.ndarray, k: int) -> list[str]:
    if not rows:
        return []
    best = np.argsort(-(_stacked(rows) @ embedding), kind="stable")[:k]
    return [rows[i][0] for i in best]
