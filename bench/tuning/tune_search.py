"""How search's time and diversity settings were chosen: each variant of index/search/searcher.py's constants
is run over the same questions on one index, side by side, and scored by BudgetRecall (df <= 0.05).

Variants change the module constants in this process only. The index must exist (see
bench_retrieval.py); nothing is embedded here but the questions.

    python bench/tuning/tune_search.py --data-dir rtqa-data [--eval ../shared/eval/rtqa-2026] [--k 10]
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common

from common import chosen, open_tuning_run, percentile

import index.search.diversify as diversify
import index.search.searcher as search
from bot.evaluate import Scores, question_date

CONSTANTS = ("DENSE_WEIGHT", "CANDIDATES", "NAMED_TIME_WEIGHT", "RECENT_WEIGHT", "RECENT_DAYS", "RRF_K")
NEWSBOT = {constant: getattr(search, constant) for constant in CONSTANTS} | {"per_article": 2, "collapse": True}
# Each variant: what differs from newsbot's settings. "BM25 alone" and "dense alone" are the single
# rankings' top k chunks, as they are (BM25 with titles counted twice, as shipped). Variants of the
# lexical index itself (title weight, pseudo-relevance feedback) were measured on the index layout
# before the catalog (docs/benchmarks.md, round 3) and are not rerun here.
VARIANTS = {
    "BM25 alone": "bm25",
    "dense alone": "dense",
    "hybrid only": {"NAMED_TIME_WEIGHT": 0.0, "RECENT_WEIGHT": 0.0, "per_article": 99, "collapse": False},
    "+ named times": {"RECENT_WEIGHT": 0.0, "per_article": 99, "collapse": False},
    "+ recent 14 d x0.5": {"per_article": 99, "collapse": False},
    "+ copies collapsed": {"per_article": 99},
    "+ 2 per article (newsbot)": {},
    "recent 7 d x0.5": {"RECENT_DAYS": 7},
    "recent 30 d x0.5": {"RECENT_DAYS": 30},
    "recent 14 d x0.25": {"RECENT_WEIGHT": 0.25},
    "recent 14 d x1": {"RECENT_WEIGHT": 1.0},
    "named times x2": {"NAMED_TIME_WEIGHT": 2.0},
    "dense x0.5": {"DENSE_WEIGHT": 0.5},
    "dense x0.75": {"DENSE_WEIGHT": 0.75},
    "dense x1.25": {"DENSE_WEIGHT": 1.25},
    "100 candidates each": {"CANDIDATES": 100},
    "RRF k=20": {"RRF_K": 20},
    "RRF k=120": {"RRF_K": 120},
    "1 per article": {"per_article": 1},
    "3 per article": {"per_article": 3},
}


def single_ranking(searcher, kind: str, query: str, k: int) -> list[str]:
    embedding = searcher.embedder.embed_query(query)
    ranking = searcher.lexical_ranking(query, k) if kind == "bm25" else searcher.dense_ranking(embedding, k)
    return [passage.text for passage in searcher.passages(ranking, embedding)]


def main():
    args, pipeline, questions = open_tuning_run(__doc__)
    searcher = pipeline.searcher
    searcher.search(questions[0]["question"], args.k)  # warm up
    collapse = search.collapse_copies
    print("| variant | B100 | B250 | B1000 | MRR@10 | search p50 |")
    print("|---|---|---|---|---|---|")
    for name, changes in chosen(VARIANTS, args.variants).items():
        variant = {**NEWSBOT, **(changes if isinstance(changes, dict) else {})}
        for constant in CONSTANTS:
            setattr(search, constant, variant[constant])
        search.cap_per_article = lambda ranked, k, cap=variant["per_article"]: diversify.cap_per_article(ranked, k, cap)
        search.collapse_copies = (
            collapse if variant["collapse"] else (lambda ranked, vectors: [(i, []) for i in range(len(ranked))])
        )
        scores, latencies = Scores(), []
        for row in questions:
            started = time.perf_counter()
            if isinstance(changes, str):
                passages = single_ranking(searcher, changes, row["question"], args.k)
            else:
                passages = [p.readable_text for p in searcher.search(row["question"], args.k, question_date(row))]
            latencies.append((time.perf_counter() - started) * 1000)
            scores.add(row["answer"], passages, "", False)
        result = scores.to_json()
        print(
            f"| {name} | {result['budget_recall@100w']:.3f} | {result['budget_recall@250w']:.3f} | "
            f"{result['budget_recall@1000w']:.3f} | {result['mrr@10']:.3f} | {percentile(latencies, 0.5):.1f} ms |",
            flush=True,
        )


if __name__ == "__main__":
    main()
