"""Quit speed (`just bench-quit [ROUNDS]`, target: terminal back within 1 s of `q`).

Runs the console on a copy of the demo's add_sub in a pseudo-terminal, waits until the server is
ready, presses `q`, and times (1) until the console process exits, i.e. the terminal is back, and
(2) until the server and its python stub are gone (stopped gracefully by the reaper). The anchor,
measured in the same run, is the start-up of a bare `python -c pass` on this machine.
"""

import os
import pty
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]


def one_round(repo: Path) -> tuple[float, float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.chdir(ROOT)
        argv = ["-m", "tui", "--model-repository", str(repo), "--http-port", str(port)]
        os.execv(sys.executable, [sys.executable, *argv])

    def drain() -> None:
        try:
            while os.read(fd, 65536):
                pass
        except OSError:
            pass  # EIO: the console exited

    threading.Thread(target=drain, daemon=True).start()
    console = psutil.Process(pid)
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/models/add_sub/ready", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("the server never became ready") from None
            time.sleep(0.2)
    server = next(p for p in console.children() if p.name() == "tritonserver")
    family = [server, *server.children(recursive=True)]
    time.sleep(1)  # let the first repaint settle
    started = time.monotonic()
    os.write(fd, b"q")
    os.waitpid(pid, 0)
    back = time.monotonic() - started
    psutil.wait_procs(family, timeout=60)
    gone = time.monotonic() - started
    os.close(fd)
    return back, gone


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    started = time.monotonic()
    for _ in range(5):
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    anchor = (time.monotonic() - started) / 5
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "models"
        repo.mkdir()
        shutil.copytree(ROOT / "assets/models/add_sub", repo / "add_sub")
        results = [one_round(repo) for _ in range(rounds)]
    back = statistics.median(r[0] for r in results)
    gone = statistics.median(r[1] for r in results)
    print(f"anchor: python -c pass      {anchor * 1000:7.0f} ms")
    print(f"q -> terminal back (median) {back * 1000:7.0f} ms  = {back / anchor:5.1f} x anchor")
    print(f"q -> server and stub gone   {gone * 1000:7.0f} ms  = {gone / anchor:5.1f} x anchor")
    print(f"rounds: {[f'{b:.2f}/{g:.2f} s' for b, g in results]}  target: terminal back < 1 s")


if __name__ == "__main__":
    main()
