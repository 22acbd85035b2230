"""One index run: read the sources, work out what changed, embed only that, publish atomically."""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index.articles import MAX_PASSAGES, Article, Note, Problem, Scan, scan_sources
from index.chunk import CHUNKER_VERSION, chunk_article, embed_text, make_splitter
from index.embed import Embedder
from index.lexical import LexicalIndex
from index.store import ArticleRecord, IndexStore, Manifest

log = logging.getLogger(__name__)

# Chunks embedded per step: large enough to keep the model's batches full, small enough for a
# progress bar that moves.
EMBED_STEP = 256


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
    published: bool = False

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
    moved: list[Article]  # same content, read from a different file: only the manifest changes

    @property
    def changes_anything(self) -> bool:
        return bool(self.add or self.update or self.remove or self.moved)


def plan_changes(old: Manifest | None, scan: Scan, roots: Sequence[Path]) -> Plan:
    """Pure: compare what the index holds with what the sources hold now."""
    known = old.articles if old else {}
    plan = Plan([], [], [], [], [])
    for article in scan.articles:
        record = known.get(article.id)
        if record is None:
            plan.add.append(article)
        elif record.hash != article.content_hash:
            plan.update.append(article)
        elif record.origin != article.origin:
            plan.moved.append(article)
        else:
            plan.unchanged.append(article)
    present = {article.id for article in scan.articles}
    resolved = [root.resolve() for root in roots]
    for article_id, record in known.items():
        origin = Path(record.origin)
        gone = article_id not in present and any(origin == r or r in origin.parents for r in resolved)
        # A file that failed to read keeps its last good articles: losing them would punish a typo.
        if gone and record.origin not in scan.troubled_files:
            plan.remove.append(article_id)
    return plan


def update_index(
    store: IndexStore,
    embedder: Embedder,
    roots: Sequence[Path],
    *,
    rebuild: bool = False,
    max_article_bytes: int = 5_000_000,
    batch_size: int = 64,
    progress: bool = False,
) -> IndexReport:
    started = time.perf_counter()
    report = IndexReport()
    with store.updating():
        store.prune()
        current = store.current()
        old = current.read_manifest() if current else None
        if old and (old.model != embedder.label or old.chunker != CHUNKER_VERSION):
            log.warning(
                "the index was built with %s (chunker %s); rebuilding it with %s (chunker %s)",
                old.model, old.chunker, embedder.label, CHUNKER_VERSION,
            )
            rebuild = True
        if rebuild:
            current, old = None, None

        scan = scan_sources(roots, max_article_bytes)
        report.problems = scan.problems
        report.notes = scan.notes
        report.failed = len(scan.problems)
        plan = plan_changes(old, scan, roots)
        report.added, report.updated = len(plan.add), len(plan.update)
        report.unchanged, report.removed = len(plan.unchanged), len(plan.remove)

        manifest = old or Manifest(model=embedder.label, chunker=CHUNKER_VERSION)
        if plan.changes_anything or current is None:
            generation = store.new_generation(copy_of=current)
            try:
                manifest = _apply(generation, manifest, plan, embedder, batch_size, progress)
                LexicalIndex.from_collection(generation.collection()).save(generation.path)
                manifest.created = time.time()
                generation.write_manifest(manifest)
                store.publish(generation)
                report.published = True
            except BaseException:
                generation.close()
                store.discard(generation)
                raise
            generation.close()
            store.prune()
        elif LexicalIndex.load(current.path) is None:
            # An index from before lexical search: add its BM25 index, nothing else changes.
            LexicalIndex.from_collection(current.collection()).save(current.path)
            current.close()
        report.articles = len(manifest.articles)
        report.chunks = manifest.chunk_count
    report.seconds = time.perf_counter() - started
    return report


def _apply(generation, manifest: Manifest, plan: Plan, embedder: Embedder, batch_size: int, progress: bool) -> Manifest:
    vector_store = generation.vector_store()
    stale = plan.remove + [article.id for article in plan.update]
    collection = generation.collection()
    for start in range(0, len(stale), 500):
        collection.delete(where={"article_id": {"$in": stale[start : start + 500]}})
    for article_id in plan.remove:
        manifest.articles.pop(article_id, None)

    splitter = make_splitter(embedder.count_tokens, embedder.max_tokens)
    nodes = []
    for article in plan.add + plan.update:
        article_nodes = chunk_article(article, splitter)
        if len(article_nodes) > MAX_PASSAGES:
            log.warning("%s: only the first %d of its %d passages are indexed", article.origin, MAX_PASSAGES, len(article_nodes))
            article_nodes = article_nodes[:MAX_PASSAGES]
        nodes.extend(article_nodes)
        manifest.articles[article.id] = _record(article, len(article_nodes))
    for article in plan.moved:
        manifest.articles[article.id].origin = article.origin

    _embed_nodes(nodes, embedder, batch_size, progress)
    # Chroma refuses more records per call than its client's maximum batch size (5,461 here).
    largest = generation.max_batch_size()
    for start in range(0, len(nodes), largest):
        vector_store.add(nodes[start : start + largest])
    return manifest


def _embed_nodes(nodes: list, embedder: Embedder, batch_size: int, progress: bool) -> None:
    from tqdm import tqdm

    texts = [embed_text(node) for node in nodes]
    # Longest first, as sentence-transformers does within a call, so batches pad little.
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    with tqdm(total=len(texts), desc="embedding chunks", unit="chunk", disable=not progress or not texts) as bar:
        for start in range(0, len(order), EMBED_STEP):
            step = order[start : start + EMBED_STEP]
            vectors = embedder.embed([texts[i] for i in step], batch_size=batch_size)
            for i, vector in zip(step, vectors):
                nodes[i].embedding = vector.tolist()
            bar.update(len(step))


def _record(article: Article, chunks: int) -> ArticleRecord:
    return ArticleRecord(
        hash=article.content_hash,
        origin=article.origin,
        title=article.title,
        source=article.source,
        url=article.url,
        published=article.published,
        chunks=chunks,
    )
