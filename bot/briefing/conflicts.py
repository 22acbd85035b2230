"""Reports that disagree: two sentences of one story that give different figures for the same thing.

Precision comes first, so a pair is flagged only when everything points one way: the two sentences
say nearly the same thing (their vectors are close) and count the same outcome (deaths, not injuries),
each gives exactly one figure of one kind (the same currency, or a number counting the same word,
"25 people" and "24 deaths"), neither figure appears in the other sentence, and neither names a
place or person the other leaves out while leaving out one the other names (Vermont's cases and
Texas's are two figures). Years, dates and
times of day are never compared: a sentence about 2020 and
one about 2016 are rarely about one figure. A later article from the same publisher that changes its
own figure is an update, not a disagreement. Measured on labelled pairs in docs/stories.md.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index.articles.stories import STORY_DAYS, day_of

# Every pair of a story's sentences is compared: each sentence's figures, names and times are worked
# out once for the many pairs it is in.
SENTENCES_KEPT = 4096
# Sentences less alike than this are about different things, whatever their figures.
SAME_THING = 0.75
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "dozen": 12,
    "hundred": 100,
}
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "m": 1e6, "bn": 1e9}
FIGURE = re.compile(
    r"(?P<currency>[$£€¥])?\s?(?P<number>\d[\d,]*(?:\.\d+)?|\b(?:" + "|".join(NUMBER_WORDS) + r")\b)"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|m)\b)?"
    r"(?:\s?(?P<percent>%|percent\b|per cent\b))?"
    r"(?P<rest>(?:\s+[A-Za-z'-]+){0,3})",
    re.IGNORECASE,
)
# Words that may stand between a number and what it counts ("25 more people", "at least 24 of the").
FILLERS = frozenset("more than other additional of the people's new total at least about nearly some over".split())
# A number after a month, or before one of these, is a date or a time of day: never compared.
MONTHS = frozenset(
    "jan jan. feb feb. mar mar. apr apr. may jun jun. jul jul. aug aug. sep sep. sept sept. oct oct. nov nov. dec dec. "
    "january february march april june july august september october november december".split()
)
CLOCK_AFTER = re.compile(r"\s*[ap]\.?m\b", re.IGNORECASE)
CLOCK = frozenset("a.m. p.m. am pm a.m p.m o'clock st nd rd th".split())
# Words that count the same people, so "nine people died" and "eight deaths" are one figure.
SAME_COUNT = {
    word: "people" for word in "people person resident residents death dead fatality fatalities victim victims".split()
}
# A sentence with one of these counts a different outcome from one without it.
OUTCOMES = ("injur", "hurt", "wound", "missing", "arrest", "hospital", "rescued", "evacuat")


# A number after one of these names something ("Category 2", "Route 66"); it counts nothing.
LABELS = frozenset(
    "category no. no number level stage route game week phase grade section article amendment chapter season episode flight".split()
)
# A sentence shorter than this is a list line or a label ("WHEN: Dec. 25, noon to 8 p.m."), not a report.
MIN_WORDS = 8
# A percentage after one of these is a change ("up 4.7%"), which differs between any two periods.
CHANGE_WORDS = frozenset(
    "up down rose fell rise fall increase increased decrease decreased more less higher lower by gained lost".split()
)
NAME = re.compile(r"(?<=\s)[A-Z][A-Za-z-]+")
OPENING_NAME = re.compile(r"^([A-Z][a-z]+)\s+(?=[A-Z][a-z])")
# Names that say when or who reported, not what is counted.
NOT_SUBJECTS = frozenset(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August "
    "September October November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec As The In On At".split()
)
ATTRIBUTION = re.compile(r",\s*according to\b.*$|,[^,]*\b(said|says|reported|reports)\b[^,]*$", re.IGNORECASE)
# "Whole milk — $3.21", "WHEN: Dec. 25": a list line or a label before its figure.
LISTED = re.compile(r"[—–:]\s*[$£€]?\d|^\s*\d+\s*[-—–:]")
# A number before one of these counts nothing named ("children 12 and under").
FUNCTION_WORDS = frozenset("and or to in on at for with from as is are was were the a an by than".split())
# "Gas averaged $3.86 on Tuesday": a reading at a stated time. Two readings at different stated
# times, or about different years, are two measurements, not two reports of one.
READING_TIME = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|tonight|morning|afternoon|evening)\b"
    r"|\bas of\b[^,.;]*|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b",
    re.IGNORECASE,
)
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
# A price per unit ("$3.86 a gallon", "$97 a barrel") or a day's market move is a market reading,
# which changes by the hour: two of them are compared only when published the same day.
MARKET = re.compile(
    r"[$£€¥]\s?\d[\d,.]*\s+(?:a|per)\s+\w+|\b(?:national average|for the day|trading|barrel|gallon|per share)\b",
    re.IGNORECASE,
)
# "11-16 named storms", "11 to 16": a range, not one figure.
RANGE_AFTER = re.compile(r"\s*(?:-|–|to)\s*\d")
RANGE_BEFORE = re.compile(r"\d\s*(?:-|–|to)\s*$")
# Words before a figure that make it a bound or an estimate, which another figure may agree with.
AT_LEAST = ("more than", "over", "at least", "above", "upwards of", "in excess of")
AT_MOST = ("less than", "under", "fewer than", "up to", "below", "nearly", "almost", "just under")
ABOUT = (
    "about",
    "around",
    "roughly",
    "approximately",
    "some",
    "an estimated",
    "nearly",
    "almost",
    "just under",
    "just above",
    "just over",
)
ABOUT_SHARE = 0.1
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
# Reports of one figure differ by less than this factor; further apart, they count different things.
MAX_RATIO = 2.0


@dataclass(frozen=True)
class Figure:
    kind: str  # "$", "%", or the word the number counts
    value: float
    text: str  # as written
    counted: str = ""  # the word it counts, as written
    bound: str = ""  # "at least", "at most" or "about" when the words before it say so


@dataclass(frozen=True)
class Claim:
    text: str
    article_id: str
    source: str
    published: str


@dataclass(frozen=True)
class Disagreement:
    about: str
    first: Claim
    second: Claim
    update: bool  # the same publisher changed its own figure later


@lru_cache(maxsize=SENTENCES_KEPT)
def figures(sentence: str, loose: bool = False) -> tuple[Figure, ...]:
    """The figures a sentence gives, each with the kind of thing it counts. `loose` keeps years
    (kind "year") and numbers that count nothing named (kind ""), for the learned model that
    train/conflicts.py tries."""
    found = []
    for match in FIGURE.finditer(sentence):
        number = match["number"].lower()
        if number in NUMBER_WORDS:
            value = float(NUMBER_WORDS[number])
        else:
            try:
                value = float(number.replace(",", ""))
            except ValueError:
                continue
        rest = [word.lower().strip("'") for word in (match["rest"] or "").split()]
        before = sentence[: match.start()].split()[-1:]
        year = False
        if not match["currency"] and not match["percent"]:
            if number.isdigit() and 1900 <= value <= 2100 and "," not in number:
                if not loose:
                    continue  # a year
                year = True
            elif before and (
                before[0].lower() in LABELS or before[0][:1].isupper() and match.start() > len(before[0]) + 1
            ):
                continue  # "Category 2", "Super Bowl 46": a name, not a count
            if CLOCK_AFTER.match(sentence, match.end("number")):
                continue  # "5 p.m."
        if RANGE_AFTER.match(sentence, match.end("number")) or RANGE_BEFORE.search(sentence, 0, match.start("number")):
            continue
        if (
            (before and before[0].lower() in MONTHS)
            or (rest[:1] and (rest[0] in MONTHS or rest[0] in CLOCK))
            or sentence[match.end("number") : match.end("number") + 1] in (":", "/")
        ):
            continue  # a date or a time of day
        if match["scale"]:
            value *= SCALES[match["scale"].lower()]
        counted = [word for word in rest if word not in FILLERS]
        if match["currency"]:
            kind = match["currency"]
        elif match["percent"]:
            if set(word.lower() for word in sentence[: match.start()].split()[-3:]) & CHANGE_WORDS:
                continue
            kind = "%"
        elif year:
            kind = "year"
        elif not counted or counted[0] in FUNCTION_WORDS:
            if not loose:
                continue  # "children 12 and under": a number that counts nothing named
            kind = ""
        else:
            singular = counted[0].removesuffix("s")
            kind = SAME_COUNT.get(counted[0]) or SAME_COUNT.get(singular) or singular
        found.append(
            Figure(
                kind,
                value,
                match.group(0).strip(),
                counted[0] if kind and kind not in "$£€¥%" and not year else "",
                _bound(sentence[: match.start()]),
            )
        )
    return tuple(found)


def _bound(before: str) -> str:
    words = " " + " ".join(before.lower().split()[-3:])
    if words.endswith(tuple(" " + w for w in AT_LEAST)):
        return "at least"
    if words.endswith(tuple(" " + w for w in AT_MOST)):
        return "at most"
    return "about" if words.endswith(tuple(" " + w for w in ABOUT)) else ""


def disagree(a: str, b: str, cosine: float) -> str:
    """What two sentences give different figures for ("" when they do not), for sentences `cosine`
    apart: the kind both count, with the words around it in the first."""
    if cosine < SAME_THING or min(len(a.split()), len(b.split())) < MIN_WORDS:
        return ""
    if LISTED.search(a) or LISTED.search(b):
        return ""
    names_a, names_b = subjects(a), subjects(b)
    if names_a - names_b and names_b - names_a:
        return ""  # each names someone or somewhere the other does not: two places, two teams
    for marks in (reading_times, years):
        if marks(a) and marks(b) and marks(a) != marks(b):
            return ""  # readings at different stated times, or about different years
    if {o for o in OUTCOMES if o in a.lower()} != {o for o in OUTCOMES if o in b.lower()}:
        return ""
    first, second = figures(a), figures(b)
    for kind in {f.kind for f in first} & {f.kind for f in second}:
        ours = [f for f in first if f.kind == kind]
        theirs = [f for f in second if f.kind == kind]
        if len(ours) != 1 or len(theirs) != 1:
            continue  # several figures of one kind: which matches which cannot be told
        x, y = ours[0], theirs[0]
        if _differ(x, y) and not written_in(x, b) and not written_in(y, a):
            return describe(x, a)
    return ""


@lru_cache(maxsize=SENTENCES_KEPT)
def reading_times(sentence: str) -> frozenset[str]:
    """When the figure was read, as the claim says, without when it was said ("…, the council said on Monday")."""
    return frozenset(" ".join(mark.lower().split()) for mark in READING_TIME.findall(ATTRIBUTION.sub("", sentence)))


@lru_cache(maxsize=SENTENCES_KEPT)
def years(sentence: str) -> frozenset[str]:
    return frozenset(YEAR.findall(sentence))


def _differ(x: Figure, y: Figure) -> bool:
    """Whether two figures of one kind differ as reports of one figure do: not by more than
    MAX_RATIO, and not as a round figure and the exact one it rounds ("$48,000", "$48,039")."""
    low, high = sorted((x.value, y.value))
    if low == high or high > MAX_RATIO * low:
        return False
    return not any(rounds_to(one.value, other.value) or allows(other, one.value) for one, other in ((x, y), (y, x)))


def allows(figure: Figure, value: float) -> bool:
    """Whether a bound or an estimate ("more than 320", "about $48,000") holds for `value`."""
    if figure.bound == "at least" and value >= figure.value or figure.bound == "at most" and value <= figure.value:
        return True
    return figure.bound == "about" and abs(value - figure.value) <= ABOUT_SHARE * figure.value


def rounds_to(exact: float, rough: float) -> bool:
    """Whether `rough` is `exact` rounded to rough's last non-zero digit, when that is a ten or more."""
    step = 10 ** (len(str(int(rough))) - len(str(int(rough)).rstrip("0"))) if rough >= 10 and rough == int(rough) else 1
    return step >= 10 and round(exact / step) * step == rough


