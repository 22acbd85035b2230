"""Answers written by a language model: the prompt files filled in, the reply generated, and its
citations verified. Also the condensing of a follow-up into a standalone question."""

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.answering.llm.model import ChatModel, Generated, LLMError, generate
from bot.answering.prompts import Prompts, as_data, format_history, format_passages
from bot.answering.verify import CitationVerifier, Verified
from bot.settings import LLMSettings
from index.search.searcher import Passage

# Characters of passages per token of context window left after the prompt and the answer:
# English news runs at about 4 characters a token; 3 leaves room for names and numbers.
CHARS_PER_TOKEN = 3
PROMPT_TOKENS = 600
CONDENSE_TURNS = 3
STANDALONE_PREFIX = re.compile(r"^(?:standalone question|question|rewritten question)\s*:\s*", re.IGNORECASE)


@dataclass
class LLMAnswer:
    verified: Verified
    generated: Generated
    verify_ms: float


def today_text(today: date) -> str:
    return f"{today:%A} {today.day} {today:%B %Y}"


class LLMAnswerer:
    def __init__(
        self,
        model: ChatModel,
        prompts: Prompts,
        verifier: CitationVerifier,
        settings: LLMSettings,
        max_question_chars: int,
    ):
        self.model = model
        self.prompts = prompts
        self.verifier = verifier
        self.settings = settings
        self.max_question_chars = max_question_chars

    def messages(self, question: str, passages: list[Passage], today: date) -> list[tuple[str, str]]:
        day = today_text(today)
        return [
            ("system", self.prompts.answer_system.fill(today=day)),
            (
                "user",
                self.prompts.answer_user.fill(
                    passages=format_passages(passages), question=as_data(question), today=day
                ),
            ),
        ]

    def fitting(self, passages: list[Passage]) -> list[Passage]:
        """The leading passages that fit the context window with the prompt and the answer."""
        budget = (self.settings.context_window - self.settings.max_tokens - PROMPT_TOKENS) * CHARS_PER_TOKEN
        kept, used = [], 0
        for passage in passages:
            used += len(passage.readable_text) + len(passage.title) + 40
            if kept and used > budget:
                break
            kept.append(passage)
        return kept

    def answer(
        self, question: str, passages: list[Passage], today: date, on_text: Callable[[str], None] | None = None
    ) -> LLMAnswer:
        """Raises LLMError when the model can't be used; the caller falls back."""
        shown = self.fitting(passages)
        generated = generate(
            self.model, self.messages(question, shown, today), self.settings.timeout, self.settings.retries, on_text
        )
        started = time.perf_counter()
        verified = self.verifier.verify(generated.text, shown)
        return LLMAnswer(verified, generated, (time.perf_counter() - started) * 1000)

    def condense(self, question: str, turns: Sequence, today: date) -> str:
        """The follow-up as a standalone question; LLMError when the model gives none usable."""
        prompt = self.prompts.condense.fill(
            history=format_history(list(turns)[-CONDENSE_TURNS:]), question=as_data(question), today=today_text(today)
        )
        generated = generate(self.model, [("user", prompt)], self.settings.timeout, self.settings.retries)
        lines = [line.strip() for line in generated.text.strip().splitlines() if line.strip()]
        standalone = STANDALONE_PREFIX.sub("", lines[0]).strip(" \"'“”") if lines else ""
        if len(standalone.split()) < 2 or len(standalone) > self.max_question_chars:
            raise LLMError(f"the model gave no usable standalone question ({standalone[:60]!r})")
        return standalone
