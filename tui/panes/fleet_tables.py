"""The Fleet pane's two tables: servers (one row each, a down one in red) and models × servers
(drift and the slow replica marked). Rows are keyed by server URL and model name, so the cursor
stays on its row when a refresh reorders them."""

from __future__ import annotations

from rich.text import Text
from textual.widgets.data_table import ColumnKey, RowKey

from tui.core.fleet.snapshot import FleetSnapshot, ModelRow, ServerRow
from tui.core.fleet.table import COLUMNS, cells, model_cell
from tui.widgets.keys import VimDataTable

SHORT_TITLES = {
    "models ok/fail": "models",
    "compute ms": "compute",
    "queue ms": "queue",
}


Look = tuple[tuple[str, ...], str, bool]  # a row's cell texts, its style, marked or not


def _style(row: ServerRow) -> str:
    return "bold red" if row.down else ("yellow" if row.ready is False else "")


def _cell(look: Look, i: int) -> Text:
    texts, style, marked = look
    text = Text(texts[i], style=style)
    return Text("✓ ", style="bold") + text if marked and i == 0 else text


class ServerTable(VimDataTable):
    """One row per server, keyed by its URL."""

    def __init__(self) -> None:
        super().__init__(id="fleet-servers", cursor_type="row", zebra_stripes=True)
        for column in COLUMNS:
            self.add_column(SHORT_TITLES.get(column.title, column.title), key=column.key)
        self.shown: list[ServerRow] = []
        self._looks: dict[str, Look] = {}  # what each row shows now

    @property
    def selected(self) -> ServerRow | None:
        if not self.shown or not 0 <= self.cursor_row < len(self.shown):
            return None
        return self.shown[self.cursor_row]

    def fill(
        self,
        rows: list[ServerRow],
        marked: set[str],
        texts: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        """Show `rows`: cells updated in place when the same servers stay in the same order,
        only those that changed (a refresh costs what moved, and one repaint), else rebuilt
        with the cursor kept on its server. `texts`, each row's cells as text, may come
        formatted from the worker that fetched them (formatting 500 rows on the event loop
        held keys). At once, not in steps: a repaint between steps cost more than the steps
        saved (a 500-row refresh in 19 steps held keys for up to 1.8 s on a loaded 2-core box)."""
        texts = texts or {}
        keep = self.selected.url if self.selected else None
        same = [r.url for r in rows] == [r.url for r in self.shown]
        self.shown = list(rows)
        if not same:
            self._looks = {}
            self.clear()
        changed: list[tuple[str, str, Text]] = []
        for row in rows:
            look = (texts.get(row.url) or tuple(cells(row)), _style(row), row.url in marked)
            if not same:
                self.add_row(*(_cell(look, i) for i in range(len(COLUMNS))), key=row.url)
            else:
                old = self._looks.get(row.url)
                for i, column in enumerate(COLUMNS):
                    if old is None or old[1:] != look[1:] or old[0][i] != look[0][i]:
                        changed.append((row.url, column.key, _cell(look, i)))
            self._looks[row.url] = look
        self._set_cells(changed)
        urls = [r.url for r in rows]
        if not same and keep in urls:
            self.move_cursor(row=urls.index(keep))

    def _set_cells(self, changed: list[tuple[str, str, Text]]) -> None:
        """New values for many cells, then one repaint. DataTable.update_cell repaints on every
        call: 2 500 cells of a 500-row refresh took 341 ms that way on a loaded 2-core box, the
        event loop held all along. Textual 8 keeps the cells in `_data[row][column]`; where it
        does not, the public call is used."""
        data = getattr(self, "_data", None)
        if not isinstance(data, dict) or not hasattr(self, "_update_count"):
            for url, column, value in changed:
                self.update_cell(url, column, value)
            return
        for url, column, value in changed:
            data[RowKey(url)][ColumnKey(column)] = value
        if changed:
            self._update_count += 1  # the rows' render cache is keyed on it
            self.refresh()


class FleetModelTable(VimDataTable):
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
