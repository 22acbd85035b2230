"""Quotable spans: the labelled answer-shape cases of tests/data/answer_shape.jsonl. Its dev half was
used to write the rules; the held-out half was not, and is held to a floor, not to every case."""

import json
from pathlib import Path

import pytest

from bot.answering.quoting import is_balanced, sentences_of, shape_problems, span_text, widen

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "answer_shape.jsonl").read_text(encoding="utf-8").splitlines()
]


def quoted(case) -> str | None:
    sentences = sentences_of(case["text"])
    chosen = next(i for i, sentence in enumerate(sentences) if sentence.text == case["sentence"])
    span = widen(sentences, chosen)
    return None if span is None else " ".join(span_text(case["text"], sentences, span).split())


@pytest.mark.parametrize("case", [c for c in CASES if c["split"] == "dev"], ids=lambda c: f"{c['id']}-{c['kind']}")
def test_dev_cases_quote_the_expected_span(case):
    assert quoted(case) == case["quote"]


def test_held_out_cases_mostly_quote_the_expected_span():
    held_out = [c for c in CASES if c["split"] == "heldout"]
    right = sum(quoted(case) == case["quote"] for case in held_out)
    # 11 of 12 when first measured (bench/shape_cases.py); the miss is "rejected that idea", a
    # demonstrative after a verb.
    assert right >= len(held_out) - 1


def test_every_span_is_verbatim_and_balanced():
    for case in CASES:
        sentences = sentences_of(case["text"])
        for chosen in range(len(sentences)):
            span = widen(sentences, chosen)
            if span is not None:
                text = span_text(case["text"], sentences, span)
                assert text in case["text"]
                assert is_balanced(text), text


def test_sentences_keep_their_offsets():
    text = "One.\nTwo says “three. Four.”\n\n1. Five."
    for sentence in sentences_of(text):
        assert text[sentence.start : sentence.end] == sentence.text
    assert [s.text for s in sentences_of(text)][-1] == "1. Five."


@pytest.mark.parametrize(
    "quote, problems",
    [
        ("The talks resumed in Istanbul on Monday.", []),
        ("“Second — the release of prisoners.", ["unbalanced quotes", "fragment"]),
        ("and then the talks resumed.", ["fragment"]),
        ("He clearly outlined Ukraine’s expectations:", ["fragment", "dangling reference"]),
        ("The minister said the talks would", ["fragment"]),
    ],
)
def test_shape_problems_name_what_reads_badly(quote, problems):
    assert shape_problems(quote) == problems
