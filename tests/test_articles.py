import json
import os
import re
import subprocess
import sys

import pytest

from index.articles.article import CONTROL_CHARACTERS, Note, Problem
from index.articles.files import read_file, scan_sources
from tests.hostile_files import GOOD, write_hostile_folder

LIMIT = 5_000_000
STORY = "The harbour authority said on Tuesday that the new ferry terminal will open in May. " * 3


def read_one(path):
    items = list(read_file(path, LIMIT))
    assert len(items) == 1, items
    return items[0]


def test_txt_first_line_is_the_title(tmp_path):
    path = tmp_path / "ferry.txt"
    path.write_text(f"Ferry Terminal To Open In May\n\n{STORY}", encoding="utf-8")
    article = read_one(path)
    assert article.title == "Ferry Terminal To Open In May"
    assert article.text == STORY.strip()
    assert article.published == ""


def test_markdown_front_matter(tmp_path):
    path = tmp_path / "ferry.md"
    path.write_text(
        "---\ntitle: Ferry terminal\nsource: Harbour News\nurl: https://example.org/ferry\n"
        f"published: 2025-03-04T10:30:00Z\nauthor: A. Writer\n---\n{STORY}",
        encoding="utf-8",
    )
    article = read_one(path)
    assert (article.title, article.source, article.author) == ("Ferry terminal", "Harbour News", "A. Writer")
    assert article.url == "https://example.org/ferry"
    assert article.published == "2025-03-04T10:30:00+00:00"
    assert article.published_ts == 1741084200


def test_html_through_trafilatura(tmp_path):
    path = tmp_path / "ferry.html"
    path.write_text(
        "<html><head><title>Ferry terminal to open</title>"
        '<meta property="article:published_time" content="2025-03-04"></head>'
        f"<body><nav>Home | Sport</nav><article><h1>Ferry terminal to open</h1><p>{STORY}</p>"
        f"<p>{STORY}</p></article></body></html>",
        encoding="utf-8",
    )
    article = read_one(path)
    assert "ferry terminal will open in May" in article.text
    assert article.title == "Ferry terminal to open"
    assert article.published == "2025-03-04"
    assert not article.text.startswith("Ferry terminal to open"), "the <h1> headline is not article text"


def test_a_page_with_no_article_body_is_skipped_with_a_reason(tmp_path):
    path = tmp_path / "menu.html"
    links = "".join(f"<li><a href='/{n}'>Section {n}</a></li>" for n in range(30))
    path.write_text(
        f"<html><head><title>Menu</title></head><body><nav><ul>{links}</ul></nav><p>Menu</p></body></html>",
        encoding="utf-8",
    )
    (problem,) = list(read_file(path, LIMIT))
    assert isinstance(problem, Problem)
    assert "menu.html" in problem.where and ("no article body" in problem.reason or "no article text" in problem.reason)


def test_jsonl_in_the_eval_format(tmp_path):
    path = tmp_path / "articles.jsonl"
    records = [
        {
            "id": "a1",
            "url": "https://example.org/1",
            "title": "One",
            "source": "example.org",
            "published": "2026-01-02",
            "text": STORY,
        },
        {
            "id": "a2",
            "url": "https://example.org/2",
            "title": "Two",
            "source": "example.org",
            "published": "2026-01-03",
            "text": STORY + " More.",
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    articles = list(read_file(path, LIMIT))
    assert [a.id for a in articles] == ["a1", "a2"]
    assert articles[1].published == "2026-01-03"


def test_ids_are_stable_and_follow_the_url(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"url": "https://example.org/x", "title": "X", "text": STORY}), encoding="utf-8")
    first = read_one(path)
    path.write_text(
        json.dumps({"url": "https://example.org/x", "title": "X", "text": STORY + " Updated."}), encoding="utf-8"
    )
    second = read_one(path)
    assert first.id == second.id
    assert first.content_hash != second.content_hash


