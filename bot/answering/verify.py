"""Citation verification: every sentence of a model's answer is checked against the passages the
model was given, and keeps a citation only to a passage that supports it.

A sentence is supported by a span of a passage (one sentence, or two adjacent ones in a paragraph) when
  - support = SIMILARITY_WEIGHT * cosine(sentence, span) + (1 - SIMILARITY_WEIGHT) * coverage
    reaches MIN_SUPPORT, coverage being the share of the sentence's content words (stemmed) that
    the span contains; and
  - every number and name in the sentence occurs in the span or its article's title, and a negated
    sentence is matched by a negated span.
The constants were chosen with bench/tuning/calibrate_verification.py on tests/data/verification.jsonl
and checked on tests/data/verification_heldout.jsonl; docs/answering.md has the figures.

Sentences citing a supporting passage are kept; those citing nothing, a wrong passage or a number
that doesn't exist are re-attached to the passage that supports them (moved); the rest are
removed. The quote shown for each citation is the supporting span, verbatim from the passage.
"""

import re
from dataclasses import dataclass, replace

import numpy as np

from bot.answering.names import mentioned, names_in, vocabulary_of
from bot.answering.quoting import addresses_a_model
from bot.answering.results import Citation, Verification
from bot.answering.words import content_words, words
from index.articles.sentences import split_sentences
from index.embedding.embedder import Embedder
from index.search.searcher import Passage

SIMILARITY_WEIGHT = 0.7
MIN_SUPPORT = 0.64
MIN_CLAIM_WORDS = 3
# The prompt asks for 1-3 sentences; a model that goes on is cut after this many supported ones.
MAX_ANSWER_SENTENCES = 4

# "[1]", "[1, 2]", "[2-3]", "[Passage 1]", "【1】"
MARKER = re.compile(
    r"\s*(?:\[|【)\s*(?:(?:passages?|sources?|source|#)\s*)?(\d+(?:\s*(?:[,;–-]|and)\s*\d+)*)\s*(?:\]|】)",
    re.IGNORECASE,
)
LIST_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
NEGATIONS = {"not", "no", "never", "nor", "neither", "none", "nobody", "nothing", "without", "cannot"}
NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "first": "1",
    "second": "2",
    "third": "3",
    "fourth": "4",
    "fifth": "5",
    "dozen": "12",
}
# A model saying the passages don't answer; such a sentence is a refusal, not a claim.
MODEL_REFUSAL = re.compile(
    r"\b(?:(?:do|does|did)(?: not|n't) (?:cover|contain|mention|say|state|include|provide|answer|address)"
    r"|not (?:covered|mentioned|stated|provided|specified)|no (?:information|mention|details?)"
    r"|(?:cannot|can't|unable to) (?:answer|find|determine|tell)|don't cover)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Claim:
    text: str  # the sentence without its citation markers
    cited: tuple[int, ...]  # passage numbers as the model wrote them, 1-based, valid or not


@dataclass(frozen=True, eq=False)
class Span:
    passage: int  # 0-based index into the passages
    quote: str  # verbatim from the passage text
    words: frozenset[str]
    numbers: frozenset[str]  # of the span
    names: frozenset[str]  # words of the passage and its article's title: "He said" names someone earlier
    negated: bool
    vector: np.ndarray
    sentences: int


@dataclass(frozen=True)
class Support:
    span: Span
    similarity: float
    coverage: float
    consistent: bool  # names, numbers and negation agree

    def score(self, weight: float) -> float:
        return weight * self.similarity + (1 - weight) * self.coverage


@dataclass
class Verified:
    text: str
    citations: list[Citation]
    verification: Verification
    refused: bool  # the model said the passages don't answer the question
    sentences: list[str]  # the answer's supported sentences, without markers


def parse_claims(answer: str) -> list[Claim]:
    """The answer's sentences with their [n] markers taken out. Markers standing alone, or opening
    a sentence that follows one without markers, belong to the sentence before."""
    claims: list[tuple[str, list[int]]] = []
    for piece in split_sentences(answer.replace("\r", "")):
        leading: list[int] = []
        rest = piece
        while match := MARKER.match(rest):
            leading.extend(_numbers(match.group(1)))
            rest = rest[match.end() :]
        cited = [n for match in MARKER.finditer(rest) for n in _numbers(match.group(1))]
        text = LIST_BULLET.sub("", MARKER.sub("", rest))
        text = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(text.split()))
        if claims and leading and (not text or not claims[-1][1]):
            claims[-1][1].extend(leading)
        else:
            cited = leading + cited
        if text:
            claims.append((text, cited))
        elif claims:
            claims[-1][1].extend(cited)
    return [Claim(text, tuple(dict.fromkeys(cited))) for text, cited in claims]


