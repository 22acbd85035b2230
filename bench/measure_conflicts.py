"""Precision and recall of "Reports differ" on labelled sentence pairs (tests/data/conflict_pairs.jsonl).

    python bench/measure_conflicts.py [--labels tests/data/conflict_pairs.jsonl]
    python bench/measure_conflicts.py --sample OUT.jsonl --data-dir rtqa-2025-dev-data

The labelled pairs were drawn two ways (their "drawn_by"): similar sentences with figures from article
pairs that are probably one story, which measures recall fairly; and pairs the detector, with its
similarity floor lowered to 0.6, flags between the stories of an rtqa-2025-dev index, which measures
its precision on what it actually flags. `--sample` draws that second kind.
"""

import argparse
import json
import random
from pathlib import Path


from common import ROOT
from bot.briefing import conflicts
from bot.briefing.conflicts import disagree, figures


def score(rows: list[dict]) -> dict:
    tp = fp = fn = 0
    for row in rows:
        flagged = bool(disagree(row["a"]["text"], row["b"]["text"], row["cosine"]))
        tp += flagged and row["differ"]
        fp += flagged and not row["differ"]
        fn += not flagged and row["differ"]
    return {
        "pairs": len(rows), "differ": sum(r["differ"] for r in rows), "flagged": tp + fp, "right": tp,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None, "recall": round(tp / (tp + fn), 3) if tp + fn else None,
    }


def sample(data_dir: Path, out: Path, count: int, seed: int) -> None:
    from index.catalog import Catalog
    from measure_stories import place_all

    catalog = Catalog(data_dir / "catalog.sqlite")
    records = catalog.articles()
    stories = place_all(catalog.sketches())
    members: dict[str, list[str]] = {}
    for article_id, story in stories.items():
        members.setdefault(story, []).append(article_id)
    conflicts.SAME_THING = 0.6
    found = []
    for story, ids in members.items():
        if len(ids) < 2:
            continue
        claims = []
        for article_id in ids:
            claims += [(article_id, text, vector) for text, vector in catalog.article_sentences(article_id) if figures(text)]
        for i in range(len(claims)):
            for j in range(i + 1, len(claims)):
                if claims[i][0] == claims[j][0]:
                    continue
                cosine = float(claims[i][2] @ claims[j][2])
                if disagree(claims[i][1], claims[j][1], cosine):
                    found.append((cosine, claims[i], claims[j]))
    random.Random(seed).shuffle(found)
    with open(out, "w", encoding="utf-8") as handle:
        for n, (cosine, a, b) in enumerate(found[:count]):
            side = lambda c: {"article_id": c[0], "source": records[c[0]].source, "published": records[c[0]].published, "text": c[1]}  # noqa: E731
            handle.write(json.dumps({"pair": 1000 + n, "cosine": round(cosine, 3), "a": side(a), "b": side(b), "drawn_by": "flagged at 0.6"}, ensure_ascii=False) + "\n")
    print(f"{len(found)} flagged pairs; {min(count, len(found))} written to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=ROOT / "tests" / "data" / "conflict_pairs.jsonl")
    parser.add_argument("--sample", type=Path)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    if args.sample:
        sample(args.data_dir, args.sample, args.count, args.seed)
        return
    rows = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(f"similar-sentence floor {conflicts.SAME_THING}")
    print("| pairs | differ | flagged | right | precision | recall |")
    print("|---|---|---|---|---|---|")
    groups = {"all": rows, **{kind: [r for r in rows if r["drawn_by"] == kind] for kind in sorted({r["drawn_by"] for r in rows})}}
    for name, group in groups.items():
        s = score(group)
        print(f"| {name}: {s['pairs']} | {s['differ']} | {s['flagged']} | {s['right']} | {s['precision']} | {s['recall']} |")


if __name__ == "__main__":
    main()
