"""`-i grpc`, `--async`, `--request-count` and count windows against the real embedded server."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import copy_demo
from tests.tolerances import ANY_STABILITY, SEND_OVER_SCHEDULE
from tui.cli import main
from tui.core.bench.engine import BenchConfig, run_sweep
from tui.core.bench.h2 import HEADER, RST_STREAM, H2Connection, request_headers
from tui.core.bench.inputs import check_response, prepare
from tui.core.bench.loadgen import LoadGenerator
from tui.core.bench.ranges import Range
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess

FAST = {"window_ms": 500, "stability_pct": ANY_STABILITY, "max_trials": 8}


def _prepared(server: ServerProcess, protocol: str):  # noqa: ANN202
    client = TritonHTTP(server.http_url)
    return prepare(
        host=client.url,
        model="add_sub",
        version="",
        metadata=client.model_metadata("add_sub"),
        config=client.model_config("add_sub"),
        input_data="random",
        protocol=protocol,
    )


def test_grpc_requests_are_answered_and_checked(demo_server: ServerProcess) -> None:
    """Every gRPC answer is sampled and decoded: add_sub's outputs match INPUT0 +/- INPUT1."""
    prepared = _prepared(demo_server, "grpc")
    seen: list[bytes] = []
    host, port = demo_server.grpc_url.rsplit(":", 1)
    with LoadGenerator(
        host,
        int(port),
        prepared.requests,
        sample_every=1,
        protocol="grpc",
        on_sample=lambda i, body, h: seen.append(body),
    ) as gen:
        gen.run(concurrency=3)
        got = gen.collect()
        time.sleep(0.5)
        got = gen.collect()
    assert got.errors == 0 and len(got.records) > 0 and seen
    assert all(check_response(prepared, 0, body, None) is None for body in seen[:50])
    import tritonclient.grpc as grpcclient
    from tritonclient.grpc import service_pb2

    result = grpcclient.InferResult(service_pb2.ModelInferResponse.FromString(seen[0]))
    req = service_pb2.ModelInferRequest.FromString(prepared.requests[0])
    a, b = (np.frombuffer(r, np.float32) for r in req.raw_input_contents)
    np.testing.assert_allclose(result.as_numpy("OUTPUT0").ravel(), a + b)
    # an answer from another model is caught
    assert check_response(prepared, 0, b"\x00garbage", None) is not None


@pytest.mark.parametrize("mode", ["concurrency", "request_rate"])
def test_grpc_sweep(demo_server: ServerProcess, mode: str) -> None:
    load = (
        {"concurrency": Range(2, 2, 1)}
        if mode == "concurrency"
        else {"request_rate": Range(300, 300, 1)}
    )
    config = BenchConfig(model="add_sub", url=demo_server.grpc_url, protocol="grpc", **load, **FAST)
    result = run_sweep(config)
    assert result.status == "ok", result.message
    level = result.levels[0]
    assert level.server is not None and level.server.success_count > 0
    assert level.responses_checked > 0
    if mode == "request_rate":
        # The schedule is never exceeded, and sends that left late are said (how near 300/s it
        # came is the machine's: compared with perf_analyzer in test_bench_vs_perf_analyzer.py).
        late = level.delayed > 0.01 * level.latency.count
        assert level.send_rate is not None and level.send_rate > 0
        assert level.send_rate < 300 * (1 + SEND_OVER_SCHEDULE), level.send_rate
        assert late == any("not able to keep up" in w for w in level.warnings)


