"""Generated configs and the config pane's apply, against a real server of this module's own.

The server runs on a copy of the demo ONNX models whose config.pbtxt is replaced by the one
`generate_config` writes, plus an ONNX model built here with a dynamic first dimension.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper
from textual.widgets import Static

from tests.conftest import FAST_ONNX_MODEL, copy_demo, serving
from tests.helpers import until
from tests.test_config_pane import SIZE, open_model
from tui.app import TritonTUI
from tui.core.modelconfig import generate_config, parse_config
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.server.session import Session
from tui.panes.config_dialogs import ChoiceScreen, PickScreen

GENERATED = (FAST_ONNX_MODEL, "identity_onnx", "dyn_onnx")


def build_dynamic_model(folder: Path) -> None:
    """y = relu(x), x and y FP32 [batch, 3] with a symbolic (dynamic) first dimension."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "dyn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # readable by older onnxruntime builds too
    onnx.checker.check_model(model)
    (folder / "1").mkdir(parents=True)
    onnx.save(model, str(folder / "1" / "model.onnx"))


@pytest.fixture(scope="module")
def generated_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = copy_demo(tmp_path_factory.mktemp("generated") / "models", GENERATED[:2])
    build_dynamic_model(repo / "dyn_onnx")
    for name in GENERATED:
        (repo / name / "config.pbtxt").write_text(generate_config(repo / name))
    return repo


@pytest.fixture(scope="module")
def server(generated_repo: Path) -> Iterator[ServerProcess]:
    # After a failed load of a python-backend model this server never finishes its graceful
    # exit (it waits 30 s for a "live model"); do not wait the launcher's full 15 s for it.
    with serving(generated_repo, stop_timeout=3) as server:
        yield server


def session_of(server: ServerProcess) -> Session:
    return Session.of_server(server)


def test_generated_configs_load_ready_and_serve(
    server: ServerProcess, generated_repo: Path
) -> None:
    client = TritonHTTP(server.http_url)
    states = {m["name"]: m.get("state") for m in client.repository_index()}
    assert {name: states.get(name) for name in GENERATED} == dict.fromkeys(GENERATED, "READY")
    dyn = parse_config((generated_repo / "dyn_onnx" / "config.pbtxt").read_text()).config
    assert dyn is not None and dyn.max_batch_size == 4 and list(dyn.input[0].dims) == [3]
    served = client.model_config("dyn_onnx")
    assert served["max_batch_size"] == 4 and served["input"][0]["dims"] == [3]
    # A batch of two through the generated config: relu computed by the server.
    body = {
        "inputs": [
            {"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [-1, 2, -3, 4, -5, 6]}
        ]
    }
    status, data = client.request("POST", "/v2/models/dyn_onnx/infer", body)
    assert status == 200, data
    out = json.loads(data)["outputs"][0]
    assert out["shape"] == [2, 3] and out["data"] == [0, 2, 0, 4, 0, 6]


async def test_apply_good_then_broken_config_then_restore(
    server: ServerProcess, generated_repo: Path
) -> None:
    config = generated_repo / "dyn_onnx" / "config.pbtxt"
    client = TritonHTTP(server.http_url)
    app = TritonTUI(session_of(server), stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_model(pilot, "dyn_onnx")
        # Good: a dynamic_batching snippet, applied (saved, reloaded) -> READY with batching.
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")  # the first snippet: dynamic_batching
        await until(pilot, lambda: "dynamic_batching" in pane.editor.text)
        await pilot.press("f5")
        await until(pilot, lambda: not pane.busy, timeout=60)
        assert "dyn_onnx is READY" in pane.message, pane.message
        assert "dynamic_batching" in client.model_config("dyn_onnx")
        good = config.read_text()
        assert "dynamic_batching" in good
        # Broken: the output renamed to a tensor the ONNX model lacks. The server says so.
        row = next(i for i, line in enumerate(good.splitlines()) if line.strip() == 'name: "y"')
        await pilot.press("enter")
        pane.editor.move_cursor((row, len(pane.editor.document.get_line(row))))
        await pilot.press("backspace", "backspace", *'nope"')
        await pilot.press("f5")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen), timeout=60)
        if "lint" in app.screen.title_text:  # the linter may already see it: save anyway
            await pilot.press("s")
            await until(
                pilot, lambda: "failed to load" in getattr(app.screen, "title_text", ""), timeout=60
            )
        assert "failed to load" in app.screen.title_text
        assert "nope" in app.screen.message  # the server's reason, in its words
        assert "failed to load" in pane.message and "nope" in pane.message
        assert 'name: "nope"' in config.read_text()
        await until(pilot, lambda: app.focused is not None)
        assert app.focused is not None and app.focused.id == "choice-yes"  # Enter restores
        await pilot.press("r")  # restore the backup and reload
        await until(pilot, lambda: not pane.busy, timeout=60)
        assert "restored the backup; dyn_onnx is READY" in pane.message, pane.message
        assert config.read_text() == good == pane.editor.text and not pane.modified
        assert 'name: "nope"' in (config.parent / "config.pbtxt.bak").read_text()
        # The repository pane shows the restored file's size, not the refused one's.
        await pilot.press("escape", "1")
        detail = app.query_one("#model-detail-text", Static)
        size = re.compile(rf"^\s*config\.pbtxt\s+{len(good.encode())} B$", re.M)
        await until(pilot, lambda: size.search(str(detail.render())) is not None, timeout=30)
    assert client.model_ready("dyn_onnx")
    assert client.model_config("dyn_onnx")["output"][0]["name"] == "y"
