import json
from datetime import date
from pathlib import Path

import pytest

from bot.answering.question import Question
from bot.answering.quoting import shape_problems
from bot.answering.results import REFUSAL
from bot.render import render_answer
from tests.conftest import SEED_FILE, SEED_ID, ChromaServer, make_pipeline

DATA = Path(__file__).parent / "data"
LABELLED = [
    json.loads(line)
    for name in ("relevance.jsonl", "relevance_heldout.jsonl")
    for line in (DATA / name).read_text(encoding="utf-8").splitlines()
]
ANSWERABLE = [q for q in LABELLED if q["answerable"]]
UNANSWERABLE = [q for q in LABELLED if not q["answerable"]]


@pytest.fixture(scope="module", params=["local", "chroma-server"])
def seed_pipeline(request, seed_pipeline, tmp_path_factory):
    """The ask suite twice: on the session's local index of the seed article, and on the same
    article indexed on a real `chroma run` and asked by a reader with its own data dir."""
    if request.param == "local":
        return seed_pipeline
    server = ChromaServer(tmp_path_factory.mktemp("answer-chroma") / "chroma-data")
    request.addfinalizer(server.stop)
    server.wait_until_ready()
    make_pipeline(tmp_path_factory.mktemp("answer-writer"), NEWSBOT_CHROMA_URL=server.url).index([SEED_FILE])
    return make_pipeline(tmp_path_factory.mktemp("answer-reader"), NEWSBOT_CHROMA_URL=server.url)


@pytest.mark.parametrize(
    "question, fact",
    [
        ("Who will lead Ukraine's delegation in Istanbul?", "Umerov"),
        ("Who did Rubio talk to on Sunday?", "Lavrov"),
        ("What are Russia's demands?", "Crimea"),
        ("Which Putin adviser received Ukraine's draft memorandum?", "Medinsky"),
        ("Who is leading the Ukrainian delegation?", "Umerov"),
    ],
)
def test_seed_questions_are_answered_with_verbatim_quotes(seed_pipeline, seed_text, question, fact):
    answer = seed_pipeline.ask(question)
    assert not answer.refused
    assert fact in answer.text
    assert 1 <= len(answer.citations) <= 3
    for n, citation in enumerate(answer.citations, start=1):
        assert citation.n == n
        assert f"[{n}]" in answer.text
        assert citation.article_id == SEED_ID
        assert citation.source == "LN247" and citation.published == "2025-06-02"
        assert citation.quote in seed_text
        assert citation.quote in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "How do I subscribe to LN247 to get posts by email?",
        "What are the most popular LN247 posts this week?",
        "Who won the football World Cup in 2022?",
        "What is a good recipe for banana bread?",
    ],
)
def test_unanswerable_questions_are_refused(seed_pipeline, question):
    answer = seed_pipeline.ask(question)
    assert answer.refused
    assert answer.text.startswith(REFUSAL)
    assert answer.citations == []
    assert answer.passages  # what was searched is still reported


def contains_fact(item, text):
    expected = item["expect"]
    return any(fact in text for fact in ([expected] if isinstance(expected, str) else expected))


def test_threshold_holds_on_the_labelled_sets(seed_pipeline):
    """These seed sets chose the first threshold with bench/tuning/calibrate_relevance.py (accuracy 0.808
    when answers quoted up to three sentences). Single-quote answers (issue 11) hold the expected
    fact less often: 0.742 when they shipped, and 0.733 at the 0.35 that both news sets chose, short
    of the issue's 0.808 (docs/answering.md). The learned picker (issue 20) scores 0.725 here. Below
    0.72 the answerer or the threshold has regressed further."""
    right = 0
    for item in LABELLED:
        answer = seed_pipeline.ask(item["question"])
        if item["answerable"]:
            right += not answer.refused and contains_fact(item, answer.text)
        else:
            right += answer.refused
    assert right / len(LABELLED) >= 0.72, right


def test_a_question_about_someone_never_mentioned_is_refused_by_name(seed_pipeline):
    answer = seed_pipeline.ask("What did Erdogan say to the Ukrainian delegation in Istanbul?")
    assert answer.refused and answer.citations == []
    assert answer.text == f"{REFUSAL} None of the passages found mention Erdogan."


def test_spelling_variants_of_a_name_still_match(seed_pipeline):
    answer = seed_pipeline.ask("Who did Zelensky say would lead the delegation?")
    assert not answer.refused and "Umerov" in answer.text


def test_every_quote_is_verbatim_across_the_labelled_set(seed_pipeline, seed_text):
    for item in ANSWERABLE:
        for citation in seed_pipeline.ask(item["question"]).citations:
            assert citation.quote in seed_text


