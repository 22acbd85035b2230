import io
import json
import os
import re
import subprocess
import sys

import pytest

from bot.cli import main
from bot.repl import Repl
from bot.settings import BUNDLED_CORPUS
from tests.conftest import ROOT, SEED_FILE, SEED_ID, make_pipeline, run_cli

HEAVY = ("torch", "chromadb", "llama_index", "sentence_transformers", "discord")


def test_help_does_not_import_heavy_libraries():
    code = f"import sys; from bot.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\nprint([m for m in sys.modules if m.split('.')[0] in {HEAVY!r}])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "usage: newsbot" in result.stdout
    assert result.stdout.strip().endswith("[]")


def test_a_question_imports_no_torch_llama_index_or_discord(tmp_path):
    """The cold start: the default backend answers without torch, and the question path without
    llama-index or discord.py."""
    env = {"NEWSBOT_DATA_DIR": str(tmp_path / "data"), "NEWSBOT_SOURCES": str(SEED_FILE)}
    assert run_cli("index", env=env).returncode == 0
    # llama_index itself is a namespace package, found (not run) to locate the nltk data it bundles.
    heavy = ("torch", "sentence_transformers", "llama_index.core", "discord")
    code = (
        "import sys; from bot.cli import main\nmain(['ask', 'Who heads the Ukrainian delegation?'])\n"
        f"print([m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in {heavy!r})])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=180
    )
    assert "Umerov" in result.stdout, result.stderr
    assert result.stdout.strip().endswith("[]")


@pytest.mark.slow
def test_a_first_ask_indexes_the_bundled_corpus_and_prints_one_object(tmp_path):
    """The Quickstart as a new user meets it: the seed and the Wikinews articles indexed on a fresh data dir."""
    articles = 1 + len((BUNDLED_CORPUS / "wikinews" / "articles.jsonl").read_text(encoding="utf-8").splitlines())
    result = run_cli(
        "ask", "Who heads the Ukrainian delegation?", "--json", env={"NEWSBOT_DATA_DIR": str(tmp_path / "fresh")}
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "Umerov" in data["answer"] and data["refused"] is False
    assert data["citations"][0]["article_id"] == SEED_ID
    assert f"indexed: {articles} added" in result.stderr


def test_index_then_stats_json(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NEWSBOT_SOURCES", str(SEED_FILE))
    data_dir = str(tmp_path / "data")
    assert main(["--data-dir", data_dir, "index"]) == 0
    assert re.match(
        r"indexed: 1 added, 0 updated, 0 unchanged, 0 removed, 0 failed articles; 1 articles and \d+ chunks",
        capsys.readouterr().out,
    )
    assert main(["stats", "--json", "--data-dir", data_dir]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["articles"] == 1 and first["chunks"] > 1
    assert first["sources"] == {"LN247": 1}
    assert (first["first_published"], first["last_published"]) == ("2025-06-02", "2025-06-02")
    assert main(["index", "--data-dir", data_dir]) == 0
    assert "1 unchanged" in capsys.readouterr().out
    assert main(["stats", "--json", "--data-dir", data_dir]) == 0
    assert json.loads(capsys.readouterr().out)["chunks"] == first["chunks"]


def test_bad_files_warn_and_strict_fails(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(
        "Good\n\nThe bridge reopened on Friday after repairs, the city said.", encoding="utf-8"
    )
    (corpus / "bad.txt").write_bytes(b"caf\xe9 au lait")
    (corpus / "broken.jsonl").write_text("{oops\n", encoding="utf-8")
    data_dir = str(tmp_path / "data")
    assert main(["index", str(corpus), "--data-dir", data_dir]) == 0
    captured = capsys.readouterr()
    assert "bad.txt: not UTF-8" in captured.err
    assert "broken.jsonl:1: invalid JSON" in captured.err
    assert "1 added" in captured.out and "2 failed" in captured.out
    assert main(["index", str(corpus), "--strict", "--data-dir", data_dir]) == 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (["ask", "   "], "The question is empty"),
        (["ask", "x" * 600], "please keep it under 500"),
        (["stats", "--data-dir", "/nonexistent/newsbot"], "no index in /nonexistent/newsbot yet"),
        (["index", "/nonexistent/articles"], "no such file or folder: /nonexistent/articles"),
    ],
)
def test_bad_input_gets_a_clear_message(argv, message, capsys):
    assert main(argv) in (1, 2)
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["ask", "q", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["ask", "q", "--data-dir"], "expected one argument"),
        (["ask", "q", "--k", "0"], "must be a whole number from 1 to 50"),
    ],
)
def test_bad_flags_get_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_ask_with_nothing_to_index_says_so(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("NEWSBOT_SOURCES", str(empty))
    assert main(["ask", "Who heads the delegation?", "--data-dir", str(tmp_path / "data")]) == 1
    assert f"no articles found in {empty}" in capsys.readouterr().err


def test_data_dir_that_is_a_file(tmp_path, capsys):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    assert main(["stats", "--data-dir", str(not_a_dir)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, value", [("NEWSBOT_TOP_K", "many"), ("NEWSBOT_MIN_RELEVANCE", "2"), ("NEWSBOT_LOG_LEVEL", "LOUD")]
)
def test_invalid_setting_is_one_line_naming_the_variable(name, value):
    result = run_cli("stats", env={name: value}, timeout=30)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and name in result.stderr


def test_dotenv_is_read_from_the_working_directory(tmp_path):
    (tmp_path / ".env").write_text("NEWSBOT_TOP_K=zero\n")
    result = run_cli("stats", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)}, timeout=30)
    assert "NEWSBOT_TOP_K" in result.stderr and result.returncode == 2


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```sh\n(.+?)\n```", readme)
    assert len(commands) >= 2
    assert commands[1] in (ROOT / ".ci/run").read_text()


