"""Layer (c) of the Discord tests: the real `newsbot discord` process against the local stand-in.

The stand-in plays Discord's gateway (HELLO, IDENTIFY → READY, heartbeats, dispatch) and REST API on
127.0.0.1; the assertions are on the REST calls the bot makes.
"""

import asyncio
import signal

import pytest

from tests.discord_standin import BOT_ID, CHANNEL_ID, GUILD_ID, DiscordStandIn, bot_token

NO_MENTIONS = {"parse": []}
STARTUP_SECONDS = 240


@pytest.fixture
async def standin():
    server = await DiscordStandIn().start()
    yield server
    await server.stop()


def sent_text(request) -> str:
    payload = request.json or {}
    embeds = "".join(embed.get("description", "") for embed in payload.get("embeds", []))
    return (payload.get("content") or "") + embeds


async def stop(process, log_path, signalled: bool = False) -> str:
    """SIGTERM the bot (unless it was `signalled` already: a second SIGTERM while it shuts down is
    not what a service manager sends); it must exit 0 with no traceback. Returns its log."""
    if process.returncode is None and not signalled:
        process.send_signal(signal.SIGTERM)
    returncode = await asyncio.wait_for(process.wait(), 60)
    log = log_path.read_text()
    assert returncode == 0, log
    assert "Traceback" not in log
    return log


def custom_ids(request) -> set[str]:
    rows = (request.json or {}).get("components", [])
    return {item.get("custom_id") for row in rows for item in row.get("components", [])}


async def test_ask_mention_thread_and_follow_up_against_the_stand_in(standin, tmp_path):
    process = await standin.start_newsbot(
        tmp_path / "data", tmp_path / "bot.log", STARTUP_SECONDS, NEWSBOT_LOG_LEVEL="INFO"
    )
    try:
        assert standin.identify["token"] == bot_token()
        intents = standin.identify["intents"]
        assert intents & (1 << 15), "message content intent"
        assert not intents & (1 << 1), "no guild members intent"
        assert not intents & (1 << 8), "no presence intent"

        # /ask: deferred at once, then the answer edited in, with citations and no pings.
        mark = len(standin.requests)
        await standin.dispatch(
            "INTERACTION_CREATE", standin.interaction("ask", {"question": "Who heads the Ukrainian delegation?"})
        )
        defer = await standin.wait_for_request(lambda r: r.path.endswith("/callback"), after=mark)
        assert defer.json["type"] == 5
        final = await standin.wait_for_request(
            lambda r: r.method == "PATCH" and r.path.endswith("/messages/@original"), after=mark
        )
        assert final.at > defer.at
        assert "[1]" in final.json["content"] and "Umerov" in final.json["content"]
        (embed,) = final.json["embeds"]
        assert embed["title"] == "Sources" and "LN247" in embed["description"] and "2 June 2025" in embed["description"]
        assert final.json["allowed_mentions"]["parse"] == []
        assert custom_ids(final) == {"newsbot:feedback:up", "newsbot:feedback:down"}

        # @newsbot in a channel: a thread from the message, the answer inside it.
        question = standin.message(f"<@{BOT_ID}> Where were the peace talks held? @everyone")
        mark = len(standin.requests)
        await standin.dispatch("MESSAGE_CREATE", question)
        thread = await standin.wait_for_request(
            lambda r: r.path == f"/channels/{CHANNEL_ID}/messages/{question['id']}/threads", after=mark
        )
        assert thread.json["name"].startswith("Where were the peace talks held?")
        answer = await standin.wait_for_request(
            lambda r: r.method == "POST" and r.path == f"/channels/{question['id']}/messages", after=mark
        )
        assert "Istanbul" in sent_text(answer) and "[1]" in answer.json["content"]
        assert answer.json["allowed_mentions"]["parse"] == []
        assert "@everyone" not in sent_text(answer).replace("@\u200beveryone", "")

        # A follow-up in the bot's thread, without a mention.
        follow_up = standin.message("What about the Russian delegation?", channel_id=int(question["id"]))
        mark = len(standin.requests)
        await standin.dispatch("MESSAGE_CREATE", follow_up)
        reply = await standin.wait_for_request(
            lambda r: r.method == "POST" and r.path == f"/channels/{question['id']}/messages", after=mark
        )
        assert str(reply.json["message_reference"]["message_id"]) == follow_up["id"]
        assert "Medinsky" in reply.json["content"]
        assert reply.json["allowed_mentions"]["parse"] == []

        # Interaction responses are authorised by their own token, in the URL; all else by the bot token.
        bot_calls = [r for r in standin.requests if not r.path.startswith(("/interactions/", "/webhooks/"))]
        assert bot_calls and all(request.authorization == f"Bot {bot_token()}" for request in bot_calls)
    finally:
        log = await stop(process, tmp_path / "bot.log")
    assert bot_token() not in log


