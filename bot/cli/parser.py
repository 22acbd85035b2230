"""The command line's shape: commands, flags, and the checks of their values."""

import argparse
from pathlib import Path

from bot.settings import DiscordSettings, Settings, SettingsError
from index.errors import NewsbotError

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
  newsbot discord --sync                       run the Discord bot (DISCORD_TOKEN in .env); see docs/discord.md

Settings come from NEWSBOT_* environment variables or a .env file; see .env.example, and
`newsbot config` for the values in effect.
"""


class UsageError(NewsbotError):
    """Bad input on the command line; exits with status 2."""


def build_parser() -> argparse.ArgumentParser:
    data_dir_help = f"where the index and other state live (default: ${Settings.env_name('data_dir')} or ./{Settings.model_fields['data_dir'].default})"
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
        "index",
        parents=[common],
        help="add, update and remove articles in the index",
        description="Index article files and folders (.txt, .md, .html, .json, .jsonl, recursively) and web "
        "addresses (RSS or Atom feeds, sitemaps, article pages). Only new and changed articles are embedded. "
        "Articles gone from the given files are removed; web articles stay until NEWSBOT_KEEP_DAYS. Articles "
        "are committed in batches as they are embedded, so an interrupted run keeps what it finished, and "
        "the index answers throughout.",
    )
    index.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help=f"files, folders or http(s) addresses (default: ${Settings.env_name('sources')} and sources.toml, "
        "or the bundled corpus/)",
    )
    index.add_argument(
        "--rebuild",
        action="store_true",
        help="build the index again from nothing, beside the one that keeps answering until it is done",
    )
    index.add_argument(
        "--strict", action="store_true", help="exit with status 1 if any article or source could not be read"
    )

    watch = commands.add_parser(
        "watch",
        parents=[common],
        help="keep the index fresh: fetch the sources again and again",
        description="Index the sources, then again every interval (a source in sources.toml may set its own), "
        "printing one summary line per round, until Ctrl-C or SIGTERM. Bots and REPLs answer from new "
        "articles at their next question.",
    )
    watch.add_argument("sources", nargs="*", metavar="SOURCE", help="as for `newsbot index`")
    watch.add_argument(
        "--every",
        type=duration,
        default=15 * 60.0,
        metavar="INTERVAL",
        help="time between rounds, like 30s, 15m or 2h (default: 15m)",
    )
    watch.add_argument(
        "--json",
        action="store_true",
        help="print each alert and update of the terminal's follows as one JSON line (round summaries go to stderr)",
    )

    follow = commands.add_parser(
        "follow",
        parents=[common],
        help="follow topics: one alert per new story, printed by `newsbot watch`",
        description="Follow a topic. After each `newsbot watch` round, the first new article of a story about it "
        "is an alert (its headline, the sentence that matched, the source, date and link); later articles on "
        "the story are updates. Adding a follow first shows what it would have sent in the last 7 days.",
    )
    follow_commands = follow.add_subparsers(dest="follow_command", metavar="ACTION", required=True)
    follow_add = follow_commands.add_parser(
        "add",
        parents=[common],
        help="follow a topic, after showing its last 7 days",
        description="Follow TOPIC, showing the stories of the last 7 days it would have alerted on.",
    )
    follow_add.add_argument("topic", metavar="TOPIC", help='what to follow, in quotes, e.g. "bird flu"')
    follow_add.add_argument(
        "--dry-run", action="store_true", help="only show what it would have sent in the last 7 days"
    )
    follow_add.add_argument(
        "--as-of", type=iso_date, metavar="DATE", help="the backtest's last day, YYYY-MM-DD (default: today)"
    )
    follow_add.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    follow_list = follow_commands.add_parser(
        "list",
        parents=[common],
        help="the terminal's follows",
        description="The follows `newsbot watch` prints alerts for.",
    )
    follow_list.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    follow_remove = follow_commands.add_parser(
        "remove",
        parents=[common],
        help="stop following a topic",
        description="Stop following; ID is from `newsbot follow list`.",
    )
    follow_remove.add_argument("id", type=int, metavar="ID", help="the follow's id")

    ask = commands.add_parser(
        "ask",
        parents=[common],
        help="answer one question",
        description="Answer one question from the indexed articles.",
    )
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ask.add_argument(
        "--k",
        type=positive_k,
        metavar="N",
        help=f"passages to retrieve (default: ${Settings.env_name('top_k')} or {Settings.model_fields['top_k'].default})",
    )
    ask.add_argument(
        "--as-of",
        type=iso_date,
        metavar="DATE",
        help="answer as if today were DATE (YYYY-MM-DD), so 'this week' means that week (default: today)",
    )

    repl = commands.add_parser(
        "repl",
        parents=[common],
        help="ask questions interactively",
        description="Ask questions interactively. Type :help inside for commands.",
    )
    repl.add_argument("--k", type=positive_k, metavar="N", help="passages to retrieve per question")

    stats = commands.add_parser(
        "stats",
        parents=[common],
        help="what the index holds",
        description="Articles, chunks, publishers, date range and model of the index.",
    )
    stats.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    stories = commands.add_parser(
        "stories",
        parents=[common],
        help="list the stories of a time window",
        description="The stories with articles published in the window, most publishers first "
        "(syndicated copies count once), each with its articles.",
    )
    window_arguments(stories)

    brief = commands.add_parser(
        "brief",
        parents=[common],
        help="the top stories of a time window, each with cited sentences",
        description="The window's top stories (or those about TOPIC): each story's headline, one or two whole "
        "sentences quoted from its most central article with their citation, the other publishers that "
        'reported it, and the figures its reports give differently ("Reports differ").',
    )
    brief.add_argument("topic", nargs="?", default="", metavar="TOPIC", help="only the stories about this")
    window_arguments(brief)
    brief.add_argument("--limit", type=positive_k, default=10, metavar="N", help="stories to show (default: 10)")

    timeline = commands.add_parser(
        "timeline",
        parents=[common],
        help="how one story developed: a cited line per report, oldest first",
        description="One line per report of a story, oldest first: its date and publisher and the one sentence it "
        "added, verbatim and cited (the sentence closest to the story that no earlier report said), with "
        '"Updated" and "Reports differ" where they fall. TOPIC picks the story of the window it matches best; '
        "a story id (from `newsbot stories`) names a whole story, whatever the window.",
    )
    timeline.add_argument("target", metavar="TOPIC|STORY_ID", help="a topic, or a story id like s-0123456789abcdef")
    window_arguments(timeline, default_days=30)
    timeline.add_argument(
        "--limit",
        type=positive_k,
        default=20,
        metavar="N",
        help="lines to show: the first report and the latest (default: 20)",
    )

    discord = commands.add_parser(
        "discord",
        parents=[common],
        help="run the Discord bot",
        description="Run the Discord bot until Ctrl-C or SIGTERM. The token comes from DISCORD_TOKEN "
        "(environment or .env); the NEWSBOT_DISCORD_* settings control where it answers and how often.",
    )
    discord.add_argument(
        "--sync",
        action="store_true",
        help="register the slash commands with Discord at start-up: instantly in "
        f"${DiscordSettings.env_name('dev_guild_id')} if set, else globally (up to an hour to appear)",
    )
    discord.add_argument(
        "--read-only",
        action="store_true",
        help="never write the index: no indexing at start, no background refresh, /reindex refused "
        "(for bots that share an index another process writes)",
    )
    discord.add_argument(
        "--shards",
        type=shard_list,
        metavar="IDS",
        help="run only these shards, comma-separated (e.g. 0,1), so several processes split the servers; "
        "needs --shard-count",
    )
    discord.add_argument("--shard-count", type=int, metavar="N", help="how many shards all processes run together")

    evaluate = commands.add_parser(
        "eval",
        parents=[common],
        help="score retrieval and answers on a set of news questions",
        description="Index ARTICLES (incrementally, so re-runs skip the embedding), ask every question as of "
        "its own date, write RUN (one JSON line per question: id, passages, answer, refused, citations) and "
        "print BudgetRecall@100/250/1000w, AnswerHit, AnswerHit@1 (first sentence), AnswerHit@40w, AnswerRecall@5, "
        "MRR@10, the refusal rate, the median answer length and the answers with fragments or unbalanced quotes "
        "(all questions, and those whose answer is in at most 5% of articles), then search and answer latency.",
    )
    evaluate.add_argument(
        "--articles", type=Path, required=True, metavar="ARTICLES", help="articles to index (.jsonl or a folder)"
    )
    evaluate.add_argument(
        "--questions",
        type=Path,
        required=True,
        metavar="QUESTIONS",
        help="JSONL with id, question, answer, and optionally date and answer_df",
    )
    evaluate.add_argument("--out", type=Path, required=True, metavar="RUN", help="the run file to write")
    evaluate.add_argument("--k", type=positive_k, default=10, metavar="N", help="passages per question (default: 10)")
    evaluate.add_argument("--json", action="store_true", help="print the scores as one JSON object")

    feedback = commands.add_parser(
        "feedback",
        parents=[common],
        help="summarise 👍/👎 feedback on Discord answers",
        description="Votes on the Discord bot's answers, and the latest unhelpful ones.",
    )
    feedback.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    feedback.add_argument(
        "--recent", type=positive_k, default=10, metavar="N", help="unhelpful answers to list (default: 10)"
    )

    answers = commands.add_parser(
        "answers",
        parents=[common],
        help="past answers, and the corrections of what they quoted",
        description="The answers newsbot gave (in Discord, the REPL and `newsbot ask`) in the window, newest first, "
        "each with its corrections: an article it quoted was corrected or removed, or a later report of the story "
        "gives another figure. Answers are remembered NEWSBOT_ANSWER_MEMORY_DAYS days.",
    )
    answers.add_argument("--corrected", action="store_true", help="only the answers with a correction")
    answers.add_argument(
        "--since",
        type=since_days,
        default=7,
        metavar="SPAN",
        help="how far back: days, weeks or months, like 7d, 2w or 1m (default: 7d)",
    )
    answers.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    config = commands.add_parser(
        "config",
        parents=[common],
        help="the settings in effect, and where each came from",
        description="Every setting's value in effect and its source: the default, .env, the "
        "environment or the command line. Secrets show only whether they are set.",
    )
    config.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return parser


def window_arguments(command: argparse.ArgumentParser, default_days: int = 7) -> None:
    command.add_argument(
        "--since",
        type=since_days,
        default=default_days,
        metavar="SPAN",
        help=f"how far back the window reaches: days, weeks or months, like 7d, 2w or 1m (default: {default_days}d)",
    )
    command.add_argument(
        "--as-of", type=iso_date, metavar="DATE", help="the window's last day, YYYY-MM-DD (default: today)"
    )
    command.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def since_days(value: str) -> int:
    from bot.briefing.digest import BriefError, parse_since

    try:
        return parse_since(value)
    except BriefError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def positive_k(value: str) -> int:
    from bot.settings.loading import check_value

    try:
        return check_value(Settings, "top_k", value)
    except SettingsError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def shard_list(value: str) -> list[int]:
    try:
        shards = sorted({int(part) for part in value.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be shard numbers separated by commas, like 0,1, not {value!r}"
        ) from None
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
