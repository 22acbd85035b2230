import os
import signal
import subprocess
import sys
import time

import pytest

from index.chunk import chunk_article, embed_text, make_splitter
from index.articles import read_file

from tests.conftest import SEED_FILE, SEED_ID, make_pipeline

STORY = "The harbour authority said on Tuesday that the new ferry terminal will open in May, two years late."


def chunk_ids(pipeline, article_id):
    collection = pipeline.store.require_current().collection()
    return collection.get(where={"article_id": article_id})["ids"]


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
        assert node.metadata["published"] == "2025-06-02"
        assert node.metadata["published_ts"] == 1748822400
        assert node.metadata["source"] == "LN247"


def test_no_chunk_holds_the_seed_boilerplate(seed_pipeline):
    documents = seed_pipeline.store.require_current().collection().get()["documents"]
    assert documents
    for text in documents:
        for phrase in ("Discover more", "Subscribe", "Advertisement", "Most Popular", "Related Posts", "Continue reading"):
            assert phrase not in text


def test_reindex_adds_nothing(tmp_path, corpus_copy):
    pipeline = make_pipeline(tmp_path / "data")
    first = pipeline.index([corpus_copy])
    second = pipeline.index([corpus_copy])
    assert (first.added, first.chunks) == (1, pipeline.stats().chunks)
    assert (second.added, second.updated, second.unchanged, second.removed) == (0, 0, 1, 0)
    assert not second.published
    assert second.chunks == first.chunks
    assert pipeline.store.require_current().collection().count() == first.chunks


def test_changed_article_is_replaced_and_deleted_one_removed(tmp_path, corpus_copy):
    pipeline = make_pipeline(tmp_path / "data")
    extra = corpus_copy / "ferry.md"
    extra.write_text(f"---\nid: ferry\ntitle: Ferry terminal\n---\n{STORY}\n", encoding="utf-8")
    assert pipeline.index([corpus_copy]).added == 2

    extra.write_text(f"---\nid: ferry\ntitle: Ferry terminal\n---\n{STORY}\n\nThe opening was moved to June.\n", encoding="utf-8")
    report = pipeline.index([corpus_copy])
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    collection = pipeline.store.require_current().collection()
    texts = collection.get(where={"article_id": "ferry"})["documents"]
    assert len(texts) == 1 and "moved to June" in texts[0]
    assert collection.count() == report.chunks

    extra.unlink()
    report = pipeline.index([corpus_copy])
    assert report.removed == 1
    assert chunk_ids(pipeline, "ferry") == []
    assert chunk_ids(pipeline, SEED_ID)


def test_only_the_given_sources_are_pruned(tmp_path, corpus_copy):
    other = tmp_path / "other"
    other.mkdir()
    (other / "ferry.txt").write_text(f"Ferry\n\n{STORY}", encoding="utf-8")
    pipeline = make_pipeline(tmp_path / "data")
    pipeline.index([corpus_copy])
    pipeline.index([other])
    report = pipeline.index([corpus_copy])
    assert (report.removed, report.articles) == (0, 2)


def test_a_file_that_breaks_keeps_its_last_good_article(tmp_path, corpus_copy):
    pipeline = make_pipeline(tmp_path / "data")
    extra = corpus_copy / "ferry.txt"
    extra.write_text(f"Ferry\n\n{STORY}", encoding="utf-8")
    pipeline.index([corpus_copy])
    extra.write_bytes(b"Ferry \xff\xfe broken")
    report = pipeline.index([corpus_copy])
    assert (report.failed, report.removed, report.articles) == (1, 0, 2)
    assert "ferry.txt" in str(report.problems[0])


def test_rebuild_starts_from_scratch(tmp_path, corpus_copy):
    pipeline = make_pipeline(tmp_path / "data")
    first = pipeline.index([corpus_copy])
    report = pipeline.index([corpus_copy], rebuild=True)
    assert (report.added, report.unchanged, report.chunks) == (1, 0, first.chunks)
    assert pipeline.store.require_current().collection().count() == first.chunks


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


