"""Lexical search: the BM25 index saved beside each generation's Chroma store, kept in step with
it, and fused with dense search."""

import json
import shutil

from index.lexical import CHUNK_IDS, LEXICAL_DIR, LexicalIndex
from index.search import reciprocal_rank_fusion
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
    generation = pipeline.store.require_current()
    return json.loads((generation.path / LEXICAL_DIR / CHUNK_IDS).read_text())


def collection_ids(pipeline) -> set[str]:
    generation = pipeline.store.require_current()
    try:
        return set(generation.collection().get(include=[])["ids"])
    finally:
        generation.close()


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


def test_an_index_from_before_lexical_search_gets_one_without_reembedding(corpus_copy, tmp_path):
    pipeline = make_pipeline(tmp_path / "data")
    pipeline.index([corpus_copy])
    generation = pipeline.store.require_current()
    shutil.rmtree(generation.path / LEXICAL_DIR)
    assert LexicalIndex.load(generation.path) is None
    assert pipeline.searcher.search("Kittiwake", 3)  # searching still works: built in memory
    report = pipeline.index([corpus_copy])
    assert report.added == report.updated == 0 and not report.published
    assert set(lexical_ids(pipeline)) == collection_ids(pipeline)


def test_a_rare_name_is_found_by_its_words(corpus_copy, tmp_path):
    (corpus_copy / "extra.md").write_text(EXTRA, encoding="utf-8")
    pipeline = make_pipeline(tmp_path / "data")
    pipeline.index([corpus_copy])
    question = "What did Vlasenko say?"
    generation = pipeline.store.require_current()
    dense = generation.collection().query(query_embeddings=[pipeline.embedder.embed_query(question).tolist()], n_results=6, include=[])
    assert dense["ids"][0][-1] == "lexical-test-0001:0"  # the embedding alone ranks it last of 6
    found = pipeline.searcher.search(question, 2)
    extra = next(p for p in found if p.article_id == "lexical-test-0001")
    assert "Oonagh Vlasenko" in extra.text and -1 <= extra.score <= 1


def test_reciprocal_rank_fusion_rewards_agreement():
    assert reciprocal_rank_fusion([["a", "b"], ["b", "c"]]) == ["b", "a", "c"]
    assert reciprocal_rank_fusion([[], []]) == []


def test_an_index_saved_with_other_documents_is_not_loaded(tmp_path):
    from index.lexical import DOCUMENT_FORMAT, LEXICAL_DIR, LexicalIndex

    LexicalIndex.build(["a", "b"], ["harbour bridge reopens", "library wins award"]).save(tmp_path)
    assert LexicalIndex.load(tmp_path) is not None
    (tmp_path / LEXICAL_DIR / DOCUMENT_FORMAT).unlink()  # as saved before titles counted twice
    assert LexicalIndex.load(tmp_path) is None
