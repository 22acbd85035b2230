"""Stories, briefs and reports that disagree, from two made-up outlets served by the local news
server: one carries the other's report word for word, one gives another figure, and one later
updates its own figure. Checked through the CLI and through the Discord stand-in."""

import json
import sqlite3

import pytest
from discord.http import Route

from bot import cli
from bot.briefing.conflicts import Claim, disagree, figures, find_disagreements
from tests.news_server import NewsServer, article_page, rss

GAZETTE, COURIER = "Harbour Gazette", "Valley Courier"
REPAIRS = "Kittiwake bridge repairs"
FIRST_REPORT = [
    "Repairs to the Kittiwake bridge in Port Ellery will cost £4.2 million, the county council said on Monday.",
    "Engineers found corroded steel cables under the main span during an inspection in October, council engineer Mairead Quill said.",
    "The bridge will close to all traffic for six weeks from January while the cables are replaced.",
]
OTHER_FIGURE = [
    "Repairs to the Kittiwake bridge in Port Ellery will cost £4.5 million, the county council said on Monday.",
    "Corroded cables under the main span of the Kittiwake bridge were found by engineers in October, the council's Mairead Quill said.",
    "Drivers face a six-week closure of the bridge from January, with a diversion through the harbour road.",
]
UPDATE = [
    "Repairs to the Kittiwake bridge in Port Ellery will cost £4.8 million, the county council said on Wednesday.",
    "The council said more corroded cables under the main span of the Kittiwake bridge were found in a second inspection.",
    "The six-week closure of the bridge from January is unchanged, council engineer Mairead Quill said.",
]
# The same kind of news about another bridge in another town: a look-alike, not the same story.
LOOK_ALIKE = (
    "Saltmarsh bridge to close for repairs",
    [
        "Repairs to the Saltmarsh footbridge in Dunmore will cost £1.3 million, the borough council said on Tuesday.",
        "Inspectors found cracked concrete in two of the footbridge's supports during a routine survey in September.",
        "The footbridge will close to pedestrians and cyclists for three months from February while the supports are rebuilt.",
    ],
)
UNRELATED = (
    "Library wins national design award",
    [
        "The new Fenwick public library has won the national architecture prize for civic buildings, the jury announced on Friday.",
        "Its timber roof, built from spruce grown within 50 kilometres of the town, was praised for its low carbon footprint.",
        "More than 90,000 visitors came through its doors in the first year, twice the number the council had expected.",
    ],
)


@pytest.fixture(scope="module")
def outlets(tmp_path_factory, embedder):
    """The two outlets' feeds on the local news server, indexed once through the CLI."""
    site = NewsServer()
    try:
        site.set("/robots.txt", "", "text/plain")
        pages = {
            "/gazette/bridge": (REPAIRS, FIRST_REPORT, "2026-11-16", GAZETTE),
            "/courier/bridge-copy": (REPAIRS, FIRST_REPORT, "2026-11-17", COURIER),
            "/courier/bridge": ("Bridge repair bill put at £4.5m", OTHER_FIGURE, "2026-11-17", COURIER),
            "/gazette/bridge-update": ("Kittiwake bridge repair bill rises", UPDATE, "2026-11-18", GAZETTE),
            "/gazette/library": (*UNRELATED, "2026-11-18", GAZETTE),
            "/courier/saltmarsh": (*LOOK_ALIKE, "2026-11-17", COURIER),
        }
        for path, (title, paragraphs, day, outlet) in pages.items():
            site.set(path, article_page(title, paragraphs, f"{day}T09:00:00+00:00", site=outlet))
        for outlet, prefix in ((GAZETTE, "/gazette/"), (COURIER, "/courier/")):
            items = [
                (title, site.url(path), day) for path, (title, _, day, _) in pages.items() if path.startswith(prefix)
            ]
            site.set(f"{prefix}feed.xml", rss(outlet, items), "application/rss+xml")
        data_dir = tmp_path_factory.mktemp("stories")
        yield site, data_dir
    finally:
        site.close()


def newsbot(capsys, monkeypatch, data_dir, *args) -> tuple[int, str, str]:
    monkeypatch.setenv("NEWSBOT_FETCH_DELAY", "0")
    status = cli.main([*args, "--data-dir", str(data_dir)])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def indexed(outlets):
    site, data_dir = outlets
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSBOT_FETCH_DELAY", "0")
        assert (
            cli.main(
                ["index", site.url("/gazette/feed.xml"), site.url("/courier/feed.xml"), "--data-dir", str(data_dir)]
            )
            == 0
        )
    return data_dir


