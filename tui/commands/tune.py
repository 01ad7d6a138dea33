"""`triton-tui tune`: find the best config for a model (Model Analyzer's job), headless.

Launches a server with --model-repository DIR (explicit model control, so candidates can be
loaded as config overrides), or tunes the model of a running server given with -u HOST:PORT.
Exit codes: 0 a config beats the current one beyond noise and by the --min-gain margin, 5 none
does (the current config is as good as anything tried), 4 none met the constraints (the closest is
printed), 3 bad options (or a --write of this model left unverified by a killed tune:
--pending-apply says what to do with it), 99 the server failed, 130 interrupted (the model is
restored either way).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.commands import tune_ensemble, tune_output
from tui.commands.flags import add_server_flags, server_options
from tui.core.bench.ranges import MAX_WINDOW_MS, RangeError
from tui.core.server.client import TritonError, TritonHTTP
from tui.core.server.endpoints import UsageError, require
from tui.core.server.launcher import LaunchError
from tui.core.server.options import ServerOptions
from tui.core.server.session import Session, open_session
from tui.core.tune import apply, html_report, report
from tui.core.tune.compare import MIN_MARGIN_PCT, MIN_ROUNDS
from tui.core.tune.form import parse_concurrency, parse_range
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
    composing_models,
)
from tui.core.tune.tuner import TuneRun, run_tune

if TYPE_CHECKING:
    pass


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "tune",
        help="find the best config for a model (instances, batching, concurrency)",
        description="Search instance count, max batch size, dynamic batching and client "
        "concurrency for the config that maximises the objective within the constraints. "
        "Candidates are loaded as config overrides (nothing is written) and the model is "
        "restored at the end; --write saves the winner to config.pbtxt. A winner must beat "
        "the current config beyond noise: its gain, measured in interleaved rounds with the "
        "current config, must clear --min-gain over its whole 95 % interval.",
        epilog="exit codes: 0 a config is better beyond noise, 5 no config is better than the "
        "current one beyond noise, 4 none met the constraints, 3 bad options, 99 server "
        "failure, 130 interrupted",
    )
    p.add_argument(
        "-m",
        dest="model",
        required=True,
        metavar="MODEL[,MODEL]",
        help="model to tune; an ensemble tunes its composing models through it; several "
        "(a,b) are tuned in turn while all are driven at the same time",
    )
    p.add_argument(
        "--weights",
        metavar="W,W",
        help="with -m a,b: the weight of each model's throughput in the objective (default 1 each)",
    )
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
        "--queue-delay",
        metavar="US[,US]|auto",
        help="max_queue_delay_microseconds values where the batcher is on (default 0; auto: "
        f"{','.join(map(str, AUTO_QUEUE_DELAYS_US))})",
    )
    p.add_argument(
        "--intra-op-threads",
        metavar="N[,N]",
        help="onnxruntime models: intra_op_thread_count values to try (default: the model's own)",
    )
    p.add_argument(
        "--inter-op-threads",
        metavar="N[,N]",
        help="onnxruntime models: inter_op_thread_count values to try (default: the model's own)",
    )
    p.add_argument(
        "--concurrency-formula",
        action="store_true",
        help="start each config's concurrency sweep at 2 x max batch x instances (Model "
        "Analyzer's formula) instead of near the best so far",
    )
    p.add_argument(
        "--concurrency",
        default=_span(CONCURRENCY),
        metavar="MIN:MAX",
        help=f"client concurrency, powers of two from MIN to MAX (default {_span(CONCURRENCY)})",
    )
    p.add_argument(
        "--request-rate",
        metavar="MIN:MAX",
        help="drive the model by arrival rate instead of clients: requests per second, powers "
        "of two from MIN to MAX (Model Analyzer searches 16:8192); replaces --concurrency",
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
    p.add_argument(
        "--min-gain",
        type=float,
        default=MIN_MARGIN_PCT,
        metavar="PCT",
        help="the smallest gain over the current config worth a change, beyond noise "
        f"(default {MIN_MARGIN_PCT:g} %%)",
    )
    p.add_argument(
        "--final-rounds",
        type=int,
        default=MIN_ROUNDS,
        metavar="N",
        help=f"rounds of the interleaved final comparison (default and least {MIN_ROUNDS})",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the verdict as one JSON object at the end (verdict, winner, gain_pct, current)",
    )
    p.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="write a self-contained HTML report (index.html) into DIR",
    )
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


AUTO_QUEUE_DELAYS_US = [0, 100, 500, 1000]


def _ints(text: str | None, flag: str) -> list[int] | None:
    if not text:
        return None
    if flag == "--queue-delay" and text.strip() == "auto":
        return list(AUTO_QUEUE_DELAYS_US)
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


def _weights(text: str | None, count: int) -> list[float]:
    if not text:
        return []
    try:
        weights = [float(w) for w in text.split(",")]
    except ValueError:
        raise UsageError(f"--weights {text}: expected comma-separated numbers") from None
    if len(weights) != count or not all(0 < w < float("inf") for w in weights):
        raise UsageError(f"--weights {text}: one number above 0 per model of -m ({count})")
    return weights


def _rates(text: str) -> tuple[int, int]:
    try:
        return parse_range(text, "--request-rate")
    except ValueError:
        raise UsageError(f"--request-rate {text}: expected MIN:MAX with 1 <= MIN <= MAX") from None


def check_options(args: argparse.Namespace) -> ServerOptions:
    """The server options (-u with --model-repository: as --repository); UsageError when a
    flag is wrong."""
    args.models = [m.strip() for m in args.model.split(",")]
    if len(args.models) > 1 and (args.resume or args.show):
        raise UsageError("--resume and --show take one model, not -m a,b")
    if len(set(args.models)) != len(args.models) or not all(args.models):
        raise UsageError(f"-m {args.model}: expected distinct model names separated by commas")
    args.weight_list = _weights(args.weights, len(args.models))
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
        (0 <= args.min_gain < 1000, "--min-gain must be a percentage, at least 0 and below 1000"),
        (args.final_rounds >= MIN_ROUNDS, f"--final-rounds must be at least {MIN_ROUNDS}"),
        (not args.compare or args.show, "--compare needs --show"),
        (
            not args.write or args.model_repository or args.repository,
            "--write with -u needs --repository DIR (or --model-repository DIR)",
        ),
    ]
    require(checks)
    _concurrency(args.concurrency)
    if args.request_rate:
        _rates(args.request_rate)
    _ints(args.queue_delay, "--queue-delay")
    for flag, text in (
        ("--intra-op-threads", args.intra_op_threads),
        ("--inter-op-threads", args.inter_op_threads),
    ):
        if any(n < 1 for n in _ints(text, flag) or []):
            raise UsageError(f"{flag} {text}: thread counts start at 1")
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
        concurrency=_rates(args.request_rate)
        if args.request_rate
        else _concurrency(args.concurrency),
        window_ms=args.measurement_interval,
        stability_pct=args.stability_percentage,
        max_trials=args.max_trials,
        min_gain_pct=args.min_gain,
        final_rounds=args.final_rounds,
        concurrency_formula=args.concurrency_formula,
        load="request_rate" if args.request_rate else "concurrency",
        intra_op=_ints(args.intra_op_threads, "--intra-op-threads"),
        inter_op=_ints(args.inter_op_threads, "--inter-op-threads"),
    )


def _record(
    args: argparse.Namespace,
    url: str,
    metrics_url: str | None,
    model: str = "",
    through: str = "",
) -> TuneRecord:
    """The tune of `model` (default -m), measured through the ensemble `through` if given."""
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
    model = model or args.model
    config = client.model_config(model)
    gpu = has_gpu(metrics_url)
    if args.objective == "throughput-per-gb" and not gpu:
        raise UsageError("--objective throughput-per-gb needs GPU metrics; this server has none")
    try:
        options = tune_options(args)
        options.model = model
        record = options.new_record(url, config, gpu)
    except SpaceError as exc:
        raise UsageError(str(exc)) from None
    record.through = through
    return record


def _records(args: argparse.Namespace, url: str, metrics_url: str | None) -> list[TuneRecord]:
    """The tune to run: of -m, of each composing model when -m is an ensemble, or of each of
    several models (-m a,b) in turn, all driven at the same time."""
    if len(args.models) > 1:
        for model in args.models:
            for line in recover_first(url, model, args.results):
                print(line, flush=True)
        weights = args.weight_list or [1.0] * len(args.models)
        records = []
        for i, model in enumerate(args.models):
            others = args.models[:i] + args.models[i + 1 :]
            record = _record(args, url, metrics_url, model)
            record.together = others
            record.weights = [weights[i], *(weights[:i] + weights[i + 1 :])]
            records.append(record)
        print(f"tuning {', '.join(args.models)} in turn, all driven at the same time")
        return records
    steps = [] if args.resume else composing_models(TritonHTTP(url).model_config(args.model))
    for model in steps or [args.model]:
        for line in recover_first(url, model, args.results):  # before the base config
            print(line, flush=True)
    if not steps:
        return [_record(args, url, metrics_url)]
    print(f"{args.model} is an ensemble: tuning {', '.join(steps)} in turn, measured through it")
    return [_record(args, url, metrics_url, step, through=args.model) for step in steps]


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
    if args.report:
        print(f"wrote {html_report.write(record, args.report)}")
    if args.json:
        print(json.dumps(report.verdict_json(record)))
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
    for model in args.models:
        if not TritonHTTP(url).wait_model_ready(model, args.startup_timeout if server else 5):
            reason = server.errors.reason(model) if server else ""
            print(
                f"error: model {model!r} is not ready" + (f": {reason}" if reason else ""),
                file=sys.stderr,
            )
            return 99
    if not _settle_applies(args, url, repositories):
        return 3
    try:
        records = _records(args, url, metrics_url)
    except (TritonError, StillOverridden) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 99
    settings = tune_options(args).measure_settings()
    run_settings = TuneRun(metrics_url, settings, args.results)
    done = []
    for record in records:
        through = f" through the ensemble {record.through}" if record.through else ""
        if record.together:
            through = f" while {', '.join(record.together)} run beside it"
        print(
            f"Tuning {record.model}{through} ({record.mode} search over "
            f"{record.space.size()} configs, objective {record.objective}, constraints "
            f"{record.constraints.words()})",
            flush=True,
        )
        tune_output.LOAD[0] = "request rate" if record.load == "request_rate" else "concurrency"
        done.append(run_tune(record, run_settings, tune_output.printer, cancel))
        if done[-1].status != "done":
            break
    if not records[0].through and not records[0].together:
        return tune_output.finish(args, done[0], run_settings, repositories)

    def finish_step(step_args: argparse.Namespace, record: TuneRecord) -> int:
        return tune_output.finish(step_args, record, run_settings, repositories)

    return tune_ensemble.finish(args, done, len(records), finish_step)


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
        elif record.model in args.models:
            print(
                f"error: {record.model}'s config.pbtxt holds that unverified tuned config: "
                "--pending-apply restore puts the previous one back, --pending-apply keep keeps it",
                file=sys.stderr,
            )
            return False
        else:
            print("  (--pending-apply restore or keep settles it)", flush=True)
    return True
