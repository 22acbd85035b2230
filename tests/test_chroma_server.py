"""The index on a real Chroma server (`chroma run` on 127.0.0.1): a writer and readers with separate
data dirs, as on separate machines, sharing only the server."""

import os
import subprocess
import sys

import pytest

from tests.conftest import SEED_FILE, ChromaServer, free_port, make_pipeline, run_cli
from tests.news_server import wait_for

FERRY = "Ferry terminal delayed\n\nThe harbour authority said on Tuesday that the new ferry terminal will open in May, two years late."


@pytest.fixture
def chroma_server(tmp_path):
    server = ChromaServer(tmp_path / "chroma-data")
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


def test_readers_on_other_machines_follow_the_writer_through_the_server(chroma_server, tmp_path, corpus_copy):
    writer = make_pipeline(tmp_path / "writer", NEWSBOT_CHROMA_URL=chroma_server.url)
    assert writer.index([corpus_copy]).added == 1
    reader = make_pipeline(tmp_path / "reader", NEWSBOT_CHROMA_URL=chroma_server.url)
    answer = reader.ask("Who heads the Ukrainian delegation?")
    assert "Umerov" in answer.text
    assert reader.ask("When will the ferry terminal open?").refused

    (corpus_copy / "ferry.txt").write_text(FERRY, encoding="utf-8")
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(tmp_path / "writer"), "NEWSBOT_CHROMA_URL": chroma_server.url}
    run_cli("index", str(corpus_copy), env=env, timeout=600).check_returncode()
    assert "May" in reader.ask("When will the ferry terminal open?").text  # at its next question
    assert reader.stats().articles == 2 and not (tmp_path / "reader" / "chroma").exists()


def test_a_second_writer_against_the_server_is_told_who_holds_the_lock(chroma_server, tmp_path, corpus_copy):
    from index.store.lock import IndexBusy

    first = make_pipeline(tmp_path / "one", NEWSBOT_CHROMA_URL=chroma_server.url)
    second = make_pipeline(tmp_path / "two", NEWSBOT_CHROMA_URL=chroma_server.url)
    first.index([corpus_copy])
    with first.store.writing(), pytest.raises(IndexBusy, match=f"pid {os.getpid()}"):
        second.index([corpus_copy])
    assert second.index([corpus_copy]).unchanged == 1


def test_a_stopped_server_is_a_clear_error(chroma_server, tmp_path):
    url = chroma_server.url
    chroma_server.stop()
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "Who heads the Ukrainian delegation?"],
        env={
            **os.environ,
            "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
            "NEWSBOT_CHROMA_URL": url,
            "NEWSBOT_SOURCES": str(SEED_FILE),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"the index server at {url} is not answering" in result.stderr


def test_a_reader_says_the_index_is_unavailable_then_answers_when_the_server_returns(
    chroma_server, tmp_path, corpus_copy
):
    from bot.discord.replies import apology
    from index.store.chroma import IndexUnavailable

    reader = make_pipeline(tmp_path / "reader", NEWSBOT_CHROMA_URL=chroma_server.url)
    reader.index([corpus_copy])
    assert "Umerov" in reader.ask("Who heads the Ukrainian delegation?").text
    chroma_server.stop()
    with pytest.raises(IndexUnavailable, match="try again shortly") as raised:
        reader.ask("Who heads the Ukrainian delegation?")
    assert apology(raised.value) == "The news index is unavailable right now; please try again shortly."
    restarted = ChromaServer(tmp_path / "chroma-data", port=chroma_server.port)
    try:
        restarted.wait_until_ready()
        assert "Umerov" in reader.ask("Who heads the Ukrainian delegation?").text  # the same reader, reconnected
    finally:
        restarted.stop()


def test_the_writer_waits_out_a_server_restart_and_finishes(chroma_server, tmp_path, corpus_copy):
    import threading

    from tests.test_index import many_articles

    many_articles(corpus_copy, 100)
    reader = make_pipeline(tmp_path / "reader", NEWSBOT_CHROMA_URL=chroma_server.url)
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(tmp_path / "writer"), "NEWSBOT_CHROMA_URL": chroma_server.url}
    writer = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "index", str(corpus_copy)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    said: list[str] = []
    printed: list[str] = []
    listeners = [
        threading.Thread(target=lambda: said.extend(writer.stderr), daemon=True),
        threading.Thread(target=lambda: printed.extend(writer.stdout), daemon=True),
    ]
    for listener in listeners:
        listener.start()
    restarted = None
    try:
        # The first batch is in: the writer is embedding the next ones when the server goes away,
        # and stays away until the writer has found it gone.
        wait_for(
            lambda: (info := reader.store.info()) is not None and reader.store.head(info.identity) > 0,
            300,
            "a first batch",
        )
        chroma_server.stop()
        wait_for(lambda: any("trying again" in line for line in said), 300, "the writer to find the server gone")
        restarted = ChromaServer(tmp_path / "chroma-data", port=chroma_server.port)
        restarted.wait_until_ready()
        writer.wait(timeout=600)
        for listener in listeners:
            listener.join(timeout=30)
        assert writer.returncode == 0, "".join(said)
        assert "Traceback" not in "".join(said) and "101 articles" in "".join(printed)
        reader.store.require_info()
        records = reader.store.articles()
        assert len(records) == 101
        assert reader.store.chunks.count() == sum(record.chunks for record in records.values())
        assert reader.stats().articles == 101
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
        if restarted is not None:
            restarted.stop()


def test_a_bot_started_before_its_server_waits_and_says_so(tmp_path, caplog):
    import logging
    import threading

    from bot.discord.bot import load_pipeline

    port = free_port()
    settings = make_pipeline(tmp_path / "setup").settings.model_copy(
        update={"data_dir": tmp_path / "bot", "chroma_url": f"http://127.0.0.1:{port}", "sources": str(SEED_FILE)}
    )
    loaded = []
    with caplog.at_level(logging.WARNING, logger="newsbot.discord"):
        starting = threading.Thread(target=lambda: loaded.append(load_pipeline(settings)), daemon=True)
        starting.start()
        wait_for(lambda: "waiting for it" in caplog.text, 120, "the bot to say it waits")
        server = ChromaServer(tmp_path / "chroma-data", port=port)
        try:
            server.wait_until_ready()
            starting.join(timeout=300)
            assert loaded and "Umerov" in loaded[0].ask("Who heads the Ukrainian delegation?").text
        finally:
            server.stop()
