"""The demo's densenet_onnx: a DenseNet-121 in shape and cost, generated (and cached) at set-up."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from tests.conftest import DEMO, FAST_ONNX_MODEL, TEST_MODELS
from tools.models import (
    BUILD_KEY,
    DENSENET_FILE,
    densenet_is_current,
    ensure_densenet,
    model_cost,
)


def test_generated_model_has_densenet121_shape_and_cost() -> None:
    model = onnx.load(str(DENSENET_FILE))
    onnx.checker.check_model(model)
    cost = model_cost(model)
    assert cost.learnable == 7_978_856  # torchvision's densenet121, parameter for parameter
    assert 2.8e9 < cost.macs < 2.9e9  # published: ~2.87 GMACs
    assert 30e6 < DENSENET_FILE.stat().st_size < 34e6
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("Concat") == 6 + 12 + 24 + 16 and ops.count("AveragePool") == 3
    assert "random weights" in model.doc_string


def test_cost_counts_conv_and_gemm() -> None:
    standin = onnx.load(str(TEST_MODELS / FAST_ONNX_MODEL / "1" / "model.onnx"))
    cost = model_cost(standin)
    # Conv 8x3x3x3, stride 4, no padding: 8x56x56 outputs of 27 products; Gemm 8 -> 1000
    assert cost.macs == 8 * 56 * 56 * 27 + 8 * 1000
    assert cost.weights == cost.learnable == 8 * 27 + 8 * 1000 + 1000


def test_generated_model_matches_the_seed_config_and_outputs_a_distribution() -> None:
    session = ort.InferenceSession(str(DENSENET_FILE), providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert (inp.name, inp.shape, out.name, out.shape) == (
        "data_0",
        [1, 3, 224, 224],
        "prob_1",
        [1, 1000, 1, 1],
    )
    config = (DEMO / "densenet_onnx" / "config.pbtxt").read_text()
    assert "data_0" in config and "prob_1" in config and "dims: [ 1, 1000, 1, 1 ]" in config
    rng = np.random.default_rng(0)
    for data in (rng.random((1, 3, 224, 224), dtype=np.float32), np.zeros((1, 3, 224, 224))):
        prob = session.run(None, {"data_0": data.astype(np.float32)})[0]
        assert np.isfinite(prob).all() and (prob >= 0).all()
        assert abs(float(prob.sum()) - 1.0) < 1e-4
    assert prob.max() < 0.5  # random weights: no class dominates, but not uniform either
    assert prob.std() > 0


def test_generation_is_cached_and_redone_when_stale(tmp_path: Path) -> None:
    path = tmp_path / "1" / "model.onnx"
    path.parent.mkdir()
    shutil.copyfile(DENSENET_FILE, path)
    os.utime(path, ns=(1, 1))
    assert densenet_is_current(path)
    assert ensure_densenet(path) is False and path.stat().st_mtime_ns == 1  # left alone
    model = onnx.load(str(path))
    for prop in model.metadata_props:
        if prop.key == BUILD_KEY:
            prop.value = "an older builder"
    onnx.save(model, str(path))
    assert not densenet_is_current(path)
    assert ensure_densenet(path) is True
    assert path.read_bytes() == DENSENET_FILE.read_bytes()  # deterministic
    path.write_bytes(b"truncated")
    assert ensure_densenet(path) is True and densenet_is_current(path)
    path.unlink()
    assert ensure_densenet(path) is True and densenet_is_current(path)
