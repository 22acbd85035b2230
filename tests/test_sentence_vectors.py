"""Sentence vectors stored with their chunks: packed compactly, written by the indexer, and found for
every sentence the answerer and the verifier read, so a question embeds nothing but itself."""

from datetime import date

from bot.answering.answer import quotable
from bot.answering.question import Question
from bot.answering.quoting import sentences_of
from bot.answering.verify import CitationVerifier
from index.articles.sentences import sentence_texts
from index.embedding.sentence_vectors import pack, sentence_key, unpack

QUESTIONS = [
    "Who heads the Ukrainian delegation?",
    "Where were the Ukraine-Russia peace talks held?",
    "What did Russia demand?",
]


def test_packed_vectors_come_back_close_and_keyed_by_text(embedder):
    texts = [
        "The talks took place in Istanbul.",
        "Rustem Umerov leads the Ukrainian delegation.",
        "A third, unrelated sentence about ferries.",
    ]
    vectors = embedder.embed(texts)
    found = unpack([pack(texts, vectors)], vectors.shape[1])
    assert set(found) == {sentence_key(text) for text in texts}
    for text, vector in zip(texts, vectors):
        assert float(found[sentence_key(text)] @ vector) > 0.999
    assert unpack([b"", b"not a multiple of a record"], vectors.shape[1]) == {}


def stored_for(passages, embedder):
    return unpack([p.sentence_vectors for p in passages], embedder.dimension)


def test_every_sentence_an_answer_reads_was_stored_at_indexing(seed_pipeline, embedder):
    for question in QUESTIONS:
        passages = seed_pipeline.searcher.search(question, 5)
        stored = stored_for(passages, embedder)
        quoted = [s.text for p in passages for s in sentences_of(p.readable_text) if quotable(s.text)]
        verified = [text for p in passages for text in sentence_texts(p.readable_text)]
        assert quoted and verified
        missing = [text for text in quoted + verified if sentence_key(text) not in stored]
        assert not missing, missing
        fresh = embedder.embed(quoted)
        assert min(float(stored[sentence_key(t)] @ v) for t, v in zip(quoted, fresh)) > 0.995


def test_answering_and_verifying_embed_no_sentence(seed_pipeline, embedder):
    embedder.forget_sentences()
    passages = seed_pipeline.searcher.search(QUESTIONS[0], 5)
    seed_pipeline.answerer.answer(Question.of(QUESTIONS[0], date.today()), passages)
    assert CitationVerifier(embedder).spans(passages)
    assert embedder.cached_sentences == 0, "a sentence was embedded at question time"


def test_a_new_reader_copies_the_writers_sentence_vectors_and_embeds_none(seed_pipeline, embedder, tmp_path):
    from index.search.catalog import Catalog

    reader = Catalog(tmp_path / "reader.sqlite")
    reader.sync(seed_pipeline.store, embedder)
    assert reader.embedded_sentences == 0
    ids = [chunk_id for page in seed_pipeline.catalog.stored_sentences() for chunk_id in page]
    assert ids and {k: v for page in reader.stored_sentences() for k, v in page.items()} == {
        k: v for page in seed_pipeline.catalog.stored_sentences() for k, v in page.items()
    }


def test_an_index_from_before_stored_sentence_vectors_gets_them_at_the_next_index(
    tmp_path, corpus_copy, embedder, monkeypatch
):
    from index.build import sentence_vectors_key
    from index.search.catalog import Catalog
    from index.store.writer import Writer
    from tests.conftest import make_pipeline

    with monkeypatch.context() as older:
        older.setattr(Writer, "store_sentence_vectors", lambda self, sentences: None)  # as the release before wrote it
        writer = make_pipeline(tmp_path / "data", NEWSBOT_SOURCES=str(corpus_copy))
        writer.index()
        writer.store.set_meta(sentence_vectors_key(writer.store.info().identity), {})
    before = Catalog(tmp_path / "before.sqlite")
    before.sync(writer.store, embedder)
    assert before.embedded_sentences > 0
    report = make_pipeline(tmp_path / "data", NEWSBOT_SOURCES=str(corpus_copy)).index()
    assert report.unchanged == 1 and report.added == 0
    after = Catalog(tmp_path / "after.sqlite")
    after.sync(writer.store, embedder)
    assert after.embedded_sentences == 0
