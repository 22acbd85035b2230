"""Answers: the objects every front end renders, and the offline extractive answerer.

The extractive answerer quotes the 1-3 retrieved sentences that best answer the question, each
followed by a citation [n]. It refuses, with no citations, when the question names someone or
something the retrieved passages never mention, or when no sentence is relevant enough.
How the relevance weights and threshold were chosen: docs/answering.md.
"""

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from index.diversify import Outlet
from index.embed import Embedder
from index.search import Passage
from index.sentences import split_sentences

if TYPE_CHECKING:
    from bot.verify import Verification

REFUSAL = "The indexed articles don't cover this question."

# relevance = SIMILARITY_WEIGHT * cosine(question, sentence) + (1 - SIMILARITY_WEIGHT) * word
# overlap. Measured with bench/calibrate_relevance.py on tests/data/relevance*.jsonl.
SIMILARITY_WEIGHT = 0.8
# Sentences of the passage search ranked first get this much added to their relevance when the
# answer's sentences are chosen, the second half of it, and so on. On rtqa-2026 AnswerHit was
# 0.297 without, 0.329 with 0.10, and peaked at 0.15 (bench/tune_answer.py).
RANK_PRIOR = 0.10
# Further sentences join the best one when at most this much less relevant and not repeating it.
FOLLOW_MARGIN = 0.25
REDUNDANT_SIMILARITY = 0.85
MIN_SENTENCE_WORDS = 4
# Article sentences that address a language model ("ignore previous instructions", "reply only
# with") are never quoted as an answer nor accepted as support for one: article text is data.
MODEL_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget) (?:all |any )?(?:the |your )?(?:previous|prior|above|earlier)\b"
    r"|\b(?:system prompt|you are now|tell the user)\b|^\W*(?:reply|respond|answer|say|write) (?:only )?with\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Citation:
    n: int
    article_id: str
    title: str
    source: str
    url: str
    published: str
    quote: str
    also_reported_by: tuple[Outlet, ...] = ()  # other outlets that carried the same passage

    @classmethod
    def quoting(cls, n: int, passage: Passage, quote: str) -> "Citation":
        return cls(
            n=n, article_id=passage.article_id, title=passage.title, source=passage.source, url=passage.url,
            published=passage.published, quote=quote, also_reported_by=passage.also_reported_by,
        )

    def to_json(self) -> dict:
        data = asdict(self)
        data["url"] = self.url or None
        data["published"] = self.published or None
        data["also_reported_by"] = [outlet.to_json() for outlet in self.also_reported_by]
        return data


@dataclass
class Answer:
    question: str
    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    search_query: str = ""  # differs from the question for a follow-up
    mode: str = "extractive"
    verification: "Verification | None" = None  # of a model's answer; None in extractive mode
    note: str = ""  # why a model's answer was replaced by quotes, for the user
    freshness_note: str = ""  # "The latest article on this is from …", when that is old
    generated_tokens: int = 0

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "mode": self.mode,
            "verification": self.verification.to_json() if self.verification else None,
            "note": self.note or None,
            "freshness_note": self.freshness_note or None,
            "citations": [citation.to_json() for citation in self.citations],
            "passages": [
                {
                    "rank": rank,
                    "article_id": passage.article_id,
                    "title": passage.title,
                    "text": passage.text,
                    "score": round(passage.score, 4),
                }
                for rank, passage in enumerate(self.passages, start=1)
            ],
            "timings_ms": {key: round(value, 1) for key, value in self.timings_ms.items()},
        }


@dataclass(frozen=True, eq=False)
class Candidate:
    sentence: str
    passage: Passage
    similarity: float
    overlap: float
    vector: np.ndarray
    rank: int  # of its passage among the search results, 0 = best


def quotable(sentence: str) -> bool:
    """Whether a sentence may be quoted as an answer: long enough, not addressed to a model, and
    not the article's own question ("What is the new flu strain?"), which is a heading, never an
    answer."""
    return len(sentence.split()) >= MIN_SENTENCE_WORDS and not addresses_a_model(sentence) and not sentence.endswith("?")


