"""The fast config parser gives exactly text_format's result, or steps aside.

Whatever the fast path accepts must equal `text_format.Parse` (the corpus, the benchmark's large
generated configs, and snippets built to trip it); whatever text_format refuses, the fast path
refuses too, so the error (Triton's wording, line and column) still comes from text_format.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as pb

from tests.test_config_corpus import CORPUS
from tui.core.modelconfig import fastparse
from tui.core.modelconfig.parse import parse_config

BENCH = Path(__file__).resolve().parents[1] / "assets" / "bench" / "lint.py"


def _bench_config():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("bench_lint", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.config


def _reference(text: str) -> pb.ModelConfig | None:
    config = pb.ModelConfig()
    try:
        text_format.Parse(text, config)
    except text_format.ParseError:
        return None
    return config


@pytest.mark.parametrize("kind", ["inputs", "parameters", "comment"])
def test_benchmark_configs_take_the_fast_path_and_equal_text_format(kind: str) -> None:
    text = _bench_config()(kind, 0.3)
    fast = fastparse.parse(text, pb.ModelConfig)  # raises Unsupported if it stepped aside
    assert fast == _reference(text)
    assert fast.SerializeToString(deterministic=True) == _reference(text).SerializeToString(
        deterministic=True
    )


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"model-config corpus not found at {CORPUS}")
def test_corpus_configs_equal_text_format() -> None:
    paths = sorted(CORPUS.glob("*/models/*/config.pbtxt"))
    assert paths
    for path in paths:
        text = path.read_text()
        expected = _reference(text)
        assert expected is not None, path
        assert fastparse.parse(text, pb.ModelConfig) == expected, path


# Each is valid text_format the fast path need not know; it must step aside or agree.
VALID = [
    'name: "a\\"b"',
    "name: 'single'",
    'name: "a" "b"',
    'name: "Modèle"',
    "max_batch_size: 0x10",
    "max_batch_size: 010",
    "max_batch_size: 8 ;",
    "input < name: 'x' >",
    'input: [ { name: "x" dims: [1, -1] }, { name: "y" } ]',
    "input { dims: [] }",
    "input { reshape { shape: [ ] } }",
    "input { data_type: 11 }",
    "input { allow_ragged_batch: t }",
    "input { allow_ragged_batch: True is_shape_tensor: false }",
    "instance_group [{ kind: KIND_GPU gpus: [0, 1] count: 2 }]",
    "dynamic_batching { max_queue_delay_microseconds: 100 }",
    "dynamic_batching {}",
    "model_warmup { batch_size: 1 }",
    'parameters { key: "k" value { string_value: "1" } } parameters { key: "k" value {} }',
    'parameters: { key: "k" value: { string_value: "v" } },',
    "optimization { cuda { graphs: true } priority: PRIORITY_MAX }",
    "sequence_batching { max_sequence_idle_microseconds: 5000000 }",
    "response_cache { enable: true }",
    "# only a comment",
    'name: "x" # a comment at the very end',
    "",
    "  \n\t ",
    "version_policy { specific { versions: [1, 2] } }",
    "input { dims: [ 3, 224, 224 ] }, output { dims: -1 };",
    "dynamic_batching { preferred_batch_size: [4, 8]\n"
    " default_queue_policy { timeout_action: DELAY } }",
    "max_batch_size: -0",
    'sequence_batching { control_input { name: "START" control {\n'
    "  kind: CONTROL_SEQUENCE_START fp32_false_true: [0, 1.5e0] } } }",
    "sequence_batching { control_input { control { fp32_false_true: [-.5, 1., 1e5, -inf] } } }",
    "instance_group [{ gpus: [-1] count: -1 }]",
]

# Each is refused by text_format.Parse; the fast path must step aside.
INVALID = [
    'name: "a" name: "b"',
    "max_batch_size: 1.5",
    "max_batch_size: 99999999999",
    "max_batch_size 8",
    "nope: 1",
    "input { dims: [1, 2,] }",
    "input { dims: [1 2] }",
    "input { dims: 1",
    "input { }}",
    "input { data_type: TYPE_NOPE }",
    "dynamic_batching {} sequence_batching {}",
    "dynamic_batching {} dynamic_batching {}",
    "version_policy { specific { versions: [1] } latest { num_versions: 1 } }",
    'name: "unterminated',
    'name: "x" }',
    "input { name: x }",
    'input [ name: "x" ]',
    "max_batch_size: [1]",
    'parameters { key: "k" key: "j" }',
    "input { allow_ragged_batch: yes }",
    'name: "a"\nbackend: "onnx" ,, ',
]


@pytest.mark.parametrize("text", VALID)
def test_fast_path_agrees_or_steps_aside(text: str) -> None:
    expected = _reference(text)
    assert expected is not None, "a VALID case text_format refuses"
    try:
        fast = fastparse.parse(text, pb.ModelConfig)
    except fastparse.Unsupported:
        return
    assert fast == expected
    assert fast.SerializeToString(deterministic=True) == expected.SerializeToString(
        deterministic=True
    )
    assert [f.name for f, _ in fast.ListFields()] == [f.name for f, _ in expected.ListFields()]


@pytest.mark.parametrize("text", INVALID)
def test_fast_path_refuses_what_text_format_refuses(text: str) -> None:
    assert _reference(text) is None, "an INVALID case text_format accepts"
    with pytest.raises(fastparse.Unsupported):
        fastparse.parse(text, pb.ModelConfig)
    result = parse_config(text)  # the error still comes from text_format, with its position
    assert result.config is None and result.diagnostics[0].line >= 1
