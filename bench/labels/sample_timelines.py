"""Timelines to read: the story timelines of an index written to one file, for a reader to judge
whether every line adds something the earlier lines didn't (docs/stories.md).

    python bench/labels/sample_timelines.py --data-dir rtqa-2025-dev-data --out timelines.txt \
        [--ids bench/questions/timeline-stories-rtqa-2025-dev.txt] [--eval ../shared/eval/rtqa-2025-dev]

With --ids, the stories named there (the 20 read for issue 32, drawn by the first version of the
timeline); without, 20 drawn afresh: for question weeks of --eval in a seeded order, the first of
the week's five top stories with three articles or more and three lines or more.
"""

import argparse
import json
import os
import random
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common

from common import read_jsonl

STORIES = 20
SEED = 32


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--ids", type=Path, help="story ids, one a line")
    parser.add_argument("--eval", type=Path, help="folder with questions.jsonl, to draw stories from its weeks")
    args = parser.parse_args()
    from bot.pipeline import Pipeline
    from bot.render import render_timeline
    from bot.settings import load_settings

    pipeline = Pipeline(load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)}))
    if args.ids:
        ids = args.ids.read_text(encoding="utf-8").split()
    else:
        if not args.eval:
            parser.error("give --ids or --eval")
        days = sorted({row["date"][:10] for row in read_jsonl(args.eval / "questions.jsonl")})
        random.Random(SEED).shuffle(days)
        ids = []
        for day in days:
            _, _, top = pipeline.stories(7, date.fromisoformat(day))
            for story in top[:5]:
                if (
                    story.story_id not in ids
                    and len(story.articles) >= 3
                    and len(pipeline.timeline(story.story_id, 30)[2].lines) >= 3
                ):
                    ids.append(story.story_id)
                    break
            if len(ids) == STORIES:
                break
    shown, lines = [], 0
    for number, story in enumerate(ids, 1):
        first, last, timeline = pipeline.timeline(story, 30)
        shown.append(f"TIMELINE {number}\n{render_timeline(first, last, story, timeline)}")
        lines += len(timeline.lines)
    args.out.write_text("\n\n==========\n\n".join(shown) + "\n", encoding="utf-8")
    print(json.dumps({"timelines": len(shown), "lines": lines, "out": str(args.out)}))


if __name__ == "__main__":
    main()
