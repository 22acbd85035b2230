"""The reader's own cost: milliseconds to read one question's candidates, as the answerer hands
them over (the linear picker's best N sentences of the ten passages search returns), for several
N; the median of several runs per question. Needs an index of a dev set.

    python bench/bench_reader.py --data-dir D [--eval ../shared/eval/rtqa-2026] [--questions 40]
"""

import argparse
import os
import statistics
import time
from pathlib import Path

from common import DEFAULT_EVAL, read_jsonl

SIZES = (4, 8, 16, 24)
RUNS = 3


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="folder with questions.jsonl")
    parser.add_argument("--data-dir", type=Path, required=True, help="an index of the eval articles")
    parser.add_argument("--questions", type=int, default=40)
    args = parser.parse_args()

    from bot.answering.question import Question
    from bot.evaluate import question_date
    from bot.pipeline import Pipeline
    from bot.settings import load_settings

    pipeline = Pipeline(
        load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir), "NEWSBOT_ANSWER_PICKER": "reader"})
    )
    answerer = pipeline.answerer
    prepared = []
    for row in list(read_jsonl(args.eval / "questions.jsonl"))[: args.questions]:
        question = Question.of(row["question"], question_date(row))
        passages = pipeline.searcher.search(question, 10)
        scored = answerer.scored(question, answerer.candidates(question, passages))
        prepared.append((question.text, sorted(scored, key=lambda c: c.confidence, reverse=True)))
    for size in SIZES:
        times = []
        for question, ranked in prepared:
            pairs = [(c.sentence, c.passage.title) for c in ranked[:size]]
            runs = []
            for _ in range(RUNS):
                began = time.perf_counter()
                answerer.reader.read(question, pairs)
                runs.append(1000 * (time.perf_counter() - began))
            times.append(statistics.median(runs))
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"{size} sentences: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms per question ({len(times)} questions)"
        )


if __name__ == "__main__":
    main()
