"""Lint: syntax positions, Triton's rules in Triton's words, ensembles across models, the CLI,
and (hypothesis) no input ever crashes the linter."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.cli import main
from tui.core.modelconfig import (
    Diagnostic,
    config_diff,
    lint_model_dir,
    lint_repository,
    lint_text,
)

SIMPLE = """name: "simple"
backend: "identity"
max_batch_size: 8
input [
  {
    name: "INPUT0"
    data_type: TYPE_FP32
    dims: [ 16 ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_FP32
    dims: [ 16 ]
  }
]
"""

ENSEMBLE = """name: "pipeline"
platform: "ensemble"
max_batch_size: 8
input [ { name: "IN" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUT" data_type: TYPE_FP32 dims: [ 16 ] } ]
ensemble_scheduling {
  step [
    {
      model_name: "simple"
      model_version: -1
      input_map { key: "INPUT0" value: "IN" }
      output_map { key: "OUTPUT0" value: "OUT" }
    }
  ]
}
"""


def errors(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.message for d in diagnostics if d.is_error]


def write_model(repo: Path, name: str, text: str, versions: tuple[str, ...] = ("1",)) -> Path:
    folder = repo / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.pbtxt").write_text(text)
    for version in versions:
        (folder / version).mkdir(exist_ok=True)
    return folder


# ------------------------------------------------------------------ syntax and single-model rules


def test_syntax_error_has_line_and_column() -> None:
    found = lint_text('name: "m"\nbackend: "identity"\nmax_batch_size: "eight"\n')
    assert len(found) == 1
    assert (found[0].line, found[0].col, found[0].severity) == (3, 17, "error")
    assert "Couldn't parse integer" in found[0].message


def test_unknown_field_is_reported_where_it_is() -> None:
    found = lint_text('name: "m"\nbackend: "identity"\n  max_batchsize: 4\n')
    assert (found[0].line, found[0].col) == (3, 3)
    assert 'no field named "max_batchsize"' in found[0].message


def test_valid_config_is_clean() -> None:
    assert lint_text(SIMPLE) == []


@pytest.mark.parametrize(
    ("edit", "message", "line"),
    [
        (
            ("dims: [ 16 ]\n  }\n]\noutput", "dims: [ 0 ]\n  }\n]\noutput"),
            "model input 'INPUT0' dimension must be integer >= 1, or -1 to indicate a "
            "variable-size dimension for simple",
            8,
        ),
        (
            ("max_batch_size: 8", "max_batch_size: -1"),
            "'max_batch_size' must be non-negative value for simple",
            3,
        ),
        (
            ('backend: "identity"', 'backend: "onnxruntime"\nplatform: "tensorrt_plan"'),
            "unexpected 'platform' and 'backend' pair, got:tensorrt_plan, onnxruntime",
            3,
        ),
    ],
)
def test_rule_message_and_place(edit: tuple[str, str], message: str, line: int) -> None:
    found = lint_text(SIMPLE.replace(*edit))
    assert message in errors(found)
    assert next(d for d in found if d.message == message).line == line


def test_several_independent_errors_are_all_reported() -> None:
    text = SIMPLE.replace(
        "max_batch_size: 8", "max_batch_size: 2\ndynamic_batching { preferred_batch_size: [ 4 ] }"
    ).replace("dims: [ 16 ]", "dims: [ 0 ]")
    found = errors(lint_text(text))
    assert "dynamic batching preferred size must be <= max batch size for simple" in found
    assert any("model input 'INPUT0' dimension must be" in m for m in found)
    assert any("model output 'OUTPUT0' dimension must be" in m for m in found)


def test_reshape_rules() -> None:
    ok = SIMPLE.replace(
        "dims: [ 16 ]\n  }\n]\noutput",
        "dims: [ 2, 4, -1, 6 ]\n reshape: { shape: [ 8, -1, 1, 6 ] } }\n]\noutput",
    )
    assert errors(lint_text(ok)) == []
    bad = ok.replace("[ 8, -1, 1, 6 ]", "[ -1, 8, 6 ]")
    assert "model input 'INPUT0' has different size for dims and reshape for simple" in errors(
        lint_text(bad)
    )


def test_instance_group_names_are_normalised_like_triton() -> None:
    text = SIMPLE + "instance_group [ { kind: KIND_CPU gpus: [ 0 ] } ]\n"
    assert errors(lint_text(text)) == [
        "instance group simple_0 of model simple has kind KIND_CPU but specifies one or more GPUs"
    ]


def test_sequence_batching_controls() -> None:
    text = (
        SIMPLE
        + """sequence_batching {
  control_input [
    { name: "START" control [ { kind: CONTROL_SEQUENCE_START fp32_false_true: [ 0, 1 ] } ] },
    { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_FP32 } ] }
  ]
}
"""
    )
    assert errors(lint_text(text)) == [
        "unexpected data type for control CONTROL_SEQUENCE_CORRID for simple. Allowed data "
        "types are TYPE_UINT64, TYPE_INT64, TYPE_UINT32, TYPE_INT32 and TYPE_STRING"
    ]


def test_warmup_needs_concrete_dims() -> None:
    text = (
        SIMPLE
        + """model_warmup [ { name: "w" batch_size: 1 inputs { key: "INPUT0" value {
  data_type: TYPE_FP32 dims: [ -1 ] zero_data: true } } } ]
"""
    )
    assert errors(lint_text(text)) == [
        "warmup setting expects all variable-size dimensions are specified for input 'INPUT0'"
    ]


# ------------------------------------------------------------------ model folders


def test_folder_name_must_equal_model_name(tmp_path: Path) -> None:
    folder = write_model(tmp_path, "other", SIMPLE)
    assert errors(lint_model_dir(folder)) == [
        "unexpected directory name 'other' for model 'simple', directory name must equal model name"
    ]


def test_layout_problems_are_warnings(tmp_path: Path) -> None:
    folder = write_model(
        tmp_path,
        "simple",
        SIMPLE.replace('backend: "identity"', 'backend: "onnxruntime"'),
        versions=(),
    )
    found = lint_model_dir(folder)
    assert errors(found) == []
    assert any("at least one version must be available" in d.message for d in found)
    (folder / "1").mkdir()
    assert [d.message for d in lint_model_dir(folder)] == [
        "unable to find '1/model.onnx' for model 'simple'"
    ]
    (folder / "1" / "model.onnx").write_bytes(b"")
    assert lint_model_dir(folder) == []


def test_editor_text_overrides_the_file(tmp_path: Path) -> None:
    folder = write_model(tmp_path, "simple", SIMPLE)
    edited = SIMPLE.replace("dims: [ 16 ]", "dims: [ 0 ]", 1)
    found = lint_text(edited, folder, path="buffer")
    assert found and all(d.path == "buffer" for d in found)
    assert lint_model_dir(folder) == []


# ------------------------------------------------------------------ ensembles


def test_ensemble_with_composing_model_is_clean(tmp_path: Path) -> None:
    write_model(tmp_path, "simple", SIMPLE)
    write_model(tmp_path, "pipeline", ENSEMBLE)
    assert lint_repository(tmp_path) == []


def test_ensemble_type_mismatch_across_steps(tmp_path: Path) -> None:
    write_model(tmp_path, "simple", SIMPLE)
    write_model(tmp_path, "pipeline", ENSEMBLE.replace("TYPE_FP32", "TYPE_INT32", 1))
    assert errors(lint_model_dir(tmp_path / "pipeline")) == [
        "in ensemble pipeline, ensemble tensor IN: inconsistent data type: TYPE_INT32 is "
        "inferred from model pipeline while TYPE_FP32 is inferred from model simple"
    ]


def test_ensemble_missing_model_and_unmapped_input(tmp_path: Path) -> None:
    write_model(tmp_path, "pipeline", ENSEMBLE)
    assert errors(lint_model_dir(tmp_path / "pipeline")) == [
        "ensemble pipeline contains models that are not available or ambiguous: simple"
    ]
    two_inputs = SIMPLE.replace(
        "input [\n", 'input [\n  { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] },\n'
    )
    write_model(tmp_path, "simple", two_inputs)
    assert errors(lint_model_dir(tmp_path / "pipeline")) == [
        "in ensemble pipeline, input INPUT1 in model simple is not mapped to any ensemble tensors"
    ]


def test_ensemble_batch_size_and_invalid_dependency(tmp_path: Path) -> None:
    write_model(tmp_path, "simple", SIMPLE.replace("max_batch_size: 8", "max_batch_size: 4"))
    write_model(tmp_path, "pipeline", ENSEMBLE)
    assert errors(lint_model_dir(tmp_path / "pipeline")) == [
        "ensemble pipeline allows maximum batch size 8, but it contains model simple which only "
        "allows maximum batch size to be 4"
    ]
    write_model(tmp_path, "simple", SIMPLE.replace("dims: [ 16 ]", "dims: [ 0 ]", 1))
    (message,) = errors(lint_model_dir(tmp_path / "pipeline"))
    assert message.startswith(
        "ensemble 'pipeline' depends on 'simple' which is not valid. Model "
        "'simple' failed with error: model input 'INPUT0' dimension"
    )


def test_required_version(tmp_path: Path) -> None:
    write_model(tmp_path, "simple", SIMPLE + "version_policy: { all { } }\n", versions=("1",))
    write_model(tmp_path, "pipeline", ENSEMBLE.replace("model_version: -1", "model_version: 2"))
    assert errors(lint_model_dir(tmp_path / "pipeline")) == [
        "ensemble 'pipeline' depends on 'simple' whose required version 2 is not loaded."
    ]
    (tmp_path / "simple" / "2").mkdir()
    assert errors(lint_model_dir(tmp_path / "pipeline")) == []


def test_cycle_between_two_ensembles(tmp_path: Path) -> None:
    a = ENSEMBLE.replace('name: "pipeline"', 'name: "a"').replace('"simple"', '"b"')
    b = ENSEMBLE.replace('name: "pipeline"', 'name: "b"').replace('"simple"', '"a"')
    a = a.replace('"INPUT0"', '"IN"').replace('"OUTPUT0"', '"OUT"')
    b = b.replace('"INPUT0"', '"IN"').replace('"OUTPUT0"', '"OUT"')
    write_model(tmp_path, "a", a)
    write_model(tmp_path, "b", b)
    assert errors(lint_model_dir(tmp_path / "a")) == [
        "circular dependency between ensembles: a -> ... -> b -> a"
    ]


# ------------------------------------------------------------------ diff against the server


def test_diff_shows_what_the_server_filled_in() -> None:
    server = {
        "name": "simple",
        "platform": "",
        "backend": "identity",
        "version_policy": {"latest": {"num_versions": 1}},
        "max_batch_size": 8,
        "input": [
            {
                "name": "INPUT0",
                "data_type": "TYPE_FP32",
                "dims": ["16"],
                "is_shape_tensor": False,
                "optional": False,
            }
        ],
        "output": [{"name": "OUTPUT0", "data_type": "TYPE_FP32", "dims": [16]}],
        "instance_group": [{"name": "simple_0", "kind": "KIND_CPU", "count": 1, "gpus": []}],
        "a_field_from_a_newer_server": True,
    }
    diff = config_diff(SIMPLE, server)
    added = [ln for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    removed = [ln for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    assert removed == []
    assert "+    num_versions: 1" in added
    assert '+    name: "simple_0"' in added


def test_diff_of_identical_configs_is_empty() -> None:
    server = {
        "name": "simple",
        "backend": "identity",
        "max_batch_size": 8,
        "input": [{"name": "INPUT0", "data_type": "TYPE_FP32", "dims": [16]}],
        "output": [{"name": "OUTPUT0", "data_type": "TYPE_FP32", "dims": [16]}],
    }
    assert config_diff(SIMPLE, server) == ""


# ------------------------------------------------------------------ CLI


def test_cli_lint_exit_codes_and_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_model(tmp_path, "simple", SIMPLE)
    bad = write_model(
        tmp_path,
        "bad",
        SIMPLE.replace('"simple"', '"bad"').replace("max_batch_size: 8", "max_batch_size: -2"),
    )
    assert main(["config", "lint", str(good)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["config", "lint", str(good), str(bad / "config.pbtxt")]) == 1
    out = capsys.readouterr().out.strip()
    assert out == f"{bad / 'config.pbtxt'}:3:1: 'max_batch_size' must be non-negative value for bad"
    assert main(["config", "lint", str(tmp_path / "nope")]) == 3
    assert main(["config", "lint"]) == 3
    assert main(["config", "lint", str(tmp_path)]) == 1  # the whole repository


def test_cli_lint_of_a_file_that_is_not_utf8_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bare file and a model's config.pbtxt that are not UTF-8: an error in words, exit 1."""
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe bad")
    assert main(["config", "lint", str(tmp_path / "bad.json")]) == 1
    out = capsys.readouterr().out.strip()
    assert out == f"{tmp_path / 'bad.json'}:1:1: not UTF-8 text (byte 0xff at offset 0)"
    model = write_model(tmp_path / "repo", "latin", SIMPLE.replace('"simple"', '"latin"'))
    (model / "config.pbtxt").write_bytes(b'name: "caf\xe9"')
    assert main(["config", "lint", str(tmp_path / "repo")]) == 1
    assert "not UTF-8 text (byte 0xe9 at offset 10)" in capsys.readouterr().out


# ------------------------------------------------------------------ never crash


def _mutate(text: str, rng: random.Random) -> str:
    tokens = [
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        '"',
        "-1",
        "0",
        "99999999999",
        "input",
        "dims",
        "ensemble_scheduling",
        "step",
        "\n",
        "#",
        "KIND_GPU",
        "TYPE_FP32",
        "<",
        ">",
        ".",
    ]
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(4)
        pos = rng.randrange(len(chars) + 1)
        if op == 0 and chars:
            del chars[pos : pos + rng.randint(1, 12)]
        elif op == 1:
            chars[pos:pos] = list(rng.choice(tokens))
        elif op == 2:
            line_start = text.rfind("\n", 0, pos) + 1
            chars[pos:pos] = list(text[line_start : text.find("\n", pos) + 1])
        else:
            digits = [i for i, c in enumerate(chars) if c.isdigit()]
            if digits:
                chars[rng.choice(digits)] = rng.choice("0-9")
    return "".join(chars)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_crashes(text: str) -> None:
    for d in lint_text(text):
        assert isinstance(d, Diagnostic) and d.line >= 0 and d.col >= 0


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), which=st.sampled_from(["simple", "pipeline"]))
def test_mutated_configs_never_crash(tmp_path: Path, seed: int, which: str) -> None:
    repo = tmp_path / str(seed)
    write_model(repo, "simple", SIMPLE)
    write_model(repo, "pipeline", ENSEMBLE)
    original = SIMPLE if which == "simple" else ENSEMBLE
    mutated = _mutate(original, random.Random(seed))
    for d in lint_text(mutated, repo / which):
        assert isinstance(d, Diagnostic)
        assert d.severity in ("error", "warning") and d.message


def test_core_does_not_import_textual() -> None:
    import subprocess
    import sys

    code = "import sys, tui.core.modelconfig, tui.commands.config; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_undefined_data_type_number_is_named_not_raised() -> None:
    """A mutated config (seed 903 of the test above) gave an ensemble step data type 32, which
    the DataType enum does not define: the inconsistency is worded, not a ValueError."""
    from tui.core.modelconfig.ensemble import _consistency, _Tensor

    said = _consistency(_Tensor.of("a", False, 32, [4]), _Tensor.of("b", False, 11, [4]), "")
    assert said == (
        "inconsistent data type: data type 32 is inferred from model a while TYPE_FP32 is "
        "inferred from model b"
    )
