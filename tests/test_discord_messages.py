"""Layer (b) of the Discord tests, message flows: the real NewsBot and cogs in-process, with
dpytest's fake state and HTTP standing in for Discord. dpytest has no threads, so
`add_thread_support` adds the one call the bot needs (start a thread from a message)."""

import discord
import discord.ext.test as dpytest
import pytest

from bot.discord.bot import NewsBot
from bot.discord.questions import DMS_OFF
from bot.settings import load_discord_settings
from tests.discord_standin import bot_token


def add_thread_support(newsbot: NewsBot) -> None:
    http = newsbot.http

    async def start_thread_with_message(
        channel_id, message_id, *, name, auto_archive_duration, rate_limit_per_user=None, reason=None
    ):
        guild = newsbot.get_channel(channel_id).guild
        data = {
            "id": message_id,
            "guild_id": guild.id,
            "parent_id": channel_id,
            "owner_id": newsbot.user.id,
            "name": name,
            "type": 11,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": auto_archive_duration,
                "archive_timestamp": "2026-11-24T10:00:00+00:00",
                "locked": False,
            },
        }
        guild._add_thread(discord.Thread(guild=guild, state=newsbot._connection, data=data))
        return data

    http.start_thread_with_message = start_thread_with_message


def make_bot(pipeline, data_dir, **env) -> NewsBot:
    """A NewsBot wired to dpytest. dpytest resolves `<@id>` mentions through the member cache,
    which the bot's minimal intents leave empty (Discord sends mentioned users with the message)."""
    settings = pipeline.settings.model_copy(update={"data_dir": data_dir})
    discord_settings = load_discord_settings({"DISCORD_TOKEN": bot_token(), **env})
    bot = NewsBot(settings, discord_settings, pipeline=pipeline)
    bot._connection._intents.members = True
    bot._connection.member_cache_flags = discord.MemberCacheFlags.from_intents(bot._connection._intents)
    dpytest.configure(bot, members=2)
    return bot


async def stop(bot: NewsBot) -> None:
    await dpytest.empty_queue()
    bot.answers.close()  # Bot.close() would close a gateway socket dpytest never opened


@pytest.fixture
async def newsbot(seed_pipeline, tmp_path):
    bot = make_bot(seed_pipeline, tmp_path, NEWSBOT_DISCORD_COOLDOWN="3/60")
    await bot._async_setup_hook()  # what login() would do: bind the bot to this loop
    await bot.setup_hook()
    add_thread_support(bot)
    yield bot
    await stop(bot)


def mention(newsbot: NewsBot, question: str) -> str:
    return f"{newsbot.user.mention} {question}"


async def test_mention_starts_a_thread_with_a_cited_answer(newsbot):
    channel = dpytest.get_config().channels[0]
    asked = await dpytest.message(mention(newsbot, "Who heads the Ukrainian delegation?"), channel=channel)
    thread = channel.guild.get_thread(asked.id)
    assert thread is not None and thread.owner_id == newsbot.user.id
    assert thread.name == "Who heads the Ukrainian delegation?"
    answer = dpytest.get_message()
    assert answer.channel.id == thread.id
    assert "Umerov" in answer.content and "[1]" in answer.content
    assert answer.embeds[0].title == "Sources"


async def test_follow_up_in_the_bots_thread_needs_no_mention(newsbot):
    channel = dpytest.get_config().channels[0]
    asked = await dpytest.message(mention(newsbot, "Where were the peace talks held?"), channel=channel)
    dpytest.get_message()
    thread = channel.guild.get_thread(asked.id)
    await dpytest.message("What about the Russian delegation?", channel=thread)
    follow_up = dpytest.get_message()
    assert "Medinsky" in follow_up.content
    await dpytest.message("thanks!", channel=thread)
    assert dpytest.verify().message().nothing()


async def test_messages_without_a_mention_and_from_bots_are_ignored(newsbot):
    channel = dpytest.get_config().channels[0]
    await dpytest.message("Who heads the Ukrainian delegation?", channel=channel)
    assert dpytest.verify().message().nothing()
    robot = dpytest.get_config().members[1]
    robot._user.bot = True
    await dpytest.message(mention(newsbot, "Who heads the Ukrainian delegation?"), channel=channel, member=robot)
    assert dpytest.verify().message().nothing()


async def test_cooldown_answers_kindly(newsbot):
    channel = dpytest.get_config().channels[0]
    for _ in range(3):
        await dpytest.message(mention(newsbot, "Where were the peace talks held?"), channel=channel)
        assert "[1]" in dpytest.get_message().content
    await dpytest.message(mention(newsbot, "Where were the peace talks held?"), channel=channel)
    assert dpytest.get_message().content.startswith("You're asking quickly: please wait")
    other = dpytest.get_config().members[1]
    await dpytest.message(mention(newsbot, "Where were the peace talks held?"), channel=channel, member=other)
    assert "[1]" in dpytest.get_message().content


@pytest.mark.parametrize(
    "question, reply",
    [("", "The question is empty"), ("why " * 200, "The question is 799 characters long; please keep it under 500.")],
)
async def test_bad_questions_get_a_clear_reply(newsbot, question, reply):
    channel = dpytest.get_config().channels[0]
    await dpytest.message(mention(newsbot, question), channel=channel)
    assert reply in dpytest.get_message().content


async def test_mentions_in_questions_and_answers_never_ping(newsbot):
    channel = dpytest.get_config().channels[0]
    await dpytest.message(mention(newsbot, "@everyone @here who heads the Ukrainian delegation?"), channel=channel)
    answer = dpytest.get_message()
    assert "@everyone" not in answer.content.replace("@\u200beveryone", "")


def test_the_bot_pings_no_one_and_asks_only_for_the_intents_it_needs(seed_pipeline, tmp_path):
    settings = seed_pipeline.settings.model_copy(update={"data_dir": tmp_path})
    bot = NewsBot(settings, load_discord_settings({"DISCORD_TOKEN": bot_token()}), pipeline=seed_pipeline)
    assert bot.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()
    enabled = {name for name, on in bot.intents if on}
    assert enabled == {"guilds", "guild_messages", "dm_messages", "message_content"}


async def test_allow_list_keeps_the_bot_out_of_other_channels(seed_pipeline, tmp_path):
    bot = make_bot(seed_pipeline, tmp_path, NEWSBOT_DISCORD_CHANNEL_IDS="1")
    await bot._async_setup_hook()  # what login() would do: bind the bot to this loop
    await bot.setup_hook()
    try:
        await dpytest.message(mention(bot, "Who heads the Ukrainian delegation?"))
        assert dpytest.verify().message().nothing()
    finally:
        await stop(bot)


async def test_direct_messages_can_be_switched_off(seed_pipeline, tmp_path):
    bot = make_bot(seed_pipeline, tmp_path, NEWSBOT_DISCORD_DMS="false")
    await bot._async_setup_hook()  # what login() would do: bind the bot to this loop
    await bot.setup_hook()
    try:
        member = dpytest.get_config().members[0]
        dm = await member.create_dm()
        await dpytest.message("Who heads the Ukrainian delegation?", channel=dm, member=member)
        assert dpytest.get_message().content == DMS_OFF
    finally:
        await stop(bot)
