"""The names and years a question asks about, and whether passages mention them: the picker reads
them, and a question about someone the passages never name is refused rather than answered about
someone else."""

import re

from bot.answering.words import stopwords
from index.search.searcher import Passage

CAPITALISED = re.compile(r"\b[A-Z][\w.’'-]*")
# A question's first word is capitalised because it comes first, not because it is a name.
QUESTION_OPENERS = {
    "what",
    "who",
    "whom",
    "whose",
    "where",
    "when",
    "why",
    "how",
    "which",
    "is",
    "are",
    "was",
    "were",
    "did",
    "does",
    "do",
    "has",
    "have",
    "had",
    "can",
    "could",
    "will",
    "would",
    "should",
    "tell",
    "list",
    "give",
    "name",
    "explain",
    "describe",
    "show",
    "summarise",
    "summarize",
}
CALENDAR_WORDS = {
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
}
# Two spellings of a name match when they share this long a prefix (Zelensky / Zelenskyy,
# Russian / Russia), but no shorter than NAME_PREFIX_MIN characters.
NAME_PREFIX_SLACK = 2
NAME_PREFIX_MIN = 5


def names_in(text: str) -> list[str]:
    """Capitalised words of a question or sentence that are names, not question words or stopwords."""
    names = []
    for match in CAPITALISED.finditer(text):
        name = re.sub(r"(['’]s)?[.’'-]*$", "", match.group())
        lowered = name.lower()
        if not name or lowered in stopwords() or (match.start() == 0 and lowered in QUESTION_OPENERS):
            continue
        names.append(name)
    return names


def asked_names(question: str) -> list[str]:
    """The names a question asks about. A date in it ("in June 2025", "on Monday") is matched by
    search, not by name."""
    return [name for name in names_in(question) if name.lower() not in CALENDAR_WORDS]


def missing_names(question: str, passages: list[Passage]) -> list[str]:
    """Names in the question that no passage (text or title) mentions. News questions about
    someone the articles never name ("What did Erdogan say?") can't be answered from them, however
    similar the rest of the wording; this catches what embedding similarity can't."""
    names = asked_names(question)
    if not names:
        return []
    vocabulary = vocabulary_of(" ".join(f"{passage.title} {passage.readable_text}" for passage in passages))
    return [name for name in names if not mentioned(name, vocabulary)]


YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
NAME_RUN = re.compile(r"[A-Z][\w’'.-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w’'.-]*)*")
SENTENCE_OPENER = re.compile(r"(?:^|[.?!]\s+)[\"“‘']?([A-Z][\w’'-]*)")


def distinguishing_terms(question: str) -> list[tuple[str, ...]]:
    """What singles out the thing a question asks about: each name of several words ("Nobel Peace
    Prize", "Berlin Film Festival"), as its words, and each year ("2019",). An article that holds
    part of a name but not all of it, or lacks the year, is about a neighbour (the 2019 Physics
    prize for "Who won the Nobel Peace Prize in 2019?"). A lone name no passage mentions is the
    name check's (`missing_names`); a lone name some article lacks ("American") singles out little."""
    # A question's sentences open with a capital whether or not the word is a name ("Plenty of sports…").
    openers = {match.group(1) for match in SENTENCE_OPENER.finditer(question)}
    terms = []
    for run in NAME_RUN.finditer(question):
        parts = tuple(
            name for name in names_in(run.group()) if name.lower() not in CALENDAR_WORDS and name not in openers
        )
        if len(parts) > 1:
            terms.append(parts)
    return list(dict.fromkeys(terms + [(year,) for year in YEAR.findall(question)]))


def unmatched_terms(question: str, passage: Passage, passages: list[Passage]) -> list[str]:
    """The parts of the question's distinguishing terms that `passage`'s article (its retrieved
    passages, title and year) lacks while holding the rest: ["Peace"] for the Physics prize."""
    terms = distinguishing_terms(question)
    if not terms:
        return []
    text = " ".join(f"{p.title} {p.readable_text}" for p in passages if p.article_id == passage.article_id)
    vocabulary = vocabulary_of(f"{text} {passage.published[:4]}")
    unmatched = []
    for parts in terms:
        missing = [part for part in parts if not mentioned(part, vocabulary)]
        if missing and (len(parts) == 1 or len(missing) < len(parts)):
            unmatched.extend(missing)
    return unmatched


NAMED_THING = re.compile(r"\b([A-Z][\w’'-]+)\s+([a-z][a-z-]{2,})\b")


def about_another(question: str, sentence: str) -> bool:
    """Whether `sentence` speaks of another one of what the question names: "the Ukrainian delegation"
    for "What about the Russian delegation?". The question's name is followed by a thing ("Russian
    delegation"); the sentence gives that thing another name and never mentions the question's."""
    names = asked_names(question)
    asked = {thing: name for name, thing in NAMED_THING.findall(question) if name in names and thing not in stopwords()}
    if not asked:
        return False
    vocabulary, named = vocabulary_of(sentence), names_in(sentence)
    for name, thing in NAMED_THING.findall(sentence):
        wanted = asked.get(thing)
        if wanted and name != wanted and name in named and not mentioned(wanted, vocabulary):
            return True
    return False


def vocabulary_of(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower().replace(".", "")))


def mentioned(name: str, vocabulary: set[str]) -> bool:
    for part in re.findall(r"\w+", name.lower().replace(".", "")):
        if part in vocabulary:
            return True
        if len(part) >= NAME_PREFIX_MIN and any(
            word.startswith(_name_prefix(part)) or part.startswith(_name_prefix(word))
            for word in vocabulary
            if len(word) >= NAME_PREFIX_MIN
        ):
            return True
    return False


def _name_prefix(word: str) -> str:
    return word[: max(NAME_PREFIX_MIN, len(word) - NAME_PREFIX_SLACK)]
