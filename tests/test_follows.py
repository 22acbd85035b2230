"""Follows, from two made-up outlets on the local news server: a backtest when a follow is added, an
alert for the first new article of a story, updates (not alerts) for later ones, nothing for an
unrelated article, a digest beyond the hourly cap, corrections, exactly-once delivery across a
kill -9, and the Discord commands through the stand-in."""

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import date, timedelta

import pytest
from discord.http import Route

from bot import cli
from bot.follows.store import FollowStore
from tests.conftest import make_pipeline, stop_process
from tests.news_server import NewsServer, article_page, rss, wait_for

TOPIC = "Kittiwake bridge repairs"
TODAY = date.today()
YESTERDAY = TODAY - timedelta(days=1)
PAGES = {
    "first": (
        "/gazette/bridge",
        "Kittiwake bridge repairs to cost £4.2m",
        [
            "Repairs to the Kittiwake bridge in Port Ellery will cost £4.2 million, the county council said on Monday.",
            "Engineers found corroded steel cables under the main span during an inspection in October, council engineer Mairead Quill said.",
            "The bridge will close to all traffic for six weeks from January while the cables are replaced.",
        ],
        YESTERDAY,
        "Harbour Gazette",
    ),
    "second": (
        "/courier/bridge",
        "Kittiwake bridge repair bill put at £4.5m",
        [
            "Repairs to the Kittiwake bridge in Port Ellery will cost £4.5 million, the county council said.",
            "Corroded cables under the main span of the Kittiwake bridge were found by engineers in October, the council's Mairead Quill said.",
            "Drivers face a six-week closure of the Kittiwake bridge from January, with a diversion through the harbour road.",
        ],
        TODAY,
        "Valley Courier",
    ),
    "third": (
        "/gazette/bridge-update",
        "Kittiwake bridge repair bill rises",
        [
            "Repairs to the Kittiwake bridge in Port Ellery will cost £4.8 million, the county council said on Wednesday.",
            "The council said more corroded cables under the main span of the Kittiwake bridge were found in a second inspection.",
            "The six-week closure of the Kittiwake bridge from January is unchanged, council engineer Mairead Quill said.",
        ],
        TODAY,
        "Harbour Gazette",
    ),
    "marathon": (
        "/courier/marathon",
        "Record field runs the Kittiwake bridge marathon",
        [
            "A record 3,400 runners crossed the Kittiwake bridge on Sunday in the twelfth Port Ellery marathon, organisers said.",
            "Local teacher Ines Varga won the women's race in two hours and 41 minutes, a course record on the Kittiwake bridge route.",
            "The bridge was closed to traffic for six hours while the race passed, with buses diverted along the harbour road.",
        ],
        TODAY,
        "Valley Courier",
    ),
    "unrelated": (
        "/gazette/library",
        "Library wins national design award",
        [
            "The new Fenwick public library has won the national architecture prize for civic buildings, the jury announced on Friday.",
            "Its timber roof, built from spruce grown within 50 kilometres of the town, was praised for its low carbon footprint.",
            "More than 90,000 visitors came through its doors in the first year, twice the number the council had expected.",
        ],
        TODAY,
        "Harbour Gazette",
    ),
}


class Site:
    """The two outlets' pages and one feed listing what is published so far."""

    def __init__(self):
        self.server = NewsServer()
        self.server.set("/robots.txt", "", "text/plain")
        self.listed: list[str] = []

    def publish(self, *keys: str, **replaced: list[str]) -> None:
        for key in keys:
            path, title, paragraphs, day, outlet = PAGES[key]
            self.server.set(
                path,
                article_page(title, replaced.get(key, paragraphs), f"{day.isoformat()}T09:00:00+00:00", site=outlet),
            )
            if key not in self.listed:
                self.listed.append(key)
        items = [(PAGES[key][1], self.server.url(PAGES[key][0]), PAGES[key][3].isoformat()) for key in self.listed]
        self.server.set("/feed.xml", rss("Local news", items), "application/rss+xml")

    @property
    def feed(self) -> str:
        return self.server.url("/feed.xml")


@pytest.fixture
def site():
    outlets = Site()
    yield outlets
    outlets.server.close()


def newsbot(capsys, data_dir, *args) -> tuple[int, str, str]:
    status = cli.main([*args, "--data-dir", str(data_dir)])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def indexed(site, tmp_path, monkeypatch, capsys, embedder):
    """A data dir with the first report indexed, and no follows yet."""
    monkeypatch.setenv("NEWSBOT_FETCH_DELAY", "0")
    data_dir = tmp_path / "data"
    site.publish("first")
    assert newsbot(capsys, data_dir, "index", site.feed)[0] == 0
    return data_dir


