"""Choose the extractive answerer's similarity weight and refusal threshold by measurement.

For every question of the labelled sets (answerable ones carry the facts an answer may contain),
retrieve passages from an index of the corpus, rank the candidate sentences for each weight, and
sweep the refusal threshold. A question counts as right when it is answerable, answered, and the
answer contains an expected fact; or unanswerable and refused (by the threshold, or because it
names something the passages never mention).

    [NEWSBOT_EMBED_BACKEND=torch] python bench/tuning/calibrate_relevance.py [--questions FILE ...] [--corpus corpus] [--verbose]
"""

import argparse
import json
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from index.offline import configure_offline  # noqa: E402

configure_offline()

from bot.answering.answer import SIMILARITY_WEIGHT, ExtractiveAnswerer  # noqa: E402
from bot.answering.names import missing_names  # noqa: E402
from bot.answering.question import Question  # noqa: E402
from bot.settings import Settings, load_settings  # noqa: E402
from index.build import update_index  # noqa: E402
from index.embedding.embedder import Embedder  # noqa: E402
from index.search.catalog import CATALOG_FILE, Catalog  # noqa: E402
from index.search.searcher import Searcher  # noqa: E402
from index.store.chroma import ChunkStore  # noqa: E402

WEIGHTS = (1.0, 0.9, 0.8, 0.7, 0.6)
THRESHOLDS = [round(0.20 + 0.01 * i, 2) for i in range(51)]


def measure(questions, searcher, embedder, k):
    """Per question: (question, candidates, refused for a missing name). Candidates are embedded
    once; ranking per weight happens later."""
    answerer = ExtractiveAnswerer(embedder, min_relevance=0.0)
    measured = []
    for question in questions:
        asked = Question.of(question["question"], date.today())
        passages = searcher.search(asked, k)
        gated = bool(missing_names(asked.names, passages))
        measured.append((question, answerer.candidates(asked, passages), gated))
    return measured


def contains_fact(question, text):
    expected = question["expect"]
    return any(fact in text for fact in ([expected] if isinstance(expected, str) else expected))


def sweep(measured, embedder, weight):
    """For each threshold: (threshold, accuracy, answerable right, unanswerable right). The answer
    is composed again at each threshold, because the threshold also sets which sentences may be
    quoted."""
    rows, table = [], []
    for threshold in THRESHOLDS:
        answerer = ExtractiveAnswerer(embedder, min_relevance=threshold, similarity_weight=weight)
        rows = []
        for question, candidates, gated in measured:
            text, _, _ = answerer.compose(question["question"], answerer.rank(candidates))
            # A gated question is refused whatever its score.
            top = -1.0 if gated or not candidates else max(map(answerer.relevance, candidates))
            rows.append((question, top, contains_fact(question, text) if question["answerable"] else None))
        good_answerable = sum(1 for q, top, hit in rows if q["answerable"] and top >= threshold and hit)
        good_unanswerable = sum(1 for q, top, _ in rows if not q["answerable"] and top < threshold)
        table.append((threshold, (good_answerable + good_unanswerable) / len(rows), good_answerable, good_unanswerable))
    return rows, table


def best_threshold(table):
    """The middle of the widest run of thresholds with the best accuracy: the largest margin."""
    best = max(accuracy for _, accuracy, _, _ in table)
    runs, run = [], []
    for threshold, accuracy, _, _ in table:
        if accuracy == best:
            run.append(threshold)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    widest = max(runs, key=len)
    return widest[len(widest) // 2], best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        default=[ROOT / "tests/data/relevance.jsonl", ROOT / "tests/data/relevance_heldout.jsonl"],
    )
    # The labelled questions are about the seed article, the first of the bundled corpus.
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus" / "000_524f35506ab6ae2d.md")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--verbose", action="store_true", help="print every question's top relevance")
    args = parser.parse_args()

    questions = [
        json.loads(line)
        for path in args.questions
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    embedder = Embedder(backend=load_settings(os.environ).embed_backend)
    with tempfile.TemporaryDirectory() as data_dir:
        store, catalog = ChunkStore.local(Path(data_dir) / "chroma"), Catalog(Path(data_dir) / CATALOG_FILE)
        update_index(store, catalog, embedder, [args.corpus])
        measured = measure(questions, Searcher(store, catalog, embedder), embedder, args.k)

    answerable = sum(q["answerable"] for q in questions)
    print(
        f"{len(questions)} questions: {answerable} answerable, {len(questions) - answerable} unanswerable; k={args.k}"
    )
    print("| similarity weight | best threshold | plateau | accuracy | answerable right | unanswerable right |")
    print("|---|---|---|---|---|---|")
    for weight in WEIGHTS:
        rows, table = sweep(measured, embedder, weight)
        threshold, accuracy = best_threshold(table)
        plateau = [t for t, a, _, _ in table if a == accuracy]
        _, _, good_answerable, good_unanswerable = next(row for row in table if row[0] == threshold)
        print(
            f"| {weight} | {threshold:.2f} | {plateau[0]:.2f}-{plateau[-1]:.2f} | {accuracy:.3f} | "
            f"{good_answerable}/{answerable} | {good_unanswerable}/{len(questions) - answerable} |"
        )
        if args.verbose:
            for question, top, hit in sorted(rows, key=lambda r: r[1]):
                label = "A" if question["answerable"] else "U"
                verdict = "" if hit is None else ("hit " if hit else "MISS")
                print(f"    {top:.3f} {label} {verdict} {question['question']}")

    shipped = Settings.model_fields["min_relevance"].default
    _, table = sweep(measured, embedder, SIMILARITY_WEIGHT)
    print(
        f"accuracy by threshold at weight {SIMILARITY_WEIGHT}: "
        + " ".join(
            f"{threshold:.2f}={accuracy:.3f}" for threshold, accuracy, _, _ in table if 0.30 <= threshold <= 0.50
        )
    )
    _, accuracy, good_answerable, good_unanswerable = next(row for row in table if row[0] == shipped)
    print(
        f"shipped settings (weight {SIMILARITY_WEIGHT}, threshold {shipped}): "
        f"accuracy {accuracy:.3f}, {good_answerable}/{answerable} answerable, "
        f"{good_unanswerable}/{len(questions) - answerable} unanswerable"
    )


if __name__ == "__main__":
    main()
