"""The Logs pane on the real server: start-up lines in order, live log settings, a flood."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from types import SimpleNamespace

from textual.app import ComposeResult
from textual.widgets import Input

from tui.app import TritonTUI
from tui.core.logs.parser import has_local_gpu
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.server.session import Session
from tui.core.util.linebuffer import LineBuffer
from tui.panes.logs import LogsPane
from tui.state import ConsoleApp


async def _until(pilot, cond, timeout: float = 10.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        await pilot.pause(0.05)
    return False


def _held(pane: LogsPane) -> list[str]:
    store = pane.store
    return [store.line(n)[0] for n in range(store.first, store.total)]


async def test_pane_gets_the_servers_startup_lines_in_order(
    demo_session: Session, demo_server: ServerProcess
) -> None:
    startup = [line for _, line in demo_server.lines.snapshot()]
    app = TritonTUI(demo_session, stop_server_on_exit=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        pane = app.query_one(LogsPane)
        assert await _until(pilot, lambda: len(pane.store) >= len(startup))
        assert _held(pane)[: len(startup)] == startup
        assert "launched tritonserver" in pane.source
        models = [e for e in pane.store.entries() if e.src.startswith("server.cc:674")]
        table = "\n".join(models[0].lines)
        for name in ("add_sub", "densenet_onnx", "identity_onnx", "slow_init"):
            assert f"| {name}" in table
        at_start = [e for e in pane.store.entries() if e.seq < len(startup)]
        errors = [e for e in at_start if e.level == "E"]
        if not has_local_gpu():  # a CPU box's start-up errors are all harmless
            assert errors and all(e.harmless for e in errors)
        assert app.focused is pane.view


async def test_verbose_toggle_changes_what_the_server_logs(
    demo_session: Session, demo_client: TritonHTTP
) -> None:
    app = TritonTUI(demo_session, stop_server_on_exit=False)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("3")
            pane = app.query_one(LogsPane)
            assert await _until(pilot, lambda: pane.settings is not None)
            assert pane.settings["log_verbose_level"] == 0
            await pilot.press("s")
            dialog = app.screen
            dialog.query_one("#ls-verbose", Input).value = "1"
            await pilot.click("#ls-apply")
            assert await _until(pilot, lambda: pane.settings["log_verbose_level"] == 1)
            assert demo_client.log_settings()["log_verbose_level"] == 1
            demo_client.model_ready("add_sub")

            def verbose_seen(path: str) -> bool:
                return any(path in line for line in _held(pane))

            assert await _until(pilot, lambda: verbose_seen("/v2/models/add_sub/ready"))
            hit = [e for e in pane.store.entries() if "/v2/models/add_sub/ready" in e.head]
            assert hit[0].level == "V"
            demo_client.update_log_settings(log_verbose_level=0)
            demo_client.model_ready("identity_onnx")
            await pilot.pause(0.6)
            pane.flush()
            assert not verbose_seen("/v2/models/identity_onnx/ready")
    finally:
        demo_client.update_log_settings(log_verbose_level=0)


class _Host(ConsoleApp):
    """The smallest app a LogsPane needs: the shared console state, and no other pane."""

    def __init__(self, session: object, log_file: Path | None = None, history: int = 100_000):
        super().__init__(session, log_file=log_file)  # type: ignore[arg-type]  # a stand-in
        self.history = history

    def compose(self) -> ComposeResult:
        yield LogsPane(history=self.history)


def _session(lines: LineBuffer | None, client: TritonHTTP) -> SimpleNamespace:
    return SimpleNamespace(
        lines=lines, client=client, server_pid=None, metrics_url=None, errors=None
    )


async def test_flood_keeps_the_pane_bounded_and_responsive(demo_client: TritonHTTP) -> None:
    history = 2_000
    buffer = LineBuffer(history)
    app = _Host(_session(buffer, demo_client), history=history)
    total = 60_000
    line = 'I1126 11:40:48.033575 6563 http_server.cc:1280] "HTTP using buffer for: OUTPUT0 #{}"'
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(LogsPane)

        def flood() -> None:
            for i in range(total):
                buffer.append(line.format(i))

        writer = threading.Thread(target=flood)
        writer.start()
        latencies = []
        while writer.is_alive():
            t0 = time.perf_counter()
            await pilot.press("w")
            latencies.append(time.perf_counter() - t0)
            assert len(pane._pending) <= history  # noqa: SLF001 - the bound under test
            await asyncio.sleep(0.05)
        writer.join()
        assert await _until(pilot, lambda: pane.store.total >= total or pane._dropped > 0)  # noqa: SLF001
        await pilot.pause(0.3)
        assert len(pane.store) <= history
        assert len(pane.store._lines) <= 2 * history + 8192  # noqa: SLF001
        assert pane.view.virtual_size.height <= 2 * history  # wrap may fold a few lines
        assert _held(pane)[-1] == line.format(total - 1)
        assert max(latencies) < 2.0  # the loop kept answering keys during the flood


async def test_pane_follows_a_log_file(tmp_path: Path, demo_client: TritonHTTP) -> None:
    log = tmp_path / "triton.log"
    log.write_text('I1126 11:40:43.188547 6563 cuda_memory_manager.cc:117] "first"\n')
    app = _Host(_session(None, demo_client), log_file=log)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(LogsPane)
        assert "followed" in pane.source
        assert await _until(pilot, lambda: len(pane.store) == 1)
        with open(log, "a") as f:
            f.write("E1126 11:40:44.000000 6563 model_lifecycle.cc:642] \"failed to load 'm'\"\n")
        assert await _until(pilot, lambda: len(pane.store) == 2)
        await pilot.press("e")
        assert pane.view.cursor == pane.store.first + 1
        assert not pane.view.follow


async def test_attached_server_without_logs_says_so(demo_client: TritonHTTP) -> None:
    app = _Host(_session(None, demo_client))
    async with app.run_test(size=(100, 30)) as pilot:
        app.server_state = "ready"
        pane = app.query_one(LogsPane)
        assert "no log stream" in pane.source
        assert await _until(pilot, lambda: pane.settings is not None)


async def test_opens_at_the_tail_when_following(demo_session: Session) -> None:
    app = TritonTUI(demo_session, stop_server_on_exit=False)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogsPane).view
        assert await _until(pilot, lambda: view.virtual_size.height > 30)
        await pilot.press("3")  # the pane was hidden while the lines arrived
        assert await _until(pilot, lambda: view.max_scroll_y > 0 and view.size.height > 0)
        await pilot.pause(0.3)
        assert view.follow and view.scroll_y == view.max_scroll_y


async def test_search_counts_matches_and_scrolls_one_into_view(demo_client: TritonHTTP) -> None:
    buffer = LineBuffer(1_000)
    for i in range(200):
        tail = f" {'x' * 140} needle {i}" if i % 50 == 7 else ""
        buffer.append(f'I1126 11:40:48.033575 6563 http_server.cc:1280] "line {i}{tail}"')
    app = _Host(_session(buffer, demo_client))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(LogsPane)
        assert await _until(pilot, lambda: len(pane.store) == 200)
        status = pane.query_one("#logs-status")
        assert pane.view.wrap and "WRAP" in str(status.render())  # folded by default
        await pilot.press("w")  # cut lines: a match far right scrolls sideways into view
        assert not pane.view.wrap and "CUT (w wraps)" in str(status.render())
        await pilot.press("slash", *"needle", "enter")
        assert await _until(pilot, lambda: "match 1/4" in str(status.render()))
        assert pane.view.scroll_x > 60  # the match, past column 140, is on screen
        await pilot.press("n")
        assert await _until(pilot, lambda: "match 2/4" in str(status.render()))
        await pilot.press("N", "N")
        assert await _until(pilot, lambda: "match 4/4" in str(status.render()))
        # The model prompt keeps what was typed when Tab leaves it.
        await pilot.press("m", *"add_s", "tab")
        await pilot.press("m")
        assert app.query_one("#logs-input", Input).value == "add_s"
