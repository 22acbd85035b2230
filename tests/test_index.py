import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from index.articles.chunk import chunk_article, embed_text, make_splitter
from index.articles.files import read_file
from index.build import COMMIT_ARTICLES, HOLD_AFTER_BATCH
from tests.conftest import SEED_FILE, SEED_ID, ChromaServer, ctrl_c_restored, make_pipeline, run_cli, stop_process
from tests.news_server import wait_for

STORY = "The harbour authority said on Tuesday that the new ferry terminal will open in May, two years late."


@pytest.fixture(params=["local", "chroma-server"])
def store_env(request, tmp_path):
    """The settings of a local Chroma folder, and of a real `chroma run` started for the test."""
    if request.param == "local":
        return {}
    server = ChromaServer(tmp_path / "chroma-data")
    request.addfinalizer(server.stop)
    server.wait_until_ready()
    return {"NEWSBOT_CHROMA_URL": server.url}


def chunk_ids(pipeline, article_id):
    pipeline.store.require_info()
    return pipeline.store.chunks.get(where={"article_id": article_id})["ids"]


def stored_chunks(pipeline) -> int:
    pipeline.store.require_info()
    return pipeline.store.chunks.count()


def assert_consistent(pipeline, chunks: int) -> None:
    """Chroma, the log and the catalog agree: no duplicate or leftover chunk anywhere."""
    records = pipeline.store.articles()
    assert stored_chunks(pipeline) == chunks == sum(record.chunks for record in records.values())
    assert pipeline.catalog.chunk_count() == chunks
    stored = set(pipeline.store.chunks.get(include=[])["ids"])
    assert stored == {cid for article_id, record in records.items() for cid in record.chunk_ids(article_id)}


def test_chunks_fit_the_model_window_and_carry_metadata(embedder):
    article = next(read_file(SEED_FILE, 5_000_000))
    nodes = chunk_article(article, make_splitter(embedder.count_tokens, embedder.max_tokens))
    assert len(nodes) > 1
    for position, node in enumerate(nodes):
        assert len(embedder.count_tokens(embed_text(node))) + 2 <= embedder.max_tokens
        assert embed_text(node).startswith(article.title)
        assert node.text in article.text
        assert node.metadata["position"] == position
        assert node.metadata["article_id"] == SEED_ID
        assert node.node_id == f"{SEED_ID}:{article.content_hash[:12]}:{position}"
        assert node.metadata["published"] == "2025-06-02"
        assert node.metadata["published_ts"] == 1748822400
        assert node.metadata["source"] == "LN247"


def test_no_chunk_holds_the_seed_boilerplate(seed_pipeline):
    seed_pipeline.store.require_info()
    documents = seed_pipeline.store.chunks.get()["documents"]
    assert documents
    for text in documents:
        for phrase in (
            "Discover more",
            "Subscribe",
            "Advertisement",
            "Most Popular",
            "Related Posts",
            "Continue reading",
        ):
            assert phrase not in text


def test_reindex_adds_nothing(tmp_path, corpus_copy, store_env):
    pipeline = make_pipeline(tmp_path / "data", **store_env)
    first = pipeline.index([corpus_copy])
    second = pipeline.index([corpus_copy])
    assert (first.added, first.chunks) == (1, pipeline.stats().chunks)
    assert (second.added, second.updated, second.unchanged, second.removed) == (0, 0, 1, 0)
    assert second.chunks == first.chunks
    assert_consistent(pipeline, first.chunks)


