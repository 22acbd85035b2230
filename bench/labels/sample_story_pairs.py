"""Draw the article pairs and sentence pairs that were labelled by reading them, for the story and
conflict measurements (tests/data/story_pairs.jsonl, tests/data/conflict_pairs.jsonl) and for
training (train/data/story_pairs.jsonl, train/data/conflict_pairs.jsonl, from the training weeks).

    python bench/labels/sample_story_pairs.py --data-dir rtqa-2025-dev-data --out pairs/
    python bench/labels/sample_story_pairs.py --articles ../shared/eval/rtqa-train/articles.jsonl.gz \
        ../shared/eval/rtqa-train-2022/articles.jsonl.gz --limit 2500 --out pairs/ --seed 32

With --articles, no index is needed: whole six-week blocks of the files are drawn until
--limit articles are in (stories stay whole, and developing ones can be drawn weeks apart),
cleaned as newsbot cleans them, and embedded here. --weeks-apart adds a share of pairs 4 to 42 days
apart that look alike: one developing story, or a recurring event.

The pairs are drawn from an index of rtqa-2025-dev, seeded, so that about half are look-alikes: the
same topic on another event, or the same event days apart. They are drawn by three different
measures (article vectors, lead vectors and title words), so that no one method's mistakes are
missing from the set. Writes articles-to-label.jsonl and sentences-to-label.jsonl (and with
--figure-pairs, figure-pairs-to-label.jsonl); the labels were added by reading each pair.
"""

import argparse
import functools
import gzip
import json
import random
import re
import sqlite3
import sys
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common

from common import ROOT

from index.articles.sentences import sentence_texts
from index.embedding.sentence_vectors import sentence_key, unpack

NUMBER = re.compile(r"\d")
DATELINE = re.compile(r"^[A-Z][a-z]{2,4}\.? \d{1,2}, \d{4}")


def article_table(catalog: Path) -> dict[str, dict]:
    db = sqlite3.connect(catalog)
    articles = {}
    for article_id, record in db.execute("SELECT article_id, record FROM articles"):
        record = json.loads(record)
        articles[article_id] = {
            "id": article_id,
            **{k: record[k] for k in ("title", "source", "url", "published")},
            "chunks": [],
        }
    for article_id, _position, text, vector, sentences in db.execute(
        "SELECT article_id, position, text, vector, sentence_vectors FROM chunks ORDER BY article_id, position"
    ):
        articles[article_id]["chunks"].append((text, np.frombuffer(vector, dtype=np.float32), sentences))
    return {k: a for k, a in articles.items() if a["chunks"] and a["published"]}


