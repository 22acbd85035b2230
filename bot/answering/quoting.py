"""Quotable spans: a sentence of a passage widened just enough to be read on its own.

A quote is verbatim text of the passage, never edited. A sentence becomes a span that
- balances its quotation marks (a sentence cut from a multi-sentence quotation takes the rest of it);
- carries its list: a lead-in ("He outlined three demands:") takes the items after it, and an item
  ("Second — the release of prisoners.") takes the lead-in and the items before it;
- carries what a leading pronoun or "that proposal" refers to: the sentence before it.

`shape_problems` names what is wrong with a quoted answer (fragments, unbalanced quotes); newsbot
eval counts them.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.articles.sentences import split_sentences

# A span grows to at most this many words; a sentence that needs more is not quoted (a long
# sentence that needs nothing more is).
MAX_SPAN_WORDS = 90
MAX_LIST_ITEMS = 6
LIST_LINE_WORDS = 20

OPEN_QUOTES, CLOSE_QUOTES = "“«", "”»"
REFERRING_START = re.compile(r"^[\"“‘']?(?:He|She|They|His|Her|Their|Them|This|That|These|Those|Such|Its)\b(?!['’])")
# "pushed back on that proposal": a demonstrative after a preposition points at an earlier sentence.
REFERRING_INSIDE = re.compile(
    r"\b(?:on|to|of|with|against|about|for|by|from|over|under|after|before|behind|despite)\s+"
    r"(?:that|this|these|those)\s+[a-z]+"
)
FIRST_ITEM = re.compile(r"^[\"“‘']?(?:First(?:ly)?\b|1[.)]\s|\(1\)|[•·▪●]\s|[-–—*]\s|One:)")
LATER_ITEM = re.compile(
    r"^[\"“‘']?(?:(?:Second|Third|Fourth|Fifth|Sixth)(?:ly)?\b|[2-9][.)]\s|\([2-9]\)|[•·▪●]\s|[-–—*]\s)"
)
ENUMERATOR = re.compile(r"\(?(?:\d{1,2}|[a-z])[.)]")
# A live blog's entry credit after its last sentence: "…controversial. - Ken Alltucker".
TRAILING_CREDIT = re.compile(r"\s+[-–—]\s?[A-Z][\w.'’-]+(?:\s[A-Z][\w.'’-]+){0,3}(?:,\s[A-Z][\w ]{0,30})?$")
TERMINAL = re.compile(r"[.!?…][\"”’')\]]*$|[\"”’]$")


@dataclass(frozen=True)
class Sentence:
    text: str  # without surrounding whitespace
    start: int  # offsets of `text` in the passage text
    end: int
    paragraph: int


def sentences_of(text: str) -> list[Sentence]:
    """The sentences of `text` with their offsets; a line is a paragraph. A list number that the
    splitter took for a sentence of its own ("1.") stays with the item it numbers."""
    found: list[Sentence] = []
    offset = paragraph = 0
    pieces = split_sentences(text)
    for number, piece in enumerate(pieces):
        stripped = piece.strip()
        credit = TRAILING_CREDIT.search(stripped)
        if credit and ends_a_sentence(stripped[: credit.start()]):
            stripped = stripped[: credit.start()]
        elif _is_credit(stripped, after_text=bool(found) and found[-1].paragraph == paragraph) and (
            "\n" in piece or number == len(pieces) - 1
        ):
            stripped = ""  # a credit the splitter took for a sentence: not a list item, not text
        if stripped:
            start = offset + piece.index(stripped)
            last = found[-1] if found else None
            if last is not None and ENUMERATOR.fullmatch(last.text) and last.paragraph == paragraph:
                found[-1] = Sentence(
                    text[last.start : start + len(stripped)], last.start, start + len(stripped), paragraph
                )
            else:
                found.append(Sentence(stripped, start, start + len(stripped), paragraph))
        offset += len(piece)
        paragraph += piece.count("\n") > 0
    return found


def _is_credit(line: str, after_text: bool) -> bool:
    """A live blog's entry credit: "– Doyle Rice, USA TODAY" on a line of its own, or "- Ken
    Alltucker" closing a paragraph (a hyphen line alone may be a list item: "- Joe Biden")."""
    return bool(TRAILING_CREDIT.fullmatch(" " + line)) and (after_text or not line.startswith("-"))


def quote_balance(text: str) -> int:
    """Opening minus closing quotation marks; straight double quotes count as open when odd."""
    curly = sum(text.count(mark) for mark in OPEN_QUOTES) - sum(text.count(mark) for mark in CLOSE_QUOTES)
    return curly + text.count('"') % 2


def is_balanced(text: str) -> bool:
    """Every opening mark closed, as `quote_balance` counts them: an article that opens a quotation
    with a straight mark and closes it with a curly one has still closed it."""
    return quote_balance(text) == 0


def refers_back(sentence: str) -> bool:
    """Whether the sentence leans on the one before it: a leading pronoun or "that proposal"."""
    return bool(REFERRING_START.match(sentence) or REFERRING_INSIDE.search(sentence))


def ends_a_sentence(text: str) -> bool:
    """Whether `text` ends as a sentence does (a full stop, question or exclamation mark, maybe
    inside closing quotes or brackets), not as a heading or a cut-off line."""
    return bool(TERMINAL.search(text.rstrip()))


def is_lead_in(sentence: str) -> bool:
    return sentence.rstrip().endswith(":")


def ends_a_list(quote: str) -> bool:
    """Whether `quote` is a lead-in followed by the lines of its list, or a sentence followed by
    numbered or bulleted items."""
    lines = [line for line in quote.splitlines() if line.strip()]
    return len(lines) > 1 and (
        any(is_lead_in(line) for line in lines[:-1])
        or all(FIRST_ITEM.match(line) or is_later_item(line) for line in lines[1:])
    )


