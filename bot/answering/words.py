"""Words as the answerer and the verifier compare them: content words, stemmed, without stopwords,
and how much of a question's words a sentence holds."""

import math
import re
import unicodedata
from functools import cache

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@cache
def stopwords() -> frozenset[str]:
    from nltk.corpus import stopwords

    from index.articles.sentences import bundled_nltk_data

    bundled_nltk_data()
    return frozenset(stopwords.words("english")) | {"say", "said", "says", "tell", "according"}


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
    stop = stopwords()
    return frozenset(_stem(w) for w in words(text) if w not in stop and len(w) > 1)


def word_overlap(question_words: frozenset[str], sentence: str) -> float:
    """Share of the question's content words (stemmed) that the sentence contains."""
    if not question_words:
        return 0.0
    return len(question_words & content_words(sentence)) / len(question_words)


def rare_word_overlaps(question_words: frozenset[str], sentences: list[str]) -> list[float]:
    """For each sentence, the share of the question's words it holds, each word weighted by its
    inverse frequency among `sentences`: the passages' shared topic counts little, the word that
    singles out the answer much."""
    held = [content_words(sentence) & question_words for sentence in sentences]
    if not question_words or not sentences:
        return [0.0] * len(sentences)
    frequency = {word: sum(word in words for words in held) for word in question_words}
    weight = {word: math.log(1 + len(sentences) / (1 + frequency[word])) for word in question_words}
    total = sum(weight.values())
    return [sum(weight[word] for word in words) / total for words in held]


def closest_by_words(text: str, sentences: list[str]) -> tuple[str, float]:
    """The sentence of `sentences` that shares most of `text`'s words (the one that replaced it in a
    new version of an article), with the share: words in both over words in either."""
    before = set(text.lower().split())

    def shared(sentence: str) -> float:
        after = set(sentence.lower().split())
        return len(before & after) / max(1, len(before | after))

    best = max(sentences, key=shared)
    return best, shared(best)
