"""Hostile servers (issue 25): every call has a deadline and a size cap, answers of the wrong
shape are errors in words, and neither `bench -u` nor the console hangs or grows on them.

The endpoints are tiny servers in threads (tests/hostile.py); nothing here starts a tritonserver.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT, copy_demo
from tests.hostile import HostileServer, hostile, timed
from tui.app import TritonTUI
from tui.core.bench.grpc_admin import TritonGRPC
from tui.core.bench.h2 import H2Connection
from tui.core.bench.inputs import VARIABLE_OUTPUT_CAP, TensorSpec, answer_cap
from tui.core.bench.loadgen import LoadError, LoadGenerator
from tui.core.logs.probe import _Inferer
from tui.core.server.client import CAPS, TritonError, TritonHTTP, fetch_metrics
from tui.core.server.session import Session
from tui.core.workflows.verify import verify

# `triton-tui bench -u` against each endpoint, started before the first test so that its 10 s
# deadline passes while the other tests run; the last test judges them. The wrapper reports the
# peak RSS in KiB: VmHWM, of this process's memory since its exec (getrusage's ru_maxrss carries
# over the high-water mark of the large pytest worker it was forked from).
_PEAK = (
    "import runpy, sys\n"
    "sys.argv[0] = 'triton-tui'\n"
    "try:\n"
    "    runpy.run_module('tui', run_name='__main__', alter_sys=True)\n"
    "finally:\n"
    "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n"
    "    print('peak', hwm.split()[1], file=sys.stderr)\n"
)
BENCH_ENDPOINTS = {
    "drip": ("drip", b""),
    "endless": ("endless", b""),
    "huge": ("huge", b""),
    "html": ("body", b"<html><body>502 Bad Gateway</body></html>"),
    "malformed": ("body", b'{"name": "triton", "versi'),
    "list": ("body", b"[]"),
}
# From its first connection, bench gives up within its client's 10 s deadline plus a margin to
# print and exit; its own start-up before that (imports: seconds on a busy 2-core machine, six
# runs at once) is not the server's doing, so it is bounded loosely.
BENCH_BOUND_S = 10 + 3
BENCH_START_S = 30


class _BenchRun:
    """`triton-tui bench -m m -u URL` in the background: its stderr, exit code and duration."""

    def __init__(self, server: HostileServer) -> None:
        self.server = server
        url = server.url
        command = [sys.executable, "-c", _PEAK, "bench", "-m", "m", "-u", url]
        pipe = subprocess.PIPE
        self.started = time.monotonic()
        self.proc = subprocess.Popen(command, cwd=ROOT, text=True, stdout=pipe, stderr=pipe)
        self.err, self.ended = "", float("inf")
        self.thread = threading.Thread(target=self._wait, daemon=True)
        self.thread.start()

    def _wait(self) -> None:
        self.err = self.proc.communicate()[1]
        self.ended = time.monotonic()

    @property
    def took(self) -> float:
        """Seconds from its first connection to the endpoint to its exit."""
        first = self.server.first_at
        return float("inf") if first is None else self.ended - first


@pytest.fixture(scope="module", autouse=True)
def bench_runs() -> Iterator[dict[str, _BenchRun]]:
    with ExitStack() as stack:
        runs = {}
        for name, (mode, body) in BENCH_ENDPOINTS.items():
            server = stack.enter_context(hostile(mode, body))
            runs[name] = run = _BenchRun(server)
            stack.callback(run.proc.kill)
        yield runs


# The client -----------------------------------------------------------------------------------
def test_a_dripped_answer_ends_at_the_deadline() -> None:
    """A byte every 0.2 s defeats a per-read timeout of 1 s; the deadline is on the whole
    answer."""
    with hostile("drip") as server:
        took, error = timed(lambda: TritonHTTP(server.url, timeout=1.0).server_metadata())
    assert isinstance(error, TritonError), error
    assert f"http://{server.url}/v2 gave no complete answer within 1 s" in str(error)
    assert took < 2.0, f"the call took {took:.1f} s"


def test_a_stopped_server_is_given_up_at_the_deadline() -> None:
    """A real process stopped with SIGSTOP: the kernel still accepts its connections."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = TritonHTTP(f"127.0.0.1:{port}", timeout=1.0)
        deadline = time.monotonic() + 10
        while not client.is_live() and "404" not in _error(client.server_metadata):
            assert time.monotonic() < deadline, "http.server did not start"
            time.sleep(0.05)
        proc.send_signal(signal.SIGSTOP)
        took, error = timed(client.server_metadata)
    finally:
        proc.kill()
        proc.wait()
    assert isinstance(error, TritonError), error
    assert f"http://127.0.0.1:{port}/v2 gave no complete answer within 1 s" in str(error)
    assert took < 2