def test_request_count_count_windows_and_async(
    demo_server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "r.json"
    code = main(
        ["bench", "-m", "add_sub", "-u", demo_server.grpc_url, "-i", "grpc", "--request-count",
         "200", "--concurrency-range", "1:2", "--async", "--json", str(out)]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0, text
    assert "Using asynchronous calls for inference" in text
    record = json.loads(out.read_text())
    assert [lv["request_count"] for lv in record["levels"]] == [200, 200]
    assert all(lv["trials"] == 1 for lv in record["levels"])
    code = main(
        ["bench", "-m", "add_sub", "-u", demo_server.http_url, "--measurement-mode",
         "count_windows", "--measurement-request-count", "300", "-s", str(ANY_STABILITY), "--json",
         str(out)]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0, text
    assert "Minimum number of samples in each window: 300" in text
    level = json.loads(out.read_text())["levels"][0]
    assert level["request_count"] >= 3 * 300 * 0.9  # three windows of about 300 or more


def test_bench_cli_launches_server_for_grpc(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    repo = copy_demo(tmp_path / "models", ("add_sub",))
    code = main(
        ["bench", "--model-repository", str(repo), "-m", "add_sub", "-i", "grpc", "-p", "300",
         "-s", str(ANY_STABILITY), "-r", "4"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Protocol: GRPC" in out and "Successful request count" in out


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_system_shared_memory(demo_server: ServerProcess, protocol: str) -> None:
    """Inputs live in registered shm regions: the requests are small, the answers correct (every
    one sampled would be slow; the sweep checks 1 in 1000 and fails on a wrong one), and the
    regions are gone from the server afterwards."""
    url = demo_server.grpc_url if protocol == "grpc" else demo_server.http_url
    events: list = []
    config = BenchConfig(
        model="identity_onnx", url=url, protocol=protocol, shared_memory="system", **FAST
    )
    result = run_sweep(config, events.append)
    assert result.status == "ok", result.message
    level = result.levels[0]
    assert level.responses_checked > 0 and level.server is not None
    plain = _prepared(demo_server, protocol)
    client = TritonHTTP(demo_server.http_url)
    shm = prepare(
        host=client.url, model="add_sub", version="", metadata=client.model_metadata("add_sub"),
        config=client.model_config("add_sub"), protocol=protocol, shared_memory="system",
    )  # fmt: skip
    assert shm.regions and set(shm.regions[0].offsets) == {"INPUT0", "INPUT1"}
    tensors = shm.regions[0].data  # both inputs, as the plain request carries them
    assert tensors[:16] in plain.requests[0] and tensors[:16] not in shm.requests[0]
    assert client.call("GET", "/v2/systemsharedmemory/status") == []


def _answers(conn: H2Connection, messages: list[bytes]) -> list[tuple[bytes | None, str]]:
    """Send the messages as concurrent streams; (answer, error) of each, in order."""
    for i, message in enumerate(messages):
        conn.start(message, i)
    conn.flush()
    got: dict = {}
    while len(got) < len(messages):
        got.update((tag, (answer, error)) for tag, answer, error in conn.receive())
        conn.flush()
    return [got[i] for i in range(len(messages))]


def test_raw_http2_large_request_and_server_errors(demo_server: ServerProcess) -> None:
    """The load generator's own HTTP/2 client: 1.3 MB requests cross the 64 KiB flow-control
    windows whole (the server parses them, then refuses a batch of 20000 with its gRPC status)
    while small requests on concurrent streams of the same connection get their own answers;
    an unknown model's status is counted as an error by the load generator, with its message."""
    from tritonclient.grpc import service_pb2

    host, port = demo_server.grpc_url.rsplit(":", 1)
    path = "/inference.GRPCInferenceService/ModelInfer"
    conn = H2Connection(host, int(port), request_headers(demo_server.grpc_url, path), 30)

    def request(rows: int) -> tuple[bytes, np.ndarray]:
        data = np.arange(rows * 16, dtype=np.float32) + rows
        req = service_pb2.ModelInferRequest(model_name="identity_onnx")
        req.inputs.add(name="INPUT0", datatype="FP32", shape=[rows, 16])
        req.raw_input_contents.append(data.tobytes())
        return req.SerializeToString(), data

    def output(answer: bytes | None) -> np.ndarray:
        assert answer is not None
        out = service_pb2.ModelInferResponse.FromString(answer).raw_output_contents[0]
        return np.frombuffer(out, np.float32)

    try:
        for _ in range(2):  # flow-control windows are given back between rounds
            rows_sent = (4, 20_000, 3, 20_000, 1)
            sent = [request(rows) for rows in rows_sent]
            got = _answers(conn, [message for message, _ in sent])
            for rows, (_, data), (answer, error) in zip(rows_sent, sent, got, strict=True):
                if rows > 4:
                    assert answer is None
                    assert re.match(r"gRPC status 3: .*batch-size must be <= 4", error), error
                else:
                    assert error == ""
                    np.testing.assert_array_equal(output(answer), data)
        assert not conn.streams
    finally:
        conn.close()
    wrong = service_pb2.ModelInferRequest.FromString(_prepared(demo_server, "grpc").requests[0])
    wrong.model_name = "no_such_model"
    with LoadGenerator(host, int(port), [wrong.SerializeToString()], protocol="grpc") as gen:
        gen.run(concurrency=2)
        time.sleep(0.5)
        got = gen.collect()
    assert got.errors > 0 and len(got.records) == 0
    assert "no_such_model" in got.first_error


def _identity(rows: int) -> bytes:
    from tritonclient.grpc import service_pb2

    req = service_pb2.ModelInferRequest(model_name="identity_onnx")
    req.inputs.add(name="INPUT0", datatype="FP32", shape=[rows, 16])
    req.raw_input_contents.append(np.arange(rows * 16, dtype=np.float32).tobytes())
    return req.SerializeToString()


def _frames(raw: bytes) -> list[tuple[int, int, int]]:
    """(type, flags, stream) of each frame in bytes we wrote."""
    out, pos = [], 0
    while pos + 9 <= len(raw):
        head, flags, sid = HEADER.unpack_from(raw, pos)
        out.append((head & 0xFF, flags, sid))
        pos += 9 + (head >> 8)
    return out


def test_raw_http2_early_error_resets_the_stream(demo_server: ServerProcess) -> None:
    """An 8 MB message to a method the server lacks is refused (UNIMPLEMENTED) after its first
    64 KiB, before the rest could be sent: its stream is reset from our side too (RST_STREAM on
    the wire, the unsent data dropped), and the same connection then carries 1.3 MB requests
    whole across the flow-control windows (the server parses them, then refuses the batch size)
    and small ones beside them, each with its own answer."""
    host, port = demo_server.grpc_url.rsplit(":", 1)
    good = request_headers(demo_server.grpc_url, "/inference.GRPCInferenceService/ModelInfer")
    bad = request_headers(demo_server.grpc_url, "/inference.GRPCInferenceService/NoSuchMethod")
    conn = H2Connection(host, int(port), bad, 30)
    written: list[bytes] = []
    flush = conn.flush

    def recording_flush() -> None:
        written.append(b"".join(conn.out))
        flush()

    conn.flush = recording_flush  # type: ignore[method-assign]
    try:
        [(answer, error)] = _answers(conn, [b"\x00" * (8 << 20)])
        assert answer is None and error.startswith("gRPC status 12"), error
        assert (RST_STREAM, 0, 1) in _frames(b"".join(written))
        assert not conn.streams
        conn.headers = good
        for _ in range(2):
            got = _answers(conn, [_identity(20_000), _identity(4), _identity(20_000)])
            assert [e.split(":")[0] for _, e in got] == ["gRPC status 3", "", "gRPC status 3"]
            assert "batch-size must be <= 4" in got[0][1] and got[1][0] is not None
        assert not conn.streams
    finally:
        conn.close()
