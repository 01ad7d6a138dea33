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
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.grpc import service_pb2

from tests.bench_repo import SEQUENCE, SEQUENCE_OLDEST, build_sequence_repo
from tests.conftest import ANY_STABILITY, ROOT, launch
from tests.test_bench_vs_perf_analyzer import (  # noqa: F401 - perf_analyzer is a fixture
    FACTOR,
    _best,
    _run,
    _tool,
    perf_analyzer,
    rate_kept,
)
from tools.perf_analyzer import PerfAnalyzer
from tui.cli import main
from tui.core.bench.engine import BenchConfig, run_sweep
from tui.core.bench.loadgen import LoadGenerator
from tui.core.bench.ranges import Range
from tui.core.bench.sequences import (
    FLAGS,
    SequenceError,
    SequenceOptions,
    SequenceSlots,
    Template,
    grpc_templates,
    parse_id_range,
)
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess

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
        stability_pct=ANY_STABILITY,
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
    # more sequences than the model's 8 batch slots: the 9th and 10th START wait in the server's
    # backlog until others end, so at the level's end the others' ENDs must go out first
    (SEQUENCE, "http", DEFAULT, {"concurrency": Range(10, 1, 1)}),
    (SEQUENCE, "grpc", DEFAULT, {"concurrency": Range(10, 1, 1)}),
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


# Request bytes and slots, without a server ---------------------------------------------------
def test_grpc_template_carries_id_and_flags() -> None:
    base = service_pb2.ModelInferRequest(model_name="m").SerializeToString()
    for template, (start, end) in zip(grpc_templates(base), FLAGS, strict=True):
        for seq_id in (1, 300, 2**63 - 1):
            request = service_pb2.ModelInferRequest.FromString(template.render(seq_id))
            params = request.parameters
            assert request.model_name == "m"
            assert params["sequence_id"].int64_param == seq_id
            assert params["sequence_start"].bool_param is start
            assert params["sequence_end"].bool_param is end


def test_http_template_carries_id_and_flags() -> None:
    from tui.core.bench.sequences import http_templates

    tensor = httpclient.InferInput("INPUT", [1, 1], "INT32")
    tensor.set_data_from_numpy(np.array([[5]], np.int32))
    templates = http_templates("h:1", "/v2/models/m/infer", [tensor], [])
    for template, (start, end) in zip(templates, FLAGS, strict=True):
        for seq_id in (1, 2**63 - 1):
            raw = template.render(seq_id)
            head, _, body = raw.partition(b"\r\n\r\n")
            lengths = dict(
                line.split(b": ", 1) for line in head.split(b"\r\n")[1:] if b": " in line
            )
            assert int(lengths[b"Content-Length"]) == len(body)  # the same for every ID
            header = json.loads(body[: int(lengths[b"Inference-Header-Content-Length"])])
            params = header["parameters"]
            assert (params["sequence_id"], params["sequence_start"], params["sequence_end"]) == (
                seq_id,
                start,
                end,
            )


def test_slots_keep_sequences_apart() -> None:
    """Every slot runs whole sequences (START first, END last, lengths within the variation)
    with IDs from the range, never one that another slot holds, even when the range is just
    as large as the number of slots; closing ends exactly the sequences left open."""
    from tui.core.bench.sequences import Template

    template = [[Template(f"{flag}:".encode(), b"", False) for flag in range(4)]]
    slots = SequenceSlots(template, 3, 7, 10, 5, 40.0, seed=1)
    steps: dict[int, list[int]] = {0: [], 1: [], 2: []}
    ids: dict[int, int] = {}
    rng = np.random.default_rng(0)
    busy: list[int] = []
    for _ in range(3000):
        while slots.free:
            raw, slot, ended, _ = slots.take()
            flag, seq_id = int(raw[:1]), int(raw[2:])
            assert 7 <= seq_id < 10
            if flag in (0, 3):  # a START: no other slot holds that ID
                assert seq_id not in [v for k, v in ids.items() if k != slot]
                assert not steps[slot]
                ids[slot] = seq_id
            else:
                assert ids[slot] == seq_id and steps[slot]
            steps[slot].append(flag)
            assert bool(ended) == (flag in (2, 3))
            if ended:
                assert 3 <= len(steps[slot]) <= 7 or flag == 3
                steps[slot] = []
            busy.append(slot)
        slots.release(busy.pop(int(rng.integers(len(busy)))))  # answers in any order
    for slot in busy:
        slots.release(slot)
    ends = slots.closing()
    assert len(ends) == sum(1 for s in steps.values() if s)
    assert all(raw.startswith(b"2:") for raw in ends)
    assert len(slots.free) == 3 and not slots.closing()


