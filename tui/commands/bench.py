"""`triton-tui bench`: perf_analyzer's measurements, flags, console layout, CSV and exit codes.

Either launches the embedded (or given) tritonserver with `--model-repository DIR`, or measures a
running server given with `-u HOST:PORT` (default localhost:8000, as perf_analyzer).
Exit codes: 0 ok, 2 no stable measurement, 3 bad options, 99 other failures, 130 interrupted
(Ctrl+C) and 143 terminated (SIGTERM); both keep the levels measured and write -f / --json.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from dataclasses import fields
from pathlib import Path
from typing import Any

from tui.commands.flags import add_server_flags, server_options
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
from tui.core.bench.options import BenchOptions
from tui.core.bench.ranges import STABILITY_PCT, WINDOW_MS
from tui.core.server.launcher import LaunchError
from tui.core.server.session import Session, open_session

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
        default=WINDOW_MS,
        metavar="MS",
        help=f"measurement window in ms (default {WINDOW_MS}, at most 86400000: a day)",
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
        default=STABILITY_PCT,
        metavar="PCT",
        help=f"allowed spread of the last 3 windows, in percent (default {STABILITY_PCT:g})",
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


def bench_options(args: argparse.Namespace) -> BenchOptions:
    """The flags as the core's BenchOptions (its fields are the flags' own names)."""
    return BenchOptions(**{f.name: getattr(args, f.name) for f in fields(BenchOptions)})


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


def run(args: argparse.Namespace) -> int:
    options = server_options(args)
    bench = bench_options(args)
    if args.output_shared_memory_size is not None and args.shared_memory != "system":
        # perf_analyzer accepts it silently and answers in the response body, as here
        print(
            "Warning: --output-shared-memory-size has no effect without --shared-memory system",
            file=sys.stderr,
        )
    if options.model_repositories:
        bench.config("127.0.0.1:0", None)  # validate before launching anything
    else:  # no server named: perf_analyzer's default endpoint
        options.url = options.url or (
            "localhost:8001" if args.protocol == "grpc" else "localhost:8000"
        )
    try:
        with open_session(options) as session:
            server = session.server
            url = options.url
            if server is not None:
                url = server.grpc_url if args.protocol == "grpc" else server.http_url
            assert url is not None
            return _measure(args, bench.config(url, session.metrics_url), session)
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 99


def _measure(args: argparse.Namespace, config: BenchConfig, session: Session) -> int:
    """Run the sweep on the session's server, print it as perf_analyzer does, write -f/--json."""
    server = session.server
    cancel = threading.Event()
    # Ctrl+C and SIGTERM both end the sweep: what was measured is kept and written
    received: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        received.append(signum)
        cancel.set()

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        if server is not None and not session.client.wait_model_ready(
            args.model, args.startup_timeout
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