def test_stories_join_outlets_copies_and_updates_and_keep_the_unrelated_apart(indexed, capsys, monkeypatch):
    status, out, _ = newsbot(capsys, monkeypatch, indexed, "stories", "--as-of", "2026-11-20", "--json")
    assert status == 0
    listed = json.loads(out)
    assert (listed["since"], listed["until"]) == ("2026-11-14", "2026-11-20")
    assert sorted(len(story["articles"]) for story in listed["stories"]) == [1, 1, 4]
    stories = {len(story["articles"]): story for story in listed["stories"]}
    bridge = stories[4]
    assert LOOK_ALIKE[0] not in [article["title"] for article in bridge["articles"]]
    assert bridge["publishers"] == [GAZETTE, COURIER] or bridge["publishers"] == [COURIER, GAZETTE]
    assert (bridge["first_published"], bridge["last_published"]) == ("2026-11-16", "2026-11-18")
    assert {story["articles"][0]["title"] for story in listed["stories"] if len(story["articles"]) == 1} == {
        UNRELATED[0],
        LOOK_ALIKE[0],
    }
    # The bridge story leads: two publishers against one.
    assert listed["stories"][0]["story_id"] == bridge["story_id"]


def test_story_ids_survive_a_refresh_and_a_rebuild(indexed, capsys, monkeypatch, outlets):
    site, _ = outlets
    before = json.loads(newsbot(capsys, monkeypatch, indexed, "stories", "--as-of", "2026-11-20", "--json")[1])
    feeds = [site.url("/gazette/feed.xml"), site.url("/courier/feed.xml")]
    for extra in ([], ["--rebuild"]):
        assert newsbot(capsys, monkeypatch, indexed, "index", *feeds, *extra)[0] == 0
        after = json.loads(newsbot(capsys, monkeypatch, indexed, "stories", "--as-of", "2026-11-20", "--json")[1])
        assert [s["story_id"] for s in after["stories"]] == [s["story_id"] for s in before["stories"]]


def test_the_brief_quotes_cites_and_flags_the_other_figure_and_the_update(indexed, capsys, monkeypatch):
    status, out, _ = newsbot(capsys, monkeypatch, indexed, "brief", "--since", "1w", "--as-of", "2026-11-20", "--json")
    assert status == 0
    brief = json.loads(out)
    bridge = brief["stories"][0]
    assert len(bridge["articles"]) == 4
    assert bridge["bullets"], "a story without a bullet"
    quotes = {citation["n"]: citation for citation in bridge["citations"]}
    texts = FIRST_REPORT + OTHER_FIGURE + UPDATE
    for bullet in bridge["bullets"]:
        text, _, mark = bullet["text"].rpartition(" [")
        assert text in texts and quotes[int(mark.rstrip("]"))]["quote"] == text
    kinds = {conflict["kind"]: conflict for conflict in bridge["conflicts"]}
    assert set(kinds) == {"conflict", "update"}
    update = [claim["text"] for claim in kinds["update"]["claims"]]
    assert update == [FIRST_REPORT[0], UPDATE[0]]
    differ = sorted(claim["text"] for claim in kinds["conflict"]["claims"])
    assert differ == sorted([OTHER_FIGURE[0], UPDATE[0]])
    for conflict in bridge["conflicts"]:
        for claim in conflict["claims"]:
            assert quotes[claim["n"]]["quote"] == claim["text"]
    text = " ".join(newsbot(capsys, monkeypatch, indexed, "brief", "--as-of", "2026-11-20")[1].split())
    assert "Reports differ: " in text and "£4.5 million" in text and "Updated: " in text


def test_a_topic_keeps_only_its_stories(indexed, capsys, monkeypatch):
    brief = json.loads(
        newsbot(capsys, monkeypatch, indexed, "brief", "architecture prize library", "--as-of", "2026-11-20", "--json")[
            1
        ]
    )
    assert [story["headline"] for story in brief["stories"]] == [UNRELATED[0]]
    status, out, _ = newsbot(
        capsys, monkeypatch, indexed, "brief", "volcanic eruption in Iceland", "--as-of", "2026-11-20"
    )
    assert status == 0 and out.startswith("No stories about 'volcanic eruption in Iceland' between")


def test_an_empty_window_and_a_bad_since(indexed, capsys, monkeypatch):
    status, out, _ = newsbot(capsys, monkeypatch, indexed, "brief", "--as-of", "2020-01-01")
    assert status == 0 and out.strip() == "No stories between 26 December 2019 and 1 January 2020."
    with pytest.raises(SystemExit) as exit_status:
        newsbot(capsys, monkeypatch, indexed, "brief", "--since", "soon")
    err = capsys.readouterr().err
    assert exit_status.value.code == 2 and "--since" in err and len(err.strip().splitlines()[-1]) < 200


