"""The one small interface every language-model backend has, and `generate`, which adds what they
all share: one deadline for the whole answer (NEWSBOT_LLM_TIMEOUT), retries with exponential
backoff for failures worth retrying, and errors that say what to fix.

Backends are found by entry point (bot/plugins.py); newsbot's own are openai_compatible.py and
llamacpp.py. `load_chat_model` picks the one NEWSBOT_ANSWER_MODE names.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from bot.plugins import chat_model_class
from bot.settings import LLMSettings
from index.errors import NewsbotError
from index.retry import with_backoff

FIRST_BACKOFF_SECONDS = 0.5

Messages = list[tuple[str, str]]  # (role, content): "system" or "user"


class LLMError(NewsbotError, RuntimeError):
    """The model could not answer; the message says why, and what to check."""


class TransientLLMError(LLMError):
    """A failure that may pass: a connection refused or reset, a timeout, a 429 or a 5xx."""


class ChatModel(Protocol):
    name: str  # what answers' metadata and /about call the model

    def __init__(self, settings: LLMSettings) -> None: ...

    @classmethod
    def check_settings(cls, settings: LLMSettings) -> None:
        """Raise ValueError naming the variable when the settings lack what this backend needs;
        called while the settings are read, before anything loads."""

    def stream(self, messages: Messages, timeout: float) -> Iterator[str]:
        """The reply's text, piece by piece; LLMError (TransientLLMError if worth retrying) on failure."""

    def check(self) -> None:
        """Prove the model is usable, or raise LLMError saying why."""


def load_chat_model(settings: LLMSettings) -> ChatModel:
    return chat_model_class(settings.mode)(settings)


@dataclass(frozen=True)
class Generated:
    text: str
    chunks: int  # streamed pieces; one per token for llama.cpp and most servers
    seconds: float


def generate(
    model: ChatModel, messages: Messages, timeout: float, retries: int, on_text: Callable[[str], None] | None = None
) -> Generated:
    """The model's whole reply, within `timeout` seconds in all. Transient failures are retried
    after 0.5 s, 1 s, 2 s ... while time remains, unless text has already been streamed to
    `on_text` (which gets the reply so far after every piece)."""
    started = time.monotonic()
    deadline = started + timeout
    attempts, streamed = 0, False

    def attempt() -> Generated:
        nonlocal attempts, streamed
        attempts += 1
        text, chunks = "", 0
        for piece in model.stream(messages, max(0.1, deadline - time.monotonic())):
            text += piece
            chunks += 1
            streamed = True
            if on_text is not None:
                on_text(text)
            if time.monotonic() > deadline:
                raise LLMError(f"the model took longer than {timeout:g} s ({LLMSettings.env_name('timeout')})")
        return Generated(text, chunks, time.monotonic() - started)

    try:
        return with_backoff(
            attempt,
            worth_retrying=lambda error: isinstance(error, TransientLLMError) and not streamed,
            retries=retries,
            first_wait=FIRST_BACKOFF_SECONDS,
            deadline=deadline,
            what="the model call",
        )
    except TransientLLMError as error:
        raise LLMError(f"{error} (after {attempts} attempt{'s' if attempts > 1 else ''})") from error


def chat_messages(messages: Messages):
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role=role, content=content) for role, content in messages]


def short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
