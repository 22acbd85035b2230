"""Language-model backends behind one small interface: `ChatModel.stream(messages, timeout)` yields
the answer's text as it is generated, and `check()` proves the model is usable.

  openai    any OpenAI-compatible server, through llama-index's OpenAILike
  llamacpp  a GGUF file in this process, through llama-index's LlamaCPP (the llamacpp extra)

`generate` adds what every backend shares: one deadline for the whole answer (NEWSBOT_LLM_TIMEOUT),
retries with exponential backoff for failures worth retrying, and errors that say what to fix.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from index.errors import NewsbotError
from bot.settings import SETTINGS, LLMSettings

log = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 0.5


class LLMError(NewsbotError, RuntimeError):
    """The model could not answer; the message says why, and what to check."""


class TransientLLMError(LLMError):
    """A failure that may pass: a connection refused or reset, a timeout, a 429 or a 5xx."""


@dataclass(frozen=True)
class Generated:
    text: str
    chunks: int  # streamed pieces; one per token for llama.cpp and most servers
    seconds: float


Messages = list[tuple[str, str]]  # (role, content): "system" or "user"


class OpenAIChat:
    """An OpenAI-compatible chat server (OpenAI, Ollama, vLLM, LM Studio, llama.cpp's server)."""

    def __init__(self, settings: LLMSettings):
        from llama_index.llms.openai_like import OpenAILike

        self.settings = settings
        self.name = settings.model
        # Retries are `generate`'s, under the one deadline; the client's own would multiply them.
        self.llm = OpenAILike(
            model=settings.model,
            api_base=settings.base_url,
            api_key=settings.api_key or "not-needed",
            is_chat_model=True,
            context_window=settings.context_window,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            timeout=settings.timeout,
            max_retries=0,
        )

    def stream(self, messages: Messages, timeout: float) -> Iterator[str]:
        try:
            for response in self.llm.stream_chat(_chat_messages(messages), timeout=timeout):
                if response.delta:
                    yield response.delta
        except Exception as error:
            raise self.explain(error) from error

    def check(self) -> None:
        """The server answers and, when it lists its models, lists this one."""
        import openai

        client = openai.OpenAI(
            base_url=self.settings.base_url, api_key=self.settings.api_key or "not-needed",
            timeout=min(self.settings.timeout, 15), max_retries=0,
        )
        try:
            available = [model.id for model in client.models.list()]
        except Exception as error:
            raise self.explain(error) from error
        if available and self.settings.model not in available:
            shown = ", ".join(available[:5]) + (" …" if len(available) > 5 else "")
            raise LLMError(f"the server at {self.settings.base_url} has no model {self.settings.model!r} "
                           f"({SETTINGS['llm_model'].env}); it has: {shown}")

    def explain(self, error: Exception) -> LLMError:
        import httpx
        import openai

        where = self.settings.base_url
        # While a reply streams, httpx's own errors arrive unwrapped by the openai client.
        if isinstance(error, openai.APITimeoutError | httpx.TimeoutException):
            return TransientLLMError(f"the model server at {where} did not answer in time")
        if isinstance(error, openai.APIConnectionError | httpx.TransportError):
            return TransientLLMError(f"cannot reach the model server at {where} ({SETTINGS['llm_base_url'].env}): is it running?")
        if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
            return LLMError(f"the model server at {where} refused the API key ({SETTINGS['llm_api_key'].env})")
        if isinstance(error, openai.NotFoundError):
            return LLMError(f"the model server at {where} has no model {self.settings.model!r} ({SETTINGS['llm_model'].env}), "
                            "or the address lacks its /v1 part")
        if isinstance(error, openai.RateLimitError | openai.InternalServerError):
            return TransientLLMError(f"the model server at {where} is busy or failing (HTTP {error.status_code})")
        if isinstance(error, openai.APIStatusError):
            return LLMError(f"the model server at {where} answered HTTP {error.status_code}: {_short(error.message)}")
        return LLMError(f"the model server at {where} failed: {type(error).__name__}: {_short(str(error))}")


class LlamaCppChat:
    """A GGUF model loaded into this process by llama-cpp-python, through llama-index's LlamaCPP,
    whose generic chat format ("system: …", "user: …", "assistant: ") carries the messages."""

    def __init__(self, settings: LLMSettings):
        self.settings = settings
        self.name = settings.gguf.name
        self._llm = None
        self._lock = threading.Lock()  # one generation at a time: a llama.cpp context isn't shareable

    def load(self):
        with self._lock:
            if self._llm is None:
                self._llm = self._load()
            return self._llm

    def _load(self):
        from llama_index.llms.llama_cpp import LlamaCPP

        try:
            return LlamaCPP(
                model_path=str(self.settings.gguf),
                temperature=self.settings.temperature,
                max_new_tokens=self.settings.max_tokens,
                context_window=self.settings.context_window,
                generate_kwargs={},
                model_kwargs={"n_gpu_layers": 0},
                verbose=False,
            )
        except Exception as error:
            raise LLMError(f"cannot load {self.settings.gguf} ({SETTINGS['llm_gguf'].env}): {_short(str(error))}") from error

    def stream(self, messages: Messages, timeout: float) -> Iterator[str]:
        llm = self.load()
        if not self._lock.acquire(timeout=timeout):
            raise LLMError(f"the model {self.name} was busy with other questions for {timeout:.0f} s")
        try:
            for response in llm.stream_chat(_chat_messages(messages)):
                if response.delta:
                    yield response.delta
        except Exception as error:
            raise LLMError(f"the model {self.name} failed: {type(error).__name__}: {_short(str(error))}") from error
        finally:
            self._lock.release()

    def check(self) -> None:
        self.load()


ChatModel = OpenAIChat | LlamaCppChat


def load_chat_model(settings: LLMSettings) -> ChatModel:
    if settings.mode == "openai":
        return OpenAIChat(settings)
    if settings.mode == "llamacpp":
        return LlamaCppChat(settings)
    raise ValueError(f"no language model in answer mode {settings.mode!r}")


def generate(
    model: ChatModel, messages: Messages, timeout: float, retries: int, on_text: Callable[[str], None] | None = None
) -> Generated:
    """The model's whole reply, within `timeout` seconds in all. Transient failures are retried
    after 0.5 s, 1 s, 2 s ... while time remains, unless text has already been streamed to
    `on_text` (which gets the reply so far after every piece)."""
    started = time.monotonic()
    deadline = started + timeout
    attempt = 0
    while True:
        text, chunks = "", 0
        try:
            for piece in model.stream(messages, max(0.1, deadline - time.monotonic())):
                text += piece
                chunks += 1
                if on_text is not None:
                    on_text(text)
                if time.monotonic() > deadline:
                    raise LLMError(f"the model took longer than {timeout:g} s ({SETTINGS['llm_timeout'].env})")
            return Generated(text, chunks, time.monotonic() - started)
        except TransientLLMError as error:
            backoff = FIRST_BACKOFF_SECONDS * 2**attempt
            if attempt >= retries or text or time.monotonic() + backoff >= deadline:
                raise LLMError(f"{error} (after {attempt + 1} attempt{'s' if attempt else ''})") from error
            log.info("model call failed (%s); retrying in %.1f s", error, backoff)
            time.sleep(backoff)
            attempt += 1


def _chat_messages(messages: Messages):
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role=role, content=content) for role, content in messages]


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
