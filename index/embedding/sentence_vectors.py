"""Sentence vectors kept with their chunk in the reader's catalog (index/search/catalog.py), so that
answering and verifying embed nothing at question time: one blob per chunk, each sentence as an
8-byte key of its text, a float32 scale and its vector in int8 (396 bytes for MiniLM, against
1,536 in float32).

The writer computes them once and stores each chunk's blob in Chroma, in the chunk's metadata under
METADATA_KEY as base85 text; every reader copies them from there instead of embedding again.
"""

import base64
import hashlib
from collections.abc import Iterable, Sequence

import numpy as np

KEY_BYTES = 8
SCALE = np.dtype("<f4")
METADATA_KEY = "sentence_vectors"


def sentence_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=KEY_BYTES).digest()


def pack(texts: list[str], vectors: Sequence[np.ndarray] | np.ndarray) -> bytes:
    """The blob for `texts` and their L2-normalised `vectors`, row for row."""
    if not texts:
        return b""
    vectors = np.asarray(vectors, dtype=np.float32)
    scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0
    quantised = np.clip(np.rint(vectors / scales[:, None]), -127, 127).astype(np.int8)
    return b"".join(
        sentence_key(text) + scale.astype(SCALE).tobytes() + row.tobytes()
        for text, scale, row in zip(texts, scales, quantised)
    )


def unpack(blobs: Iterable[bytes], dimension: int) -> dict[bytes, np.ndarray]:
    """Key -> L2-normalised float32 vector, from any number of blobs of vectors of `dimension`."""
    record = KEY_BYTES + SCALE.itemsize + dimension
    found: dict[bytes, np.ndarray] = {}
    for blob in blobs:
        if not blob or len(blob) % record:
            continue  # an empty blob, or one of another dimension: those sentences get embedded
        rows = np.frombuffer(blob, dtype=np.uint8).reshape(-1, record)
        scales = rows[:, KEY_BYTES : KEY_BYTES + SCALE.itemsize].copy().view(SCALE)[:, 0]
        vectors = rows[:, KEY_BYTES + SCALE.itemsize :].view(np.int8).astype(np.float32) * scales[:, None]
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        for key, vector in zip(rows[:, :KEY_BYTES], vectors):
            found[key.tobytes()] = vector
    return found


def to_text(blob: bytes) -> str:
    """The blob as Chroma metadata can hold it (base85: 5 characters per 4 bytes)."""
    return base64.b85encode(blob).decode("ascii")


def from_text(text: str) -> bytes:
    return base64.b85decode(text.encode("ascii"))
