"""Changes to the index, made by the holder of its lock."""

import json
from dataclasses import asdict

from index.embedding.sentence_vectors import METADATA_KEY, to_text
from index.store.changelog import LOG
from index.store.chroma import CHUNKS, NO_VECTOR, READ_PAGE, ChunkStore
from index.store.records import ArticleRecord, IndexInfo


class Writer:
    """Changes to the index, made by the holder of its lock. Each `commit` is one batch of whole
    articles: once it returns, a killed run keeps them."""

    def __init__(self, store: ChunkStore, info: IndexInfo):
        self.store = store
        # Fixed here: readers in this process may bind the shared store to the build that answers
        # while this writer fills a rebuild.
        self.identity = info.identity
        self.seq = store.head(self.identity)
        self._pending = f"pending:{self.identity}"
        self.recover()

    @property
    def chunks(self):
        return self.store.collection(CHUNKS, self.identity)

    def articles(self) -> dict[str, ArticleRecord]:
        return self.store.articles(self.identity)

    def recover(self) -> None:
        """Finish what a killed writer left: a head behind the log, and chunks of versions the log
        does not name."""
        newer = self.store.log_since(self.seq, self.identity)
        if newer:
            self.seq = newer[-1].seq
            self.store.set_meta(f"head:{self.identity}", {"seq": self.seq})
        pending = (self.store.meta(self._pending) or {}).get("articles", [])
        if pending:
            self._remove_unnamed_versions(pending)
            self.store.set_meta(self._pending, {"articles": []})

    def commit(
        self,
        puts: list[tuple[str, ArticleRecord, list]],
        removes: dict[str, ArticleRecord],
        replaced: dict[str, ArticleRecord],
        sentences: dict[str, bytes] | None = None,
    ) -> None:
        """Write `puts` (article id, its new record, its embedded nodes; none when only the record
        changed) with their chunks' packed `sentences` vectors (by chunk id), log `removes` (article
        id -> the record being removed) as removed, and delete the chunks of `removes` and of
        `replaced` versions (article id -> its record before). A Chroma server that stops answering
        is waited for, with backoff; every step can be done again."""
        seq, attempts = self.seq, []

        def attempt():
            self.seq = seq  # a failed attempt numbered nothing that stays
            attempts.append(None)
            self._commit(puts, removes, replaced, sentences or {}, again=len(attempts) > 1)

        self.store.patiently(attempt)

    def _commit(self, puts, removes, replaced, sentences: dict[str, bytes], again: bool) -> None:
        if not puts and not removes:
            return
        touched = [article_id for article_id, _, _ in puts] + list(removes)
        self.store.set_meta(self._pending, {"articles": touched})
        nodes = [node for _, _, article_nodes in puts for node in article_nodes]
        if nodes and again:
            self.chunks.delete(ids=[node.node_id for node in nodes])  # what the failed attempt got in
        if nodes:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            vector_store = ChromaVectorStore(chroma_collection=self.chunks)
            # Chroma refuses more records per call than its client's maximum batch size.
            largest = self.store.client.get_max_batch_size()
            for start in range(0, len(nodes), largest):
                vector_store.add(nodes[start : start + largest])
            self.store_sentence_vectors(
                {node.node_id: sentences[node.node_id] for node in nodes if node.node_id in sentences}
            )
        ids, metadatas, documents = [], [], []
        first_seq = self.seq + 1
        for article_id, record, _ in puts:
            self.seq += 1
            ids.append(article_id)
            # Chroma merges metadata on upsert: "removed" is always written, or a removal would stick.
            metadatas.append({"seq": self.seq, "removed": False})
            documents.append(json.dumps(asdict(record), ensure_ascii=False))
        for article_id in removes:
            self.seq += 1
            ids.append(article_id)
            metadatas.append({"seq": self.seq, "removed": True})
            documents.append("{}")
        self.store.collection(LOG, self.identity).upsert(
            ids=ids, embeddings=[NO_VECTOR] * len(ids), metadatas=metadatas, documents=documents
        )
        self.store.set_meta(f"head:{self.identity}", {"seq": self.seq})
        if self.identity == self.store.identity and self.store.fresh_through == first_seq - 1:
            self.store.fresh_through = self.seq  # written through this very client
        new_versions = {article_id: record.version for article_id, record, _ in puts}
        stale = [
            cid
            for article_id, record in {**replaced, **removes}.items()
            if new_versions.get(article_id) != record.version
            for cid in record.chunk_ids(article_id)
        ]
        for start in range(0, len(stale), READ_PAGE):
            self.chunks.delete(ids=stale[start : start + READ_PAGE])
        self.store.set_meta(self._pending, {"articles": []})

    def store_sentence_vectors(self, sentences: dict[str, bytes]) -> None:
        """Put each chunk's packed sentence vectors in its Chroma metadata, where readers copy them.
        Set apart from llama-index's node metadata, which it would also copy into every node's JSON."""
        ids = list(sentences)
        largest = self.store.client.get_max_batch_size()
        for start in range(0, len(ids), largest):
            part = ids[start : start + largest]
            self.chunks.update(ids=part, metadatas=[{METADATA_KEY: to_text(sentences[chunk_id])} for chunk_id in part])

    def _remove_unnamed_versions(self, article_ids: list[str]) -> None:
        named = {
            entry.article_id: entry.record
            for entry in self.store.log_since(0, self.identity)
            if entry.article_id in set(article_ids)
        }
        for start in range(0, len(article_ids), 500):
            part = article_ids[start : start + 500]
            found = self.chunks.get(where={"article_id": {"$in": part}}, include=["metadatas"])
            unnamed = [
                cid
                for cid, meta in zip(found["ids"], found["metadatas"])
                if named.get(meta.get("article_id")) is None or named[meta["article_id"]].version != meta.get("version")
            ]
            if unnamed:
                self.chunks.delete(ids=unnamed)

    def set_source_status(self, statuses: dict[str, dict]) -> None:
        self.store.set_meta("sources", statuses)
