"""One index run: read the sources, work out what changed, embed only that, commit it a batch of
articles at a time."""

import dataclasses
import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from index.articles.article import MAX_PASSAGES, Article, Note, Problem, Scan
from index.articles.chunk import CHUNKER_VERSION, chunk_article, embed_text, make_splitter
from index.articles.files import scan_sources
from index.articles.stories import StoryBook, sketch
from index.embedding.embedder import Embedder
from index.search.catalog import Catalog
from index.search.chunk_copies import chunk_sentences, pack_sentences
from index.store.chroma import ChunkStore
from index.store.records import ArticleRecord, IndexInfo
from index.store.writer import Writer
from index.web.crawl import WebScan, crawl
from index.web.fetch import Fetcher
from index.web.sources import WebSource
from index.web.urls import is_web

log = logging.getLogger(__name__)

# Articles embedded and committed together: a killed run loses at most one such batch, and each
# commit costs a few Chroma calls.
COMMIT_ARTICLES = 32

# For the interruption tests only: while the file this names exists, a run waits after each
# committed batch, having created "<file>.reached", so a test can stop it there with work left.
HOLD_AFTER_BATCH = "NEWSBOT_TEST_HOLD_AFTER_BATCH"


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    articles: int = 0
    chunks: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    sources: dict[str, dict] = field(default_factory=dict)  # what each web source did, by URL

    def summary_line(self) -> str:
        return (
            f"indexed: {self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed, {self.failed} failed articles; "
            f"{self.articles} articles and {self.chunks} chunks in the index; {self.seconds:.1f} s"
        )


@dataclass
class Plan:
    add: list[Article]
    update: list[Article]
    unchanged: list[Article]
    remove: list[str]
    # Same content, with a record that changes: read from another file, or fetched again.
    relabel: list[tuple[str, ArticleRecord]]

    @property
    def changes_anything(self) -> bool:
        return bool(self.add or self.update or self.remove or self.relabel)


@dataclass
class WebRun:
    """What an index run fetches: the web sources, the client fetching them, how many days web
    articles are kept (0: for ever) and how many days recent pages are rechecked for corrections."""

    sources: list[WebSource]
    fetcher: Fetcher
    keep_days: int = 0
    recheck_days: float = 0.0  # recent pages asked for again though their listing is unchanged


def plan_changes(known: dict[str, ArticleRecord], scan: Scan, roots: Sequence[Path]) -> Plan:
    """Pure: compare what the index holds with what the sources hold now."""
    plan = Plan([], [], [], [], [])
    for article in scan.articles:
        record = known.get(article.id)
        if record is None:
            plan.add.append(article)
        elif record.hash != article.content_hash:
            plan.update.append(article)
        elif record.origin != article.origin:
            plan.relabel.append((article.id, dataclasses.replace(record, origin=article.origin)))
        else:
            plan.unchanged.append(article)
    present = {article.id for article in scan.articles}
    resolved = [root.resolve() for root in roots]
    for article_id, record in known.items():
        if record.fetched:
            continue  # a web article: fetching never deletes it
        origin = Path(record.origin)
        gone = article_id not in present and any(origin == r or r in origin.parents for r in resolved)
        # A file that failed to read keeps its last good articles: losing them would punish a typo.
        if gone and record.origin not in scan.troubled_files:
            plan.remove.append(article_id)
    return plan


def update_index(
    store: ChunkStore,
    catalog: Catalog,
    embedder: Embedder,
    roots: Sequence[Path],
    *,
    rebuild: bool = False,
    max_article_bytes: int = 5_000_000,
    batch_size: int = 64,
    progress: bool = False,
    web: WebRun | None = None,
    wait: float = 0.0,
    on_wait=None,
) -> IndexReport:
    """Bring the index in line with the files under `roots` and what the web sources list. Articles are committed a batch at a
    time, so a killed run keeps the batches it finished; a rebuild is written beside the index that
    answers and replaces it at the end."""
    started = time.perf_counter()
    report = IndexReport()
    with store.writing(wait, on_wait):
        answering = store.info()
        if answering and (answering.model != embedder.label or answering.chunker != CHUNKER_VERSION):
            log.warning(
                "the index was built with %s (chunker %s); rebuilding it with %s (chunker %s)",
                answering.model,
                answering.chunker,
                embedder.label,
                CHUNKER_VERSION,
            )
            rebuild = True
        building = answering if answering and not rebuild else IndexInfo(model=embedder.label, chunker=CHUNKER_VERSION)
        if answering is None:
            store.publish(building)  # a first build answers from its first batch on
        aside = building is not answering and answering is not None
        if not aside:
            store.drop_other_builds(building.identity)
        writer = Writer(store, building)
        known = writer.articles()
        if not aside:
            store.patiently(catalog.sync, store, embedder)  # stories are matched against what it holds
            store_missing_sentence_vectors(writer, catalog)

        scan = scan_sources(roots, max_article_bytes)
        report.problems = scan.problems
        report.notes = scan.notes
        report.failed = len(scan.problems)
        plan = plan_changes(known, scan, roots)
        web_unchanged = 0
        if web is not None:
            if building is not answering:
                web.fetcher.validators.clear()  # a new build has none of the pages a 304 would skip
            statuses = store.meta("sources") or {}
            crawled = crawl(web.sources, known, web.fetcher, statuses, web.recheck_days)
            web_unchanged = crawled.unchanged + plan_web_changes(plan, known, crawled, web.keep_days, time.time())
            report.problems += crawled.problems
            report.notes += crawled.notes
            report.failed += len(crawled.problems)
            report.sources = crawled.statuses
        report.added, report.updated = len(plan.add), len(plan.update)
        report.unchanged, report.removed = len(plan.unchanged) + web_unchanged, len(plan.remove)

        book = stories_to_match(catalog, known, plan, answering if aside else None, store)
        apply_changes(writer, None if aside else catalog, known, plan, embedder, batch_size, progress, book)
        if web is not None:
            writer.set_source_status({**statuses, **report.sources})
            web.fetcher.save()
        if aside:
            store.set_meta(
                sentence_vectors_key(building.identity), {"stored": True}
            )  # every chunk of a new build has them
            store.publish(building)
            store.drop_other_builds(building.identity)
        store.patiently(catalog.sync, store, embedder)
        report.articles = len(catalog.articles())
        report.chunks = catalog.chunk_count()
    report.seconds = time.perf_counter() - started
    return report


