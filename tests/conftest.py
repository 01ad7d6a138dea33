"""Shared fixtures: a real embedded tritonserver on a copy of the demo repository."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.models import ensure_densenet
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import LaunchSpec, ServerProcess
from tui.core.server.session import Session

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "assets" / "models"
TEST_MODELS = ROOT / "tests" / "models"  # models only the tests serve
# DenseNet's inputs, outputs and config at a thousandth of its cost, for tests that serve an ONNX
# model on a server of their own (copy_demo(dest, (FAST_ONNX_MODEL, ...))) but do not need the
# demo densenet_onnx's cost (a real DenseNet-121, 2.8 GMACs per image). Not on demo_server.
FAST_ONNX_MODEL = "densenet_standin"
# A benchmark stability band (percent) under which any three windows with answers make a level:
# for tests of something other than the stability rule (tested exactly in test_bench_stats.py).
# p95 of short windows swings over 2x while the other test worker runs, so even -s 100 left
# levels unstable in stressed full runs.
ANY_STABILITY = 10_000


def copy_demo(dest: Path, models: tuple[str, ...] | None = None) -> Path:
    """Copy the demo repository (or the named models, from it or tests/models) so tests may
    change it freely."""
    dest.mkdir(parents=True, exist_ok=True)
    if models is None:
        sources = [p for p in sorted(DEMO.iterdir()) if p.is_dir()]
    else:
        sources = [DEMO / m if (DEMO / m).is_dir() else TEST_MODELS / m for m in models]
    for model in sources:
        shutil.copytree(model, dest / model.name, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def launch(repo: Path, *extra: str, timeout: float = 90.0) -> ServerProcess:
    server = ServerProcess(LaunchSpec([repo], extra_args=list(extra)))
    server.start()
    try:
        server.wait_ready(timeout)
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session", autouse=True)
def demo_models() -> None:
    """Generate the demo's DenseNet-121 (git-ignored) when a fresh clone lacks it: seconds once,
    then a cached no-op. The committed ONNX files are left as they are (a test compares them)."""
    ensure_densenet()


@pytest.fixture(scope="session")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_demo(tmp_path_factory.mktemp("demo") / "models")


@pytest.fixture(scope="session")
def demo_server(demo_repo: Path) -> Iterator[ServerProcess]:
    """One real server on the demo repository, shared by every test that only reads from it.

    Tests that unload, reload or break models must start their own server (see `launch`)."""
    server = launch(demo_repo)
    yield server
    server.stop()


@pytest.fixture
def demo_client(demo_server: ServerProcess) -> TritonHTTP:
    return TritonHTTP(demo_server.http_url)


@pytest.fixture
def demo_session(demo_server: ServerProcess) -> Session:
    """A Session over the shared server; apps built on it must not stop it on exit."""
    session = Session.of_server(demo_server)
    session.wait_ready()
    return session
