"""Models for tuning tests and the tune benchmark (built on demand, deterministic).

`fixed_cost_onnx` costs about the same per execution whatever the batch size: a few matrix
products that depend on the input only through a sum, multiplied by zero before being added to
the input (so OUTPUT0 = INPUT0). That is the case where dynamic batching pays, by a margin larger
than a shared machine's noise. Its config.pbtxt allows batching but leaves the dynamic batcher
off: the default a tune should beat. `fixed_cost_batched` is the same model with the batcher
already on: at a fixed concurrency nothing the tuner tries (a larger max batch than the load ever
forms) changes it, so a tune must find nothing better beyond noise.

`sleepy_python` is a python-backend model that sleeps a fixed time per request and cannot batch:
the work is waiting, not CPU, so a second instance doubles its throughput even on a busy machine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FIXED_COST = "fixed_cost_onnx"
FIXED_COST_CONFIG = """name: "fixed_cost_onnx"
backend: "onnxruntime"
max_batch_size: 8
input [ { name: "INPUT0", data_type: TYPE_FP32, dims: [ 16 ] } ]
output [ { name: "OUTPUT0", data_type: TYPE_FP32, dims: [ 16 ] } ]
instance_group [ { count: 1, kind: KIND_CPU } ]
parameters { key: "intra_op_thread_count" value: { string_value: "1" } }
"""


def fixed_cost_model(n: int = 384, products: int = 3) -> onnx.ModelProto:
    rng = np.random.RandomState(0)
    weights = numpy_helper.from_array((rng.randn(n, n) * 0.01).astype(np.float32), "W")
    zero = numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero")
    nodes = [
        helper.make_node("ReduceSum", ["INPUT0"], ["s"], keepdims=0),
        helper.make_node("Mul", ["W", "s"], ["P0"]),
    ]
    for i in range(products):
        nodes.append(helper.make_node("MatMul", [f"P{i}", "W"], [f"P{i + 1}"]))
    nodes += [
        helper.make_node("ReduceSum", [f"P{products}"], ["r"], keepdims=0),
        helper.make_node("Mul", ["r", "zero"], ["r0"]),
        helper.make_node("Add", ["INPUT0", "r0"], ["OUTPUT0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "fixed_cost",
        [helper.make_tensor_value_info("INPUT0", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("OUTPUT0", TensorProto.FLOAT, ["batch", 16])],
        initializer=[weights, zero],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def add_fixed_cost_model(repo: Path) -> Path:
    folder = repo / FIXED_COST
    (folder / "1").mkdir(parents=True, exist_ok=True)
    (folder / "1" / "model.onnx").write_bytes(fixed_cost_model().SerializeToString())
    (folder / "config.pbtxt").write_text(FIXED_COST_CONFIG)
    return folder


FIXED_COST_BATCHED = "fixed_cost_batched"


def add_fixed_cost_batched_model(repo: Path) -> Path:
    """The fixed-cost model with dynamic batching already on (nothing left to gain)."""
    folder = repo / FIXED_COST_BATCHED
    (folder / "1").mkdir(parents=True, exist_ok=True)
    (folder / "1" / "model.onnx").write_bytes(fixed_cost_model().SerializeToString())
    text = FIXED_COST_CONFIG.replace(FIXED_COST, FIXED_COST_BATCHED)
    (folder / "config.pbtxt").write_text(text + "dynamic_batching { }\n")
    return folder


SLEEPY = "sleepy_python"
SLEEP_S = 0.025  # long beside the CPU a request costs on a busy machine
SLEEPY_CONFIG = """name: "sleepy_python"
backend: "python"
max_batch_size: 0
input [ { name: "INPUT0", data_type: TYPE_FP32, dims: [ 4 ] } ]
output [ { name: "OUTPUT0", data_type: TYPE_FP32, dims: [ 4 ] } ]
instance_group [ { count: 1, kind: KIND_CPU } ]
"""
SLEEPY_MODEL = """\"\"\"Sleeps a fixed time per request, then echoes its input.\"\"\"

import time

import triton_python_backend_utils as pb_utils

SLEEP_S = {sleep}


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            time.sleep(SLEEP_S)
            data = pb_utils.get_input_tensor_by_name(request, "INPUT0").as_numpy()
            out = pb_utils.Tensor("OUTPUT0", data)
            responses.append(pb_utils.InferenceResponse(output_tensors=[out]))
        return responses
"""


def add_sleepy_model(repo: Path, sleep_s: float = SLEEP_S) -> Path:
    folder = repo / SLEEPY
    (folder / "1").mkdir(parents=True, exist_ok=True)
    (folder / "1" / "model.py").write_text(SLEEPY_MODEL.format(sleep=float(sleep_s)))
    (folder / "config.pbtxt").write_text(SLEEPY_CONFIG)
    return folder


SLEEPY_ENSEMBLE = "sleepy_ensemble"
SLEEPY_ENSEMBLE_CONFIG = """name: "sleepy_ensemble"
platform: "ensemble"
max_batch_size: 0
input [ { name: "INPUT0", data_type: TYPE_FP32, dims: [ 4 ] } ]
output [ { name: "OUTPUT0", data_type: TYPE_FP32, dims: [ 4 ] } ]
ensemble_scheduling {
  step [
    {
      model_name: "sleepy_python"
      model_version: -1
      input_map { key: "INPUT0" value: "INPUT0" }
      output_map { key: "OUTPUT0" value: "OUTPUT0" }
    }
  ]
}
"""


def add_sleepy_ensemble(repo: Path) -> Path:
    """An ensemble of one step, the sleeping model (add it too): tuned through the ensemble."""
    folder = repo / SLEEPY_ENSEMBLE
    (folder / "1").mkdir(parents=True, exist_ok=True)
    (folder / "config.pbtxt").write_text(SLEEPY_ENSEMBLE_CONFIG)
    return folder