@lru_cache(maxsize=SENTENCES_KEPT)
def subjects(sentence: str) -> frozenset[str]:
    """The names a sentence's claim is about, without who reported it or when."""
    claim = ATTRIBUTION.sub("", sentence)
    names = set(NAME.findall(claim))
    opening = OPENING_NAME.match(claim)  # "Nueces County reported …": a name, though it opens the sentence
    if opening:
        names.add(opening.group(1))
    return frozenset(names - NOT_SUBJECTS)


def describe(figure: Figure, sentence: str) -> str:
    """A few words saying what the figure is about: the word it counts, or for money and shares the
    words just before it."""
    if figure.kind in ("$", "£", "€", "¥", "%"):
        before = sentence[: sentence.find(figure.text)].split()[-3:]
        words = [
            w.strip(",.;:").lower()
            for w in before
            if w.lower().strip(",.;:") not in FILLERS | {"a", "an", "to", "is", "was", "for", "by", "of"}
        ]
        return " ".join(words[-2:]) or ("money" if figure.kind != "%" else "share")
    return "people" if figure.kind == "people" else figure.counted


def written_in(figure: Figure, sentence: str) -> bool:
    """Whether the other sentence writes the figure's number too, whatever it counts there."""
    written = NUMBER.search(figure.text)
    return bool(written) and written.group(0) in {number for number in NUMBER.findall(sentence)}


