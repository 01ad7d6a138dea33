"""Snapshots of every pane at 80x24 and 120x40, so that a change of layout is seen in review.

The SVGs (tests/__snapshots__/test_snapshots/) are Textual's own screenshots, compared with
pytest-textual-snapshot's SVG extension; after a deliberate change of layout, rewrite them with
`pytest tests/test_snapshots.py --snapshot-update` and look at them in the diff.

A deterministic setup, cheap: the console on a copy of three demo models, attached to an address
where nothing listens (127.0.0.1:9), so that nothing shown depends on a server's timing; one app
run for both sizes (a resize between them). The repository is copied to /tmp/tt-XXXXXXXX (a name
of fixed length, masked in the SVG) because the Repository pane shows its path. What is live on
this machine (the host's CPU and memory in the GPU pane) is masked before the screenshot.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy.assertion import SnapshotAssertion
from textual.pilot import Pilot
from textual.widgets import Input, Static, TabbedContent, TextArea

from tests.conftest import copy_demo
from tests.helpers import screen_text, until
from tui.app import TritonTUI
from tui.core.server.client import TritonHTTP
from tui.core.server.session import Session
from tui.panes import PANES
from tui.panes.gpu import GpuPane, HistoryGraph

M = "tt-XXXXXXXX"  # the repository folder's name in the snapshots
NOWHERE = "127.0.0.1:9"  # the discard port: refused at once
SIZES = [(80, 24), (120, 40)]
# What each pane shows once its first (failed) look at the server is drawn.
SETTLED = {
    "repository": "cannot reach",
    "config": "lint clean",
    "logs": "not streamed here",
    "gpu": "Server metrics",
    "bench": "nothing to measure",
    "tune": "Pick a model",
    "fleet": "server(s)",
}


@pytest.fixture(scope="module")
def fixed_repo() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="tt-", dir="/tmp"))
    try:
        yield copy_demo(base / "models", ("add_sub", "identity_onnx", "slow_init"))
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _still(app: TritonTUI) -> None:
    """Mask what moves: cursors stop blinking; the host's live figures are blanked."""
    for field in app.screen.query(Input):
        field.cursor_blink = False
    for area in app.screen.query(TextArea):
        area.cursor_blink = False
    for pane in app.screen.query(GpuPane):
        for row in ("#host-cpu", "#host-memory"):
            pane.query_one(f"{row} .gpu-graph-label", Static).update(f"{row[6:]} (live, masked)")
            pane.query_one(f"{row} HistoryGraph", HistoryGraph).data = []


async def _show(pilot: Pilot[int], app: TritonTUI, key: str, pane_id: str) -> None:
    await pilot.press(key)
    tabs = app.query_one("#panes", TabbedContent)
    await until(pilot, lambda: tabs.active == pane_id, what=f"{pane_id} shown")
    await until(pilot, lambda: SETTLED[pane_id] in screen_text(app), what=f"{pane_id} settled")


async def test_every_pane_at_80x24_and_120x40(
    fixed_repo: Path, snapshot: SnapshotAssertion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRITON_TUI_GPU_INTERVAL", "60")  # one sample, then still
    # the fleet pane lists the servers registered in our cache: an empty one, not the machine's
    monkeypatch.setenv("XDG_CACHE_HOME", str(fixed_repo.parent / "cache"))
    snapshot = snapshot.use_extension(SVGImageExtension)
    session = Session(client=TritonHTTP(NOWHERE), server=None, repositories=[fixed_repo])
    app = TritonTUI(session, stop_server_on_exit=False, startup_timeout=1)
    app.animation_level = "none"  # the tab underline slides: caught mid-way it differs
    masked_dir = fixed_repo.parent.name
    shots: list[tuple[str, str]] = []
    async with app.run_test(size=SIZES[0]) as pilot:
        await until(pilot, lambda: app.server_state == "failed", what="start-up given up")
        for width, height in SIZES:
            await pilot.resize_terminal(width, height)
            for pane in PANES:
                await _show(pilot, app, pane.key, pane.pane_id)
                _still(app)
                await pilot.pause(0.1)  # the masked rows laid out again
                svg = app.export_screenshot(title=f"{pane.title} {width}x{height}")
                shots.append((f"{pane.pane_id}_{width}x{height}", svg))
    changed = [name for name, svg in shots if snapshot(name=name) != svg.replace(masked_dir, M)]
    assert not changed, f"layout changed: {changed} (look, then --snapshot-update)"
