"""One round over the web sources: each feed, sitemap or page fetched, its new or changed articles
read, and what each source did recorded. A source or page that fails is named and skipped; fetching
never deletes what an earlier round found."""

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from index.articles.article import Article, ArticleError, Note, Problem
from index.store.records import ArticleRecord
from index.web.discover import Entry, read_listing
from index.web.fetch import Fetched, Fetcher, FetchError
from index.web.pages import read_page
from index.web.recheck import recheck_due
from index.web.sources import WebSource

log = logging.getLogger(__name__)

# Pages fetched at once across hosts; the fetcher still allows at most two per host.
WORKERS = 4
# Child sitemaps read from one sitemap index.
MAX_CHILD_SITEMAPS = 10


@dataclass
class WebScan:
    articles: list[Article] = field(default_factory=list)  # read this round: new, changed or the same
    unchanged: int = 0  # listed articles not fetched again: the listing says nothing changed
    problems: list[Problem] = field(default_factory=list)
    # Odd but read all the same: a feed with entities, a robots.txt that failed, a page's charset.
    notes: list[Note] = field(default_factory=list)
    statuses: dict[str, dict] = field(default_factory=dict)  # by source URL

    def add(self, result: Article | Problem | None, notes: list[Note]) -> None:
        """What reading one page gave: an article, a problem, or None when it was unchanged; and
        what was odd about it."""
        self.notes += notes
        if isinstance(result, Problem):
            self.problems.append(result)
        elif result is None:
            self.unchanged += 1
        else:
            self.articles.append(result)


def crawl(
    sources: list[WebSource],
    known: dict[str, ArticleRecord],
    fetcher: Fetcher,
    previous: dict[str, dict],
    recheck_days: float = 0.0,
) -> WebScan:
    """Fetch `sources` and read their new or changed articles; then ask again for the recent pages
    that are due a recheck (index/web/recheck.py), whatever their listings say."""
    scan = WebScan()
    seen: set[str] = set()
    asked: set[str] = set()  # pages fetched this round
    fetched_at = {record.origin: record.fetched for record in known.values() if record.fetched}
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="newsbot-fetch") as pool:
        for source in sources:
            status = dict(previous.get(source.url, {}), url=source.url, name=source.name)
            try:
                entries, first_page = _entries(source, fetcher, scan.notes)
            except FetchError as error:
                scan.problems.append(Problem(source.url, str(error).removeprefix(f"{source.url}: ")))
                status.update(last_error=str(error), last_error_at=time.time())
                scan.statuses[source.url] = status
                continue
            wanted = []
            for entry in entries:
                if entry.url in seen:
                    continue
                seen.add(entry.url)
                if _listed_unchanged(entry, fetched_at.get(entry.url)):
                    scan.unchanged += 1
                else:
                    wanted.append(entry)
            asked.update(entry.url for entry in wanted)
            for result, notes in pool.map(
                lambda entry, source=source, first_page=first_page: _read(entry, source, fetcher, first_page), wanted
            ):
                if isinstance(result, Article):
                    # Read this round under its listed address: no recheck of its canonical one.
                    asked.add(result.origin)
                scan.add(result, notes)
            dates = [entry.published for entry in entries if entry.published]
            status.update(
                last_success=time.time(),
                last_error="",
                entries=len(entries),
                newest=max(dates, default=status.get("newest", "")),
            )
            scan.statuses[source.url] = status
        due = [
            record
            for record in known.values()
            if record.fetched
            and record.origin not in asked
            and recheck_due(record.published, fetcher.checked(record.origin), time.time(), recheck_days)
        ]
        if due:
            log.info("rechecking %d recent pages for corrections", len(due))
        for result, notes in pool.map(lambda record: _recheck(record, fetcher), due):
            scan.add(result, notes)
    scan.notes += fetcher.notes
    return scan


def _recheck(record: ArticleRecord, fetcher: Fetcher) -> tuple[Article | Problem | None, list[Note]]:
    """A known page asked for again, under the publisher it was read with."""
    return _read(
        Entry(record.origin, record.title, record.published), WebSource(record.origin, record.source), fetcher, None
    )


def _entries(source: WebSource, fetcher: Fetcher, notes: list[Note]) -> tuple[list[Entry], Fetched | None]:
    """The source's `limit` newest article entries, and the fetched page when the source is itself
    an article. A feed unchanged since the last round lists nothing. What was odd about a listing
    goes to `notes`."""
    fetched = fetcher.fetch(source.url)
    if fetched.not_modified:
        return [], None
    listing = read_listing(fetched)
    notes += [Note(source.url, odd) for odd in listing.odd]
    if listing.kind == "page":
        return [Entry(source.url)], fetched
    entries = listing.entries
    if listing.kind == "sitemap index":
        children = []
        for child in newest(entries, MAX_CHILD_SITEMAPS):
            try:
                page = fetcher.fetch(child.url)
                if not page.not_modified:
                    child_listing = read_listing(page)
                    children.extend(child_listing.entries)
                    notes += [Note(child.url, odd) for odd in child_listing.odd]
            except FetchError as error:
                log.warning("%s", error)
        entries = children
    return newest([entry for entry in entries if source.wants(entry.url)], source.limit), None


def newest(entries: list[Entry], limit: int) -> list[Entry]:
    """Pure: the `limit` newest entries by date (published, else updated), then the undated ones in
    the order listed."""
    stamps = [_timestamp(entry.published or entry.updated) for entry in entries]
    dated = sorted(
        (i for i, stamp in enumerate(stamps) if stamp is not None), key=lambda i: -stamps[i]
    )  # stable: ties as listed
    undated = [i for i, stamp in enumerate(stamps) if stamp is None]
    return [entries[i] for i in dated + undated][:limit]


def _timestamp(stamp: str) -> float | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _listed_unchanged(entry: Entry, fetched: float | None) -> bool:
    """Whether the listing dates the entry no later than its last fetch."""
    stamp = _timestamp(entry.updated or entry.published)
    # Listings give whole seconds: an entry stamped within the second of the fetch may be newer.
    return fetched is not None and stamp is not None and stamp + 1 < fetched


def _read(
    entry: Entry, source: WebSource, fetcher: Fetcher, first_page: Fetched | None
) -> tuple[Article | Problem | None, list[Note]]:
    """The entry's article (None when the page is unchanged since the last fetch, HTTP 304), and
    what was odd about reading it."""
    odd: list[str] = []
    try:
        fetched = first_page or fetcher.fetch(entry.url)
        if fetched.not_modified:
            return None, []
        result: Article | Problem = read_page(fetched, entry, source.name, odd)
    except FetchError as error:
        result = Problem(entry.url, str(error).removeprefix(f"{entry.url}: "))
    except ArticleError as error:
        fetcher.forget(entry.url)
        result = Problem(entry.url, str(error))
    except Exception as error:  # noqa: BLE001 - one hostile page must not stop the round
        fetcher.forget(entry.url)
        log.debug("reading %s failed", entry.url, exc_info=True)
        result = Problem(entry.url, f"could not be read ({error.__class__.__name__}: {error})")
    return result, [Note(entry.url, note) for note in odd]
