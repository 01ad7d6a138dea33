"""Models for the doctor's scenarios (tests/test_doctor_scenarios.py and `just bench-doctor`).

Each one is built to show one limit the doctor must name, on the embedded CPU server:

- `doc_sleepy`: a python model that sleeps 20 ms per request, one instance, no batching: at
  concurrency 8 requests queue for the one instance (queue_bound); a second instance halves it.
- `fixed_cost_onnx` (tune_models.py): a batch-capable model whose execution costs the same for
  any batch, batcher off (enable_dynamic_batching); `doc_fixed_db` is the same with the batcher
  on, measured at concurrency 1 (batches_not_forming).
- `doc_pipeline`: an ensemble of `doc_prep` (an identity) then `doc_slow_step` (sleeps 15 ms):
  the second step takes most of the time (ensemble_step).
- `doc_busy`: burns the CPU 8 ms per request, one instance: with every core already busy, more
  instances cannot help (host_cpu_saturated).
- `doc_cold`: its first request sleeps 0.8 s, the others answer at once (cold_start).
- `doc_healthy`: a small identity that answers in microseconds at concurrency 1: nothing to fix.

transfer_bound has no scenario here: the python backend's tensors of a size where moving them
outweighs computing (hundreds of KiB) come back chunked over HTTP, which the benchmark engine's
load generator does not read yet; its rule is tested on recorded evidence.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tools.tune_models import FIXED_COST, FIXED_COST_CONFIG, add_fixed_cost_model

_PYTHON_MODEL = '''"""{doc}"""

import json
import time

import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        params = json.loads(args["model_config"]).get("parameters", {{}})
        self.sleep_s = float(params.get("sleep_ms", {{}}).get("string_value", "0")) / 1000
        self.busy_s = float(params.get("busy_ms", {{}}).get("string_value", "0")) / 1000
        self.first_s = float(params.get("first_ms", {{}}).get("string_value", "0")) / 1000

    def execute(self, requests):
        responses = []
        for request in requests:
            if self.first_s:
                time.sleep(self.first_s)
                self.first_s = 0.0
            if self.sleep_s:
                time.sleep(self.sleep_s)
            if self.busy_s:
                end = time.process_time() + self.busy_s
                while time.process_time() < end:
                    pass
            x = pb_utils.get_input_tensor_by_name(request, "INPUT0").as_numpy()
            out = pb_utils.Tensor("OUTPUT0", x.copy())
            responses.append(pb_utils.InferenceResponse(output_tensors=[out]))
        return responses
'''

_CONFIG = """name: "{name}"
backend: "python"
max_batch_size: 0
input [ {{ name: "INPUT0", data_type: TYPE_FP32, dims: [ {dims} ] }} ]
output [ {{ name: "OUTPUT0", data_type: TYPE_FP32, dims: [ {dims} ] }} ]
instance_group [ {{ count: 1, kind: KIND_CPU }} ]
{params}"""

_ENSEMBLE = """name: "doc_pipeline"
platform: "ensemble"
max_batch_size: 0
input [ { name: "INPUT0", data_type: TYPE_FP32, dims: [ 4 ] } ]
output [ { name: "OUTPUT0", data_type: TYPE_FP32, dims: [ 4 ] } ]
ensemble_scheduling { step [
  { model_name: "doc_prep", model_version: -1,
    input_map { key: "INPUT0" value: "INPUT0" } output_map { key: "OUTPUT0" value: "mid" } },
  { model_name: "doc_slow_step", model_version: -1,
    input_map { key: "INPUT0" value: "mid" } output_map { key: "OUTPUT0" value: "OUTPUT0" } }
] }
"""

# name -> (dims, parameters, what it shows)
PYTHON_MODELS: dict[str, tuple[int, dict[str, str], str]] = {
    "doc_sleepy": (4, {"sleep_ms": "20"}, "sleeps 20 ms per request"),
    "doc_busy": (4, {"busy_ms": "8"}, "burns 8 ms of CPU per request"),
    "doc_cold": (4, {"first_ms": "800"}, "its first request takes 0.8 s"),
    "doc_prep": (4, {}, "an identity (the ensemble's first step)"),
    "doc_slow_step": (4, {"sleep_ms": "15"}, "sleeps 15 ms (the ensemble's second step)"),
    "doc_healthy": (4, {}, "a small identity"),
}
FIXED_DB = "doc_fixed_db"

# scenario model -> (concurrency, the finding expected on top, or "" for none)
SCENARIOS: dict[str, tuple[int, str]] = {
    "doc_sleepy": (8, "queue_bound"),
    FIXED_COST: (8, "enable_dynamic_batching"),
    FIXED_DB: (1, "batches_not_forming"),
    "doc_pipeline": (2, "ensemble_step"),
    "doc_busy": (4, "host_cpu_saturated"),  # with a CPU hog on every core
    "doc_cold": (1, "cold_start"),
    "doc_healthy": (1, ""),
}


def _params(values: dict[str, str]) -> str:
    return "".join(
        f'parameters {{ key: "{k}" value: {{ string_value: "{v}" }} }}\n' for k, v in values.items()
    )


def add_doctor_models(repo: Path) -> Path:
    """Write every scenario model into `repo` (created); returns it."""
    repo.mkdir(parents=True, exist_ok=True)
    for name, (dims, params, doc) in PYTHON_MODELS.items():
        folder = repo / name
        (folder / "1").mkdir(parents=True, exist_ok=True)
        (folder / "1" / "model.py").write_text(_PYTHON_MODEL.format(doc=f"{name}: {doc}."))
        (folder / "config.pbtxt").write_text(
            _CONFIG.format(name=name, dims=dims, params=_params(params))
        )
    (repo / "doc_pipeline" / "1").mkdir(parents=True, exist_ok=True)
    (repo / "doc_pipeline" / "config.pbtxt").write_text(_ENSEMBLE)
    fixed = add_fixed_cost_model(repo)
    batched = repo / FIXED_DB
    shutil.copytree(fixed, batched, dirs_exist_ok=True)
    (batched / "config.pbtxt").write_text(
        FIXED_COST_CONFIG.replace(FIXED_COST, FIXED_DB) + "dynamic_batching { }\n"
    )
    return repo
