"""The runtimes that turn texts into vectors, behind one small interface: `encode` (L2-normalised
float32 rows), `token_ids` (without special tokens), `max_tokens` and `dimension`.

- torch: sentence-transformers itself.
- onnx / onnx-int8: the same model exported to ONNX (index/embedding/onnx_export.py) and run by onnxruntime,
  tokenised by the model's own tokenizer.json. No torch is imported to answer questions.
- openvino: that ONNX file run by OpenVINO, which computes in bfloat16 on CPUs with AMX or
  AVX-512 BF16 and in float32 elsewhere (its own default). Its speed and its vectors' agreement
  with torch's, on both kinds of CPU, are in docs/benchmarks.md.
"""

import json
from pathlib import Path
from typing import Protocol

import numpy as np

from index.errors import NewsbotError, first_line

BACKENDS = ("torch", "onnx", "onnx-int8", "openvino")
# Texts per OpenVINO call: fewer than the usual 64 ran faster (docs/benchmarks.md, "OpenVINO's batch").
OPENVINO_BATCH = 16
# Kernels OpenVINO keeps compiled per input shape. Its default of 5,000 grew an index run's memory
# without bound, as each batch brings new lengths; keeping none costs encoding time (docs/benchmarks.md).
OPENVINO_SHAPE_CACHE = "0"


class EmbedModelError(NewsbotError, RuntimeError):
    """The configured model cannot be loaded."""


class Encoder(Protocol):
    max_tokens: int
    dimension: int

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray: ...

    def token_ids(self, text: str) -> list[int]: ...


def open_encoder(location: str, backend: str, cache_dir: Path) -> Encoder:
    if backend == "torch":
        return TorchEncoder(location)
    if backend in BACKENDS:
        return OnnxEncoder(location, backend, cache_dir)
    raise EmbedModelError(f"unknown embedding backend {backend!r}: choose {', '.join(BACKENDS)}")


class TorchEncoder:
    def __init__(self, location: str):
        from sentence_transformers import SentenceTransformer

        try:
            self.model = SentenceTransformer(location, device="cpu")
        except Exception as error:  # the library raises many kinds for a missing or broken model
            raise EmbedModelError(f"cannot load embedding model {location!r}: {first_line(error)}") from error
        self.max_tokens = int(self.model.max_seq_length)
        self.dimension = int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )

    def token_ids(self, text: str) -> list[int]:
        return self.model.tokenizer.encode(text, add_special_tokens=False, verbose=False)


class OnnxEncoder:
    """A mean-pooling sentence-transformers model (as all-MiniLM-L6-v2 is) exported to ONNX, run by
    onnxruntime or OpenVINO."""

    def __init__(self, location: str, backend: str, cache_dir: Path):
        folder = Path(location)
        try:
            pooling = _mean_pooling_config(folder)
            self.max_tokens = int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
            from tokenizers import Tokenizer

            self._counter = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self._counter.no_truncation()
            self._counter.no_padding()
            self._batcher = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self._batcher.enable_truncation(self.max_tokens)
            self._batcher.enable_padding(pad_id=self._batcher.token_to_id("[PAD]") or 0)
        except Exception as error:  # a missing file, bad JSON, or a tokenizer file tokenizers can't read
            raise EmbedModelError(
                f"the onnx backends need a local sentence-transformers folder with tokenizer.json and mean "
                f"pooling; {location!r}: {first_line(error)}"
            ) from error
        self.dimension = int(pooling["word_embedding_dimension"])
        from index.embedding.onnx_export import exported_model

        try:
            path = exported_model(cache_dir, location, backend == "onnx-int8")
        except Exception as error:
            raise EmbedModelError(f"cannot build the ONNX model from {location!r}: {first_line(error)}") from error
        self._run = _openvino_runner(path) if backend == "openvino" else _onnxruntime_runner(path)
        self._batch = OPENVINO_BATCH if backend == "openvino" else None

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        # Texts of similar length share a batch, so little time goes on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        step = min(batch_size, self._batch or batch_size)
        for start in range(0, len(order), step):
            rows = order[start : start + step]
            encodings = self._batcher.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            hidden = self._run({"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
            pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            vectors[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return vectors

    def token_ids(self, text: str) -> list[int]:
        return self._counter.encode(text, add_special_tokens=False).ids


def _onnxruntime_runner(path: Path):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    inputs = {node.name for node in session.get_inputs()}
    return lambda feeds: session.run(None, {name: feeds[name] for name in inputs})[0]


def _openvino_runner(path: Path):
    """The model compiled by OpenVINO; one request, since the Embedder's calls take turns."""
    import openvino

    try:
        compiled = openvino.Core().compile_model(str(path), "CPU", {"CPU_RUNTIME_CACHE_CAPACITY": OPENVINO_SHAPE_CACHE})
    except Exception as error:  # noqa: BLE001 - OpenVINO raises RuntimeError subclasses of its own
        raise EmbedModelError(f"OpenVINO cannot compile {path}: {first_line(error)}") from error
    request = compiled.create_infer_request()
    inputs = {port.get_any_name() for port in compiled.inputs}

    def run(feeds: dict) -> np.ndarray:
        return request.infer({name: feeds[name] for name in inputs})[0].copy()

    return run


def _mean_pooling_config(folder: Path) -> dict:
    modules = json.loads((folder / "modules.json").read_text())
    pooling = next(m for m in modules if m["type"].endswith("Pooling"))
    config = json.loads((folder / pooling["path"] / "config.json").read_text())
    if not config.get("pooling_mode_mean_tokens"):
        raise ValueError("its pooling is not mean pooling")
    return config
