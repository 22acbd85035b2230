"""HTML files are decoded as a browser decodes them, and what the HTML libraries log names its page."""

import logging

import pytest

from bot.cli.main import main
from bot.pipeline import Pipeline
from bot.settings import load_settings
from index.articles.article import Note
from index.articles.files import read_file
from index.articles.reading_log import reading
from tests.conftest import make_pipeline
from tests.news_server import NewsServer

LIMIT = 5_000_000
QUOTED = (
    "The café on Hauptstraße in Zürich reopened on Tuesday, its owner Jörg Müller said, after a déjà vu of a flood."
)
FILLER = "The river rose by two metres overnight and the town council met to discuss new flood barriers for the old quarter. "


def page(charset_tag: str, sentence: str = QUOTED) -> str:
    return (
        f"<html><head>{charset_tag}<title>Flood in Zürich</title></head><body><article><h1>Flood in Zürich</h1>"
        f"<p>{FILLER * 3}</p><p>{sentence}</p><p>{FILLER * 2}</p></article></body></html>"
    )


LATIN_1 = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'


def read(path):
    items = list(read_file(path, LIMIT))
    return [i for i in items if isinstance(i, Note)], [i for i in items if not isinstance(i, Note)]


def test_a_latin_1_page_declaring_its_charset_is_read_without_a_note(tmp_path):
    path = tmp_path / "latin1.html"
    path.write_bytes(page(LATIN_1).encode("latin-1"))
    notes, (article,) = read(path)
    assert notes == []
    assert QUOTED in article.text and article.title == "Flood in Zürich"


@pytest.mark.parametrize(
    "name, raw, noted",
    [
        (
            "lying.html",
            page('<meta charset="utf-8">').encode("latin-1"),
            "declares UTF-8 but is not UTF-8; read as cp1252, a guess",
        ),
        ("undeclared.html", page("").encode("cp1252"), "declares no charset and is not UTF-8; read as cp1252, a guess"),
        (
            "klingon.html",
            page('<meta charset="x-klingon">').encode("utf-8"),
            "declares charset 'x-klingon', which is unknown",
        ),
    ],
)
def test_a_page_whose_charset_is_missing_wrong_or_unknown_is_read_with_a_note_naming_it(tmp_path, name, raw, noted):
    path = tmp_path / name
    path.write_bytes(raw)
    notes, (article,) = read(path)
    assert [n.where for n in notes] == [str(path)] and noted in notes[0].reason
    assert QUOTED in article.text


def test_a_page_mixing_encodings_is_read_with_the_bad_bytes_replaced_and_a_note(tmp_path):
    path = tmp_path / "mixed.html"
    path.write_bytes(
        page('<meta charset="utf-8">', "Ça va très bien, said the mayor of the flooded town on Tuesday.")
        .encode("utf-8")
        .replace("très".encode(), "très".encode("latin-1"))
    )
    notes, (article,) = read(path)
    assert "bytes that are not UTF-8 were replaced" in notes[0].reason
    assert "Ça va tr\ufffds bien" in article.text


def test_a_declared_charset_the_bytes_break_is_read_with_replacements_and_a_note(tmp_path):
    path = tmp_path / "sjis.html"
    path.write_bytes(page('<meta charset="shift_jis">').encode("utf-8") + b"\x82")
    notes, (article,) = read(path)
    assert "bytes that are not" in notes[0].reason and "cp932" in notes[0].reason
    assert "Flood" in article.title


def test_plain_text_keeps_the_strict_rule(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(f"Flood\n\n{QUOTED}".encode("latin-1"))
    (problem,) = list(read_file(path, LIMIT))
    assert "not UTF-8 text" in problem.reason and "save it as UTF-8" in problem.reason


def test_an_html_librarys_log_line_names_the_page_it_came_from(caplog):
    with caplog.at_level(logging.WARNING), reading("archive/page-7.html"):
        logging.getLogger("trafilatura.core").warning("parsed tree length: %s, wrong data type or not valid HTML", 1)
        logging.getLogger("trafilatura.core").warning("discarding data: %s", None)
    # (pytest's capture also listens on the libraries' own loggers; what reaches stderr is newsbot's.)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("newsbot")] == [
        "archive/page-7.html: trafilatura, reading it, said: parsed tree length: 1, wrong data type or not valid HTML"
    ]


def test_a_page_with_no_article_is_named_once_and_no_library_line_goes_unattributed(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty-shell.html").write_text("<html><head><title>Nothing</title></head></html>", encoding="utf-8")
    (corpus / "latin1.html").write_bytes(page(LATIN_1).encode("latin-1"))
    assert main(["index", str(corpus), "--data-dir", str(tmp_path / "data")]) == 0
    err = capsys.readouterr().err
    assert "empty-shell.html: no article text found in the HTML" in err
    assert "discarding data" not in err


def test_a_latin_1_page_is_indexed_and_its_sentence_quoted_verbatim(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "flood.html").write_bytes(page(LATIN_1).encode("latin-1"))
    pipeline = Pipeline(load_settings({"NEWSBOT_DATA_DIR": str(tmp_path / "data"), "NEWSBOT_SOURCES": str(corpus)}))
    report = pipeline.index()
    assert report.added == 1 and report.notes == []
    answer = pipeline.ask("Who owns the café on Hauptstraße in Zürich?")
    assert QUOTED in answer.text


FAIR = (
    "The crêpe stall at the Fête de la Musique in Besançon drew a record crowd on Sunday, its owner Hélène Dubois said."
)


@pytest.fixture
def site():
    server = NewsServer()
    yield server
    server.close()


def test_a_fetched_page_is_decoded_by_the_charset_its_server_sends(site, tmp_path):
    """Before the page's own declaration, as a browser does; a charset the server names but no one
    knows is noted against the page, which is then read by its own declaration."""
    site.set("/flood", page("").encode("latin-1"), "text/html; charset=iso-8859-1")
    site.set(
        "/fair",
        page(LATIN_1, FAIR).replace("Flood in Zürich", "Fair in Besançon").encode("latin-1"),
        "text/html; charset=x-klingon",
    )
    pipeline = make_pipeline(tmp_path / "data", NEWSBOT_FETCH_DELAY="0", NEWSBOT_FETCH_TIMEOUT="5")
    report = pipeline.index([site.url("/flood"), site.url("/fair")])
    assert (report.added, report.failed) == (2, 0)
    assert [(note.where, note.reason) for note in report.notes] == [
        (
            site.url("/fair"),
            "the server sends charset 'x-klingon', which is unknown; read by the page's own declaration",
        )
    ]
    assert QUOTED in pipeline.ask("Who owns the café on Hauptstraße in Zürich?").text
    assert FAIR in pipeline.ask("Who owns the crêpe stall in Besançon?").text
