"""The Tune pane driven with the pilot against a real embedded server of its own (a tune reloads
models, so the shared demo server is not used)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select, Static, TabbedContent

from tests.conftest import serving
from tests.helpers import until
from tests.test_tune import tune_repository
from tests.tolerances import ANY_STABILITY
from tools.tune_models import FIXED_COST
from tui.app import TritonTUI
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.server.session import Session
from tui.core.tune.restore import same_config
from tui.panes.config_dialogs import ChoiceScreen
from tui.panes.tune import TunePane


@pytest.fixture(scope="module")
def pane_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with serving(tune_repository(tmp_path_factory.mktemp("tune-pane") / "models")) as server:
        yield server


def _text(pane: TunePane, selector: str) -> str:
    return str(pane.query_one(selector, Static).render())


def _fill(pane: TunePane, **values: str) -> None:
    for name, value in values.items():
        pane.query_one(f"#tune-{name}", Input).value = value


async def test_pane_tunes_ranks_plots_applies_and_cancels(
    pane_server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # tune records land there
    session = Session.of_server(pane_server)
    session.wait_ready()
    client = TritonHTTP(pane_server.http_url)
    disk_config = client.model_config(FIXED_COST)
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=(140, 44)) as pilot:
        await until(pilot, lambda: app.server_state == "ready")
        await pilot.press("6")
        await until(pilot, lambda: app.query_one("#panes", TabbedContent).active == "tune")
        pane = app.query_one(TunePane)
        model = pane.query_one("#tune-model", Select)
        await until(pilot, lambda: model.value == "add_sub")  # the repository pane's pick
        app.selected_model = FIXED_COST  # as if highlighted there
        await until(pilot, lambda: model.value == FIXED_COST)

        # before a tune: no GPU columns (the server's GPUs are known from a tune's figures)
        headers = [str(c.label) for c in pane.query_one(DataTable).columns.values()]
        assert headers == ["config", "conc", "infer/s", "p99 ms", "ok"], headers

        # bad axes are refused with a message and start nothing
        _fill(pane, counts="3:1")
        pane.query_one("#tune-window", Input).focus()
        await pilot.press("enter")
        assert "Cannot start" in _text(pane, "#tune-status") and not pane.running

        # one level where batching pays; any three windows make a level (not the stability rule)
        _fill(pane, counts="1:1", batch="8:8", concurrency="8:8", window="300")
        _fill(pane, stability=str(ANY_STABILITY))
        await pilot.press("enter")  # Enter in a field starts
        assert pane.running
        await until(pilot, lambda: " of " in _text(pane, "#tune-status"))
        await until(pilot, lambda: not pane.running, timeout=240)
        status = _text(pane, "#tune-status")
        assert status.startswith("done:") and "better than the default" in status, status
        assert "The ranking is re-measured" in status
        doctor = _text(pane, "#tune-doctor")  # the top finding on the default config's level
        assert doctor.startswith("Doctor: ") and "(w for" in doctor, doctor
        table = pane.query_one(DataTable)
        assert table.row_count >= 2
        top = table.get_row_at(0)
        assert str(top[0]).endswith(" dyn") and top[-1] == "yes"  # 1×CPU b≤8 dyn
        assert "Pareto front" in _text(pane, "#tune-plot")
        assert "wins" in _text(pane, "#tune-reason")
        assert same_config(client.model_config(FIXED_COST), disk_config)

        # a applies the selected (winning) row: diff first, then save + reload + verify
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        diff = str(app.screen.query_one("#dialog-message", Static).render())
        assert "+dynamic_batching {" in diff, diff
        await pilot.press("a")  # the dialog's Apply
        await until(pilot, lambda: "pplied" in _text(pane, "#tune-status"), timeout=120)
        assert _text(pane, "#tune-status").startswith("Applied:"), _text(pane, "#tune-status")
        config_file = Path(session.repositories[0]) / FIXED_COST / "config.pbtxt"
        assert "dynamic_batching" in config_file.read_text()
        assert (config_file.parent / "config.pbtxt.bak").is_file()
        applied_config = client.model_config(FIXED_COST)
        assert applied_config.get("dynamic_batching") is not None

        # s starts (focus outside the fields), Esc cancels and the model is as on disk
        _fill(pane, counts="1:2")
        pane.query_one("#tune-search", Select).value = "brute"
        table.focus()
        await pilot.press("s")
        assert pane.running
        await until(pilot, lambda: pane.query_one(DataTable).row_count >= 1, timeout=120)
        await pilot.press("escape")
        await until(pilot, lambda: not pane.running, timeout=120)
        assert _text(pane, "#tune-status").startswith("cancelled")
        assert same_config(client.model_config(FIXED_COST), applied_config)

        # now that the model batches, nothing the space holds is better beyond noise: the
        # verdict says so, `a` offers nothing, `r` writes the HTML report
        _fill(pane, counts="1:1", batch="8:8", concurrency="8:8", gain="7.5")
        await pilot.press("s")
        assert pane.running
        await until(pilot, lambda: not pane.running, timeout=240)
        status = _text(pane, "#tune-status")
        assert status.startswith("done:") and "beyond noise" in status, status
        assert "Nothing to apply" in status
        record = pane.record
        assert record is not None and record.min_gain_pct == 7.5
        assert record.verdict is not None and record.verdict.verdict == "no_better_beyond_noise"
        await pilot.press("a")
        assert _text(pane, "#tune-status").startswith("Nothing to apply:")
        assert not isinstance(app.screen, ChoiceScreen)
        await pilot.press("r")
        await until(pilot, lambda: "Report written" in _text(pane, "#tune-status"))
        written = Path(_text(pane, "#tune-status").split("written: ")[1].split(" (")[0])
        page = written.read_text()
        assert 'id="chart-latency"' in page and '<table id="ranked"' in page
        assert written.is_relative_to(tmp_path / "cache")
        assert same_config(client.model_config(FIXED_COST), applied_config)
