"""Build the ONNX files of the demo repository and of the tests.

- `densenet_onnx/1/model.onnx`: DenseNet-121 in shape and cost (the real file cannot be downloaded
  here), with the seed's tensors (data_0 [1,3,224,224] -> prob_1 [1,1000,1,1], softmax
  probabilities) and deterministic random weights, so its outputs are not ImageNet classes. About
  8 M parameters (32 MB): generated when missing or built by an older builder (the builder's hash
  is kept in the file's metadata), never committed.
- `identity_onnx/1/model.onnx` (no config.pbtxt: the server fills it in) and the test-only
  `tests/models/densenet_standin/1/model.onnx` (DenseNet's inputs and outputs, a thousandth of its
  cost, for tests that need a fast ONNX model): tiny, committed, the same bytes on every run.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "assets" / "models"
TEST_MODELS = ROOT / "tests" / "models"
DENSENET_FILE = MODELS / "densenet_onnx" / "1" / "model.onnx"
OPSET = 17
IR_VERSION = 8

# DenseNet-121 (Huang et al. 2017): layers per dense block, growth rate k, stem width, bottleneck
# width factor (1x1 conv to 4k channels), classes; and the seed of its random weights.
DENSENET = {"blocks": (6, 12, 24, 16), "growth": 32, "stem": 64, "bottleneck": 4, "classes": 1000}
SEED = 121
BUILD_KEY = "triton_tui_build"
DENSENET_DOC = (
    "DenseNet-121 architecture with deterministic random weights (seed {seed}), built by "
    "triton-tui's tools/models.py: the cost of the real model, but its outputs are not "
    "ImageNet classes."
)


def _model(graph: onnx.GraphProto, doc: str = "") -> onnx.ModelProto:
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="triton-tui"
    )
    model.ir_version = IR_VERSION
    if doc:
        model.doc_string = doc
    onnx.checker.check_model(model)
    return model


def _io(name: str, shape: list) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


class _Graph:
    """Nodes and initializers of a convolutional network, weights drawn from one generator."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []

    def const(self, name: str, array: np.ndarray) -> str:
        self.weights.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def conv(self, x: str, name: str, cin: int, cout: int, k: int, stride: int = 1) -> str:
        """He-initialised convolution (keeps the activations' scale after a ReLU), no bias."""
        std = np.sqrt(2.0 / (cin * k * k))
        w = self.const(f"{name}_w", self.rng.standard_normal((cout, cin, k, k)) * std)
        pad = k // 2
        self.nodes.append(
            helper.make_node(
                "Conv", [x, w], [name], kernel_shape=[k, k], strides=[stride] * 2, pads=[pad] * 4
            )
        )
        return name

    def bn_relu(self, x: str, name: str, channels: int) -> str:
        """Batch normalisation with unit statistics (scale 1, shift 0, mean 0, variance 1)."""
        ones, zeros = np.ones(channels), np.zeros(channels)
        params = [
            self.const(f"{name}_{p}", v)
            for p, v in (("scale", ones), ("shift", zeros), ("mean", zeros), ("var", ones))
        ]
        self.nodes.append(helper.make_node("BatchNormalization", [x, *params], [f"{name}_bn"]))
        self.nodes.append(helper.make_node("Relu", [f"{name}_bn"], [f"{name}_relu"]))
        return f"{name}_relu"

    def pool(self, op: str, x: str, name: str, k: int, stride: int, pad: int = 0) -> str:
        self.nodes.append(
            helper.make_node(
                op, [x], [name], kernel_shape=[k, k], strides=[stride] * 2, pads=[pad] * 4
            )
        )
        return name


def densenet121(seed: int = SEED) -> onnx.ModelProto:
    """Stem conv7x7/2 + BN-ReLU + maxpool 3x3/2; dense blocks of BN-ReLU-Conv1x1(4k)-BN-ReLU-
    Conv3x3(k) layers whose outputs are concatenated; transitions BN-ReLU-Conv1x1 (half the
    channels) + avgpool 2x2/2; final BN-ReLU, global average pooling, 1x1 conv classifier, softmax.
    """
    g = _Graph(seed)
    k, width = DENSENET["growth"], DENSENET["bottleneck"] * DENSENET["growth"]
    channels = DENSENET["stem"]
    x = g.conv("data_0", "conv0", 3, channels, 7, stride=2)
    x = g.bn_relu(x, "conv0", channels)
    x = g.pool("MaxPool", x, "pool0", 3, 2, pad=1)
    blocks = DENSENET["blocks"]
    for b, layers in enumerate(blocks, start=1):
        for i in range(1, layers + 1):
            name = f"block{b}_layer{i}"
            y = g.bn_relu(x, f"{name}_1", channels)
            y = g.conv(y, f"{name}_conv1", channels, width, 1)
            y = g.bn_relu(y, f"{name}_2", width)
            y = g.conv(y, f"{name}_conv2", width, k, 3)
            g.nodes.append(helper.make_node("Concat", [x, y], [f"{name}_out"], axis=1))
            x, channels = f"{name}_out", channels + k
        if b < len(blocks):
            name = f"transition{b}"
            x = g.bn_relu(x, name, channels)
            x = g.conv(x, f"{name}_conv", channels, channels // 2, 1)
            channels //= 2
            x = g.pool("AveragePool", x, f"{name}_pool", 2, 2)
    x = g.bn_relu(x, "final", channels)
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pool_final"]))
    classes = DENSENET["classes"]
    fc_w = g.const("fc_w", g.rng.standard_normal((classes, channels, 1, 1)) / np.sqrt(channels))
    fc_b = g.const("fc_b", np.zeros(classes))
    g.nodes.append(helper.make_node("Conv", ["pool_final", fc_w, fc_b], ["fc"]))
    g.nodes.append(helper.make_node("Softmax", ["fc"], ["prob_1"], axis=1))
    graph = helper.make_graph(
        g.nodes,
        "densenet121",
        [_io("data_0", [1, 3, 224, 224])],
        [_io("prob_1", [1, classes, 1, 1])],
        initializer=g.weights,
    )
    model = _model(graph, DENSENET_DOC.format(seed=seed))
    helper.set_model_props(model, {BUILD_KEY: builder_hash()})
    return model


def densenet_standin() -> onnx.ModelProto:
    """DenseNet's inputs and outputs at ~1.4 MFLOPs: one strided 8-channel conv and a Gemm."""
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
        [_io("data_0", [1, 3, 224, 224])],
        [_io("prob_1", [1, 1000, 1, 1])],
        initializer=[conv_w, fc_w, fc_b, shape],
    )
    return _model(graph)


