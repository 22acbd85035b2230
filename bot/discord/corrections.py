"""Corrections of the bot's own answers, said where the answer was.

Every ROUND_SECONDS, and after each index round in this process, the remembered answers are checked
against what the index changed (bot/memory/memory.py), and each pending correction of a Discord
answer is delivered: the answer's message is edited to carry one line under the answer ("⚠️
Corrected 7 Dec: the article now says “…” [3]") with the new sentence's source, and a short reply
goes into the answer's channel or thread. Nobody is mentioned. The edit is the same however often it
is tried, and the reply carries a nonce Discord enforces, so a delivery retried after a kill posts
nothing twice. A message that is gone or can't be edited gets the reply alone; when nothing can be
posted the correction is dropped and logged. Other failures (rate limits, outages) leave it for the
next round, and never hold up answering.
"""

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.discord.render import render_correction
from bot.discord.replies import send_kwargs
from bot.memory.store import DISCORD, Correction, Remembered

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot

log = logging.getLogger("newsbot.discord")

ROUND_SECONDS = 60


def nonce_of(correction: Correction) -> str:
    """Discord keeps a nonce (25 characters at most) a few minutes: a retried reply is not posted again."""
    return f"newsbot-fix-{correction.id}"[:25]


class Corrections(commands.Cog):
    def __init__(self, newsbot: "NewsBot"):
        self.bot = newsbot
        self.rounds = tasks.loop(seconds=ROUND_SECONDS)(self.round)
        self.rounds.before_loop(self.bot.wait_until_ready)

    async def cog_load(self) -> None:
        self.rounds.start()

    async def cog_unload(self) -> None:
        self.rounds.cancel()

    @property
    def memory(self):
        return self.bot.pipeline.memory

    async def round(self) -> None:
        """Check the remembered answers against what the index changed, then deliver what is pending."""
        try:
            await asyncio.to_thread(self.memory.after_round)
            await self.deliver()
        except Exception as error:  # noqa: BLE001 - corrections wait for the next round
            log.warning("checking or posting the answers' corrections failed: %s", error)

    async def deliver(self) -> int:
        """Post the pending corrections of Discord answers; how many were posted."""
        store = self.memory.store
        if not store.exists():
            return 0
        posted, failed = 0, set[int]()
        # An answer whose correction failed gets nothing more this round: its lines stay in order.
        while (claimed := await asyncio.to_thread(store.claim_next, [DISCORD], failed)) is not None:
            correction, answer = claimed
            try:
                result = await self._post(correction, answer)
            except discord.HTTPException as error:
                failed.add(answer.id)
                await asyncio.to_thread(store.release, correction.id)
                log.warning(
                    "posting the correction of answer #%s failed (%s); trying again next round", answer.id, error
                )
                continue
            if result is None:
                await asyncio.to_thread(store.drop, correction.id)
                continue
            reply_id, shown = result
            await asyncio.to_thread(store.delivered, correction.id, reply_id, shown)
            posted += 1
        return posted

    async def _post(self, correction: Correction, answer: Remembered) -> tuple[int | None, dict] | None:
        """Edit the answer and reply under it: (the reply's id, the answer as it now reads), or None
        when neither could be posted."""
        place = answer.place
        if place.channel_id is None:
            log.warning("answer #%s names no channel; its correction is dropped", answer.id)
            return None
        shown = place.shown or {}
        edited, reply, cited = render_correction(correction.payload, shown)
        channel = self.bot.get_partial_messageable(place.channel_id, guild_id=place.guild_id)
        now_shown = shown
        if edited is not None and place.message_id:
            try:
                await channel.get_partial_message(place.message_id).edit(**send_kwargs(edited))
                now_shown = {"content": edited.content, "embeds": list(edited.embeds), "cited": cited}
            except (discord.Forbidden, discord.NotFound) as error:
                log.warning("could not edit answer #%s (%s); replying only", answer.id, error.text or error.status)
        kwargs = send_kwargs(reply)
        if place.message_id:
            kwargs["reference"] = discord.MessageReference(
                message_id=place.message_id, channel_id=place.channel_id, fail_if_not_exists=False
            )
        try:
            sent = await channel.send(**kwargs, mention_author=False, nonce=nonce_of(correction))
        except (discord.Forbidden, discord.NotFound) as error:
            if now_shown is shown:
                log.warning(
                    "the correction of answer #%s could be posted nowhere (%s); dropped",
                    answer.id,
                    error.text or error.status,
                )
                return None
            return None, now_shown  # edited, but no reply could be posted: the edit is enough
        return sent.id, now_shown
