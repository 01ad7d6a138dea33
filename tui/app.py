"""The console: a header naming the server, one tab per pane, a footer with the keys."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from rich.markup import escape
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import TabbedContent, TabPane
from textual.worker import get_current_worker

from tui.actions import ModelActions
from tui.core.fleet.registry import unregister_server
from tui.core.fleet.sources import FleetSource
from tui.core.server.client import TritonError
from tui.core.server.launcher import LaunchError, ServerProcess
from tui.core.server.liveness import Liveness
from tui.core.server.options import ServerOptions
from tui.core.server.session import Session, open_session
from tui.core.util import errorlog
from tui.core.util.sanitize import say
from tui.palette import ConsoleCommands
from tui.panes import PANES
from tui.panes.config_dialogs import confirm
from tui.state import ModelStateChanged
from tui.widgets.footer import KeyFooter
from tui.widgets.server_bar import ServerBar
from tui.workers import WorkFailed, work

# alt+digit arrives as "alt+1" under the kitty keyboard protocol, but as ESC 1 from xterm, tmux
# and most Linux terminals, which Textual reads as macOS's option+1 character, "¡" (key names
# below). A text field takes those characters, and Textual drops even priority bindings for keys
# the focused field would take, so the app catches them before any binding (`on_event`).
OPTION_DIGITS = {
    "inverted_exclamation_mark": "1",
    "trade_mark_sign": "2",
    "pound_sign": "3",
    "cent_sign": "4",
    "infinity": "5",
    "section_sign": "6",
    "º": "0",  # the Fleet pane (Textual names this key by its character)
}
PANE_OF_DIGIT = {p.key: p.pane_id for p in PANES}


INTERRUPTED = 130  # the exit code of a quit before the server was ready, as `serve`'s Ctrl+C


class TritonTUI(ModelActions):
    CSS_PATH = "app.tcss"
    TITLE = "triton-tui"
    COMMANDS = App.COMMANDS | {ConsoleCommands}

    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "toggle_help", "Help", key_display="?", id="help"),
        # ctrl+p is declared here: Textual adds its own only when no binding opens the palette.
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True),
        Binding("colon", "command_palette", "Commands", show=False, key_display=":"),
        # Esc: closes the help when open, else leaves the text field (check_action says which
        # applies; neither: the key goes on to the pane, e.g. to cancel a run).
        Binding("escape", "close_help", "Close help", priority=True),
        Binding("escape", "leave_field", "Leave field", priority=True),
        Binding("ctrl+r", "refresh_all", "Refresh", show=False),
        Binding("l", "model('load')", "Load", show=False),
        Binding("u", "model('unload')", "Unload", show=False),
        Binding("r", "model('reload')", "Reload", show=False),
        Binding("b", "bench_model", "Benchmark", show=False),
        # Probing unloads the model: its key shares no letter with moving around (c opens the
        # cold-start view in the Logs pane).
        Binding("P", "probe_model", "Probe cold start", show=False),
        Binding("e", "edit_config", "Config", show=False),
        Binding("L", "model_logs", "Its logs", show=False),
        Binding("R", "restart_server", "Restart server"),
        Binding("w", "doctor_model", "Why not faster", show=False),
        *(
            Binding(p.key, f"show_pane('{p.pane_id}')", p.title, show=False, id=f"pane-{p.pane_id}")
            for p in PANES
        ),
        # Keys no field swallows: alt+digit switches panes from anywhere. In a field the footer
        # names them (the first binding, enabled there only); elsewhere the others act unseen.
        Binding(
            "alt+1",
            "field_pane('repository')",
            "Panes",
            key_display="alt+1…6",
            priority=True,
        ),
        *(
            Binding(f"alt+{p.key}", f"show_pane('{p.pane_id}')", p.title, show=False, priority=True)
            for p in PANES
        ),
    ]

    def __init__(
        self,
        session: Session,
        *,
        stop_server_on_exit: bool = True,
        startup_timeout: float = 120.0,
        log_file: Path | None = None,
        read_only: bool = False,
        fleet: FleetSource | None = None,
    ) -> None:
        super().__init__(session, read_only=read_only, log_file=log_file)
        self.stop_server_on_exit = stop_server_on_exit
        self.startup_timeout = startup_timeout
        self.fleet_source = fleet
        self.liveness = Liveness()

    async def on_event(self, event: events.Event) -> None:
        """alt+digit as ESC digit (see OPTION_DIGITS) switches panes, whatever has the focus."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            digit = OPTION_DIGITS.get(event.key, "")
            if digit in PANE_OF_DIGIT and len(self.screen_stack) == 1:
                event.stop()
                self.action_show_pane(PANE_OF_DIGIT[digit])
                return
        await super().on_event(event)

    def compose(self) -> ComposeResult:
        yield ServerBar(self.session).data_bind(TritonTUI.server_state, TritonTUI.server_message)
        with TabbedContent(id="panes"):
            for spec in PANES:
                with TabPane(f"{spec.key} {spec.title}", id=spec.pane_id):
                    yield spec.factory()
        yield KeyFooter()

    def on_mount(self) -> None:
        # SIGTERM and a stray SIGINT end the console cleanly; the server is stopped on the way
        # out. A hang-up is `run_console`'s (the terminal is gone: no clean exit can draw), and
        # SIGKILL is covered by the server's reaper.
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.exit)
        self.wait_for_server()
        self.set_interval(1.0, self._check_server)

    def _check_server(self) -> None:
        """Every second: a server we run that exited mid-session is said so, with its reason;
        one we attached to is asked whether it is live (the header follows within two seconds
        of it refusing connections)."""
        server = self.session.server
        if self.server_state not in ("ready", "lost"):
            return
        if server is not None and server.exited:
            self.server_state = "stopping"
            self.explain_exit()
        elif isinstance(server, ServerProcess):
            return  # ours: its exit is seen above, and a busy host never makes it look gone
        elif not any(w.group == "liveness" and not w.is_finished for w in self.workers):
            self.check_liveness()

    @work(thread=True, exclusive=True, group="startup")
    def explain_exit(self) -> None:
        server = self.session.server
        reason = server.exit_reason() if server is not None else "log stream ended"
        hint = "; R restarts it with the same flags" if self.can_restart() else ""
        self.call_from_thread(self._set_state, "failed", f"the server stopped: {reason}{hint}")

    @work(thread=True, group="liveness")
    def check_liveness(self) -> None:
        self.call_from_thread(self._liveness_seen, *self.liveness.probe(self.session.client))

    def _liveness_seen(self, state: str, message: str) -> None:
        if self.server_state not in ("ready", "lost") or state == self.server_state:
            return
        self.server_message = message
        self.server_state = state
        if state == "lost":
            self.notify(message, title="Server not answering", severity="error", timeout=10)
        else:
            self.notify(message, title="Reconnected", timeout=10)
            self.action_refresh_all()

    def can_restart(self) -> bool:
        return isinstance(self.session.server, ServerProcess)

    def action_restart_server(self) -> None:
        """R: start the server this console launched again, same flags and ports; the panes
        stay as they are and re-read it once it is ready."""
        if not self.can_restart():
            self.notify("only a server this console launched can be restarted", severity="warning")
            return
        if any(w.group == "startup" and not w.is_finished for w in self.workers):
            self.notify("the server is starting or stopping: wait for it", severity="warning")
            return
        self.restart_server()

    @work(group="restart")
    async def restart_server(self) -> None:
        server = self.session.server
        if server is not None and server.running:
            answer = await self.push_screen_wait(
                confirm(
                    "Restart the server?",
                    "It stops (clients get errors meanwhile) and starts again with the same "
                    "flags and ports.",
                    yes="Restart",
                )
            )
            if answer != "yes":
                return
        self.server_message = "restarting with the same flags …"
        self.server_state = "starting"
        self.clear_notifications()  # the failure they told of is being dealt with
        self.notify("restarting the server with the same flags", timeout=5)
        self._restart_and_wait()

    @work(thread=True, exclusive=True, group="startup")
    def _restart_and_wait(self) -> None:
        server = self.session.server
        assert isinstance(server, ServerProcess)
        try:
            server.restart()
        except LaunchError as exc:
            self.call_from_thread(self._set_state, "failed", f"restart failed: {exc}")
            return
        self.wait_for_server()

    @work(thread=True, exclusive=True, group="startup")
    def wait_for_server(self) -> None:
        worker = get_current_worker()  # cancelled on quit: stop waiting at once
        try:
            self.session.wait_ready(self.startup_timeout, lambda: worker.is_cancelled)
        except (LaunchError, TritonError) as exc:
            if not worker.is_cancelled:  # quitting during start-up is an interrupt, not a failure
                self.call_from_thread(self._set_state, "failed", str(exc))
            return
        warnings = self.session.server.warnings if self.session.server else []
        self.call_from_thread(self._set_state, "ready", "; ".join(warnings))

    def watch_server_state(self) -> None:
        """The footer follows the server: its keys that need one leave when it is down."""
        self.refresh_bindings()

    def _set_state(self, state: str, message: str) -> None:
        self.server_message = message
        self.server_state = state
        if state == "failed":
            self.notify(message, title="Server failed", severity="error", timeout=30)
        elif message:
            self.notify(message, severity="warning", timeout=10)

    async def action_quit(self) -> None:
        if not any(w.group == "quit" and not w.is_finished for w in self.workers):
            self._quit_unless_kept()

    @work(group="quit")
    async def _quit_unless_kept(self) -> None:
        """Quit, unless a pane with unsaved work (`confirm_discard`) is told to keep it."""
        for pane in self.query("TabPane > *"):
            confirm = getattr(pane, "confirm_discard", None)
            if confirm is not None and not await confirm():
                return
        self.exit(0)

    def on_work_failed(self, event: WorkFailed) -> None:
        """One policy for worker errors (every worker reaches here, see tui/workers.py): say it,
        record it, keep running."""
        self.worker_failed(event.error, event.group)

    def worker_failed(self, error: Exception, group: str = "") -> None:
        where = errorlog.record(error, f"worker {group}")
        self.log.error(f"worker {group} failed: {error!r}")
        if group == "startup":  # the header must not say STARTING forever
            self.server_message = f"cannot use the server: {errorlog.one_line(error)}"
            self.server_state = "failed"
        detail = f" (details in {where})" if where else ""
        self.notify(
            escape(errorlog.one_line(error)) + detail,
            title="Background task failed; the console keeps running",
            severity="error",
            timeout=15,
        )

    def attach(self, url: str, metrics_url: str | None, repositories: list[Path]) -> None:
        """Every pane on the server at `url` (see ConsoleApp.attach): the header names it at
        once, its state follows as for `-u`, and the panes re-read what they show."""
        super().attach(url, metrics_url, repositories)
        self.liveness = Liveness()  # the new server's, not the last one's verdict
        self.query_one(ServerBar).session = self.session
        self.server_message = ""
        self.server_state = "starting"
        self.query_one(ServerBar).refresh()
        self.wait_for_server()
        self.post_message(ModelStateChanged("", "file"))
        self.notify(f"attached to http://{escape(self.session.client.url)}", timeout=4)

    def on_unmount(self) -> None:
        if self.stop_server_on_exit:
            self.home_session.close()