def _error(call: Callable[[], object]) -> str:
    try:
        call()
    except TritonError as exc:
        return str(exc)
    return ""


def test_an_endless_body_is_cut_at_the_cap_and_not_fetched_again() -> None:
    with hostile("endless") as server:
        client = TritonHTTP(server.url)
        took, error = timed(client.repository_index)
        assert isinstance(error, TritonError), error
        assert f"http://{server.url}/v2/repository/index answered more than 8.0 MiB" in str(error)
        assert "the cap for index" in str(error)
        # what the client took in: the cap and what was in the sockets' buffers, not more
        assert server.sent < CAPS["index"] + 16 * 2**20
        assert took < 5
        with pytest.raises(TritonError, match="cap for metrics"):
            fetch_metrics(server.url)
        again = server.connections
        with pytest.raises(TritonError, match="cap for index"):
            client.repository_index()  # the next poll: refused from memory
        with pytest.raises(TritonError, match="cap for metrics"):
            fetch_metrics(server.url)
        assert server.connections == again


def test_a_declared_huge_body_is_refused_unread() -> None:
    with hostile("huge") as server:
        with pytest.raises(TritonError) as caught:
            TritonHTTP(server.url).model_config("m")
        with pytest.raises(TritonError, match="cap for metrics"):
            fetch_metrics(server.url)
    assert (
        f"http://{server.url}/v2/models/m/config answered 95.4 MiB (100000000 bytes), "
        "over the 16.0 MiB cap for config; not read" in str(caught.value)
    )
    assert server.sent < 16 * 2**20  # the socket buffers at most


SHAPES = [
    (b"<html><body>502 Bad Gateway</body></html>", "is not JSON ('<html><body>502 Bad"),
    (b'{"model_stats": 3, "name": ', "is not JSON"),
    (b"null", "is nothing, not an object"),
    (b"[1, 2]", "is a list, not an object"),
    (b'"text"', "is a string, not an object"),
]


@pytest.mark.parametrize(("body", "said"), SHAPES)
def test_answers_of_the_wrong_shape_are_errors_in_words(body: bytes, said: str) -> None:
    with hostile("body", body) as server:
        client = TritonHTTP(server.url)
        calls = [
            client.server_metadata,
            lambda: client.model_metadata("m"),
            lambda: client.model_config("m"),
            client.log_settings,
        ]
        for call in calls:
            with pytest.raises(TritonError, match="is not a Triton server") as caught:
                call()
            assert said in str(caught.value)
        with pytest.raises(TritonError, match="is not a Triton server"):
            client.model_stats()
        if body != b"[1, 2]":
            with pytest.raises(TritonError, match="is not a Triton server"):
                client.repository_index()


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"[1]", "its index holds 1, not a model entry"),
        (b'{"a": 1}', "its index is an object, not a list"),
    ],
)
def test_an_index_must_list_models(body: bytes, said: str) -> None:
    with hostile("body", body) as server, pytest.raises(TritonError, match=said):
        TritonHTTP(server.url).ready_models()


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b'{"model_stats": {"a": 1}}', "its model_stats is an object, not a list"),
        (b'{"model_stats": [0]}', "its model_stats entry is a number, not an object"),
    ],
)
def test_statistics_must_list_models(body: bytes, said: str) -> None:
    with hostile("body", body) as server, pytest.raises(TritonError, match=said):
        TritonHTTP(server.url).model_stats()


# The load generator ---------------------------------------------------------------------------
@pytest.mark.parametrize("concurrency", [1, 2])
def test_the_load_generator_refuses_an_answer_larger_than_the_outputs(concurrency: int) -> None:
    """A 100 MB answer where the model's outputs take a few bytes: the level ends with an
    error in words instead of the worker buffering it (one comparison on the hot path)."""
    request = b"POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
    with hostile("huge") as server:
        host, port = server.url.split(":")
        with (
            LoadGenerator(host, int(port), [request], timeout=5, max_answer=1 << 20) as gen,
            pytest.raises(LoadError) as caught,
        ):
            gen.run(concurrency=concurrency)
            time.sleep(0.2)
            gen.collect()
        assert server.sent < 32 * 2**20
    assert f"{server.url}: an answer of 100000" in str(caught.value)
    assert "over the 1048576 bytes the model's outputs can take" in str(caught.value)


def test_a_grpc_answer_larger_than_the_outputs_is_refused() -> None:
    with hostile("h2flood") as server:
        host, port = server.url.split(":")
        conn = H2Connection(host, int(port), b"", 5, max_answer=1 << 20)
        conn.start(b"request", "tag")
        conn.flush()
        with pytest.raises(ValueError, match="over the 1048576 bytes the model's outputs can"):
            while True:
                conn.receive()
        conn.close()
        assert server.sent < 32 * 2**20