def find_disagreements(claims: Sequence[Claim], vectors: np.ndarray) -> list[Disagreement]:
    """What `claims` (sentences of one story's articles, with their unit vectors row for row) give
    different figures for. First each publisher's own updates: a later article of the same publisher
    with another figure for the same thing. Then, among each publisher's latest figures, the pairs
    from different publishers: reports that disagree. Each claim is in one pair at most."""
    if len(claims) < 2:
        return []
    similarities = vectors @ vectors.T
    order = sorted(range(len(claims)), key=lambda i: (claims[i].published, i))
    found: list[Disagreement] = []
    used: set[int] = set()
    superseded: set[int] = set()
    for same_publisher in (True, False):
        for position, i in enumerate(order):
            for j in order[position + 1 :]:
                a, b = claims[i], claims[j]
                if (
                    a.article_id == b.article_id
                    or (a.source == b.source) != same_publisher
                    or {i, j} & (used | superseded)
                ):
                    continue
                days_apart = abs(day_of(a.published) - day_of(b.published)) if a.published and b.published else 0
                if days_apart > STORY_DAYS or days_apart and (MARKET.search(a.text) or MARKET.search(b.text)):
                    continue  # figures weeks apart, or market readings days apart, are two measurements
                about = disagree(a.text, b.text, float(similarities[i, j]))
                if about:
                    found.append(Disagreement(about, a, b, same_publisher))
                    # An update retires the older figure; the newer one may still disagree with another outlet's.
                    if same_publisher:
                        superseded.add(i)
                    else:
                        used.update((i, j))
    return found
