"""What the store holds, as plain records: an article's entry in the change log, the build that
answers, and a chunk as read back."""

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from index.articles.article import version_of


@dataclass
class ArticleRecord:
    """What the index holds about one article, beside its chunks."""

    hash: str
    origin: str  # the file or the canonical URL it was read from
    title: str
    source: str
    url: str
    published: str
    chunks: int
    fetched: float = 0.0  # when a web article was last fetched; 0 for files
    story: str = ""  # the story it belongs to (index/articles/stories.py); empty before stories existed
    copy_of: str = ""  # the article it is a syndicated copy of, if any

    @property
    def version(self) -> str:
        return version_of(self.hash)

    def chunk_ids(self, article_id: str) -> list[str]:
        return [chunk_id(article_id, self.version, position) for position in range(self.chunks)]


def chunk_id(article_id: str, version: str, position: int) -> str:
    return f"{article_id}:{version}:{position}"


@dataclass
class LogEntry:
    """One article's latest state: its record, or None once removed."""

    article_id: str
    seq: int
    record: ArticleRecord | None


@dataclass
class IndexInfo:
    model: str
    chunker: int
    identity: str = field(default_factory=lambda: uuid.uuid4().hex)
    created: float = field(default_factory=time.time)


@dataclass(frozen=True)
class ChunkRecord:
    """One chunk as the store holds it: its text, its vector, and its sentences' packed vectors
    (index/embedding/sentence_vectors.py) when the writer stored them."""

    id: str
    text: str
    vector: Sequence[float]
    sentence_vectors: bytes | None
