"""Where a sentence holds the kind of thing a question asks for (Question.kind).

"Who leads the delegation?" wants a name, "How many prisoners?" a number, "When did it happen?" a
date. A sentence that holds a thing of that kind the question doesn't already name is likelier to
answer it; that thing is the span an answer highlights. Names are found by capitalisation, numbers
and dates by pattern: measured against spaCy-free alternatives in bench/tuning/tune_answer.py.
"""

import re

from bot.answering.question import DATE, NAME, NUMBER, PERSON, PLACE, Question

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec"
DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    "seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|dozens?|"
    "hundreds|thousands|millions|billions|half|a third|a quarter"
)
INSTITUTIONS = (
    "Ministry|Department|Palace|University|College|School|Party|Court|House|Senate|Congress|Council|Committee|"
    "Agency|Office|Bank|Inc|Corp|Company|Group|Association|Foundation|Institute|Center|Centre|Hospital|Airport|"
    "Street|Avenue|Road|City|County|State|States|Province|Island|Islands|River|Lake|Mountain|Park|Bridge|Square|"
    "Church|Cathedral|Stadium|Arena|Museum|Republic|Kingdom|Union|Nations|Army|Navy|Force|Police|Guard|Times|Post|News|"
    "Network|Service|Administration|Commission|Board|Authority|Federation|League|Club|Team|Cup|Games|Awards|Act|Bill|Day"
)
CALENDAR = re.compile(f"{MONTHS}|{DAYS}")
CAPITALISED_RUN = (
    r"\b[A-Z][\w’'.-]*[\w](?:\s(?:of|de|da|del|von|van|al|bin|the|and|&)\s[A-Z][\w’'.-]*[\w]|\s[A-Z][\w’'.-]*[\w])*"
)
SPAN_PATTERNS = {
    NUMBER: re.compile(
        rf"(?:[$€£¥]\s?)?\b\d[\d,.]*(?:\s?(?:%|percent|per cent|million|billion|trillion|thousand|bn|m|k)\b)?"
        rf"(?:\s(?:million|billion|trillion))?|\b(?:{NUMBER_WORDS})(?:[- ](?:{NUMBER_WORDS}))*\b(?:\s(?:percent|million|billion|people|times))?",
        re.I,
    ),
    DATE: re.compile(
        rf"\b(?:(?:{DAYS}),?\s)?(?:(?:{MONTHS})\.?\s\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s\d{{4}})?|\d{{1,2}}\s(?:{MONTHS})(?:\s\d{{4}})?"
        rf"|(?:{MONTHS})\s\d{{4}}|(?:{DAYS})|(?:1[89]|20)\d\d|(?:yesterday|today|last (?:week|month|year)|this (?:week|month|year)))\b"
    ),
    # Runs of capitalised words, joined by short linking words ("Bank of America", "Ciragan Palace").
    NAME: re.compile(CAPITALISED_RUN),
    # Two to four capitalised words with no word of an institution or place in them ("Rustem Umerov").
    PERSON: re.compile(
        rf"\b(?!(?:{MONTHS}|{DAYS})\b)[A-Z][\w’'.-]*[a-z](?:\s(?:[A-Z]\.\s)?(?!(?:{INSTITUTIONS})\b)[A-Z][\w’'-]*[a-z]){{1,5}}\b(?!\s(?:{INSTITUTIONS})\b)"
    ),
    # A name after a preposition of place ("in Istanbul", "to Istanbul’s Ciragan Palace").
    PLACE: re.compile(
        rf"\b(?:[Ii]n|[Aa]t|near|from|to|outside|inside|across) (?:the )?(?P<thing>(?!(?:{MONTHS}|{DAYS})\b){CAPITALISED_RUN})"
    ),
}
# Capitalised only because they open a sentence, or titles before a name.
NOT_NAMES = {
    "the",
    "a",
    "an",
    "in",
    "on",
    "at",
    "but",
    "and",
    "or",
    "if",
    "as",
    "for",
    "after",
    "before",
    "when",
    "while",
    "this",
    "that",
    "these",
    "those",
    "he",
    "she",
    "they",
    "it",
    "we",
    "i",
    "his",
    "her",
    "their",
    "its",
    "our",
    "there",
    "here",
    "what",
    "who",
    "where",
    "which",
    "how",
    "why",
    "some",
    "many",
    "more",
    "most",
    "according",
    "also",
    "however",
    "meanwhile",
    "still",
    "yet",
    "so",
    "since",
    "despite",
    "during",
    "with",
    "without",
    "from",
    "by",
    "to",
    "of",
    "about",
    "first",
    "second",
    "third",
    "last",
    "now",
    "then",
}


def kind_spans(sentence: str, question: Question) -> list[tuple[int, int]]:
    """Spans of `sentence` holding a thing of the kind `question` asks for that it doesn't already
    mention; none when it asks for no kind."""
    kind, asked = question.kind, question.mentioned
    if kind is None:
        return []
    spans = []
    pattern = SPAN_PATTERNS[kind]
    for match in pattern.finditer(sentence):
        group = "thing" if "thing" in pattern.groupindex else 0
        start, end = match.span(group)
        text = match.group(group)
        if kind in (PERSON, NAME, PLACE):
            words = text.split()
            while words and words[0].lower().strip("’'") in NOT_NAMES:
                start += len(words[0]) + 1
                words = words[1:]
            if not words or CALENDAR.fullmatch(words[0]):
                continue
            text = " ".join(words)
        named = [word.lower() for word in re.findall(r"\w+", text)]
        # A name sharing a word with the question is the question's own subject ("Zelenskyy" in
        # "President Volodymyr Zelenskyy"); a number or date must differ as a whole.
        if (kind in (PERSON, NAME, PLACE) and any(word in asked and len(word) > 2 for word in named)) or all(
            word in asked for word in named
        ):
            continue
        spans.append((start, end))
    return spans


def highlight(sentence: str, question: Question) -> tuple[int, int] | None:
    """The span of `sentence` that answers `question`: of the things of the kind it asks for, the
    one nearest the question's own words in the sentence."""
    spans = kind_spans(sentence, question)
    if not spans:
        return None
    anchors = [m.start() for m in re.finditer(r"\w+", sentence) if m.group().lower() in question.anchors]
    if not anchors:
        return spans[0]
    return min(spans, key=lambda span: min(abs(span[0] - anchor) for anchor in anchors))
