"""Putting a tuned model back to its on-disk config: after a tune, a cancel or an error (the
tuner's `finally`), and after a console killed mid-tune (`recover`, run at the start of every tune
and by the pane when it opens).

Restoring is an unload followed by a plain load: a plain load alone keeps the override
(shared/DESIGN.md). A record whose owner process is still alive is left to that process.

A tune reads the model's config as its base (the "default" it compares with) only after
`recover_first`: a config read while a killed tune's candidate is still live would be that
candidate, not the model's own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from tui.core.modelconfig.diff import NormalizeError, normalize_json
from tui.core.server.client import TritonError, TritonHTTP
from tui.core.tune.record import TuneRecord, list_records, load_record

if TYPE_CHECKING:
    from tui.core.modelconfig.served import ServedConfig


def same_config(a: ServedConfig, b: ServedConfig) -> bool:
    try:
        return normalize_json(a) == normalize_json(b)
    except NormalizeError:
        return a == b


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def restore(client: TritonHTTP, model: str, timeout: float = 300.0) -> None:
    """Back to the on-disk config: unload, wait until gone, load without parameters."""
    client.unload(model)
    wait_until(lambda: not client.model_ready(model), 60.0)
    client.load(model, timeout=timeout)
    if not wait_until(lambda: client.model_ready(model), 60.0):
        raise TritonError(f"model {model!r} is not ready after reloading its on-disk config")


class StillOverridden(Exception):
    """The model may still run a tune's candidate: its config is not its own (says why)."""


def _pending(url: str, folder: Path | None, skip: Path | None = None) -> Iterator[TuneRecord]:
    """Records of tunes on `url` that may have left an override live."""
    for path in list_records(folder):
        try:
            record = load_record(path)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if record.restore_pending and record.url == url and path != skip:
            yield record


def _owner_alive(record: TuneRecord) -> bool:
    return record.owner_pid not in (0, os.getpid()) and psutil.pid_exists(record.owner_pid)


def recover(url: str, folder: Path | None = None, skip: Path | None = None) -> list[str]:
    """Restore models a killed tune left overridden on the server at `url`; say what was done."""
    done = []
    client = TritonHTTP(url, timeout=10.0)
    for record in _pending(url, folder, skip):
        path = record.path
        assert path is not None
        if _owner_alive(record):
            continue  # another process is tuning right now: its own finally restores
        try:
            current = client.model_config(record.model)
            if not same_config(current, record.base_config):
                restore(client, record.model)
                done.append(f"restored {record.model} to its on-disk config (left by {path.name})")
        except TritonError as exc:
            done.append(f"could not restore {record.model} (left by {path.name}): {exc}")
            continue
        record.restore_pending = False
        record.save()
    return done


def recover_first(url: str, model: str, folder: Path | None = None) -> list[str]:
    """Recover before a tune of `model` reads its base config; what was done, in words.
    Raises StillOverridden when `model` may still run a candidate (a tune of it is running in
    another process, or restoring it failed): its config now is not the model's own."""
    done = recover(url, folder)
    for record in _pending(url, folder):
        if record.model != model:
            continue
        name = record.path.name if record.path else "a tune record"
        if _owner_alive(record):
            raise StillOverridden(
                f"{model} is being tuned on {url} by process {record.owner_pid} ({name}): "
                "wait for it to finish, or stop it"
            )
        failed = next((line for line in done if name in line), "")
        raise StillOverridden(
            f"{model} may still run a candidate of the tune in {name}, and it could not be "
            f"put back to its on-disk config ({failed or 'restore failed'}): "
            f"reload {model} on the server, then tune again"
        )
    return done
