"""Web sources against a real HTTP server on 127.0.0.1: feeds, sitemaps and pages, changes between
runs, politeness and every kind of failure, each named while the rest is indexed."""

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from index.build import COMMIT_ARTICLES, HOLD_AFTER_BATCH
from index.web.addresses import AddressPolicy
from tests.conftest import TEST_HOSTS, ctrl_c_restored, make_pipeline
from tests.news_server import NewsServer, article_page, atom, rss, sitemap, wait_for

STORIES = {
    "ferry": (
        "Ferry terminal opening delayed to May",
        [
            "The harbour authority of Port Ellery said on Tuesday that the new ferry terminal will open in May, two years late.",
            "Engineers found cracks in the main pier during a final inspection in March, the authority's director Mairead Quill told reporters.",
            "Repairs will cost about 14 million euros, which the regional government has agreed to pay.",
        ],
    ),
    "bridge": (
        "Kittiwake bridge reopens after repairs",
        [
            "The Kittiwake bridge reopened to traffic on Monday after eight weeks of repairs to its steel cables.",
            "Mayor Tobias Renwick cut a ribbon at the northern end while a brass band from the local school played.",
            "Lorries over 30 tonnes remain banned from the bridge until a load test in the autumn.",
        ],
    ),
    "library": (
        "Library wins national design award",
        [
            "The new Fenwick public library has won the national architecture prize for civic buildings, the jury announced on Friday.",
            "Its timber roof, built from spruce grown within 50 kilometres of the town, was praised for its low carbon footprint.",
            "More than 90,000 visitors came through its doors in the first year, twice the number the council had expected.",
        ],
    ),
    "orchard": (
        "Orchard festival draws record crowds",
        [
            "The Brindle orchard festival drew a record 41,000 visitors over the weekend, organisers said on Sunday.",
            "A heritage apple called the Brindle Russet won the tasting contest for the third year running.",
            "Cider makers from four counties sold out of their stock by Saturday evening.",
        ],
    ),
}


def publish(server: NewsServer, key: str, path: str, date: str = "2026-11-20", **kwargs) -> str:
    title, paragraphs = STORIES[key]
    server.set(path, article_page(title, paragraphs, f"{date}T09:00:00+00:00", **kwargs))
    return server.url(path)


@pytest.fixture
def server():
    site = NewsServer()
    site.set("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    yield site
    site.close()


def web_pipeline(tmp_path, **env):
    return make_pipeline(tmp_path / "data", NEWSBOT_FETCH_DELAY="0", NEWSBOT_FETCH_TIMEOUT="2", **env)


def ask(pipeline, question: str):
    return pipeline.ask(question, today=__import__("datetime").date(2026, 12, 1))


def test_a_feed_then_a_new_entry_an_edit_and_a_dropped_entry(server, tmp_path):
    ferry = publish(server, "ferry", "/news/ferry")
    bridge = publish(server, "bridge", "/news/bridge")
    server.set(
        "/feed.xml",
        rss("Harbour Gazette", [("Ferry", ferry, "2026-11-20"), ("Bridge", bridge, "2026-11-21")]),
        "application/rss+xml",
    )
    pipeline = web_pipeline(tmp_path)

    first = pipeline.index([server.url("/feed.xml")])
    assert (first.added, first.failed) == (2, 0)
    answer = ask(pipeline, "Who cut the ribbon at the Kittiwake bridge?")
    assert "Renwick" in answer.text and answer.citations[0].url == bridge
    assert answer.citations[0].source == "Harbour Gazette"

    server.forget_requests()
    again = pipeline.index([server.url("/feed.xml")])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 0)
    assert server.hits("/feed.xml") == [304] and server.hits("/news/ferry") == []

    library = publish(server, "library", "/news/library", "2026-11-25")
    title, paragraphs = STORIES["ferry"]
    server.set(
        "/news/ferry",
        article_page(title, paragraphs[:2] + ["The opening has now been moved to June."], "2026-11-20T09:00:00+00:00"),
    )
    # The bridge entry falls off the feed; the ferry entry says it was updated, after the last fetch.
    edited = (datetime.now(UTC) + timedelta(seconds=2)).replace(tzinfo=None).isoformat(timespec="seconds")
    server.set(
        "/feed.xml",
        rss("Harbour Gazette", [("Ferry", ferry, edited), ("Library", library, "2026-11-25")]),
        "application/rss+xml",
    )
    changed = pipeline.index([server.url("/feed.xml")])
    assert (changed.added, changed.updated, changed.removed) == (1, 1, 0)
    assert "Fenwick" in ask(pipeline, "Which library won the national architecture prize?").text
    assert any(
        "moved to June" in p.text for p in ask(pipeline, "When will the Port Ellery ferry terminal open?").passages
    )
    assert "Renwick" in ask(pipeline, "Who cut the ribbon at the Kittiwake bridge?").text  # dropped from the feed, kept
    assert pipeline.stats().articles == 3


