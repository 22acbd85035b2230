"""Which features the answer picker uses, chosen on the development sets with newsbot's own
retrieval: for each dev set's questions (answer_df <= 0.05), search as of the question's date
(k = 10) gives the candidate sentences the answerer would see. A model is fitted on rtqa-train (the
cache train/answer_picker.py --cache wrote) for each feature set, and scored by hit@1 on every dev
set: the share of the questions with an answer among the candidates whose top sentence holds it.

Forward selection: starting from similarity alone, the feature that raises the lower of the dev
sets' hit@1 most is added, while one does. The hand-weighted picker's hit@1 on the same candidates
is printed beside.

    python bench/tuning/select_picker_features.py --train-cache train-features.json \\
        --dev ../shared/eval/rtqa-2026=DATA_2026 ../shared/eval/rtqa-2025-dev=DATA_2025 [--cache DIR]
"""

import argparse
import json
import os
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common

from common import ROOT, read_jsonl

sys.path.insert(0, str(ROOT / "train"))


def runtime_candidates(eval_dir: Path, data_dir: Path) -> list[tuple[np.ndarray, list[bool], list[float]]]:
    """Per question with the answer among its candidates: (all features, holds, weighted priority)."""
    from bot.answering.question import Question
    from bot.evaluate import RARE_ANSWER_DF, contains, question_date
    from bot.pipeline import Pipeline
    from bot.settings import load_settings

    pipeline = Pipeline(
        load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(data_dir), "NEWSBOT_ANSWER_PICKER": "weighted"})
    )
    answerer = pipeline.answerer
    found = []
    for row in read_jsonl(eval_dir / "questions.jsonl"):
        if row.get("answer_df", 0) > RARE_ANSWER_DF:
            continue
        question = Question.of(row["question"], question_date(row))
        passages = pipeline.searcher.search(question, 10)
        candidates = answerer.candidates(question, passages)
        holds = [contains(c.sentence, str(row["answer"])) for c in candidates]
        if not any(holds):
            continue
        found.append((answerer.features(question, candidates), holds, [answerer.priority(c) for c in candidates]))
    return found


def hit_at_1(scores_and_holds) -> float:
    return round(
        sum(holds[int(np.argmax(scores))] for scores, holds in scores_and_holds) / max(len(scores_and_holds), 1), 3
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-cache", type=Path, required=True, help="the file train/answer_picker.py --cache wrote")
    parser.add_argument(
        "--dev", nargs="+", required=True, metavar="EVAL=DATA_DIR", help="a dev set's folder and its index"
    )
    parser.add_argument("--cache", type=Path, help="a folder to keep each dev set's candidates in, for the next run")
    args = parser.parse_args()

    from answer_picker import columns, fit_listwise, standardiser

    from bot.answering.picker import FEATURES

    records, _ = json.loads(args.train_cache.read_text(encoding="utf-8"))
    devs = {}
    for pair in args.dev:
        eval_dir, data_dir = (Path(part) for part in pair.split("=", 1))
        cached = args.cache / f"{eval_dir.name}.pkl" if args.cache else None
        if cached and cached.exists():
            devs[eval_dir.name] = pickle.loads(cached.read_bytes())
        else:
            devs[eval_dir.name] = runtime_candidates(eval_dir, data_dir)
            if cached:
                cached.write_bytes(pickle.dumps(devs[eval_dir.name]))
        weighted = hit_at_1([(priority, holds) for _, holds, priority in devs[eval_dir.name]])
        print(
            f"{eval_dir.name}: {len(devs[eval_dir.name])} questions with the answer among the candidates; weighted hit@1 {weighted}"
        )

    def score(names: tuple[str, ...]) -> dict[str, float]:
        chosen = columns(records, names)
        mean, scale = standardiser(chosen)
        coef = fit_listwise(chosen, mean, scale, names)
        picks = [FEATURES.index(name) for name in names]
        return {
            name: hit_at_1([(((features[:, picks] - mean) / scale) @ coef, holds) for features, holds, _ in rows])
            for name, rows in devs.items()
        }

    chosen = ("similarity",)
    best = score(chosen)
    print(f"{' '.join(chosen)}: {best}")
    while True:
        trials = {name: score(chosen + (name,)) for name in FEATURES if name not in chosen}
        for name, result in trials.items():
            print(f"  + {name}: {result}")
        name, result = max(trials.items(), key=lambda item: (min(item[1].values()), sum(item[1].values())))
        if min(result.values()) <= min(best.values()):
            break
        chosen, best = chosen + (name,), result
        print(f"{' '.join(chosen)}: {best}")
    print(f"\nchosen: {' '.join(chosen)}  {best}")


if __name__ == "__main__":
    main()
