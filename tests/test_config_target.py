"""Config lint sees what the file alone cannot (issue 13): the target's backends and GPUs, a NUL
byte Triton refuses, a folder with no model; and a clean config is parsed once, not twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_demo
from tests.helpers import until
from tests.test_config_pane import SIZE, open_model
from tui.app import TritonTUI
from tui.core.modelconfig import lint_text, locate
from tui.core.modelconfig.target import Target, local_target, server_target
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.server.session import Session

CONFIG = """name: "m"
backend: "{backend}"
max_batch_size: 0
input [ {{ name: "x" data_type: TYPE_FP32 dims: [ 1 ] }} ]
output [ {{ name: "y" data_type: TYPE_FP32 dims: [ 1 ] }} ]
{extra}
"""


def _lint(cli_args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", "config", "lint", *cli_args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def backends(tmp_path: Path) -> Path:
    """A backend directory as tritonserver has one: a folder per backend."""
    root = tmp_path / "backends"
    (root / "onnxruntime").mkdir(parents=True)
    (root / "onnxruntime" / "libtriton_onnxruntime.so").write_bytes(b"")
    (root / "python").mkdir()
    (root / "python" / "model.py").write_text("")
    return root


def test_backend_runtime_and_gpus_checked_against_the_target(backends: Path) -> None:
    target = Target(backends, (0,), "the test server")
    typo = lint_text(CONFIG.format(backend="onnxruntme", extra=""), target=target)
    assert [(d.line, d.is_error) for d in typo] == [(2, True)]
    assert "did you mean 'onnxruntime'?" in typo[0].message
    runtime = lint_text(CONFIG.format(backend="python", extra='runtime: "modle.py"'), target=target)
    assert any("runtime 'modle.py'" in d.message and "'model.py'" in d.message for d in runtime)
    gpus = CONFIG.format(
        backend="onnxruntime", extra="instance_group [ { kind: KIND_GPU gpus: [ 0, 3 ] } ]"
    )
    found = lint_text(gpus, target=target)
    assert [d.message for d in found] == [
        "GPU 3 does not exist on the test server's machine (GPUs present: 0)"
    ]
    assert lint_text(CONFIG.format(backend="onnxruntime", extra=""), target=target) == []
    assert lint_text(CONFIG.format(backend="onnxruntme", extra="")) == []  # no target: unknown


def test_cli_lint_local_and_backend_directory(tmp_path: Path, backends: Path) -> None:
    model = tmp_path / "repo" / "m"
    (model / "1").mkdir(parents=True)
    (model / "1" / "model.onnx").write_bytes(b"")
    (model / "config.pbtxt").write_text(CONFIG.format(backend="onnxruntme", extra=""))
    out = _lint(["--backend-directory", str(backends), str(model)])
    assert out.returncode == 1 and "did you mean 'onnxruntime'?" in out.stdout, out
    if local_target() is not None:  # the embedded server (or one on PATH) is the target
        out = _lint(["--local", str(model)])
        assert out.returncode == 1 and "did you mean 'onnxruntime'?" in out.stdout, out
    assert _lint([str(model)]).returncode == 0  # without a target the typo is invisible


@pytest.mark.parametrize(
    ("text", "where"),
    [('name: "a\0b"\n', (1, 9)), ('name: "ab"\n# a comment \0 here\n', (2, 13))],
    ids=["string", "comment"],
)
def test_nul_byte_is_an_error(tmp_path: Path, text: str, where: tuple[int, int]) -> None:
    found = lint_text(text)
    assert [(d.line, d.col, d.is_error) for d in found] == [(*where, True)]
    assert "NUL" in found[0].message
    model = tmp_path / "m"
    (model / "1").mkdir(parents=True)
    (model / "1" / "model.onnx").write_bytes(b"")
    (model / "config.pbtxt").write_text(CONFIG.format(backend="onnxruntime", extra="# \0"))
    out = _lint([str(model)])
    assert out.returncode == 1 and "NUL" in out.stdout, out


def test_lint_of_a_folder_without_models_says_so(tmp_path: Path) -> None:
    out = _lint([str(tmp_path)])
    assert out.returncode == 1
    assert "no model here" in out.stdout


def test_clean_config_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The positions map (a second full pass) is built only when a finding must be placed."""
    passes: list[int] = []
    real = locate._tokens
    monkeypatch.setattr(locate, "_tokens", lambda text: passes.append(1) or real(text))
    assert lint_text(CONFIG.format(backend="onnxruntime", extra="")) == []
    assert passes == []
    assert lint_text(CONFIG.format(backend="onnxruntime", extra="max_batch_size: -1"))
    assert passes == [1]


async def test_config_pane_checks_gpus_of_the_launched_server(
    demo_server: ServerProcess, tmp_path: Path
) -> None:
    repo = copy_demo(tmp_path / "models", ("add_sub", "densenet_onnx", "identity_onnx"))
    config = repo / "densenet_onnx" / "config.pbtxt"
    config.write_text(config.read_text() + "instance_group [ { kind: KIND_GPU gpus: [ 7 ] } ]\n")
    session = Session(
        client=TritonHTTP(demo_server.http_url), server=demo_server, repositories=[repo]
    )
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_model(pilot, "densenet_onnx")
        await until(pilot, lambda: any("GPU 7" in d.message for d in pane.diagnostics))
        assert any("does not exist" in d.message for d in pane.diagnostics)


def test_attached_server_on_this_machine_is_a_target(demo_server: ServerProcess) -> None:
    """Attached with -u to a tritonserver on this box: its own backend directory is the target
    (found from the process listening on the port), so a backend typo gets a did-you-mean."""
    target = server_target(None, demo_server.http_url)
    assert target is not None and "onnxruntime" in target.backends
    text = CONFIG.format(backend="onnxruntme", extra="")
    found = [d.message for d in lint_text(text, target=target)]
    assert any("did you mean 'onnxruntime'" in m for m in found), found
    assert server_target(None, "127.0.0.1:9") is None  # nothing listens there


def test_response_cache_on_a_server_without_one_is_a_warning(
    backends: Path, demo_server: ServerProcess
) -> None:
    """Triton loads such a model and never caches; the warning says how to give it a cache."""
    text = CONFIG.format(backend="python", extra="response_cache {\n  enable: true\n}")
    without = lint_text(text, target=Target(backends, (0,), "the test server", cache=False))
    assert [(d.line, d.is_error) for d in without] == [(7, False)]
    assert "was started without a response cache" in without[0].message
    assert "--cache-size SIZE" in without[0].message
    assert lint_text(text, target=Target(backends, (0,), "the test server", cache=True)) == []
    assert lint_text(text, target=Target(backends, (0,), "unknown flags")) == []
    launched = server_target(demo_server)  # the console's own server, launched without a cache
    assert launched is not None and launched.cache is False
    attached = server_target(None, demo_server.http_url)  # the same, found by its command line
    assert attached is not None and attached.cache is False
