"""Tunes killed with SIGKILL, then a second tune: killed mid-search (a candidate's override live in
the server) and killed mid-apply (config.pbtxt holding a tuned config never checked). The second
tune recovers before it reads the model's config as its base, and reports a pending apply and
puts the previous file back when told to. One server of our own for the file (tunes reload)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.widgets import Select, Static

from tests.conftest import ROOT, launch
from tests.test_tune import _dead_pid
from tools.tune_models import FIXED_COST, add_fixed_cost_model
from tui.app import TritonTUI
from tui.cli import main
from tui.core.server.client import TritonError, TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.server.session import Session
from tui.core.tune import apply
from tui.core.tune.record import (
    AppliedConfig,
    TuneRecord,
    load_record,
    pending_applies,
    tune_dir,
)
from tui.core.tune.restore import StillOverridden, recover_first, restore
from tui.core.tune.space import Candidate, SearchSpace
from tui.panes.config_dialogs import ChoiceScreen
from tui.panes.tune import TunePane

# The cheapest tune: one instance, no dynamic batching (the default is the only point, and a brute
# search does not measure it twice), one concurrency level, short windows.
TINY = ["--max-instance-count", "1", "--dynamic-batching", "off", "--concurrency", "1:1"]
TINY += ["--search", "brute", "-p", "200", "-s", "100"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    repo = tmp_path_factory.mktemp("recover") / "models"
    repo.mkdir()
    add_fixed_cost_model(repo)
    server = launch(repo)
    yield server
    server.stop()


def _batching(server: ServerProcess) -> bool:
    """Whether the server runs the model with dynamic batching (False while it reloads)."""
    try:
        return "dynamic_batching" in TritonHTTP(server.http_url).model_config(FIXED_COST)
    except TritonError:
        return False


def _spawn(code_or_args: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, *code_or_args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_when(child: subprocess.Popen[bytes], happened: Callable[[], bool]) -> None:
    """SIGKILL `child` the moment `happened()` is true (polled); reaped, so its pid is gone."""
    deadline = time.monotonic() + 60
    while not happened():
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
        assert time.monotonic() < deadline, "the moment to kill never came"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()


def _record_of(model: str, base: dict, url: str = "127.0.0.1:1") -> TuneRecord:
    """A finished tune's record, as a --write starts from."""
    space = SearchSpace.for_model(base, has_gpu=False)
    return TuneRecord(model=model, url=url, space=space, status="done", base_config=base)


def _records(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)


