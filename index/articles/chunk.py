"""Articles into llama-index nodes: sentence-aware chunks that fit MiniLM's 256-token window.

The title is embedded with every chunk (it often names what the passage is about), but it is
not part of the chunk text that gets quoted.
"""

from collections.abc import Callable

from index.articles.article import Article, version_of
from index.articles.sentences import split_sentences

CHUNK_OVERLAP_TOKENS = 32
# Bumped whenever chunking changes, so an index made the old way is rebuilt, not mixed.
CHUNKER_VERSION = 1

NOT_EMBEDDED = ["article_id", "version", "source", "url", "published", "published_ts", "position"]


def make_splitter(count_tokens: Callable[[str], list], max_tokens: int):
    from llama_index.core.node_parser import SentenceSplitter

    return SentenceSplitter(
        # The model adds [CLS] and [SEP]; the title is subtracted per article by the splitter.
        chunk_size=max_tokens - 2,
        chunk_overlap=CHUNK_OVERLAP_TOKENS,
        tokenizer=count_tokens,
        chunking_tokenizer_fn=split_sentences,
        paragraph_separator="\n\n",
        include_prev_next_rel=False,
        id_func=lambda i, doc: f"{doc.doc_id}:{i}",
    )


def chunk_article(article: Article, splitter) -> list:
    """TextNodes with the chunk metadata Chroma stores, their ids "<article id>:<version>:<position>"
    (index/store/chroma.py)."""
    from llama_index.core import Document

    version = version_of(article.content_hash)
    metadata = {
        "article_id": article.id,
        "version": version,
        "title": article.title,
        "source": article.source,
        "url": article.url,
        "published": article.published,
    }
    if article.published_ts is not None:
        metadata["published_ts"] = article.published_ts
    document = Document(
        id_=f"{article.id}:{version}",
        text=article.text,
        metadata=metadata,
        excluded_embed_metadata_keys=NOT_EMBEDDED,
        excluded_llm_metadata_keys=NOT_EMBEDDED,
        metadata_template="{value}",
    )
    nodes = splitter.get_nodes_from_documents([document])
    for position, node in enumerate(nodes):
        node.metadata["position"] = position
    return nodes


def embed_text(node) -> str:
    from llama_index.core.schema import MetadataMode

    return node.get_content(metadata_mode=MetadataMode.EMBED)