async def test_the_bot_stops_at_start_up_when_its_model_server_is_down(standin, tmp_path):
    from tests.conftest import free_port

    unreachable = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(RuntimeError) as failed:
        await standin.start_newsbot(
            tmp_path / "data",
            tmp_path / "bot.log",
            STARTUP_SECONDS,
            NEWSBOT_ANSWER_MODE="openai",
            NEWSBOT_LLM_BASE_URL=unreachable,
            NEWSBOT_LLM_MODEL="m",
        )
    log = str(failed.value)
    assert "exit status 1" in log
    assert (
        f"newsbot: error: the language model (NEWSBOT_ANSWER_MODE=openai) is not usable: cannot reach the model server at {unreachable}"
        in log
    )
    assert "Traceback" not in log


async def test_a_model_answer_in_a_thread_is_streamed_then_verified(standin, llm_server, tmp_path):
    from bot.discord.render import DRAFT_FOOTER

    process = await standin.start_newsbot(
        tmp_path / "data", tmp_path / "bot.log", STARTUP_SECONDS, **llm_server.env(NEWSBOT_LLM_MAX_TOKENS="96")
    )
    try:
        question = standin.message(f"<@{BOT_ID}> Who heads the Ukrainian delegation?")
        mark = len(standin.requests)
        await standin.dispatch("MESSAGE_CREATE", question)
        in_thread = f"/channels/{question['id']}/messages"
        final = await standin.wait_for_request(
            lambda r: r.path.startswith(in_thread) and custom_ids(r), after=mark, timeout=180
        )
        posted = [r for r in standin.requests[mark:] if r.path.startswith(in_thread) and r.method in ("POST", "PATCH")]
        first, edits = posted[0], posted[1:]
        assert first.method == "POST" and DRAFT_FOOTER in first.json["content"]  # the draft is the answer's message
        assert edits and all(r.method == "PATCH" and r.path == edits[0].path for r in edits)
        drafts = [first] + edits[:-1]
        assert all(later.at - earlier.at >= 0.9 for earlier, later in zip(drafts, drafts[1:]))
        assert final is edits[-1] and DRAFT_FOOTER not in final.json["content"]
        assert final.json["allowed_mentions"]["parse"] == []
        assert custom_ids(final) == {"newsbot:feedback:up", "newsbot:feedback:down"}
    finally:
        await stop(process, tmp_path / "bot.log")


async def test_two_shard_processes_each_answer_their_server_and_follow_the_writer(standin, tmp_path):
    """Two `newsbot discord --read-only` processes split two servers' shards and read one index;
    an article the writer adds is answered by both."""
    import os
    import shutil
    import subprocess
    import sys

    from tests.discord_standin import SECOND_CHANNEL_ID, SECOND_GUILD_ID, SEED_ARTICLE

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_ARTICLE, corpus)
    data = tmp_path / "data"
    writer_env = {**os.environ, "NEWSBOT_DATA_DIR": str(data)}
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "index", str(corpus)], env=writer_env, check=True, capture_output=True
    )
    processes = []
    try:
        for shard in (0, 1):
            processes.append(
                await standin.start_newsbot(
                    data,
                    tmp_path / f"shard{shard}.log",
                    STARTUP_SECONDS,
                    "--read-only",
                    "--shards",
                    str(shard),
                    "--shard-count",
                    "2",
                    shard=shard,
                    NEWSBOT_SOURCES=str(corpus),
                )
            )
        assert sorted(identify["shard"] for identify in standin.identifies) == [[0, 2], [1, 2]]
        places = {
            (GUILD_ID >> 22) % 2: (GUILD_ID, CHANNEL_ID),
            (SECOND_GUILD_ID >> 22) % 2: (SECOND_GUILD_ID, SECOND_CHANNEL_ID),
        }

        async def ask_everywhere(question: str, expected: str) -> None:
            for shard, (guild_id, channel_id) in places.items():
                mark = len(standin.requests)
                message = standin.message(f"<@{BOT_ID}> {question}", channel_id=channel_id, guild_id=guild_id)
                await standin.dispatch("MESSAGE_CREATE", message, shard=shard)
                reply = await standin.wait_for_request(
                    lambda r: (
                        r.method == "POST"
                        and r.path.startswith("/channels/")
                        and r.path.endswith("/messages")
                        and expected in sent_text(r)
                    ),
                    after=mark,
                    timeout=STARTUP_SECONDS,
                )
                assert reply.json["allowed_mentions"]["parse"] == []

        await ask_everywhere("Who heads the Ukrainian delegation?", "Umerov")
        (corpus / "ferry.txt").write_text(
            "Ferry terminal delayed\n\nThe harbour authority said on Tuesday that the new ferry terminal will open in May, two years late.",
            encoding="utf-8",
        )
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "index", str(corpus)], env=writer_env, check=True, capture_output=True
        )
        await ask_everywhere("When will the ferry terminal open?", "May")
    finally:
        for process in processes:  # both are told to stop before either is checked
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for shard, process in enumerate(processes):
            await stop(process, tmp_path / f"shard{shard}.log", signalled=True)
