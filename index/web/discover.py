"""What a fetched address is, told apart by its content: an RSS or Atom feed (feedparser), a sitemap
or news sitemap, or a single article page; and the article links a feed or sitemap lists."""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from index.web.fetch import Fetched, FetchError
from index.web.urls import canonical_url

SITEMAP_ROOT = re.compile(
    rb"^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*(<!DOCTYPE[^\[>]*(\[.*?\])?\s*>\s*)?(<!--.*?-->\s*)*<(?:\w+:)?(?P<root>urlset|sitemapindex)\b",
    re.S,
)
ENTITY_DECLARATION = re.compile(rb"<!ENTITY\s+(%\s*)?[\w.:-]+\s+(?P<external>SYSTEM|PUBLIC)?", re.I)
PROLOG_BYTES = 65_536  # where a document's DTD is looked for
XML_TYPES = ("application/xml", "text/xml", "application/rss+xml", "application/atom+xml", "application/rdf+xml")


@dataclass(frozen=True)
class Entry:
    """One article a feed or sitemap lists."""

    url: str
    title: str = ""
    published: str = ""  # ISO
    updated: str = ""  # ISO: when the listing says it last changed


@dataclass
class Listing:
    kind: str  # "feed", "sitemap", "sitemap index" or "page"
    entries: list[Entry]
    title: str = ""
    odd: list[str] = field(default_factory=list)  # what was odd about it but read safely all the same


def read_listing(fetched: Fetched) -> Listing:
    """Feed, sitemap or page; a feed or sitemap that cannot be parsed raises FetchError."""
    match = SITEMAP_ROOT.match(fetched.body[:4096])
    if match:
        return _sitemap(fetched, match.group("root") == b"sitemapindex")
    looks_like_xml = fetched.content_type in XML_TYPES or fetched.body.lstrip()[:5] == b"<?xml"
    import feedparser

    parsed = feedparser.parse(fetched.body, response_headers={"content-location": fetched.url})
    if parsed.get("version"):
        entries = []
        for item in parsed.entries:
            url = canonical_url(item.get("link", ""), fetched.url) if item.get("link") else ""
            if url:
                # Asking feedparser for a missing "updated" gets "published" with a deprecation warning.
                updated = item.get("updated_parsed") if "updated" in item else None
                entries.append(Entry(url, item.get("title", ""), _iso(item.get("published_parsed")), _iso(updated)))
        # feedparser reads what it can of broken XML; a broken feed that yields no link is an error.
        if entries or not parsed.get("bozo"):
            return Listing("feed", entries, parsed.feed.get("title", ""), _oddities(fetched.body, parsed))
    if looks_like_xml or parsed.get("version"):
        problem = parsed.get("bozo_exception")
        raise FetchError(f"{fetched.url}: not a readable feed or sitemap ({problem or 'unknown XML'})")
    return Listing("page", [Entry(fetched.url)])


def _oddities(body: bytes, parsed) -> list[str]:
    """What a feed holds that a feed has no need of: entity declarations (which feedparser neither
    expands past its limits nor fetches), and bytes its declared encoding can't hold."""
    import feedparser

    odd = []
    declared = [match.group("external") for match in ENTITY_DECLARATION.finditer(body[:PROLOG_BYTES])]
    if any(declared):
        odd.append("it declares external XML entities, which were not fetched")
    elif declared:
        odd.append("it declares XML entities, which were not expanded")
    if isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride):
        odd.append(f"its bytes don't fit its declared encoding ({parsed.bozo_exception})")
    return odd


def _sitemap(fetched: Fetched, index: bool) -> Listing:
    import defusedxml.ElementTree
    from defusedxml import DefusedXmlException

    try:
        root = defusedxml.ElementTree.fromstring(fetched.body)
    except DefusedXmlException as error:
        raise FetchError(
            f"{fetched.url}: the sitemap declares XML entities, which newsbot does not read ({error}); skipped"
        ) from None
    except defusedxml.ElementTree.ParseError as error:
        raise FetchError(f"{fetched.url}: malformed sitemap XML ({error})") from None
    entries = []
    for item in root:
        if not isinstance(item.tag, str):
            continue
        fields = {_local(child.tag): (child.text or "").strip() for child in item.iter() if isinstance(child.tag, str)}
        url = canonical_url(fields.get("loc", ""), fetched.url) if fields.get("loc") else ""
        if url:
            published = fields.get("publication_date", "")
            entries.append(
                Entry(
                    url,
                    fields.get("title", ""),
                    _parsed_date(published),
                    _parsed_date(fields.get("lastmod", "") or published),
                )
            )
    return Listing("sitemap index" if index else "sitemap", entries)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _iso(parsed) -> str:
    if not parsed:
        return ""
    return datetime(*parsed[:6], tzinfo=UTC).isoformat()


def _parsed_date(text: str) -> str:
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