def jsonl_table(paths: list[Path], limit: int, rng: random.Random) -> dict[str, dict]:
    """Like `article_table`, from article files: whole six-week blocks drawn at random until `limit`
    articles are in, each cleaned and cut into chunks of about CHUNK_CHARACTERS, embedded here. A
    chunk's third field, its sentences' packed vectors, is None: they are embedded when wanted."""
    from index.articles.clean import clean_text

    records = []
    for path in paths:
        with (
            gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")
        ) as handle:
            records += [r for line in handle if line.strip() and (r := json.loads(line)).get("published")]
    blocks: dict[int, list[dict]] = {}
    for record in records:
        blocks.setdefault(date.fromisoformat(record["published"][:10]).toordinal() // BLOCK_DAYS, []).append(record)
    drawn: list[dict] = []
    for key in rng.sample(sorted(blocks), len(blocks)):
        if len(drawn) >= limit:
            break
        drawn += blocks[key]
    embedder = shared_embedder()
    articles = {}
    for record in drawn:
        chunks, piece = [], []
        for sentence in sentence_texts(clean_text(record.get("text", ""))):
            piece.append(sentence)
            if sum(len(t) for t in piece) >= CHUNK_CHARACTERS:
                chunks.append(" ".join(piece))
                piece = []
        chunks = (chunks + [" ".join(piece)] if piece else chunks)[:CHUNKS_READ]
        if chunks:
            articles[record["id"]] = {
                "id": record["id"],
                **{k: record.get(k, "") for k in ("title", "source", "url", "published")},
                "chunks": [(text, vector, None) for text, vector in zip(chunks, embedder.embed(chunks))],
            }
    return articles


BLOCK_DAYS = 42
CHUNK_CHARACTERS = 1000
CHUNKS_READ = 4  # of an article: enough for its lead and its figures


def sentence_vectors(article: dict, texts: list[str], dimension: int) -> dict[bytes, np.ndarray]:
    """The vectors of `texts`, sentences of `article`: stored with its chunks, or embedded now."""
    if all(c[2] is not None for c in article["chunks"]):
        return unpack([c[2] for c in article["chunks"]], dimension)
    return {sentence_key(t): v for t, v in zip(texts, shared_embedder().embed(texts))}


@functools.cache
def shared_embedder():
    from index.embedding.embedder import Embedder

    return Embedder()


def upper_of(size: int) -> np.ndarray:
    return np.triu(np.ones((size, size), dtype=bool), 1)


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data-dir", type=Path, help="an index to draw from (its catalog.sqlite)")
    source.add_argument("--articles", type=Path, nargs="+", help="article files (.jsonl or .jsonl.gz) to draw from")
    parser.add_argument("--limit", type=int, default=2500, help="with --articles: how many articles to draw")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=360)
    parser.add_argument("--sentence-pairs", type=int, default=170)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--weeks-apart", type=float, default=0.0, help="share of pairs 4-42 days apart")
    parser.add_argument(
        "--figure-pairs",
        type=int,
        default=0,
        help="also draw this many sentence pairs whose figures differ (figure-pairs-to-label.jsonl)",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    articles = (
        article_table(args.data_dir / "catalog.sqlite")
        if args.data_dir
        else jsonl_table(args.articles, args.limit, rng)
    )
    ids = sorted(articles)
    days = np.array([date.fromisoformat(articles[i]["published"][:10]).toordinal() for i in ids])
    whole = np.stack([unit(np.mean([c[1] for c in articles[i]["chunks"]], axis=0)) for i in ids])
    lead = np.stack([unit(articles[i]["chunks"][0][1]) for i in ids])
    titles = [set(re.findall(r"[a-z0-9']{3,}", articles[i]["title"].lower())) for i in ids]

    close_in_time = np.abs(days[:, None] - days[None, :]) <= 7
    upper = upper_of(len(ids))
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
    apart = np.abs(days[:, None] - days[None, :])
    far = np.argwhere((apart >= 4) & (apart <= 42) & upper)
    far_sims = (whole[far[:, 0]] * whole[far[:, 1]]).sum(1) if len(far) else np.zeros(0)
    far_rows = [tuple(r) for r in far[far_sims >= 0.7]]
    rng.shuffle(far_rows)
    for row in far_rows[: int(args.pairs * args.weeks_apart)]:
        chosen.setdefault(row, "weeks-apart")
    # Title-word look-alikes, which a title baseline would join.
    title_rows = [tuple(r) for r in candidates[(sims < 0.75)] if len(titles[r[0]] & titles[r[1]]) >= 2]
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
            handle.write(
                json.dumps({"pair": n, "drawn_by": drawn, "a": shown(i), "b": shown(j)}, ensure_ascii=False) + "\n"
            )

    # Sentence pairs with numbers, from article pairs that are probably one story.
    story_like = [
        tuple(r) for r in candidates[(sims >= 0.8) & (np.abs(days[candidates[:, 0]] - days[candidates[:, 1]]) <= 4)]
    ]
    rng.shuffle(story_like)

    def scored_pairs(i: int, j: int) -> list[tuple[float, str, str]]:
        """The sentence pairs with figures of two articles, most alike first, at a cosine of 0.5 or more."""
        pairs = []
        for side in (i, j):
            a = articles[ids[side]]
            texts = [
                t
                for c in a["chunks"]
                for t in sentence_texts(c[0])
                if NUMBER.search(t) and len(t.split()) >= 6 and not DATELINE.match(t)
            ]
            vectors = sentence_vectors(a, list(dict.fromkeys(texts)), whole.shape[1])
            pairs.append([(t, vectors.get(sentence_key(t))) for t in dict.fromkeys(texts)])
        scored = [
            (float(va @ vb), ta, tb)
            for ta, va in pairs[0]
            for tb, vb in pairs[1]
            if va is not None and vb is not None and ta != tb
        ]
        return sorted((s for s in scored if s[0] >= 0.5), reverse=True)

    def row(n: int, cosine: float, i: int, j: int, ta: str, tb: str, drawn_by: str = "") -> dict:
        return {
            "pair": n,
            "cosine": round(cosine, 3),
            "a": {
                "article_id": ids[i],
                "source": articles[ids[i]]["source"],
                "published": articles[ids[i]]["published"],
                "text": ta,
            },
            "b": {
                "article_id": ids[j],
                "source": articles[ids[j]]["source"],
                "published": articles[ids[j]]["published"],
                "text": tb,
            },
        } | ({"drawn_by": drawn_by} if drawn_by else {})

    sentence_rows, seen = [], set()
    used = 0
    for i, j in story_like:
        if len(sentence_rows) >= args.sentence_pairs:
            break
        used += 1
        for cosine, ta, tb in scored_pairs(i, j)[:2]:
            if (ta, tb) in seen:
                continue
            seen.add((ta, tb))
            sentence_rows.append(row(len(sentence_rows), cosine, i, j, ta, tb))
    if args.figure_pairs:
        # Pairs the figure filter passes (one figure each of a kind both give, the values differing),
        # from the next story-like article pairs: where disagreements are, so there are enough to learn from.
        sys.path.insert(0, str(ROOT / "train"))
        from conflicts import candidate_pairs

        figure_rows = []
        for i, j in story_like[used:]:
            if len(figure_rows) >= args.figure_pairs:
                break
            for cosine, ta, tb in [s for s in scored_pairs(i, j) if s[0] >= 0.6 and candidate_pairs(s[1], s[2])][:2]:
                if (ta, tb) not in seen:
                    seen.add((ta, tb))
                    figure_rows.append(row(len(figure_rows), cosine, i, j, ta, tb, "figures that differ"))
        with open(args.out / "figure-pairs-to-label.jsonl", "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in figure_rows)
        print(f"{len(figure_rows)} sentence pairs whose figures differ in {args.out}")
    with open(args.out / "sentences-to-label.jsonl", "w", encoding="utf-8") as handle:
        for row in sentence_rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} article pairs and {len(sentence_rows)} sentence pairs in {args.out}")


if __name__ == "__main__":
    main()
