"""Key-press-to-repaint benchmark (`just bench-keys`, issue 24: every key under 100 ms).

Starts the embedded server on a generated repository (the demo's add_sub under a dozen names, and
`big`: add_sub with 20 000 parameters, a 1.2 MiB config.pbtxt) and drives the console headless
through four journeys: move through the repository list (over `big` and back), open each model's
config (`e`, then `1` back), switch panes (1-6), open and close the command palette. Each key's
latency runs from the key reaching the app to the first repaint after what it changes is seen.
The anchor, measured in the same run with the same keys: a plain Textual app with the same tabs,
a DataTable of the same names and a TextArea holding the big config.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import CommandPalette
from textual.widgets import DataTable, TabbedContent, TabPane, TextArea

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.gcwatch import FullCollections  # noqa: E402
from tui.app import TritonTUI  # noqa: E402
from tui.core.server.launcher import LaunchSpec, ServerProcess  # noqa: E402
from tui.core.server.session import Session  # noqa: E402

COPIES = 12
PARAMETERS = 20_000
PANE_IDS = ("repository", "config", "logs", "gpu", "bench", "tune")
TIMEOUT_S = 60.0


def build_repo(dest: Path) -> list[str]:
    """add_sub under COPIES names, and `big` (its config 1.2 MiB of parameters)."""
    source = ROOT / "assets" / "models" / "add_sub"
    text = (source / "config.pbtxt").read_text()
    names = [f"m{i:02d}" for i in range(COPIES)] + ["big"]
    for name in names:
        shutil.copytree(source / "1", dest / name / "1")
        body = text.replace('"add_sub"', f'"{name}"')
        if name == "big":
            body += "".join(
                f'parameters {{ key: "p{i:05d}" value {{ string_value: "v{i:05d}" }} }}\n'
                for i in range(PARAMETERS)
            )
        (dest / name / "config.pbtxt").write_text(body)
    return sorted(names)


class Plain(App[None]):
    """The anchor: the same shape in stock Textual widgets, no work behind any key."""

    BINDINGS = [
        *(Binding(str(i + 1), f"show('{p}')") for i, p in enumerate(PANE_IDS)),
        Binding("e", "show('config')"),
    ]

    def __init__(self, names: list[str], text: str) -> None:
        super().__init__()
        self.names, self.text = names, text

    def compose(self) -> ComposeResult:
        with TabbedContent(id="panes"):
            for pane_id in PANE_IDS:
                with TabPane(pane_id, id=pane_id):
                    if pane_id == "repository":
                        table: DataTable[str] = DataTable(id="model-table", cursor_type="row")
                        table.add_columns("Model", "State")
                        for name in self.names:
                            table.add_row(name, "READY", key=name)
                        yield table
                    elif pane_id == "config":
                        yield TextArea(self.text, id="config-editor", read_only=True)

    def action_show(self, pane_id: str) -> None:
        self.screen.set_focus(None)
        self.query_one("#panes", TabbedContent).active = pane_id
        if pane_id == "repository":
            self.call_after_refresh(self.query_one("#model-table").focus)


class Timer:
    """Records when the app last painted (wraps its display call)."""

    def __init__(self, app: App[Any]) -> None:
        self.last = 0.0
        display = app._display  # noqa: SLF001 - the one place a frame goes out

        def timed(*args: Any, **kwargs: Any) -> Any:
            result = display(*args, **kwargs)
            self.last = time.perf_counter()
            return result

        app._display = timed  # type: ignore[method-assign]  # noqa: SLF001


async def press(app: App[Any], timer: Timer, key: str, seen: Callable[[], bool]) -> float:
    """Seconds from `key` reaching the app to the repaint after `seen()` holds."""
    driver = app._driver  # noqa: SLF001 - keys as the terminal driver sends them
    assert driver is not None
    char = key if len(key) == 1 else None
    start = time.perf_counter()
    driver.send_message(events.Key(key, char))
    while not seen():
        if time.perf_counter() - start > TIMEOUT_S:
            raise SystemExit(f"key {key!r}: nothing seen in {TIMEOUT_S:.0f} s")
        await asyncio.sleep(0.001)
    seen_at = time.perf_counter()
    while timer.last < seen_at and time.perf_counter() - seen_at < 1.0:
        await asyncio.sleep(0.001)
    return max(timer.last, seen_at) - start


def cursor_row(app: App[Any]) -> int:
    return app.query_one("#model-table", DataTable).cursor_row


def active(app: App[Any]) -> str:
    return app.query_one("#panes", TabbedContent).active


def palette_open(app: App[Any]) -> bool:
    return isinstance(app.screen, CommandPalette)


async def journeys(app: App[Any], rows: int, full: FullCollections) -> dict[str, list[float]]:
    with full:
        return await _journeys(app, rows)


async def _journeys(app: App[Any], rows: int) -> dict[str, list[float]]:
    timer = Timer(app)
    out: dict[str, list[float]] = {"move": [], "open config": [], "switch pane": [], "palette": []}
    await asyncio.sleep(0.5)
    for key in ["down"] * (rows - 1) + ["up"] * (rows - 1):
        row = cursor_row(app)
        step = 1 if key == "down" else -1
        out["move"].append(await press(app, timer, key, lambda r=row + step: cursor_row(app) == r))
        await asyncio.sleep(0.05)
    for _ in range(rows):
        out["open config"].append(await press(app, timer, "e", lambda: active(app) == "config"))
        await asyncio.sleep(0.05)
        out["open config"].append(await press(app, timer, "1", lambda: active(app) == "repository"))
        await asyncio.sleep(0.05)
        row = cursor_row(app)
        await press(app, timer, "down", lambda r=row: cursor_row(app) != r or r == rows - 1)
    for _ in range(3):
        for i, pane_id in enumerate(PANE_IDS):
            out["switch pane"].append(
                await press(app, timer, str(i + 1), lambda p=pane_id: active(app) == p)
            )
            await asyncio.sleep(0.05)
    await press(app, timer, "1", lambda: active(app) == "repository")
    for _ in range(5):
        out["palette"].append(await press(app, timer, "ctrl+p", lambda: palette_open(app)))
        await asyncio.sleep(0.05)
        out["palette"].append(await press(app, timer, "escape", lambda: not palette_open(app)))
        await asyncio.sleep(0.05)
    return out


def line(label: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return f"{label:<12} {statistics.median(ms):8.1f} {p99:8.1f} {ms[-1]:8.1f}"


async def main_async() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "models"
        names = build_repo(repo)
        big = (repo / "big" / "config.pbtxt").read_text()
        print(f"repository: {len(names)} models; big/config.pbtxt {len(big) / 2**20:.2f} MiB")
        plain = Plain(names, big)
        async with plain.run_test(size=(120, 40)):
            plain.query_one("#model-table").focus()
            anchor = await journeys(plain, len(names), plain_gc := FullCollections())
        server = ServerProcess(LaunchSpec([repo]))
        server.start()
        try:
            server.wait_ready(180)
            app = TritonTUI(Session.of_server(server), stop_server_on_exit=False)
            async with app.run_test(size=(120, 40)) as pilot:
                while app.query_one("#model-table", DataTable).row_count < len(names):
                    await pilot.pause(0.1)
                ours = await journeys(app, len(names), ours_gc := FullCollections())
        finally:
            server.stop()
    print(f"{'key-press-to-repaint (ms)':<26}   p50      p99      max")
    worst = 0.0
    for journey in ours:
        print(line(f"{journey}", ours[journey]) + "   triton-tui")
        print(line("", anchor[journey]) + "   plain Textual")
        worst = max(worst, max(ours[journey]))
    every_ours = [v for vs in ours.values() for v in vs]
    every_plain = [v for vs in anchor.values() for v in vs]
    ratio = statistics.median(every_ours) / statistics.median(every_plain)
    print(line("all keys", every_ours) + "   triton-tui")
    print(line("", every_plain) + "   plain Textual")
    print(f"p50 ratio triton-tui / plain: {ratio:.2f}; slowest key {worst * 1000:.0f} ms")
    print(f"meanwhile: triton-tui {ours_gc}; plain Textual {plain_gc}")
    verdict = worst < 0.1
    print("target (every key < 100 ms):", "met" if verdict else "NOT met")
    return 0 if verdict else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main_async()))
