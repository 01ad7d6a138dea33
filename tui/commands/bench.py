"""`triton-tui bench`: perf_analyzer's measurements, flags, console layout, CSV and exit codes.

Either launches the embedded (or given) tritonserver with `--model-repository DIR`, or measures a
running server given with `-u HOST:PORT` (default localhost:8000, as perf_analyzer).
Exit codes: 0 ok, 2 no stable measurement, 3 bad options, 99 other failures, 130 interrupted
(Ctrl+C) and 143 terminated (SIGTERM); both keep the levels measured and write -f / --json.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tui.cli import UsageError, add_server_flags, server_from_args, validate_server_flags
from tui.core.bench import report
from tui.core.bench.engine import (
    BenchConfig,
    Event,
    LevelMeasured,
    LevelStarted,
    SweepFinished,
    WindowMeasured,
    run_sweep,
)
from tui.core.bench.inputs import InputError, parse_shapes
from tui.core.bench.ranges import RangeError, check_concurrency, check_window, parse_range
from tui.core.bench.sequences import SequenceError, SequenceOptions, parse_id_range
from tui.core.server.client import TritonHTTP
from tui.core.server.docker_server import DockerServer
from tui.core.server.launcher import LaunchError, ServerProcess

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "bench",
        help="measure throughput and latency like perf_analyzer",
        description="Measure a model's throughput and latency per load level (perf_analyzer's "
        "semantics and flags). Launches a server with --model-repository DIR, or uses -u.",
    )
    p.add_argument("-m", dest="model", required=True, metavar="MODEL", help="model to measure")
    p.add_argument(
        "-x",
        dest="model_version",
        default="",
        metavar="VERSION",
        help="model version (default: the server's choice)",
    )
    p.add_argument(
        "-i",
        dest="protocol",
        default="http",
        choices=("http", "grpc"),
        help="protocol: http (binary tensors over HTTP/1.1 keep-alive) or grpc (protobuf over "
        "HTTP/2); -u then names that endpoint (default localhost:8000 / localhost:8001)",
    )
    calls = p.add_mutually_exclusive_group()
    calls.add_argument(
        "-a",
        "--async",
        dest="async_mode",
        action="store_true",
        help="asynchronous calls: a level whose throughput is stable but latency is not is "
        "kept with a warning (perf_analyzer's --async)",
    )
    calls.add_argument(
        "--sync",
        action="store_true",
        help="synchronous calls even for a sequence model (which otherwise runs asynchronously)",
    )
    p.add_argument(
        "--request-count",
        type=int,
        default=0,
        metavar="N",
        help="measure exactly N requests per level in one window (no stability check)",
    )
    p.add_argument(
        "--concurrency-range", metavar="START:END:STEP", help="concurrency levels (default 1:1:1)"
    )
    p.add_argument(
        "--request-rate-range",
        metavar="START:END:STEP",
        help="request rates in infer/s (instead of concurrency)",
    )
    p.add_argument("--request-distribution", choices=("constant", "poisson"), default="constant")
    p.add_argument(
        "-p",
        "--measurement-interval",
        type=int,
        default=5000,
        metavar="MS",
        help="measurement window in ms (default 5000, at most 86400000: a day)",
    )
    p.add_argument(
        "--measurement-mode", choices=("time_windows", "count_windows"), default="time_windows"
    )
    p.add_argument(
        "--measurement-request-count",
        type=int,
        default=50,
        metavar="N",
        help="count_windows: minimum requests per window (default 50)",
    )
    p.add_argument(
        "-s",
        "--stability-percentage",
        type=float,
        default=10.0,
        metavar="PCT",
        help="allowed spread of the last 3 windows, in percent (default 10)",
    )
    p.add_argument(
        "-r",
        "--max-trials",
        type=int,
        default=10,
        metavar="N",
        help="most windows per level (default 10)",
    )
    p.add_argument("-b", dest="batch_size", type=int, default=1, metavar="N", help="batch size")
    p.add_argument(
        "--percentile",
        type=int,
        metavar="P",
        help="stabilise and report on the P-th percentile latency instead of the mean",
    )
    p.add_argument(
        "-l",
        "--latency-threshold",
        type=float,
        default=0.0,
        metavar="MS",
        help="stop the sweep when latency reaches MS (0: no limit)",
    )
    p.add_argument("--input-data", default="random", metavar="zero|random|FILE.json")
    p.add_argument("--shape", action="append", metavar="NAME:D1,D2", help="variable input dims")
    p.add_argument("--string-length", type=int, default=128, metavar="N")
    p.add_argument("--string-data", metavar="TEXT")
    p.add_argument("--input-tensor-format", choices=("binary", "json"), default="binary")
    p.add_argument(
        "--shared-memory",
        choices=("none", "system"),
        default="none",
        help="system: inputs placed once in POSIX shared memory and outputs written there by "
        "the server, requests and answers only refer to them (server on this machine)",
    )
    p.add_argument(
        "--output-shared-memory-size",
        type=int,
        default=None,
        metavar="BYTES",
        help="with --shared-memory system: bytes per batch item for each output whose size the "
        "model does not fix (BYTES, variable dims); a larger answer fails (default 102400)",
    )
    p.add_argument(
        "--max-threads",
        type=int,
        default=0,
        metavar="N",
        help="request-rate mode: most requests in flight (default 0: as many as the open-file "
        "limit allows, as perf_analyzer's asynchronous sends)",
    )
    seq = p.add_argument_group("sequence models (sequence_batching)")
    seq.add_argument(
        "--sequence-length",
        type=int,
        default=None,
        metavar="N",
        help="requests per sequence, varied by --sequence-length-variation (default 20; with "
        "--input-data, the length of the data stream each sequence follows)",
    )
    seq.add_argument(
        "--sequence-length-variation",
        type=float,
        default=20.0,
        metavar="PCT",
        help="each sequence's length is within +/- PCT %% of --sequence-length (default 20)",
    )
    seq.add_argument(
        "--sequence-id-range",
        default="1",
        metavar="START[:END]",
        help="sequence IDs from START to END (excluded; default 1, no end)",
    )
    seq.add_argument(
        "--num-of-sequences",
        type=int,
        default=4,
        metavar="N",
        help="request-rate mode: sequences running at once (default 4)",
    )
    seq.add_argument(
        "--serial-sequences",
        action="store_true",
        help="at most one request of a sequence in flight (always so here: accepted for "
        "perf_analyzer's command lines)",
    )
    p.add_argument(
        "--loadgen-processes",
        type=int,
        default=0,
        metavar="N",
        help="load generator processes (default 0: one, more added while it is the bottleneck, "
        "up to the cores available)",
    )
    p.add_argument(
        "-f", dest="csv", type=Path, metavar="FILE.csv", help="write perf_analyzer's CSV"
    )
    p.add_argument("--verbose-csv", action="store_true", help="extra CSV columns")
    p.add_argument("--json", type=Path, metavar="FILE.json", help="write triton-tui's JSON record")
    p.add_argument("-v", "--verbose", action="store_true", help="print every measurement window")
    add_server_flags(p)
    p.set_defaults(func=run)


def build_config(args: argparse.Namespace, url: str, metrics_url: str | None) -> BenchConfig:
    """Validate flags into a BenchConfig; raise UsageError (exit 3) on anything wrong."""
    if args.concurrency_range and args.request_rate_range:
        raise UsageError("--concurrency-range and --request-rate-range are mutually exclusive")
    checks = [
        (args.measurement_request_count > 0, "--measurement-request-count must be above 0"),
        (args.stability_percentage > 0, "-s must be greater than 0 (percent)"),
        (args.max_trials > 0, "-r must be at least 1"),
        (args.batch_size > 0, "-b must be at least 1"),
        (0 <= args.latency_threshold < math.inf, "-l must be a number of ms, 0 or more"),
        (args.percentile is None or 0 < args.percentile < 100, "--percentile must be in 1..99"),
        (args.max_threads >= 0, "--max-threads must not be negative"),
        (
            0 < args.string_length <= 1 << 30,  # each string is built in memory
            "--string-length must be in 1..1073741824 (1 GiB)",
        ),
        (0 <= args.loadgen_processes <= 64, "--loadgen-processes must be in 0..64"),
        (args.request_count >= 0, "--request-count must not be negative"),
        (
            args.sequence_length is None or args.sequence_length > 0,
            "--sequence-length must be at least 1",
        ),
        (
            0 <= args.sequence_length_variation < math.inf,  # nan, inf: no length to draw
            "--sequence-length-variation must be >= 0 and finite (a percentage)",
        ),
        (args.num_of_sequences > 0, "--num-of-sequences must be at least 1"),
        (
            args.output_shared_memory_size is None or args.output_shared_memory_size >= 0,
            "--output-shared-memory-size must not be negative",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise UsageError(message)
    try:
        check_window(args.measurement_interval, f"-p {args.measurement_interval}: the window")
        if args.max_threads:
            check_concurrency(args.max_threads, f"--max-threads {args.max_threads}")
        if args.request_rate_range:
            rate = parse_range(args.request_rate_range, integral=False, flag="--request-rate-range")
            concurrency = None
        else:
            rate = None
            concurrency = parse_range(args.concurrency_range or "1")
        shapes = parse_shapes(args.shape)
        id_start, id_end = parse_id_range(args.sequence_id_range)
    except (RangeError, InputError, SequenceError) as exc:
        raise UsageError(str(exc)) from None
    rng = rate or concurrency
    assert rng is not None
    if rng.unbounded and args.latency_threshold == 0:
        raise UsageError("The end of the search range and the latency limit can not be both 0")
    if args.input_data not in ("zero", "random") and not Path(args.input_data).is_file():
        raise UsageError(f"--input-data {args.input_data}: no such file (or use zero / random)")
    return BenchConfig(
        model=args.model,
        url=url,
        version=args.model_version,
        metrics_url=metrics_url,
        batch_size=args.batch_size,
        concurrency=concurrency,
        request_rate=rate,
        distribution=args.request_distribution,
        measurement_mode=args.measurement_mode,
        window_ms=args.measurement_interval,
        request_count=args.measurement_request_count,
        stability_pct=args.stability_percentage,
        max_trials=args.max_trials,
        percentile=args.percentile,
        latency_threshold_ms=args.latency_threshold,
        input_data=args.input_data,
        shapes=shapes,
        binary=args.input_tensor_format == "binary",
        string_length=args.string_length,
        string_data=args.string_data,
        processes=args.loadgen_processes,
        max_connections=args.max_threads,
        protocol=args.protocol,
        async_mode=args.async_mode,
        force_sync=args.sync,
        request_count_total=args.request_count,
        shared_memory=args.shared_memory,
        output_shm_size=(
            102400 if args.output_shared_memory_size is None else args.output_shared_memory_size
        ),
        sequences=SequenceOptions(
            length=20 if args.sequence_length is None else args.sequence_length,
            length_given=args.sequence_length is not None,
            variation_pct=args.sequence_length_variation,
            id_start=id_start,
            id_end=id_end,
            num_sequences=args.num_of_sequences,
        ),
    )


def _printer(config: BenchConfig, verbose: bool) -> Any:
    def on_event(event: Event) -> None:
        if isinstance(event, LevelStarted):
            if event.index == 0:  # once the model is known (a sequence model runs async)
                print(report.settings_block(config), flush=True)
            print(report.level_header(config, event.value), flush=True)
        elif isinstance(event, WindowMeasured) and verbose:
            what = f"p{config.percentile} latency" if config.percentile else "Avg latency"
            print(
                f"  Pass [{event.trial}] throughput: {report.fmt_num(event.throughput)} "
                f"infer/sec. {what}: {event.latency_us} usec",
                flush=True,
            )
        elif isinstance(event, LevelMeasured):
            print(report.level_block(config, event.level), flush=True)
            for warning in event.level.warnings:
                print(warning, file=sys.stderr, flush=True)
        elif (
            isinstance(event, SweepFinished)
            and event.result.message
            and (event.result.status not in ("ok", "invalid"))
        ):
            print(event.result.message, file=sys.stderr, flush=True)
        if isinstance(event, SweepFinished) and event.result.aftermath:
            print(f"Warning: {event.result.aftermath}", file=sys.stderr, flush=True)

    return on_event


def _wait_model(client: TritonHTTP, model: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.model_ready(model):
            return True
        time.sleep(0.2)
    return False


def run(args: argparse.Namespace) -> int:
    validate_server_flags(args)
    if args.output_shared_memory_size is not None and args.shared_memory != "system":
        # perf_analyzer accepts it silently and answers in the response body, as here
        print(
            "Warning: --output-shared-memory-size has no effect without --shared-memory system",
            file=sys.stderr,
        )
    server: ServerProcess | DockerServer | None = None
    url = args.url or ("localhost:8001" if args.protocol == "grpc" else "localhost:8000")
    metrics_url = args.metrics_url
    if args.model_repository:
        config = build_config(args, "127.0.0.1:0", None)  # validate before launching anything
        try:
            server = server_from_args(args)
            server.start()
            server.wait_ready(args.startup_timeout)
        except LaunchError as exc:
            if server is not None:
                server.stop()
            print(f"error: {exc}", file=sys.stderr)
            return 99
        url = server.grpc_url if args.protocol == "grpc" else server.http_url
        metrics_url = server.metrics_url
    elif metrics_url is None:
        metrics_url = f"{TritonHTTP(url).host}:8002"
    config = build_config(args, url, metrics_url)
    cancel = threading.Event()
    # Ctrl+C and SIGTERM both end the sweep: what was measured is kept and written
    received: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        received.append(signum)
        cancel.set()

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        if server is not None and not _wait_model(
            TritonHTTP(server.http_url), args.model, args.startup_timeout
        ):
            reason = server.errors.reason(args.model)
            print(
                f"error: model {args.model!r} is not ready" + (f": {reason}" if reason else ""),
                file=sys.stderr,
            )
            return 99
        result = run_sweep(config, _printer(config, args.verbose), cancel)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if server is not None:
            server.stop()
    if result.status == "invalid":  # the flags or the data do not fit the model: exit 99
        print(f"error: {result.message}", file=sys.stderr)
        return result.exit_code
    if result.levels:
        print(report.summary_lines(result), end="", flush=True)  # no blank line after it
    try:
        if args.csv:
            report.write_csv(result, args.csv, args.verbose_csv)
        if args.json:
            report.write_json(result, args.json)
    except OSError as exc:
        print(f"error: cannot write results: {exc}", file=sys.stderr)
        return 99
    if result.status == "cancelled":
        return 128 + (received[0] if received else signal.SIGINT)
    return result.exit_code