def test_repl_answers_and_shows_sources(seed_pipeline, tmp_path):
    out = io.StringIO()
    repl = Repl(seed_pipeline, out=out)
    lines = iter(
        [
            "Who heads the Ukrainian delegation?",
            ":sources",
            ":sources 1",
            ":sources 7",
            ":nope",
            "",
            ":help",
            ":quit",
            "never read",
        ]
    )
    repl.history_file = tmp_path / "history"
    repl.run(read=lambda prompt: next(lines))
    text = out.getvalue()
    assert "Umerov" in text and "[1] Ukraine-Russia Peace Talks" in text
    assert "· passage" in text
    assert "Give a source number from 1 to" in text
    assert "Unknown command :nope" in text
    assert ":sources N" in text


def test_repl_survives_a_failing_question(tmp_path, corpus_copy):
    pipeline = make_pipeline(tmp_path / "data")
    pipeline.index([corpus_copy])
    out = io.StringIO()
    repl = Repl(pipeline, out=out)
    repl.history_file = tmp_path / "history"
    assert repl.handle("Who heads the Ukrainian delegation?")
    from index.store.records import IndexInfo

    pipeline.store.publish(IndexInfo(model="another model", chunker=1))  # rebuilt meanwhile, with another model
    assert repl.handle("Who heads the Ukrainian delegation?")
    assert "Sorry, that failed: the index was built with another model" in out.getvalue()


@pytest.mark.parametrize(
    "token, message",
    [
        ("", "DISCORD_TOKEN is not set"),
        ("not-a-token", "DISCORD_TOKEN does not look like a bot token"),
        ("Bot abc.def.ghi", "without the 'Bot ' prefix"),
    ],
)
def test_discord_token_problems_stop_before_any_connection(tmp_path, token, message):
    result = run_cli("discord", env={"DISCORD_TOKEN": token}, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and message in result.stderr
    assert not token or token not in result.stderr.replace("'Bot '", "")
    assert not (tmp_path / "newsbot-data").exists()


def test_feedback_without_any_says_where_it_comes_from(tmp_path, capsys):
    assert main(["feedback", "--data-dir", str(tmp_path)]) == 1
    assert "no feedback in" in capsys.readouterr().err


def test_an_unreachable_model_server_gives_quotes_a_clear_note_and_never_logs_the_key(seed_pipeline):
    from tests.conftest import free_port

    key = "sk-test-0123456789abcdefSECRET"
    url = f"http://127.0.0.1:{free_port()}/v1"
    env = {
        "NEWSBOT_DATA_DIR": str(seed_pipeline.settings.data_dir),
        "NEWSBOT_ANSWER_MODE": "openai",
        "NEWSBOT_LLM_BASE_URL": url,
        "NEWSBOT_LLM_MODEL": "m",
        "NEWSBOT_LLM_API_KEY": key,
        "NEWSBOT_LLM_TIMEOUT": "5",
        "NEWSBOT_LOG_LEVEL": "DEBUG",
    }
    result = run_cli("ask", "Who heads the Ukrainian delegation?", "--json", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mode"] == "openai" and data["verification"]["fallback"] and "Umerov" in data["answer"]
    assert f"cannot reach the model server at {url}" in data["note"]
    assert f"newsbot: note: {data['note']}" in result.stderr
    assert key not in result.stderr and key not in result.stdout