def outbox(data_dir) -> list[dict]:
    return [message.payload for message in FollowStore(data_dir).messages()]


def test_adding_a_follow_shows_its_backtest_and_a_dry_run_adds_nothing(indexed, capsys):
    status, out, _ = newsbot(capsys, indexed, "follow", "add", TOPIC, "--dry-run", "--json")
    shown = json.loads(out)
    assert status == 0 and shown["follow"] is None
    (hit,) = shown["backtest"]
    assert hit["title"] == PAGES["first"][1] and hit["quote"] in " ".join(PAGES["first"][2])
    assert json.loads(newsbot(capsys, indexed, "follow", "list", "--json")[1]) == {"follows": []}
    status, out, _ = newsbot(capsys, indexed, "follow", "add", TOPIC)
    assert status == 0 and "would have sent 1 alert" in out and "“" in out and "following #1" in out
    (listed,) = json.loads(newsbot(capsys, indexed, "follow", "list", "--json")[1])["follows"]
    assert listed["topic"] == TOPIC and listed["id"] == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["add", "   "], "the topic is empty"),
        (["add", "x" * 201], "201 characters long; keep it under 200"),
        (["remove", "42"], "no follow 42 of yours"),
    ],
)
def test_bad_follow_input_is_one_line_and_changes_nothing(indexed, capsys, args, message):
    status, out, err = newsbot(capsys, indexed, "follow", *args)
    assert status == 2 and message in err and err.count("\n") == 1
    assert json.loads(newsbot(capsys, indexed, "follow", "list", "--json")[1]) == {"follows": []}


def test_more_follows_than_allowed_are_refused(indexed, capsys, monkeypatch):
    monkeypatch.setenv("NEWSBOT_MAX_FOLLOWS", "2")
    for topic in ("bridge repairs", "ferry terminal"):
        assert newsbot(capsys, indexed, "follow", "add", topic)[0] == 0
    status, _, err = newsbot(capsys, indexed, "follow", "add", "library award")
    assert status == 2 and "already follow 2 topics" in err
    assert [f["topic"] for f in json.loads(newsbot(capsys, indexed, "follow", "list", "--json")[1])["follows"]] == [
        "bridge repairs",
        "ferry terminal",
    ]


def test_an_alert_then_an_update_then_nothing_for_the_unrelated(indexed, site, capsys):
    assert newsbot(capsys, indexed, "follow", "add", TOPIC)[0] == 0
    pipeline = make_pipeline(indexed, NEWSBOT_FETCH_DELAY="0")
    site.publish("second", "unrelated")
    pipeline.index([site.feed])
    pipeline.following.after_round()
    site.publish("third")
    pipeline.index([site.feed])
    pipeline.following.after_round()
    sent = outbox(indexed)
    assert [m["type"] for m in sent] == ["alert", "update"] and sent[0]["article_id"] != sent[1]["article_id"]
    alert, update = sent
    assert alert["title"] == PAGES["second"][1] and alert["quote"] in " ".join(PAGES["second"][2])
    assert update["title"] == PAGES["third"][1] and update["story_id"] == alert["story_id"]
    assert set(alert) == set("type follow_id topic story_id article_id title source url published quote".split())


def test_alerts_beyond_the_hourly_cap_come_as_one_digest(indexed, site, capsys, monkeypatch):
    monkeypatch.setenv("NEWSBOT_ALERTS_PER_HOUR", "1")
    assert newsbot(capsys, indexed, "follow", "add", "Kittiwake bridge")[0] == 0
    pipeline = make_pipeline(indexed, NEWSBOT_FETCH_DELAY="0", NEWSBOT_ALERTS_PER_HOUR="1")
    site.publish("second", "marathon")
    pipeline.index([site.feed])
    pipeline.following.after_round()
    alert, digest = outbox(indexed)
    assert (alert["type"], digest["type"]) == ("alert", "digest")
    assert len(digest["items"]) == 1
    assert {alert["title"], digest["items"][0]["title"]} == {PAGES["second"][1], PAGES["marathon"][1]}


