"""Draw the article pairs and sentence pairs that were labelled by reading them, for the story and
conflict measurements (tests/data/story_pairs.jsonl, tests/data/conflict_pairs.jsonl).

    python bench/sample_story_pairs.py --data-dir rtqa-2025-dev-data --out pairs/

The pairs are drawn from an index of rtqa-2025-dev, seeded, so that about half are look-alikes: the
same topic on another event, or the same event days apart. They are drawn by three different
measures (article vectors, lead vectors and title words), so that no one method's mistakes are
missing from the set. Writes articles-to-label.jsonl and sentences-to-label.jsonl; the labels were
added by reading each pair.
"""

import argparse
import json
import random
import re
import sqlite3
from datetime import date
from pathlib import Path

import numpy as np

from common import ROOT  # noqa: F401  (the repository on sys.path)
from index.embedding.sentence_vectors import sentence_key, unpack
from index.articles.sentences import sentence_texts

NUMBER = re.compile(r"\d")
DATELINE = re.compile(r"^[A-Z][a-z]{2,4}\.? \d{1,2}, \d{4}")


def article_table(catalog: Path) -> dict[str, dict]:
    db = sqlite3.connect(catalog)
    articles = {}
    for article_id, record in db.execute("SELECT article_id, record FROM articles"):
        record = json.loads(record)
        articles[article_id] = {"id": article_id, **{k: record[k] for k in ("title", "source", "url", "published")}, "chunks": []}
    for article_id, position, text, vector, sentences in db.execute(
        "SELECT article_id, position, text, vector, sentence_vectors FROM chunks ORDER BY article_id, position"
    ):
        articles[article_id]["chunks"].append((text, np.frombuffer(vector, dtype=np.float32), sentences))
    return {k: a for k, a in articles.items() if a["chunks"] and a["published"]}


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=360)
    parser.add_argument("--sentence-pairs", type=int, default=170)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    articles = article_table(args.data_dir / "catalog.sqlite")
    ids = sorted(articles)
    days = np.array([date.fromisoformat(articles[i]["published"][:10]).toordinal() for i in ids])
    whole = np.stack([unit(np.mean([c[1] for c in articles[i]["chunks"]], axis=0)) for i in ids])
    lead = np.stack([unit(articles[i]["chunks"][0][1]) for i in ids])
    titles = [set(re.findall(r"[a-z0-9']{3,}", articles[i]["title"].lower())) for i in ids]

    close_in_time = np.abs(days[:, None] - days[None, :]) <= 7
    upper = np.triu(np.ones_like(close_in_time), 1).astype(bool)
    candidates = np.argwhere(close_in_time & upper)
    sims = (whole[candidates[:, 0]] * whole[candidates[:, 1]]).sum(1)
    lead_sims = (lead[candidates[:, 0]] * lead[candidates[:, 1]]).sum(1)
    bins = {
        "very-close": sims >= 0.85,
        "close": (sims >= 0.75) & (sims < 0.85),
        "same-topic": (sims >= 0.6) & (sims < 0.75),
        "lead-close": (lead_sims >= 0.7) & (sims < 0.75),
    }
    share = {"very-close": 0.25, "close": 0.25, "same-topic": 0.25, "lead-close": 0.1}
    chosen: dict[tuple[int, int], str] = {}
    for name, mask in bins.items():
        rows = [tuple(r) for r in candidates[mask]]
        rng.shuffle(rows)
        for row in rows[: int(args.pairs * share[name])]:
            chosen.setdefault(row, name)
    # Title-word look-alikes, which a title baseline would join.
    title_rows = [
        tuple(r) for r in candidates[(sims < 0.75)]
        if len(titles[r[0]] & titles[r[1]]) >= 2
    ]
    rng.shuffle(title_rows)
    for row in title_rows[: args.pairs - len(chosen)]:
        chosen.setdefault(row, "title-words")
    args.out.mkdir(parents=True, exist_ok=True)

    def shown(i: int) -> dict:
        a = articles[ids[i]]
        text = " ".join(c[0] for c in a["chunks"][:2])
        return {k: a[k] for k in ("id", "title", "source", "published")} | {"lead": text[:900]}

    with open(args.out / "articles-to-label.jsonl", "w", encoding="utf-8") as handle:
        for n, ((i, j), drawn) in enumerate(sorted(chosen.items(), key=lambda item: rng.random())):
            handle.write(json.dumps({"pair": n, "drawn_by": drawn, "a": shown(i), "b": shown(j)}, ensure_ascii=False) + "\n")

    # Sentence pairs with numbers, from article pairs that are probably one story.
    story_like = [tuple(r) for r in candidates[(sims >= 0.8) & (np.abs(days[candidates[:, 0]] - days[candidates[:, 1]]) <= 4)]]
    rng.shuffle(story_like)
    sentence_rows, seen = [], set()
    for i, j in story_like:
        if len(sentence_rows) >= args.sentence_pairs:
            break
        pairs = []
        for side in (i, j):
            a = articles[ids[side]]
            vectors = unpack([c[2] for c in a["chunks"]], whole.shape[1])
            texts = [t for c in a["chunks"] for t in sentence_texts(c[0]) if NUMBER.search(t) and len(t.split()) >= 6 and not DATELINE.match(t)]
            pairs.append([(t, vectors.get(sentence_key(t))) for t in dict.fromkeys(texts)])
        scored = [
            (float(va @ vb), ta, tb) for ta, va in pairs[0] for tb, vb in pairs[1]
            if va is not None and vb is not None and ta != tb
        ]
        scored = [s for s in scored if s[0] >= 0.5]
        scored.sort(reverse=True)
        for cosine, ta, tb in scored[:2]:
            if (ta, tb) in seen:
                continue
            seen.add((ta, tb))
            sentence_rows.append({
                "pair": len(sentence_rows), "cosine": round(cosine, 3),
                "a": {"article_id": ids[i], "source": articles[ids[i]]["source"], "published": articles[ids[i]]["published"], "text": ta},
                "b": {"article_id": ids[j], "source": articles[ids[j]]["source"], "published": articles[ids[j]]["published"], "text": tb},
            })
    with open(args.out / "sentences-to-label.jsonl", "w", encoding="utf-8") as handle:
        for row in sentence_rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} article pairs and {len(sentence_rows)} sentence pairs in {args.out}")


if __name__ == "__main__":
    main()
