"""Shared fixtures: a real embedded tritonserver on a copy of the demo repository."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import CliRun, run_cli
from tests.tolerances import ANY_STABILITY  # noqa: F401 - imported from here by the tests
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


@contextlib.contextmanager
def serving(
    repo: Path, *extra: str, timeout: float = 90.0, stop_timeout: float = 15.0, **spec: Any
) -> Iterator[ServerProcess]:
    """The one way a test module serves a repository of its own: a real server, ready, stopped
    on the way out. Use it from a module-scoped fixture (a server start costs seconds), e.g.
    `with serving(build_bench_repo(tmp_path_factory.mktemp("b"))) as server: yield server`."""
    server = launch(repo, *extra, timeout=timeout, **spec)
    try:
        yield server
    finally:
        server.stop(timeout=stop_timeout)


def launch(repo: Path, *extra: str, timeout: float = 90.0, **spec: Any) -> ServerProcess:
    server = ServerProcess(LaunchSpec([repo], extra_args=list(extra), **spec))
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


# The models of the `repo` fixture unless a test (or its module) names others with
# `@pytest.mark.models(...)`: the demo's small ones and its real DenseNet-121.
REPO_MODELS = ("add_sub", "densenet_onnx", "identity_onnx")


@pytest.fixture
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The one repository fixture: this test's own copy of demo models, free to change."""
    marker = request.node.get_closest_marker("models")
    return copy_demo(tmp_path / "models", tuple(marker.args) if marker else REPO_MODELS)


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


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliRun]:
    """The one CLI runner: `cli("bench", "-m", ...)` runs `triton-tui ...` in this process and
    returns its exit code and what it printed (a subprocess only where a test needs signals or
    a terminal)."""
    return lambda *argv: run_cli(capsys, *argv)


# The longest files, started first: `--dist loadfile` hands files out in collection order, and a
# long file that starts last runs alone at the end while the other workers wait.
LONGEST_FIRST = (
    "test_bench_vs_perf_analyzer.py",
    "test_tune.py",
    "test_lifecycle.py",
    "test_tune_pane.py",
    "test_tune_cli.py",
    "test_reaper.py",
    "test_tune_verdict.py",
    "test_docker.py",
    "test_doctor_scenarios.py",
    "test_fleet.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
