"""Save an SVG screenshot of every pane, on the demo repository (`just screenshots`)."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from textual.widgets import DataTable, Input, Select  # noqa: E402

from tui.app import TritonTUI  # noqa: E402
from tui.core.server.launcher import LaunchSpec, ServerProcess  # noqa: E402
from tui.core.server.session import Session  # noqa: E402
from tui.panes.bench import BenchPane  # noqa: E402
from tui.panes.infer import InferScreen  # noqa: E402
from tui.panes.repository_list import ModelTable  # noqa: E402
from tui.panes.tune import TunePane  # noqa: E402

OUT = Path(__file__).resolve().parent
SIZE = (120, 36)


async def _until(pilot, predicate, timeout: float = 60.0) -> None:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate() and loop.time() < deadline:
        await pilot.pause(0.2)


async def shoot(server: ServerProcess) -> None:
    session = Session.of_server(server)
    session.wait_ready()
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#model-table", DataTable)
        await _until(pilot, lambda: table.row_count == 4)
        await pilot.pause(1.5)
        app.save_screenshot("repository.svg", str(OUT))
        await infer(pilot, app)
        await pilot.press("2")
        await pilot.pause(2.0)
        app.save_screenshot("config.svg", str(OUT))
        await pilot.press("3")
        await pilot.pause(1.5)
        app.save_screenshot("logs.svg", str(OUT))
        await pilot.press("4")
        await pilot.pause(4.0)
        app.save_screenshot("gpu.svg", str(OUT))
        await pilot.press("5")
        await pilot.pause(1.0)
        pane = app.query_one(BenchPane)
        await _until(pilot, lambda: len(pane.query_one("#bench-model", Select)._options) > 1)
        pane.query_one("#bench-model", Select).value = "add_sub"
        pane.query_one("#bench-range", Input).value = "1:6"
        pane.query_one("#bench-window", Input).value = "1000"
        await pilot.pause(1.0)
        pane.action_start()
        await pilot.pause(0.5)
        await _until(pilot, lambda: pane.current is None and bool(pane.runs), timeout=180)
        await pilot.pause(1.0)
        app.save_screenshot("bench.svg", str(OUT))
        await pilot.press("6")
        await pilot.pause(1.0)
        await tune(pilot, app.query_one(TunePane))
        app.save_screenshot("tune.svg", str(OUT))


async def infer(pilot, app: TritonTUI) -> None:  # noqa: ANN001
    """`i` on densenet_onnx: one random request, its top-5 and the curl command."""
    app.query_one(ModelTable).move_to("densenet_onnx")
    await pilot.pause(0.5)
    await pilot.press("i")
    await _until(pilot, lambda: isinstance(app.screen, InferScreen))
    out = app.screen.query_one("#infer-out")
    await _until(pilot, lambda: "outputs" in str(out.render()))
    await pilot.pause(1.0)
    app.save_screenshot("infer.svg", str(OUT))
    await pilot.press("escape")
    await pilot.pause(0.5)


async def tune(pilot, pane: TunePane) -> None:  # noqa: ANN001
    """A finished quick tune of add_sub over a small space (well under a minute)."""
    model = pane.query_one("#tune-model", Select)
    await _until(pilot, lambda: "add_sub" in [value for _, value in model._options])
    model.value = "add_sub"
    values = {"counts": "1:2", "batch": "8:8", "concurrency": "1:8", "window": "500"}
    for name, value in values.items():
        pane.query_one(f"#tune-{name}", Input).value = value
    await pilot.pause(0.5)
    pane.action_start()
    await pilot.pause(0.5)
    await _until(pilot, lambda: not pane.running, timeout=180)
    pane.query_one("#tune-table", DataTable).focus()
    await pilot.pause(1.0)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "models"
        shutil.copytree(
            ROOT / "assets" / "models", repo, ignore=shutil.ignore_patterns("__pycache__")
        )
        server = ServerProcess(LaunchSpec([repo]))
        server.start()
        try:
            server.wait_ready(120)
            asyncio.run(shoot(server))
        finally:
            server.stop()
    for svg in sorted(OUT.glob("*.svg")):
        print(f"wrote {svg.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
