"""What an index run must hold for the whole run, per 1,000 articles: the story book new articles are
matched against (every article's sketch: chunk vectors, names, hashed lead trigrams; and the book's
arrays) and the catalog's article records (`known`), measured with tracemalloc on an existing
index, with nothing else loaded but the catalog.

    python bench/bench_story_memory.py --data-dir DIR
"""

import argparse
import tracemalloc
from pathlib import Path

from common import cpu_model

from index.articles.stories import StoryBook
from index.search.catalog import CATALOG_FILE, Catalog


def traced(make):
    """(what `make` returns, the bytes it still holds)."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    made = make()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return made, held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args()
    catalog = Catalog(args.data_dir / CATALOG_FILE)
    known, records_bytes = traced(catalog.articles)

    def story_book() -> StoryBook:
        book = StoryBook({item.article_id: item for item in catalog.sketches()})
        book._arrays()  # built at the first placement
        return book

    book, book_bytes = traced(story_book)
    per = 1000 / max(len(known), 1)
    chunks = sum(len(item.chunks) for item in book.sketches.values())
    print(f"{cpu_model()}; {len(known):,} articles, {chunks:,} chunks")
    print(f"article records: {records_bytes / 1e6 * per:.1f} MB per 1,000 articles")
    print(f"story sketches: {book_bytes / 1e6 * per:.1f} MB per 1,000 articles")
    print(f"  of which chunk vectors: {chunks * 384 * 4 / 1e6 * per:.1f} MB")


if __name__ == "__main__":
    main()
