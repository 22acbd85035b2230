"""Layer (b) of the Discord tests, app commands: the real NewsBot in-process, logged in over real
HTTP to the local stand-in, fed real discord.Interaction objects built from INTERACTION_CREATE
payloads by discord.py's own parser."""

import asyncio
import json
import re

import pytest
from discord.http import Route

from bot import cli
from bot.discord.bot import NewsBot
from bot.feedback import FeedbackStore
from bot.memory.memory import AnswerMemory
from bot.memory.store import AnswerStore
from bot.settings import load_discord_settings
from tests.discord_standin import DiscordStandIn, bot_token

NO_PERMISSIONS = "0"
READER_PERMISSIONS = str(1 << 11)  # Send Messages only


@pytest.fixture
async def live(seed_pipeline, tmp_path, monkeypatch):
    standin = await DiscordStandIn().start()
    monkeypatch.setattr(Route, "BASE", f"{standin.url}/api/v10")
    settings = seed_pipeline.settings.model_copy(update={"data_dir": tmp_path})
    # The shared pipeline remembers this test's answers in this test's data dir.
    memory = AnswerMemory(7, AnswerStore(tmp_path), seed_pipeline.searcher, seed_pipeline.store)
    monkeypatch.setattr(seed_pipeline, "memory", memory, raising=False)
    discord_settings = load_discord_settings({"DISCORD_TOKEN": bot_token(), "NEWSBOT_DISCORD_COOLDOWN": "2/60"})
    bot = NewsBot(settings, discord_settings, pipeline=seed_pipeline)
    await bot.login(bot_token())  # runs setup_hook: cogs, persistent view, answer queue
    yield bot, standin
    await bot.close()
    await standin.stop()


async def run_interaction(live, payload, expect):
    """Dispatch INTERACTION_CREATE as the gateway would; return the requests up to the one `expect` matches."""
    bot, standin = live
    mark = len(standin.requests)
    bot._connection.parse_interaction_create(payload)
    # A cap, not a budget: the wait ends when the request arrives. The small model on a loaded
    # 2-core machine has taken over 60 s to answer.
    await standin.wait_for_request(expect, after=mark, timeout=300)
    return standin.requests[mark:]


def is_followup(request) -> bool:
    return request.method == "POST" and request.path.startswith("/webhooks/")


def is_callback(request) -> bool:
    return request.path.endswith("/callback")


async def test_about_reports_the_index(live):
    bot, standin = live
    requests = await run_interaction(live, standin.interaction("about"), is_followup)
    defer, reply = requests[0], requests[-1]
    assert defer.json == {"type": 5, "data": {"flags": 64}}
    (embed,) = reply.json["embeds"]
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["Articles"] == "1" and fields["Dates"] == "2 June 2025 to 2 June 2025"
    assert fields["Publishers"] == "LN247 (1)" and "extractive" in fields["Answers"]
    assert reply.json["flags"] & 64 and reply.json["allowed_mentions"]["parse"] == []


@pytest.mark.parametrize("options", [{}, {"query": "Istanbul peace talks"}])
async def test_sources_lists_articles(live, options):
    bot, standin = live
    requests = await run_interaction(live, standin.interaction("sources", options), is_followup)
    (embed,) = requests[-1].json["embeds"]
    assert "Ukraine-Russia Peace Talks Resume In Istanbul" in embed["description"]
    assert "LN247 · 2 June 2025" in embed["description"]
    assert embed["footer"]["text"].startswith("1 articles indexed")


async def test_reindex_needs_manage_server(live):
    bot, standin = live
    payload = standin.interaction("reindex", permissions=READER_PERMISSIONS)
    (refusal,) = await run_interaction(live, payload, is_callback)
    assert refusal.json["type"] == 4 and refusal.json["data"]["flags"] & 64
    assert "Manage Server" in refusal.json["data"]["content"]


async def test_reindex_updates_and_reports_the_summary_line(live):
    bot, standin = live
    requests = await run_interaction(live, standin.interaction("reindex"), is_followup)
    assert requests[-1].json["content"].startswith("indexed: 0 added, 0 updated, 1 unchanged")


