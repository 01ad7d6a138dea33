"""The console's panes, one module each. The app shows them in this order, switched by `key`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.widget import Widget

from tui.panes.bench import BenchPane
from tui.panes.config_editor import ConfigPane
from tui.panes.gpu import GpuPane
from tui.panes.logs import LogsPane
from tui.panes.repository import RepositoryPane
from tui.panes.tune import TunePane


@dataclass(frozen=True)
class PaneSpec:
    key: str
    pane_id: str
    title: str
    factory: Callable[[], Widget]


PANES: list[PaneSpec] = [
    PaneSpec(key="1", pane_id="repository", title="Repository", factory=RepositoryPane),
    PaneSpec(key="2", pane_id="config", title="Config", factory=ConfigPane),
    PaneSpec(key="3", pane_id="logs", title="Logs", factory=LogsPane),
    PaneSpec(key="4", pane_id="gpu", title="GPU", factory=GpuPane),
    PaneSpec(key="5", pane_id="bench", title="Benchmark", factory=BenchPane),
    PaneSpec(key="6", pane_id="tune", title="Tune", factory=TunePane),
]
