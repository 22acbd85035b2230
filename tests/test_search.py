"""Search on a real index: time words, syndicated copies, the per-article cap and chunk edges."""

from datetime import date

import numpy as np
import pytest

from index.embedding.sentence_vectors import sentence_key, unpack
from tests.conftest import ChromaServer, make_pipeline


def article(article_id: str, title: str, source: str, published: str, body: str) -> str:
    dated = f"published: {published}\n" if published else ""
    return f'---\nid: {article_id}\ntitle: "{title}"\nsource: {source}\n{dated}---\n\n{body}\n'


WIRE = (
    "Rescuers reached the last four villagers trapped in the flooded Tham Pha cave in northern Laos on "
    "Thursday, after divers pumped water for three days through a narrow limestone passage, officials said. "
    "The villagers had gone in to collect bird nests before the monsoon rains arrived early."
)
# One sentence far longer than a chunk (254 tokens), so a chunk edge falls inside it.
LONG_SENTENCE = (
    "The harbour authority's annual report, which was presented to the council by its chair after "
    + ", ".join(f"a review of berth {n} and its cranes, moorings and fenders" for n in range(1, 21))
    + ", concluded that the new container terminal at Port Ellery would open in the spring of 2027."
)
CAPPED = "\n\n".join(
    f"Zanzibar's clove harvest, part {n}: growers on Pemba island picked clove buds by hand for weeks "
    f"and dried them on mats in the sun, and the clove cooperative weighed bags from farm {n}. " * 4
    for n in range(1, 6)
)

ARTICLES = {
    "budget-june.md": article(
        "budget-june",
        "Freedonia parliament passes budget",
        "Capital Times",
        "2026-06-03",
        "The parliament of Freedonia passed the national budget on Wednesday by 210 votes to 95.",
    ),
    "budget-january.md": article(
        "budget-january",
        "Freedonia parliament passes interim budget",
        "Capital Times",
        "2026-01-07",
        "The parliament of Freedonia passed an interim budget on Wednesday by 180 votes to 120.",
    ),
    "budget-undated.md": article(
        "budget-undated",
        "How Freedonia's budget is voted",
        "Explainer Weekly",
        "",
        "Freedonia's budget must pass parliament by a simple majority of votes before the fiscal year begins.",
    ),
    "cave-wire.md": article(
        "cave-wire", "Villagers rescued from flooded cave in Laos", "Wire Service", "2026-05-28", WIRE
    ),
    "cave-local.md": article(
        "cave-local",
        "Laos cave rescue ends",
        "Mekong Herald",
        "2026-05-28",
        "From our partners at the wire service.\n\n" + WIRE,
    ),
    "port.md": article("port", "Port Ellery annual report", "Harbour News", "2026-05-01", LONG_SENTENCE),
    "cloves.md": article("cloves", "The clove harvest in Zanzibar", "Spice Journal", "2026-05-20", CAPPED),
    "cloves-short.md": article(
        "cloves-short",
        "Zanzibar exports",
        "Trade Daily",
        "2026-05-21",
        "Zanzibar's clove exports rose this season as growers on Pemba sold their harvest to the state cooperative.",
    ),
}


@pytest.fixture(scope="module", params=["local", "chroma-server"])
def search_pipeline(request, tmp_path_factory, embedder):
    """The articles above indexed in a local Chroma folder, and again on a real `chroma run`."""
    folder = tmp_path_factory.mktemp("search-articles")
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    env = {}
    if request.param == "chroma-server":
        server = ChromaServer(tmp_path_factory.mktemp("search-chroma") / "chroma-data")
        request.addfinalizer(server.stop)
        server.wait_until_ready()
        env["NEWSBOT_CHROMA_URL"] = server.url
    pipeline = make_pipeline(tmp_path_factory.mktemp("search-data"), **env)
    pipeline.index([folder])
    return pipeline


def test_this_week_finds_the_articles_of_that_week(search_pipeline):
    question = "By how many votes did Freedonia's parliament pass the budget this week?"
    assert search_pipeline.searcher.search(question, 3, date(2026, 6, 5))[0].article_id == "budget-june"
    assert search_pipeline.searcher.search(question, 3, date(2026, 1, 9))[0].article_id == "budget-january"


def test_undated_and_older_articles_are_never_dropped(search_pipeline):
    found = {
        p.article_id
        for p in search_pipeline.searcher.search("Freedonia budget parliament votes this week", 5, date(2026, 6, 5))
    }
    assert {"budget-june", "budget-january", "budget-undated"} <= found


def test_syndicated_copies_are_one_passage_naming_the_other_outlet(search_pipeline):
    answer = search_pipeline.ask(
        "How did rescuers reach the villagers trapped in the cave in Laos?", today=date(2026, 5, 29)
    )
    cave = [p for p in answer.passages if p.article_id in ("cave-wire", "cave-local") and "Rescuers reached" in p.text]
    assert len(cave) == 1
    other = "Mekong Herald" if cave[0].article_id == "cave-wire" else "Wire Service"
    assert [outlet.source for outlet in cave[0].also_reported_by] == [other]
    assert answer.citations[0].also_reported_by[0].source == other
    assert answer.to_json()["citations"][0]["also_reported_by"][0]["source"] == other


def test_one_article_takes_at_most_two_of_the_top_passages(search_pipeline):
    found = search_pipeline.searcher.search("clove harvest Pemba growers Zanzibar", 4, date(2026, 5, 22))
    assert sum(p.article_id == "cloves" for p in found) == 2
    assert "cloves-short" in {p.article_id for p in found}


def test_a_sentence_cut_by_a_chunk_edge_is_quoted_whole(search_pipeline):
    question = "When will the new container terminal at Port Ellery open?"
    found = search_pipeline.searcher.search(question, 5, date(2026, 5, 2))
    cut = [p for p in found if p.article_id == "port" and p.lead]
    assert cut, "the chunk holding the sentence's end starts mid-sentence and gets its start"
    assert cut[0].readable_text.startswith("The harbour authority's annual report")
    assert cut[0].readable_text in LONG_SENTENCE
    answer = search_pipeline.ask(question, today=date(2026, 5, 2))
    assert any(
        c.quote.startswith("The harbour authority") and c.quote.endswith("spring of 2027.") for c in answer.citations
    )


def test_an_index_whose_articles_were_all_removed_finds_nothing(tmp_path, embedder):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "only.md").write_text(ARTICLES["budget-june.md"], encoding="utf-8")
    pipeline = make_pipeline(tmp_path / "data")
    pipeline.index([folder])
    assert pipeline.searcher.search("Freedonia budget this week", 3, date(2026, 6, 5))
    (folder / "only.md").unlink()
    assert pipeline.index([folder]).removed == 1
    assert pipeline.searcher.search("Freedonia budget this week", 3, date(2026, 6, 5)) == []
    assert pipeline.searcher.search("Freedonia budget", 3) == []


def test_a_sentence_completed_across_a_chunk_edge_was_stored(search_pipeline, embedder):
    found = search_pipeline.searcher.search(
        "When will the new container terminal at Port Ellery open?", 5, date(2026, 5, 2)
    )
    cut = [p for p in found if p.article_id == "port" and p.lead]
    assert cut
    stored = unpack([p.sentence_vectors for p in cut], embedder.dimension)
    assert sentence_key(LONG_SENTENCE) in stored
    assert float(stored[sentence_key(LONG_SENTENCE)] @ embedder.embed([LONG_SENTENCE])[0]) > 0.995
    assert np.isclose(np.linalg.norm(stored[sentence_key(LONG_SENTENCE)]), 1.0)