async def test_a_read_only_bot_refuses_reindex(live):
    bot, standin = live
    bot.read_only = True
    (refusal,) = await run_interaction(live, standin.interaction("reindex"), is_callback)
    assert refusal.json["data"]["flags"] & 64 and "only reads the index" in refusal.json["data"]["content"]


def test_a_read_only_bot_will_not_start_on_an_empty_index(tmp_path):
    from bot.discord.bot import DiscordStartError, load_pipeline
    from tests.conftest import make_pipeline

    settings = make_pipeline(tmp_path / "data").settings
    with pytest.raises(DiscordStartError, match="--read-only never writes"):
        load_pipeline(settings, read_only=True)
    assert make_pipeline(tmp_path / "data").store.info() is None  # nothing was indexed


@pytest.mark.parametrize(
    "question, reply",
    [("   ", "The question is empty"), ("x" * 600, "The question is 600 characters long; please keep it under 500.")],
)
async def test_ask_refuses_bad_questions_privately(live, question, reply):
    bot, standin = live
    (answer,) = await run_interaction(live, standin.interaction("ask", {"question": question}), is_callback)
    assert answer.json["type"] == 4 and answer.json["data"]["flags"] & 64
    assert reply in answer.json["data"]["content"]


async def test_ask_cooldown_is_per_user_and_private(live):
    bot, standin = live
    ask = {"question": "Who heads the Ukrainian delegation?"}
    for _ in range(2):
        await run_interaction(live, standin.interaction("ask", ask), lambda r: r.method == "PATCH")
    (slow_down,) = await run_interaction(live, standin.interaction("ask", ask), is_callback)
    assert slow_down.json["data"]["flags"] & 64
    assert slow_down.json["data"]["content"].startswith("You're asking quickly: please wait")
    other_user = standin.interaction("ask", ask, user_id=1100000000000000999)
    requests = await run_interaction(live, other_user, lambda r: r.method == "PATCH")
    assert "Umerov" in requests[-1].json["content"]


