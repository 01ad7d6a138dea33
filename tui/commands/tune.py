"""`triton-tui tune`: find the best config for a model (Model Analyzer's job), headless.

Launches a server with --model-repository DIR (explicit model control, so candidates can be
loaded as config overrides), or tunes the model of a running server given with -u HOST:PORT.
Exit codes: 0 a config met the constraints, 4 none did (the closest is printed), 3 bad options
(or a --write of this model left unverified by a killed tune: --pending-apply says what to do with
it), 99 the server failed, 130 interrupted (the model is restored either way).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from tui.commands.flags import add_server_flags, server_options
from tui.core.bench.ranges import MAX_WINDOW_MS, RangeError
from tui.core.server.client import TritonError, TritonHTTP
from tui.core.server.endpoints import UsageError
from tui.core.server.launcher import LaunchError
from tui.core.server.options import ServerOptions
from tui.core.server.session import Session, open_session
from tui.core.tune import apply, report
from tui.core.tune.form import parse_concurrency
from tui.core.tune.form import span as _span
from tui.core.tune.measure import MAX_TRIALS, STABILITY_PCT, WINDOW_MS, has_gpu
from tui.core.tune.options import TuneOptions
from tui.core.tune.record import (
    Constraints,
    TuneRecord,
    latest,
    latest_unfinished,
    load_record,
    pending_applies,
)
from tui.core.tune.restore import StillOverridden, recover_first
from tui.core.tune.space import (
    CONCURRENCY,
    INSTANCE_COUNTS,
    MAX_BATCH,
    SpaceError,
)
from tui.core.tune.tuner import (
    CandidateMeasured,
    CandidateStarted,
    LevelMeasured,
    RemeasureStarted,
    TuneEvent,
    TuneRun,
    run_tune,
)


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "tune",
        help="find the best config for a model (instances, batching, concurrency)",
        description="Search instance count, max batch size, dynamic batching and client "
        "concurrency for the config that maximises the objective within the constraints. "
        "Candidates are loaded as config overrides (nothing is written) and the model is "
        "restored at the end; --write saves the winner to config.pbtxt.",
    )
    p.add_argument("-m", dest="model", required=True, metavar="MODEL", help="model to tune")
    p.add_argument("--latency-budget", type=float, metavar="MS", help="p99 latency at most MS")
    p.add_argument("--min-throughput", type=float, metavar="N", help="infer/sec at least N")
    p.add_argument("--max-gpu-memory", type=float, metavar="MB", help="GPU memory at most MB")
    p.add_argument(
        "--objective",
        choices=("throughput", "latency", "throughput-per-gb"),
        default="throughput",
        help="maximise throughput (default), minimise p99 latency, or throughput per GB of GPU",
    )
    p.add_argument(
        "--search",
        choices=("quick", "brute"),
        default="quick",
        help="quick: hill climbing from the model's own config (default); brute: every point",
    )
    p.add_argument("--min-instance-count", type=int, default=INSTANCE_COUNTS[0], metavar="N")
    p.add_argument("--max-instance-count", type=int, default=INSTANCE_COUNTS[1], metavar="N")
    p.add_argument(
        "--instance-kind",
        metavar="cpu|gpu|cpu,gpu",
        help="instance kinds to try (default: gpu where the server has GPUs, else cpu)",
    )
    p.add_argument("--min-batch-size", type=int, metavar="N", help="smallest max_batch_size")
    p.add_argument(
        "--max-batch-size",
        type=int,
        metavar="N",
        help=f"largest max_batch_size (default {MAX_BATCH[1]})",
    )
    p.add_argument(
        "--dynamic-batching",
        choices=("both", "on", "off"),
        help="try dynamic batching on, off or both (default both where the model can batch)",
    )
    p.add_argument(
        "--queue-delay", metavar="US[,US]", help="max_queue_delay_microseconds values (default 0)"
    )
    p.add_argument(
        "--concurrency",
        default=_span(CONCURRENCY),
        metavar="MIN:MAX",
        help=f"client concurrency, powers of two from MIN to MAX (default {_span(CONCURRENCY)})",
    )
    p.add_argument(
        "-p",
        "--measurement-interval",
        type=int,
        default=WINDOW_MS,
        metavar="MS",
        help=f"measurement window in ms (default {WINDOW_MS})",
    )
    p.add_argument(
        "-s",
        "--stability-percentage",
        type=float,
        default=STABILITY_PCT,
        metavar="PCT",
        help=f"allowed spread of the last 3 windows (default {STABILITY_PCT:g})",
    )
    p.add_argument("-r", "--max-trials", type=int, default=MAX_TRIALS, metavar="N")
    p.add_argument("--results", type=Path, metavar="DIR", help="where tune records go")
    p.add_argument(
        "--resume",
        nargs="?",
        const="latest",
        metavar="FILE",
        help="continue an interrupted tune (default: the latest unfinished one of the model)",
    )
    p.add_argument(
        "--show",
        nargs="?",
        const="latest",
        metavar="FILE",
        help="print a saved tune (default: the model's latest) without measuring anything",
    )
    p.add_argument("--compare", type=Path, metavar="FILE", help="with --show: compare with FILE")
    p.add_argument("--export", type=Path, metavar="DIR", help="write Model Analyzer's CSV")
    p.add_argument("--write", action="store_true", help="save the winner to config.pbtxt")
    p.add_argument(
        "--repository",
        type=Path,
        metavar="DIR",
        help="with -u and --write: the attached server's model repository on this machine",
    )
    p.add_argument(
        "--pending-apply",
        choices=("restore", "keep"),
        help="a --write a killed tune left unverified: put the previous config.pbtxt back "
        "(and reload the model), or keep the tuned one",
    )
    add_server_flags(p)
    p.set_defaults(func=run)


def _ints(text: str | None, flag: str) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"{flag} {text}: expected comma-separated integers") from None


def _concurrency(text: str) -> tuple[int, int]:
    try:
        return parse_concurrency(text, "--concurrency")
    except RangeError as exc:  # past the open-file limit
        raise UsageError(str(exc)) from None
    except ValueError:
        raise UsageError(f"--concurrency {text}: expected MIN:MAX with 1 <= MIN <= MAX") from None


def check_options(args: argparse.Namespace) -> ServerOptions:
    """The server options (-u with --model-repository: as --repository); UsageError when a
    flag is wrong."""
    options = server_options(args, local_repository=True)
    if options.local_repositories and not args.repository:
        args.repository = options.local_repositories[0]
    checks = [
        (
            0 < args.measurement_interval <= MAX_WINDOW_MS,
            f"-p must be more than 0 and at most {MAX_WINDOW_MS} ms (a day)",
        ),
        (args.stability_percentage > 0, "-s must be greater than 0 (percent)"),
        (args.max_trials >= 3, "-r must be at least 3"),
        (
            1 <= args.min_instance_count <= args.max_instance_count,
            "instance counts: 1 <= min <= max",
        ),
        (args.max_batch_size is None or args.max_batch_size >= 1, "--max-batch-size must be >= 1"),
        (args.latency_budget is None or args.latency_budget > 0, "--latency-budget must be > 0"),
        (not args.compare or args.show, "--compare needs --show"),
        (
            not args.write or args.model_repository or args.repository,
            "--write with -u needs --repository DIR (or --model-repository DIR)",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise UsageError(message)
    _concurrency(args.concurrency)
    _ints(args.queue_delay, "--queue-delay")
    return options


def tune_options(args: argparse.Namespace) -> TuneOptions:
    """The flags as the core's TuneOptions (UsageError for a value that does not parse)."""
    kinds = None
    if args.instance_kind:
        kinds = [f"KIND_{k.strip().upper()}" for k in args.instance_kind.split(",")]
    batch = None
    if args.max_batch_size is not None or args.min_batch_size is not None:
        batch = (args.min_batch_size or MAX_BATCH[0], args.max_batch_size or MAX_BATCH[1])
    dynamic = {"on": [True], "off": [False], "both": [True, False], None: None}[
        args.dynamic_batching
    ]
    return TuneOptions(
        model=args.model,
        search=args.search,
        objective=args.objective.replace("-", "_"),
        constraints=Constraints(args.latency_budget, args.min_throughput, args.max_gpu_memory),
        counts=(args.min_instance_count, args.max_instance_count),
        kinds=kinds,
        batch=batch,
        dynamic=dynamic,
        queue_delays_us=_ints(args.queue_delay, "--queue-delay"),
        concurrency=_concurrency(args.concurrency),
        window_ms=args.measurement_interval,
        stability_pct=args.stability_percentage,
        max_trials=args.max_trials,
    )


