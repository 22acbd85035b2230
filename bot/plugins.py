"""Language-model backends, found by entry point: a package adds one by declaring

    [project.entry-points."newsbot.chat_models"]
    mymode = "mypackage.module:MyChat"

after which NEWSBOT_ANSWER_MODE=mymode answers with it. newsbot's own (openai, llamacpp) are
declared the same way in pyproject.toml. A backend is a `ChatModel` (bot/answering/llm/model.py).
"""

from functools import cache
from importlib.metadata import EntryPoint, entry_points

CHAT_MODELS = "newsbot.chat_models"


@cache
def _chat_model_entry_points() -> dict[str, EntryPoint]:
    return {entry.name: entry for entry in entry_points(group=CHAT_MODELS)}


def chat_model_names() -> tuple[str, ...]:
    return tuple(sorted(_chat_model_entry_points()))


def chat_model_class(name: str) -> type:
    """The backend's class; a name no installed package declares is a KeyError."""
    return _chat_model_entry_points()[name].load()
