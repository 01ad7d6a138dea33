"""The suite's shared helpers: one way to wait in a pilot, one to wait on a thread, one to read
what the screen shows, one CLI runner (the `cli` fixture in conftest.py wraps `run_cli`).

What a test asserts on is what a user sees: the screen's text (`screen_text`, from Textual's
public screenshot export) and the toasts shown (`toasts`; apps run with `notifications=True`,
which `run_test` turns off by default), never Textual's private state.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import OptionList, Select

from tui.cli import main


async def until(
    pilot: Pilot[object], ok: Callable[[], object], timeout: float = 90.0, what: str = ""
) -> None:
    """Let the app run until `ok()` holds; fail the test after `timeout` seconds.

    The timeout is a hang guard, not a speed check: generous, and never part of what is tested."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not ok():
        if loop.time() > deadline:
            raise AssertionError(f"not met in {timeout:.0f} s: {what or 'condition'}")
        await pilot.pause(0.05)


def eventually(ok: Callable[[], object], timeout: float = 10.0) -> bool:
    """Poll `ok()` from a plain thread until it holds (True) or `timeout` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok():
            return True
        time.sleep(0.02)
    return bool(ok())


_TEXT = re.compile(
    r'<text [^>]*?x="([\d.]+)"[^>]*?clip-path="url\(#terminal-\d+-line-(\d+)\)"[^>]*>([^<]*)</text>'
)
_CHAR_WIDTH = 20 * 0.61  # Rich's SVG export: 20 px characters at an aspect ratio of 0.61


def screen_text(app: App[object]) -> str:
    """The screen as drawn, one line of text per terminal row (styles dropped).

    Read from Textual's public screenshot export (Rich's SVG), which places each run of text at
    its column and leaves blank runs out."""
    width, height = app.size
    rows = [[" "] * width for _ in range(height)]
    for x, row, text in _TEXT.findall(app.export_screenshot()):
        column = round(float(x) / _CHAR_WIDTH)
        for i, char in enumerate(html.unescape(text).replace("\xa0", " ")):
            if int(row) < height and column + i < width:
                rows[int(row)][column + i] = char
    return "\n".join("".join(row).rstrip() for row in rows)


def toasts(app: App[object]) -> list[str]:
    """The notifications on screen now, each as its title and message in plain text."""
    return [str(toast.render()) for toast in app.screen.query("Toast")]


def select_choices(select: Select[Any]) -> list[str]:
    """The prompts a Select offers, as its drop-down lists them (an OptionList inside it)."""
    options = select.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


@dataclass
class CliRun:
    code: int
    out: str
    err: str

    def __iter__(self) -> Iterator[int | str]:  # code, out, err = cli(...)
        return iter((self.code, self.out, self.err))


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> CliRun:
    """`triton-tui ARGV` in this process (as the entry point runs it): exit code, stdout, stderr."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return CliRun(code, captured.out, captured.err)
