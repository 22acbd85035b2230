"""The change log: one record per article, its latest version or its removal, numbered by a
sequence that only grows. Readers follow it, so they never see half an article."""

import json

from index.store.records import ArticleRecord, LogEntry

LOG = "newsbot_articles"


class ChangeLog:
    """Reading the log; mixed into ChunkStore, whose meta records and paged reads it uses."""

    def head(self, identity: str | None = None) -> int:
        """The highest sequence number the log holds, as the writer last recorded it."""
        return int((self.meta(f"head:{identity or self.identity}") or {}).get("seq", 0))

    def log_since(self, seq: int, identity: str | None = None) -> list[LogEntry]:
        """Log records numbered above `seq`, in order."""
        found = self._read(LOG, ["metadatas", "documents"], where={"seq": {"$gt": seq}}, identity=identity)
        entries = []
        for article_id, meta, document in zip(found["ids"], found["metadatas"], found["documents"]):
            record = ArticleRecord(**json.loads(document)) if not meta.get("removed") else None
            entries.append(LogEntry(article_id, int(meta["seq"]), record))
        return sorted(entries, key=lambda entry: entry.seq)

    def articles(self, identity: str | None = None) -> dict[str, ArticleRecord]:
        """Every article the log says is in the index."""
        return {entry.article_id: entry.record for entry in self.log_since(0, identity) if entry.record is not None}
