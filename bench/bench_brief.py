"""Warm `brief --since 7d` over 20 weeks, warm `timeline` of each week's top stories, the cost of placing articles in stories, and what stories
add to an answer (other publishers, disagreeing figures), on an index.

    python bench/bench_brief.py --data-dir rtqa-2026-data [--eval ../shared/eval/rtqa-2026] [--weeks 20] [--answers 200]

The timelines are those of each week's three top stories, by story id, and of its top story's
headline as a topic over 30 days.

The weeks end on the dates of the eval's questions. The first brief warms the process and is not
counted. Story placement is timed the way the writer does it, article by article, oldest first,
over every article the index holds, from the vectors it stores; set against the index's build time,
it is what stories add to indexing. The answers are the eval's first questions, each asked as of
its date after one warm-up question; their `stories` timing is set against their whole answer.
"""

import argparse
import os
import time
from datetime import date
from pathlib import Path

from common import DEFAULT_EVAL, median, percentile, read_jsonl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--weeks", type=int, default=20)
    parser.add_argument("--answers", type=int, default=200, help="questions asked to time what stories add to answers")
    args = parser.parse_args()
    from measure_stories import place_all

    from bot.pipeline import Pipeline
    from bot.settings import load_settings

    pipeline = Pipeline(load_settings({**os.environ, "NEWSBOT_DATA_DIR": str(args.data_dir)}))
    days = sorted({row["date"][:10] for row in read_jsonl(args.eval / "questions.jsonl")})[: args.weeks]
    pipeline.brief("", 7, date.fromisoformat(days[0]))
    seconds, stories = [], []
    for day in days:
        started = time.perf_counter()
        brief = pipeline.brief("", 7, date.fromisoformat(day))
        seconds.append(time.perf_counter() - started)
        stories.append(len(brief.stories) + brief.more)
    print(
        f"{len(days)} weeks ({days[0]} to {days[-1]}); stories per week: median {median(stories)}, most {max(stories)}"
    )
    print(
        f"warm brief --since 7d: p50 {median(seconds) * 1000:.0f} ms, p95 {percentile(seconds, 0.95) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"
    )
    timed, lines = [], []
    for day in days:
        _, _, top = pipeline.stories(7, date.fromisoformat(day))
        targets = (
            [(story.story_id, None) for story in top[:3]] + [(top[0].articles[0].title, date.fromisoformat(day))]
            if top
            else []
        )
        for target, as_of in targets:
            started = time.perf_counter()
            _, _, timeline = pipeline.timeline(target, 30, as_of)
            timed.append(time.perf_counter() - started)
            lines.append(len(timeline.lines) if timeline else 0)
    print(
        f"warm timeline: {len(timed)} timelines, {median(lines)} lines median, most {max(lines, default=0)}; "
        f"p50 {median(timed) * 1000:.0f} ms, p95 {percentile(timed, 0.95) * 1000:.0f} ms, max {max(timed) * 1000:.0f} ms"
    )
    started = time.perf_counter()
    sketches = pipeline.catalog.sketches()
    read = time.perf_counter() - started
    started = time.perf_counter()
    placed = place_all(sketches)
    print(
        f"story placement: {len(placed)} articles in {len(set(placed.values()))} stories; "
        f"reading their vectors {read:.2f} s, placing them {time.perf_counter() - started:.2f} s"
    )
    questions = read_jsonl(args.eval / "questions.jsonl", args.answers)
    pipeline.ask(questions[0]["question"], today=date.fromisoformat(questions[0]["date"][:10]))
    stories_ms, totals, flagged = [], [], 0
    for row in questions:
        answer = pipeline.ask(row["question"], today=date.fromisoformat(row["date"][:10]))
        totals.append(answer.timings_ms["total"])
        stories_ms.append(answer.timings_ms.get("stories", 0.0))
        flagged += bool(answer.conflicts)
    without = [total - part for total, part in zip(totals, stories_ms)]
    print(
        f"{len(questions)} answers: stories add p50 {median(stories_ms):.1f} ms, p95 {percentile(stories_ms, 0.95):.1f} ms; "
        f"answers p50 {median(totals):.0f} ms, p95 {percentile(totals, 0.95):.0f} ms "
        f"(without stories p50 {median(without):.0f} ms, p95 {percentile(without, 0.95):.0f} ms); {flagged} answers show a disagreement"
    )


if __name__ == "__main__":
    main()