def test_an_answer_from_old_articles_says_how_old(seed_pipeline):
    late = seed_pipeline.ask("Which palace did the delegations return to?", today=date(2026, 11, 24))
    assert late.freshness_note == "The latest article on this is from 2 June 2025."
    assert "(The latest article on this is from 2 June 2025.)" in render_answer(late)
    asked_about_then = seed_pipeline.ask(
        "Which palace did the delegations return to in June 2025?", today=date(2026, 11, 24)
    )
    assert not asked_about_then.refused and asked_about_then.freshness_note == ""


def test_json_schema(seed_pipeline):
    data = seed_pipeline.ask("Which palace did the delegations return to?", k=3, today=date(2025, 6, 10)).to_json()
    assert set(data) == {
        "question",
        "short_answer",
        "answer",
        "refused",
        "mode",
        "verification",
        "note",
        "freshness_note",
        "citations",
        "conflicts",
        "passages",
        "timings_ms",
    }
    assert data["conflicts"] == []  # one article: no other report to differ from
    assert isinstance(data["refused"], bool) and not data["refused"]
    assert data["short_answer"] and data["short_answer"] in data["citations"][0]["quote"]
    assert (data["mode"], data["verification"], data["note"], data["freshness_note"]) == (
        "extractive",
        None,
        None,
        None,
    )
    for citation in data["citations"]:
        assert set(citation) == set(
            "n article_id title source url published quote quotes highlight also_reported_by".split()
        )
        assert citation["url"] is None
        assert citation["also_reported_by"] == []
    assert [p["rank"] for p in data["passages"]] == [1, 2, 3]
    for passage in data["passages"]:
        assert set(passage) == {"rank", "article_id", "title", "text", "score"}
        assert -1 <= passage["score"] <= 1
    assert set(data["timings_ms"]) == {"search", "answer", "stories", "total"}
    json.dumps(data)


def test_a_model_answer_must_address_the_question(seed_pipeline):
    answerer = seed_pipeline.answerer
    question = Question.of("Who heads the Ukrainian delegation?", date(2025, 6, 3))
    assert answerer.addresses(question, ["Defense Minister Rustem Umerov heads the Ukrainian delegation."])
    assert not answerer.addresses(
        question, ["Threats of tougher economic restrictions on Moscow have yet to sway the Russian position."]
    )
    assert not answerer.addresses(question, [])


def test_a_list_comes_with_its_lead_in_and_quotes_balance(seed_pipeline):
    # The learned picker quotes the list for this wording; for "What did Zelenskyy list as Ukraine's
    # expectations?" it picks another sentence of Zelenskyy's (docs/answering.md, issue 20).
    answer = seed_pipeline.ask("What were Ukraine's expectations for the meeting?")
    assert "outlined Ukraine’s expectations" in answer.text and "release of prisoners" in answer.text
    for citation in answer.citations:
        for quote in citation.quotes:
            assert shape_problems(quote) == [], quote


def test_each_article_is_one_source_holding_all_its_quotes(seed_pipeline):
    from bot.answering.answer import Quote, cite

    passages = seed_pipeline.searcher.search("Who leads the Ukrainian delegation and what does Russia demand?", 5)
    candidates = seed_pipeline.answerer.candidates(
        Question.of("Who leads the Ukrainian delegation?", date(2025, 6, 3)), passages
    )
    first, second = [c for c in candidates if "Umerov" in c.sentence or "Moscow’s list" in c.sentence][:2]
    text, refused, citations = cite([Quote(first, first.sentence), Quote(second, second.sentence)])
    assert not refused and len(citations) == 1 and citations[0].quotes == (first.sentence, second.sentence)
    assert text.count("[1]") == 2


def test_the_short_answer_opens_the_reply_in_bold_and_is_verbatim(seed_pipeline):
    answer = seed_pipeline.ask("Who leads the Ukrainian delegation?")
    short = answer.short_answer
    assert "Umerov" in short and short in answer.citations[0].quote and len(short.split()) <= 6
    shown = render_answer(answer, bold=True)
    assert shown.startswith(f"\033[1m{short}\033[0m\n")
    assert render_answer(answer).splitlines()[0] == short
    assert "\033[" not in render_answer(answer)


def test_a_follow_up_does_not_repeat_the_previous_answer(seed_pipeline):
    from bot.answering.conversation import Turn

    first = seed_pipeline.ask("Who leads the Ukrainian delegation?")
    follow_up = seed_pipeline.ask(
        "What about the Russian delegation?", history=[Turn(first.question, first.search_query, first.text)]
    )
    assert first.citations[0].quote not in follow_up.text
    assert "Medinsky" in follow_up.text
