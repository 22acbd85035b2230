"""Conversations: the recent turns of one REPL session, Discord thread or DM, so follow-ups can
lean on them. Pipeline.ask turns a follow-up into a standalone search (see its `history`)."""

from collections import OrderedDict, deque
from dataclasses import dataclass

MAX_TURNS = 6
MAX_CONVERSATIONS = 2000


@dataclass(frozen=True)
class Turn:
    question: str
    search: str  # what search saw: the standalone form of a follow-up
    answer: str = ""


class Conversation:
    def __init__(self, max_turns: int = MAX_TURNS):
        self.turns: deque[Turn] = deque(maxlen=max_turns)

    def history(self) -> list[Turn]:
        return list(self.turns)

    def add(self, turn: Turn) -> None:
        self.turns.append(turn)

    def reset(self) -> None:
        self.turns.clear()


class Conversations:
    """Conversations by key (thread or DM channel id), the least recently used forgotten first."""

    def __init__(self, limit: int = MAX_CONVERSATIONS):
        self.limit = limit
        self._by_key: OrderedDict[int, Conversation] = OrderedDict()

    def get(self, key: int) -> Conversation:
        conversation = self._by_key.pop(key, None) or Conversation()
        self._by_key[key] = conversation
        while len(self._by_key) > self.limit:
            self._by_key.popitem(last=False)
        return conversation
