"""How search's time and diversity settings were chosen: each variant of index/search.py's constants
is run over the same questions on one index, side by side, and scored by BudgetRecall (df <= 0.05).

Variants change the module constants in this process only. The index must exist (see
bench_retrieval.py); nothing is embedded here but the questions.

    python bench/tune_search.py --data-dir rtqa-data [--eval ../shared/eval/rtqa-2026] [--k 10]
"""

import time

from common import chosen, open_tuning_run, percentile

import index.diversify as diversify
import index.search as search
from bot.evaluate import Scores, question_date
from index.lexical import TITLE_REPEATS, LexicalIndex
from index.store import read_all

CONSTANTS = (
    "DENSE_WEIGHT", "CANDIDATES", "NAMED_TIME_WEIGHT", "RECENT_WEIGHT", "RECENT_DAYS", "RRF_K", "FEEDBACK_CHUNKS",
    "FEEDBACK_TERMS", "QUERY_WEIGHT",
)
NEWSBOT = {constant: getattr(search, constant) for constant in CONSTANTS} | {"per_article": 2, "collapse": True, "title": TITLE_REPEATS}
# Each variant: what differs from newsbot's settings. "plain BM25" and "plain dense" are the single
# rankings' top k chunks, as they are.
VARIANTS = {
    "plain BM25": {"title": 1, "single": "bm25"},
    "plain dense": "dense",
    "hybrid only": {"NAMED_TIME_WEIGHT": 0.0, "RECENT_WEIGHT": 0.0, "per_article": 99, "collapse": False, "title": 1},
    "+ named times": {"RECENT_WEIGHT": 0.0, "per_article": 99, "collapse": False},
    "+ recent 14 d x0.5": {"per_article": 99, "collapse": False},
    "+ copies collapsed": {"per_article": 99},
    "+ 2 per article (newsbot)": {},
    "+ feedback 10 terms, query x3": {"FEEDBACK_TERMS": 10},
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
    "feedback 5 terms": {"FEEDBACK_TERMS": 5},
    "feedback 20 terms": {"FEEDBACK_TERMS": 20},
    "feedback 10 terms from 10 chunks": {"FEEDBACK_TERMS": 10, "FEEDBACK_CHUNKS": 10},
    "feedback 10 terms, query x2": {"FEEDBACK_TERMS": 10, "QUERY_WEIGHT": 2},
    # Field weighting: BM25 reads the article's title this many times before each chunk's text.
    "title x0 in BM25": {"title": 0},
    "title x1 in BM25": {"title": 1},
    "title x3 in BM25": {"title": 3},
    "plain BM25, title x2": {"single": "bm25"},
}


def lexical_with_title(view, repeats: int) -> LexicalIndex:
    """The view's BM25 rebuilt, row for row, with each chunk's title repeated `repeats` times."""
    stored = read_all(view.generation.collection(), ["documents", "metadatas"])
    fields = {i: ((m or {}).get("title", ""), d or "") for i, d, m in zip(stored["ids"], stored["documents"], stored["metadatas"])}
    texts = ["\n".join([fields[i][0]] * repeats + [fields[i][1]]) for i in view.lexical.chunk_ids]
    return LexicalIndex.build(view.lexical.chunk_ids, texts)


def single_ranking(searcher, kind: str, query: str, k: int) -> list[str]:
    embedding = searcher.embedder.embed_query(query)
    ranking = searcher.lexical_ranking(query, k) if kind == "bm25" else searcher.dense_ranking(embedding, k)
    return [passage.text for passage in searcher.passages(ranking, embedding)]


def main():
    args, pipeline, questions = open_tuning_run(__doc__)
    searcher = pipeline.searcher
    searcher.search(questions[0]["question"], args.k)  # warm up
    collapse = search.collapse_copies
    view = searcher.view()
    lexicals = {TITLE_REPEATS: view.lexical}
    print("| variant | B100 | B250 | B1000 | MRR@10 | search p50 |")
    print("|---|---|---|---|---|---|")
    for name, changes in chosen(VARIANTS, args.variants).items():
        variant = {**NEWSBOT, **(changes if isinstance(changes, dict) else {})}
        if variant["title"] not in lexicals:
            lexicals[variant["title"]] = lexical_with_title(view, variant["title"])
        view.lexical = lexicals[variant["title"]]
        changes = variant.get("single", changes)
        for constant in CONSTANTS:
            setattr(search, constant, variant[constant])
        search.cap_per_article = lambda ranked, k, cap=variant["per_article"]: diversify.cap_per_article(ranked, k, cap)
        search.collapse_copies = collapse if variant["collapse"] else (lambda ranked, vectors: [(i, []) for i in range(len(ranked))])
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
        print(f"| {name} | {result['budget_recall@100w']:.3f} | {result['budget_recall@250w']:.3f} | "
              f"{result['budget_recall@1000w']:.3f} | {result['mrr@10']:.3f} | {percentile(latencies, 0.5):.1f} ms |", flush=True)


if __name__ == "__main__":
    main()
