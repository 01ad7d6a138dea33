"""The console's panes, one module each. The app shows them in this order, switched by `key`.

Each pane's module is imported when the app builds it, so importing one pane (or this list) does
not import the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from textual.widget import Widget


def lazy(module: str, name: str) -> Callable[[], Widget]:
    """A factory building `module.name()`, importing the module on first use."""

    def build() -> Widget:
        factory: Callable[[], Widget] = getattr(importlib.import_module(module), name)
        return factory()

    return build


@dataclass(frozen=True)
class PaneSpec:
    key: str
    pane_id: str
    title: str
    factory: Callable[[], Widget]


PANES: list[PaneSpec] = [
    PaneSpec("1", "repository", "Repository", lazy("tui.panes.repository", "RepositoryPane")),
    PaneSpec("2", "config", "Config", lazy("tui.panes.config_editor", "ConfigPane")),
    PaneSpec("3", "logs", "Logs", lazy("tui.panes.logs", "LogsPane")),
    PaneSpec("4", "gpu", "GPU", lazy("tui.panes.gpu", "GpuPane")),
    PaneSpec("5", "bench", "Benchmark", lazy("tui.panes.bench", "BenchPane")),
    PaneSpec("6", "tune", "Tune", lazy("tui.panes.tune", "TunePane")),
    PaneSpec("0", "fleet", "Fleet", lazy("tui.panes.fleet", "FleetPane")),
]
