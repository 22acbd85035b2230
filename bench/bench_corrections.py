"""Checking remembered answers at scale: ANSWERS remembered answers against a round of ARTICLES
changed articles, as each index round does (read the changed articles and the quotes of them and
of their stories, compare, write the corrections and move the cursor).

    python bench/bench_corrections.py --data-dir rtqa-2026-data [--answers 10000] [--articles 100] [--runs 5]

The index is only read: the answers live in a temporary folder. Each answer quotes three sentences
of the index's articles, drawn seeded. A tenth of them quote one of the round's articles under an
older version, so that each such quote is looked for in the new version; a tenth of those quote a
sentence the new version no longer has (it gave another figure), and are corrected. The round is
the ARTICLES articles last added to the index. Each run starts from the same cursor with an empty
outbox; the median of --runs is printed.
"""

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from common import cpu_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=33)
    args = parser.parse_args()
    import sqlite3

    from bot.memory.checks import figures_of, names_of
    from bot.memory.memory import AnswerMemory
    from bot.memory.store import CLI, AnswerStore, Place, Quote
    from bot.pipeline import Pipeline
    from bot.settings import load_settings

    pipeline = Pipeline(load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)}))
    catalog = pipeline.catalog
    pipeline.searcher.refresh()
    seqs = catalog.changed_since(0, catalog.synced)
    by_seq = sorted(seqs, key=seqs.get)
    round_ids = by_seq[-args.articles :]
    cursor = seqs[round_ids[0]] - 1
    records = catalog.articles()
    rng = random.Random(args.seed)
    sentences = {}

    def sentences_of(article_id):
        if article_id not in sentences:
            sentences[article_id] = [text for text, _ in catalog.article_sentences(article_id)]
        return sentences[article_id]

    with tempfile.TemporaryDirectory() as folder:
        store = AnswerStore(Path(folder))
        memory = AnswerMemory(7, store, pipeline.searcher, pipeline.store)
        began = time.perf_counter()
        for n in range(args.answers):
            articles = rng.sample(by_seq[: -args.articles], 3)
            if n % 10 == 0:
                articles[0] = rng.choice(round_ids)
            quotes = []
            for position, article_id in enumerate(articles, start=1):
                record = records[article_id]
                sentence = rng.choice(sentences_of(article_id))
                version = record.version
                if article_id in round_ids:
                    version = "older"  # quoted before the round changed the article
                    if n % 100 == 0:  # and from a sentence that gave another figure then
                        sentence = f"{sentence} (about {rng.randint(2, 900)} people)"
                quotes.append(
                    Quote(
                        0,
                        position,
                        article_id,
                        version,
                        record.story,
                        record.source,
                        record.published,
                        sentence,
                        figures_of(sentence),
                        names_of(sentence),
                    )
                )
            answer = {"question": f"question {n}", "answer": quotes[0].sentence, "citations": [], "refused": False}
            store.remember(Place(CLI), answer, quotes, cursor)
        print(f"{args.answers} answers remembered in {time.perf_counter() - began:.1f} s")
        times, found = [], 0
        for _ in range(args.runs):
            with sqlite3.connect(store.path) as db:
                db.execute("DELETE FROM corrections")
            store.start_from(catalog.info.identity, cursor)
            began = time.perf_counter()
            checked = memory.after_round()
            times.append(time.perf_counter() - began)
            found = len(checked.corrections) if checked else 0
        changed = len(catalog.changed_since(cursor, catalog.synced))
        print(
            f"{cpu_model()}: a round of {changed} changed articles against {args.answers} remembered answers: "
            f"median {statistics.median(times):.3f} s of {args.runs} runs "
            f"(min {min(times):.3f} s, max {max(times):.3f} s); {found} corrections"
        )


if __name__ == "__main__":
    main()
