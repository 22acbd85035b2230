"""Hostile sources, served on 127.0.0.0/8 only: links and redirects to other internal addresses,
robots.txt that drips or is a compressed bomb, bombs as feeds and sitemaps, a feed of 10,000
entries in no order, and feeds that try XML tricks. Each is named, none stops the round, and the
good articles stay answerable."""

import os
import random
import subprocess
import sys
import zlib
from datetime import date, timedelta

import pytest

from index.web.addresses import AddressPolicy
from index.web.crawl import newest
from index.web.discover import Entry, read_listing
from index.web.fetch import Fetched
from tests.conftest import TEST_HOSTS, make_pipeline
from tests.news_server import NewsServer, article_page, rss, sitemap

TODAY = date(2026, 12, 1)
FERRY = (
    "Ferry terminal opening delayed to May",
    [
        "The harbour authority of Port Ellery said on Tuesday that the new ferry terminal will open in May, two years late.",
        "Engineers found cracks in the main pier during a final inspection in March, the director Mairead Quill said.",
    ],
)
ORCHARD = (
    "Orchard festival draws record crowds",
    [
        "The Brindle orchard festival drew a record 41,000 visitors over the weekend, organisers said on Sunday.",
        "A heritage apple called the Brindle Russet won the tasting contest for the third year running.",
    ],
)
BRIDGE = (
    "Kittiwake bridge reopens after repairs",
    [
        "The Kittiwake bridge reopened to traffic on Monday after eight weeks of repairs to its steel cables.",
        "Mayor Tobias Renwick cut a ribbon at the northern end while a brass band from the local school played.",
    ],
)
MEMORY_LIMIT_MB = 700


