"""The GPU pane in the real app, over the shared embedded server."""

from __future__ import annotations

import asyncio
import os

import pytest
from test_gpu_core import HAS_NVML, fake_pynvml
from test_gpu_metrics import send_add_sub
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TabbedContent

from tests.helpers import until
from tui.app import TritonTUI
from tui.core.server.session import Session
from tui.panes.gpu import GpuCard, GpuPane, GraphRow, HistoryGraph


def text_of(pilot: Pilot, selector: str) -> str:
    return str(pilot.app.query_one(selector, Static).render())


async def show_gpu_pane(pilot: Pilot) -> None:
    await until(pilot, lambda: pilot.app.server_state == "ready")
    await pilot.pause(0.2)
    await pilot.press("4")
    await until(pilot, lambda: pilot.app.query_one(TabbedContent).active == "gpu")


@pytest.mark.skipif(HAS_NVML, reason="this machine has NVML; the no-NVML path needs one without")
async def test_pane_without_nvml_keeps_host_and_server_live(demo_session: Session) -> None:
    app = TritonTUI(demo_session, stop_server_on_exit=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await show_gpu_pane(pilot)
        pane = app.query_one(GpuPane)
        await until(pilot, lambda: pane.latest is not None and pane.latest.metrics is not None)
        await asyncio.to_thread(send_add_sub, demo_session.client.url, 200)

        def rated() -> bool:
            m = pane.latest.metrics if pane.latest else None
            rates = {r.model: r.request_rate for r in (m.models if m else ())}
            return bool(rates.get("add_sub"))

        await until(pilot, rated)
        await pilot.pause(0.2)
        assert text_of(pilot, "#gpu-nvml").startswith("NVML not available: ")
        assert not app.query(GpuCard)
        cpu = pilot.app.query_one("#host-cpu", GraphRow)
        assert "CPU" in str(cpu.query_one(Static).render())
        assert cpu.query_one(HistoryGraph).data  # the history graph has samples
        pid = demo_session.server_pid
        assert text_of(pilot, "#gpu-server-title").startswith(f"tritonserver pid {pid}")
        assert "RSS" in str(app.query_one("#server-rss", GraphRow).query_one(Static).render())
        assert text_of(pilot, "#gpu-metrics-title").startswith("Server metrics 127.0.0.1:")
        table = app.query_one("#gpu-models", DataTable)
        assert table.display and "add_sub/1" in table.rows
        assert float(table.get_cell("add_sub/1", "REQ/S")) > 0
        assert not app.query_one("#gpu-procs").display  # no NVML: no GPU process list


async def test_pane_with_fake_nvml_marks_launched_server(
    demo_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NVML is mocked (this machine has no GPU): the pane draws a card per GPU and marks the
    tritonserver the console launched in the GPU process list."""
    pid = demo_session.server_pid
    assert pid is not None
    monkeypatch.setattr(GpuPane, "nvml_module", fake_pynvml(gpus=2, pids=(pid, os.getpid())))
    app = TritonTUI(demo_session, stop_server_on_exit=False)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(GpuPane)
        await until(pilot, lambda: pane.latest is not None)  # sampled while hidden
        assert not app.query(GpuCard)  # hidden: nothing drawn yet
        await show_gpu_pane(pilot)
        await until(pilot, lambda: len(app.query(GpuCard)) == 2)
        await pilot.pause(0.3)
        assert text_of(pilot, "#gpu-nvml").startswith("NVML  driver 550.54.15  2 GPU(s)")
        card = app.query_one("#gpu-card-1", GpuCard)
        assert "NVIDIA H100 80GB HBM3" in str(card.query_one(".gpu-card-title", Static).render())
        util = card.query_one("#gpu1-util", GraphRow)
        assert "util 87 %" in str(util.query_one(Static).render())
        procs = app.query_one("#gpu-procs", DataTable)
        assert procs.display and procs.row_count == 4
        roles = {str(procs.get_row_at(i)[1]): str(procs.get_row_at(i)[4]) for i in range(4)}
        assert roles == {str(pid): "tritonserver (launched)", str(os.getpid()): ""}


async def test_focus_restyles_the_pane_alone_and_nothing_inside_needed_it(
    demo_session: Session,
) -> None:
    """GpuPane restyles only itself on a focus change (its subtree took 20 ms a pane switch):
    restyling the whole subtree afterwards, as Textual would, changes no widget's style, so no
    rule in the stylesheets styles what is inside by the pane's focus."""
    app = TritonTUI(demo_session, stop_server_on_exit=False)
    async with app.run_test(size=(80, 24)) as pilot:  # taller than that: it scrolls, takes focus
        await show_gpu_pane(pilot)
        pane = app.query_one(GpuPane)
        nodes = list(pane.walk_children(with_self=True))
        assert len(nodes) > 10
        await until(pilot, lambda: pane.has_focus)  # the pane took the focus when shown
        for _ in range(2):  # focused, then not (the console may hand the focus back later)
            seen = [node.styles.css for node in nodes]
            app.stylesheet.update_nodes(nodes, animate=False)
            assert [node.styles.css for node in nodes] == seen
            app.screen.set_focus(None)
            await pilot.pause()