def _marked(entries: int) -> list[list[Template]]:
    """Templates that render as b"ENTRY.FLAG:ID"."""
    return [[Template(f"{e}.{f}:".encode(), b"", False) for f in range(4)] for e in range(entries)]


def _sequences(slots: SequenceSlots, count: int) -> list[list[int]]:
    """The data entries of the first `count` sequences that ended, one slot after another."""
    done: list[list[int]] = []
    open_: dict[int, list[int]] = {}
    while len(done) < count:
        raw, slot, ended, entry = slots.take()
        assert int(raw.split(b".")[0]) == entry
        open_.setdefault(slot, []).append(entry)
        if ended:
            done.append(open_.pop(slot))
        slots.release(slot)
    return done


def test_slots_follow_data_streams() -> None:
    """--input-data with streams (entries 0-2, 3-4, 5): as perf_analyzer, each sequence follows
    one stream from its first step and, without --sequence-length, is exactly as long; with a
    length it wraps around its stream. Every stream gets drawn."""
    streams = (3, 2, 1)
    whole = {(0, 1, 2), (3, 4), (5,)}
    slots = SequenceSlots(_marked(6), 2, 1, 100, 20, 20.0, 1, streams=streams, length_given=False)
    seen = {tuple(seq) for seq in _sequences(slots, 60)}
    assert seen == whole
    slots = SequenceSlots(_marked(6), 2, 1, 100, 5, 0.0, 1, streams=streams, length_given=True)
    seen = {tuple(seq) for seq in _sequences(slots, 60)}
    assert seen == {(0, 1, 2, 0, 1), (3, 4, 3, 4, 3), (5,) * 5}
    # a level ending mid-sequence sends END with the sequence's next step
    slots = SequenceSlots(_marked(6), 1, 1, 100, 20, 0.0, 1, streams=(6,), length_given=False)
    raw, slot, _, _ = slots.take()
    slots.release(slot)
    assert [raw.split(b":")[0] for raw in slots.closing()] == [b"1.2"]


def test_json_streams_are_read(tmp_path: Path) -> None:
    """`data` as a list of streams (lists of steps) is flattened in order with each stream's
    length; a flat list is one stream; mixing the two, or validation_data that does not align,
    is refused."""
    from tui.core.bench.inputs import InputError, TensorSpec, load_json_data

    spec = [TensorSpec("INPUT", "INT32", [1, 1])]
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"data": [[{"INPUT": [1]}, {"INPUT": [2]}], [{"INPUT": [3]}]]}))
    data, _, streams = load_json_data(path, spec, [], True)
    assert streams == (2, 1) and [int(d["INPUT"][0, 0]) for d in data] == [1, 2, 3]
    # a model without sequences reads the first stream only, as perf_analyzer
    from tui.core.bench.inputs import prepare

    metadata = {"name": "m", "inputs": [{"name": "INPUT", "datatype": "INT32", "shape": [-1, 1]}]}
    config = {"max_batch_size": 8}
    plain = prepare(host="h:1", model="m", version="", metadata=metadata, config=config,
                    input_data=str(path))  # fmt: skip
    assert len(plain.requests) == 2 and plain.streams is None and plain.templates is None
    stateful = prepare(host="h:1", model="m", version="", metadata=metadata, config=config,
                       input_data=str(path), sequence=True)  # fmt: skip
    assert len(stateful.templates) == 3 and stateful.streams == (2, 1)
    path.write_text(json.dumps({"data": [{"INPUT": [1]}, {"INPUT": [2]}]}))
    assert load_json_data(path, spec, [], True)[2] == (2,)
    for bad in (
        {"data": [[{"INPUT": [1]}], {"INPUT": [2]}]},
        {"data": [[{"INPUT": [1]}]], "validation_data": [[{}, {}]]},
    ):
        path.write_text(json.dumps(bad))
        with pytest.raises(InputError):
            load_json_data(path, spec, [], True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", (1, 2**63 - 1)), ("5:9", (5, 9)), ("0:4", (1, 4))],
)
def test_id_range(text: str, expected: tuple[int, int]) -> None:
    assert parse_id_range(text) == expected