def test_the_timeline_gives_each_report_once_oldest_first_with_its_marks(indexed, capsys, monkeypatch):
    stories = json.loads(newsbot(capsys, monkeypatch, indexed, "stories", "--as-of", "2026-11-20", "--json")[1])[
        "stories"
    ]
    bridge = next(story for story in stories if len(story["articles"]) == 4)
    by_topic = json.loads(
        newsbot(
            capsys, monkeypatch, indexed, "timeline", "Kittiwake bridge repairs", "--as-of", "2026-11-20", "--json"
        )[1]
    )
    status, out, _ = newsbot(capsys, monkeypatch, indexed, "timeline", bridge["story_id"], "--json")
    assert status == 0
    timeline = json.loads(out)["timeline"]
    assert by_topic["timeline"]["story_id"] == timeline["story_id"] == bridge["story_id"]
    lines = timeline["lines"]
    assert [line["published"][:10] for line in lines] == sorted(line["published"][:10] for line in lines)
    texts = {"2026-11-16": FIRST_REPORT, "2026-11-17": OTHER_FIGURE, "2026-11-18": UPDATE}
    quotes = {citation["n"]: citation["quote"] for citation in timeline["citations"]}
    for line in lines:
        text, _, mark = line["sentence"].rpartition(" [")
        assert text in texts[line["published"][:10]] and quotes[int(mark.rstrip("]"))] == text
    # The copy is folded into its original's line, never a line of its own.
    assert len(lines) == 3 and [a["source"] for a in lines[0]["also"]] == [COURIER]
    assert len({line["sentence"].rpartition(" [")[0] for line in lines}) == 3
    marks = {mark["kind"] for line in lines for mark in line["marks"]}
    assert "update" in marks and lines[-1]["source"] == GAZETTE
    assert any(mark["kind"] == "update" for mark in lines[-1]["marks"])
    text = " ".join(newsbot(capsys, monkeypatch, indexed, "timeline", bridge["story_id"], "--limit", "2")[1].split())
    assert "1 more reports between these" in text and "Updated: " in text


def test_timeline_bad_input(indexed, capsys, monkeypatch):
    status, _, err = newsbot(capsys, monkeypatch, indexed, "timeline", "s-nothex")
    assert status == 2 and "not a story id" in err and len(err.strip().splitlines()) == 1
    status, _, err = newsbot(capsys, monkeypatch, indexed, "timeline", "s-0123456789abcdef")
    assert status == 1 and "no story s-0123456789abcdef" in err and len(err.strip().splitlines()) == 1
    status, out, _ = newsbot(capsys, monkeypatch, indexed, "timeline", "bridge repairs", "--as-of", "2020-01-01")
    assert status == 0 and out.startswith("No stories about 'bridge repairs' between")


def test_figures_and_disagreements():
    assert [f.value for f in figures("At least 25 people have been killed in the fires.")] == [25.0]
    assert figures("The storm became a Category 2 hurricane on Oct. 29 at 5 p.m. in 2025.") == ()
    a = "At least 25 people have been killed in the fires, according to the medical examiner."
    b = "A total of 24 people have died in the fires, the medical examiner said on Sunday."
    assert disagree(a, b, 0.9) == "people"
    assert disagree(a, a, 1.0) == ""
    assert (
        disagree(
            "Two new cases were reported in Vermont on Wednesday by the health department.",
            "Nueces County reported one new case on Wednesday after the drive-thru results.",
            0.9,
        )
        == ""
    )


def test_a_figure_reworded_by_another_outlet_is_flagged(embedder):
    """The other outlet words the same repair bill differently; the real model's vectors decide."""
    import numpy as np

    claims = [
        Claim(
            "Repairs to the Kittiwake bridge in Port Ellery are expected to cost £4.2 million, the county council said on Monday.",
            "a1",
            GAZETTE,
            "2026-11-16",
        ),
        Claim(
            "The county council put the cost of the repairs to the Kittiwake bridge at £4.5 million on Monday.",
            "b1",
            COURIER,
            "2026-11-16",
        ),
        Claim(
            "The new Fenwick public library cost £4.5 million to build, the council said on Monday.",
            "b2",
            COURIER,
            "2026-11-16",
        ),
    ]
    vectors = embedder.embed([claim.text for claim in claims])
    (found,) = find_disagreements(claims, np.asarray(vectors))
    assert not found.update and {found.first.article_id, found.second.article_id} == {"a1", "b1"}


def test_an_outlets_own_later_figure_is_an_update():
    import numpy as np

    claims = [Claim(FIRST_REPORT[0], "a1", GAZETTE, "2026-11-16"), Claim(UPDATE[0], "a2", GAZETTE, "2026-11-18")]
    (found,) = find_disagreements(claims, np.full((2, 2), 0.5**0.5, dtype=np.float32))
    assert found.update and found.first.article_id == "a1"


