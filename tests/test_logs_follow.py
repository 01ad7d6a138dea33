"""Following a log file like `tail -F`: rotation, truncation, a file that appears later."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from tests.helpers import eventually
from tui.core.logs.follow import FileFollower


def test_follow_survives_rotation_and_truncation(tmp_path: Path) -> None:
    path = tmp_path / "server.log"
    got: list[str] = []
    lock = threading.Lock()

    def add(line: str) -> None:
        with lock:
            got.append(line)

    follower = FileFollower(path, add, poll=0.05).start()
    try:
        time.sleep(0.1)  # the file does not exist yet: the follower waits for it
        path.write_text("a1\na2\n")
        assert eventually(lambda: got == ["a1", "a2"])
        with open(path, "a") as f:
            f.write("a3\npartial")
        assert eventually(lambda: got[-1] == "a3")
        time.sleep(0.15)
        assert "partial" not in got  # incomplete lines wait for their newline
        with open(path, "a") as f:
            f.write(" line\n")
        assert eventually(lambda: got[-1] == "partial line")
        # Rotation: the old file is renamed, a new one takes the name.
        os.rename(path, tmp_path / "server.log.1")
        with open(tmp_path / "server.log.1", "a") as f:
            f.write("a4 written to the old file after the rename\n")
        path.write_text("b1\nb2\n")
        assert eventually(lambda: got[-2:] == ["b1", "b2"]), got
        assert "a4 written to the old file after the rename" in got
        assert follower.rotations == 1
        # Truncation: the same file gets shorter.
        with open(path, "w") as f:
            f.write("c1\n")
        assert eventually(lambda: got[-1] == "c1"), got
        assert follower.truncations == 1
    finally:
        follower.stop()
    assert not follower._thread or not follower._thread.is_alive()  # noqa: SLF001


def test_follow_from_end_skips_existing_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_text("old\n")
    got: list[str] = []
    follower = FileFollower(path, got.append, poll=0.05, from_start=False).start()
    try:
        time.sleep(0.15)
        with open(path, "a") as f:
            f.write("new\n")
        assert eventually(lambda: got == ["new"]), got
    finally:
        follower.stop()
