"""What the libraries that read HTML (trafilatura and the ones it calls) log while reading a page,
said again by newsbot with the page it came from, since their own lines name none."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

LIBRARIES = ("trafilatura", "htmldate", "courlan", "justext")
# Said better by newsbot's own reason for skipping the page ("no article text found …").
REDUNDANT = ("discarding data",)
_page: ContextVar[str] = ContextVar("page", default="")
log = logging.getLogger("newsbot.read")


class _ByPage(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(REDUNDANT):
            return
        library = record.name.split(".")[0]
        log.log(record.levelno, "%s: %s, reading it, said: %s", _page.get() or "a page", library, message)


@contextmanager
def reading(page: str) -> Iterator[None]:
    """Within the block, the HTML libraries' log lines name `page`."""
    _install()
    token = _page.set(page)
    try:
        yield
    finally:
        _page.reset(token)


@cache
def _install() -> None:
    handler = _ByPage()
    for name in LIBRARIES:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.propagate = False
