"""One way through the code: the commands never import the CLI module, tests/ and assets/ never
import each other, one rule finds a server's metrics endpoint (`metrics_url_for`), and one context
manager (`open_session`) owns a server's life, for launched and attached servers alike (stopping
it on an exception's way out too). The servers here are real embedded tritonservers on an empty
repository: they start in a few seconds."""

from __future__ import annotations

import ast
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.core.server.client import TritonHTTP
from tui.core.server.endpoints import metrics_url_for
from tui.core.server.launcher import LaunchError, free_port
from tui.core.server.options import ServerOptions
from tui.core.server.session import Session, open_session

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path | str, mention: str = "") -> set[str]:
    """Every module a file (or source text) imports, at any depth of its code (deferred imports
    included); none without a `mention` of that name (no parse needed)."""
    text = path.read_text() if isinstance(path, Path) else path
    found: set[str] = set()
    if mention not in text:
        return found
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_commands_and_the_core_never_import_the_cli_module() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in _imports(path, "tui.cli") if _under(m, "tui.cli")
        )
        for folder in ("tui/commands", "tui/core", "tui/panes")
        for path in sorted((ROOT / folder).rglob("*.py"))
    }
    assert {path: found for path, found in offenders.items() if found} == {}
    # the walk sees deferred imports too: it would have caught the old `from tui.cli import ...`
    probe = "def f():\n    from tui.cli import UsageError\n"
    assert "tui.cli" in _imports(probe)


@pytest.mark.parametrize(("folder", "forbidden"), [("tests", "assets"), ("assets", "tests")])
def test_tests_and_assets_do_not_import_each_other(folder: str, forbidden: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in _imports(path, forbidden) if _under(m, forbidden)
        )
        for path in sorted((ROOT / folder).rglob("*.py"))
    }
    assert {path: found for path, found in offenders.items() if found} == {}


# The metrics-URL rule ---------------------------------------------------------------------------
class _Metrics(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b"# TYPE nv_inference_count counter\nnv_inference_count 1\n"
        self.send_response(200 if self.path == "/metrics" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(scope="module")
def metrics_endpoint() -> Iterator[int]:
    """A real HTTP server answering /metrics on a free port (its port)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Metrics)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_metrics_url_rule(metrics_endpoint: int) -> None:
    port = metrics_endpoint
    # 1. the endpoint the user named comes first, even where another one answers
    assert metrics_url_for(f"127.0.0.1:{port - 2}", "example.org:9") == "example.org:9"
    # 2. tritonserver's layout: the HTTP port + 2, when it answers with metrics
    assert metrics_url_for(f"127.0.0.1:{port - 2}") == f"127.0.0.1:{port}"
    assert metrics_url_for(f"http://127.0.0.1:{port - 2}/") == f"127.0.0.1:{port}"
    # 3. nothing answers at port + 2: the default port 8002 on that host (answering or not:
    # there the caller says what it could not reach)
    silent = _port_block()  # its + 2 is free: nothing answers there
    assert metrics_url_for(f"127.0.0.1:{silent}") == "127.0.0.1:8002"
    with pytest.raises(ValueError, match="HOST:PORT"):
        metrics_url_for("127.0.0.1:8000", "localhost:nope")


# open_session ------------------------------------------------------------------------------------
def _port_block() -> int:
    """A free port p whose p+1 and p+2 are free too (tritonserver's 8000/8001/8002 layout)."""
    import socket

    for _ in range(50):
        p = free_port()
        if p > 65000:
            continue
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", p + 1))
                b.bind(("127.0.0.1", p + 2))
        except OSError:
            continue
        return p
    raise AssertionError("no three free ports in a row")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_open_session_launches_attaches_and_stops_on_an_exception(tmp_path: Path) -> None:
    p = _port_block()
    options = ServerOptions(
        model_repositories=[tmp_path], http_port=p, grpc_port=p + 1, metrics_port=p + 2
    )
    with pytest.raises(RuntimeError, match="the caller failed"), open_session(options) as launched:
        server = launched.server
        assert server is not None and server.pid is not None
        assert launched.version == launched.client.server_metadata()["version"]  # ready
        assert launched.metrics_url == f"127.0.0.1:{p + 2}"
        # attached to the same server by its HTTP URL: serve's ports follow the rule, so the
        # metrics endpoint is found without being named
        with open_session(ServerOptions(url=f"127.0.0.1:{p}")) as attached:
            assert attached.server is None and attached.errors is None
            assert attached.metrics_url == f"127.0.0.1:{p + 2}"
            assert attached.client.server_metadata()["version"] == launched.version
        assert TritonHTTP(server.http_url).server_metadata()  # leaving it stops nothing
        assert server.running
        raise RuntimeError("the caller failed")
    assert not server.running and _gone(server.pid)


def test_open_session_stops_a_server_whose_wait_is_cancelled(tmp_path: Path) -> None:
    started: list[Session] = []
    with (
        pytest.raises(LaunchError),
        open_session(
            ServerOptions(model_repositories=[tmp_path]),
            cancelled=lambda: True,  # as serve's Ctrl+C during the start
            on_started=started.append,
        ),
    ):
        raise AssertionError("the body runs only once the server is ready")
    (session,) = started
    assert session.server is not None and session.server.pid is not None
    assert not session.server.running and _gone(session.server.pid)