def _printer(event: TuneEvent) -> None:
    if isinstance(event, CandidateStarted):
        eta = f", about {event.eta_s:.0f} s left" if event.eta_s is not None else ""
        bound = "" if event.eta_s is not None else "≤ "
        print(
            f"[{event.index}/{bound}{event.total}] {event.candidate.words()} "
            f"({event.elapsed_s:.0f} s{eta})",
            flush=True,
        )
    elif isinstance(event, RemeasureStarted):
        if event.index == 1:
            print("re-measuring the top configurations (the ranking uses the second figure)")
        print(
            f"[again {event.index}/{event.total}] {event.candidate.words()}",
            flush=True,
        )
    elif isinstance(event, LevelMeasured):
        lv = event.level
        text = (
            f"{lv.throughput:,.1f} infer/s, p99 {lv.p99_ms:.2f} ms"
            if lv.ok
            else f"no figure: {lv.error}"
        )
        print(f"    concurrency {lv.concurrency}: {text}", flush=True)
    elif isinstance(event, CandidateMeasured) and event.result.status != "ok":
        print(f"    {event.result.status}: {event.result.reason}", flush=True)


def _record(args: argparse.Namespace, url: str, metrics_url: str | None) -> TuneRecord:
    client = TritonHTTP(url, timeout=10.0)
    if args.resume:
        path = (
            latest_unfinished(args.model, args.results)
            if args.resume == "latest"
            else Path(args.resume)
        )
        if path is None or not path.is_file():
            raise UsageError(f"--resume: no unfinished tune of {args.model!r} to continue")
        record = load_record(path)
        if record.model != args.model:
            raise UsageError(f"--resume {path}: that tune is of {record.model!r}")
        record.url = url
        return record
    config = client.model_config(args.model)
    gpu = has_gpu(metrics_url)
    if args.objective == "throughput-per-gb" and not gpu:
        raise UsageError("--objective throughput-per-gb needs GPU metrics; this server has none")
    try:
        return tune_options(args).new_record(url, config, gpu)
    except SpaceError as exc:
        raise UsageError(str(exc)) from None