def is_later_item(sentence: str) -> bool:
    return bool(LATER_ITEM.match(sentence))


@dataclass(frozen=True)
class Span:
    first: int  # indices into the passage's sentences, inclusive
    last: int


def widen(sentences: Sequence[Sentence], chosen: int) -> Span | None:
    """The smallest span around sentence `chosen` that reads on its own, or None when there is
    none within the passage (a quotation or list cut off at its edge, or longer than
    MAX_SPAN_WORDS)."""
    first = last = chosen
    if is_lead_in(sentences[last].text) or (
        last + 1 < len(sentences)
        and FIRST_ITEM.match(sentences[last + 1].text)
        and not FIRST_ITEM.match(sentences[last].text)
    ):
        last = _list_end(sentences, last)
        if last == chosen:
            return None  # a lead-in whose list the passage cut off
    # Balancing quotation marks can pull in a list item, which then needs its lead-in: repeat
    # until the span stops growing.
    pulled_in_by_marks = False
    while True:
        span = first, last
        if is_later_item(sentences[first].text):
            first = _list_start(sentences, first)
            if first is None:
                return None
            pulled_in_by_marks = False
        # A sentence reached only to close a quotation is part of the quote, not its start.
        if not pulled_in_by_marks and refers_back(sentences[first].text):
            if first == 0:
                return None
            first -= 1
        balanced = _balance(sentences, first, last)
        if balanced is None:
            return None
        pulled_in_by_marks = balanced[0] != first
        first, last = balanced
        if (first, last) == span:
            break
    if first != last and sum(len(s.text.split()) for s in sentences[first : last + 1]) > MAX_SPAN_WORDS:
        return None
    return Span(first, last)


def span_text(text: str, sentences: Sequence[Sentence], span: Span) -> str:
    """The verbatim text of `span`, line breaks included."""
    return text[sentences[span.first].start : sentences[span.last].end]


def _list_start(sentences: list[Sentence], item: int) -> int | None:
    """The lead-in of the list that sentence `item` belongs to."""
    index = item
    for _ in range(MAX_LIST_ITEMS):
        index -= 1
        if index < 0:
            return None
        text = sentences[index].text
        if FIRST_ITEM.match(text) or is_later_item(text) or quote_balance(text) < 0:
            continue
        return index
    return None


def _list_end(sentences: list[Sentence], lead_in: int) -> int:
    """The last item of the list that follows lead-in `lead_in`."""
    last = lead_in
    for index in range(lead_in + 1, min(len(sentences), lead_in + 1 + MAX_LIST_ITEMS)):
        text = sentences[index].text
        if index == lead_in + 1 or FIRST_ITEM.match(text) or is_later_item(text) or _is_list_line(sentences, index):
            last = index
        else:
            break
    return last


def _is_list_line(sentences: Sequence[Sentence], index: int) -> bool:
    """A short line of its own with no full stop after a list's start ("iPhone 17: $799"): an
    item of an unmarked list."""
    sentence = sentences[index]
    return (
        sentences[index - 1].paragraph != sentence.paragraph
        and (index + 1 >= len(sentences) or sentences[index + 1].paragraph != sentence.paragraph)
        and not ends_a_sentence(sentence.text)
        and len(sentence.text.split()) <= LIST_LINE_WORDS
    )


def _balance(sentences: list[Sentence], first: int, last: int) -> tuple[int, int] | None:
    """Widen [first, last] within its paragraphs until it starts outside any quotation and its
    quotation marks balance."""

    def joined(lo: int, hi: int) -> str:
        return " ".join(sentence.text for sentence in sentences[lo : hi + 1])

    opening = first
    while opening > 0 and sentences[opening - 1].paragraph == sentences[first].paragraph:
        opening -= 1
    while first > opening and quote_balance(joined(opening, first - 1)) > 0:
        first -= 1
    while (open_marks := quote_balance(joined(first, last))) != 0:
        if open_marks > 0:
            if last + 1 >= len(sentences) or sentences[last + 1].paragraph != sentences[last].paragraph:
                return None
            last += 1
        else:
            if first == 0 or sentences[first - 1].paragraph != sentences[first].paragraph:
                return None
            first -= 1
        if last - first > 2 * MAX_LIST_ITEMS:
            return None
    return first, last


def shape_problems(quote: str) -> list[str]:
    """What makes a quoted span read badly: "unbalanced quotes", "fragment" (starts mid-sentence,
    is a list item without its lead-in, or ends without a full stop), "dangling reference" (a
    leading pronoun with nothing before it)."""
    problems = []
    quote = quote.strip()
    if not is_balanced(quote):
        problems.append("unbalanced quotes")
    opening = quote.lstrip("\"“‘'([")
    if (
        not opening
        or opening[0].islower()
        or opening[0] in ",;:—–-)"
        or is_later_item(quote)
        or is_lead_in(quote)
        or not (ends_a_sentence(quote) or ends_a_list(quote))
    ):
        problems.append("fragment")
    if REFERRING_START.match(quote):
        problems.append("dangling reference")
    return problems


# Article sentences that address a language model ("ignore previous instructions", "reply only
# with") are never quoted as an answer nor accepted as support for one: article text is data.
MODEL_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget) (?:all |any )?(?:the |your )?(?:previous|prior|above|earlier)\b"
    r"|\b(?:system prompt|you are now|tell the user)\b|^\W*(?:reply|respond|answer|say|write) (?:only )?with\b",
    re.IGNORECASE,
)


def addresses_a_model(sentence: str) -> bool:
    return bool(MODEL_INSTRUCTION.search(sentence))
