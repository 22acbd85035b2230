"""Background refresh: with NEWSBOT_REFRESH_MINUTES set, the bot indexes its sources again on that
interval in a worker thread, so questions keep being answered meanwhile and see new articles at once.
/reindex and the refresh take turns through the bot's index lock. After each round, the new articles
are matched against the follows and their alerts posted (the Follows cog also does so every minute)."""

import asyncio
import logging

from discord.ext import commands, tasks

log = logging.getLogger("newsbot.discord")


class Refresh(commands.Cog):
    def __init__(self, bot, minutes: float):
        self.bot = bot
        self.rounds = tasks.loop(seconds=minutes * 60)(self.refresh_once)

    async def cog_load(self) -> None:
        self.rounds.start()

    async def cog_unload(self) -> None:
        self.rounds.cancel()

    async def refresh_once(self) -> None:
        if self.bot.index_lock.locked():
            return  # a /reindex is running; the next round will catch up
        async with self.bot.index_lock:
            try:
                report = await asyncio.to_thread(self.bot.pipeline.index)
            except Exception as error:  # noqa: BLE001 - a failed round must not stop the next
                log.warning("background refresh failed: %s", error)
                return
        for problem in report.problems:
            log.warning("refresh skipped %s", problem)
        log.warning("background refresh: %s", report.summary_line())
        await self.bot.get_cog("Follows").round()  # new articles alert at once, not at the next minute
