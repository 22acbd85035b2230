"""How the extractive answerer's settings were chosen: each variant side by side on the same
retrieved passages of one eval set (answer_df <= 0.05), scored as `newsbot eval` scores answers:
AnswerHit, AnswerHit@1 (the gold answer in the first sentence), AnswerHit@40w, the median answer
length, refusals, and answers with fragments or unbalanced quotes.

Tune on one set and confirm on the other: a setting counts as better only when it is better on both.

The index must exist (`newsbot index <set>/articles.jsonl --data-dir DIR`). Each question is searched
once, as of its date; only the answerer varies. "today's composition" is the answerer before issue 11:
the best sentence and up to two more within 0.25 of it, each quoted alone.

    python bench/tuning/tune_answer.py --data-dir rtqa-data [--eval ../shared/eval/rtqa-2026] [--k 10]
"""

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common

from common import chosen, open_tuning_run

import bot.answering.answer as answer
import index.embedding.embedder
from bot.answering.names import missing_names
from bot.answering.question import Question
from bot.answering.quoting import shape_problems
from bot.evaluate import Scores, question_date

SETTINGS = ("RANK_PRIOR", "KIND_BONUS", "RARE_WORDS_WEIGHT", "SELF_CONTAINED_MARGIN", "QUOTE_FLOOR_SLACK", "TIE_MARGIN")
SHIPPED = {setting: getattr(answer, setting) for setting in SETTINGS}
# Each variant changes some of the shipped settings; None is the answerer before issue 11.
VARIANTS = {
    "today's composition (1-3 sentences)": None,
    "newsbot (shipped)": {},
    "one quote, never a second": {"TIE_MARGIN": 0.0},
    "second quote on a tie within 0.02": {"TIE_MARGIN": 0.02},
    "second quote on a tie within 0.10": {"TIE_MARGIN": 0.10},
    "no kind bonus": {"KIND_BONUS": 0.0},
    "kind bonus 0.20": {"KIND_BONUS": 0.20},
    "no rare-word weight": {"RARE_WORDS_WEIGHT": 0.0},
    "rare-word weight 0.20": {"RARE_WORDS_WEIGHT": 0.20},
    "no rank prior": {"RANK_PRIOR": 0.0},
    "rank prior 0.20": {"RANK_PRIOR": 0.20},
    "pronoun: always with antecedent": {"SELF_CONTAINED_MARGIN": 0.0},
    "no quote floor below the gate": {"QUOTE_FLOOR_SLACK": 0.0},
    "quote floor 0.10 below the gate": {"QUOTE_FLOOR_SLACK": 0.10},
}


def todays_composition(answerer, question, passages):
    """The answerer before issue 11: best sentence plus up to two within 0.25, not redundant."""
    missing = missing_names(question.names, passages)
    if missing:
        return "", True, []
    candidates = answerer.candidates(question, passages)
    relevant = sorted(
        (c for c in candidates if answerer.relevance(c) >= answerer.min_relevance),
        key=lambda c: answerer.relevance(c) + 0.10 / (1 + c.rank),
        reverse=True,
    )
    if not relevant:
        return "", True, []
    picked = [relevant[0]]
    for candidate in relevant[1:]:
        if len(picked) == 3:
            break
        if answerer.relevance(candidate) >= answerer.relevance(relevant[0]) - 0.25 and all(
            float(candidate.vector @ other.vector) < answer.REDUNDANT_SIMILARITY for other in picked
        ):
            picked.append(candidate)
    text = " ".join(f"{c.sentence} [{n}]" for n, c in enumerate(picked, start=1))
    return text, False, [c.sentence for c in picked]


def main():
    args, pipeline, questions = open_tuning_run(__doc__)
    index.embedding.embedder.SENTENCE_CACHE_SIZE = 1_000_000  # every variant reads the same sentences: embed them once
    asked = [(row, Question.of(row["question"], question_date(row))) for row in questions]
    searched = [(row, question, pipeline.searcher.search(question, args.k)) for row, question in asked]
    print("| variant | AnswerHit | AnswerHit@1 | AnswerHit@40w | median words | refused | fragments | unbalanced |")
    print("|---|---|---|---|---|---|---|---|")
    for name, changes in chosen(VARIANTS, args.variants).items():
        for setting, value in {**SHIPPED, **(changes or {})}.items():
            setattr(answer, setting, value)
        scores = Scores()
        for row, question, passages in searched:
            if changes is None:
                text, refused, quotes = todays_composition(pipeline.answerer, question, passages)
            else:
                text, refused, citations = pipeline.answerer.answer(question, passages)
                quotes = [quote for citation in citations for quote in citation.quotes]
            scores.add(str(row["answer"]), [p.readable_text for p in passages], text, refused, quotes)
            if changes == {}:
                for quote in quotes:
                    if problems := shape_problems(quote):
                        print(
                            f"shipped answer to {row['question']!r}: {', '.join(problems)}: {quote!r}", file=sys.stderr
                        )
        result = scores.to_json()
        print(
            f"| {name} | {result['answer_hit']:.3f} | {result['answer_hit@1']:.3f} | {result['answer_hit@40w']:.3f} "
            f"| {result['median_answer_words']} | {result['refusal_rate']:.3f} | {result['answers_with_fragments']} "
            f"| {result['answers_with_unbalanced_quotes']} |",
            flush=True,
        )
    for setting, value in SHIPPED.items():
        setattr(answer, setting, value)
    print(f"\n{len(searched)} questions; median passages per question {statistics.median(len(p) for _, p in searched)}")


if __name__ == "__main__":
    main()