def test_old_generations_are_pruned(tmp_path, corpus_copy):
    pipeline = make_pipeline(tmp_path / "data")
    extra = corpus_copy / "ferry.txt"
    for n in range(4):
        extra.write_text(f"Ferry\n\n{STORY} Update {n}.", encoding="utf-8")
        pipeline.index([corpus_copy])
    generations = sorted(p.name for p in (tmp_path / "data" / "index").glob("gen-*"))
    assert len(generations) == 2
    assert pipeline.store.current_name() == generations[-1]


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
    current = pipeline.store.current_name()
    many_articles(corpus_copy, 150)

    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data)}
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "index", str(corpus_copy)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((data / "index").glob("gen-*"))) < 2:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    # The new generation exists: the run is copying or embedding its 300 passages, seconds of work
    # even on an idle machine. A fixed wait here let an idle machine finish first.
    process.send_signal(stop)
    process.wait(timeout=60)
    assert process.returncode != 0

    assert pipeline.store.current_name() == current
    assert pipeline.stats().chunks == before.chunks
    answer = pipeline.ask("Who heads the Ukrainian delegation?")
    assert not answer.refused and "Umerov" in answer.text

    converged = pipeline.index([corpus_copy])
    assert (converged.added, converged.articles) == (150, 151)
    again = pipeline.index([corpus_copy])
    assert (again.added, again.updated, again.removed, again.chunks) == (0, 0, 0, converged.chunks)
    assert pipeline.store.require_current().collection().count() == converged.chunks
    assert len(list((data / "index").glob("gen-*"))) <= 2


def test_threads_racing_to_open_the_index_all_get_answers(seed_pipeline):
    from concurrent.futures import ThreadPoolExecutor

    from index.search import Searcher

    searcher = Searcher(seed_pipeline.store, seed_pipeline.embedder)  # nothing opened yet
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: searcher.search("peace talks in Istanbul", 3), range(8)))
    assert all(len(passages) == 3 for passages in results)


def test_chunks_are_added_within_chromas_batch_limit(tmp_path, corpus_copy, monkeypatch):
    """A big corpus once failed after embedding: Chroma refuses more than get_max_batch_size()
    (5,461) records in one call. With the limit shrunk to 2, the 5 seed chunks go in 3 calls."""
    from index.store import Generation

    from llama_index.vector_stores.chroma import ChromaVectorStore

    added = []
    monkeypatch.setattr(Generation, "max_batch_size", lambda self: 2)
    real_add = ChromaVectorStore.add
    monkeypatch.setattr(ChromaVectorStore, "add", lambda self, nodes, **kw: added.append(len(nodes)) or real_add(self, nodes, **kw))
    pipeline = make_pipeline(tmp_path / "data")
    report = pipeline.index([corpus_copy])
    assert added == [2, 2, 1] and report.chunks == 5
    generation = pipeline.store.require_current()
    try:
        assert generation.collection().count() == 5
    finally:
        generation.close()


def test_whole_collections_are_read_a_page_at_a_time(seed_pipeline, monkeypatch):
    """One unbounded read of over 32,766 chunks fails inside Chroma; with the page shrunk to 2 the
    seed index reads back the same records as in one call."""
    import index.store
    from index.lexical import LexicalIndex

    collection = seed_pipeline.store.require_current().collection()
    whole = collection.get(include=["documents"])
    monkeypatch.setattr(index.store, "READ_PAGE", 2)
    paged = index.store.read_all(collection, ["documents"])
    assert len(whole["ids"]) > 2
    assert sorted(zip(paged["ids"], paged["documents"])) == sorted(zip(whole["ids"], whole["documents"]))
    assert sorted(LexicalIndex.from_collection(collection).chunk_ids) == sorted(whole["ids"])
