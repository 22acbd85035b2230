"""The `newsbot` command: index, ask, repl, stats, discord, feedback.

Only the standard library and settings are imported at start-up; the pipeline (the embedding
runtime, Chroma, and llama-index for indexing) loads inside the commands, so --help and
configuration errors answer at once.
"""

import argparse
import json
import logging
import os
import sys
import textwrap
import time
from pathlib import Path

from index.errors import NewsbotError
from index.offline import configure_offline
from bot.settings import SETTINGS, SettingsError, load_settings

log = logging.getLogger("newsbot")

EXAMPLES = """\
examples:
  newsbot repl                                 ask questions interactively (indexes corpus/ on first run)
  newsbot ask "Who leads the Ukrainian delegation?" --json
  newsbot index ~/news/ feed.jsonl             add or refresh articles; unchanged ones are skipped
  newsbot index https://example.com/rss.xml    fetch a feed, sitemap or page and index its articles
  newsbot watch --every 15m                    keep the configured sources fresh until Ctrl-C
  newsbot stats
  newsbot brief --since 7d                     the week's top stories, each with cited sentences
  newsbot brief "hurricane" --json             the stories about a topic, as JSON
  newsbot follow add "bird flu"                follow a topic; `newsbot watch` prints its alerts
  newsbot eval --articles A.jsonl --questions Q.jsonl --out run.jsonl   score retrieval on news questions
  newsbot discord --sync                       run the Discord bot (DISCORD_TOKEN in .env); see README

Settings come from NEWSBOT_* environment variables or a .env file; see .env.example.
"""


class UsageError(NewsbotError):
    """Bad input on the command line; exits with status 2."""


