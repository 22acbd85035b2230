"""A polite HTTP client: it names itself, obeys robots.txt (and its Crawl-delay), sends at most two requests at once to a
host with a pause between them, connects only to public addresses and those the operator allowed
(index/web/transport.py), holds every response (robots.txt too) to one deadline, a cap on decoded
bytes and a cap on redirects, takes only pages and feeds, follows nothing but http(s), and asks
again with ETag / Last-Modified so an unchanged feed costs one 304."""

import json
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from index.articles.article import Note
from index.errors import NewsbotError
from index.web.addresses import AddressPolicy, PrivateAddress
from index.web.urls import host_of, is_web

USER_AGENT = "newsbot/0.1 (+https://github.com/newsbot; news question answering)"
ROBOTS_AGENT = "newsbot"
MAX_REDIRECTS = 5
# A robots.txt Crawl-delay is honoured up to this many seconds between requests.
MAX_CRAWL_DELAY = 60.0
PER_HOST = 2
ACCEPTED_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
)
ROBOTS_TYPES = ("text/plain",)
ACCEPT_ENCODING = "gzip, deflate"  # the encodings the body is decoded from within the cap (_inflater)
ACCEPT = "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9"


class FetchError(NewsbotError, RuntimeError):
    """A page or feed that could not be fetched; the message says why."""


class Refused(FetchError):
    """An address the fetcher may not connect to: robots.txt is not asked for there either."""


@dataclass
class Fetched:
    url: str  # after redirects
    body: bytes
    content_type: str
    not_modified: bool = False
    charset: str = ""  # the server's, from its Content-Type header


@dataclass
class Politeness:
    delay: float = 1.0  # seconds between two requests to one host
    timeout: float = 20.0  # for one whole response: connect, headers and body
    max_bytes: int = 5_000_000  # of one response's body, decoded
    addresses: AddressPolicy = field(default_factory=AddressPolicy)


@dataclass
class _Host:
    slots: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(PER_HOST))
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0
    robots: RobotFileParser | None = None
    delay: float | None = None  # robots.txt's Crawl-delay, when longer than ours


@dataclass
class _Answer:
    """One response: its status and headers, and its decoded body when it was a success."""

    status: int
    reason: str
    headers: dict[str, str]
    content_type: str = ""
    charset: str = ""
    body: bytes = b""


