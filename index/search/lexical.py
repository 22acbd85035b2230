"""Lexical search's words: what BM25 indexes for a chunk and how a question becomes an FTS5 query.

The index itself is an FTS5 table in each reader's catalog (index/search/catalog.py), changed an article at a
time. Its rows hold words already lower-cased, stopword-free and Snowball-stemmed by bm25s' tokenizer,
so FTS5 only splits them on spaces and ranks them with its bm25().
"""

import logging
from functools import cache

# A chunk's article title counts this many times in BM25: a title names what the article is about in
# few words. Twice gained 0.7 points of B250 on both development sets (docs/benchmarks.md).
TITLE_REPEATS = 2


@cache
def _bm25s():
    import bm25s

    # bm25s sets its logger to DEBUG when imported, which would print a line per call through ours.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, English stopwords removed, Snowball-stemmed words."""
    return _bm25s().tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)


def document_text(title: str, text: str) -> str:
    """What BM25 indexes for a chunk: its article's title, TITLE_REPEATS times, then its text."""
    return "\n".join([title] * TITLE_REPEATS + [text]) if title else text


def lexical_tokens(title: str, text: str) -> str:
    """The row FTS5 stores for a chunk: its document's words, space-separated."""
    return " ".join(tokenize([document_text(title, text)])[0])


def match_expression(query: str) -> str:
    """An FTS5 query matching chunks that hold any of the question's words ("" if it has none)."""
    words = dict.fromkeys(tokenize([query])[0])
    # Tokens are word characters only; quoting keeps FTS5 from reading one as an operator (OR, NOT).
    return " OR ".join(f'"{word}"' for word in words)