def test_changed_article_is_replaced_and_deleted_one_removed(tmp_path, corpus_copy, store_env):
    pipeline = make_pipeline(tmp_path / "data", **store_env)
    extra = corpus_copy / "ferry.md"
    extra.write_text(f"---\nid: ferry\ntitle: Ferry terminal\n---\n{STORY}\n", encoding="utf-8")
    assert pipeline.index([corpus_copy]).added == 2

    extra.write_text(
        f"---\nid: ferry\ntitle: Ferry terminal\n---\n{STORY}\n\nThe opening was moved to June.\n", encoding="utf-8"
    )
    report = pipeline.index([corpus_copy])
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    texts = pipeline.store.chunks.get(where={"article_id": "ferry"})["documents"]
    assert len(texts) == 1 and "moved to June" in texts[0]
    assert_consistent(pipeline, report.chunks)
    assert "moved to June" in pipeline.ask("When will the ferry terminal open?").passages[0].text

    extra.unlink()
    report = pipeline.index([corpus_copy])
    assert report.removed == 1
    assert chunk_ids(pipeline, "ferry") == []
    assert chunk_ids(pipeline, SEED_ID)


def test_only_the_given_sources_are_pruned(tmp_path, corpus_copy, store_env):
    other = tmp_path / "other"
    other.mkdir()
    (other / "ferry.txt").write_text(f"Ferry\n\n{STORY}", encoding="utf-8")
    pipeline = make_pipeline(tmp_path / "data", **store_env)
    pipeline.index([corpus_copy])
    pipeline.index([other])
    report = pipeline.index([corpus_copy])
    assert (report.removed, report.articles) == (0, 2)


def test_a_file_that_breaks_keeps_its_last_good_article(tmp_path, corpus_copy, store_env):
    pipeline = make_pipeline(tmp_path / "data", **store_env)
    extra = corpus_copy / "ferry.txt"
    extra.write_text(f"Ferry\n\n{STORY}", encoding="utf-8")
    pipeline.index([corpus_copy])
    extra.write_bytes(b"Ferry \xff\xfe broken")
    report = pipeline.index([corpus_copy])
    assert (report.failed, report.removed, report.articles) == (1, 0, 2)
    assert "ferry.txt" in str(report.problems[0])


def test_rebuild_starts_from_scratch(tmp_path, corpus_copy, store_env):
    pipeline = make_pipeline(tmp_path / "data", **store_env)
    first = pipeline.index([corpus_copy])
    report = pipeline.index([corpus_copy], rebuild=True)
    assert (report.added, report.unchanged, report.chunks) == (1, 0, first.chunks)
    assert_consistent(pipeline, first.chunks)
    names = [getattr(c, "name", c) for c in pipeline.store.client.list_collections()]
    assert len(names) == 3  # the replaced build's collections are gone


def test_a_rebuild_writes_beside_the_index_that_answers(tmp_path, corpus_copy):
    from index.store.records import IndexInfo

    pipeline = make_pipeline(tmp_path / "data")
    pipeline.index([corpus_copy])
    answering = pipeline.store.info()
    pipeline.store.bind(IndexInfo(model="another model", chunker=0))  # a rebuild in progress
    pipeline.store.chunks.add(ids=["x:y:0"], embeddings=[[0.0] * 384], documents=["half-built"])
    assert pipeline.store.info() == answering
    assert "Umerov" in pipeline.ask("Who heads the Ukrainian delegation?").text
    pipeline.index([corpus_copy])  # the abandoned rebuild is cleared away
    assert len(pipeline.store.client.list_collections()) == 3


def test_data_dirs_never_mix(tmp_path, corpus_copy):
    other = tmp_path / "other"
    other.mkdir()
    (other / "ferry.txt").write_text(f"Ferry\n\n{STORY}", encoding="utf-8")
    a, b = make_pipeline(tmp_path / "a"), make_pipeline(tmp_path / "b")
    a.index([corpus_copy])
    b.index([other])
    assert a.stats().articles == 1 and b.stats().articles == 1
    assert a.ask("Who heads the Ukrainian delegation?").citations[0].article_id == SEED_ID
    assert b.ask("When will the ferry terminal open?").citations[0].title == "Ferry"


