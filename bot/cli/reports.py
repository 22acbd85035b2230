"""What each command prints: index summaries, evaluations, feedback, stories, follows, stats and
the settings in effect."""

import json
import logging
import sys
import textwrap
import time
from pathlib import Path

from bot.cli.parser import UsageError

log = logging.getLogger("newsbot")


def run_index(pipeline, sources: list, rebuild: bool, strict: bool, summary_to) -> int:
    report = pipeline.index(sources, rebuild=rebuild, progress=sys.stderr.isatty(), wait=60, on_wait=waiting_for)
    print_problems(report)
    print(report.summary_line(), file=summary_to)
    return 1 if strict and report.problems else 0


def waiting_for(holder: str) -> None:
    print(f"newsbot: waiting for the index's writer to finish: {holder}", file=sys.stderr)


def print_problems(report) -> None:
    for note in report.notes:
        log.warning("read with a fallback: %s", note)
    for problem in report.problems:
        log.warning("skipped %s", problem)


def run_evaluation(pipeline, questions: list[dict], out: Path, k: int, as_json: bool) -> int:
    from bot.evaluate import run_eval

    def progress(n: int, total: int, seconds: float) -> None:
        if sys.stderr.isatty():
            print(f"\rnewsbot: question {n}/{total}", end="" if n < total else "\n", file=sys.stderr, flush=True)

    results = run_eval(pipeline, questions, out, k, progress)
    if as_json:
        print(json.dumps(results, indent=2))
        return 0
    groups = [name for name in results if not name.endswith("_ms")]
    print(f"{'':30}" + "".join(f"{name:>20}" for name in groups))
    for metric in results["all"]:
        print(f"{metric:30}" + "".join(f"{str(results[name][metric]):>20}" for name in groups))
    print(f"search latency: p50 {results['search_ms']['p50']} ms, p95 {results['search_ms']['p95']} ms")
    print(f"answer latency: p50 {results['answer_ms']['p50']} ms, p95 {results['answer_ms']['p95']} ms")
    print(f"run file: {out}")
    return 0


def run_feedback(settings, as_json: bool, recent: int) -> int:
    from bot.feedback import FeedbackStore
    from bot.memory.store import AnswerStore

    store = FeedbackStore(settings.data_dir, AnswerStore(settings.data_dir))
    if not store.exists():
        from index.store.chroma import IndexMissing

        raise IndexMissing(f"no feedback in {settings.data_dir} yet: it is recorded by `newsbot discord`")
    summary = store.summary(recent)
    if as_json:
        print(json.dumps(summary.to_json(), ensure_ascii=False, indent=2))
        return 0
    share = "no votes yet" if summary.helpful_share is None else f"{summary.helpful_share:.0%} helpful"
    print(
        f"answers:  {summary.answers} posted in the last {settings.answer_memory_days} days, "
        f"{summary.rated_answers} rated in all"
    )
    print(f"votes:    {summary.up} 👍, {summary.down} 👎 ({share})")
    if summary.recent_down:
        print("latest 👎:")
    for vote in summary.recent_down:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(vote.created))
        print(f"  {when}  {vote.question or '(question not recorded)'}")
        print(f"                    → {textwrap.shorten(vote.answer, 90)}")
    return 0


def run_answers(settings, since_days: int, corrected: bool, as_json: bool) -> int:
    from bot.memory.store import AnswerStore
    from bot.render import correction_line

    store = AnswerStore(settings.data_dir)
    if not store.exists():
        from index.store.chroma import IndexMissing

        raise IndexMissing(
            f"no answers remembered in {settings.data_dir} yet: they are kept by `newsbot ask`, the REPL and the "
            f"Discord bot for {settings.answer_memory_days} days (NEWSBOT_ANSWER_MEMORY_DAYS)"
        )
    answers = store.answers(since=time.time() - since_days * 86400, corrected=corrected)
    corrections: dict[int, list] = {}
    for correction in store.corrections([answer.id for answer in answers]):
        corrections.setdefault(correction.answer_id, []).append(correction)
    if as_json:
        listed = [
            {**answer.to_json(), "corrections": [c.payload for c in corrections.get(answer.id, [])]}
            for answer in answers
        ]
        print(json.dumps({"answers": listed}, ensure_ascii=False, indent=2))
        return 0
    if not answers:
        print(f"no {'corrected ' if corrected else ''}answers in the last {since_days} days")
    for answer in answers:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(answer.created))
        print(f"#{answer.id}  {when}  {answer.place.kind:<7}  {answer.question}")
        print(f"       → {textwrap.shorten(answer.answer, 90)}")
        for correction in corrections.get(answer.id, []):
            print(f"       {correction_line(correction.payload)}")
    return 0