def run_console(
    options: ServerOptions,
    *,
    log_file: Path | None,
    read_only: bool,
    fleet: FleetSource | None = None,
) -> int:
    """The console on the server `options` name (launched here, on the main thread, and waited
    for in a worker); what it started is handed to its reaper on the way out."""
    stack = contextlib.ExitStack()
    try:
        session = stack.enter_context(open_session(options, wait=False, leave="release"))
    except (LaunchError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    app = TritonTUI(
        session,
        stop_server_on_exit=False,
        startup_timeout=options.startup_timeout,
        log_file=log_file,
        read_only=read_only,
        fleet=fleet,
    )

    def hang_up(_signum: int, _frame: object) -> None:
        """A dropped SSH link. Textual's output thread dies on the first write to the vanished
        terminal, and its clean exit then waits on that thread for ever: hand the server to its
        reaper (a pipe write, safe here) and leave at once, from whatever the loop was doing."""
        session.release()
        unregister_server(session.server)
        os._exit(128 + signal.SIGHUP)

    signal.signal(signal.SIGHUP, hang_up)
    # Our own loop, not asyncio.run's: that one joins every executor thread on the way out, so
    # a thread worker blocked in a server call (a load: up to 600 s) would hold the terminal.
    loop = asyncio.new_event_loop()
    server = session.server
    stopping = False
    try:
        # Leaving `stack` first hands the server to its reaper (it stops it gracefully, and for
        # sure, after we are gone), then we say so: after a hang-up writing to the terminal fails.
        with stack:
            try:
                result = app.run(loop=loop)
            finally:
                stopping = server is not None and server.running
    finally:
        if stopping and server is not None:
            say(f"triton-tui: tritonserver (pid {server.pid}) is stopping in the background")
    code = int(result or 0)
    if app.server_state == "failed":
        say(f"error: {app.server_message}")
        code = 1
    elif app.server_state == "starting":  # q, Ctrl+C or a signal before it was ready: as serve
        what = "tritonserver" if session.server is not None else "the server"
        say(f"triton-tui: interrupted before {what} was ready")
        code = INTERRUPTED
    # Return the terminal now: a worker thread still blocked in a slow call (a model load, a
    # file read) must not hold up the exit; the server is already in its reaper's hands.
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)
