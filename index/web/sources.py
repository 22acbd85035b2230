"""Web sources: addresses given on the command line or in NEWSBOT_SOURCES, and the optional
sources.toml that names each with its options.

    [[source]]
    url = "https://example.com/news/rss.xml"
    name = "Example News"      # the publisher shown in answers (default: the page's own)
    every = "15m"              # how often `newsbot watch` fetches it (default: --every)
    limit = 50                 # newest entries taken per fetch
    include = ["*/news/*"]     # only links matching one of these (shell-style patterns)
    exclude = ["*/video/*"]    # never links matching one of these
"""

import fnmatch
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from index.errors import NewsbotError
from index.web.urls import canonical_url

SOURCES_FILE = "sources.toml"
DEFAULT_LIMIT = 50
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
UNIT_SECONDS = {"": 60, "s": 1, "m": 60, "h": 3600, "d": 86400}


class SourcesError(NewsbotError, ValueError):
    """A sources.toml newsbot cannot use; the message names the file and the entry."""


@dataclass(frozen=True)
class WebSource:
    url: str
    name: str = ""
    every: float | None = None  # seconds
    limit: int = DEFAULT_LIMIT
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def wants(self, url: str) -> bool:
        if self.include and not any(_matches(url, pattern) for pattern in self.include):
            return False
        return not any(_matches(url, pattern) for pattern in self.exclude)


def parse_duration(text: str) -> float:
    """Seconds in "90s", "15m", "2h", "1d" or a bare number of minutes."""
    match = DURATION.match(str(text))
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration like 30s, 15m, 2h or 1d")
    return float(match.group(1)) * UNIT_SECONDS[match.group(2)]


def find_sources_file(data_dir: Path) -> Path | None:
    for folder in (Path(data_dir), Path.cwd()):
        if (folder / SOURCES_FILE).is_file():
            return folder / SOURCES_FILE
    return None


def load_sources_file(path: Path) -> list[WebSource]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise SourcesError(f"{path}: cannot be read ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise SourcesError(f"{path}: not valid TOML ({error})") from None
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise SourcesError(f"{path}: write each source as a [[source]] table")
    sources = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}, source {number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise SourcesError(f'{where}: needs url = "https://..."')
        url = canonical_url(entry["url"])
        if not url:
            raise SourcesError(f"{where}: {entry['url']!r} is not an http(s) address")
        unknown = set(entry) - {"url", "name", "every", "limit", "include", "exclude"}
        if unknown:
            raise SourcesError(f"{where}: unknown option {', '.join(sorted(unknown))}")
        try:
            every = parse_duration(entry["every"]) if "every" in entry else None
        except ValueError as error:
            raise SourcesError(f"{where}: every = {error}") from None
        limit = entry.get("limit", DEFAULT_LIMIT)
        if not isinstance(limit, int) or limit < 1:
            raise SourcesError(f"{where}: limit must be a whole number of entries, at least 1")
        patterns = {}
        for key in ("include", "exclude"):
            value = entry.get(key, [])
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise SourcesError(f"{where}: {key} must be a list of URL patterns")
            patterns[key] = tuple(value)
        sources.append(
            WebSource(url, str(entry.get("name", "")), every, limit, patterns["include"], patterns["exclude"])
        )
    return sources


def web_sources(urls: list[str], configured: list[WebSource]) -> list[WebSource]:
    """The configured sources, then any other address given, each once."""
    by_url = {source.url: source for source in configured}
    for url in urls:
        canonical = canonical_url(url)
        by_url.setdefault(canonical, WebSource(canonical))
    return list(by_url.values())


def _matches(url: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(url, pattern) if any(c in pattern for c in "*?[") else pattern in url