def test_one_article_under_two_addresses_is_indexed_once(server, tmp_path):
    canonical = server.url("/news/orchard")
    publish(server, "orchard", "/news/orchard", canonical=canonical)
    publish(server, "orchard", "/amp/orchard", canonical=canonical)
    server.set(
        "/feed.xml",
        rss(
            "Gazette",
            [
                ("Orchard", canonical + "?utm_source=rss&utm_medium=feed#top", "2026-11-20"),
                ("Orchard", canonical + "?fbclid=abc", "2026-11-20"),
                ("Orchard (AMP)", server.url("/amp/orchard"), "2026-11-20"),
            ],
        ),
        "application/rss+xml",
    )
    pipeline = web_pipeline(tmp_path)
    report = pipeline.index([server.url("/feed.xml")])
    assert (report.added, report.failed) == (1, 0)
    [record] = pipeline.searcher.articles().values()
    assert record.url == canonical


def test_atom_feeds_sitemaps_and_single_pages_are_told_apart_by_content(server, tmp_path):
    server.set(
        "/atom", atom("Gazette", [("Ferry", publish(server, "ferry", "/a/ferry"), "2026-11-20")]), "application/xml"
    )
    server.set("/sitemap.xml", sitemap([(publish(server, "bridge", "/s/bridge"), "2026-11-21")]), "text/xml")
    page = publish(server, "library", "/p/library")
    pipeline = web_pipeline(tmp_path)
    report = pipeline.index([server.url("/atom"), server.url("/sitemap.xml"), page])
    assert (report.added, report.failed) == (3, 0)
    assert {record.url for record in pipeline.searcher.articles().values()} == {
        server.url("/a/ferry"),
        server.url("/s/bridge"),
        page,
    }


def test_every_failure_is_named_and_the_good_articles_are_indexed(server, tmp_path):
    good = publish(server, "ferry", "/news/ferry")
    server.set("/news/gone", "gone", "text/plain", status=404)
    server.set("/news/broken", "oops", "text/plain", status=500)
    server.set("/news/slow", behaviour="hang")
    server.set("/news/loop", status=302, Location="/news/loop")
    server.set("/news/ftp", status=301, Location="ftp://127.0.0.1/file")
    server.set("/news/huge", behaviour="endless")
    server.set("/news/report.pdf", b"%PDF-1.7 binary", "application/pdf")
    server.set("/news/image", b"\x89PNG\r\n", "image/png")
    server.set("/news/empty", "<html><body><p>Short.</p></body></html>")
    publish(server, "bridge", "/private/bridge")
    links = [
        "/news/ferry",
        "/news/gone",
        "/news/broken",
        "/news/slow",
        "/news/loop",
        "/news/ftp",
        "/news/huge",
        "/news/report.pdf",
        "/news/image",
        "/news/empty",
        "/private/bridge",
    ]
    server.set("/feed.xml", rss("Gazette", [(p, server.url(p), "2026-11-20") for p in links]), "application/rss+xml")
    server.set("/bad.xml", "<?xml version='1.0'?><rss><channel><item><title>unclosed", "application/rss+xml")
    server.set("/dead.xml", "missing", "text/plain", status=404)
    pipeline = web_pipeline(tmp_path, NEWSBOT_MAX_ARTICLE_MB="1")

    report = pipeline.index([server.url("/feed.xml"), server.url("/bad.xml"), server.url("/dead.xml")])

    assert report.added == 1 and ask(pipeline, "When will the ferry terminal open?").citations[0].url == good
    named = {problem.where.removeprefix(server.base): problem.reason for problem in report.problems}
    assert "404" in named["/news/gone"] and "500" in named["/news/broken"]
    assert "no whole answer within 2 s" in named["/news/slow"]
    assert "redirects" in named["/news/loop"] and "only http(s)" in named["/news/ftp"]
    assert "MB cap" in named["/news/huge"]
    assert "application/pdf" in named["/news/report.pdf"] and "image/png" in named["/news/image"]
    assert "too short" in named["/news/empty"]
    assert "robots.txt" in named["/private/bridge"] and server.hits("/private/bridge") == []
    assert "not a readable feed" in named["/bad.xml"] and "404" in named["/dead.xml"]
    assert report.failed == len(named) == 12
    statuses = {status["url"]: status for status in pipeline.stats().web_sources}
    assert statuses[server.url("/dead.xml")]["last_error"] and not statuses[server.url("/feed.xml")]["last_error"]


