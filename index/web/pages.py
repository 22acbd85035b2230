"""A fetched page into an Article: its bytes decoded as a browser decodes them (the server's
charset, else the page's own declaration, else UTF-8 or a detected encoding), then trafilatura
finds the text and its metadata (title, publisher, date, canonical link); what the page lacks comes
from its feed or sitemap entry."""

from index.articles.article import CONTROL_CHARACTERS, Article, ArticleError, short_hash
from index.articles.decoding import decode_html
from index.articles.reading_log import reading
from index.web.discover import Entry
from index.web.fetch import Fetched
from index.web.urls import canonical_url, host_of

MIN_TEXT_CHARS = 200


def read_page(fetched: Fetched, entry: Entry, publisher: str, notes: list[str]) -> Article:
    """The article on `fetched`; ArticleError when it has none. What was odd about its encoding
    goes to `notes`."""
    import trafilatura

    page = decode_html(fetched.body, notes, fetched.charset)
    with reading(fetched.url):
        document = trafilatura.bare_extraction(
            page,
            url=fetched.url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
        )
    if document is None:
        raise ArticleError("no article text found on the page")
    found = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    text = CONTROL_CHARACTERS.sub("", found.get("text") or "").strip()
    if len(text) < MIN_TEXT_CHARS:
        raise ArticleError(f"the page's text is {len(text)} characters, too short for an article")
    url = canonical_url(found.get("url") or "", fetched.url) or canonical_url(fetched.url) or entry.url
    title = CONTROL_CHARACTERS.sub("", found.get("title") or entry.title or "").strip()[:300]
    published = _date(found.get("date")) or entry.published[:10]
    source = publisher or (found.get("sitename") or "").strip() or host_of(url)
    return Article(
        id=short_hash(url),
        title=title or url,
        text=text,
        source=source[:200],
        url=url,
        published=published,
        author=(found.get("author") or "")[:200],
        origin=url,
    )


def _date(value) -> str:
    from index.articles.article import parse_published

    try:
        return parse_published(value) if value else ""
    except (ValueError, ArticleError):
        return ""
