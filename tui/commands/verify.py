"""`triton-tui verify -m MODEL`: Polygraphy's comparison for any loaded ONNX model: the same
inputs through Triton and through onnxruntime on the served model file
(tui.core.workflows.verify)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from tui.commands.infer import (
    BAD_FLAGS,
    FAILED,
    add_request_flags,
    request_options,
    served,
)
from tui.core.bench.inputs import InputError
from tui.core.server.client import TritonError
from tui.core.server.launcher import LaunchError
from tui.core.workflows.infer import NoImageInput
from tui.core.workflows.verify import ATOL, RTOL, ServedVerify, verdict_lines, verify_served


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="compare a loaded ONNX model's outputs on Triton with onnxruntime's (Polygraphy)",
        description="Send the same inputs through Triton and through onnxruntime on the model "
        "file the server serves, and compare every output within --atol/--rtol (Polygraphy's "
        "defaults, 1e-5 each: an element fails when it is over both). The config is checked "
        "against the model per tensor. With -u, give the server's repository on this machine "
        "with --model-repository. Exit 0 agree, 1 disagree, 99 could not run, 3 bad flags.",
    )
    add_request_flags(parser)
    parser.add_argument("--atol", type=float, default=ATOL, help=f"default {ATOL:g}")
    parser.add_argument("--rtol", type=float, default=RTOL, help=f"default {RTOL:g}")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    tolerances = args.atol >= 0 and args.rtol >= 0  # False for NaN too
    asked = request_options(args, None if tolerances else "--atol and --rtol must be 0 or more")
    if asked is None:
        return BAD_FLAGS
    options, server = asked
    try:
        with served(server) as (client, _grpc_url, repo):
            verdict = verify_served(client, options, repo, atol=args.atol, rtol=args.rtol)
    except NoImageInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_FLAGS
    except (TritonError, InputError, LaunchError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return FAILED
    if args.json:
        print(json.dumps(as_json(verdict)))
    else:
        print("\n".join(verdict_lines(verdict)))
    return verdict.exit_code


def as_json(verdict: ServedVerify) -> dict[str, Any]:
    report = verdict.report
    return {
        "model": verdict.model,
        "ok": bool(report and report.ok),
        "reason": verdict.reason,
        "steps": verdict.steps,
        "model_file": str(verdict.model_file or ""),
        "atol": report.atol if report else None,
        "rtol": report.rtol if report else None,
        "problems": [asdict(p) for p in report.problems] if report else [],
        "outputs": [
            {k: v for k, v in asdict(c).items() if k not in ("served", "direct")}
            | {"triton": c.served, "onnxruntime": c.direct}
            for c in (report.outputs if report else [])
        ],
    }
