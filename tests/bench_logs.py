"""Benchmark (not a test): `just bench-logs`.

1. Parser and store throughput on a recorded Triton log (tests/data/triton_verbose.log, a real
   `--log-verbose=1` start-up, load/unload and inference, repeated): target ≥ 200 000 lines/s.
2. The Logs pane, headless, fed through a real LineBuffer as the launcher feeds it: lines/s end to
   end, then key-press-to-repaint latency while lines arrive at 5 000 lines/s: target ≤ 100 ms.
3. Memory under a flood: the process's RSS once the history (100 000 lines) is full, once it has
   been replaced a first time (the buffer, the pane's queue and the store all full: steady state),
   then after ten more histories of distinct lines; the held lines' own size is the anchor. In
   the steady state RSS must stay flat (target: growth ≤ 10 %), and so must the live Python blocks
   (`sys.getallocatedblocks`, within 2 %): RSS growth beyond them is the allocator's, not ours.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

from textual import events
from textual.app import ComposeResult

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui.core.logs.parser import LogParser  # noqa: E402
from tui.core.logs.store import LogStore  # noqa: E402
from tui.core.server.client import TritonHTTP  # noqa: E402
from tui.core.util.linebuffer import LineBuffer  # noqa: E402
from tui.panes.logs import LogsPane  # noqa: E402
from tui.state import ConsoleApp  # noqa: E402

RECORDED = (ROOT / "tests" / "data" / "triton_verbose.log").read_text().splitlines()


def bench_parser(n: int = 500_000) -> None:
    lines = (RECORDED * (n // len(RECORDED) + 1))[:n]
    parser = LogParser(gpu_host=False)
    feed = parser.feed
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        for line in lines:
            feed(line)
        best = max(best, n / (time.perf_counter() - t0))
    store = LogStore(100_000, gpu_host=False)
    t0 = time.perf_counter()
    for i in range(0, n, 500):  # the pane feeds the store in batches
        store.extend(lines[i : i + 500])
    stored = n / (time.perf_counter() - t0)
    verdict = "OK" if best >= 200_000 else "BELOW TARGET"
    print(f"parser: {best:,.0f} lines/s ({n:,} recorded lines; target ≥ 200,000: {verdict})")
    print(f"parser + bounded store (history 100 000): {stored:,.0f} lines/s")


class Host(ConsoleApp):
    """The logs pane alone; server_state stays "starting": no HTTP during the bench."""

    def __init__(self, buffer: LineBuffer) -> None:
        session = SimpleNamespace(
            lines=buffer,
            client=TritonHTTP("127.0.0.1:1"),
            server_pid=None,
            metrics_url=None,
            errors=None,
            repositories=[],
            server=None,
        )
        super().__init__(session)  # type: ignore[arg-type]  # a stand-in session

    def compose(self) -> ComposeResult:
        yield LogsPane()


async def bench_pane(rate: int = 5_000, seconds: float = 6.0) -> None:
    buffer = LineBuffer(100_000)
    app = Host(buffer)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(LogsPane)
        view = pane.view
        # End to end: 100 000 lines (one history) through the buffer, batching, store, view.
        n = 100_000
        lines = (RECORDED * (n // len(RECORDED) + 1))[:n]
        t0 = time.perf_counter()
        writer = threading.Thread(target=lambda: [buffer.append(line) for line in lines])
        writer.start()
        while writer.is_alive() or pane._pending:  # noqa: SLF001
            await asyncio.sleep(0.01)
        await pilot.pause()
        e2e = pane.store.total / (time.perf_counter() - t0)
        print(
            f"pane end to end (buffer → batch → store → view): {e2e:,.0f} lines/s "
            f"({pane.store.total:,} of {n:,} lines arrived, {pane._dropped} dropped)"  # noqa: SLF001
        )

        # Flood at `rate` lines/s from another thread, like the launcher's reader.
        stop = threading.Event()
        sent = [0]

        def flood() -> None:
            i = 0
            start = time.perf_counter()
            while not stop.is_set():
                due = int((time.perf_counter() - start) * rate)
                while i < due:
                    buffer.append(RECORDED[i % len(RECORDED)])
                    i += 1
                time.sleep(0.005)
            sent[0] = i

        writer = threading.Thread(target=flood, daemon=True)
        writer.start()

        # Each key with the state that shows its action ran.
        def state() -> tuple[object, ...]:
            return (
                view.wrap,
                frozenset(pane.store.levels),
                view.follow,
                view.cursor,
                view.scroll_y,
            )

        keys = ["w", "E", "E", "f", "pageup", "e", "V", "V", "w", "f"]
        latencies: list[float] = []
        per_key: dict[str, list[int]] = {}
        end = time.perf_counter() + seconds
        k = 0
        while time.perf_counter() < end:
            key = keys[k % len(keys)]
            k += 1
            before = state()
            t0 = time.perf_counter()
            app.post_message(events.Key(key, key if len(key) == 1 else None))
            while state() == before and time.perf_counter() - t0 < 2.0:
                await asyncio.sleep(0.0005)
            acted = time.perf_counter()
            while view.last_render < acted and time.perf_counter() - t0 < 2.0:
                await asyncio.sleep(0.0005)
            latencies.append(view.last_render - t0)
            per_key.setdefault(key, []).append(round((view.last_render - t0) * 1000))
            await asyncio.sleep(0.1)
        print("per key (ms):", "  ".join(f"{k} {max(v)} max" for k, v in per_key.items()))
        stop.set()
        writer.join()
        while pane._pending:  # noqa: SLF001
            await asyncio.sleep(0.01)
        got = sent[0] / seconds
        lat = sorted(latencies)
        p50 = statistics.median(lat) * 1000
        p95 = lat[int(0.95 * (len(lat) - 1))] * 1000
        verdict = "OK" if p95 <= 100 else "ABOVE TARGET"
        print(
            f"key press → repaint under {got:,.0f} lines/s: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
            f"max {lat[-1] * 1000:.1f} ms over {len(lat)} presses (target ≤ 100 ms: {verdict})"
        )
        held, dropped = len(pane.store), pane._dropped  # noqa: SLF001
        print(f"lines held {held:,} (history {pane.store.history:,}); dropped {dropped}")


async def bench_memory(rounds: int = 10) -> None:
    import gc

    import psutil

    buffer = LineBuffer(100_000)
    app = Host(buffer)
    me = psutil.Process()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(LogsPane)
        sent = 0

        async def one_history() -> None:
            nonlocal sent

            def write() -> None:  # distinct strings, as the launcher's reader makes them
                for i in range(sent, sent + 100_000):
                    buffer.append(f"{RECORDED[i % len(RECORDED)]} #{i}")

            writer = threading.Thread(target=write)
            writer.start()
            while writer.is_alive() or pane._pending:  # noqa: SLF001
                await asyncio.sleep(0.01)
            sent += 100_000
            await pilot.pause()
            gc.collect()

        await one_history()
        at_cap = me.memory_info().rss
        held = sum(sys.getsizeof(line) for line in pane.store.visible_lines())
        await one_history()
        steady = peak = me.memory_info().rss
        blocks = sys.getallocatedblocks()
        for _ in range(rounds):
            await one_history()
            peak = max(peak, me.memory_info().rss)
        end = me.memory_info().rss
        growth = (end - steady) / steady * 100
        heap = (sys.getallocatedblocks() - blocks) / blocks * 100
        verdict = "OK" if growth <= 10 else "ABOVE TARGET"
        print(
            f"memory under a flood: RSS {at_cap / 1e6:.0f} MB with the history full (held "
            f"lines themselves {held / 1e6:.0f} MB), {steady / 1e6:.0f} MB once replaced (steady "
            f"state), {end / 1e6:.0f} MB after {rounds * 100_000:,} more lines (peak "
            f"{peak / 1e6:.0f} MB): {growth:+.1f} % (target ≤ 10 %: {verdict}); "
            f"lines held {len(pane.store):,}"
        )
        # Live Python objects (pymalloc blocks) over the same lines: flat means nothing the pane,
        # its view or the store keeps grows; what RSS adds on top is the allocator's, not ours.
        verdict = "OK" if abs(heap) <= 2 else "GROWING"
        print(
            f"live Python blocks: {blocks:,} in the steady state, {heap:+.2f} % after "
            f"{rounds * 100_000:,} more lines (target: flat, within 2 %: {verdict})"
        )


def main() -> int:
    bench_parser()
    asyncio.run(bench_pane())
    asyncio.run(bench_memory())
    return 0


if __name__ == "__main__":
    sys.exit(main())