def identity() -> onnx.ModelProto:
    graph = helper.make_graph(
        [helper.make_node("Identity", ["INPUT0"], ["OUTPUT0"])],
        "identity",
        [_io("INPUT0", ["batch", 16])],
        [_io("OUTPUT0", ["batch", 16])],
    )
    return _model(graph)


@dataclass(frozen=True)
class Cost:
    weights: int  # every float in the initializers
    bn_stats: int  # of which batch-norm running means and variances (not learnt)
    macs: int  # multiply-accumulates of the Conv and Gemm nodes for one inference

    @property
    def learnable(self) -> int:
        return self.weights - self.bn_stats


def model_cost(model: onnx.ModelProto) -> Cost:
    """Count parameters and MACs from the graph, with shapes from ONNX shape inference."""
    graph = onnx.shape_inference.infer_shapes(model).graph
    shapes = {
        v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in [*graph.value_info, *graph.input, *graph.output]
    }
    shapes.update({t.name: list(t.dims) for t in graph.initializer})
    weights = sum(
        int(np.prod(t.dims)) for t in graph.initializer if t.data_type == TensorProto.FLOAT
    )
    bn_stats = macs = 0
    for node in graph.node:
        out = int(np.prod(shapes[node.output[0]]))
        if node.op_type == "Conv":  # each output element: C_in/groups * kH * kW products
            macs += out * int(np.prod(shapes[node.input[1]][1:]))
        elif node.op_type == "Gemm":  # [M, K] x [K, N]
            trans_a = any(a.name == "transA" and a.i for a in node.attribute)
            macs += out * shapes[node.input[0]][0 if trans_a else 1]
        elif node.op_type == "BatchNormalization":
            bn_stats += sum(int(np.prod(shapes[name])) for name in node.input[3:5])
    return Cost(weights, bn_stats, macs)


def committed_files() -> dict[Path, bytes]:
    """The small ONNX files kept in git, by path, as this builder makes them."""
    return {
        MODELS / "identity_onnx/1/model.onnx": identity().SerializeToString(),
        TEST_MODELS / "densenet_standin/1/model.onnx": densenet_standin().SerializeToString(),
    }


def builder_hash() -> str:
    """Changes whenever this file does (architecture, seed, opset, code)."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # two builds at once stay apart
    tmp.write_bytes(data)
    os.replace(tmp, path)


def densenet_is_current(path: Path = DENSENET_FILE) -> bool:
    if not path.is_file():
        return False
    try:
        model = onnx.load(str(path))
    except Exception:  # noqa: BLE001 - a truncated or foreign file is rebuilt
        return False
    props = {p.key: p.value for p in model.metadata_props}
    return props.get(BUILD_KEY) == builder_hash()


def ensure_densenet(path: Path = DENSENET_FILE) -> bool:
    """Generate the DenseNet-121 file unless an up-to-date one is there; True when written."""
    if densenet_is_current(path):
        return False
    _write(path, densenet121().SerializeToString())
    return True


def build(committed: bool = True) -> list[Path]:
    """Generate DenseNet when needed and (with `committed`) rewrite the committed files that
    differ from what this builder makes; the paths written."""
    written = [p for p, data in committed_files().items() if _update(p, data)] if committed else []
    if ensure_densenet():
        written.append(DENSENET_FILE)
    return written


def _update(path: Path, data: bytes) -> bool:
    if path.is_file() and path.read_bytes() == data:
        return False
    _write(path, data)
    return True


def main(argv: list[str]) -> None:
    """--densenet: only generate DenseNet-121 when missing or stale (`just setup`); without it,
    also rewrite the committed files (`just models`: they must come out unchanged)."""
    for path in build(committed=argv != ["--densenet"]):
        print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
