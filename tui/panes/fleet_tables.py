"""The Fleet pane's two tables: servers (one row each, a down one in red) and models × servers
(drift and the slow replica marked). Rows are keyed by server URL and model name, so the cursor
stays on its row when a refresh reorders them."""

from __future__ import annotations

from rich.text import Text

from tui.core.fleet.snapshot import FleetSnapshot, ModelRow, ServerRow
from tui.core.fleet.table import COLUMNS, cells, model_cell
from tui.widgets.keys import VimDataTable

SHORT_TITLES = {
    "models ok/fail": "models",
    "compute ms": "compute",
    "queue ms": "queue",
}


def _styled(row: ServerRow, marked: bool) -> list[Text]:
    style = "bold red" if row.down else ("yellow" if row.ready is False else "")
    out = [Text(value, style=style) for value in cells(row)]
    if marked:
        out[0] = Text("✓ ", style="bold") + out[0]
    return out


class ServerTable(VimDataTable):
    """One row per server, keyed by its URL."""

    def __init__(self) -> None:
        super().__init__(id="fleet-servers", cursor_type="row", zebra_stripes=True)
        for column in COLUMNS:
            self.add_column(SHORT_TITLES.get(column.title, column.title), key=column.key)
        self.shown: list[ServerRow] = []

    @property
    def selected(self) -> ServerRow | None:
        if not self.shown or not 0 <= self.cursor_row < len(self.shown):
            return None
        return self.shown[self.cursor_row]

    def fill(self, rows: list[ServerRow], marked: set[str]) -> None:
        """Show `rows` in their order: cells updated in place when the same servers stay in the
        same order, else rebuilt with the cursor kept on its server."""
        keep = self.selected.url if self.selected else None
        same = [r.url for r in rows] == [r.url for r in self.shown]
        self.shown = list(rows)
        if same:
            for row in rows:
                for column, value in zip(COLUMNS, _styled(row, row.url in marked), strict=True):
                    self.update_cell(row.url, column.key, value)
            return
        self.clear()
        for row in rows:
            self.add_row(*_styled(row, row.url in marked), key=row.url)
        urls = [r.url for r in rows]
        if keep in urls:
            self.move_cursor(row=urls.index(keep))


class ModelTable(VimDataTable):
    """Models × servers: each replica's version and config fingerprint; `!` marks drift."""

    def __init__(self) -> None:
        super().__init__(id="fleet-models", cursor_type="row")
        self.shown: list[ModelRow] = []
        self._columns: list[str] = []

    @property
    def selected(self) -> ModelRow | None:
        if not self.shown or not 0 <= self.cursor_row < len(self.shown):
            return None
        return self.shown[self.cursor_row]

    def fill(self, snap: FleetSnapshot) -> None:
        keep = self.selected.name if self.selected else None
        urls = [s.url for s in snap.servers]
        if urls != self._columns:
            self.clear(columns=True)
            self.add_column("model", key="model")
            for server in snap.servers:
                self.add_column(server.name, key=server.url)
            self._columns = urls
        else:
            self.clear()
        self.shown = list(snap.models)
        for model in snap.models:
            name = Text(("! " if model.drift else "  ") + model.name)
            if model.drift:
                name.stylize("bold yellow")
            row = [name]
            for url in urls:
                cell = Text(model_cell(model, url))
                if model.outlier == url:
                    cell.stylize("bold red")
                row.append(cell)
            self.add_row(*row, key=model.name)
        names = [m.name for m in snap.models]
        if keep in names:
            self.move_cursor(row=names.index(keep))
