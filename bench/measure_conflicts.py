"""Precision and recall of "Reports differ" on labelled sentence pairs (tests/data/conflict_pairs.jsonl).

    python bench/measure_conflicts.py [--labels tests/data/conflict_pairs.jsonl]
    python bench/measure_conflicts.py --sample OUT.jsonl --data-dir DATA_DIR [--floor 0.75]

Each pair is scored the way newsbot compares two reports of a story (find_disagreements: an update
or a disagreement counts as flagged), at the pair's measured sentence cosine. The labelled pairs were
drawn three ways (their "drawn_by"):
- similar sentences with figures from rtqa-2025-dev article pairs that are probably one story, which
  measures recall fairly (bench/labels/sample_story_pairs.py);
- pairs an earlier detector flagged, its similarity floor lowered to 0.6, between the stories of an
  rtqa-2025-dev index;
- pairs this detector flagged between the stories of an rtqa-2026 index, at its floor and at 0.65
  (`--sample`), which measures its precision on what it actually flags.
"""

import argparse
import json
import random
from pathlib import Path

import numpy as np
from common import ROOT

from bot.briefing import conflicts
from bot.briefing.conflicts import Claim, figures, find_disagreements


def flagged(row: dict) -> bool:
    """Whether newsbot flags the pair, as it would in a story: an update or a disagreement."""
    claims = [
        Claim(row[side]["text"], row[side]["article_id"], row[side]["source"], row[side]["published"])
        for side in ("a", "b")
    ]
    # Two unit vectors at the pair's measured cosine.
    vectors = np.array([[1.0, 0.0], [row["cosine"], (1 - row["cosine"] ** 2) ** 0.5]], dtype=np.float32)
    return bool(find_disagreements(claims, vectors))


def score(rows: list[dict]) -> dict:
    tp = fp = fn = 0
    for row in rows:
        flagged_here = flagged(row)
        tp += flagged_here and row["differ"]
        fp += flagged_here and not row["differ"]
        fn += not flagged_here and row["differ"]
    return {
        "pairs": len(rows),
        "differ": sum(r["differ"] for r in rows),
        "flagged": tp + fp,
        "right": tp,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
    }


def sample(data_dir: Path, out: Path, count: int, seed: int, floor: float) -> None:
    """Write up to `count` pairs the detector flags, with its similarity floor at `floor`, between
    the reports of each story of the index in `data_dir`, as newsbot compares them."""
    from measure_stories import place_all

    from index.search.catalog import Catalog

    catalog = Catalog(data_dir / "catalog.sqlite")
    records = catalog.articles()
    members: dict[str, list[str]] = {}
    for article_id, story in place_all(catalog.sketches()).items():
        if not records[article_id].copy_of:
            members.setdefault(story, []).append(article_id)
    conflicts.SAME_THING = floor
    found = []
    for ids in members.values():
        if len(ids) < 2:
            continue
        claims, vectors = [], []
        for article_id in ids:
            record = records[article_id]
            for text, vector in catalog.article_sentences(article_id):
                if figures(text):
                    claims.append(Claim(text, article_id, record.source, record.published))
                    vectors.append(vector)
        vectors = np.stack(vectors) if vectors else np.zeros((0, 1))
        index = {id(claim): k for k, claim in enumerate(claims)}
        for pair in find_disagreements(claims, vectors):
            found.append(
                (float(vectors[index[id(pair.first)]] @ vectors[index[id(pair.second)]]), pair.first, pair.second)
            )
    random.Random(seed).shuffle(found)
    drawn_by = f"flagged at {floor} in {data_dir.name}"
    with open(out, "w", encoding="utf-8") as handle:
        for n, (cosine, a, b) in enumerate(found[:count]):
            side = lambda c: {"article_id": c.article_id, "source": c.source, "published": c.published, "text": c.text}  # noqa: E731
            handle.write(
                json.dumps(
                    {"pair": 2000 + n, "cosine": round(cosine, 3), "a": side(a), "b": side(b), "drawn_by": drawn_by},
                    ensure_ascii=False,
                )
                + "\n"
            )
    print(f"{len(found)} flagged pairs; {min(count, len(found))} written to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=ROOT / "tests" / "data" / "conflict_pairs.jsonl")
    parser.add_argument("--sample", type=Path)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--floor", type=float, default=conflicts.SAME_THING, help="the similarity floor when sampling")
    args = parser.parse_args()
    if args.sample:
        sample(args.data_dir, args.sample, args.count, args.seed, args.floor)
        return
    rows = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(f"similar-sentence floor {conflicts.SAME_THING}")
    print("| pairs | differ | flagged | right | precision | recall |")
    print("|---|---|---|---|---|---|")
    groups = {
        "all": rows,
        # One publisher's two figures are "Updated"; two publishers' are "Reports differ".
        "same publisher (Updated)": [r for r in rows if r["a"]["source"] == r["b"]["source"]],
        "two publishers (Reports differ)": [r for r in rows if r["a"]["source"] != r["b"]["source"]],
        **{kind: [r for r in rows if r["drawn_by"] == kind] for kind in sorted({r["drawn_by"] for r in rows})},
    }
    for name, group in groups.items():
        s = score(group)
        print(
            f"| {name}: {s['pairs']} | {s['differ']} | {s['flagged']} | {s['right']} | {s['precision']} | {s['recall']} |"
        )


if __name__ == "__main__":
    main()