def _numbers(group: str) -> list[int]:
    found = []
    for part in re.split(r"\s*(?:[,;]|and)\s*", group):
        low, _, high = part.partition("-") if "-" in part else part.partition("–")
        if high and low.strip().isdigit() and high.strip().isdigit() and int(high) - int(low) < 10:
            found.extend(range(int(low), int(high) + 1))
        elif part.strip().isdigit():
            found.append(int(part))
    return found


def specifics(text: str) -> tuple[set[str], list[str]]:
    """The numbers (digits, or number words as digits) and names a sentence asserts."""
    numbers = {re.sub(r"[,.]", "", n) for n in re.findall(r"\d[\d,.]*\d|\d", text)}
    numbers |= {NUMBER_WORDS[w] for w in words(text) if w in NUMBER_WORDS}
    return numbers, names_in(text)


def is_negated(word_list: list[str]) -> bool:
    return any(w in NEGATIONS or w.endswith("n't") for w in word_list)


class CitationVerifier:
    def __init__(
        self, embedder: Embedder, similarity_weight: float = SIMILARITY_WEIGHT, min_support: float = MIN_SUPPORT
    ):
        self.embedder = embedder
        self.similarity_weight = similarity_weight
        self.min_support = min_support

    def spans(self, passages: list[Passage]) -> list[Span]:
        """Each passage's sentences, and pairs of adjacent sentences within a paragraph, except
        sentences that address a language model: they are data and never back a claim, so an answer
        obeying them finds no support. A pair's vector is the normalised sum of its sentences'."""
        found: list[tuple[int, int, int, str]] = []  # passage, start, end, sentence
        for p, passage in enumerate(passages):
            start = 0
            for piece in split_sentences(passage.readable_text):
                stripped = piece.strip()
                if len(stripped.split()) >= MIN_CLAIM_WORDS and not addresses_a_model(stripped):
                    offset = start + piece.index(stripped[0])
                    found.append((p, offset, offset + len(stripped), stripped))
                start += len(piece)
        if not found:
            return []
        vectors = self.embedder.embed_sentences(
            [sentence for *_, sentence in found], [passage.sentence_vectors for passage in passages]
        )
        names = [frozenset(vocabulary_of(f"{passage.title} {passage.readable_text}")) for passage in passages]
        spans = [
            self._span(p, passages[p].readable_text[a:b], vector, 1, names[p])
            for (p, a, b, _), vector in zip(found, vectors)
        ]
        for i in range(len(found) - 1):
            (p, a, end, _), (q, start, b, _) = found[i], found[i + 1]
            # Pairs stay inside a paragraph, as quotes do: the text between them is only spaces.
            if p == q and not passages[p].readable_text[end:start].strip(" \t"):
                summed = vectors[i] + vectors[i + 1]
                spans.append(
                    self._span(p, passages[p].readable_text[a:b], summed / np.linalg.norm(summed), 2, names[p])
                )
        return spans

    @staticmethod
    def _span(p: int, quote: str, vector: np.ndarray, sentences: int, names: frozenset[str]) -> Span:
        quote_words = words(quote)
        return Span(
            p,
            quote,
            content_words(quote),
            frozenset(specifics(quote)[0]),
            names,
            is_negated(quote_words),
            vector,
            sentences,
        )

    def measure(self, claims: list[Claim], spans: list[Span]) -> list[list[Support]]:
        """Per claim, its support by every span."""
        if not claims or not spans:
            return [[] for _ in claims]
        claim_vectors = self.embedder.embed([claim.text for claim in claims])
        span_vectors = np.stack([span.vector for span in spans])
        similarities = claim_vectors @ span_vectors.T
        measured = []
        for claim, row in zip(claims, similarities):
            claim_words = content_words(claim.text)
            numbers, names = specifics(claim.text)
            negated = is_negated(words(claim.text))
            supports = []
            for span, similarity in zip(spans, row):
                coverage = len(claim_words & span.words) / len(claim_words) if claim_words else 0.0
                consistent = (
                    numbers <= span.numbers
                    and all(mentioned(name, span.names) for name in names)
                    and span.negated == negated
                )
                supports.append(Support(span, float(similarity), coverage, consistent))
            measured.append(supports)
        return measured

    def best_support(self, supports: list[Support], passage: int | None = None) -> Support | None:
        """The strongest consistent support reaching MIN_SUPPORT (from `passage` only, if given);
        a single sentence is preferred to a pair when it is enough on its own."""
        passing = [
            s
            for s in supports
            if s.consistent
            and s.score(self.similarity_weight) >= self.min_support
            and (passage is None or s.span.passage == passage)
        ]
        if not passing:
            return None
        return max(passing, key=lambda s: (s.span.sentences == 1, s.score(self.similarity_weight)))

    def verify(self, answer: str, passages: list[Passage]) -> Verified:
        claims = parse_claims(answer)
        measured = self.measure(claims, self.spans(passages))
        kept = moved = removed = 0
        refusal_seen = False
        sentences: list[tuple[str, Support]] = []
        for claim, supports in zip(claims, measured):
            valid = [n - 1 for n in claim.cited if 1 <= n <= len(passages)]
            cited_support = [s for s in (self.best_support(supports, p) for p in valid) if s]
            if cited_support:
                kept += 1
                sentences.append((claim.text, max(cited_support, key=lambda s: s.score(self.similarity_weight))))
                continue
            support = self.best_support(supports) if len(claim.text.split()) >= MIN_CLAIM_WORDS else None
            if support is not None:
                moved += 1
                sentences.append((claim.text, support))
            else:
                refusal_seen = refusal_seen or bool(MODEL_REFUSAL.search(claim.text))
                removed += 1
        supported = kept + moved
        refused = supported == 0 and refusal_seen
        fallback = not refused and (supported == 0 or removed > supported)
        shown = sentences[:MAX_ANSWER_SENTENCES]
        text, citations = self.cite(shown, passages)
        return Verified(
            text, citations, Verification(kept, moved, removed, fallback), refused, [claim for claim, _ in shown]
        )

    @staticmethod
    def cite(sentences: list[tuple[str, Support]], passages: list[Passage]) -> tuple[str, list[Citation]]:
        """The answer text with one [n] per sentence, and one citation per article, numbered by
        first use, holding every quote that supports a sentence."""
        by_article: dict[str, Citation] = {}
        parts = []
        for text, support in sentences:
            passage = passages[support.span.passage]
            known = by_article.get(passage.article_id)
            if known is None:
                known = by_article[passage.article_id] = Citation.quoting(
                    len(by_article) + 1, passage, support.span.quote
                )
            elif support.span.quote not in known.quotes:
                by_article[passage.article_id] = replace(known, more_quotes=known.more_quotes + (support.span.quote,))
            parts.append(f"{text} [{known.n}]")
        return " ".join(parts), list(by_article.values())
