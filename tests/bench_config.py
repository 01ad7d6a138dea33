"""Benchmark (not a test): `just bench-config`.

Typing into the config editor on a 20 000-line config.pbtxt, headless, at a person's pace (a key
every 80 ms): the time from each key press to the repaint showing it, as a ratio against the same
typing into a plain Textual TextArea holding the same text, measured in the same run.
Target: every key under 50 ms whatever the size, i.e. the editor costs no more than the plain one.

The slowest keys are Python's full (generation 2) garbage collections, whose cost grows with the
objects alive (Textual's TextArea keeps three lists per line): each run counts them and its
longest, and the verdict compares the editor's slowest key with the plain TextArea's. The console
makes its full collections only when the keys pause (tui/core/util/collector.py).
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import TextArea

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.gcwatch import FullCollections  # noqa: E402
from tui.core.server.client import TritonHTTP  # noqa: E402
from tui.panes.config_editor import ConfigPane  # noqa: E402
from tui.state import ConsoleApp  # noqa: E402

KEYS = 60
PACE_S = 0.08


def big_config(lines: int = 20_000) -> str:
    """A valid config whose many inputs make it `lines` long (about 7 lines per input)."""
    out = ['name: "big"', 'backend: "onnxruntime"', "max_batch_size: 8", "input ["]
    i = 0
    while len(out) < lines - 12:
        out += ["  {", f'    name: "INPUT{i}"', "    data_type: TYPE_FP32"]
        out += ["    dims: [ 4 ]", "  },"]
        i += 1
    out[-1] = "  }"
    out += ["]", "output [", "  {", '    name: "OUTPUT0"', "    data_type: TYPE_FP32"]
    out += ["    dims: [ 4 ]", "  }", "]"]
    return "\n".join(out) + "\n"


class Plain(App[None]):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        yield TextArea(self.text, show_line_numbers=True, soft_wrap=False)


class Editor(ConsoleApp):
    def __init__(self, repo: Path) -> None:
        session = SimpleNamespace(
            client=TritonHTTP("127.0.0.1:1"), repositories=[repo], server=None, lines=None
        )
        super().__init__(session)  # type: ignore[arg-type]  # a stand-in: no server needed

    def compose(self) -> ComposeResult:
        yield ConfigPane()


async def type_into(
    app: App[Any], area: TextArea, label: str
) -> tuple[list[float], FullCollections]:
    full = FullCollections()
    last = [0.0]
    render_line = area.render_line

    def timed(y: int) -> Any:
        last[0] = time.perf_counter()
        return render_line(y)

    area.render_line = timed  # type: ignore[method-assign]
    area.focus()
    area.move_cursor((3, 0))
    await asyncio.sleep(0.5)
    latencies = []
    with full:
        for i in range(KEYS):
            before = area.document.line_count, len(area.document.get_line(3))
            t0 = time.perf_counter()
            key = "x" if i % 2 else "y"
            app.post_message(events.Key(key, key))  # as the terminal driver posts a key
            while (area.document.line_count, len(area.document.get_line(3))) == before:
                await asyncio.sleep(0.0005)
            while last[0] < t0 and time.perf_counter() - t0 < 5:
                await asyncio.sleep(0.0005)
            latencies.append(last[0] - t0)
            await asyncio.sleep(max(0.0, PACE_S - (time.perf_counter() - t0)))
    lat = sorted(latencies)
    print(
        f"{label}: p50 {statistics.median(lat) * 1000:.1f} ms, "
        f"p95 {lat[int(0.95 * (len(lat) - 1))] * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms; "
        f"{full.count} full GC, longest {full.longest_ms:.1f} ms, "
        f"{len(gc.get_objects()):,} objects scanned"
    )
    return lat, full


async def main_async() -> int:
    text = big_config()
    plain = Plain(text)
    async with plain.run_test(size=(120, 40)):
        anchor, _ = await type_into(plain, plain.query_one(TextArea), "plain TextArea    ")
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        (repo / "big" / "1").mkdir(parents=True)
        (repo / "big" / "config.pbtxt").write_text(text)
        app = Editor(repo)
        async with app.run_test(size=(120, 40)) as pilot:
            pane = app.query_one(ConfigPane)
            app.selected_model = "big"
            while pane.doc is None or pane.completed is None:
                await pilot.pause(0.05)
            ours, collections = await type_into(app, pane.editor, "config editor     ")
    lines = text.count("\n")
    worst = ours[-1] * 1000
    ratio = statistics.median(ours) / statistics.median(anchor)
    plain_worst = anchor[-1] * 1000
    verdict = "OK" if worst < 50 else "ABOVE TARGET"
    if worst >= 50 and collections.longest_ms >= worst / 2:
        verdict += f" (a full garbage collection took {collections.longest_ms:.0f} ms)"
    elif worst >= 50 and worst <= plain_worst:
        verdict += " (the plain TextArea's slowest key is slower: Textual's cost or a busy machine)"
    print(
        f"{lines:,}-line config: editor/plain p50 ratio {ratio:.2f}, max ratio "
        f"{worst / plain_worst:.2f}; slowest key {worst:.1f} ms (target < 50 ms: {verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main_async()))
