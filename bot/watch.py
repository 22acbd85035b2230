"""`newsbot watch`: index the sources, then again and again, until Ctrl-C or SIGTERM.

Each round fetches the web sources that are due (a source in sources.toml may set its own interval)
and reads the files again. A signal between rounds ends the wait at once; one during a round stops
it where it is, keeping the batches already committed.
"""

import logging
import signal
import sys
import threading
import time
from datetime import datetime

log = logging.getLogger("newsbot")


class Stop(Exception):
    """SIGTERM during a round."""


def watch(pipeline, given: list, every: float, on_report) -> int:
    """Rounds until a signal; `on_report(report)` prints each round's problems."""
    stopping = threading.Event()
    in_round = threading.Event()

    def on_signal(number, frame):
        stopping.set()
        if in_round.is_set():
            raise Stop  # the round stops where it is; its committed batches stay

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    last_fetch: dict[str, float] = {}
    try:
        while not stopping.is_set():
            _, web = pipeline.sources(given)
            now = time.monotonic()
            due = [source for source in web if now - last_fetch.get(source.url, -1e18) >= (source.every or every) - 1]
            in_round.set()
            try:
                report = pipeline.index(given, only_web=due, wait=every, on_wait=lambda holder: log.warning("waiting for %s", holder))
            except Stop:
                break
            except Exception as error:  # noqa: BLE001 - one bad round must not end the watch
                log.error("this round failed: %s; trying again next round", error)
                report = None
            finally:
                in_round.clear()
            for source in due:
                last_fetch[source.url] = now
            if report is not None:
                on_report(report)
                print(f"{datetime.now():%H:%M:%S} {report.summary_line()}", flush=True)
            waits = [(source.every or every) - (time.monotonic() - last_fetch.get(source.url, 0)) for source in web]
            stopping.wait(max(1.0, min([every, *waits])))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("newsbot: watch stopped", file=sys.stderr)
    return 0