@pytest.mark.parametrize("text", ["", "a", "5:2", "3:3", "-1:4", "1:2:3", "1:99999999999999999999"])
def test_bad_id_range(text: str) -> None:
    with pytest.raises(SequenceError):
        parse_id_range(text)


# CLI ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sequence-id-range", "5:2"], "END must be greater than START"),
        (["--sequence-id-range", "x"], "expected START[:END]"),
        (["--sequence-length", "0"], "--sequence-length must be at least 1"),
        (["--sequence-length-variation", "-1"], "--sequence-length-variation must be >= 0"),
        (["--num-of-sequences", "0"], "--num-of-sequences must be at least 1"),
    ],
)
def test_bad_sequence_flags_exit_3(
    args: list[str], message: str, capsys: pytest.CaptureFixture
) -> None:
    assert main(["bench", "-m", "x", *args]) == 3
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sequence-id-range", "1:3", "--concurrency-range", "4"], "sequence id collision"),
        (["--sequence-id-range", "1:3", "--request-rate-range", "10"], "number of sequences (4)"),
        (["-b", "2"], "batch size > 1"),
        (["--concurrency-range", "1:0", "-l", "5"], "can not be 0 for sequence models"),
    ],
)
def test_sequence_model_refuses_what_cannot_work(
    server: ServerProcess, args: list[str], message: str, capsys: pytest.CaptureFixture
) -> None:
    assert main(["bench", "-m", SEQUENCE, "-u", server.http_url, *args]) == 99
    assert message in capsys.readouterr().err


