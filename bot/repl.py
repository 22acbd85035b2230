"""The interactive prompt: questions in, cited answers out, with a few :commands."""

import logging
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from bot.answering.conversation import Conversation, Turn
from bot.answering.results import Answer
from bot.memory.store import REPL, Place
from bot.pipeline import Pipeline, QuestionError
from bot.render import WIDTH, correction_line, render_answer, source_line

HELP = """\
Type a question and press Enter. Commands:
  :sources      list the sources of the last answer
  :sources N    show the passage source N was quoted from, in full
  :reset        forget the conversation, so the next question stands on its own
  :help         this help
  :quit         leave (Ctrl-D works too)"""

HISTORY_LENGTH = 1000

log = logging.getLogger(__name__)


class Repl:
    def __init__(self, pipeline: Pipeline, k: int | None = None, out=sys.stdout):
        self.pipeline = pipeline
        self.k = k
        self.out = out
        self.bold = out.isatty()
        self.last: Answer | None = None
        self.conversation = Conversation()
        self.history_file = Path(pipeline.settings.data_dir) / "repl_history"
        self.session = f"repl-{os.getpid()}-{time.time():.0f}"
        self.asked: dict[int, str] = {}  # this session's remembered answers: id -> question
        self.noticed: set[int] = set()  # corrections already said

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def run(self, read=input) -> None:
        stats = self.pipeline.stats()
        self.say(f"newsbot: {stats.articles} articles, {stats.chunks} passages. Ask a question, or :help.")
        with readline_history(self.history_file):
            while True:
                self.notice_corrections()
                try:
                    line = read("? ")
                except EOFError:
                    self.say()
                    return
                except KeyboardInterrupt:
                    self.say()
                    continue
                if not self.handle(line.strip()):
                    return

    def handle(self, line: str) -> bool:
        """Act on one line; False means leave."""
        if not line:
            return True
        if line.startswith(":"):
            command, _, argument = line[1:].partition(" ")
            if command in ("quit", "q", "exit"):
                return False
            if command == "help":
                self.say(HELP)
            elif command == "sources":
                self.show_sources(argument.strip())
            elif command == "reset":
                self.conversation.reset()
                self.say("Forgot the conversation; the next question stands on its own.")
            else:
                self.say(f"Unknown command :{command}. Type :help for the list.")
            return True
        try:
            self.last = self.pipeline.ask(line, self.k, history=self.conversation.history())
        except QuestionError as error:
            self.say(str(error))
            return True
        except Exception as error:  # one failed question must not end the session
            log.debug("question failed", exc_info=True)
            self.say(f"Sorry, that failed: {error}")
            return True
        self.conversation.add(Turn(self.last.question, self.last.search_query, self.last.text))
        self.say(render_answer(self.last, bold=self.bold))
        self.say()
        self.remember(self.last)
        return True

    def remember(self, answer: Answer) -> None:
        try:
            answer_id = self.pipeline.memory.remember(answer, Place(REPL, self.session))
        except Exception as error:  # noqa: BLE001 - the answer was given; only its memory is lost
            log.warning("the answer could not be remembered: %s", error)
            return
        if answer_id is not None:
            self.asked[answer_id] = answer.question

    def notice_corrections(self) -> None:
        """One line for each correction of this session's answers found since the last prompt (by a
        `newsbot watch` or another writer indexing beside it)."""
        if not self.asked:
            return
        try:
            found = self.pipeline.memory.store.corrections(session=self.session)
        except Exception as error:  # noqa: BLE001 - a notice is not worth stopping the session for
            log.debug("could not read the corrections: %s", error)
            return
        for correction in found:
            if correction.id in self.noticed:
                continue
            self.noticed.add(correction.id)
            question = self.asked.get(correction.answer_id, "")
            self.say(f"Your earlier question “{question}”: {correction_line(correction.payload)}")

    def show_sources(self, argument: str) -> None:
        if self.last is None or not self.last.citations:
            self.say("No sources yet: the last answer cited none.")
            return
        if not argument:
            for citation in self.last.citations:
                self.say(f"[{citation.n}] {source_line(citation)}")
            return
        numbers = {citation.n: citation for citation in self.last.citations}
        if not argument.isdigit() or int(argument) not in numbers:
            self.say(f"Give a source number from 1 to {len(numbers)}, e.g. :sources 1")
            return
        citation = numbers[int(argument)]
        of_article = [p for p in self.last.passages if p.article_id == citation.article_id]
        passage = next((p for p in of_article if citation.quote in " ".join(p.readable_text.split())), of_article[0])
        self.say(f"[{citation.n}] {source_line(citation)} · passage {passage.position + 1}")
        self.say("-" * min(WIDTH, 60))
        self.say(passage.text)


@contextmanager
def readline_history(path: Path):
    """Readline history kept in the data dir across sessions, where readline exists."""
    try:
        import readline
    except ImportError:
        yield
        return
    readline.set_history_length(HISTORY_LENGTH)
    if path.exists():
        readline.read_history_file(path)
    try:
        yield
    finally:
        path.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(path)