def test_a_newer_follows_file_is_refused_and_an_unversioned_feedback_file_upgrades(tmp_path):
    from bot.feedback import FeedbackStore
    from bot.memory.store import AnswerStore
    from bot.schema import SchemaError

    newer = tmp_path / "newer"
    newer.mkdir()
    with sqlite3.connect(newer / "follows.sqlite3") as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(SchemaError, match="newer newsbot"):
        FollowStore(newer).follows()
    old = tmp_path / "old"
    old.mkdir()
    with sqlite3.connect(old / "feedback.sqlite3") as db:  # as the release before versions wrote it
        db.executescript("""
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE answers (message_id INTEGER PRIMARY KEY, question TEXT NOT NULL, answer TEXT NOT NULL,
                citations TEXT NOT NULL, refused INTEGER NOT NULL, guild_id INTEGER, channel_id INTEGER, created REAL NOT NULL);
            CREATE TABLE votes (message_id INTEGER NOT NULL, user_hash TEXT NOT NULL, vote INTEGER NOT NULL,
                question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL, guild_id INTEGER, channel_id INTEGER,
                created REAL NOT NULL, PRIMARY KEY (message_id, user_hash));
            INSERT INTO answers VALUES (7, 'q', 'a', '[]', 0, NULL, NULL, 1.0);
            INSERT INTO votes VALUES (7, 'h', -1, 'q', 'a', '[]', NULL, NULL, 1.0);
        """)
    summary = FeedbackStore(old, AnswerStore(old)).summary()
    assert (summary.down, summary.recent_down[0].question) == (1, "q")  # the vote kept its own copy
    with sqlite3.connect(old / "feedback.sqlite3") as db:
        # Version 2: the answers moved to the remembered answers (answers.sqlite3).
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'answers'").fetchone() is None


def test_recent_pages_are_rechecked_often_then_less_as_they_age():
    from index.web.recheck import recheck_due

    now = 1_800_000_000.0
    stamp = lambda hours: (
        __import__("datetime")
        .datetime.fromtimestamp(now - hours * 3600, __import__("datetime").timezone.utc)
        .isoformat()
    )  # noqa: E731
    assert recheck_due(stamp(0.5), now - 60, now, 3)  # first hour: every round
    assert not recheck_due(stamp(24), now - 3600, now, 3) and recheck_due(
        stamp(24), now - 5 * 3600, now, 3
    )  # a day old: every 4 h
    assert not recheck_due(stamp(24 * 4), 0, now, 3)  # past NEWSBOT_RECHECK_DAYS
    assert not recheck_due(stamp(0.5), 0, now, 0)  # 0: never


def watch(data_dir, log, *extra_env):
    environment = {**os.environ, "NEWSBOT_DATA_DIR": str(data_dir), "NEWSBOT_FETCH_DELAY": "0", **dict(extra_env)}
    with open(log, "w") as out:  # the child keeps its own copy of the file
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "watch", "--every", "1m", "--json"],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )


