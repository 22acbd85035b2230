"""A polite HTTP client: it names itself, obeys robots.txt (and its Crawl-delay), sends at most two requests at once to a
host with a pause between them, caps time, size and redirects, takes only pages and feeds, follows
nothing but http(s), and asks again with ETag / Last-Modified so an unchanged feed costs one 304."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from index.errors import NewsbotError
from index.web.urls import host_of, is_web

USER_AGENT = "newsbot/0.1 (+https://github.com/newsbot; news question answering)"
ROBOTS_AGENT = "newsbot"
MAX_REDIRECTS = 5
# A robots.txt Crawl-delay is honoured up to this many seconds between requests.
MAX_CRAWL_DELAY = 60.0
PER_HOST = 2
ACCEPTED_TYPES = (
    "text/html", "application/xhtml+xml", "application/xml", "text/xml",
    "application/rss+xml", "application/atom+xml", "application/rdf+xml",
)
ACCEPT = "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9"


class FetchError(NewsbotError, RuntimeError):
    """A page or feed that could not be fetched; the message says why."""


@dataclass
class Fetched:
    url: str  # after redirects
    body: bytes
    content_type: str
    not_modified: bool = False


@dataclass
class Politeness:
    delay: float = 1.0  # seconds between two requests to one host
    timeout: float = 20.0
    max_bytes: int = 5_000_000


@dataclass
class _Host:
    slots: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(PER_HOST))
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0
    robots: RobotFileParser | None = None
    delay: float | None = None  # robots.txt's Crawl-delay, when longer than ours


class Fetcher:
    """One per index run. `validators` (ETag and Last-Modified by URL) persist in `state_file`."""

    def __init__(self, politeness: Politeness, state_file: Path | None = None):
        import httpx

        self.politeness = politeness
        self.state_file = state_file
        self.validators: dict[str, dict[str, str]] = _load(state_file)
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        timeout = httpx.Timeout(politeness.timeout, connect=min(10.0, politeness.timeout))
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT}, timeout=timeout, follow_redirects=False
        )

    def fetch(self, url: str, conditional: bool = True) -> Fetched:
        """The body at `url`; `not_modified` when it is unchanged since the last fetch."""
        import httpx

        asked = url  # a recheck looks up when this address, not where it redirected, was last checked
        for _ in range(MAX_REDIRECTS + 1):
            if not is_web(url):
                raise FetchError(f"{url}: only http(s) addresses are fetched")
            if not self._allowed(url):
                raise FetchError(f"{url}: robots.txt disallows it for {ROBOTS_AGENT}")
            headers = self._validators(url) if conditional else {}
            try:
                with self._turn(url):
                    with self._client.stream("GET", url, headers=headers) as response:
                        if response.status_code == 304:
                            self._checked(url, asked)
                            return Fetched(url, b"", "", not_modified=True)
                        if response.is_redirect:
                            location = response.headers.get("location", "")
                            if not location:
                                raise FetchError(f"{url}: HTTP {response.status_code} redirect without a location")
                            url = urljoin(url, location)
                            continue
                        if response.status_code >= 400:
                            raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
                        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                        if content_type and content_type not in ACCEPTED_TYPES:
                            raise FetchError(f"{url}: {content_type} is not a web page or feed; skipped")
                        body = self._read(url, response)
                        self._remember(url, response.headers)
                        self._checked(asked)
                        return Fetched(url, body, content_type)
            except httpx.TimeoutException:
                raise FetchError(f"{url}: no answer within {self.politeness.timeout:g} s") from None
            except httpx.HTTPError as error:
                raise FetchError(f"{url}: {error.__class__.__name__}: {error}") from None
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _read(self, url: str, response) -> bytes:
        cap = self.politeness.max_bytes
        started = time.monotonic()
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                raise FetchError(f"{url}: larger than the {cap / 1e6:g} MB cap; stopped reading there")
            if time.monotonic() - started > 2 * self.politeness.timeout:
                raise FetchError(f"{url}: still sending after {2 * self.politeness.timeout:g} s; stopped reading")
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
            robots = RobotFileParser()
            try:
                with self._turn(url):
                    response = self._client.get(f"{parts.scheme}://{parts.netloc}/robots.txt")
                if response.status_code >= 500:
                    robots.disallow_all = True  # as the robots.txt standard says for a server error
                elif response.status_code < 300:
                    robots.parse(response.text[: self.politeness.max_bytes].splitlines())
                else:
                    robots.allow_all = True
            except Exception:  # noqa: BLE001 - unreachable: the page fetch will say why
                robots.allow_all = True
            delay = robots.crawl_delay(ROBOTS_AGENT)
            host.delay = min(float(delay), MAX_CRAWL_DELAY) if delay else None
            host.robots = robots
        return host.robots.can_fetch(ROBOTS_AGENT, url)

    def _validators(self, url: str) -> dict[str, str]:
        known = self.validators.get(url, {})
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return headers

    def _remember(self, url: str, headers) -> None:
        entry = {"etag": headers.get("etag", ""), "last_modified": headers.get("last-modified", ""), "checked": time.time()}
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


def _load(state_file: Path | None) -> dict:
    if state_file is None:
        return {}
    try:
        return json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
