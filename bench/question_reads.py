"""How often one answer reads the question's text for its facts: the calls, during one
`Pipeline.ask`, of the functions that work out a text's names (`names_in`), content words
(`content_words`), kind (`question_kind`) and time window (`time_window`) with the question in
their argument. Copy it into an older checkout's bench/ and run it there to compare.

    python bench/question_reads.py --data-dir DIR ["Who heads the Ukrainian delegation?"]
"""

import argparse
import collections
import importlib
import os
import sys
from datetime import date
from pathlib import Path

from common import ROOT

DERIVING = {
    "bot.answering.names": "names_in",
    "bot.answering.words": "content_words",
    "index.search.when": "time_window",
    "bot.answering.question": "question_kind",  # bot.answering.answer_type before the Question value
    "bot.answering.answer_type": "question_kind",
}


def count_reads(question: str, counts: collections.Counter) -> None:
    """Wrap each deriving function, wherever it was imported by name, to count the calls that read `question`."""
    wrapped = {}
    for module_name, function in DERIVING.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        original = getattr(module, function, None)
        if original is None or original.__module__ != module_name:
            continue

        def counted(text, *args, _original=original, _name=f"{module_name}.{function}", **kwargs):
            if isinstance(text, str) and question in text:
                counts[_name] += 1
            return _original(text, *args, **kwargs)

        wrapped[original] = counted
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith(("bot.", "index.")):
            for name, value in list(vars(module).items()):
                if callable(value) and value in wrapped:
                    setattr(module, name, wrapped[value])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="an index of the bundled corpus")
    parser.add_argument("question", nargs="?", default="Who heads the Ukrainian delegation?")
    args = parser.parse_args()

    from bot.pipeline import Pipeline
    from bot.settings import load_settings

    pipeline = Pipeline(load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)}))
    _ = pipeline.answerer  # its modules imported before the wrapping
    counts: collections.Counter = collections.Counter()
    count_reads(args.question, counts)
    answer = pipeline.ask(args.question, k=10, today=date(2025, 6, 3))
    print(f"checkout {ROOT}")
    print(f"answer: {answer.text[:100]}")
    for name, count in sorted(counts.items()):
        print(f"{count:4d}  {name}")
    print(f"{sum(counts.values()):4d}  in all")


if __name__ == "__main__":
    main()