def sentence_vectors_key(identity: str) -> str:
    return f"sentence_vectors:{identity}"


def store_missing_sentence_vectors(writer: Writer, catalog: Catalog) -> None:
    """An index written before readers copied sentence vectors gets them in Chroma from the writer's
    catalog, once, with nothing embedded; until then, new readers embed them themselves."""
    key = sentence_vectors_key(writer.identity)
    if writer.store.meta(key):
        return
    copied = 0
    for page in catalog.stored_sentences():
        writer.store.patiently(writer.store_sentence_vectors, page)
        copied += len(page)
    if copied:
        log.info("stored the sentence vectors of %d chunks in the index, for readers to copy", copied)
    writer.store.set_meta(key, {"stored": True})


def stories_to_match(
    catalog: Catalog, known: dict[str, ArticleRecord], plan: Plan, replaced: IndexInfo | None, store: ChunkStore
) -> StoryBook:
    """The stories new articles are matched against. For an update in place, the catalog's articles,
    after the plan's removals; articles indexed before stories existed are given theirs now, oldest
    first, as relabels. A rebuild starts empty, and an unchanged article keeps the story it had in
    the build it replaces (`replaced`)."""
    if replaced is not None:
        book = StoryBook()
        book.carried = {
            record.hash: (record.story, record.copy_of)
            for record in store.articles(replaced.identity).values()
            if record.story
        }
        return book
    if not (plan.add or plan.update or catalog.unstoried()):
        return StoryBook()  # nothing to place: a watch round with no news reads no vectors
    book = StoryBook({item.article_id: item for item in catalog.sketches() if item.article_id in known})
    book.remove(plan.remove)
    changing = {article.id for article in plan.add + plan.update}
    relabels = dict(plan.relabel)
    missing = sorted(
        (item for item in book.sketches.values() if not item.story and item.article_id not in changing),
        key=lambda item: (item.day, item.article_id),
    )
    if missing:
        log.info("giving stories to %d articles indexed before stories existed", len(missing))
    book.remove(item.article_id for item in missing)  # placed one by one below, against those placed before
    for item in missing:
        placed = book.place(item)
        record = relabels.get(item.article_id, known[item.article_id])
        relabels[item.article_id] = dataclasses.replace(record, story=placed.story, copy_of=placed.copy_of)
    plan.relabel = list(relabels.items())
    return book


