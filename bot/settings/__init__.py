"""Settings: environment variables (NEWSBOT_*, and DISCORD_TOKEN), read after .env is loaded.

declared.py declares each one once; loading.py reads and checks them; reference.py writes the
docs/settings.md's table, .env.example and `newsbot config` from the declarations.
"""

from bot.settings.declared import (
    BUNDLED_CORPUS,
    PROJECT_ROOT,
    DiscordSettings,
    LLMSettings,
    Settings,
    default_sources,
    http_address,
)
from bot.settings.fields import SettingsError
from bot.settings.loading import load_discord_settings, load_dotenv_file, load_settings, read_discord_settings

__all__ = [
    "BUNDLED_CORPUS",
    "PROJECT_ROOT",
    "DiscordSettings",
    "LLMSettings",
    "Settings",
    "SettingsError",
    "default_sources",
    "http_address",
    "load_discord_settings",
    "load_dotenv_file",
    "load_settings",
    "read_discord_settings",
]
