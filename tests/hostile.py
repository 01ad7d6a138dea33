"""Hostile HTTP endpoints on 127.0.0.1, each in a thread: what a broken or malicious "Triton"
may do to the client (drip, an endless or huge body, JSON of the wrong shape, HTML, an HTTP/2
stream without end).
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


class _Handler(socketserver.BaseRequestHandler):
    server: HostileServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        self.server.connections += 1
        if self.server.first_at is None:
            self.server.first_at = time.monotonic()
        sock.settimeout(5)
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                more = sock.recv(65536)
                if not more:
                    return
                data += more
            path = data.split(b" ", 2)[1].decode(errors="replace")
            self.server.paths.append(path)
            if path in self.server.routes:  # a sane answer here, the hostile one elsewhere
                body = self.server.routes[path]
                sock.sendall(HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body)
                return
            getattr(self, f"_{self.server.mode}")(sock)
        except OSError:  # the client gave up: what we want
            pass

    def _send_counted(self, sock: socket.socket, data: bytes) -> None:
        sock.sendall(data)
        self.server.sent += len(data)

    def _drip(self, sock: socket.socket) -> None:
        """A valid answer, one byte every `DRIP_S`: each read gets a byte well within any
        per-read timeout."""
        body = b'{"name": "triton", "version": "2.0"}'
        answer = HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body
        for i in range(len(answer)):
            if self.server.stop.wait(self.server.drip_s):
                return
            sock.sendall(answer[i : i + 1])

    def _endless(self, sock: socket.socket) -> None:
        """A body with no length that never ends (until the client hangs up)."""
        sock.sendall(HEAD + b"Connection: close\r\n\r\n[")
        chunk = b'{"name": "x", "state": "READY"},' * 2048
        while not self.server.stop.is_set():
            self._send_counted(sock, chunk)

    def _huge(self, sock: socket.socket) -> None:
        """A declared 100 MB body, sent in full if the client reads it."""
        size = 100 * 10**6
        sock.sendall(HEAD + b"Content-Length: %d\r\n\r\n" % size)
        chunk = b" " * 65536
        while self.server.sent < size and not self.server.stop.is_set():
            self._send_counted(sock, chunk)

    def _h2flood(self, sock: socket.socket) -> None:
        """HTTP/2 (gRPC): stream 1 answered ":status 200", then DATA frames without end."""
        frame = struct.Struct(">IBI")  # (length << 8 | type), flags, stream id
        sock.sendall(frame.pack(4, 0, 0) + frame.pack(1 << 8 | 1, 4, 1) + b"\x88")
        data = frame.pack(16384 << 8, 0, 1) + b"\0" * 16384
        while not self.server.stop.is_set():
            self._send_counted(sock, data)

    def _body(self, sock: socket.socket) -> None:
        body = self.server.body
        sock.sendall(HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body)


class HostileServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str, body: bytes, drip_s: float, routes: dict[str, bytes]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode, self.body, self.drip_s, self.routes = mode, body, drip_s, routes
        self.stop = threading.Event()
        self.connections = 0
        self.first_at: float | None = None  # monotonic time of the first connection
        self.paths: list[str] = []  # of every request, in order
        self.sent = 0  # body bytes sent by `endless` and `huge`

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


@contextmanager
def hostile(
    mode: str, body: bytes = b"", drip_s: float = 0.2, routes: dict[str, bytes] | None = None
) -> Iterator[HostileServer]:
    """A hostile endpoint: mode is drip, endless, huge, h2flood or body (answer `body`); the
    paths in `routes` get their body instead."""
    server = HostileServer(mode, body, drip_s, routes or {})
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()


def timed(call: object) -> tuple[float, BaseException | None]:
    """Seconds `call()` took, and what it raised."""
    started = time.monotonic()
    try:
        call()  # type: ignore[operator]
    except BaseException as exc:  # noqa: BLE001 - returned for the test to judge
        return time.monotonic() - started, exc
    return time.monotonic() - started, None