def apply_changes(
    writer: Writer,
    catalog: Catalog | None,
    known: dict[str, ArticleRecord],
    plan: Plan,
    embedder: Embedder,
    batch_size: int,
    progress: bool,
    book: StoryBook | None = None,
) -> None:
    """Write `plan` a batch of articles at a time, each changed article placed in a story of `book`;
    the catalog, if given, follows each batch."""
    from tqdm import tqdm

    book = book if book is not None else StoryBook()
    if plan.remove:
        writer.commit([], {article_id: known[article_id] for article_id in plan.remove}, {})
    writer.commit([(article_id, record, []) for article_id, record in plan.relabel], {}, {})
    splitter = make_splitter(embedder.count_tokens, embedder.max_tokens)
    # Oldest first, so that a story is named after its first article however the sources list them.
    changed = sorted(plan.add + plan.update, key=lambda article: (article.published or "", article.id))
    with tqdm(total=len(changed), desc="indexing articles", unit="article", disable=not progress or not changed) as bar:
        for done, batch in enumerate(batched(changed, COMMIT_ARTICLES)):
            puts = []
            for article in batch:
                nodes = chunk_article(article, splitter)
                if len(nodes) > MAX_PASSAGES:
                    log.warning(
                        "%s: only the first %d of its %d passages are indexed", article.origin, MAX_PASSAGES, len(nodes)
                    )
                    nodes = nodes[:MAX_PASSAGES]
                puts.append(
                    (article.id, _record(article, len(nodes), time.time() if is_web(article.origin) else 0.0), nodes)
                )
            _embed_nodes([node for _, _, nodes in puts for node in nodes], embedder, batch_size)
            sentences = _sentence_vectors(puts, embedder, batch_size)
            puts = [
                (article_id, _placed(book, article_id, record, nodes, known.get(article_id)), nodes)
                for article_id, record, nodes in puts
            ]
            replaced = {article.id: known[article.id] for article in batch if article.id in known}
            writer.commit(puts, {}, replaced, sentences)
            if catalog is not None:
                writer.store.patiently(catalog.sync, writer.store, embedder)
            bar.update(len(batch))
            del puts, sentences
            _return_freed_memory()
            log.debug("committed %d of %d articles", min(len(changed), (done + 1) * COMMIT_ARTICLES), len(changed))
            _hold_after_batch()


@cache
def _malloc_trim():
    """glibc's malloc_trim, or None on a C library without it."""
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _return_freed_memory() -> None:
    """Hand what a batch freed back to the system. glibc keeps freed pages of the batch's texts,
    nodes and arrays in its arenas, and a long run's peak grew with them (docs/benchmarks.md, Index
    size and memory)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _hold_after_batch() -> None:
    hold = os.environ.get(HOLD_AFTER_BATCH)
    if not hold:
        return
    Path(hold + ".reached").touch()
    while Path(hold).exists():
        time.sleep(0.05)


def _sentence_vectors(puts: list, embedder: Embedder, batch_size: int) -> dict[str, bytes]:
    """Chunk id -> the packed vectors of the sentences an answer may quote from it, computed once
    here and stored with the chunk, so that no reader embeds them again (index/embedding/sentence_vectors.py)."""
    sentences = {}
    for _, _, nodes in puts:
        sentences.update(zip((node.node_id for node in nodes), chunk_sentences([node.text for node in nodes])))
    return pack_sentences(sentences, embedder, batch_size)


def _placed(
    book: StoryBook, article_id: str, record: ArticleRecord, nodes: list, before: ArticleRecord | None
) -> ArticleRecord:
    """`record` with its story: the one it had before it changed, or the one `book` places it in."""
    item = sketch(
        article_id,
        record.title,
        record.source,
        record.published,
        [node.text for node in nodes],
        [node.embedding for node in nodes],
    )
    kept = (before.story, before.copy_of) if before is not None and before.story else book.carried.get(record.hash)
    if kept:
        item.story, item.copy_of = kept
        book.add(item)
    else:
        book.place(item)
    return dataclasses.replace(record, story=item.story, copy_of=item.copy_of)


def plan_web_changes(plan: Plan, known: dict[str, ArticleRecord], crawled: WebScan, keep_days: int, now: float) -> int:
    """Pure: add what a crawl read to `plan`, and web articles older than `keep_days` to its
    removals; the number of articles read again unchanged."""
    planned = {article.id for article in plan.add + plan.update}
    unchanged = 0
    for article in crawled.articles:
        if article.id in planned:
            continue  # the same article under two addresses, read twice in one round
        planned.add(article.id)
        record = known.get(article.id)
        if record is None:
            plan.add.append(article)
        elif record.hash != article.content_hash:
            plan.update.append(article)
        else:
            unchanged += 1
            plan.relabel.append((article.id, dataclasses.replace(record, origin=article.origin, fetched=now)))
    if keep_days > 0:
        oldest = now - keep_days * 86400
        for article_id, record in known.items():
            if record.fetched and _age_stamp(record) < oldest and article_id not in planned:
                plan.remove.append(article_id)
    return unchanged


def _age_stamp(record: ArticleRecord) -> float:
    """When a web article counts as published: its date, or when it was first fetched."""
    try:
        moment = datetime.fromisoformat(record.published)
    except ValueError:
        return record.fetched
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _embed_nodes(nodes: list, embedder: Embedder, batch_size: int) -> None:
    texts = [embed_text(node) for node in nodes]
    # Longest first, as sentence-transformers does within a call, so batches pad little.
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    vectors = embedder.embed([texts[i] for i in order], batch_size=batch_size)
    for i, vector in zip(order, vectors):
        nodes[i].embedding = vector.tolist()


def _record(article: Article, chunks: int, fetched: float = 0.0) -> ArticleRecord:
    return ArticleRecord(
        hash=article.content_hash,
        origin=article.origin,
        title=article.title,
        source=article.source,
        url=article.url,
        published=article.published,
        chunks=chunks,
        fetched=fetched,
    )


def batched(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
