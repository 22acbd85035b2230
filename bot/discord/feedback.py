"""The 👍/👎 buttons under every answer. A persistent view: the custom_ids are fixed, so buttons
on answers posted before a restart keep working; the answer is found by its message id."""

import asyncio
import logging

import discord

from bot.feedback import DOWN, UP, FeedbackStore

log = logging.getLogger("newsbot.discord")

UP_ID = "newsbot:feedback:up"
DOWN_ID = "newsbot:feedback:down"


class FeedbackView(discord.ui.View):
    def __init__(self, store: FeedbackStore):
        super().__init__(timeout=None)
        self.store = store

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary, custom_id=UP_ID)
    async def helpful(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.record(interaction, UP)

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary, custom_id=DOWN_ID)
    async def unhelpful(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.record(interaction, DOWN)

    async def record(self, interaction: discord.Interaction, vote: int) -> None:
        message = interaction.message
        try:
            await asyncio.to_thread(
                self.store.record_vote,
                message.id,
                interaction.user.id,
                vote,
                interaction.guild_id,
                interaction.channel_id,
                message.content or "",
            )
        except Exception:
            log.exception("could not record feedback")
            text = "Sorry, I couldn't record that just now."
        else:
            text = (
                "Thanks, noted: this helps improve the answers."
                if vote == UP
                else "Thanks, noted: we'll look at this answer."
            )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
