"""The Discord front end: the bot process (bot.py), one cog per feature, rendering and replies."""
