"""`/brief [topic] [since]`: the top stories of recent days, one embed of at most 10, with a button
for the next ones; `/timeline topic [since]`: how the story a topic matches developed."""

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.briefing.digest import BriefError, parse_since
from bot.briefing.timeline import TIMELINE_LINES
from bot.discord.queue import QueueFull
from bot.discord.render import EMBEDS_PER_MESSAGE, DiscordMessage, render_brief, render_timeline
from bot.discord.replies import NO_MENTIONS, apology, send_kwargs
from bot.pipeline import QuestionError, check_question

log = logging.getLogger("newsbot.discord")

# Stories a brief holds in all, across its pages.
MOST_STORIES = 50
# How long a brief's "More stories" button answers.
MORE_TIMEOUT = 900


class Briefs(commands.Cog):
    def __init__(self, newsbot: commands.Bot):
        self.bot = newsbot

    @app_commands.command(name="brief", description="The top stories of recent days, each with quoted, cited sentences")
    @app_commands.describe(
        topic="Only stories about this, e.g. hurricane (optional)", since="How far back: 7d, 2w or 1m (default: 7d)"
    )
    async def brief(self, interaction: discord.Interaction, topic: str | None = None, since: str | None = None) -> None:
        await interaction.response.defer(thinking=True)
        view = None
        try:
            days = parse_since(since or "7d")
            if topic:
                topic = check_question(topic, self.bot.settings.max_question_chars)
            brief = await self.bot.answers.run(self.bot.pipeline.brief, topic or "", days, None, MOST_STORIES)
            message = render_brief(brief)
            if len(brief.stories) > EMBEDS_PER_MESSAGE:
                view = MoreStories(brief)
        except BriefError as error:
            message = DiscordMessage(f"`since` {error}.")
        except (QueueFull, QuestionError) as error:
            message = DiscordMessage(str(error))
        except Exception as error:
            message = DiscordMessage(apology(error))
        kwargs = send_kwargs(message)
        if view is not None:
            kwargs["view"] = view
        await interaction.followup.send(**kwargs)

    @app_commands.command(
        name="timeline", description="How a story developed: a quoted, cited line per report, oldest first"
    )
    @app_commands.describe(topic="The story, e.g. hurricane Milton", since="How far back: 7d, 2w or 1m (default: 30d)")
    async def timeline(self, interaction: discord.Interaction, topic: str, since: str | None = None) -> None:
        await interaction.response.defer(thinking=True)
        try:
            days = parse_since(since or "30d")
            topic = check_question(topic, self.bot.settings.max_question_chars)
            first, last, found = await self.bot.answers.run(
                self.bot.pipeline.timeline, topic, days, None, TIMELINE_LINES
            )
            message = render_timeline(first, last, topic, found)
        except BriefError as error:
            message = DiscordMessage(f"{error}.")
        except (QueueFull, QuestionError) as error:
            message = DiscordMessage(str(error))
        except Exception as error:
            message = DiscordMessage(apology(error))
        await interaction.followup.send(**send_kwargs(message))


class MoreStories(discord.ui.View):
    """The button under a brief that shows its next stories, to whoever presses it, privately."""

    def __init__(self, brief):
        super().__init__(timeout=MORE_TIMEOUT)
        self.brief = brief
        self.shown = EMBEDS_PER_MESSAGE

    @discord.ui.button(label="More stories", style=discord.ButtonStyle.secondary)
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        message = render_brief(self.brief, self.shown)
        self.shown += EMBEDS_PER_MESSAGE
        if self.shown >= len(self.brief.stories):
            button.disabled = True
        await interaction.response.send_message(ephemeral=True, **send_kwargs(message))
        if button.disabled and interaction.message is not None:
            await interaction.message.edit(view=self, allowed_mentions=NO_MENTIONS)