class ExtractiveAnswerer:
    def __init__(
        self,
        embedder: Embedder,
        min_relevance: float,
        similarity_weight: float = SIMILARITY_WEIGHT,
        follow_margin: float = FOLLOW_MARGIN,
        max_sentences: int = 3,
    ):
        self.embedder = embedder
        self.min_relevance = min_relevance
        self.similarity_weight = similarity_weight
        self.follow_margin = follow_margin
        self.max_sentences = max_sentences

    def answer(self, question: str, passages: list[Passage]) -> tuple[str, bool, list[Citation]]:
        """(answer text, refused, citations)."""
        missing = missing_names(question, passages)
        if missing:
            listed = ", ".join(missing[:3])
            return f"{REFUSAL} None of the passages found mention {listed}.", True, []
        return self.compose(self.rank(self.candidates(question, passages)))

    def candidates(self, question: str, passages: list[Passage]) -> list[Candidate]:
        """Every distinct sentence of the passages, scored against the question."""
        seen: set[str] = set()
        found: list[tuple[str, Passage, int]] = []
        for rank, passage in enumerate(passages):
            for piece in split_sentences(passage.readable_text):
                sentence = piece.strip()
                if sentence in seen or not quotable(sentence):
                    continue
                seen.add(sentence)
                found.append((sentence, passage, rank))
        if not found:
            return []
        question_vector = self.embedder.embed_query(question)
        vectors = self.embedder.embed_sentences([sentence for sentence, _, _ in found])
        question_words = content_words(question)
        return [
            Candidate(sentence, passage, float(vector @ question_vector), word_overlap(question_words, sentence), vector, rank)
            for (sentence, passage, rank), vector in zip(found, vectors)
        ]

    def relevance(self, candidate: Candidate) -> float:
        return self.similarity_weight * candidate.similarity + (1 - self.similarity_weight) * candidate.overlap

    def addresses(self, question: str, sentences: list[str]) -> bool:
        """Whether any of `sentences` (a model's answer) is as relevant to the question as a
        quoted sentence must be."""
        if not sentences:
            return False
        question_vector = self.embedder.embed_query(question)
        question_words = content_words(question)
        relevances = [
            self.similarity_weight * float(vector @ question_vector) + (1 - self.similarity_weight) * word_overlap(question_words, sentence)
            for sentence, vector in zip(sentences, self.embedder.embed(sentences))
        ]
        return max(relevances) >= self.min_relevance

    def priority(self, candidate: Candidate) -> float:
        """Relevance, plus a little for sentences of passages that search ranked higher: search
        weighs names, dates and the time asked about, which sentence similarity doesn't see."""
        return self.relevance(candidate) + RANK_PRIOR / (1 + candidate.rank)

    def rank(self, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates relevant enough to quote, by priority."""
        relevant = [candidate for candidate in candidates if self.relevance(candidate) >= self.min_relevance]
        return sorted(relevant, key=self.priority, reverse=True)

    def compose(self, ranked: list[Candidate]) -> tuple[str, bool, list[Citation]]:
        if not ranked:
            return REFUSAL, True, []
        chosen = [ranked[0]]
        floor = self.relevance(ranked[0]) - self.follow_margin
        for candidate in ranked[1:]:
            if len(chosen) == self.max_sentences:
                break
            if self.relevance(candidate) < floor:
                continue
            if all(float(candidate.vector @ other.vector) < REDUNDANT_SIMILARITY for other in chosen):
                chosen.append(candidate)
        citations = [Citation.quoting(n, candidate.passage, candidate.sentence) for n, candidate in enumerate(chosen, start=1)]
        text = " ".join(f"{citation.quote} [{citation.n}]" for citation in citations)
        return text, False, citations


WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
CAPITALISED = re.compile(r"\b[A-Z][\w.’'-]*")
# A question's first word is capitalised because it comes first, not because it is a name.
QUESTION_OPENERS = {
    "what", "who", "whom", "whose", "where", "when", "why", "how", "which", "is", "are", "was",
    "were", "did", "does", "do", "has", "have", "had", "can", "could", "will", "would", "should",
    "tell", "list", "give", "name", "explain", "describe", "show", "summarise", "summarize",
}
CALENDAR_WORDS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
}
# Two spellings of a name match when they share this long a prefix (Zelensky / Zelenskyy,
# Russian / Russia), but no shorter than NAME_PREFIX_MIN characters.
NAME_PREFIX_SLACK = 2
NAME_PREFIX_MIN = 5


def addresses_a_model(sentence: str) -> bool:
    return bool(MODEL_INSTRUCTION.search(sentence))


def names_in(text: str) -> list[str]:
    """Capitalised words of a question or sentence that are names, not question words or stopwords."""
    names = []
    for match in CAPITALISED.finditer(text):
        name = re.sub(r"(['’]s)?[.’'-]*$", "", match.group())
        lowered = name.lower()
        if not name or lowered in _stopwords() or (match.start() == 0 and lowered in QUESTION_OPENERS):
            continue
        names.append(name)
    return names


def missing_names(question: str, passages: list[Passage]) -> list[str]:
    """Names in the question that no passage (text or title) mentions. News questions about
    someone the articles never name ("What did Erdogan say?") can't be answered from them, however
    similar the rest of the wording; this catches what embedding similarity can't."""
    # A date in the question ("in June 2025", "on Monday") is matched by search, not by name.
    names = [name for name in names_in(question) if name.lower() not in CALENDAR_WORDS]
    if not names:
        return []
    vocabulary = vocabulary_of(" ".join(f"{passage.title} {passage.readable_text}" for passage in passages))
    return [name for name in names if not mentioned(name, vocabulary)]


def vocabulary_of(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower().replace(".", "")))


def mentioned(name: str, vocabulary: set[str]) -> bool:
    for part in re.findall(r"\w+", name.lower().replace(".", "")):
        if part in vocabulary:
            return True
        if len(part) >= NAME_PREFIX_MIN and any(
            word.startswith(_name_prefix(part)) or part.startswith(_name_prefix(word))
            for word in vocabulary
            if len(word) >= NAME_PREFIX_MIN
        ):
            return True
    return False


def _name_prefix(word: str) -> str:
    return word[: max(NAME_PREFIX_MIN, len(word) - NAME_PREFIX_SLACK)]


@cache
def _stopwords() -> frozenset[str]:
    from llama_index.core.utils import globals_helper

    return frozenset(globals_helper.stopwords) | {"say", "said", "says", "tell", "according"}


@cache
def _stem(word: str) -> str:
    return _stemmer().stem(word)


@cache
def _stemmer():
    from nltk.stem.snowball import EnglishStemmer

    return EnglishStemmer()


def words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    return WORD.findall(folded)


def content_words(text: str) -> frozenset[str]:
    stop = _stopwords()
    return frozenset(_stem(w) for w in words(text) if w not in stop and len(w) > 1)


def word_overlap(question_words: frozenset[str], sentence: str) -> float:
    """Share of the question's content words (stemmed) that the sentence contains."""
    if not question_words:
        return 0.0
    return len(question_words & content_words(sentence)) / len(question_words)
