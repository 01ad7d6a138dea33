"""`--shared-memory system` with outputs in shared memory (`--output-shared-memory-size`), on the
real embedded server: add_sub (python), the DenseNet-shaped ONNX stand-in, add_sub with variable
dims (its outputs have no fixed size, so they get `--output-shared-memory-size` bytes) and the
stateful seq_accumulate. The answers carry no tensor data: a sampled answer is checked from the
region (wrong validation data must be caught), the server counts successes and no failure, and
the regions are unregistered and gone from /dev/shm afterwards, also after an error or a cancel.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.bench_repo import ONNX_MODEL, SEQUENCE, _clone
from tests.conftest import copy_demo, serving
from tests.tolerances import ANY_STABILITY
from tui.cli import main
from tui.core.bench.engine import BenchConfig, LevelStarted, run_sweep
from tui.core.bench.inputs import prepare
from tui.core.bench.ranges import Range
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess

VARIABLE = "add_sub_var"  # add_sub with dims [ -1 ]: outputs of no fixed size
FAST = {"window_ms": 400, "stability_pct": ANY_STABILITY, "max_trials": 8}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    repo = copy_demo(tmp_path_factory.mktemp("oshm") / "models", ("add_sub", ONNX_MODEL, SEQUENCE))
    config = _clone(repo, VARIABLE) / "config.pbtxt"
    config.write_text(config.read_text().replace("dims: [ 4 ]", "dims: [ -1 ]"))
    with serving(repo) as server:
        yield server


def _fails(client: TritonHTTP, model: str) -> tuple[int, int]:
    stats = client.call("GET", f"/v2/models/{model}/stats")["model_stats"][0]["inference_stats"]
    return stats["success"]["count"], stats["fail"]["count"]


def _assert_no_regions(client: TritonHTTP) -> None:
    assert client.call("GET", "/v2/systemsharedmemory/status") == []
    assert not [n for n in os.listdir("/dev/shm") if n.startswith(f"triton_tui_{os.getpid()}_")]


def _data_file(path: Path, wrong: bool) -> Path:
    """Two add_sub entries with their expected answers (the first off by 1 when `wrong`)."""
    a, b = np.arange(4, dtype=np.float32), np.full(4, 2, np.float32)
    entries = [(a, b), (b, a)]
    path.write_text(
        json.dumps(
            {
                "data": [{"INPUT0": x.tolist(), "INPUT1": y.tolist()} for x, y in entries],
                "validation_data": [
                    {"OUTPUT0": (x + y + (k == 0 and wrong)).tolist(), "OUTPUT1": (x - y).tolist()}
                    for k, (x, y) in enumerate(entries)
                ],
            }
        )
    )
    return path


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_outputs_in_shared_memory(server: ServerProcess, tmp_path: Path, protocol: str) -> None:
    """Requests ask for every output in the entry's region; sweeps at concurrency 1 and 3 (three
    requests writing the same regions) on add_sub with validation data and on the ONNX stand-in
    are correct and fail-free on the server; wrong validation data is caught from the region,
    not from the answer, which has no data."""
    url = server.grpc_url if protocol == "grpc" else server.http_url
    client = TritonHTTP(server.http_url)
    prepared = prepare(
        host=client.url, model="add_sub", version="", metadata=client.model_metadata("add_sub"),
        config=client.model_config("add_sub"), protocol=protocol, shared_memory="system",
    )  # fmt: skip
    region = prepared.regions[0]
    assert set(region.outputs) == {"OUTPUT0", "OUTPUT1"}
    assert [room for _, room in region.outputs.values()] == [16, 16]  # fixed: 4 x FP32
    assert region.name.encode() in prepared.requests[0]
    assert prepared.requests[0].count(b"shared_memory_region") == 4  # 2 inputs + 2 outputs
    for model, extra in (("add_sub", {"concurrency": Range(1, 3, 2)}), (ONNX_MODEL, {})):
        data = _data_file(tmp_path / "good.json", False) if model == "add_sub" else "random"
        before = _fails(client, model)
        config = BenchConfig(
            model=model, url=url, protocol=protocol, shared_memory="system", input_data=str(data),
            **extra, **FAST,
        )  # fmt: skip
        result = run_sweep(config)
        assert result.status == "ok", result.message
        assert all(lv.responses_checked > 0 for lv in result.levels)
        after = _fails(client, model)
        assert after[0] > before[0] and after[1] == before[1]
        _assert_no_regions(client)
    config = BenchConfig(
        model="add_sub", url=url, protocol=protocol, shared_memory="system",
        input_data=str(_data_file(tmp_path / "wrong.json", True)), **FAST,
    )  # fmt: skip
    result = run_sweep(config)
    assert result.status == "error"
    assert "OUTPUT0 differs from the validation data" in result.message
    _assert_no_regions(client)


def test_output_too_large_cancel_and_flag(
    server: ServerProcess, capsys: pytest.CaptureFixture
) -> None:
    """An answer larger than --output-shared-memory-size fails as perf_analyzer's (exit 99,
    the server's words) and says which flag; a cancelled sweep leaves no region either; the flag
    without --shared-memory system is accepted with a warning (perf_analyzer ignores it)."""
    client = TritonHTTP(server.http_url)
    shapes = ["--shape", "INPUT0:64", "--shape", "INPUT1:64"]  # answers of 64 x FP32 = 256 bytes
    any_level = ["-s", str(ANY_STABILITY)]
    common = ["bench", "-m", VARIABLE, *shapes, "-p", "400", *any_level, "--shared-memory",
              "system"]  # fmt: skip
    code = main([*common, "-u", server.http_url, "--output-shared-memory-size", "100"])
    captured = capsys.readouterr()
    assert code == 99, captured.out
    assert "should be at least 256 bytes" in captured.err
    assert "--output-shared-memory-size is 100 bytes" in captured.err
    _assert_no_regions(client)
    code = main([*common, "-u", server.grpc_url, "-i", "grpc", "-b", "2",
                 "--output-shared-memory-size", "256"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Using system shared memory for inputs and outputs (256 bytes" in captured.out
    _assert_no_regions(client)

    cancel = threading.Event()

    def on_event(event: Any) -> None:
        if isinstance(event, LevelStarted):
            assert client.call("GET", "/v2/systemsharedmemory/status")  # registered meanwhile
            cancel.set()

    config = BenchConfig(model="add_sub", url=server.http_url, shared_memory="system", **FAST)
    assert run_sweep(config, on_event, cancel).status == "cancelled"
    _assert_no_regions(client)
    code = main(["bench", "-m", "add_sub", "-u", server.http_url, "-p", "300", *any_level,
                 "--output-shared-memory-size", "1024"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0 and "has no effect without --shared-memory system" in captured.err


def test_sequence_model_outputs_checked_by_shape_only(
    server: ServerProcess, capsys: pytest.CaptureFixture
) -> None:
    """Concurrent sequences at the same step write one region with different sums, so a read
    could race: their answers are checked by shape, and the line says so."""
    code = main(["bench", "-m", SEQUENCE, "-u", server.http_url, "--concurrency-range", "2",
                 "-p", "400", "-s", str(ANY_STABILITY), "--shared-memory", "system"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "responses checked (shapes only: outputs in shared memory)" in out
    _assert_no_regions(TritonHTTP(server.http_url))
