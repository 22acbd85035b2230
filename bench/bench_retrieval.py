"""Retrieval side by side: llama-index's default pipeline (bench/llamaindex_default.py), and on
newsbot's index dense only, BM25 only and newsbot's search; the same questions and model. Scores are BudgetRecall@Nw and AnswerRecall@5/MRR@10 (bot/evaluate.py,
the same rule as the shared scorers), for all questions and for answers in at most 5% of articles.

The index is built (or reused) in --data-dir with `newsbot index`; the rtqa-2026 index of 28k
chunks takes about 22 minutes to embed on 2 cores, and re-runs reuse it.

llama-index's index is built (or reused) in DATA_DIR/llamaindex-default; --skip-llamaindex leaves it out.

    python bench/bench_retrieval.py --data-dir rtqa-data [--eval ../shared/eval/rtqa-2026] [--k 10] [--out-dir runs/]
"""

import argparse
import json
import os
import time
from pathlib import Path

from common import DEFAULT_EVAL, percentile

from bot.evaluate import RARE_ANSWER_DF, Scores, question_date, read_questions
from bot.pipeline import Pipeline
from bot.settings import load_settings


def dense_only(searcher, query: str, k: int, now) -> list[str]:
    embedding = searcher.embedder.embed_query(query)
    return [passage.text for passage in searcher.passages(searcher.dense_ranking(embedding, k), embedding)]


def bm25_only(searcher, query: str, k: int, now) -> list[str]:
    embedding = searcher.embedder.embed_query(query)
    return [passage.text for passage in searcher.passages(searcher.lexical_ranking(query, k), embedding)]


def newsbot(searcher, query: str, k: int, now) -> list[str]:
    return [passage.readable_text for passage in searcher.search(query, k, now)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--eval", type=Path, default=DEFAULT_EVAL, help="folder with articles.jsonl and questions.jsonl"
    )
    parser.add_argument("--data-dir", type=Path, required=True, help="where the index is built or reused")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--out-dir", type=Path, help="also write each method's run file here")
    parser.add_argument("--skip-llamaindex", action="store_true", help="leave out the llama-index default pipeline")
    args = parser.parse_args()

    pipeline = Pipeline(load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)}))
    print(pipeline.index([args.eval / "articles.jsonl"]).summary_line(), flush=True)
    questions = read_questions(args.eval / "questions.jsonl")
    searcher = pipeline.searcher
    newsbot(searcher, questions[0]["question"], args.k, None)  # warm up: index opened, BM25 loaded
    methods = {"dense": dense_only, "bm25": bm25_only, "newsbot": newsbot}
    if not args.skip_llamaindex:
        import llamaindex_default

        baseline, chunks = llamaindex_default.build_or_load(
            args.eval / "articles.jsonl", args.data_dir, pipeline.embedder
        )
        print(f"llama-index default: {chunks} chunks", flush=True)
        methods = {
            "llama-index default": lambda _, query, k, now: llamaindex_default.retrieve(baseline, query, k),
            **methods,
        }
    results = {}
    for name, method in methods.items():
        everything, rare, latencies, runs = Scores(), Scores(), [], []
        for row in questions:
            started = time.perf_counter()
            passages = method(searcher, row["question"], args.k, question_date(row))
            latencies.append((time.perf_counter() - started) * 1000)
            runs.append({"id": row["id"], "passages": passages, "answer": ""})
            everything.add(row["answer"], passages, "", False)
            if row.get("answer_df", 0) <= RARE_ANSWER_DF:
                rare.add(row["answer"], passages, "", False)
        results[name] = (everything.to_json(), rare.to_json(), percentile(latencies, 0.5), percentile(latencies, 0.95))
        if args.out_dir:
            args.out_dir.mkdir(parents=True, exist_ok=True)
            (args.out_dir / f"{name.replace(' ', '-')}.jsonl").write_text(
                "".join(json.dumps(r) + "\n" for r in runs), encoding="utf-8"
            )
        print(f"{name}: done", flush=True)

    print(
        f"\n{len(questions)} questions, k={args.k}; df <= {RARE_ANSWER_DF}: {results['newsbot'][1]['questions']} questions"
    )
    print("| method | B100 | B250 | B1000 | R@5 | MRR@10 | B250 (all) | search p50 | search p95 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (everything, rare, p50, p95) in results.items():
        print(
            f"| {name} | {rare['budget_recall@100w']:.3f} | {rare['budget_recall@250w']:.3f} | {rare['budget_recall@1000w']:.3f} | "
            f"{rare['answer_recall@5']:.3f} | {rare['mrr@10']:.3f} | {everything['budget_recall@250w']:.3f} | {p50:.1f} ms | {p95:.1f} ms |"
        )


if __name__ == "__main__":
    main()
