"""Join two labellers' labels of the pairs bench/labels/sample_story_pairs.py drew, by the one rule of
train/data/LABELLING.md: where they disagree, the pair takes the negative label and is unsure.

    python bench/labels/merge_labels.py --pairs pairs/sentences-to-label.jsonl --field differ \
        --labels pairs/labels/sentences.A.jsonl pairs/labels/sentences.B.jsonl --out train/data/conflict_pairs.jsonl

--pairs may name several files (the parts each labeller pair read), and --labels takes the first
labeller's files, then the second's, in the same order. Prints how often they agreed.
"""

import argparse
import json
from pathlib import Path


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def compact(pair: dict) -> dict:
    """An article pair as tests/data keeps them: ids and dates, not the articles' text, which
    stays in shared/eval."""
    if "id" not in pair["a"]:
        return pair
    return {
        "pair": pair["pair"],
        "a": pair["a"]["id"],
        "b": pair["b"]["id"],
        "published_a": pair["a"]["published"],
        "published_b": pair["b"]["published"],
        "drawn_by": pair.get("drawn_by", ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=Path, nargs="+", required=True)
    parser.add_argument("--labels", type=Path, nargs="+", required=True, help="labeller A's files, then labeller B's")
    parser.add_argument("--field", required=True, help="the label: same_story or differ")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--drawn-by", default="", help="drawn_by for pairs that have none")
    args = parser.parse_args()
    if len(args.labels) != 2 * len(args.pairs):
        parser.error("--labels needs two files per --pairs file: labeller A's, then labeller B's")
    half = len(args.pairs)
    merged, agreed, positives = [], 0, 0
    for k, pairs_file in enumerate(args.pairs):
        first = {row["pair"]: row for row in read(args.labels[k])}
        second = {row["pair"]: row for row in read(args.labels[half + k])}
        for pair in map(compact, read(pairs_file)):
            a, b = first[pair["pair"]], second[pair["pair"]]
            same = bool(a[args.field]) == bool(b[args.field])
            label = bool(a[args.field]) and bool(b[args.field])
            agreed += same
            positives += label
            extra = {key: a[key] for key in ("why", "about") if a.get(key)}
            merged.append(
                {
                    **pair,
                    "drawn_by": pair.get("drawn_by") or args.drawn_by,
                    args.field: label,
                    "unsure": not same or bool(a.get("unsure")) or bool(b.get("unsure")),
                    **extra,
                    "labels": [bool(a[args.field]), bool(b[args.field])],
                }
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in merged), encoding="utf-8")
    print(
        f"{len(merged)} pairs: the labellers agreed on {agreed} ({agreed / len(merged):.1%}); {positives} {args.field}"
    )


if __name__ == "__main__":
    main()
