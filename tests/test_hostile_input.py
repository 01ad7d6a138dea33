"""Input that would crash or exhaust us (issue 25, sections 6 to 8): each refused in one line of
words naming the flag or file, with the documented exit code, before anything is sent; log lines
capped, a source with no newline followed without spinning or growing."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import socket
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import eventually
from tests.tolerances import ANY_STABILITY
from tui.cli import main
from tui.core.bench import form as bench_form
from tui.core.bench.engine import run_sweep
from tui.core.bench.inputs import InputError, TensorSpec, load_json_data
from tui.core.bench.ranges import (
    FILE_MARGIN,
    MAX_RATE,
    Range,
    RangeError,
    most_connections,
    parse_range,
)
from tui.core.bench.results import BenchConfig
from tui.core.logs.follow import FileFollower
from tui.core.server.docker_server import _log_lines
from tui.core.server.launcher import LaunchSpec, ServerProcess
from tui.core.tune.form import TuneForm
from tui.core.util.linebuffer import MAX_LINE, LineBuffer, LineSplitter

ADD_SUB_INPUTS = [TensorSpec("INPUT0", "FP32", [4]), TensorSpec("INPUT1", "FP32", [4])]


@contextlib.contextmanager
def open_file_limit(connections: int) -> Iterator[int]:
    """This process's soft RLIMIT_NOFILE lowered (children inherit it) so that it leaves about
    `connections` sockets for a load (`most_connections`), yet room for the files the process
    holds (a long test run may hold many); yields most_connections(), then restores the limit."""
    old = resource.getrlimit(resource.RLIMIT_NOFILE)
    held = len(os.listdir("/proc/self/fd"))
    soft = max(FILE_MARGIN + connections, held + 64)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, old[1]))
    try:
        yield most_connections()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, old)


@contextlib.contextmanager
def listener() -> Iterator[tuple[str, socket.socket]]:
    """A listening socket, to show that a refused run connected to nothing."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.setblocking(False)
        yield f"127.0.0.1:{sock.getsockname()[1]}", sock


def assert_nothing_connected(sock: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        sock.accept()


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


# 6. --input-data: the file read in words --------------------------------------------------------
def _data_file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "data.json"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'\xff\xfe{"data": []}', "not UTF-8 text (byte 0xff at offset 0)"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply"),
        (b'{"data": [{"INPUT1": [1], "INPUT0": ' + b"[" * 500 + b"]" * 500 + b"}]}", "INPUT0"),
        (b'{"data": [{"INPUT0": [[1, 2], [3]], "INPUT1": [1]}]}', "data[0] INPUT0 is not"),
        (b'{"data": [{"INPUT0": ["abc"], "INPUT1": [1]}]}', "data[0] INPUT0 is not a FP32"),
        (b'{"data": [{"INPUT0": {"b64": "!"}, "INPUT1": [1]}]}', "0 values do not fill shape [4]"),
        (b'{"data": [{"INPUT0": [1], "INPUT1": [1]}], "validation_data": 5}', "laid out"),
    ],
)
def test_a_hostile_data_file_is_an_input_error_naming_it(
    tmp_path: Path, content: bytes, words: str
) -> None:
    path = _data_file(tmp_path, content)
    with pytest.raises(InputError, match=r"^--input-data .*data\.json: ") as caught:
        load_json_data(path, ADD_SUB_INPUTS, [], batching=False)
    assert words in str(caught.value)


def test_bench_exits_99_in_one_line_on_a_data_file_it_cannot_read(
    demo_server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    for content, words in [
        (b'\xff{"data": []}', "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ]:
        path = _data_file(tmp_path, content)
        args = ["-m", "add_sub", "-u", demo_server.http_url, "--input-data", str(path)]
        assert main(["bench", *args]) == 99
        line = one_error_line(capsys.readouterr().err)
        assert f"--input-data {path}" in line and words in line


# 6. and 8.: flags the machine cannot run, refused before anything is sent -----------------------
@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["-p", "99999999999999999999"], "-p 99999999999999999999: the window must be more"),
        (["--request-rate-range", "1e9"], "at most 1,000,000 infer/s"),
        (["--request-rate-range", "inf"], "'inf' is not a finite number"),
        (["--request-rate-range", "nan"], "'nan' is not a finite number"),
        (["--request-rate-range", "10:1e400"], "'1e400' is not a finite number"),
        (["--concurrency-range", "1:" + "9" * 400], "is too large"),
        (["--concurrency-range", "100000"], "open-file limit"),
        (["--request-rate-range", "10", "--max-threads", "100000"], "--max-threads 100000"),
        (["--string-length", "99999999999999999999"], "--string-length must be in 1.."),
        (["-l", "nan"], "-l must be a number of ms, 0 or more"),
        (["--sequence-length-variation", "inf"], "must be >= 0 and finite"),
    ],
)
def test_bench_refuses_what_the_machine_cannot_do_before_sending(
    flags: list[str], words: str, capsys: pytest.CaptureFixture
) -> None:
    with listener() as (url, sock):
        assert main(["bench", "-m", "add_sub", "-u", url, *flags]) == 3
        assert_nothing_connected(sock)
    assert words in one_error_line(capsys.readouterr().err)