def test_a_failing_feed_keeps_what_it_gave_before(server, tmp_path):
    ferry = publish(server, "ferry", "/news/ferry")
    server.set("/feed.xml", rss("Gazette", [("Ferry", ferry, "2026-11-20")]), "application/rss+xml")
    pipeline = web_pipeline(tmp_path)
    pipeline.index([server.url("/feed.xml")])
    server.set("/feed.xml", "down for maintenance", "text/plain", status=503)
    report = pipeline.index([server.url("/feed.xml")])
    assert (report.removed, report.failed, report.articles) == (0, 1, 1)
    assert "503" in str(report.problems[0])


def test_sources_toml_names_the_publisher_and_filters_links(server, tmp_path):
    links = [
        publish(server, "ferry", "/news/ferry"),
        publish(server, "bridge", "/video/bridge"),
        publish(server, "library", "/news/library"),
    ]
    server.set(
        "/feed.xml",
        rss("Gazette", [(str(i), link, "2026-11-20") for i, link in enumerate(links)]),
        "application/rss+xml",
    )
    data = tmp_path / "data"
    data.mkdir()
    (data / "sources.toml").write_text(
        f'[[source]]\nurl = "{server.url("/feed.xml")}"\nname = "The Port Ellery Gazette"\nlimit = 1\nexclude = ["*/video/*"]\n',
        encoding="utf-8",
    )
    pipeline = web_pipeline(tmp_path)
    report = pipeline.index()
    assert report.added == 1
    [record] = pipeline.searcher.articles().values()
    assert (record.url, record.source) == (links[0], "The Port Ellery Gazette")


def test_old_web_articles_go_after_keep_days(server, tmp_path):
    server.set(
        "/feed.xml",
        rss(
            "Gazette",
            [
                ("Old", publish(server, "ferry", "/news/ferry", "2020-01-02"), "2020-01-02"),
                ("New", publish(server, "bridge", "/news/bridge", "2026-11-30"), "2026-11-30"),
            ],
        ),
        "application/rss+xml",
    )
    pipeline = web_pipeline(tmp_path)
    assert pipeline.index([server.url("/feed.xml")]).added == 2
    keeping = web_pipeline(tmp_path, NEWSBOT_KEEP_DAYS="365")
    report = keeping.index([server.url("/feed.xml")])
    assert (report.removed, report.articles) == (1, 1)


def run_cli(*args, data, env=None, timeout=300):
    environment = {**os.environ, "NEWSBOT_DATA_DIR": str(data), "NEWSBOT_FETCH_DELAY": "0", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=environment, capture_output=True, text=True, timeout=timeout
    )


def test_non_web_addresses_are_refused(tmp_path):
    result = run_cli("index", "ftp://127.0.0.1/feed.xml", data=tmp_path / "data")
    assert result.returncode == 2 and "only http(s)" in result.stderr


def start_watch(data, feed_url, every="2s", **env):
    environment = {**os.environ, "NEWSBOT_DATA_DIR": str(data), "NEWSBOT_FETCH_DELAY": "0", **env}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "watch", "--every", every, feed_url],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process):
    if process.poll() is None:
        process.kill()
    process.communicate()


