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

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import ContentSwitcher, Input, Static

from tui.core.logs.coldstart import LoadTimeline
from tui.core.logs.follow import FileFollower
from tui.core.logs.store import LEVELS, LogStore, write_lines
from tui.core.util.paths import cache_dir
from tui.panes.coldstart import ColdStartView
from tui.panes.log_settings import LogSettingsLine
from tui.panes.logs_status import status_text
from tui.panes.logs_view import LogView
from tui.state import console
from tui.widgets.prompt import PromptLine

FLUSH_INTERVAL = 0.1


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
        self._match: tuple[int, int] | None = None  # (k, n): the search match shown

    def compose(self) -> ComposeResult:
        yield Static("", id="logs-status")
        yield LogSettingsLine(id="logs-settings")
        with ContentSwitcher(initial="logs-view", id="logs-switcher"):
            yield LogView(self.store, id="logs-view")
            yield ColdStartView(self.timeline, id="coldstart-view")
        yield PromptLine(id="logs-input")

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
        self._update_status()

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
        text = status_text(self.store, self.view, self.source, self._match, self._dropped)
        self.query_one("#logs-status", Static).update(text)

    # Server log settings -------------------------------------------------------------------
    @property
    def settings(self) -> dict[str, Any] | None:
        return self.query_one(LogSettingsLine).settings

    def action_settings(self) -> None:
        self.query_one(LogSettingsLine).change()

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
        names = self._model_names() if mode == "model" else None
        self.query_one("#logs-input", PromptLine).open(mode, placeholder, value, names)

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

    def action_close_input(self) -> None:
        if self.query_one("#logs-input", PromptLine).close():
            self.view.focus()

    @on(Input.Submitted, "#logs-input")
    def _input_submitted(self, event: Input.Submitted) -> None:
        mode, value = self.query_one("#logs-input", PromptLine).mode, event.value.strip()
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
    # The log's own keys, off (and out of the footer) while the cold-start view is shown.
    LOG_ACTIONS = frozenset(
        {"search", "find", "toggle_follow", "next_error", "toggle_wrap", "model_filter", "export"}
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.LOG_ACTIONS or action == "toggle_level":
            switchers = self.query("#logs-switcher").results(ContentSwitcher)
            return all(s.current != "coldstart-view" for s in switchers)
        return True

    @property
    def home(self) -> str:
        """Where the focus rests when Esc leaves a field: the view shown (see tui/actions.py)."""
        shown = self.query_one("#logs-switcher", ContentSwitcher).current
        return "#coldstart-table" if shown == "coldstart-view" else "#logs-view"

    def action_toggle_coldstart(self) -> None:
        switcher = self.query_one("#logs-switcher", ContentSwitcher)
        if switcher.current == "logs-view":
            switcher.current = "coldstart-view"
            self.query_one(ColdStartView).refresh_table(force=True)
            self.query_one("#coldstart-table").focus()
        else:
            switcher.current = "logs-view"
            self.view.focus()