def test_concurrency_past_the_open_file_limit_names_it_and_ulimit(
    capsys: pytest.CaptureFixture,
) -> None:
    with open_file_limit(100) as most:
        assert parse_range(str(most)).start == most  # within: a socket each
        with pytest.raises(RangeError, match=f"--concurrency-range '1:{most + 1}'"):
            parse_range(f"1:{most + 1}")
        with listener() as (url, sock):
            flags = ["--concurrency-range", f"4:{most + 100}"]
            assert main(["bench", "-m", "add_sub", "-u", url, *flags]) == 3
            assert_nothing_connected(sock)
    line = one_error_line(capsys.readouterr().err)
    soft = most + FILE_MARGIN
    assert f"open-file limit allows ({soft} files, {most} for connections" in line
    assert f"ulimit -n {most + 100 + FILE_MARGIN}" in line or "hard limit" in line
    # the deploy command's --concurrency-range goes through the same parse_range
    with pytest.raises(RangeError, match="infer/s"):
        parse_range(str(MAX_RATE * 2), integral=False)


def test_the_bench_form_refuses_the_same(capsys: pytest.CaptureFixture) -> None:
    form = {"range": "1:4", "window": "500", "percentile": "", "stability": "10", "shapes": ""}
    with pytest.raises(RangeError, match="^the concurrency range '100000': .* open-file limit"):
        bench_form.read_config("m", {**form, "range": "100000"}, "127.0.0.1:1", None)
    with pytest.raises(ValueError, match="at most 86400000 ms"):
        bench_form.read_config("m", {**form, "window": "1e20"}, "127.0.0.1:1", None)


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["-p", "99999999999999999999"], "-p must be more than 0 and at most 86400000 ms"),
        (["--concurrency", "1:100000"], "--concurrency 1:100000: 100000 requests in flight"),
    ],
)
def test_tune_refuses_the_same_before_sending(
    flags: list[str], words: str, capsys: pytest.CaptureFixture
) -> None:
    with listener() as (url, sock):
        assert main(["tune", "-m", "add_sub", "-u", url, *flags]) == 3
        assert_nothing_connected(sock)
    assert words in one_error_line(capsys.readouterr().err)
    form = {"counts": "1:2", "batch": "1:8", "concurrency": "1:8"}
    fields = {**form, "window": "1e20"} if "-p" in flags else {**form, "concurrency": "1:100000"}
    with pytest.raises(ValueError, match="at most 86400000 ms|open-file limit"):
        TuneForm.parse("add_sub", "quick", "throughput", fields)


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["-p", "99999999999999999999"], "-p 99999999999999999999: the window must be more"),
        (["--concurrency-range", "100000"], "open-file limit"),
    ],
)
def test_deploy_refuses_the_same_before_writing_or_sending(
    tmp_path: Path, flags: list[str], words: str, capsys: pytest.CaptureFixture
) -> None:
    repo = tmp_path / "models"
    repo.mkdir()
    with listener() as (url, sock):
        args = ["deploy", str(tmp_path / "m.onnx"), "-u", url, "--model-repository", str(repo)]
        assert main([*args, "--yes", *flags]) == 3
        assert_nothing_connected(sock)
    assert words in one_error_line(capsys.readouterr().err)
    assert list(repo.iterdir()) == []


def test_a_rate_past_the_server_opens_no_more_sockets_than_the_limit_allows(
    demo_server: ServerProcess,
) -> None:
    """Uncapped (--max-threads 0), a request rate the server cannot answer used to open sockets
    until the worker failed with "Too many open files" (and the server's log filled with accept()
    errors); the load generator now holds at most what the limit leaves. An open-ended
    concurrency range ends where the limit does."""
    fast = {"window_ms": 200, "stability_pct": ANY_STABILITY, "max_trials": 3, "processes": 1}
    with open_file_limit(3) as most:
        rate = BenchConfig(
            model="add_sub",
            url=demo_server.http_url,
            request_rate=Range(MAX_RATE, 1, 1, integral=False),
            **fast,
        )
        result = run_sweep(rate)
        assert result.status in ("ok", "unstable"), result.message
        open_ended = BenchConfig(
            model="add_sub",
            url=demo_server.http_url,
            concurrency=Range(most - 1, 0, 1),
            latency_threshold_ms=60_000,
            **fast,
        )
        result = run_sweep(open_ended)
    assert result.status == "threshold", result.message
    assert "open-file limit" in result.message and "the sweep ends here" in result.message
    assert [level.value for level in result.levels] == [most - 1, most]


