"""Write a tuned config to the model's config.pbtxt and check it on the server.

The tuned fields (instance_group, max_batch_size, dynamic_batching) are set in the file's own
config, which is then printed in Triton's documentation layout (comments do not survive; the
previous file is kept as config.pbtxt.bak by the config store, which saves atomically). A model
without config.pbtxt gets the complete tuned config. Then: unload and load from disk, check the
effective config carries the tuned fields and that a short measurement at the tuned concurrency
succeeds; on any failure the previous file comes back and the model is reloaded from it.
"""

from __future__ import annotations

import contextlib
import difflib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as pb

from tui.core.client import TritonError, TritonHTTP
from tui.core.modelconfig.diff import NormalizeError, normalize_json, normalize_text
from tui.core.modelconfig.pretty import pretty
from tui.core.modelconfig.store import (
    FileStamp,
    StoreError,
    read_config,
    resolve_inside,
    restore_backup,
    save_config,
)
from tui.core.tune.measure import Level, MeasureSettings, measure_level
from tui.core.tune.restore import restore
from tui.core.tune.space import Candidate, describe_config, override


class ApplyError(Exception):
    pass


@dataclass
class Plan:
    """What applying would change (shown before anything is written)."""

    path: Path
    repository: Path
    old_text: str
    new_text: str
    stamp: FileStamp

    @property
    def diff(self) -> str:
        """What changes in meaning (both sides in the same layout, so formatting is not noise)."""
        try:
            old = normalize_text(self.old_text) if self.old_text.strip() else ""
        except NormalizeError:
            old = self.old_text
        return "".join(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                fromfile=f"{self.path} (now)",
                tofile=f"{self.path} (tuned)",
            )
        )


@dataclass
class Applied:
    ok: bool
    message: str
    level: Level | None = None
    restored: bool = False


def tuned_text(old_text: str, candidate: Candidate, base_config: dict[str, Any]) -> str:
    """The file's config with the candidate's fields set (or the full tuned config)."""
    if not old_text.strip():
        return normalize_json(override(base_config, candidate))
    config = pb.ModelConfig()
    try:
        text_format.Parse(old_text, config)
    except text_format.ParseError as exc:
        raise ApplyError(f"config.pbtxt does not parse: {exc}") from exc
    del config.instance_group[:]
    config.instance_group.add(
        kind=pb.ModelInstanceGroup.Kind.Value(candidate.kind), count=candidate.count
    )
    config.max_batch_size = candidate.max_batch_size
    if candidate.dynamic_batching:
        dyn = config.dynamic_batching
        del dyn.preferred_batch_size[:]
        dyn.max_queue_delay_microseconds = candidate.queue_delay_us
        config.dynamic_batching.SetInParent()
    else:
        config.ClearField("dynamic_batching")
    return pretty(config)


def find_model_dir(repositories: list[Path], model: str) -> tuple[Path, Path]:
    """(repository, model folder) of `model` among the local repositories."""
    for repo in repositories:
        folder = repo / model
        if folder.is_dir():
            resolve_inside(folder, repo)
            return repo, folder
    raise ApplyError(
        f"model {model!r} is not in a local repository ({', '.join(map(str, repositories))})"
    )


def plan(
    repositories: list[Path], model: str, candidate: Candidate, base_config: dict[str, Any]
) -> Plan:
    repo, folder = find_model_dir(repositories, model)
    path = folder / "config.pbtxt"
    if path.is_file():
        old, stamp = read_config(path)
    else:
        old, stamp = "", FileStamp.missing()
    return Plan(path, repo, old, tuned_text(old, candidate, base_config), stamp)


def _check(client: TritonHTTP, model: str, candidate: Candidate) -> str:
    """ "" when the served config carries the candidate's fields, else what differs."""
    served = describe_config(client.model_config(model))
    want = Candidate(**{**candidate.to_dict(), "default": True})
    return "" if served == want else f"the server runs {served.words()}, not {want.words()}"


def apply(
    the_plan: Plan,
    url: str,
    metrics_url: str | None,
    model: str,
    candidate: Candidate,
    concurrency: int,
    settings: MeasureSettings,
    cancel: threading.Event | None = None,
) -> Applied:
    """Save, reload, verify and measure; put the previous file back on any failure."""
    client = TritonHTTP(url, timeout=10.0)
    try:
        save_config(
            the_plan.path,
            the_plan.new_text,
            repository_root=the_plan.repository,
            expected=the_plan.stamp,
        )
    except (StoreError, OSError) as exc:
        return Applied(False, f"not saved: {exc}")
    problem, level = "", None
    try:
        restore(client, model)  # unload + load: the server reads the new file
        problem = _check(client, model, candidate)
        if not problem:
            level = measure_level(
                url, metrics_url, model, concurrency, settings, cancel or threading.Event()
            )
            problem = level.error
    except TritonError as exc:
        problem = str(exc)
    if not problem:
        saved = f"saved {the_plan.path} in Triton's layout (previous kept as config.pbtxt.bak)"
        return Applied(True, saved, level)
    try:
        if the_plan.stamp.exists:
            restore_backup(the_plan.path, repository_root=the_plan.repository)
        else:
            with contextlib.suppress(FileNotFoundError):
                the_plan.path.unlink()
        restore(client, model)
        return Applied(False, f"{problem}; the previous config is back", level, True)
    except (StoreError, OSError, TritonError) as exc:
        return Applied(False, f"{problem}; restoring the previous config failed: {exc}", level)
