"""The Benchmark pane driven with the pilot against the real embedded server."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

from textual.widgets import Button, DataTable, Input, Select, Static, TabbedContent

from tests.conftest import ANY_STABILITY
from tui.app import TritonTUI
from tui.core.server.session import Session
from tui.panes.bench import BenchPane


async def _until(pilot, predicate, timeout: float = 30.0) -> None:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await pilot.pause(0.1)


def _status(pane: BenchPane) -> str:
    return str(pane.query_one("#bench-status", Static).render())


async def _type(pilot, selector: str, text: str) -> None:  # noqa: ANN001
    widget = pilot.app.query_one(selector, Input)
    widget.focus()
    widget.value = ""
    if len(text) > 12:  # long paths: typing them key by key only slows the test down
        widget.value = text
        await pilot.pause()
    else:
        await pilot.press(*text)


async def test_pane_sweeps_plots_exports_and_cancels(demo_session: Session, tmp_path: Path) -> None:
    app = TritonTUI(demo_session, stop_server_on_exit=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: app.server_state == "ready")
        await pilot.pause(0.2)
        await pilot.press("5")
        await _until(pilot, lambda: app.query_one("#panes", TabbedContent).active == "bench")
        pane = app.query_one(BenchPane)
        model = pane.query_one("#bench-model", Select)
        await _until(pilot, lambda: model.value == "add_sub" or "add_sub" in str(model._options))
        model.value = "add_sub"
        await _until(
            pilot,
            lambda: "INPUT0 FP32 [4]" in str(pane.query_one("#bench-inputs", Static).render()),
        )
        app.action_export_bench("csv")  # the palette's export, before any run
        await _until(pilot, lambda: "No finished benchmark to export yet" in _status(pane))
        # bad input is refused with a message and starts nothing
        await _type(pilot, "#bench-range", "0:2")
        await pilot.click("#bench-start")
        assert "Cannot start" in _status(pane) and pane.current is None

        await _type(pilot, "#bench-range", "1:2")
        await _type(pilot, "#bench-window", "300")
        await _type(pilot, "#bench-stability", str(ANY_STABILITY))  # the flow is under test
        await pilot.click("#bench-start")
        assert pane.current is not None
        assert pane.query_one("#bench-start", Button).disabled
        await _until(pilot, lambda: "window" in _status(pane))
        await _until(pilot, lambda: pane.current is None, timeout=60)
        assert "2 level(s) measured" in _status(pane), _status(pane)
        table = pane.query_one(DataTable)
        assert table.row_count == 2
        first = table.get_row_at(0)
        assert first[0] == "1" and float(first[1].replace(",", "")) > 0
        plot_text = str(pane.query_one("#bench-plot", Static).render())
        assert "infer/s" in plot_text and "p99 ms" in plot_text and "concurrency" in plot_text
        # the doctor's one line on the run's busiest level, with the key that opens it
        line = pane.query_one("#bench-doctor", Static)
        await _until(pilot, lambda: str(line.render()).startswith("Doctor: "))
        assert "(w for" in str(line.render())

        # export to a typed path
        target = tmp_path / "run1.csv"
        await _type(pilot, "#bench-export-path", str(target))
        await pilot.click("#bench-export-csv")
        await _until(pilot, target.exists)
        rows = list(csv.reader(target.read_text().splitlines()))
        assert rows[0][:2] == ["Concurrency", "Inferences/Second"] and len(rows) == 3
        jtarget = tmp_path / "run1.json"
        await _type(pilot, "#bench-export-path", str(jtarget))
        await pilot.click("#bench-export-json")
        await _until(pilot, jtarget.exists)
        assert json.loads(jtarget.read_text())["model"] == "add_sub"
        # an export that cannot be written says so (asked from the palette this time)
        await _type(pilot, "#bench-export-path", str(tmp_path / "missing" / "x.csv"))
        app.action_export_bench("csv")
        await _until(pilot, lambda: "Export failed" in _status(pane))

        # second run: cancelled with Esc after its first level; the first run can be overlaid
        await _type(pilot, "#bench-range", "1:5")
        await pilot.click("#bench-start")
        await _until(
            pilot, lambda: pane.current is not None and len(pane.current.levels) >= 1, timeout=30
        )
        await pilot.press("escape")
        await _until(pilot, lambda: pane.current is None, timeout=20)
        assert "cancelled" in _status(pane)
        assert [r.result.status for r in pane.runs] == ["ok", "cancelled"]
        overlay = pane.query_one("#bench-overlay", Select)
        overlay.value = 1
        await pilot.pause(0.2)
        plot_text = str(pane.query_one("#bench-plot", Static).render())
        assert "run 1 infer/s" in plot_text and "run 2 infer/s" in plot_text