def test_json_data_still_loads(tmp_path: Path) -> None:
    doc = {"data": [{"INPUT0": [1, 2, 3, 4], "INPUT1": {"content": [1, 2, 3, 4], "shape": [4]}}]}
    path = _data_file(tmp_path, json.dumps(doc).encode())
    data, validation, streams = load_json_data(path, ADD_SUB_INPUTS, [], batching=False)
    assert data[0]["INPUT0"].tolist() == [1, 2, 3, 4] and streams == (1,) and validation == []


# 7. Log lines of any length, a source with no newline -------------------------------------------
def test_the_splitter_keeps_a_long_lines_start_and_says_how_much_was_cut() -> None:
    splitter = LineSplitter(max_line=8)
    assert splitter.feed(b"short\r\nfirst half") == ["short"]
    assert splitter.cutting and splitter.feed(b" and the rest") == []
    assert splitter.feed(b"\n0123456789\nend") == ["first ha … [15 B cut]", "01234567 … [2 B cut]"]
    assert splitter.end() == ["end"] and splitter.end() == []


def test_following_a_50_mb_line_holds_only_its_start(tmp_path: Path) -> None:
    path = tmp_path / "server.log"
    with open(path, "wb") as f:
        f.write(b"I1207 big line: ")
        f.write(b"x" * (50 << 20))
        f.write(b"\nE1207 next line\n")
    got: list[str] = []
    notices: list[str] = []
    tracemalloc.start()
    follower = FileFollower(path, got.append, poll=0.05, notice=notices.append).start()
    try:
        assert eventually(lambda: len(got) == 2), got[:1]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        follower.stop()
        tracemalloc.stop()
    assert got[0].startswith("I1207 big line: xxx") and got[1] == "E1207 next line"
    assert len(got[0].encode()) < MAX_LINE + 30 and got[0].endswith(" … [50.0 MiB cut]")
    assert peak < 4 << 20, f"{peak:,} bytes traced while following a 50 MB line"
    assert notices == [
        f"{path}: a line longer than 16.0 KiB; its start is kept, the rest skipped up to its end"
    ]


def test_following_a_source_with_no_newline_neither_spins_nor_grows() -> None:
    """`--log-file /dev/zero` spun a core and grew without end (169 -> 276 MB in 40 s)."""
    got: list[str] = []
    tracemalloc.start()
    cpu = time.process_time()
    follower = FileFollower("/dev/zero", got.append, poll=0.2).start()
    try:
        time.sleep(1.0)
        used = time.process_time() - cpu
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        follower.stop()
        tracemalloc.stop()
    assert not follower._thread or not follower._thread.is_alive()
    assert got == []  # one endless line: nothing complete to show
    assert used < 0.5, f"{used:.2f} s of CPU in 1 s following /dev/zero"
    assert peak < 4 << 20, f"{peak:,} bytes traced following /dev/zero"


def test_a_server_printing_a_50_mb_line_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """The launched server's pipe goes through the same splitter: a stand-in `tritonserver`
    (--tritonserver names any program) prints one 50 MB line and exits."""
    binary = tmp_path / "tritonserver"
    binary.write_text(
        f"#!{sys.executable}\nimport sys\n"
        "sys.stdout.write('E1207 huge ' + 'y' * (50 << 20) + '\\nI1207 after\\n')\n"
    )
    binary.chmod(0o755)
    (tmp_path / "models").mkdir()
    server = ServerProcess(LaunchSpec([tmp_path / "models"], tritonserver=str(binary)))
    tracemalloc.start()
    try:
        server.start()
        assert eventually(lambda: server.lines.closed)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        server.stop()
    lines = [line for _, line in server.lines.snapshot()]
    assert lines[0].startswith("E1207 huge yyy") and lines[0].endswith(" … [50.0 MiB cut]")
    assert lines[1:] == ["I1207 after"]
    assert peak < 8 << 20, f"{peak:,} bytes traced reading a 50 MB line from the server"


def test_a_containers_log_stream_goes_through_the_same_cap() -> None:
    """--attach-container's stream (docker's `container.logs(stream=True)`, chunks of bytes).
    No Docker engine here, so a stand-in container streams one 50 MB line in 64 KiB chunks."""

    class Container:
        def logs(self, **_options: object) -> Iterator[bytes]:
            yield b"E1207 huge "
            for _ in range(800):
                yield b"z" * (1 << 16)
            yield b"\nI1207 after\nno newline at the end"

    buffer = LineBuffer()
    tracemalloc.start()
    try:
        _log_lines(Container(), buffer)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    lines = [line for _, line in buffer.snapshot()]
    assert lines[0].startswith("E1207 huge zzz") and lines[0].endswith(" … [50.0 MiB cut]")
    assert lines[1:] == ["I1207 after", "no newline at the end"] and buffer.closed
    assert peak < 4 << 20, f"{peak:,} bytes traced reading a container's 50 MB line"
