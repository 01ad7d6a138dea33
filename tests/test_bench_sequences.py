"""`triton-tui bench` on a sequence (stateful) model: IDs, START/END flags, ordering, closing.

The model (tests/models/seq_accumulate, a real python-backend model with `sequence_batching`)
answers a step of a sequence never started, or a START for a sequence still open, with an error,
and reports how many sequences are open and how many ended (and the longest). So a benchmark
that ends without failed requests and leaves no sequence open sent well-formed sequences with
distinct IDs; before sequence support every request failed (no correlation ID).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.grpc import service_pb2

from tests.bench_repo import SEQUENCE, SEQUENCE_OLDEST, build_sequence_repo
from tests.conftest import ROOT, launch
from tests.test_bench_vs_perf_analyzer import (  # noqa: F401 - perf_analyzer is a fixture
    FACTOR,
    RATE_TOL,
    _best,
    _run,
    perf_analyzer,
)
from tests.tools.install_perf_analyzer import PerfAnalyzer
from tui.cli import main
from tui.core.bench.engine import BenchConfig, run_sweep
from tui.core.bench.ranges import Range
from tui.core.bench.sequences import (
    FLAGS,
    SequenceError,
    SequenceOptions,
    SequenceSlots,
    grpc_templates,
    parse_id_range,
)
from tui.core.launcher import ServerProcess

LENGTH, VARIATION = 20, 20.0
SHORTEST, LONGEST = 16, 24  # 20 +/- 20 %


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = launch(build_sequence_repo(tmp_path_factory.mktemp("seq") / "models"))
    yield server
    server.stop()


_probe_id = iter(range(10**15, 10**16))


def model_state(server: ServerProcess, model: str) -> dict[str, int]:
    """OPEN, DONE and LONGEST as the model counts them (after a one-step probe sequence of its
    own, which it counts as done), with the server's success and failure counts."""
    client = httpclient.InferenceServerClient(server.http_url)
    tensor = httpclient.InferInput("INPUT", [1, 1], "INT32")
    tensor.set_data_from_numpy(np.zeros((1, 1), np.int32))
    result = client.infer(
        model, [tensor], sequence_id=next(_probe_id), sequence_start=True, sequence_end=True
    )
    state = {n: int(result.as_numpy(n).reshape(-1)[0]) for n in ("OPEN", "DONE", "LONGEST")}
    stats = client.get_inference_statistics(model)["model_stats"][0]["inference_stats"]
    state["success"], state["fail"] = stats["success"]["count"], stats["fail"]["count"]
    return state


def _sweep(
    server: ServerProcess, model: str, protocol: str, sequences: SequenceOptions, **load: Any
) -> tuple[Any, dict[str, int], dict[str, int]]:
    config = BenchConfig(
        model=model,
        url=server.grpc_url if protocol == "grpc" else server.http_url,
        protocol=protocol,
        window_ms=400,
        stability_pct=100,
        max_trials=8,
        sequences=sequences,
        **load,
    )
    before = model_state(server, model)
    result = run_sweep(config)
    return result, before, model_state(server, model)


DEFAULT = SequenceOptions(length=LENGTH, variation_pct=VARIATION)
CONCURRENCY_1_4 = {"concurrency": Range(1, 4, 3)}
RATE_300 = {"concurrency": None, "request_rate": Range(300, 1, 1, False)}
CASES = [
    (SEQUENCE, "http", DEFAULT, CONCURRENCY_1_4),
    (SEQUENCE, "grpc", DEFAULT, {"concurrency": Range(3, 1, 1)}),
    (SEQUENCE, "http", DEFAULT, RATE_300),
    (SEQUENCE, "grpc", DEFAULT, RATE_300),
    (SEQUENCE_OLDEST, "http", DEFAULT, {"concurrency": Range(4, 1, 1)}),
    # two processes, four sequences, exactly four IDs: ranges that overlapped would collide
    (
        SEQUENCE,
        "grpc",
        SequenceOptions(LENGTH, VARIATION, id_start=7, id_end=11),
        {"concurrency": Range(4, 1, 1), "processes": 2},
    ),
]


@pytest.mark.parametrize(("model", "protocol", "sequences", "load"), CASES)
def test_sequences_are_well_formed(
    server: ServerProcess,
    model: str,
    protocol: str,
    sequences: SequenceOptions,
    load: dict[str, Any],
) -> None:
    result, before, after = _sweep(server, model, protocol, sequences, **load)
    assert result.status == "ok", result.message
    assert after["fail"] == before["fail"]  # the server saw no failed request
    assert after["OPEN"] == 0  # every sequence was ended, the cut-short ones too
    done = after["DONE"] - before["DONE"] - 1  # less the probe
    sent = after["success"] - before["success"] - 1
    assert after["LONGEST"] <= LONGEST
    assert sent <= LONGEST * done  # every request belonged to a sequence that ended
    rng = load["concurrency"]
    slots = sequences.num_sequences if rng is None else int(max(rng.start, rng.end))
    cut_short = slots * len(result.levels)  # ended early when their level did
    assert sent >= SHORTEST * (done - cut_short)
    for level in result.levels:
        count = level.latency.count
        assert level.sequence_count is not None
        assert count / LONGEST - slots - 1 <= level.sequence_count <= count / SHORTEST + slots + 1
        assert level.sequence_rate == pytest.approx(
            level.sequence_count / (level.duration_ns / 1e9)
        )
    assert sum(level.sequence_count for level in result.levels) <= done
