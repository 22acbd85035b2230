"""The learned answer picker: the shipped model loads and scores as its card says, a missing or
broken model is one clear line, and a question's distinguishing words must be in the picked
sentence's article."""

import json
import shutil
from datetime import date

import numpy as np
import pytest

from bot.answering import picker as picker_module
from bot.answering.features import sentence_features
from bot.answering.names import about_another, unmatched_terms
from bot.answering.picker import CARD_FILE, FIXTURE_FILE, MODEL_DIR, WEIGHTS_FILE, AnswerPicker, PickerModelError
from bot.answering.question import Question
from bot.answering.results import REFUSAL
from bot.cli import main
from index.search.searcher import Passage
from tests.conftest import SEED_FILE, make_pipeline


def asked(text: str) -> Question:
    return Question.of(text, date(2019, 10, 12))


def passage(article_id: str, title: str, text: str) -> Passage:
    return Passage(f"{article_id}:0", article_id, title, "Wikinews", "", "2019-10-10", 0, text, 0.5)


def test_the_shipped_model_scores_its_fixture_as_when_it_was_trained():
    rows = [json.loads(line) for line in (MODEL_DIR / FIXTURE_FILE).read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 8
    confidences = AnswerPicker().confidences(np.array([row["features"] for row in rows]))
    assert list(confidences) == pytest.approx([row["confidence"] for row in rows], abs=1e-6)


def test_the_model_prefers_the_sentence_that_answers(embedder):
    question = "Who heads the Ukrainian delegation?"
    sentences = [
        "Threats of tougher economic restrictions on Moscow have yet to sway the Russian position.",
        "President Volodymyr Zelenskyy announced in a social media update on Sunday that Defense Minister Rustem Umerov would head the Ukrainian delegation.",
    ]
    facts = asked(question)
    query = embedder.embed_query(question)
    rows = [
        sentence_features(facts, s, float(v @ query), "Ukraine-Russia Peace Talks Resume", False, 0, 1)
        for s, v in zip(sentences, embedder.embed(sentences))
    ]
    confidences = AnswerPicker().confidences(np.array(rows))
    assert confidences[1] > confidences[0]


def test_the_card_names_its_data_and_figures():
    card = AnswerPicker().card
    assert card["data"]["training_questions"] > 500
    assert 0 < card["validation_hit@1"] <= 1
    assert "python train/answer_picker.py" in (MODEL_DIR / CARD_FILE).read_text(encoding="utf-8")


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_missing_or_corrupt_model_is_one_clear_line(tmp_path, damage):
    broken = tmp_path / "picker_model"
    shutil.copytree(MODEL_DIR, broken)
    if damage == "missing":
        (broken / WEIGHTS_FILE).unlink()
    else:
        (broken / WEIGHTS_FILE).write_text('{"features": ["similarity"], "coef": [', encoding="utf-8")
    with pytest.raises(PickerModelError) as raised:
        AnswerPicker(broken)
    message = str(raised.value)
    assert str(broken) in message and "reinstall" in message and "\n" not in message


def test_the_cli_names_a_broken_model_without_a_traceback(tmp_path, monkeypatch, capsys):
    from bot import pipeline as pipeline_module

    broken = tmp_path / "picker_model"
    shutil.copytree(MODEL_DIR, broken)
    (broken / WEIGHTS_FILE).write_bytes(b"")
    monkeypatch.setattr(picker_module, "MODEL_DIR", broken)
    pipeline_module.load_picker.cache_clear()
    monkeypatch.setenv("NEWSBOT_SOURCES", str(SEED_FILE))
    try:
        assert main(["ask", "Who heads the Ukrainian delegation?", "--data-dir", str(tmp_path / "data")]) == 1
    finally:
        pipeline_module.load_picker.cache_clear()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(broken) in err and "reinstall" in err and "Traceback" not in err


def test_distinguishing_terms_are_names_of_several_words_and_years():
    assert asked("Who won the Nobel Peace Prize in 2019?").terms == (("Nobel", "Peace", "Prize"), ("2019",))
    assert asked("Which influential American economist died at the age of 100?").terms == ()
    assert asked("When did the talks resume on Monday?").terms == ()


def test_an_article_without_one_of_the_questions_words_is_a_neighbour():
    physics = passage(
        "physics",
        "Swedish academy announces 2019 Nobel Prize winners in physics",
        "On Tuesday, the Royal Swedish Academy of Sciences announced the winners of the 2019 Nobel Prize in Physics.",
    )
    other = passage("other", "Peace talks", "Peace talks resumed in Istanbul.")
    assert unmatched_terms(asked("Who won the Nobel Peace Prize in 2019?").terms, physics, [physics, other]) == [
        "Peace"
    ]
    assert unmatched_terms(asked("Who won the Nobel Prize in Physics in 2019?").terms, physics, [physics, other]) == []


def test_the_peace_prize_is_not_answered_with_the_physics_prize(tmp_path):
    """Every word of the question is in some passage, so the name check passes; but the article
    of the best sentence never says Peace."""
    physics, talks = tmp_path / "physics.md", tmp_path / "talks.md"
    physics.write_text(
        "---\ntitle: Swedish academy announces 2019 Nobel Prize winners in physics\nsource: Wikinews\npublished: 2019-10-10\n---\n\n"
        "On Tuesday, the Royal Swedish Academy of Sciences announced the winners of the 2019 Nobel Prize in Physics in "
        "Stockholm, Sweden. The prize was shared between James Peebles and the duo of Didier Queloz and Michel Mayor.\n",
        encoding="utf-8",
    )
    talks.write_text(
        "---\ntitle: Peace talks resume in Geneva\nsource: Wikinews\npublished: 2019-10-11\n---\n\n"
        "Peace talks between the two governments resumed in Geneva on Monday, the mediators said.\n",
        encoding="utf-8",
    )
    pipeline = make_pipeline(tmp_path / "data")
    pipeline.index([physics, talks])
    answer = pipeline.ask("Who won the Nobel Peace Prize in 2019?")
    assert answer.refused and answer.citations == []
    assert answer.text.startswith(REFUSAL) and "Peace" in answer.text
    physics_answer = pipeline.ask("Who won the 2019 Nobel Prize in Physics?")
    assert not physics_answer.refused and "Physics" in physics_answer.text
    assert physics_answer.citations[0].title.endswith("winners in physics")


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        (
            "What about the Russian delegation?",
            "Zelenskyy said Rustem Umerov would head the Ukrainian delegation.",
            True,
        ),
        ("What about the Russian delegation?", "Medinsky, of the Russian negotiation delegation, confirmed it.", False),
        ("What about the Russian delegation?", "The Ukrainian delegation met the Russian delegation.", False),
        ("Who leads the Russian team?", "Russia named a new team on Monday.", False),
        ("Who won the Nobel Peace Prize?", "She won the Nobel prize in 2019.", False),
        ("Where is the delegation staying?", "The Ukrainian delegation is staying at the palace.", False),
    ],
)
def test_a_sentence_about_another_one_of_what_the_question_names_is_told_apart(question, sentence, expected):
    assert about_another(asked(question).named_things, sentence) is expected
