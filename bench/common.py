"""Shared by the benchmarks: the repository on sys.path, the eval data, and medians."""

import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.offline import configure_offline  # noqa: E402

configure_offline()
DEFAULT_EVAL = ROOT.parent / "shared" / "eval" / "rtqa-2026"


def cpu_model() -> str:
    """lscpu's model name, which every speed figure names."""
    import re
    import subprocess

    found = re.search(r"Model name:\s*(.+)", subprocess.run(["lscpu"], capture_output=True, text=True).stdout)
    return found.group(1).strip() if found else "unknown CPU"


def read_jsonl(path: Path, limit: int | None = None) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                rows.append(json.loads(line))
                if limit and len(rows) == limit:
                    break
    return rows


def write_subset(articles: Path, limit: int, target: Path) -> Path:
    """The first `limit` articles as a .jsonl newsbot can index."""
    target.write_text("".join(json.dumps(a) + "\n" for a in read_jsonl(articles, limit)), encoding="utf-8")
    return target


def median(values):
    return statistics.median(values)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def chosen(variants: dict, wanted: list[str]) -> dict:
    """The variants whose names contain one of `wanted` (all when empty)."""
    return {name: value for name, value in variants.items() if not wanted or any(w in name for w in wanted)}


def open_tuning_run(description: str):
    """(args, pipeline, questions) for a tuning bench: --eval, --data-dir and --k parsed, the
    pipeline on the existing index, and the questions whose answer is in at most 5% of articles."""
    import argparse

    from bot.evaluate import RARE_ANSWER_DF, read_questions
    from bot.pipeline import Pipeline
    from bot.settings import load_settings

    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="folder with questions.jsonl")
    parser.add_argument("--data-dir", type=Path, required=True, help="an index of the eval articles")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument(
        "--variants", nargs="*", default=[], help="run only the variants whose names contain one of these"
    )
    args = parser.parse_args()
    pipeline = Pipeline(load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)}))
    questions = [
        row for row in read_questions(args.eval / "questions.jsonl") if row.get("answer_df", 0) <= RARE_ANSWER_DF
    ]
    print(f"{len(questions)} questions with answer_df <= {RARE_ANSWER_DF}, k={args.k}\n")
    return args, pipeline, questions
