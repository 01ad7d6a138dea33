"""SVG screenshots at 80×24, the smallest terminal the console is made for (`just screenshots`):
the benchmark pane keeping an unstable level's windows, and the logs pane folding long lines."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from textual.widgets import Input, Select  # noqa: E402

from assets.screenshots.take import _until  # noqa: E402
from tui.app import TritonTUI  # noqa: E402
from tui.core.server.launcher import LaunchSpec, ServerProcess  # noqa: E402
from tui.core.server.session import Session  # noqa: E402
from tui.panes.bench import BenchPane  # noqa: E402

OUT = Path(__file__).resolve().parent
SIZE = (80, 24)


async def shoot(server: ServerProcess) -> None:
    session = Session.of_server(server)
    session.wait_ready()
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: app.server_state == "ready")
        await pilot.press("3")
        await pilot.pause(2.0)
        app.save_screenshot("logs-80x24.svg", str(OUT))
        await pilot.press("5")
        pane = app.query_one(BenchPane)
        await _until(pilot, lambda: "add_sub" in pane._models)
        pane.query_one("#bench-model", Select).value = "add_sub"
        # 300 ms windows held to 1 %: on a shared host no three agree, the level stays unstable.
        for name, value in (("range", "1"), ("window", "300"), ("stability", "1")):
            pane.query_one(f"#bench-{name}", Input).value = value
        await pilot.pause(1.0)
        pane.action_start()
        await _until(pilot, lambda: pane.current is None and bool(pane.runs), timeout=120)
        await pilot.pause(1.0)
        app.save_screenshot("bench-80x24.svg", str(OUT))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "models"
        shutil.copytree(ROOT / "assets" / "models" / "add_sub", repo / "add_sub")
        server = ServerProcess(LaunchSpec([repo]))
        server.start()
        try:
            server.wait_ready(120)
            asyncio.run(shoot(server))
        finally:
            server.stop()
    for name in ("logs-80x24.svg", "bench-80x24.svg"):
        print(f"wrote {(OUT / name).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