@pytest.fixture
def server():
    site = NewsServer()
    site.set("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    yield site
    site.close()


@pytest.fixture
def canary():
    """A server on 127.0.0.2, which no test allows: every request it gets is a failure."""
    site = NewsServer("127.0.0.2")
    yield site
    site.close()


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """About 1 MB that inflates to 1 GiB of zeros."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    return b"".join(packer.compress(block) for _ in range(1024)) + packer.flush()


def newsbot(data, *args, timeout=300, **env):
    environment = {**os.environ, "NEWSBOT_DATA_DIR": str(data), "NEWSBOT_FETCH_DELAY": "0", **env}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=environment, capture_output=True, text=True, timeout=timeout
    )


def ask(pipeline, question):
    return pipeline.ask(question, today=TODAY)


def test_private_addresses_are_refused_by_name_with_every_encoding(server, canary, tmp_path):
    good = server.url("/news/ferry")
    server.set("/news/ferry", article_page(*FERRY, "2026-11-20T09:00:00+00:00"))
    port = canary.port
    internal = [
        f"http://127.0.0.2:{port}/secret",
        f"http://0x7f000002:{port}/secret",
        f"http://2130706434:{port}/secret",
        f"http://[::ffff:127.0.0.2]:{port}/secret",
        f"http://[::1]:{port}/secret",
    ]
    server.set("/news/moved", status=302, Location=f"http://127.0.0.2:{port}/secret")
    canary.set(
        "/secret",
        article_page("Instance credentials", ["The access key of this machine is AKIA-SECRET-0001, valid until May."]),
    )
    links = [good, server.url("/news/moved"), *internal]
    server.set(
        "/feed.xml",
        rss("Gazette", [(f"Story {n}", link, "2026-11-20") for n, link in enumerate(links)]),
        "application/rss+xml",
    )

    result = newsbot(tmp_path / "data", "index", server.url("/feed.xml"), NEWSBOT_ALLOW_PRIVATE_HOSTS="127.0.0.1")

    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert canary.requests == []
    refusals = [line for line in result.stderr.splitlines() if "NEWSBOT_ALLOW_PRIVATE_HOSTS" in line]
    assert len(refusals) == 6, result.stderr
    assert sum("resolves to 127.0.0.2, a loopback address" in line for line in refusals) == 5
    assert any("resolves to ::1, a loopback address" in line for line in refusals)
    assert any(server.url("/news/moved") in line for line in refusals)
    pipeline = make_pipeline(tmp_path / "data")
    assert ask(pipeline, "When will the ferry terminal open?").citations[0].url == good
    assert "AKIA" not in ask(pipeline, "What is the access key of this machine?").text


def test_an_allowed_private_source_does_not_allow_its_links_elsewhere(server, canary, tmp_path):
    server.set(
        "/feed.xml",
        rss("Gazette", [("Secret", f"http://127.0.0.2:{canary.port}/secret", "2026-11-20")]),
        "application/rss+xml",
    )
    report = make_pipeline(tmp_path / "data", NEWSBOT_FETCH_DELAY="0").index([server.url("/feed.xml")])
    (problem,) = report.problems
    assert "127.0.0.2, a loopback address" in problem.reason and canary.requests == []


def test_a_source_on_a_private_host_not_allowed_is_one_line(server, tmp_path):
    result = newsbot(tmp_path / "data", "index", server.url("/feed.xml"), NEWSBOT_ALLOW_PRIVATE_HOSTS="")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if "NEWSBOT_ALLOW_PRIVATE_HOSTS" in line]
    assert f"skipped {server.url('/feed.xml')}: it resolves to 127.0.0.1, a loopback address" in line
    assert server.requests == []


def test_a_dripping_robots_txt_gives_up_at_the_deadline_and_the_feed_is_read(server, tmp_path):
    server.set("/robots.txt", "User-agent: *\nDisallow: /news/\n" * 40, "text/plain", behaviour="drip")
    server.set("/news/ferry", article_page(*FERRY, "2026-11-20T09:00:00+00:00"))
    server.set("/feed.xml", rss("Gazette", [("Ferry", server.url("/news/ferry"), "2026-11-20")]), "application/rss+xml")
    pipeline = make_pipeline(tmp_path / "data", NEWSBOT_FETCH_DELAY="0", NEWSBOT_FETCH_TIMEOUT="3")

    report = pipeline.index([server.url("/feed.xml")])

    assert report.added == 1 and report.problems == []
    (note,) = [note for note in report.notes if note.where == server.url("/robots.txt")]
    assert "no whole answer within 3 s" in note.reason and "no robots rules this round" in note.reason
    assert "Port Ellery" in ask(pipeline, "When will the ferry terminal open?").text


def test_compressed_bombs_stop_at_the_cap_in_bounded_memory(server, gzip_bomb, tmp_path):
    other = NewsServer()  # a second host, so that one robots.txt is a bomb and the other not
    try:
        server.set("/robots.txt", gzip_bomb, "text/plain", Content_Encoding="gzip")
        server.set("/news/ferry", article_page(*FERRY, "2026-11-20T09:00:00+00:00"))
        server.set(
            "/feed.xml", rss("Gazette", [("Ferry", server.url("/news/ferry"), "2026-11-20")]), "application/rss+xml"
        )
        other.set("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
        other.set("/news/orchard", article_page(*ORCHARD, "2026-11-21T09:00:00+00:00"))
        other.set("/bomb-sitemap.xml", gzip_bomb, "application/xml", Content_Encoding="gzip")
        other.set("/good-sitemap.xml", sitemap([(other.url("/news/orchard"), "2026-11-21")]), "application/xml")
        index = (
            '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(
                f"<sitemap><loc>{other.url(path)}</loc></sitemap>"
                for path in ("/bomb-sitemap.xml", "/good-sitemap.xml")
            )
            + "</sitemapindex>"
        )
        other.set("/sitemap.xml", index, "application/xml")
        other.set(
            "/feed.xml", rss("Other", [("Orchard", other.url("/news/orchard"), "2026-11-21")]), "application/rss+xml"
        )
        data = tmp_path / "data"
        sources = [server.url("/feed.xml"), other.url("/sitemap.xml"), other.url("/feed.xml")]
        assert newsbot(data, "index", *sources).returncode == 0
        other.set("/feed.xml", gzip_bomb, "application/rss+xml", Content_Encoding="gzip")  # the feed turns hostile
        other.set("/sitemap.xml", index + "<!-- changed -->", "application/xml")  # read again, with its children
        measure = (
            "import resource, subprocess, sys; result = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(result.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024); print(result.stderr)"
        )
        environment = {**os.environ, "NEWSBOT_DATA_DIR": str(data), "NEWSBOT_FETCH_DELAY": "0"}
        out = subprocess.run(
            [sys.executable, "-c", measure, sys.executable, "-m", "bot.cli", "index", *sources],
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        ).stdout
    finally:
        other.close()
    status, peak_mb = map(int, out.splitlines()[0].split())
    said = out.split("\n", 1)[1]
    assert status == 0 and "Traceback" not in said, said
    assert peak_mb < MEMORY_LIMIT_MB, f"peak RSS {peak_mb} MB"
    print(f"peak RSS of the run: {peak_mb} MB")
    assert f"{server.url('/robots.txt')}: larger than the 5 MB cap" in said and "no robots rules this round" in said
    assert f"{other.url('/bomb-sitemap.xml')}: larger than the 5 MB cap" in said
    assert f"{other.url('/feed.xml')}: larger than the 5 MB cap" in said
    pipeline = make_pipeline(data)
    assert "Port Ellery" in ask(pipeline, "When will the ferry terminal open?").text
    assert "Russet" in ask(pipeline, "Which apple won the tasting contest?").text


def test_a_feed_of_10000_entries_in_no_order_gives_its_50_newest(server, tmp_path):
    rng = random.Random(31)
    days = [date(2024, 1, 1) + timedelta(days=rng.randrange(1000)) for _ in range(10_000)]
    paths = [f"/news/{n}" for n in range(10_000)]
    items = [(f"Story {n}", server.url(path), day.isoformat()) for n, (path, day) in enumerate(zip(paths, days))]
    newest_three = sorted(range(10_000), key=lambda n: days[n])[-3:]
    for n, story in zip(newest_three, (FERRY, ORCHARD, BRIDGE)):
        title, paragraphs = story
        server.set(
            paths[n],
            article_page(f"{title} ({n})", [f"Report {n} of the day."] + paragraphs, f"{days[n]}T09:00:00+00:00"),
        )
    rng.shuffle(items)
    server.set("/feed.xml", rss("Big", items), "application/rss+xml")

    report = make_pipeline(tmp_path / "data", NEWSBOT_FETCH_DELAY="0").index([server.url("/feed.xml")])

    fetched = {path for _, path, _ in server.requests if path.startswith("/news/")}
    fiftieth_newest = sorted(days, reverse=True)[49]
    assert len(fetched) == 50 and {paths[n] for n in newest_three} <= fetched
    assert all(days[int(path.rsplit("/", 1)[1])] >= fiftieth_newest for path in fetched)
    assert report.added == 3 and len(report.problems) == 47  # the other 47 newest are 404s


@pytest.mark.parametrize("kind", ["entity bomb", "external entity", "invalid utf-8"])
def test_feeds_that_try_xml_tricks_are_read_and_named(server, tmp_path, kind):
    server.set("/news/ferry", article_page(*FERRY, "2026-11-20T09:00:00+00:00"))
    item = f"<item><title>Ferry</title><link>{server.url('/news/ferry')}</link></item>".encode()
    laughs = "".join(f'<!ENTITY l{n} "{("&l" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
    prolog = {
        "entity bomb": f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "ha">{laughs}]>'.encode(),
        "external entity": b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        "invalid utf-8": b'<?xml version="1.0" encoding="utf-8"?>',
    }[kind]
    title = {"entity bomb": b"&l9;", "external entity": b"&x;", "invalid utf-8": b"Caf\xe9 news"}[kind]
    server.set(
        "/feed.xml",
        prolog + b'<rss version="2.0"><channel><title>' + title + b"</title>" + item + b"</channel></rss>",
        "application/rss+xml",
    )

    report = make_pipeline(tmp_path / "data", NEWSBOT_FETCH_DELAY="0").index([server.url("/feed.xml")])

    assert report.added == 1
    (note,) = [note for note in report.notes if note.where == server.url("/feed.xml")]
    expected = {
        "entity bomb": "declares XML entities",
        "external entity": "declares external XML entities",
        "invalid utf-8": "don't fit its declared encoding",
    }[kind]
    assert expected in note.reason
    listing = read_listing(Fetched(server.url("/feed.xml"), server.routes["/feed.xml"].body, "application/rss+xml"))
    assert "root:" not in listing.title  # an external entity is never read


def test_a_sitemap_with_entities_is_skipped_by_name(server, tmp_path):
    body = (
        '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&x;</loc></url></urlset>'
    )
    server.set("/sitemap.xml", body, "application/xml")
    report = make_pipeline(tmp_path / "data", NEWSBOT_FETCH_DELAY="0").index([server.url("/sitemap.xml")])
    (problem,) = report.problems
    assert "declares XML entities" in problem.reason


def test_the_newest_entries_come_first_and_undated_ones_last_in_listed_order():
    entries = [
        Entry("u1"),
        Entry("d1", published="2026-11-01T00:00:00+00:00"),
        Entry("u2"),
        Entry("d2", updated="2026-11-03T00:00:00+01:00"),
        Entry("d3", published="2026-11-03T00:00:00+00:00"),
    ]
    assert [entry.url for entry in newest(entries, 10)] == ["d3", "d2", "d1", "u1", "u2"]
    assert [entry.url for entry in newest(entries, 2)] == ["d3", "d2"]


def test_the_address_policy_reads_hosts_addresses_and_blocks():
    policy = AddressPolicy.parse(f"{TEST_HOSTS}, intranet.example, 10.1.0.0/16, [fd00::1]")
    assert policy.refusal("127.0.0.1", "127.0.0.1") == "" and policy.refusal("intranet.example", "192.168.4.4") == ""
    assert policy.refusal("x", "10.1.2.3") == "" and policy.refusal("x", "fd00::1") == ""
    assert "10.2.0.5, a private address" in policy.refusal("x", "10.2.0.5")
    assert "169.254.169.254, a link-local address" in policy.refusal("metadata", "169.254.169.254")
    assert "0.0.0.0, an unspecified address" in policy.refusal("x", "0.0.0.0")
    assert "224.0.0.1, a multicast address" in policy.refusal("x", "224.0.0.1")
    assert policy.refusal("news.example", "93.184.215.14") == ""
    with pytest.raises(ValueError, match="host names, addresses or CIDR blocks"):
        AddressPolicy.parse("http://intranet/")
