"""`/follow topic [channel]`, `/unfollow id`, `/follows`, and the delivery of follows' alerts.

Every ROUND_SECONDS, and after each background refresh, the articles the index added since the
last round are matched against this process's follows (in its data dir) and the pending messages
are posted; a read-only bot beside a separate `newsbot watch` writer does the same. Each message is
claimed before it is sent, so two processes sharing a data dir never post it twice. An alert is
one embed in the follow's channel; updates to its story go into a thread on it (into the channel
when no thread can be made). When the bot can no longer post in a channel, the follow is paused and
its owner told once, privately.
"""

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.discord.queue import QueueFull
from bot.discord.render import DiscordMessage, render_backtest, render_follow_message, shorten
from bot.discord.replies import NO_MENTIONS, apology, send_kwargs
from bot.follows.rounds import BACKTEST_DAYS
from bot.follows.store import FollowError, Message

log = logging.getLogger("newsbot.discord")

# Discord's error code when a message already has a thread.
THREAD_EXISTS = 160004
# A story's thread is archived after a week without updates (Discord's longest).
THREAD_ARCHIVE_MINUTES = 10080
ROUND_SECONDS = 60


def owner_of(user_id: int) -> str:
    return f"discord:{user_id}"


class Follows(commands.Cog):
    def __init__(self, newsbot: commands.Bot):
        self.bot = newsbot
        self.rounds = tasks.loop(seconds=ROUND_SECONDS)(self.round)
        self.rounds.before_loop(self.bot.wait_until_ready)

    async def cog_load(self) -> None:
        self.rounds.start()

    async def cog_unload(self) -> None:
        self.rounds.cancel()

    async def round(self) -> None:
        """Match what the index added since the last round, then post what is pending."""
        try:
            await asyncio.to_thread(self.following.after_round)
            await self.deliver()
        except Exception as error:  # noqa: BLE001 - alerts wait for the next round
            log.warning("matching or posting the follows' alerts failed: %s", error)

    @property
    def following(self):
        return self.bot.pipeline.following

    @app_commands.command(
        name="follow", description="Follow a topic: one alert per new story about it, in this channel"
    )
    @app_commands.describe(topic="What to follow, e.g. bird flu", channel="Where alerts go (default: this channel)")
    @app_commands.guild_only()
    async def follow(
        self, interaction: discord.Interaction, topic: str, channel: discord.TextChannel | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        target = channel or interaction.channel
        member = interaction.user
        if (
            channel is not None
            and isinstance(member, discord.Member)
            and not channel.permissions_for(member).send_messages
        ):
            message = DiscordMessage(f"You can't post in {channel.mention}, so alerts can't go there either.")
        else:
            try:
                follow, hits = await self.bot.answers.run(
                    self.following.add, owner_of(member.id), topic, interaction.guild_id, target.id
                )
                message = render_backtest(follow.topic, hits, BACKTEST_DAYS, follow.id)
            except FollowError as error:
                message = DiscordMessage(f"Not followed: {error}.")
            except QueueFull as error:
                message = DiscordMessage(str(error))
            except Exception as error:
                message = DiscordMessage(apology(error))
        await interaction.followup.send(ephemeral=True, **send_kwargs(message))

    @app_commands.command(name="unfollow", description="Stop following a topic")
    @app_commands.describe(id="The follow's number, from /follows")
    async def unfollow(self, interaction: discord.Interaction, id: int) -> None:  # noqa: A002 - the option's name in Discord
        try:
            removed = await asyncio.to_thread(self.following.remove, owner_of(interaction.user.id), id)
            text = f"No longer following “{shorten(removed.topic, 200)}” (#{removed.id})."
        except FollowError as error:
            text = f"Nothing removed: {error}."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="follows", description="The topics you follow")
    async def follows(self, interaction: discord.Interaction) -> None:
        mine = await asyncio.to_thread(self.following.follows, owner_of(interaction.user.id))
        if not mine:
            text = "You follow nothing yet: try `/follow topic: bird flu`."
        else:
            lines = [
                f"**#{follow.id}** {discord.utils.escape_mentions(follow.topic)} → <#{follow.channel_id}>"
                + (f" (paused: {follow.paused})" if follow.paused else "")
                for follow in mine
            ]
            text = "You follow:\n" + "\n".join(lines)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def deliver(self) -> int:
        """Post the pending alerts, updates and digests; how many were posted."""
        store = self.following.store
        if not store.exists():
            return 0
        posted, failed = 0, set()
        # A follow whose message failed sends nothing more this round: its later updates wait for their alert.
        while (message := await asyncio.to_thread(store.claim_next, False, failed)) is not None:
            follow = await asyncio.to_thread(store.follow, message.follow_id)
            if follow is None:  # removed since the claim
                failed.add(message.follow_id)
                continue
            try:
                sent = await self._post(message, follow)
            except discord.HTTPException as error:
                failed.add(follow.id)
                await asyncio.to_thread(store.release, message.id)
                if isinstance(error, discord.Forbidden | discord.NotFound):
                    await self._pause(follow, error)
                else:
                    log.warning(
                        "posting follow #%s's %s failed (%s); trying again next round", follow.id, message.kind, error
                    )
                continue
            await asyncio.to_thread(store.delivered, message.id, sent.id)
            posted += 1
        return posted

    async def _post(self, message: Message, follow) -> discord.Message:
        rendered = render_follow_message(message.payload)
        channel = self.bot.get_partial_messageable(follow.channel_id, guild_id=follow.guild_id)
        alert = store_alert = None
        if message.kind == "update":
            store_alert = self.following.store.alert_of(follow.id, message.story_id)
            alert = store_alert.message_id if store_alert else None
        if alert is None:
            return await channel.send(**send_kwargs(rendered))
        try:
            # Through the HTTP client: the alert's server may be on another shard, so not cached here.
            await self.bot.http.start_thread_with_message(
                follow.channel_id,
                alert,
                name=shorten(store_alert.payload.get("title") or follow.topic, 95),
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
        except discord.HTTPException as error:
            if isinstance(error, discord.Forbidden | discord.NotFound):
                # No thread permission, or the alert was deleted: the update goes into the channel.
                return await channel.send(**send_kwargs(rendered))
            if error.code != THREAD_EXISTS:
                raise
        thread = self.bot.get_partial_messageable(alert, guild_id=follow.guild_id)
        return await thread.send(**send_kwargs(rendered))

    async def _pause(self, follow, error: discord.HTTPException) -> None:
        reason = f"newsbot can't post in <#{follow.channel_id}> ({'no permission' if isinstance(error, discord.Forbidden) else 'channel gone'})"
        if not await asyncio.to_thread(self.following.store.pause, follow.id, reason):
            return
        log.warning("follow #%s paused: %s", follow.id, reason)
        text = (
            f"Your follow of “{shorten(follow.topic, 200)}” (#{follow.id}) is paused: {reason}. "
            f"Give the bot the Send Messages permission there, or `/unfollow {follow.id}` and follow it again in another channel."
        )
        try:
            data = await self.bot.http.start_private_message(int(follow.owner.removeprefix("discord:")))
            await self.bot.get_partial_messageable(int(data["id"])).send(text, allowed_mentions=NO_MENTIONS)
        except (discord.HTTPException, ValueError) as failure:
            log.warning("could not tell the owner of follow #%s that it is paused: %s", follow.id, failure)
