"""Prompt files from prompts/ (or NEWSBOT_PROMPTS_DIR): read once, checked for their
placeholders, and filled in per question. What each file and placeholder is: prompts/README.md."""

from dataclasses import dataclass
from pathlib import Path
from string import Formatter

from bot.dates import human_date
from bot.settings import SettingsError


class PromptError(SettingsError):
    """A prompt file is missing or its placeholders are wrong; the message names the file."""


# file stem: (placeholders it must use, placeholders it may use)
PLACEHOLDERS = {
    "answer_system": (frozenset(), frozenset({"today"})),
    "answer_user": (frozenset({"passages", "question"}), frozenset({"passages", "question", "today"})),
    "condense": (frozenset({"history", "question"}), frozenset({"history", "question", "today"})),
}


@dataclass(frozen=True)
class Prompt:
    path: Path
    text: str

    def fill(self, **values: str) -> str:
        return self.text.format(**values).strip()


@dataclass(frozen=True)
class Prompts:
    answer_system: Prompt
    answer_user: Prompt
    condense: Prompt


def load_prompts(folder: Path) -> Prompts:
    return Prompts(**{stem: _load(folder / f"{stem}.txt", *PLACEHOLDERS[stem]) for stem in PLACEHOLDERS})


def _load(path: Path, required: frozenset[str], allowed: frozenset[str]) -> Prompt:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PromptError(f"cannot read the prompt file {path}: {error.strerror or error}") from None
    try:
        used = {field for _, field, _, _ in Formatter().parse(text) if field is not None}
    except ValueError as error:
        raise PromptError(f"{path}: {error} (write {{{{ and }}}} for literal braces)") from None
    unknown = sorted(used - allowed)
    if unknown:
        raise PromptError(
            f"{path}: unknown placeholder {{{unknown[0]}}}; it may use {', '.join(f'{{{n}}}' for n in sorted(allowed))}"
        )
    missing = sorted(required - used)
    if missing:
        raise PromptError(f"{path}: the placeholder {{{missing[0]}}} is missing")
    return Prompt(path, text)


def as_data(text: str) -> str:
    """Article text can't open or close the prompt's <passages> frame."""
    return text.replace("<", "‹").replace(">", "›")


def format_passages(passages) -> str:
    """The passages numbered from 1, each with a header line naming its article."""
    blocks = []
    for n, passage in enumerate(passages, start=1):
        about = ", ".join(
            part for part in (passage.source, human_date(passage.published) if passage.published else "") if part
        )
        header = f"[{n}] {passage.title or '(untitled)'}" + (f" ({about})" if about else "")
        blocks.append(as_data(f"{header}\n{passage.readable_text.strip()}"))
    return "\n\n".join(blocks)


def format_history(turns, answer_chars: int = 300) -> str:
    lines = []
    for turn in turns:
        lines.append(f"User: {as_data(turn.question)}")
        if turn.answer:
            answer = turn.answer if len(turn.answer) <= answer_chars else turn.answer[:answer_chars].rstrip() + "…"
            lines.append(f"newsbot: {as_data(answer)}")
    return "\n".join(lines)
