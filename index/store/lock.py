"""The writer's lock, kept in Chroma's meta collection where every writer, on any machine, sees
it. A holder refreshes it; one not refreshed for LOCK_STALE seconds was killed."""

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from index.errors import NewsbotError, first_line

log = logging.getLogger(__name__)

LOCK_REFRESH = 20
LOCK_STALE = 120


class IndexBusy(NewsbotError, RuntimeError):
    """Another writer is updating this index."""


class WriterLock:
    """Holding the lock; mixed into ChunkStore, whose meta records it uses."""

    @contextmanager
    def writing(self, wait: float = 0.0, on_wait=None) -> Iterator[None]:
        """Hold the index's writer lock (kept in Chroma, where every writer sees it) for the block.
        A lock held by another live writer is waited for up to `wait` seconds, then refused."""
        holder = f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:6]})"
        deadline = time.monotonic() + wait
        told = False
        while not self._take_lock(holder):
            if time.monotonic() >= deadline:
                raise IndexBusy(f"another writer is updating the index: {self.lock_holder()}")
            if on_wait and not told:
                on_wait(self.lock_holder())
                told = True
            time.sleep(1.0)
        stop = threading.Event()
        keeper = threading.Thread(target=self._keep_lock, args=(holder, stop), daemon=True, name="newsbot-lock")
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join()
            self.delete_meta("writer")

    def lock_holder(self) -> str:
        found = self.meta("writer")
        return found["holder"] if found else "nobody"

    def _take_lock(self, holder: str) -> bool:
        found = self.meta("writer")
        if found and not _lock_is_stale(found):
            return False
        self.set_meta(
            "writer", {"holder": holder, "host": socket.gethostname(), "pid": os.getpid(), "beat": time.time()}
        )
        time.sleep(0.05)  # a rival who read the same stale lock has written by now; the last write wins
        return (self.meta("writer") or {}).get("holder") == holder

    def _keep_lock(self, holder: str, stop: threading.Event) -> None:
        while not stop.wait(LOCK_REFRESH):
            try:
                self.set_meta(
                    "writer", {"holder": holder, "host": socket.gethostname(), "pid": os.getpid(), "beat": time.time()}
                )
            except Exception as error:  # noqa: BLE001 - a server away for a moment; the next beat will do
                log.warning("could not refresh the writer's lock: %s", first_line(error))


def _lock_is_stale(lock: dict) -> bool:
    if time.time() - float(lock.get("beat", 0)) > LOCK_STALE:
        return True
    # A writer on this machine whose process is gone was killed: no need to wait for its lock to age.
    if lock.get("host") == socket.gethostname() and lock.get("pid") != os.getpid():
        try:
            os.kill(int(lock["pid"]), 0)
        except ProcessLookupError:
            return True
        except (OSError, ValueError, KeyError):
            return False
    return False