async def test_feedback_click_is_stored_and_summarised(live, capsys):
    bot, standin = live
    question = "Who heads the Ukrainian delegation?"
    await run_interaction(live, standin.interaction("ask", {"question": question}), lambda r: r.method == "PATCH")
    answer = standin.messages[-1]
    remembered = AnswerStore(bot.settings.data_dir)
    for _ in range(1200):  # the bot records the answer just after posting it; a cap, not a wait
        if remembered.exists() and remembered.answer_at(int(answer["id"])):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the answer was never recorded")
    (thanks,) = await run_interaction(live, standin.button_click("newsbot:feedback:down", answer), is_callback)
    assert thanks.json["type"] == 4 and thanks.json["data"]["flags"] & 64

    summary = FeedbackStore(bot.settings.data_dir, AnswerStore(bot.settings.data_dir)).summary()
    assert (summary.answers, summary.rated_answers, summary.up, summary.down) == (1, 1, 0, 1)
    (vote,) = summary.recent_down
    assert vote.question == question and "Umerov" in vote.answer and vote.citations[0]["n"] == 1

    assert cli.main(["feedback", "--json", "--data-dir", str(bot.settings.data_dir)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["down"] == 1 and printed["helpful_share"] == 0.0
    assert "1100000000000000300" not in (bot.settings.data_dir / "feedback.sqlite3").read_bytes().decode("latin-1")


@pytest.fixture
async def live_model(llm_server, seed_pipeline, tmp_path, monkeypatch):
    """The bot answering with the small model over HTTP, logged in to the stand-in."""
    from tests.conftest import make_pipeline

    pipeline = make_pipeline(seed_pipeline.settings.data_dir, **llm_server.env(NEWSBOT_LLM_MAX_TOKENS="96"))
    standin = await DiscordStandIn().start()
    monkeypatch.setattr(Route, "BASE", f"{standin.url}/api/v10")
    settings = pipeline.settings.model_copy(update={"data_dir": tmp_path})
    bot = NewsBot(settings, load_discord_settings({"DISCORD_TOKEN": bot_token()}), pipeline=pipeline)
    await bot.login(bot_token())
    yield bot, standin
    await bot.close()
    await standin.stop()


def is_final_answer(request) -> bool:
    return (
        request.method == "PATCH"
        and request.path.endswith("/@original")
        and bool((request.json or {}).get("components"))
    )


async def test_ask_streams_the_draft_then_the_verified_answer(live_model):
    from bot.discord.render import DRAFT_FOOTER

    bot, standin = live_model
    requests = await run_interaction(
        live_model, standin.interaction("ask", {"question": "Who heads the Ukrainian delegation?"}), is_final_answer
    )
    edits = [r for r in requests if r.method == "PATCH" and r.path.endswith("/@original")]
    drafts, final = edits[:-1], edits[-1]
    assert requests[0].json["type"] == 5  # deferred first
    assert len(drafts) >= 2 and all(DRAFT_FOOTER in d.json["content"] for d in drafts)
    assert all(not re.search(r"\[\d+\]", d.json["content"]) for d in drafts)  # unchecked markers stay hidden
    gaps = [later.at - earlier.at for earlier, later in zip(drafts, drafts[1:])]
    assert min(gaps) >= 0.9  # about one edit a second
    assert DRAFT_FOOTER not in (final.json["content"] or "")
    assert final.json["allowed_mentions"]["parse"] == []
    if final.json["embeds"]:
        assert final.json["embeds"][0]["title"] == "Sources"
    about = await run_interaction(live_model, standin.interaction("about"), is_followup)
    fields = {f["name"]: f["value"] for f in about[-1].json["embeds"][0]["fields"]}
    assert fields["Answers"].startswith("openai: written by gemma3-270m")


async def test_background_refresh_follows_a_feed_and_about_shows_it(tmp_path, monkeypatch):
    from tests.conftest import make_pipeline
    from tests.news_server import NewsServer, article_page, rss

    site = NewsServer()
    standin = await DiscordStandIn().start()
    bot = None
    try:
        site.set("/robots.txt", "", "text/plain")
        page = article_page(
            "Orchard festival draws record crowds",
            [
                "The Brindle orchard festival drew a record 41,000 visitors over the weekend, organisers said on Sunday.",
                "A heritage apple called the Brindle Russet won the tasting contest for the third year running.",
            ],
            "2026-11-20T09:00:00+00:00",
        )
        site.set("/news/orchard", page)
        site.set("/feed.xml", rss("Gazette", []), "application/rss+xml")
        pipeline = make_pipeline(
            tmp_path / "data",
            NEWSBOT_SOURCES=site.url("/feed.xml"),
            NEWSBOT_REFRESH_MINUTES="0.05",
            NEWSBOT_FETCH_DELAY="0",
        )
        monkeypatch.setattr(Route, "BASE", f"{standin.url}/api/v10")
        discord_settings = load_discord_settings({"DISCORD_TOKEN": bot_token()})
        bot = NewsBot(pipeline.settings, discord_settings, pipeline=pipeline)
        await bot.login(bot_token())  # setup_hook starts the refresh rounds

        async def indexed(count: int) -> None:
            for _ in range(600):  # a cap: each check ends as soon as the round has run
                if (
                    pipeline.store.info() is not None
                    and len(await asyncio.to_thread(pipeline.searcher.articles)) >= count
                ):
                    return
                await asyncio.sleep(0.5)
            raise AssertionError(f"the refresh never indexed {count} articles")

        await indexed(0)
        site.set(
            "/feed.xml", rss("Gazette", [("Orchard", site.url("/news/orchard"), "2026-11-20")]), "application/rss+xml"
        )
        await indexed(1)
        answer = await asyncio.to_thread(pipeline.ask, "Which apple won the tasting contest?")
        assert "Russet" in answer.text
        requests = await run_interaction((bot, standin), standin.interaction("about"), is_followup)
        fields = {f["name"]: f["value"] for f in requests[-1].json["embeds"][0]["fields"]}
        assert "fetched" in fields["Web sources"] and "127.0.0.1" in fields["Web sources"]
    finally:
        if bot is not None:
            await bot.close()
        await standin.stop()
        site.close()


@pytest.fixture
async def live_bridge(tmp_path, monkeypatch):
    """The bot over its own index of one article, which the test then corrects."""
    from tests.conftest import make_pipeline
    from tests.test_answer_memory import article

    folder = tmp_path / "news"
    folder.mkdir()
    article(folder, "a.md", "bridge-a", "Daily Gazette", "2026-12-01", "£4.2 million")
    pipeline = make_pipeline(tmp_path / "data", NEWSBOT_SOURCES=str(folder))
    pipeline.index()
    standin = await DiscordStandIn().start()
    monkeypatch.setattr(Route, "BASE", f"{standin.url}/api/v10")
    discord_settings = load_discord_settings({"DISCORD_TOKEN": bot_token()})
    bot = NewsBot(pipeline.settings, discord_settings, pipeline=pipeline)
    await bot.login(bot_token())
    yield bot, standin, folder
    await bot.close()
    await standin.stop()


async def test_a_corrected_article_edits_the_answer_and_replies_once(live_bridge):
    from tests.test_answer_memory import QUESTION, article

    bot, standin, folder = live_bridge
    live = (bot, standin)
    await run_interaction(live, standin.interaction("ask", {"question": QUESTION}), lambda r: r.method == "PATCH")
    answer = standin.messages[-1]
    store = bot.pipeline.memory.store
    for _ in range(1200):  # the bot remembers the answer just after posting it; a cap, not a wait
        if store.exists() and store.answer_at(int(answer["id"])):
            break
        await asyncio.sleep(0.05)
    article(folder, "a.md", "bridge-a", "Daily Gazette", "2026-12-01", "£4.9 million")
    await asyncio.to_thread(bot.pipeline.index)  # the round checks the remembered answers
    cog = bot.get_cog("Corrections")
    mark = len(standin.requests)
    assert await cog.deliver() == 1
    assert await cog.deliver() == 0  # delivered once
    sent = standin.requests[mark:]
    (edit,) = [r for r in sent if r.method == "PATCH"]
    (reply,) = [r for r in sent if r.method == "POST"]
    assert edit.path == f"/channels/{answer['channel_id']}/messages/{answer['id']}"
    assert edit.json["content"].startswith(answer["content"])
    assert "⚠️ Corrected" in edit.json["content"] and "£4.9 million" in edit.json["content"]
    assert "[2]" in edit.json["content"] and "[2]" in edit.json["embeds"][-1]["description"]
    assert str(reply.json["message_reference"]["message_id"]) == answer["id"]
    assert reply.json["allowed_mentions"]["parse"] == [] and reply.json["enforce_nonce"]
    (correction,) = store.corrections()
    assert correction.delivered and store.answer_at(int(answer["id"])).place.shown["cited"] == 2


async def test_a_correction_that_can_be_posted_nowhere_is_dropped(live_bridge):
    from tests.test_answer_memory import QUESTION, article

    bot, standin, folder = live_bridge
    live = (bot, standin)
    await run_interaction(live, standin.interaction("ask", {"question": QUESTION}), lambda r: r.method == "PATCH")
    answer = standin.messages[-1]
    store = bot.pipeline.memory.store
    for _ in range(1200):
        if store.exists() and store.answer_at(int(answer["id"])):
            break
        await asyncio.sleep(0.05)
    article(folder, "a.md", "bridge-a", "Daily Gazette", "2026-12-01", "£4.9 million")
    await asyncio.to_thread(bot.pipeline.index)
    standin.forbidden_channels.add(int(answer["channel_id"]))
    assert await bot.get_cog("Corrections").deliver() == 0
    (correction,) = store.corrections()
    assert correction.delivered  # dropped and logged, not retried for ever
    assert [r.method for r in standin.requests[-2:]] == ["PATCH", "POST"]  # the edit tried, then the reply
