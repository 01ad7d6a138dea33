"""`triton-tui infer -m MODEL`: one request to a loaded model, its outputs, and the same request
as curl and tritonclient Python (the recipe is tui.core.workflows.infer; the infer screen
renders it)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tui.commands.flags import add_server_flags, server_options
from tui.core.bench.inputs import InputError, parse_shapes
from tui.core.server.client import TritonError, TritonHTTP, split_url
from tui.core.server.endpoints import UsageError
from tui.core.server.launcher import LaunchError
from tui.core.server.options import ServerOptions
from tui.core.server.session import open_session
from tui.core.util import image
from tui.core.workflows import infer, infer_report

FAILED = 99  # as bench (perf_analyzer's GENERIC_ERROR)
BAD_FLAGS = 3


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "infer",
        help="send one request to a loaded model and show its outputs, with curl and Python",
        description="Build a request from MODEL's metadata (random, zeros, a constant, a "
        "perf_analyzer --input-data file or an --image-file), send it once, and describe every "
        "output: shape, dtype, min/max/mean, NaN/Inf counts, top-k of a classification-shaped "
        "output, BYTES as text. Prints the same request as a curl command and a tritonclient "
        "snippet. Exit 0 answered, 99 failed, 3 bad flags.",
    )
    add_request_flags(parser)
    fill = parser.add_mutually_exclusive_group()
    fill.add_argument("--random", action="store_true", help="random inputs (default)")
    fill.add_argument("--zero", action="store_true", help="every input all zeros")
    fill.add_argument("--constant", metavar="VALUE", help="every element VALUE (text for BYTES)")
    parser.add_argument("-b", "--batch-size", type=int, default=1, metavar="N")
    parser.add_argument("-i", "--protocol", choices=("http", "grpc"), default="http")
    parser.add_argument(
        "--grpc-url", metavar="HOST:PORT", help="with -u and -i grpc (default: host:8001)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    parser.set_defaults(func=run)


def add_request_flags(parser: argparse.ArgumentParser) -> None:
    """Flags infer and verify share: the model, its input data, sizes of open dims, --json."""
    parser.add_argument("-m", "--model", required=True, metavar="MODEL", help="a loaded model")
    parser.add_argument(
        "--input-data", type=Path, metavar="FILE", help="perf_analyzer JSON data (first entry)"
    )
    parser.add_argument(
        "--image-file",
        type=Path,
        metavar="FILE",
        help=f"an image ({image.FORMATS}) for the inputs shaped like an image ([3,H,W] CHW or "
        "[H,W,3] HWC, optional batch dim): resized bilinearly to H×W (-1: its own size), RGB",
    )
    parser.add_argument(
        "--image-scale",
        choices=image.SCALES,
        default="unit",
        help="float image inputs: unit = [0,1] (default), raw = 0..255, imagenet = [0,1] then "
        "ImageNet mean/std; integer inputs always take 0..255",
    )
    parser.add_argument(
        "--shape",
        action="append",
        metavar="NAME:d1,d2",
        help="size of an input's variable (-1) dims, as perf_analyzer (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    add_server_flags(parser)


@contextlib.contextmanager
def served(
    options: ServerOptions, grpc_url: str | None = None
) -> Iterator[tuple[TritonHTTP, str, Path | None]]:
    """(client, gRPC URL, repository on this machine or None) for -u or --model-repository;
    a launched server is stopped on the way out. LaunchError when it cannot start."""
    repos = options.local_repositories or options.model_repositories
    repo = Path(repos[0]).expanduser() if len(repos) == 1 else None
    with open_session(options) as session:
        if session.server is not None:
            grpc_url = session.server.grpc_url
        elif grpc_url is None:
            assert options.url is not None
            grpc_url = f"{split_url(options.url, 8000)[0]}:8001"
        yield session.client, grpc_url, repo


def check_flags(args: argparse.Namespace) -> tuple[ServerOptions | None, str | None]:
    """The server options, and the reason the flags are wrong (or None)."""
    try:
        options = server_options(args, local_repository=True)
    except UsageError as exc:
        return None, str(exc)
    if bool(options.url) == bool(options.model_repositories):
        return (
            options,
            "give -u HOST:PORT (a running server) or --model-repository DIR (launch one)",
        )
    if args.input_data is not None and not args.input_data.is_file():
        return options, f"--input-data {args.input_data}: no such file"
    if args.input_data is not None and getattr(args, "random", False):
        return options, "--input-data and --random cannot be combined"
    if args.image_file is not None:
        if args.input_data is not None:
            return options, "--input-data and --image-file cannot be combined"
        if getattr(args, "zero", False) or getattr(args, "constant", None) is not None:
            return options, "--image-file fills the image inputs and the others with random " + (
                "values: no --zero or --constant with it"
            )
        try:
            image.read_image(args.image_file)
        except image.ImageError as exc:
            return options, str(exc)
    return options, None


def options_from(args: argparse.Namespace) -> infer.InferOptions:
    """InferOptions from the flags (InputError on a bad --shape)."""
    fill, constant = "random", "1"
    if args.input_data is not None:
        fill = "file"
    elif args.image_file is not None:
        fill = "image"
    elif getattr(args, "zero", False):
        fill = "zero"
    elif getattr(args, "constant", None) is not None:
        fill, constant = "constant", args.constant
    return infer.InferOptions(
        model=args.model,
        fill=fill,
        constant=constant,
        data_file=args.input_data,
        image_file=args.image_file,
        image_scale=args.image_scale,
        batch_size=getattr(args, "batch_size", 1),
        shapes=parse_shapes(args.shape),
        protocol=getattr(args, "protocol", "http"),
        seed=getattr(args, "seed", 0),
    )


def request_options(
    args: argparse.Namespace, problem: str | None = None
) -> tuple[infer.InferOptions, ServerOptions] | None:
    """The request's options and the server's from the flags of infer and verify, or None once
    the first problem (`problem`, a command's own, else the shared flags') is printed."""
    server, flag_problem = check_flags(args)
    problem = problem or flag_problem
    try:
        options = options_from(args)
    except InputError as exc:
        problem = problem or str(exc)
    if problem or server is None:
        print(f"error: {problem}", file=sys.stderr)
        return None
    return options, server


def run(args: argparse.Namespace) -> int:
    asked = request_options(args)
    if asked is None:
        return BAD_FLAGS
    options, server = asked
    try:
        with served(server, args.grpc_url) as (client, grpc_url, repo):
            result = infer.run(client, options, grpc_url)
            config = client.model_config(args.model)
            url = client.url
    except infer.NoImageInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_FLAGS
    except (TritonError, InputError, LaunchError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return FAILED
    if args.json:
        record = infer_report.result_json(result)
        print(json.dumps(record))
        return 0
    try:
        request_file: Path | None = infer_report.keep_request(result.request)
    except OSError as exc:
        print(f"note: the request could not be kept for curl: {exc}", file=sys.stderr)
        request_file = None
    model_dir = repo / args.model if repo is not None else None
    lines = infer_report.result_lines(result, config, model_dir)
    lines += infer_report.copy_lines(url, args.model, request_file)
    print("\n".join(lines))
    return 0
