"""The pipeline every front end uses: settings in, answers and index runs out.

The model and the index are loaded once; questions are checked before any work is done.
"""

import time
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import index  # noqa: F401  (offline defaults before any model import)
from bot.answer import Answer, ExtractiveAnswerer, content_words
from bot.settings import Settings
from index.build import IndexReport, update_index
from index.embed import Embedder
from index.search import Searcher
from index.store import IndexStore


class QuestionError(ValueError):
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
    data_dir: str

    def to_json(self) -> dict:
        return asdict(self)


def check_question(question: str, max_chars: int) -> str:
    question = " ".join(question.split())
    if not question:
        raise QuestionError("The question is empty: ask something about the news, e.g. \"Where were the peace talks held?\"")
    if len(question) > max_chars:
        raise QuestionError(f"The question is {len(question)} characters long; please keep it under {max_chars}.")
    return question


@cache
def load_embedder(model: str) -> Embedder:
    """One copy of a model per process, however many pipelines use it."""
    return Embedder(model)


class Pipeline:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = IndexStore(settings.data_dir)
        self.embedder = load_embedder(settings.embed_model)
        self.searcher = Searcher(self.store, self.embedder)
        self.answerer = ExtractiveAnswerer(self.embedder, settings.min_relevance)

    def has_articles(self) -> bool:
        generation = self.store.current()
        return generation is not None and bool(generation.read_manifest().articles)

    def index(self, paths: list[Path] | None = None, rebuild: bool = False, progress: bool = False) -> IndexReport:
        return update_index(
            self.store,
            self.embedder,
            paths or list(self.settings.sources),
            rebuild=rebuild,
            max_article_bytes=self.settings.max_article_bytes,
            batch_size=self.settings.embed_batch_size,
            progress=progress,
        )

    def ask(self, question: str, k: int | None = None, context: str | None = None) -> Answer:
        """Answer `question`. A follow-up passes the earlier question it leans on as `context`:
        search sees both, and sentences are ranked against the follow-up alone unless it has no
        content words of its own ("When?")."""
        question = check_question(question, self.settings.max_question_chars)
        started = time.perf_counter()
        query = question
        if context:
            query = f"{context} {question}"[-self.settings.max_question_chars :]
        passages = self.searcher.search(query, k or self.settings.top_k)
        searched = time.perf_counter()
        ranked_against = question if not context or content_words(question) else query
        text, refused, citations = self.answerer.answer(ranked_against, passages)
        done = time.perf_counter()
        return Answer(
            question=question,
            search_query=query,
            text=text,
            refused=refused,
            citations=citations,
            passages=passages,
            timings_ms={
                "search": (searched - started) * 1000,
                "answer": (done - searched) * 1000,
                "total": (done - started) * 1000,
            },
        )

    def stats(self) -> IndexStats:
        manifest = self.searcher.manifest()
        sources: dict[str, int] = {}
        for record in manifest.articles.values():
            sources[record.source or "(unknown)"] = sources.get(record.source or "(unknown)", 0) + 1
        dates = sorted(r.published[:10] for r in manifest.articles.values() if r.published)
        return IndexStats(
            articles=len(manifest.articles),
            chunks=manifest.chunk_count,
            sources=dict(sorted(sources.items(), key=lambda item: -item[1])),
            first_published=dates[0] if dates else None,
            last_published=dates[-1] if dates else None,
            undated=len(manifest.articles) - len(dates),
            model=manifest.model,
            data_dir=str(self.settings.data_dir),
        )
