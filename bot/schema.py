"""Versioned schemas for newsbot's own SQLite files (feedback, follows, remembered answers): numbered
migrations, the file's version kept in `PRAGMA user_version`, each migration applied once in its own
transaction; and the store those with an outbox share."""

import os
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from index.errors import NewsbotError


class SchemaError(NewsbotError, RuntimeError):
    """A database file this newsbot cannot use; the message says why."""


def migrate(db: sqlite3.Connection, path: Path, migrations: list[str]) -> None:
    """Bring `db` (the file at `path`, opened in autocommit mode) up to the last of `migrations`, the
    SQL statements of versions 1, 2, … (no semicolons inside them)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        raise SchemaError(
            f"{path} was written by a newer newsbot (schema {version}; this one knows up to {len(migrations)}): upgrade newsbot to use it"
        )
    for number in range(version + 1, len(migrations) + 1):
        # BEGIN IMMEDIATE, then look again: two processes opening an old file migrate it one after the other.
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] < number:
                for statement in migrations[number - 1].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # a signal may land after the COMMIT
                db.execute("ROLLBACK")
            raise


class SqliteStore:
    """One SQLite file in the data dir, in WAL mode, brought up to its schema at the first use. Each
    call opens its own connection, so a store can be used from any thread or process."""

    FILENAME: str
    MIGRATIONS: list[str]

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / self.FILENAME
        self._schema_ready = False
        # Who claims an outbox row: another process's claims are left alone until they lapse.
        self.holder = f"{socket.gethostname()}:{os.getpid()}"

    def exists(self) -> bool:
        return self.path.exists()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        if not self._schema_ready:
            migrate(db, self.path, self.MIGRATIONS)
            self._schema_ready = True
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, all or nothing."""
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
