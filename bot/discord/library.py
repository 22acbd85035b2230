"""What the bot knows: `/sources [query]`, `/about`, and `/reindex` for server managers."""

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.queue import QueueFull
from bot.discord.render import (
    ArticleRef,
    DiscordMessage,
    describe_answer_mode,
    neutralise,
    render_about,
    render_article_list,
)
from bot.discord.replies import apology, respond_ephemeral, send_kwargs
from bot.pipeline import QuestionError, check_question

log = logging.getLogger("newsbot.discord")

LISTED = 10


class Library(commands.Cog):
    def __init__(self, newsbot: commands.Bot):
        self.bot = newsbot

    @app_commands.command(
        name="sources", description="List indexed articles, the newest first or those matching a query"
    )
    @app_commands.describe(query="Words to look for, e.g. peace talks Istanbul (optional)")
    async def sources(self, interaction: discord.Interaction, query: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            message = await self.bot.answers.run(self.article_list, query)
        except (QueueFull, QuestionError) as error:
            message = DiscordMessage(str(error))
        except Exception as error:
            message = DiscordMessage(apology(error))
        await send_followup(interaction, message)

    def article_list(self, query: str | None) -> DiscordMessage:
        pipeline = self.bot.pipeline
        indexed = pipeline.searcher.articles()
        footer = f"{len(indexed):,} articles indexed · /about for more"
        if query:
            query = check_question(query, self.bot.settings.max_question_chars)
            articles: dict[str, ArticleRef] = {}
            for passage in pipeline.searcher.search(query, LISTED * 3):
                articles.setdefault(
                    passage.article_id, ArticleRef(passage.title, passage.source, passage.url, passage.published)
                )
            return render_article_list(list(articles.values())[:LISTED], f"Articles matching “{query}”", footer)
        records = sorted(indexed.values(), key=lambda r: r.published, reverse=True)
        newest = [ArticleRef(r.title, r.source, r.url, r.published) for r in records[:LISTED]]
        return render_article_list(newest, "Newest indexed articles", footer)

    @app_commands.command(name="about", description="What newsbot knows: articles, dates, publishers and model")
    async def about(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            stats = await asyncio.to_thread(self.bot.pipeline.stats)
            message = render_about(stats, describe_answer_mode(self.bot.settings.llm))
        except Exception as error:
            message = DiscordMessage(apology(error))
        await send_followup(interaction, message)

    @app_commands.command(name="reindex", description="Index new and changed articles from the configured sources")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        if self.bot.read_only:
            await respond_ephemeral(
                interaction, "This bot only reads the index; it is updated by `newsbot index` or `newsbot watch`."
            )
            return
        if self.bot.index_lock.locked():
            await respond_ephemeral(
                interaction, "An index update is already running; I'll answer from the new index when it's done."
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.index_lock:
            try:
                # Not through the answer queue: questions keep being answered from the current
                # index while this runs, and switch to the new one when it is published.
                report = await asyncio.to_thread(self.bot.pipeline.index)
            except Exception as error:
                from index.store.lock import IndexBusy

                text = str(error) if isinstance(error, IndexBusy) else apology(error)
            else:
                text = report.summary_line()
                if report.problems:
                    skipped = "; ".join(str(problem) for problem in report.problems[:5])
                    text += f"\nSkipped: {skipped}"[:1500]
                log.warning("reindex by %s: %s", interaction.user.id, report.summary_line())
        await send_followup(interaction, DiscordMessage(neutralise(text)))


async def send_followup(interaction: discord.Interaction, message: DiscordMessage) -> None:
    await interaction.followup.send(ephemeral=True, **send_kwargs(message))
