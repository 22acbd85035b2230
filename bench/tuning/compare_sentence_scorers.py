"""Which sentence vectors to store at indexing: each sentence embedded alone (what the answerer
embedded at question time before), or pooled from its chunk's token states (free at indexing).

For every eval question (answer_df <= 0.05), the first chunks of its own search results are the
candidates; their quotable sentences are ranked by the answerer's relevance (0.8 cosine + 0.2 word
overlap) with each kind of vector, side by side. hit@1 / hit@3: the gold answer is in the best
sentence / one of the best three. Questions whose candidates hold no answer are left out.
Runs on the configured backend (NEWSBOT_EMBED_BACKEND, one of the ONNX ones: pooling needs token states).

    NEWSBOT_EMBED_BACKEND=openvino python bench/tuning/compare_sentence_scorers.py [--eval ../shared/eval/rtqa-2026] [--questions 300]
"""

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common

from common import DEFAULT_EVAL, read_jsonl

from bot.answering.answer import SIMILARITY_WEIGHT, quotable
from bot.answering.quoting import sentences_of
from bot.answering.words import content_words, word_overlap
from bot.evaluate import RARE_ANSWER_DF
from index.articles.chunk import chunk_article, embed_text, make_splitter
from index.articles.files import scan_sources
from index.embedding.embedder import Embedder

ARTICLES_PER_QUESTION = 5
CHUNKS_PER_ARTICLE = 6


def pooled_vectors(embedder: Embedder, full_text: str, offset: int, sentences) -> list[np.ndarray | None]:
    """Each sentence's mean of the chunk's token states within it, normalised."""
    encoder = embedder._encoder
    encoding = encoder._batcher.encode(full_text)
    ids = np.array([encoding.ids], dtype=np.int64)
    mask = np.array([encoding.attention_mask], dtype=np.int64)
    hidden = encoder._run({"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
    found = []
    for sentence in sentences:
        start, end = offset + sentence.start, offset + sentence.end
        rows = [i for i, (a, b) in enumerate(encoding.offsets) if b > a and a >= start and b <= end]
        if not rows:
            found.append(None)
            continue
        vector = hidden[rows].mean(axis=0)
        found.append(vector / np.linalg.norm(vector))
    return found


def normalised(text: str) -> str:
    return " ".join(text.lower().split())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    backend = os.environ.get("NEWSBOT_EMBED_BACKEND", "openvino")
    if backend == "torch":
        parser.error("pooling needs an ONNX backend: set NEWSBOT_EMBED_BACKEND=onnx or openvino")
    embedder = Embedder(backend=backend)
    splitter = make_splitter(embedder.count_tokens, embedder.max_tokens)
    articles = {a.id: a for a in scan_sources([args.eval / "articles.jsonl"], 5_000_000).articles}
    questions = [q for q in read_jsonl(args.eval / "questions.jsonl") if q.get("answer_df", 0) <= RARE_ANSWER_DF][
        : args.questions
    ]

    hits = {"alone": [0, 0], "pooled": [0, 0]}
    counted = 0
    for question in questions:
        texts, pooled = [], []
        for article_id in question["gcs_article_ids"][:ARTICLES_PER_QUESTION]:
            if article_id not in articles:
                continue
            for node in chunk_article(articles[article_id], splitter)[:CHUNKS_PER_ARTICLE]:
                full = embed_text(node)
                sentences = [s for s in sentences_of(node.text) if quotable(s.text)]
                texts += [s.text for s in sentences]
                pooled += pooled_vectors(embedder, full, full.find(node.text), sentences)
        gold = normalised(question["answer"])
        held = np.array([gold in normalised(text) for text in texts])
        if not held.any():
            continue
        counted += 1
        alone = embedder.embed(texts)
        pooled_matrix = np.stack([p if p is not None else a for p, a in zip(pooled, alone)])
        query = embedder.embed_query(question["question"])
        words = content_words(question["question"])
        overlap = np.array([word_overlap(words, text) for text in texts])
        for name, vectors in (("alone", alone), ("pooled", pooled_matrix)):
            order = np.argsort(-(SIMILARITY_WEIGHT * (vectors @ query) + (1 - SIMILARITY_WEIGHT) * overlap))
            hits[name][0] += bool(held[order[0]])
            hits[name][1] += bool(held[order[:3]].any())

    print(f"{counted} questions whose candidates hold the answer ({backend})\n")
    print("| sentence vectors | hit@1 | hit@3 |")
    print("|---|---|---|")
    for name, (first, three) in hits.items():
        print(f"| {name} | {first / counted:.3f} | {three / counted:.3f} |")


if __name__ == "__main__":
    main()