def test_an_index_in_the_old_layout_is_named_then_rebuilt(tmp_path, corpus_copy):
    from index.store.chroma import IndexMissing

    data = tmp_path / "data"
    (data / "index" / "gen-000001-abcdef").mkdir(parents=True)
    (data / "index" / "CURRENT").write_text("gen-000001-abcdef")
    pipeline = make_pipeline(data)
    with pytest.raises(IndexMissing, match="older newsbot"):
        pipeline.has_articles()
    assert pipeline.index([corpus_copy]).added == 1
    assert not (data / "index").exists() and pipeline.has_articles()


def test_a_second_writer_is_told_who_holds_the_lock(tmp_path, corpus_copy):
    from index.store.lock import IndexBusy

    pipeline = make_pipeline(tmp_path / "data")
    pipeline.index([corpus_copy])
    with pipeline.store.writing(), pytest.raises(IndexBusy, match=f"pid {os.getpid()}"):
        pipeline.index([corpus_copy])
    assert pipeline.index([corpus_copy]).unchanged == 1


def test_a_reader_answers_from_an_article_another_process_adds(tmp_path, corpus_copy):
    data = tmp_path / "data"
    reader = make_pipeline(data)
    reader.index([corpus_copy])
    assert reader.ask("When will the ferry terminal open?").refused
    (corpus_copy / "ferry.txt").write_text(f"Ferry terminal delayed\n\n{STORY}", encoding="utf-8")
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data)}
    run_cli("index", str(corpus_copy), env=env, timeout=600).check_returncode()
    answer = reader.ask("When will the ferry terminal open?")  # the same reader, not reopened
    assert not answer.refused and "May" in answer.text
    assert reader.searcher.dense_ranking(reader.embedder.embed_query(STORY), 1)[0].startswith(
        next(a for a, r in reader.store.articles().items() if r.title == "Ferry terminal delayed")
    )


def test_a_reader_never_follows_an_article_whose_chunks_are_missing(tmp_path, corpus_copy):
    from index.search.catalog import Catalog

    pipeline = make_pipeline(tmp_path / "data")
    pipeline.index([corpus_copy])
    (corpus_copy / "ferry.txt").write_text(f"Ferry\n\n{STORY}", encoding="utf-8")
    pipeline.index([corpus_copy])
    ferry = next(a for a, r in pipeline.store.articles().items() if r.title == "Ferry")
    pipeline.store.chunks.delete(ids=chunk_ids(pipeline, ferry))  # as if the log ran ahead of Chroma
    fresh = Catalog(tmp_path / "another-reader.sqlite")
    fresh.sync(pipeline.store, pipeline.embedder)
    assert ferry not in fresh.articles() and SEED_ID in fresh.articles()


def many_articles(folder, count):
    towns = ["Ashford", "Brindle", "Corran", "Dunmore", "Elsworth", "Fenwick", "Garrow", "Hollin"]
    for i in range(count):
        town = towns[i % len(towns)]
        body = " ".join(
            f"The {town} council met for session {i}-{j} and voted on item {j * 7 + i} of the budget, "
            f"which covers roads, schools and the library in ward {j}."
            for j in range(12)
        )
        (folder / f"{i:04d}.txt").write_text(f"{town} council session {i}\n\n{body}", encoding="utf-8")


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_an_interrupted_run_leaves_the_last_index_answering(tmp_path, corpus_copy, stop):
    data = tmp_path / "data"
    pipeline = make_pipeline(data)
    before = pipeline.index([corpus_copy])
    many_articles(corpus_copy, 150)

    # The run holds after its first committed batch, so the signal always lands with work left.
    gate = tmp_path / "hold"
    gate.touch()
    reached = Path(f"{gate}.reached")
    log_path = tmp_path / "index.log"
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data), HOLD_AFTER_BATCH: str(gate)}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "index", str(corpus_copy)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=ctrl_c_restored,
        )
    try:
        wait_for(lambda: reached.exists() or process.poll() is not None, 300, "the first batch committed")
        assert process.poll() is None, log_path.read_text()
        process.send_signal(stop)
        process.wait(timeout=60)
    finally:
        stop_process(process)
    said = log_path.read_text()
    if stop == signal.SIGINT:
        assert process.returncode == 130, said
        assert "interrupted; the articles committed so far are kept" in said
    else:
        assert process.returncode == -signal.SIGKILL, said

    answer = pipeline.ask("Who heads the Ukrainian delegation?")
    assert not answer.refused and "Umerov" in answer.text
    kept = pipeline.stats().articles
    assert kept == before.articles + COMMIT_ARTICLES  # the batch it finished stays

    converged = pipeline.index([corpus_copy])
    assert (converged.added, converged.articles) == (151 - kept, 151)
    again = pipeline.index([corpus_copy])
    assert (again.added, again.updated, again.removed, again.chunks) == (0, 0, 0, converged.chunks)
    assert_consistent(pipeline, converged.chunks)


