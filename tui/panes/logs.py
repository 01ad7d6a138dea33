"""Logs pane (key 3): the server's log, live, filtered and searchable; its log settings; and the
cold-start section (`c`).

Sources: the server the console launched (every line since its first, replayed on subscribe), or
a file followed like `tail -F` when the app has `log_file`. Attached to a remote server there is
no log stream: the pane says so and still shows and changes the server's log settings.

Lines arrive on other threads; they are queued in a deque and written to the store and view in
batches ten times a second, so a flood costs one repaint per tick, not one per line.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import ContentSwitcher, Input, Static

from tui.core.client import TritonError
from tui.core.logs.coldstart import LoadTimeline
from tui.core.logs.follow import FileFollower
from tui.core.logs.store import LEVELS, LogStore, write_lines
from tui.core.paths import cache_dir
from tui.panes.coldstart import ColdStartView
from tui.panes.log_settings import LogSettingsScreen
from tui.panes.logs_view import LogView
from tui.state import console

FLUSH_INTERVAL = 0.1


@dataclass
class LogSettingsFetched(Message):
    settings: dict[str, Any] | None
    error: str = ""


@dataclass
class LogExported(Message):
    path: Path
    count: int
    error: str = ""
    asked: Path | None = None  # the name asked for, when a file had it (never replaced)


@dataclass
class SourceNoticed(Message):
    text: str


class LogsPane(Vertical):
    HELP = """\
