"""The deploy flow through the console (pilot), onto a real embedded server."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from tests.conftest import launch
from tests.test_deploy import make_onnx
from tests.test_repository_pane import _session, _states, _wait
from tui.app import TritonTUI
from tui.core.workflows.deploy_flow import DeploySettings
from tui.panes import deploy as deploy_pane
from tui.panes.deploy import DeployScreen


def _steps(app: TritonTUI) -> str:
    return str(app.screen.query_one("#deploy-steps", Static).render())


async def _preview(pilot, app: TritonTUI, source: Path) -> None:  # noqa: ANN001
    """Open the deploy screen from the repository pane and preview the import of `source`."""
    await _wait(pilot, lambda: app.server_state == "ready")
    await pilot.press("d")
    assert isinstance(app.screen, DeployScreen)
    app.screen.query_one("#deploy-path", Input).value = str(source)
    app.screen.query_one("#deploy-path", Input).focus()
    await pilot.press("enter")
    await _wait(pilot, lambda: "nothing is written yet" in _steps(app))


async def test_deploy_flow_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The measure step's sweep with 300 ms windows instead of 1 s ones: what is checked is that the
    # step ends with its peak (or says it was unstable), not the figures (12 s and more at 1 s).
    def short_windows() -> DeploySettings:
        return DeploySettings(measurement_interval=300)

    monkeypatch.setattr(deploy_pane, "DeploySettings", short_windows)
    repo = tmp_path / "models"
    repo.mkdir()
    source = make_onnx(tmp_path / "clf.onnx", "N")
    server = launch(repo)
    try:
        app = TritonTUI(_session(server), stop_server_on_exit=False)
        async with app.run_test(size=(100, 40)) as pilot:
            await _preview(pilot, app, source)
            assert list(repo.iterdir()) == []  # nothing written before the review
            await pilot.click("#deploy-write")
            await _wait(pilot, lambda: "clf is READY" in _steps(app), timeout=60)
            # The measure step ends with a peak, or (on a machine too busy to give stable
            # windows) says the measurement was unstable; either way the deploy stands.
            await _wait(
                pilot, lambda: "peak" in _steps(app) or "unstable" in _steps(app), timeout=90
            )
            steps = _steps(app)
            assert "z: max abs 0" in steps and "MISMATCH" not in steps
            await pilot.press("escape")
            await _wait(pilot, lambda: _states(app).get("clf") == "READY")
    finally:
        server.stop()


async def test_deploy_cancel_before_write_leaves_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "models"
    repo.mkdir()
    source = make_onnx(tmp_path / "clf.onnx", 1)
    server = launch(repo)
    try:
        app = TritonTUI(_session(server), stop_server_on_exit=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await _preview(pilot, app, source)
            screen = app.screen
            # At 80×24 every field is on screen, and the review box shows the config itself.
            for wid in ("#deploy-path", "#deploy-name", "#deploy-preview", "#deploy-write"):
                region = screen.query_one(wid).region
                assert region.area and region.right <= 80 and region.bottom <= 23, wid
            review = screen.query_one("#deploy-config")
            assert review.region.height >= 10
            assert review.region.y <= 4  # right under the steps, not under blank lines
            # Enter again on the path: the review line is replaced, not repeated.
            screen.query_one("#deploy-path", Input).focus()
            await pilot.press("enter")
            await pilot.pause(0.5)
            assert _steps(app).count("nothing is written yet") == 1
            review.focus()  # Esc leaves from the editor too
            await pilot.press("escape")
            assert not isinstance(app.screen, DeployScreen)
        assert list(repo.iterdir()) == []
    finally:
        server.stop()


async def test_wrong_config_names_tensor_and_opens_editor_at_its_line(tmp_path: Path) -> None:
    from textual.widgets import TabbedContent, TextArea

    repo = tmp_path / "models"
    repo.mkdir()
    source = make_onnx(tmp_path / "clf.onnx", 1)
    server = launch(repo)
    try:
        app = TritonTUI(_session(server), stop_server_on_exit=False)
        async with app.run_test(size=(100, 40)) as pilot:
            await _preview(pilot, app, source)
            review = app.screen.query_one("#deploy-config", TextArea)
            assert "dims: [ 1, 8 ]" in review.text
            review.load_text(review.text.replace("dims: [ 1, 8 ]", "dims: [ 1, 9 ]"))
            line = review.text.splitlines().index("    dims: [ 1, 9 ]") + 1
            await pilot.click("#deploy-write")
            await _wait(pilot, lambda: "config shape [1, 9]" in _steps(app), timeout=60)
            assert "input 'x'" in _steps(app)
            await pilot.press("f4")
            tabs = app.query_one("#panes", TabbedContent)
            await _wait(pilot, lambda: tabs.active == "config")
            editor = app.query_one("#config-editor", TextArea)
            await _wait(pilot, lambda: "dims: [ 1, 9 ]" in editor.text)
            assert editor.cursor_location[0] + 1 == line
    finally:
        server.stop()
