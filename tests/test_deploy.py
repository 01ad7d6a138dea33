"""Deploy a trained model end to end onto the real embedded server (import, load, verify)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.conftest import ROOT, serving
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.workflows import deploy
from tui.core.workflows.deploy import DeployError, apply_import, plan_import
from tui.core.workflows.verify import check_against_onnx, verify


def make_onnx(path: Path, batch: int | str, n_out: int = 3) -> Path:
    """x [batch, 8] -> MatMul -> Relu -> z [batch, n_out], plus a second output s = sum."""
    w = numpy_helper.from_array(np.random.RandomState(0).randn(8, n_out).astype(np.float32), "w")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["y"]),
            helper.make_node("Relu", ["y"], ["z"]),
            helper.make_node("ReduceSum", ["x", "axes"], ["s"], keepdims=1),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 8])],
        [
            helper.make_tensor_value_info("z", TensorProto.FLOAT, [batch, n_out]),
            helper.make_tensor_value_info("s", TensorProto.FLOAT, [batch, 1]),
        ],
        initializer=[w, numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


@pytest.fixture(scope="module")
def repo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ServerProcess]]:
    repo = tmp_path_factory.mktemp("deploy") / "models"
    repo.mkdir()
    with serving(repo) as server:
        yield repo, server


@pytest.mark.parametrize("batch", [1, "N"], ids=["fixed-batch", "dynamic-batch"])
def test_deploy_end_to_end(
    repo_server: tuple[Path, ServerProcess], tmp_path: Path, batch: int | str
) -> None:
    repo, server = repo_server
    source = make_onnx(tmp_path / "net.onnx", batch)
    name = f"net_{batch}".lower()
    plan = plan_import(source, repo, name)
    assert ("max_batch_size: 4" in plan.config_text) == (batch == "N")
    result = apply_import(plan)
    assert source.is_file()  # copied, never moved
    assert (repo / name / "1" / "model.onnx").read_bytes() == source.read_bytes()
    client = TritonHTTP(server.http_url)
    loaded = deploy.load(client, name, server.errors)
    assert loaded.ok, loaded.message
    report = verify(server.http_url, name, plan.model_file, plan.config_text)
    assert report.ok, (report.problems, report.outputs)
    assert {o.name for o in report.outputs} == {"z", "s"}
    del result


WRONG = {  # (text in the generated config, replacement, what the user must read)
    "dims": (
        "dims: [ 1, 8 ]",
        "dims: [ 1, 9 ]",
        "input 'x': config shape [1, 9] does not match the ONNX shape [1, 8]",
    ),
    "dtype": (
        "data_type: TYPE_FP32",
        "data_type: TYPE_INT32",
        "input 'x': config data type TYPE_INT32 but the ONNX model has TYPE_FP32",
    ),
}


@pytest.mark.parametrize("case", ["dims", "dtype", "swapped"])
def test_wrong_config_named_tensor(
    repo_server: tuple[Path, ServerProcess], tmp_path: Path, case: str
) -> None:
    repo, server = repo_server
    source = make_onnx(tmp_path / "net.onnx", 1)
    name = f"wrong_{case}"
    plan = plan_import(source, repo, name)
    text = plan.config_text
    if case == "swapped":  # output names swapped: z <-> s
        text = text.replace('name: "z"', 'name: "@@"').replace('name: "s"', 'name: "z"')
        text = text.replace('name: "@@"', 'name: "s"')
        expected = "output 's': config shape [1, 3] does not match the ONNX shape [1, 1]"
    else:
        old, new, expected = WRONG[case]
        assert old in text, text
        text = text.replace(old, new, 1)
    plan.config_text = text
    apply_import(plan)
    problems = check_against_onnx(text, plan.model_file)
    assert any(expected in p.message for p in problems), [p.message for p in problems]
    assert all(p.line > 0 for p in problems if p.tensor)  # each points at its config line
    loaded = deploy.load(TritonHTTP(server.http_url), name, server.errors)
    if loaded.ok:  # then verify must catch it, naming the tensor
        report = verify(server.http_url, name, plan.model_file, text)
        assert not report.ok
        assert any(expected in p.message for p in report.problems)


def test_existing_model_not_overwritten(tmp_path: Path) -> None:
    repo = tmp_path / "models"
    (repo / "net" / "1").mkdir(parents=True)
    (repo / "net" / "config.pbtxt").write_text("original")
    plan = plan_import(make_onnx(tmp_path / "net.onnx", 1), repo)
    with pytest.raises(DeployError, match="already exists"):
        apply_import(plan)
    assert (repo / "net" / "config.pbtxt").read_text() == "original"
    assert not (repo / "net" / "1" / "model.onnx").exists()


def test_cancelled_import_leaves_repository_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "models"
    repo.mkdir()
    plan = plan_import(make_onnx(tmp_path / "net.onnx", 1), repo)

    def interrupted(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt  # the user pressed Ctrl+C while the config was being written

    monkeypatch.setattr(deploy, "save_config", interrupted)
    with pytest.raises(KeyboardInterrupt):
        apply_import(plan)
    assert list(repo.iterdir()) == []


@pytest.mark.parametrize("name", ["../escape", ".hidden", "a/b", ""])
def test_names_outside_repository_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(DeployError):
        deploy.check_name(tmp_path, name)


def test_non_onnx_gets_python_skeleton_that_loads(
    repo_server: tuple[Path, ServerProcess], tmp_path: Path
) -> None:
    repo, server = repo_server
    weights = tmp_path / "weights.pkl"
    weights.write_bytes(b"\x80\x04N.")
    plan = plan_import(weights, repo, "skeleton")
    assert plan.kind == "python"
    apply_import(plan)
    assert deploy.load(TritonHTTP(server.http_url), "skeleton", server.errors).ok


def test_headless_deploy_command(tmp_path: Path) -> None:
    repo = tmp_path / "models"
    repo.mkdir()
    source = make_onnx(tmp_path / "clf.onnx", "N")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui",
            "deploy",
            str(source),
            "--model-repository",
            str(repo),
            "--yes",
            "--concurrency-range",
            "1:2",
            "-p",
            "300",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "[load] clf is READY" in out.stdout
    assert "Triton matches onnxruntime" in out.stdout
    # A busy machine can make the short windows unstable: said, and the deploy still succeeds.
    unstable = "[measure] unstable:" in out.stdout
    assert unstable or "[measure] concurrency 2:" in out.stdout, out.stdout
    if unstable:
        assert "(the deploy itself succeeded)" in out.stdout


def test_headless_deploy_needs_confirmation(tmp_path: Path) -> None:
    repo = tmp_path / "models"
    repo.mkdir()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui",
            "deploy",
            str(make_onnx(tmp_path / "m.onnx", 1)),
            "--model-repository",
            str(repo),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 3 and "nothing written" in out.stderr
    assert list(repo.iterdir()) == []


def _hostile_names(marker: Path) -> list[str]:
    """File names that ran code when the skeleton spliced them into model.py (issue 13)."""
    path = marker.as_posix().encode().hex()  # a file name cannot hold '/'
    payload = f'str(open(bytes.fromhex("{path}").decode(), "w"))'
    return [
        f'w" + {payload} + ".bin',  # breaks out of the string literal
        f'w""" + {payload} + """.bin',  # breaks out of the docstring
        "w\\\n'.bin",  # backslash, newline and quote must reach the model unchanged
    ]


@pytest.mark.parametrize("case", [0, 1, 2], ids=["quote", "docstring", "escapes"])
def test_hostile_file_name_never_runs_as_code(tmp_path: Path, case: int) -> None:
    repo = tmp_path / "models"
    repo.mkdir()
    marker = tmp_path / "pwned"
    source = tmp_path / _hostile_names(marker)[case]
    source.write_bytes(b"\x80\x04N.")
    name = f"hostile_{case}"
    out = subprocess.run(
        [sys.executable, "-m", "tui", "deploy", str(source), "--model-repository", str(repo)]
        + ["--name", name, "--python", "--yes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # the skeleton raises when its weights file is missing: READY proves the name arrived intact
    assert f"[load] {name} is READY" in out.stdout, out.stdout + out.stderr
    assert not marker.exists(), "a command in the file name ran when the model loaded"
    assert (repo / name / "1" / source.name).read_bytes() == source.read_bytes()
    assert source.name not in (repo / name / "1" / "model.py").read_text()
