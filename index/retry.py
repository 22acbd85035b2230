"""One way to try again: exponential backoff, for the index's Chroma server and the answerer's
model server alike."""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from index.errors import first_line

log = logging.getLogger(__name__)
T = TypeVar("T")


def with_backoff(
    work: Callable[[], T],
    *,
    worth_retrying: Callable[[Exception], bool],
    retries: int,
    first_wait: float,
    deadline: float | None = None,
    what: str = "the call",
) -> T:
    """`work()`, done again after `first_wait`, then twice as long each time, while the failure is
    `worth_retrying`, `retries` remain and the wait ends before `deadline` (time.monotonic())."""
    attempt = 0
    while True:
        try:
            return work()
        except Exception as error:
            wait = first_wait * 2**attempt
            if (
                attempt >= retries
                or not worth_retrying(error)
                or (deadline is not None and time.monotonic() + wait >= deadline)
            ):
                raise
            log.warning("%s failed (%s); trying again in %.1f s", what, first_line(error), wait)
            time.sleep(wait)
            attempt += 1