def build_parser() -> argparse.ArgumentParser:
    data_dir_help = f"where the index and other state live (default: ${SETTINGS['data_dir'].env} or ./{SETTINGS['data_dir'].default})"
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Ask questions about news articles; answers quote and cite their sources.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data-dir", type=Path, help=data_dir_help)
    # Also accepted after the command; SUPPRESS keeps a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help=data_dir_help)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    index = commands.add_parser(
        "index", parents=[common], help="add, update and remove articles in the index",
        description="Index article files and folders (.txt, .md, .html, .json, .jsonl, recursively) and web "
        "addresses (RSS or Atom feeds, sitemaps, article pages). Only new and changed articles are embedded. "
        "Articles gone from the given files are removed; web articles stay until NEWSBOT_KEEP_DAYS. Articles "
        "are committed in batches as they are embedded, so an interrupted run keeps what it finished, and "
        "the index answers throughout.",
    )
    index.add_argument("sources", nargs="*", metavar="SOURCE",
                       help=f"files, folders or http(s) addresses (default: ${SETTINGS['sources'].env} and sources.toml, "
                       "or the bundled corpus/)")
    index.add_argument("--rebuild", action="store_true",
                       help="build the index again from nothing, beside the one that keeps answering until it is done")
    index.add_argument("--strict", action="store_true", help="exit with status 1 if any article or source could not be read")

    watch = commands.add_parser(
        "watch", parents=[common], help="keep the index fresh: fetch the sources again and again",
        description="Index the sources, then again every interval (a source in sources.toml may set its own), "
        "printing one summary line per round, until Ctrl-C or SIGTERM. Bots and REPLs answer from new "
        "articles at their next question.",
    )
    watch.add_argument("sources", nargs="*", metavar="SOURCE", help="as for `newsbot index`")
    watch.add_argument("--every", type=duration, default=15 * 60.0, metavar="INTERVAL",
                       help="time between rounds, like 30s, 15m or 2h (default: 15m)")
    watch.add_argument("--json", action="store_true",
                       help="print each alert and update of the terminal's follows as one JSON line (round summaries go to stderr)")

    follow = commands.add_parser(
        "follow", parents=[common], help="follow topics: one alert per new story, printed by `newsbot watch`",
        description="Follow a topic. After each `newsbot watch` round, the first new article of a story about it "
        "is an alert (its headline, the sentence that matched, the source, date and link); later articles on "
        "the story are updates. Adding a follow first shows what it would have sent in the last 7 days.",
    )
    follow_commands = follow.add_subparsers(dest="follow_command", metavar="ACTION", required=True)
    follow_add = follow_commands.add_parser("add", parents=[common], help="follow a topic, after showing its last 7 days",
                                            description="Follow TOPIC, showing the stories of the last 7 days it would have alerted on.")
    follow_add.add_argument("topic", metavar="TOPIC", help="what to follow, in quotes, e.g. \"bird flu\"")
    follow_add.add_argument("--dry-run", action="store_true", help="only show what it would have sent in the last 7 days")
    follow_add.add_argument("--as-of", type=iso_date, metavar="DATE", help="the backtest's last day, YYYY-MM-DD (default: today)")
    follow_add.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    follow_list = follow_commands.add_parser("list", parents=[common], help="the terminal's follows",
                                             description="The follows `newsbot watch` prints alerts for.")
    follow_list.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    follow_remove = follow_commands.add_parser("remove", parents=[common], help="stop following a topic",
                                               description="Stop following; ID is from `newsbot follow list`.")
    follow_remove.add_argument("id", type=int, metavar="ID", help="the follow's id")

    ask = commands.add_parser("ask", parents=[common], help="answer one question",
                              description="Answer one question from the indexed articles.")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ask.add_argument("--k", type=positive_k, metavar="N", help=f"passages to retrieve (default: ${SETTINGS['top_k'].env} or 5)")
    ask.add_argument("--as-of", type=iso_date, metavar="DATE",
                     help="answer as if today were DATE (YYYY-MM-DD), so 'this week' means that week (default: today)")

    repl = commands.add_parser("repl", parents=[common], help="ask questions interactively",
                               description="Ask questions interactively. Type :help inside for commands.")
    repl.add_argument("--k", type=positive_k, metavar="N", help="passages to retrieve per question")

    stats = commands.add_parser("stats", parents=[common], help="what the index holds",
                                description="Articles, chunks, publishers, date range and model of the index.")
    stats.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    stories = commands.add_parser("stories", parents=[common], help="list the stories of a time window",
                                  description="The stories with articles published in the window, most publishers first "
                                  "(syndicated copies count once), each with its articles.")
    window_arguments(stories)

    brief = commands.add_parser(
        "brief", parents=[common], help="the top stories of a time window, each with cited sentences",
        description="The window's top stories (or those about TOPIC): each story's headline, one or two whole "
        "sentences quoted from its most central article with their citation, the other publishers that "
        "reported it, and the figures its reports give differently (\"Reports differ\").",
    )
    brief.add_argument("topic", nargs="?", default="", metavar="TOPIC", help="only the stories about this")
    window_arguments(brief)
    brief.add_argument("--limit", type=positive_k, default=10, metavar="N", help="stories to show (default: 10)")

    discord = commands.add_parser(
        "discord", parents=[common], help="run the Discord bot",
        description="Run the Discord bot until Ctrl-C or SIGTERM. The token comes from DISCORD_TOKEN "
        "(environment or .env); the NEWSBOT_DISCORD_* settings control where it answers and how often.",
    )
    discord.add_argument(
        "--sync", action="store_true",
        help="register the slash commands with Discord at start-up: instantly in "
        f"${SETTINGS['discord_dev_guild_id'].env} if set, else globally (up to an hour to appear)",
    )
    discord.add_argument(
        "--read-only", action="store_true",
        help="never write the index: no indexing at start, no background refresh, /reindex refused "
        "(for bots that share an index another process writes)",
    )
    discord.add_argument("--shards", type=shard_list, metavar="IDS",
                         help="run only these shards, comma-separated (e.g. 0,1), so several processes split the servers; "
                         "needs --shard-count")
    discord.add_argument("--shard-count", type=int, metavar="N", help="how many shards all processes run together")

    evaluate = commands.add_parser(
        "eval", parents=[common], help="score retrieval and answers on a set of news questions",
        description="Index ARTICLES (incrementally, so re-runs skip the embedding), ask every question as of "
        "its own date, write RUN (one JSON line per question: id, passages, answer, refused, citations) and "
        "print BudgetRecall@100/250/1000w, AnswerHit, AnswerHit@1 (first sentence), AnswerHit@40w, AnswerRecall@5, "
        "MRR@10, the refusal rate, the median answer length and the answers with fragments or unbalanced quotes "
        "(all questions, and those whose answer is in at most 5% of articles), then search and answer latency.",
    )
    evaluate.add_argument("--articles", type=Path, required=True, metavar="ARTICLES", help="articles to index (.jsonl or a folder)")
    evaluate.add_argument("--questions", type=Path, required=True, metavar="QUESTIONS",
                          help="JSONL with id, question, answer, and optionally date and answer_df")
    evaluate.add_argument("--out", type=Path, required=True, metavar="RUN", help="the run file to write")
    evaluate.add_argument("--k", type=positive_k, default=10, metavar="N", help="passages per question (default: 10)")
    evaluate.add_argument("--json", action="store_true", help="print the scores as one JSON object")

    feedback = commands.add_parser("feedback", parents=[common], help="summarise 👍/👎 feedback on Discord answers",
                                   description="Votes on the Discord bot's answers, and the latest unhelpful ones.")
    feedback.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    feedback.add_argument("--recent", type=positive_k, default=10, metavar="N", help="unhelpful answers to list (default: 10)")
    return parser


