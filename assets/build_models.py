"""Build the demo repository's ONNX files, deterministically (same bytes on every run).

The real DenseNet weights cannot be downloaded here, so `densenet_onnx/1/model.onnx` is a small
stand-in network with DenseNet's exact inputs and outputs (data_0 [1,3,224,224] -> prob_1
[1,1000,1,1], softmax probabilities). `identity_onnx` has no config.pbtxt: the server fills it in.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MODELS = Path(__file__).resolve().parent / "models"
OPSET = 17
IR_VERSION = 8


def _model(graph: onnx.GraphProto) -> onnx.ModelProto:
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="triton-tui"
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def densenet_standin() -> onnx.ModelProto:
    rng = np.random.RandomState(0)
    conv_w = numpy_helper.from_array((rng.randn(8, 3, 3, 3) * 0.1).astype(np.float32), "conv_w")
    fc_w = numpy_helper.from_array((rng.randn(8, 1000) * 0.5).astype(np.float32), "fc_w")
    fc_b = numpy_helper.from_array((rng.randn(1000) * 0.1).astype(np.float32), "fc_b")
    shape = numpy_helper.from_array(np.array([1, 1000, 1, 1], dtype=np.int64), "out_shape")
    nodes = [
        helper.make_node("Conv", ["data_0", "conv_w"], ["conv"], strides=[4, 4]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("GlobalAveragePool", ["relu"], ["pool"]),
        helper.make_node("Flatten", ["pool"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["softmax"], axis=1),
        helper.make_node("Reshape", ["softmax", "out_shape"], ["prob_1"]),
    ]
    graph = helper.make_graph(
        nodes,
        "densenet_standin",
        [helper.make_tensor_value_info("data_0", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("prob_1", TensorProto.FLOAT, [1, 1000, 1, 1])],
        initializer=[conv_w, fc_w, fc_b, shape],
    )
    return _model(graph)


def identity() -> onnx.ModelProto:
    graph = helper.make_graph(
        [helper.make_node("Identity", ["INPUT0"], ["OUTPUT0"])],
        "identity",
        [helper.make_tensor_value_info("INPUT0", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("OUTPUT0", TensorProto.FLOAT, ["batch", 16])],
    )
    return _model(graph)


BUILDERS = {"densenet_onnx": densenet_standin, "identity_onnx": identity}


def build(root: Path = MODELS) -> list[Path]:
    written = []
    for name, builder in BUILDERS.items():
        path = root / name / "1" / "model.onnx"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = builder().SerializeToString()
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
            written.append(path)
    return written


if __name__ == "__main__":
    changed = build(Path(sys.argv[1]) if len(sys.argv) > 1 else MODELS)
    for path in changed:
        print(f"wrote {path}")
