"""Conversations and follow-ups: bounded history, :reset, and how a follow-up is searched when no
language model is set (the model's condensing is tested in test_llm.py)."""

from datetime import date

from bot.answering.conversation import Conversation, Turn
from bot.answering.question import Question
from bot.repl import Repl


def follow_up(text):
    return Question.of(text, date(2025, 6, 3)).follow_up


def test_follow_ups_are_recognised():
    assert follow_up("And what did Russia say?") and follow_up("What about the Russian delegation?")
    assert follow_up("When?") and follow_up("Who said that?")
    assert not follow_up("Who heads the Ukrainian delegation?")


def test_history_is_bounded_and_can_be_reset():
    conversation = Conversation(max_turns=2)
    for n in range(3):
        conversation.add(Turn(f"question {n}", f"search {n}", f"answer {n}"))
    assert [turn.question for turn in conversation.history()] == ["question 1", "question 2"]
    conversation.reset()
    assert conversation.history() == []


def test_without_a_model_a_follow_up_is_searched_with_the_previous_search(seed_pipeline):
    history = [Turn("Where were the peace talks held?", "Where were the peace talks held?")]
    today = date(2025, 6, 3)

    def standalone(text):
        query, ranked = seed_pipeline.standalone(Question.of(text, today), history)
        assert query.asked_on == ranked.asked_on == today
        return query.text, ranked.text

    assert standalone("Who heads the Ukrainian delegation?") == ("Who heads the Ukrainian delegation?",) * 2
    query, ranked = standalone("What about the Russian delegation?")
    assert query == "Where were the peace talks held? What about the Russian delegation?"
    assert ranked == "What about the Russian delegation?"
    # No content words of its own: sentences are ranked against the combined text.
    assert standalone("When?") == ("Where were the peace talks held? When?",) * 2


def test_the_repl_keeps_a_conversation_and_resets_it(seed_pipeline, tmp_path):
    import io

    out = io.StringIO()
    repl = Repl(seed_pipeline, out=out)
    repl.handle("Where were the peace talks held?")
    repl.handle("What about the Russian delegation?")
    assert repl.last.search_query == "Where were the peace talks held? What about the Russian delegation?"
    assert "Medinsky" in repl.last.text
    repl.handle(":reset")
    assert "forgot" in out.getvalue().lower()
    repl.handle("What about the Russian delegation?")
    assert repl.last.search_query == "What about the Russian delegation?"
