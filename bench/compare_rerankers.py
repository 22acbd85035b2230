"""Which ten passages the answerer should read: search's own top ten against the top `--depth` (40)
reordered, side by side on one dev set's indexed questions (answer_df <= 0.05), each as of its date.

Orders of the `--depth` passages, each then cut to ten with at most two passages an article:
- search: search's own order (what the answerer reads today, k = 10);
- picker: by the linear picker's best sentence in the passage;
- reader: by the reader's blended probability for the passage's best picker sentence;
- the same two fused with search's order by reciprocal rank (`+search`).

For each, the figures of `newsbot eval` on those ten: the ceiling (the gold answer is in one of
them) and what the answerer, with the reader, makes of them.

    python bench/compare_rerankers.py --data-dir D --eval ../shared/eval/rtqa-2026 [--depth 40] [--limit N]
"""

import argparse
import os
import time
from pathlib import Path

from common import DEFAULT_EVAL, cpu_model, read_jsonl

READ = 10
RRF_K = 60


def fused(*rankings: list[int]) -> list[int]:
    scores: dict[int, float] = {}
    for ranking in rankings:
        for place, index in enumerate(ranking):
            scores[index] = scores.get(index, 0.0) + 1.0 / (RRF_K + place)
    return sorted(scores, key=lambda index: -scores[index])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="folder with questions.jsonl")
    parser.add_argument("--data-dir", type=Path, required=True, help="an index of the eval articles")
    parser.add_argument("--depth", type=int, default=40)
    parser.add_argument("--limit", type=int, help="only the first N questions")
    args = parser.parse_args()

    from bot.answering.answer import blended
    from bot.answering.question import Question
    from bot.evaluate import RARE_ANSWER_DF, Scores, contains, question_date
    from bot.pipeline import Pipeline
    from bot.settings import load_settings
    from index.search.diversify import cap_per_article

    settings = load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir), "NEWSBOT_ANSWER_PICKER": "reader"})
    pipeline = Pipeline(settings)
    answerer = pipeline.answerer
    rows = [r for r in read_jsonl(args.eval / "questions.jsonl") if r.get("answer_df", 0) <= RARE_ANSWER_DF][
        : args.limit
    ]
    names = ["search", "picker", "picker+search", "reader", "reader+search"]
    scores = {name: Scores() for name in names}
    within_depth = 0
    seconds = {name: 0.0 for name in names}
    for row in rows:
        question = Question.of(row["question"], question_date(row))
        began = time.perf_counter()
        own = pipeline.searcher.search(question, READ)
        seconds["search"] += time.perf_counter() - began
        deep = pipeline.searcher.search(question, args.depth)
        began = time.perf_counter()
        scored = answerer.scored(question, answerer.candidates(question, deep))
        best: dict[int, object] = {}
        for candidate in scored:
            if candidate.rank not in best or candidate.confidence > best[candidate.rank].confidence:
                best[candidate.rank] = candidate
        by_picker = sorted(range(len(deep)), key=lambda i: -(best[i].confidence if i in best else -1.0))
        picked = time.perf_counter() - began
        began = time.perf_counter()
        read = sorted(best)
        readings = answerer.reader.read(question.text, [(best[i].sentence, best[i].passage.title) for i in read])
        reading = {
            i: blended(r.probability, best[i].confidence, answerer.reader_picker_weight) for i, r in zip(read, readings)
        }
        by_reader = sorted(range(len(deep)), key=lambda i: -reading.get(i, -1.0))
        reader_seconds = time.perf_counter() - began
        seconds["picker"] += picked
        seconds["picker+search"] += picked
        seconds["reader"] += picked + reader_seconds
        seconds["reader+search"] += picked + reader_seconds
        search_order = list(range(len(deep)))
        orders = {
            "picker": by_picker,
            "picker+search": fused(by_picker, search_order),
            "reader": by_reader,
            "reader+search": fused(by_reader, search_order),
        }
        within_depth += any(contains(p.readable_text, str(row["answer"])) for p in deep)
        chosen = {"search": own}
        for name, order in orders.items():
            chosen[name] = cap_per_article([deep[i] for i in order], READ)
        for name, passages in chosen.items():
            text, refused, citations = answerer.answer(question, passages)
            highlight = citations[0].highlight if citations else ""
            scores[name].add(
                str(row["answer"]),
                [p.readable_text for p in passages],
                "" if refused else text,
                refused,
                [q for c in citations for q in c.quotes],
                highlight,
            )
    print(f"{args.eval.name}: {len(rows)} questions (answer_df <= {RARE_ANSWER_DF}), depth {args.depth}, {cpu_model()}")
    print(f"the gold answer is in one of the {args.depth} passages for {within_depth / max(len(rows), 1):.3f}")
    for name in names:
        figures = scores[name].to_json()
        wanted = ("ceiling", "answer_hit@1", "picker_share_of_ceiling", "refusal_rate", "short_answer_hit")
        ordering_ms = 1000 * seconds[name] / max(len(rows), 1)
        print(name, {key: figures[key] for key in wanted}, f"ordering {ordering_ms:.0f} ms a question")


if __name__ == "__main__":
    main()
