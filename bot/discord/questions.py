"""Asking: `/ask`, `@newsbot question` (answered in a new thread), follow-ups in the bot's threads
without a mention, and DMs. Every path goes through the same checks: allow-lists, the per-user
cooldown, the question limits, then the answer queue."""

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from functools import partial

import discord
from discord import app_commands
from discord.ext import commands

from bot.answering.conversation import Conversations, Turn
from bot.answering.results import Answer
from bot.discord.feedback import FeedbackView
from bot.discord.queue import AnswerQueue, QueueFull
from bot.discord.render import DiscordMessage, render_answer, render_draft
from bot.discord.replies import NO_MENTIONS, apology, respond_ephemeral, send_kwargs
from bot.memory.store import DISCORD, Place
from bot.pipeline import QuestionError, check_question

log = logging.getLogger("newsbot.discord")

THREAD_NAME_LIMIT = 100
NOTICE_SECONDS = 20  # how long cooldown and error notices stay in a channel
DMS_OFF = "I don't answer direct messages here. Ask me in a server channel, with /ask or by mentioning me."
NOT_HERE = "I don't answer questions in this channel."
# Discord allows about five edits of a message per 5 s; one a second leaves room for the rest.
DRAFT_EDIT_SECONDS = 1.0


class DraftEditor:
    """Shows a language model's answer while it is written, by editing one message at most once
    every DRAFT_EDIT_SECONDS. `update` is called from the answering thread with the text so far.
    Leaving the `async with` waits for an edit in flight, so the final answer always comes after
    the last draft and lands in the same message."""

    def __init__(self, show: Callable[[DiscordMessage], Awaitable]):
        self.show = show
        self.loop = asyncio.get_running_loop()
        self.latest: str | None = None
        self.shown: str | None = None
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._task: asyncio.Task | None = None

    def update(self, text: str) -> None:
        self.loop.call_soon_threadsafe(self._set, text)

    def _set(self, text: str) -> None:
        self.latest = text
        self._changed.set()

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            if self._closing.is_set():
                return
            text = self.latest
            if not text or not text.strip() or text == self.shown:
                continue
            started = time.monotonic()
            try:
                await self.show(render_draft(text))
                self.shown = text
            except discord.HTTPException as error:
                log.info("could not show the draft answer: %s", error.text or error.status)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._closing.wait(), max(0.0, DRAFT_EDIT_SECONDS - (time.monotonic() - started))
                )

    async def __aenter__(self) -> "DraftEditor":
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc) -> None:
        self._closing.set()
        self._changed.set()
        await self._task


def cooldown_text(retry_after: float) -> str:
    return f"You're asking quickly: please wait {max(1, round(retry_after))} s before your next question."


def thread_name(question: str) -> str:
    name = " ".join(question.split())
    return name if len(name) <= THREAD_NAME_LIMIT else name[: THREAD_NAME_LIMIT - 1].rstrip() + "…"