def show(args: argparse.Namespace) -> int:
    """Reopen a saved tune (and compare it with another)."""
    path = latest(args.model, args.results) if args.show == "latest" else Path(args.show)
    if path is None or not path.is_file():
        raise UsageError(f"--show: no saved tune of {args.model!r}")
    try:
        record = load_record(path)
        other = load_record(args.compare) if args.compare else None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--show: cannot read a tune record: {exc}") from None
    print(f"record: {path}\n{report.table(record)}\n\n{report.summary(record)}")
    if other is not None:
        print("\n" + report.compare(other, record))
    if args.export:
        for written in report.export(record, args.export):
            print(f"wrote {written}")
    return 0


def run(args: argparse.Namespace) -> int:
    options = check_options(args)
    if args.show:
        return show(args)
    if not options.model_repositories:
        options.url = options.url or "localhost:8000"
    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    try:
        with open_session(options) as session:
            return _tune(args, options, session, cancel)
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 99
    finally:
        signal.signal(signal.SIGINT, previous)


def _tune(
    args: argparse.Namespace, options: ServerOptions, session: Session, cancel: threading.Event
) -> int:
    server = session.server
    url = server.http_url if server is not None else options.url
    assert url is not None
    metrics_url = session.metrics_url
    repositories = list(options.model_repositories) or (
        [args.repository] if args.repository else []
    )
    if not TritonHTTP(url).wait_model_ready(args.model, args.startup_timeout if server else 5):
        reason = server.errors.reason(args.model) if server else ""
        print(
            f"error: model {args.model!r} is not ready" + (f": {reason}" if reason else ""),
            file=sys.stderr,
        )
        return 99
    if not _settle_applies(args, url, repositories):
        return 3
    try:
        for line in recover_first(url, args.model, args.results):  # before the base config
            print(line, flush=True)
        record = _record(args, url, metrics_url)
    except (TritonError, StillOverridden) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 99
    settings = tune_options(args).measure_settings()
    print(
        f"Tuning {record.model} ({record.mode} search over {record.space.size()} configs, "
        f"objective {record.objective}, constraints {record.constraints.words()})",
        flush=True,
    )
    run_settings = TuneRun(metrics_url, settings, args.results)
    record = run_tune(record, run_settings, _printer, cancel)
    return _finish(args, record, run_settings, repositories)


