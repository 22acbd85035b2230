"""Sentence splitting shared by the chunker and the answerer, so chunk edges and quotes agree; and
word trigrams, by which syndicated copies are told."""

import re
from functools import cache
from pathlib import Path

import numpy as np

# Sentences shorter than this are never quoted (the answerer's floor is 4 words, the verifier's 3).
SENTENCE_MIN_WORDS = 3

# Punkt's English model misses these news abbreviations and splits "Gov. J.B. Pritzker" apart.
EXTRA_ABBREVIATIONS = {
    "gov",
    "sen",
    "rep",
    "gen",
    "lt",
    "col",
    "sgt",
    "capt",
    "cmdr",
    "adm",
    "maj",
    "st",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "jr",
    "sr",
    "rev",
    "a.m",
    "p.m",
    "u.s",
    "u.k",
    "u.n",
    "e.u",
    "vs",
    "inc",
    "corp",
    "co",
    "ltd",
    "no",
    "jan",
    "feb",
    "mar",
    "apr",
    "aug",
    "sept",
    "sep",
    "oct",
    "nov",
    "dec",
    "ft",
    "mt",
    "ave",
    "blvd",
    "dept",
    "est",
    "approx",
}


@cache
def bundled_nltk_data() -> str:
    """The nltk data llama-index ships (punkt_tab, stopwords), put on nltk's path so nothing is
    downloaded. Found without importing llama-index, which costs a second on the question path."""
    from importlib.util import find_spec

    import nltk

    folder = str(Path(find_spec("llama_index.core").submodule_search_locations[0]) / "_static" / "nltk_cache")
    if folder not in nltk.data.path:
        nltk.data.path.append(folder)
    return folder


@cache
def _punkt():
    from nltk.tokenize import PunktTokenizer

    bundled_nltk_data()
    tokenizer = PunktTokenizer("english")
    tokenizer._params.abbrev_types.update(EXTRA_ABBREVIATIONS)
    return tokenizer


def split_sentences(text: str) -> list[str]:
    """Sentences of `text` in order, each with its trailing whitespace, so they join back into
    `text` exactly. A line break always ends a sentence: in news text a line is a paragraph."""
    punkt = _punkt()
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        spans = list(punkt.span_tokenize(line))
        if not spans:
            if pieces:
                pieces[-1] += line
            else:
                pieces.append(line)
            continue
        # Each piece runs to the next sentence's start, so whitespace is never lost.
        starts = [start for start, _ in spans]
        starts[0] = 0
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(line)
            pieces.append(line[start:end])
    return [p for p in pieces if p]


def sentence_texts(text: str) -> list[str]:
    """The sentences of `text` that answers may quote or a model's claims may cite, stripped: those
    of at least SENTENCE_MIN_WORDS words. Their vectors are stored with each chunk."""
    return [
        stripped for piece in split_sentences(text) if len((stripped := piece.strip()).split()) >= SENTENCE_MIN_WORDS
    ]


# Two texts whose embeddings are at least this close are compared word for word (their trigrams):
# below it they are never copies, and the comparison is skipped.
COMPARE_WORDS_ABOVE = 0.7
WORD = re.compile(r"\w+")


def trigrams(text: str) -> np.ndarray:
    """The text's word trigrams, lower-cased: what a syndicated copy shares with its original. Kept
    as their hashes, sorted, 8 bytes each: every indexed article's lead is held this way while
    stories are matched. The hashes are this process's own, compared only within it."""
    words = WORD.findall(text.lower())
    return np.unique(np.fromiter((hash(trigram) for trigram in zip(words, words[1:], words[2:])), dtype=np.int64))


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """The share of the shorter text's trigrams the other holds too; 0 when either has none."""
    shorter = min(len(a), len(b))
    return len(np.intersect1d(a, b, assume_unique=True)) / shorter if shorter else 0.0
