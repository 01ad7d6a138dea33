"""Launch and attach to Triton in Docker, against a real Docker engine (started by .ci/run)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.docker_support import embedded_spec, engine, ensure_image
from tui.core.server.client import TritonHTTP
from tui.core.server.docker_server import OWNER_LABEL, DockerServer, DockerSpec, device_requests
from tui.core.server.launcher import LaunchError, free_port

pytestmark = [pytest.mark.docker, pytest.mark.models("add_sub", "identity_onnx")]


@pytest.fixture(scope="module")
def client() -> Any:
    c = engine()
    ensure_image(c)
    return c


def _gone(client: Any, container_id: str, timeout: float = 20) -> bool:
    from docker.errors import NotFound

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.containers.get(container_id)
        except NotFound:
            return True
        time.sleep(0.3)
    return False


def test_start_ready_logs_and_quit_removes_container(client: Any, repo: Path) -> None:
    server = DockerServer(embedded_spec(repo))
    server.start()
    cid = server.container.id
    try:
        server.wait_ready(90)
        index = {m["name"]: m["state"] for m in TritonHTTP(server.http_url).repository_index()}
        assert index == {"add_sub": "READY", "identity_onnx": "READY"}
        container = client.containers.get(cid)
        assert container.labels[OWNER_LABEL]
        mounts = {m["Destination"]: m for m in container.attrs["Mounts"]}
        assert mounts["/models"]["RW"] is False  # the repository is mounted read-only
        lines = [line for _, line in server.lines.snapshot()]
        assert any("Started HTTPService" in line for line in lines)
        assert any("successfully loaded 'add_sub'" in line for line in lines)
    finally:
        server.stop()
    assert _gone(client, cid, timeout=5)


def test_attach_reads_logs_and_never_removes(client: Any, repo: Path) -> None:
    ports = {n: free_port() for n in ("http", "grpc", "metrics")}
    spec = embedded_spec(
        repo, http_port=ports["http"], grpc_port=ports["grpc"], metrics_port=ports["metrics"]
    )
    owner = DockerServer(spec)
    owner.start()
    try:
        owner.wait_ready(90)
        attached = DockerServer.attach(owner.container.name)
        assert attached.http_port == ports["http"]
        assert TritonHTTP(attached.http_url).is_live()
        deadline = time.monotonic() + 10
        while not any("Started HTTPService" in ln for _, ln in attached.lines.snapshot()):
            assert time.monotonic() < deadline, "attached log stream is empty"
            time.sleep(0.2)
        attached.stop()  # must not touch a container it did not start
        assert client.containers.get(owner.container.id).status == "running"
    finally:
        owner.stop()


def test_console_killed_container_removed_by_watchdog(client: Any, repo: Path) -> None:
    import subprocess
    import sys

    script = (
        "import sys, time; from pathlib import Path\n"
        "from tests.docker_support import embedded_spec\n"
        "from tui.core.server.docker_server import DockerServer\n"
        "s = DockerServer(embedded_spec(Path(sys.argv[1])))\n"
        "s.start(); print(s.container.id, flush=True); time.sleep(120)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(repo)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.stdout is not None
    cid = proc.stdout.readline().strip()
    assert cid
    proc.kill()  # SIGKILL: no chance to clean up
    proc.wait()
    assert _gone(client, cid), "container outlived the killed console"


def test_release_returns_at_once_and_the_watchdog_stops_gracefully(client: Any, repo: Path) -> None:
    """Quitting the console from Docker mode hands the stop to the watchdog: the terminal comes
    back before the container is stopped, and the server still unloads its models."""
    from docker.errors import NotFound

    server = DockerServer(embedded_spec(repo))
    server.start()
    cid = server.container.id
    server.wait_ready(90)
    server.release()
    try:
        client.containers.get(cid)  # release() did not wait for the stop and removal
    except NotFound:
        pytest.fail("release() stopped and removed the container itself, making the quit wait")
    assert _gone(client, cid), "the watchdog did not remove the container"
    lines = [line for _, line in server.lines.snapshot()]
    assert any("successfully unloaded 'add_sub'" in line for line in lines), lines[-5:]


def test_no_engine_is_said_in_words(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/dead.sock")
    with pytest.raises(LaunchError, match="no Docker engine: nothing listens at unix://"):
        DockerServer(DockerSpec(image="x", model_repository=tmp_path)).start()


def test_missing_image_is_said_in_words(client: Any, repo: Path) -> None:
    with pytest.raises(LaunchError, match="triton-tui-missing:nope not found locally"):
        DockerServer(DockerSpec(image="triton-tui-missing:nope", model_repository=repo)).start()


def test_gpu_flags_become_device_requests() -> None:
    (everything,) = device_requests("all")
    assert everything["Count"] == -1 and everything["Capabilities"] == [["gpu"]]
    (some,) = device_requests("0,1")
    assert some["DeviceIDs"] == ["0", "1"] and some["Capabilities"] == [["gpu"]]
    assert device_requests(None) == []
    kwargs = DockerServer(DockerSpec(image="i", gpus="all")).create_kwargs(
        {"http": 1, "grpc": 2, "metrics": 3}
    )
    assert kwargs["device_requests"][0]["Count"] == -1
    assert kwargs["ports"]["8000/tcp"] == ("127.0.0.1", 1)  # published on loopback only


def test_gpus_without_nvidia_runtime(client: Any, repo: Path) -> None:
    server = DockerServer(embedded_spec(repo, gpus="all"))
    with pytest.raises(LaunchError, match="no NVIDIA runtime"):
        server.start()
    # Nothing is left behind, not even a created-but-never-started container.
    assert server.container is None
    mine = {"label": f"{OWNER_LABEL}={os.getpid()}"}
    assert client.containers.list(all=True, filters=mine) == []


def test_port_taken(client: Any, repo: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        with pytest.raises(LaunchError, match=f"http port {port} .* in use"):
            DockerServer(embedded_spec(repo, http_port=port)).start()


@pytest.fixture(autouse=True)
def _no_leftovers(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "client" in request.fixturenames:
        c = request.getfixturevalue("client")
        for container in c.containers.list(all=True, filters={"label": OWNER_LABEL}):
            container.remove(force=True)


async def test_console_on_docker_shows_logs_and_quit_removes_container(
    client: Any, repo: Path
) -> None:
    from tui.app import TritonTUI
    from tui.core.server.session import Session
    from tui.panes.logs import LogsPane

    session = Session.launch_docker(embedded_spec(repo))
    cid = session.server.container.id  # type: ignore[union-attr]
    app = TritonTUI(session)  # stops (and removes) what it launched on exit
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + 90
        while app.server_state != "ready":
            assert time.monotonic() < deadline and app.server_state != "failed"
            await pilot.pause(0.2)
        await pilot.press("3")
        pane = app.query_one(LogsPane)
        deadline = time.monotonic() + 15
        while not any("Started HTTPService" in e.message for e in pane.store.entries()):
            assert time.monotonic() < deadline, "the container's log never reached the pane"
            await pilot.pause(0.2)
        await pilot.press("q")
    assert _gone(client, cid, timeout=10)
