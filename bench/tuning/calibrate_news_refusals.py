"""The refusal gate on real news: how often it refuses answerable questions (the eval set's, whose
answers are in the articles) against unanswerable ones (bench/questions/unanswerable-<set>.jsonl:
events no article of the set covers, checked by their key words never appearing together), as the
relevance threshold sweeps. Each question is asked as of its date.

A question is refused by the name check (it names something no retrieved passage mentions), by the
learned picker's check of its distinguishing words against the best sentence's article, or because
its best sentence scores under the threshold: the reader's probability (the default), with
NEWSBOT_ANSWER_PICKER=learned the linear picker's confidence, or with NEWSBOT_ANSWER_PICKER=weighted
the hand-weighted relevance. The table is the curve; the shipped
threshold is marked.

    python bench/tuning/calibrate_news_refusals.py --data-dir rtqa-data [--eval ../shared/eval/rtqa-2026] [--k 10]
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common

from common import DEFAULT_EVAL, ROOT, read_jsonl

WEIGHTED_THRESHOLDS = [round(0.25 + 0.025 * i, 3) for i in range(13)]
LEARNED_THRESHOLDS = [0.0003, 0.0005, 0.0007, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.03, 0.04] + [
    round(0.05 * i, 2) for i in range(1, 19)
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="folder with questions.jsonl")
    parser.add_argument("--data-dir", type=Path, required=True, help="an index of the eval articles")
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()

    from bot.answering.names import missing_names, unmatched_terms
    from bot.answering.question import Question
    from bot.evaluate import RARE_ANSWER_DF, question_date
    from bot.pipeline import Pipeline
    from bot.settings import load_settings

    pipeline = Pipeline(load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)}))
    answerable = [row for row in read_jsonl(args.eval / "questions.jsonl") if row.get("answer_df", 0) <= RARE_ANSWER_DF]
    unanswerable = read_jsonl(ROOT / "bench" / "questions" / f"unanswerable-{args.eval.name}.jsonl")

    answerer = pipeline.answerer
    learned = answerer.picker is not None

    def gate(row) -> tuple[bool, float]:
        """(refused by the name check at any threshold; the best score of a sentence that may be
        quoted: with the learned picker, one whose article holds the question's names and years)."""
        question = Question.of(row["question"], question_date(row))
        passages = pipeline.searcher.search(question, args.k)
        if missing_names(question.names, passages):
            return True, -1.0
        candidates = answerer.candidates(question, passages)
        if not learned:
            return False, max(map(answerer.relevance, candidates), default=-1.0)
        scored = answerer.scored(question, candidates)
        if answerer.reader is not None:
            scored = answerer.read(question, scored)
        covering = [c for c in scored if not unmatched_terms(question.terms, c.passage, passages)]
        return False, max((c.confidence for c in covering), default=-1.0)

    scored = {"answerable": [gate(row) for row in answerable], "unanswerable": [gate(row) for row in unanswerable]}
    shipped = answerer.min_confidence if learned else pipeline.settings.min_relevance
    print(
        f"{len(answerable)} answerable (answer_df <= {RARE_ANSWER_DF}), {len(unanswerable)} unanswerable; k={args.k}\n"
    )
    for group, results in scored.items():
        print(f"{group}: {sum(named for named, _ in results)} refused by the name check")
    print("\n| threshold | answerable refused | unanswerable refused | balanced accuracy |")
    print("|---|---|---|---|")
    for threshold in sorted({*(LEARNED_THRESHOLDS if learned else WEIGHTED_THRESHOLDS), shipped}):
        refused = {
            group: sum(named or best < threshold for named, best in results) / len(results)
            for group, results in scored.items()
        }
        balanced = (1 - refused["answerable"] + refused["unanswerable"]) / 2
        mark = " (shipped)" if threshold == shipped else ""
        print(f"| {threshold:g}{mark} | {refused['answerable']:.3f} | {refused['unanswerable']:.3f} | {balanced:.3f} |")


if __name__ == "__main__":
    main()
