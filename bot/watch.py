"""`newsbot watch`: index the sources, then again and again, until Ctrl-C or SIGTERM.

Each round fetches the web sources that are due (a source in sources.toml may set its own interval)
and reads the files again. A signal between rounds ends the wait at once; one during a round stops
it where it is, keeping the batches already committed.
"""

import json
import logging
import os
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

log = logging.getLogger("newsbot")


class Stop(Exception):
    """SIGTERM during a round."""


# For the delivery tests only: while the file this names exists, alerts and corrections wait between
# being matched and being printed, so a test can kill the process exactly there.
HOLD_DELIVERY = "NEWSBOT_TEST_HOLD_DELIVERY"


def watch(pipeline, given: list, every: float, on_report, as_json: bool = False) -> int:
    """Rounds until a signal; `on_report(report)` prints each round's problems. After each round the
    new articles are matched against the follows, and the terminal's alerts printed."""
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
                report = pipeline.index(
                    given, only_web=due, wait=every, on_wait=lambda holder: log.warning("waiting for %s", holder)
                )
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
                print(
                    f"{datetime.now():%H:%M:%S} {report.summary_line()}",
                    file=sys.stderr if as_json else sys.stdout,
                    flush=True,
                )
            try:
                pipeline.following.after_round()
                deliver_to_terminal(pipeline.following.store, as_json)
            except Exception as error:  # noqa: BLE001 - alerts wait for the next round; the watch goes on
                log.error("matching or printing the follows' alerts failed: %s; trying again next round", error)
            try:
                deliver_corrections_to_terminal(pipeline.memory.store, as_json)
            except Exception as error:  # noqa: BLE001 - corrections wait for the next round; the watch goes on
                log.error("printing the answers' corrections failed: %s; trying again next round", error)
            waits = [(source.every or every) - (time.monotonic() - last_fetch.get(source.url, 0)) for source in web]
            stopping.wait(max(1.0, min([every, *waits])))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("newsbot: watch stopped", file=sys.stderr)
    return 0


def deliver_to_terminal(store, as_json: bool) -> None:
    """Print the terminal's pending alerts, updates and digests, each marked delivered once printed."""
    from bot.render import render_follow_message

    if not store.exists():
        return
    hold = os.environ.get(HOLD_DELIVERY)
    while hold and Path(hold).exists():
        time.sleep(0.2)
    while (message := store.claim_next(terminal=True)) is not None:
        print(
            json.dumps(message.payload, ensure_ascii=False) if as_json else render_follow_message(message.payload),
            flush=True,
        )
        store.delivered(message.id)


def deliver_corrections_to_terminal(store, as_json: bool) -> None:
    """Print the corrections of answers given in a terminal (the REPL, `newsbot ask`), each marked
    delivered once printed; with --json, one {"type": "answer_corrected", …} line each."""
    from bot.memory.store import CLI, REPL
    from bot.render import render_correction

    if not store.exists():
        return
    hold = os.environ.get(HOLD_DELIVERY)
    while hold and Path(hold).exists():
        time.sleep(0.2)
    while (claimed := store.claim_next([REPL, CLI])) is not None:
        correction, answer = claimed
        payload = {**correction.payload, "question": answer.question}
        print(
            json.dumps(payload, ensure_ascii=False) if as_json else render_correction(payload, answer.question),
            flush=True,
        )
        store.delivered(correction.id)
