"""Sentence pickers side by side on one candidate set, with no index needed: for each question of a
dev set (answer_df <= 0.05), the candidates are the quotable sentences of its own search results
that BM25 ranks highest for it (as train/answer_picker.py builds them from rtqa-train). Each picker
scores them; the figures are

- ceiling: the share of questions with a candidate holding the gold answer;
- hit@1: the share whose top-scored sentence holds it, and hit@1 / ceiling, the picker's share;
- gate: at each threshold, the share of answerable questions refused (best score under it).

Pickers:
- weighted: the hand-weighted relevance the answerer shipped before (0.8 cosine + 0.2 word
  overlap, plus KIND_BONUS for a sentence holding the kind of thing asked for);
- learned: the shipped picker (bot/answering/picker.py), a logistic model over the sentence's
  features, trained on rtqa-train;
- reader: with --reader DIR, a reader train/reader.py wrote there (bot/answering/reader_model is
  the shipped one), over every candidate.

    python bench/compare_pickers.py [--eval ../shared/eval/rtqa-2026 ../shared/eval/rtqa-2025-dev]
                                    [--candidates 32] [--reader DIR]
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from common import ROOT, read_jsonl

sys.path.insert(0, str(ROOT / "train"))

SETS = [ROOT.parent / "shared" / "eval" / "rtqa-2026", ROOT.parent / "shared" / "eval" / "rtqa-2025-dev"]
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def candidate_sets(folder: Path) -> list[dict]:
    """Per question: its text, candidate rows (train/answer_picker.py's `candidates`, which also
    keeps up to two answer sentences BM25 ranks lower) and the answer."""
    from answer_picker import candidates

    from bot.evaluate import RARE_ANSWER_DF

    questions = [q for q in read_jsonl(folder / "questions.jsonl") if q.get("answer_df", 0) <= RARE_ANSWER_DF]
    wanted = {a for q in questions for a in q.get("gcs_article_ids", [])}
    articles = {a["id"]: a for a in read_jsonl(folder / "articles.jsonl") if a["id"] in wanted}
    return [{"question": q, "rows": candidates(q, articles) if q.get("gcs_article_ids") else []} for q in questions]


def weighted(row) -> float:
    from bot.answering.answer import KIND_BONUS, SIMILARITY_WEIGHT

    return SIMILARITY_WEIGHT * row[0] + (1 - SIMILARITY_WEIGHT) * row[1] + KIND_BONUS * row[4]


def summarise(name: str, scored: list[tuple[list[float], list[bool]]]) -> dict:
    n = len(scored)
    ceiling = sum(any(holds) for _, holds in scored)
    hits = sum(bool(scores) and holds[int(np.argmax(scores))] for scores, holds in scored)
    gate = {}
    for threshold in THRESHOLDS:
        refused = sum(any(holds) and max(scores) < threshold for scores, holds in scored)
        gate[threshold] = round(refused / max(ceiling, 1), 3)
    return {
        "picker": name,
        "questions": n,
        "ceiling": round(ceiling / n, 3),
        "hit@1": round(hits / n, 3),
        "share_of_ceiling": round(hits / max(ceiling, 1), 3),
        "refused_answerable_at": gate,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, nargs="+", default=SETS)
    parser.add_argument("--reader", type=Path, help="a folder written by train/reader.py")
    parser.add_argument("--picker", type=Path, help="a picker_model folder (default: the shipped one)")
    parser.add_argument(
        "--cache", type=Path, help="a folder to keep each set's embedded candidates in, for the next run"
    )
    args = parser.parse_args()

    from answer_picker import featurise

    from bot.answering.picker import FEATURES, AnswerPicker
    from index.embedding.embedder import Embedder

    embedder = Embedder()
    picker = AnswerPicker(args.picker)
    reader = None
    if args.reader:
        from bot.answering.reader import Reader

        reader = Reader(args.reader)
    for folder in args.eval:
        cached = args.cache / f"{folder.name}.json" if args.cache else None
        if cached and cached.exists():
            sets = json.loads(cached.read_text(encoding="utf-8"))
        else:
            sets = candidate_sets(folder)
            for item in sets:
                item["features"] = featurise(embedder, item["question"], item["rows"]) if item["rows"] else []
            if cached:
                cached.write_text(json.dumps(sets), encoding="utf-8")
        results = {"weighted": [], "learned": [], **({"reader": []} if reader else {})}
        seconds = {name: 0.0 for name in results}
        for item in sets:
            rows, question = item["rows"], item["question"]
            holds = [row["holds"] for row in rows]
            found = np.array(item["features"]) if rows else np.zeros((0, len(FEATURES)))
            began = time.perf_counter()
            results["weighted"].append(([weighted(row) for row in found], holds))
            seconds["weighted"] += time.perf_counter() - began
            began = time.perf_counter()
            results["learned"].append((list(picker.confidences(found)), holds))
            seconds["learned"] += time.perf_counter() - began
            if reader:
                began = time.perf_counter()
                readings = reader.read(question["question"], [(r["text"], r["title"]) for r in rows])
                results["reader"].append(([r.probability for r in readings], holds))
                seconds["reader"] += time.perf_counter() - began
        print(f"\n{folder.name}: {len(sets)} questions (answer_df <= 0.05)")
        for name, scored in results.items():
            print(
                {
                    **summarise(name, scored),
                    "scoring_ms_per_question": round(1000 * seconds[name] / max(len(sets), 1), 2),
                }
            )


if __name__ == "__main__":
    main()
