"""`triton-tui deploy MODEL.onnx --model-repository DIR`: import, load, verify, measure."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tui.cli import (
    UsageError,
    add_server_flags,
    attach_local_repository,
    server_from_args,
    validate_server_flags,
)
from tui.core.bench.engine import BenchConfig, run_sweep
from tui.core.bench.ranges import RangeError, check_window, parse_range
from tui.core.server.client import TritonError, TritonHTTP
from tui.core.server.docker_server import DockerServer
from tui.core.server.launcher import LaunchError, ServerProcess
from tui.core.server.serverspec import find_metrics_url
from tui.core.workflows.deploy import (
    DeployError,
    apply_import,
    load,
    plan_import,
    python_plan,
    remove_failed,
)
from tui.core.workflows.verify import verify


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "deploy",
        help="import a trained model into a repository, load it, verify it, measure it",
        description="Import MODEL (an .onnx file; other files get a python-backend skeleton) as "
        "<repo>/<name>/1/, generate its config.pbtxt, load it, compare Triton's outputs "
        "with onnxruntime's, and run a short concurrency sweep with first advice.",
    )
    parser.add_argument("model", type=Path, help="the trained model file (copied, never moved)")
    parser.add_argument("--name", help="model name in the repository (default: file stem)")
    parser.add_argument("-y", "--yes", action="store_true", help="write without asking")
    parser.add_argument("--force", action="store_true", help="overwrite an existing model")
    parser.add_argument("--python", action="store_true", help="python-backend skeleton")
    parser.add_argument("--no-measure", action="store_true", help="stop after verifying")
    parser.add_argument("--concurrency-range", default="1:4:1", help="measure step's range")
    parser.add_argument("-p", "--measurement-interval", type=int, default=1000, metavar="MS")
    parser.add_argument("--atol", type=float, default=1e-4)
    parser.add_argument("--rtol", type=float, default=1e-3)
    add_server_flags(parser)
    parser.set_defaults(func=run)


def _say(step: str, text: str) -> None:
    print(f"[{step}] {text}", flush=True)


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    try:
        attach_local_repository(args)  # -u with --model-repository: deploy into its repository
        validate_server_flags(args)
        if args.name is not None and not args.name.strip():
            raise UsageError(f"--name {args.name!r}: a model name cannot be empty")
        # the measure step's flags, refused before anything is written or sent
        parse_range(args.concurrency_range)
        check_window(args.measurement_interval, f"-p {args.measurement_interval}: the window")
    except (UsageError, RangeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    repos = args.local_repository or args.model_repository or []
    if len(repos) != 1:
        print(
            "error: deploy needs exactly one --model-repository DIR (with -u: the attached "
            "server's repository on this machine)",
            file=sys.stderr,
        )
        return 3
    repo = Path(repos[0]).expanduser().resolve()
    try:
        plan = plan_import(args.model, repo, args.name)
        if args.python and plan.kind != "python":
            plan = python_plan(args.model.expanduser(), repo, plan.name)
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _say("import", f"{plan.source} → {plan.model_file}")
    for location in plan.external:
        _say("import", f"external data {location} → {plan.model_file.parent / location}")
    print(plan.config_text, end="" if plan.config_text.endswith("\n") else "\n")
    if not args.yes and not _confirm(f"write {plan.model_dir}?"):
        print("nothing written (pass --yes to write without asking)", file=sys.stderr)
        return 3 if not sys.stdin.isatty() else 1
    try:
        result = apply_import(plan, overwrite=args.force)
    except (DeployError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _say("import", f"wrote {', '.join(str(p.relative_to(repo)) for p in result.created)}")
    for backup in result.backups:
        _say("import", f"the replaced file is kept as {backup.relative_to(repo)}")

    server: ServerProcess | DockerServer | None = None
    try:
        if args.url:
            client = TritonHTTP(args.url)
            errors = None
        else:
            server = server_from_args(args)
            server.start()
            server.wait_ready(args.startup_timeout)
            client, errors = TritonHTTP(server.http_url), server.errors
        loaded = load(client, plan.name, errors)
        _say("load", loaded.message)
        if not loaded.ok:
            print(f"cause: {loaded.cause}", file=sys.stderr)
            _say("import", remove_failed(client, result))
            return 1
        if plan.kind != "onnx":
            _say("verify", "skipped: python backend skeleton (nothing to compare against)")
            return 0
        report = verify(
            client.url, plan.name, plan.model_file, plan.config_text, atol=args.atol, rtol=args.rtol
        )
        config_path = plan.model_dir / "config.pbtxt"
        for problem in report.problems:
            where = f"{config_path}:{problem.line}:{problem.col}: " if problem.line else ""
            _say("verify", f"{where}{problem.message}")
        for out in report.outputs:
            verdict = "ok" if out.ok else "MISMATCH"
            _say(
                "verify",
                f"{out.name}: max abs diff {out.max_abs:.3g}, max rel diff "
                f"{out.max_rel:.3g} ({verdict}) {out.note}".rstrip(),
            )
        if not report.ok:
            return 1
        _say("verify", f"Triton matches onnxruntime within atol {args.atol:g}, rtol {args.rtol:g}")
        if args.no_measure:
            return 0
        return _measure(client, plan.name, args, server)
    except (LaunchError, TritonError, RangeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()


def _measure(
    client: TritonHTTP,
    name: str,
    args: argparse.Namespace,
    server: ServerProcess | DockerServer | None,
) -> int:
    from tui.core.workflows.advice import advise

    metrics_url = server.metrics_url if server else args.metrics_url or find_metrics_url(args.url)
    config = BenchConfig(
        model=name,
        url=client.url,
        metrics_url=metrics_url,
        concurrency=parse_range(args.concurrency_range),
        window_ms=args.measurement_interval,
        stability_pct=25.0,
        max_trials=6,
    )
    result = run_sweep(config)
    for level in result.levels:
        _say(
            "measure",
            f"concurrency {level.value:g}: {level.throughput:.1f} infer/s, "
            f"p50 {level.latency.percentiles_ns[50] / 1000:.0f} µs, "
            f"p99 {level.latency.percentiles_ns[99] / 1000:.0f} µs",
        )
    if result.status == "unstable":  # the model is deployed and verified: only the figures wobble
        _say("measure", f"unstable: {result.message} (the deploy itself succeeded)")
    elif result.status not in ("ok", "threshold") or not result.levels:
        _say("measure", f"failed: {result.message}")
        return 1
    for advice in advise(result, client.model_config(name)):
        _say("advice", f"{advice.title}: {advice.reason}")
        print(advice.snippet)
    return 0
