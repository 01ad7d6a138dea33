"""The one model store: the server's repository index merged with the disk, and what the server
serves of each READY model (metadata and effective config), refreshed by one caller at a time.

Every view of the console reads models from here, as k9s keeps one watch cache for all its views:
the app's single worker calls `refresh`, which returns what changed, and the panes render the
snapshot. The server the store reads is swappable (`attach`), for a console that moves to
another server. Blocking: call `refresh` from a worker thread, never from the UI thread. Heavy
work on a model's effective config (rendering it as config.pbtxt: 120 000 lines for 20 000
parameters) is done here, once per change, and cut to `SUMMARY_LINES` for display.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.core.modelconfig import NormalizeError, normalize_json
from tui.core.server.client import TritonError, TritonHTTP
from tui.core.store.repository import ModelView, poll
from tui.core.store.truth import explain

if TYPE_CHECKING:
    from tui.core.modelconfig.served import ServedConfig

SUMMARY_LINES = 60  # of a model's effective config, shown in the repository pane


@dataclass(frozen=True)
class StoreSource:
    """What the store reads: a server (its client), the repositories on this machine, the
    reasons only the server's log holds, and the backends the server has (None: not known)."""

    client: TritonHTTP
    repositories: tuple[Path, ...] = ()
    log_reasons: Callable[[], dict[str, str]] | None = None
    backends: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ServedModel:
    """What the server says about one READY model (fetched once per load)."""

    metadata: dict[str, Any] | None
    config: ServedConfig | None
    summary: str = ""  # the effective config in config.pbtxt syntax, its first lines
    summary_cut: int = 0  # lines left out of `summary`
    error: str = ""


@dataclass(frozen=True)
class StoreSnapshot:
    views: tuple[ModelView, ...] = ()
    served: dict[str, ServedModel] = field(default_factory=dict)
    error: str = ""  # the repository index failed: why
    generation: int = 0
    url: str = ""
    refreshed: bool = False  # False until the first refresh of this server is published

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.views]

    @property
    def ready(self) -> list[str]:
        return sorted(v.name for v in self.views if v.state == "READY")

    def view(self, name: str) -> ModelView | None:
        return next((v for v in self.views if v.name == name), None)


@dataclass(frozen=True)
class StoreUpdate:
    snapshot: StoreSnapshot
    changed: frozenset[str]  # names whose row, or served detail, differs from the last snapshot
    listing: bool  # the error banner or the set of names changed


def summarise(config: ServedConfig, limit: int = SUMMARY_LINES) -> tuple[str, int]:
    """The effective config (JSON) in config.pbtxt syntax, defaults left out, cut to `limit`
    lines: (text, lines left out)."""
    try:
        text = normalize_json(config)
    except NormalizeError:
        text = json.dumps(config, indent=2) + "\n"
    lines = text.splitlines(keepends=True)
    return "".join(lines[:limit]), max(len(lines) - limit, 0)


class ModelStore:
    """Thread-safe: one refresh at a time; snapshots are immutable once published."""

    def __init__(self, source: StoreSource) -> None:
        self._source = source
        self._lock = threading.Lock()  # guards the fields below
        self._one = threading.Lock()  # one refresh at a time
        self._snapshot = StoreSnapshot(url=source.client.url)
        self._stale: set[str] = set()
        self._stale_all = False

    @property
    def source(self) -> StoreSource:
        return self._source

    @property
    def snapshot(self) -> StoreSnapshot:
        return self._snapshot

    def attach(self, source: StoreSource) -> None:
        """Read another server from the next refresh on (what the last one said is dropped)."""
        with self._lock:
            self._source = source
            self._snapshot = StoreSnapshot(
                generation=self._snapshot.generation + 1, url=source.client.url
            )

    def forget(self, name: str = "") -> None:
        """A model (every model: "") changed on the server: fetch what it serves again."""
        with self._lock:
            if name:
                self._stale.add(name)
            else:
                self._stale_all = True

    def refresh(self, listed: Callable[[StoreUpdate], None] | None = None) -> StoreUpdate:
        """Read the disk and the server once (blocking), publish the snapshot, say what moved.

        The rows are published first (`listed` is told, when given), then what the server serves
        of each newly READY model is fetched and rendered, and the whole snapshot published: a
        slow model (a 1.2 MiB config) never holds back the list."""
        with self._one:
            return self._refresh(listed)

    def _refresh(self, listed: Callable[[StoreUpdate], None] | None) -> StoreUpdate:
        with self._lock:
            source, before = self._source, self._snapshot
            stale, stale_all = set(self._stale), self._stale_all
            self._stale.clear()
            self._stale_all = False
        reasons = source.log_reasons() if source.log_reasons else {}
        result = poll(source.client, list(source.repositories), reasons, known=before.names)
        for view in result.views:
            explain(view, source.backends)
        old_views = {v.name: v for v in before.views}
        served: dict[str, ServedModel] = {}
        to_fetch = []
        for view in result.views:
            if view.state != "READY":
                continue
            old = old_views.get(view.name)
            kept = before.served.get(view.name)
            same = old is not None and old.state == "READY" and old.versions == view.versions
            if kept is not None and same and not stale_all and view.name not in stale:
                served[view.name] = kept
            else:
                to_fetch.append(view.name)
        views = tuple(result.views)
        if to_fetch and listed is not None:
            first = self._publish(source, before, StoreSnapshot(views, dict(served), result.error))
            if first is not None:
                listed(first)
                before = first.snapshot
        for name in to_fetch:
            served[name] = self._fetch(source.client, name)
        update = self._publish(source, before, StoreSnapshot(views, served, result.error))
        return update or StoreUpdate(self._snapshot, frozenset(), False)

    def _publish(
        self, source: StoreSource, before: StoreSnapshot, new: StoreSnapshot
    ) -> StoreUpdate | None:
        """Make `new` the snapshot (None: attached elsewhere meanwhile, `new` is stale)."""
        old_views = {v.name: v for v in before.views}
        changed = {
            v.name
            for v in new.views
            if old_views.get(v.name) != v or new.served.get(v.name) is not before.served.get(v.name)
        }
        changed |= set(old_views) - set(new.names)
        with self._lock:
            if self._source is not source:
                return None
            snapshot = StoreSnapshot(
                new.views, new.served, new.error, before.generation, source.client.url, True
            )
            self._snapshot = snapshot
        listing = (
            not before.refreshed or snapshot.names != before.names or snapshot.error != before.error
        )
        return StoreUpdate(snapshot, frozenset(changed), listing)

    @staticmethod
    def _fetch(client: TritonHTTP, name: str) -> ServedModel:
        try:
            config = client.model_config(name)
            metadata = client.model_metadata(name)
        except TritonError as exc:
            return ServedModel(None, None, error=str(exc))
        summary, cut = summarise(config)
        return ServedModel(metadata, config, summary, cut)
