"""The ONNX backends (onnxruntime and OpenVINO): built here from the bundled model, close to torch's vectors, and never mixed
into an index built by another backend."""

import pytest

from bot.pipeline import Pipeline
from bot.settings import load_settings
from index.embedding.embedder import Embedder
from index.embedding.encoders import EmbedModelError
from index.search.searcher import IndexModelMismatch
from tests.conftest import SEED_FILE

SENTENCES = [
    "Where were the peace talks held?",
    "The talks between the Russian and Ukrainian delegations took place in Istanbul.",
    "Rustem Umerov leads the Ukrainian delegation.",
    "A short one.",
]


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session", params=["onnx", "onnx-int8", "openvino"])
def onnx_embedder(request, model_cache):
    return Embedder("bundled", request.param, model_cache)


@pytest.fixture(scope="session")
def torch_embedder():
    return Embedder("bundled", "torch")


def test_onnx_vectors_match_torch(onnx_embedder, torch_embedder):
    ours, torch = onnx_embedder.embed(SENTENCES), torch_embedder.embed(SENTENCES)
    cosines = (ours * torch).sum(axis=1)
    floor = {"onnx": 0.9999, "onnx-int8": 0.97, "openvino": 0.999}[onnx_embedder.backend]
    assert cosines.min() > floor, cosines
    # Same order of similarities: the question's nearest sentence is the same.
    assert (ours[0] @ ours[1:].T).argmax() == (torch[0] @ torch[1:].T).argmax()


def test_onnx_counts_tokens_as_torch_does(onnx_embedder, torch_embedder, seed_text):
    assert onnx_embedder.count_tokens(seed_text) == torch_embedder.count_tokens(seed_text)
    assert onnx_embedder.max_tokens == torch_embedder.max_tokens


def test_the_export_is_built_once(onnx_embedder, model_cache):
    built = {p: p.stat().st_mtime_ns for p in model_cache.rglob("*.onnx")}
    assert any(p.name == "model.onnx" for p in built)
    again = Embedder("bundled", onnx_embedder.backend, model_cache)
    assert {p: p.stat().st_mtime_ns for p in model_cache.rglob("*.onnx")} == built
    assert not list(model_cache.rglob("*.partial")), "a half-written model was left behind"
    assert again.label == onnx_embedder.label


def test_an_index_refuses_another_backends_questions(tmp_path, model_cache):
    env = {
        "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
        "NEWSBOT_SOURCES": str(SEED_FILE),
        "NEWSBOT_MODEL_CACHE": str(model_cache),
    }
    Pipeline(load_settings({**env, "NEWSBOT_EMBED_BACKEND": "onnx-int8"})).index()
    default_pipeline = Pipeline(load_settings(env))
    with pytest.raises(IndexModelMismatch, match="onnx-int8"):
        default_pipeline.ask("Who leads the Ukrainian delegation?")


def test_a_model_the_onnx_backend_cannot_run_is_named(tmp_path, model_cache):
    with pytest.raises(EmbedModelError, match="tokenizer.json"):
        Embedder(str(tmp_path), "onnx", model_cache)