def test_cli_reports_sequence_count(
    server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out_json = tmp_path / "r.json"
    args = ["-m", SEQUENCE, "-u", server.http_url, "--concurrency-range", "2", "-p", "300"]
    args += ["-s", str(ANY_STABILITY), "--sequence-length", "5", "--json", str(out_json)]
    assert main(["bench", *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("Request concurrency: 2")
    assert lines[at + 2].startswith("    Request count: ")
    assert lines[at + 3].startswith("    Sequence count: ") and lines[at + 3].endswith(" seq/sec)")
    assert lines[at + 4].startswith("    Throughput: ")
    record = json.loads(out_json.read_text())
    level = record["levels"][0]
    assert level["sequence_count"] >= level["request_count"] / 6 - 3
    assert record["sequences"]["length"] == 5 and record["async"] is True
    # --sync: synchronous even for a sequence model (and an open-ended range is then allowed);
    # a latency limit no request meets ends the sweep after its first level's windows (with
    # -l 1000 it climbed until a level came out unstable: 10 s and more)
    args = [*args[:4], "--concurrency-range", "2:0", "-l", "0.001", "-r", "3", "--sync"]
    code = main(["bench", *args, "-p", "200", "-s", "100", "--json", str(out_json)])
    assert code in (0, 2), capsys.readouterr()
    assert "  Using synchronous calls for inference" in capsys.readouterr().out.splitlines()
    assert json.loads(out_json.read_text())["async"] is False


# --input-data streams on the real model ------------------------------------------------------
STREAMS = [[1, 2, 4], [100, 200], [7]]  # each sequence's running SUM proves which steps it got


def _stream_file(tmp_path: Path, validation: bool = True) -> Path:
    """The streams, and as validation_data each step's running sum (perf_analyzer wants every
    output there, so not for it: OPEN, DONE and LONGEST cannot be known)."""
    path = tmp_path / "streams.json"
    doc: dict[str, Any] = {"data": [[{"INPUT": [v]} for v in stream] for stream in STREAMS]}
    if validation:
        sums = [np.cumsum(stream).tolist() for stream in STREAMS]
        doc["validation_data"] = [[{"SUM": [v]} for v in stream] for stream in sums]
    path.write_text(json.dumps(doc))
    return path


def _whole_streams(before: dict[str, int], after: dict[str, int]) -> None:
    """No failure, none left open, and on average at most 3 steps per sequence (the longest
    stream): before streams each sequence ran 16 to 24 requests."""
    assert after["fail"] == before["fail"] and after["OPEN"] == 0
    done = after["DONE"] - before["DONE"] - 1  # less the probe
    sent = after["success"] - before["success"] - 1
    assert done > 0 and sent <= max(map(len, STREAMS)) * done


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_sequences_follow_json_streams(
    server: ServerProcess, tmp_path: Path, protocol: str
) -> None:
    """Every answer is sampled: its SUM is the running sum of the steps of one stream sent in
    order from the first (checked against validation_data for the entry the request came from),
    so each sequence followed a single stream."""
    from tui.core.bench.inputs import check_response, prepare

    client = httpclient.InferenceServerClient(server.http_url)
    prepared = prepare(
        host=server.http_url,
        model=SEQUENCE,
        version="",
        metadata=client.get_model_metadata(SEQUENCE),
        config=client.get_model_config(SEQUENCE),
        input_data=str(_stream_file(tmp_path)),
        protocol=protocol,
        sequence=True,
    )
    assert prepared.streams == (3, 2, 1) and len(prepared.validation) == 6
    url = server.grpc_url if protocol == "grpc" else server.http_url
    host, port = url.rsplit(":", 1)
    seen: list[tuple[int, bytes, int | None]] = []
    options = SequenceOptions(length_given=False, streams=prepared.streams)
    before = model_state(server, SEQUENCE)
    with LoadGenerator(
        host,
        int(port),
        prepared.requests,
        sample_every=1,
        protocol=protocol,
        templates=prepared.templates,
        on_sample=lambda i, body, h: seen.append((i, body, h)),
    ) as gen:
        gen.run(concurrency=3, sequences=options)
        time.sleep(1.0)
        got = gen.collect()
    _whole_streams(before, model_state(server, SEQUENCE))
    assert got.errors == 0 and len(seen) >= 30
    assert {i for i, _, _ in seen} == set(range(6))  # every step of every stream was sent
    assert [check_response(prepared, i, body, h) for i, body, h in seen] == [None] * len(seen)


def test_cli_sequences_follow_json_streams(
    perf_analyzer: PerfAnalyzer,  # noqa: F811 - the fixture imported above
    server: ServerProcess,
    tmp_path: Path,
) -> None:
    """The same streams file through perf_analyzer and through `triton-tui bench`: both send
    whole streams as sequences (the model's counts: at most 3 steps per sequence; before, ours
    sent 16 to 24)."""
    data = str(_stream_file(tmp_path, validation=False))
    args = ["-m", SEQUENCE, "-u", server.http_url, "--concurrency-range", "2", "-p", "300"]
    args += ["-s", "100", "-r", "10", "--input-data", data]
    for cmd, env in (
        (perf_analyzer.command(*args), perf_analyzer.env),
        ([sys.executable, "-m", "tui", "bench", *args], {**os.environ, "PYTHONPATH": str(ROOT)}),
    ):
        before = model_state(server, SEQUENCE)
        _tool(cmd, env)
        _whole_streams(before, model_state(server, SEQUENCE))


# The real perf_analyzer on the same model -----------------------------------------------------
@pytest.mark.parametrize(
    ("protocol", "load"),
    [("http", ["--concurrency-range", "2"]), ("grpc", ["--request-rate-range", "200"])],
)
def test_same_figures_as_perf_analyzer(
    perf_analyzer: PerfAnalyzer,  # noqa: F811 - the fixture imported above
    server: ServerProcess,
    tmp_path: Path,
    protocol: str,
    load: list[str],
) -> None:
    """Same flags through both tools, each tool's best of two alternating runs (tolerances:
    test_bench_vs_perf_analyzer's docstring); each run must leave the model with no failed
    request and no sequence open."""
    url = server.grpc_url if protocol == "grpc" else server.http_url
    args = ["-m", SEQUENCE, "-u", url, "-i", protocol, *load, "-p", "500", "-s", "100", "-r", "10"]
    ours_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ours_cmd = [sys.executable, "-m", "tui", "bench", *args]
    rate = load[0] == "--request-rate-range"
    theirs, ours = [], []
    for i in range(2):  # alternate, so both meet the same spells of load
        pa_csv, our_csv = tmp_path / f"pa{i}.csv", tmp_path / f"ours{i}.csv"
        pa_cmd = perf_analyzer.command(*args, "-f", str(pa_csv))
        theirs.append(_clean_run(server, pa_cmd, perf_analyzer.env, pa_csv, oracle=True))
        ours.append(_clean_run(server, [*ours_cmd, "-f", str(our_csv)], ours_env, our_csv))
    pa_rows, our_rows = _best(theirs), _best(ours)
    assert our_rows[0] == pa_rows[0]  # identical header
    assert [r[0] for r in our_rows[1:]] == [r[0] for r in pa_rows[1:]]
    a, b = float(pa_rows[1][1]), float(our_rows[1][1])
    if rate:
        assert rate_kept(float(pa_rows[1][0]), a, b), (pa_rows, our_rows)
    else:
        assert a / FACTOR <= b <= a * FACTOR, (pa_rows, our_rows)


PA_STEP_BEFORE_START = "must specify the START flag on the first request of the sequence"


def _reload(server: ServerProcess) -> None:
    """A fresh instance of the model: the open sequences it counted are gone."""
    client = TritonHTTP(server.http_url)
    client.unload(SEQUENCE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = {m["name"]: m.get("state") for m in client.repository_index()}
        if states.get(SEQUENCE) == "UNAVAILABLE":
            break
        time.sleep(0.1)
    client.load(SEQUENCE)


def _clean_run(
    server: ServerProcess, cmd: list[str], env: dict[str, str], out: Path, oracle: bool = False
) -> list[list[str]]:
    """A tool's CSV rows (as `_run`); the run must leave the model with no failed request and no
    sequence open. perf_analyzer (`oracle`) gets two more tries where the server refused one of
    its steps as coming before its sequence's START: stressed full runs saw that over gRPC, once
    twice in a row, perf_analyzer's sends bunched up by load (ours wait for a sequence's previous
    answer).
    """
    for _ in range(3 if oracle else 1):
        before = model_state(server, SEQUENCE)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
        if PA_STEP_BEFORE_START not in proc.stdout + proc.stderr:
            break
        _reload(server)  # the sequences the aborted run left open
    if proc.returncode == 2:  # no stable measurement on the busy machine: once more, as `_run`
        before = model_state(server, SEQUENCE)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, f"{cmd[0]} exited {proc.returncode}: {proc.stderr[-800:]}"
    after = model_state(server, SEQUENCE)
    assert after["fail"] == before["fail"] and after["OPEN"] == 0, (cmd[0], before, after)
    return list(csv.reader(out.read_text().splitlines()))
