"""How a setting is declared and read: one `setting(...)` per field (default, limits, help), read
by pydantic-settings from the environment, or from a given mapping, with values stripped."""

import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic import Field, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from index.errors import NewsbotError


class SettingsError(NewsbotError, ValueError):
    """One setting has a value newsbot cannot use; the message names the variable."""


def setting(default: Any, summary: str, help: str = "", *, shown: str = "", **limits) -> Any:
    """A field: its default, a one-line `summary` (docs/settings.md's table), a longer `help`
    (.env.example), the default as `shown` in the table when its value says little, and limits."""
    extra = {"summary": summary, "shown": shown}
    return Field(default, description=help or summary, json_schema_extra=extra, **limits)


_environ: ContextVar[Mapping[str, str] | None] = ContextVar("environ", default=None)


class Environment(EnvSettingsSource):
    """The process's environment (after .env), or the mapping `read_settings` was given."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        given = _environ.get()
        environ = os.environ if given is None else given
        stripped = {name: value.strip() for name, value in environ.items()}
        return parse_env_vars(stripped, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


class DeclaredSettings(BaseSettings):
    """Settings declared once: each field's environment variable is the class's prefix plus its
    name in capitals, or its `validation_alias`. An empty value means the default."""

    model_config = SettingsConfigDict(
        frozen=True, extra="ignore", case_sensitive=False, env_ignore_empty=True, hide_input_in_errors=True
    )

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # .env is loaded into the environment by python-dotenv first (bot/settings/loading.py), so
        # the libraries newsbot runs see it too.
        return init_settings, Environment(settings_cls)

    @classmethod
    def read(cls, env: Mapping[str, str] | None = None, **values):
        """The settings from `env` (default: os.environ), with `values` winning."""
        token = _environ.set(env)
        try:
            return cls(**values)
        finally:
            _environ.reset(token)

    @classmethod
    def env_name(cls, name: str) -> str:
        field = cls.model_fields[name]
        return (
            field.validation_alias
            if isinstance(field.validation_alias, str)
            else cls.model_config["env_prefix"] + name.upper()
        )

    @classmethod
    def declared(cls) -> Iterator["Declared"]:
        for name, field in cls.model_fields.items():
            if field.json_schema_extra is not None:
                yield Declared(cls.env_name(name), name, field)


@dataclass(frozen=True)
class Declared:
    """One setting as the documentation and `newsbot config` show it."""

    env: str
    name: str
    field: FieldInfo

    @property
    def secret(self) -> bool:
        return self.field.annotation is SecretStr

    @property
    def default(self) -> str:
        """The default written as it would be in the environment."""
        return env_text(self.field.default)

    @property
    def summary(self) -> str:
        return self.field.json_schema_extra["summary"]

    @property
    def shown_default(self) -> str:
        return self.field.json_schema_extra["shown"] or (f"`{self.default}`" if self.default else "none")

    @property
    def help(self) -> str:
        return self.field.description or ""


def env_text(value: Any) -> str:
    """A value written as it would be in the environment."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, frozenset | set | tuple | list):
        return ",".join(map(str, sorted(value)))
    return str(value)
