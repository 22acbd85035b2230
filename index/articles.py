"""Reading articles from files: .txt, .md (optional YAML front matter), .html, .json and .jsonl.

A file or record that cannot be read becomes a `Problem` naming it; reading goes on with the rest.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path

from index.clean import clean_text

SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"}
RECORD_SUFFIXES = {".json", ".jsonl"}
TITLE_MAX_CHARS = 200
# A web page whose lines of prose (at least PROSE_LINE_WORDS words) hold fewer than BODY_MIN_WORDS
# words in all is a menu, index or cookie wall, not an article.
PROSE_LINE_WORDS = 6
BODY_MIN_WORDS = 25


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
            moment = moment.replace(tzinfo=timezone.utc)
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


@dataclass
class Scan:
    """Everything read from some sources in one pass."""

    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Files with at least one problem: their previously indexed articles are kept.
    troubled_files: set[str] = field(default_factory=set)


class ArticleError(ValueError):
    """Why one file or record is not a usable article."""


def short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def iter_article_files(root: Path) -> Iterator[Path]:
    """Supported files under `root` (or `root` itself), skipping hidden ones and READMEs."""
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() in SUFFIXES and path.is_file() and not path.stem.upper() == "README":
            yield path


def scan_sources(roots: Iterable[Path], max_article_bytes: int) -> Scan:
    scan = Scan()
    seen: dict[str, str] = {}
    for root in roots:
        root = root.resolve()
        if not root.exists():
            scan.problems.append(Problem(str(root), "no such file or folder"))
            continue
        for path in iter_article_files(root):
            origin = str(path.resolve())
            for item in read_file(path, max_article_bytes):
                if isinstance(item, Problem):
                    scan.problems.append(item)
                    scan.troubled_files.add(origin)
                elif item.id in seen:
                    scan.problems.append(Problem(origin, f"article id {item.id} already read from {seen[item.id]}"))
                    scan.troubled_files.add(origin)
                else:
                    seen[item.id] = item.origin
                    scan.articles.append(item)
    return scan


def read_file(path: Path, max_article_bytes: int) -> Iterator[Article | Problem]:
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
        if suffix not in RECORD_SUFFIXES and size > max_article_bytes:
            raise ArticleError(
                f"{size / 1e6:.1f} MB is over the {max_article_bytes / 1e6:g} MB limit for one article"
            )
        raw = path.read_bytes()
        if b"\x00" in raw[:8192]:
            raise ArticleError("binary file, not text")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ArticleError(f"not valid UTF-8 text (byte {error.start})") from None
        if not text.strip():
            raise ArticleError("empty file")
        if suffix == ".jsonl":
            yield from _read_jsonl(path, text, max_article_bytes)
            return
        if suffix == ".json":
            yield from _read_json(path, text, max_article_bytes)
            return
        reader = {".txt": _from_txt, ".html": _from_html, ".htm": _from_html}.get(suffix, _from_md)
        yield reader(path, text)
    except ArticleError as error:
        yield Problem(str(path), str(error))
    except OSError as error:
        yield Problem(str(path), f"cannot read: {error.strerror or error}")


def _from_txt(path: Path, text: str) -> Article:
    title, body = _split_title_line(text)
    return _build(path, body, {"title": title})


def _from_md(path: Path, text: str) -> Article:
    meta, body = _split_front_matter(text)
    if not meta.get("title"):
        lines = body.lstrip().splitlines()
        if lines and lines[0].startswith("# "):
            meta["title"] = lines[0][2:].strip()
            body = "\n".join(lines[1:])
        else:
            meta["title"], body = _split_title_line(body)
    return _build(path, body, meta)


def _from_html(path: Path, text: str) -> Article:
    import trafilatura

    extracted = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False)
    if extracted is None or not (extracted.text or "").strip():
        raise ArticleError("no article text found in the HTML")
    prose_words = sum(len(line.split()) for line in extracted.text.splitlines() if len(line.split()) >= PROSE_LINE_WORDS)
    if prose_words < BODY_MIN_WORDS:
        raise ArticleError(
            f"the page has no article body, only {prose_words} words of prose among its headings and links "
            "(a menu, index or cookie page?)"
        )
    meta = {
        "title": extracted.title,
        "source": extracted.sitename or extracted.hostname,
        "url": extracted.url,
        "published": extracted.date,
        "author": extracted.author,
    }
    return _build(path, extracted.text, meta)


def _read_jsonl(path: Path, text: str, max_article_bytes: int) -> Iterator[Article | Problem]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            if len(line.encode("utf-8")) > max_article_bytes:
                raise ArticleError(f"record is over the {max_article_bytes / 1e6:g} MB limit for one article")
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ArticleError(f"invalid JSON ({error.msg})") from None
            yield _from_record(path, record)
        except ArticleError as error:
            yield Problem(where, str(error))


def _read_json(path: Path, text: str, max_article_bytes: int) -> Iterator[Article | Problem]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ArticleError(f"invalid JSON ({error.msg} at line {error.lineno})") from None
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, start=1):
        where = f"{path}[{number}]" if isinstance(data, list) else str(path)
        try:
            if len(json.dumps(record).encode("utf-8")) > max_article_bytes:
                raise ArticleError(f"record is over the {max_article_bytes / 1e6:g} MB limit for one article")
            yield _from_record(path, record)
        except ArticleError as error:
            yield Problem(where, str(error))


def _from_record(path: Path, record) -> Article:
    if not isinstance(record, dict):
        raise ArticleError("expected a JSON object with at least a 'text' field")
    if not isinstance(record.get("text"), str) or not record["text"].strip():
        raise ArticleError("no 'text' field with article text")
    return _build(path, record["text"], record, from_record=True)


def _build(path: Path, body: str, meta: dict, from_record: bool = False) -> Article:
    text = _without_headline(clean_text(body), _text(meta.get("title")))
    if not text:
        raise ArticleError("no article text left after removing boilerplate")
    url = _text(meta.get("url"))
    explicit_id = _text(meta.get("id"))
    if explicit_id:
        article_id = explicit_id
    elif url:
        article_id = short_hash(url)
    elif from_record:
        article_id = short_hash(_text(meta.get("title")) + "\n" + text)
    else:
        article_id = short_hash(str(path.resolve()))
    return Article(
        id=article_id,
        title=_text(meta.get("title")) or _title_from_name(path),
        text=text,
        source=_text(meta.get("source") or meta.get("publisher")),
        url=url,
        published=parse_published(meta.get("published") or meta.get("date")),
        author=_text(meta.get("author")),
        origin=str(path.resolve()),
    )


def _without_headline(text: str, title: str) -> str:
    """The text without a first line that repeats the title: a headline is not article text."""
    first, _, rest = text.partition("\n")
    if title and " ".join(first.split()).casefold() == " ".join(title.split()).casefold():
        return rest.strip()
    return text


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
            raise ArticleError(f"published date {value!r} is not an ISO date like 2025-06-02") from None
        if parsed.time() == time(0) and parsed.tzinfo is None and len(value.strip()) <= 10:
            return parsed.date().isoformat()
        return parsed.isoformat()
    raise ArticleError(f"published date {value!r} is not an ISO date like 2025-06-02")


def _split_front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("---"):
        return {}, text
    lines = text.splitlines(keepends=True)
    for end, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            import yaml

            try:
                meta = yaml.safe_load("".join(lines[1:end])) or {}
            except yaml.YAMLError as error:
                raise ArticleError(f"front matter is not valid YAML ({error.__class__.__name__})") from None
            if not isinstance(meta, dict):
                raise ArticleError("front matter must be a mapping of field: value")
            return meta, "".join(lines[end + 1 :])
    raise ArticleError("front matter starts with --- but never ends")


def _split_title_line(text: str) -> tuple[str, str]:
    """A short first line followed by a blank line is the title."""
    stripped = text.strip()
    first, _, rest = stripped.partition("\n")
    if first and len(first) <= TITLE_MAX_CHARS and rest.startswith("\n"):
        return first.strip(), rest
    return "", stripped


def _title_from_name(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip() or path.name


def _text(value) -> str:
    if value is None:
        return ""
    return str(value).strip()
