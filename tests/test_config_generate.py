"""Generating config.pbtxt from ONNX models built here with onnx.helper, and the snippets."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from tui.cli import main
from tui.core.modelconfig import (
    GenerateError,
    backup_path,
    generate_config,
    lint_model_dir,
    lint_text,
    parse_config,
)
from tui.core.modelconfig import snippets as sn


def save_model(folder: Path, inputs: list, outputs: list, nodes: list, inits: list = ()) -> Path:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    (folder / "1").mkdir(parents=True, exist_ok=True)
    path = folder / "1" / "model.onnx"
    onnx.save(model, str(path))
    return path


@pytest.fixture
def fixed_model(tmp_path: Path) -> Path:
    folder = tmp_path / "fixed"
    save_model(
        folder,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4])],
        [helper.make_node("Relu", ["x"], ["y"])],
    )
    return folder


@pytest.fixture
def dynamic_model(tmp_path: Path) -> Path:
    folder = tmp_path / "dynamic"
    weight = helper.make_tensor("w", TensorProto.FLOAT, [3], [1.0, 2.0, 3.0])
    save_model(
        folder,
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3]),
            helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch"]),
            helper.make_tensor_value_info("w", TensorProto.FLOAT, [3]),  # an initializer
        ],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3]),
            helper.make_tensor_value_info("ids_out", TensorProto.INT64, ["batch"]),
        ],
        [
            helper.make_node("Mul", ["x", "w"], ["y"]),
            helper.make_node("Identity", ["ids"], ["ids_out"]),
        ],
        [weight],
    )
    return folder


def test_fixed_shape_model(fixed_model: Path) -> None:
    text = generate_config(fixed_model)
    config = parse_config(text).config
    assert config is not None
    assert (config.name, config.backend, config.max_batch_size) == ("fixed", "onnxruntime", 0)
    assert [(i.name, list(i.dims)) for i in config.input] == [("x", [1, 3, 4])]
    assert [(o.name, list(o.dims)) for o in config.output] == [("y", [1, 3, 4])]
    assert "dims: [ 1, 3, 4 ]" in text
    (fixed_model / "config.pbtxt").write_text(text)
    assert lint_model_dir(fixed_model) == []


def test_dynamic_first_dim_batches(dynamic_model: Path) -> None:
    text = generate_config(dynamic_model, dynamic_batching=True)
    config = parse_config(text).config
    assert config is not None
    assert config.max_batch_size == 4
    assert config.HasField("dynamic_batching")
    inputs = {i.name: i for i in config.input}
    assert set(inputs) == {"x", "ids"}  # the initializer is not an input
    assert list(inputs["x"].dims) == [3]
    assert inputs["x"].data_type == config.input[0].data_type == 11  # TYPE_FP32
    assert list(inputs["ids"].dims) == [1] and inputs["ids"].HasField("reshape")
    assert inputs["ids"].data_type == 9  # TYPE_INT64
    (dynamic_model / "config.pbtxt").write_text(text)
    assert lint_model_dir(dynamic_model) == []


def test_no_batching_when_asked_or_when_one_tensor_is_fixed(
    dynamic_model: Path, tmp_path: Path
) -> None:
    config = parse_config(generate_config(dynamic_model, max_batch_size=0)).config
    assert config is not None and config.max_batch_size == 0
    assert list(config.input[0].dims) == [-1, 3]
    mixed = tmp_path / "mixed"
    save_model(
        mixed,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 2])],
        [helper.make_tensor_value_info("s", TensorProto.FLOAT, [1])],
        [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0)],
    )
    config = parse_config(generate_config(mixed)).config
    assert config is not None and config.max_batch_size == 0
    assert list(config.input[0].dims) == [-1, 2]


def test_missing_model_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GenerateError, match="no model.onnx"):
        generate_config(tmp_path)


def test_cli_generate_prints_and_writes(
    fixed_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "generate", str(fixed_model)]) == 0
    printed = capsys.readouterr().out
    assert printed == generate_config(fixed_model)
    assert main(["config", "generate", str(fixed_model), "--write"]) == 0
    target = fixed_model / "config.pbtxt"
    assert target.read_text() == printed
    target.write_text("# mine\n" + printed)
    assert main(["config", "generate", str(fixed_model), "--write"]) == 1
    assert "--force" in capsys.readouterr().err
    assert target.read_text().startswith("# mine")
    assert main(["config", "generate", str(fixed_model), "--write", "--force"]) == 0
    assert target.read_text() == printed
    assert backup_path(target).read_text().startswith("# mine")
    assert main(["config", "generate", str(fixed_model), "--force"]) == 3


# ------------------------------------------------------------------ snippets


def test_every_snippet_merges_into_a_config_that_stays_valid(dynamic_model: Path) -> None:
    base = generate_config(dynamic_model)
    model = parse_config(base).config
    assert model is not None
    for title, make in sn.SNIPPETS.items():
        text = base + make(model)
        found = [d.message for d in lint_text(text) if d.is_error]
        assert found == [], (title, found)


def test_warmup_has_one_sample_per_input_with_concrete_dims(fixed_model: Path) -> None:
    model = parse_config(generate_config(fixed_model)).config
    assert model is not None
    model.input.add(name="tokens", data_type=13, dims=[-1])  # TYPE_STRING, variable
    config = parse_config(sn.model_warmup(model, "random")).config
    assert config is not None
    (warmup,) = config.model_warmup
    assert set(warmup.inputs) == {"x", "tokens"}
    assert list(warmup.inputs["x"].dims) == [1, 3, 4] and warmup.inputs["x"].random_data
    assert list(warmup.inputs["tokens"].dims) == [1] and warmup.inputs["tokens"].zero_data


def test_snippet_arguments() -> None:
    assert "count: 2" in sn.instance_group("KIND_CPU", 2)
    assert "gpus: [ 0, 1 ]" in sn.instance_group("KIND_GPU", 1, [0, 1])
    assert "max_queue_delay_microseconds: 500" in sn.dynamic_batching(500)
    assert 'value: "FP16"' in sn.onnx_tensorrt()
    assert "versions: [ 1, 3 ]" in sn.version_policy("specific", versions=[1, 3])
    with pytest.raises(ValueError):
        sn.version_policy("newest")
    with pytest.raises(ValueError):
        sn.instance_group("KIND_TPU")
