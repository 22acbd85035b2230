"""`newsbot`'s entry point: settings read, the command run, and every failure turned into one
line and an exit status (2 for bad input or settings, 1 for a failure, 130 for Ctrl-C)."""

import json
import logging
import os
import sys
from pathlib import Path

from bot.cli.parser import UsageError, build_parser
from bot.cli.reports import (
    print_problems,
    run_answers,
    run_config,
    run_evaluation,
    run_feedback,
    run_follow,
    run_index,
    run_stats,
    run_stories,
)
from bot.settings import (
    DiscordSettings,
    Settings,
    SettingsError,
    load_discord_settings,
    load_dotenv_file,
    load_settings,
)
from index.errors import NewsbotError
from index.offline import configure_offline

log = logging.getLogger("newsbot")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_offline()
    from_dotenv = load_dotenv_file(Path.cwd() / ".env")
    try:
        settings = load_settings(data_dir=args.data_dir)
        logging.basicConfig(
            level=settings.log_level, format="newsbot: %(levelname)s: %(message)s", stream=sys.stderr, force=True
        )
        redact_secrets(
            [
                settings.llm.api_key.get_secret_value(),
                os.environ.get(DiscordSettings.env_name("token"), ""),
                *settings.chroma_header_map.values(),
            ]
        )
        if args.command == "config":
            return run_config(settings, from_dotenv, args.data_dir is not None, args.json)
        check_data_dir(settings.data_dir)
        return run(args, settings)
    except (SettingsError, UsageError) as error:
        print(f"newsbot: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`newsbot config | head`): nothing left to say, and nowhere to say it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(
            "newsbot: interrupted; the articles committed so far are kept, and the next run does the rest",
            file=sys.stderr,
        )
        return 130
    except Exception as error:
        if isinstance(error, NewsbotError):  # a message for the user (index/errors.py), not a bug's
            print(f"newsbot: error: {error}", file=sys.stderr)
        else:
            log.debug("unexpected failure", exc_info=True)
            print(
                f"newsbot: error: {type(error).__name__}: {error} (set NEWSBOT_LOG_LEVEL=DEBUG for details)",
                file=sys.stderr,
            )
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


def check_data_dir(data_dir: Path) -> None:
    if data_dir.exists() and not data_dir.is_dir():
        raise SettingsError(
            f"the data dir {data_dir} is a file, not a folder (--data-dir or {Settings.env_name('data_dir')})"
        )


def run(args, settings) -> int:
    if settings.llm.enabled and args.command in ("ask", "repl", "discord"):
        from bot.answering.prompts import load_prompts

        load_prompts(settings.llm.prompts_dir)  # a broken prompt file stops us before anything loads
    if args.command == "feedback":
        return run_feedback(settings, args.json, args.recent)
    if args.command == "answers":
        return run_answers(settings, args.since, args.corrected, args.json)
    if args.command == "discord":
        if (args.shards is None) != (args.shard_count is None):
            raise UsageError("--shards and --shard-count go together, e.g. --shards 0,1 --shard-count 4")
        if args.shards and (args.shard_count < 1 or args.shards[-1] >= args.shard_count):
            raise UsageError(
                f"shard numbers run from 0 to {args.shard_count - 1} with --shard-count {args.shard_count}"
            )
        discord_settings = load_discord_settings()  # token checked before anything loads or connects
        from bot.discord.bot import run as run_discord

        return run_discord(
            settings,
            discord_settings,
            sync=args.sync,
            read_only=args.read_only,
            shard_ids=args.shards,
            shard_count=args.shard_count,
        )
    if args.command == "timeline":
        from bot.briefing.digest import BriefError
        from bot.briefing.timeline import is_story_id

        try:
            is_story_id(args.target)
        except BriefError as error:
            raise UsageError(str(error)) from None
    if (
        args.command in ("stats", "stories", "brief", "timeline", "follow")
        and not settings.chroma_url
        and not (settings.data_dir / "chroma").is_dir()
    ):
        from index.store.chroma import IndexMissing

        raise IndexMissing(
            f"no index in {settings.data_dir} yet: run `newsbot index --data-dir {settings.data_dir}` first"
        )
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
        _ = pipeline.answerer  # a missing or broken picker model stops us before any indexing or search
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
            from index.store.chroma import IndexMissing

            raise IndexMissing(
                f"no articles found in {sources}: run `newsbot index PATH` with your articles, "
                f"or set {Settings.env_name('sources')}"
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
        remember(pipeline, answer)
        return 0
    if args.command in ("stories", "brief", "timeline"):
        return run_stories(pipeline, args)
    if args.command == "repl":
        from bot.repl import Repl

        Repl(pipeline, k=args.k).run()
        return 0
    return run_stats(pipeline, args.json)


def remember(pipeline, answer) -> None:
    """Keep `newsbot ask`'s answer, so that a correction of what it quoted is listed by `newsbot answers`."""
    from bot.memory.store import CLI, Place

    try:
        pipeline.memory.remember(answer, Place(CLI))
    except Exception as error:  # noqa: BLE001 - the answer was given; only its memory is lost
        print(f"newsbot: warning: the answer could not be remembered ({error})", file=sys.stderr)


def check_sources(sources: list[str]) -> None:
    from index.web.urls import is_web

    for source in sources:
        if is_web(source):
            continue
        if "://" in source:
            raise UsageError(f"{source}: only http(s) addresses are fetched")
        if not Path(source).exists():
            raise UsageError(f"no such file or folder: {source}")
