"""`triton-tui config lint PATH...` and `triton-tui config generate MODEL_DIR`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.core import modelconfig
from tui.core.modelconfig.generate import DEFAULT_MAX_BATCH_SIZE
from tui.core.modelconfig.target import Target, local_gpus, local_target

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 3


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "config", help="lint or generate config.pbtxt", description=__doc__
    )
    sub = parser.add_subparsers(dest="config_command", metavar="{lint,generate}")
    sub.required = True

    lint = sub.add_parser(
        "lint",
        help="check config.pbtxt files with Triton's rules",
        description="Lint config.pbtxt files, model folders or repository folders. Prints "
        "path:line:col: message; exits 1 when any error is found.",
    )
    lint.add_argument("paths", nargs="+", metavar="PATH", help="config.pbtxt, model or repo dir")
    lint.add_argument(
        "--no-warnings", action="store_true", help="print errors only (layout warnings hidden)"
    )
    lint.add_argument(
        "--local",
        action="store_true",
        help="also check against the tritonserver this machine runs: backend and runtime "
        "against its backend directory, GPU ids against the GPUs present",
    )
    lint.add_argument(
        "--backend-directory",
        type=Path,
        metavar="DIR",
        help="check backend and runtime against DIR (GPU ids against this machine's GPUs)",
    )
    lint.set_defaults(func=run_lint)

    generate = sub.add_parser(
        "generate",
        help="write a config.pbtxt for an ONNX model",
        description="Print a config.pbtxt for the model.onnx in MODEL_DIR (or its version "
        "folders): inputs, outputs, data types, dims, and max_batch_size when the first "
        "dimension is dynamic everywhere.",
    )
    generate.add_argument("model_dir", metavar="MODEL_DIR")
    generate.add_argument(
        "--max-batch-size",
        type=int,
        default=DEFAULT_MAX_BATCH_SIZE,
        metavar="N",
        help=f"max_batch_size for a batching model (default {DEFAULT_MAX_BATCH_SIZE}; 0: never)",
    )
    generate.add_argument(
        "--dynamic-batching", action="store_true", help="add a dynamic_batching block"
    )
    generate.add_argument(
        "--write", action="store_true", help="write MODEL_DIR/config.pbtxt (atomically)"
    )
    generate.add_argument(
        "--force", action="store_true", help="with --write, replace an existing config"
    )
    generate.set_defaults(func=run_generate)


def _missing(path: str) -> bool:
    """No such path (one that cannot be looked at, without permission, is linted: it says so)."""
    try:
        Path(path).stat()
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def run_lint(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if _missing(p)]
    if missing:
        print(f"error: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    target = None
    if args.backend_directory is not None:
        if not args.backend_directory.is_dir():
            print(f"error: {args.backend_directory} is not a directory", file=sys.stderr)
            return EXIT_USAGE
        target = Target(args.backend_directory, local_gpus(), "this machine")
    elif args.local:
        target = local_target()
        if target is None:
            print("error: no tritonserver on this machine to check against", file=sys.stderr)
            return EXIT_USAGE
    failed = False
    for path in args.paths:
        for diagnostic in modelconfig.lint_path(path, target):
            if diagnostic.is_error:
                failed = True
            elif args.no_warnings:
                continue
            print(diagnostic.format())
    return EXIT_FINDINGS if failed else EXIT_OK


def run_generate(args: argparse.Namespace) -> int:
    model_dir = Path(args.model_dir)
    if not model_dir.is_dir():
        print(f"error: {model_dir} is not a directory", file=sys.stderr)
        return EXIT_USAGE
    if args.max_batch_size < 0:
        print("error: --max-batch-size must be >= 0", file=sys.stderr)
        return EXIT_USAGE
    if args.force and not args.write:
        print("error: --force only makes sense with --write", file=sys.stderr)
        return EXIT_USAGE
    try:
        text = modelconfig.generate_config(
            model_dir, max_batch_size=args.max_batch_size, dynamic_batching=args.dynamic_batching
        )
    except modelconfig.GenerateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    if not args.write:
        sys.stdout.write(text)
        return EXIT_OK
    target = model_dir / "config.pbtxt"
    if target.exists() and not args.force:
        print(f"error: {target} exists; use --force to replace it", file=sys.stderr)
        return EXIT_FINDINGS
    backup = modelconfig.backup_path(target)
    before = modelconfig.FileStamp.of(backup)
    try:
        modelconfig.save_config(target, text, repository_root=model_dir.resolve().parent)
    except (modelconfig.StoreError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    print(f"wrote {target}", file=sys.stderr)
    if modelconfig.FileStamp.of(backup) != before:
        oldest = modelconfig.backup_paths(target)[-1].name
        print(
            f"the previous version is kept as {backup} (older ones up to {oldest})",
            file=sys.stderr,
        )
    return EXIT_OK