def test_a_grpc_control_answer_is_capped() -> None:
    """`bench -i grpc`'s metadata, config and statistics calls: tritonclient takes 2 GiB."""
    import grpc

    def huge(_request: bytes, _context: object) -> bytes:
        return b"x" * (CAPS["statistics"] + 1)

    method = grpc.unary_unary_rpc_method_handler(huge)  # bytes in, bytes out
    service = "inference.GRPCInferenceService"
    options = [("grpc.max_send_message_length", 64 << 20)]
    server = grpc.server(ThreadPoolExecutor(1), options=options)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(service, {"ServerMetadata": method}),)
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with pytest.raises(TritonError, match=r"larger than max \(33554433 vs. 33554432\)"):
            TritonGRPC(f"127.0.0.1:{port}").server_metadata()
    finally:
        server.stop(0)


def test_the_answer_cap_comes_from_the_outputs() -> None:
    fixed = [TensorSpec("OUT", "FP32", [8, 16])]  # 8 x 16 x 4 bytes
    assert answer_cap(fixed, 8, binary=True) == 2 * 512 + 2**20
    assert answer_cap(fixed, 8, binary=False) == 2 * 512 * 32 + 2**20
    variable = [TensorSpec("OUT", "BYTES", [8, 1])]
    assert answer_cap(variable, 8, binary=True) == 2 * 8 * VARIABLE_OUTPUT_CAP + 2**20


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        ("huge", "/infer answered 95.4 MiB (100000000 bytes), over the 1.0 MiB cap for the model"),
        ("drip", "/infer gave no complete answer within 1 s"),
    ],
)
def test_the_cold_start_probe_inference_is_bounded(mode: str, said: str) -> None:
    with hostile(mode) as server:
        infer = _Inferer(TritonHTTP(server.url), "m", b"{}", 1.0, 1 << 20)
        took, error = timed(infer)
        infer.close()
    assert isinstance(error, TritonError) and said in str(error), error
    assert took < 2


IDENTITY = ROOT / "assets" / "models" / "identity_onnx" / "1" / "model.onnx"
IDENTITY_META = (
    b'{"name": "m", "inputs": [{"name": "INPUT0", "datatype": "FP32", "shape": [1, 4]}], '
    b'"outputs": [{"name": "OUTPUT0", "datatype": "FP32", "shape": [1, 4]}]}'
)


@pytest.mark.parametrize(
    ("routes", "said"),
    [
        ({}, "cannot read the served model's metadata: http://{url}/v2/models/m answered 95.4"),
        (
            {"/v2/models/m": IDENTITY_META},
            "Triton could not run the model: http://{url}/v2/models/m/infer answered 95.4 MiB "
            "(100000000 bytes), over the 1.0 MiB cap for the model's outputs",
        ),
    ],
)
def test_deploy_verify_is_bounded(routes: dict[str, bytes], said: str) -> None:
    """The deploy flow's verify step: metadata at its cap, the answer at what the outputs take
    (16 bytes here), both at a deadline (tritonclient read anything, for as long as it came)."""
    with hostile("huge", routes=routes) as server:
        report = verify(server.url, "m", IDENTITY, 'name: "m"\nbackend: "onnxruntime"\n')
    said = said.format(url=server.url)
    assert any(said in p.message for p in report.problems), report.problems
    assert server.sent < 32 * 2**20


# The console ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "body", "said"),
    [
        (
            "body",
            b"<html>Bad Gateway</html>",
            "/v2 is not a Triton server: its metadata is not JSON",
        ),
        ("body", b"null", "/v2 is not a Triton server: its metadata is nothing, not an object"),
        ("drip", b"", "/v2 gave no complete answer within 1 s"),
    ],
)
async def test_the_header_says_what_is_wrong_in_words(mode: str, body: bytes, said: str) -> None:
    """Not STARTING for ever, and not "AttributeError: 'NoneType' object has no attribute"."""
    with hostile(mode, body) as server:
        app = TritonTUI(Session(TritonHTTP(server.url, timeout=1.0), metrics_url=server.url))
        async with app.run_test(size=(100, 30)) as pilot:
            deadline = time.monotonic() + 5
            while app.server_state != "failed":
                assert time.monotonic() < deadline, f"still {app.server_state}"
                await pilot.pause(0.1)
            assert said in app.server_message
            assert "Error" not in app.server_message


