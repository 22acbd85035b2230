"""Reading the settings: .env into the environment, the three declared groups validated, and a
failure turned into one line that names the variable and never shows a secret."""

import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr, TypeAdapter, ValidationError

from bot.settings.declared import DiscordSettings, LLMSettings, Settings
from bot.settings.fields import DeclaredSettings, SettingsError

GROUPS: tuple[type[DeclaredSettings], ...] = (Settings, LLMSettings, DiscordSettings)
NUMBER_ERRORS = (
    "int_parsing",
    "int_from_float",
    "float_parsing",
    "greater_than_equal",
    "less_than_equal",
    "finite_number",
)


def load_dotenv_file(path: Path) -> frozenset[str]:
    """Load `path` into the environment with python-dotenv, the environment winning; the names it
    set, so `newsbot config` can say where each value came from."""
    from dotenv import load_dotenv

    before = set(os.environ)
    load_dotenv(path, override=False)
    return frozenset(set(os.environ) - before)


def load_settings(env: Mapping[str, str] | None = None, **overrides) -> Settings:
    """Settings from `env` (default: os.environ), with CLI `overrides` winning."""
    given = {name: value for name, value in overrides.items() if value is not None}
    llm = _validated(LLMSettings, env)
    return _validated(Settings, env, llm=llm, **given)


def read_discord_settings(env: Mapping[str, str] | None = None) -> DiscordSettings:
    """The Discord settings, checked, with or without a token (`newsbot config`)."""
    return _validated(DiscordSettings, env)


def load_discord_settings(env: Mapping[str, str] | None = None) -> DiscordSettings:
    """The Discord settings for running the bot: the token set, and checked for shape (never echoed)
    before any connection."""
    settings = read_discord_settings(env)
    if not settings.token.get_secret_value():
        name = DiscordSettings.env_name("token")
        raise SettingsError(
            f"{name} is not set: put the bot token from the developer portal in .env (see docs/discord.md)"
        )
    return settings


def check_value(group: type[DeclaredSettings], name: str, value: str):
    """`value` as setting `name` would take it (a CLI flag that overrides it), or SettingsError
    saying what it must be, without the variable's name."""
    field = group.model_fields[name]
    try:
        return TypeAdapter(typing.Annotated[field.annotation, field]).validate_python(value)
    except ValidationError as error:
        found = {**error.errors()[0], "loc": (name,)}
        raise SettingsError(explain(group, found).removeprefix(f"{group.env_name(name)} ")) from None


def _validated(group: type[DeclaredSettings], env: Mapping[str, str] | None, **values):
    try:
        return group.read(env, **values)
    except ValidationError as error:
        raise SettingsError(explain(group, error.errors()[0])) from None


def explain(group: type[DeclaredSettings], error: dict) -> str:
    """One pydantic error as one line: the variable, what it must be, and the value unless secret."""
    location = error["loc"][0] if error["loc"] else None
    if location is None:
        return str(error["ctx"]["error"])
    name = location if location in group.model_fields else _field_of_alias(group, location)
    env = group.env_name(name)
    field = group.model_fields[name]
    shown = "" if field.annotation is SecretStr else f", not {error.get('input')!r}"
    kind = error["type"]
    if kind == "value_error":
        return f"{env} {error['ctx']['error']}"
    if kind in NUMBER_ERRORS:
        low = next((limit.ge for limit in field.metadata if hasattr(limit, "ge")), None)
        high = next((limit.le for limit in field.metadata if hasattr(limit, "le")), None)
        what = "a whole number" if _base_type(field.annotation) is int else "a number"
        if low is None or high is None:
            return f"{env} must be {what}{shown}"
        return f"{env} must be {what} from {low:g} to {high:g}{shown}"
    if kind == "literal_error":
        choices = typing.get_args(_base_type(field.annotation))
        return f"{env} must be one of {', '.join(choices)}{shown}"
    if kind == "bool_parsing":
        return f"{env} must be true or false{shown}"
    return f"{env}: {error['msg']}{shown}"


def _field_of_alias(group: type[DeclaredSettings], alias: str) -> str:
    return next(name for name, field in group.model_fields.items() if field.validation_alias == alias)


def _base_type(annotation):
    """int from `int | None`, the Literal from `Annotated[Literal[...], ...]`."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    return annotation
