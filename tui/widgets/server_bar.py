"""The header line: which server, which binary and version, and whether it is live."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tui.core.server.launcher import ServerProcess, exposure_warning
from tui.core.server.session import Session
from tui.core.util.units import size

_STATE_STYLE = {
    "starting": "bold yellow",
    "ready": "bold green",
    "failed": "bold red",
    "lost": "bold red",
}
_LABEL = {"starting": "STARTING", "ready": "LIVE", "failed": "FAILED", "lost": "DOWN"}


class ServerBar(Static):
    # layout: the bar grows a line for the reason when the server failed or stopped answering
    server_state: reactive[str] = reactive("starting", layout=True)
    server_message: reactive[str] = reactive("", layout=True)

    def __init__(self, session: Session) -> None:
        super().__init__(id="server-bar")
        self.session = session

    def render(self) -> Text:
        s = self.session
        state = self.server_state
        label = _LABEL.get(state, state.upper())
        text = Text.assemble(
            (f" {label} ", f"reverse {_STATE_STYLE.get(state, '')}"),
            " ",
            (f"http://{s.client.url}", "bold"),
        )
        if s.version:
            text.append(f"  Triton {s.version}")
        if s.cache_size:
            text.append(f"  cache {size(s.cache_size)}")
        text.append(f"  {s.binary_label}", "dim")
        if isinstance(s.server, ServerProcess) and exposure_warning(s.server.host):
            text.append(f"  LISTENING ON {s.server.host}", "bold reverse red")
        if state in ("failed", "lost") and self.server_message:
            text.append(f"\n{self.server_message}", "red")
        return text
