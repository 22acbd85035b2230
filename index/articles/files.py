"""Reading articles from files: .txt, .md (optional YAML front matter), .html, .json and .jsonl.

A file or record that cannot be read becomes a `Problem` naming it and saying what is wrong;
reading goes on with the rest. A field of the wrong kind (a title that is a list, a date that is
no date) becomes a `Note` and a fallback, and the article is still read.
"""

import errno
import json
import os
import stat
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from index.articles.article import (
    CONTROL_CHARACTERS,
    Article,
    ArticleError,
    Note,
    Problem,
    Scan,
    kind_of,
    parse_published,
    short_hash,
)
from index.articles.clean import clean_text
from index.articles.decoding import decode_html, decode_text
from index.articles.reading_log import reading

SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"}
RECORD_SUFFIXES = {".json", ".jsonl"}
HTML_SUFFIXES = {".html", ".htm"}
TITLE_MAX_CHARS = 200
# A stored title longer than this is cut (at a word) with a note.
STORED_TITLE_MAX_CHARS = 300
# Prose has a space every few characters; a long text with almost none is a dump or an encoding,
# and its thousands of junk passages would take minutes to embed.
MIN_SPACE_SHARE = 0.02
# A web page whose lines of prose (at least PROSE_LINE_WORDS words) hold fewer than BODY_MIN_WORDS
# words in all is a menu, index or cookie wall, not an article.
PROSE_LINE_WORDS = 6
BODY_MIN_WORDS = 25


def shown(path: Path | str) -> str:
    """A path as text that can be printed and stored: bytes of a file name that are not UTF-8
    become U+FFFD."""
    return os.fsencode(str(path)).decode("utf-8", errors="replace")


def origin_of(path: Path) -> str:
    """The file an article comes from, links followed; a link that loops stays as it is."""
    try:
        return shown(path.resolve())
    except (OSError, RuntimeError):
        return shown(path.absolute())


def iter_article_files(root: Path) -> Iterator[Path]:
    """Paths with an article's name under `root` (or `root` itself), skipping hidden ones and
    READMEs. They may be folders, pipes or broken links: `read_file` says so, never opening them."""
    if not root.is_dir():
        yield root
        return
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() in SUFFIXES and not path.stem.upper() == "README":
            yield path


def _not_a_regular_file(path: Path) -> str:
    """Why `path` is not a file to read, or "" when it is one."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "a symbolic link that loops back on itself"
        if path.is_symlink():
            return "a symbolic link to nothing"
        return f"cannot read: {error.strerror or error}"
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "a folder with an article's name (the files inside it are read)"
    kinds = {
        stat.S_ISFIFO: "a named pipe",
        stat.S_ISSOCK: "a socket",
        stat.S_ISCHR: "a device",
        stat.S_ISBLK: "a device",
    }
    kind = next((name for test, name in kinds.items() if test(mode)), "a special file")
    return f"not a regular file ({kind})"


def scan_sources(roots: Iterable[Path], max_article_bytes: int) -> Scan:
    scan = Scan()
    seen: dict[str, str] = {}
    for root in roots:
        root = root.resolve()
        if not root.exists():
            scan.problems.append(Problem(str(root), "no such file or folder"))
            continue
        for path in iter_article_files(root):
            origin = origin_of(path)
            for item in read_file(path, max_article_bytes):
                if isinstance(item, Note):
                    scan.notes.append(item)
                elif isinstance(item, Problem):
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
        kind = _not_a_regular_file(path)
        if kind:
            raise ArticleError(kind)
        size = path.stat().st_size
        if suffix not in RECORD_SUFFIXES and size > max_article_bytes:
            raise ArticleError(f"{size / 1e6:.1f} MB is over the {max_article_bytes / 1e6:g} MB limit for one article")
        raw = _read_at_most(path, size)
        if not raw.strip():
            raise ArticleError("empty file")
        if suffix in HTML_SUFFIXES:
            yield from _with_notes(shown(path), lambda notes: _from_html(path, decode_html(raw, notes), notes))
            return
        text = decode_text(raw)
        if not text.strip():
            raise ArticleError("empty file")
        if suffix == ".jsonl":
            yield from _read_jsonl(path, text, max_article_bytes)
            return
        if suffix == ".json":
            yield from _read_json(path, text, max_article_bytes)
            return
        reader = _from_txt if suffix == ".txt" else _from_md
        yield from _with_notes(shown(path), lambda notes: reader(path, text, notes))
    except ArticleError as error:
        yield Problem(shown(path), str(error))
    except OSError as error:
        yield Problem(shown(path), f"cannot read: {error.strerror or error}")


def _read_at_most(path: Path, size: int) -> bytes:
    """The file's bytes, never more than its size said (a file growing while read is cut there)."""
    with open(path, "rb") as handle:
        return handle.read(size)


