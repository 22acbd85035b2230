"""Versioned schemas for newsbot's own SQLite files (feedback, follows): numbered migrations, the
file's version kept in `PRAGMA user_version`, each migration applied once in its own transaction."""

import sqlite3
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
