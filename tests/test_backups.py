"""Nothing a save, an export or a deploy replaces is lost (issue 13).

Two saves used to overwrite `config.pbtxt.bak` (the hand-written original gone), an export replaced
an existing file, `deploy --force` replaced model.onnx without a copy, and a deployed model.onnx was
always 0600.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from textual.widgets import Input

from tests.conftest import ROOT
from tests.helpers import toasts, until
from tests.test_config_pane import SIZE, open_model, type_at_end
from tests.test_deploy import make_onnx
from tests.test_logs_pane import _Host, _session
from tui.app import TritonTUI
from tui.core.logs.store import write_lines
from tui.core.modelconfig import backup_paths, save_config
from tui.core.modelconfig.store import BACKUPS_KEPT
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.server.session import Session
from tui.core.workflows.deploy import apply_import, plan_import
from tui.panes.logs import LogsPane


def test_saves_keep_numbered_backups_bounded(tmp_path: Path) -> None:
    config = tmp_path / "m" / "config.pbtxt"
    config.parent.mkdir()
    config.write_text("original\n")
    for i in range(1, BACKUPS_KEPT + 3):
        save_config(config, f"save {i}\n", repository_root=tmp_path)
        if i == 2:  # the second save keeps the original (it used to overwrite the only backup)
            assert [p.read_text() for p in backup_paths(config)[:2]] == ["save 1\n", "original\n"]
    kept = sorted(p.name for p in config.parent.iterdir() if p.name != "config.pbtxt")
    assert kept == sorted(p.name for p in backup_paths(config))  # five, no more
    last = BACKUPS_KEPT + 2
    assert [p.read_text() for p in backup_paths(config)] == [
        f"save {i}\n" for i in range(last - 1, last - 1 - BACKUPS_KEPT, -1)
    ]
    before = [p.stat().st_mtime_ns for p in backup_paths(config)]
    save_config(config, f"save {last}\n", repository_root=tmp_path)  # same text: nothing to keep
    assert [p.stat().st_mtime_ns for p in backup_paths(config)] == before


def test_generate_write_force_twice_keeps_the_hand_written_config(tmp_path: Path) -> None:
    model = tmp_path / "net"
    (model / "1").mkdir(parents=True)
    make_onnx(model / "1" / "model.onnx", "N")
    (model / "config.pbtxt").write_text('name: "net"\n# tuned by hand\n')
    outputs = []
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, "-m", "tui", "config", "generate", str(model), "--write", "--force"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        outputs.append(out.stderr)
    kept = [p.read_text() for p in backup_paths(model / "config.pbtxt") if p.exists()]
    assert 'name: "net"\n# tuned by hand\n' in kept
    assert f"kept as {model / 'config.pbtxt.bak'}" in outputs[0]


async def test_two_saves_in_the_config_pane_keep_the_original(
    demo_server: ServerProcess, repo: Path
) -> None:
    session = Session(
        client=TritonHTTP(demo_server.http_url), server=demo_server, repositories=[repo]
    )
    config = repo / "densenet_onnx" / "config.pbtxt"
    original = config.read_text()
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_model(pilot, "densenet_onnx")
        for edit in ("\n# first", "\n# second"):
            await type_at_end(pilot, edit)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: not pane.modified and not pane.busy)
            await pilot.press("escape")
        assert "# second" in config.read_text()
        assert "kept as config.pbtxt.bak" in pane.message
    assert backup_paths(config)[0].read_text() == original + "\n# first"
    assert backup_paths(config)[1].read_text() == original  # the second save used to lose it


def test_write_lines_never_replaces_a_file(tmp_path: Path) -> None:
    target = tmp_path / "out.log"
    target.write_text("precious\n")
    assert write_lines(target, ["a"]) == tmp_path / "out-1.log"
    assert write_lines(target, ["b"]) == tmp_path / "out-2.log"
    assert target.read_text() == "precious\n"
    assert (tmp_path / "out-2.log").read_text() == "b\n"
    assert not list(tmp_path.glob(".*part"))


async def test_export_onto_an_existing_file_keeps_it(
    tmp_path: Path, demo_client: TritonHTTP
) -> None:
    log = tmp_path / "triton.log"
    log.write_text('I1126 11:40:43.188547 6563 server.cc:1] "hello"\n')
    target = tmp_path / "export.log"
    target.write_text("precious\n")
    app = _Host(_session(None, demo_client), log_file=log)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        pane = app.query_one(LogsPane)
        await until(pilot, lambda: len(pane.store) == 1)
        await pilot.press("x")
        box = app.query_one("#logs-input", Input)
        box.value = str(target)
        await pilot.press("enter")
        await until(pilot, lambda: (tmp_path / "export-1.log").exists())
        await until(pilot, lambda: "left as it was" in " ".join(toasts(app)))
    assert target.read_text() == "precious\n"
    assert "hello" in (tmp_path / "export-1.log").read_text()


def test_deploy_force_keeps_the_replaced_model_and_copies_the_mode(tmp_path: Path) -> None:
    repo = tmp_path / "models"
    repo.mkdir()
    first = make_onnx(tmp_path / "net.onnx", 1)
    os.chmod(first, 0o644)
    apply_import(plan_import(first, repo))
    model = repo / "net" / "1" / "model.onnx"
    old = os.umask(0o022)
    try:
        assert model.stat().st_mode & 0o777 == 0o644  # the source's mode, not mkstemp's 0600
        (tmp_path / "other").mkdir()
        second = make_onnx(tmp_path / "other" / "net.onnx", 1, n_out=5)
        os.chmod(second, 0o640)
        result = apply_import(plan_import(second, repo), overwrite=True)
    finally:
        os.umask(old)
    assert model.read_bytes() == second.read_bytes()
    assert model.stat().st_mode & 0o777 == 0o640
    kept = repo / "net" / "1" / "model.onnx.bak"
    assert kept.read_bytes() == first.read_bytes()
    assert kept in result.backups
    assert repo / "net" / "config.pbtxt.bak" in result.backups


def test_deploy_mode_honours_the_umask(tmp_path: Path) -> None:
    repo = tmp_path / "models"
    repo.mkdir()
    source = make_onnx(tmp_path / "net.onnx", 1)
    os.chmod(source, 0o666)
    old = os.umask(0o027)
    try:
        apply_import(plan_import(source, repo))
    finally:
        os.umask(old)
    assert (repo / "net" / "1" / "model.onnx").stat().st_mode & 0o777 == 0o640
