"""Fleet pane (`0`): every Triton server the user runs, one row each, refreshed every 2 s while
shown; `Enter` attaches the whole console to the server under the cursor.

The source is the console's `--prometheus` / `--fleet`, else the servers this machine registered
(`triton-tui serve` and consoles). `s`/`S` sort (next column, reverse), `/` filters by name or
label, `m` shows models × servers (drift marked `!`, the slow replica `SLOW`), space marks
servers, and `l`/`u`/`r` load, unload or reload the model under the models cursor on the marked
servers (all live ones when none is marked), one at a time, each asked first with a preview.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from tui.core.fleet.registry import lookup
from tui.core.fleet.rolling import RollAction, RollResult, preview, roll
from tui.core.fleet.snapshot import SORT_KEYS, FleetSnapshot, ServerRow, sorted_rows
from tui.core.fleet.sources import FleetSource, open_source
from tui.core.fleet.table import cells
from tui.core.server.endpoints import metrics_url_for
from tui.panes.config_dialogs import confirm
from tui.panes.fleet_tables import FleetModelTable, ServerTable
from tui.state import console
from tui.workers import ReportsWorkerFailures, work

REFRESH_S = 2.0


@dataclass
class FleetRefreshed(Message):
    snapshot: FleetSnapshot
    texts: dict[str, tuple[str, ...]]  # each server's cells, formatted off the event loop


@dataclass
class RollProgressed(Message):
    words: str


@dataclass
class RollFinished(Message):
    result: RollResult


class FleetPane(ReportsWorkerFailures, Vertical):
    BINDINGS = [
        Binding("s", "sort(1)", "Sort"),
        Binding("S", "sort(0)", "Reverse", show=False),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("m", "models", "Models"),
        Binding("space", "mark", "Mark", show=False),
        Binding("l", "roll('load')", "Load", show=False),
        Binding("u", "roll('unload')", "Unload", show=False),
        Binding("r", "roll('reload')", "Reload", show=False),
    ]

    def __init__(self, refresh_s: float = REFRESH_S) -> None:
        super().__init__(id="fleet-pane")
        self.refresh_s = refresh_s
        self.snapshot: FleetSnapshot | None = None
        self.source: FleetSource | None = None
        self.sort_key = "name"
        self.descending = False
        self.marked: set[str] = set()
        self._busy = False
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("Fleet: looking for servers …", id="fleet-status")
        yield ServerTable()
        yield FleetModelTable()
        yield Static("", id="fleet-detail")
        yield Input(
            placeholder="filter by name or label (Enter keeps it, Esc clears)", id="fleet-filter"
        )

    def on_mount(self) -> None:
        self.query_one(FleetModelTable).display = False
        self.query_one("#fleet-filter", Input).display = False

    def on_show(self) -> None:
        if self._timer is None:
            self._timer = self.set_interval(self.refresh_s, self._tick, name="fleet-refresh")
        else:
            self._timer.resume()
        self._tick()

    def on_hide(self) -> None:
        if self._timer is not None:
            self._timer.pause()  # a fleet nobody looks at is not polled

    # Refresh -------------------------------------------------------------------------------
    def _tick(self) -> None:
        if not self._busy:
            self._busy = True
            self._refresh(self.query_one(FleetModelTable).display)

    @work(thread=True, group="fleet-refresh")
    def _refresh(self, fingerprints: bool) -> None:
        try:
            if self.source is None:
                self.source = console(self).fleet_source or open_source()
            if hasattr(self.source, "fingerprints"):
                self.source.fingerprints = fingerprints  # config hashes: for the model view only
            snap = self.source.refresh()
            texts = {row.url: tuple(cells(row)) for row in snap.servers}
            self.post_message(FleetRefreshed(snap, texts))
        finally:
            self._busy = False

    def on_fleet_refreshed(self, message: FleetRefreshed) -> None:
        self.snapshot = message.snapshot
        self._draw(message.texts)

    def shown_rows(self) -> list[ServerRow]:
        if self.snapshot is None:
            return []
        text = self.query_one("#fleet-filter", Input).value.strip()
        rows = [r for r in self.snapshot.servers if not text or r.matches(text)]
        return sorted_rows(rows, self.sort_key, self.descending)

    def _draw(self, texts: dict[str, tuple[str, ...]] | None = None) -> None:
        snap = self.snapshot
        if snap is None:
            return
        shown = self.shown_rows()
        self.query_one(ServerTable).fill(shown, self.marked, texts)
        if self.query_one(FleetModelTable).display:
            self.query_one(FleetModelTable).fill(snap)
        down = sum(1 for r in snap.servers if r.down)
        drift = sum(1 for m in snap.models if m.drift)
        parts = [escape(snap.source), f"{len(snap.servers)} server(s)"]
        if down:
            parts.append(f"[bold red]{down} down[/]")
        if drift:
            parts.append(f"[bold yellow]{drift} model(s) drift[/]")
        if len(shown) != len(snap.servers):
            parts.append(f"{len(shown)} shown")
        order = "↓" if self.descending else "↑"
        parts.append(f"sort {self.sort_key} {order}")
        status = " · ".join(parts)
        if snap.error:
            status += f"\n[red]{escape(snap.error)}[/]"
        elif not snap.servers:
            status += (
                "\nNo server: start one with `triton-tui serve`, or give --prometheus / --fleet"
            )
        self.query_one("#fleet-status", Static).update(status)
        self._describe()

    def _describe(self) -> None:
        row = self.query_one(ServerTable).selected
        detail = self.query_one("#fleet-detail", Static)
        if row is None:
            detail.update("")
            return
        labels = " ".join(f"{k}={v}" for k, v in sorted(row.labels.items()))
        text = f"{escape(row.name)}  http://{escape(row.url)}"
        if row.reason:
            text += (
                f"\n[bold red]{escape(row.reason)}[/]" if row.down else f"\n{escape(row.reason)}"
            )
        if labels:
            text += f"\n[dim]{escape(labels)}[/]"
        detail.update(text + "\n[dim]Enter attaches the console to it[/]")

    @on(DataTable.RowHighlighted, "#fleet-servers")
    def _highlighted(self) -> None:
        self._describe()

    # Keys ----------------------------------------------------------------------------------
    def action_sort(self, forward: int) -> None:
        if forward:
            keys = list(SORT_KEYS)
            self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)]
        else:
            self.descending = not self.descending
        self._draw()

    def action_filter(self) -> None:
        box = self.query_one("#fleet-filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#fleet-filter")
    def _filter_changed(self) -> None:
        self._draw()

    @on(Input.Submitted, "#fleet-filter")
    def _filter_done(self) -> None:
        self.query_one(ServerTable).focus()

    def on_key(self, event: events.Key) -> None:
        box = self.query_one("#fleet-filter", Input)
        if event.key == "escape" and box.has_focus:
            box.value = ""
            box.display = False
            self.query_one(ServerTable).focus()
            event.stop()

    def action_models(self) -> None:
        table = self.query_one(FleetModelTable)
        if not table.display:
            table.display = True
            if self.snapshot is not None:
                table.fill(self.snapshot)
            table.focus()
            self._tick()  # with config fingerprints now
        else:  # the focus first: a hidden widget that has it hands it on by itself
            self.query_one(ServerTable).focus()
            table.display = False

    def action_mark(self) -> None:
        row = self.query_one(ServerTable).selected
        if row is not None:
            self.marked ^= {row.url}
            self._draw()

    @on(DataTable.RowSelected, "#fleet-servers")
    def _row_chosen(self) -> None:
        row = self.query_one(ServerTable).selected
        if row is None:
            return
        self._attach_to(row)

    @work(thread=True, group="fleet-attach")
    def _attach_to(self, row: ServerRow) -> None:
        entry = lookup(row.url)  # a server on this machine: its repository and metrics URL
        where = row.repository or (entry.repository if entry else "")
        repos = [Path(p) for p in where.split(os.pathsep) if p]
        # found here, off the event loop: the console's attach must not probe ports
        metrics = row.metrics_url or metrics_url_for(row.url)
        self.app.call_from_thread(self._attach_now, row.url, metrics, repos)

    def _attach_now(self, url: str, metrics: str | None, repos: list[Path]) -> None:
        console(self).attach(url, metrics, repos)
        self.app.call_later(self.app.run_action, "show_pane('repository')")

    def action_roll(self, action: RollAction) -> None:
        self._ask_roll(action)

    @work(group="fleet-ask", exclusive=True)
    async def _ask_roll(self, action: RollAction) -> None:
        """Which model, on which servers; the preview asked first (a dialog: in a worker)."""
        app = console(self)
        if not app.may_change_server(f"{action} across the fleet"):
            return
        model = (
            self.query_one(FleetModelTable).selected
            if self.query_one(FleetModelTable).display
            else None
        )
        name = model.name if model else app.selected_model
        if not name:
            self.app.notify(
                "open the models view (m) and put the cursor on a model", severity="warning"
            )
            return
        live = [r for r in self.shown_rows() if r.live]
        targets = [r.url for r in live if r.url in self.marked] or [r.url for r in live]
        if not targets:
            self.app.notify("no live server to act on", severity="warning")
            return
        answer = await self.app.push_screen_wait(
            confirm(
                f"{action.capitalize()} {name} across the fleet?",
                preview(action, name, targets),
                yes=action.capitalize(),
            )
        )
        if answer == "yes":
            self._roll(action, name, targets)

    @work(thread=True, exclusive=True, group="fleet-roll")
    def _roll(self, action: RollAction, model: str, servers: list[str]) -> None:
        def progress(url: str, words: str) -> None:
            self.post_message(RollProgressed(f"{url}: {words}"))

        result = roll(action, model, servers, progress)
        self.post_message(RollFinished(result))

    def on_roll_progressed(self, message: RollProgressed) -> None:
        self.query_one("#fleet-detail", Static).update(escape(message.words))

    def on_roll_finished(self, message: RollFinished) -> None:
        result = message.result
        self.app.notify(
            escape(result.summary()),
            title="Rolling " + result.action,
            severity="information" if result.ok else "error",
            timeout=8 if result.ok else 30,
        )
        self._tick()
