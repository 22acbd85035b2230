"""The Discord bot process: a commands.Bot (an AutoShardedBot when given shards) that loads the
pipeline once, answers through a bounded queue of worker threads, and shuts down cleanly on
SIGINT/SIGTERM.

Cogs: questions (/ask, mentions, threads), library (/sources, /about, /reindex), briefs (/brief),
follows (/follow, /unfollow, /follows), refresh (background refresh, when NEWSBOT_REFRESH_MINUTES is
set, after which follows' alerts are matched and posted); the feedback buttons are a persistent view (feedback).
"""

import asyncio
import logging
import signal
import time

import aiohttp
import discord
from discord.ext import commands

from bot.answering.llm.model import LLMError
from bot.discord.briefs import Briefs
from bot.discord.corrections import Corrections
from bot.discord.feedback import FeedbackView
from bot.discord.follows import Follows
from bot.discord.library import Library
from bot.discord.questions import Questions
from bot.discord.queue import AnswerQueue
from bot.discord.refresh import Refresh
from bot.discord.replies import apology, respond_ephemeral
from bot.feedback import FeedbackStore
from bot.pipeline import Pipeline
from bot.settings import DiscordSettings, LLMSettings, Settings
from index.errors import NewsbotError

log = logging.getLogger("newsbot.discord")


class DiscordStartError(NewsbotError, RuntimeError):
    """The bot could not start; the message says what to fix."""


def intents() -> discord.Intents:
    """Server and DM messages, and their content: the content is privileged, and needed to read
    follow-ups in threads that don't mention the bot."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = True
    return wanted


# newsbot never joins voice; discord.py would warn at start-up that voice libraries are missing.
discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False


class NewsBot(commands.Bot):
    """The bot process, on one gateway connection."""

    def __init__(
        self,
        settings: Settings,
        discord_settings: DiscordSettings,
        *,
        sync: bool = False,
        pipeline: Pipeline | None = None,
        read_only: bool = False,
        **shards,
    ):
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **shards,
        )
        self.settings = settings
        self.discord_settings = discord_settings
        self.sync_commands = sync
        self.read_only = read_only  # never writes the index: no indexing at start, no refresh, no /reindex
        self.pipeline = pipeline
        self.feedback: FeedbackStore | None = None
        self.answers: AnswerQueue | None = None
        self.index_lock = asyncio.Lock()  # /reindex and the background refresh take turns

    async def setup_hook(self) -> None:
        self.answers = AnswerQueue(self.discord_settings.max_in_flight, self.discord_settings.max_queue)
        if self.pipeline is None:
            self.pipeline = await asyncio.to_thread(load_pipeline, self.settings, self.read_only)
        self.feedback = FeedbackStore(self.settings.data_dir, self.pipeline.memory.store)
        await self.add_cog(Questions(self))
        await self.add_cog(Library(self))
        await self.add_cog(Briefs(self))
        await self.add_cog(Follows(self))
        await self.add_cog(Corrections(self))
        if self.settings.refresh_minutes > 0 and not self.read_only:
            await self.add_cog(Refresh(self, self.settings.refresh_minutes))
        self.add_view(FeedbackView(self.feedback))
        self.tree.on_error = self.on_app_command_error
        if self.sync_commands:
            await self.sync_app_commands()

    async def sync_app_commands(self) -> None:
        guild_id = self.discord_settings.dev_guild_id
        if guild_id:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.warning("synced %d commands to server %s (instant)", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.warning("synced %d commands globally (Discord may take up to an hour to show them)", len(synced))

    async def on_message(self, message: discord.Message) -> None:
        # No prefix commands: the Questions cog handles messages. Without this override,
        # commands.Bot would try to parse every mention as a command.
        return

    async def on_ready(self) -> None:
        shards = (
            f" on shards {sorted(self.shards)} of {self.shard_count}"
            if isinstance(self, commands.AutoShardedBot)
            else ""
        )
        log.warning("connected as %s (id %s) to %d servers%s", self.user, self.user.id, len(self.guilds), shards)

    def allowed_place(self, guild_id: int | None, channel_id: int | None) -> bool:
        """Whether the allow-lists let the bot answer here; a thread passes its parent's id."""
        wanted = self.discord_settings
        if guild_id is None:
            return wanted.dms
        if wanted.guild_ids and guild_id not in wanted.guild_ids:
            return False
        return not wanted.channel_ids or channel_id in wanted.channel_ids

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: discord.app_commands.AppCommandError
    ) -> None:
        if isinstance(error, discord.app_commands.MissingPermissions):
            text = "Only members with the Manage Server permission can do that."
        elif isinstance(error, discord.app_commands.NoPrivateMessage):
            text = "That command works only in a server."
        else:
            text = apology(getattr(error, "original", error))
        await respond_ephemeral(interaction, text)

    async def close(self) -> None:
        if self.answers is not None:
            self.answers.close()
        await super().close()