async def test_brief_and_timeline_in_discord_are_one_embed_that_pings_no_one(indexed, monkeypatch):
    from datetime import date

    from bot.discord.bot import NewsBot
    from bot.settings import load_discord_settings
    from tests.conftest import make_pipeline
    from tests.discord_standin import DiscordStandIn, bot_token
    from tests.test_discord_commands import is_followup, run_interaction

    pipeline = make_pipeline(indexed)
    brief_as_of = pipeline.brief
    monkeypatch.setattr(
        pipeline, "brief", lambda topic, days, as_of, limit: brief_as_of(topic, days, date(2026, 11, 20), limit)
    )
    timeline_as_of = pipeline.timeline
    monkeypatch.setattr(
        pipeline, "timeline", lambda topic, days, as_of, limit: timeline_as_of(topic, days, date(2026, 11, 20), limit)
    )
    standin = await DiscordStandIn().start()
    bot = None
    try:
        monkeypatch.setattr(Route, "BASE", f"{standin.url}/api/v10")
        bot = NewsBot(
            pipeline.settings.model_copy(), load_discord_settings({"DISCORD_TOKEN": bot_token()}), pipeline=pipeline
        )
        await bot.login(bot_token())
        requests = await run_interaction((bot, standin), standin.interaction("brief", {"since": "7d"}), is_followup)
        reply = requests[-1].json
        (embed,) = reply["embeds"]
        assert embed["title"].startswith("Top stories between 14 November 2026 and 20 November 2026")
        assert REPAIRS in embed["description"] or "Kittiwake" in embed["description"]
        assert "Reports differ: " in embed["description"]
        assert reply["allowed_mentions"]["parse"] == []
        bad = await run_interaction((bot, standin), standin.interaction("brief", {"since": "tomorrow"}), is_followup)
        assert "7d, 2w or 1m" in bad[-1].json["content"]
        requests = await run_interaction(
            (bot, standin), standin.interaction("timeline", {"topic": "Kittiwake bridge"}), is_followup
        )
        reply = requests[-1].json
        (embed,) = reply["embeds"]
        assert embed["title"].startswith("Timeline: ") and "Updated: " in embed["description"]
        assert embed["description"].index("16 November") < embed["description"].index("18 November")
        assert reply["allowed_mentions"]["parse"] == []
    finally:
        if bot is not None:
            await bot.close()
        await standin.stop()


def test_an_index_from_before_stories_gets_them_at_the_next_index_without_embedding(
    tmp_path, corpus_copy, capsys, monkeypatch
):
    import dataclasses

    from index.store.writer import Writer
    from tests.conftest import make_pipeline

    data_dir = tmp_path / "data"
    pipeline = make_pipeline(data_dir)
    pipeline.index([corpus_copy])
    # Records as an older newsbot wrote them: no story.
    with pipeline.store.writing():
        writer = Writer(pipeline.store, pipeline.store.require_info())
        writer.commit(
            [
                (article_id, dataclasses.replace(record, story="", copy_of=""), [])
                for article_id, record in writer.articles().items()
            ],
            {},
            {},
        )
    status, _, err = newsbot(capsys, monkeypatch, data_dir, "brief", "--as-of", "2025-06-03")
    assert status == 1 and "built before stories existed: run `newsbot index`" in err

    def chunk_rows():
        with sqlite3.connect(pipeline.catalog.path) as db:
            return db.execute("SELECT chunk_id, seq FROM chunks ORDER BY chunk_id").fetchall()

    chunks_before = chunk_rows()

    status, out, _ = newsbot(capsys, monkeypatch, data_dir, "index", str(corpus_copy))
    assert status == 0 and "0 added, 0 updated" in out
    listed = json.loads(newsbot(capsys, monkeypatch, data_dir, "stories", "--as-of", "2025-06-03", "--json")[1])
    assert [len(story["articles"]) for story in listed["stories"]] == [1]
    # The catalog took the new records without reading or embedding the chunks again.
    assert chunk_rows() == chunks_before


def test_an_answer_names_the_storys_other_publisher_and_the_figure_it_gives_differently(indexed):
    from datetime import date

    from tests.conftest import make_pipeline

    answer = make_pipeline(indexed).ask(
        "How much will the repairs to the Kittiwake bridge cost?", today=date(2026, 11, 20)
    )
    assert not answer.refused
    first = answer.citations[0]
    assert {first.source, *(outlet.source for outlet in first.also_reported_by)} == {GAZETTE, COURIER}
    assert answer.conflicts, answer.text
    quotes = {citation.n: citation.quotes for citation in answer.citations}
    for conflict in answer.conflicts:
        for claim in conflict["claims"]:
            assert any(claim["text"] in quote for quote in quotes[claim["n"]])
        assert any(claim["text"] in first.quote or claim["text"] in answer.text for claim in conflict["claims"])
    assert answer.to_json()["conflicts"] == answer.conflicts
