"""The seed questions (bench/questions/seed_facts.jsonl: the 14 answerable ones of seed.jsonl and a
paraphrase) asked on the bundled corpus: how many answers hold the expected fact in their first
sentence, and in the answer at all. Side by side for the reader, the learned and the weighted picker.

    python bench/seed_first_sentence.py [--data-dir DIR]

Without --data-dir the bundled corpus is indexed into a temporary folder first.
"""

import argparse
import os
import tempfile
from pathlib import Path

from common import ROOT, read_jsonl

from bot.evaluate import first_sentence
from bot.pipeline import Pipeline
from bot.settings import load_settings


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="an index of the bundled corpus (default: a new one)")
    args = parser.parse_args()
    rows = read_jsonl(ROOT / "bench" / "questions" / "seed_facts.jsonl")
    with tempfile.TemporaryDirectory() as work:
        data_dir = str(args.data_dir or work)
        for picker in ("reader", "learned", "weighted"):
            pipeline = Pipeline(
                load_settings({**os.environ, "NEWSBOT_DATA_DIR": data_dir, "NEWSBOT_ANSWER_PICKER": picker})
            )
            if not pipeline.has_articles():
                print(pipeline.index().summary_line(), flush=True)
            first = anywhere = 0
            for row in rows:
                answer = pipeline.ask(row["q"])
                lead = first_sentence(answer.text) if not answer.refused else ""
                first += any(fact in lead for fact in row["facts"])
                anywhere += not answer.refused and any(fact in answer.text for fact in row["facts"])
                if not any(fact in lead for fact in row["facts"]):
                    print(f"  {picker} missed: {row['q']!r} -> {answer.text[:150]!r}")
            print(
                f"{picker}: fact in the first sentence {first} of {len(rows)}, in the answer {anywhere} of {len(rows)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
