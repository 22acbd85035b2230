"""Shared by the benchmarks: the repository on sys.path, the eval data, and medians."""

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_EVAL = ROOT.parent / "shared" / "eval" / "rtqa-2026"


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
