"""Remembered answers: an answer whose quoted article is corrected, removed, or overtaken by a later
report of its story with another figure gets one correction, and an unrelated change none. Real
index, real model, real SQLite; the Discord side is in test_discord_commands.py."""

import json
import sqlite3

import pytest

from bot.cli import main
from bot.memory.store import CLI, REPL, AnswerStore, Place
from bot.repl import Repl
from bot.schema import SchemaError
from tests.conftest import make_pipeline

QUESTION = "How much will the river bridge repairs cost?"


LEADS = {
    "bridge-a": "The city council approved repairs to the old river bridge on Monday evening, after a long debate.",
    "bridge-b": "Councillors voted through a plan to mend the ageing river crossing, which has been closed to lorries since May.",
    "bridge-c": "Engineers have now finished surveying the river bridge whose repairs the council approved this week.",
}


def article(folder, name, article_id, source, published, cost, extra="Work will start in the spring."):
    """One report of the bridge story; each outlet words it its own way, so none is a copy."""
    (folder / name).write_text(
        f"""---
id: {article_id}
title: "Repairs to the old river bridge approved by the city council"
source: {source}
published: {published}
---

{LEADS[article_id]}

The repairs to the old river bridge are expected to cost {cost}, officials said at the meeting.

{extra} The council said the bridge would stay open to walkers.
""",
        encoding="utf-8",
    )


@pytest.fixture
def answered(tmp_path):
    """A pipeline over one article, and the answer it gave, remembered as `newsbot ask`'s."""
    folder = tmp_path / "news"
    folder.mkdir()
    article(folder, "a.md", "bridge-a", "Daily Gazette", "2026-12-01", "£4.2 million")
    pipeline = make_pipeline(tmp_path / "data", NEWSBOT_SOURCES=str(folder))
    pipeline.index()
    answer = pipeline.ask(QUESTION)
    assert "£4.2 million" in answer.citations[0].quote
    answer_id = pipeline.memory.remember(answer, Place(CLI))
    return pipeline, folder, answer_id


def corrections(pipeline):
    return [c.payload for c in pipeline.memory.store.corrections()]


def test_a_corrected_figure_is_one_correction_quoting_the_new_sentence(answered, capsys):
    pipeline, folder, answer_id = answered
    article(folder, "a.md", "bridge-a", "Daily Gazette", "2026-12-01", "£4.9 million")
    pipeline.index()
    pipeline.index()  # nothing changed since: nothing more
    (found,) = corrections(pipeline)
    assert found["kind"] == "corrected" and found["answer_id"] == answer_id
    assert "£4.9 million" in found["now"] and "£4.2 million" in found["quoted"]
    assert main(["answers", "--corrected", "--json", "--data-dir", str(pipeline.settings.data_dir)]) == 0
    (listed,) = json.loads(capsys.readouterr().out)["answers"]
    assert listed["question"] == QUESTION and listed["corrections"][0]["now"] == found["now"]


def test_a_change_elsewhere_in_the_article_sends_nothing(answered):
    pipeline, folder, _ = answered
    article(folder, "a.md", "bridge-a", "Daily Gazette", "2026-12-01", "£4.2 million", "Work begins in May.")
    pipeline.index()
    assert pipeline.memory.store.cursor()[1] == pipeline.catalog.synced  # the round was checked
    assert corrections(pipeline) == []


def test_another_outlets_figure_differs_and_the_same_publishers_updates(answered):
    pipeline, folder, answer_id = answered
    article(folder, "b.md", "bridge-b", "Evening Post", "2026-12-02", "£5.6 million")
    pipeline.index()
    (differs,) = corrections(pipeline)
    assert differs["kind"] == "differs" and differs["source"] == "Evening Post" and "£5.6 million" in differs["now"]
    article(folder, "c.md", "bridge-c", "Daily Gazette", "2026-12-03", "£4.6 million")
    pipeline.index()
    kinds = {c["article_id"]: c["kind"] for c in corrections(pipeline)}
    assert kinds == {"bridge-b": "differs", "bridge-c": "updated"}


def test_a_removed_article_is_said_once(answered):
    pipeline, folder, _ = answered
    (folder / "a.md").unlink()
    (folder / "other.md").write_text("# Weather\n\nRain is expected across the region all week long.\n")
    pipeline.index()
    pipeline.index()
    (removed,) = corrections(pipeline)
    assert removed["kind"] == "removed"


def test_answers_older_than_the_memory_are_forgotten_by_a_round(answered):
    pipeline, folder, answer_id = answered
    store = pipeline.memory.store
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE answers SET created = created - 8 * 86400 WHERE id = ?", (answer_id,))
    article(folder, "a.md", "bridge-a", "Daily Gazette", "2026-12-01", "£4.9 million")
    pipeline.index()
    assert store.answer(answer_id) is None and corrections(pipeline) == []


def test_the_repl_says_at_the_next_prompt_that_its_answer_was_corrected(answered, tmp_path):
    pipeline, folder, _ = answered
    out = _Lines()
    repl = Repl(pipeline, out=out)
    lines = iter([QUESTION, ""])

    def read(prompt):
        line = next(lines, None)
        if line is None:
            raise EOFError
        if line == "":
            # Between two prompts, another writer indexes the corrected page.
            article(folder, "a.md", "bridge-a", "Daily Gazette", "2026-12-01", "£4.9 million")
            pipeline.index()
        return line

    repl.run(read)
    repl.notice_corrections()
    notices = [line for line in out.lines if "Corrected" in line]
    assert len(notices) == 1 and QUESTION in notices[0] and "£4.9 million" in notices[0]
    assert pipeline.memory.store.answers()[0].place.kind == REPL


def test_memory_off_remembers_nothing(tmp_path):
    pipeline = make_pipeline(tmp_path / "data", NEWSBOT_ANSWER_MEMORY_DAYS="0")
    assert pipeline.memory.remember(object(), Place(CLI)) is None
    assert not pipeline.memory.store.exists()


def test_a_newer_answers_store_is_one_clear_line(tmp_path):
    store = AnswerStore(tmp_path)
    with sqlite3.connect(store.path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(SchemaError, match="newer newsbot"):
        store.count(CLI)


class _Lines:
    def __init__(self):
        self.lines: list[str] = []

    def write(self, text):
        self.lines.extend(text.splitlines())

    def flush(self):
        pass

    def isatty(self):
        return False
