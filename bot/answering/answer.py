"""The offline extractive answerer (the answers it gives are bot/answering/results.py).

The extractive answerer quotes the retrieved sentence that best answers the question, widened into
a span that reads on its own (bot/answering/quoting.py), followed by a citation [n]; with the
weighted picker, a second one when the two can't be told apart. It refuses, with no citations, when the question names someone or
something the retrieved passages never mention, when the article of the best sentence lacks one of
the question's distinguishing words (Peace, 2019), or when no sentence is likely enough to answer.

Sentences are picked by the learned answer picker (bot/answering/picker.py), a logistic model over
each sentence's features (`sentence_features`) whose probability is also the refusal gate; or, with
NEWSBOT_ANSWER_PICKER=weighted, by the hand-weighted relevance it replaced. How each was chosen:
docs/answering.md.
"""

import math
from dataclasses import dataclass, replace

import numpy as np

from bot.answering.answer_type import highlight, kind_spans
from bot.answering.features import age_in_days, sentence_features
from bot.answering.names import about_another, missing_names, unmatched_terms
from bot.answering.picker import AnswerPicker
from bot.answering.question import Question
from bot.answering.quoting import (
    Sentence,
    addresses_a_model,
    ends_a_sentence,
    is_lead_in,
    refers_back,
    sentences_of,
    shape_problems,
    span_text,
    widen,
)
from bot.answering.reader import Reader
from bot.answering.results import REFUSAL, Citation
from bot.answering.words import rare_word_overlaps, word_overlap
from index.embedding.embedder import Embedder
from index.search.searcher import Passage

# relevance = SIMILARITY_WEIGHT * cosine(question, sentence) + (1 - SIMILARITY_WEIGHT) * word
# overlap. Measured with bench/tuning/calibrate_relevance.py on tests/data/relevance*.jsonl.
SIMILARITY_WEIGHT = 0.8
# Sentences of the passage search ranked first get this much added to their priority when the
# answer's sentence is chosen, the second half of it, and so on (bench/tuning/tune_answer.py).
RANK_PRIOR = 0.10
# A sentence holding the kind of thing the question asks for (who: a person, where: a place, when: a
# date, how many: a number) gets this much more priority.
KIND_BONUS = 0.10
# Priority weight of the question's words a sentence holds, each weighted by its rarity among the
# candidates. Off: it gained on rtqa-2026 and lost on the 2025 weeks (docs/answering.md).
RARE_WORDS_WEIGHT = 0.0
# A sentence that leans on the one before it ("He said…") loses to a self-contained one at most this
# much lower in priority.
SELF_CONTAINED_MARGIN = 0.10
# Once the best sentence passes the refusal gate, sentences this much less relevant than the gate may
# still be quoted when their priority puts them first.
QUOTE_FLOOR_SLACK = 0.05
# A second quote joins the first only when its priority ties with it, within this margin: the
# answerer can't tell them apart, so the reader sees both.
TIE_MARGIN = 0.05
REDUNDANT_SIMILARITY = 0.85
MIN_SENTENCE_WORDS = 4


@dataclass(frozen=True, eq=False)
class Candidate:
    sentence: str
    passage: Passage
    similarity: float
    overlap: float
    vector: np.ndarray
    rank: int  # of its passage among the search results, 0 = best
    context: tuple[Sentence, ...]  # the passage's sentences, for widening into a span
    index: int  # of this sentence in `context`
    of_kind: bool = False  # holds a thing of the kind the question asks for (a name, number, date)
    rare_overlap: float = 0.0  # word overlap weighted by how few of the candidates hold each word
    confidence: float | None = None  # the learned picker's probability that it answers, once scored
    short: tuple[int, int] | None = None  # the reader's short answer: offsets in `sentence`


@dataclass(frozen=True)
class Quote:
    candidate: Candidate
    text: str  # verbatim from the passage: the sentence widened into a span that reads on its own
    highlight: str = ""


