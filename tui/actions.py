"""Acting on the selected model from anywhere: the app's keys and palette commands call these.

The selected model is `ConsoleApp.selected_model` (the repository pane's cursor). Each action
switches to the pane that does the work and hands it the model: `b` benchmarks it with the last
settings, `P` probes its cold start, `e` opens its config, `L` shows its log lines, `l`/`u`/`r`
load, unload and reload it; `i` and `V` (repository pane) infer it once and verify it against
onnxruntime on a screen of their own; `w` asks the doctor why it is not faster (in the logs pane
`w` wraps lines: the palette's "doctor MODEL" works there). Unloading, and probing a server this
console did not launch, ask first; a `--read-only` console changes nothing on the server.

The app never calls a pane: it switches tabs and posts an intent (tui/intents.py) to every pane,
and the pane that does the work handles it. The model list comes from the store.
"""

from __future__ import annotations

from textual.actions import SkipAction
from textual.widget import Widget
from textual.widgets import Button, Input, Select, Static, TabbedContent, TabPane, TextArea

from tui.intents import (
    BenchExportRequested,
    BenchRequested,
    ConfigJumpRequested,
    DeployRequested,
    ModelActionRequested,
    ModelLogsRequested,
    ProbeRequested,
    ServerAction,
)
from tui.panes.config_dialogs import confirm
from tui.state import ConsoleApp, ModelStateChanged
from tui.workers import work

SERVER_KEYS = {"model", "bench_model", "probe_model", "infer_model", "verify_model"}
MODEL_KEYS = {
    "model",
    "bench_model",
    "probe_model",
    "edit_config",
    "model_logs",
    "refresh_all",
    "infer_model",
    "verify_model",
    "doctor_model",
}


