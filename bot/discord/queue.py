"""The bounded queue every question waits in: answers run in worker threads, so the event loop
(and the gateway heartbeat) never waits for a model."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from index.errors import NewsbotError

BUSY = "I'm answering a lot of questions right now; please ask again in a minute."


class QueueFull(NewsbotError, RuntimeError):
    """More questions are waiting than NEWSBOT_DISCORD_MAX_QUEUE allows."""


class AnswerQueue:
    """At most `max_in_flight` questions are worked on at once, in worker threads, so the event
    loop (and the gateway heartbeat) never waits for a model; up to `max_queue` more wait in order."""

    def __init__(self, max_in_flight: int, max_queue: int):
        self.max_in_flight = max_in_flight
        self.max_queue = max_queue
        self.pending = 0
        self._slots = asyncio.Semaphore(max_in_flight)
        self._workers = ThreadPoolExecutor(max_in_flight, thread_name_prefix="newsbot-answer")

    async def run(self, work, *args):
        if self.pending >= self.max_in_flight + self.max_queue:
            raise QueueFull(BUSY)
        self.pending += 1
        try:
            async with self._slots:
                return await asyncio.get_running_loop().run_in_executor(self._workers, work, *args)
        finally:
            self.pending -= 1

    def close(self) -> None:
        self._workers.shutdown(wait=False, cancel_futures=True)
