"""Models for tuning tests and the tune benchmark (built on demand, deterministic).

`fixed_cost_onnx` costs about the same per execution whatever the batch size: a few matrix
products that depend on the input only through a sum, multiplied by zero before being added to
the input (so OUTPUT0 = INPUT0). That is the case where dynamic batching pays, by a margin larger
than a shared machine's noise. Its config.pbtxt allows batching but leaves the dynamic batcher
off: the default a tune should beat.
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
