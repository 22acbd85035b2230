"""Lexical search: the catalog's FTS5 index, kept in step with the store, and fused with dense search."""

from datetime import date

from index.search.lexical import match_expression
from index.search.searcher import reciprocal_rank_fusion
from tests.conftest import make_pipeline

EXTRA = """---
id: lexical-test-0001
title: "Harbour Board Approves Dredging Contract"
source: Test Wire
published: 2025-06-01
---

The Kittiwake Bay harbour board approved a dredging contract worth 4.2 million euros on Friday.

Board chair Oonagh Vlasenko said the work would start in September and last eleven weeks.
"""


def lexical_ids(pipeline) -> list[str]:
    pipeline.searcher.refresh()
    db = pipeline.catalog._db()
    return [row[0] for row in db.execute("SELECT c.chunk_id FROM words JOIN chunks c ON c.id = words.rowid")]


def collection_ids(pipeline) -> set[str]:
    pipeline.store.require_info()
    return set(pipeline.store.chunks.get(include=[])["ids"])


def test_the_bm25_index_follows_adds_and_removals(corpus_copy, tmp_path):
    pipeline = make_pipeline(tmp_path / "data")
    pipeline.index([corpus_copy])
    assert set(lexical_ids(pipeline)) == collection_ids(pipeline)
    (corpus_copy / "extra.md").write_text(EXTRA, encoding="utf-8")
    pipeline.index([corpus_copy])
    ids = lexical_ids(pipeline)
    assert set(ids) == collection_ids(pipeline) and any(i.startswith("lexical-test-0001") for i in ids)
    (corpus_copy / "extra.md").unlink()
    pipeline.index([corpus_copy])
    assert set(lexical_ids(pipeline)) == collection_ids(pipeline)
    assert not any(i.startswith("lexical-test-0001") for i in lexical_ids(pipeline))


def test_a_rare_name_is_found_by_its_words(corpus_copy, tmp_path):
    (corpus_copy / "extra.md").write_text(EXTRA, encoding="utf-8")
    pipeline = make_pipeline(tmp_path / "data")
    pipeline.index([corpus_copy])
    question = "What did Vlasenko say?"
    dense = pipeline.searcher.dense_ranking(pipeline.embedder.embed_query(question), 6)
    assert dense[-1].startswith("lexical-test-0001:")  # the embedding alone ranks it last of 6
    found = pipeline.searcher.search(question, 2)
    extra = next(p for p in found if p.article_id == "lexical-test-0001")
    assert "Oonagh Vlasenko" in extra.text and -1 <= extra.score <= 1


def test_reciprocal_rank_fusion_rewards_agreement():
    assert reciprocal_rank_fusion([["a", "b"], ["b", "c"]]) == ["b", "a", "c"]
    assert reciprocal_rank_fusion([[], []]) == []


def test_question_words_become_a_quoted_fts5_query():
    assert match_expression("Who won the vote OR the NOT election?") == '"who" OR "won" OR "vote" OR "elect"'
    assert match_expression("the of and") == ""


def test_a_date_range_ranks_the_same_by_day_terms_as_by_joining_on_days(tmp_path, corpus_copy, monkeypatch):
    import index.search.catalog

    (corpus_copy / "extra.md").write_text(EXTRA, encoding="utf-8")
    pipeline = make_pipeline(tmp_path / "data")
    pipeline.index([corpus_copy])
    pipeline.searcher.refresh()
    june = (date(2025, 5, 30).toordinal(), date(2025, 6, 2).toordinal())
    for question in ("dredging contract harbour board", "Ukrainian delegation Istanbul"):
        by_terms = pipeline.catalog.lexical(question, 5, june)
        monkeypatch.setattr(index.search.catalog, "MAX_DAY_TERMS", 0)
        assert by_terms == pipeline.catalog.lexical(question, 5, june)
        monkeypatch.undo()
        assert by_terms and set(by_terms) <= set(pipeline.catalog.lexical(question, 50))
    assert pipeline.catalog.lexical("dredging", 5, (date(2026, 1, 1).toordinal(),) * 2) == []
