"""NEWSBOT_ANSWER_MODE=llamacpp: a GGUF model loaded into this process by llama-cpp-python, through
llama-index's LlamaCPP, whose generic chat format ("system: …", "user: …", "assistant: ") carries
the messages. Needs the llamacpp extra."""

import threading
from collections.abc import Iterator

from bot.answering.llm.model import LLMError, Messages, chat_messages, short
from bot.settings import LLMSettings


class LlamaCppChat:
    def __init__(self, settings: LLMSettings):
        self.settings = settings
        self.name = settings.gguf.name
        self._llm = None
        self._lock = threading.Lock()  # one generation at a time: a llama.cpp context isn't shareable

    @classmethod
    def check_settings(cls, settings: LLMSettings) -> None:
        mode, gguf = f"{LLMSettings.env_name('mode')}={settings.mode}", LLMSettings.env_name("gguf")
        if settings.gguf is None:
            raise ValueError(f"{mode} needs {gguf}: the path of a .gguf model file")
        if not settings.gguf.expanduser().is_file():
            raise ValueError(f"{gguf}: no such file {settings.gguf}")
        from importlib.util import find_spec

        if find_spec("llama_cpp") is None or find_spec("llama_index.llms.llama_cpp") is None:
            raise ValueError(
                f"{mode} needs llama-cpp-python: CMAKE_ARGS=-DGGML_NATIVE=OFF pip install -e '.[llamacpp]' "
                "(it compiles for about 5 minutes)"
            )

    def load(self):
        with self._lock:
            if self._llm is None:
                self._llm = self._load()
            return self._llm

    def _load(self):
        from llama_index.llms.llama_cpp import LlamaCPP

        try:
            return LlamaCPP(
                model_path=str(self.settings.gguf.expanduser()),
                temperature=self.settings.temperature,
                max_new_tokens=self.settings.max_tokens,
                context_window=self.settings.context_window,
                generate_kwargs={},
                model_kwargs={"n_gpu_layers": 0},
                verbose=False,
            )
        except Exception as error:
            raise LLMError(
                f"cannot load {self.settings.gguf} ({LLMSettings.env_name('gguf')}): {short(str(error))}"
            ) from error

    def stream(self, messages: Messages, timeout: float) -> Iterator[str]:
        llm = self.load()
        if not self._lock.acquire(timeout=timeout):
            raise LLMError(f"the model {self.name} was busy with other questions for {timeout:.0f} s")
        try:
            for response in llm.stream_chat(chat_messages(messages)):
                if response.delta:
                    yield response.delta
        except Exception as error:
            raise LLMError(f"the model {self.name} failed: {type(error).__name__}: {short(str(error))}") from error
        finally:
            self._lock.release()

    def check(self) -> None:
        self.load()