def _with_notes(where: str, read) -> Iterator[Article | Note]:
    """Runs read(notes) and yields its notes, then its article."""
    notes: list[str] = []
    article = read(notes)
    yield from (Note(where, note) for note in notes)
    yield article


def _from_txt(path: Path, text: str, notes: list[str]) -> Article:
    title, body = _split_title_line(text)
    return _build(path, body, {"title": title}, notes)


def _from_md(path: Path, text: str, notes: list[str]) -> Article:
    meta, body = _split_front_matter(text)
    if not meta.get("title"):
        lines = body.lstrip().splitlines()
        if lines and lines[0].startswith("# "):
            meta["title"] = lines[0][2:].strip()
            body = "\n".join(lines[1:])
        else:
            meta["title"], body = _split_title_line(body)
    if not body.strip():
        raise ArticleError("front matter but no article text after it")
    return _build(path, body, meta, notes)


def _from_html(path: Path, text: str, notes: list[str]) -> Article:
    import trafilatura

    with reading(shown(path)):
        extracted = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False)
    if extracted is None or not (extracted.text or "").strip():
        raise ArticleError("no article text found in the HTML")
    prose_words = sum(
        len(line.split()) for line in extracted.text.splitlines() if len(line.split()) >= PROSE_LINE_WORDS
    )
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
    return _build(path, extracted.text, meta, notes)


def _read_jsonl(path: Path, text: str, max_article_bytes: int) -> Iterator[Article | Problem]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{shown(path)}:{number}"
        try:
            if len(line.encode("utf-8")) > max_article_bytes:
                raise ArticleError(f"record is over the {max_article_bytes / 1e6:g} MB limit for one article")
            record = _parse_json(line)
            yield from _with_notes(where, lambda notes, record=record: _from_record(path, record, notes))
        except ArticleError as error:
            yield Problem(where, str(error))


def _read_json(path: Path, text: str, max_article_bytes: int) -> Iterator[Article | Problem]:
    data = _parse_json(text)
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, start=1):
        where = f"{shown(path)}[{number}]" if isinstance(data, list) else shown(path)
        try:
            if len(json.dumps(record).encode("utf-8")) > max_article_bytes:
                raise ArticleError(f"record is over the {max_article_bytes / 1e6:g} MB limit for one article")
            yield from _with_notes(where, lambda notes, record=record: _from_record(path, record, notes))
        except ArticleError as error:
            yield Problem(where, str(error))


