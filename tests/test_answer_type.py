"""What kind of thing a question asks for, and the span of a sentence that holds it."""

from datetime import date

import pytest

from bot.answering.answer_type import highlight, kind_spans
from bot.answering.question import DATE, NAME, NUMBER, PERSON, PLACE, Question


def asked(text):
    return Question.of(text, date(2025, 6, 3))


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Who leads the Ukrainian delegation?", PERSON),
        ("Where were the peace talks held?", PLACE),
        ("When did the talks resume?", DATE),
        ("How many prisoners were released?", NUMBER),
        ("How much did the company pay?", NUMBER),
        ("Which company bought the studio?", NAME),
        ("What does Russia demand?", None),
        ("Why did the talks fail?", None),
    ],
)
def test_question_kinds(question, kind):
    assert asked(question).kind == kind


def spans(sentence, kind, question):
    understood = asked(question)
    assert understood.kind == kind
    return [sentence[start:end] for start, end in kind_spans(sentence, understood)]


def test_things_the_question_already_names_are_not_answers():
    sentence = "President Volodymyr Zelenskyy said Defense Minister Rustem Umerov would head the delegation."
    assert spans(sentence, PERSON, "Who did Zelenskyy pick?") == ["Defense Minister Rustem Umerov"]


def test_institutions_and_days_are_not_people():
    sentence = (
        "Ukraine’s Defense Ministry confirmed early Monday that delegations returned to Istanbul’s Ciragan Palace."
    )
    assert spans(sentence, PERSON, "Who leads the delegation?") == []


def test_places_follow_a_preposition_of_place():
    sentence = "Delegations gathered in Istanbul, Turkey, on Monday, a day after talks with Trump in May."
    assert spans(sentence, PLACE, "Where were the talks held?") == ["Istanbul"]


def test_numbers_and_dates():
    assert spans("At least 2 million homes lost power and three people died.", NUMBER, "How many died?") == [
        "2 million",
        "three people",
    ]
    assert spans("The talks resumed on Monday, June 2, 2025.", DATE, "When did talks resume?") == [
        "Monday, June 2, 2025"
    ]


def test_the_highlight_is_the_thing_nearest_the_question_words():
    sentence = "President Volodymyr Zelenskyy announced that Defense Minister Rustem Umerov would head the Ukrainian delegation."
    start, end = highlight(sentence, asked("Who heads the Ukrainian delegation?"))
    assert sentence[start:end] == "Defense Minister Rustem Umerov"
    assert highlight(sentence, asked("Why?")) is None