def test_a_tune_killed_mid_search_is_recovered_before_the_next_reads_its_base(
    server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    assert not _batching(server)
    search = ["--dynamic-batching", "on", "--max-instance-count", "1", "--max-batch-size", "8"]
    search += ["--min-batch-size", "8", "--concurrency", "1:1", "-p", "300", "-s", "100"]
    first = ["-m", "tui", "tune", "-m", FIXED_COST, "-u", server.http_url, *search]
    child = _spawn([*first, "--results", str(results)])
    _kill_when(child, lambda: _batching(server))  # a candidate's dynamic batching is live
    (killed,) = _records(results)
    assert load_record(killed).restore_pending

    code = main(["tune", "-m", FIXED_COST, "-u", server.http_url, *TINY, "--results", str(results)])
    out = capsys.readouterr().out
    assert code == 5, out  # the space is the model's own config: nothing better beyond noise
    restored = out.index(f"restored {FIXED_COST}")
    assert restored < out.index(f"Tuning {FIXED_COST}"), out  # recovered first, then read
    record = load_record(_records(results)[-1])
    assert "dynamic_batching" not in record.base_config  # the model's own, not the candidate's
    assert record.default is not None and not record.default.candidate.dynamic_batching
    assert not _batching(server)


APPLY = """
import sys
from pathlib import Path
from tui.core.server.client import TritonHTTP
from tui.core.tune import apply
from tui.core.tune.measure import MeasureSettings
from tui.core.tune.record import TuneRecord
from tui.core.tune.space import Candidate, SearchSpace
from tui.panes.config_dialogs import ChoiceScreen
from tui.panes.tune import TunePane

url, repo, results, model = sys.argv[1:5]
config = TritonHTTP(url).model_config(model)
space = SearchSpace.for_model(config, has_gpu=False)
record = TuneRecord(model=model, url=url, space=space, status="done", base_config=config)
record.save(Path(results))
tuned = Candidate(count=1, max_batch_size=8, dynamic_batching=True)
plan = apply.plan([Path(repo)], model, tuned, config)
apply.apply(plan, url, None, model, tuned, 1, MeasureSettings(window_ms=5000), record=record)
"""


def test_a_write_killed_mid_apply_is_reported_and_restored_by_the_next_tune(
    server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    repo = server.spec.model_repositories[0]
    config = Path(repo) / FIXED_COST / "config.pbtxt"
    before = config.read_text()
    child = _spawn(["-c", APPLY, server.http_url, str(repo), str(results), FIXED_COST])
    # killed once the tuned text is on disk and the server runs it, before its check ends
    _kill_when(child, lambda: config.read_text() != before and _batching(server))
    (record,) = pending_applies(results)
    assert record.applied is not None and record.applied.old_text == before

    flags = ["tune", "-m", FIXED_COST, "-u", server.http_url, "--repository", str(repo), *TINY]
    assert main([*flags, "--results", str(results)]) == 3  # not tuned from an unverified base
    seen = capsys.readouterr()
    assert "stopped before checking it on the server" in seen.out
    assert "--pending-apply restore" in seen.err and "Tuning" not in seen.out
    assert config.read_text() != before  # nothing changed without being asked

    code = main([*flags, "--results", str(results), "--pending-apply", "restore"])
    out = capsys.readouterr().out
    assert code == 5, out  # tuned from the restored base: nothing better beyond noise
    assert f"put the previous config back in {config} and reloaded {FIXED_COST}" in out
    assert config.read_text() == before and not _batching(server)
    assert pending_applies(results) == []
    tuned = load_record(_records(results)[-1])
    assert "dynamic_batching" not in tuned.base_config


async def test_the_console_offers_to_restore_a_pending_apply_at_start(
    server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a kill mid-apply leaves (the test above), found by the console when it starts."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # where the console looks
    repo = Path(server.spec.model_repositories[0])
    config = repo / FIXED_COST / "config.pbtxt"
    before = config.read_text()
    client = TritonHTTP(server.http_url)
    base = client.model_config(FIXED_COST)
    tuned = Candidate(count=1, max_batch_size=8, dynamic_batching=True)
    record = _record_of(FIXED_COST, base, server.http_url)
    record.applied = AppliedConfig(
        str(config), str(repo), before, apply.tuned_text(before, tuned, base), tuned.words()
    )
    config.write_text(record.applied.new_text)
    restore(client, FIXED_COST)
    record.applied.pid = _dead_pid()
    record.save(tune_dir())
    app = TritonTUI(Session.of_server(server), stop_server_on_exit=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(  # pushed first, composed a moment later
            pilot,
            lambda: (
                isinstance(app.screen, ChoiceScreen) and bool(app.screen.query("#dialog-message"))
            ),
        )
        message = str(app.screen.query_one("#dialog-message", Static).render())
        assert "stopped before checking it on the server" in message, message
        await pilot.press("escape")  # not now: a tune of that model asks again, and waits
        await _until(pilot, lambda: not isinstance(app.screen, ChoiceScreen))
        await pilot.press("6")
        pane = app.query_one(TunePane)
        await _until(pilot, lambda: FIXED_COST in pane._models)
        pane.query_one("#tune-model", Select).value = FIXED_COST
        pane.action_start()
        await _until(  # pushed first, composed a moment later
            pilot,
            lambda: (
                isinstance(app.screen, ChoiceScreen) and bool(app.screen.query("#dialog-message"))
            ),
        )
        status = str(pane.query_one("#tune-status", Static).render())
        assert "Cannot start" in status and not pane.running, status
        await pilot.press("r")  # Restore
        await _until(pilot, lambda: config.read_text() == before and not _batching(server))
    assert pending_applies() == []


async def _until(pilot, predicate, timeout: float = 60.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.1)


def test_a_journal_whose_tuned_text_is_not_in_the_file_is_closed(tmp_path: Path) -> None:
    """Killed after the journal was saved but before the file changed: nothing to offer."""
    config = tmp_path / "m" / "config.pbtxt"
    config.parent.mkdir()
    config.write_text('name: "m"\n')
    record = _record_of("m", {"name": "m"})
    record.applied = AppliedConfig(str(config), str(tmp_path), config.read_text(), "x", "words")
    record.applied.pid = _dead_pid()
    record.save(tmp_path / "results")
    (pending,) = pending_applies(tmp_path / "results")
    assert apply.tuned_text_gone(pending)
    assert pending_applies(tmp_path / "results") == []
    config.write_text("x")  # the tuned text did reach it: that one stays pending
    record.applied.state = "pending"
    record.save()
    (pending,) = pending_applies(tmp_path / "results")
    assert not apply.tuned_text_gone(pending)
    config.write_text('name: "m"\nmax_batch_size: 4\n')  # edited by hand since: not ours
    assert apply.tuned_text_gone(pending) and pending_applies(tmp_path / "results") == []


def test_a_model_another_process_is_tuning_is_not_read_as_a_base(tmp_path: Path) -> None:
    """Its config now is that process's candidate: a second tune of it does not start."""
    record = _record_of("m", {"name": "m"})
    record.restore_pending, record.owner_pid = True, os.getppid()  # alive, and not us
    record.save(tmp_path)
    with pytest.raises(StillOverridden, match=f"m is being tuned .* by process {os.getppid()}"):
        recover_first(record.url, "m", tmp_path)
    assert recover_first(record.url, "other", tmp_path) == []  # another model may be tuned
