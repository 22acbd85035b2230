"""The pure parts of search: time windows, copies and the per-article cap, chunk-edge stitching."""

from dataclasses import dataclass
from datetime import date

import numpy as np
import pytest

from index.search.diversify import cap_per_article, collapse_copies
from index.search.neighbours import lead_from, overlap, tail_from
from index.search.searcher import reciprocal_rank_fusion
from index.search.when import time_window

FRIDAY = date(2026, 6, 5)


@pytest.mark.parametrize(
    "question, start, end",
    [
        ("Who won the election this week?", date(2026, 5, 29), FRIDAY),
        ("What happened yesterday in Paris?", date(2026, 6, 4), FRIDAY),
        ("What did the minister say last month?", date(2026, 5, 1), date(2026, 6, 3)),
        ("Who spoke on Monday?", date(2026, 6, 1), date(2026, 6, 4)),
        ("What happened last Friday?", date(2026, 5, 29), date(2026, 6, 1)),
        ("What happened 3 days ago?", date(2026, 6, 2), FRIDAY),
        ("Who won in March 2025?", date(2025, 3, 1), date(2025, 4, 3)),
        ("What was agreed on 2 June?", date(2026, 6, 1), FRIDAY),
        ("What was agreed on June 2, 2025?", date(2025, 6, 1), date(2025, 6, 5)),
        ("What was announced on May 3?", date(2026, 5, 2), date(2026, 5, 6)),
        ("Which bills passed in 2024?", date(2024, 1, 1), date(2024, 12, 31)),
        ("Who has been elected this year?", date(2026, 1, 1), FRIDAY),
        ("What is the latest on the talks?", date(2026, 5, 6), FRIDAY),
    ],
)
def test_time_words_resolve_against_now(question, start, end):
    window = time_window(question, FRIDAY)
    assert (window.start, window.end) == (start, end)
    assert window.phrase.lower() in question.lower()


@pytest.mark.parametrize(
    "question",
    [
        "Who was fired?",
        "Which team may win the cup?",
        "Who may 2 runners beat?",
        "What will happen in 2030?",
        "How many moons does Saturn have?",
    ],
)
def test_no_time_words_no_window(question):
    assert time_window(question, FRIDAY) is None


@dataclass(frozen=True)
class Chunk:
    article_id: str
    text: str
    title: str = ""
    source: str = ""
    url: str = ""
    published: str = ""


WIRE = (
    "Rescuers reached the last four villagers trapped in the flooded cave in northern Laos on Thursday, "
    "after divers pumped water for three days through the narrow limestone passage, officials said."
)


def test_syndicated_copies_collapse_into_the_best_ranked_one_listing_the_others():
    ranked = [
        Chunk("ap", WIRE, source="AP"),
        Chunk("local", "Local news. " + WIRE, source="WTOP"),
        Chunk("ap", WIRE + " More to come.", source="AP"),  # the same article's own next chunk stays
        Chunk("other", "The football season opens on Saturday with a derby in the capital.", source="CNN"),
    ]
    # Copies are close in meaning but under the cosine threshold here: their shared words decide.
    vectors = np.array([[1, 0, 0], [0.9, 0.436, 0], [0.9, 0, 0.436], [0, 1, 0]], dtype=np.float32)
    kept = collapse_copies(ranked, vectors)
    assert [i for i, _ in kept] == [0, 2, 3]
    assert [outlet.source for outlet in kept[0][1]] == ["WTOP"]
    assert kept[1][1] == [] and kept[2][1] == []


def test_passages_apart_in_meaning_are_never_compared_word_by_word():
    ranked = [Chunk("a", WIRE), Chunk("b", WIRE)]
    assert len(collapse_copies(ranked, np.eye(2, dtype=np.float32))) == 2


def test_near_identical_embeddings_are_copies_even_when_worded_apart():
    ranked = [Chunk("a", "Talks resumed in Istanbul."), Chunk("b", "Negotiations restarted in the Turkish city.")]
    vectors = np.array([[1.0, 0.0], [0.96, 0.28]], dtype=np.float32)
    assert [i for i, _ in collapse_copies(ranked, vectors)] == [0]


def test_one_article_takes_at_most_two_places_while_others_match():
    ranked = [Chunk("a", "1"), Chunk("a", "2"), Chunk("a", "3"), Chunk("b", "4"), Chunk("a", "5"), Chunk("c", "6")]
    assert [c.text for c in cap_per_article(ranked, 4)] == ["1", "2", "4", "6"]
    # Nothing else matches: the held-back chunks fill the places, in rank order.
    assert [c.text for c in cap_per_article(ranked[:3], 3)] == ["1", "2", "3"]


def test_weighted_rank_fusion():
    assert reciprocal_rank_fusion([["a", "b"], ["b", "c"]]) == ["b", "a", "c"]
    assert reciprocal_rank_fusion([["a", "b"], ["c"]], weights=[1.0, 2.0])[0] == "c"


ARTICLE = (
    "The ministers met in Geneva. The agreement, which was negotiated over eleven weeks by delegations "
    "from both countries and signed late on Tuesday evening, sets a ceiling on tariffs for steel. "
    "Markets rose."
)


def test_a_sentence_cut_at_a_chunk_start_is_completed_from_the_chunk_before():
    cut = ARTICLE.index("signed")
    previous, text = ARTICLE[: cut + 20], ARTICLE[cut:]  # 20 characters of overlap, as the chunker repeats
    assert overlap(previous, text) == 20
    lead = lead_from(previous, text)
    assert lead + text == ARTICLE[ARTICLE.index("The agreement") :]


def test_a_sentence_cut_at_a_chunk_end_is_completed_from_the_chunk_after():
    cut = ARTICLE.index("signed")
    text, following = ARTICLE[: cut - 1], ARTICLE[cut - 30 :]
    tail = tail_from(text, following)
    assert text + tail == ARTICLE[: ARTICLE.index(" Markets")]
    # The next chunk starting a new sentence adds nothing.
    assert tail_from("The ministers met in Geneva", "Markets rose.") == ""
