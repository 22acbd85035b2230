"""A real HTTP news site on 127.0.0.1 for the web tests: feeds, sitemaps and article pages the test
changes as it goes, ETag / 304 handling, robots.txt, and the hostile answers (errors, a hang, a
redirect loop, an endless body, a PDF). It records every request."""

import hashlib
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict = field(default_factory=dict)
    behaviour: str = ""  # "hang", "endless", "drip" (the whole response a byte a second) or ""


class NewsServer:
    def __init__(self, host: str = "127.0.0.1"):
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str, int]] = []  # (method, path with query, status)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server._serve(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def set(
        self,
        path: str,
        body: str | bytes = b"",
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        behaviour: str = "",
        **headers,
    ) -> None:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self.routes[path] = Route(raw, content_type, status, headers, behaviour)

    def remove(self, path: str) -> None:
        with self._lock:
            self.routes.pop(path, None)

    def hits(self, path: str) -> list[int]:
        """Statuses answered to requests for `path` (query included)."""
        with self._lock:
            return [status for _, requested, status in self.requests if requested == path]

    def forget_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def close(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self._lock:
            route = self.routes.get(path) or self.routes.get(path.split("?")[0])
        if route is None:
            route = Route(b"not found", "text/plain", 404)
        etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
        if route.status == 200 and not route.behaviour and handler.headers.get("If-None-Match") == etag:
            self._record(path, 304)
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.end_headers()
            return
        self._record(path, route.status)
        if route.behaviour == "hang":
            self._stop.wait(60)
            return
        if route.behaviour == "drip":
            head = f"HTTP/1.1 {route.status} OK\r\nContent-Type: {route.content_type}\r\nContent-Length: {len(route.body)}\r\n\r\n"
            try:
                for byte in head.encode() + route.body:
                    handler.wfile.write(bytes([byte]))
                    handler.wfile.flush()
                    if self._stop.wait(1.0):
                        return
            except OSError:
                pass
            return
        handler.send_response(route.status)
        handler.send_header("Content-Type", route.content_type)
        for name, value in route.headers.items():
            handler.send_header(name.replace("_", "-"), value)
        if route.behaviour == "endless":
            handler.end_headers()
            block = b"<p>" + b"x" * 65_536 + b"</p>"
            try:
                for _ in range(800):  # 50 MB, unless the client stops reading first
                    handler.wfile.write(block)
            except OSError:
                pass
            return
        if route.status == 200:
            handler.send_header("ETag", etag)
        handler.send_header("Content-Length", str(len(route.body)))
        handler.end_headers()
        handler.wfile.write(route.body)

    def _record(self, path: str, status: int) -> None:
        with self._lock:
            self.requests.append(("GET", path, status))


def article_page(
    title: str, paragraphs: list[str], published: str = "", canonical: str = "", site: str = "Harbour Gazette"
) -> str:
    head = [
        f"<title>{escape(title)} | {escape(site)}</title>",
        f'<meta property="og:site_name" content="{escape(site)}">',
    ]
    if published:
        head.append(f'<meta property="article:published_time" content="{published}">')
    if canonical:
        head.append(f'<link rel="canonical" href="{escape(canonical)}">')
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head>{''.join(head)}</head><body>"
        f"<nav><a href='/'>Home</a> <a href='/about'>About us</a></nav>"
        f"<article><h1>{escape(title)}</h1>{body}</article>"
        f"<footer>Copyright Harbour Gazette. All rights reserved.</footer></body></html>"
    )


def rss(title: str, items: list[tuple[str, str, str]]) -> str:
    """items: (title, link, ISO date)."""
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link>"
        f"<pubDate>{format_datetime(datetime.fromisoformat(d).replace(tzinfo=UTC))}</pubDate></item>"
        for t, link, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{escape(title)}</title><link>http://x/</link><description>d</description>{entries}</channel></rss>'


def atom(title: str, items: list[tuple[str, str, str]]) -> str:
    entries = "".join(
        f'<entry><title>{escape(t)}</title><link href="{escape(link)}"/><id>{escape(link)}</id><updated>{d}T08:00:00Z</updated></entry>'
        for t, link, d in items
    )
    return f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(title)}</title><id>urn:x</id><updated>2026-01-01T00:00:00Z</updated>{entries}</feed>'


def sitemap(items: list[tuple[str, str]]) -> str:
    urls = "".join(f"<url><loc>{escape(link)}</loc><lastmod>{d}</lastmod></url>" for link, d in items)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def wait_for(condition, timeout: float, message: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"waited {timeout:g} s: {message}")