def quotable(sentence: str) -> bool:
    """Whether a sentence may be quoted as an answer: long enough, starting as a sentence does, not
    addressed to a model, not the article's own question ("What is the new flu strain?"), and
    ending as a sentence does (or as a lead-in to a list): a line with no full stop is a heading or
    caption, never an answer."""
    return (
        len(sentence.split()) >= MIN_SENTENCE_WORDS
        and not sentence.split()[0].islower()  # cut from another sentence by the splitter ("iPhone" is fine)
        and not addresses_a_model(sentence)
        and not sentence.endswith("?")
        and (ends_a_sentence(sentence) or is_lead_in(sentence))
    )


def log_odds(probability: float) -> float:
    probability = min(max(probability, 1e-6), 1 - 1e-6)
    return math.log(probability / (1 - probability))


def blended(reading: float, picked: float, picker_weight: float) -> float:
    """The reader's probability with the linear picker's log-odds added at `picker_weight`."""
    if not picker_weight:
        return reading
    return 1.0 / (1.0 + math.exp(-(log_odds(reading) + picker_weight * log_odds(picked))))


class ExtractiveAnswerer:
    def __init__(
        self,
        embedder: Embedder,
        min_relevance: float,
        similarity_weight: float = SIMILARITY_WEIGHT,
        picker: AnswerPicker | None = None,
        min_confidence: float = 0.15,
        reader: Reader | None = None,
        reader_candidates: int = 16,
        reader_picker_weight: float = 0.0,
    ):
        self.embedder = embedder
        self.min_relevance = min_relevance
        self.similarity_weight = similarity_weight
        self.picker = picker
        self.min_confidence = min_confidence  # of the reader when there is one, else of the picker
        self.reader = reader
        self.reader_candidates = reader_candidates
        self.reader_picker_weight = reader_picker_weight

    def answer(self, question: Question, passages: list[Passage], avoid: str = "") -> tuple[str, bool, list[Citation]]:
        """(answer text, refused, citations), as of the day `question` is asked on. Sentences quoted
        in `avoid` (the previous answer of a follow-up) are passed over while others are relevant
        enough."""
        missing = missing_names(question.names, passages)
        if missing:
            listed = ", ".join(missing[:3])
            return f"{REFUSAL} None of the passages found mention {listed}.", True, []
        candidates = self.candidates(question, passages)
        if self.picker is not None:
            candidates = self.scored(question, candidates)
            if self.reader is not None:
                candidates = self.read(question, candidates)
            best = max(candidates, key=lambda c: c.confidence, default=None)
            if best is not None and best.confidence < self.min_confidence and self.reader is not None:
                return f"{REFUSAL} The closest article found is “{best.passage.title}”.", True, []
            if best is not None and best.confidence >= self.min_confidence:
                lacking = {p.article_id: unmatched_terms(question.terms, p, passages) for p in passages}
                if lacking[best.passage.article_id]:
                    candidates = [c for c in candidates if not lacking[c.passage.article_id]]
                    if max((c.confidence for c in candidates), default=0.0) < self.min_confidence:
                        absent = " or ".join(lacking[best.passage.article_id][:3])
                        return (
                            f"{REFUSAL} The closest article found, “{best.passage.title}”, doesn't mention {absent}.",
                            True,
                            [],
                        )
        ranked = self.rank(candidates)
        fresh = [candidate for candidate in ranked if candidate.sentence not in avoid] if avoid else ranked
        return self.compose(question, fresh or ranked)

    def scored(self, question: Question, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates with the learned picker's confidence that each answers, as of the day the
        question is asked on."""
        rows = self.features(question, candidates)
        return [replace(c, confidence=float(p)) for c, p in zip(candidates, self.picker.confidences(rows))]

    @staticmethod
    def features(question: Question, candidates: list[Candidate]) -> np.ndarray:
        """The learned picker's features of each candidate, a row each (bot/answering/features.py)."""
        return np.array(
            [
                sentence_features(
                    question,
                    c.sentence,
                    c.similarity,
                    c.passage.title,
                    c.passage.position == 0 and c.index == 0,
                    c.rank,
                    age_in_days(c.passage.published, question.asked_on),
                )
                for c in candidates
            ]
        )

    def read(self, question: Question, candidates: list[Candidate]) -> list[Candidate]:
        """The linear picker's best `reader_candidates`, with the reader's probability (its log-odds
        plus `reader_picker_weight` times the picker's) as their confidence and its short answer; the
        others can't win and are dropped. A sentence about another one of what the question names
        ("the Ukrainian delegation" for the Russian one) is not read while others are: the reader
        can't tell such neighbours apart."""
        ranked = sorted(candidates, key=lambda c: c.confidence, reverse=True)
        chosen = [c for c in ranked if not about_another(question.named_things, c.sentence)][
            : self.reader_candidates
        ] or ranked[: self.reader_candidates]
        readings = self.reader.read(question.text, [(c.sentence, c.passage.title) for c in chosen])
        return [
            replace(c, confidence=blended(r.probability, c.confidence, self.reader_picker_weight), short=r.short)
            for c, r in zip(chosen, readings)
        ]

    def candidates(self, question: Question, passages: list[Passage]) -> list[Candidate]:
        """Every distinct sentence of the passages, scored against the question."""
        seen: set[str] = set()
        found: list[tuple[Passage, int, tuple[Sentence, ...], int]] = []
        for rank, passage in enumerate(passages):
            context = tuple(sentences_of(passage.readable_text))
            for index, sentence in enumerate(context):
                if sentence.text in seen or not quotable(sentence.text):
                    continue
                seen.add(sentence.text)
                found.append((passage, rank, context, index))
        if not found:
            return []
        texts = [context[index].text for _, _, context, index in found]
        question_vector = self.embedder.embed_query(question.text)
        vectors = self.embedder.embed_sentences(texts, [passage.sentence_vectors for passage in passages])
        # Off as shipped, and a large share of an answer's time: computed only when weighed.
        rare = rare_word_overlaps(question.words, texts) if RARE_WORDS_WEIGHT else [0.0] * len(texts)
        return [
            Candidate(
                text,
                passage,
                float(vector @ question_vector),
                word_overlap(question.words, text),
                vector,
                rank,
                context,
                index,
                bool(kind_spans(text, question)),
                rare_overlap,
            )
            for text, (passage, rank, context, index), vector, rare_overlap in zip(texts, found, vectors, rare)
        ]

    def relevance(self, candidate: Candidate) -> float:
        return self.similarity_weight * candidate.similarity + (1 - self.similarity_weight) * candidate.overlap

    def addresses(self, question: Question, sentences: list[str]) -> bool:
        """Whether any of `sentences` (a model's answer) is as relevant to the question as a
        quoted sentence of the weighted picker must be. The learned picker's probability ranks a
        question's candidates against each other; it can't judge a model's sentences alone."""
        if not sentences:
            return False
        question_vector = self.embedder.embed_query(question.text)
        relevances = [
            self.similarity_weight * float(vector @ question_vector)
            + (1 - self.similarity_weight) * word_overlap(question.words, sentence)
            for sentence, vector in zip(sentences, self.embedder.embed(sentences))
        ]
        return max(relevances) >= self.min_relevance

    def priority(self, candidate: Candidate) -> float:
        """The learned picker's confidence; or, hand-weighted, relevance plus a little for sentences
        of passages that search ranked higher (search weighs names, dates and the time asked about,
        which sentence similarity doesn't see) and for sentences holding the kind of thing the
        question asks for."""
        if candidate.confidence is not None:
            return candidate.confidence
        return (
            self.relevance(candidate)
            + RANK_PRIOR / (1 + candidate.rank)
            + KIND_BONUS * candidate.of_kind
            + RARE_WORDS_WEIGHT * candidate.rare_overlap
        )

    def rank(self, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates that may be quoted, by priority: none unless the best is likely or
        relevant enough (the refusal gate); then, hand-weighted, those at most QUOTE_FLOOR_SLACK
        below that bar."""
        if candidates and candidates[0].confidence is not None:
            if max(c.confidence for c in candidates) < self.min_confidence:
                return []
            return sorted(candidates, key=self.priority, reverse=True)
        if not candidates or max(map(self.relevance, candidates)) < self.min_relevance:
            return []
        floor = self.min_relevance - QUOTE_FLOOR_SLACK
        return sorted((c for c in candidates if self.relevance(c) >= floor), key=self.priority, reverse=True)

    def quote(self, question: Question, candidate: Candidate) -> Quote | None:
        """`candidate` widened into a span that reads on its own, or None if it has none."""
        span = widen(candidate.context, candidate.index)
        if span is None:
            return None
        text = span_text(candidate.passage.readable_text, candidate.context, span)
        if {"fragment", "unbalanced quotes"} & set(shape_problems(text)):
            return None  # cut mid-sentence by the splitter or a chunk edge: it wouldn't read on its own
        found = candidate.short or highlight(candidate.sentence, question)
        return Quote(candidate, text, candidate.sentence[found[0] : found[1]] if found else "")

    def lead(self, question: Question, ranked: list[Candidate]) -> Quote | None:
        """The quote the answer opens with: the best candidate that reads on its own. One that
        leans on the sentence before it ("He said…", "that proposal") loses to a self-contained
        one nearly as good; otherwise it is quoted with that sentence."""
        for position, candidate in enumerate(ranked):
            if refers_back(candidate.sentence):
                floor = self.priority(candidate) - SELF_CONTAINED_MARGIN
                for other in ranked[position + 1 :]:
                    if self.priority(other) < floor:
                        break
                    if not refers_back(other.sentence) and (found := self.quote(question, other)) is not None:
                        return found
            found = self.quote(question, candidate)
            if found is not None:
                return found
        return None

    def compose(self, question: Question, ranked: list[Candidate]) -> tuple[str, bool, list[Citation]]:
        lead = self.lead(question, ranked)
        if lead is None:
            return REFUSAL, True, []
        second = self.second(question, lead, ranked)
        return cite([lead] if second is None else [lead, second])

    def second(self, question: Question, lead: Quote, ranked: list[Candidate]) -> Quote | None:
        """A second quote, only for a sentence whose priority ties with the lead's (within
        TIE_MARGIN): the answerer can't tell which answers, so the reader sees both. Never one that
        repeats the lead."""
        if not TIE_MARGIN or lead.candidate.confidence is not None:
            return None
        bar = self.priority(lead.candidate) - TIE_MARGIN
        for candidate in ranked:
            if self.priority(candidate) < bar:
                return None
            if candidate is lead.candidate or candidate.sentence in lead.text:
                continue
            if float(candidate.vector @ lead.candidate.vector) >= REDUNDANT_SIMILARITY:
                continue
            return self.quote(question, candidate)
        return None


def cite(quotes: list[Quote]) -> tuple[str, bool, list[Citation]]:
    """The answer text with a [n] after each quote, and one citation per article, numbered in order
    of first use, holding all its quotes."""
    by_article: dict[str, Citation] = {}
    parts = []
    for quote in quotes:
        passage = quote.candidate.passage
        known = by_article.get(passage.article_id)
        if known is None:
            known = by_article[passage.article_id] = Citation.quoting(
                len(by_article) + 1, passage, quote.text, quote.highlight
            )
        elif quote.text not in known.quotes:
            by_article[passage.article_id] = replace(known, more_quotes=known.more_quotes + (quote.text,))
        parts.append(f"{' '.join(quote.text.split())} [{known.n}]")
    return " ".join(parts), False, list(by_article.values())
