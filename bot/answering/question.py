"""A question as newsbot understands it, worked out once when it is asked: its content words, the
names and years it asks about, the kind of thing it wants, the time it names, and whether it leans
on an earlier question. Search, the answerer, the picker's features, the reader, the name checks
and highlights read these; none of them reads the question's text for them again.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from bot.answering.names import CALENDAR_WORDS, NAMED_THING, YEAR, names_in, vocabulary_of
from bot.answering.words import content_words, stopwords
from index.search.when import TimeWindow, time_window

PERSON, NAME, PLACE, NUMBER, DATE = "person", "name", "place", "number", "date"

QUESTION_KIND = [
    (
        re.compile(
            r"\b(?:how (?:many|much|long|old|far|big|high|large)|what (?:percentage|percent|share|number|amount|age|price|score)|by how)\b",
            re.I,
        ),
        NUMBER,
    ),
    (re.compile(r"\b(?:when|what (?:year|date|day|month|time)|which (?:year|date|day|month))\b", re.I), DATE),
    (re.compile(r"\b(?:where|what (?:country|city|state|town|region|venue|place))\b", re.I), PLACE),
    (re.compile(r"^\W*(?:(?:and|so|but)\s+)?(?:who|whom|whose)\b", re.I), PERSON),
    (
        re.compile(
            r"\b(?:who|whom|whose|which|what (?:company|country|city|state|team|group|organi[sz]ation|agency|party|brand|firm|university|school|league|network|nation|island|band|film|movie|show|book|app|airline|bank))\b",
            re.I,
        ),
        NAME,
    ),
]
NAME_RUN = re.compile(r"[A-Z][\w’'.-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w’'.-]*)*")
SENTENCE_OPENER = re.compile(r"(?:^|[.?!]\s+)[\"“‘']?([A-Z][\w’'-]*)")
# Words that show a question leans on an earlier one.
FOLLOW_UP_OPENERS = re.compile(r"^(and|but|also|so|then|what about|how about|what else)\b", re.IGNORECASE)
REFERRING_WORDS = frozenset(
    "it its that this those these they them their he him his she her there then same other else".split()
)
# "Why?", "Since when?": too short to stand alone.
SHORT_QUESTION_WORDS = 3


@dataclass(frozen=True)
class Question:
    text: str
    asked_on: date  # the day it is asked as of: its time is resolved against it
    words: frozenset[str]  # content words, stemmed, as sentences' words are compared with them
    names: tuple[str, ...]  # the names it asks about; a date in it ("in June", "on Monday") is not one
    years: tuple[str, ...]
    specifics: tuple[str, ...]  # its names and years, once each
    terms: tuple[tuple[str, ...], ...]  # what singles out its subject (`distinguishing_terms`)
    named_things: Mapping[str, str]  # a thing it names, to the name: {"delegation": "Russian"}
    kind: str | None  # PERSON, NAME, PLACE, NUMBER or DATE; None for what, why, how
    window: TimeWindow | None  # the publication dates it asks about
    follow_up: bool  # leans on an earlier question ("And what did Russia say?", "When?")
    vocabulary: frozenset[str]  # its words as names are matched against
    mentioned: frozenset[str]  # its words, lowercased: a thing of its kind it already names is no answer
    anchors: frozenset[str]  # its words of four letters or more, which a highlight is found near

    @classmethod
    def of(cls, text: str, asked_on: date) -> "Question":
        names = tuple(name for name in names_in(text) if name.lower() not in CALENDAR_WORDS)
        years = tuple(YEAR.findall(text))
        return cls(
            text=text,
            asked_on=asked_on,
            words=content_words(text),
            names=names,
            years=years,
            specifics=tuple(dict.fromkeys(names + years)),
            terms=distinguishing_terms(text, years),
            named_things={
                thing: name for name, thing in NAMED_THING.findall(text) if name in names and thing not in stopwords()
            },
            kind=question_kind(text),
            window=time_window(text, asked_on),
            follow_up=is_follow_up(text),
            vocabulary=frozenset(vocabulary_of(text)),
            mentioned=frozenset(word.lower() for word in re.findall(r"\w+", text)),
            anchors=frozenset(word.lower() for word in re.findall(r"\w{4,}", text)),
        )


def question_kind(text: str) -> str | None:
    for pattern, kind in QUESTION_KIND:
        if pattern.search(text):
            return kind
    return None


def distinguishing_terms(text: str, years: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """What singles out the thing a question asks about: each name of several words ("Nobel Peace
    Prize", "Berlin Film Festival"), as its words, and each year ("2019",). An article that holds
    part of a name but not all of it, or lacks the year, is about a neighbour (the 2019 Physics
    prize for "Who won the Nobel Peace Prize in 2019?"). A lone name no passage mentions is the
    name check's (`missing_names`); a lone name some article lacks ("American") singles out little."""
    # A question's sentences open with a capital whether or not the word is a name ("Plenty of sports…").
    openers = {match.group(1) for match in SENTENCE_OPENER.finditer(text)}
    terms = []
    for run in NAME_RUN.finditer(text):
        parts = tuple(
            name for name in names_in(run.group()) if name.lower() not in CALENDAR_WORDS and name not in openers
        )
        if len(parts) > 1:
            terms.append(parts)
    return tuple(dict.fromkeys(terms + [(year,) for year in years]))


def is_follow_up(text: str) -> bool:
    words = re.findall(r"[\w']+", text.lower())
    if not words:
        return False
    if FOLLOW_UP_OPENERS.match(text.strip()):
        return True
    return len(words) <= SHORT_QUESTION_WORDS or bool(REFERRING_WORDS.intersection(words))
