"""Trains the answer picker shipped in bot/answering/picker_model/: a logistic model over each
sentence's features (bot/answering/picker.py FEATURES), learned on RealTimeQA 2023–2024
(shared/eval/rtqa-train) only.

    python train/answer_picker.py --train ../shared/eval/rtqa-train

Supervision needs no index: each question's own search results (`gcs_article_ids`) are cut into
passages of about a chunk's length, and the sentences of the ten passages BM25 ranks highest for it
are its candidates, as search would hand them to the answerer. A sentence holding the gold answer
(the Relevance rule of shared/eval/README.md) is a positive; the other candidates, from the same
passages and articles, are hard negatives. Each sentence is
embedded with the bundled MiniLM on the configured backend (NEWSBOT_EMBED_BACKEND), as at indexing.

Seeded and deterministic; the model card's figures and the run's time are written into
weights.json, and docs/answering.md gives the run.
"""

import argparse
import gzip
import json
import math
import os
import random
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.offline import configure_offline  # noqa: E402

configure_offline()
from bot.answering.answer import quotable  # noqa: E402
from bot.answering.features import sentence_features  # noqa: E402
from bot.answering.picker import FEATURES, FIXTURE_FILE, MODEL_DIR, WEIGHTS_FILE, AnswerPicker  # noqa: E402
from bot.answering.question import Question  # noqa: E402
from bot.answering.quoting import sentences_of  # noqa: E402
from bot.evaluate import contains  # noqa: E402

SEED = 20
RARE_ANSWER_DF = 0.05  # answers in more than 5% of articles ("President") label sentences by chance
PASSAGES = 10  # as `newsbot eval` retrieves (k = 10)
PASSAGE_WORDS = 150  # about a 256-token chunk, as newsbot's chunker cuts them
VALIDATION_SHARE = 0.1  # of rtqa-train's weeks, held out of training to report hit@1 on the card
L2 = 1e-3  # per question, on the standardised weights: a light hand, not tuned
# Features whose weight may not be negative: more of the question in a sentence never counts against
# it. Unconstrained, the pointwise fit gave word overlap a negative weight (it overlaps with
# similarity), and the seed questions' answers lost to their article's opening sentence.
NON_NEGATIVE = ("similarity", "overlap", "names_held", "of_kind")
# Chosen on rtqa-2026 and rtqa-2025-dev by bench/tuning/select_picker_features.py (docs/answering.md).
SHIPPED_FEATURES = ("similarity", "overlap", "new_names", "age", "has_number", "of_kind", "search_rank")


