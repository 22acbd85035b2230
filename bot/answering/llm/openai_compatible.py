"""NEWSBOT_ANSWER_MODE=openai: any OpenAI-compatible chat server (OpenAI, Ollama, vLLM, LM Studio,
llama.cpp's server), through llama-index's OpenAILike."""

from collections.abc import Iterator
from urllib.parse import urlsplit

from bot.answering.llm.model import LLMError, Messages, TransientLLMError, chat_messages, short
from bot.settings import LLMSettings, http_address


class OpenAIChat:
    def __init__(self, settings: LLMSettings):
        from llama_index.llms.openai_like import OpenAILike

        self.settings = settings
        self.name = settings.model
        # Retries are `generate`'s, under the one deadline; the client's own would multiply them.
        self.llm = OpenAILike(
            model=settings.model,
            api_base=settings.base_url.rstrip("/"),
            api_key=self.api_key,
            is_chat_model=True,
            context_window=settings.context_window,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            timeout=settings.timeout,
            max_retries=0,
        )

    @classmethod
    def check_settings(cls, settings: LLMSettings) -> None:
        mode = f"{LLMSettings.env_name('mode')}={settings.mode}"
        base_url, model, key = (
            LLMSettings.env_name("base_url"),
            LLMSettings.env_name("model"),
            LLMSettings.env_name("api_key"),
        )
        try:
            http_address(settings.base_url, "http://localhost:11434/v1")
        except ValueError as error:
            raise ValueError(f"{base_url} {error}") from None
        if not settings.model:
            raise ValueError(f"{mode} needs {model}: the model name the server knows, e.g. gpt-4o-mini or llama3.2")
        if urlsplit(settings.base_url).hostname == "api.openai.com" and not settings.api_key.get_secret_value():
            raise ValueError(f"{mode} with api.openai.com needs {key}; for a local server set {base_url}")

    @property
    def api_key(self) -> str:
        return self.settings.api_key.get_secret_value() or "not-needed"

    @property
    def base_url(self) -> str:
        return self.settings.base_url.rstrip("/")

    def stream(self, messages: Messages, timeout: float) -> Iterator[str]:
        try:
            for response in self.llm.stream_chat(chat_messages(messages), timeout=timeout):
                if response.delta:
                    yield response.delta
        except Exception as error:
            raise self.explain(error) from error

    def check(self) -> None:
        """The server answers and, when it lists its models, lists this one."""
        import openai

        client = openai.OpenAI(
            base_url=self.base_url, api_key=self.api_key, timeout=min(self.settings.timeout, 15), max_retries=0
        )
        try:
            available = [model.id for model in client.models.list()]
        except Exception as error:
            raise self.explain(error) from error
        if available and self.settings.model not in available:
            shown = ", ".join(available[:5]) + (" …" if len(available) > 5 else "")
            raise LLMError(
                f"the server at {self.base_url} has no model {self.settings.model!r} "
                f"({LLMSettings.env_name('model')}); it has: {shown}"
            )

    def explain(self, error: Exception) -> LLMError:
        import httpx
        import openai

        where = self.base_url
        # While a reply streams, httpx's own errors arrive unwrapped by the openai client.
        if isinstance(error, openai.APITimeoutError | httpx.TimeoutException):
            return TransientLLMError(f"the model server at {where} did not answer in time")
        if isinstance(error, openai.APIConnectionError | httpx.TransportError):
            return TransientLLMError(
                f"cannot reach the model server at {where} ({LLMSettings.env_name('base_url')}): is it running?"
            )
        if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
            return LLMError(f"the model server at {where} refused the API key ({LLMSettings.env_name('api_key')})")
        if isinstance(error, openai.NotFoundError):
            return LLMError(
                f"the model server at {where} has no model {self.settings.model!r} ({LLMSettings.env_name('model')}), "
                "or the address lacks its /v1 part"
            )
        if isinstance(error, openai.RateLimitError | openai.InternalServerError):
            return TransientLLMError(f"the model server at {where} is busy or failing (HTTP {error.status_code})")
        if isinstance(error, openai.APIStatusError):
            return LLMError(f"the model server at {where} answered HTTP {error.status_code}: {short(error.message)}")
        return LLMError(f"the model server at {where} failed: {type(error).__name__}: {short(str(error))}")
