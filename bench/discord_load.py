"""Load on the Discord bot: the real `newsbot discord` process against the local stand-in.

It fires `/ask` interactions built from a questions file, at most --concurrency at a time, each
from a different user (so the per-user cooldown stays out of the way), and measures:
  - p50/p95 ms from INTERACTION_CREATE to the final response (the edited answer, or the private
    refusal of a bad question);
  - max_loop_lag_ms: the longest the bot's event loop took to answer a gateway heartbeat request,
    sent every 0.7 s while the load runs (discord.py answers it on the loop, so a loop busy with
    a model would show here);
  - mentions_in_replies: replies that could ping someone (live @everyone/@here, <@id>, <@&id>,
    or allowed_mentions that permit any).

With --shards 2, two `newsbot discord --read-only` processes split two servers' shards over one
index (built first), questions alternate between the servers, and the loop lag is the worst of both.

    python bench/discord_load.py --questions bench/questions/seed.jsonl --concurrency 10 --json
    python bench/discord_load.py --concurrency 50 --repeat 5 --shards 2
"""

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, median, percentile, read_jsonl

from tests.discord_standin import GUILD_ID, SECOND_GUILD_ID, SEED_ARTICLE, DiscordStandIn

LIVE_MENTION = re.compile(r"@(everyone|here)\b|<@[!&]?\d+>")
APOLOGY = "something went wrong"
PROBE_SECONDS = 0.7  # discord.py lets 110 gateway messages out per minute; heartbeat replies count


def could_ping(payload: dict) -> bool:
    allowed = payload.get("allowed_mentions")
    if allowed is None or allowed.get("parse") or allowed.get("users") or allowed.get("roles"):
        return True
    texts = [payload.get("content") or ""]
    for embed in payload.get("embeds") or []:
        texts += [embed.get("title", ""), embed.get("description", "")]
        texts += [f.get("name", "") + f.get("value", "") for f in embed.get("fields", [])]
    return any(LIVE_MENTION.search(text) for text in texts)


async def ask(
    standin: DiscordStandIn, question: str, user_id: int, timeout: float, guild_id: int = GUILD_ID
) -> tuple[float, dict]:
    """(ms to the final response, its payload)."""
    payload = standin.interaction("ask", {"question": question}, user_id=user_id, guild_id=guild_id)
    token = payload["token"]
    mark = len(standin.requests)
    started = time.perf_counter()
    await standin.dispatch("INTERACTION_CREATE", payload, shard=standin.shard_of(guild_id))

    def final(request) -> bool:
        if token not in request.path:
            return False
        if request.path.endswith("/callback"):
            return request.json.get("type") == 4  # answered at once: a bad question, a cooldown
        return request.method == "PATCH"

    request = await standin.wait_for_request(final, timeout=timeout, after=mark)
    body = request.json if request.method == "PATCH" else request.json.get("data", {})
    return (time.perf_counter() - started) * 1000, body


async def run(
    questions: list[str], concurrency: int, data_dir: Path, timeout: float, shards: int = 1, reuse: bool = False
) -> dict:
    standin = await DiscordStandIn().start()
    processes = []
    try:
        queue = str(max(100, len(questions)))
        if shards == 1:
            # An index given with --data-dir is only read: indexing the stand-in's seed article into it
            # would remove every other article.
            flags = ("--read-only",) if reuse else ()
            processes.append(
                await standin.start_newsbot(
                    data_dir, data_dir.parent / f"{data_dir.name}-bot.log", 600, *flags, NEWSBOT_DISCORD_MAX_QUEUE=queue
                )
            )
        else:
            import os
            import subprocess

            if not reuse:
                environment = {**os.environ, "NEWSBOT_DATA_DIR": str(data_dir), "NEWSBOT_SOURCES": str(SEED_ARTICLE)}
                subprocess.run(
                    [sys.executable, "-m", "bot.cli", "index"], env=environment, check=True, capture_output=True
                )
            for shard in range(shards):
                processes.append(
                    await standin.start_newsbot(
                        data_dir,
                        data_dir.parent / f"{data_dir.name}-shard{shard}.log",
                        600,
                        "--read-only",
                        "--shards",
                        str(shard),
                        "--shard-count",
                        str(shards),
                        shard=shard,
                        NEWSBOT_DISCORD_MAX_QUEUE=queue,
                    )
                )
        guilds = [GUILD_ID] if shards == 1 else [GUILD_ID, SECOND_GUILD_ID]
        lags: list[float] = []
        running = True

        async def probe():
            while running:
                for shard in [None] if shards == 1 else range(shards):
                    lags.append(await standin.probe_loop_lag(shard))
                await asyncio.sleep(PROBE_SECONDS)

        prober = asyncio.create_task(probe())
        slots = asyncio.Semaphore(concurrency)
        timings: list[float] = []
        replies: list[dict] = []
        unanswered = 0

        async def one(n: int, question: str):
            nonlocal unanswered
            async with slots:
                try:
                    ms, body = await ask(standin, question, 1200000000000000000 + n, timeout, guilds[n % len(guilds)])
                except TimeoutError:
                    unanswered += 1
                    return
                timings.append(ms)
                replies.append(body)

        await asyncio.gather(*(one(n, q) for n, q in enumerate(questions)))
        running = False
        await prober
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await process.wait()
        await standin.stop()

    apologies = sum(APOLOGY in (body.get("content") or "") for body in replies)
    return {
        "sent": len(questions),
        "answered": len(replies) - apologies,
        "errors": unanswered + apologies,
        "p50_ms": round(percentile(timings, 0.5), 1) if timings else None,
        "p95_ms": round(percentile(timings, 0.95), 1) if timings else None,
        "max_loop_lag_ms": round(max(lags), 1) if lags else None,
        "mentions_in_replies": sum(could_ping(body) for body in replies),
    }


def median_of(key: str, runs: list[dict]):
    """Counts add up over runs (every error and mention counts); timings are medians."""
    values = [run[key] for run in runs]
    if key in ("sent", "answered", "errors", "mentions_in_replies"):
        return sum(values)
    values = [value for value in values if value is not None]
    return round(median(values), 1) if values else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--questions",
        type=Path,
        default=ROOT / "bench/questions/seed.jsonl",
        help='JSONL with {"q": ...} or {"question": ...} lines (an eval set\'s questions.jsonl)',
    )
    parser.add_argument("--concurrency", type=int, default=10, help="interactions in flight at once (default 10)")
    parser.add_argument("--repeat", type=int, default=1, help="send the questions this many times (default 1)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="read this data dir's index, never writing it (default: a fresh one on the seed article)",
    )
    parser.add_argument("--runs", type=int, default=1, help="whole runs (a fresh bot each); figures are their medians")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for each answer")
    parser.add_argument(
        "--shards", type=int, default=1, choices=(1, 2), help="bot processes, one shard each (default 1)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    questions = [str(row.get("q", row.get("question", ""))) for row in read_jsonl(args.questions)] * args.repeat
    runs = []
    with tempfile.TemporaryDirectory(prefix="newsbot-load-") as scratch:
        data_dir = args.data_dir or Path(scratch) / "data"
        for _ in range(args.runs):
            runs.append(
                asyncio.run(
                    run(
                        questions,
                        args.concurrency,
                        data_dir,
                        args.timeout,
                        args.shards,
                        reuse=args.data_dir is not None,
                    )
                )
            )
    result = {key: median_of(key, runs) for key in runs[0]}
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:20} {value}")
    return 0 if result["errors"] == 0 and result["mentions_in_replies"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