def _parse_json(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = f" at line {error.lineno}" if "\n" in text.strip() else ""
        raise ArticleError(f"invalid JSON ({error.msg}{where})") from None
    except RecursionError:
        raise ArticleError("JSON nested too deeply to be an article") from None


def _from_record(path: Path, record, notes: list[str]) -> Article:
    if not isinstance(record, dict):
        raise ArticleError(f"expected a JSON object with at least a 'text' field, found {kind_of(record)}")
    if not isinstance(record.get("text"), str) or not record["text"].strip():
        found = "" if record.get("text") is None else f" ('text' is {kind_of(record['text'])})"
        raise ArticleError(f"no 'text' field with article text{found}")
    return _build(path, record["text"], record, notes, from_record=True)


def _build(path: Path, body: str, meta: dict, notes: list[str], from_record: bool = False) -> Article:
    body = CONTROL_CHARACTERS.sub("", body)
    if len(body) > 2000 and body.count(" ") + body.count("\n") < MIN_SPACE_SHARE * len(body):
        raise ArticleError(
            f"{len(body):,} characters with hardly a space between them: not English prose "
            "(a data dump, or encoded or minified text?)"
        )
    title = _field(meta, "title", notes)
    text = _without_headline(clean_text(body), title)
    if not text:
        raise ArticleError("no article text left after removing boilerplate (bylines, share and subscribe lines)")
    if len(title) > STORED_TITLE_MAX_CHARS:
        notes.append(f"title of {len(title):,} characters cut to {STORED_TITLE_MAX_CHARS}")
        title = title[:STORED_TITLE_MAX_CHARS].rsplit(" ", 1)[0] + "…"
    url = _field(meta, "url", notes)
    explicit_id = _field(meta, "id", notes, numbers=True)
    if explicit_id:
        article_id = explicit_id
    elif url:
        article_id = short_hash(url)
    elif from_record:
        article_id = short_hash(title + "\n" + text)
    else:
        article_id = short_hash(origin_of(path))
    return Article(
        id=article_id,
        title=title or _title_from_name(path),
        text=text,
        source=_field(meta, "source", notes) or _field(meta, "publisher", notes),
        url=url,
        published=_published(meta.get("published") or meta.get("date"), notes),
        author=_field(meta, "author", notes),
        origin=origin_of(path),
    )


def _field(meta: dict, name: str, notes: list[str], numbers: bool = False) -> str:
    """A text field, without control characters; "" with a note when it is some other kind."""
    value = meta.get(name)
    if value is None:
        return ""
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        notes.append(f"'{name}' is {kind_of(value)}, not text; left out")
        return ""
    return (
        " ".join(CONTROL_CHARACTERS.sub("", value).split())
        if name == "title"
        else CONTROL_CHARACTERS.sub("", value).strip()
    )


def _published(value, notes: list[str]) -> str:
    try:
        return parse_published(value)
    except ArticleError as error:
        notes.append(f"{error}; the article is indexed without a date")
        return ""


def _without_headline(text: str, title: str) -> str:
    """The text without a first line that repeats the title: a headline is not article text."""
    first, _, rest = text.partition("\n")
    if title and " ".join(first.split()).casefold() == " ".join(title.split()).casefold():
        return rest.strip()
    return text


def _split_front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("---"):
        return {}, text
    lines = text.splitlines(keepends=True)
    for end, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            import yaml

            try:
                meta = yaml.load("".join(lines[1:end]), Loader=_front_matter_loader()) or {}
            except yaml.YAMLError as error:
                raise ArticleError(f"front matter is not valid YAML ({error.__class__.__name__})") from None
            if not isinstance(meta, dict):
                raise ArticleError("front matter must be a mapping of field: value")
            return meta, "".join(lines[end + 1 :])
    raise ArticleError("front matter starts with --- but never ends")


@cache
def _front_matter_loader():
    """YAML's safe loader, reading dates as text: parse_published checks them, so an impossible
    date ("2025-13-45") is a note, not a crash inside the YAML library."""
    import yaml

    class FrontMatterLoader(yaml.SafeLoader):
        pass

    FrontMatterLoader.yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return FrontMatterLoader


def _split_title_line(text: str) -> tuple[str, str]:
    """A short first line followed by a blank line is the title."""
    stripped = text.strip()
    first, _, rest = stripped.partition("\n")
    if first and len(first) <= TITLE_MAX_CHARS and rest.startswith("\n"):
        return first.strip(), rest
    return "", stripped


def _title_from_name(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip() or path.name
