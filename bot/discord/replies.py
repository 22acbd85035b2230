"""How the bot replies: no mentions ever fire, private notices, and a short apology for what went
wrong on its side."""

import logging
import secrets

import discord

from bot.discord.render import DiscordMessage

log = logging.getLogger("newsbot.discord")

NO_MENTIONS = discord.AllowedMentions.none()


def apology(error: BaseException) -> str:
    """Log an unexpected error under a short reference and return what the user sees."""
    from index.store.chroma import IndexUnavailable

    if isinstance(error, IndexUnavailable):
        log.warning("%s", error)
        return "The news index is unavailable right now; please try again shortly."
    reference = secrets.token_hex(3)
    log.error("internal error, ref %s", reference, exc_info=error)
    return f"Sorry, something went wrong on my side (ref `{reference}`). Please try again in a moment."


def send_kwargs(message: DiscordMessage) -> dict:
    """discord.py keyword arguments for a rendered message, pinging no one."""
    return {
        "content": message.content or None,
        "embeds": [discord.Embed.from_dict(embed) for embed in message.embeds],
        "allowed_mentions": NO_MENTIONS,
    }


async def respond_ephemeral(interaction: discord.Interaction, text: str) -> None:
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
