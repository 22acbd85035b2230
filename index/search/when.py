"""The time a question asks about, as a window of publication dates resolved against "now".

"this week", "yesterday", "last month", "on Monday", "3 days ago", "in March 2025", "2 June",
"June 2, 2025", "in 2024": each becomes the dates whose articles would report it. News of a day
is published on it and in the days after, so a day's window runs a few days past it. Phrases are
found by pattern, so "may" the verb is not a month, and parsed by dateparser against "now".
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# Reports of an event keep coming for a few days after it.
REPORTING_DAYS = 3

MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
PREPOSITIONS = {"on", "in", "by", "since", "from", "until", "of"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}

RELATIVE = re.compile(
    r"\b(?P<word>today|tonight|yesterday|recently|lately|latest|"
    r"(?:this|last|past|previous) (?:week(?:end)?|month|year)|"
    r"(?:on |last |this )?(?:" + "|".join(WEEKDAYS) + r")|"
    r"(?P<count>\d+|" + "|".join(NUMBER_WORDS) + r") (?P<unit>day|week|month|year)s? ago)\b",
    re.IGNORECASE,
)
# "2 June", "June 2", "June 2, 2025", "2nd of June 2025", "March 2025", "in March", "in 2024".
DAY_MONTH = re.compile(
    rf"\b(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?(?: of)? (?P<m1>{MONTHS})\.?|(?P<m2>{MONTHS})\.? (?P<d2>\d{{1,2}})(?:st|nd|rd|th)?)"
    rf"(?:,? (?P<y>(?:19|20)\d\d))?\b(?!:)",
    re.IGNORECASE,
)
MONTH_YEAR = re.compile(rf"\b(?P<m>{MONTHS})\.? (?:of )?(?P<y>(?:19|20)\d\d)\b", re.IGNORECASE)
IN_MONTH = re.compile(rf"\b(?:in|during|since|early|late|mid|mid-|last|this) (?P<m>{MONTHS})\b(?! \d)", re.IGNORECASE)
IN_YEAR = re.compile(r"\b(?:in|during|of|since) (?P<y>(?:19|20)\d\d)\b", re.IGNORECASE)


@dataclass(frozen=True)
class TimeWindow:
    start: date
    end: date  # inclusive
    phrase: str  # the words of the question that set it

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def time_window(question: str, now: date) -> TimeWindow | None:
    """The publication dates `question` asks about, or None when it names no time."""
    for find in (_explicit_day, _month_year, _relative, _in_month, _in_year):
        window = find(question, now)
        if window is not None:
            return window
    return None


def _relative(question: str, now: date) -> TimeWindow | None:
    match = RELATIVE.search(question)
    if match is None:
        return None
    phrase = match.group(0)
    word = " ".join(phrase.lower().split())
    if match.group("unit"):
        count = match.group("count").lower()
        amount = int(count) if count.isdigit() else NUMBER_WORDS[count]
        day = _parse(f"{amount} {match.group('unit')}s ago", now)
        if day is None:
            return None
        span = {"day": 0, "week": 6, "month": 30, "year": 364}[match.group("unit").lower()]
        return TimeWindow(
            day - timedelta(days=span // 2), min(now, day + timedelta(days=span // 2 + REPORTING_DAYS)), phrase
        )
    if word in ("today", "tonight"):
        return TimeWindow(now, now, phrase)
    if word == "yesterday":
        return TimeWindow(now - timedelta(days=1), now, phrase)
    if word in ("recently", "lately", "latest"):
        return TimeWindow(now - timedelta(days=30), now, phrase)
    if word.endswith(WEEKDAYS):
        weekday = WEEKDAYS.index(word.split()[-1])
        back = (now.weekday() - weekday) % 7 or (7 if word.startswith("last") else 0)
        day = now - timedelta(days=back)
        return TimeWindow(day, min(now, day + timedelta(days=REPORTING_DAYS)), phrase)
    which, unit = word.split()
    if unit.startswith("week"):
        # "this week" is the seven days before now; "last week" may mean them too, or the seven before.
        return TimeWindow(now - timedelta(days=7 if which in ("this", "past") else 14), now, phrase)
    if unit == "month":
        if which in ("this", "past"):
            return TimeWindow(now - timedelta(days=31), now, phrase)
        last_month_end = now.replace(day=1) - timedelta(days=1)
        return TimeWindow(last_month_end.replace(day=1), last_month_end + timedelta(days=REPORTING_DAYS), phrase)
    if which in ("this", "past"):
        return TimeWindow(now.replace(month=1, day=1), now, phrase)
    return TimeWindow(date(now.year - 1, 1, 1), date(now.year - 1, 12, 31), phrase)


def _explicit_day(question: str, now: date) -> TimeWindow | None:
    for match in DAY_MONTH.finditer(question):
        day_text = match.group("d1") or match.group("d2")
        month_text = match.group("m1") or match.group("m2")
        before = question[: match.start()].split()
        preposition = before[-1].lower() if before else ""
        if (
            month_text.lower() == "may"
            and match.group("m2")
            and not match.group("y")
            and preposition not in PREPOSITIONS
        ):
            # "may 2 people" is not a date; "on May 2", "2 May" and "May 2, 2025" are.
            continue
        text = f"{day_text} {month_text} {match.group('y') or ''}".strip()
        day = _parse(text, now)
        if day is not None:
            return TimeWindow(day - timedelta(days=1), day + timedelta(days=REPORTING_DAYS), match.group(0))
    return None


def _month_year(question: str, now: date) -> TimeWindow | None:
    match = MONTH_YEAR.search(question)
    return match and _month_window(f"1 {match.group('m')} {match.group('y')}", match.group(0), now)


def _in_month(question: str, now: date) -> TimeWindow | None:
    match = IN_MONTH.search(question)
    return match and _month_window(f"1 {match.group('m')}", match.group(0), now)


def _month_window(first_day: str, phrase: str, now: date) -> TimeWindow | None:
    first = _parse(first_day, now)
    return None if first is None else TimeWindow(first, _month_end(first) + timedelta(days=REPORTING_DAYS), phrase)


def _in_year(question: str, now: date) -> TimeWindow | None:
    match = IN_YEAR.search(question)
    if match is None or int(match.group("y")) > now.year:
        # A future year ("in 2030") is what an article plans, not when it was written.
        return None
    year = int(match.group("y"))
    return TimeWindow(date(year, 1, 1), min(now, date(year, 12, 31)), match.group(0))


def _parse(text: str, now: date) -> date | None:
    import dateparser

    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "RELATIVE_BASE": datetime(now.year, now.month, now.day, 12),
            "PREFER_DATES_FROM": "past",
            "PREFER_DAY_OF_MONTH": "first",
        },
    )
    return parsed.date() if parsed else None


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