def run_stories(pipeline, args) -> int:
    from bot.render import render_brief, render_stories, render_timeline

    if args.command == "timeline":
        first, last, timeline = pipeline.timeline(args.target, args.since, args.as_of, args.limit)
        if args.json:
            print(
                json.dumps(
                    {
                        "since": first.isoformat(),
                        "until": last.isoformat(),
                        "timeline": timeline and timeline.to_json(),
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            print(render_timeline(first, last, args.target, timeline))
        return 0
    if args.command == "stories":
        first, last, found = pipeline.stories(args.since, args.as_of)
        if args.json:
            print(
                json.dumps(
                    {
                        "since": first.isoformat(),
                        "until": last.isoformat(),
                        "stories": [story.to_json() for story in found],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            print(render_stories(first, last, found))
        return 0
    brief = pipeline.brief(args.topic, args.since, args.as_of, args.limit)
    if args.json:
        print(json.dumps(brief.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render_brief(brief))
    return 0


def run_follow(pipeline, args) -> int:
    from bot.follows.store import CLI_OWNER, FollowError
    from bot.render import render_backtest

    following = pipeline.following
    try:
        if args.follow_command == "remove":
            removed = following.remove(CLI_OWNER, args.id)
            print(f"no longer following #{removed.id} “{removed.topic}”")
            return 0
        if args.follow_command == "list":
            follows = following.follows(CLI_OWNER)
            if args.json:
                print(json.dumps({"follows": [follow.to_json() for follow in follows]}, ensure_ascii=False, indent=2))
            for follow in [] if args.json else follows:
                print(f"#{follow.id}  {follow.topic}" + (f"  (paused: {follow.paused})" if follow.paused else ""))
            if not follows and not args.json:
                print('no follows yet: newsbot follow add "TOPIC"')
            return 0
        if args.dry_run:
            follow, hits = None, following.preview(args.topic, args.as_of)
        else:
            follow, hits = following.add(CLI_OWNER, args.topic, today=args.as_of)
    except FollowError as error:
        raise UsageError(str(error)) from None
    from bot.follows.rounds import BACKTEST_DAYS

    if args.json:
        print(
            json.dumps(
                {"follow": follow.to_json() if follow else None, "backtest": [hit.payload for hit in hits]},
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print(render_backtest(" ".join(args.topic.split()), hits, BACKTEST_DAYS))
    if follow is not None:
        print(f"following #{follow.id} “{follow.topic}”: `newsbot watch` prints its alerts")
    return 0


def run_stats(pipeline, as_json: bool) -> int:
    stats = pipeline.stats()
    if as_json:
        print(json.dumps(stats.to_json(), ensure_ascii=False, indent=2))
        return 0
    span = f"{stats.first_published} to {stats.last_published}" if stats.first_published else "no dated articles"
    print(f"articles:  {stats.articles} ({stats.undated} undated)")
    print(f"chunks:    {stats.chunks}")
    print(f"dates:     {span}")
    print(f"sources:   {', '.join(f'{name} ({count})' for name, count in stats.sources.items()) or 'none'}")
    print(f"model:     {stats.model}")
    print(f"picker:    {stats.picker}")
    print(f"data dir:  {stats.data_dir}")
    for line in web_source_lines(stats.web_sources, time.time()):
        print(line)
    return 0


def web_source_lines(statuses: list[dict], now: float) -> list[str]:
    """One line per web source: its last good fetch, its last error, its newest article's age."""
    from bot.render import web_source_status

    lines = ["web sources:"] if statuses else []
    return lines + [f"  {status.get('name') or status['url']}: {web_source_status(status, now)}" for status in statuses]


def run_config(settings, from_dotenv: frozenset[str], data_dir_given: bool, as_json: bool) -> int:
    from bot.settings import DiscordSettings, LLMSettings, Settings, read_discord_settings
    from bot.settings.reference import effective, render_effective

    groups = {Settings: settings, LLMSettings: settings.llm, DiscordSettings: read_discord_settings()}
    report = effective(groups, from_dotenv, frozenset({"data_dir"} if data_dir_given else ()))
    print(json.dumps({"settings": report}, ensure_ascii=False, indent=2) if as_json else render_effective(report))
    return 0