class ModelActions(ConsoleApp):
    """Actions on `selected_model` (mixed into the app, which owns the panes)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The model keys act from the panes only, not under a dialog or the deploy screen. Esc
        closes the help when it is open, else leaves a field; the footer names each only when
        it applies (a False here also hides the key)."""
        if action == "close_help":
            return bool(self.screen.query("HelpPanel"))
        if action in ("leave_field", "field_pane"):
            return self.focused_field() is not None
        if action in SERVER_KEYS and self.server_state == "failed":
            return False  # nothing to act on: out of the footer, which then has room for R
        if action == "restart_server":
            # Shown (and acting) once the server is down; the palette restarts a live one too.
            down = self.server_state == "failed"
            return len(self.screen_stack) == 1 and self.can_restart() and down
        return not (action in MODEL_KEYS and len(self.screen_stack) > 1)

    def can_restart(self) -> bool:
        """Whether `R` applies (the app knows: only a server it launched can be restarted)."""
        return False

    def action_restart_server(self) -> None:
        """R and the palette's "restart server" (the app, tui/app.py, does it)."""
        self.notify("only a server this console launched can be restarted", severity="warning")

    # Keys that no field swallows -----------------------------------------------------------
    def focused_field(self) -> Input | None:
        """The text field that has the focus in a pane (not under a dialog), unless the field
        handles Esc itself (class `own-escape`: the filter and search lines)."""
        widget = self.focused
        if len(self.screen_stack) > 1 or not isinstance(widget, Input):
            return None
        return None if widget.has_class("own-escape") else widget

    def action_leave_field(self) -> None:
        """Esc in a field: the focus goes to what the pane shows (its results), so the pane's
        keys work again; a second Esc reaches the pane (cancel a run, close what is open)."""
        field = self.focused_field()
        if field is None:
            raise SkipAction()
        pane = next((a for a in field.ancestors if isinstance(a, TabPane)), None)
        self.screen.set_focus(home_widget(pane) if pane is not None else None)

    def action_field_pane(self, pane_id: str) -> None:
        self.action_show_pane(pane_id)

    # Panes ---------------------------------------------------------------------------------

    def action_show_pane(self, pane_id: str) -> None:
        if len(self.screen_stack) > 1:  # a dialog or the deploy screen is open: it stays on top
            return
        tabs = self.query_one("#panes", TabbedContent)
        # Drop focus first: focus left inside the hidden pane would switch the tabs back. The
        # pane is shown as `active` is set, so its first field takes the focus in the same frame
        # (one layout and repaint per switch, not two).
        self.screen.set_focus(None)
        tabs.active = pane_id
        self._focus_pane(pane_id)

    def _focus_pane(self, pane_id: str) -> None:
        pane = self.query_one("#panes", TabbedContent).get_pane(pane_id)
        target = next((w for w in pane.query("*") if w.focusable), None)
        if target is not None:
            self.screen.set_focus(target)

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_show_help_panel(self) -> None:
        """The help, beside the pane on a wide terminal; over all of it on a narrow one (at 80
        columns a third of the width cut both the pane and the help's own lines)."""
        super().action_show_help_panel()
        self.call_after_refresh(self._size_help)

    def _size_help(self) -> None:
        for panel in self.screen.query("HelpPanel"):
            panel.set_class(self.size.width < 120, "-full")
            if not panel.query(".help-close"):  # over the footer too: say how to leave
                panel.mount(Static("? or Esc closes the help", classes="help-close"), before=0)

    def action_close_help(self) -> None:
        """Esc closes the help first; otherwise the key goes on (see check_action)."""
        if not self.screen.query("HelpPanel"):
            raise SkipAction()
        self.action_hide_help_panel()

    def known_models(self) -> list[str]:
        """Every model the store lists (disk and server), by name."""
        return self.store.snapshot.names

    def _model(self, verb: str) -> str | None:
        name = self.selected_model
        if not name:
            self.notify(f"{verb}: pick a model first (Repository pane, key 1)", severity="warning")
            return None
        return name

    # Server actions ------------------------------------------------------------------------
    def action_model(self, action: ServerAction, name: str = "") -> None:
        self.act_on_model(action, name)

    @work(group="model-action")
    async def act_on_model(self, action: ServerAction, name: str = "") -> None:
        name = name or self._model(action) or ""
        if not name or not self.may_change_server(f"{action} {name}"):
            return
        if action == "unload":
            answer = await self.push_screen_wait(
                confirm(
                    f"Unload {name}?",
                    f"{name} stops serving requests until it is loaded again.",
                    yes="Unload",
                )
            )
            if answer != "yes":
                return
        self.selected_model = name
        self.tell_panes(lambda: ModelActionRequested(name, action))

    # Other panes ---------------------------------------------------------------------------
    def action_bench_model(self, name: str = "") -> None:
        """Benchmark the model at once with the benchmark pane's current settings."""
        name = name or self._model("benchmark") or ""
        if not name:
            return
        self.selected_model = name
        self.action_show_pane("bench")
        self.tell_panes(lambda: BenchRequested(name))

    def action_tune_model(self, name: str = "") -> None:
        """Open the tune pane on the model (the tune starts with Enter there)."""
        name = name or self._model("tune") or ""
        if not name:
            return
        self.selected_model = name
        self.action_show_pane("tune")

    @work(group="model-action")
    async def action_probe_model(self, name: str = "") -> None:
        """Time a cold start of the model (unload, load, first and steady inferences)."""
        name = name or self._model("probe") or ""
        if not name or not self.may_change_server(f"probing {name} (it unloads the model)"):
            return
        if not self.launched:
            answer = await self.push_screen_wait(
                confirm(
                    f"Probe {name} on a server this console did not launch?",
                    f"The probe unloads {name}, loads it again and sends it requests: "
                    "clients of this server get errors meanwhile.",
                    yes="Probe",
                )
            )
            if answer != "yes":
                return
        self.selected_model = name
        self.action_show_pane("logs")
        self.tell_panes(lambda: ProbeRequested(name))

    def action_edit_config(self, name: str = "") -> None:
        name = name or self._model("edit config") or ""
        if name:
            self.edit_config(name)

    def edit_config(self, name: str, line: int = 0, col: int = 0) -> None:
        """Open `name`'s config.pbtxt in the config pane (the cursor at line:col when given)."""
        self.selected_model = name
        if line:
            self.tell_panes(lambda: ConfigJumpRequested(name, line, col))
        self.action_show_pane("config")

    def action_model_logs(self, name: str = "") -> None:
        """Show only the log lines that name the model."""
        name = name or self._model("logs") or ""
        if not name:
            return
        self.selected_model = name
        self.action_show_pane("logs")
        self.tell_panes(lambda: ModelLogsRequested(name))

    def action_infer_model(self, name: str = "") -> None:
        """Send one request to the model and show its outputs (and the curl for it)."""
        self._infer_screen(name, verify=False)

    def action_verify_model(self, name: str = "") -> None:
        """Compare the model's outputs on Triton with onnxruntime's on its file."""
        self._infer_screen(name, verify=True)

    def _infer_screen(self, name: str, verify: bool) -> None:
        from tui.panes.infer import InferScreen

        name = name or self._model("verify" if verify else "infer") or ""
        if not name:
            return
        self.selected_model = name
        self.push_screen(InferScreen(name, verify=verify))

    def action_doctor_model(self, name: str = "") -> None:
        """Why is the model not faster: the doctor's findings on a screen of their own."""
        from tui.panes.doctor import DoctorScreen

        name = name or self._model("doctor") or ""
        if not name:
            return
        self.selected_model = name
        self.push_screen(DoctorScreen(name))

    def action_deploy(self, path: str = "") -> None:
        self.tell_panes(lambda: DeployRequested(path))

    def action_export_bench(self, kind: str = "csv") -> None:
        self.action_show_pane("bench")
        self.tell_panes(lambda: BenchExportRequested(kind))

    def action_refresh_all(self) -> None:
        """ctrl+r: every pane re-reads the server and the disk."""
        self.post_message(ModelStateChanged("", "file"))
        self.notify("refreshing from the server and the disk", timeout=2)


FIELD_TYPES = (Input, TextArea, Select)


def home_widget(pane: Widget) -> Widget | None:
    """Where the focus rests in `pane` when it leaves a field: the widget the pane names as
    its results (`home` attribute: a selector), else its first focusable widget that takes no
    typing (a table, a log view, a button), else none (the app's keys then act)."""
    selector = next((getattr(w, "home", "") for w in pane.children), "")
    if selector:
        found = [w for w in pane.query(selector) if w.focusable]
        if found:
            return found[0]
    widgets = [w for w in pane.query("*") if w.focusable]
    return next((w for w in widgets if not isinstance(w, (*FIELD_TYPES, Button))), None) or next(
        (w for w in widgets if isinstance(w, Button)), None
    )