def lines(log) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def test_watch_delivers_once_across_a_kill_9_then_updates_and_corrections(indexed, site, capsys, tmp_path, monkeypatch):
    """Under `watch --every 1m --json`: killed between matching and printing, the alert is printed
    once by the next watch; a later article on the story is an update; a corrected page whose feed
    entry is unchanged is answered from its new text, and its follower told, within two rounds."""
    monkeypatch.setenv("NEWSBOT_SOURCES", site.feed)
    assert newsbot(capsys, indexed, "follow", "add", TOPIC)[0] == 0
    site.publish("second", "unrelated")
    gate = tmp_path / "hold"
    gate.touch()
    first_log, second_log = tmp_path / "watch1.log", tmp_path / "watch2.log"
    first = watch(indexed, first_log, ("NEWSBOT_SOURCES", site.feed), ("NEWSBOT_TEST_HOLD_DELIVERY", str(gate)))
    second = None
    try:
        wait_for(
            lambda: FollowStore(indexed).exists() and [m for m in FollowStore(indexed).messages() if m.kind == "alert"],
            300,
            f"the alert matched: {first_log.read_text() if first_log.exists() else ''}",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
        assert lines(first_log) == []
        gate.unlink()
        second = watch(indexed, second_log, ("NEWSBOT_SOURCES", site.feed))
        (alert,) = wait_for(lambda: lines(second_log), 120, f"the alert printed: {second_log.read_text()}")
        assert alert["type"] == "alert" and alert["title"] == PAGES["second"][1]
        corrected = [p.replace("£4.5 million", "£4.6 million") for p in PAGES["second"][2]]
        site.publish("third")
        site.publish("second", second=corrected)
        wait_for(
            lambda: any(m["title"] == PAGES["third"][1] for m in lines(second_log)),
            120,
            f"the update within 2 minutes: {second_log.read_text()}",
        )
        wait_for(
            lambda: len(lines(second_log)) >= 3, 120, f"the correction within two rounds: {second_log.read_text()}"
        )
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    finally:
        stop_process(first)
        if second is not None:
            stop_process(second)
    printed = lines(first_log) + lines(second_log)
    assert [m["type"] for m in printed] == ["alert", "update", "update"], printed
    update = next(m for m in printed[1:] if not m.get("corrected"))
    correction = next(m for m in printed[1:] if m.get("corrected"))
    assert update["title"] == PAGES["third"][1]
    assert correction["corrected"] == alert["quote"] and "£4.6 million" in correction["quote"]
    assert all(m["article_id"] != printed[0]["article_id"] or m is printed[0] or m.get("corrected") for m in printed)
    assert not any(m["title"] == PAGES["unrelated"][1] for m in printed)
    reader = make_pipeline(indexed)
    reader.searcher.refresh()
    indexed_now = [text for text, _ in reader.catalog.article_sentences(alert["article_id"])]
    assert corrected[0] in indexed_now and PAGES["second"][2][0] not in indexed_now
    answer = reader.ask("How much will the repairs to the Kittiwake bridge cost?", k=10)
    assert "£4.5 million" not in " ".join(passage.readable_text for passage in answer.passages)


async def test_discord_follow_backtest_alert_thread_update_unfollow_and_a_channel_without_permission(
    indexed, site, monkeypatch
):

    from bot.discord.bot import NewsBot
    from bot.settings import load_discord_settings
    from tests.discord_standin import CHANNEL_ID, DM_CHANNEL_ID, OTHER_CHANNEL_ID, DiscordStandIn, bot_token
    from tests.test_discord_commands import is_followup, run_interaction

    pipeline = make_pipeline(indexed, NEWSBOT_FETCH_DELAY="0")
    standin = await DiscordStandIn().start()
    bot = None

    def posted_to(channel_id):
        return lambda request: request.method == "POST" and request.path == f"/channels/{channel_id}/messages"

    async def round_of(*keys):
        site.publish(*keys)
        await asyncio.to_thread(pipeline.index, [site.feed])
        await asyncio.to_thread(pipeline.following.after_round)
        mark = len(standin.requests)
        await bot.get_cog("Follows").deliver()
        return standin.requests[mark:]

    try:
        monkeypatch.setattr(Route, "BASE", f"{standin.url}/api/v10")
        bot = NewsBot(
            pipeline.settings.model_copy(), load_discord_settings({"DISCORD_TOKEN": bot_token()}), pipeline=pipeline
        )
        await bot.login(bot_token())
        reply = (await run_interaction((bot, standin), standin.interaction("follow", {"topic": TOPIC}), is_followup))[
            -1
        ].json
        assert reply["content"].startswith(f"Following “{TOPIC}” (#1)") and reply["flags"] & 64
        assert PAGES["first"][1] in reply["embeds"][0]["description"] and reply["allowed_mentions"]["parse"] == []

        (alert,) = [r for r in await round_of("second") if posted_to(CHANNEL_ID)(r)]
        (embed,) = alert.json["embeds"]
        assert embed["title"] == PAGES["second"][1] and embed["description"].startswith("> ")
        assert alert.json["allowed_mentions"]["parse"] == []
        alert_id = int(standin.messages[-1]["id"])

        requests = await round_of("third")
        assert [r.path for r in requests if r.method == "POST"] == [
            f"/channels/{CHANNEL_ID}/messages/{alert_id}/threads",
            f"/channels/{alert_id}/messages",
        ]
        assert (
            requests[-1].json["content"].startswith("**Update:**") and PAGES["third"][1] in requests[-1].json["content"]
        )

        gone = await run_interaction(
            (bot, standin),
            standin.interaction("follow", {"topic": "Kittiwake bridge marathon"}, channel_id=OTHER_CHANNEL_ID),
            is_followup,
        )
        assert "(#2)" in gone[-1].json["content"]
        standin.forbidden_channels.add(OTHER_CHANNEL_ID)
        requests = await round_of("marathon")
        assert any(posted_to(OTHER_CHANNEL_ID)(r) for r in requests)
        (told,) = [r for r in requests if posted_to(DM_CHANNEL_ID)(r)]
        assert "is paused" in told.json["content"] and told.json["allowed_mentions"]["parse"] == []
        mark = len(standin.requests)
        await bot.get_cog("Follows").deliver()
        assert not [
            r for r in standin.requests[mark:] if r.method == "POST"
        ]  # paused: nothing tried, the owner told once

        unfollow = standin.interaction("unfollow")
        unfollow["data"]["options"] = [{"name": "id", "type": 4, "value": 1}]
        answered = await run_interaction((bot, standin), unfollow, lambda r: r.path.endswith("/callback"))
        assert "No longer following" in answered[-1].json["data"]["content"]
        listed = await run_interaction(
            (bot, standin), standin.interaction("follows"), lambda r: r.path.endswith("/callback")
        )
        content = listed[-1].json["data"]["content"]
        assert "**#2**" in content and "paused" in content and "**#1**" not in content
    finally:
        try:
            if bot is not None:
                await bot.close()
        finally:
            await standin.stop()