def _settle_applies(args: argparse.Namespace, url: str, repositories: list[Path]) -> bool:
    """Report the writes killed tunes left unverified and settle them as --pending-apply says;
    False when one is of the model to tune and nothing was said (its config is unverified)."""
    ours = {p.resolve() for p in repositories}
    for record in pending_applies(args.results):
        if apply.tuned_text_gone(record):
            continue
        print(f"note: {apply.pending_words(record)}", flush=True)
        assert record.applied is not None
        local = Path(record.applied.repository).resolve() in ours or record.url == url
        if args.pending_apply == "restore":
            print(apply.undo_pending(record, url if local else None), flush=True)
        elif args.pending_apply == "keep":
            print(apply.keep_pending(record), flush=True)
        elif record.model == args.model:
            print(
                f"error: {args.model}'s config.pbtxt holds that unverified tuned config: "
                "--pending-apply restore puts the previous one back, --pending-apply keep keeps it",
                file=sys.stderr,
            )
            return False
        else:
            print("  (--pending-apply restore or keep settles it)", flush=True)
    return True


def _finish(
    args: argparse.Namespace, record: TuneRecord, settings: TuneRun, repositories: list[Path]
) -> int:
    for note in record.notes:
        print(f"note: {note}", flush=True)
    print(f"\nrecord: {record.path}")
    if record.results:
        print(report.table(record))
        print("\n" + report.summary(record))
    winner = record.winner
    if winner is not None:
        print("\nBest config (config.pbtxt):\n" + report.best_config_text(record, winner))
    if args.export:
        for path in report.export(record, args.export):
            print(f"wrote {path}")
    if record.status == "cancelled":
        return 130
    if record.status == "error":
        print(f"error: {record.message}", file=sys.stderr)
        return 99
    if winner is None or not winner.satisfies:
        print("No configuration met the constraints; the closest is shown.", file=sys.stderr)
        return 4
    if args.write and not winner.candidate.default:
        assert winner.best is not None
        return _write(record, winner, settings, repositories)
    if args.write:
        print("The model's own config is the best: nothing to write.")
    return 0


def _write(record: TuneRecord, winner: Any, settings: TuneRun, repositories: list[Path]) -> int:
    try:
        the_plan = apply.plan(repositories, record.model, winner.candidate, record.base_config)
    except apply.ApplyError as exc:
        print(f"error: --write: {exc}", file=sys.stderr)
        return 99
    print("\n" + (the_plan.diff or "(no change to config.pbtxt)"))
    done = apply.apply(
        the_plan,
        record.url,
        settings.metrics_url,
        record.model,
        winner.candidate,
        winner.best.concurrency,
        settings.measure,
        record=record,
    )
    print(("applied: " if done.ok else "not applied: ") + done.message)
    if done.level is not None and done.level.ok:
        print(
            f"measured after reload: {done.level.throughput:,.1f} infer/s, p99 "
            f"{done.level.p99_ms:.2f} ms at concurrency {done.level.concurrency} "
            f"(tuned: {winner.best.throughput:,.1f} infer/s; figures vary with the machine's load)"
        )
    return 0 if done.ok else 99
