"""Names in questions and sentences, and whether passages mention a question's (bot/answering/question.py
works out which it asks about): the picker reads them, and a question about someone the passages
never name is refused rather than answered about someone else."""

import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from bot.answering.words import stopwords
from index.search.searcher import Passage

CAPITALISED = re.compile(r"\b[A-Z][\w.’'-]*")
# A question's first word is capitalised because it comes first, not because it is a name.
QUESTION_OPENERS = frozenset(
    "what who whom whose where when why how which is are was were did does do has have had can could will "
    "would should tell list give name explain describe show summarise summarize".split()
)
CALENDAR_WORDS = frozenset(
    "january february march april may june july august september october november december jan feb mar "
    "apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday".split()
)
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


def missing_names(names: Sequence[str], passages: list[Passage]) -> list[str]:
    """The question's `names` that no passage (text or title) mentions. News questions about
    someone the articles never name ("What did Erdogan say?") can't be answered from them, however
    similar the rest of the wording; this catches what embedding similarity can't."""
    if not names:
        return []
    vocabulary = vocabulary_of(" ".join(f"{passage.title} {passage.readable_text}" for passage in passages))
    return [name for name in names if not mentioned(name, vocabulary)]


YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")


def unmatched_terms(terms: Sequence[tuple[str, ...]], passage: Passage, passages: list[Passage]) -> list[str]:
    """The parts of the question's distinguishing `terms` (Question.terms) that `passage`'s article
    (its retrieved passages, title and year) lacks while holding the rest: ["Peace"] for the
    Physics prize."""
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


def about_another(named_things: Mapping[str, str], sentence: str) -> bool:
    """Whether `sentence` speaks of another one of what the question names (its `named_things`,
    Question.named_things): "the Ukrainian delegation" for "What about the Russian delegation?".
    The question's name is followed by a thing ("Russian delegation"); the sentence gives that
    thing another name and never mentions the question's."""
    if not named_things:
        return False
    vocabulary, named = vocabulary_of(sentence), names_in(sentence)
    for name, thing in NAMED_THING.findall(sentence):
        wanted = named_things.get(thing)
        if wanted and name != wanted and name in named and not mentioned(wanted, vocabulary):
            return True
    return False


def vocabulary_of(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower().replace(".", "")))


def mentioned(name: str, vocabulary: AbstractSet[str]) -> bool:
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
