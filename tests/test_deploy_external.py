"""Deploy of an ONNX model whose weights live in external data files: the files it references are
copied beside model.onnx (only from inside its folder, each as large as the model claims), the
model loads and matches onnxruntime; a model the server cannot load is taken out of the
repository again, with its real cause. One server of our own, attached with -u (deploys load)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from textual.widgets import Button

from tests.conftest import serving
from tests.helpers import until
from tests.test_deploy_pane import _preview, _steps
from tests.test_repository_pane import _session
from tui.app import TritonTUI
from tui.cli import main
from tui.core.server.launcher import ServerProcess
from tui.core.workflows.deploy import DeployError, plan_import


def make_external(folder: Path, op: str = "Add", location: str = "data/weights.bin") -> Path:
    """y = (x @ W) <op> B with W and B in the external file `location` (relative to `folder`)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(0)
    w = numpy_helper.from_array(rng.randn(8, 4).astype(np.float32), "W")
    b = numpy_helper.from_array(rng.randn(4).astype(np.float32), "B")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node(op, ["h", "B"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
        initializer=[w, b],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    data = folder / location
    data.parent.mkdir(parents=True, exist_ok=True)
    with data.open("wb") as out:  # what onnx.save_model(save_as_external_data=True) writes
        for tensor in model.graph.initializer:
            entries = {"location": location, "offset": out.tell(), "length": len(tensor.raw_data)}
            out.write(tensor.raw_data)
            tensor.ClearField("raw_data")
            tensor.data_location = TensorProto.EXTERNAL
            for key, value in entries.items():
                tensor.external_data.add(key=key, value=str(value))
    path = folder / "net.onnx"
    onnx.save_model(model, path)
    return path


@pytest.fixture(scope="module")
def attached(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ServerProcess]]:
    repo = tmp_path_factory.mktemp("external") / "models"
    repo.mkdir()
    with serving(repo) as server:
        yield repo, server


def _deploy(repo: Path, server: ServerProcess, source: Path, name: str) -> list[str]:
    args = ["deploy", str(source), "--name", name, "--yes", "--no-measure"]
    return [*args, "-u", server.http_url, "--model-repository", str(repo)]


def test_external_data_is_copied_and_the_model_loads_and_matches(
    attached: tuple[Path, ServerProcess], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, server = attached
    source = make_external(tmp_path / "src")
    assert plan_import(source, repo, "ext").external == ["data/weights.bin"]
    code = main(_deploy(repo, server, source, "ext"))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "[load] ext is READY" in out and "Triton matches onnxruntime" in out
    copied = repo / "ext" / "1" / "data" / "weights.bin"
    assert copied.read_bytes() == (source.parent / "data" / "weights.bin").read_bytes()


def test_a_truncated_external_file_is_refused_in_words(
    attached: tuple[Path, ServerProcess], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, server = attached
    source = make_external(tmp_path / "src")
    data = source.parent / "data" / "weights.bin"
    size = data.stat().st_size  # W: 8x4 floats, then B: 4 floats
    data.write_bytes(data.read_bytes()[:-4])
    assert main(_deploy(repo, server, source, "cut")) == 1
    err = capsys.readouterr().err
    assert f"{data} holds {size - 4} bytes, but tensor 'B' of net.onnx claims bytes up to " in err
    assert "truncated" in err and "Traceback" not in err
    assert not (repo / "cut").exists()


@pytest.mark.parametrize("location", ["../outside.bin", "/tmp/outside.bin", "link/w.bin"])
def test_external_data_outside_the_model_folder_is_refused(tmp_path: Path, location: str) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "link").symlink_to(tmp_path / "elsewhere")  # inside by name only
    if location.startswith("/"):
        location = str(tmp_path / "outside.bin")
    source = make_external(tmp_path / "src", location=location)
    with pytest.raises(DeployError, match="outside the model's folder|only a path inside"):
        plan_import(source, tmp_path, "escape")


def test_a_model_the_server_cannot_load_is_removed_with_its_real_cause(
    attached: tuple[Path, ServerProcess], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, server = attached
    source = make_external(tmp_path / "src", op="NoSuchOp")  # onnxruntime has no kernel for it
    assert main(_deploy(repo, server, source, "broken")) == 1
    seen = capsys.readouterr()
    assert "cause: onnxruntime could not load the model's files" in seen.err
    assert "not config.pbtxt" in seen.err and "edit" not in seen.err
    assert "removed broken from" in seen.out
    assert not (repo / "broken").exists()


async def test_the_console_removes_a_failed_import_and_says_why(
    attached: tuple[Path, ServerProcess], tmp_path: Path
) -> None:
    repo, server = attached
    source = make_external(tmp_path / "src", op="NoSuchOp")
    app = TritonTUI(_session(server), stop_server_on_exit=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await _preview(pilot, app, source)  # named after the file: net
        await pilot.click("#deploy-write")
        await until(pilot, lambda: "load" in _steps(app), timeout=60)
        await until(pilot, lambda: "removed net from" in _steps(app), timeout=5)
        steps = _steps(app)
        assert "onnxruntime could not load the model's files" in steps, steps
        assert "f4" not in steps and "Fix the config" not in steps
        assert not app.screen.query_one("#deploy-write", Button).disabled  # may write again
    assert not (repo / "net").exists()
