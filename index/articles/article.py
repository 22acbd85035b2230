"""What an article is, once read: its fields, its identity and version, and the problems and
notes reading it left."""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from index.errors import NewsbotError

# Work budget per article: the passages of a longer text are dropped with a note. 400 passages
# hold about 70,000 words, far beyond any news article.
MAX_PASSAGES = 400
# C0 and C1 control characters other than tab and line breaks, and lone UTF-16 surrogates (from a
# "\ud800" escape in JSON): never article text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    source: str = ""
    url: str = ""
    published: str = ""  # ISO date or datetime, "" when unknown
    author: str = ""
    origin: str = ""  # the file it was read from

    @property
    def published_ts(self) -> int | None:
        """Epoch seconds (UTC) of `published`, because Chroma range filters need numbers."""
        if not self.published:
            return None
        moment = datetime.fromisoformat(self.published)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())

    @property
    def content_hash(self) -> str:
        """Decides re-embedding: anything that ends up in a chunk or its metadata."""
        fields = [self.title, self.text, self.source, self.url, self.published, self.author]
        return hashlib.sha256(json.dumps(fields).encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Problem:
    where: str  # a path, or path:line for a record in a .jsonl file
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class Note(Problem):
    """Something wrong that a fallback covered: the article is read all the same."""


@dataclass
class Scan:
    """Everything read from some sources in one pass."""

    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # Files with at least one problem: their previously indexed articles are kept.
    troubled_files: set[str] = field(default_factory=set)


class ArticleError(NewsbotError, ValueError):
    """Why one file or record is not a usable article."""


def short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def version_of(content_hash: str) -> str:
    """The version an article's chunks are stored under: its content hash, shortened."""
    return content_hash[:12]


def parse_published(value) -> str:
    """ISO text for a date, datetime or ISO string; "" when absent. A bad value is an error."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            shown_value = value.strip()[:40]
            raise ArticleError(f"published date {shown_value!r} is not an ISO date like 2025-06-02") from None
        if parsed.time() == time(0) and parsed.tzinfo is None and len(value.strip()) <= 10:
            return parsed.date().isoformat()
        return parsed.isoformat()
    raise ArticleError(f"published date is {kind_of(value)}, not an ISO date like 2025-06-02")


def kind_of(value) -> str:
    names = {
        dict: "an object",
        list: "a list",
        bool: "true or false",
        int: "a number",
        float: "a number",
        str: "text",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
