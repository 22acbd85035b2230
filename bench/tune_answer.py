"""How the extractive answerer's passage-rank prior was chosen: AnswerHit (the gold answer is in
newsbot's 1-3 quoted sentences) and the refusal rate, for each variant side by side on the same
retrieved passages (answer_df <= 0.05).

The index must exist (see bench_retrieval.py). Each question is searched once, as of its date; only
the answerer varies.

    python bench/tune_answer.py --data-dir rtqa-data [--eval ../shared/eval/rtqa-2026] [--k 10]
"""

from common import open_tuning_run

import bot.answer as answer
import index.embed
from bot.evaluate import contains, question_date

# Each variant: (RANK_PRIOR, quote sentences that end in "?")
VARIANTS = {
    "no prior, questions quoted": (0.0, True),
    "no prior": (0.0, False),
    "prior 0.03": (0.03, False),
    "prior 0.06": (0.06, False),
    "prior 0.10 (newsbot)": (0.10, False),
    "prior 0.15": (0.15, False),
    "prior 0.20": (0.20, False),
}


def main():
    args, pipeline, questions = open_tuning_run(__doc__)
    index.embed.SENTENCE_CACHE_SIZE = 1_000_000  # every variant reads the same sentences: embed them once
    searched = [(row, pipeline.searcher.search(row["question"], args.k, question_date(row))) for row in questions]
    quotable = answer.quotable
    print("| variant | AnswerHit | refusal rate |")
    print("|---|---|---|")
    for name, (prior, questions_quoted) in VARIANTS.items():
        answer.RANK_PRIOR = prior
        answer.quotable = quotable if not questions_quoted else (
            lambda sentence: len(sentence.split()) >= answer.MIN_SENTENCE_WORDS and not answer.addresses_a_model(sentence)
        )
        hits = refused = 0
        for row, passages in searched:
            text, was_refused, _ = pipeline.answerer.answer(row["question"], passages)
            hits += (not was_refused) and contains(text, row["answer"])
            refused += was_refused
        print(f"| {name} | {hits / len(searched):.3f} | {refused / len(searched):.3f} |", flush=True)


if __name__ == "__main__":
    main()