async def test_the_console_stays_small_on_an_endless_body() -> None:
    """The console polls an endpoint streaming an endless body: each answer is cut at its cap
    and not asked for again at the next poll (polls are a second apart; this runs 2.5 s)."""
    rss = psutil.Process().memory_info().rss
    with hostile("endless") as server:
        app = TritonTUI(Session.attach(server.url, metrics_url=server.url))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause(2.5)  # the repository pane, shown first, polls every 2 s
            assert app.server_state == "failed"
            assert "cap for metadata" in app.server_message
    grown = (psutil.Process().memory_info().rss - rss) / 2**20
    assert grown < 200, f"RSS grew by {grown:.0f} MiB"
    assert {"/v2", "/v2/repository/index"} <= set(server.paths), server.paths
    asked = Counter(server.paths)
    assert max(asked.values()) == 1, f"over-cap answers fetched again: {asked}"
    assert server.sent < 160 * 2**20, f"{server.sent / 2**20:.0f} MiB read"


class _Pty:
    """`triton-tui ARGS` on a pseudo-terminal of its own."""

    def __init__(self, *args: str) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        env = dict(os.environ, TERM="xterm-256color")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tui", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        os.close(slave)
        self.master, self.out = master, b""

    def read_until(self, done: object, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:  # type: ignore[operator]
            if select.select([self.master], [], [], 0.05)[0]:
                try:
                    self.out += os.read(self.master, 65536)
                except OSError:  # the other end is closed
                    return

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


@pytest.mark.parametrize("how", ["q", "SIGTERM"])  # Ctrl+C: test_ctrl_c_during_a_launch
def test_quit_is_at_once_while_a_call_hangs_and_exits_130_before_ready(how: str) -> None:
    """The start-up call is stuck on a drip (its deadline is 5 s): `q` or SIGTERM gives
    the terminal back at once, and a quit before the server was ready is an interrupt (130)."""
    with hostile("drip", drip_s=0.5) as server:
        term = _Pty("-u", server.url, "--metrics-url", server.url)
        try:
            term.read_until(lambda: b"STARTING" in term.out, 30)
            assert b"STARTING" in term.out
            time.sleep(0.3)
            started = time.monotonic()
            if how == "SIGTERM":
                term.proc.send_signal(signal.SIGTERM)
            else:
                os.write(term.master, b"q")
            term.read_until(lambda: term.proc.poll() is not None, 10)
            took = time.monotonic() - started
            assert term.proc.wait(10) == 130
        finally:
            term.close()
    assert took < 1.5, f"the console took {took:.1f} s to quit"
    assert b"triton-tui: interrupted before the server was ready" in term.out


def test_ctrl_c_during_a_launch_exits_130_not_1(tmp_path: Path) -> None:
    """The launched server's start-up was cancelled by the quit: an interrupt (130, as serve),
    not a failure (it said 'stopped before it was ready' and exited 1)."""
    repo = copy_demo(tmp_path / "models", ("slow_init",))  # 3 s in start-up at least
    term = _Pty("--model-repository", str(repo))
    try:
        term.read_until(lambda: b"STARTING" in term.out, 30)
        assert b"STARTING" in term.out
        server = [p for p in psutil.Process(term.proc.pid).children() if p.name() == "tritonserver"]
        os.write(term.master, b"\x03")
        term.read_until(lambda: term.proc.poll() is not None, 10)
        assert term.proc.wait(10) == 130, term.out[-300:]
    finally:
        term.close()
    assert b"triton-tui: interrupted before tritonserver was ready" in term.out
    assert b"stopped before it was ready" not in term.out
    _, alive = psutil.wait_procs(server, timeout=20)
    assert not alive


# bench -u ---------------------------------------------------------------------------------------
def test_bench_gives_up_in_one_line_within_its_bound(
    bench_runs: dict[str, _BenchRun],
) -> None:
    said = {
        "drip": "/v2 gave no complete answer within 10 s",
        "endless": "/v2 answered more than 4.0 MiB, the cap for metadata",
        "huge": "/v2 answered 95.4 MiB (100000000 bytes), over the 4.0 MiB cap for metadata",
        "html": "/v2 is not a Triton server: its metadata is not JSON ('<html><body>502",
        "malformed": "/v2 is not a Triton server: its metadata is not JSON",
        "list": "/v2 is not a Triton server: its metadata is a list, not an object",
    }
    for name, run in bench_runs.items():
        run.thread.join(max(0.1, run.started + BENCH_START_S + BENCH_BOUND_S - time.monotonic()))
        assert run.took < BENCH_BOUND_S, f"{name}: {run.took:.1f} s"
        lines = run.err.splitlines()
        assert run.proc.returncode == 99, (name, run.err)
        assert len(lines) == 2 and said[name] in lines[0], (name, run.err)
        peak_mib = int(lines[1].split()[1]) / 1024
        assert peak_mib < 200, f"{name}: peak RSS {peak_mib:.0f} MiB"
