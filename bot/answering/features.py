"""What the learned picker reads of a sentence: its features, computed the same way when answering
and when training (train/answer_picker.py)."""

import math
import re
from datetime import date

from bot.answering.answer_type import kind_spans
from bot.answering.names import mentioned, names_in, vocabulary_of
from bot.answering.question import Question
from bot.answering.quoting import refers_back
from bot.answering.words import word_overlap

NUMBER = re.compile(r"\d")
MAX_AGE_DAYS = 3650


def sentence_features(
    question: Question,
    sentence: str,
    similarity: float,
    title: str,
    opens_article: bool,
    rank: int,
    age_days: int | None,
) -> list[float]:
    """The learned picker's features of one sentence, in bot/answering/picker.py's FEATURES order;
    train/answer_picker.py computes them with this same function. `rank` is its passage's among the
    search results (0 = best); `age_days` the days between its article's date and the day asked
    about, or None when undated."""
    vocabulary = vocabulary_of(sentence)
    new_names = [name for name in names_in(sentence) if not mentioned(name, question.vocabulary)]
    return [
        similarity,
        word_overlap(question.words, sentence),
        word_overlap(question.words, title),
        sum(mentioned(term, vocabulary) for term in question.specifics) / len(question.specifics)
        if question.specifics
        else 1.0,
        float(bool(kind_spans(sentence, question))),
        math.log1p(len(new_names)),
        float(bool(NUMBER.search(sentence))),
        math.log(max(len(sentence.split()), 1)),
        float(opens_article),
        float(refers_back(sentence)),
        1 / (1 + rank),
        math.log1p(min(abs(age_days), MAX_AGE_DAYS) if age_days is not None else MAX_AGE_DAYS),
    ]


def age_in_days(published: str, today: date | None) -> int | None:
    """Days between an article's ISO date and `today`, or None when either is unknown."""
    if today is None:
        return None
    try:
        return (today - date.fromisoformat(published[:10])).days
    except ValueError:
        return None
