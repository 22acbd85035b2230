"""Settings declared once: docs/settings.md's table and .env.example are written from the declarations,
`newsbot config` says where each value came from without showing secrets, a bad value is one line
naming its variable, and a language-model backend from another package plugs in by entry point."""

import json
import os
import textwrap

import pytest

from bot.settings import DiscordSettings, LLMSettings, Settings, SettingsError, load_discord_settings, load_settings
from bot.settings.reference import SETTINGS_PAGE, env_example, page_with_table
from tests.conftest import ROOT, SEED_FILE, run_cli

SECRET = "sk-test-abcdefghijklmnop"


def test_settings_table_and_env_example_are_written_from_the_declarations():
    page = (ROOT / SETTINGS_PAGE).read_text(encoding="utf-8")
    assert page_with_table(page) == page, "run: python -m bot.settings.reference --write"
    assert env_example() == (ROOT / ".env.example").read_text(encoding="utf-8"), (
        "run: python -m bot.settings.reference --write"
    )
    for group in (Settings, LLMSettings, DiscordSettings):
        for item in group.declared():
            assert f"`{item.env}`" in page and f"# {item.env}={item.default}\n" in env_example()


def test_config_says_where_each_value_came_from_and_hides_secrets(tmp_path):
    (tmp_path / ".env").write_text(f"NEWSBOT_FETCH_DELAY=2\nNEWSBOT_LLM_API_KEY={SECRET}\n")
    result = run_cli(
        "config",
        "--json",
        "--data-dir",
        str(tmp_path / "data"),
        env={"NEWSBOT_TOP_K": "7", "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    rows = {row["variable"]: row for row in json.loads(result.stdout)["settings"]}
    assert rows["NEWSBOT_TOP_K"] == {
        "variable": "NEWSBOT_TOP_K",
        "value": "7",
        "source": "environment",
        "secret": False,
    }
    assert rows["NEWSBOT_FETCH_DELAY"]["source"] == ".env" and rows["NEWSBOT_FETCH_DELAY"]["value"] == "2"
    assert rows["NEWSBOT_LLM_API_KEY"] == {
        "variable": "NEWSBOT_LLM_API_KEY",
        "value": "(set, hidden)",
        "source": ".env",
        "secret": True,
    }
    assert rows["NEWSBOT_DATA_DIR"]["source"] == "command line"
    assert rows["NEWSBOT_KEEP_DAYS"] == {
        "variable": "NEWSBOT_KEEP_DAYS",
        "value": "0",
        "source": "default",
        "secret": False,
    }
    assert rows["DISCORD_TOKEN"]["value"] == ""
    assert not (tmp_path / "data").exists()

    text = run_cli("config", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert (
        text.returncode == 0
        and "NEWSBOT_FETCH_DELAY" in text.stdout
        and ".env" in text.stdout
        and SECRET not in text.stdout
    )


@pytest.mark.parametrize(
    "env, message",
    [
        ({"NEWSBOT_TOP_K": "0"}, "NEWSBOT_TOP_K must be a whole number from 1 to 50, not '0'"),
        ({"NEWSBOT_FETCH_DELAY": "soon"}, "NEWSBOT_FETCH_DELAY must be a number from 0 to 3600, not 'soon'"),
        (
            {"NEWSBOT_EMBED_BACKEND": "cuda"},
            "NEWSBOT_EMBED_BACKEND must be one of torch, onnx, onnx-int8, openvino, not 'cuda'",
        ),
        (
            {"NEWSBOT_CHROMA_URL": "file:///tmp/x"},
            "NEWSBOT_CHROMA_URL must be an http(s) address such as http://127.0.0.1:8000, not 'file:///tmp/x'",
        ),
        (
            {"NEWSBOT_CHROMA_HEADERS": f"no colon {SECRET}"},
            "NEWSBOT_CHROMA_HEADERS must be 'Name: value' pairs separated by ';' (the value is not shown)",
        ),
        (
            {"NEWSBOT_ANSWER_MODE": "magic"},
            "NEWSBOT_ANSWER_MODE must be one of extractive, llamacpp, openai, not 'magic'",
        ),
        ({"NEWSBOT_ANSWER_MODE": "openai"}, "NEWSBOT_ANSWER_MODE=openai needs NEWSBOT_LLM_MODEL"),
        (
            {"NEWSBOT_ANSWER_MODE": "llamacpp", "NEWSBOT_LLM_GGUF": "/nonexistent.gguf"},
            "NEWSBOT_LLM_GGUF: no such file /nonexistent.gguf",
        ),
        (
            {"NEWSBOT_ANSWER_MODE": "openai", "NEWSBOT_LLM_MODEL": "m", "NEWSBOT_LLM_BASE_URL": "ftp://x"},
            "NEWSBOT_LLM_BASE_URL must be an http(s) address",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_its_variable(env, message):
    with pytest.raises(SettingsError) as error:
        load_settings(env)
    assert message in str(error.value) and "\n" not in str(error.value) and SECRET not in str(error.value)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DISCORD_TOKEN": f"Bot {SECRET}"}, "DISCORD_TOKEN must be the token alone, without the 'Bot ' prefix"),
        ({"DISCORD_TOKEN": ""}, "DISCORD_TOKEN is not set"),
        (
            {"NEWSBOT_DISCORD_COOLDOWN": "often"},
            "NEWSBOT_DISCORD_COOLDOWN must look like 5/60 (questions per seconds), not 'often'",
        ),
        (
            {"NEWSBOT_DISCORD_GUILD_IDS": "12,abc"},
            "NEWSBOT_DISCORD_GUILD_IDS must be numeric Discord ids separated by commas, not 'abc'",
        ),
        ({"NEWSBOT_DISCORD_DEV_GUILD_ID": "1,2"}, "NEWSBOT_DISCORD_DEV_GUILD_ID takes one server id, not a list"),
        ({"NEWSBOT_DISCORD_DMS": "maybe"}, "NEWSBOT_DISCORD_DMS must be true or false, not 'maybe'"),
        (
            {"NEWSBOT_DISCORD_TEST_SERVER": "http://example.com:80"},
            "NEWSBOT_DISCORD_TEST_SERVER must be http://127.0.0.1:PORT",
        ),
    ],
)
def test_discord_settings_are_checked_before_any_connection(env, message):
    with pytest.raises(SettingsError) as error:
        load_discord_settings(env)
    assert message in str(error.value) and SECRET not in str(error.value)


def test_values_are_typed_and_an_empty_one_means_the_default():
    settings = load_settings(
        {
            "NEWSBOT_TOP_K": " 8 ",
            "NEWSBOT_KEEP_DAYS": "",
            "NEWSBOT_LOG_LEVEL": "debug",
            "NEWSBOT_SOURCES": "a:b https://example.com/rss",
            "NEWSBOT_CHROMA_HEADERS": "X-Key: hdr-one; Y: hdr-two",
        }
    )
    assert (settings.top_k, settings.keep_days, settings.log_level) == (8, 0, "DEBUG")
    assert [str(path) for path in settings.source_paths] == ["a", "b"] and settings.feeds == (
        "https://example.com/rss",
    )
    assert settings.chroma_header_map == {"X-Key": "hdr-one", "Y": "hdr-two"} and "hdr-one" not in repr(settings)
    discord = load_discord_settings(
        {"DISCORD_TOKEN": "MTIzNDU2Nzg5MDEyMzQ1Njc4.abcdef.ghijklmnopqrstuvwxyz12", "NEWSBOT_DISCORD_GUILD_IDS": "1, 2"}
    )
    assert discord.guild_ids == frozenset({1, 2}) and (discord.cooldown_rate, discord.cooldown_seconds) == (5, 60.0)
    assert "MTIz" not in repr(discord)


ECHO_PLUGIN = '''
"""A backend from another package: it answers with the first passage's first line, cited."""
import re


class EchoChat:
    def __init__(self, settings):
        self.settings = settings
        self.name = "echo-" + settings.model

    @classmethod
    def check_settings(cls, settings):
        if not settings.model:
            raise ValueError("NEWSBOT_ANSWER_MODE=echo needs NEWSBOT_LLM_MODEL, any name")

    def stream(self, messages, timeout):
        passage = re.search(r"\\[1\\][^\\n]*\\n(.+?)(?:\\.|\\n)", messages[-1][1], re.S)
        yield passage.group(1).strip() + ". [1]"

    def check(self):
        pass
'''


def test_a_backend_from_another_package_plugs_in_by_entry_point(tmp_path, seed_pipeline):
    (tmp_path / "echo_chat.py").write_text(textwrap.dedent(ECHO_PLUGIN))
    info = tmp_path / "echo_chat-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-chat\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[newsbot.chat_models]\necho = echo_chat:EchoChat\n")
    env = {
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "NEWSBOT_DATA_DIR": str(seed_pipeline.settings.data_dir),
        "NEWSBOT_SOURCES": str(SEED_FILE),
        "NEWSBOT_ANSWER_MODE": "echo",
    }

    missing = run_cli("ask", "Who heads the Ukrainian delegation?", env=env, cwd=tmp_path)
    assert missing.returncode == 2 and "NEWSBOT_ANSWER_MODE=echo needs NEWSBOT_LLM_MODEL" in missing.stderr

    result = run_cli(
        "ask", "Who heads the Ukrainian delegation?", "--json", env={**env, "NEWSBOT_LLM_MODEL": "one"}, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["mode"] == "echo" and answer["verification"] is not None
    assert answer["citations"] and answer["citations"][0]["quote"] in SEED_FILE.read_text(encoding="utf-8")
