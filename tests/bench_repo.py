"""A model repository for the benchmark tests: the demo's add_sub and cheap ONNX model, plus
an ensemble of two add_sub-like python models, add_sub with two versions and add_sub with the
response cache enabled (`CACHED`: cached only on a server launched with a cache, e.g.
`LaunchSpec(cache_size=CACHE_SIZE)`; the embedded server's wheel has the local cache library)
and an ensemble of that cached model, itself not cached (`CACHED_ENSEMBLE`).
Built from the demo copies, so it follows the demo models."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import FAST_ONNX_MODEL, copy_demo

# DenseNet's tensors (a 600 KB input) at a fraction of its cost: the figures compare the load
# generators, not the model, and stay quick on two cores.
ONNX_MODEL = FAST_ONNX_MODEL
ENSEMBLE = "add_sub_twice"
VERSIONED = "add_sub_versions"
CACHED = "add_sub_cached"
CACHED_ENSEMBLE = "add_sub_cached_twice"  # an ensemble (not cached itself) of CACHED twice
CACHE_SIZE = 1 << 20  # bytes: add_sub's responses under identical inputs need a few hundred

_ENSEMBLE_CONFIG = """name: "add_sub_twice"
platform: "ensemble"
max_batch_size: 8
input [
  { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] },
  { name: "INPUT1" data_type: TYPE_FP32 dims: [ 4 ] }
]
output [
  { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] },
  { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 4 ] }
]
ensemble_scheduling {
  step [
    {
      model_name: "add_sub_a"
      model_version: -1
      input_map { key: "INPUT0" value: "INPUT0" }
      input_map { key: "INPUT1" value: "INPUT1" }
      output_map { key: "OUTPUT0" value: "sum" }
      output_map { key: "OUTPUT1" value: "diff" }
    },
    {
      model_name: "add_sub_b"
      model_version: -1
      input_map { key: "INPUT0" value: "sum" }
      input_map { key: "INPUT1" value: "diff" }
      output_map { key: "OUTPUT0" value: "OUTPUT0" }
      output_map { key: "OUTPUT1" value: "OUTPUT1" }
    }
  ]
}
"""


def _clone(repo: Path, name: str, extra: str = "") -> Path:
    dest = repo / name
    shutil.copytree(repo / "add_sub", dest)
    config = dest / "config.pbtxt"
    text = config.read_text().replace('name: "add_sub"', f'name: "{name}"')
    config.write_text(text + extra)
    return dest


def build_bench_repo(dest: Path) -> Path:
    repo = copy_demo(dest, ("add_sub", ONNX_MODEL))
    _clone(repo, "add_sub_a")
    _clone(repo, "add_sub_b")
    (repo / ENSEMBLE / "1").mkdir(parents=True)
    (repo / ENSEMBLE / "config.pbtxt").write_text(_ENSEMBLE_CONFIG)
    versioned = _clone(repo, VERSIONED, "version_policy: { all { } }\n")
    shutil.copytree(versioned / "1", versioned / "2")
    _clone(repo, CACHED, "response_cache { enable: true }\n")
    (repo / CACHED_ENSEMBLE / "1").mkdir(parents=True)
    config = _ENSEMBLE_CONFIG.replace(f'"{ENSEMBLE}"', f'"{CACHED_ENSEMBLE}"')
    config = config.replace('"add_sub_a"', f'"{CACHED}"').replace('"add_sub_b"', f'"{CACHED}"')
    (repo / CACHED_ENSEMBLE / "config.pbtxt").write_text(config)
    add_sleepy(repo)
    return repo


SLEEPY = "sleepy"
SLEEP_MS = 20
_SLEEPY_CONFIG = """name: "sleepy"
backend: "python"
max_batch_size: 64
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
dynamic_batching { max_queue_delay_microseconds: 1000 }
instance_group [ { count: 1, kind: KIND_CPU } ]
"""
_SLEEPY_MODEL = '''"""sleepy: OUTPUT0 = INPUT0 after 20 ms per batch (many requests in flight)."""

import time

import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        time.sleep(0.020)
        return [
            pb_utils.InferenceResponse(
                output_tensors=[
                    pb_utils.Tensor(
                        "OUTPUT0", pb_utils.get_input_tensor_by_name(r, "INPUT0").as_numpy()
                    )
                ]
            )
            for r in requests
        ]
'''


def add_sleepy(repo: Path) -> None:
    """A model that answers after 20 ms, batching whatever arrived meanwhile."""
    (repo / SLEEPY / "1").mkdir(parents=True)
    (repo / SLEEPY / "config.pbtxt").write_text(_SLEEPY_CONFIG)
    (repo / SLEEPY / "1" / "model.py").write_text(_SLEEPY_MODEL)


SEQUENCE = "seq_accumulate"  # tests/models: a stateful python model (direct strategy)
SEQUENCE_OLDEST = "seq_accumulate_oldest"  # the same under the oldest strategy


def build_sequence_repo(dest: Path) -> Path:
    """The stateful test model, under both of the sequence batcher's strategies."""
    repo = copy_demo(dest, (SEQUENCE,))
    oldest = repo / SEQUENCE_OLDEST
    shutil.copytree(repo / SEQUENCE, oldest)
    config = oldest / "config.pbtxt"
    text = config.read_text().replace(f'name: "{SEQUENCE}"', f'name: "{SEQUENCE_OLDEST}"')
    config.write_text(text.replace("direct { }", "oldest { max_candidate_sequences: 8 }"))
    return repo
