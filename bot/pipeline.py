"""The pipeline every front end uses: settings in, answers and index runs out.

The model and the index are loaded once; questions are checked before any work is done.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from functools import cache, cached_property
from pathlib import Path

from bot.answering.answer import ExtractiveAnswerer
from bot.answering.conversation import Turn
from bot.answering.llm.answerer import LLMAnswerer
from bot.answering.llm.model import LLMError, load_chat_model
from bot.answering.picker import CARD_FILE, AnswerPicker
from bot.answering.prompts import load_prompts
from bot.answering.question import Question
from bot.answering.reader import CARD_FILE as READER_CARD_FILE
from bot.answering.reader import Reader, ReaderModelError
from bot.answering.results import REFUSAL, Answer, Citation, Verification
from bot.answering.verify import CitationVerifier
from bot.settings import Settings, default_sources
from index.articles.article import CONTROL_CHARACTERS
from index.build import IndexReport, WebRun, update_index
from index.embedding.embedder import DEFAULT_BACKEND, Embedder
from index.errors import NewsbotError
from index.search.catalog import CATALOG_FILE, Catalog
from index.search.searcher import Searcher
from index.store.chroma import ChunkStore, IndexMissing, old_layout, remove_old_layout
from index.web.fetch import Fetcher, Politeness
from index.web.sources import WebSource, find_sources_file, load_sources_file, web_sources
from index.web.urls import is_web

log = logging.getLogger(__name__)

# ETag and Last-Modified of every web address fetched, in the data dir.
VALIDATORS_FILE = "web-validators.json"
# An answer whose newest source is older than this says how old it is.
STALE_DAYS = 30


class QuestionError(NewsbotError, ValueError):
    """A question that cannot be asked as it is; the message says what to do instead."""


@dataclass(frozen=True)
class IndexStats:
    articles: int
    chunks: int
    sources: dict[str, int]
    first_published: str | None
    last_published: str | None
    undated: int
    model: str
    picker: str  # the answer picker and its model card's figures
    data_dir: str
    # What each web source did: url, name, last_success and last_error_at (epoch seconds or absent),
    # last_error, entries listed, newest (the newest entry's date).
    web_sources: list[dict]

    def to_json(self) -> dict:
        return asdict(self)


def check_question(question: str, max_chars: int) -> str:
    if any("\ud800" <= character <= "\udfff" for character in question):
        raise QuestionError("The question holds bytes that are not UTF-8 text; please type it again.")
    question = " ".join(CONTROL_CHARACTERS.sub(" ", question).split())
    if not question:
        raise QuestionError(
            'The question is empty: ask something about the news, e.g. "Where were the peace talks held?"'
        )
    if len(question) > max_chars:
        raise QuestionError(f"The question is {len(question)} characters long; please keep it under {max_chars}.")
    return question


@cache
def load_embedder(model: str, backend: str = DEFAULT_BACKEND, cache_dir: Path | None = None) -> Embedder:
    """One copy of a model per process, however many pipelines use it."""
    return Embedder(model, backend, cache_dir)


@cache
def load_picker() -> AnswerPicker:
    """The shipped answer picker, once per process."""
    return AnswerPicker()


@cache
def load_reader() -> Reader | None:
    """The shipped reader, once per process; None, said in one line, when its model is missing or
    corrupt: then the linear picker answers."""
    try:
        return Reader()
    except ReaderModelError as error:
        log.warning("%s; answering with the linear picker (reinstall newsbot to restore it)", error)
        return None


def load_llm_answerer(settings: Settings, embedder: Embedder) -> LLMAnswerer:
    """The model answerer, its prompts read and checked now; the model itself is reached or loaded
    at its first use, or by `LLMAnswerer.model.check()`."""
    return LLMAnswerer(
        load_chat_model(settings.llm),
        load_prompts(settings.llm.prompts_dir),
        CitationVerifier(embedder),
        settings.llm,
        settings.max_question_chars,
    )


def freshness_note(question: Question, citations: Sequence[Citation]) -> str:
    """A note on how old the sources are ("The latest article on this is from 3 March 2026."), when
    the newest article an answer cites is more than STALE_DAYS old and the question doesn't ask
    about that time; otherwise empty."""
    days = []
    for citation in citations:
        try:
            days.append(date.fromisoformat(citation.published[:10]))
        except ValueError:
            continue
    if not days:
        return ""
    newest = max(days)
    window, today = question.window, question.asked_on
    if newest >= today - timedelta(days=STALE_DAYS) or (window is not None and window.contains(newest)):
        return ""
    return f"The latest article on this is from {newest.day} {newest:%B %Y}."


class Pipeline:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.embedder = load_embedder(settings.embed_model, settings.embed_backend, settings.model_cache)
        # The writer and the searcher share one client: a local Chroma shows a process its own
        # writes at once.
        if settings.chroma_url:
            self.store = ChunkStore.remote(settings.chroma_url, settings.chroma_header_map)
        else:
            self.store = ChunkStore.local(settings.data_dir / "chroma")
        self.catalog = Catalog(settings.data_dir / CATALOG_FILE)
        self.searcher = Searcher(self.store, self.catalog, self.embedder)
        self.llm = load_llm_answerer(settings, self.embedder) if settings.llm.enabled else None

    @cached_property
    def answerer(self) -> ExtractiveAnswerer:
        """Loaded at the first question: indexing never needs the picker."""
        settings = self.settings
        if settings.answer_picker == "weighted":
            return ExtractiveAnswerer(self.embedder, settings.min_relevance)
        reader = load_reader() if settings.answer_picker == "reader" else None
        return ExtractiveAnswerer(
            self.embedder,
            settings.min_relevance,
            picker=load_picker(),
            min_confidence=settings.min_confidence if reader is None else settings.min_reading,
            reader=reader,
            reader_candidates=settings.reader_candidates,
            reader_picker_weight=settings.reader_picker_weight,
        )

    def has_articles(self) -> bool:
        if self.store.info() is None:
            if old_layout(self.settings.data_dir):
                raise IndexMissing(
                    f"the index in {self.settings.data_dir} was made by an older newsbot: "
                    "run `newsbot index` once to rebuild it in the new layout"
                )
            return False
        return bool(self.searcher.articles())

    def sources(self, given: Sequence[Path | str] = ()) -> tuple[list[Path], list[WebSource]]:
        """(files and folders, web sources) to index: those given, or else the configured ones, or
        else the bundled corpus. A given address takes its options from sources.toml if named there."""
        found = find_sources_file(self.settings.data_dir)
        configured = load_sources_file(found) if found else []
        if given:
            urls = [str(source) for source in given if is_web(str(source))]
            by_url = {source.url: source for source in configured}
            web = [by_url.get(source.url, source) for source in web_sources(urls, [])]
            return [Path(source) for source in given if not is_web(str(source))], web
        web = web_sources(list(self.settings.feeds), configured)
        paths = list(self.settings.source_paths)
        if not paths and not web:
            paths = list(default_sources())
        return paths, web

    def index(
        self,
        sources: Sequence[Path | str] = (),
        rebuild: bool = False,
        progress: bool = False,
        wait: float = 0.0,
        on_wait=None,
        only_web: Sequence[WebSource] | None = None,
    ) -> IndexReport:
        """One index run over `sources` (default: the configured ones). `only_web`, if given,
        replaces the web sources (a watch round fetches only those that are due)."""
        paths, web = self.sources(sources)
        if only_web is not None:
            web = list(only_web)
        settings = self.settings
        web_run = None
        if web:
            politeness = Politeness(
                settings.fetch_delay, settings.fetch_timeout, settings.max_article_bytes, settings.private_hosts_allowed
            )
            web_run = WebRun(
                web, Fetcher(politeness, settings.data_dir / VALIDATORS_FILE), settings.keep_days, settings.recheck_days
            )
        try:
            report = self._index(paths, web_run, rebuild, progress, wait, on_wait)
        finally:
            if web_run is not None:
                web_run.fetcher.close()
        try:
            self.memory.after_round()
        except Exception as error:  # noqa: BLE001 - the index is updated; the answers are checked next round
            log.warning("checking the remembered answers failed: %s; they are checked again next round", error)
        return report

    def _index(
        self, paths: list[Path], web_run: WebRun | None, rebuild: bool, progress: bool, wait: float, on_wait
    ) -> IndexReport:
        older = old_layout(self.settings.data_dir)
        if older:
            log.warning(
                "the index in %s was made by an older newsbot; building it again in the new layout",
                self.settings.data_dir,
            )
        report = update_index(
            self.store,
            self.catalog,
            self.embedder,
            paths,
            rebuild=rebuild,
            web=web_run,
            max_article_bytes=self.settings.max_article_bytes,
            batch_size=self.settings.embed_batch_size,
            progress=progress,
            wait=wait,
            on_wait=on_wait,
        )
        if older:
            remove_old_layout(self.settings.data_dir)
        return report

    def ask(
        self,
        question: str,
        k: int | None = None,
        history: Sequence[Turn] = (),
        today: date | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer `question`, a follow-up to the turns in `history` (oldest first), as of `today`.
        With a language model, `on_text` gets the model's unverified text as it is written."""
        question = check_question(question, self.settings.max_question_chars)
        started = time.perf_counter()
        asked = Question.of(question, today or date.today())
        query, ranked_against = self.standalone(asked, history)
        condensed = time.perf_counter()
        passages = self.searcher.search(query, k or self.settings.top_k)
        searched = time.perf_counter()
        # A follow-up wants something new: what the previous answer quoted is passed over.
        previous = history[-1].answer if history and query is not asked else ""
        text, refused, citations = self.answerer.answer(ranked_against, passages, avoid=previous)
        answered = time.perf_counter()
        answer = Answer(
            question=question,
            search_query=query.text,
            text=text,
            refused=refused,
            citations=citations,
            passages=passages,
            mode=self.settings.llm.mode,
        )
        timings = {"search": (searched - condensed) * 1000, "answer": (answered - searched) * 1000}
        if history and query is not asked:
            timings["condense"] = (condensed - started) * 1000
        if self.llm is not None and not refused:
            # The model reads the search text: a follow-up's standalone form, or with the question before it.
            self.write_with_model(answer, query, on_text, timings)
        if not answer.refused:
            from bot.briefing.story_context import with_stories

            storied = time.perf_counter()
            answer.citations, answer.conflicts = with_stories(self.catalog, answer.citations)
            timings["stories"] = (time.perf_counter() - storied) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        answer.timings_ms = timings
        if not answer.refused:
            answer.freshness_note = freshness_note(query, answer.citations)
        return answer

    def standalone(self, question: Question, history: Sequence[Turn]) -> tuple[Question, Question]:
        """(what to search for, what to rank sentences against). A follow-up is rewritten by the
        model's condensing prompt when there is one; otherwise, or when that fails, it is searched
        together with the previous search, and ranked against itself unless it has no content
        words of its own ("When?")."""
        if not history or not question.follow_up:
            return question, question
        if self.llm is not None:
            try:
                standalone = Question.of(
                    self.llm.condense(question.text, history, question.asked_on), question.asked_on
                )
                return standalone, standalone
            except LLMError as error:
                log.info("condensing the follow-up failed (%s); combining it with the last question", error)
        combined = f"{history[-1].search} {question.text}"[-self.settings.max_question_chars :]
        query = Question.of(combined, question.asked_on)
        return query, question if question.words else query

    def write_with_model(self, answer: Answer, question: Question, on_text, timings: dict[str, float]) -> None:
        """Replace the extractive answer with the model's verified one, unless the model fails or
        too little of its answer is supported; then the quotes stay and the note says why."""
        try:
            written = self.llm.answer(question.text, answer.passages, question.asked_on, on_text)
        except LLMError as error:
            answer.verification = Verification(kept=0, moved=0, removed=0, fallback=True)
            answer.note = f"The language model could not answer: {error}. These are quotes from the articles instead."
            return
        verified = written.verified
        # What the picker found in the extractive answer: a model's answer must say it too.
        picked = answer.citations[0].highlight if answer.citations else ""
        answer.verification = verified.verification
        answer.generated_tokens = written.generated.chunks
        timings["generate"] = written.generated.seconds * 1000
        timings["verify"] = written.verify_ms
        if verified.refused:
            answer.text, answer.refused, answer.citations = REFUSAL, True, []
        elif verified.verification.fallback:
            answer.note = "The language model's answer could not be matched to the articles, so these are quotes from them instead."
        elif not self.answerer.addresses(question, verified.sentences):
            answer.verification = replace(verified.verification, fallback=True)
            answer.note = "The language model's answer didn't address the question, so these are quotes from the articles instead."
        elif picked and " ".join(picked.lower().split()) not in " ".join(verified.text.lower().split()):
            answer.verification = replace(verified.verification, fallback=True)
            answer.note = f"The language model's answer left out {picked}, which the articles give, so these are quotes from them instead."
        else:
            answer.text, answer.citations = verified.text, verified.citations

    def picker_description(self) -> str:
        """Which picker answers, and its model card's figures."""
        if self.settings.answer_picker == "weighted":
            return f"weighted (min relevance {self.settings.min_relevance})"
        answerer = self.answerer
        card = answerer.picker.card
        linear = (
            f"learned ({answerer.picker.folder / CARD_FILE}): trained on {card.get('data', {}).get('training_questions', '?')} rtqa-train "
            f"questions, hit@1 {card.get('validation_hit@1', '?')} on held-out weeks; min confidence {self.settings.min_confidence}"
        )
        if answerer.reader is None:
            missing = " (the reader's model is missing or corrupt)" if self.settings.answer_picker == "reader" else ""
            return linear + missing
        reader = answerer.reader
        figures = reader.card.get("validation", {})
        return (
            f"reader ({reader.folder / READER_CARD_FILE}): reads the linear picker's best {answerer.reader_candidates} sentences, "
            f"hit@1 {figures.get('hit@1_of_group', '?')} on held-out weeks; min probability {self.settings.min_reading}"
        )

    def stories(self, since_days: int, as_of: date | None = None) -> tuple[date, date, list]:
        """(first day, last day, the stories with articles between them, best first)."""
        from bot.briefing.digest import stories_between, window

        first, last = window(since_days, as_of or date.today())
        self._require_stories()
        with self.catalog.snapshot():
            return first, last, stories_between(self.catalog, first, last)

    def brief(self, topic: str, since_days: int, as_of: date | None = None, limit: int = 10):
        """The brief of the window: its top stories (or those matching `topic`), each with cited
        bullets and the figures its reports disagree on."""
        from bot.briefing.digest import Brief, brief_story, matching

        first, last, found = self.stories(since_days, as_of)
        topic = " ".join(topic.split())
        if topic and found:
            found = matching(found, self.catalog, self.embedder.embed_query(topic), topic, first, last)
        with self.catalog.snapshot():
            shown = [brief_story(story, self.catalog) for story in found[:limit]]
        return Brief(first, last, topic, shown, more=max(0, len(found) - limit))

    def timeline(self, target: str, since_days: int, as_of: date | None = None, limit: int = 20):
        """(first day, last day, the timeline of the story `target` names or of the story its topic
        matches best in the window; None when no story matches). A story id names its whole story,
        whatever the window."""
        from bot.briefing.digest import BriefError, Story, StoryArticle, matching
        from bot.briefing.timeline import is_story_id, story_timeline

        target = " ".join(target.split())
        if is_story_id(target):
            self._require_stories()
            with self.catalog.snapshot():
                members = self.catalog.story_by_id(target)
                if not members:
                    raise BriefError(f"no story {target} in the index (see `newsbot stories`)")
                story = Story(target, [StoryArticle.of(article_id, record) for article_id, record in members.items()])
                timeline = story_timeline(story, self.catalog, limit)
            return (
                date.fromisoformat(story.first_published[:10]),
                date.fromisoformat(story.last_published[:10]),
                timeline,
            )
        first, last, found = self.stories(since_days, as_of)
        if target and found:
            found = matching(found, self.catalog, self.embedder.embed_query(target), target, first, last)
        if not found:
            return first, last, None
        with self.catalog.snapshot():
            return first, last, story_timeline(found[0], self.catalog, limit)

    def _require_stories(self) -> None:
        self.searcher.refresh()
        if self.catalog.unstoried():
            from bot.briefing.digest import BriefError

            raise BriefError(
                f"the index in {self.settings.data_dir} was built before stories existed: run `newsbot index` once "
                "to give its articles stories (nothing is embedded again)"
            )

    @cached_property
    def following(self):
        """Follows: added, removed, listed, and matched after each index round."""
        from bot.follows.following import Following

        return Following(self.settings, self.searcher, self.embedder)

    @cached_property
    def memory(self):
        """Answers remembered, and checked after each index round against what changed."""
        from bot.memory.memory import AnswerMemory
        from bot.memory.store import AnswerStore

        return AnswerMemory(
            self.settings.answer_memory_days, AnswerStore(self.settings.data_dir), self.searcher, self.store
        )

    def stats(self) -> IndexStats:
        articles = self.searcher.articles()
        sources: dict[str, int] = {}
        for record in articles.values():
            sources[record.source or "(unknown)"] = sources.get(record.source or "(unknown)", 0) + 1
        dates = sorted(r.published[:10] for r in articles.values() if r.published)
        return IndexStats(
            articles=len(articles),
            chunks=sum(record.chunks for record in articles.values()),
            sources=dict(sorted(sources.items(), key=lambda item: -item[1])),
            first_published=dates[0] if dates else None,
            last_published=dates[-1] if dates else None,
            undated=len(articles) - len(dates),
            model=self.catalog.info.model,
            picker=self.picker_description(),
            data_dir=str(self.settings.data_dir),
            web_sources=list((self.store.meta("sources") or {}).values()),
        )