@pytest.fixture
def bad_corpus(tmp_path):
    root = tmp_path / "bad"
    root.mkdir()
    (root / "good.txt").write_text(f"A Good Story\n\n{STORY}", encoding="utf-8")
    (root / "binary.txt").write_bytes(b"\x00\x01\x02binary\x00" * 100)
    (root / "latin1.txt").write_bytes("Caf\xe9 society\n\nThe caf\xe9 reopened.".encode("latin-1"))
    (root / "empty.md").write_text("", encoding="utf-8")
    (root / "huge.txt").write_text("word " * 4_200_000, encoding="utf-8")  # about 21 MB
    (root / "nobody.html").write_text("<html><head><title>Nothing</title></head></html>", encoding="utf-8")
    (root / "feed.jsonl").write_text(
        json.dumps({"id": "f1", "title": "Fine", "text": STORY})
        + "\n{not json\n"
        + json.dumps({"id": "f2", "title": "No text"})
        + "\n",
        encoding="utf-8",
    )
    return root


def test_bad_files_are_named_and_good_ones_read(bad_corpus):
    scan = scan_sources([bad_corpus], LIMIT)
    assert sorted(a.title for a in scan.articles) == ["A Good Story", "Fine"]
    reasons = {p.where.replace(str(bad_corpus) + "/", ""): p.reason for p in scan.problems}
    assert reasons == {
        "binary.txt": "binary data, not text (an image, archive or document?)",
        "latin1.txt": "not UTF-8 text (byte 3: 0xe9); if it is Latin-1 or Windows-1252, save it as UTF-8",
        "empty.md": "empty file",
        "huge.txt": "21.0 MB is over the 5 MB limit for one article",
        "nobody.html": "no article text found in the HTML",
        "feed.jsonl:2": "invalid JSON (Expecting property name enclosed in double quotes)",
        "feed.jsonl:3": "no 'text' field with article text",
    }


def test_bad_published_date_is_a_note_and_the_article_is_read(tmp_path):
    path = tmp_path / "x.md"
    path.write_text(f"---\ntitle: X\npublished: last Tuesday\n---\n{STORY}", encoding="utf-8")
    note, article = list(read_file(path, LIMIT))
    assert isinstance(note, Note) and "not an ISO date" in note.reason and "without a date" in note.reason
    assert article.title == "X" and article.published == ""


def test_every_good_article_of_a_hostile_folder_is_read_and_every_broken_file_named(tmp_path):
    broken = write_hostile_folder(tmp_path / "hostile")
    scan = scan_sources([tmp_path / "hostile"], 5_000_000)
    titles = sorted(article.title for article in scan.articles)
    for good in ("Harbour bridge reopens", "Library wins award", "Orchard harvest doubles"):
        assert good in titles
    for article in scan.articles:
        assert not CONTROL_CHARACTERS.search(article.text + article.title), article.origin
        article.text.encode("utf-8")  # no lone surrogate left
    said = [str(item) for item in scan.problems + scan.notes]
    for name, word in broken.items():
        lines = [line for line in said if f"/hostile/{name}" in line]
        assert lines, f"{name} is not named"
        assert any(word.lower() in line.lower() for line in lines), lines


def test_the_hostile_folder_indexes_without_a_traceback(tmp_path):
    write_hostile_folder(tmp_path / "hostile")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "index", str(tmp_path / "hostile"), "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NEWSBOT_LOG_LEVEL": "WARNING"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    added = int(re.search(r"(\d+) added", result.stdout).group(1))
    assert added >= len(GOOD)
    assert result.stderr.count("skipped ") >= 20


def test_a_question_with_bytes_that_are_not_utf8_gets_a_clear_error(seed_pipeline):
    from bot.pipeline import QuestionError

    with pytest.raises(QuestionError, match="not UTF-8"):
        seed_pipeline.ask("who \udcff won")