def test_watch_picks_up_a_new_entry_and_stops_cleanly_on_sigterm(server, tmp_path):
    data = tmp_path / "data"
    ferry = publish(server, "ferry", "/news/ferry")
    server.set("/feed.xml", rss("Gazette", [("Ferry", ferry, "2026-11-20")]), "application/rss+xml")
    process = start_watch(data, server.url("/feed.xml"))
    try:
        reader = web_pipeline(tmp_path)
        wait_for(
            lambda: (data / "chroma").exists() and reader.store.info() and reader.searcher.articles(),
            300,
            "the first round",
        )
        orchard = publish(server, "orchard", "/news/orchard", "2026-11-22")
        server.set(
            "/feed.xml",
            rss("Gazette", [("Orchard", orchard, "2026-11-22"), ("Ferry", ferry, "2026-11-20")]),
            "application/rss+xml",
        )
        wait_for(
            lambda: "Russet" in ask(reader, "Which apple won the tasting contest at the Brindle festival?").text,
            300,
            "the new entry answerable by a reader that was already open",
        )
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=120)
    finally:
        stop(process)
    assert process.returncode == 0, err
    assert "watch stopped" in err and "added" in out
    assert "Traceback" not in err


def test_kill_9_during_a_watch_round_leaves_an_index_that_answers(server, tmp_path):
    data = tmp_path / "data"
    paths = [f"/news/story-{n}" for n in range(50)]  # a feed gives its first 50 entries by default
    for n, path in enumerate(paths):
        key = list(STORIES)[n % 4]
        title, paragraphs = STORIES[key]
        server.set(
            path, article_page(f"{title} ({n})", [f"Report number {n}."] + paragraphs, "2026-11-20T09:00:00+00:00")
        )
    server.set("/feed.xml", rss("Gazette", [(p, server.url(p), "2026-11-20") for p in paths]), "application/rss+xml")
    gate = tmp_path / "hold"  # the round holds after its first committed batch: the kill lands with work left
    gate.touch()
    process = start_watch(data, server.url("/feed.xml"), every="1m", **{HOLD_AFTER_BATCH: str(gate)})
    try:
        wait_for(lambda: Path(f"{gate}.reached").exists() or process.poll() is not None, 300, "a first batch committed")
        assert process.poll() is None, process.communicate()
        process.kill()
        process.wait(timeout=60)
    finally:
        stop(process)
    reader = web_pipeline(tmp_path)
    assert reader.stats().articles == COMMIT_ARTICLES
    answer = ask(reader, "Who cut the ribbon at the Kittiwake bridge?")
    assert not answer.refused and "Renwick" in answer.text
    report = reader.index([server.url("/feed.xml")])
    assert report.articles == 50 and report.failed == 0
    stats = json.loads(run_cli("stats", "--json", data=data).stdout)
    assert stats["articles"] == 50 and stats["web_sources"][0]["url"] == server.url("/feed.xml")


def test_robots_crawl_delay_spaces_requests_to_a_host(server, tmp_path):
    import time

    from index.web.fetch import Fetcher, Politeness

    server.set("/robots.txt", "User-agent: *\nCrawl-delay: 1\n", "text/plain")
    publish(server, "ferry", "/a")
    publish(server, "bridge", "/b")
    fetcher = Fetcher(Politeness(delay=0, timeout=5, addresses=AddressPolicy.parse(TEST_HOSTS)))
    try:
        fetcher.fetch(server.url("/a"))
        started = time.monotonic()
        fetcher.fetch(server.url("/b"))
        assert time.monotonic() - started >= 0.9
    finally:
        fetcher.close()


def test_ctrl_c_during_a_fetch_says_so_and_exits_130(server, tmp_path):
    server.set("/news/slow", "", behaviour="hang")
    server.set("/feed.xml", rss("Gazette", [("Slow", server.url("/news/slow"), "2026-11-20")]), "application/rss+xml")
    environment = {
        **os.environ,
        "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
        "NEWSBOT_FETCH_DELAY": "0",
        "NEWSBOT_FETCH_TIMEOUT": "5",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "index", server.url("/feed.xml")],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_restored,
    )
    try:
        wait_for(lambda: server.hits("/news/slow") or process.poll() is not None, 300, "the page asked for")
        assert process.poll() is None, process.communicate()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        stop(process)
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
