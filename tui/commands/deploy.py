"""`triton-tui deploy MODEL.onnx --model-repository DIR`: import, load, verify, measure."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.commands.flags import add_server_flags, server_options
from tui.core.bench.ranges import RangeError
from tui.core.server.client import TritonError
from tui.core.server.endpoints import UsageError
from tui.core.server.launcher import LaunchError
from tui.core.server.session import open_session
from tui.core.workflows.deploy import (
    DeployError,
    ImportPlan,
    apply_import,
    plan_import,
    python_plan,
)
from tui.core.workflows.deploy_flow import (
    DeployEvent,
    DeploySettings,
    LevelMeasured,
    Loaded,
    Measured,
    Verified,
    measured_ok,
    run_deploy,
)
from tui.core.workflows.verify import VerifyReport


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
    defaults = DeploySettings()
    parser.add_argument(
        "--concurrency-range", default=defaults.concurrency_range, help="measure step's range"
    )
    parser.add_argument(
        "-p",
        "--measurement-interval",
        type=int,
        default=defaults.measurement_interval,
        metavar="MS",
    )
    parser.add_argument("--atol", type=float, default=defaults.atol)
    parser.add_argument("--rtol", type=float, default=defaults.rtol)
    add_server_flags(parser)
    parser.set_defaults(func=run)


def _say(step: str, text: str) -> None:
    print(f"[{step}] {text}", flush=True)


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    settings = DeploySettings(
        concurrency_range=args.concurrency_range,
        measurement_interval=args.measurement_interval,
        atol=args.atol,
        rtol=args.rtol,
        measure=not args.no_measure,
    )
    try:
        # -u with --model-repository: deploy into its repository
        options = server_options(args, local_repository=True)
        if args.name is not None and not args.name.strip():
            raise UsageError(f"--name {args.name!r}: a model name cannot be empty")
        settings.check()  # the measure step's flags, refused before anything is written or sent
    except (UsageError, RangeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    repos = options.local_repositories or options.model_repositories
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
    try:
        with open_session(options) as session:
            outcome = run_deploy(result, session, settings, _printer(plan, settings))
    except (LaunchError, TritonError, RangeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0 if outcome.ok else 1


def _printer(plan: ImportPlan, settings: DeploySettings) -> Callable[[DeployEvent], None]:
    """Each step's result as `[step] text` lines (failures' causes on stderr)."""

    def on_event(event: DeployEvent) -> None:
        if isinstance(event, Loaded):
            _say("load", event.result.message)
            if not event.result.ok:
                print(f"cause: {event.result.cause}", file=sys.stderr)
                _say("import", event.removed)
        elif isinstance(event, Verified):
            _verified(event.report, plan, settings)
        elif isinstance(event, LevelMeasured):
            level = event.level
            _say(
                "measure",
                f"concurrency {level.value:g}: {level.throughput:.1f} infer/s, "
                f"p50 {level.latency.percentiles_ns[50] / 1000:.0f} µs, "
                f"p99 {level.latency.percentiles_ns[99] / 1000:.0f} µs",
            )
        elif isinstance(event, Measured):
            _measured(event)

    return on_event


def _verified(report: VerifyReport | None, plan: ImportPlan, settings: DeploySettings) -> None:
    if report is None:
        _say("verify", "skipped: python backend skeleton (nothing to compare against)")
        return
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
    if report.ok:
        _say(
            "verify",
            f"Triton matches onnxruntime within atol {settings.atol:g}, rtol {settings.rtol:g}",
        )


def _measured(event: Measured) -> None:
    result = event.result
    if result.status == "unstable":  # the model is deployed and verified: only the figures wobble
        _say("measure", f"unstable: {result.message} (the deploy itself succeeded)")
    elif not measured_ok(result):
        _say("measure", f"failed: {result.message}")
        return
    if event.advice_error:
        print(f"error: {event.advice_error}", file=sys.stderr)
        return
    for advice in event.advice:
        _say("advice", f"{advice.title}: {advice.reason}")
        print(advice.snippet)
