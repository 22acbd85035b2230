"""The pipeline a typical user would build with llama-index, as a baseline: VectorStoreIndex over the
articles with llama-index's default node parser (SentenceSplitter, 1024 tokens, 200 overlap), a
ChromaVectorStore, and a top-k retriever, on the same embedding model as newsbot.

Its Chroma folder lives in DATA_DIR/llamaindex-default and is reused when it already holds the
articles, so only the first run embeds.
"""

import json
from pathlib import Path

from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.embeddings import BaseEmbedding

COLLECTION = "llamaindex_default"


class SameModelEmbedding(BaseEmbedding):
    """llama-index's embedding interface over newsbot's Embedder, so both use one model."""

    _embedder = PrivateAttr()

    def __init__(self, embedder):
        super().__init__(model_name=embedder.label, embed_batch_size=64)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed_query(query).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts).tolist()


def build_or_load(articles: Path, data_dir: Path, embedder):
    """A VectorStoreIndex over `articles` (newsbot's JSONL), embedded once and kept in data_dir."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Document, Settings, StorageContext, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    Settings.llm = None
    embed_model = SameModelEmbedding(embedder)
    client = chromadb.PersistentClient(
        path=str(data_dir / "llamaindex-default"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection(COLLECTION, embedding_function=None)
    vector_store = ChromaVectorStore(chroma_collection=collection)
    if collection.count():
        return VectorStoreIndex.from_vector_store(vector_store, embed_model=embed_model), collection.count()
    rows = [json.loads(line) for line in open(articles, encoding="utf-8") if line.strip()]
    documents = [Document(id_=row["id"], text=row["text"], metadata={"title": row.get("title", "")}) for row in rows]
    index = VectorStoreIndex.from_documents(
        documents,
        storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=embed_model,
        show_progress=True,
    )
    return index, collection.count()


def retrieve(index, question: str, k: int) -> list[str]:
    return [hit.node.get_content() for hit in index.as_retriever(similarity_top_k=k).retrieve(question)]
