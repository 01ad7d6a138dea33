"""Write a tuned config to the model's config.pbtxt and check it on the server.

The tuned fields (instance_group, max_batch_size, dynamic_batching) are set in the file's own
config, which is then printed in Triton's documentation layout (comments do not survive; the
previous file is kept as config.pbtxt.bak by the config store, which saves atomically). A model
without config.pbtxt gets the complete tuned config. Then: unload and load from disk, check the
effective config carries the tuned fields and that a short measurement at the tuned concurrency
succeeds; on any failure the previous file comes back and the model is reloaded from it.

Given the tune's record, the write is journaled there (record.py, `AppliedConfig`): "pending"
before the file changes, "done" only after the check. A journal left "pending" by a killed process
is reported by `pending_words` and settled by `undo_pending` (the old text back, the model
reloaded) or `keep_pending` (the user keeps the unverified text); one whose tuned text is no
longer in the file is closed by `tuned_text_gone`.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from google.protobuf import text_format

from tui.core.modelconfig import proto as pb
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
from tui.core.server.client import TritonError, TritonHTTP
from tui.core.tune.measure import Level, MeasureSettings, measure_level
from tui.core.tune.record import AppliedConfig, TuneRecord
from tui.core.tune.restore import restore
from tui.core.tune.space import Candidate, describe_config, override

if TYPE_CHECKING:
    from tui.core.modelconfig.served import ServedConfig


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


def tuned_text(old_text: str, candidate: Candidate, base_config: ServedConfig) -> str:
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
    repositories: list[Path], model: str, candidate: Candidate, base_config: ServedConfig
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
    record: TuneRecord | None = None,
) -> Applied:
    """Save, reload, verify and measure; put the previous file back on any failure. With the
    tune's `record`, each step is journaled in it (saved before the file changes)."""
    done = _apply(
        the_plan, url, metrics_url, model, candidate, concurrency, settings, cancel, record
    )
    if record is not None and record.applied is not None:
        journal = record.applied
        if done.ok:
            journal.state = "done"
        elif not _holds(the_plan.path, the_plan.new_text):
            journal.state = "failed"  # not saved, or the previous text is back
        journal.message = done.message  # else "pending": the file holds the unverified text
        record.save()
    return done


def _holds(path: Path, text: str) -> bool:
    """Whether the file holds `text` ("": that it is absent)."""
    try:
        return read_config(path)[0] == text
    except FileNotFoundError:
        return not text
    except (OSError, UnicodeDecodeError):
        return False


def _apply(
    the_plan: Plan,
    url: str,
    metrics_url: str | None,
    model: str,
    candidate: Candidate,
    concurrency: int,
    settings: MeasureSettings,
    cancel: threading.Event | None,
    record: TuneRecord | None,
) -> Applied:
    client = TritonHTTP(url, timeout=10.0)
    if record is not None:
        record.applied = AppliedConfig(
            path=str(the_plan.path),
            repository=str(the_plan.repository),
            old_text=the_plan.old_text,
            new_text=the_plan.new_text,
            words=candidate.words(),
            pid=os.getpid(),
        )
        record.save()  # the journal first: a kill from here on leaves it "pending"
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


# A write left unverified by a killed process ---------------------------------------------------
def pending_words(record: TuneRecord) -> str:
    """What a pending journal means, in one line."""
    applied = record.applied
    assert applied is not None
    before = "its previous text" if applied.old_text else "no config.pbtxt before"
    return (
        f"{applied.path} holds a tuned config ({applied.words}) written at {applied.started_at} "
        f"by a tune that stopped before checking it on the server ({before} is kept in the "
        f"record {record.path})"
    )


def tuned_text_gone(record: TuneRecord) -> bool:
    """True (and the journal closed) when the file does not hold the tuned text: the process died
    before it reached the file or after the old text was back, or the file was edited since."""
    applied = record.applied
    assert applied is not None
    if _holds(Path(applied.path), applied.new_text):
        return False
    applied.state, applied.message = "failed", "the tuned config is not in the file"
    record.save()
    return True


def keep_pending(record: TuneRecord) -> str:
    """The user keeps the unverified text: the journal is closed."""
    assert record.applied is not None
    record.applied.state = "kept"
    record.save()
    return f"kept the unverified tuned config in {record.applied.path}"


def undo_pending(record: TuneRecord, url: str | None) -> str:
    """Put the text from before the write back (only over the text the write left: a file edited
    since is not touched), then reload the model on the server at `url` when it is there."""
    applied = record.applied
    assert applied is not None
    path = Path(applied.path)
    try:
        current, stamp = read_config(path) if path.is_file() else ("", FileStamp.missing())
        if current != applied.new_text:
            raise ApplyError(
                f"{path} changed since the tuned config was written: left as it is "
                "(the journal is closed)"
            )
        if applied.old_text:
            save_config(path, applied.old_text, repository_root=applied.repository, expected=stamp)
        else:
            path.unlink()
    except ApplyError as exc:
        applied.state, applied.message = "kept", str(exc)
        record.save()
        return str(exc)
    except (StoreError, OSError, UnicodeDecodeError) as exc:
        return f"could not put back the previous {path}: {exc}"
    applied.state, applied.message = "restored", "restored after an interrupted apply"
    record.save()
    done = f"put the previous config back in {path}"
    return done + _reload(url, record.model)


def _reload(url: str | None, model: str) -> str:
    if url is None:
        return f"; reload {model} so the server runs it"
    client = TritonHTTP(url, timeout=10.0)
    try:
        if not client.model_ready(model):
            return f"; {model} is not loaded on {url}: it reads the file when it loads"
        restore(client, model)
    except TritonError as exc:
        return f"; reloading {model} on {url} failed: {exc}"
    return f" and reloaded {model}"