def test_threads_racing_to_open_the_index_all_get_answers(seed_pipeline):
    from concurrent.futures import ThreadPoolExecutor

    from index.search.catalog import Catalog
    from index.search.searcher import Searcher
    from index.store.chroma import ChunkStore

    store = ChunkStore.local(seed_pipeline.settings.data_dir / "chroma")
    searcher = Searcher(store, Catalog(seed_pipeline.catalog.path), seed_pipeline.embedder)  # nothing opened yet
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: searcher.search("peace talks in Istanbul", 3), range(8)))
    assert all(len(passages) == 3 for passages in results)


def test_chunks_are_added_within_chromas_batch_limit(tmp_path, corpus_copy, monkeypatch):
    """A big corpus once failed after embedding: Chroma refuses more than get_max_batch_size()
    (5,461) records in one call. With the limit shrunk to 2, the 5 seed chunks go in 3 calls."""
    from llama_index.vector_stores.chroma import ChromaVectorStore

    added = []
    pipeline = make_pipeline(tmp_path / "data")
    monkeypatch.setattr(pipeline.store.client, "get_max_batch_size", lambda: 2)
    real_add = ChromaVectorStore.add
    monkeypatch.setattr(
        ChromaVectorStore, "add", lambda self, nodes, **kw: added.append(len(nodes)) or real_add(self, nodes, **kw)
    )
    report = pipeline.index([corpus_copy])
    assert added == [2, 2, 1] and report.chunks == 5
    assert_consistent(pipeline, 5)


def test_whole_collections_are_read_a_page_at_a_time(seed_pipeline, monkeypatch):
    """One unbounded read of over 32,766 records fails inside Chroma; with the page shrunk to 2 the
    seed index's chunks read back the same as in one call."""
    import index.store.chroma

    store = seed_pipeline.store
    store.require_info()
    whole = store.chunks.get(include=["documents"])
    monkeypatch.setattr(index.store.chroma, "READ_PAGE", 2)
    paged = store.read_chunks(whole["ids"])
    assert len(whole["ids"]) > 2
    assert sorted((chunk.id, chunk.text) for chunk in paged) == sorted(zip(whole["ids"], whole["documents"]))
    assert list(store.articles()) == [SEED_ID]


def test_an_article_removed_then_added_again_is_back(tmp_path, corpus_copy, store_env):
    """Chroma merges metadata on upsert: a removal's mark once stuck to the article's next version."""
    pipeline = make_pipeline(tmp_path / "data", **store_env)
    extra = corpus_copy / "ferry.txt"
    extra.write_text(f"Ferry\n\n{STORY}", encoding="utf-8")
    pipeline.index([corpus_copy])
    extra.unlink()
    assert pipeline.index([corpus_copy]).removed == 1
    extra.write_text(f"Ferry\n\n{STORY}", encoding="utf-8")
    report = pipeline.index([corpus_copy])
    assert (report.added, report.articles) == (1, 2)
    assert_consistent(pipeline, report.chunks)
    assert "May" in pipeline.ask("When will the ferry terminal open?").text
