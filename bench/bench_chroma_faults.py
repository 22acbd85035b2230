"""The Discord bot on a Chroma server that is killed and restarted under load, then a new article
from the writer.

A real `chroma run` on 127.0.0.1 holds the index (the seed article, written by `newsbot index` with
NEWSBOT_CHROMA_URL); a `newsbot discord --read-only` process reads it and answers `/ask`
interactions from the local stand-in, --concurrency at a time, each from a new user. After
--kill-after seconds the server is killed (SIGKILL), and started again on the same port and folder
--down seconds later. Each reply is counted as an answer, the "index is unavailable" reply, or
anything else (an apology or a traceback: a failure). Reported: the bot process still running,
failures, the seconds from the server answering again to the bot's next real answer, and then the
seconds from the writer starting to index a new article to the bot quoting it.

    python bench/bench_chroma_faults.py [--concurrency 10] [--kill-after 10] [--down 5] [--runs 3]
"""

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import median
from discord_load import ask

from tests.conftest import ChromaServer, free_port
from tests.discord_standin import SEED_ARTICLE, DiscordStandIn
from tests.test_chroma_server import FERRY

QUESTION = "Who heads the Ukrainian delegation?"
ANSWERED = "Umerov"
UNAVAILABLE = "unavailable"
NEW_QUESTION = "When will the ferry terminal open?"
USERS = itertools.count(1300000000000000000)


def index(folder: Path, data_dir: Path, url: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NEWSBOT_DATA_DIR": str(data_dir), "NEWSBOT_CHROMA_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "index", str(folder)], env=environment, check=True, capture_output=True
    )


async def one_run(args, work: Path) -> dict:
    port = free_port()
    corpus = work / "corpus"
    corpus.mkdir()
    (corpus / SEED_ARTICLE.name).write_text(SEED_ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    server = ChromaServer(work / "chroma-data", port=port)
    standin = await DiscordStandIn().start()
    bot = None
    outcomes: list[tuple[float, str]] = []  # (when the reply came, its kind)
    try:
        server.wait_until_ready()
        index(corpus, work / "writer", server.url)
        bot = await standin.start_newsbot(
            work / "bot", work / "bot.log", 600, "--read-only", NEWSBOT_CHROMA_URL=server.url
        )
        stop_at = None
        restarted_at = None

        async def asker():
            while stop_at is None or time.perf_counter() < stop_at:
                try:
                    _, body = await ask(standin, QUESTION, next(USERS), args.timeout)
                except TimeoutError:
                    outcomes.append((time.perf_counter(), "unanswered"))
                    continue
                text = body.get("content") or json.dumps(body.get("embeds") or [])
                kind = "answer" if ANSWERED in text else "unavailable" if UNAVAILABLE in text else "failure"
                outcomes.append((time.perf_counter(), kind))

        askers = [asyncio.create_task(asker()) for _ in range(args.concurrency)]
        await asyncio.sleep(args.kill_after)
        server.process.kill()
        server.process.wait()
        server.log.close()
        killed_at = time.perf_counter()
        await asyncio.sleep(args.down)
        server = ChromaServer(work / "chroma-data", port=port)
        await asyncio.to_thread(server.wait_until_ready)
        restarted_at = time.perf_counter()
        stop_at = restarted_at + args.after
        await asyncio.gather(*askers)

        (corpus / "ferry.txt").write_text(FERRY, encoding="utf-8")
        written = time.perf_counter()
        await asyncio.to_thread(index, corpus, work / "writer", server.url)
        while True:
            _, body = await ask(standin, NEW_QUESTION, next(USERS), args.timeout)
            if "May" in (body.get("content") or ""):
                break
            await asyncio.sleep(0.5)
        new_article = time.perf_counter() - written
        alive = bot.returncode is None
    finally:
        if bot is not None and bot.returncode is None:
            bot.terminate()
            await bot.wait()
        await standin.stop()
        server.stop()

    after_restart = [when for when, kind in outcomes if kind == "answer" and when >= restarted_at]
    log = (work / "bot.log").read_text(errors="replace")
    return {
        "replies": len(outcomes),
        "answers": sum(kind == "answer" for _, kind in outcomes),
        "unavailable_replies": sum(kind == "unavailable" for _, kind in outcomes),
        "failures": sum(kind in ("failure", "unanswered") for _, kind in outcomes),
        "bot_still_running": alive,
        "tracebacks_in_bot_log": log.count("Traceback"),
        "server_down_s": round(restarted_at - killed_at, 1),
        "answering_again_s": round(after_restart[0] - restarted_at, 2) if after_restart else None,
        "new_article_answered_s": round(new_article, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--kill-after", type=float, default=10, help="seconds of load before the server is killed")
    parser.add_argument("--down", type=float, default=5, help="seconds the server stays down")
    parser.add_argument("--after", type=float, default=15, help="seconds of load after it is back")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for each reply")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    runs = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="newsbot-faults-") as work:
            runs.append(asyncio.run(one_run(args, Path(work))))
        print(f"run {run + 1}: {json.dumps(runs[-1])}", flush=True)
    if len(runs) > 1:
        timed = ("answering_again_s", "new_article_answered_s", "server_down_s")
        summary = {key: median([r[key] for r in runs if r[key] is not None]) for key in timed}
        summary.update(
            {
                key: sum(r[key] for r in runs)
                for key in ("replies", "answers", "unavailable_replies", "failures", "tracebacks_in_bot_log")
            }
        )
        summary["bot_still_running"] = all(r["bot_still_running"] for r in runs)
        print(f"medians and totals: {json.dumps(summary)}")
    return 0 if all(r["failures"] == 0 and r["bot_still_running"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
