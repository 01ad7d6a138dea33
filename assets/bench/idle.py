"""CPU cost of the idle console (`just bench-idle [SECONDS]`, target < 3 % of one core).

Runs the console on the demo repository in a pseudo-terminal (120x40) with the GPU pane shown and
every pane live, then reads the console process's own CPU time with psutil over SECONDS
(tritonserver not included; printed apart).
"""

import fcntl
import os
import pty
import signal
import socket
import struct
import sys
import termios
import threading
import time
import urllib.request

import psutil

seconds = float(sys.argv[1])
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    os.environ["TERM"] = "xterm-256color"
    argv = ["-m", "tui", "--model-repository", "assets/models", "--http-port", str(port)]
    os.execv(sys.executable, [sys.executable, *argv])
screen = bytearray()


def drain():  # read the console's output so it never blocks; keep the recent part
    try:
        while chunk := os.read(fd, 65536):
            screen.extend(chunk)
            del screen[:-200_000]
    except OSError:
        pass  # EIO: the console exited


threading.Thread(target=drain, daemon=True).start()
console = psutil.Process(pid)
try:
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or not console.is_running():
                sys.exit("bench-idle: the console's server did not become ready")
            time.sleep(0.5)
    time.sleep(5)  # let the panes finish their first loads
    for _ in range(5):  # show the GPU pane (the others stay mounted, their timers live)
        screen.clear()
        os.write(fd, b"4")
        time.sleep(2.5)
        if b"NVML" in screen and b"of one core" in screen:  # drawn only by the GPU pane
            break
    else:
        sys.exit("bench-idle: the GPU pane did not come up")
    server = [p for p in console.children(recursive=True) if p.name() == "tritonserver"]
    c0, s0, t0 = (
        sum(console.cpu_times()[:2]),
        [sum(p.cpu_times()[:2]) for p in server],
        time.monotonic(),
    )
    time.sleep(seconds)
    c1, s1, t1 = (
        sum(console.cpu_times()[:2]),
        [sum(p.cpu_times()[:2]) for p in server],
        time.monotonic(),
    )
    wall = t1 - t0
    print(
        f"idle console (GPU pane shown, 120x40): {100 * (c1 - c0) / wall:.2f} % of one core "
        f"over {wall:.0f} s"
    )
    if server:
        print(
            "tritonserver (not counted above): "
            f"{100 * (sum(s1) - sum(s0)) / wall:.2f} % of one core"
        )
finally:
    os.write(fd, b"q")
    try:
        console.wait(60)
    except psutil.TimeoutExpired:
        os.kill(pid, signal.SIGTERM)
        console.wait(30)