class ShardedNewsBot(NewsBot, commands.AutoShardedBot):
    """The bot process running `shard_ids` of `shard_count` shards, so several processes (or
    machines) split the servers. Cooldowns, conversations and the answer queue stay per process:
    all of one server's events reach one shard."""

    def __init__(
        self,
        settings: Settings,
        discord_settings: DiscordSettings,
        *,
        shard_ids: list[int],
        shard_count: int,
        **options,
    ):
        super().__init__(settings, discord_settings, shard_ids=shard_ids, shard_count=shard_count, **options)


# A bot started before its Chroma server waits this long for it, saying so.
SERVER_WAIT_SECONDS = 300


def _wait_for_index(settings: Settings) -> Pipeline:
    from index.store.chroma import IndexUnavailable

    deadline = time.monotonic() + SERVER_WAIT_SECONDS
    while True:
        try:
            return Pipeline(settings)
        except IndexUnavailable as error:
            if time.monotonic() > deadline:
                raise DiscordStartError(str(error)) from None
            log.warning("%s; waiting for it", error)
            time.sleep(5)


def load_pipeline(settings: Settings, read_only: bool = False) -> Pipeline:
    """The pipeline, with the configured sources indexed first if the index is empty (unless
    `read_only`), and the index opened, so the first question doesn't pay for it."""
    pipeline = _wait_for_index(settings)
    _ = pipeline.answerer  # a missing or broken picker model stops the bot before it connects
    if not pipeline.has_articles():
        if read_only:
            raise DiscordStartError(
                "the index has no articles yet, and --read-only never writes: run `newsbot index` or "
                "`newsbot watch` (the writer) first"
            )
        log.warning("no articles in %s yet; indexing %s", settings.data_dir, ", ".join(map(str, settings.source_paths)))
        log.warning("%s", pipeline.index().summary_line())
    pipeline.searcher.refresh()
    if pipeline.llm is not None:
        try:
            pipeline.llm.model.check()
        except LLMError as error:
            raise DiscordStartError(
                f"the language model ({LLMSettings.env_name('mode')}={settings.llm.mode}) is not usable: {error}"
            ) from None
    return pipeline


def point_at_test_server(url: str) -> None:
    """Send every REST call and the gateway connection to a local stand-in (tests only)."""
    import yarl
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    Route.BASE = f"{url}/api/v10"
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url.replace("http://", "ws://", 1) + "/gateway")


def run(
    settings: Settings,
    discord_settings: DiscordSettings,
    sync: bool,
    read_only: bool = False,
    shard_ids: list[int] | None = None,
    shard_count: int | None = None,
) -> int:
    if discord_settings.test_server:
        point_at_test_server(discord_settings.test_server)
    return asyncio.run(_serve(settings, discord_settings, sync, read_only, shard_ids, shard_count))


async def _serve(
    settings: Settings,
    discord_settings: DiscordSettings,
    sync: bool,
    read_only: bool,
    shard_ids: list[int] | None,
    shard_count: int | None,
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if shard_ids:
        newsbot = ShardedNewsBot(
            settings, discord_settings, sync=sync, read_only=read_only, shard_ids=shard_ids, shard_count=shard_count
        )
    else:
        newsbot = NewsBot(settings, discord_settings, sync=sync, read_only=read_only)
    async with newsbot:
        running = asyncio.create_task(newsbot.start(discord_settings.token.get_secret_value()))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping.done():
            log.warning("shutting down")
            await newsbot.close()
        else:
            stopping.cancel()
        try:
            await running
        except aiohttp.ClientConnectionError as error:
            raise DiscordStartError(f"cannot reach Discord: {error}") from None
        except discord.LoginFailure:
            raise DiscordStartError(
                "Discord rejected DISCORD_TOKEN: copy it again from the developer portal's Bot page"
            ) from None
        except discord.PrivilegedIntentsRequired:
            raise DiscordStartError(
                "Discord refused the Message Content intent: enable it on the developer portal's Bot page (see docs/discord.md)"
            ) from None
    return 0