class Questions(commands.Cog):
    def __init__(self, newsbot: commands.Bot):
        self.bot = newsbot
        wanted = newsbot.discord_settings
        # Keyed by user id, so one limit covers /ask, mentions, follow-ups and DMs together.
        self.cooldowns = commands.CooldownMapping(
            commands.Cooldown(wanted.cooldown_rate, wanted.cooldown_seconds), lambda user_id: user_id
        )
        self.conversations = Conversations()

    @property
    def answers(self) -> AnswerQueue:
        return self.bot.answers

    def retry_after(self, user_id: int) -> float | None:
        return self.cooldowns.get_bucket(user_id).update_rate_limit()

    def check(self, question: str) -> str:
        return check_question(question, self.bot.settings.max_question_chars)

    # /ask -------------------------------------------------------------------------------------

    @app_commands.command(name="ask", description="Ask a question about the indexed news articles")
    @app_commands.describe(question="Your question, e.g. Who leads the Ukrainian delegation?")
    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        parent_id = getattr(interaction.channel, "parent_id", None) or interaction.channel_id
        if not self.bot.allowed_place(interaction.guild_id, parent_id):
            await respond_ephemeral(interaction, DMS_OFF if interaction.guild_id is None else NOT_HERE)
            return
        retry_after = self.retry_after(interaction.user.id)
        if retry_after:
            await respond_ephemeral(interaction, cooldown_text(retry_after))
            return
        try:
            question = self.check(question)
        except QuestionError as error:
            await respond_ephemeral(interaction, str(error))
            return
        # Discord drops an interaction not acknowledged within 3 seconds; answering takes longer.
        await interaction.response.defer(thinking=True)
        try:
            async with DraftEditor(lambda draft: interaction.edit_original_response(**send_kwargs(draft))) as draft:
                answer = await self.answers.run(partial(self.bot.pipeline.ask, question, on_text=draft.update))
        except QueueFull as error:
            await interaction.edit_original_response(content=str(error), allowed_mentions=NO_MENTIONS)
            return
        except Exception as error:
            await interaction.edit_original_response(content=apology(error), allowed_mentions=NO_MENTIONS)
            return
        messages = render_answer(answer)
        last = await self.post_interaction(interaction, messages)
        await self.remember(last, answer, interaction.guild_id, messages[-1])

    async def post_interaction(
        self, interaction: discord.Interaction, messages: list[DiscordMessage]
    ) -> discord.Message:
        sent = None
        for n, message in enumerate(messages):
            kwargs = send_kwargs(message)
            if n == len(messages) - 1:
                kwargs["view"] = FeedbackView(self.bot.feedback)
            if n == 0:
                sent = await interaction.edit_original_response(**kwargs)
            else:
                sent = await interaction.followup.send(wait=True, **kwargs)
        return sent

    # Mentions, threads and DMs ----------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.bot.user is None or message.author.id == self.bot.user.id:
            return
        channel = message.channel
        in_dm = message.guild is None
        mentioned = any(user.id == self.bot.user.id for user in message.mentions)
        in_own_thread = isinstance(channel, discord.Thread) and channel.owner_id == self.bot.user.id
        if not (in_dm or mentioned or in_own_thread):
            return
        if in_dm and not self.bot.discord_settings.dms:
            await self.notice(message, DMS_OFF)
            return
        parent_id = getattr(channel, "parent_id", None) or channel.id
        if not in_dm and not self.bot.allowed_place(message.guild.id, parent_id):
            return
        question = self.strip_mention(message.content)
        if in_own_thread and not mentioned and is_chatter(question):
            return
        retry_after = self.retry_after(message.author.id)
        if retry_after:
            await self.notice(message, cooldown_text(retry_after))
            return
        try:
            question = self.check(question)
        except QuestionError as error:
            await self.notice(message, str(error))
            return
        try:
            await self.answer_message(
                message, question, start_thread=not in_dm and not isinstance(channel, discord.Thread)
            )
        except Exception as error:
            await self.notice(message, apology(error))

    def strip_mention(self, content: str) -> str:
        return re.sub(rf"<@!?{self.bot.user.id}>", " ", content).strip()

    async def answer_message(self, message: discord.Message, question: str, start_thread: bool) -> None:
        target: discord.abc.Messageable = message.channel
        reply_to: discord.Message | None = message
        if start_thread:
            try:
                target = await message.create_thread(name=thread_name(question), auto_archive_duration=1440)
                reply_to = None
            except discord.HTTPException as error:
                # Without Create Public Threads the answer still arrives, as a reply in the channel.
                log.warning("could not start a thread (%s); replying in the channel", error.text or error.status)
        conversation = self.conversations.get(target.id)
        draft_message: discord.Message | None = None

        async def show_draft(draft: DiscordMessage) -> None:
            nonlocal draft_message
            if draft_message is None:
                draft_message = await self.send(target, reply_to, draft)
            else:
                await draft_message.edit(**send_kwargs(draft))

        ask = partial(self.bot.pipeline.ask, question, history=conversation.history())
        try:
            async with target.typing(), DraftEditor(show_draft) as draft:
                answer = await self.answers.run(partial(ask, on_text=draft.update))
        except QueueFull as error:
            await self.send(target, reply_to, DiscordMessage(str(error)))
            return
        conversation.add(Turn(question=question, search=answer.search_query, answer=answer.text))
        messages = render_answer(answer)
        last = None
        for n, rendered in enumerate(messages):
            with_feedback = n == len(messages) - 1
            if n == 0 and draft_message is not None:
                kwargs = send_kwargs(rendered)
                if with_feedback:
                    kwargs["view"] = FeedbackView(self.bot.feedback)
                last = await draft_message.edit(**kwargs)
            else:
                last = await self.send(target, reply_to if n == 0 else None, rendered, with_feedback=with_feedback)
        await self.remember(last, answer, message.guild.id if message.guild else None, messages[-1])

    async def send(
        self,
        target: discord.abc.Messageable,
        reply_to: discord.Message | None,
        message: DiscordMessage,
        with_feedback: bool = False,
    ) -> discord.Message:
        kwargs = send_kwargs(message)
        if with_feedback:
            kwargs["view"] = FeedbackView(self.bot.feedback)
        if reply_to is not None:
            return await reply_to.reply(mention_author=False, **kwargs)
        return await target.send(**kwargs)

    async def notice(self, message: discord.Message, text: str) -> None:
        """A short reply to a message; in a server it disappears after a while to keep the channel clean."""
        delete_after = None if message.guild is None else NOTICE_SECONDS
        await message.reply(text, mention_author=False, allowed_mentions=NO_MENTIONS, delete_after=delete_after)

    async def remember(
        self, message: discord.Message | None, answer: Answer, guild_id: int | None, shown: DiscordMessage
    ) -> None:
        """Keep the answer with the message it was posted as: feedback votes find it by the message's
        id, and a correction of what it quoted edits that message."""
        if message is None:
            return
        place = Place(
            DISCORD,
            guild_id=guild_id,
            channel_id=message.channel.id,
            message_id=message.id,
            shown={"content": shown.content, "embeds": list(shown.embeds), "cited": len(answer.citations)},
        )
        try:
            await asyncio.to_thread(self.bot.pipeline.memory.remember, answer, place)
        except Exception:
            log.exception("could not remember the answer")


def is_chatter(text: str) -> bool:
    """'thanks!', 'ok', 'lol': replies in a thread that aren't questions for the bot."""
    return "?" not in text and len(text.split()) < 3