def window_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--since", type=since_days, default=7, metavar="SPAN",
                         help="how far back the window reaches: days, weeks or months, like 7d, 2w or 1m (default: 7d)")
    command.add_argument("--as-of", type=iso_date, metavar="DATE", help="the window's last day, YYYY-MM-DD (default: today)")
    command.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def since_days(value: str) -> int:
    from bot.briefing.digest import BriefError, parse_since

    try:
        return parse_since(value)
    except BriefError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def positive_k(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 50, not {value!r}") from None
    if not 1 <= number <= 50:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 50, not {value!r}")
    return number


def shard_list(value: str) -> list[int]:
    try:
        shards = sorted({int(part) for part in value.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be shard numbers separated by commas, like 0,1, not {value!r}") from None
    if not shards or shards[0] < 0:
        raise argparse.ArgumentTypeError(f"must be shard numbers from 0, like 0,1, not {value!r}")
    return shards


def duration(value: str) -> float:
    from index.web.sources import parse_duration

    try:
        return parse_duration(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def iso_date(value: str):
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date like 2025-06-02, not {value!r}") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_offline()
    from dotenv import load_dotenv

    load_dotenv(Path.cwd() / ".env", override=False)
    try:
        settings = load_settings(data_dir=args.data_dir)
        logging.basicConfig(level=settings.log_level, format="newsbot: %(levelname)s: %(message)s", stream=sys.stderr, force=True)
        redact_secrets([settings.llm.api_key, os.environ.get(SETTINGS["discord_token"].env, ""), *settings.chroma_headers.values()])
        check_data_dir(settings.data_dir)
        return run(args, settings)
    except (SettingsError, UsageError) as error:
        print(f"newsbot: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("newsbot: interrupted; the articles committed so far are kept, and the next run does the rest", file=sys.stderr)
        return 130
    except Exception as error:
        if known_failure(error):
            print(f"newsbot: error: {error}", file=sys.stderr)
        else:
            log.debug("unexpected failure", exc_info=True)
            print(f"newsbot: error: {type(error).__name__}: {error} (set NEWSBOT_LOG_LEVEL=DEBUG for details)", file=sys.stderr)
        return 1


class SecretRedactor(logging.Filter):
    """Belt and braces: no log line may carry a token or API key, whatever a library puts in it."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [secret for secret in secrets if len(secret) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "[secret]")
            record.msg, record.args = message, ()
        return True


def redact_secrets(secrets: list[str]) -> None:
    redactor = SecretRedactor(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)


def known_failure(error: Exception) -> bool:
    """Whether the error's message is for the user (index/errors.py), not a bug's."""
    return isinstance(error, NewsbotError)


def check_data_dir(data_dir: Path) -> None:
    if data_dir.exists() and not data_dir.is_dir():
        raise SettingsError(f"the data dir {data_dir} is a file, not a folder (--data-dir or {SETTINGS['data_dir'].env})")


def run(args, settings) -> int:
    if settings.llm.enabled and args.command in ("ask", "repl", "discord"):
        from bot.answering.prompts import load_prompts

        load_prompts(settings.llm.prompts_dir)  # a broken prompt file stops us before anything loads
    if args.command == "feedback":
        return run_feedback(settings, args.json, args.recent)
    if args.command == "discord":
        from bot.settings import load_discord_settings

        if (args.shards is None) != (args.shard_count is None):
            raise UsageError("--shards and --shard-count go together, e.g. --shards 0,1 --shard-count 4")
        if args.shards and (args.shard_count < 1 or args.shards[-1] >= args.shard_count):
            raise UsageError(f"shard numbers run from 0 to {args.shard_count - 1} with --shard-count {args.shard_count}")
        discord_settings = load_discord_settings()  # token checked before anything loads or connects
        from bot.discord.bot import run as run_discord

        return run_discord(settings, discord_settings, sync=args.sync, read_only=args.read_only,
                           shard_ids=args.shards, shard_count=args.shard_count)
    if args.command in ("stats", "stories", "brief", "follow") and not settings.chroma_url and not (settings.data_dir / "chroma").is_dir():
        from index.store import IndexMissing

        raise IndexMissing(f"no index in {settings.data_dir} yet: run `newsbot index --data-dir {settings.data_dir}` first")
    if args.command in ("index", "watch"):
        check_sources(args.sources)
    if args.command == "follow" and args.follow_command == "add":
        from bot.follows.store import FollowError, check_topic

        try:
            check_topic(args.topic)
        except FollowError as error:
            raise UsageError(str(error)) from None
    if args.command == "eval":
        missing = [str(path) for path in (args.articles, args.questions) if not path.exists()]
        if missing:
            raise UsageError(f"no such file or folder: {', '.join(missing)}")
        from bot.evaluate import read_questions

        try:
            questions = read_questions(args.questions)
        except (ValueError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read the questions: {error}") from None
    if args.command == "ask":
        from bot.pipeline import QuestionError, check_question

        try:
            check_question(args.question, settings.max_question_chars)
        except QuestionError as error:
            raise UsageError(str(error)) from None

    from bot.pipeline import Pipeline

    pipeline = Pipeline(settings)
    if args.command in ("ask", "repl", "eval"):
        pipeline.answerer  # a missing or broken picker model stops us before any indexing or search
    if args.command == "index":
        return run_index(pipeline, args.sources, args.rebuild, args.strict, summary_to=sys.stdout)
    if args.command == "watch":
        from bot.watch import watch

        return watch(pipeline, args.sources, args.every, print_problems, as_json=args.json)
    if args.command == "follow":
        return run_follow(pipeline, args)
    if args.command == "eval":
        run_index(pipeline, [str(args.articles)], rebuild=False, strict=False, summary_to=sys.stderr)
        return run_evaluation(pipeline, questions, args.out, args.k, args.json)
    if args.command in ("ask", "repl") and not pipeline.has_articles():
        paths, web = pipeline.sources()
        sources = ", ".join([*map(str, paths), *(source.url for source in web)])
        print(f"newsbot: no articles in {settings.data_dir} yet; indexing {sources} first", file=sys.stderr)
        run_index(pipeline, [], rebuild=False, strict=False, summary_to=sys.stderr)
        if not pipeline.has_articles():
            from index.store import IndexMissing

            raise IndexMissing(
                f"no articles found in {sources}: run `newsbot index PATH` with your articles, "
                f"or set {SETTINGS['sources'].env}"
            )
    if args.command == "ask":
        answer = pipeline.ask(args.question, args.k, today=args.as_of)
        if answer.note and args.json:
            print(f"newsbot: note: {answer.note}", file=sys.stderr)
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        else:
            from bot.render import render_answer

            print(render_answer(answer, bold=sys.stdout.isatty()))
        return 0
    if args.command in ("stories", "brief"):
        return run_stories(pipeline, args)
    if args.command == "repl":
        from bot.repl import Repl

        Repl(pipeline, k=args.k).run()
        return 0
    return run_stats(pipeline, args.json)


def check_sources(sources: list[str]) -> None:
    from urllib.parse import urlsplit

    for source in sources:
        scheme = urlsplit(source).scheme
        if scheme in ("http", "https"):
            continue
        if "://" in source:
            raise UsageError(f"{source}: only http(s) addresses are fetched")
        if not Path(source).exists():
            raise UsageError(f"no such file or folder: {source}")


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

    store = FeedbackStore(settings.data_dir)
    if not store.exists():
        from index.store import IndexMissing

        raise IndexMissing(f"no feedback in {settings.data_dir} yet: it is recorded by `newsbot discord`")
    summary = store.summary(recent)
    if as_json:
        print(json.dumps(summary.to_json(), ensure_ascii=False, indent=2))
        return 0
    share = "no votes yet" if summary.helpful_share is None else f"{summary.helpful_share:.0%} helpful"
    print(f"answers:  {summary.answers} posted, {summary.rated_answers} rated")
    print(f"votes:    {summary.up} 👍, {summary.down} 👎 ({share})")
    if summary.recent_down:
        print("latest 👎:")
    for vote in summary.recent_down:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(vote.created))
        print(f"  {when}  {vote.question or '(question not recorded)'}")
        print(f"                    → {textwrap.shorten(vote.answer, 90)}")
    return 0


def run_stories(pipeline, args) -> int:
    from bot.render import render_brief, render_stories

    if args.command == "stories":
        first, last, found = pipeline.stories(args.since, args.as_of)
        if args.json:
            print(json.dumps({"since": first.isoformat(), "until": last.isoformat(), "stories": [story.to_json() for story in found]}, ensure_ascii=False, indent=2))
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
                print("no follows yet: newsbot follow add \"TOPIC\"")
            return 0
        if args.dry_run:
            follow, hits = None, following.preview(args.topic, args.as_of)
        else:
            follow, hits = following.add(CLI_OWNER, args.topic, today=args.as_of)
    except FollowError as error:
        raise UsageError(str(error)) from None
    from bot.follows.rounds import BACKTEST_DAYS

    if args.json:
        print(json.dumps({"follow": follow.to_json() if follow else None, "backtest": [hit.payload for hit in hits]}, ensure_ascii=False, indent=2))
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


if __name__ == "__main__":
    sys.exit(main())
