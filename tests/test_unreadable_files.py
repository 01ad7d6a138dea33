"""A FIFO, a device or a huge file where a config is expected never blocks nor explodes (issue 13).

A FIFO named config.pbtxt used to block a worker thread forever (opening a FIFO waits for a
writer), and then `q` hung. Every file read goes through `tui.core.util.paths.read_regular`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, TextArea

from tests.conftest import ROOT
from tests.helpers import until
from tests.test_config_pane import SIZE
from tui.app import TritonTUI
from tui.core.modelconfig import FileStamp, lint_path, read_config
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.server.session import Session
from tui.core.store.repository import scan_repository
from tui.core.util.paths import UnreadableFileError, read_regular

pytestmark = pytest.mark.models("add_sub", "identity_onnx")


@pytest.fixture
def fifo(repo: Path) -> Iterator[Path]:
    """`piped/config.pbtxt` is a FIFO. Code that opens it for reading blocks until a writer comes:
    after 30 s (or at teardown) a watchdog plays the writer, so old code fails, not hangs."""
    (repo / "piped" / "1").mkdir(parents=True)
    path = repo / "piped" / "config.pbtxt"
    os.mkfifo(path)
    done = threading.Event()

    def release() -> None:
        done.wait(30)
        while path.exists():
            with contextlib.suppress(OSError):
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            time.sleep(0.1)

    threading.Thread(target=release, daemon=True).start()
    yield path
    done.set()
    time.sleep(0.5)
    path.unlink()


def test_read_regular_refuses_what_is_not_a_file(fifo: Path, tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="FIFO"):
        read_regular(fifo)
    with pytest.raises(UnreadableFileError, match="character device"):
        read_regular("/dev/zero")
    with pytest.raises(UnreadableFileError, match="folder"):
        read_regular(tmp_path)
    big = tmp_path / "big.pbtxt"
    big.write_bytes(b"#" * 2000)
    with pytest.raises(UnreadableFileError, match="over the 1000 byte limit"):
        read_regular(big, limit=1000)
    assert read_regular(big) == b"#" * 2000
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "missing")


def test_store_scan_and_lint_say_fifo(fifo: Path, repo: Path) -> None:
    with pytest.raises(UnreadableFileError, match="FIFO"):
        read_config(fifo)
    with pytest.raises(UnreadableFileError):
        FileStamp.of(fifo)
    piped = next(m for m in scan_repository(repo) if m.name == "piped")
    assert any("FIFO" in p for p in piped.problems), piped.problems
    for target in (repo, fifo.parent, fifo):
        diagnostics = lint_path(target)
        assert any(d.is_error and "FIFO" in d.message for d in diagnostics), (target, diagnostics)


@pytest.mark.parametrize("which", ["repository", "model", "file"])
def test_cli_lint_says_why(fifo: Path, repo: Path, which: str) -> None:
    target = {"repository": repo, "model": fifo.parent, "file": fifo}[which]
    out = subprocess.run(
        [sys.executable, "-m", "tui", "config", "lint", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=25,  # below the watchdog: a blocked read fails here
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FIFO" in out.stdout, out.stdout + out.stderr


def test_console_opens_a_fifo_config_and_still_quits(
    demo_server: ServerProcess, repo: Path, fifo: Path
) -> None:
    session = Session(
        client=TritonHTTP(demo_server.http_url), server=demo_server, repositories=[repo]
    )
    quit_in_time = threading.Event()

    async def run() -> str:
        app = TritonTUI(session, stop_server_on_exit=False)
        async with app.run_test(size=SIZE) as pilot:
            table = app.query_one("#model-table", DataTable)
            await until(pilot, lambda: table.row_count >= 3)
            await pilot.press("1", *["down"] * [str(k.value) for k in table.rows].index("piped"))
            assert app.selected_model == "piped"
            await pilot.press("2")
            editor = app.query_one("#config-editor", TextArea)
            await until(pilot, lambda: "FIFO" in editor.placeholder, timeout=30)
            shown = str(editor.placeholder)
            await pilot.press("escape", "q")
        return shown

    failure: list[BaseException] = []

    def body() -> None:
        try:
            assert "FIFO" in asyncio.run(run())
            quit_in_time.set()
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    thread.join(25)  # below the watchdog: a blocked worker fails here
    assert quit_in_time.is_set(), failure or "the console did not say FIFO and quit in time"
