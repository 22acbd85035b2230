"""Shared fixtures: the real MiniLM model, loaded once, and an index of the bundled corpus built
once per session in a temporary data dir."""

import shutil
from pathlib import Path

import pytest

import index  # noqa: F401  (offline defaults)
from bot.pipeline import Pipeline, load_embedder
from bot.settings import BUNDLED_CORPUS, load_settings

ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = BUNDLED_CORPUS / "000_524f35506ab6ae2d.md"
SEED_ID = "524f35506ab6ae2d"


@pytest.fixture(scope="session")
def embedder():
    return load_embedder("bundled")


@pytest.fixture(scope="session")
def seed_pipeline(tmp_path_factory, embedder):
    """A pipeline answering from an index of the bundled corpus."""
    settings = load_settings({"NEWSBOT_DATA_DIR": str(tmp_path_factory.mktemp("seed-data"))})
    pipeline = Pipeline(settings)
    pipeline.index()
    return pipeline


@pytest.fixture
def seed_text() -> str:
    return SEED_FILE.read_text(encoding="utf-8")


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the bundled corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, target)
    return target


def make_pipeline(data_dir: Path, **env) -> Pipeline:
    return Pipeline(load_settings({"NEWSBOT_DATA_DIR": str(data_dir), **env}))