**Logs**: the server's log, following the tail (`f` pauses). `/` searches (n/N next/previous),
`m` (or `L` anywhere) shows one model's lines, `E` `W` `I` `V` toggle levels, `e` jumps to the next
error that matters. `c` switches to the cold-start timeline, where `p` probes the model picked.
"""

    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("n", "find(False)", "Next", show=False),
        Binding("N", "find(True)", "Prev", show=False),
        Binding("f", "toggle_follow", "Follow"),
        Binding("e", "next_error", "Error"),
        Binding("w", "toggle_wrap", "Wrap", show=False),
        Binding("m", "model_filter", "Model"),
        Binding("x", "export", "Export", show=False),
        Binding("s", "settings", "Log settings", show=False),
        Binding("c", "toggle_coldstart", "Cold start"),
        *(Binding(lv, f"toggle_level('{lv}')", f"{lv} filter", show=False) for lv in LEVELS),
        Binding("escape", "close_input", show=False),
    ]

    def __init__(self, history: int = 100_000) -> None:
        super().__init__(id="logs-pane")
        self.store = LogStore(history)
        self.timeline = LoadTimeline()
        self._pending: deque[str] = deque(maxlen=history)
        self._dropped = 0
        self._last_seq = 0
        self._unsubscribe: Callable[[], None] | None = None
        self._follower: FileFollower | None = None
        self.source = ""
        self.settings: dict[str, Any] | None = None
        self.settings_error = ""
        self._input_mode = ""
        self._drafts: dict[str, str] = {}  # what was typed in a prompt left without Enter
        self._match: tuple[int, int] | None = None  # (k, n): the search match shown

    def compose(self) -> ComposeResult:
        yield Static("", id="logs-status")
        yield Static("", id="logs-settings")
        with ContentSwitcher(initial="logs-view", id="logs-switcher"):
            yield LogView(self.store, id="logs-view")
            yield ColdStartView(self.timeline, id="coldstart-view")
        yield Input(id="logs-input", classes="hidden")

    @property
    def view(self) -> LogView:
        return self.query_one("#logs-view", LogView)

    # Sources -------------------------------------------------------------------------------
    def on_mount(self) -> None:
        app = console(self)
        session, log_file = app.session, app.log_file
        if log_file:
            self._follower = FileFollower(
                log_file,
                self._pending.append,
                notice=lambda text: self._notice(text),
            ).start()
            self.source = f"file {log_file} (followed)"
            self.view.empty_text = [f"{log_file} has no line yet; it is followed like tail -F."]
        elif session.lines is not None:
            self._unsubscribe = session.lines.subscribe(self._on_line, replay=True)
            pid = session.server_pid
            self.source = f"launched tritonserver{f' (pid {pid})' if pid else ''}"
            self.view.empty_text = ["Waiting for the server's first log line."]
        else:
            url = session.client.url
            self.source = f"attached to {url}: no log stream"
            self.view.empty_text = [
                f"Attached with -u to {url}: the server's log is not streamed here",
                "(it writes its log where it was started, or to its --log-file).",
                "To follow it here, start with --attach-container NAME (a Triton container)",
                "or --log-file PATH (the server's log file).",
                "The server's log settings above still show"
                + ("." if app.read_only else ", and s changes them."),
            ]
        self.set_interval(FLUSH_INTERVAL, self.flush)
        self.watch(app, "server_state", self._server_state_changed)
        self._update_status()
        self._update_settings()

    def on_show(self) -> None:
        # Switching to this pane leaves focus on the previous pane's (now hidden) widget.
        focused = self.app.focused
        if focused is None or self not in focused.ancestors_with_self:
            self.view.focus()

    def _on_line(self, seq: int, line: str) -> None:  # reader thread
        if self._last_seq and seq != self._last_seq + 1:
            self._dropped += max(0, seq - self._last_seq - 1)
        self._last_seq = seq
        if len(self._pending) == self._pending.maxlen:
            self._dropped += 1
        self._pending.append(line)

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._follower is not None:
            self._follower.stop(timeout=0.5)

    def _notice(self, text: str) -> None:  # follower thread
        self.post_message(SourceNoticed(text))

    def on_source_noticed(self, message: SourceNoticed) -> None:
        self.app.notify(message.text, title="Log file")

    def flush(self) -> int:
        """Move queued lines into the store and view; returns how many were moved."""
        pending = self._pending
        count = len(pending)
        if not count:
            return 0
        popleft = pending.popleft
        batch = [popleft() for _ in range(count)]
        self.store.extend(batch)
        self.timeline.feed_lines(batch)
        self.view.lines_added()
        self._update_status()
        return count

    # Status lines --------------------------------------------------------------------------
    def _update_status(self) -> None:
        """Most telling first (an 80-column line cuts the end): follow, filters, counts, source."""
        store, view = self.store, self.view
        text = Text()
        text.append("FOLLOW" if view.follow else "PAUSED", "green" if view.follow else "yellow")
        if view.wrap:
            text.append(" WRAP")
        if store.model:
            text.append(f"  model={store.model}", "cyan")
        if view.search:
            text.append(f"  /{view.search}", "cyan")
            if self._match is not None:
                k, n = self._match
                text.append(f" match {k}/{n}" if n else " no match", "cyan")
        seen = store.seen
        matters = seen["E!"]
        harmless = seen["E"] - matters
        text.append(f"  errors {matters}", "bold red" if matters else "green")
        if harmless:
            text.append(f" +{harmless} harmless", "dim")
        text.append(f"  warn {seen['W']}  ")
        for lv in LEVELS:
            text.append(lv if lv in store.levels else "·", "bold" if lv in store.levels else "dim")
        text.append(f"  {len(store)} lines")
        if self._dropped:
            text.append(f" ({self._dropped} dropped: the history is full)", "yellow")
        text.append(f"  {self.source}", "dim")
        self.query_one("#logs-status", Static).update(text)

    def _update_settings(self) -> None:
        s = self.settings
        text = Text("server logging: ", "bold")
        if s is None:
            text.append(self.settings_error or "not read yet (waits for the server)", "dim")
        else:
            text.append(f"verbose {s.get('log_verbose_level', '?')}")
            for key in ("info", "warning", "error"):
                on_ = bool(s.get(f"log_{key}"))
                text.append(f" · {key} ")
                text.append("on" if on_ else "off", "green" if on_ else "red")
            text.append(f" · format {s.get('log_format', '?')}")
            if s.get("log_file"):
                text.append(f" · file {s['log_file']}")
            hint = "read-only: not changed here" if console(self).read_only else "s changes these"
            text.append(f"   ({hint})", "dim")
        self.query_one("#logs-settings", Static).update(text)

    # Server log settings -------------------------------------------------------------------
    def _server_state_changed(self, state: str) -> None:
        if state == "ready":
            self.fetch_settings()

    @work(thread=True, exclusive=True, group="log-settings")
    def fetch_settings(self, changes: dict[str, Any] | None = None) -> None:
        client = console(self).session.client
        try:
            settings = client.update_log_settings(**changes) if changes else client.log_settings()
        except TritonError as exc:
            self.post_message(LogSettingsFetched(None, f"cannot read or change: {exc}"))
            return
        self.post_message(LogSettingsFetched(settings))

    def on_log_settings_fetched(self, message: LogSettingsFetched) -> None:
        if message.settings is not None:
            self.settings = message.settings
            self.settings_error = ""
        else:
            self.settings_error = message.error
            self.app.notify(message.error, title="Log settings", severity="error")
        self._update_settings()

    def action_settings(self) -> None:
        if not console(self).may_change_server("changing the server's log settings"):
            return
        if self.settings is None:
            self.app.notify("the server's log settings are not known yet", severity="warning")
            return

        def apply(changes: dict[str, Any] | None) -> None:
            if changes:
                self.fetch_settings(changes)

        self.app.push_screen(LogSettingsScreen(self.settings), apply)

    # Filters, search, follow ---------------------------------------------------------------
    def action_toggle_level(self, level: str) -> None:
        self.store.toggle_level(level)
        self.view.filter_changed()
        self._update_status()

    def action_toggle_follow(self) -> None:
        view = self.view
        view.follow = not view.follow
        if view.follow:
            view.cursor = None
            view.lines_added()
        self._update_status()

    def action_toggle_wrap(self) -> None:
        self.view.set_wrap(not self.view.wrap)
        self._update_status()

    def action_next_error(self) -> None:
        index = self.store.next_error(self.view.top_index)
        if index is None:
            harmless = self.store.seen["E"] - self.store.seen["E!"]
            extra = f" ({harmless} harmless ones are marked as such)" if harmless else ""
            self.app.notify(f"no error that matters among the visible lines{extra}")
            return
        self._jump(index)

    def action_find(self, backwards: bool) -> None:
        if not self.view.search:
            self.action_search()
            return
        index = self.store.find(self.view.search, self.view.top_index, backwards=backwards)
        if index is None:
            self.app.notify(f"no visible line contains {self.view.search!r}")
            return
        self._jump(index)

    def _jump(self, index: int) -> None:
        view, store = self.view, self.store
        view.follow = False
        number = store.visible_number(index)
        column = None
        needle = view.search.lower()
        if needle:
            found = [i for i, line in enumerate(store.visible_lines()) if needle in line.lower()]
            k = found.index(index) + 1 if index in found else 0
            self._match = (k, len(found))
            column = store.line(number)[0].lower().find(needle)
        view.show_number(number, column if column is not None and column >= 0 else None)
        self._update_status()

    # The input line (search, model filter, export path) ------------------------------------
    def _open_input(self, mode: str, placeholder: str, value: str = "") -> None:
        box = self.query_one("#logs-input", Input)
        self._input_mode = mode
        box.placeholder = placeholder
        box.value = self._drafts.pop(mode, value)
        box.suggester = (
            SuggestFromList(self._model_names(), case_sensitive=False) if mode == "model" else None
        )
        box.remove_class("hidden")
        box.focus()

    def action_search(self) -> None:
        self._open_input(
            "search", "search (Enter; n/N next/previous; empty clears)", self.view.search
        )

    def action_model_filter(self) -> None:
        self._open_input(
            "model", "show only lines naming this model (empty: all)", self.store.model
        )

    def action_export(self) -> None:
        default = cache_dir() / "exports" / time.strftime("triton-log-%Y%m%d-%H%M%S.log")
        self._open_input("export", "export the visible lines to this file", str(default))

    def _model_names(self) -> list[str]:
        return sorted({a.model for a in self.timeline.snapshot()})

    @on(Input.Blurred, "#logs-input")
    def _input_left(self, event: Input.Blurred) -> None:
        """Tab (or a click) away from a prompt keeps what was typed for the next time."""
        if self._input_mode and not event.input.has_class("hidden"):
            self._drafts[self._input_mode] = event.input.value

    def action_close_input(self) -> None:
        box = self.query_one("#logs-input", Input)
        if not box.has_class("hidden"):
            box.add_class("hidden")
            self._input_mode = ""
            self.view.focus()

    @on(Input.Submitted, "#logs-input")
    def _input_submitted(self, event: Input.Submitted) -> None:
        mode, value = self._input_mode, event.value.strip()
        self.action_close_input()
        if mode == "search":
            self.view.search = value
            self._match = None
            self.view.refresh()
            if value:
                self.action_find(False)
        elif mode == "model":
            self.store.set_filter(model=value)
            self.view.filter_changed()
        elif mode == "export" and value:
            self.export(Path(value).expanduser(), self.store.visible_lines())
        self._update_status()

    @work(thread=True, group="log-export")
    def export(self, path: Path, lines: list[str]) -> None:
        try:
            written = write_lines(path, lines)
        except OSError as exc:
            self.post_message(LogExported(path, 0, str(exc)))
            return
        self.post_message(LogExported(written, len(lines), asked=path if written != path else None))

    def on_log_exported(self, message: LogExported) -> None:
        if message.error:
            self.app.notify(f"export failed: {message.error}", severity="error")
        elif message.asked is not None:
            self.app.notify(
                f"{message.asked} exists and was left as it was: {message.count} lines written "
                f"to {message.path}",
                severity="warning",
                timeout=10,
            )
        else:
            self.app.notify(f"{message.count} lines written to {message.path}")

    # Acting on one model (from the app) ----------------------------------------------------
    def show_model(self, name: str) -> None:
        """Only the lines naming `name`, in the log view."""
        self.query_one("#logs-switcher", ContentSwitcher).current = "logs-view"
        self.store.set_filter(model=name)
        self.view.filter_changed()
        self.view.focus()
        self._update_status()

    def probe(self, name: str) -> None:
        """Open the cold-start section and probe `name` there."""
        switcher = self.query_one("#logs-switcher", ContentSwitcher)
        if switcher.current != "coldstart-view":
            self.action_toggle_coldstart()
        self.query_one(ColdStartView).start_probe(name)

    # Cold start ----------------------------------------------------------------------------
    def action_toggle_coldstart(self) -> None:
        switcher = self.query_one("#logs-switcher", ContentSwitcher)
        if switcher.current == "logs-view":
            switcher.current = "coldstart-view"
            self.query_one(ColdStartView).refresh_table(force=True)
            self.query_one("#coldstart-table").focus()
        else:
            switcher.current = "logs-view"
            self.view.focus()
