"""Benchmark (not a test): `just bench-lint`.

Lint throughput on large generated config.pbtxt files (many inputs; many parameters; a long
comment), in MB/s, against an anchor measured in the same run on the same text: protobuf's own
`text_format.Parse` (pure Python), which lint used to call and still calls for whatever its fast
path leaves aside. `lint/parse` is lint's speed-up over that anchor; the time per MB at two sizes
shows it is linear. Times are CPU times of this process, so a shared machine's load counts less.
Target (issue 13): >= 5 MB/s, i.e. about twice text_format's speed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from google.protobuf import text_format  # noqa: E402
from tritonclient.grpc import model_config_pb2 as pb  # noqa: E402

from tui.core.modelconfig import lint_text  # noqa: E402

HEAD = 'name: "big"\nbackend: "onnxruntime"\nmax_batch_size: 8\n'
IO = 'input [{ name: "x" data_type: TYPE_FP32 dims: [ 1 ] }]\n'
OUT = 'output [{ name: "y" data_type: TYPE_FP32 dims: [ 1 ] }]\n'


def config(kind: str, megabytes: float) -> str:
    if kind == "inputs":
        one = '  {\n    name: "in%d"\n    data_type: TYPE_FP32\n    dims: [ 3, 224, 224 ]\n  }'
        n = int(megabytes * 1e6 / 75)
        return HEAD + "input [\n" + ",\n".join(one % i for i in range(n)) + "\n]\n" + OUT
    if kind == "parameters":
        one = 'parameters { key: "k%d" value { string_value: "v%d" } }\n'
        n = int(megabytes * 1e6 / 52)
        return HEAD + IO + OUT + "".join(one % (i, i) for i in range(n))
    return HEAD + IO + OUT + ("# " + "x" * 78 + "\n") * int(megabytes * 1e6 / 81)


def best_of(fn, repeat: int = 2) -> float:  # noqa: ANN001
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    slowest = float("inf")
    print(f"{'config':<11} {'MB':>5} {'lint MB/s':>10} {'parse MB/s':>11} {'lint/parse':>11}")
    for kind in ("inputs", "parameters", "comment"):
        for megabytes in (1.0, 5.0):
            text = config(kind, megabytes)
            size = len(text.encode()) / 1e6
            lint = best_of(lambda text=text: lint_text(text))
            parse = best_of(lambda text=text: text_format.Parse(text, pb.ModelConfig()))
            slowest = min(slowest, size / lint)
            print(
                f"{kind:<11} {size:5.1f} {size / lint:10.2f} {size / parse:11.2f} "
                f"{parse / lint:11.2f}"
            )
    verdict = "meets" if slowest >= 5 else "MISSES"
    print(f"slowest lint: {slowest:.2f} MB/s ({verdict} the 5 MB/s target)")


if __name__ == "__main__":
    main()
