"""The shipped reader: it reads, its short answer is verbatim, bad input is scored or cut, and a
broken model is one line and the linear picker answers."""

import logging
import shutil

import pytest

from bot import pipeline as pipeline_module
from bot.answering import reader as reader_module
from bot.answering.reader import MODEL_DIR, MODEL_FILE, Reader, ReaderModelError, trimmed, whole_words

NEWS = [
    ("Officials said the talks would resume next week in Geneva.", "Ceasefire talks"),
    ("The Kansas City Chiefs won the Super Bowl on Sunday, beating the Philadelphia Eagles 38-35.", "Super Bowl LVII"),
    ("Tickets for the game sold out within hours of going on sale.", "Super Bowl LVII"),
]


@pytest.fixture(scope="module")
def reader():
    return Reader()


def test_the_sentence_that_answers_reads_highest_and_its_short_answer_is_verbatim(reader):
    readings = reader.read("Which team won the Super Bowl?", NEWS)
    best = max(range(len(readings)), key=lambda i: readings[i].probability)
    assert best == 1
    assert all(0.0 <= r.probability <= 1.0 for r in readings)
    start, end = readings[1].short
    short = NEWS[1][0][start:end]
    assert short and short in NEWS[1][0]
    assert len(short.split()) < len(NEWS[1][0].split())
    assert short == short.strip()


def test_too_long_and_too_short_input_is_read_not_crashed_on(reader):
    long_question = "Which team won " + "the very big game " * 800 + "?"
    sentences = [("Won.", ""), (" ".join(["word"] * 3000) + ".", "A title " * 50), ("", "")]
    readings = reader.read(long_question, sentences)
    assert len(readings) == 3
    assert all(0.0 <= r.probability <= 1.0 for r in readings)
    for (sentence, _), reading in zip(sentences, readings):
        if reading.short is not None:
            assert 0 <= reading.short[0] < reading.short[1] <= len(sentence)
    assert reader.read("Anything?", []) == []


def test_a_span_grows_to_whole_words_and_sheds_punctuation_but_not_an_abbreviation():
    sentence = "Ukraine's Defense Minister Rustem Umerov will lead it."
    assert whole_words(sentence, sentence.index("stem"), sentence.index("Umerov") + 3) == (
        sentence.index("Rustem"),
        sentence.index("Umerov") + len("Umerov"),
    )
    flew = "He flew to the U.S. on Monday."
    assert flew[slice(*trimmed(flew, flew.index("U.S."), flew.index(" on")))] == "U.S."
    assert flew[slice(*trimmed(flew, flew.index("Monday"), len(flew)))] == "Monday"
    assert flew[slice(*trimmed(flew, 4, 6))] == "flew"
    assert trimmed("It said: “”.", 8, 11) is None


def test_a_corrupt_model_is_one_line_and_the_linear_picker_answers(tmp_path, monkeypatch, caplog):
    broken = tmp_path / "reader_model"
    shutil.copytree(MODEL_DIR, broken)
    (broken / MODEL_FILE).write_bytes(b"not a model")
    with pytest.raises(ReaderModelError) as raised:
        Reader(broken)
    assert "\n" not in str(raised.value) and "missing or corrupt" in str(raised.value)

    monkeypatch.setattr(reader_module, "MODEL_DIR", broken)
    pipeline_module.load_reader.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            assert pipeline_module.load_reader() is None
        said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(said) == 1 and "answering with the linear picker" in said[0] and "\n" not in said[0]
    finally:
        pipeline_module.load_reader.cache_clear()


def test_the_card_names_its_data_licences_and_command():
    card = (MODEL_DIR / "CARD.md").read_text(encoding="utf-8")
    assert "python train/reader.py --out bot/answering/reader_model" in card
    assert "Apache License 2.0" in card and "RealTimeQA" in card
    figures = Reader().card
    assert figures["data"]["training_groups"] > 1000 and 0 < figures["validation"]["hit@1_of_group"] <= 1


def test_the_linear_pickers_log_odds_add_to_the_readers():
    from bot.answering.answer import blended

    assert blended(0.3, 0.9, 0.0) == 0.3
    assert abs(blended(0.3, 0.5, 2.0) - 0.3) < 1e-9  # an undecided picker adds nothing
    assert blended(0.3, 0.9, 2.0) > 0.3 > blended(0.3, 0.1, 2.0)
    assert 0.0 < blended(1.0, 0.0, 2.0) < 1.0  # certainties are clipped, never infinite
