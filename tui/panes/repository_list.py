"""The Repository pane's model list: name, version and state, one row per model shown; the cursor
stays on its model when rows come and go."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widgets.data_table import ColumnKey

from tui.core.store.repository import ModelView
from tui.core.util.sanitize import clean_line
from tui.panes.repository_detail import STATE_STYLE
from tui.widgets.keys import VimDataTable

NAME_WIDTH = 40  # longer names are cut in the list (the detail shows them whole)
STATE_WIDTH = max(len(state) for state in STATE_STYLE)  # the State column never clips a word
COLUMNS = ("name", "version", "state")

Cells = tuple[Text | str, ...]


class ModelTable(VimDataTable):
    """The models the pane shows, by name (the row key); j/k/g/G move too."""

    def __init__(self) -> None:
        super().__init__(id="model-table", cursor_type="row")
        self.add_column("Model", key="name")
        self.add_column("Ver", key="version")
        self.add_column("State", key="state", width=STATE_WIDTH)

    @property
    def selected(self) -> str | None:
        """The model under the cursor."""
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return str(row_key.value)

    @property
    def names(self) -> list[str]:
        return [str(k.value) for k in self.rows]

    def fill(
        self,
        shown: Sequence[ModelView],
        row: Callable[[ModelView], Cells],
        changed: set[str],
        keep: str,
    ) -> None:
        """Rows for the `shown` models, rebuilt when they are other models (the cursor back on
        `keep` if it is one), else the `changed` ones updated in place."""
        names = [view.name for view in shown]
        if self.names != names:
            self.clear()
            for view in shown:
                self.add_row(*row(view), key=view.name)
            self._size_name_column(names)
            if keep in names:
                self.move_cursor(row=names.index(keep))
        else:
            for view in shown:
                if view.name in changed:
                    self.update_row(view.name, row(view))

    def update_row(self, name: str, cells: Cells) -> None:
        """New cells for the row of `name`, if it has one."""
        if name in self.names:
            for column, value in zip(COLUMNS, cells, strict=True):
                self.update_cell(name, column, value)

    def move_to(self, name: str) -> None:
        """The cursor on `name`'s row, if it has one."""
        if name and name != self.selected and name in self.names:
            self.move_cursor(row=self.get_row_index(name))

    def _size_name_column(self, names: list[str]) -> None:
        """The Model column as wide as its longest name, set now: auto widths are measured only
        when the table is idle, and a busy console showed names cut to the header ("add_s")."""
        column = self.columns[ColumnKey("name")]
        width = min(max([cell_len(clean_line(n)) for n in names] + [len("Model")]), NAME_WIDTH)
        if column.auto_width or column.width != width:
            column.auto_width, column.width = False, width
            self.refresh()