class Fetcher:
    """One per index run. `validators` (ETag and Last-Modified by URL) persist in `state_file`;
    `notes` name what was odd but read all the same (a robots.txt that could not be read)."""

    def __init__(self, politeness: Politeness, state_file: Path | None = None):
        import httpx

        from index.web.transport import checked_transport

        self.politeness = politeness
        self.state_file = state_file
        self.validators: dict[str, dict[str, str]] = _load(state_file)
        self.notes: list[Note] = []
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
            transport=checked_transport(politeness.addresses),
            follow_redirects=False,
            trust_env=False,
            timeout=politeness.timeout,
        )

    def fetch(self, url: str, conditional: bool = True) -> Fetched:
        """The body at `url`; `not_modified` when it is unchanged since the last fetch."""
        asked = url  # a recheck looks up when this address, not where it redirected, was last checked
        for _ in range(MAX_REDIRECTS + 1):
            if not is_web(url):
                raise FetchError(f"{url}: only http(s) addresses are fetched")
            if not self._allowed(url):
                raise FetchError(f"{url}: robots.txt disallows it for {ROBOTS_AGENT}")
            answer = self._answer(url, self._validators(url) if conditional else {}, ACCEPTED_TYPES)
            if answer.status == 304:
                self._checked(url, asked)
                return Fetched(url, b"", "", not_modified=True)
            if 300 <= answer.status < 400:
                url = _location(url, answer)
                continue
            if answer.status >= 400 or answer.status < 200:
                raise FetchError(f"{url}: HTTP {answer.status} {answer.reason}")
            self._remember(url, answer.headers)
            self._checked(asked)
            return Fetched(url, answer.body, answer.content_type, charset=answer.charset)
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _answer(
        self, url: str, headers: dict[str, str], accepted: tuple[str, ...], what: str = "a web page or feed"
    ) -> _Answer:
        """One request to `url`, its whole response within the deadline and its body within the cap;
        a success of a type not `accepted` is refused before its body is read."""
        import httpx

        from index.web.transport import deadline

        seconds = self.politeness.timeout
        try:
            with self._turn(url), deadline(seconds), self._client.stream("GET", url, headers=headers) as response:
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                answer = _Answer(
                    response.status_code,
                    response.reason_phrase,
                    dict(response.headers),
                    content_type,
                    response.charset_encoding or "",
                )
                if 200 <= response.status_code < 300:
                    if content_type and content_type not in accepted:
                        raise FetchError(f"{url}: {content_type} is not {what}; skipped")
                    answer.body = self._read(url, response)
                return answer
        except PrivateAddress as refusal:
            raise Refused(f"{url}: {refusal}") from None
        except httpx.TimeoutException:
            raise FetchError(f"{url}: no whole answer within {seconds:g} s; stopped there") from None
        except httpx.HTTPError as error:
            raise FetchError(f"{url}: {error.__class__.__name__}: {error}") from None

    def _read(self, url: str, response) -> bytes:
        """The body, decoded as it arrives: a compressed bomb stops at the cap, not after it is inflated."""
        cap = self.politeness.max_bytes
        inflate = _inflater(url, response.headers.get("content-encoding", ""))
        chunks, size = [], 0
        for raw in response.iter_raw():
            chunk = inflate(raw, cap - size + 1)
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                raise FetchError(f"{url}: larger than the {cap / 1e6:g} MB cap; stopped reading there")
        return b"".join(chunks)

    def _host(self, url: str) -> _Host:
        with self._hosts_lock:
            return self._hosts.setdefault(host_of(url), _Host())

    @contextmanager
    def _turn(self, url: str) -> Iterator[None]:
        """At most PER_HOST requests at once per host, each starting `delay` after the one before."""
        host = self._host(url)
        with host.slots:
            with host.lock:
                start = max(time.monotonic(), host.next_start)
                host.next_start = start + max(self.politeness.delay, host.delay or 0.0)
            time.sleep(max(0.0, start - time.monotonic()))
            yield

    def _allowed(self, url: str) -> bool:
        host = self._host(url)
        if host.robots is None:
            parts = urlsplit(url)
            host.robots = self._robots(f"{parts.scheme}://{parts.netloc}/robots.txt", url)
            delay = host.robots.crawl_delay(ROBOTS_AGENT)
            host.delay = min(float(delay), MAX_CRAWL_DELAY) if delay else None
        return host.robots.can_fetch(ROBOTS_AGENT, url)

    def _robots(self, address: str, page: str) -> RobotFileParser:
        """The rules at `address`, fetched for `page` under the limits of any response. One that
        can't be read means no rules this round (as a 404 does), and is named in `notes`; a host
        that may not be reached refuses `page` itself."""
        robots = RobotFileParser()
        robots.allow_all = True
        url = address
        try:
            for _ in range(MAX_REDIRECTS + 1):
                answer = self._answer(url, {}, ROBOTS_TYPES, "plain text")
                if 300 <= answer.status < 400:
                    url = _location(url, answer)
                    if not is_web(url):
                        raise FetchError(f"{address}: redirected to {url}, not an http(s) address")
                    continue
                if answer.status >= 500:
                    robots.allow_all, robots.disallow_all = (
                        False,
                        True,
                    )  # as the robots.txt standard says for a server error
                elif 200 <= answer.status < 300:
                    robots.allow_all = False
                    robots.parse(answer.body.decode("utf-8", errors="replace").splitlines())
                return robots
            raise FetchError(f"{address}: more than {MAX_REDIRECTS} redirects")
        except Refused as refusal:
            if url == address:
                raise Refused(f"{page}: {str(refusal).removeprefix(f'{url}: ')}") from None
            self._note(address, f"{str(refusal).removeprefix(f'{url}: ')}; no robots rules this round")
        except FetchError as error:
            self._note(address, f"{str(error).removeprefix(f'{url}: ')}; no robots rules this round")
        return robots

    def _note(self, where: str, reason: str) -> None:
        with self._hosts_lock:
            self.notes.append(Note(where, reason))

    def _validators(self, url: str) -> dict[str, str]:
        known = self.validators.get(url, {})
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return headers

    def _remember(self, url: str, headers) -> None:
        entry = {
            "etag": headers.get("etag", ""),
            "last_modified": headers.get("last-modified", ""),
            "checked": time.time(),
        }
        self.validators[url] = entry

    def _checked(self, *urls: str) -> None:
        for url in urls:
            self.validators.setdefault(url, {})["checked"] = time.time()

    def checked(self, url: str) -> float:
        """When `url` was last fetched or found unchanged (0 if never, as far as the state file knows)."""
        return float(self.validators.get(url, {}).get("checked", 0.0))

    def forget(self, url: str) -> None:
        """Drop `url`'s validators: what it sent could not be used, so the next run asks for it whole.
        When it was last checked is kept, so that a recheck still waits its turn."""
        checked = self.validators.pop(url, {}).get("checked")
        if checked:
            self.validators[url] = {"checked": checked}

    def save(self) -> None:
        if self.state_file is None:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.validators), encoding="utf-8")
        temporary.replace(self.state_file)

    def close(self) -> None:
        self._client.close()


def _location(url: str, answer: _Answer) -> str:
    location = answer.headers.get("location", "")
    if not location:
        raise FetchError(f"{url}: HTTP {answer.status} redirect without a location")
    return urljoin(url, location)


class _Inflater:
    """A body's gzip or deflate encoding undone a network read at a time, never more than asked."""

    def __init__(self, url: str, encoding: str):
        self.url, self.encoding = url, encoding
        # gzip, or deflate in its zlib wrapper (32: either header); a raw deflate stream is tried next.
        self.decompressor = zlib.decompressobj(zlib.MAX_WBITS | 32)
        self.started = False

    def __call__(self, raw: bytes, most: int) -> bytes:
        """At most `most` decoded bytes of `raw`: past that the rest stays in the decompressor's
        unconsumed_tail, never inflated."""
        try:
            data = self.decompressor.decompress(raw, most)
        except zlib.error as error:
            if self.started or self.encoding != "deflate":
                raise FetchError(f"{self.url}: its {self.encoding} body is corrupt ({error})") from None
            self.decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
            data = self.decompressor.decompress(raw, most)
        self.started = True
        return data


def _inflater(url: str, encoding: str):
    """`inflate(raw, most)`: the next decoded bytes of the body, at most `most` of them."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return lambda raw, most: raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"{url}: sent in the {encoding!r} encoding, which newsbot did not ask for; skipped")
    return _Inflater(url, encoding)


def _load(state_file: Path | None) -> dict:
    if state_file is None:
        return {}
    try:
        return json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
