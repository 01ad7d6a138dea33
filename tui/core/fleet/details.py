"""What a server says about itself over HTTP: live, ready, version, its models and their configs.

Every source asks this of each server it knows (in a thread pool, one server per thread), so a
server that Prometheus still counts as up but that no longer answers is red at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from tui.core.fleet.snapshot import Replica, ServerRow
from tui.core.server.client import TritonError, TritonHTTP
from tui.core.util.sanitize import clean_line

DETAIL_TIMEOUT = 2.0  # per call: a fleet refresh must not wait on one slow server
POOL = 16
T = TypeVar("T")


def fingerprint(config: Mapping[str, object]) -> str:
    """A short hash of a model's effective config, the same on every replica serving the same
    config (keys sorted; the model's name is part of it, as it is of the config)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def versions_by_model(index: list[dict[str, Any]]) -> dict[str, tuple[str | None, str | None]]:
    """(versions served, state) per model from a repository index: the READY versions joined
    when any is READY, else the first entry's state and reason-less version."""
    ready: dict[str, list[str]] = {}
    state: dict[str, str | None] = {}
    for entry in index:
        name = str(entry.get("name"))
        st = entry.get("state")
        version = entry.get("version")
        if st == "READY":
            ready.setdefault(name, []).append(str(version or ""))
            state[name] = "READY"
        else:
            state.setdefault(name, str(st) if st else None)
    out: dict[str, tuple[str | None, str | None]] = {}
    for name, st in state.items():
        versions = sorted(v for v in ready.get(name, []) if v)
        out[name] = (",".join(versions) or None, st)
    return out


def fill_details(
    row: ServerRow, fingerprints: bool = True, timeout: float = DETAIL_TIMEOUT
) -> None:
    """Ask the server: live and version (`/v2`), ready, the repository index (models READY and
    failed, versions), and with `fingerprints` each READY model's config. A server that does not
    answer is marked down with the reason, its figures left as the source gave them."""
    client = TritonHTTP(row.url, timeout=timeout)
    try:
        meta = client.server_metadata()
    except TritonError as exc:
        row.live, row.ready = False, False
        row.reason = clean_line(str(exc))
        return
    row.live = True
    row.version = clean_line(str(meta.get("version", ""))) or row.version
    try:
        row.ready = client.request("GET", "/v2/health/ready", timeout=timeout)[0] == 200
        index = client.repository_index()
    except TritonError as exc:
        row.reason = clean_line(str(exc))
        return
    failed = [e for e in index if e.get("state") == "UNAVAILABLE" and e.get("reason")]
    row.models_ready = len({e["name"] for e in index if e.get("state") == "READY"})
    row.models_failed = len({e["name"] for e in failed})
    if not row.ready:
        row.reason = "not ready" + (f": {failed[0]['name']} failed" if failed else "")
    for name, (version, state) in versions_by_model(index).items():
        replica = row.models.setdefault(name, Replica())
        replica.version, replica.state = version, state
        if fingerprints and state == "READY":
            try:
                replica.config_fingerprint = fingerprint(client.model_config(name))
            except TritonError:
                replica.config_fingerprint = None
    for name in [m for m in row.models if m not in {e["name"] for e in index}]:
        del row.models[name]  # the metrics still name a model the server no longer has


def each(items: Iterable[T], work: Callable[[T], object], pool: int = POOL) -> None:
    """`work` on every item, `pool` at a time (blocking I/O: threads)."""
    items = list(items)
    if not items:
        return
    with ThreadPoolExecutor(max_workers=min(pool, len(items))) as ex:
        list(ex.map(work, items))