def read_jsonl(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def passages_of(article: dict) -> list[str]:
    """An article cut into passages of whole sentences, about as long as newsbot's chunks."""
    from index.articles.sentences import split_sentences

    passages, current, words = [], [], 0
    for piece in split_sentences(article["text"]):
        current.append(piece)
        words += len(piece.split())
        if words >= PASSAGE_WORDS:
            passages.append("".join(current))
            current, words = [], 0
    if current:
        passages.append("".join(current))
    return passages


def candidates(question: dict, articles: dict[str, dict]) -> list[dict]:
    """The question's candidate sentences, as search would hand them to the answerer: every quotable
    sentence of the PASSAGES passages of its own articles that BM25 ranks highest (title and text),
    with the passage's rank, its article's title and age, whether it opens its article, and whether
    it holds the answer. None when no candidate holds it: then there is nothing to pick."""
    from datetime import date

    import bm25s

    from bot.answering.features import age_in_days

    asked = date.fromisoformat(question["date"][:10])
    pieces = []
    for article_id in question["gcs_article_ids"]:
        article = articles.get(article_id)
        if article is not None:
            pieces.extend((article, position, text) for position, text in enumerate(passages_of(article)))
    if not pieces:
        return []
    retriever = bm25s.BM25()
    corpus = [f"{article.get('title') or ''} {text}" for article, _, text in pieces]
    retriever.index(bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False)
    order, _ = retriever.retrieve(
        bm25s.tokenize([question["question"]], stopwords="en", show_progress=False),
        k=min(PASSAGES, len(pieces)),
        show_progress=False,
    )
    found: dict[str, dict] = {}
    for rank, chosen in enumerate(order[0]):
        article, position, text = pieces[int(chosen)]
        age = age_in_days(article.get("published") or "", asked)
        for number, sentence in enumerate(sentences_of(text)):
            if quotable(sentence.text) and sentence.text not in found:
                found[sentence.text] = {
                    "text": sentence.text,
                    "title": article.get("title") or "",
                    "opens": position == 0 and number == 0,
                    "rank": rank,
                    "age": age,
                    "holds": contains(sentence.text, str(question["answer"])),
                }
    rows = list(found.values())
    return rows if any(row["holds"] for row in rows) else []


def featurise(embedder, question: dict, rows: list[dict]) -> list[list[float]]:
    facts = Question.of(question["question"], date.fromisoformat(question["date"][:10]))
    query = embedder.embed_query(question["question"])
    vectors = embedder.embed([row["text"] for row in rows])
    return [
        sentence_features(facts, row["text"], float(v @ query), row["title"], row["opens"], row["rank"], row["age"])
        for row, v in zip(rows, vectors)
    ]


def build(train: Path, embedder) -> tuple[list[dict], dict]:
    """One record per question: its week, features and labels."""
    questions = [
        q
        for q in read_jsonl(train / "questions.jsonl")
        if q.get("answer_in_own_results") and q.get("answer_df", 0) <= RARE_ANSWER_DF and len(str(q["answer"])) >= 3
    ]
    wanted = {article_id for q in questions for article_id in q["gcs_article_ids"]}
    articles = {a["id"]: a for a in read_jsonl(train / "articles.jsonl.gz") if a["id"] in wanted}
    records = []
    for number, question in enumerate(questions, start=1):
        rows = candidates(question, articles)
        if rows:
            records.append(
                {
                    "week": question["id"].split("_")[0],
                    "question": question["question"],
                    "texts": [row["text"] for row in rows],
                    "features": featurise(embedder, question, rows),
                    "labels": [int(row["holds"]) for row in rows],
                }
            )
        if number % 100 == 0:
            print(f"{number}/{len(questions)} questions", flush=True)
    return records, {"questions": len(questions), "with_candidates": len(records), "articles": len(articles)}


def standardiser(records: list[dict]) -> tuple[list[float], list[float]]:
    import numpy as np

    x = np.array([row for r in records for row in r["features"]])
    scale = x.std(axis=0)
    return [float(m) for m in x.mean(axis=0)], [float(s) if s > 0 else 1.0 for s in scale]


def columns(records: list[dict], names: tuple[str, ...]) -> list[dict]:
    """The records with only the named features, in that order."""
    chosen = [FEATURES.index(name) for name in names]
    return [{**r, "features": [[row[i] for i in chosen] for row in r["features"]]} for r in records]


def fit_listwise(records: list[dict], mean: list[float], scale: list[float], names: tuple[str, ...]):
    """Weights that put the most probability on each question's answer sentences when a softmax
    runs over its candidates: the picker's task is to choose among one question's sentences, so a
    question's own level of similarity (long quiz questions score low everywhere) must not count."""
    import numpy as np
    from scipy.optimize import minimize

    groups = [((np.array(r["features"]) - mean) / scale, np.array(r["labels"], dtype=bool)) for r in records]

    def loss(w):
        total, grad = 0.0, np.zeros_like(w)
        for x, positive in groups:
            logits = x @ w
            top = logits.max()
            p = np.exp(logits - top)
            p /= p.sum()
            held = p[positive].sum()
            total -= np.log(held)
            # d(-log Σ_pos p)/dw = Σ_all p x - Σ_pos (p / held) x
            grad += p @ x - (p[positive] / held) @ x[positive]
        n = len(groups)
        return total / n + L2 * (w @ w), grad / n + 2 * L2 * w

    bounds = [(0, None) if name in NON_NEGATIVE else (None, None) for name in names]
    found = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B", bounds=bounds)
    return found.x


def calibrate(records: list[dict], mean: list[float], scale: list[float], coef) -> tuple[float, float]:
    """(slope, intercept) of a logistic fit of "the top sentence holds the answer" on the top
    sentence's score: the picker's probability, which the refusal gate reads."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    tops, right = [], []
    for r in records:
        scores = ((np.array(r["features"]) - mean) / scale) @ coef
        best = int(np.argmax(scores))
        tops.append([scores[best]])
        right.append(r["labels"][best])
    fit = LogisticRegression(C=1e6, random_state=SEED).fit(np.array(tops), np.array(right))
    return float(fit.coef_[0][0]), float(fit.intercept_[0])


def hit_at_1(picker: AnswerPicker, records: list[dict]) -> float:
    import numpy as np

    hits = sum(r["labels"][int(np.argmax(picker.confidences(np.array(r["features"]))))] for r in records)
    return round(hits / max(len(records), 1), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, default=ROOT.parent / "shared" / "eval" / "rtqa-train")
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="where weights.json and the fixture go")
    parser.add_argument("--cache", type=Path, help="keep the embedded candidates here and reuse them on the next run")
    parser.add_argument(
        "--features",
        nargs="+",
        default=list(SHIPPED_FEATURES),
        choices=FEATURES,
        metavar="NAME",
        help=f"the features the model uses (default, chosen on the dev sets: {' '.join(SHIPPED_FEATURES)})",
    )
    args = parser.parse_args()

    import numpy as np

    from index.embedding.embedder import DEFAULT_BACKEND, Embedder

    started = time.time()
    backend = os.environ.get("NEWSBOT_EMBED_BACKEND", DEFAULT_BACKEND)
    if args.cache and args.cache.exists():
        records, counts = json.loads(args.cache.read_text(encoding="utf-8"))
    else:
        records, counts = build(args.train, Embedder(backend=backend))
        if args.cache:
            args.cache.write_text(json.dumps([records, counts]), encoding="utf-8")
    weeks = sorted({r["week"] for r in records})
    held = set(random.Random(SEED).sample(weeks, round(len(weeks) * VALIDATION_SHARE)))
    training = [r for r in records if r["week"] not in held]
    validation = [r for r in records if r["week"] in held]
    names = tuple(args.features)
    chosen = columns(training, names)
    mean, scale = standardiser(chosen)
    coef = fit_listwise(chosen, mean, scale, names)
    slope, intercept = calibrate(chosen, mean, scale, coef)
    card = {
        "data": {
            **counts,
            "training_questions": len(training),
            "validation_questions": len(validation),
            "validation_weeks": len(held),
            "sentences": sum(len(r["labels"]) for r in training),
            "positives": sum(sum(r["labels"]) for r in training),
        },
        "settings": {
            "seed": SEED,
            "passages": PASSAGES,
            "passage_words": PASSAGE_WORDS,
            "max_answer_df": RARE_ANSWER_DF,
            "l2": L2,
            "non_negative": list(NON_NEGATIVE),
            "embed_backend": backend,
        },
        "seconds": round(time.time() - started),
    }
    weights = {
        "features": list(names),
        "mean": list(mean),
        "scale": list(scale),
        "coef": [float(slope * c) for c in coef],
        "intercept": float(intercept),
        "card": card,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / WEIGHTS_FILE).write_text(json.dumps(weights, indent=2) + "\n", encoding="utf-8")
    picker = AnswerPicker(args.out)
    card["validation_hit@1"] = hit_at_1(picker, validation)
    card["training_hit@1"] = hit_at_1(picker, training)
    card["validation_chance_hit@1"] = round(
        sum(sum(r["labels"]) / len(r["labels"]) for r in validation) / max(len(validation), 1), 3
    )
    (args.out / WEIGHTS_FILE).write_text(json.dumps(weights, indent=2) + "\n", encoding="utf-8")
    fixture = [
        {"features": [round(v, 6) for v in row], "confidence": round(float(p), 6)}
        for r in validation[:3]
        for row, p in zip(
            r["features"][:4], picker.confidences(np.array([[round(v, 6) for v in row] for row in r["features"][:4]]))
        )
    ]
    (args.out / FIXTURE_FILE).write_text("".join(json.dumps(row) + "\n" for row in fixture), encoding="utf-8")
    print(json.dumps({name: round(c, 3) for name, c in zip(names, weights["coef"])}, indent=2))
    print(json.dumps(card, indent=2))
    if not math.isfinite(weights["intercept"]):
        sys.exit("training failed: the weights are not finite")


if __name__ == "__main__":
    main()
